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

def pytest_collection_modifyitems(config, items):
    "Start the long end-to-end runs first, so the workers (-n 2, work stealing) finish together."
    items.sort(key=lambda it: 0 if "test_series" in it.nodeid or "08_training" in it.nodeid else 1)
