//! Duplicate diagnostic tests across organisations.
//!
//! A test is a duplicate when the same *family* of test (all HbA1c methods; a BMP, or the BMP
//! part of a CMP; a chest X-ray of any view count) is repeated sooner than the family's minimum
//! retest interval anywhere in the network. Two thresholds per family: *advisory* (the clinical
//! minimum retesting interval, severity moderate) and *hard* (the shorter block interval, severity
//! major). Documented exceptions suppress the alert: a repeat confirming an abnormal prior result,
//! monitoring after a drug start or dose change, and daily labs inside one inpatient stay.
//!
//! Time rule: intervals are whole calendar days between the recorded wall-clock dates
//! (`Timestamp::day`), so a date-only value (midnight) and a timestamp on the same date are 0 days
//! apart; a repeat is a duplicate when `interval < advisory_days`. Results without a time are
//! counted (`results_without_time`), never placed on the timeline by guess.
//!
//! One test reported twice is not a repeat: rows of one time and encounter are one group (a
//! panel's components and its DiagnosticReport); two events of one (non-inpatient) encounter, or
//! of one calendar day at one organisation, or of one day when either side carries a date only
//! (a claim line for a result another feed sent with a time), are the same test. Pending orders
//! (ProcedureKind::Ordered) count in the order check until a result of the family arrives, never
//! in the retrospective scan. A confirmation of an abnormal result is allowed once.
//!
//! Rules: [`Rules::embedded`] (data file `core/data/duptest/rules.json`, sources cited per
//! family) or [`Rules::from_json`] for site rules. Checks: [`Network::check_order`] at the point
//! of order, [`Network::duplicate_tests_table`] and [`Network::duplicate_test_summary`]
//! retrospectively.
//!
//! [`Network::check_order`]: crate::network::Network::check_order
//! [`Network::duplicate_tests_table`]: crate::network::Network::duplicate_tests_table
//! [`Network::duplicate_test_summary`]: crate::network::Network::duplicate_test_summary

mod check;
mod events;
pub mod rules;
mod scan;

pub use check::order_system;
pub use rules::{CodeHit, Family, FamilyKind, MonitoringRule, PriceTable, RefRange, Rules};
pub use scan::DuplicateSummary;
