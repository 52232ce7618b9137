"""Turning what a notebook holds (lists, numpy, pandas, polars, pyarrow) into columns for Rust.

Strings go to Rust as an Arrow-style pair (int64 offsets, UTF-8 bytes) when pyarrow is present:
pandas >= 3 and polars already keep strings that way, so no Python string object is touched.
Without pyarrow, a list of str is passed.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .exceptions import InvalidInputError


def _is_dataframe(x: Any) -> bool:
    return hasattr(x, "columns") and (hasattr(x, "iloc") or hasattr(x, "select"))


def pick_column(frame: Any, name: Optional[str], role: str) -> Any:
    if name is None:
        raise InvalidInputError(f"a DataFrame was given: name its {role} column, e.g. {role}='...'")
    try:
        return frame[name]
    except Exception:
        raise InvalidInputError(f"the DataFrame has no column {name!r} for {role}") from None


def string_column(values: Any, role: str) -> Tuple[str, Any]:
    """("arrow", (offsets, data, valid)) or ("list", list_of_str)."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is optional
        pa = None
    if pa is not None:
        try:
            if hasattr(values, "to_arrow") and not isinstance(values, pa.Array):
                arr = values.to_arrow()  # polars Series
            elif isinstance(values, (pa.Array, pa.ChunkedArray)):
                arr = values
            else:
                if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
                    values = values.astype(str)
                arr = pa.array(values, from_pandas=True)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            if pa.types.is_dictionary(arr.type):
                arr = arr.cast(arr.type.value_type)
            if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
                arr = arr.cast(pa.string())
            if pa.types.is_string_view(arr.type) if hasattr(pa.types, "is_string_view") else False:
                arr = arr.cast(pa.large_string())
            if pa.types.is_string(arr.type):
                arr = arr.cast(pa.large_string())
            if not pa.types.is_large_string(arr.type):
                raise InvalidInputError(f"{role} must be strings (got {arr.type})")
            _, offsets, data = arr.buffers()
            n = len(arr)
            offs = np.frombuffer(offsets, dtype=np.int64, count=n + 1 + arr.offset)[arr.offset:]
            raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
            valid = None
            if arr.null_count:
                valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
            return "arrow", (np.ascontiguousarray(offs), raw, valid)
        except InvalidInputError:
            raise
        except Exception as e:  # fall back to the plain path with a clear error if that fails too
            last: Optional[Exception] = e
        else:  # pragma: no cover
            last = None
    else:
        last = None
    try:
        out = [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    except TypeError:
        raise InvalidInputError(f"{role} must be a list, array or column of strings") from last
    return "list", out
