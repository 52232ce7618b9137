//! `cin_core._cin_core`: the native half of the Python package. Thin: each function converts its
//! arguments, releases the GIL around the core call and hands back plain Python values (dicts,
//! lists, tuples, numpy arrays); the pure-Python package (`py_src/cin_core`) wraps them in
//! `Table`, `Alert` and `IngestReport`.

mod columns;
mod convert;
mod network;
mod risk;

use cin_core::{CinError, Location};
use pyo3::prelude::*;

pyo3::import_exception!(cin_core.exceptions, ParseError);
pyo3::import_exception!(cin_core.exceptions, InvalidInputError);
pyo3::import_exception!(cin_core.exceptions, KnowledgeBaseError);
pyo3::import_exception!(cin_core.exceptions, IoError);
mod base {
    pyo3::import_exception!(cin_core.exceptions, CinError);
}

/// Exception arguments `(message, source, line, entry, field)`: the Python class keeps the
/// location parts as attributes.
fn located(
    msg: String,
    loc: Location,
) -> (String, String, Option<usize>, Option<usize>, Option<String>) {
    (msg, loc.source, loc.line, loc.entry, loc.field)
}

/// The one mapping from core errors to Python exceptions. Core messages carry locations, never
/// patient data, so they pass through unchanged.
pub(crate) fn to_py_err(e: CinError) -> PyErr {
    let msg = e.to_string();
    match e {
        CinError::Parse { location, .. } => ParseError::new_err(located(msg, location)),
        CinError::KnowledgeBase { location, .. } => {
            KnowledgeBaseError::new_err(located(msg, location))
        }
        CinError::InvalidInput(_) => InvalidInputError::new_err(msg),
        CinError::Io { path, .. } => {
            IoError::new_err((msg, path, None::<usize>, None::<usize>, None::<String>))
        }
        _ => base::CinError::new_err(msg),
    }
}

#[pymodule(gil_used = false)]
fn _cin_core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", cin_core::VERSION)?;
    m.add_class::<network::NativeNetwork>()?;
    m.add_function(wrap_pyfunction!(risk::charlson, m)?)?;
    m.add_function(wrap_pyfunction!(risk::elixhauser, m)?)?;
    m.add_function(wrap_pyfunction!(risk::cms_hcc, m)?)?;
    m.add_function(wrap_pyfunction!(risk::check_interactions, m)?)?;
    m.add_function(wrap_pyfunction!(risk::_bench_charlson, m)?)?;
    Ok(())
}
