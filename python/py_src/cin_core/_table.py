"""`Table`: the columnar result of every cin_core analysis.

Columns arrive from Rust as numpy arrays (numbers, times) or lists (strings, nullable values).
pandas, pyarrow and polars are optional: they are imported only when a conversion asks for them.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

_NAT = np.iinfo(np.int64).min


class _Strings:
    """A string column as Arrow large-string buffers (int64 offsets, UTF-8 bytes, validity), as
    the engine hands it over; Python strings are made only when a list is asked for."""

    __slots__ = ("offsets", "data", "valid", "_list")

    def __init__(self, offsets: Any, data: Any, valid: Any) -> None:
        self.offsets = offsets
        self.data = data
        self.valid = valid
        self._list: Optional[List[Optional[str]]] = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def to_list(self) -> List[Optional[str]]:
        if self._list is None:
            raw = self.data.tobytes()
            offs = self.offsets.tolist()
            out: List[Optional[str]] = [raw[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:])]
            if self.valid is not None:
                for i in np.flatnonzero(~self.valid).tolist():
                    out[i] = None
            self._list = out
        return self._list

    def to_arrow(self, pa: Any) -> Any:
        bitmap = None
        nulls = 0
        if self.valid is not None:
            bitmap = pa.py_buffer(np.packbits(self.valid, bitorder="little"))
            nulls = int(len(self.valid) - np.count_nonzero(self.valid))
        return pa.LargeStringArray.from_buffers(
            len(self), pa.py_buffer(self.offsets), pa.py_buffer(self.data), bitmap, null_count=nulls
        )


def _pyarrow() -> Any:
    try:
        import pyarrow

        return pyarrow
    except ImportError:
        return None


class Table:
    """Named columns of equal length: what every cin_core analysis returns.

    Numeric and time columns are numpy arrays; string columns stay in Arrow buffers until read
    (``t["patient_id"]`` gives a list), nullable integers are lists. Category flags (kind
    ``"flag"``: 0/1, never missing) are int8 arrays, one byte a patient. A Table is an
    Arrow PyCapsule stream (``__arrow_c_stream__``), so ``pyarrow.table(t)``,
    ``polars.DataFrame(t)`` and ``pandas.DataFrame.from_arrow(t)`` (pandas >= 3) take it directly.

    >>> t = cin_core.charlson(["p1", "p2"], ["I50.9", "E11.9"])
    >>> len(t), t.column_names[:2]
    (2, ['patient_id', 'score'])
    >>> df = t.to_pandas()                       # doctest: +SKIP
    """

    __slots__ = ("_names", "_kinds", "_data")

    def __init__(self, columns: Sequence[Tuple[str, str, Any]]):
        self._names: List[str] = []
        self._kinds: List[str] = []
        self._data: List[Any] = []
        for name, kind, data in columns:
            if kind == "time":
                arr = np.asarray(data, dtype=np.int64)
                data = arr.view("datetime64[s]")  # i64::MIN is NaT
            elif kind == "str" and isinstance(data, tuple):
                data = _Strings(*data)
            self._names.append(name)
            self._kinds.append(kind)
            self._data.append(data)

    @property
    def column_names(self) -> List[str]:
        """Column names in order.

        >>> cin_core.Network().readmissions().column_names[:2]
        ['patient_id', 'index_encounter_id']
        """
        return list(self._names)

    def __len__(self) -> int:
        return len(self._data[0]) if self._data else 0

    def __getitem__(self, name: str) -> Any:
        """One column (numpy array or list) by name."""
        try:
            data = self._data[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None
        return data.to_list() if isinstance(data, _Strings) else data

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __repr__(self) -> str:
        cols = ", ".join(f"{n}: {k}" for n, k in zip(self._names, self._kinds))
        return f"<cin_core.Table {len(self)} rows [{cols}]>"

    def to_pydict(self) -> Dict[str, list]:
        """Column name -> list of Python values (times as ``datetime``, missing as ``None``).

        >>> cin_core.charlson(["p1"], ["I50.9"]).to_pydict()["score"]
        [2]
        """
        out: Dict[str, list] = {}
        for name, kind, data in zip(self._names, self._kinds, self._data):
            if kind == "time":
                out[name] = [None if np.isnat(x) else x.item() for x in data]
            elif kind == "float":
                out[name] = [None if np.isnan(x) else float(x) for x in data]
            elif isinstance(data, np.ndarray):
                out[name] = data.tolist()
            elif isinstance(data, _Strings):
                out[name] = list(data.to_list())
            else:
                out[name] = list(data)
        return out

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` (needs pyarrow); numeric columns are shared, not copied.

        >>> net.risk().to_arrow().schema                   # doctest: +SKIP
        """
        import pyarrow as pa

        arrays = []
        for kind, data in zip(self._kinds, self._data):
            if kind == "time":
                arrays.append(pa.array(data, type=pa.timestamp("s"), from_pandas=True))
            elif kind == "float":
                arrays.append(pa.array(data, type=pa.float64(), from_pandas=True))
            elif kind == "int":
                arrays.append(pa.array(data, type=pa.int64()))
            elif kind == "flag":
                arrays.append(pa.array(data, type=pa.int8()))
            elif kind == "bool":
                arrays.append(pa.array(data, type=pa.bool_()))
            elif kind == "list[str]":
                arrays.append(pa.array(data, type=pa.list_(pa.string())))
            elif isinstance(data, _Strings):
                arrays.append(data.to_arrow(pa))
            else:
                arrays.append(pa.array(data, type=pa.string()))
        return pa.Table.from_arrays(arrays, names=self._names)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Arrow PyCapsule stream, so ``pyarrow.table(t)`` and ``polars.DataFrame(t)`` accept a Table."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` (needs pandas; pyarrow is not needed). Missing floats are NaN,
        missing times NaT, nullable integer columns ``Int64``.

        >>> cin_core.charlson(["p1"], ["I50.9"]).to_pandas()["score"].tolist()   # doctest: +SKIP
        [2]
        """
        import pandas as pd

        pa = _pyarrow()
        cols = {}
        for name, kind, data in zip(self._names, self._kinds, self._data):
            if isinstance(data, _Strings):
                # Zero-copy into pandas' Arrow-backed strings when pyarrow is there.
                cols[name] = data.to_arrow(pa).to_pandas() if pa is not None else data.to_list()
            elif kind in ("int", "bool") and not isinstance(data, np.ndarray):
                dtype = "Int64" if kind == "int" else "boolean"
                cols[name] = pd.array(data, dtype=dtype)
            else:
                cols[name] = data
        return pd.DataFrame(cols, columns=self._names)

    def to_polars(self) -> Any:
        """A ``polars.DataFrame`` (needs polars; pyarrow is not needed).

        >>> net.encounters().to_polars().group_by("setting").len()   # doctest: +SKIP
        """
        import polars as pl

        types: Dict[str, Any] = {
            "str": pl.Utf8,
            "int": pl.Int64,
            "flag": pl.Int8,
            "float": pl.Float64,
            "bool": pl.Boolean,
            "time": pl.Datetime("ms"),
            "list[str]": pl.List(pl.Utf8),
        }
        series = []
        for name, kind, data in zip(self._names, self._kinds, self._data):
            if kind == "float":
                s = pl.Series(name, data, dtype=pl.Float64, nan_to_null=True)
            elif kind == "time":
                s = pl.Series(name, data.astype("datetime64[ms]"), dtype=types[kind])
            elif isinstance(data, _Strings):
                pa = _pyarrow()
                if pa is not None:
                    s = pl.Series(name, data.to_arrow(pa), dtype=pl.Utf8)
                else:
                    s = pl.Series(name, data.to_list(), dtype=pl.Utf8)
            else:
                s = pl.Series(name, data, dtype=types[kind])
            series.append(s)
        return pl.DataFrame(series)
