"""Does the final model of lesson 08 reach the Bayes AUC? Test ROC-AUC of `train.fit_final` against the Bayes AUC of
the true churn probabilities on the same test customers, a default XGBoost on raw one-hot features and logistic
regression (on the raw one-hot front and on lesson 05's features), with fit times.

    python bench/training.py [--fast]

Prints a table and writes bench/results/training.json. Timings depend on the machine's load: compare ratios.
"""
import argparse, json, os, sys, time, warnings
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fast", action="store_true", help="fast budgets (as in tests)")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    from sklearn.metrics import roc_auc_score
    from imblearn.pipeline import Pipeline
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.problem import load_spec
    from ml_lifecycle.clean import load_splits, make_preprocessor
    from ml_lifecycle.collect import pseudonymise
    from ml_lifecycle.datasets import load_truth, bayes_metrics
    from ml_lifecycle.candidates import make_estimator, split_xy
    from ml_lifecycle.train import build_model, fit_final, one_thread, ExperimentLog
    cfg = resolve_params(fast=a.fast)
    t0 = time.perf_counter(); spec = load_spec(cfg); sp = load_splits(cfg, spec); load_s = time.perf_counter() - t0
    X, y = split_xy(sp.train, spec); Xt, yt = split_xy(sp.test, spec)
    truth = load_truth(); truth = truth.assign(key=pseudonymise(truth.customer_id).astype(str))
    ids = truth.loc[truth.key.isin(sp.test[spec.id_columns[0]].astype(str)), "customer_id"]
    bayes = bayes_metrics(truth, ids)
    res = dict(fast=a.fast, n_train=len(X), n_test=len(Xt), n_test_matched_truth=int(len(ids)), bayes_auc=bayes["auc"], load_s=load_s, models={})
    def record(name, pipe, fit_s):
        auc = float(roc_auc_score(yt, pipe.predict_proba(Xt)[:, 1]))
        res["models"][name] = dict(test_auc=auc, fit_s=round(fit_s, 2)); print(f"{name:<34} test AUC {auc:.4f}  fit {fit_s:6.1f} s", flush=True)
    t = time.perf_counter(); final, meta = fit_final(cfg, spec, sp, log=ExperimentLog()); record(f"final ({meta['model_name']})", final, time.perf_counter() - t)
    import xgboost as xgb
    raw = Pipeline([("onehot", make_preprocessor(spec, X)), ("model", xgb.XGBClassifier(n_jobs=1, random_state=cfg.seed))])
    with one_thread(): t = time.perf_counter(); raw.fit(X, y); record("default XGBoost, raw one-hot", raw, time.perf_counter() - t)
    lr = Pipeline([("onehot", make_preprocessor(spec, X)), ("model", make_estimator("logistic", spec.task, cfg.seed))])
    with one_thread(): t = time.perf_counter(); lr.fit(X, y); record("logistic regression, raw one-hot", lr, time.perf_counter() - t)
    lf = build_model(spec, X, "logistic", cfg=cfg)
    with one_thread(): t = time.perf_counter(); lf.fit(X, y); record("logistic regression, lesson-05 features", lf, time.perf_counter() - t)
    fa = res["models"][f"final ({meta['model_name']})"]["test_auc"]
    res["final_gap_to_bayes"] = bayes["auc"] - fa
    res["final_beats_others"] = all(fa > v["test_auc"] for k, v in res["models"].items() if not k.startswith("final"))
    print(f"Bayes AUC on the same test customers: {bayes['auc']:.4f}; gap of the final model: {res['final_gap_to_bayes']:.4f}")
    out = Path(__file__).parent / "results" / "training.json"; out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2)); print(f"wrote {out}")

if __name__ == "__main__":
    main()
