"""Turning what a notebook holds (lists, numpy, pandas, polars, pyarrow) into columns for Rust.

Strings go to Rust as Arrow buffers when pyarrow is present: offsets, UTF-8 bytes and validity
(pandas >= 3 and pyarrow keep strings that way), or 16-byte string views and their data buffers
(polars keeps strings that way). No Python string object is touched and nothing is copied.
Without pyarrow a list of str is passed.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from .exceptions import InvalidInputError

StrColumn = Tuple[str, Any]


def is_dataframe(x: Any) -> bool:
    """pandas or polars DataFrame, or a pyarrow Table (anything with named columns)."""
    return hasattr(x, "columns") and (
        hasattr(x, "iloc") or hasattr(x, "select") or hasattr(x, "column_names")
    )


def pick_column(frame: Any, name: Optional[str], role: str) -> Any:
    if name is None:
        raise InvalidInputError(f"a DataFrame was given: name its {role} column, e.g. {role}='...'")
    try:
        return frame[name]
    except Exception:
        raise InvalidInputError(f"the DataFrame has no column {name!r} for {role}") from None


def _polars_arrow(series: Any) -> Any:
    """A polars Series as Arrow without copying: its chunks as they are, in polars' own
    string-view layout where polars can (``Series.to_arrow`` would join the chunks)."""
    import polars as pl

    frame = series.to_frame()
    try:
        table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
    except (AttributeError, TypeError):  # polars < 1.1
        table = frame.to_arrow()
    return table.column(0)


def _is_view(pa: Any, t: Any) -> bool:
    return hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t)


def _arrow_chunks(values: Any, pa: Any) -> List[Any]:
    """``values`` as pyarrow string / large_string / string_view Arrays (a chunked input stays
    in its chunks), zero-copy where the input allows."""
    if hasattr(values, "to_frame") and hasattr(values, "n_chunks"):
        arr = _polars_arrow(values)
    elif isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    elif isinstance(values, np.ndarray) and values.dtype.kind in "iub":
        arr = pa.array(values.astype(str))
    else:
        arr = pa.array(values, from_pandas=True)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    return [_string_array(c, pa) for c in chunks]


def _string_array(arr: Any, pa: Any) -> Any:
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_null(t):
        arr = arr.cast(pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or _is_view(pa, arr.type)):
        raise InvalidInputError(f"must be strings (got {arr.type})")
    return arr


def _bytes(buf: Any) -> "np.ndarray[Any, Any]":
    return np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)


def _arrow_payload(arr: Any, pa: Any) -> StrColumn:
    """One Array's buffers, in place: ``("views", ...)`` or ``("arrow", ...)``."""
    n = len(arr)
    valid = None
    if arr.null_count:
        valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    if _is_view(pa, arr.type):
        _, views, *buffers = arr.buffers()
        view_bytes = _bytes(views)[16 * arr.offset : 16 * (arr.offset + n)]
        return "views", (view_bytes, [_bytes(b) for b in buffers], valid)
    off_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    _, offsets, data = arr.buffers()
    if offsets is None:  # an empty array may have no buffers
        offs = np.zeros(n + 1, dtype=off_type)
    else:
        offs = np.frombuffer(offsets, dtype=off_type, count=n + 1 + arr.offset)[arr.offset :]
    return "arrow", (offs, _bytes(data), valid)


def string_column(values: Any, role: str) -> StrColumn:
    """``("arrow", (offsets, data, valid))``, ``("views", (views, [data, ...], valid))``,
    ``("chunks", [either of those, ...])`` or ``("list", [str | None, ...])`` for Rust."""
    if isinstance(values, (str, bytes)):
        raise InvalidInputError(f"{role} must be a column of strings, not a single string")
    try:
        import pyarrow as pa
    except ImportError:  # pyarrow is optional
        pa = None
    if pa is not None:
        try:
            chunks = _arrow_chunks(values, pa)
        except InvalidInputError as e:
            raise InvalidInputError(f"{role} {e}") from None
        except (TypeError, ValueError, pa.ArrowException):
            chunks = None  # mixed objects: the plain path below says what is wrong
        if chunks is not None:
            if len(chunks) == 1:
                return _arrow_payload(chunks[0], pa)
            return "chunks", [_arrow_payload(c, pa) for c in chunks]
    out: List[Optional[str]] = []
    try:
        for v in values:
            if v is None or (isinstance(v, float) and v != v):
                out.append(None)
            elif isinstance(v, str):
                out.append(v)
            elif isinstance(v, (int, np.integer)):
                out.append(str(v))
            else:
                raise TypeError(type(v).__name__)
    except TypeError as e:
        raise InvalidInputError(f"{role} must be a list, array or column of strings ({e})") from None
    return "list", out


def float_column(values: Any, role: str) -> "np.ndarray[Any, Any]":
    """float64 with NaN for missing (ages)."""
    if hasattr(values, "to_numpy"):
        try:
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
        except TypeError:
            values = values.to_numpy()
    try:
        arr = np.asarray([np.nan if v is None else v for v in values] if isinstance(values, list) else values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{role} must be numbers") from None
    if arr.ndim != 1:
        raise InvalidInputError(f"{role} must be one-dimensional")
    return np.ascontiguousarray(arr)
