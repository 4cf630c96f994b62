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


# --- the decision of stage 09 (issue 16): capacity, an honest baseline, interval-aware go / no-go -------------------

def _one_column_world(n=600, seed=0, spread=False):
    "A table where `signal` carries all the information about y (or, with spread=True, `signal` and `other` share it)."
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"signal": rng.normal(size=n), "other": rng.normal(size=n), "noise": rng.normal(size=n),
                      "plan": rng.choice(["a", "b", "c"], n), "id": np.arange(n)})
    z = 2.0 * X.signal + (2.0 * X.other if spread else 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y


def _judge(X, y, seed=0):
    "Fit a model on the first 70 % of rows, the single-feature baseline on the same rows only, and decide on the rest."
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    s = spec(costs=False, id_columns=["id"]); s.capacity = 1.0
    cut = int(0.7 * len(y)); Xtr, ytr, Xte, yte = X.iloc[:cut], y[:cut], X.iloc[cut:], y[cut:]
    model = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["plan"]), ("passthrough", ["signal", "other", "noise"])),
                          LogisticRegression()).fit(Xtr, ytr)
    rule = ev.fit_single_feature_rule(Xtr, ytr, s)
    p, b = model.predict_proba(Xte)[:, 1], ev.single_feature_scores(rule, Xte)
    cmp = ev.paired_difference(lambda yy, ss: ev.compute_metrics("binary", yy, ss)["roc_auc"], yte, p, b, n_boot=300, seed=seed)
    ci = ev.bootstrap_ci("binary", yte, p, n_boot=50)
    verdict = ev.decide(s, ci, cmp["baseline"]["value"], difference=dict(cmp["difference"], metric="roc_auc"))
    return rule, cmp, verdict, ev.decision_record(s, verdict, cmp, "roc_auc", dict(name=rule["name"], description=rule["description"]),
                                                  choice=ev.choose_threshold(yte, p, s), test_contact_rate=float((p >= 0.5).mean()))


def test_no_go_when_one_raw_column_carries_all_the_signal():
    "The naive baseline (best single column, chosen on training rows) matches the model: no-go, and the reason says why."
    rule, cmp, verdict, rec = _judge(*_one_column_world())
    assert rule["column"] == "signal" and rule["sign"] == 1.0
    assert cmp["model"]["value"] > 0.75                                   # the model itself is good …
    assert cmp["difference"]["low"] <= 0 < cmp["difference"]["high"] + 1e-9  # … but not clearly better than one column
    assert verdict["decision"] == "no-go" and rec["go"] is False
    assert any("not clearly better" in r and "FAILED" in r for r in rec["reasons"]), rec["reasons"]
    assert rec["baseline"]["name"] == "single-feature rule: signal" and rec["baseline"]["metric"] == "roc_auc"


def test_go_when_the_model_adds_to_the_best_column():
    "Two columns share the signal: the model clearly beats the best single column (the same code can say go)."
    rule, cmp, verdict, rec = _judge(*_one_column_world(spread=True))
    assert cmp["difference"]["low"] > 0 and verdict["decision"] == "go" and rec["go"] is True


def test_threshold_respects_the_capacity():
    "The profit-optimal threshold contacts too many: it is raised to the capacity threshold, rounded up to 4 dp."
    rng = np.random.default_rng(1); n = 2000
    p = rng.beta(2, 5, n); y = (rng.random(n) < p).astype(int)
    s = spec(); s.capacity = 0.2
    ch = ev.choose_threshold(y, p, s)
    assert ch["capacity_binds"] and ch["unconstrained"] < ch["threshold"]
    assert 0.2 - 2 / n <= ch["valid_contacted_share"] <= 0.2 and (p >= ch["threshold"]).mean() == ch["valid_contacted_share"]
    assert ch["threshold"] == round(ch["threshold"], 4) and ch["threshold"] >= ev.capacity_threshold(p, 0.2)
    s.capacity = 1.0
    assert not ev.choose_threshold(y, p, s)["capacity_binds"]


def test_stage_09_on_a_user_csv_says_no_go_against_one_column(tmp_path):
    "Stage 09 through the CLI on a generated user CSV where one raw column carries all the signal: the decision object says no-go, and why."
    import os, subprocess, sys
    from pathlib import Path
    X, y = _one_column_world(n=500, seed=3)
    X.drop(columns=["id"]).assign(customer_id=[f"c{i}" for i in range(len(y))], left=y).to_csv(tmp_path / "gen.csv", index=False)
    exe = Path(sys.executable).parent / "ml-lifecycle"
    r = subprocess.run([str(exe), "run", "--fast", "--data", str(tmp_path / "gen.csv"), "--target", "left", "--stages", "09",
                        "--run-dir", str(tmp_path / "run")], capture_output=True, text=True, timeout=900, env={**os.environ, "ML_LIFECYCLE_FAST": "true"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    d = ev.load_decision(tmp_path / "run")
    assert d["baseline"]["name"] == "single-feature rule: signal" and d["rule"] == "threshold" and d["capacity"] is None
    assert d["go"] is False and d["decision"] == "no-go" and d["difference"]["low"] <= 0
    assert any("not clearly better" in s for s in d["reasons"]), d["reasons"]
    assert ev.load_decision(tmp_path / "run" / "model.skops")["go"] is False  # the model carries its verdict
