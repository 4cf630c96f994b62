"""Hyperparameter search with the feature front cached per fold: `CachedFront` (lesson 08's `run_search`) against
scikit-learn's `memory=` (joblib's disk cache) and no cache at all, on the same rows, folds and candidates.

    python bench/search_cache.py [--fast] [--rows 600] [--budget 3] [--folds 2]

The scores must be identical (the front is fitted on the training part of each fold in all three); the times differ.
Prints a table and writes bench/results/search_cache.json. Timings depend on the machine's load: compare ratios.
"""
import argparse, json, tempfile, time, warnings
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fast", action="store_true", help="fast model budgets (as in tests)")
    ap.add_argument("--rows", type=int, default=600); ap.add_argument("--budget", type=int, default=3)
    ap.add_argument("--folds", type=int, default=2)
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    from sklearn.base import clone
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.problem import load_spec
    from ml_lifecycle.clean import load_splits
    from ml_lifecycle.candidates import split_xy, _subsample
    from ml_lifecycle import train as T
    cfg = resolve_params(fast=a.fast); spec = load_spec(cfg); sp = load_splits(cfg, spec)
    X, y = split_xy(sp.train, spec); X, y = _subsample(X, y, a.rows, cfg.seed, spec.task != "regression")
    pipe = T.build_model(spec, X, "xgboost", cfg=cfg); space = T.SPACES["xgboost"]
    cached = T._with_cached_front
    modes = {"CachedFront": cached,
             "joblib memory=": lambda p, s: clone(p).set_params(memory=tempfile.mkdtemp()),
             "no cache": lambda p, s: clone(p)}
    res = {}
    for mode, wrap in modes.items():
        T._with_cached_front = wrap
        try:
            for kind in ("grid", "random", "halving"):
                r = T.run_search(pipe, space, X, y, spec, kind, a.budget, a.folds, cfg.seed)
                res.setdefault(mode, {})[kind] = dict(best_score=r["best_score"], seconds=round(r["seconds"], 2), n_fits=r["n_fits"])
                print(f"{mode:<16} {kind:<8} best {r['best_score']:.5f}  {r['n_fits']:>3} fits  {r['seconds']:6.2f} s", flush=True)
        finally: T._with_cached_front = cached
    same = all(res[m][k]["best_score"] == res["no cache"][k]["best_score"] for m in res for k in res[m])
    tot = {m: round(sum(v["seconds"] for v in r.values()), 2) for m, r in res.items()}
    print("identical best scores:", same, "| total seconds:", tot)
    out = Path(__file__).parent / "results" / "search_cache.json"
    out.write_text(json.dumps(dict(rows=len(X), budget=a.budget, folds=a.folds, fast=a.fast, identical=same, total_s=tot, runs=res), indent=2))
    print(f"wrote {out}")

if __name__ == "__main__":
    main()
