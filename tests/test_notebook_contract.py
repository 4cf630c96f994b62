"""Every lesson notebook keeps the contract that lets it run three ways (JupyterLab, nbdev-test, papermill)."""
import json
import pytest
from conftest import NBS

CANON = ["data", "target", "task", "seed", "run_dir", "fast", "settings", "id_columns", "ignore", "time_column", "test_data", "positive_label"]
LESSONS = sorted(p for p in NBS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                 and (p.name[:2].isdigit() and 1 <= int(p.name[:2]) <= 79 or p.parent.name in ("topics", "projects")))

@pytest.mark.parametrize("nb", LESSONS, ids=[str(p.relative_to(NBS)) for p in LESSONS])
def test_lesson_contract(nb):
    import papermill as pm
    d = json.loads(nb.read_text())
    assert d["metadata"]["kernelspec"]["name"] == "python3"
    params = pm.inspect_notebook(str(nb))
    assert list(params) == CANON, f"{nb.name}: parameters {list(params)} differ from {CANON} (or a help comment holds '=')"
    assert all(p["help"] for p in params.values()), f"{nb.name}: every parameter needs a help comment"
    code = [("".join(c["source"])) for c in d["cells"] if c["cell_type"] == "code"]
    assert not any("nbdev_export()" in s for s in code), f"{nb.name}: no nbdev_export() cell (papermill runs outside the repo)"
    assert not any(c.get("outputs") for c in d["cells"] if c["cell_type"] == "code"), f"{nb.name}: commit lessons without outputs"
