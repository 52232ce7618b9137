//! `NativeNetwork`: one `cin_core::Session` behind a read-write lock. Every call releases the GIL
//! before it takes the lock, so checks from many Python threads run in parallel and a load waits
//! for them (and they for it) without blocking the interpreter.

use crate::convert::{alerts_to_py, report_to_py, table_to_py};
use crate::to_py_err;
use cin_core::{IngestReport, Session, Table};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

/// The native network; use `cin_core.Network`.
#[pyclass(module = "cin_core._cin_core", frozen)]
pub struct NativeNetwork {
    session: RwLock<Session>,
}

impl NativeNetwork {
    fn wrap(session: Session) -> Self {
        NativeNetwork {
            session: RwLock::new(session),
        }
    }

    // A panic in the core while a lock is held poisons it; the session is still whole (loads
    // only append), so the lock is taken over rather than failing every later call.
    fn read(&self) -> RwLockReadGuard<'_, Session> {
        self.session.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Session> {
        self.session.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a load with the GIL released and returns its report as a dict.
    fn load<F>(&self, py: Python<'_>, f: F) -> PyResult<Py<PyAny>>
    where
        F: FnOnce(&mut Session) -> cin_core::Result<IngestReport> + Send,
    {
        let rep = py.detach(|| f(&mut self.write())).map_err(to_py_err)?;
        report_to_py(py, &rep)
    }

    /// Builds a table with the GIL released.
    fn table<F>(&self, py: Python<'_>, f: F) -> PyResult<Py<PyAny>>
    where
        F: FnOnce(&Session) -> cin_core::Result<Table> + Send,
    {
        let t = py.detach(|| f(&self.read())).map_err(to_py_err)?;
        table_to_py(py, t)
    }
}

fn period<'a>(start: &'a Option<String>, end: &'a Option<String>) -> Option<(&'a str, &'a str)> {
    match (start.as_deref(), end.as_deref()) {
        (None, None) => None,
        (a, b) => Some((a.unwrap_or(""), b.unwrap_or(""))),
    }
}

#[pymethods]
impl NativeNetwork {
    #[new]
    fn new() -> Self {
        NativeNetwork::wrap(Session::new())
    }

    #[staticmethod]
    fn synthetic(py: Python<'_>, patients: usize, seed: u64) -> Self {
        NativeNetwork::wrap(py.detach(|| Session::synthetic(patients, seed)))
    }

    fn load_fhir(&self, py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
        self.load(py, |s| s.load_fhir_path(&path).cloned())
    }

    fn load_fhir_bytes(&self, py: Python<'_>, data: &[u8], name: &str) -> PyResult<Py<PyAny>> {
        self.load(py, |s| s.load_fhir_bytes(data, name).cloned())
    }

    fn load_synthea_csv(&self, py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
        self.load(py, |s| s.load_synthea_csv(&path).cloned())
    }

    fn load_hl7(&self, py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
        self.load(py, |s| s.load_hl7_path(&path).cloned())
    }

    fn load_hl7_bytes(&self, py: Python<'_>, data: &[u8], name: &str) -> PyResult<Py<PyAny>> {
        self.load(py, |s| s.load_hl7_bytes(data, name).cloned())
    }

    fn load_claims_tuva(&self, py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
        self.load(py, |s| s.load_claims_tuva(&path).cloned())
    }

    fn load_drug_kb(&self, py: Python<'_>, data: &[u8], name: &str, replace: bool) -> PyResult<()> {
        py.detach(|| self.write().load_drug_kb(data, name, replace))
            .map_err(to_py_err)
    }

    fn load_duplicate_rules(&self, py: Python<'_>, data: &[u8], name: &str) -> PyResult<()> {
        py.detach(|| self.write().load_duplicate_rules(data, name))
            .map_err(to_py_err)
    }

    fn load_measures(&self, py: Python<'_>, data: &[u8], name: &str) -> PyResult<()> {
        py.detach(|| self.write().load_measures(data, name))
            .map_err(to_py_err)
    }

    /// `(alerts, ack, report)` for one message; a bad message is an error ACK, not an exception.
    fn ingest_hl7(&self, py: Python<'_>, message: &[u8]) -> PyResult<Py<PyAny>> {
        let res = py.detach(|| self.write().ingest_hl7(message));
        let alerts = alerts_to_py(py, &res.alerts)?;
        let rep = report_to_py(py, &res.report)?;
        Ok((alerts, res.ack, rep)
            .into_pyobject(py)?
            .into_any()
            .unbind())
    }

    fn counts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let c = self.read().network().counts();
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
        self.table(py, |s| Ok(s.network().encounters_table()))
    }

    fn readmissions(&self, py: Python<'_>, days: i64) -> PyResult<Py<PyAny>> {
        self.table(py, |s| Ok(s.network().readmissions_table(days)))
    }

    fn followups(&self, py: Python<'_>, days: i64) -> PyResult<Py<PyAny>> {
        self.table(py, |s| Ok(s.network().followups_table(days)))
    }

    fn risk(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.table(py, |s| Ok(s.risk()))
    }

    fn registries(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.table(py, |s| Ok(s.registries()))
    }

    fn readmission_risk(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.table(py, |s| Ok(s.readmission_risk()))
    }

    fn duplicate_tests(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.table(py, |s| Ok(s.duplicate_tests()))
    }

    fn drug_interactions(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.table(py, |s| Ok(s.drug_interactions()))
    }

    #[pyo3(signature = (start=None, end=None))]
    fn measures(
        &self,
        py: Python<'_>,
        start: Option<String>,
        end: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        self.table(py, |s| s.measures(period(&start, &end)))
    }

    #[pyo3(signature = (start=None, end=None))]
    fn care_gaps(
        &self,
        py: Python<'_>,
        start: Option<String>,
        end: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        self.table(py, |s| s.care_gaps(period(&start, &end)))
    }

    #[pyo3(signature = (patient_id, system, code, at=None, org=None))]
    fn check_order(
        &self,
        py: Python<'_>,
        patient_id: &str,
        system: &str,
        code: &str,
        at: Option<&str>,
        org: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let alerts = py
            .detach(|| self.read().check_order(patient_id, system, code, at, org))
            .map_err(to_py_err)?;
        alerts_to_py(py, &alerts)
    }

    #[pyo3(signature = (patient_id, drug, at=None, org=None))]
    fn check_prescription(
        &self,
        py: Python<'_>,
        patient_id: &str,
        drug: &str,
        at: Option<&str>,
        org: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let alerts = py
            .detach(|| self.read().check_prescription(patient_id, drug, at, org))
            .map_err(to_py_err)?;
        alerts_to_py(py, &alerts)
    }

    fn check_interactions(&self, py: Python<'_>, drugs: Vec<String>) -> PyResult<Py<PyAny>> {
        let alerts = py.detach(|| {
            let refs: Vec<&str> = drugs.iter().map(String::as_str).collect();
            self.read().check_interactions(&refs)
        });
        alerts_to_py(py, &alerts)
    }

    /// Benchmark hook: the core check alone, `n` times with the GIL released; seconds in all.
    /// `examples/python/bench_python.py` subtracts it from the Python call to get the overhead.
    #[pyo3(signature = (patient_id, drug, at=None, org=None, n=1))]
    fn _bench_check_prescription(
        &self,
        py: Python<'_>,
        patient_id: &str,
        drug: &str,
        at: Option<&str>,
        org: Option<&str>,
        n: usize,
    ) -> PyResult<f64> {
        py.detach(|| {
            let session = self.read();
            let start = Instant::now();
            for _ in 0..n {
                let alerts =
                    session.check_prescription(black_box(patient_id), black_box(drug), at, org)?;
                black_box(alerts);
            }
            Ok(start.elapsed().as_secs_f64())
        })
        .map_err(to_py_err)
    }

    fn report_json(&self, py: Python<'_>) -> String {
        py.detach(|| self.read().report().to_json())
    }

    fn report_text(&self, py: Python<'_>) -> String {
        py.detach(|| self.read().report().to_text())
    }

    fn report_html(&self, py: Python<'_>) -> String {
        py.detach(|| self.read().report().to_html())
    }
}
