"""Benchmark `make_churn`: wall time, peak memory and folder size at several sizes.

Usage: python bench/datasets.py [--sizes 10000 100000 1000000] [--chunk-size 20000] [--out bench/results/datasets.json]
Each size runs in a fresh subprocess, so peak RSS (resource.getrusage ru_maxrss) belongs to that size alone.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

def one(n: int, chunk: int) -> dict:
    "Generate `n` customers into a temporary folder and measure it (runs in the child process)."
    from ml_lifecycle.datasets import make_churn
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        out = make_churn(n_customers=n, seed=42, out=Path(tmp) / "churn", chunk_size=chunk)
        secs = time.perf_counter() - t
        sizes = {str(p.relative_to(out)): p.stat().st_size for p in out.rglob("*") if p.is_file()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return dict(n_customers=n, chunk_size=chunk, seconds=round(secs, 2), customers_per_second=round(n / secs),
                peak_rss_mib=round(peak / 1024, 1), rss_before_mib=round(rss0 / 1024, 1),
                folder_mib=round(sum(sizes.values()) / 2**20, 2), file_mib={k: round(v / 2**20, 2) for k, v in sorted(sizes.items())})

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], help="numbers of customers")
    ap.add_argument("--chunk-size", type=int, default=20_000, help="customers per chunk")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "datasets.json"), help="JSON results file")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child: print(json.dumps(one(a.child, a.chunk_size))); return
    rows = []
    for n in a.sizes:
        r = subprocess.run([sys.executable, __file__, "--child", str(n), "--chunk-size", str(a.chunk_size)],
                           capture_output=True, text=True, check=True)
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        x = rows[-1]
        print(f"{n:>9,} customers: {x['seconds']:7.1f} s  ({x['customers_per_second']:,}/s)  peak RSS {x['peak_rss_mib']:7.1f} MiB  "
              f"folder {x['folder_mib']:8.1f} MiB", flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(dict(benchmark="make_churn", results=rows), indent=1) + "\n")
    print(f"wrote {a.out}")

if __name__ == "__main__": main()
