"""The prediction service (ml_lifecycle.serve): parity with the pipeline, bad requests, the log, batch scoring,
a real uvicorn server, the try-it page in headless Chromium, and the Dockerfile."""
import base64, json, math, os, shutil, subprocess, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from conftest import FIXTURES, ROOT

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient
from ml_lifecycle import serve
from ml_lifecycle.model_io import feature_schema, save_model

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    "A model fitted on the loans fixture through lesson 08's build_model, saved with save_model; and its test split."
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.problem import load_spec
    from ml_lifecycle.clean import load_splits
    from ml_lifecycle.train import build_model
    cfg = resolve_params(data=str(FIXTURES / "loans.csv"), target="default", fast=True)
    spec = load_spec(cfg); sp = load_splits(cfg, spec)
    X, y = sp.train.drop(columns=[spec.target]), sp.train[spec.target]
    pipe = build_model(spec, X, cfg=cfg).fit(X, y)
    d = tmp_path_factory.mktemp("model")
    meta = dict(task=spec.task, target=spec.target, positive_label=spec.positive_label,
                classes=[str(c) for c in pipe.classes_], schema=feature_schema(X), model_name="xgboost")
    path = save_model(pipe, d / "model.skops", meta)
    X_test = sp.test.drop(columns=[spec.target])
    ref = pipe.predict_proba(X_test)[:, list(pipe.classes_).index(spec.positive_label)]
    return dict(path=path, pipe=pipe, X_test=X_test, ref=ref, dir=d)

@pytest.fixture
def client(trained, tmp_path):
    with TestClient(serve.create_app(trained["path"], log_path=tmp_path / "log.sqlite", max_body_bytes=50_000)) as c:
        c.log_path = tmp_path / "log.sqlite"
        yield c

def post_raw(c, body): return c.post("/predict", content=body, headers={"content-type": "application/json"})

def test_public_names_and_light_imports():
    "The names lesson 10 used to define stay importable from `serve`; `serve` and `service` import no training code and no heavy library."
    import sys
    for n in ("create_app", "predict_file", "run_server", "check_decision", "to_records", "read_log", "PredictionLog", "BodySizeLimit",
              "parse_records", "try_it_page", "single_threaded", "model_version", "free_port", "BackgroundServer", "DEFAULT_MAX_BODY_BYTES"):
        assert hasattr(serve, n), n
    from ml_lifecycle import service
    assert serve.read_log is service.read_log and serve.BackgroundServer is service.BackgroundServer
    code = ("import sys, ml_lifecycle.serve; print(sorted(m for m in sys.modules if m.startswith('ml_lifecycle') "
            "or m in ('fastapi', 'pydantic', 'pandas', 'sklearn', 'xgboost')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir())
    assert r.returncode == 0 and r.stdout.strip() == "['ml_lifecycle', 'ml_lifecycle.serve', 'ml_lifecycle.service']", r.stdout + r.stderr

def test_parity_testclient(trained, client):
    recs = serve.to_records(trained["X_test"])
    r = client.post("/predict", json=recs)
    assert r.status_code == 200, r.text
    api = np.array([p["score"] for p in r.json()["predictions"]])
    np.testing.assert_allclose(api, trained["ref"], rtol=0, atol=1e-12)
    one = client.post("/predict", json=recs[0]).json()
    assert one["score"] == pytest.approx(trained["ref"][0], abs=1e-12) and one["label"] in ("yes", "no")

def test_health_metadata_docs_page(client):
    assert client.get("/health").json()["status"] == "ok"
    meta = client.get("/metadata").json()
    assert meta["target"] == "default" and {d["name"] for d in meta["schema"]} >= {"income", "purpose"}
    spec = client.get("/openapi.json").json()
    assert "/predict" in spec["paths"]
    page = client.get("/").text
    assert 'id="score-button"' in page and 'name="income"' in page

@pytest.mark.parametrize("case,body,status,says", [
    ("malformed", b'{"income": 3,', 422, "malformed JSON"),
    ("nan", None, 422, "NaN"),
    ("inf", None, 422, "Infinity"),
    ("not an object", b'"hello"', 422, "expected a JSON object"),
    ("empty list", b"[]", 422, "empty list"),
])
def test_bad_json(client, trained, case, body, status, says):
    if body is None:
        rec = serve.to_records(trained["X_test"].head(1))[0]
        body = json.dumps({**rec, "income": float("nan") if case == "nan" else float("inf")}).encode()
    r = post_raw(client, body)
    assert r.status_code == status and says in r.json()["error"], r.text
    assert client.get("/health").status_code == 200

def test_field_errors_name_the_field(client, trained):
    rec = serve.to_records(trained["X_test"].head(1))[0]
    r = client.post("/predict", json={k: v for k, v in rec.items() if k != "income"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "income"
    r = client.post("/predict", json={**rec, "amount": "lots"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "amount"
    r = client.post("/predict", json={**rec, "income": 1e12})
    assert r.status_code == 422 and "income" in r.json()["error"]
    r = client.post("/predict", json=[rec, {**rec, "term_months": "x"}])
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "1.term_months"
    r = client.post("/predict", json={**rec, "extra_column": 1})
    assert r.status_code == 422 and "extra_column" in r.json()["error"]

def test_unseen_category_is_scored_and_flagged(client, trained):
    rec = serve.to_records(trained["X_test"].head(1))[0]
    r = client.post("/predict", json={**rec, "purpose": "spaceship"})
    assert r.status_code == 200 and any("unseen category" in f for f in r.json()["flags"])

def test_huge_payload_413_and_service_survives(client, trained):
    rec = serve.to_records(trained["X_test"].head(1))[0]
    r = client.post("/predict", json=[rec] * 2000)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    def chunks():  # no Content-Length: streamed body
        for _ in range(100): yield b" " * 1000
    r = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert client.post("/predict", json=rec).status_code == 200

def test_log_rows_and_never_lost(client, trained):
    recs = serve.to_records(trained["X_test"].head(3))
    client.post("/predict", json=recs); post_raw(client, b"{bad")
    log = serve.read_log(client.log_path)
    assert len(log) == 4 and set(log.status) == {200, 422}
    ok = log[log.status == 200]
    assert ok.score.notna().all() and ok.latency_ms.notna().all() and ok.model_version.nunique() == 1
    assert json.loads(ok.inputs.iloc[0])["income"] == recs[0]["income"]
    with TestClient(serve.create_app(trained["path"], log_path=client.log_path)) as c2:  # a restart appends
        c2.post("/predict", json=recs[0])
    log2 = serve.read_log(client.log_path)
    assert len(log2) == 5 and log2.request_id.iloc[:4].tolist() == log.request_id.tolist()

def test_log_refuses_foreign_sqlite(trained, tmp_path):
    import sqlite3
    con = sqlite3.connect(tmp_path / "other.sqlite"); con.execute("CREATE TABLE predictions (x INTEGER)"); con.execute("INSERT INTO predictions VALUES (1)"); con.commit(); con.close()
    with pytest.raises(ValueError, match="not a prediction log"): serve.create_app(trained["path"], log_path=tmp_path / "other.sqlite")
    con = sqlite3.connect(tmp_path / "other.sqlite"); assert con.execute("SELECT count(*) FROM predictions").fetchone()[0] == 1

def test_model_not_ours_or_untrusted(tmp_path):
    import pickle, skops.io as sio
    (tmp_path / "pickled.skops").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(FileNotFoundError, match="metadata sidecar"): serve.create_app(tmp_path / "pickled.skops")
    save_model({"model": Path("x")}, tmp_path / "odd.skops", {"schema": [{"name": "a", "kind": "numeric", "dtype": "float64"}]})
    with pytest.raises(ValueError, match="not trusted"): serve.create_app(tmp_path / "odd.skops")
    with pytest.raises(FileNotFoundError): serve.create_app(tmp_path / "missing.skops")

def test_decision_gate(trained, tmp_path):
    p = tmp_path / "model.skops"; shutil.copy(trained["path"], p); shutil.copy(trained["path"].with_name("model_meta.json"), tmp_path)
    (tmp_path / "decision.json").write_text(json.dumps({"decision": "no-go", "reasons": ["average_precision below the bar"]}))
    with pytest.raises(RuntimeError, match="below the bar"): serve.check_decision(p)
    assert serve.check_decision(p, force=True) == "no-go, forced"

def test_predict_file(trained, tmp_path):
    X = pd.concat([trained["X_test"]] * 5, ignore_index=True)
    X.to_csv(tmp_path / "in.csv", index=False)
    st = serve.predict_file(trained["path"], tmp_path / "in.csv", tmp_path / "out.csv", chunk_size=40, progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    assert st["rows"] == len(X) == len(out) and list(out.columns[:len(X.columns)]) == list(X.columns)
    np.testing.assert_allclose(out.score.to_numpy(), np.tile(trained["ref"], 5), atol=1e-9)
    with pytest.raises(ValueError, match="is the input"): serve.predict_file(trained["path"], tmp_path / "in.csv", tmp_path / "in.csv")
    with pytest.raises(FileExistsError): serve.predict_file(trained["path"], tmp_path / "in.csv", tmp_path / "out.csv")
    X.drop(columns=["income", "purpose"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['income', 'purpose'\]"):
        serve.predict_file(trained["path"], tmp_path / "bad.csv", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.part").exists()

def test_real_uvicorn_server_parity(trained, tmp_path):
    import httpx
    with serve.BackgroundServer(trained["path"], log_path=tmp_path / "log.sqlite") as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=srv.url, timeout=30) as h:
            recs = serve.to_records(trained["X_test"])
            api = [h.post("/predict", json=r).json()["score"] for r in recs]
            assert h.post("/predict", content=b"{", headers={"content-type": "application/json"}).status_code == 422
            assert h.get("/health").status_code == 200
    np.testing.assert_allclose(api, trained["ref"], atol=1e-12)
    assert srv.proc.poll() is not None and len(serve.read_log(tmp_path / "log.sqlite")) == len(recs) + 1

def test_dockerfile_committed_and_builds(trained, tmp_path):
    committed = (ROOT / "deploy" / "Dockerfile").read_text()
    assert committed == serve.dockerfile_text(json.loads((ROOT / "deploy" / "model_versions.json").read_text()))
    text = serve.dockerfile_text({"versions": {"scikit-learn": "9.9"}})
    assert '"scikit-learn==9.9"' in text and "USER app" in text and "HEALTHCHECK" in text and "-slim" in text
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.skip("docker is not available here: the Dockerfile is built only where `docker info` works")
    ctx = tmp_path / "ctx"; shutil.copytree(ROOT / "ml_lifecycle", ctx / "ml_lifecycle")
    for f in ("pyproject.toml", "README.md"): shutil.copy(ROOT / f, ctx / f)
    (ctx / "deploy" / "model").mkdir(parents=True)
    for f in ("model.skops", "model_meta.json"): shutil.copy(trained["dir"] / f, ctx / "deploy" / "model" / f)
    r = subprocess.run(["docker", "build", "-f", str(ROOT / "deploy" / "Dockerfile"), "-t", "ml-lifecycle-serve-test", str(ctx)], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]

# --- the try-it page in headless Chromium, driven over the DevTools protocol -------------------------------
from chromium import CHROMIUM, Browser

@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_try_it_page_in_headless_chromium(trained, tmp_path):
    pytest.importorskip("websocket", reason="websocket-client is needed to drive Chromium over the DevTools protocol")
    with serve.BackgroundServer(trained["path"], log_path=tmp_path / "log.sqlite") as srv:
        b = Browser(tmp_path / "chrome-profile", window="900,1200")
        try:
            b.call("Page.navigate", url=srv.url + "/")
            for _ in range(100):
                if b.js("document.readyState === 'complete' && !!document.getElementById('score-button')"): break
                time.sleep(0.1)
            first = serve.to_records(trained["X_test"].head(1))[0]
            b.js(f"document.getElementById('f-income').value = '{first['income']}'")
            b.js("document.getElementById('score-button').click()")
            for _ in range(100):
                shown = b.js("document.getElementById('score').textContent")
                if shown and shown != "–": break
                time.sleep(0.1)
            png = base64.b64decode(b.call("Page.captureScreenshot", format="png")["data"])
            out_dir = Path(os.environ.get("ML_LIFECYCLE_SCREENSHOTS", tmp_path)); out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "try_it_page.png").write_bytes(png)
        finally:
            b.close()
    score = float(shown.split()[0])
    assert 0 <= score <= 1 and png[:8] == b"\x89PNG\r\n\x1a\n"
    log = serve.read_log(tmp_path / "log.sqlite")
    assert len(log) == 1 and log.status.iloc[0] == 200 and log.score.iloc[0] == pytest.approx(score, abs=1e-4)


# --- issue 16: the service labels with the decision of stage 09 -------------------------------------------------

@pytest.fixture(scope="module")
def evaluated_run(tmp_path_factory):
    "Stage 09 once, fast mode, on the built-in data, in a fresh run folder (the model is fitted and saved on the way)."
    import sys
    rd = tmp_path_factory.mktemp("evaluated") / "run"
    exe = Path(sys.executable).parent / "ml-lifecycle"
    r = subprocess.run([str(exe), "run", "--fast", "--stages", "09", "--run-dir", str(rd)], capture_output=True, text=True,
                       timeout=900, env={**os.environ, "ML_LIFECYCLE_FAST": "true"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return rd


def test_decision_object_in_run_and_model(evaluated_run):
    "One decision object: decision.json and the model's metadata hold the same threshold, chosen within the capacity."
    from ml_lifecycle.evaluate import load_decision
    from ml_lifecycle.model_io import read_meta, decision_threshold
    d, meta = load_decision(evaluated_run), read_meta(evaluated_run / "model.skops")
    for k in ("task", "positive_label", "rule", "threshold", "chosen_by", "capacity", "contact_rate", "expected_profit", "assumptions",
              "baseline", "model", "go", "reasons", "fast"):
        assert k in d, k
    assert d["rule"] == "threshold" and 0 < d["threshold"] < 1 and d["threshold"] == round(d["threshold"], 4)
    assert meta["decision"]["threshold"] == d["threshold"] == decision_threshold(meta) == meta["threshold"]
    assert load_decision(meta)["go"] == d["go"] and load_decision(evaluated_run / "model.skops")["threshold"] == d["threshold"]
    cr, cap = d["contact_rate"], d["capacity"]
    assert cr["validation"] <= cap and cr["test"] <= cap + cr["tolerance"]   # sampling noise only, never more
    ep = d["expected_profit"]
    assert ep["low"] <= ep["per_month"] <= ep["high"] and ep["currency"] and set(d["assumptions"]) >= {"offer_cost", "acceptance_rate", "customer_value", "capacity"}
    assert d["baseline"]["name"] == "rule of lesson 01" and d["fast"] is True


def test_api_labels_equal_the_evaluated_labels(evaluated_run, tmp_path):
    "/predict, /metadata, batch scoring and the registry use the decision's threshold: the API labels every test row as 09 did."
    from ml_lifecycle.monitor import ModelRegistry
    d = json.loads((evaluated_run / "decision.json").read_text())
    ref = pd.read_csv(evaluated_run / "test_labels.csv")
    X = pd.read_parquet(evaluated_run / "splits" / "test.parquet").loc[ref.row]
    X = X.drop(columns=[json.loads((evaluated_run / "problem_spec.json").read_text())["target"]])
    with TestClient(serve.create_app(evaluated_run / "model.skops")) as c:
        assert c.get("/metadata").json()["threshold"] == d["threshold"]
        preds = [p for i in range(0, len(X), 500) for p in c.post("/predict", json=serve.to_records(X.iloc[i:i + 500])).json()["predictions"]]
    api = pd.DataFrame(preds)
    np.testing.assert_allclose(api.score.to_numpy(), ref.score.to_numpy(), rtol=0, atol=1e-6)
    assert (api.label.astype(str).to_numpy() == ref.label.astype(str).to_numpy()).all()
    assert 0 < (ref.label == 1).mean() < 0.5 and (api.score >= 0.5).sum() < (api.label.astype(str) == "1").sum()  # not 0.5's labels
    X.to_csv(tmp_path / "in.csv", index=False)
    serve.predict_file(evaluated_run / "model.skops", tmp_path / "in.csv", tmp_path / "out.csv", progress=False)
    assert (pd.read_csv(tmp_path / "out.csv").label.astype(str).to_numpy() == ref.label.astype(str).to_numpy()).all()
    reg = ModelRegistry(tmp_path / "reg"); v = reg.register(evaluated_run / "model.skops")
    assert reg.list().set_index("version").loc[v, "threshold"] == d["threshold"]
