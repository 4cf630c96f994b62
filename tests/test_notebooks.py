"""Every notebook in nbs/ is a test: executed as nbdev-test does (cwd nbs/, fast mode, `#| eval: false` skipped), in
solutions mode: every exercise left as a placeholder runs its own solution, which must pass its check. (The series
tests run the same lessons with the placeholders, which must print "not attempted" and never fail.)"""
import os, subprocess, sys
import pytest
from conftest import NBS, ROOT

NOTEBOOKS = sorted(p for p in NBS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)

def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3, f"expected notebooks in {NBS}"

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[str(p.relative_to(NBS)) for p in NOTEBOOKS])
def test_notebook_runs(nb):
    env = {**os.environ, "ML_LIFECYCLE_FAST": "true", "MPLBACKEND": "Agg", "ML_LIFECYCLE_SOLUTIONS": "1"}
    r = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbdev-test"), str(nb), "--n-workers", "0"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    out = "\n".join(l for l in (r.stdout + r.stderr).splitlines() if "Kernel is running over TCP" not in l)
    assert r.returncode == 0 and "Success" in out, f"{nb.name} failed:\n{out[-6000:]}"
