"""Quality of the series' final model against the plain recipe and the Bayes limit, per built-in dataset.

    python bench/quality.py [--datasets churn,term_deposit,listings,spend] [--fast] [--n ROWS] [--n-boot 500]

For each dataset: runs stages 01-08 through the real runner (full mode unless --fast), then scores on the test split
(touched here only, as lesson 09 does) the shipped model and the plain recipe (raw columns -> lesson 03's
preprocessor -> gradient boosting, tuned by the same search; refitted from its logged parameters when the engineered
pipeline won), each with a percentile-bootstrap 95 % interval; the Bayes limit of the primary metric from the
generator's truth on the same test rows; and the time of stages 05-08. `--n` regenerates the task datasets at
that size (churn stays at its built-in size). Writes bench/results/quality_<mode>.json and prints a table.
Times are wall seconds on whatever machine runs it: read them as ratios.
"""
import argparse, json, sys, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"

def _data_args(name, n):
    "(data, target, task, truth path) of a built-in dataset, regenerated at n rows when asked (task datasets only)."
    from ml_lifecycle.runner import task_dataset_args
    from ml_lifecycle.task_datasets import TASK_DATASETS, task_data_dir
    if name == "churn":
        from ml_lifecycle.datasets import default_data_dir
        return "churn", "churned", None, default_data_dir("churn") / "_truth"
    folder = task_data_dir(name)
    if n:
        from ml_lifecycle import task_datasets
        folder = Path(tempfile.mkdtemp(prefix=f"quality-{name}-"))
        getattr(task_datasets, f"make_{name}")(n=n, out=folder)
    d = TASK_DATASETS[name]
    return str(folder / f"{name}.csv"), d["target"], d["task"], folder / "_truth"

def bayes_limit(name, metric, truth_dir, test):
    "The primary metric of the generator's truth on the test rows (matched by id); None where the truth gives no prediction."
    from sklearn import metrics as M
    if name == "churn":
        from ml_lifecycle.datasets import load_truth
        from ml_lifecycle.collect import pseudonymise
        t = load_truth(truth_dir.parent); t = t[t.eligible.astype(bool)]
        t = t[pseudonymise(t.customer_id.astype("string")).isin(set(test.customer_key.astype(str))).to_numpy()]
        y, p = t.label.astype(int).to_numpy(), t.true_prob.to_numpy(float)
        return dict(roc_auc=M.roc_auc_score, average_precision=M.average_precision_score).get(metric, lambda *a: None)(y, p)
    truth = pd.read_csv(next(truth_dir.glob("*.csv")))
    m = test.assign(**{truth.columns[0]: test[truth.columns[0]].astype(str)}).merge(truth, on=truth.columns[0])
    if name == "term_deposit" and metric in ("roc_auc", "average_precision"):
        y = (m.subscribed.astype(str) == "yes").astype(int)
        return (M.roc_auc_score if metric == "roc_auc" else M.average_precision_score)(y, m.true_prob)
    if name == "listings":
        f = dict(f1_macro=lambda a, b: M.f1_score(a, b, average="macro"), balanced_accuracy=M.balanced_accuracy_score, accuracy=M.accuracy_score)
        return f[metric](m.category.astype(str), m.bayes_class.astype(str)) if metric in f else None
    if name == "spend":
        f = dict(rmse=M.root_mean_squared_error, mae=M.mean_absolute_error, r2=M.r2_score)
        return f[metric](m.next_quarter_spend, m.true_mean) if metric in f else None
    return None

def test_score(pipe, spec, splits, n_boot, seed):
    "The primary metric on the test split with a percentile-bootstrap 95 % interval (lesson 09's `bootstrap_ci`)."
    from ml_lifecycle.evaluate import bootstrap_ci, predict_scores, split_xy
    from ml_lifecycle.evaluation_internals import as_binary
    X, y = split_xy(splits.test, spec)
    s = predict_scores(pipe, X, spec)
    yt = as_binary(y, spec.positive_label) if spec.task == "binary" else y.to_numpy()
    ci = bootstrap_ci(spec.task, yt, s, n_boot=n_boot, seed=seed)
    r = ci.loc[spec.metric]
    return dict(value=float(r["value"]), low=float(r["low"]), high=float(r["high"]))

def plain_pipeline(cfg, spec, splits, rd, verdict, shipped):
    "The plain recipe's fitted pipeline: the shipped one when it won, else refitted from its logged parameters."
    if verdict["winner"] == "plain": return shipped
    from ml_lifecycle.train import fit_final, ExperimentLog
    recs = [json.loads(l) for l in (rd / "experiments.jsonl").read_text().splitlines()]
    rec = [r for r in recs if r["name"].startswith("final/") and r["name"].endswith("/plain")][-1]
    name = rec["name"].split("/")[1]  # early stopping capped at the logged rounds finds the same best round: the same trees
    return fit_final(cfg, spec, splits, name, rec["params"], log=ExperimentLog(), recipe="plain", save=False)[0]

def bench(name, fast, n, n_boot):
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.runner import run_series, read_manifest, new_run_dir
    from ml_lifecycle.problem import load_spec
    from ml_lifecycle.clean import load_splits
    from ml_lifecycle.model_io import load_model
    data, target, task, truth = _data_args(name, n)
    runs = RESULTS / "runs"; runs.mkdir(parents=True, exist_ok=True)
    rd = new_run_dir(runs, f"quality-{name}-{'fast' if fast else 'full'}")
    t0 = time.perf_counter()
    run_series(data=data, target=target, task=task, stages="01-08", run_dir=rd, fast=fast, progress=False, log=lambda *a: None)
    total = time.perf_counter() - t0
    times = {s["stage"][:2]: s["duration_s"] for s in read_manifest(rd)["stages"]}
    cfg = resolve_params(data=data, target=target, task=task, fast=fast, run_dir=rd, settings=rd / "settings.ini")
    spec = load_spec(cfg); splits = load_splits(cfg, spec)
    shipped, meta = load_model(rd / "model.skops")
    verdict = json.loads((rd / "model_choice.json").read_text())["plain_recipe"]
    plain = plain_pipeline(cfg, spec, splits, rd, verdict, shipped)
    out = dict(dataset=name, rows=n or "default", mode="fast" if fast else "full", task=spec.task, metric=spec.metric,
               shipped=dict(recipe=meta.get("recipe"), model=meta.get("model_name"), test=test_score(shipped, spec, splits, n_boot, cfg.seed)),
               plain=dict(model=verdict.get("model"), test=test_score(plain, spec, splits, n_boot, cfg.seed)),
               verdict=verdict, bayes=bayes_limit(name, spec.metric, truth, splits.test),
               stage_seconds={k: times.get(k) for k in ("05", "06", "07", "08")}, total_01_08_s=round(total, 1), run_dir=str(rd))
    if out["bayes"] is not None: out["bayes"] = round(float(out["bayes"]), 4)
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="churn,term_deposit,listings,spend")
    ap.add_argument("--fast", action="store_true", help="fast mode (default: full mode)")
    ap.add_argument("--n", type=int, default=None, help="regenerate the task datasets at this many rows")
    ap.add_argument("--n-boot", type=int, default=500)
    a = ap.parse_args()
    mode = "fast" if a.fast else "full"
    path = RESULTS / f"quality_{mode}.json"
    for name in a.datasets.split(","):
        r = bench(name, a.fast, a.n, a.n_boot)
        rows = json.loads(path.read_text()) if path.exists() else {}  # read late: another run may have added a dataset
        rows[name + (f"@{a.n}" if a.n else "")] = r
        path.parent.mkdir(parents=True, exist_ok=True); path.write_text(json.dumps(rows, indent=2))
        f = lambda t: f"{t['value']:.4f} [{t['low']:.4f}, {t['high']:.4f}]"
        st = " ".join(f"{k}:{v}" for k, v in r["stage_seconds"].items())
        print(f"{name:<13} {r['metric']:<17} shipped ({r['shipped']['recipe']}) {f(r['shipped']['test'])}  plain {f(r['plain']['test'])}  "
              f"bayes {r['bayes']}  valid winner {r['verdict']['winner']} by {r['verdict']['margin']:.4f}  stages {st} s", flush=True)
    print(f"wrote {path}")

if __name__ == "__main__":
    main()
