"""Table: the columnar result type, and its conversions (pyarrow, polars, pandas optional)."""

import datetime as dt

import numpy as np
import pytest

import cin_core
from cin_core import Table


def make() -> Table:
    secs = np.array([0, np.iinfo(np.int64).min, 86400 * 365], dtype=np.int64)
    return Table(
        [
            ("patient_id", "str", ["a", "b", None]),
            ("n", "int", np.array([1, 2, 3], dtype=np.int64)),
            ("maybe", "int", [1, None, 3]),
            ("x", "float", np.array([0.5, np.nan, 2.0])),
            ("t", "time", secs),
            ("flag", "bool", [True, False, None]),
            ("hccs", "list[str]", [["HCC1"], [], ["HCC2", "HCC3"]]),
        ]
    )


def test_pydict_keeps_values_and_nulls():
    d = make().to_pydict()
    assert d["patient_id"] == ["a", "b", None]
    assert d["n"] == [1, 2, 3]
    assert d["maybe"] == [1, None, 3]
    assert d["x"] == [0.5, None, 2.0]
    assert d["t"] == [dt.datetime(1970, 1, 1), None, dt.datetime(1971, 1, 1)]
    assert d["flag"] == [True, False, None]
    assert d["hccs"] == [["HCC1"], [], ["HCC2", "HCC3"]]


def test_len_names_getitem_repr():
    t = make()
    assert len(t) == 3
    assert t.column_names[:2] == ["patient_id", "n"]
    assert list(t["n"]) == [1, 2, 3]
    with pytest.raises(KeyError):
        t["nope"]
    assert "3 rows" in repr(t)


def test_arrow_polars_pandas():
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    t = make()
    at = pa.table(t)
    assert at.num_rows == 3 and at.column_names == t.column_names
    assert at.column("t").null_count == 1
    assert at.column("hccs").to_pylist()[2] == ["HCC2", "HCC3"]
    df = pl.DataFrame(t)
    assert df.shape == (3, 7) and df["maybe"].null_count() == 1
    pdf = t.to_pandas()
    assert list(pdf.columns) == t.column_names
    assert pdf["maybe"].isna().sum() == 1
    assert str(pdf["t"].dtype).startswith("datetime64")


def test_empty_network_tables_have_the_published_columns():
    net = cin_core.Network()
    assert net.counts()["patients"] == 0
    assert net.readmissions(days=30).column_names == [
        "patient_id", "index_encounter_id", "index_discharge", "readmit_encounter_id",
        "readmit_admit", "days_between", "cross_org",
    ]
    assert net.followups(days=7).column_names == [
        "patient_id", "discharge_encounter_id", "discharge", "followup_encounter_id", "days",
    ]
    assert net.encounters().column_names == [
        "encounter_id", "patient_id", "org_id", "setting", "start", "end", "discharge_disposition",
    ]
    assert len(net.encounters()) == 0


def _buffers(values):
    """Arrow large-string buffers, the form the engine hands string columns over in."""
    data = b"".join(v.encode() for v in values if v is not None)
    offs, pos = [0], 0
    for v in values:
        pos += len(v.encode()) if v is not None else 0
        offs.append(pos)
    valid = None if all(v is not None for v in values) else np.array([v is not None for v in values])
    return np.array(offs, dtype=np.int64), np.frombuffer(data, dtype=np.uint8), valid


def test_string_buffers_with_nulls_and_non_ascii():
    values = ["Alcántar", None, "", "北京", "x"]
    t = Table([("s", "str", _buffers(values)), ("n", "int", np.arange(5, dtype=np.int64))])
    assert t["s"] == values and t.to_pydict()["s"] == values and len(t) == 5
    pa = pytest.importorskip("pyarrow")
    arr = pa.table(t).column("s")
    assert arr.to_pylist() == values and arr.null_count == 1
    pl = pytest.importorskip("polars")
    assert pl.DataFrame(t)["s"].to_list() == values
    assert t.to_polars()["s"].to_list() == values
    df = t.to_pandas()
    assert df["s"].isna().tolist() == [False, True, False, False, False]
    assert df["s"][0] == "Alcántar"


def test_string_buffers_without_pyarrow(monkeypatch):
    import sys

    values = ["a", None, "ç"]
    t = Table([("s", "str", _buffers(values))])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    df = t.to_pandas()
    assert df["s"].isna().tolist() == [False, True, False]
    pl = pytest.importorskip("polars")
    assert t.to_polars()["s"].to_list() == values


def test_engine_tables_without_pyarrow(monkeypatch):
    import sys

    net = cin_core.Network.synthetic(patients=200, seed=4)
    f = net.followups(days=7)
    ref = f.to_pydict()
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    df = f.to_pandas()
    assert df["followup_encounter_id"].isna().sum() == sum(x is None for x in ref["followup_encounter_id"])
    assert df["patient_id"].tolist() == ref["patient_id"]


def test_category_flags_are_one_byte_everywhere():
    # Flags come from the engine as int8 (one byte a patient) and stay int8 in every frame.
    t = cin_core.charlson(["p1", "p1", "p2"], ["I50.9", "E11.9", "J44.9"])
    chf = t["chf"]
    assert isinstance(chf, np.ndarray) and chf.dtype == np.int8
    assert chf.tolist() == [1, 0] and t["copd"].tolist() == [0, 1]
    assert "chf: flag" in repr(t)
    assert t.to_pydict()["diab"] == [1, 0]
    pytest.importorskip("pyarrow")
    assert str(t.to_arrow().schema.field("chf").type) == "int8"
    assert t.to_pandas()["chf"].dtype == np.int8
    pl = pytest.importorskip("polars")
    assert t.to_polars()["chf"].dtype == pl.Int8
    assert t.to_polars()["chf"].sum() == 1
