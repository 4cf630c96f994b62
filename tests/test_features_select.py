"""Lessons 05-06: feature families, the feature pipeline, selection helpers, and clear errors on bad inputs."""
import json
import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES
from ml_lifecycle.config import resolve_params
from ml_lifecycle.problem import generic_spec
from ml_lifecycle import features as F, select as S


def _user(name, target, tmp_path=None):
    cfg = resolve_params(data=str(FIXTURES / name), target=target, run_dir=None if tmp_path is None else str(tmp_path))
    df = pd.read_csv(FIXTURES / name)
    spec = generic_spec(cfg, df)
    return cfg, spec, df.drop(columns=[target]), F.target_vector(df, spec)


def test_pipeline_on_user_csv_skips_domain_families(capsys):
    cfg, spec, X, y = _user("loans.csv", "default")
    fp = F.make_feature_pipeline(spec, X, "all")
    out = capsys.readouterr().out
    for fam in ("ratios", "trends", "rfm", "tenure", "text"): assert fam in out and fam in fp.skipped_families
    Z = fp.fit_transform(X, y)
    assert Z.isna().sum().sum() == 0 and len(Z) == len(X)
    assert list(fp.transform(X.head(2)).columns) == list(Z.columns)
    assert not any(c.endswith("loan_id") for c in Z.columns), "ids must not become features"


def test_regression_pipeline_and_cv_score():
    cfg, spec, X, y = _user("houses.csv", "price")
    assert spec.task == "regression"
    from sklearn.pipeline import Pipeline
    pipe = Pipeline([("fp", F.make_feature_pipeline(spec, X, "all", verbose=False)), ("m", F.fast_model("regression"))])
    m, s = F.cv_score(pipe, X, y, spec, n_splits=3)
    assert m > 0 and s >= 0  # rmse reported as a positive number


def test_families_are_cloneable_sklearn_estimators():
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import check_no_attributes_set_in_init, check_get_params_invariance
    for name in F.FEATURE_FAMILIES:
        t = F.family_transformer(name)
        check_no_attributes_set_in_init(type(t).__name__, t); check_get_params_invariance(type(t).__name__, t)
        assert clone(t).get_params() == t.get_params()


def test_absent_columns_are_named():
    X = pd.DataFrame({"minutes_last_30d": [1.0, 2.0], "sessions_30d": [1, 2]})
    with pytest.raises(ValueError, match="minutes_last30d"): F.require_columns(X, ["minutes_last30d"])
    with pytest.raises(ValueError, match="'nope'"): F.TextFeatures(columns=["nope"]).fit(X)
    with pytest.raises(ValueError, match="'zz'"): S.SelectColumns(["zz"]).fit(X)
    fitted = F.LogFeatures(columns=["sessions_30d"]).fit(X)
    with pytest.raises(ValueError, match="sessions_30d"): fitted.transform(X.drop(columns=["sessions_30d"]))
    with pytest.raises(ValueError, match="unknown feature family"): F.make_feature_pipeline(None, X, ["ratio"])


def test_single_class_and_too_few_rows():
    X = pd.DataFrame({"a": np.arange(20.0)})
    with pytest.raises(ValueError, match="single class"): F.check_cv_inputs(X, pd.Series([1] * 20, name="t"), "binary", 5)
    with pytest.raises(ValueError, match="too few"): F.check_cv_inputs(X.head(6), pd.Series([0, 1] * 3), "binary", 5)
    with pytest.raises(ValueError, match="fewer than the 5 folds"): F.check_cv_inputs(X, pd.Series([1] * 17 + [0] * 3), "binary", 5)


def test_window_aggregates_point_in_time():
    ev = pd.DataFrame({"customer_id": ["a", "a", "b"], "minutes": [10.0, 20.0, 99.0],
                       "date": pd.to_datetime(["2025-06-30", "2025-06-01", "2025-07-02"])})
    ok = F.window_aggregates(ev, "2025-06-30", (7, 30), aggs=("sum",))
    assert ok.loc["a", "minutes_sum_30d"] == 30 and ok.loc["b", "events_30d"] == 0
    leak = F.window_aggregates(ev, "2025-06-30", (7,), aggs=("sum",), point_in_time=False)
    assert leak.loc["b", "minutes_sum_7d"] == 99


def test_target_encoding_is_cross_fitted():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"code": rng.integers(0, 100, 400).astype(str)})
    y = pd.Series(rng.integers(0, 2, 400))
    from sklearn.metrics import roc_auc_score
    te = F.TargetEncodingFeatures(columns=["code"], crosses=None, min_levels=2, target_type="binary")
    assert abs(roc_auc_score(y, te.fit_transform(X, y)["te_code"]) - 0.5) < 0.1
    assert roc_auc_score(y, te.fit(X, y).transform(X)["te_code"]) > 0.7  # the leak the cross-fitting avoids


def test_selection_helpers(tmp_path):
    bias = S.selection_bias_demo(n_rows=120, n_features=300, k=10, n_splits=3)
    assert bias.iloc[0, 0] > bias.iloc[1, 0] + 0.1
    Z = pd.DataFrame({"a": np.arange(10.0), "a2": np.arange(10.0) * 2 + 1, "b": np.sin(np.arange(10.0))})
    cf = S.CorrelationFilter(0.8).fit(Z)
    assert len(cf.get_feature_names_out()) == 2
    cfg = resolve_params(run_dir=None)
    assert S.load_selected_features(cfg) is None and S.make_selector(cfg) == "passthrough"
    cfg = resolve_params(run_dir=str(tmp_path))
    S.save_selection(cfg, ["num__a"], 1, "f_classif")
    assert S.load_selected_features(cfg) == ["num__a"] and S.make_selector(cfg).k == 1
    assert json.loads((tmp_path / "selected_features.json").read_text())["k"] == 1


def test_pipeline_saves_and_loads_with_skops(tmp_path):
    from sklearn.pipeline import Pipeline
    from ml_lifecycle.model_io import save_model, load_model
    cfg, spec, X, y = _user("loans.csv", "default")
    pipe = Pipeline([("fp", F.make_feature_pipeline(spec, X, "all", verbose=False)), ("m", F.fast_model(spec.task))]).fit(X, y)
    p = save_model(pipe, tmp_path / "m.skops", meta={})
    back, _ = load_model(p)
    np.testing.assert_allclose(back.predict_proba(X.head(5)), pipe.predict_proba(X.head(5)))


def test_dated_families_save_with_skops(tmp_path):
    "TenureFeatures and DatePartFeatures learn dates: the fitted pipeline must still round-trip through skops."
    from sklearn.pipeline import Pipeline
    from ml_lifecycle.model_io import save_model, load_model
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"signup_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 500, 60), unit="D"),
                      "snapshot_date": pd.Timestamp("2025-06-30"), "x": rng.normal(size=60)})
    y = pd.Series(rng.integers(0, 2, 60))
    pipe = Pipeline([("fp", F.make_feature_pipeline(None, X, ["tenure", "dates"], verbose=False)), ("m", F.fast_model("binary"))]).fit(X, y)
    back, _ = load_model(save_model(pipe, tmp_path / "d.skops", meta={}))
    np.testing.assert_allclose(back.predict_proba(X.head(3)), pipe.predict_proba(X.head(3)))
    assert back.predict_proba(X.head(3).assign(snapshot_date=pd.NaT)).shape == (3, 2)  # missing 'now': the one learned at fit
    with pytest.raises(ValueError, match="snapshot_date"): back.predict_proba(X.head(3).drop(columns=["snapshot_date"]))


def test_feature_internals_reexported_and_fast_path_still_fires():
    "The plumbing moved to feature_internals (notebook 89) stays importable from features; the families stay in features, so fastpaths.fast_new still answers for them."
    from ml_lifecycle import feature_internals as FI, fastpaths
    for n in ("AddFeatures", "Preprocessor", "FEATURE_FAMILIES", "DEFAULT_FAMILIES", "family_transformer", "family_overview",
              "save_features", "load_feature_families", "free_text_columns"):
        assert getattr(F, n) is getattr(FI, n) and n in F.__all__, n
    X = pd.DataFrame({"minutes_last_30d": [120.0, 0.0, 5.0], "minutes_prev_30d": [100.0, 80.0, None], "sessions_30d": [10, 0, 2],
                      "avg_invoice_3m": [9.0, 15.0, 20.0]})
    for fam in ("ratios", "trends", "logs"):
        t = F.family_transformer(fam).fit(X)
        assert isinstance(t, F.AddFeatures) and type(t).__module__ == "ml_lifecycle.features"
        fast = fastpaths.fast_new(t, X)
        assert fast is not None, f"{fam}: the numpy path of notebook 82 no longer fires"
        pd.testing.assert_frame_equal(fast, t._new(X), check_exact=True)


def test_model_naming_the_old_preprocessor_path_still_loads():
    "A model saved before the move names `ml_lifecycle.features.Preprocessor`: the re-export keeps it loadable."
    import io, zipfile
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    cfg, spec, X, y = _user("loans.csv", "default")
    pipe = Pipeline([("fp", F.make_feature_pipeline(spec, X, ["logs"], verbose=False)), ("m", F.fast_model(spec.task))]).fit(X, y)
    src, out = zipfile.ZipFile(io.BytesIO(sio.dumps(pipe))), io.BytesIO()
    assert b'"ml_lifecycle.feature_internals"' in src.read("schema.json")  # today's files name the new module
    with zipfile.ZipFile(out, "w") as z:
        for n in src.namelist():
            b = src.read(n)
            z.writestr(n, b.replace(b'"ml_lifecycle.feature_internals"', b'"ml_lifecycle.features"') if n == "schema.json" else b)
    old = out.getvalue()
    assert b"ml_lifecycle.feature_internals" not in zipfile.ZipFile(io.BytesIO(old)).read("schema.json")
    back = sio.loads(old, trusted=sio.get_untrusted_types(data=old))
    np.testing.assert_allclose(back.predict_proba(X.head(5)), pipe.predict_proba(X.head(5)))

def test_target_encoding_with_nothing_to_encode_adds_nothing():
    "A fold where no column qualifies (too few or too many levels) adds no column instead of crashing scikit-learn's encoder."
    import numpy as np, pandas as pd
    from ml_lifecycle.features import TargetEncodingFeatures
    X = pd.DataFrame({"id_like": [f"r{i}" for i in range(60)], "n": np.arange(60.0)})  # every level unique: above max_share
    y = pd.Series(np.arange(60) % 3)
    te = TargetEncodingFeatures(target_type="multiclass")
    pd.testing.assert_frame_equal(te.fit_transform(X, y), X)
    assert te.new_features_ == [] and te.fit(X, y).transform(X).shape == X.shape
