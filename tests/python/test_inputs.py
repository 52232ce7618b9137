"""Column inputs from every container a notebook holds give the same scores, and tables convert
back to numpy, pandas, polars and pyarrow without losing values or nulls."""

import numpy as np
import pytest

import cin_core

PIDS = ["p1", "p1", "p2", "p3", "p3", "p3"]
CODES = ["I50.9", "J44.9", "E11.9", "C78.0", "I21.4", None]
# Quan 2011: CHF 2 + COPD 1; uncomplicated diabetes 0; metastatic 6 + MI 0 (missing code skipped).
SCORES = [3, 0, 6]


def scores(t):
    d = t.to_pydict()
    return d["patient_id"], d["score"]


def test_lists_and_numpy():
    assert scores(cin_core.charlson(PIDS, CODES)) == (["p1", "p2", "p3"], SCORES)
    assert scores(cin_core.charlson(np.array(PIDS), np.array(CODES, dtype=object))) == (["p1", "p2", "p3"], SCORES)
    # numpy unicode arrays (no None possible there): drop the last row
    assert scores(cin_core.charlson(np.array(PIDS[:5]), np.array(CODES[:5])))[1] == SCORES
    # Integer patient ids are read as their decimal text.
    assert scores(cin_core.charlson(np.array([1, 1, 2, 3, 3, 3]), CODES))[0] == ["1", "2", "3"]


def test_pandas_series_and_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"pid": PIDS, "dx": CODES})
    assert scores(cin_core.charlson(df["pid"], df["dx"]))[1] == SCORES
    assert scores(cin_core.charlson(df, patient="pid", code="dx"))[1] == SCORES
    # object dtype and categorical columns too
    obj = df.astype({"pid": object, "dx": object})
    assert scores(cin_core.charlson(obj, patient="pid", code="dx"))[1] == SCORES
    cat = df.astype({"pid": "category"})
    assert scores(cin_core.charlson(cat, patient="pid", code="dx"))[1] == SCORES
    # A sliced frame (Arrow offset != 0)
    sl = df.iloc[2:]
    assert scores(cin_core.charlson(sl, patient="pid", code="dx")) == (["p2", "p3"], [0, 6])
    with pytest.raises(cin_core.InvalidInputError, match="no column 'nope'"):
        cin_core.charlson(df, patient="nope", code="dx")
    with pytest.raises(cin_core.InvalidInputError, match="patient"):
        cin_core.charlson(df, code="dx")


def test_polars_and_pyarrow():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    s = pl.DataFrame({"pid": PIDS, "dx": CODES})
    assert scores(cin_core.charlson(s["pid"], s["dx"]))[1] == SCORES
    assert scores(cin_core.charlson(s, patient="pid", code="dx"))[1] == SCORES
    assert scores(cin_core.charlson(pa.array(PIDS), pa.array(CODES)))[1] == SCORES
    assert scores(cin_core.charlson(pa.array(PIDS, pa.large_string()), pa.chunked_array([CODES[:3], CODES[3:]])))[1] == SCORES
    assert scores(cin_core.charlson(pa.table({"pid": PIDS, "dx": CODES}), patient="pid", code="dx"))[1] == SCORES
    assert scores(cin_core.charlson(pa.array(PIDS).slice(2), pa.array(CODES).slice(2)))[1] == [0, 6]
    with pytest.raises(cin_core.InvalidInputError, match="strings"):
        cin_core.charlson(pa.array([1.5, 2.5]), ["I50.9", "E11.9"])


def test_string_views_and_chunks_read_in_place_give_the_list_answers():
    """polars keeps strings as Arrow string views in chunks; pyarrow reads files in chunks. Both
    are read in place: views inline (<= 12 bytes) and in data buffers, nulls, slices, empty
    chunks, ids that cross chunk borders and more than 4,096 rows a chunk."""
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    rng = np.random.default_rng(7)
    n = 30_000
    pool = ["I50.9", "J44.9", "E11.9", "C78.0", "I21.4", "N18.4", "zz", "", "  e11.65 ", None]
    ids = [f"patient-with-a-long-identifier-{i // 3}" if i % 5 else f"p{i // 3}" for i in range(n)]
    ids = [ids[i] if rng.random() > 0.3 else ids[int(rng.integers(0, n))] for i in range(n)]
    codes = [pool[int(k)] for k in rng.integers(0, len(pool), n)]
    want = cin_core.charlson(ids, codes).to_pydict()

    # polars: several chunks, string views; nulls in codes.
    parts = [pl.DataFrame({"pid": ids[a:b], "dx": codes[a:b]}) for a, b in [(0, 9000), (9000, 9000), (9000, 21000), (21000, n)]]
    frame = pl.concat(parts, rechunk=False)
    assert frame["pid"].n_chunks() > 1
    assert cin_core.charlson(frame, patient="pid", code="dx").to_pydict() == want
    assert cin_core.charlson(frame.rechunk(), patient="pid", code="dx").to_pydict() == want

    # pyarrow string_view, chunked, sliced.
    view = pa.string_view() if hasattr(pa, "string_view") else None
    if view is not None:
        chunked_ids = pa.chunked_array([ids[:5000], ids[5000:5000], ids[5000:]], type=view)
        chunked_codes = pa.chunked_array([codes[:12345], codes[12345:]], type=view)
        assert cin_core.charlson(chunked_ids, chunked_codes).to_pydict() == want
        sliced = cin_core.charlson(pa.array(ids, view).slice(100), pa.array(codes, view).slice(100))
        assert sliced.to_pydict() == cin_core.charlson(ids[100:], codes[100:]).to_pydict()
    # Plain and large strings in chunks.
    chunked = pa.chunked_array([ids[:7000], ids[7000:]], type=pa.large_string())
    assert cin_core.charlson(chunked, pa.chunked_array([codes[:100], codes[100:]])).to_pydict() == want
    ages = [70.0] * n
    sex_list = ["F" if len(i) % 2 else "M" for i in ids]
    sexes = pa.chunked_array([sex_list[:10_000], sex_list[10_000:]])
    hcc_list = cin_core.cms_hcc(ids, codes, ages, sex_list).to_pydict()
    assert cin_core.cms_hcc(frame["pid"], frame["dx"], ages, sexes).to_pydict() == hcc_list


def test_without_pyarrow_the_list_path_gives_the_same(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    assert scores(cin_core.charlson(PIDS, CODES))[1] == SCORES
    assert scores(cin_core.charlson(np.array(PIDS), CODES))[1] == SCORES
    with pytest.raises(cin_core.InvalidInputError):
        cin_core.charlson(PIDS, [1.5] * 6)


def test_cms_hcc_inputs():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({
        "pid": ["a", "a", "b", "c"],
        "dx": ["E11.9", "I50.9", "E11.9", "J44.9"],
        "age": pd.array([70, 70, None, 40], dtype="Int64"),
        "sex": ["F", "F", "M", None],
    })
    t = cin_core.cms_hcc(df, patient="pid", code="dx", age="age", sex="sex")
    d = t.to_pydict()
    assert d["patient_id"] == ["a", "b", "c"]
    assert d["hccs"] == [["HCC38", "HCC226"], ["HCC38"], ["HCC280"]]
    assert d["score"][0] > 0 and d["score"][1] is None and d["score"][2] is None
    t2 = cin_core.cms_hcc(list(df.pid), list(df.dx), [70, 70, None, 40], list(df.sex), version="V24")
    assert t2.to_pydict()["patient_id"] == ["a", "b", "c"]
    assert t2.to_pydict()["hccs"][0] != d["hccs"][0]  # V24 numbers differ from V28


def test_tables_round_trip_to_every_frame_library():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    net = cin_core.Network.synthetic(patients=400, seed=9)
    for t in (net.followups(days=7), net.readmissions(days=30), net.risk(), cin_core.cms_hcc(["a"], ["E11.9"], [70], ["F"])):
        ref = t.to_pydict()
        at = pa.table(t)  # Arrow PyCapsule stream
        assert at.column_names == t.column_names and at.num_rows == len(t)
        assert at.to_pydict() == ref
        pdf = pl.DataFrame(t)
        assert pdf.columns == t.column_names and pdf.to_dict(as_series=False) == ref
        assert t.to_polars().to_dict(as_series=False) == ref
        df = t.to_pandas()
        assert list(df.columns) == t.column_names and len(df) == len(t)
        df3 = pd.DataFrame.from_arrow(t)
        assert list(df3.columns) == t.column_names and len(df3) == len(t)
    f = net.followups(days=7)
    df = f.to_pandas()
    # Missed follow-ups: None in Python, NA in pandas, null in Arrow and polars.
    missed = sum(x is None for x in f.to_pydict()["followup_encounter_id"])
    assert missed > 0
    assert df["followup_encounter_id"].isna().sum() == missed
    assert pa.table(f).column("days").null_count == missed
    assert str(df["discharge"].dtype).startswith("datetime64")
    assert pl.DataFrame(f)["discharge"].dtype == pl.Datetime("ms") or str(pl.DataFrame(f)["discharge"].dtype).startswith("Datetime")


def test_numpy_columns_are_numpy():
    t = cin_core.Network.synthetic(patients=100, seed=1).encounters()
    assert isinstance(t["start"], np.ndarray) and t["start"].dtype == "datetime64[s]"
    r = cin_core.charlson(PIDS, CODES)
    assert isinstance(r["score"], np.ndarray) and r["score"].dtype == np.int64
