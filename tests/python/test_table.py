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
