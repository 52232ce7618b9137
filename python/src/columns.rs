//! String columns from Python without touching Python string objects: the pure-Python side sends
//! either `("arrow", (offsets: int64[n+1], data: uint8[], valid: bool[n] | None))` (Arrow large-string
//! buffers, zero-copy from pandas >= 3 / polars / pyarrow) or `("list", [str | None, ...])`.

use numpy::{PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

pub enum StrInput<'py> {
    Arrow {
        offsets: PyReadonlyArray1<'py, i64>,
        data: PyReadonlyArray1<'py, u8>,
        valid: Option<PyReadonlyArray1<'py, bool>>,
    },
    List(Vec<Option<String>>),
}

impl<'py> StrInput<'py> {
    pub fn extract(obj: &Bound<'py, PyAny>, role: &str) -> PyResult<Self> {
        let bad = || crate::InvalidInputError::new_err(format!("{role}: unsupported column form"));
        let t = obj.cast::<PyTuple>().map_err(|_| bad())?;
        let kind: String = t.get_item(0)?.extract()?;
        let payload = t.get_item(1)?;
        match kind.as_str() {
            "arrow" => {
                let p = payload.cast::<PyTuple>().map_err(|_| bad())?;
                let valid = p.get_item(2)?;
                Ok(StrInput::Arrow {
                    offsets: p.get_item(0)?.extract()?,
                    data: p.get_item(1)?.extract()?,
                    valid: if valid.is_none() {
                        None
                    } else {
                        Some(valid.extract()?)
                    },
                })
            }
            "list" => Ok(StrInput::List(payload.extract()?)),
            _ => Err(bad()),
        }
    }

    /// Borrowed strings, one per row; `None` for a missing value. Errors name the row.
    pub fn strs(&self, role: &str) -> PyResult<Vec<Option<&str>>> {
        match self {
            StrInput::List(v) => Ok(v.iter().map(|s| s.as_deref()).collect()),
            StrInput::Arrow {
                offsets,
                data,
                valid,
            } => {
                let offs = offsets.as_slice()?;
                let bytes = data.as_slice()?;
                let text = std::str::from_utf8(bytes).map_err(|e| {
                    crate::InvalidInputError::new_err(format!(
                        "{role}: not UTF-8 at byte {}",
                        e.valid_up_to()
                    ))
                })?;
                let valid = valid.as_ref().map(|v| v.as_slice()).transpose()?;
                let n = offs.len().saturating_sub(1);
                if valid.is_some_and(|v| v.len() != n) {
                    return Err(crate::InvalidInputError::new_err(format!(
                        "{role}: validity mask length differs"
                    )));
                }
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    if valid.is_some_and(|v| !v[i]) {
                        out.push(None);
                        continue;
                    }
                    let (a, b) = (offs[i], offs[i + 1]);
                    let s = usize::try_from(a)
                        .ok()
                        .zip(usize::try_from(b).ok())
                        .and_then(|(a, b)| text.get(a..b))
                        .ok_or_else(|| {
                            crate::InvalidInputError::new_err(format!(
                                "{role}: bad string offsets at row {i}"
                            ))
                        })?;
                    out.push(Some(s));
                }
                Ok(out)
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrInput::List(v) => v.len(),
            StrInput::Arrow { offsets, .. } => offsets.len().saturating_sub(1),
        }
    }
}
