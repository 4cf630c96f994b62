"""Stages side by side (issue 22): `--jobs`, on fixture stages named like the kit's (tests/fixtures/branch_stages:
03, 04 (sleeps 3 s), 05 (sleeps 1 s), 06, 12). 04 may run beside 05 and 06; 12 needs everything."""
import json, signal, time
from datetime import datetime
from pathlib import Path
import pytest
from conftest import FIXTURES

BRANCH = FIXTURES / "branch_stages"

def _times(rd):
    "stage -> (start, end) from the manifest, as datetimes."
    m = json.loads((Path(rd) / "manifest.json").read_text())
    return m, {r["stage"]: (datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])) for r in m["stages"] if r["start"]}

def _overlap(a, b): return a[0] < b[1] and b[0] < a[1]

def test_jobs_2_runs_eda_beside_features(cli, loans, tmp_path):
    rd = tmp_path / "run"
    r = cli("run", "--data", loans, "--target", "default", "--notebooks", BRANCH, "--run-dir", rd, "--jobs", "2")
    assert r.returncode == 0, r.stderr
    m, t = _times(rd)
    assert m["status"] == "ok" and m["jobs"] == 2 and all(s["status"] == "ok" for s in m["stages"])
    assert _overlap(t["04_eda"], t["05_feature_engineering"]), t
    assert t["05_feature_engineering"][0] >= t["03_data_cleaning"][1] and t["06_feature_selection"][0] >= t["05_feature_engineering"][1]
    assert t["12_presenting_results"][0] >= max(e for s, (_, e) in t.items() if s != "12_presenting_results")
    for s in m["stages"]:  # what each kernel saw: the run folder as its working folder
        assert (rd / f"{s['stage']}.json").exists() and Path(s["output"]).exists()
    assert r.stdout.count("✓") == 5

def test_jobs_1_is_sequential(cli, loans, tmp_path):
    rd = tmp_path / "run"
    r = cli("run", "--data", loans, "--target", "default", "--notebooks", BRANCH, "--run-dir", rd, "--jobs", "1")
    assert r.returncode == 0, r.stderr
    m, t = _times(rd)
    assert m["jobs"] == 1
    order = [s["stage"] for s in m["stages"]]
    for a, b in zip(order, order[1:]): assert t[a][1] <= t[b][0], (a, b, t)

def test_failure_in_one_branch_lets_the_other_finish_then_resume(cli, loans, tmp_path):
    rd = tmp_path / "run"
    r = cli("run", "--data", loans, "--target", "default", "--notebooks", BRANCH, "--run-dir", rd, "--jobs", "2",
            env={"FIXTURE_FAIL": "05_feature_engineering"})
    assert r.returncode == 1
    assert "stage 05_feature_engineering failed at cell" in r.stderr and "fixture 05_feature_engineering asked to fail" in r.stderr
    m = json.loads((rd / "manifest.json").read_text())
    st = {s["stage"]: s["status"] for s in m["stages"]}
    assert st == {"03_data_cleaning": "ok", "04_eda": "ok", "05_feature_engineering": "failed",
                  "06_feature_selection": "pending", "12_presenting_results": "pending"} and m["status"] == "failed", st
    assert (rd / "04_eda.json").exists(), "the running branch finished"
    before = {p: (rd / p).read_text() for p in ("03_data_cleaning.json", "04_eda.json")}
    r = cli("run", "--resume", rd, "--notebooks", BRANCH, "--jobs", "2")
    assert r.returncode == 0, r.stderr
    m = json.loads((rd / "manifest.json").read_text())
    assert m["status"] == "ok" and [s["status"] for s in m["stages"]] == ["ok"] * 5
    assert {p: (rd / p).read_text() for p in before} == before, "resume runs only the stages not ok"
    assert r.stdout.count("✓") == 3

def test_sigterm_stops_both_branches(loans, tmp_path):
    from test_hardening import _start
    rd = tmp_path / "run"
    p = _start(["run", "--data", loans, "--target", "default", "--notebooks", BRANCH, "--run-dir", rd, "--jobs", "2"])
    t0 = time.time()
    while True:  # both 04 and 05 running
        m = json.loads((rd / "manifest.json").read_text()) if (rd / "manifest.json").exists() else {"stages": []}
        if sum(s["status"] == "running" for s in m["stages"]) == 2: break
        assert p.poll() is None and time.time() - t0 < 60, m
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM); p.wait(60)
    m = json.loads((rd / "manifest.json").read_text())
    st = {s["stage"]: s["status"] for s in m["stages"]}
    assert p.returncode == 130 and m["status"] == "interrupted", (p.returncode, m)
    assert st["03_data_cleaning"] == "ok" and st["04_eda"] == "interrupted" and st["12_presenting_results"] == "pending", st
    assert st["05_feature_engineering"] in ("interrupted", "ok"), st  # 05 sleeps 1 s: it may have finished
