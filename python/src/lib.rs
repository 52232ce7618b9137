//! `cin_core._cin_core`: the native half of the Python package. Thin: each method converts its
//! arguments, releases the GIL around the core call and hands back plain Python values (dicts,
//! lists, numpy arrays); the pure-Python package (`py_src/cin_core`) wraps them in `Table`,
//! `Alert` and `IngestReport` objects.

use cin_core::{CinError, Column, IngestReport, Network, NetworkReport, Table};
use numpy::IntoPyArray;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;

mod py_exc {
    pyo3::import_exception!(cin_core.exceptions, CinError);
}
use py_exc::CinError as PyCinError;
pyo3::import_exception!(cin_core.exceptions, ParseError);
pyo3::import_exception!(cin_core.exceptions, InvalidInputError);
pyo3::import_exception!(cin_core.exceptions, KnowledgeBaseError);

/// The one mapping from core errors to Python exceptions.
fn to_py_err(e: CinError) -> PyErr {
    let msg = e.to_string();
    match e {
        CinError::Parse { .. } => ParseError::new_err(msg),
        CinError::InvalidInput(_) => InvalidInputError::new_err(msg),
        CinError::KnowledgeBase { .. } => KnowledgeBaseError::new_err(msg),
        CinError::Io { .. } => PyOSError::new_err(msg),
        _ => PyCinError::new_err(msg),
    }
}

/// A core table as a list of `(name, kind, data)`; numeric columns without nulls become numpy
/// arrays (moved, not copied), times become int64 seconds with i64::MIN for missing.
fn table_to_py(py: Python<'_>, table: Table) -> PyResult<Py<PyAny>> {
    let out = PyList::empty(py);
    for (name, col) in table.into_columns() {
        let kind = col.type_name();
        let data: Py<PyAny> = match col {
            Column::Int(v) if v.iter().all(Option::is_some) => v
                .into_iter()
                .map(|x| x.unwrap_or_default())
                .collect::<Vec<i64>>()
                .into_pyarray(py)
                .into_any()
                .unbind(),
            Column::Float(v) => v
                .into_iter()
                .map(|x| x.unwrap_or(f64::NAN))
                .collect::<Vec<f64>>()
                .into_pyarray(py)
                .into_any()
                .unbind(),
            Column::Time(v) => v
                .into_iter()
                .map(|x| x.map_or(i64::MIN, |t| t.0))
                .collect::<Vec<i64>>()
                .into_pyarray(py)
                .into_any()
                .unbind(),
            Column::Int(v) => v.into_pyobject(py)?.into_any().unbind(),
            Column::Bool(v) => v.into_pyobject(py)?.into_any().unbind(),
            Column::Str(v) => v.into_pyobject(py)?.into_any().unbind(),
            Column::StrList(v) => v.into_pyobject(py)?.into_any().unbind(),
        };
        out.append((name, kind, data))?;
    }
    Ok(out.into_any().unbind())
}

fn report_to_py(py: Python<'_>, rep: &IngestReport) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("loaded", rep.loaded.clone())?;
    d.set_item("skipped", rep.skipped.clone())?;
    let issues = PyList::empty(py);
    for i in &rep.issues {
        issues.append((i.source.clone(), i.location.to_string(), i.message.clone()))?;
    }
    d.set_item("errors", issues)?;
    Ok(d.into_any().unbind())
}

/// The native network; use `cin_core.Network`.
#[pyclass(module = "cin_core._cin_core")]
struct NativeNetwork {
    net: Network,
    loads: Vec<(String, IngestReport)>,
}

impl NativeNetwork {
    fn record(&mut self, py: Python<'_>, kind: &str, rep: IngestReport) -> PyResult<Py<PyAny>> {
        let out = report_to_py(py, &rep)?;
        self.loads.push((kind.to_string(), rep));
        Ok(out)
    }
}

#[pymethods]
impl NativeNetwork {
    #[new]
    fn new() -> Self {
        NativeNetwork {
            net: Network::new(),
            loads: Vec::new(),
        }
    }

    fn counts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let c = self.net.counts();
        let d = PyDict::new(py);
        for (k, v) in [
            ("patients", c.patients),
            ("organizations", c.organizations),
            ("practitioners", c.practitioners),
            ("encounters", c.encounters),
            ("conditions", c.conditions),
            ("observations", c.observations),
            ("medications", c.medications),
            ("procedures", c.procedures),
            ("diagnoses", c.diagnoses),
            ("care_plans", c.care_plans),
            ("care_team_members", c.care_team_members),
        ] {
            d.set_item(k, v)?;
        }
        Ok(d.into_any().unbind())
    }

    fn encounters(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let t = py.detach(|| self.net.encounters_table());
        table_to_py(py, t)
    }

    fn readmissions(&self, py: Python<'_>, days: i64) -> PyResult<Py<PyAny>> {
        let t = py.detach(|| self.net.readmissions_table(days));
        table_to_py(py, t)
    }

    fn followups(&self, py: Python<'_>, days: i64) -> PyResult<Py<PyAny>> {
        let t = py.detach(|| self.net.followups_table(days));
        table_to_py(py, t)
    }

    fn report_json(&self, py: Python<'_>) -> String {
        py.detach(|| NetworkReport::build(&self.net, &self.loads).to_json())
    }
}

#[pymodule(gil_used = false)]
fn _cin_core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeNetwork>()?;
    let _ = PathBuf::new();
    let _ = to_py_err;
    Ok(())
}
