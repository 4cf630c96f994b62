"Bad inputs to the helpers of lessons 03 (ml_lifecycle.clean) and 04 (ml_lifecycle.eda): clear errors naming the column."
import numpy as np, pandas as pd, pytest
from types import SimpleNamespace
from ml_lifecycle import clean, eda

SPEC = SimpleNamespace(target="y", task="binary", id_columns=["id"], drop_columns=[], time_column=None, positive_label=1)
CFG = SimpleNamespace(target="y", task="binary", seed=0, test_size=0.15, valid_size=0.15, run_dir=None)

def frame(n=60):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"id": [f"c{i}" for i in range(n)], "x": rng.normal(size=n), "cat": rng.choice(["a", "b"], n),
                         "y": np.tile([0, 1], n // 2)})

def test_clean_and_eda_import_light():
    "`import ml_lifecycle.clean` / `.eda` load neither pandas nor scikit-learn; the winsoriser still comes (deprecated) from clean."
    import subprocess, sys
    code = ("import sys, warnings, ml_lifecycle.clean, ml_lifecycle.eda\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'scipy') if m in sys.modules))\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always'); W = ml_lifecycle.clean.Winsorizer\n"
            "print(W.__module__, any(issubclass(x.category, DeprecationWarning) for x in w))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]", out[0]
    assert out[1] == "ml_lifecycle.clean_internals True", out[1]

def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="nope"): clean.quality_report(frame(), rules={"nope": (0, 1)})
    with pytest.raises(ValueError, match="nope"): clean.find_fuzzy_duplicates(frame(), ["nope"])
    with pytest.raises(ValueError, match="nope"): eda.target_rate(frame(), "nope", "y")
    with pytest.raises(ValueError, match="nope"): eda.association_tests(frame(), "nope")
    with pytest.raises(ValueError, match="nope"): eda.single_feature_scores(frame(), "y", columns=["nope"])
    with pytest.raises(ValueError, match="'y'|\\['y'\\]"): clean.make_splits(frame().drop(columns="y"), SPEC, CFG)

def test_wrong_types():
    with pytest.raises(TypeError, match="DataFrame"): clean.clean_table([[1, 2]])
    with pytest.raises(TypeError, match="cat"): clean.outlier_flags(frame()[["x", "cat"]])
    with pytest.raises(TypeError, match="num"): clean.parse_dates(pd.Series([1, 2], name="num"))
    with pytest.raises(TypeError, match="x"): clean.clean_text(frame().x)
    with pytest.raises(TypeError, match="cat"): clean.masked_imputation_error(frame()[["x", "cat"]], {})
    with pytest.raises(TypeError, match="DataFrame"): eda.cramers_v_matrix("not a frame", [])

def test_all_nan_column():
    df = frame().assign(empty=np.nan)
    from ml_lifecycle.clean_internals import Winsorizer
    with pytest.raises(ValueError, match="empty"): Winsorizer().fit(df[["x", "empty"]])
    with pytest.raises(ValueError, match="empty"): clean.masked_imputation_error(df[["x", "empty"]], {})
    assert "empty" in clean.column_roles(SPEC, df)["ignored"]          # never a feature
    assert clean.quality_report(df).loc["empty", "completeness"] == 0

def test_empty_frame():
    empty = frame().iloc[:0]
    with pytest.raises(ValueError, match="empty"): eda.target_rate(empty, "cat", "y")
    with pytest.raises(ValueError, match="0 rows|too few"): clean.make_splits(empty, SPEC, CFG)
    assert len(clean.clean_table(empty, SPEC)) == 0

def test_bad_options():
    with pytest.raises(ValueError, match="scaler"): clean.make_preprocessor(SPEC, frame(), scaler="zscore")
    with pytest.raises(ValueError, match="encoder"): clean.make_preprocessor(SPEC, frame(), encoder="hash")
    with pytest.raises(ValueError, match="method"): clean.outlier_flags(frame()[["x"]], "mad")
    with pytest.raises(ValueError, match="chronological"): clean.make_splits(frame(), SPEC, CFG, how="chronological")
    with pytest.raises(ValueError, match="factors"): clean.to_unit(pd.Series(["1 GB"]), factors={})

def test_generic_csv_repairs_and_split():
    df = pd.DataFrame({"id": range(40), "price": [" $1,299.00 "] * 20 + ["12.5"] * 20, "city": ["Oslo", " oslo"] * 20,
                       "sold_on": ["2024-03-05", "Mar 5, 2024"] * 20, "y": [0, 1] * 20})
    out = clean.clean_table(pd.concat([df, df.iloc[:2]]), SPEC)
    assert len(out) == 40 and out.price.dtype == float and out.city.nunique() == 1
    assert pd.api.types.is_datetime64_any_dtype(out.sold_on)
    sp = clean.make_splits(out, SPEC, CFG)
    assert sum(map(len, sp)) == 40 and not set(sp.train.index) & set(sp.test.index)

def test_fuzzy_duplicate_shortcut_finds_the_same_pairs():
    "Joining on the short columns that must be equal returns exactly the pairs that scoring every candidate pair returns."
    import numpy as np, pandas as pd
    from rapidfuzz import fuzz, process
    from ml_lifecycle.clean_internals import candidate_pairs, must_match
    rng = np.random.default_rng(0)
    cols = ["a", "b", "long"]
    for t in range(12):
        n = 250
        df = pd.DataFrame({"d": rng.integers(0, 4, n), "a": rng.choice(["x", "y", "z", None], n), "b": rng.choice(["aa", "ab", None], n),
                           "long": rng.choice(["a long street name 1", "a long street name 2", "another long name!!", None], n)})
        block = "d" if t % 2 else None
        txt = pd.DataFrame({c: clean._field_text(df[c]) for c in cols}, index=df.index)
        i, j = candidate_pairs(df, block, 3000)  # every pair (within the block)
        score = np.full(len(i), np.inf)
        for c in cols:
            v = txt[c].fillna("").to_numpy(object); ok = txt[c].notna().to_numpy()
            sc = process.cpdist(v[i].tolist(), v[j].tolist(), scorer=fuzz.ratio, dtype=np.float32, workers=1)
            score = np.minimum(score, np.where(ok[i] & ok[j], sc, np.inf))
        for lo in (95, 80, 0):
            keep = np.isfinite(score) & (score >= lo)
            got = clean.find_fuzzy_duplicates(df, cols, threshold=95, review_from=lo, block=block)
            assert set(zip(got.index_a, got.index_b)) == set(zip(df.index[i[keep]], df.index[j[keep]])), (t, lo)
        assert must_match(txt, 95) == ["a", "b"]  # the short columns; 'long' can differ and still score 95
