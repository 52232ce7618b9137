//! A patient's longitudinal timeline across every organisation, each event with its source.

use crate::model::{ObsValue, OrgIdx, PatientIdx, Provenance};
use crate::network::Network;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineKind {
    Encounter,
    Condition,
    Observation,
    Medication,
    Procedure,
}

impl TimelineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Encounter => "encounter",
            TimelineKind::Condition => "condition",
            TimelineKind::Observation => "observation",
            TimelineKind::Medication => "medication",
            TimelineKind::Procedure => "procedure",
        }
    }
}

/// One dated event: what, when, where it happened and which feed reported it.
#[derive(Debug, Clone)]
pub struct TimelineEvent {
    pub time: Timestamp,
    pub kind: TimelineKind,
    /// Setting for encounters, code (`system:value`) for facts.
    pub what: String,
    pub value: Option<f64>,
    pub org: Option<OrgIdx>,
    pub provenance: Provenance,
}

impl Network {
    /// Every dated event of a patient, in time order (undated facts are left out).
    pub fn timeline(&self, p: PatientIdx) -> Vec<TimelineEvent> {
        let code = |c: crate::model::Code| format!("{}:{}", c.system.as_str(), self.str(c.value));
        let mut ev = Vec::new();
        for e in self.patient_encounters(p) {
            let enc = self.encounter(e);
            ev.push(TimelineEvent {
                time: enc.start,
                kind: TimelineKind::Encounter,
                what: enc.setting.as_str().to_string(),
                value: None,
                org: enc.org,
                provenance: enc.provenance,
            });
        }
        for c in self.patient_conditions(p) {
            if let Some(t) = c.onset {
                ev.push(TimelineEvent {
                    time: t,
                    kind: TimelineKind::Condition,
                    what: code(c.code),
                    value: None,
                    org: c.provenance.org,
                    provenance: c.provenance,
                });
            }
        }
        for o in self.patient_observations(p) {
            if let Some(t) = o.time {
                let value = match o.value {
                    ObsValue::Number(v) => Some(v),
                    _ => None,
                };
                ev.push(TimelineEvent {
                    time: t,
                    kind: TimelineKind::Observation,
                    what: code(o.code),
                    value,
                    org: o.provenance.org,
                    provenance: o.provenance,
                });
            }
        }
        for m in self.patient_medications(p) {
            if let Some(t) = m.start {
                ev.push(TimelineEvent {
                    time: t,
                    kind: TimelineKind::Medication,
                    what: code(m.code),
                    value: None,
                    org: m.org,
                    provenance: m.provenance,
                });
            }
        }
        for pr in self.patient_procedures(p) {
            if let Some(t) = pr.time {
                ev.push(TimelineEvent {
                    time: t,
                    kind: TimelineKind::Procedure,
                    what: code(pr.code),
                    value: None,
                    org: pr.org,
                    provenance: pr.provenance,
                });
            }
        }
        ev.sort_by_key(|e| e.time);
        ev
    }
}
