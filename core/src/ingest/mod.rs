//! Ingest: FHIR R4, Synthea CSV (and later HL7 v2 and claims) into a [`Network`].
//!
//! FHIR R4 JSON: [`load_fhir_path`](crate::Network::load_fhir_path) (a `.json` Bundle or resource, a `.ndjson` bulk
//! file, or a directory of them) and [`load_fhir_bytes`](crate::Network::load_fhir_bytes) (detects Bundle, resource or
//! ndjson); see `fhir.rs` for load order and reference resolution, `fhir_setting.rs` for the
//! encounter class table.
//!
//! Every loader returns an [`IngestReport`]: what was loaded and skipped per kind and every issue
//! with its location. One bad record never drops its neighbours; only input that cannot be read
//! at all (a missing directory, bytes that are not JSON) is an `Err`.

pub mod claims_tuva;
pub mod synthea_csv;

use crate::error::Location;
use serde::Serialize;
use std::collections::BTreeMap;

/// One problem met while loading. The message names the field, never patient data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IngestIssue {
    /// The feed kind: `fhir`, `synthea_csv`, `hl7v2`, `claims_tuva`.
    pub source: String,
    pub location: Location,
    pub message: String,
}

/// What a load did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IngestReport {
    /// Records loaded, by kind (`Patient`, `Encounter`, `observations`...).
    pub loaded: BTreeMap<String, usize>,
    /// Records skipped, by kind (unknown resource types, rows with no usable data).
    pub skipped: BTreeMap<String, usize>,
    pub issues: Vec<IngestIssue>,
}

/// Counts one record of `kind`; the key is allocated only the first time (this runs per row).
fn bump(counts: &mut BTreeMap<String, usize>, kind: &str) {
    match counts.get_mut(kind) {
        Some(n) => *n += 1,
        None => {
            counts.insert(kind.to_string(), 1);
        }
    }
}

impl IngestReport {
    pub fn loaded(&mut self, kind: &str) {
        bump(&mut self.loaded, kind);
    }
    pub fn skipped(&mut self, kind: &str) {
        bump(&mut self.skipped, kind);
    }
    pub fn issue(&mut self, source: &str, location: Location, message: impl Into<String>) {
        self.issues.push(IngestIssue {
            source: source.to_string(),
            location,
            message: message.into(),
        });
    }
    pub fn total_loaded(&self) -> usize {
        self.loaded.values().sum()
    }
    pub fn total_skipped(&self) -> usize {
        self.skipped.values().sum()
    }
    /// Adds another report's figures into this one.
    pub fn merge(&mut self, other: IngestReport) {
        for (k, v) in other.loaded {
            *self.loaded.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_insert(0) += v;
        }
        self.issues.extend(other.issues);
    }
}

mod fhir;
mod fhir_json;
mod fhir_refs;
mod fhir_resources;
mod fhir_setting;
mod fhir_value;
