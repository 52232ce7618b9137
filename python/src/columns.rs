//! String columns from Python without touching Python string objects: the pure-Python side sends
//! `("arrow", (offsets: int32[n+1] | int64[n+1], data: uint8[], valid: bool[n] | None))`
//! (Arrow string / large-string buffers, zero-copy from pandas >= 3 and pyarrow),
//! `("views", (views: uint8[16 n], [data: uint8[], ...], valid: bool[n] | None))` (Arrow
//! string-view buffers, zero-copy from polars), `("chunks", [either of those, ...])` (a chunked
//! array's pieces, in order), or `("list", [str | None, ...])`, which is packed into the
//! large-string layout. The core reads the buffers in place as a `Utf8Column`.

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
    Views {
        views: PyReadonlyArray1<'py, u8>,
        buffers: Vec<PyReadonlyArray1<'py, u8>>,
        valid: Option<PyReadonlyArray1<'py, bool>>,
    },
    /// A chunked array's pieces (never themselves chunked).
    Chunks(Vec<StrInput<'py>>),
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
        Self::extract_piece(obj, role, true)
    }

    fn extract_piece(obj: &Bound<'py, PyAny>, role: &str, may_chunk: bool) -> PyResult<Self> {
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
                Ok(StrInput::Arrow {
                    offsets,
                    data: p.get_item(1)?.extract().map_err(|_| bad())?,
                    valid: extract_valid(&p.get_item(2)?).map_err(|_| bad())?,
                })
            }
            "views" => {
                let p = payload.cast::<PyTuple>().map_err(|_| bad())?;
                if p.len() != 3 {
                    return Err(bad());
                }
                Ok(StrInput::Views {
                    views: p.get_item(0)?.extract().map_err(|_| bad())?,
                    buffers: p.get_item(1)?.extract().map_err(|_| bad())?,
                    valid: extract_valid(&p.get_item(2)?).map_err(|_| bad())?,
                })
            }
            "chunks" if may_chunk => {
                let pieces: Vec<Bound<'py, PyAny>> = payload.extract().map_err(|_| bad())?;
                pieces
                    .iter()
                    .map(|p| Self::extract_piece(p, role, false))
                    .collect::<PyResult<_>>()
                    .map(StrInput::Chunks)
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
        Ok(StrView {
            pieces: match self {
                StrInput::Chunks(pieces) => {
                    pieces.iter().map(|p| p.piece()).collect::<PyResult<_>>()?
                }
                _ => vec![self.piece()?],
            },
        })
    }

    fn piece(&self) -> PyResult<PieceView<'_>> {
        Ok(match self {
            StrInput::Arrow {
                offsets,
                data,
                valid,
            } => PieceView {
                layout: ViewLayout::Offsets {
                    offsets: match offsets {
                        PyOffsets::I64(o) => Offsets::I64(o.as_slice()?),
                        PyOffsets::I32(o) => Offsets::I32(o.as_slice()?),
                    },
                    data: data.as_slice()?,
                },
                valid: valid.as_ref().map(|v| v.as_slice()).transpose()?,
            },
            StrInput::Views {
                views,
                buffers,
                valid,
            } => PieceView {
                layout: ViewLayout::Views {
                    views: views.as_slice()?,
                    buffers: buffers
                        .iter()
                        .map(|b| b.as_slice())
                        .collect::<Result<_, _>>()?,
                },
                valid: valid.as_ref().map(|v| v.as_slice()).transpose()?,
            },
            StrInput::Packed {
                offsets,
                data,
                valid,
            } => PieceView {
                layout: ViewLayout::Offsets {
                    offsets: Offsets::I64(offsets),
                    data,
                },
                valid: valid.as_deref(),
            },
            StrInput::Chunks(_) => {
                return Err(crate::InvalidInputError::new_err("nested string chunks"));
            }
        })
    }
}

fn extract_valid<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<PyReadonlyArray1<'py, bool>>> {
    if obj.is_none() {
        Ok(None)
    } else {
        obj.extract().map(Some)
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
    pieces: Vec<PieceView<'a>>,
}

/// One Arrow array's buffers.
struct PieceView<'a> {
    layout: ViewLayout<'a>,
    valid: Option<&'a [bool]>,
}

enum ViewLayout<'a> {
    Offsets {
        offsets: Offsets<'a>,
        data: &'a [u8],
    },
    Views {
        views: &'a [u8],
        buffers: Vec<&'a [u8]>,
    },
}

impl<'a> StrView<'a> {
    fn rows(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match &p.layout {
                ViewLayout::Offsets { offsets, .. } => offsets.len().saturating_sub(1),
                ViewLayout::Views { views, .. } => views.len() / 16,
            })
            .sum()
    }

    /// Checks every piece (see `Utf8Column::new`) and joins them.
    fn check(&self, role: &str) -> PyResult<Utf8Column<'a>> {
        let pieces = self.pieces.iter().map(|p| {
            match &p.layout {
                ViewLayout::Offsets { offsets, data } => {
                    Utf8Column::new(role, *offsets, data, p.valid)
                }
                ViewLayout::Views { views, buffers } => {
                    Utf8Column::from_views(role, views, buffers, p.valid)
                }
            }
            .map_err(to_py_err)
        });
        pieces.collect::<PyResult<_>>().map(Utf8Column::chunked)
    }
}

/// Below this many rows the columns are checked on the calling thread.
const PARALLEL_MIN_ROWS: usize = 200_000;

/// Checks several columns' buffers (see `Utf8Column::new`), one scoped thread per column for
/// large inputs; errors name the column and row only.
pub fn check_columns<'a>(cols: &[(&StrView<'a>, &str)]) -> PyResult<Vec<Utf8Column<'a>>> {
    let check = |v: &StrView<'a>, role: &str| v.check(role);
    let rows = cols.iter().map(|(v, _)| v.rows()).max().unwrap_or(0);
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
