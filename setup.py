"""Thin setuptools shim: the project is declared in pyproject.toml.

The one thing it adds: the stage notebooks (nbs/NN_*.ipynb) and settings.ini are copied into the
built package (ml_lifecycle/notebooks/, ml_lifecycle/settings.ini) so `ml-lifecycle run` works from a
non-editable `pip install` too. In a clone (or an editable install) the runner reads nbs/ directly.
"""
import re, shutil
from pathlib import Path
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
STAGE_NB = re.compile(r"^\d\d_.*\.ipynb$")

class build_py_with_notebooks(build_py):
    def run(self):
        super().run()
        if self.editable_mode: return
        pkg = Path(self.build_lib) / "ml_lifecycle"
        (pkg / "notebooks").mkdir(parents=True, exist_ok=True)
        for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
            if STAGE_NB.match(nb.name): shutil.copy2(nb, pkg / "notebooks" / nb.name)
        shutil.copy2(ROOT / "settings.ini", pkg / "settings.ini")

setup(cmdclass={"build_py": build_py_with_notebooks})
