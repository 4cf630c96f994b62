"""How the series' cost grows with the number of customers: time and peak memory per stage, at several sizes.

    python bench/scale.py [--engine pandas|dask] [--sizes 10000,100000,1000000] [--stages 01-08]
                          [--scheduler ADDRESS] [--seed 42] [--interval 0.5] [--fresh]
    python bench/scale.py --summary [--engine pandas]   # the summary of the saved JSON, no run

For each size the churn scenario is generated with `ml_lifecycle.datasets.make_churn` (cached in the kit's cache
folder, `ml_lifecycle.datasets.cache_dir()`, so a second run reuses it). The pandas engine then assembles it once into
a CSV (cached beside it, in `bench-tables/`; the assembly's own time and peak are kept in a sidecar JSON and reported
as the pseudo-stage `00_assemble`) and runs the series in fast mode on that CSV through the real runner
(`ml_lifecycle.runner.run_series`); the Dask engine gives the runner the generated folder, so stage 02 assembles it
on Dask.

Peak memory is the largest resident set (RSS) of this process's descendants (the papermill kernel of the stage, and
any Dask workers it starts), sampled every `--interval` seconds, attributed to the stage that was running; for
`00_assemble`, which runs in this process, it is this process's RSS. Results go to
bench/results/scale_<engine>.json after every stage, so an interrupted run resumes: run the same command again and
sizes already done are skipped, a size whose series stopped continues with `run_series(resume=...)` (`--fresh`
starts over). The plot bench/results/scale.png shows time vs customers per stage on log-log axes, for every engine
with results.

The summary names the stages whose time grows faster than linearly (slope of log time on log customers > 1.15) and
those whose peak memory grows with the data (slope > 0.5: not bounded; the size at which the peak would reach this
machine's memory is extrapolated). Timings on a shared machine are noisy: compare slopes and ratios, not seconds.
"""
import argparse, importlib.util, inspect, json, math, os, sys, threading, time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
SUPERLINEAR = 1.15  # slope of log time on log customers above which a stage is called super-linear
MEM_SLOPE = 0.5     # slope of log peak memory on log customers above which memory is called unbounded

def parse_sizes(text) -> list:
    "'10000,100000' or '10k,1M' -> [10000, 100000]; a clear error on anything else."
    out = []
    for part in str(text).split(","):
        s = part.strip().lower().replace("_", "")
        mult = 1
        if s.endswith("k"): mult, s = 1_000, s[:-1]
        elif s.endswith("m"): mult, s = 1_000_000, s[:-1]
        try: n = int(float(s) * mult)
        except ValueError: raise SystemExit(f"--sizes {text!r}: {part.strip()!r} is not a number of customers (e.g. 10000,100k,1M)") from None
        if n < 1000: raise SystemExit(f"--sizes {text!r}: {n} customers is too few to measure a curve (at least 1000)")
        out.append(n)
    if len(set(out)) != len(out): raise SystemExit(f"--sizes {text!r}: a size appears twice")
    return sorted(out)

# ---------------------------------------------------------------- memory sampling
class PeakRSS:
    "Sample the RSS of this process tree (`children_only`: of its descendants, the kernels) every `interval` s; `cut()` returns the peak since the last cut."
    def __init__(self, interval=0.5, children_only=False):
        import psutil
        self.proc, self.interval, self.peak, self.total_peak = psutil.Process(), interval, 0, 0
        self.children_only = children_only
        self._stop = threading.Event(); self._lock = threading.Lock()
        self._t = threading.Thread(target=self._loop, daemon=True)
    def rss(self) -> int:
        import psutil
        total = 0
        try: procs = ([] if self.children_only else [self.proc]) + self.proc.children(recursive=True)
        except psutil.Error: procs = [] if self.children_only else [self.proc]
        for p in procs:
            try: total += p.memory_info().rss
            except psutil.Error: pass
        return total
    def _loop(self):
        while not self._stop.is_set():
            r = self.rss()
            with self._lock: self.peak = max(self.peak, r); self.total_peak = max(self.total_peak, r)
            self._stop.wait(self.interval)
    def cut(self) -> float:
        "Peak MiB since the previous cut (and start a new window)."
        r = self.rss()
        with self._lock: p, self.peak = max(self.peak, r), 0
        return round(p / 2**20, 1)
    def __enter__(self): self._t.start(); return self
    def __exit__(self, *a): self._stop.set(); self._t.join(timeout=5)

# ---------------------------------------------------------------- data
GEN_WORKERS = os.cpu_count() or 1  # processes generating chunks in parallel, where make_churn can (same files for any number)

def churn_folder(n, seed=42, log=print, partitioned=False):
    "The generated churn folder of `n` customers (cached by make_churn; `partitioned`: usage as part files, for Dask)."
    from ml_lifecycle.datasets import make_churn, cache_dir
    t0 = time.perf_counter()
    kw, sig = {}, inspect.signature(make_churn).parameters
    if "partitioned" in sig: kw["partitioned"] = partitioned
    if "workers" in sig: kw["workers"] = GEN_WORKERS
    log(f"[{n:,}] generating churn (reused from {cache_dir()} when present) ...")
    folder = make_churn(int(n), seed=seed, **kw)
    log(f"[{n:,}] data ready in {time.perf_counter() - t0:.0f} s: {folder}")
    return folder

def assembled_csv(n, seed=42, interval=0.5, log=print):
    "(CSV path, {'seconds', 'peak_mib'} of the assembly): the point-in-time table of `n` customers, assembled once and cached."
    from ml_lifecycle.datasets import cache_dir
    out = cache_dir() / "bench-tables" / f"churn-n{n}-s{seed}.csv"
    side = out.with_suffix(".json")
    if out.exists() and side.exists():
        log(f"[{n:,}] reusing the assembled table {out}")
        return out, json.loads(side.read_text())
    folder = churn_folder(n, seed, log, partitioned=True)  # the same data as unpartitioned (pandas reads the part files as one table), generated once for both engines
    from ml_lifecycle.collect import assemble_churn
    log(f"[{n:,}] assembling the point-in-time table with pandas ...")
    with PeakRSS(interval) as mem:
        mem.cut(); t0 = time.perf_counter()
        t, _ = assemble_churn(folder)
        rec = dict(seconds=round(time.perf_counter() - t0, 2), peak_mib=mem.cut(), rows=len(t))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp"); t.to_csv(tmp, index=False); tmp.replace(out)
    side.write_text(json.dumps(rec))
    log(f"[{n:,}] assembled {rec['rows']:,} rows in {rec['seconds']} s, peak {rec['peak_mib']} MiB -> {out}")
    return out, rec

# ---------------------------------------------------------------- one size
def run_size(n, engine="pandas", stages="01-08", scheduler=None, seed=42, interval=0.5, prior=None, save=lambda r: None, log=print):
    "Run the series at `n` customers; returns the size's record (stages: seconds and peak MiB). `prior` = a stopped record to resume."
    from ml_lifecycle.runner import run_series, read_manifest, new_run_dir
    rec = dict(prior or {}) or dict(customers=n, engine=engine, stages_asked=stages, status="running", stages={})
    kw = dict(progress=False)
    sig = inspect.signature(run_series).parameters
    if engine != "pandas" or "engine" in sig:
        if "engine" not in sig: raise SystemExit(f"--engine {engine}: this copy of the kit has no engine option (run_series has no 'engine' parameter)")
        kw["engine"] = engine
        if scheduler and "scheduler" in sig: kw["scheduler"] = scheduler
    if engine == "pandas":
        data, asm = assembled_csv(n, seed, interval, log)
        rec["stages"].setdefault("00_assemble", dict(seconds=asm["seconds"], peak_mib=asm["peak_mib"]))
        kw.update(data=str(data), target="churned", task="binary")
    else:
        kw.update(data=str(churn_folder(n, seed, log, partitioned=True)))
    with PeakRSS(interval, children_only=True) as mem:  # the kernels (and Dask workers they start), not this runner process
        def on_log(msg):
            msg = str(msg)
            if msg.startswith("run folder:"):
                rec["run_dir"] = msg.split(":", 1)[1].strip(); mem.cut(); save(rec); return
            if "✓" in msg:
                label, secs = msg.split("✓", 1)[1].split()[:2]
                rec["stages"][label] = dict(seconds=float(secs), peak_mib=mem.cut())
                log(f"[{n:,}] {engine} {label:<26} {float(secs):8.1f} s  peak {rec['stages'][label]['peak_mib']:8.0f} MiB")
                save(rec)
        t0 = time.perf_counter()
        try:
            if rec.get("run_dir") and rec.get("status") != "ok" and Path(rec["run_dir"]).exists():
                log(f"[{n:,}] resuming {rec['run_dir']}")
                run_series(resume=rec["run_dir"], log=on_log, progress=False)
            else:
                runs = RESULTS / "runs"; runs.mkdir(parents=True, exist_ok=True)
                rd = new_run_dir(runs, f"scale-{engine}-{n}")
                run_series(stages=stages, run_dir=rd, fast=True, seed=seed, log=on_log, **kw)
            rec["status"] = "ok"
        except KeyboardInterrupt:
            rec["status"] = "interrupted"; save(rec); raise
        except Exception as e:
            rec["status"] = f"failed: {str(e)[:300]}"
            if rec.get("run_dir"):  # the stage that failed: its time from the manifest, its peak from the sampler
                for s in read_manifest(rec["run_dir"])["stages"]:
                    if s["status"] == "failed": rec["stages"][s["stage"]] = dict(seconds=s["duration_s"], peak_mib=mem.cut(), failed=True)
        rec["wall_s"] = round(rec.get("wall_s", 0) + time.perf_counter() - t0, 1)
        rec["peak_mib"] = round(mem.total_peak / 2**20, 1)
    if rec.get("run_dir"):
        m = read_manifest(rec["run_dir"])
        rec["manifest_engine"] = m.get("engine")  # engine, scheduler, workers, threads (when the runner records them)
        rec["cells"] = {s["stage"]: cell_times(s["output"]) for s in m["stages"] if s.get("output") and Path(s["output"]).exists()}
    rec.update(load_avg=_load(), measured=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    save(rec)
    return rec

def cell_times(notebook, at_least=0.5) -> dict:
    "{source cell number: [seconds, first line]} of the cells of an executed notebook that took at least `at_least` s (papermill's timings)."
    from datetime import datetime
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    out, k = {}, -1
    for c in nb["cells"]:
        if "injected-parameters" in c.get("metadata", {}).get("tags", []): continue
        k += 1
        pm = c.get("metadata", {}).get("papermill", {})
        if c["cell_type"] != "code" or not pm.get("start_time") or not pm.get("end_time"): continue
        secs = (datetime.fromisoformat(pm["end_time"].replace("Z", "+00:00")) - datetime.fromisoformat(pm["start_time"].replace("Z", "+00:00"))).total_seconds()
        src = "".join(c["source"]).strip().splitlines()
        if secs >= at_least: out[str(k)] = [round(secs, 2), (src[0] if src else "")[:100]]
    return out

def hot_cells(result, min_seconds=5.0) -> list:
    "Cells that grow faster than the data: (stage, cell, slope, seconds at the largest size, first line), steepest first."
    sizes = sorted(result["sizes"].values(), key=lambda r: r["customers"])
    out = []
    stages = {st for r in sizes for st in r.get("cells", {})}
    for st in stages:
        cells = {c for r in sizes for c in r.get("cells", {}).get(st, {})}
        for c in cells:
            pts = [(r["customers"], r["cells"][st][c][0]) for r in sizes if c in r.get("cells", {}).get(st, {})]
            sl = slope([p[0] for p in pts], [p[1] for p in pts])
            if sl is not None and sl > SUPERLINEAR and pts[-1][1] >= min_seconds:
                line = next(r["cells"][st][c][1] for r in reversed(sizes) if c in r.get("cells", {}).get(st, {}))
                out.append((st, int(c), round(sl, 2), pts[-1][1], line))
    return sorted(out, key=lambda t: -t[2])

def _load():
    try: return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError): return None

# ---------------------------------------------------------------- analysis
def slope(xs, ys):
    "Least-squares slope of log(ys) on log(xs) (None with fewer than two usable points)."
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(pts) < 2: return None
    mx = sum(p[0] for p in pts) / len(pts); my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return None if sxx == 0 else sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx

def curves(result) -> dict:
    "{stage: [(customers, seconds, peak_mib), ...]} over the sizes of one engine's result."
    out = {}
    for size in sorted(result["sizes"].values(), key=lambda r: r["customers"]):
        for st, v in size["stages"].items():
            if v.get("seconds") is not None and not v.get("failed"): out.setdefault(st, []).append((size["customers"], v["seconds"], v.get("peak_mib")))
    return out

def findings(result, ram_mib=None) -> dict:
    "Per stage: time slope, memory slope, and flags (superlinear, memory_unbounded, ram_at: customers where the peak reaches `ram_mib`)."
    out = {}
    for st, pts in curves(result).items():
        ns, ts, ms = [p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts]
        ts_, ms_ = slope(ns, ts), slope(ns[-2:], ms[-2:])  # memory: between the two largest sizes, where the fixed cost (kernel, imports, cluster) no longer hides the growth
        f = dict(time_slope=None if ts_ is None else round(ts_, 2), mem_slope=None if ms_ is None else round(ms_, 2),
                 superlinear=bool(ts_ is not None and ts_ > SUPERLINEAR), memory_unbounded=bool(ms_ is not None and ms_ > MEM_SLOPE),
                 sizes=ns)
        if f["memory_unbounded"] and ram_mib and ms[-1]:
            f["ram_at"] = int(ns[-1] * (ram_mib / ms[-1]) ** (1 / ms_))
        out[st] = f
    return out

def summary(result, ram_mib=None) -> str:
    "The printed summary: one line per stage (seconds and peak MiB at each size, slopes), then the stages to watch."
    sizes = sorted(r["customers"] for r in result["sizes"].values())
    fs = findings(result, ram_mib)
    head = f"  {'stage':<26}" + "".join(f"{n:>18,}" for n in sizes) + f"{'t slope':>9}{'mem slope':>10}"  # mem slope: the two largest sizes
    lines = [f"== scale, engine {result['engine']}: seconds / peak MiB per stage", head]
    for st in sorted(fs):
        cells = []
        for n in sizes:
            v = result["sizes"].get(str(n), {}).get("stages", {}).get(st)
            cells.append(f"{v['seconds']:>8.1f} s {v.get('peak_mib') or 0:>6.0f} M" if v and v.get("seconds") is not None else f"{'-':>18}")
        f = fs[st]
        lines.append(f"  {st:<26}" + "".join(f"{c:>18}" for c in cells) + f"{'' if f['time_slope'] is None else f['time_slope']:>9}{'' if f['mem_slope'] is None else f['mem_slope']:>10}")
    sl = [st for st, f in fs.items() if f["superlinear"]]
    mu = [st for st, f in fs.items() if f["memory_unbounded"]]
    if len(sizes) < 2: lines.append("one size only: no slope (run at least two sizes)")
    else:
        lines.append(f"super-linear time (slope > {SUPERLINEAR}): " + (", ".join(f"{s} ({fs[s]['time_slope']})" for s in sorted(sl)) or "none"))
        lines.append(f"memory grows with the data (slope between the two largest sizes > {MEM_SLOPE}): " + (", ".join(
            f"{s} ({fs[s]['mem_slope']}" + (f", ~{fs[s]['ram_at']:,} customers fill {ram_mib / 1024:.0f} GiB" if fs[s].get("ram_at") else "") + ")" for s in sorted(mu)) or "none"))
        hot = hot_cells(result)
        if hot:
            lines.append("cells that grow faster than the data (source cell number in the stage notebook, slope, seconds at the largest size):")
            lines += [f"  {st} cell {c}: slope {sl}, {secs:.0f} s: {line}" for st, c, sl, secs, line in hot[:10]]
    return "\n".join(lines)

def plot(results_dir=RESULTS, out=None) -> Path | None:
    "Log-log plots of seconds (top) and peak MiB (bottom) vs customers per stage, one column per engine found in `results_dir`."
    rs = {p.stem.split("_", 1)[1]: json.loads(p.read_text()) for p in sorted(Path(results_dir).glob("scale_*.json"))}
    rs = {k: v for k, v in rs.items() if any(s["stages"] for s in v["sizes"].values())}
    if not rs: return None
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, len(rs), figsize=(6 * len(rs), 7.5), squeeze=False, sharex=True)
    names = sorted({st for r in rs.values() for st in curves(r)})
    colour = {st: plt.get_cmap("tab20")(i % 20) for i, st in enumerate(names)}  # one colour per stage in every panel
    for k, (eng, r) in enumerate(rs.items()):
        ax, am = axes[0][k], axes[1][k]
        for st, pts in sorted(curves(r).items()):
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=st, color=colour[st])
            am.plot([p[0] for p in pts], [p[2] or float("nan") for p in pts], marker="o", label=st, color=colour[st])
        ns = sorted(int(n) for n in r["sizes"])
        if len(ns) > 1:  # a slope-1 guide through the smallest size's fastest stage
            t0 = sorted(v["seconds"] for v in r["sizes"][str(ns[0])]["stages"].values() if v.get("seconds"))[0]
            ax.plot([ns[0], ns[-1]], [t0, t0 * ns[-1] / ns[0]], "k:", lw=1, label="linear (slope 1)")
        ax.set(xscale="log", yscale="log", title=f"engine: {eng}")
        am.set(xscale="log", yscale="log", xlabel="customers")
        for a in (ax, am): a.grid(True, which="both", alpha=.3)
    axes[0][0].set_ylabel("seconds (fast mode, shared machine)"); axes[1][0].set_ylabel("peak MiB (kernel process tree)")
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=colour[st], marker="o", label=st) for st in names] + [Line2D([], [], color="k", ls=":", label="linear (slope 1)")]
    axes[0][-1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    out = Path(out or Path(results_dir) / "scale.png")
    fig.savefig(out, dpi=80); plt.close(fig)
    return out

def _ram_mib():
    try: import psutil; return psutil.virtual_memory().total / 2**20
    except Exception: return None

def main(argv=None):
    global RESULTS, GEN_WORKERS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=["pandas", "dask"], default="pandas")
    ap.add_argument("--sizes", default="10000,100000", help="customers, comma-separated (10k, 1M accepted)")
    ap.add_argument("--stages", default="01-08", help="stages to run (default 01-08)")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address (engine dask; default: a LocalCluster)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--gen-workers", type=int, default=GEN_WORKERS, help="processes generating the data (where the kit's generator can; default: one per core)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between memory samples")
    ap.add_argument("--fresh", action="store_true", help="run every size again instead of reusing/resuming saved ones")
    ap.add_argument("--summary", action="store_true", help="print the summary of the saved JSON (and redraw the plot) and exit")
    ap.add_argument("--results", default=None, help="folder of the JSON, plot and run folders (default bench/results)")
    a = ap.parse_args(argv)
    if a.results: RESULTS = Path(a.results)
    if a.interval <= 0: raise SystemExit(f"--interval {a.interval}: must be > 0 seconds")
    if a.gen_workers < 1: raise SystemExit(f"--gen-workers {a.gen_workers}: must be at least 1")
    GEN_WORKERS = a.gen_workers
    if a.scheduler and a.engine != "dask": raise SystemExit("--scheduler needs --engine dask")
    sizes = parse_sizes(a.sizes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale_{a.engine}.json"
    result = json.loads(path.read_text()) if path.exists() else dict(engine=a.engine, sizes={})
    if a.summary:
        if not result["sizes"]: raise SystemExit(f"no results in {path}: run without --summary first")
        print(summary(result, _ram_mib())); print(f"plot: {plot(RESULTS)}"); return
    def save(rec):
        result["sizes"][str(rec["customers"])] = rec
        tmp = path.with_suffix(".tmp"); tmp.write_text(json.dumps(result, indent=2)); tmp.replace(path)
    for n in sizes:
        old = result["sizes"].get(str(n))
        if old and not a.fresh and old.get("status") == "ok" and old.get("stages_asked") == a.stages:
            print(f"[{n:,}] done earlier ({old['measured']}): reused (--fresh to run again)"); continue
        prior = old if (old and not a.fresh and old.get("stages_asked") == a.stages and old.get("run_dir")) else None
        t0 = time.perf_counter()
        rec = run_size(n, a.engine, a.stages, a.scheduler, a.seed, a.interval, prior, save)
        print(f"[{n:,}] {rec['status'][:200]}: {time.perf_counter() - t0:.0f} s, peak {rec['peak_mib']:.0f} MiB (load avg {rec['load_avg']})")
    print(summary(result, _ram_mib()))
    print(f"wrote {path}; plot: {plot(RESULTS)}")

if __name__ == "__main__":
    main()
