"bench/series.py: tables by name or path, at a size, cached; the per-stage table with shares (no series is run here)."
import importlib.util, sys
from pathlib import Path
import pandas as pd

def _series():
    p = Path(__file__).resolve().parent.parent / "bench" / "series.py"
    spec = importlib.util.spec_from_file_location("bench_series", p); m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m); return m

def test_task_dataset_at_a_size(tmp_path, monkeypatch):
    monkeypatch.setenv("ML_LIFECYCLE_CACHE", str(tmp_path))
    s = _series()
    data, target, task, label = s.table_args("spend", 300)
    assert (target, task, label) == ("next_quarter_spend", "regression", "spend-300")
    assert len(pd.read_csv(data)) == 300 and str(tmp_path) in data
    assert s.table_args("spend", 300)[0] == data  # a repeat reuses the cached table

def test_csv_cut_and_table(tmp_path, monkeypatch):
    monkeypatch.setenv("ML_LIFECYCLE_CACHE", str(tmp_path))
    s = _series()
    csv = tmp_path / "mine.csv"; pd.DataFrame({"x": range(50), "y": [0, 1] * 25}).to_csv(csv, index=False)
    data, target, task, label = s.table_args(str(csv), 20, "y")
    assert (target, label, len(pd.read_csv(data))) == ("y", "mine-20", 20)
    out = s.stage_table(dict(table="t", mode="fast", status="ok", total_s=3.5, jobs=2, stages={"01_a": 1.0, "02_b": 3.0}))
    assert "25 %" in out and "75 %" in out and "total 3.5 s wall with --jobs 2" in out and "stages sum 4.0 s" in out
