//! Core values as plain Python values: tables as `(name, kind, data)` columns, alerts as tuples,
//! ingest reports as dicts. The pure-Python package wraps them in `Table`, `Alert` and
//! `IngestReport`.

use cin_core::{Alert, Column, IngestReport, Table};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::cell::RefCell;
use std::collections::HashMap;

/// A core table as a list of `(name, kind, data)`; numeric columns without nulls become numpy
/// arrays (moved, not copied), floats use NaN and times int64 seconds with `i64::MIN` for missing.
/// String columns become Arrow large-string buffers `(offsets, data, valid | None)`: no Python
/// string is made unless asked for, and pyarrow, pandas and polars take the buffers as they are.
pub fn table_to_py(py: Python<'_>, table: Table) -> PyResult<Py<PyAny>> {
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
            // int8 rather than uint8: a difference of two flag columns stays signed.
            Column::Flag(v) => v
                .into_iter()
                .map(|x| x as i8)
                .collect::<Vec<i8>>()
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
            Column::Str(v) => str_buffers(py, v)?,
            Column::Text(t) => {
                let (offsets, data) = t.into_parts();
                let t = (offsets.into_pyarray(py), data.into_pyarray(py), py.None());
                t.into_pyobject(py)?.into_any().unbind()
            }
            Column::StrList(v) => v.into_pyobject(py)?.into_any().unbind(),
        };
        out.append((name, kind, data))?;
    }
    Ok(out.into_any().unbind())
}

fn str_buffers(py: Python<'_>, v: Vec<Option<String>>) -> PyResult<Py<PyAny>> {
    let (offsets, data, valid) = crate::columns::arrow_buffers(&v);
    drop(v);
    let valid = match valid {
        None => py.None(),
        Some(valid) => valid.into_pyarray(py).into_any().unbind(),
    };
    let t = (offsets.into_pyarray(py), data.into_pyarray(py), valid);
    Ok(t.into_pyobject(py)?.into_any().unbind())
}

/// `{"loaded": {kind: n}, "skipped": {kind: n}, "errors": [(source, location, message)]}`.
pub fn report_to_py(py: Python<'_>, rep: &IngestReport) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("loaded", rep.loaded.clone())?;
    d.set_item("skipped", rep.skipped.clone())?;
    let issues = PyList::empty(py);
    for i in &rep.issues {
        issues.append((
            i.source.as_str(),
            i.location.to_string(),
            i.message.as_str(),
        ))?;
    }
    d.set_item("errors", issues)?;
    Ok(d.into_any().unbind())
}

thread_local! {
    /// Evidence keys come from a small fixed vocabulary: keeping them as Python strings (hash
    /// computed once) roughly halves the cost of building an alert's evidence dict.
    static KEYS: RefCell<HashMap<String, Py<PyString>>> = RefCell::new(HashMap::new());
}

fn key<'py>(py: Python<'py>, k: &str) -> Bound<'py, PyString> {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some(s) = keys.get(k) {
            return s.bind(py).clone();
        }
        let s = PyString::intern(py, k);
        if keys.len() < 4096 {
            keys.insert(k.to_string(), s.clone().unbind());
        }
        s
    })
}

/// Alerts as `(kind, severity, message, rule_id, source, evidence)` tuples.
pub fn alerts_to_py(py: Python<'_>, alerts: &[Alert]) -> PyResult<Py<PyAny>> {
    let out = PyList::empty(py);
    for a in alerts {
        let ev = PyDict::new(py);
        for (k, v) in a.evidence.iter() {
            ev.set_item(key(py, k), json_to_py(py, v)?)?;
        }
        out.append((
            key(py, a.kind.as_str()),
            key(py, a.severity.as_str()),
            a.message.as_str(),
            &*a.rule_id,
            &*a.source,
            ev,
        ))?;
    }
    Ok(out.into_any().unbind())
}

fn json_to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(json_to_py(py, x)?)?;
            }
            l.into_any().unbind()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}
