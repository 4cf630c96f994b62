"""Time each stage of the series, in fast and/or full mode, through the real runner.

    python bench/series.py [--mode fast|full|both] [--stages 01-04] [--data CSV --target COL]

Prints each stage's time and writes bench/results/series_<mode>.json (the run folders stay under
bench/results/runs/ for inspection).
"""
import argparse, json, sys, time
from pathlib import Path

def bench(mode, stages, data, target):
    from ml_lifecycle.runner import run_series, read_manifest
    runs = Path(__file__).parent / "results" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    from ml_lifecycle.runner import new_run_dir
    rd = new_run_dir(runs, f"bench-{mode}")
    t0 = time.perf_counter()
    status = "ok"
    try: run_series(data=data, target=target, stages=stages, run_dir=rd, fast=(mode == "fast"), progress=False)
    except Exception as e: status = f"failed: {e}"
    total = time.perf_counter() - t0
    m = read_manifest(rd)
    per = {s["stage"]: s["duration_s"] for s in m["stages"]}
    return dict(mode=mode, status=status, total_s=round(total, 1), stages=per, run_dir=str(rd))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["fast", "full", "both"], default="both")
    ap.add_argument("--stages", default=None, help="stages to run, e.g. 01-04 (default all)")
    ap.add_argument("--data", default=None); ap.add_argument("--target", default=None)
    a = ap.parse_args()
    for mode in (["fast", "full"] if a.mode == "both" else [a.mode]):
        r = bench(mode, a.stages, a.data, a.target)
        print(f"== {mode}: {r['status']}, total {r['total_s']} s")
        for s, t in r["stages"].items(): print(f"  {s:<28} {t if t is not None else '-':>8} s")
        out = Path(__file__).parent / "results" / f"series_{mode}.json"
        out.write_text(json.dumps(r, indent=2))
        print(f"wrote {out}")

if __name__ == "__main__":
    main()
