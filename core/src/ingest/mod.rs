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
use std::borrow::Cow;
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
    pub loaded: BTreeMap<Kind, usize>,
    /// Records skipped, by kind (unknown resource types, rows with no usable data).
    pub skipped: BTreeMap<Kind, usize>,
    pub issues: Vec<IngestIssue>,
}

/// A kind of record in a report: nearly always a fixed name, borrowed (a real-time feed makes
/// a report per message, and owned names were a tenth of its allocations).
pub type Kind = Cow<'static, str>;

/// Counts one record of `kind`.
fn bump(counts: &mut BTreeMap<Kind, usize>, kind: Kind) {
    *counts.entry(kind).or_insert(0) += 1;
}

/// Counts one record of `kind`, copying the name only when it is new to the report.
fn bump_named(counts: &mut BTreeMap<Kind, usize>, kind: &str) {
    match counts.get_mut(kind) {
        Some(n) => *n += 1,
        None => {
            counts.insert(Cow::Owned(kind.to_string()), 1);
        }
    }
}

impl IngestReport {
    /// Counts a loaded record of a fixed kind (no allocation).
    pub fn loaded(&mut self, kind: &'static str) {
        bump(&mut self.loaded, Cow::Borrowed(kind));
    }
    /// Counts a skipped record of a fixed kind (no allocation).
    pub fn skipped(&mut self, kind: &'static str) {
        bump(&mut self.skipped, Cow::Borrowed(kind));
    }
    /// Counts a loaded record of a kind read from the input (its name is copied once).
    pub fn loaded_kind(&mut self, kind: &str) {
        bump_named(&mut self.loaded, kind);
    }
    /// Counts a skipped record of a kind read from the input (its name is copied once).
    pub fn skipped_kind(&mut self, kind: &str) {
        bump_named(&mut self.skipped, kind);
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
