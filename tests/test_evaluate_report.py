"Bad inputs to evaluation and reporting give clear errors that name what is missing."
import json, warnings
from types import SimpleNamespace
import numpy as np, pandas as pd
import pytest

from ml_lifecycle import evaluate as ev
from ml_lifecycle.problem import ProblemSpec, Costs
from ml_lifecycle.report import build_report


def spec(costs=True, **kw):
    return ProblemSpec(task="binary", target="y", metric="roc_auc", positive_label=1, capacity=0.3,
                       costs=Costs(20.0, 300.0, 0.3) if costs else None,
                       acceptance_bar={"metric": "roc_auc", "min": 0.6, "must_beat_baseline": True}, **kw)


Y = np.array([0, 1] * 50)
P = np.linspace(0.01, 0.99, 100)


def test_predictions_with_nan():
    p = P.copy(); p[7] = np.nan
    with pytest.raises(ValueError, match=r"NaN in 1 row\(s\) \(first at position 7\)"):
        ev.compute_metrics("binary", Y, p)
    with pytest.raises(ValueError, match="NaN"):
        ev.bootstrap_ci("binary", Y, p, n_boot=5)


def test_labels_with_one_class():
    with pytest.raises(ValueError, match="one class"):
        ev.compute_metrics("binary", np.ones(10), np.linspace(0, 1, 10))
    with pytest.raises(ValueError, match="one class"):
        ev.check_predictions(["a"] * 5, np.zeros(5), "multiclass")


def test_length_and_missing_labels():
    with pytest.raises(ValueError, match="rows"):
        ev.compute_metrics("binary", Y, P[:-1])
    with pytest.raises(ValueError, match="missing label"):
        ev.as_binary(pd.Series([1, None, 0]))


def test_spec_without_costs():
    s = spec(costs=False)
    with pytest.raises(ValueError, match="'costs' is None"):
        ev.threshold_sweep(Y, P, s)
    with pytest.raises(ValueError, match="'costs' is None"):
        ev.online_test_plan(s, 0.4, 10_000)
    with pytest.raises(ValueError, match="'costs' is None"):
        ev.profit_ci(Y, P > 0.5, s)
    ch = ev.choose_threshold(Y, P, s)  # falls back, and says so
    assert "no costs" in ch["rule"] and 0 < ch["threshold"] < 1


def test_positive_label_not_in_classes():
    model = SimpleNamespace(classes_=np.array(["no", "yes"]), predict_proba=lambda X: np.tile([0.3, 0.7], (len(X), 1)))
    s = spec(); s.positive_label = "maybe"
    with pytest.raises(ValueError, match="positive_label 'maybe' is not among the model's classes"):
        ev.predict_scores(model, pd.DataFrame({"a": [1, 2]}), s)


def test_decision_gate(tmp_path):
    with pytest.raises(FileNotFoundError, match="decision.json does not exist: run stage 09"):
        ev.require_go(tmp_path)
    with pytest.raises(ValueError, match="run_dir is None"):
        ev.require_go(None)
    ci = pd.DataFrame({"value": [0.55], "low": [0.5], "high": [0.6]}, index=["roc_auc"])
    d = ev.decide(spec(), ci, baseline_value=0.5)
    assert d["decision"] == "no-go" and any("FAILED" in r for r in d["reasons"])
    ev.save_evaluation(SimpleNamespace(path=lambda n: tmp_path / n), {"test": {}}, d)
    with pytest.raises(ev.NoGoError, match="failed the acceptance bar"):
        ev.require_go(tmp_path)
    with pytest.warns(UserWarning, match="FORCED"):
        assert ev.require_go(tmp_path, force=True)["decision"] == "no-go"
    assert ev.load_decision(SimpleNamespace(run_dir=tmp_path))["decision"] == "no-go"
    assert ev.load_decision(SimpleNamespace(run_dir=None)) is None


def test_decide_unknown_metric():
    ci = pd.DataFrame({"value": [0.9]}, index=["roc_auc"])
    s = spec(); s.acceptance_bar = {"metric": "average_precision", "min": 0.1}
    with pytest.raises(ValueError, match="'average_precision' is not among the test metrics"):
        ev.decide(s, ci, None)


def test_run_folder_without_model(tmp_path):
    "A run folder with metrics but no model: the report names the missing model; the gate names the missing decision."
    (tmp_path / "metrics.json").write_text(json.dumps({"task": "binary", "metric": "roc_auc", "test": {}}))
    page = build_report(tmp_path).read_text()
    assert "Not available in this run: model.skops (written by stage 08)" in page
    assert "Not available in this run: model_meta.json" in page
    with pytest.raises(FileNotFoundError, match="decision.json"):
        ev.require_go(tmp_path)


def test_perturb_and_sample_size_arguments():
    with pytest.raises(ValueError, match="kind='blur'"):
        ev.perturb(pd.DataFrame({"a": [1.0]}), "blur", 0.1)
    with pytest.raises(ValueError, match="p_control=1.2"):
        ev.ab_sample_size(1.2, 0.5)


def test_regression_and_multiclass_metrics():
    m = ev.compute_metrics("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    assert m["rmse"] == pytest.approx(np.sqrt(1 / 3)) and m["mae"] == pytest.approx(1 / 3)
    proba = pd.DataFrame({"a": [0.8, 0.1, 0.2], "b": [0.1, 0.8, 0.2], "c": [0.1, 0.1, 0.6]})
    mm = ev.compute_metrics("multiclass", ["a", "b", "c"], proba)
    assert mm["accuracy"] == 1.0 and mm["f1_macro"] == 1.0
    ci = ev.bootstrap_ci("regression", np.arange(50.0), np.arange(50.0) + 1, n_boot=20)
    assert ci.loc["mae", "value"] == pytest.approx(1.0)


def test_string_labels_in_scorer_and_learning_curve():
    "A positive class written as text ('yes') works in the scorer, the learning curve and permutation importance."
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = pd.Series(np.where(X.a + rng.normal(scale=0.5, size=200) > 0, "yes", "no"))
    s = spec(); s.positive_label = "yes"
    m = LogisticRegression().fit(X, y)
    assert ev.scorer_for(s)(m, X, y) > 0.8
    lc = ev.learning_curve_frame(m, X, y, s, sizes=(0.5, 1.0), cv=2)
    assert len(lc) == 2 and (lc.valid > 0.7).all()
    imp = ev.permutation_frame(m, X, y, s, n_repeats=2)
    assert imp.index[0] == "a"
