"""Issue 21: ID, ignored and time columns, a test file of one's own, on small generated tables (fast mode).

Each case runs only what it needs: the runner's checks on the fixture stages (seconds), stage 03 for the
chronological split, stage 09 (which rebuilds 01-08 through the library) for a fixed test file.
"""
import json, re
import numpy as np, pandas as pd
import pytest
from conftest import FIXTURES

STAGES = FIXTURES / "stages"
WARN = "rows look time-ordered by `when`: a random split leaks the future; pass --time-column when to split by time"

def table(n=300, seed=0):
    "Hourly rows in time order; `account` is unique per row (an id nobody declared); `duration` leaks the label."
    r = np.random.default_rng(seed)
    x1, x2, plan = r.normal(size=n), r.normal(size=n), r.choice(["basic", "plus", "pro"], n)
    z = 1.2 * x1 - 0.8 * x2 + 0.7 * (plan == "pro") + 0.5 * np.sin(np.arange(n) * 2 * np.pi / 24)
    y = np.where(r.random(n) < 1 / (1 + np.exp(-z)), "yes", "no")
    return pd.DataFrame(dict(account=[f"AC-{i:05d}" for i in r.permutation(n)],
                             when=pd.date_range("2024-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M"),
                             x1=x1.round(3), x2=x2.round(3), plan=plan,
                             duration=(np.where(y == "yes", 30, 5) + r.normal(0, 1, n)).round(1), y=y))

@pytest.fixture
def files(tmp_path):
    t = table()
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    t.iloc[:240].to_csv(train, index=False)
    pd.concat([t.iloc[240:], t.iloc[[250]]]).to_csv(test, index=False)  # 61 rows: one repeated on purpose, none may be dropped
    return train, test

def test_time_ordered_table_warns_once_and_ids_are_detected(cli, files, tmp_path):
    train, _ = files
    r = cli("run", "--data", train, "--target", "y", "--notebooks", STAGES, "--run-dir", tmp_path / "r1", "--stages", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(WARN) == 1 and r.stdout.index(WARN) < r.stdout.index("01_first"), r.stdout
    m = json.loads((tmp_path / "r1" / "manifest.json").read_text())
    assert m["warnings"] == [WARN] and m["columns"]["time_ordered"] == ["when"]
    assert m["columns"]["detected_id_columns"] == ["account"]
    r = cli("run", "--data", train, "--target", "y", "--notebooks", STAGES, "--run-dir", tmp_path / "r2", "--stages", "1",
            "--time-column", "when", "--id-columns", "account", "--ignore", "duration")
    assert r.returncode == 0 and "time-ordered" not in r.stdout + r.stderr, r.stdout
    m = json.loads((tmp_path / "r2" / "manifest.json").read_text())
    assert (m["parameters"]["time_column"], m["parameters"]["ignore"], m["parameters"]["id_columns"]) == ("when", ["duration"], ["account"])
    assert "time_column = when" in (tmp_path / "r2" / "settings.ini").read_text()

BAD = [
    (dict(id_columns="acount"), "--id-columns 'acount': no such column"),
    (dict(ignore="x1,durration"), "--ignore 'durration': no such column"),
    (dict(time_column="wen"), "--time-column 'wen': no such column"),
    (dict(time_column="plan"), "time column 'plan' does not parse as dates"),
    (dict(time_column="x1"), "time column 'x1' holds numbers"),
    (dict(positive_label="maybe"), "--positive-label 'maybe': not a value of target column 'y'"),
    (dict(test_data="cols"), "column 'duration' of the training file is missing"),
    (dict(test_data="classes"), "target column 'y' has class(es) ['maybe'] not seen in the training file"),
]

def _bad_test_file(test, kind, tmp_path):
    t = pd.read_csv(test)
    bad = t.drop(columns="duration") if kind == "cols" else t.assign(y=["maybe"] + list(t.y[1:]))
    bad.to_csv(tmp_path / f"bad_{kind}.csv", index=False)
    return str(tmp_path / f"bad_{kind}.csv")

def test_bad_column_options_fail_before_anything_runs(files, tmp_path):
    from ml_lifecycle.runner import run_series
    train, test = files
    for opts, msg in BAD:
        if "test_data" in opts: opts = dict(test_data=_bad_test_file(test, opts["test_data"], tmp_path))
        with pytest.raises(ValueError, match=re.escape(msg)):
            run_series(data=str(train), target="y", nb_dir=STAGES, run_dir=tmp_path / "r", log=lambda *a: None, **opts)
        assert not (tmp_path / "r").exists(), f"{opts}: nothing ran"

def test_bad_column_options_on_the_command_line_are_one_line(cli, files, tmp_path):
    train, test = files
    for args, msg in [(["--ignore", "durration"], BAD[1][1]), (["--test-data", _bad_test_file(test, "classes", tmp_path)], BAD[-1][1])]:
        r = cli("run", "--data", train, "--target", "y", "--notebooks", STAGES, "--run-dir", tmp_path / "r", *args)
        assert r.returncode == 2 and msg in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr

def test_time_column_splits_chronologically_with_the_latest_rows_in_test(cli, files, tmp_path):
    train, _ = files
    rd = tmp_path / "run"
    r = cli("run", "--fast", "--data", train, "--target", "y", "--time-column", "when", "--stages", "03", "--run-dir", rd)
    assert r.returncode == 0, r.stderr[-3000:]
    info = json.loads((rd / "splits.json").read_text())
    assert info["how"] == "chronological" and info["time_column"] == "when"
    parts = {k: pd.read_parquet(rd / "splits" / f"{k}.parquet") for k in ("train", "valid", "test")}
    assert parts["train"].when.max() < parts["valid"].when.min() and parts["valid"].when.max() < parts["test"].when.min()
    latest = pd.to_datetime(pd.read_csv(train).when).nlargest(len(parts["test"]))
    assert sorted(parts["test"].when) == sorted(latest), "the test rows are the latest rows"
    assert parts["train"].when.is_monotonic_increasing, "rows in time order: time-ordered CV folds can use them as they come"

def test_time_column_gives_time_ordered_folds_and_date_parts(files):
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.problem import generic_spec
    from ml_lifecycle.candidates import make_front, make_cv, split_xy
    from ml_lifecycle.experiments import cv_folds
    train, _ = files
    df = pd.read_csv(train).assign(when=lambda d: pd.to_datetime(d.when))
    spec = generic_spec(resolve_params(data=str(train), target="y", time_column="when"), df)
    X, y = split_xy(df, spec)
    for cv in (make_cv(spec, y, 4), cv_folds(spec, 4)):
        assert all(X.when.iloc[va].min() > X.when.iloc[tr].max() for tr, va in cv.split(X, y))
    cols = make_front(spec, X).fit(X, y).transform(X).columns
    assert any("when_hour" in c for c in cols) and not any(c.endswith("__when") for c in cols)

def test_test_data_metrics_on_exactly_its_rows_ids_and_ignored_out_of_model_and_api(cli, files, tmp_path):
    from sklearn.metrics import roc_auc_score
    from fastapi.testclient import TestClient
    from ml_lifecycle.config import resolve_params
    from ml_lifecycle.clean_internals import read_test_data
    from ml_lifecycle.model_io import load_model
    from ml_lifecycle.serve import create_app, to_records
    train, test = files
    rd = tmp_path / "run"
    r = cli("run", "--fast", "--data", train, "--target", "y", "--test-data", test, "--ignore", "duration",
            "--stages", "09", "--run-dir", rd)
    assert r.returncode == 0, r.stderr[-3000:]
    n_file = len(pd.read_csv(test))
    metrics = json.loads((rd / "metrics.json").read_text())
    assert metrics["n_test"] == n_file == 61
    assert json.loads((rd / "splits" / "test_data.json").read_text())["rows"] == n_file
    assert json.loads((rd / "splits.json").read_text())["sizes"]["test"] == 0, "stage 03 took no test rows from the data file"
    pipe, meta = load_model(rd / "model.skops")
    names = [d["name"] for d in meta["schema"]]
    assert "account" not in names and "duration" not in names and "x1" in names
    assert "account" in meta["spec"]["id_columns"] and meta["spec"]["ignore_columns"] == ["duration"]
    cfg = resolve_params(settings=rd / "settings.ini", run_dir=rd)
    X = read_test_data(cfg)
    p = pipe.predict_proba(X.drop(columns="y"))[:, list(pipe.classes_).index("yes")]
    assert abs(roc_auc_score(X.y == "yes", p) - metrics["test"]["roc_auc"]["value"]) < 1e-9
    app = create_app(rd / "model.skops")
    body = app.openapi()["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]["anyOf"][0]["properties"]
    assert "account" not in body and "duration" not in body
    with TestClient(app) as c:
        rec = to_records(X.drop(columns="y").head(1))[0]
        assert "account" in rec and c.post("/predict", json=rec).status_code == 200, "ids sent by a client are dropped, not refused"
        assert c.post("/predict", json={**rec, "colour": 1}).status_code == 422
