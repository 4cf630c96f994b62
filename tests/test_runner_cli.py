"""The runner and the CLI on small fixture stages: parameters, failure, resume, bad arguments."""
import json
from pathlib import Path
import pytest
from conftest import FIXTURES

STAGES = FIXTURES / "stages"

def test_help_lists_every_command(cli):
    r = cli("--help")
    assert r.returncode == 0
    for c in ("run", "stages", "params", "data"): assert c in r.stdout
    r = cli("run", "--help")
    for opt in ("--data", "--target", "--task", "--stages", "--run-dir", "--resume", "--fast", "-p", "--id-columns", "--ignore",
                "--time-column", "--test-data", "--positive-label", "--jobs"): assert opt in r.stdout

def test_stages_and_params(cli):
    r = cli("stages", "--notebooks", STAGES)
    assert r.returncode == 0 and "02_second" in r.stdout
    r = cli("params", "--notebooks", STAGES)
    assert r.returncode == 0
    for name in ("data", "target", "task", "seed", "run_dir", "fast", "settings", "id_columns", "ignore", "time_column",
                 "test_data", "positive_label"): assert name in r.stdout

def test_run_writes_a_complete_manifest(cli, loans, tmp_path):
    rd = tmp_path / "run"
    r = cli("run", "--data", loans, "--target", "default", "--notebooks", STAGES, "--run-dir", rd, "--seed", "7")
    assert r.returncode == 0, r.stderr
    m = json.loads((rd / "manifest.json").read_text())
    for k in ("parameters", "packages", "python", "inputs", "stages", "git_commit", "settings"): assert k in m
    assert m["status"] == "ok" and m["parameters"]["seed"] == 7 and m["parameters"]["task"] == "binary"
    assert m["inputs"][str(loans)] and len(m["inputs"][str(loans)]) == 64
    for s in m["stages"]:
        assert s["status"] == "ok" and s["duration_s"] >= 0 and Path(s["output"]).exists()
    seen = json.loads((rd / "01_first.json").read_text())
    assert seen["seed"] == 7 and seen["target"] == "default" and seen["data"] == str(loans)

def test_failure_names_stage_and_cell_then_resume_finishes(cli, loans, tmp_path):
    rd = tmp_path / "run"
    r = cli("run", "--data", loans, "--target", "default", "--notebooks", STAGES, "--run-dir", rd, env={"FIXTURE_FAIL": "1"})
    assert r.returncode == 1
    assert "stage 02_second failed at cell" in r.stderr and "fixture asked to fail" in r.stderr
    assert str(rd / "notebooks" / "02_second.ipynb") in r.stderr
    m = json.loads((rd / "manifest.json").read_text())
    assert [s["status"] for s in m["stages"]] == ["ok", "failed", "pending"] and m["status"] == "failed"
    assert (rd / "notebooks" / "02_second.ipynb").exists(), "the partial notebook is kept"
    first_out = (rd / "01_first.json").read_text()
    r = cli("run", "--resume", rd, "--notebooks", STAGES)
    assert r.returncode == 0, r.stderr
    m = json.loads((rd / "manifest.json").read_text())
    assert [s["status"] for s in m["stages"]] == ["ok"] * 3 and m["status"] == "ok" and m["resumed"]
    assert (rd / "01_first.json").read_text() == first_out, "resume does not re-run finished stages"

def test_runs_never_overwrite(cli, loans, tmp_path):
    rd = tmp_path / "run"; rd.mkdir(); (rd / "mine.txt").write_text("keep me")
    r = cli("run", "--data", loans, "--target", "default", "--notebooks", STAGES, "--run-dir", rd)
    assert r.returncode == 2 and "not empty" in r.stderr
    assert (rd / "mine.txt").read_text() == "keep me"

def test_default_run_dirs_are_new_each_time(cli, loans, tmp_path):
    for _ in range(2):
        r = cli("run", "--data", loans, "--target", "default", "--notebooks", STAGES, "--stages", "1", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all(p.name.endswith("-loans-default") for p in runs)

@pytest.mark.parametrize("args,msg", [
    (["--target", "nope"], "target column 'nope' not found"),
    (["--target", "default", "--task", "regression"], None),
    (["--target", "income", "--task", "binary"], "task 'binary' expects exactly 2"),
    (["--target", "default", "-p", "sed", "1"], "not a parameter of the notebooks"),
    (["--target", "default", "-p", "seed", "1"], "use the --seed option"),
    (["--target", "default", "--stages", "42"], "matches no stage"),
])
def test_bad_arguments_get_clear_errors(cli, loans, tmp_path, args, msg):
    r = cli("run", "--data", loans, "--notebooks", STAGES, "--run-dir", tmp_path / "r", *args)
    if msg is None:   # a 0/1 target is numeric, so regression is allowed: it must run
        assert r.returncode == 0, r.stderr; return
    assert r.returncode == 2, r.stderr
    assert msg in r.stderr and "Traceback" not in r.stderr

def test_bad_data_files(cli, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("a,b\n")
    for f, msg in [("missing.csv", "does not exist"), ("empty.csv", "is empty"), ("header.csv", "no rows")]:
        r = cli("run", "--data", tmp_path / f, "--target", "a", "--notebooks", STAGES)
        assert r.returncode == 2 and msg in r.stderr, r.stderr

def test_bad_settings_file(cli, loans, tmp_path):
    bad = tmp_path / "settings.ini"; bad.write_text("[ml-lifecycle]\ndataset = churn\ncolour = blue\n")
    r = cli("run", "--data", loans, "--target", "default", "--notebooks", STAGES, "--settings", bad)
    assert r.returncode == 2 and "unknown settings key(s) ['colour']" in r.stderr
