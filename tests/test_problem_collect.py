"Bad inputs of ml_lifecycle.problem and ml_lifecycle.collect: each error names the field, column or file."
import json
from pathlib import Path
import numpy as np, pandas as pd, pytest
from ml_lifecycle.config import resolve_params
from ml_lifecycle.problem import ProblemSpec, Costs, load_spec, expected_profit, profit_curve, rule_baseline, naive_score
from ml_lifecycle.collect import (read_csv_robust, check_schema, load_table, pseudonymise, lineage_record, churn_labels,
                                  tickets_frame, serve_records, fetch_json, fetch_all_pages, usage_features)

FIX = Path(__file__).parent / "fixtures"

def spec(**kw):
    d = dict(task="binary", target="churned", metric="average_precision", positive_label=1,
             costs=Costs(20, 300, 0.3), capacity=0.2)
    return ProblemSpec(**{**d, **kw})

# --- ProblemSpec ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, field", [
    (dict(task="ranking"), "'task'"), (dict(metric="rmse"), "'metric'"), (dict(metric="precision_at_k"), "'metric'"),
    (dict(costs=Costs(-20, 300, 0.3)), "costs.offer_cost"), (dict(costs=Costs(20, -300, 0.3)), "costs.customer_value"),
    (dict(costs=Costs(20, 300, 1.5)), "costs.acceptance_rate"), (dict(capacity=0), "'capacity'"),
    (dict(capacity=1.2), "'capacity'"), (dict(target=""), "'target'"), (dict(acceptance_bar={"minimum": 1}), "acceptance_bar"),
])
def test_spec_validate_names_field(kw, field):
    with pytest.raises(ValueError, match=field.replace("(", r"\(")): spec(**kw).validate()

def test_spec_roundtrip_and_unknown_key(tmp_path):
    s = spec(positive_label=np.int64(1)); p = s.save(tmp_path / "problem_spec.json")
    assert ProblemSpec.load(p).costs.tp_value == pytest.approx(70)
    d = json.loads(p.read_text()); d["capacitty"] = 0.3; p.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="unknown ProblemSpec field"): ProblemSpec.load(p)

def test_load_spec_user_csvs(tmp_path):
    loans = load_spec(resolve_params(data=str(FIX / "loans.csv"), target="default", run_dir=tmp_path))
    assert (loans.task, loans.positive_label, loans.costs) == ("binary", "yes", None)
    assert (tmp_path / "problem_spec.json").exists()
    houses = load_spec(resolve_params(data=str(FIX / "houses.csv"), target="price"))
    assert (houses.task, houses.metric) == ("regression", "rmse") and houses.acceptance_bar["max"] > 0
    with pytest.raises(ValueError, match="target column 'prize' not found"):
        load_spec(resolve_params(data=str(FIX / "houses.csv"), target="prize"))

def test_profit_errors():
    with pytest.raises(ValueError, match="targeted has 1"): expected_profit([1, 0], [True], spec())
    with pytest.raises(ValueError, match="'costs' is None"): expected_profit([1, 0], [True, False], spec(costs=None))
    with pytest.raises(ValueError, match="missing values"): profit_curve([1, 0], [0.5, np.nan], spec())
    assert profit_curve([1, 0, 0, 1], [4, 3, 2, 1], spec(), [0.5]).profit.iloc[0] == 50

def test_rule_baseline_missing_column():
    with pytest.raises(ValueError, match=r"\['minutes_prev_30d'\]"):
        rule_baseline(pd.DataFrame({"contract_type": ["MTM"], "minutes_last_30d": [1.0]}))

def test_naive_score():
    assert naive_score(pd.Series([1.0, 3.0]), spec(task="regression", metric="rmse", costs=None)) == 1.0
    assert naive_score(pd.Series([1, 0, 0, 0]), spec()) == 0.25

# --- collect -------------------------------------------------------------------------------------
def test_read_csv_robust_errors(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "blank.csv").write_text("\n\n  \n")
    (tmp_path / "header.csv").write_text("a,b\n")
    (tmp_path / "bad.csv").write_text('a,b\n1,2\n3,"4\n5,6,7,8\n')
    for name, msg in [("empty.csv", "is empty"), ("blank.csv", "is empty"), ("header.csv", "header but no rows"),
                      ("bad.csv", "could not be parsed"), ("missing.csv", "does not exist")]:
        with pytest.raises((ValueError, FileNotFoundError), match=msg): read_csv_robust(tmp_path / name)

def test_read_csv_robust_sniffs(tmp_path):
    (tmp_path / "eu.csv").write_bytes("id;city\n007;Zürich\n".encode("cp1252"))
    df = read_csv_robust(tmp_path / "eu.csv", dtype={"id": "string"})
    assert df.id.iloc[0] == "007" and df.city.iloc[0] == "Zürich" and df.attrs["sep"] == ";"

def test_check_schema_errors():
    df = pd.DataFrame({"id": ["a"], "amount": ["1.5"]})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['when'\]"): check_schema(df, {"when": "datetime"}, "src")
    with pytest.raises(ValueError, match="'amount' is .*expected number"): check_schema(df, {"amount": "number"}, "src")
    with pytest.raises(ValueError, match="no rows"): check_schema(df.iloc[:0], {"id": "string"}, "src")
    with pytest.raises(ValueError, match="unknown kind"): check_schema(df, {"id": "text"}, "src")

def test_load_table_user_csv(tmp_path):
    cfg = resolve_params(data=str(FIX / "houses.csv"), target="price", run_dir=tmp_path)
    t = load_table(cfg)
    assert t.shape == (200, 6) and (tmp_path / "table.parquet").exists()
    lin = json.loads((tmp_path / "lineage.json").read_text())
    assert lin[0]["rows"] == 200 and len(lin[0]["sha256"]) == 64
    with pytest.raises(ValueError, match="target column 'default' not found"):
        load_table(resolve_params(data=str(FIX / "houses.csv"), target="default"))
    with pytest.raises(ValueError, match="not numeric"):
        load_table(resolve_params(data=str(FIX / "loans.csv"), target="purpose", task="regression"))

def test_labels_and_privacy():
    c = pd.DataFrame({"customer_id": ["a", "b"], "cancel_requested_at": pd.to_datetime(["2025-06-01", "2025-07-01"]),
                      "cancel_effective_at": pd.to_datetime(["2025-06-30", "2025-07-30"])})
    lab = churn_labels(pd.Series(["a", "b", "c"]), c, "2025-06-30")
    assert lab.eligible.tolist() == [False, True, True] and lab.churned.tolist() == [0, 1, 0]
    k = pseudonymise(pd.Series(["a", "a"]), salt="x")
    assert k[0] == k[1] and "a" not in k[0]

def test_tickets_and_usage_errors():
    with pytest.raises(ValueError, match="no tickets"): tickets_frame([])
    with pytest.raises(ValueError, match=r"missing column\(s\)"):
        tickets_frame([{"ticket_id": 1, "customer": {"id": "a"}, "opened_at": "2025-01-01T00:00:00", "message": "x",
                        "category": "x", "channel": "x"}])
    u = pd.DataFrame({"customer_id": ["a", "a"], "date": pd.to_datetime(["2025-06-30", "2025-06-29"]),
                      "sessions": [1, 1], "minutes": [60.0, 1.0], "features_used": [1, 1], "device": ["web", "legacy_tv"]})
    assert usage_features(u, "2025-06-30").minutes_last_30d.iloc[0] == 120.0  # hours converted before summing

def test_http_client_retries_and_errors():
    srv, url = serve_records({"/x": list(range(5))}, page_size=2, fail_first=1)
    try:
        assert fetch_all_pages(url, "/x", backoff=0.01) == list(range(5))
        with pytest.raises(ValueError, match="HTTP 404"): fetch_json(url + "/nope")
    finally: srv.shutdown(); srv.server_close()
    srv, url = serve_records({"/x": [1]}, fail_first=10)
    try:
        with pytest.raises(ConnectionError, match="after 2 attempts"): fetch_json(url + "/x", retries=1, backoff=0.01)
    finally: srv.shutdown(); srv.server_close()

# --- the two notebooks on non-churn data (papermill, fast mode) ------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("nb", ["01_problem_definition", "02_data_collection"])
@pytest.mark.parametrize("data, target", [("loans.csv", "default"), ("houses.csv", "price")])
def test_notebooks_on_user_csv(nb, data, target, tmp_path):
    import papermill as pm
    nbs = Path(__file__).parent.parent / "nbs"
    pm.execute_notebook(str(nbs / f"{nb}.ipynb"), str(tmp_path / "out.ipynb"), cwd=str(nbs), progress_bar=False,
                        parameters=dict(data=str(FIX / data), target=target, fast=True, run_dir=str(tmp_path / "run")))
    assert (tmp_path / "run" / ("problem_spec.json" if nb.startswith("01") else "table.parquet")).exists()

# --- sources (the plumbing under lessons 01 and 02) ----------------------------------------------
def test_sources_reexported_and_strict(tmp_path):
    import ml_lifecycle.collect as collect, ml_lifecycle.sources as sources
    for name in ("read_csv_robust", "sha256_file", "sha256_frame", "serve_records", "fetch_json", "churn_dir", "snapshot_date"):
        assert getattr(collect, name) is getattr(sources, name) and name in collect.__all__
    p = sources.write_json({"a": sources.plain(np.int64(1))}, tmp_path / "r.json")
    assert sources.read_json_fields(p, {"a"}) == {"a": 1}
    with pytest.raises(ValueError, match=r"unknown thing field\(s\) \['a'\]"): sources.read_json_fields(p, {"b"}, "thing")
    assert sources.positive_label_of(pd.Series(["no", "yes"])) == "yes"
    assert sources.positive_mask(["1", 0, 1]).tolist() == [True, False, True]
    with pytest.raises(ValueError, match="is empty"): (tmp_path / "e.csv").write_text("") or sources.read_table_file(tmp_path / "e.csv")
