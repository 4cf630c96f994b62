"""Latency of the prediction service at fixed request rates, and batch throughput of `predict_file`.

    python bench/serve.py [--model PATH] [--rates 50 100 200] [--seconds 5] [--batch-rows 100000] [--client both|raw|httpx]

Starts a real uvicorn server (ml_lifecycle.serve.BackgroundServer: 127.0.0.1, a free port, stopped at the end) and
sends single-record POST /predict requests on an open-loop schedule: request i is due at i / rate seconds. Latency is
measured from the *scheduled* time, so a server that falls behind is charged for the queue it causes (no coordinated
omission), and a client that cannot keep up is charged too. Two load generators:

- `raw`: one asyncio loop writing pre-encoded HTTP/1.1 requests on 32 keep-alive connections (about 0.1 ms of client CPU
  per request). Its limits: timer jitter of the event loop (~1 ms) is counted as latency; with client and server on
  the same 2 cores, the client still takes CPU from the server.
- `httpx`: 8 threads, one httpx.Client each (created and connected before the clock starts). About 1 ms of client CPU
  per request, under the GIL: at 200 req/s the client alone needs a fifth of a core and its threads queue behind each
  other, so its tail measures the client as much as the server. Kept for comparison with earlier runs.

For each rate it also reports the server's own time: `server_p50/p99_ms` from the `server-timing` header the service
sends (handler time: parse, validate, score, log), and `server_cpu_ms_per_req` from the server process's CPU time
(/proc) divided by the requests, i.e. everything the server spends, HTTP included. Without --model, the kit's model
is trained in fast mode (lesson 08's `load_trained`) and a light model (logistic regression on the numeric columns)
is benchmarked beside it, to separate the service's own overhead from the pipeline's. Loopback only; bounded
duration. Bars: p99 <= 20 ms at 200 req/s; batch >= 50,000 rows/s. The machine's load average is recorded: on a
shared machine absolute times move, compare figures taken in one run. Prints a table, writes bench/results/serve.json.
"""
import argparse, json, os, re, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import numpy as np, pandas as pd

def kit_model(folder):
    "Lesson 08's model (fast mode) and the test split; plus a light logistic-regression model on the numeric columns."
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.problem import load_spec
    from ml_lifecycle.clean import load_splits
    from ml_lifecycle.train import load_trained
    from ml_lifecycle.model_io import save_model, feature_schema
    from sklearn.pipeline import make_pipeline
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler
    from sklearn.linear_model import LogisticRegression
    cfg = resolve_params(fast=True); spec = load_spec(cfg)
    pipe, meta = load_trained(cfg); sp = load_splits(cfg, spec)
    X_test = sp.test.drop(columns=[spec.target])
    num = [c for c in sp.train.columns if c != spec.target and pd.api.types.is_float_dtype(sp.train[c])]
    light = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=500)).fit(sp.train[num], sp.train[spec.target])
    lmeta = dict(task="binary", target=spec.target, positive_label=1, classes=[0, 1], schema=feature_schema(sp.train[num]), model_name="logistic regression (light)")
    return {"trained pipeline": (save_model(pipe, folder / "model.skops", meta), X_test),
            "light model": (save_model(light, folder / "light.skops", lmeta), X_test[num])}

def _summary(rate, n, lat, status, t_start, t_end, server_ms, cpu_ms):
    sent = int((status != -2).sum()); ok = ~np.isnan(lat)
    pct = lambda a, q: round(float(np.nanpercentile(a, q)), 2) if np.isfinite(a).any() else None
    return dict(rate=rate, requests=n, sent=sent, dropped=n - sent, achieved_rps=round(sent / (t_end - t_start), 1),
                errors=int(((status != 200) & (status != -2)).sum()), p50_ms=pct(lat, 50), p90_ms=pct(lat, 90),
                p99_ms=pct(lat, 99), max_ms=round(float(np.nanmax(lat)), 2) if ok.any() else None,
                server_p50_ms=pct(server_ms, 50), server_p99_ms=pct(server_ms, 99),
                server_cpu_ms_per_req=None if cpu_ms is None else round(cpu_ms / max(sent, 1), 2), load_avg_1m=os.getloadavg()[0])

def _cpu_ms(pid):
    "CPU time (user + system) of process `pid` so far, in ms; None off Linux."
    try: f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError: return None
    return (int(f[11]) + int(f[12])) * 1e3 / os.sysconf("SC_CLK_TCK")

def _timing(headers):
    "Handler ms from a `server-timing: app;dur=X` header."
    m = re.search(r"dur=([0-9.]+)", headers.get("server-timing", "")); return float(m.group(1)) if m else np.nan

def run_rate(url, records, rate, seconds, workers=8, pid=None):
    "httpx client threads, open loop at `rate` req/s for `seconds`: latency from the scheduled time (ms), and errors."
    import httpx, itertools
    n = int(rate * seconds); lat = np.full(n, np.nan); srv = np.full(n, np.nan); status = np.zeros(n, int)
    clients = [httpx.Client(base_url=url, timeout=10) for _ in range(workers)]
    for c in clients: c.get("/health")  # connected before the clock starts
    local, ids, lock = threading.local(), itertools.count(), threading.Lock()
    def client():
        if not hasattr(local, "c"):
            with lock: local.c = clients[next(ids)]
        return local.c
    t0 = time.perf_counter() + 0.2
    deadline = t0 + 2 * seconds + 5  # bounded: requests not sent by then are counted as dropped
    def one(i):
        due = t0 + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        if time.perf_counter() > deadline: status[i] = -2; return
        try: r = client().post("/predict", json=records[i % len(records)]); status[i] = r.status_code; srv[i] = _timing(r.headers)
        except Exception: status[i] = -1
        lat[i] = (time.perf_counter() - due) * 1e3
    cpu0 = _cpu_ms(pid) if pid else None
    with ThreadPoolExecutor(workers) as ex: list(ex.map(one, range(n)))
    cpu = None if cpu0 is None else _cpu_ms(pid) - cpu0
    for c in clients: c.close()
    return _summary(rate, n, lat, status, t0, time.perf_counter(), srv, cpu)

def run_rate_raw(url, records, rate, seconds, conns=32, pid=None):
    "One asyncio loop, pre-encoded HTTP/1.1 requests on `conns` keep-alive connections, open loop: latency from the scheduled time (ms)."
    import asyncio
    from urllib.parse import urlsplit
    u = urlsplit(url); host, port = u.hostname, u.port
    reqs = []
    for rec in records:
        b = json.dumps(rec).encode()
        reqs.append(f"POST /predict HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n".encode() + b)
    n = int(rate * seconds); lat = np.full(n, np.nan); srv = np.full(n, np.nan); status = np.full(n, -2)
    async def main():
        pool = asyncio.Queue()
        for _ in range(conns): pool.put_nowait(await asyncio.open_connection(host, port))
        async def one(i, due):
            r, w = await pool.get()
            try:
                w.write(reqs[i % len(reqs)])
                head = (await r.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                hdr = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
                await r.readexactly(int(hdr.get("content-length", 0)))
                status[i] = int(head[0].split()[1]); srv[i] = _timing(hdr)
            except Exception:
                status[i] = -1; w.close(); r, w = await asyncio.open_connection(host, port)
            lat[i] = (time.perf_counter() - due) * 1e3
            pool.put_nowait((r, w))
        t0 = time.perf_counter() + 0.2; tasks = []
        for i in range(n):
            due = t0 + i / rate
            if due > time.perf_counter(): await asyncio.sleep(due - time.perf_counter())
            tasks.append(asyncio.create_task(one(i, due)))
        done, pending = await asyncio.wait(tasks, timeout=seconds + 5)  # bounded: unfinished requests count as dropped
        for t in pending: t.cancel()
        while not pool.empty(): pool.get_nowait()[1].close()
        return t0
    cpu0 = _cpu_ms(pid) if pid else None
    t0 = asyncio.run(main())
    cpu = None if cpu0 is None else _cpu_ms(pid) - cpu0
    return _summary(rate, n, lat, status, t0, time.perf_counter(), srv, cpu)

def step_ms(path, X, reps=20, rounds=5):
    "One-row cost of each step of the saved pipeline (CPU ms, best of `rounds`), and of the whole predict_proba."
    from ml_lifecycle.model_io import load_model
    from ml_lifecycle.serve import single_threaded
    model, _ = load_model(path); single_threaded(model); x = X.iloc[[0]]
    def best(f):
        f(); out = []
        for _ in range(rounds):
            t = time.process_time()
            for _ in range(reps): f()
            out.append((time.process_time() - t) / reps * 1e3)
        return round(min(out), 3)
    steps, cur = {}, x
    for name, est in getattr(model, "steps", [])[:-1]:
        steps[name] = best(lambda: est.transform(cur)); cur = est.transform(cur)
    if hasattr(model, "steps"): steps["model"] = best(lambda: model.steps[-1][1].predict_proba(cur))
    steps["predict_proba (whole pipeline)"] = best(lambda: model.predict_proba(x))
    return steps

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a .skops model saved by model_io.save_model (default: train the kit's model, fast mode)")
    ap.add_argument("--data", help="CSV of input rows for --model (default: the model's test split)")
    ap.add_argument("--rates", type=float, nargs="+", default=[50, 100, 200])
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of each rate")
    ap.add_argument("--batch-rows", type=int, default=100_000)
    ap.add_argument("--client", choices=["both", "raw", "httpx"], default="both", help="load generator(s), see above")
    a = ap.parse_args()
    from ml_lifecycle.serve import BackgroundServer, to_records, predict_file, read_log
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    models = {"given model": (Path(a.model), pd.read_csv(a.data))} if a.model else kit_model(tmp)
    clients = {"raw": run_rate_raw, "httpx": run_rate} if a.client == "both" else {a.client: {"raw": run_rate_raw, "httpx": run_rate}[a.client]}
    res = dict(machine=dict(cpus=os.cpu_count(), load_avg_1m=os.getloadavg()[0]), seconds_per_rate=a.seconds, models={})
    for name, (path, X) in models.items():
        recs = to_records(X)
        steps = step_ms(path, X)
        with BackgroundServer(path, log_path=tmp / f"{path.stem}.sqlite") as srv:
            for r in recs[:20]: __import__("httpx").post(srv.url + "/predict", json=r)  # warm-up
            rows = {c: [f(srv.url, recs, rate, a.seconds, pid=srv.proc.pid) for rate in a.rates] for c, f in clients.items()}
        logged = read_log(tmp / f"{path.stem}.sqlite")
        big = pd.concat([X] * (a.batch_rows // len(X) + 1), ignore_index=True).head(a.batch_rows)
        big.to_csv(tmp / "batch.csv", index=False)
        t_cpu = time.process_time()
        b = predict_file(path, tmp / "batch.csv", tmp / f"scored-{path.stem}.csv", progress=False, overwrite=True)
        b_cpu = time.process_time() - t_cpu
        res["models"][name] = dict(model=str(path), one_row_ms=steps, latency=rows, server_side_ms_p50=round(float(logged.latency_ms.median()), 2),
                                   batch=dict(rows=b["rows"], seconds=b["seconds"], rows_per_s=b["rows_per_s"], cpu_seconds=round(b_cpu, 3),
                                              rows_per_cpu_s=round(b["rows"] / b_cpu, 1)))
        print(f"\n{name}: {path.name}  (handler time in the log, p50 {res['models'][name]['server_side_ms_p50']} ms)")
        print("one row, CPU ms per step: " + ", ".join(f"{k} {v}" for k, v in steps.items()))
        for c, rs in rows.items():
            print(f"client {c}:\n{'rate':>6} {'achieved':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'srv p50':>8} {'srv p99':>8} {'srv cpu/req':>11} {'errors':>7} {'dropped':>8} {'load':>5}")
            for r in rs: print(f"{r['rate']:>6.0f} {r['achieved_rps']:>9} {r['p50_ms']!s:>8} {r['p90_ms']!s:>8} {r['p99_ms']!s:>8} {r['server_p50_ms']!s:>8} "
                               f"{r['server_p99_ms']!s:>8} {r['server_cpu_ms_per_req']!s:>11} {r['errors']:>7} {r['dropped']:>8} {r['load_avg_1m']:>5.2f}")
        p200 = {c: next((r["p99_ms"] for r in rs if r["rate"] == 200), None) for c, rs in rows.items()}
        print(f"batch: {b['rows']:,} rows in {b['seconds']} s = {b['rows_per_s']:,.0f} rows/s (bar 50,000; {b['rows'] / b_cpu:,.0f} rows per CPU second)"
              + "".join(f"; p99 at 200 req/s ({c}) {v} ms (bar 20)" for c, v in p200.items() if v is not None))
    res["machine"]["load_avg_1m_end"] = os.getloadavg()[0]
    out = Path(__file__).parent / "results" / "serve.json"; out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2)); print(f"\nwrote {out}")

if __name__ == "__main__":
    main()
