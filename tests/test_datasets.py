"Tests of ml_lifecycle.datasets: determinism, the committed snapshot, schemas, defect rates, time travel, drift, bad inputs."
import json, sqlite3
from pathlib import Path
import numpy as np, pandas as pd, pytest
from ml_lifecycle import datasets as ds

SNAP = pd.Timestamp(ds.SNAPSHOT)

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    "A 3,000-customer dataset (three random blocks)."
    return ds.make_churn(3000, seed=7, out=tmp_path_factory.mktemp("d") / "churn")

def tables(p):
    p = Path(p)
    db = sqlite3.connect(p / "billing.sqlite")
    t = dict(customers=pd.read_csv(p / "customers.csv", dtype=str, keep_default_na=False),
             invoices=pd.read_sql("SELECT * FROM invoices", db), payments=pd.read_sql("SELECT * FROM payments", db),
             usage=pd.read_parquet(p / "usage.parquet"), cancellations=pd.read_csv(p / "cancellations.csv"),
             tickets=pd.json_normalize([json.loads(l) for l in open(p / "tickets.jsonl", encoding="utf-8")]),
             truth=ds.load_truth(p))
    db.close()
    return t

def test_deterministic(tmp_path):
    a = ds.make_churn(1000, seed=3, out=tmp_path / "a")
    b = ds.make_churn(1000, seed=3, out=tmp_path / "b")
    c = ds.make_churn(1000, seed=4, out=tmp_path / "c")
    assert (a / "SHA256SUMS").read_text() == (b / "SHA256SUMS").read_text()
    assert (a / "SHA256SUMS").read_text() != (c / "SHA256SUMS").read_text()

def test_values_do_not_depend_on_chunk_size(tmp_path):
    a = ds.load_truth(ds.make_churn(2500, seed=3, out=tmp_path / "a", chunk_size=1000))
    b = ds.load_truth(ds.make_churn(2500, seed=3, out=tmp_path / "b", chunk_size=5000))
    pd.testing.assert_frame_equal(a, b)

def test_committed_snapshot_regenerates_identically():
    p = ds.default_data_dir()
    assert json.loads((p / "params.json").read_text())["n_customers"] == 10_000
    assert ds.check_snapshot() == []
    assert sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) <= 10 * 2**20

def test_snapshot_prevalence_and_bayes():
    m = ds.bayes_metrics(ds.load_truth())
    assert .15 <= m["prevalence"] <= .25
    assert .80 <= m["auc"] <= .90

def test_schemas(small):
    t = tables(small)
    assert list(t["customers"].columns) == ["customer_id", "name", "email", "signup_date", "signup_channel", "region", "age",
        "plan_tier", "contract_type", "payment_method", "monthly_fee", "discount", "household_size", "account_status",
        "retention_offer", "last_contact_date"]
    assert list(t["invoices"].columns) == ["invoice_id", "customer_id", "month", "amount", "price_change", "new_price"]
    assert list(t["payments"].columns) == ["invoice_id", "paid_date", "status"]
    assert list(t["usage"].columns) == ["customer_id", "date", "sessions", "minutes", "features_used", "device"]
    assert list(t["cancellations"].columns) == ["customer_id", "cancel_requested_at", "cancel_effective_at"]
    assert {"ticket_id", "customer.id", "customer.email", "customer.plan", "opened_at", "channel", "category", "message",
            "satisfaction"} == set(t["tickets"].columns)
    assert len(t["customers"]) == 3000 and t["customers"].customer_id.is_unique
    assert set(t["payments"].status) <= {"ok", "late", "failed", "pending"}
    ids = set(t["customers"].customer_id)
    for k in ("invoices", "usage", "cancellations"): assert set(t[k].customer_id) <= ids
    assert set(t["tickets"]["customer.id"]) <= ids
    assert set(t["truth"].customer_id) == ids

def test_no_post_snapshot_information_except_traps(small):
    t = tables(small)
    assert pd.to_datetime(t["usage"].date).max() <= SNAP
    assert pd.to_datetime(t["tickets"].opened_at).max() < SNAP + pd.Timedelta(days=1)
    assert t["invoices"].month.max() <= SNAP.strftime("%Y-%m")
    assert pd.to_datetime(t["payments"].paid_date.dropna()).max() <= SNAP
    c = t["customers"]
    assert pd.to_datetime(c.last_contact_date).max() > SNAP  # a documented trap
    assert set(ds.TRAP_COLUMNS) <= set(c.columns)
    # the traps leak: churners are far more often 'cancelled' / offered retention
    lab = c.merge(t["truth"][["customer_id", "label", "eligible"]], on="customer_id").query("eligible")
    assert (lab.account_status[lab.label == True] == "cancelled").mean() > .6
    assert (lab.account_status[lab.label == False] == "cancelled").mean() < .05

def test_label_derivable_from_cancellations(small):
    t = tables(small)
    tr, ca = t["truth"].query("eligible"), t["cancellations"]
    eff = pd.to_datetime(ca.set_index("customer_id").cancel_effective_at)
    churned = tr.customer_id.map(lambda i: i in eff.index and SNAP < eff[i] <= SNAP + pd.Timedelta(days=30))
    assert (churned.to_numpy() == tr.label.to_numpy(bool)).all()
    gone = set(eff[eff <= SNAP].index)
    assert not gone & set(tr.customer_id)
    assert (pd.to_datetime(ca.cancel_requested_at) <= pd.to_datetime(ca.cancel_effective_at)).all()

def rate(mask): return float(np.mean(mask))

def test_defect_rates(small):
    t, R = tables(small), ds.DEFECT_RATES
    c = t["customers"].merge(t["truth"][["customer_id", "age", "duplicate_of"]].rename(columns={"age": "true_age"}), on="customer_id")
    tol = .025
    assert abs(rate(c.household_size == "") - R["household_size_missing"]) < tol
    old = c.true_age >= 60
    assert abs(rate(c.age[old] == "") - R["age_missing_60plus"]) < .06
    assert abs(rate(c.age[~old] == "") - R["age_missing_under60"]) < .015
    age = pd.to_numeric(c.age[c.age != ""])
    assert abs(rate((age < 0) | (age >= 150)) - R["age_impossible"]) < .006
    assert abs(rate(~c.contract_type.isin(ds.CONTRACTS)) - R["contract_variant"]) < tol
    assert abs(rate(c.monthly_fee == "") - R["fee_blank"]) < .015
    assert abs(rate(c.monthly_fee.str.startswith("$")) - R["fee_dollar"]) < .03
    assert abs(rate(c.signup_date.str.contains("/")) - R["date_us"]) < .03
    assert abs(rate(c.signup_date.str.contains("[a-z]")) - R["date_text"]) < .03
    assert abs(rate(c.region != c.region.str.strip().str.lower()) - R["whitespace_case"]) < tol
    dup = c.duplicate_of.notna()
    assert abs(rate(dup) - R["duplicate_exact"] - R["duplicate_fuzzy"]) < .005
    tk = t["tickets"]
    neg = tk.message.str.lower().str.contains("|".join(ds.SIGNAL_WORDS))
    assert abs(rate(tk.satisfaction[neg].isna()) - R["sat_missing_unhappy"]) < .06
    assert abs(rate(tk.satisfaction[~neg].isna()) - R["sat_missing_happy"]) < .04
    assert (t["usage"].device == "legacy_tv").any() and (t["invoices"].amount > 1000).any()

def test_duplicates_relate_to_an_original(small):
    t = tables(small)
    c, tr = t["customers"].set_index("customer_id"), t["truth"].set_index("customer_id")
    d = tr[tr.duplicate_of.notna()]
    exact = [(c.loc[i].drop("signup_date").equals(c.loc[o].drop("signup_date"))) for i, o in d.duplicate_of.items()]
    assert 0 < sum(exact) < len(d)  # some exact copies, some fuzzy
    assert not set(d.index) & set(t["usage"].customer_id)  # activity is filed under the original id
    assert not d.eligible.any()

def test_drift(tmp_path):
    base = ds.load_truth(ds.make_churn(2000, seed=5, out=tmp_path / "n", month=3))
    cov = ds.load_truth(ds.make_churn(2000, seed=5, out=tmp_path / "c", drift="covariate", month=3))
    pri = ds.load_truth(ds.make_churn(2000, seed=5, out=tmp_path / "p", drift="prior", month=3))
    con = ds.load_truth(ds.make_churn(2000, seed=5, out=tmp_path / "k", drift="concept", month=3))
    assert json.loads((tmp_path / "n" / "params.json").read_text())["snapshot_date"] == "2025-09-30"
    assert pd.to_datetime(pd.read_parquet(tmp_path / "n" / "usage.parquet").date).max() <= pd.Timestamp("2025-09-30")
    assert cov.age.mean() > base.age.mean() + 5 and cov.month_to_month.mean() > base.month_to_month.mean()
    bayes = ds.bayes_metrics(pri)
    assert bayes["prevalence"] > ds.bayes_metrics(base)["prevalence"] + .08
    pd.testing.assert_series_equal(pri.age, base.age)  # prior drift leaves the population alone
    gap = lambda t: t[t.eligible].groupby("price_increase_recent").true_logit.mean().diff().iloc[-1]
    assert gap(con) > gap(base) + .5

def test_bayes_metrics_subset(small):
    tr = ds.load_truth(small)
    ids = tr[tr.eligible].customer_id.iloc[:500]
    m = ds.bayes_metrics(tr, ids)
    assert set(m) == {"auc", "log_loss", "prevalence"} and .5 < m["auc"] < 1
    with pytest.raises(ValueError, match="ids"): ds.bayes_metrics(tr, ids.iloc[:1])

@pytest.mark.parametrize("kw, match", [(dict(n_customers=0), "n_customers"), (dict(n_customers=-5), "n_customers"),
    (dict(n_customers="10"), "n_customers"), (dict(chunk_size=0), "chunk_size"), (dict(drift="sideways"), "drift"),
    (dict(month=-1), "month")])
def test_bad_arguments(tmp_path, kw, match):
    with pytest.raises(ValueError, match=match): ds.make_churn(**{"n_customers": 100, "out": tmp_path / "x", **kw})
    assert not (tmp_path / "x").exists()

def test_never_overwrites_foreign_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not made by make_churn"): ds.make_churn(100, out=tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine" and len(list(tmp_path.iterdir())) == 1
    out = ds.make_churn(100, out=tmp_path / "d")
    (out / "mine.txt").write_text("keep")
    ds.make_churn(200, out=out)  # a folder made by make_churn may be regenerated ...
    assert (out / "mine.txt").read_text() == "keep"  # ... but foreign files survive
    assert json.loads((out / "params.json").read_text())["n_customers"] == 200
    with pytest.raises(ValueError, match="file"): ds.make_churn(100, out=tmp_path / "notes.txt")

def test_snapshot_check_compares_content_not_library_bytes(tmp_path):
    "Parquet and SQLite bytes depend on the pyarrow/SQLite version; the check compares their tables, and still sees a changed value."
    import shutil, sqlite3
    from ml_lifecycle.datasets import _same_content, default_data_dir
    d = default_data_dir()
    pd.read_parquet(d / "usage.parquet").to_parquet(tmp_path / "gz.parquet", compression="gzip")  # other bytes, same table
    assert _same_content(d / "usage.parquet", tmp_path / "gz.parquet")
    x = pd.read_parquet(d / "usage.parquet"); x.iloc[0, 1] = x.iloc[1, 1]; x.to_parquet(tmp_path / "changed.parquet")
    assert not _same_content(d / "usage.parquet", tmp_path / "changed.parquet")
    shutil.copy(d / "billing.sqlite", tmp_path / "b.sqlite")
    with sqlite3.connect(tmp_path / "b.sqlite") as c: c.execute("UPDATE invoices SET amount = amount + 1 WHERE rowid = 1")
    assert not _same_content(d / "billing.sqlite", tmp_path / "b.sqlite")
