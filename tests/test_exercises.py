"""Exercises that answer back: every lesson has enough checked exercises, and the progress command reads them."""
import json, re
from pathlib import Path
import pytest
from conftest import NBS

LESSONS = sorted(p for p in NBS.glob("[0-7][0-9]_*.ipynb") if not p.name.startswith("00_"))
EXTRAS = sorted([*NBS.glob("topics/*.ipynb"), *NBS.glob("projects/*.ipynb")])

def exercises_in(nb: Path) -> dict:
    "Exercise name -> (defined, checked) from a notebook's source."
    src = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
    names = re.findall(r"^(\w+)\s*=\s*Exercise\(\s*[\"'](\w+)[\"']", src, flags=re.M)
    return {name: bool(re.search(rf"^{var}\.check\({name}\)", src, flags=re.M)) for var, name in names}

@pytest.mark.parametrize("nb,least", [(p, 3) for p in LESSONS] + [(p, 2) for p in EXTRAS],
                         ids=[str(p.relative_to(NBS)) for p in LESSONS + EXTRAS])
def test_each_lesson_has_checked_exercises(nb, least):
    ex = exercises_in(nb)
    assert len(ex) >= least, f"{nb.name}: {len(ex)} exercise(s), expected at least {least}"
    unchecked = [n for n, checked in ex.items() if not checked]
    assert not unchecked, f"{nb.name}: exercises with no `var.check(name)` cell: {unchecked}"

def test_placeholders_in_the_committed_lessons():
    "The learner's answer cells ship as placeholders (`...` or None), never with the solution filled in."
    for nb in LESSONS + EXTRAS:
        cells = ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
        src = "\n".join(c for c in cells if "Exercise(" not in c)  # the checkers' cells hold the solutions
        for name in exercises_in(nb):
            assigned = re.findall(rf"^{name}\s*=\s*(.+?)\s*(?:#.*)?$", src, flags=re.M)
            assert assigned and all(a in ("...", "None") for a in assigned), f"{nb.name}: `{name}` must be left as a placeholder, found {assigned}"

def test_progress_command_on_an_executed_lesson(cli, tmp_path):
    "Run one lesson with its placeholders, then with one answer given: `ml-lifecycle exercises` reports each state."
    import papermill as pm
    from ml_lifecycle.exercises import progress
    nb = LESSONS[0]
    out = tmp_path / "mine" / nb.name; out.parent.mkdir()
    pm.execute_notebook(str(nb), str(out), parameters={"fast": True}, cwd=str(NBS), kernel_name="python3", progress_bar=False)
    t = progress(out.parent)
    assert len(t) >= 3 and set(t.status) <= {"not attempted", "skipped"}, t
    r = cli("exercises", out.parent, "--all")
    assert r.returncode == 0, r.stderr
    assert f"0/{len(t)} correct" in r.stdout and "not attempted" in r.stdout

def test_progress_command_bad_folder(cli, tmp_path):
    r = cli("exercises", tmp_path / "missing")
    assert r.returncode == 2 and "does not exist" in r.stderr
