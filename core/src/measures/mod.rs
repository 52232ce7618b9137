//! Quality measures, care gaps, attribution and peer benchmarking.
//!
//! * [`attribution`]: patients to a PCP and practice (MSSP-style plurality, panel override).
//! * [`definition`]: measure definitions as data (`core/data/measures/default.json`).
//! * [`engine`]: evaluation per patient, aggregation per network / organisation / practice /
//!   practitioner with ranks and percentiles, care gaps and explanations.

pub mod attribution;
mod codes;
pub mod definition;
pub mod engine;

pub use attribution::{Attribution, AttributionMethod, AttributionOptions, PatientAttribution};
pub use definition::{MeasureDef, MeasureSet};
pub use engine::{Explanation, ExternalMeasureInput, MeasureResult, Period, peer_ranks};
