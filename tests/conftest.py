import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
FIXTURES = ROOT / "tests" / "fixtures"

# Every notebook and run executed by the tests uses the small budgets.
os.environ.setdefault("ML_LIFECYCLE_FAST", "true")

@pytest.fixture
def cli():
    "Run `ml-lifecycle ARGS...` in a subprocess; returns CompletedProcess (text)."
    import subprocess
    def run(*args, env=None, timeout=900, cwd=None):
        e = {**os.environ, **(env or {})}
        exe = Path(sys.executable).parent / "ml-lifecycle"
        return subprocess.run([str(exe), *map(str, args)], capture_output=True,
                              text=True, env=e, timeout=timeout, cwd=cwd)
    return run

@pytest.fixture
def loans(tmp_path):
    "A 40-row binary CSV (income, age, default): enough for the runner's checks, tiny for fixture stages."
    p = tmp_path / "loans.csv"
    p.write_text("income,age,default\n" + "\n".join(f"{1000+i},{20+i%40},{i%2}" for i in range(40)) + "\n")
    return p

def pytest_collection_modifyitems(config, items):
    "Start the long end-to-end runs first, so the workers (-n 2, work stealing) finish together; the site test last (it reads their fast run)."
    items.sort(key=lambda it: 0 if "test_series" in it.nodeid or "08_training" in it.nodeid else 2 if "test_site" in it.nodeid or "test_fast_run_report" in it.nodeid else 1)

# --- one fast run of the series on the built-in data, shared by the tests that need one --------------------------
class SharedRun:
    "The result of `ml-lifecycle run --fast` into `run_dir`: returncode, stdout, stderr (as the CLI left them)."
    def __init__(self, run_dir, returncode, stdout, stderr):
        self.run_dir, self.returncode, self.stdout, self.stderr = Path(run_dir), returncode, stdout, stderr

@pytest.fixture(scope="session")
def fast_run(tmp_path_factory):
    """One fast run of the series on the built-in data, made once per test session and read by several tests (the series
    end to end, the website). Under pytest-xdist the workers share it through a folder beside their own temporary
    folders, guarded by a file lock: the first worker runs it, the others wait and read it. Tests must not write into it."""
    import fcntl, json, subprocess
    if os.environ.get("ML_LIFECYCLE_TEST_RUN"):  # developing: reuse a finished fast run (`ml-lifecycle run --fast`) instead
        return SharedRun(os.environ["ML_LIFECYCLE_TEST_RUN"], 0, "", "")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"): shared = shared.parent  # the session's folder, common to the workers
    run_dir, result = shared / "shared-fast-run", shared / "shared-fast-run.json"
    with open(shared / "shared-fast-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not result.exists():
                exe = Path(sys.executable).parent / "ml-lifecycle"
                r = subprocess.run([str(exe), "run", "--fast", "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=1500,
                                   env={**{k: v for k, v in os.environ.items() if k != "ML_LIFECYCLE_SOLUTIONS"}, "ML_LIFECYCLE_FAST": "true"})
                result.write_text(json.dumps(dict(returncode=r.returncode, stdout=r.stdout, stderr=r.stderr)))
        finally: fcntl.flock(lock, fcntl.LOCK_UN)
    return SharedRun(run_dir, **json.loads(result.read_text()))
