//! String columns from Python without touching Python string objects: the pure-Python side sends
//! either `("arrow", (offsets: int32[n+1] | int64[n+1], data: uint8[], valid: bool[n] | None))`
//! (Arrow string / large-string buffers, zero-copy from pandas >= 3, polars and pyarrow) or
//! `("list", [str | None, ...])`, which is packed into the same layout. The core reads the
//! buffers in place as a `Utf8Column`.

use crate::to_py_err;
use cin_core::{Offsets, Utf8Column};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Arrow offsets come as int32 (`string`) or int64 (`large_string`); both are read in place.
pub enum PyOffsets<'py> {
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

pub enum StrInput<'py> {
    Arrow {
        offsets: PyOffsets<'py>,
        data: PyReadonlyArray1<'py, u8>,
        valid: Option<PyReadonlyArray1<'py, bool>>,
    },
    /// A list of Python strings, packed into Arrow's layout.
    Packed {
        offsets: Vec<i64>,
        data: Vec<u8>,
        valid: Option<Vec<bool>>,
    },
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
                    PyOffsets::I64(a)
                } else {
                    PyOffsets::I32(offs.extract().map_err(|_| bad())?)
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
            "list" => {
                let items: Vec<Option<String>> = payload.extract().map_err(|_| {
                    crate::InvalidInputError::new_err(format!("{role}: expected strings"))
                })?;
                let (offsets, data, valid) = arrow_buffers(&items);
                Ok(StrInput::Packed {
                    offsets,
                    data,
                    valid,
                })
            }
            _ => Err(bad()),
        }
    }

    /// The buffers as plain slices (no Python object inside), so they can be checked and read
    /// with the GIL released.
    pub fn view(&self) -> PyResult<StrView<'_>> {
        Ok(match self {
            StrInput::Arrow {
                offsets,
                data,
                valid,
            } => StrView {
                offsets: match offsets {
                    PyOffsets::I64(o) => Offsets::I64(o.as_slice()?),
                    PyOffsets::I32(o) => Offsets::I32(o.as_slice()?),
                },
                data: data.as_slice()?,
                valid: valid.as_ref().map(|v| v.as_slice()).transpose()?,
            },
            StrInput::Packed {
                offsets,
                data,
                valid,
            } => StrView {
                offsets: Offsets::I64(offsets),
                data,
                valid: valid.as_deref(),
            },
        })
    }
}

/// Strings (`None` = missing) in Arrow's large-string layout: offsets, bytes, and a validity
/// mask only when something is missing. Python lists in, core tables out.
pub fn arrow_buffers(items: &[Option<String>]) -> (Vec<i64>, Vec<u8>, Option<Vec<bool>>) {
    let mut offsets = Vec::with_capacity(items.len() + 1);
    let mut data = Vec::with_capacity(items.iter().flatten().map(String::len).sum());
    offsets.push(0i64);
    for s in items {
        if let Some(s) = s {
            data.extend_from_slice(s.as_bytes());
        }
        offsets.push(data.len() as i64);
    }
    let valid = items
        .iter()
        .any(Option::is_none)
        .then(|| items.iter().map(Option::is_some).collect());
    (offsets, data, valid)
}

/// A string column's memory, borrowed; `Send`, so it crosses `Python::detach`.
pub struct StrView<'a> {
    offsets: Offsets<'a>,
    data: &'a [u8],
    valid: Option<&'a [bool]>,
}

/// Below this many rows the columns are checked on the calling thread.
const PARALLEL_MIN_ROWS: usize = 200_000;

/// Checks several columns' buffers (see `Utf8Column::new`), one scoped thread per column for
/// large inputs; errors name the column and row only.
pub fn check_columns<'a>(cols: &[(&StrView<'a>, &str)]) -> PyResult<Vec<Utf8Column<'a>>> {
    let check = |v: &StrView<'a>, role: &str| {
        Utf8Column::new(role, v.offsets, v.data, v.valid).map_err(to_py_err)
    };
    let rows = cols.iter().map(|(v, _)| v.offsets.len()).max().unwrap_or(0);
    if rows < PARALLEL_MIN_ROWS || cols.len() < 2 {
        return cols.iter().map(|(v, role)| check(v, role)).collect();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = cols
            .iter()
            .map(|(v, role)| {
                let check = &check;
                s.spawn(move || check(v, role))
            })
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
