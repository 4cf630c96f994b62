"Lesson 02 on a large churn folder: its demonstrations read a sample folder (`sources.sample_churn_folder`), every source filtered to the sampled customers."
import json
import pandas as pd, pytest
from ml_lifecycle.collect import assemble_churn, pseudonymise, read_tickets
from ml_lifecycle.datasets import make_churn
from ml_lifecycle.sources import sample_churn_folder, churn_size

@pytest.mark.parametrize("partitioned", [False, True])
def test_sample_assembles_to_the_full_table_restricted(tmp_path, partitioned):
    full = make_churn(1500, seed=5, out=tmp_path / "full", chunk_size=1000, partitioned=partitioned)
    s = sample_churn_folder(full, 300, seed=2, out=tmp_path / "s")
    ids = pd.read_csv(s / "customers.csv", dtype="string").customer_id
    assert (len(ids), churn_size(s), ids.is_unique) == (300, 300, True)
    assert (s / "usage.parquet").is_dir() == partitioned
    big, _ = assemble_churn(full, keep_traps=True)
    small, lin = assemble_churn(s, keep_traps=True)
    pd.testing.assert_frame_equal(small, big[big.customer_key.isin(set(pseudonymise(ids)))].reset_index(drop=True))
    t_full, t_s = read_tickets(full / "tickets.jsonl"), read_tickets(s / "tickets.jsonl")
    assert len(t_s) == t_full.customer_id.isin(set(ids)).sum() > 0 and set(t_s.customer_id) <= set(ids)
    assert [r["rows"] for r in lin][:2] == [300, pd.read_csv(full / "cancellations.csv").customer_id.isin(set(ids)).sum()]
    assert sample_churn_folder(full, 1500) == full  # small enough: the folder itself, nothing copied
    with pytest.raises(FileNotFoundError, match="params.json not found"): sample_churn_folder(tmp_path, 10)

def test_stage_02_above_the_cap_reads_a_sample(cli, tmp_path):
    data = make_churn(20_400, seed=3, out=tmp_path / "c20k", chunk_size=10_000, partitioned=True)
    r = cli("run", "--data", data, "--stages", "01-02", "--fast", "--run-dir", tmp_path / "run", env={"ML_LIFECYCLE_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr
    run = tmp_path / "run"
    assert json.loads((run / "samples.json").read_text())["02_demonstrations"] == dict(
        rows=20_000, of=20_400, capped=True, note="random customers, seed 42; every source filtered to them")
    (sample,) = (tmp_path / "cache" / "samples").iterdir()
    assert churn_size(sample) == 20_000 and (sample / "usage.parquet" / "part-00002.parquet").exists()
    out = "".join("".join(o.get("text", "")) for c in json.loads((run / "notebooks" / "02_data_collection.ipynb").read_text())["cells"] for o in c.get("outputs", []))
    assert "the demonstrations read 20,000 of 20,400 customers: a sample" in out and out.count("it holds that") >= 12
    assert "it does not hold" not in out and "does not apply" not in out  # every reading of the lesson holds on the sample
    lin = json.loads((run / "lineage.json").read_text())  # the handed-on table: every customer, not the sample
    assert lin[0]["rows"] == 20_400 and len(pd.read_parquet(run / "table.parquet")) > 20_000 * 0.9
