//! Drug-drug interaction and therapeutic-duplication checks with a licence-clean, versioned
//! knowledge base (KB).
//!
//! # Knowledge-base format (JSON, `format_version` 1)
//!
//! A KB file is one JSON object; every section is optional (see `core/data/ddi/README.md`):
//!
//! * `format`, `format_version`, `name`, `version`, `licence`: identification.
//! * `ingredients`: `{rxcui, name, synonyms?, washout_days?}`: RxNorm ingredients (TTY IN). Names
//!   and synonyms (brands, common salts) drive free-text matching; `washout_days` is how long
//!   the drug still counts after it stops (14 for MAOIs, 35 for fluoxetine, per labels).
//! * `classes`: `{id, name, members: [rxcui...], source}`.
//! * `rules`: `{id, a, b, severity, effect, mechanism?, management, source, context?}`. A side is
//!   `"class:<id>"` or an ingredient RxCUI (or name). `severity` is `contraindicated`, `major`,
//!   `moderate` or `minor` ([`crate::alert::Severity`]). `context` may hold `dose`
//!   `{ingredient, above_mg, otherwise?}` (fires only above the dose cap), `routes` (e.g.
//!   `["systemic"]`), `washout_days`, `lab` `{name, loinc[], op, value, unit?, severity}` (the
//!   latest value from any organisation escalates the rule) and `condition` `{name,
//!   icd10_prefixes[], snomed[], severity}`.
//! * `non_interruptive`: `{id, a, b, source}`: pairs that never interrupt (ONC list); a matching
//!   rule is suppressed unless a lab or condition context escalates it.
//! * `duplication`: `{class, allowance, prn_with_scheduled, overlap_days, source}`.
//! * `products`: `{rxcui | ndc, name?, ingredients?, strengths_mg?}`: SCD/SBD/NDC codes mapped to
//!   ingredients explicitly or by parsing their RxNorm name.
//! * `severity_overrides`: `{rule, severity | "off"}`: site tiering.
//!
//! A malformed file is rejected whole with [`crate::CinError::KnowledgeBase`] giving the file,
//! the line and the JSON path; a reference to an unknown class or ingredient is an error.
//!
//! # Checks
//!
//! * [`check_interactions`]: a medication list without a network.
//! * [`crate::Network::check_prescription`]: a new drug against active medications from every
//!   organisation (with washout, dose, route, latest-lab and condition context).
//! * [`crate::Network::drug_interactions_table`] and
//!   [`crate::Network::drug_interaction_summary`]: the population sweep.
//!
//! Drugs that map to no KB ingredient are never dropped silently: they give an `unmapped_drug`
//! alert (point of care) or appear in [`DdiSummary::unmapped_drugs`] (population).

pub mod check;
pub mod format;
pub mod identity;
pub mod kb;
pub mod network;

pub use check::{check_interactions, check_resolved};
pub use identity::{MappedVia, ResolvedDrug, Route};
pub use kb::Kb;
pub use network::DdiSummary;
