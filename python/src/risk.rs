//! The batch risk scores over long-format columns (one row per patient-code pair), with the GIL
//! released while the Arrow buffers are checked and scored in place.

use crate::columns::{StrInput, StrView, check_columns};
use crate::convert::{alerts_to_py, table_to_py};
use crate::to_py_err;
use cin_core::Utf8Column;
use cin_core::risk::{
    CharlsonOptions, CharlsonWeights, ElixhauserOptions, ElixhauserWeights, HccOptions, HccVersion,
};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use std::time::Instant;

/// Patient ids and codes, their buffers checked in parallel.
fn check2<'a>(p: &StrView<'a>, c: &StrView<'a>) -> PyResult<[Utf8Column<'a>; 2]> {
    let cols = check_columns(&[(p, "patient_ids"), (c, "codes")])?;
    <[Utf8Column<'a>; 2]>::try_from(cols)
        .map_err(|_| crate::InvalidInputError::new_err("internal error while reading a column"))
}

/// A long-format score: takes the two string columns' buffers, checks them with the GIL
/// released and hands them to `score`, which reads them in place.
fn score_long<F>(
    py: Python<'_>,
    patient_ids: &Bound<'_, PyAny>,
    codes: &Bound<'_, PyAny>,
    score: F,
) -> PyResult<Py<PyAny>>
where
    F: Fn(&Utf8Column<'_>, &Utf8Column<'_>) -> cin_core::Result<cin_core::Table> + Send + Sync,
{
    let (p, c) = (
        StrInput::extract(patient_ids, "patient_ids")?,
        StrInput::extract(codes, "codes")?,
    );
    let (p, c) = (p.view()?, c.view()?);
    let t = py.detach(|| -> PyResult<_> {
        let [p, c] = check2(&p, &c)?;
        score(&p, &c).map_err(to_py_err)
    })?;
    table_to_py(py, t)
}

#[pyfunction]
pub fn charlson(
    py: Python<'_>,
    patient_ids: &Bound<'_, PyAny>,
    codes: &Bound<'_, PyAny>,
    weights: &str,
) -> PyResult<Py<PyAny>> {
    let opts = CharlsonOptions {
        weights: CharlsonWeights::from_name(weights).map_err(to_py_err)?,
        ..CharlsonOptions::default()
    };
    score_long(py, patient_ids, codes, |p, c| {
        cin_core::risk::charlson(p, c, &opts)
    })
}

#[pyfunction]
pub fn elixhauser(
    py: Python<'_>,
    patient_ids: &Bound<'_, PyAny>,
    codes: &Bound<'_, PyAny>,
    weights: &str,
) -> PyResult<Py<PyAny>> {
    let opts = ElixhauserOptions {
        weights: ElixhauserWeights::from_name(weights).map_err(to_py_err)?,
        ..ElixhauserOptions::default()
    };
    score_long(py, patient_ids, codes, |p, c| {
        cin_core::risk::elixhauser(p, c, &opts)
    })
}

/// `ages` is float64 with NaN for missing (numpy's natural form for a nullable integer column).
#[pyfunction]
pub fn cms_hcc(
    py: Python<'_>,
    patient_ids: &Bound<'_, PyAny>,
    codes: &Bound<'_, PyAny>,
    ages: PyReadonlyArray1<'_, f64>,
    sexes: &Bound<'_, PyAny>,
    version: &str,
) -> PyResult<Py<PyAny>> {
    let opts = HccOptions {
        version: HccVersion::from_name(version).map_err(to_py_err)?,
        ..HccOptions::default()
    };
    let (p, c, s) = (
        StrInput::extract(patient_ids, "patient_ids")?,
        StrInput::extract(codes, "codes")?,
        StrInput::extract(sexes, "sexes")?,
    );
    let (p, c, s) = (p.view()?, c.view()?, s.view()?);
    let ages = ages.as_slice()?;
    let t = py.detach(|| -> PyResult<_> {
        let cols = check_columns(&[(&p, "patient_ids"), (&c, "codes"), (&s, "sexes")])?;
        let [p, c, s] = <[Utf8Column<'_>; 3]>::try_from(cols).map_err(|_| {
            crate::InvalidInputError::new_err("internal error while reading a column")
        })?;
        let ages: Vec<Option<i64>> = ages
            .iter()
            .map(|a| a.is_finite().then_some(*a as i64))
            .collect();
        cin_core::risk::cms_hcc(&p, &c, &ages, &s, &opts).map_err(to_py_err)
    })?;
    table_to_py(py, t)
}

/// Interactions within a drug list, against the embedded knowledge base.
#[pyfunction]
pub fn check_interactions(py: Python<'_>, drugs: Vec<String>) -> PyResult<Py<PyAny>> {
    let alerts = py.detach(|| {
        let refs: Vec<&str> = drugs.iter().map(String::as_str).collect();
        cin_core::check_interactions(cin_core::Kb::embedded(), &refs)
    });
    alerts_to_py(py, &alerts)
}

/// Benchmark hook: `(seconds to check the buffers, seconds of the core Charlson call)`
/// for columns already converted, so `examples/python/bench_python.py` can compare the whole
/// Python call with the pure-Rust work on the same data.
#[pyfunction]
pub fn _bench_charlson(
    py: Python<'_>,
    patient_ids: &Bound<'_, PyAny>,
    codes: &Bound<'_, PyAny>,
    weights: &str,
) -> PyResult<(f64, f64)> {
    let opts = CharlsonOptions {
        weights: CharlsonWeights::from_name(weights).map_err(to_py_err)?,
        ..CharlsonOptions::default()
    };
    let (p, c) = (
        StrInput::extract(patient_ids, "patient_ids")?,
        StrInput::extract(codes, "codes")?,
    );
    let (p, c) = (p.view()?, c.view()?);
    py.detach(|| -> PyResult<_> {
        let start = Instant::now();
        let [p, c] = check2(&p, &c)?;
        let checked = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let t = cin_core::risk::charlson(&p, &c, &opts).map_err(to_py_err)?;
        let core = start.elapsed().as_secs_f64();
        drop(t);
        Ok((checked, core))
    })
}
