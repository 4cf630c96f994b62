"""Latency of the prediction service at fixed request rates, and batch throughput of `predict_file`.

    python bench/serve.py [--model PATH] [--rates 50 100 200] [--seconds 5] [--batch-rows 100000]

Starts a real uvicorn server (ml_lifecycle.serve.BackgroundServer: 127.0.0.1, a free port, stopped at the end) and
sends single-record POST /predict requests on an open-loop schedule (request i is due at i / rate seconds, sent by a
pool of client threads). Latency is measured from the *scheduled* time, so a server that falls behind is charged for
the queue it causes (no coordinated omission). Without --model, the kit's model is trained in fast mode (lesson 08's
`load_trained`) and a light model (logistic regression on the numeric columns) is benchmarked beside it, to separate
the service's own overhead from the pipeline's. Loopback only; bounded duration. Bars: p99 <= 20 ms at 200 req/s;
batch >= 50,000 rows/s. Prints a table and writes bench/results/serve.json.
"""
import argparse, json, os, sys, tempfile, threading, time
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

def run_rate(url, records, rate, seconds, workers=8):
    "Open-loop load at `rate` req/s for `seconds`: latency from the scheduled time (ms), and errors."
    import httpx
    n = int(rate * seconds); lat = np.full(n, np.nan); status = np.zeros(n, int)
    local = threading.local()
    def client():
        if not hasattr(local, "c"): local.c = httpx.Client(base_url=url, timeout=10)
        return local.c
    t0 = time.perf_counter() + 0.2
    deadline = t0 + 2 * seconds + 5  # bounded: requests not sent by then are counted as dropped
    def one(i):
        due = t0 + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        if time.perf_counter() > deadline: status[i] = -2; return
        try: r = client().post("/predict", json=records[i % len(records)]); status[i] = r.status_code
        except Exception: status[i] = -1
        lat[i] = (time.perf_counter() - due) * 1e3
    with ThreadPoolExecutor(workers) as ex: list(ex.map(one, range(n)))
    wall = time.perf_counter() - t0
    sent = int((status != -2).sum())
    return dict(rate=rate, requests=n, sent=sent, dropped=n - sent, achieved_rps=round(sent / wall, 1), errors=int(((status != 200) & (status != -2)).sum()),
                p50_ms=round(float(np.nanpercentile(lat, 50)), 2), p90_ms=round(float(np.nanpercentile(lat, 90)), 2),
                p99_ms=round(float(np.nanpercentile(lat, 99)), 2), max_ms=round(float(np.nanmax(lat)), 2))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a .skops model saved by model_io.save_model (default: train the kit's model, fast mode)")
    ap.add_argument("--data", help="CSV of input rows for --model (default: the model's test split)")
    ap.add_argument("--rates", type=float, nargs="+", default=[50, 100, 200])
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of each rate")
    ap.add_argument("--batch-rows", type=int, default=100_000)
    a = ap.parse_args()
    from ml_lifecycle.serve import BackgroundServer, to_records, predict_file, read_log
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    models = {"given model": (Path(a.model), pd.read_csv(a.data))} if a.model else kit_model(tmp)
    res = dict(machine=dict(cpus=os.cpu_count(), load_avg_1m=os.getloadavg()[0]), seconds_per_rate=a.seconds, models={})
    for name, (path, X) in models.items():
        recs = to_records(X)
        with BackgroundServer(path, log_path=tmp / f"{path.stem}.sqlite") as srv:
            for r in recs[:20]: __import__("httpx").post(srv.url + "/predict", json=r)  # warm-up
            rows = [run_rate(srv.url, recs, rate, a.seconds) for rate in a.rates]
        logged = read_log(tmp / f"{path.stem}.sqlite")
        big = pd.concat([X] * (a.batch_rows // len(X) + 1), ignore_index=True).head(a.batch_rows)
        big.to_csv(tmp / "batch.csv", index=False)
        b = predict_file(path, tmp / "batch.csv", tmp / f"scored-{path.stem}.csv", progress=False, overwrite=True)
        res["models"][name] = dict(model=str(path), latency=rows, server_side_ms_p50=round(float(logged.latency_ms.median()), 2),
                                   batch=dict(rows=b["rows"], seconds=b["seconds"], rows_per_s=b["rows_per_s"]))
        print(f"\n{name}: {path.name}  (server-side handler time p50 {res['models'][name]['server_side_ms_p50']} ms)")
        print(f"{'rate':>6} {'achieved':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7} {'dropped':>8}")
        for r in rows: print(f"{r['rate']:>6.0f} {r['achieved_rps']:>9} {r['p50_ms']:>8} {r['p90_ms']:>8} {r['p99_ms']:>8} {r['errors']:>7} {r['dropped']:>8}")
        p200 = next((r for r in rows if r["rate"] == 200), None)
        print(f"batch: {b['rows']:,} rows in {b['seconds']} s = {b['rows_per_s']:,.0f} rows/s (bar 50,000)"
              + (f"; p99 at 200 req/s {p200['p99_ms']} ms (bar 20)" if p200 else ""))
    res["machine"]["load_avg_1m_end"] = os.getloadavg()[0]
    out = Path(__file__).parent / "results" / "serve.json"; out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2)); print(f"\nwrote {out}")

if __name__ == "__main__":
    main()
