//! String columns from Python without touching Python string objects: the pure-Python side sends
//! either `("arrow", (offsets: int32[n+1] | int64[n+1], data: uint8[], valid: bool[n] | None))`
//! (Arrow string / large-string buffers, zero-copy from pandas >= 3, polars and pyarrow) or
//! `("list", [str | None, ...])`.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Arrow offsets come as int32 (`string`) or int64 (`large_string`); both are read in place.
pub enum Offsets<'py> {
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

pub enum StrInput<'py> {
    Arrow {
        offsets: Offsets<'py>,
        data: PyReadonlyArray1<'py, u8>,
        valid: Option<PyReadonlyArray1<'py, bool>>,
    },
    List(Vec<Option<String>>),
}

impl<'py> StrInput<'py> {
    /// Reads the `(kind, payload)` pair built by `cin_core._columns.string_column`.
    pub fn extract(obj: &Bound<'py, PyAny>, role: &str) -> PyResult<Self> {
        let bad = || crate::InvalidInputError::new_err(format!("{role}: unsupported column form"));
        let t = obj.cast::<PyTuple>().map_err(|_| bad())?;
        if t.len() != 2 {
            return Err(bad());
        }
        let kind: String = t.get_item(0)?.extract().map_err(|_| bad())?;
        let payload = t.get_item(1)?;
        match kind.as_str() {
            "arrow" => {
                let p = payload.cast::<PyTuple>().map_err(|_| bad())?;
                if p.len() != 3 {
                    return Err(bad());
                }
                let offs = p.get_item(0)?;
                let offsets = if let Ok(a) = offs.extract::<PyReadonlyArray1<'py, i64>>() {
                    Offsets::I64(a)
                } else {
                    Offsets::I32(offs.extract().map_err(|_| bad())?)
                };
                let valid = p.get_item(2)?;
                Ok(StrInput::Arrow {
                    offsets,
                    data: p.get_item(1)?.extract().map_err(|_| bad())?,
                    valid: if valid.is_none() {
                        None
                    } else {
                        Some(valid.extract().map_err(|_| bad())?)
                    },
                })
            }
            "list" => Ok(StrInput::List(payload.extract().map_err(|_| {
                crate::InvalidInputError::new_err(format!("{role}: expected strings"))
            })?)),
            _ => Err(bad()),
        }
    }

    /// The buffers as plain slices (no Python object inside), so rows can be cut with the GIL
    /// released.
    pub fn view(&self) -> PyResult<StrView<'_>> {
        Ok(match self {
            StrInput::List(v) => StrView::List(v),
            StrInput::Arrow {
                offsets,
                data,
                valid,
            } => StrView::Arrow {
                offsets: match offsets {
                    Offsets::I64(o) => OffsetSlice::I64(o.as_slice()?),
                    Offsets::I32(o) => OffsetSlice::I32(o.as_slice()?),
                },
                data: data.as_slice()?,
                valid: valid.as_ref().map(|v| v.as_slice()).transpose()?,
            },
        })
    }
}

pub enum OffsetSlice<'a> {
    I32(&'a [i32]),
    I64(&'a [i64]),
}

/// A string column's memory, borrowed; `Send`, so it crosses `Python::detach`.
pub enum StrView<'a> {
    Arrow {
        offsets: OffsetSlice<'a>,
        data: &'a [u8],
        valid: Option<&'a [bool]>,
    },
    List(&'a [Option<String>]),
}

impl<'a> StrView<'a> {
    pub fn len(&self) -> usize {
        match self {
            StrView::List(v) => v.len(),
            StrView::Arrow { offsets, .. } => match offsets {
                OffsetSlice::I32(o) => o.len().saturating_sub(1),
                OffsetSlice::I64(o) => o.len().saturating_sub(1),
            },
        }
    }

    /// Borrowed strings, one per row; a missing value is `""` (the core counts blank codes and
    /// rejects blank patient ids with the row number). Errors name the column and row only.
    pub fn strs(&self, role: &str) -> PyResult<Vec<&'a str>> {
        match *self {
            StrView::List(v) => Ok(v.iter().map(|s| s.as_deref().unwrap_or("")).collect()),
            StrView::Arrow {
                ref offsets,
                data,
                valid,
            } => {
                let text = std::str::from_utf8(data).map_err(|e| {
                    crate::InvalidInputError::new_err(format!(
                        "{role}: not UTF-8 at byte {}",
                        e.valid_up_to()
                    ))
                })?;
                match *offsets {
                    OffsetSlice::I64(o) => slice_rows(text, o, valid, role),
                    OffsetSlice::I32(o) => slice_rows(text, o, valid, role),
                }
            }
        }
    }
}

fn slice_rows<'a, O: Copy + TryInto<usize>>(
    text: &'a str,
    offs: &[O],
    valid: Option<&[bool]>,
    role: &str,
) -> PyResult<Vec<&'a str>> {
    let n = offs.len().saturating_sub(1);
    if valid.is_some_and(|v| v.len() != n) {
        return Err(crate::InvalidInputError::new_err(format!(
            "{role}: validity mask length differs from the row count"
        )));
    }
    let mut out = Vec::with_capacity(n);
    for (i, w) in offs.windows(2).enumerate() {
        if valid.is_some_and(|v| !v[i]) {
            out.push("");
            continue;
        }
        let s = w[0]
            .try_into()
            .ok()
            .zip(w[1].try_into().ok())
            .and_then(|(a, b)| text.get(a..b))
            .ok_or_else(|| {
                crate::InvalidInputError::new_err(format!("{role}: bad string offsets at row {i}"))
            })?;
        out.push(s);
    }
    Ok(out)
}

/// Below this many rows the columns are cut on the calling thread.
const PARALLEL_MIN_ROWS: usize = 200_000;

/// Cuts several columns at once, one scoped thread per column for large inputs (cutting 10M
/// rows is memory-bound work of the same order as the score itself).
pub fn cut_columns<'a>(cols: &[(&StrView<'a>, &str)]) -> PyResult<Vec<Vec<&'a str>>> {
    let rows = cols.iter().map(|(v, _)| v.len()).max().unwrap_or(0);
    if rows < PARALLEL_MIN_ROWS || cols.len() < 2 {
        return cols.iter().map(|(v, role)| v.strs(role)).collect();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = cols
            .iter()
            .map(|(v, role)| s.spawn(move || v.strs(role)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::InvalidInputError::new_err(
                        "internal error while reading a column",
                    ))
                })
            })
            .collect()
    })
}
