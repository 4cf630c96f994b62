"Tests of ml_lifecycle.task_datasets: determinism, schemas, committed snapshots (content), rates, bad inputs."
import json
from pathlib import Path
import numpy as np, pandas as pd, pytest
from ml_lifecycle import task_datasets as td

MAKE = {n: getattr(td, td.MAKERS[n]) for n in td.TASK_DATASETS}
SCHEMA = {
    "spend": ["customer_id", "region", "age", "household_size", "plan_tier", "contract_type", "payment_method", "tenure_months", "seats",
              "monthly_fee", "discount", "add_ons", "minutes_last_quarter", "sessions_last_quarter", "support_tickets",
              "spend_last_quarter", "next_quarter_spend"],
    "listings": ["listing_id", "title", "description", "price", "seller_rating", "seller_listings", "shipping", "category"],
    "term_deposit": ["client_id", "age", "job", "marital", "education", "balance", "housing", "loan", "contact", "day", "month",
                     "duration", "campaign", "pdays", "previous", "poutcome", "subscribed"],
    "demand": ["date", "value", "is_holiday", "temperature"],
}

@pytest.mark.parametrize("name", list(td.TASK_DATASETS))
def test_deterministic_and_schema(tmp_path, name):
    a, b, c = (MAKE[name](300, seed=s, out=tmp_path / k) for k, s in (("a", 3), ("b", 3), ("c", 4)))
    ta, tb, tc = (pd.read_csv(p / f"{name}.csv") for p in (a, b, c))
    pd.testing.assert_frame_equal(ta, tb)
    assert not ta.equals(tc)
    assert list(ta.columns) == SCHEMA[name] and len(ta) == 300
    assert (a / "_truth" / "truth.csv").exists() and json.loads((a / "params.json").read_text())["n"] == 300
    assert pd.read_csv(a / "_truth" / "truth.csv").shape[0] == 300

def test_committed_snapshots_regenerate_identically():
    assert td.check_task_snapshots() == {n: [] for n in td.TASK_DATASETS}
    for n in td.TASK_DATASETS:
        p = td.task_data_dir(n)
        assert p.name == n and p.parent.name == "data", p  # the committed snapshot, not a cache copy
        assert sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) <= 2 * 2**20
        assert (p / "README.md").read_text().startswith(f"# `{n}`")

def test_check_detects_a_change(tmp_path):
    p = td.make_demand(200, seed=1, out=tmp_path / "demand")
    df = pd.read_csv(p / "demand.csv"); df.loc[5, "value"] += 1; df.to_csv(p / "demand.csv", index=False)
    assert td.check_task_snapshots(["demand"], root=tmp_path) == {"demand": ["demand.csv"]}

def test_spend_rates_and_bayes():
    t, tr = td.load_task_data("spend"), td.load_task_truth("spend")
    y = t.next_quarter_spend
    assert .07 <= (y == 0).mean() <= .13 and y.skew() > 3
    err = y - tr.true_mean
    assert abs(np.sqrt((err ** 2).mean()) / np.sqrt(tr.true_var.mean()) - 1) < .15  # realised vs expected noise level
    assert .75 <= 1 - (err ** 2).mean() / y.var() <= .95
    assert abs(t.age.isna().mean() - .03) < .015

def test_listings_noise_and_bayes():
    t, tr = td.load_task_data("listings"), td.load_task_truth("listings")
    assert 6 <= t.category.nunique() <= 8
    assert abs(tr.noisy.mean() - td.LISTING_NOISE) < .015
    assert (tr.clean_category != t.category).sum() == tr.noisy.sum()
    acc = (tr.bayes_class == t.category).mean()
    assert abs(acc - tr.bayes_prob.mean()) < .02 and .8 <= acc <= .92
    amb = tr[tr["item"] == "phone case"]
    assert set(amb.clean_category) == {"Phones", "Accessories"}

def test_term_deposit_prevalence_and_leak():
    from sklearn.metrics import roc_auc_score
    t, tr = td.load_task_data("term_deposit"), td.load_task_truth("term_deposit")
    y = t.subscribed.eq("yes")
    assert set(t.subscribed) == {"yes", "no"} and .09 <= y.mean() <= .13
    assert roc_auc_score(y, t.duration) > roc_auc_score(y, tr.true_prob) > .7
    assert set(td.DECISION_COLUMNS) | set(td.AFTER_CALL_COLUMNS) | {"client_id", "subscribed"} == set(t.columns)

def test_demand_calendar_and_truth():
    t, tr = td.load_task_data("demand"), td.load_task_truth("demand")
    assert len(t) == 1096 and t.date.is_monotonic_increasing and t.date.diff().dt.days.iloc[1:].eq(1).all()
    assert 20 <= t.is_holiday.sum() <= 30
    comp = tr[["trend", "weekly", "yearly", "holiday", "shift", "temperature"]].sum(axis=1)
    assert np.allclose(np.exp(comp), tr.true_mean, rtol=1e-4)
    assert abs(np.log(t.value / tr.true_mean).std() - td.DEMAND_SIGMA) < .015

@pytest.mark.parametrize("n", [0, -3, 2.5, True, "100"])
def test_bad_sizes(tmp_path, n):
    with pytest.raises(ValueError, match="n="):
        td.make_spend(n, out=tmp_path / "x")

def test_foreign_files_are_refused(tmp_path):
    mine = tmp_path / "mine"; mine.mkdir(); (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not made by make_listings"):
        td.make_listings(100, out=mine)
    assert (mine / "notes.txt").read_text() == "keep me"
    other = td.make_demand(100, out=tmp_path / "d")
    with pytest.raises(ValueError, match="not made by make_spend"):
        td.make_spend(100, out=other)
    again = td.make_demand(120, out=other)  # its own folder: regenerated in place
    assert len(pd.read_csv(again / "demand.csv")) == 120
    (other / "extra.txt").write_text("x")
    with pytest.raises(ValueError, match="extra.txt"):
        td.make_demand(100, out=other)
    with pytest.raises(ValueError, match="name="):
        td.task_data_dir("nope")

def test_data_cli_lists_generates_and_checks(cli, tmp_path):
    r = cli("data", "list")
    assert r.returncode == 0 and all(n in r.stdout for n in ["churn", *td.TASK_DATASETS])
    r = cli("data", "generate", "--dataset", "listings", "--n", "120", "--seed", "5", "--out", tmp_path / "lst")
    assert r.returncode == 0, r.stderr
    direct = td.make_listings(120, seed=5, out=tmp_path / "direct")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "lst" / "listings.csv"), pd.read_csv(direct / "listings.csv"))
    r = cli("data", "check", "--dataset", "spend")
    assert r.returncode == 0 and "spend" in r.stdout and "OK" in r.stdout

def test_data_cli_bad_input(cli, tmp_path):
    r = cli("data", "generate", "--dataset", "weather", "--out", tmp_path / "w")
    assert r.returncode == 2 and "'weather'" in r.stderr and "listings" in r.stderr
    (tmp_path / "mine").mkdir(); (tmp_path / "mine" / "notes.txt").write_text("my own file")
    r = cli("data", "generate", "--dataset", "spend", "--n", "50", "--out", tmp_path / "mine")
    assert r.returncode == 2 and (tmp_path / "mine" / "notes.txt").read_text() == "my own file"  # never overwrites

def test_run_refuses_the_time_series_dataset(cli, tmp_path):
    r = cli("run", "--data", "demand", "--run-dir", tmp_path / "r")
    assert r.returncode == 2 and "time_series" in r.stderr and not (tmp_path / "r").exists()
