//! cin_core: the embeddable engine of a clinically integrated network.
//!
//! One longitudinal record per patient merged across organisations (with provenance), the
//! care-continuum analytics built on it, and ingest from FHIR R4 and Synthea CSV.
#![forbid(unsafe_code)]

pub mod alert;
pub mod ascii_case;
pub mod code;
pub mod continuum;
pub mod crosswalk;
pub mod ddi;
pub mod duptest;
pub mod error;
pub mod hl7;
pub mod ingest;
pub mod intern;
pub mod measures;
pub mod model;
pub mod network;
pub mod report;
pub mod report_html;
pub mod risk;
pub mod session;
pub mod str_column;
pub mod synthetic;
pub mod table;
pub mod time;

pub use alert::{Alert, AlertKind, Evidence, Severity};
pub use code::CodeSystem;
pub use ddi::{DdiSummary, Kb, check_interactions};
pub use error::{CinError, Location, Result};
pub use ingest::{IngestIssue, IngestReport};
pub use model::*;
pub use network::{Counts, Network, PatientInput};
pub use str_column::{Offsets, StrColumn, Utf8Column};
pub use table::{Column, Table, Text};
pub use time::Timestamp;

/// The library version (Cargo package version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub use report::NetworkReport;
pub use session::Session;
