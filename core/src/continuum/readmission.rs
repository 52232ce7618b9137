//! 30-day (or N-day) all-cause readmissions.
//!
//! One engine, documented choices (see the sources on each field):
//! * stays are chained transfers ([`super::StayPolicy`]); the chain's last hospital is the index
//!   hospital (CMS HWR);
//! * an index stay must end alive (disposition not expired and no death on or before the
//!   discharge day), not against medical advice, not by transfer to an acute hospital outside the
//!   data, and not on its admission day (NCQA PCR excludes admit date = discharge date);
//! * it needs the whole window of follow-up in the data (CMS HWR run-out: the index discharge is
//!   at least `days` before the last date in the data);
//! * each index is paired with the **next** stay only; it is a readmission if it starts within
//!   `days` calendar days of the discharge and is not planned (Tuva's HWR implementation and CMS:
//!   a planned readmission followed by an unplanned one does not count);
//! * planned, where detectable: principal diagnosis of maintenance chemotherapy or radiotherapy
//!   (ICD-10-CM Z51.0, Z51.1x) or rehabilitation / aftercare and fitting of devices (Z44-Z48,
//!   Z51.89), which the CMS Planned Readmission Algorithm v4.0 lists as always planned, or an
//!   elective admission with no acute principal diagnosis (the algorithm's "potentially planned
//!   without an acute condition", with admission type standing in for the procedure list).

use super::stays::{Stay, StayPolicy};
use crate::code::CodeSystem;
use crate::model::{AdmissionType, Disposition, EncIdx, PatientIdx};
use crate::network::Network;
use crate::time::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct ReadmissionPolicy {
    pub days: i64,
    pub stays: StayPolicy,
    /// Require the full `days` window after discharge inside the data (CMS run-out rule).
    pub require_full_window: bool,
    /// Exclude index stays admitted and discharged on the same day (NCQA PCR).
    pub exclude_same_day: bool,
    /// Exclude index stays that ended against medical advice (CMS HWR).
    pub exclude_against_advice: bool,
    /// Do not count planned readmissions.
    pub exclude_planned: bool,
    /// The last date of follow-up; default: the latest date in the data.
    pub data_end: Option<Timestamp>,
}

impl ReadmissionPolicy {
    pub fn days(days: i64) -> Self {
        ReadmissionPolicy {
            days,
            stays: StayPolicy::default(),
            require_full_window: true,
            exclude_same_day: true,
            exclude_against_advice: true,
            exclude_planned: true,
            data_end: None,
        }
    }
}

impl Default for ReadmissionPolicy {
    fn default() -> Self {
        ReadmissionPolicy::days(30)
    }
}

/// An index stay followed by a readmission inside the window.
#[derive(Debug, Clone, Serialize)]
pub struct Readmission {
    #[serde(skip)]
    pub patient: PatientIdx,
    /// The last encounter of the index stay (its discharge).
    #[serde(skip)]
    pub index_encounter: EncIdx,
    pub index_discharge: Timestamp,
    /// The first encounter of the readmission stay.
    #[serde(skip)]
    pub readmit_encounter: EncIdx,
    pub readmit_admit: Timestamp,
    /// Calendar days from discharge to readmission.
    pub days_between: i64,
    /// Readmitted to a different organisation than the one that discharged.
    pub cross_org: bool,
    /// Planned by the rule above (only listed when planned readmissions are not excluded).
    pub planned: bool,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ReadmissionSummary {
    pub index_stays: usize,
    pub readmissions: usize,
    pub cross_org: usize,
    pub rate: f64,
}

/// Why an index stay is not eligible; `None` = eligible.
fn index_exclusion(
    net: &Network,
    stay: &Stay,
    policy: &ReadmissionPolicy,
    end: Timestamp,
) -> Option<&'static str> {
    let discharge = stay.discharge?;
    let patient = net.patient(stay.patient);
    if stay.disposition == Disposition::Expired
        || patient
            .death_date
            .is_some_and(|d| d.day() <= discharge.day())
    {
        return Some("died");
    }
    if policy.exclude_same_day && stay.admit.day() == discharge.day() {
        return Some("same_day");
    }
    if policy.exclude_against_advice && stay.disposition == Disposition::LeftAgainstAdvice {
        return Some("against_advice");
    }
    if matches!(
        stay.disposition,
        Disposition::AcuteTransfer | Disposition::StillPatient
    ) {
        return Some("transferred_out");
    }
    if policy.require_full_window && discharge.days_until(end) < policy.days {
        return Some("window_incomplete");
    }
    None
}

/// Principal-diagnosis prefixes the CMS Planned Readmission Algorithm v4.0 treats as always
/// planned (maintenance chemo/radiotherapy, rehabilitation and aftercare / device fitting).
const PLANNED_PRINCIPAL_PREFIXES: &[&str] =
    &["Z510", "Z511", "Z5189", "Z44", "Z45", "Z46", "Z47", "Z48"];

impl Network {
    /// Is this stay a planned admission (see module docs)?
    pub fn stay_is_planned(&self, stay: &Stay) -> bool {
        let first = stay.first_encounter();
        let principal = self
            .encounter_diagnoses(first)
            .find(|d| d.principal)
            .or_else(|| self.encounter_diagnoses(first).next());
        if let Some(d) = principal
            && d.code.system == CodeSystem::Icd10Cm
        {
            let v = self.str(d.code.value);
            if PLANNED_PRINCIPAL_PREFIXES.iter().any(|p| v.starts_with(p)) {
                return true;
            }
        }
        stay.admission_type == AdmissionType::Elective
    }

    /// Readmissions within `days` with the default policy.
    pub fn readmissions(&self, days: i64) -> Vec<Readmission> {
        self.readmissions_with(&ReadmissionPolicy::days(days)).0
    }

    /// Readmission rows and the summary (eligible index stays, readmissions, rate).
    pub fn readmissions_with(
        &self,
        policy: &ReadmissionPolicy,
    ) -> (Vec<Readmission>, ReadmissionSummary) {
        let mut rows = Vec::new();
        let mut summary = ReadmissionSummary::default();
        for (_, readmission) in self.index_stays_with(policy) {
            summary.index_stays += 1;
            if let Some(r) = readmission {
                summary.readmissions += 1;
                summary.cross_org += r.cross_org as usize;
                rows.push(r);
            }
        }
        summary.rate = if summary.index_stays == 0 {
            0.0
        } else {
            summary.readmissions as f64 / summary.index_stays as f64
        };
        (rows, summary)
    }

    /// Every eligible index stay with its readmission, if any.
    pub fn index_stays_with(&self, policy: &ReadmissionPolicy) -> Vec<(Stay, Option<Readmission>)> {
        let end = policy
            .data_end
            .or_else(|| self.data_end())
            .unwrap_or_default();
        let mut out = Vec::new();
        for &p in self.patient_list() {
            let stays = self.patient_stays(p, &policy.stays);
            for (i, stay) in stays.iter().enumerate() {
                if index_exclusion(self, stay, policy, end).is_some() {
                    continue;
                }
                let readmission = stays
                    .get(i + 1)
                    .and_then(|next| self.pair(stay, next, policy));
                out.push((stay.clone(), readmission));
            }
        }
        out
    }

    /// The readmission that `next` makes of `stay`, if it is one.
    fn pair(&self, stay: &Stay, next: &Stay, policy: &ReadmissionPolicy) -> Option<Readmission> {
        let discharge = stay.discharge?;
        let days_between = discharge.days_until(next.admit);
        if days_between > policy.days {
            return None;
        }
        let planned = self.stay_is_planned(next);
        if planned && policy.exclude_planned {
            return None;
        }
        let cross_org =
            matches!((stay.discharge_org, next.admit_org), (Some(a), Some(b)) if a != b);
        Some(Readmission {
            patient: stay.patient,
            index_encounter: stay.last_encounter(),
            index_discharge: discharge,
            readmit_encounter: next.first_encounter(),
            readmit_admit: next.admit,
            days_between,
            cross_org,
            planned,
        })
    }
}
