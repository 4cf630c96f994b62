"bench/scale.py: sizes parsed with clear errors; slopes, the super-linear and memory flags, the summary and the plot from a saved result (no series is run here)."
import importlib.util, json
from pathlib import Path
import pytest

def _scale():
    p = Path(__file__).resolve().parent.parent / "bench" / "scale.py"
    spec = importlib.util.spec_from_file_location("bench_scale", p); m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m); return m

def _result(engine="pandas"):
    "Three sizes: 'flat' has a fixed cost, 'lin' grows linearly, 'quad' quadratically; 'lin' has growing memory, 'late' from the second size on."
    sizes = {}
    for n in (1_000, 10_000, 100_000):
        k = n / 1_000
        sizes[str(n)] = dict(customers=n, status="ok", measured="t", stages={
            "01_flat": dict(seconds=5.0, peak_mib=400.0), "02_lin": dict(seconds=2.0 * k, peak_mib=100.0 * k),
            "03_quad": dict(seconds=0.1 * k * k, peak_mib=300.0), "04_broke": dict(seconds=1.0, peak_mib=1.0, failed=True),
            "05_late": dict(seconds=1.0, peak_mib=1000.0 if n < 100_000 else 5000.0)},  # flat, then growing: an all-sizes fit hides it
            cells={"03_quad": {"7": [0.1 * k * k, "pairs = all_pairs(df)"], "8": [1.0, "df.head()"]}})
    return dict(engine=engine, sizes=sizes)

def test_sizes_parsed_or_refused():
    s = _scale()
    assert s.parse_sizes("100k,10000,1M") == [10_000, 100_000, 1_000_000]
    for bad, words in (("10k,abc", "'abc' is not a number"), ("500", "too few"), ("10k,10000", "appears twice")):
        with pytest.raises(SystemExit, match=words): s.parse_sizes(bad)

def test_slopes_flags_and_summary(tmp_path):
    s = _scale()
    assert abs(s.slope([1, 10, 100], [3, 30, 300]) - 1) < 1e-9 and s.slope([1], [1]) is None
    f = s.findings(_result(), ram_mib=24 * 1024)
    assert "04_broke" not in f  # a failed stage gives no point on the curve
    assert [st for st, v in f.items() if v["superlinear"]] == ["03_quad"]
    assert sorted(st for st, v in f.items() if v["memory_unbounded"]) == ["02_lin", "05_late"]
    assert s.slope([1_000, 10_000, 100_000], [1000, 1000, 5000]) < 0.5 < f["05_late"]["mem_slope"]  # the end slope sees the growth
    assert abs(f["02_lin"]["ram_at"] - 24 * 1024 * 10) < 10  # 100 MiB per 1000 customers fills 24 GiB near 245,760
    out = s.summary(_result(), ram_mib=24 * 1024)
    assert "super-linear time (slope > 1.15): 03_quad (2.0)" in out and "memory grows with the data (slope between the two largest sizes > 0.5): 02_lin (1.0" in out
    assert s.hot_cells(_result()) == [("03_quad", 7, 2.0, 1000.0, "pairs = all_pairs(df)")] and "03_quad cell 7: slope 2.0" in out
    (tmp_path / "scale_pandas.json").write_text(json.dumps(_result()))
    assert s.plot(tmp_path).stat().st_size > 1000 and s.plot(tmp_path / "empty") is None

def test_cli_errors_before_any_run(tmp_path):
    s = _scale()
    with pytest.raises(SystemExit, match="needs --engine dask"): s.main(["--scheduler", "tcp://x:8786", "--results", str(tmp_path)])
    with pytest.raises(SystemExit, match="no results"): s.main(["--summary", "--results", str(tmp_path)])
    with pytest.raises(SystemExit, match="must be > 0"): s.main(["--interval", "0", "--results", str(tmp_path)])
