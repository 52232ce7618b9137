//! Alerts: what a check tells a clinician or a care manager at the point of care.
//!
//! One type for every kind of check (duplicate test, drug interaction, therapeutic duplication,
//! admission / discharge notification...), so the C ABI and Python hand out one shape: kind,
//! severity, message, rule id, source (citation) and evidence (the prior result, the other drug,
//! organisations, dates). Messages never carry patient names or identifiers.

use serde::Serialize;
use std::borrow::Cow;

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
    pub evidence: Evidence,
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
            // Alerts carry up to a dozen facts: one allocation instead of regrowing.
            evidence: Evidence(Vec::with_capacity(12)),
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
        self.evidence.insert(key, value.into());
        self
    }
}

/// The facts behind an alert by name, kept in name order: a small sorted vector, as an alert
/// has a handful and alerts are built on the real-time path (a tree map cost a tenth of an
/// HL7 message's processing). Serialises as a JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence(Vec<(Cow<'static, str>, serde_json::Value)>);

impl Evidence {
    /// Sets `key`, returning the value it replaces.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: serde_json::Value,
    ) -> Option<serde_json::Value> {
        let key = key.into();
        // Builders add keys in name order where they can: then the key goes on the end, with
        // no search and no shifting of the entries after it.
        if self
            .0
            .last()
            .is_none_or(|(last, _)| name_order(last, &key).is_lt())
        {
            self.0.push((key, value));
            return None;
        }
        // Otherwise comparing first bytes settles nearly every step of the search without a
        // `memcmp` call.
        match self
            .0
            .binary_search_by(|(k, _)| name_order(k.as_ref(), key.as_ref()))
        {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0
            .binary_search_by(|(k, _)| name_order(k.as_ref(), key))
            .ok()
            .map(|i| &self.0[i].1)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// `(name, value)` in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `a.cmp(b)`, deciding on the first bytes when they differ.
#[inline]
fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

impl std::ops::Index<&str> for Evidence {
    type Output = serde_json::Value;
    /// Like a map's index: panics when `key` is absent (tests read known evidence this way).
    fn index(&self, key: &str) -> &serde_json::Value {
        self.get(key)
            .unwrap_or_else(|| panic!("no evidence named {key}"))
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k.as_ref(), v)?;
        }
        m.end()
    }
}

/// Alerts as the JSON array the C ABI returns.
pub fn alerts_to_json(alerts: &[Alert]) -> String {
    serde_json::to_string(alerts).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_a_sorted_map() {
        let a = Alert::new(AlertKind::Admission, Severity::Info, "r", "m".into())
            .with("time", "2024-01-01T00:00:00")
            .with("patient_id", "p1")
            .with("setting", "inpatient")
            .with(String::from("cross_org"), true)
            .with("patient_id", "p2");
        let keys: Vec<&str> = a.evidence.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["cross_org", "patient_id", "setting", "time"]);
        assert_eq!(a.evidence["patient_id"], "p2");
        assert!(a.evidence.contains_key("setting") && !a.evidence.contains_key("org"));
        assert_eq!(a.evidence.get("org"), None);
        let json = serde_json::to_string(&a.evidence).unwrap();
        assert_eq!(
            json,
            r#"{"cross_org":true,"patient_id":"p2","setting":"inpatient","time":"2024-01-01T00:00:00"}"#
        );
        let mut e = a.evidence.clone();
        assert_eq!(
            e.insert("time", 5.into()),
            Some("2024-01-01T00:00:00".into())
        );
        assert_eq!(e.len(), 4);
    }
}
