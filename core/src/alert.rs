//! Alerts: what a check tells a clinician or a care manager at the point of care.
//!
//! One type for every kind of check (duplicate test, drug interaction, therapeutic duplication,
//! admission / discharge notification...), so the C ABI and Python hand out one shape: kind,
//! severity, message, rule id, source (citation) and evidence (the prior result, the other drug,
//! organisations, dates). Messages never carry patient names or identifiers.

use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What raised the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    DuplicateTest,
    DrugInteraction,
    TherapeuticDuplication,
    Admission,
    Discharge,
    EdVisit,
    Readmission,
    MissingFollowup,
    RiskTierChange,
    UnmappedDrug,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::DuplicateTest => "duplicate_test",
            AlertKind::DrugInteraction => "drug_interaction",
            AlertKind::TherapeuticDuplication => "therapeutic_duplication",
            AlertKind::Admission => "admission",
            AlertKind::Discharge => "discharge",
            AlertKind::EdVisit => "ed_visit",
            AlertKind::Readmission => "readmission",
            AlertKind::MissingFollowup => "missing_followup",
            AlertKind::RiskTierChange => "risk_tier_change",
            AlertKind::UnmappedDrug => "unmapped_drug",
        }
    }
}

/// How urgent, least to most. Drug-interaction severities use the compendia's four levels
/// (minor, moderate, major, contraindicated); notifications are `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Minor,
    Moderate,
    Major,
    Contraindicated,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Minor,
        Severity::Moderate,
        Severity::Major,
        Severity::Contraindicated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Minor => "minor",
            Severity::Moderate => "moderate",
            Severity::Major => "major",
            Severity::Contraindicated => "contraindicated",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .iter()
            .copied()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One alert. `evidence` holds the facts behind it as JSON values (dates as ISO strings); its
/// keys are nearly always fixed names, borrowed rather than allocated for every alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub severity: Severity,
    pub message: String,
    /// Rule ids and sources are mostly fixed text: borrowed, not copied into every alert.
    pub rule_id: Cow<'static, str>,
    /// The public source of the rule (paper, label, guideline).
    pub source: Cow<'static, str>,
    pub evidence: BTreeMap<Cow<'static, str>, serde_json::Value>,
}

impl Alert {
    pub fn new(
        kind: AlertKind,
        severity: Severity,
        rule_id: impl Into<Cow<'static, str>>,
        message: String,
    ) -> Self {
        Alert {
            kind,
            severity,
            message,
            rule_id: rule_id.into(),
            source: Cow::Borrowed(""),
            evidence: BTreeMap::new(),
        }
    }
    pub fn source(mut self, source: impl Into<Cow<'static, str>>) -> Self {
        self.source = source.into();
        self
    }
    /// Adds one piece of evidence.
    pub fn with(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.evidence.insert(key.into(), value.into());
        self
    }
}

/// Alerts as the JSON array the C ABI returns.
pub fn alerts_to_json(alerts: &[Alert]) -> String {
    serde_json::to_string(alerts).unwrap_or_else(|_| "[]".to_string())
}
