"""The Dask engine (issue 17): the same answers as the pandas path, and one clear error when the cluster cannot work.

Small clusters only (in-process threads or 2 workers x 1 thread). The 100k-customer parity case generates its data once
into the kit's cache folder (`datasets.cache_dir()`, partitioned, 2 processes) and reuses it."""
import json
import numpy as np, pandas as pd
import pytest

pytest.importorskip("dask.dataframe"); pytest.importorskip("distributed")

@pytest.fixture(scope="module")
def client():
    from ml_lifecycle.engine import dask_client
    c = dask_client(n_workers=2, processes=False)
    yield c
    c.close(); c.cluster.close()

# --- errors: one line naming the address, before a run folder exists ------------------------------------
def test_unreachable_scheduler_is_one_line(cli, tmp_path):
    r = cli("run", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--stages", "01", "--fast", "--run-dir", tmp_path / "run")
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "dask scheduler tcp://127.0.0.1:9: not reachable" in lines[0], r.stderr
    assert not (tmp_path / "run").exists()

def test_scheduler_without_workers(tmp_path):
    from distributed import LocalCluster
    from ml_lifecycle.engine import EngineError
    from ml_lifecycle.runner import run_series, check_engine
    empty = LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=":0")
    try:
        with pytest.raises(EngineError, match=f"{empty.scheduler_address}: no worker joined"): check_engine(empty.scheduler_address, timeout=1)
        with pytest.raises(EngineError, match="no worker joined"):
            run_series(stages="01", fast=True, run_dir=tmp_path / "run", engine="dask", scheduler=empty.scheduler_address, log=lambda m: None)
        assert not (tmp_path / "run").exists()
    finally: empty.close()

def test_lost_worker_names_the_stage(client):
    from distributed.comm.core import CommClosedError
    from ml_lifecycle.engine import EngineError, _lost_worker
    with pytest.raises(EngineError, match="05_feature_engineering: a Dask worker was lost on scheduler .*--resume"):
        _lost_worker(CommClosedError("Stream is closed"), client, "05_feature_engineering")

# --- the CLI: stages 01-02 on the Dask engine, on a generated partitioned folder; the table equal to the pandas one --
def test_cli_engine_dask_stages_01_02(cli, tmp_path):
    from ml_lifecycle.collect import assemble_churn
    from ml_lifecycle.datasets import make_churn
    data = make_churn(3000, seed=7, out=tmp_path / "churn3k", chunk_size=1000, partitioned=True, workers=2)  # 3 part files
    r = cli("run", "--engine", "dask", "--data", data, "--stages", "01-02", "--fast", "--run-dir", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert m["engine"]["engine"] == "dask" and m["engine"]["workers"] >= 1 and m["engine"]["scheduler_setting"] == "local"
    assert m["settings"]["engine"] == "dask" and [s["status"] for s in m["stages"]] == ["ok", "ok"]
    assert m["parameters"]["data"] == str(data.resolve()) and "usage.parquet/part-00002.parquet" in m["inputs"]
    assert "(dask, 3 partitions)" in json.loads((tmp_path / "run" / "lineage.json").read_text())[2]["how"]
    assemble_churn(data)[0].to_parquet(tmp_path / "pandas.parquet", index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "run" / "table.parquet"), pd.read_parquet(tmp_path / "pandas.parquet"))

# --- parity on 100,000 customers -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big():
    from ml_lifecycle.datasets import make_churn
    return make_churn(100_000, seed=42, partitioned=True, workers=2)  # cached in cache_dir() after the first time

@pytest.fixture(scope="module")
def big_table(big):
    from ml_lifecycle.collect import assemble_churn
    return assemble_churn(big)[0]  # the pandas path

@pytest.mark.slow
def test_parity_100k_features(big, big_table, client):
    from ml_lifecycle.collect import read_usage, snapshot_date
    from ml_lifecycle.features import window_aggregates
    from ml_lifecycle.engine import assemble_churn_dask, read_usage_dask, window_aggregates_dask
    assert len(list((big / "usage.parquet").glob("part-*.parquet"))) == 5
    a = big_table
    b, lin = assemble_churn_dask(big, client)
    key = lambda t: t.sort_values("customer_key").reset_index(drop=True)
    pd.testing.assert_frame_equal(key(a), key(b))
    assert len(b) > 80_000 and lin[2]["rows"] > 3_000_000
    snap = snapshot_date(big)
    pw = window_aggregates(read_usage(big, snap), snap, windows=(7, 90), values=("minutes",), aggs=("sum", "mean"))
    dw = window_aggregates_dask(read_usage_dask(big, snap), snap, windows=(7, 90), values=("minutes",), aggs=("sum", "mean"), client=client)
    pd.testing.assert_frame_equal(pw.sort_index(), dw)

@pytest.mark.slow
def test_parity_100k_xgboost_auc(big_table, client):
    from sklearn.metrics import roc_auc_score
    from xgboost import XGBClassifier
    from ml_lifecycle.candidate_internals import LabelEncodedClassifier
    from ml_lifecycle.search_cache import early_stopped_fit
    from ml_lifecycle.engine import fit_xgb_dask
    t = big_table
    X = t.select_dtypes("number").drop(columns=["churned"]).astype("float64"); y = t.churned.to_numpy()
    rng = np.random.default_rng(0); part = rng.permutation(len(X)); n = len(X)
    tr, va, te = part[: int(.7 * n)], part[int(.7 * n): int(.85 * n)], part[int(.85 * n):]
    model = LabelEncodedClassifier(XGBClassifier(n_estimators=300, learning_rate=0.1, max_depth=3, n_jobs=1, random_state=0))
    one, _ = early_stopped_fit(model, X.iloc[tr], y[tr], X.iloc[va], y[va])
    dist, k = fit_xgb_dask(model, X.iloc[tr], y[tr], X.iloc[va], y[va], client)
    auc = lambda m: roc_auc_score(y[te], m.predict_proba(X.iloc[te])[:, 1])
    assert type(dist.estimator_) is XGBClassifier and dist.estimator_.get_booster().num_boosted_rounds() == k
    assert abs(auc(dist) - auc(one)) < 0.005, (auc(dist), auc(one))
