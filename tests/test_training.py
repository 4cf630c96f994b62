"ml_lifecycle.candidates and ml_lifecycle.train: reproducibility, bad inputs, user CSVs (fast budgets)."
import json
from types import SimpleNamespace
import numpy as np, pandas as pd, pytest
from conftest import FIXTURES
from ml_lifecycle.config import resolve_params
from ml_lifecycle.candidates import make_cv, make_estimator, split_xy
from ml_lifecycle.train import build_model, fit_final, load_trained, run_search

def _cfg(tmp_path=None, **kw):
    return resolve_params(fast=True, run_dir=tmp_path, **kw)

@pytest.fixture(scope="module")
def loans():
    from ml_lifecycle.problem import load_spec
    from ml_lifecycle.clean import load_splits
    cfg = resolve_params(data=str(FIXTURES / "loans.csv"), target="default", fast=True)
    spec = load_spec(cfg); return cfg, spec, load_splits(cfg, spec)

def test_same_seed_same_metrics(loans):
    cfg, spec, sp = loans
    _, m1 = fit_final(cfg, spec, sp)
    _, m2 = fit_final(cfg, spec, sp)
    assert m1["metrics"] == m2["metrics"] and m1["params"] == m2["params"]

def test_user_csv_labels_and_saved_model(loans, tmp_path):
    cfg, spec, sp = loans
    cfg = resolve_params(data=str(FIXTURES / "loans.csv"), target="default", fast=True, run_dir=tmp_path)
    pipe, meta = fit_final(cfg, spec, sp)
    assert set(pipe.predict(split_xy(sp.test, spec)[0])) <= set(sp.train["default"])  # original labels, not codes
    assert (tmp_path / "model.skops").exists() and (tmp_path / "experiments.jsonl").exists()
    again, meta2 = load_trained(cfg)
    assert meta2["model_sha256"] and [c["name"] for c in meta2["schema"]] == [c["name"] for c in meta["schema"]]
    X = split_xy(sp.valid, spec)[0]
    np.testing.assert_allclose(again.predict_proba(X), pipe.predict_proba(X))

def test_regression_csv(tmp_path):
    cfg = resolve_params(data=str(FIXTURES / "houses.csv"), target="price", fast=True)
    pipe, meta = fit_final(cfg)
    assert meta["task"] == "regression" and meta["metrics"]["valid"]["rmse"] > 0

def test_final_forest_capped_rows_and_saved_for_one_thread(loans, monkeypatch):
    "Beyond FOREST_ROWS training rows a final random forest grows each tree on that many bootstrap rows; fitted on the run's threads, saved for one."
    import ml_lifecycle.train as train
    cfg, spec, sp = loans
    cap = len(sp.train) // 2
    monkeypatch.setattr(train, "FOREST_ROWS", cap)
    full = resolve_params(data=str(FIXTURES / "loans.csv"), target="default", fast=False)  # full mode: two threads for the fit
    seen = {}
    from sklearn.ensemble import RandomForestClassifier
    orig = RandomForestClassifier.fit
    def spy(self, X, y, **kw): seen["n_jobs"] = self.n_jobs; return orig(self, X, y, **kw)
    monkeypatch.setattr(RandomForestClassifier, "fit", spy)
    pipe, meta = fit_final(full, spec, sp, "random_forest", {"n_estimators": 20}, save=False)
    rf = pipe.steps[-1][1]
    assert meta["params"]["max_samples"] == cap and rf.max_samples == cap
    assert seen["n_jobs"] == min(2, __import__("os").cpu_count() or 1) and rf.n_jobs == 1
    _, small = fit_final(cfg, spec, sp, "random_forest", {"n_estimators": 20}, save=False)  # fast mode: one thread
    assert seen["n_jobs"] == 1
    monkeypatch.setattr(train, "FOREST_ROWS", len(sp.train) + 1)
    _, uncapped = fit_final(cfg, spec, sp, "random_forest", {"n_estimators": 20}, save=False)
    assert "max_samples" not in uncapped["params"]

def test_unknown_model_name(loans):
    _, spec, sp = loans
    with pytest.raises(ValueError, match="expected one of .*xgboost"): build_model(spec, sp.train, "xgbost")

def test_unknown_parameter_named_with_valid_ones(loans):
    _, spec, sp = loans
    X, y = split_xy(sp.train, spec)
    with pytest.raises(ValueError, match=r"\['max_dept'\].*valid parameters: .*max_depth"): build_model(spec, X, "xgboost", {"max_dept": 3})
    with pytest.raises(ValueError, match="max_dept"): run_search(build_model(spec, X), {"max_dept": ("int", 2, 5)}, X, y, spec)

def test_single_class_and_too_few_rows():
    spec = SimpleNamespace(task="binary", target="t", time_column=None)
    with pytest.raises(ValueError, match="single class"): make_cv(spec, [1] * 40, 5)
    with pytest.raises(ValueError, match="too few rows"): make_cv(spec, [0, 1] * 3, 5)
    with pytest.raises(ValueError, match="too few rows"): make_cv(spec, [0] * 30 + [1] * 2, 5)

def test_single_class_target_in_fit_final(loans, tmp_path):
    from ml_lifecycle.clean import Splits
    cfg, spec, sp = loans
    one = Splits(*(s.assign(default="no") for s in sp))
    with pytest.raises(ValueError, match="single class"): fit_final(cfg, spec, one)

def test_search_time_budget_and_same_result_as_sklearn(loans):
    "A time budget stops the search after the first candidate; without one, random search finds what RandomizedSearchCV finds."
    from sklearn.model_selection import RandomizedSearchCV
    from ml_lifecycle.candidates import scorer
    from ml_lifecycle.train import SPACES, _dists
    _, spec, sp = loans
    X, y = split_xy(sp.train, spec)
    pipe = build_model(spec, X, "logistic")
    cut = run_search(pipe, SPACES["logistic"], X, y, spec, "random", budget=4, n_splits=2, seed=1, seconds=0)
    assert (cut["timed_out"], cut["n_fits"]) == (True, 2)
    full = run_search(pipe, SPACES["logistic"], X, y, spec, "random", budget=4, n_splits=2, seed=1)
    ref = RandomizedSearchCV(pipe, {"model__" + k: v for k, v in _dists(SPACES["logistic"], 1).items()}, n_iter=4,
                             cv=make_cv(spec, y, 2, 1), scoring=scorer(spec.metric, spec), random_state=1, refit=False).fit(X, y)
    assert not full["timed_out"] and full["n_fits"] == 8
    assert full["best_params"]["C"] == pytest.approx(ref.best_params_["model__C"])
    assert full["best_score"] == pytest.approx(ref.best_score_) and full["best_std"] >= 0

def test_plain_recipe_fit_and_verdict_regression(tmp_path):
    "The plain recipe on a regression CSV: lesson 03's preprocessor then the model; rmse: lower wins; the run's verdict picks the recipe."
    from ml_lifecycle.candidate_internals import plain_recipe_verdict, save_plain_recipe
    cfg = resolve_params(data=str(FIXTURES / "houses.csv"), target="price", fast=True, run_dir=tmp_path)
    pipe, meta = fit_final(cfg, recipe="plain", save=False)
    assert [n for n, _ in pipe.steps] == ["preprocess", "model"] and meta["recipe"] == "plain"
    assert not (tmp_path / "model.skops").exists()  # save=False
    eng, plain = dict(score=meta["metrics"]["valid"]["rmse"] + 1, std=1.0), dict(score=meta["metrics"]["valid"]["rmse"], std=1.0)
    v = plain_recipe_verdict("rmse", eng, plain)
    assert (v["winner"], v["margin"]) == ("plain", pytest.approx(1.0))
    save_plain_recipe(cfg, v)
    _, again = load_trained(cfg)  # no model.skops: fits the run's verdict, the plain recipe
    assert again["recipe"] == "plain" and (tmp_path / "model.skops").exists()

def test_plain_recipe_ships_through_stages_08_to_10(cli, tmp_path):
    "Forced to win, the plain pipeline is what stage 08 saves, and evaluation and deployment run on it (400 generated rows)."
    from ml_lifecycle.model_io import load_model
    rng = np.random.default_rng(0); n = 400
    t = pd.DataFrame({"id": [f"R{i:04d}" for i in range(n)], "x1": rng.normal(size=n), "x2": rng.gamma(2.0, 50.0, size=n),
                      "plan": rng.choice(["basic", "plus", "pro"], size=n)})
    t["bought"] = np.where(t.x1 + (t.plan == "pro") + rng.normal(scale=0.7, size=n) > 0.8, "yes", "no")
    t.to_csv(tmp_path / "t.csv", index=False)
    rd = tmp_path / "run"
    r = cli("run", "--fast", "--data", tmp_path / "t.csv", "--target", "bought", "--stages", "08,09,10", "--run-dir", rd,
            env={"ML_LIFECYCLE_FORCE_RECIPE": "plain"}, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    v = json.loads((rd / "model_choice.json").read_text())["plain_recipe"]
    assert {"winner", "metric", "engineered", "plain", "margin"} <= set(v) and v["winner"] == "plain" and v["forced"]
    assert set(v["engineered"]) == set(v["plain"]) == {"score", "std"} and v["margin"] >= 0
    pipe, meta = load_model(rd / "model.skops")
    assert meta["recipe"] == "plain" and [n for n, _ in pipe.steps] == ["preprocess", "model"]
    assert json.loads((rd / "best_params.json").read_text())["recipe"] == "plain"
    assert (rd / "metrics.json").exists() and (rd / "notebooks" / "10_deployment.ipynb").exists()
