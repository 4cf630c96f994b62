"""Monitoring (ml_lifecycle.monitor): each injected drift kind is detected and a no-drift month is not; the
registry never loses versions; bad inputs give clear errors."""
import json
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from conftest import FIXTURES
from ml_lifecycle import monitor as M

KINDS = ("none", "covariate", "prior", "concept")

@pytest.fixture(scope="module")
def world():
    "Lesson 08's model (fast), the training split as reference, and one generated month per drift kind."
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.problem import load_spec
    from ml_lifecycle.clean import load_splits, clean_table
    from ml_lifecycle.train import load_trained
    from ml_lifecycle.datasets import make_churn
    from ml_lifecycle.collect import assemble_churn
    cfg = resolve_params(fast=True); spec = load_spec(cfg); sp = load_splits(cfg, spec)
    pipe, meta = load_trained(cfg)
    months = {k: clean_table(assemble_churn(make_churn(1500, seed=cfg.seed + 1, drift=k, month=4))[0], spec) for k in KINDS}
    return dict(spec=spec, sp=sp, pipe=pipe, months=months)


def summary(world, kind):
    spec, sp, pipe = world["spec"], world["sp"], world["pipe"]
    ref = sp.train.drop(columns=[spec.target]); b = world["months"][kind]
    cols = M.monitored_columns(ref, spec)
    fd = M.feature_drift(ref, b[ref.columns], cols)
    auc, _ = M.adversarial_validation(ref, b[ref.columns], cols, max_rows=1500)
    ref_s = pipe.predict_proba(sp.test.drop(columns=[spec.target]))[:, 1]
    s = pipe.predict_proba(b[ref.columns])[:, 1]
    perf, ref_perf = M.batch_performance(b[spec.target], s), M.batch_performance(sp.test[spec.target], ref_s)
    return dict(data_drift_share=float(fd.drift.mean()), prediction_psi=M.psi(ref_s, s), adversarial_auc=auc,
                calibration_z=perf["calibration_z"], metric_drop=ref_perf["average_precision"] - perf["average_precision"])

@pytest.mark.parametrize("kind", ["none", "covariate", "prior", "concept"])
def test_detects_each_drift_kind_and_not_none(world, kind):
    s = summary(world, kind); alerts = M.evaluate_alerts(s)
    assert M.should_retrain(alerts) == (kind != "none"), (kind, s, alerts)
    if kind == "covariate": assert s["data_drift_share"] >= 0.1 and s["adversarial_auc"] >= 0.7
    if kind in ("prior", "concept"): assert abs(s["calibration_z"]) >= 4

def test_psi_and_tests_on_synthetic():
    rng = np.random.default_rng(0)
    a, b = pd.Series(rng.normal(size=5000)), pd.Series(rng.normal(size=5000))
    assert M.psi(a, b) < 0.02 and M.psi(a, b + 1) > 0.5
    ref = pd.DataFrame({"x": a, "c": rng.choice(list("abc"), 5000)})
    cur = pd.DataFrame({"x": b + 0.5, "c": rng.choice(list("abc"), 5000, p=[.6, .2, .2])})
    fd = M.feature_drift(ref, cur).set_index("feature")
    assert fd.loc["x", "test"] == "KS" and fd.loc["c", "test"] == "chi2" and fd.drift.all()
    assert not M.feature_drift(ref, ref.sample(frac=1, random_state=1)).drift.any()

def test_missing_columns_clear_error(tmp_path):
    ref = pd.DataFrame({"a": range(50), "b": list("xy") * 25}); ref.to_csv(tmp_path / "ref.csv", index=False)
    ref.drop(columns=["b"]).to_csv(tmp_path / "cur.csv", index=False)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['b'\]"): M.monitor_files(tmp_path / "ref.csv", tmp_path / "cur.csv", tmp_path / "out")
    with pytest.raises(ValueError, match="missing column"): M.feature_drift(ref, ref.drop(columns=["a"]))
    with pytest.raises(FileNotFoundError): M.monitor_files(tmp_path / "nope.csv", tmp_path / "cur.csv", tmp_path / "out")
    assert not (tmp_path / "out").exists()

def test_monitor_files_on_user_csv(tmp_path):
    df = pd.read_csv(FIXTURES / "loans.csv")
    df.to_csv(tmp_path / "ref.csv", index=False)
    M.simulate_drift(df, "covariate", "default", strength=2, seed=1).to_csv(tmp_path / "cur.csv", index=False)
    M.simulate_drift(df, "none", "default", seed=1).to_csv(tmp_path / "same.csv", index=False)
    rep, alert = M.monitor_files(tmp_path / "ref.csv", tmp_path / "cur.csv", tmp_path / "out", target="default")
    assert alert and (tmp_path / "out" / "drift_report.html").exists() and json.loads((tmp_path / "out" / "drift_report.json").read_text())["alert"]
    rep0, alert0 = M.monitor_files(tmp_path / "ref.csv", tmp_path / "same.csv", tmp_path / "out0", target="default")
    assert not alert0, rep0["alerts"]

def _model(tmp_path, name):
    from sklearn.linear_model import LogisticRegression
    from ml_lifecycle.model_io import save_model
    return save_model(LogisticRegression().fit([[0], [1]], [0, 1]), tmp_path / f"{name}.skops", {"schema": []})

def test_registry_never_loses_versions(tmp_path):
    reg = M.ModelRegistry(tmp_path / "reg")
    v1, v2 = reg.register(_model(tmp_path, "a"), "first"), reg.register(_model(tmp_path, "b"), "second")
    assert (v1, v2) == (1, 2)
    reg.promote(v1); reg.promote(v2)
    assert reg.current()["version"] == 2 and reg.list().set_index("version").stage[1] == "archived"
    assert reg.rollback()["version"] == 1 and reg.current()["version"] == 1
    (tmp_path / "reg" / "v0003").mkdir()  # a stray folder: the next version must not reuse its number
    assert reg.register(_model(tmp_path, "c")) == 4
    assert sorted(M.registry_list(tmp_path / "reg").version) == [1, 2, 4]
    for v in (1, 2, 4): assert (tmp_path / "reg" / f"v{v:04d}" / "model.skops").exists()
    with pytest.raises(ValueError, match="not in the registry"): reg.promote(9)
    with pytest.raises(FileNotFoundError): reg.register(tmp_path / "missing.skops")
    hist = json.loads((tmp_path / "reg" / "index.json").read_text())["history"]
    assert [h["event"] for h in hist] == ["register", "register", "promote", "promote", "rollback", "register"]

def test_registry_bad_inputs(tmp_path):
    reg = M.ModelRegistry(tmp_path / "reg")
    with pytest.raises(ValueError, match="nothing to roll back"): reg.rollback()
    (tmp_path / "plain.skops").write_bytes(b"not a model")
    with pytest.raises(FileNotFoundError, match="sidecar"): reg.register(tmp_path / "plain.skops")
    (tmp_path / "reg" / "index.json").write_text("{broken")
    with pytest.raises(ValueError, match="not valid JSON"): reg.list()

def test_ab_tools():
    r = M.two_proportion_test(200, 1000, 150, 1000)
    assert r["diff"] == pytest.approx(-0.05) and r["ci_low"] < -0.05 < r["ci_high"] < 0 and r["p_value"] < 0.01
    assert not M.srm_check(9500, 500, 0.05)["mismatch"] and M.srm_check(9500, 400, 0.05)["mismatch"]
    pk = M.peeking_simulation(n_sims=300, looks=10, seed=0)
    assert pk["fixed_horizon"] < 0.1 and pk["peeking"] > 2 * pk["fixed_horizon"]
