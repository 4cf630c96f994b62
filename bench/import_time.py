"""Time `import ml_lifecycle` and each of its modules in fresh interpreters (goal: well under 0.5 s).

    python bench/import_time.py [--repeat 5]

Prints a table and writes bench/results/import_time.json.
"""
import argparse, json, pkgutil, statistics, subprocess, sys, time
from pathlib import Path

def time_import(module, repeat):
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) for _ in range(repeat)]
    return statistics.median(runs)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="fresh interpreters per module (median reported)")
    a = ap.parse_args()
    import ml_lifecycle
    mods = ["ml_lifecycle"] + [f"ml_lifecycle.{m.name}" for m in pkgutil.iter_modules(ml_lifecycle.__path__) if not m.name.startswith("_")]
    res = {m: round(time_import(m, a.repeat), 4) for m in mods}
    for m, t in res.items(): print(f"{m:<32} {t*1000:8.1f} ms")
    out = Path(__file__).parent / "results" / "import_time.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(dict(python=sys.version.split()[0], median_s=res, repeat=a.repeat), indent=2))
    print(f"wrote {out}")

if __name__ == "__main__":
    main()
