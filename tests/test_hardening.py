"""Hardening (issue 19): safe feature names, the awkward-CSV corpus, the service fuzzed from its own OpenAPI schema,
runs and servers killed mid-way, and untrusted content kept inert."""
import json, os, signal, subprocess, sys, threading, time
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from conftest import FIXTURES

AWKWARD = FIXTURES / "awkward"
sys.path.insert(0, str(AWKWARD))
from make_awkward import CASES, write_all  # noqa: E402

# ---------------------------------------------------------------- a tiny model with every kind of column

def tiny_model(d: Path, n=120, seed=0):
    "A make_preprocessor + logistic regression pipeline on int, float, category (with `<`, `[`), bool and date columns, saved with its schema."
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from ml_lifecycle.clean import make_preprocessor
    from ml_lifecycle.model_io import feature_schema, save_model
    r = np.random.default_rng(seed)
    X = pd.DataFrame({"n_items": r.integers(0, 20, n), "amount": r.normal(50, 10, n).round(2),
                      "wait time": r.choice(["<30 days", "[30, 60)", "60+ days"], n), "active": r.random(n) < .5,
                      "signup": pd.Timestamp("2024-01-01") + pd.to_timedelta(r.integers(0, 300, n), unit="D")})
    y = np.where(X.amount + 5 * (X["wait time"] == "<30 days") + r.normal(0, 5, n) > 52, "yes", "no")
    pipe = make_pipeline(make_preprocessor(None, X).set_output(transform="pandas"), LogisticRegression()).fit(X, y)
    meta = dict(task="binary", target="churned", positive_label="yes", classes=["no", "yes"], schema=feature_schema(X), model_name="logistic")
    return save_model(pipe, d / "model.skops", meta), X

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    return tiny_model(d)

# ---------------------------------------------------------------- 1. feature names every estimator accepts

def test_feature_names_are_safe_unique_and_map_back():
    "Names with <, [, ], spaces, dots, unicode, a leading digit, and collisions after cleaning: XGBoost fits, the map gives the originals back."
    import xgboost as xgb
    from ml_lifecycle.clean import make_preprocessor
    from ml_lifecycle.clean_internals import feature_name_map
    X = pd.DataFrame({"wait <time>": ["<30 days", "[30, 60)", "(30, 60]", "<30 days"] * 10, "x.1": np.arange(40.0),
                      "x_1": np.arange(40.0) % 3, "2nd score": np.arange(40.0) % 5, "âge": np.arange(40.0) % 7})
    pre = make_preprocessor(None, X).set_output(transform="pandas").fit(X)
    names = list(pre.get_feature_names_out())
    assert len(set(names)) == len(names) == 4 + 3
    assert not any(ch in n for n in names for ch in "[]< ."), names
    xgb.XGBClassifier(n_estimators=2).fit(pre.transform(X), np.arange(40) % 2)  # refused before: feature_names may not contain [, ] or <
    back = feature_name_map(pre)
    assert set(back) == set(names) and "cat__wait <time>_<30 days" in back.values() and "num__x.1" in back.values()

# ---------------------------------------------------------------- 2. the service fuzzed from its own schema

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, seed, settings  # noqa: E402

def _fuzz_schema():
    "The service of a tiny model, loaded from its own OpenAPI document (built at collection: schemathesis parametrizes from it)."
    import tempfile
    from ml_lifecycle import serve
    d = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path, _ = tiny_model(d)
    return schemathesis.openapi.from_asgi("/openapi.json", serve.create_app(path, log_path=d / "log.sqlite"))

fuzz_schema = _fuzz_schema()

@fuzz_schema.parametrize()
@seed(19)
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_service_fuzzed_from_its_schema(case):
    "Every check: no 5xx, documented status codes (422 included), responses match their schema, schema-valid requests accepted, invalid ones refused."
    case.call_and_validate()

def test_null_integer_and_openapi_agree(tiny, tmp_path):
    "An integer column sent as null is scored (it was a 500); the OpenAPI document lists 422 and refuses an empty list, as the service does."
    from fastapi.testclient import TestClient
    from ml_lifecycle import serve
    path, X = tiny
    rec = {"n_items": None, "amount": 50.0, "wait time": "<30 days", "active": None, "signup": "2024-03-01"}
    with TestClient(serve.create_app(path)) as c:
        r = c.post("/predict", json=rec)
        assert r.status_code == 200, r.text
        assert c.post("/predict", json=[rec, {**rec, "n_items": 3}]).status_code == 200
        for bad in ({**rec, "n_items": "3"}, {**rec, "active": 0}, {**rec, "n_items": 2.5}):  # what the schema refuses, the service refuses
            assert c.post("/predict", json=bad).status_code == 422, bad
        assert c.post("/predict", json={**rec, "n_items": 3.0}).status_code == 200  # 3.0 is an integer in JSON Schema
        op = c.get("/openapi.json").json()["paths"]["/predict"]["post"]
    assert {"200", "413", "422"} <= set(op["responses"])
    body = op["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    assert [b for b in body if b.get("type") == "array"][0]["minItems"] == 1
    scored = serve.coerce_frame(pd.DataFrame([rec]), json.loads(path.with_name("model_meta.json").read_text())["schema"])
    assert np.isnan(scored.n_items.iloc[0])  # batch scoring: a blank integer cell is missing, not a cast error

# ---------------------------------------------------------------- 3. the awkward-CSV corpus

@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return write_all(tmp_path_factory.mktemp("awkward"))

def _cases(kind):
    return [n for n, (_, _, e) in CASES.items() if e[0] == kind and (kind == "stops" or e[1] != "all")]

def test_corpus_files_are_the_generated_ones(corpus):
    "The committed files are what the script makes (regenerate with `python tests/fixtures/awkward/make_awkward.py`)."
    for name in CASES:
        if (AWKWARD / name).exists(): assert (AWKWARD / name).read_bytes() == (corpus / name).read_bytes(), name

@pytest.mark.parametrize("name", _cases("stops"))
def test_corpus_stops_before_stage_01(cli, corpus, tmp_path, name):
    _, target, (_, says) = CASES[name]
    r = cli("run", "--fast", "--data", corpus / name, "--target", target, "--run-dir", tmp_path / "run")
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and says in lines[0], r.stderr
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir()), "nothing runs"

@pytest.mark.parametrize("name", _cases("runs"))
def test_corpus_runs_the_stages_it_concerns(cli, corpus, tmp_path, name):
    _, target, (_, stages) = CASES[name]
    r = cli("run", "--fast", "--data", corpus / name, "--target", target, "--stages", stages, "--run-dir", tmp_path / "run")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert m["status"] == "ok" and all(s["status"] == "ok" for s in m["stages"])
    spec = json.loads((tmp_path / "run" / "problem_spec.json").read_text()) if (tmp_path / "run" / "problem_spec.json").exists() else None
    if spec: assert spec["target"] == target  # e.g. the BOM is not part of the first column's name
    if "03" in stages:
        q = pd.read_csv(tmp_path / "run" / "quality_report.csv").query("stage == 'clean'").set_index("column")
        for col, key, value in AFTER_CLEANING.get(name, []): assert q.loc[col, key] == value, (name, col, key, q.loc[col].to_dict())

# what the cleaning stage makes of a case (quality_report.csv, stage 'clean')
AFTER_CLEANING = {"decimal_comma.csv": [("spend", "dtype", "float64")], "thousands_separators.csv": [("income", "dtype", "float64")],
                  "target_missing.csv": [("churned", "n_missing", 0)], "all_null_column.csv": [("empty", "completeness", 0.0)]}

@pytest.mark.parametrize("name", [n for n, (_, _, e) in CASES.items() if e == ("runs", "all")])
def test_corpus_whole_series(cli, corpus, tmp_path, name):
    "Category values and names with <, [ and ] (and `<script>`), and a text-only table: the whole series, fast mode."
    _, target, _ = CASES[name]
    r = cli("run", "--fast", "--data", corpus / name, "--target", target, "--run-dir", tmp_path / "run", timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert m["status"] == "ok" and (tmp_path / "run" / "model.skops").exists() and (tmp_path / "run" / "report.html").exists()

# ---------------------------------------------------------------- 4. faults

FAULT_STAGES = FIXTURES / "fault_stages"

@pytest.fixture
def small_table(tmp_path):
    r = np.random.default_rng(0)
    X = r.normal(size=(200, 3)); y = (X @ [1.0, -0.5, 0.2] + r.normal(0, .5, 200) > 0).astype(int)
    p = tmp_path / "small.csv"; pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y).to_csv(p, index=False)
    return p

def _start(args, env=None, cwd=None):
    exe = Path(sys.executable).parent / "ml-lifecycle"
    return subprocess.Popen([str(exe), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, cwd=cwd)

def _wait_for(path, proc, timeout=120):
    t0 = time.time()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < timeout, f"{path} never appeared"
        time.sleep(0.1)

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_run_killed_mid_stage_then_resumed(cli, small_table, tmp_path, sig):
    ref = tmp_path / "ref"
    r = cli("run", "--data", small_table, "--target", "y", "--notebooks", FAULT_STAGES, "--run-dir", ref)
    assert r.returncode == 0, r.stderr
    rd = tmp_path / "killed"
    p = _start(["run", "--data", small_table, "--target", "y", "--notebooks", FAULT_STAGES, "--run-dir", rd], env={"FAULT_SLEEP": "60"})
    _wait_for(rd / "fit_started", p)
    split_before = (rd / "split.json").read_bytes()
    p.send_signal(sig); p.wait(60)
    m = json.loads((rd / "manifest.json").read_text())  # readable: written atomically
    st = {s["stage"]: s["status"] for s in m["stages"]}
    assert st["01_split"] == "ok" and st["03_score"] == "pending"
    assert st["02_fit"] == ("interrupted" if sig == signal.SIGTERM else "running"), m
    if sig == signal.SIGTERM: assert p.returncode == 130 and m["status"] == "interrupted"
    assert (rd / "split.json").read_bytes() == split_before and not (rd / "model.json").exists()
    r = cli("run", "--resume", rd, "--notebooks", FAULT_STAGES)
    assert r.returncode == 0, r.stderr
    m = json.loads((rd / "manifest.json").read_text())
    assert m["status"] == "ok" and [s["status"] for s in m["stages"]] == ["ok"] * 3
    assert (rd / "split.json").read_bytes() == split_before, "resume does not re-run finished stages"
    assert json.loads((rd / "metrics.json").read_text()) == json.loads((ref / "metrics.json").read_text())

def test_two_runs_at_once_into_one_runs_folder(small_table, tmp_path):
    procs = [_start(["run", "--data", small_table, "--target", "y", "--notebooks", FAULT_STAGES], cwd=tmp_path) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2
    for rd in runs:
        m = json.loads((rd / "manifest.json").read_text())
        assert m["status"] == "ok" and m["run_dir"] == str(rd.resolve()) and (rd / "metrics.json").exists()

def test_server_sigterm_loses_no_answered_prediction(tiny, tmp_path):
    "Concurrent clients, SIGTERM mid-way: every prediction answered with 200 is in the SQLite log."
    import httpx
    from ml_lifecycle.service import BackgroundServer, read_log
    path, X = tiny
    rec = {"n_items": 3, "amount": 50.0, "wait time": "<30 days", "active": True, "signup": "2024-03-01"}
    log = tmp_path / "log.sqlite"
    ok, stop = [], threading.Event()
    with BackgroundServer(path, log_path=log, timeout=120) as srv:
        def client():
            with httpx.Client(base_url=srv.url, timeout=10) as h:
                while not stop.is_set():
                    try: r = h.post("/predict", json=rec)
                    except httpx.HTTPError: continue
                    if r.status_code == 200: ok.append(r.json()["request_id"])
        ts = [threading.Thread(target=client) for _ in range(8)]
        for t in ts: t.start()
        t0 = time.time()
        while len(ok) < 100 and time.time() - t0 < 60: time.sleep(0.05)
        srv.proc.send_signal(signal.SIGTERM); srv.proc.wait(30)
        stop.set()
        for t in ts: t.join(30)
    assert len(ok) >= 100
    logged = read_log(log)
    assert set(ok) <= set(logged.loc[logged.status == 200, "request_id"]), f"{len(set(ok) - set(logged.request_id))} answered predictions missing from the log"

# ---------------------------------------------------------------- 5. untrusted content stays inert

def test_try_it_page_escapes_names_and_values():
    from ml_lifecycle.service import try_it_page
    evil = '<script>alert("x")</script>'
    schema = [dict(name=evil, kind="categorical", dtype="object", categories=[evil, "a&b"]),
              dict(name='q" onmouseover="alert(1)', kind="text", dtype="object")]
    page = try_it_page(schema, dict(target=evil, task="binary"))
    assert evil not in page and "&lt;script&gt;" in page and 'onmouseover="alert' not in page
    assert page.count("<script>") == 1  # the page's own script only

def test_tampered_model_is_refused(tiny, tmp_path):
    import shutil, skops.io as sio
    from ml_lifecycle.model_io import load_model, meta_path, save_model, sha256_bytes
    path, _ = tiny
    d = tmp_path / "m"; d.mkdir()
    p = Path(shutil.copy(path, d / "model.skops")); shutil.copy(meta_path(path), meta_path(p))
    b = bytearray(p.read_bytes()); b[len(b) // 2] ^= 0xFF; p.write_bytes(bytes(b))
    with pytest.raises(ValueError, match="sha256 differs"): load_model(p)
    # a file holding a type nobody trusted, its sidecar updated to match: refused by type, before anything is built
    q = d / "odd.skops"
    save_model({"model": subprocess.Popen}, q, {"schema": []})
    with pytest.raises(ValueError, match="not trusted.*subprocess.Popen"): load_model(q)
    # bytes that are not a skops file at all, with a matching sidecar
    z = d / "junk.skops"; z.write_bytes(b"PK\x03\x04 not really a zip")
    meta_path(z).write_text(json.dumps({"model_sha256": sha256_bytes(z)}))
    with pytest.raises(ValueError, match="not a readable skops file"): load_model(z)
