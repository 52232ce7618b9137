//! Acute inpatient stays with direct-transfer chaining.
//!
//! CMS Hospital-Wide Readmission (HWR, CBE 3656) treats a discharge from an acute hospital
//! followed by an admission to an acute hospital on the same or the next calendar day as one
//! transfer chain; NCQA PCR likewise merges stays whose gap is at most one day, using the first
//! admission and the last discharge. The chain's last stay carries the discharge (its hospital,
//! disposition and date). Overlapping encounters are merged the same way.

use crate::model::{AdmissionType, Disposition, EncIdx, OrgIdx, PatientIdx, Setting};
use crate::network::Network;
use crate::time::Timestamp;

/// Which encounters form stays.
#[derive(Debug, Clone, Copy)]
pub struct StayPolicy {
    /// Count observation stays as acute stays (NCQA PCR does; CMS HWR does not).
    pub include_observation: bool,
    /// Largest gap in calendar days between a discharge and the next admission that still
    /// chains them into one stay (1 = same or next day, per CMS HWR / NCQA PCR).
    pub transfer_gap_days: i64,
}

impl Default for StayPolicy {
    fn default() -> Self {
        StayPolicy {
            include_observation: false,
            transfer_gap_days: 1,
        }
    }
}

/// One acute stay, possibly several chained encounters.
#[derive(Debug, Clone)]
pub struct Stay {
    pub patient: PatientIdx,
    /// The chained encounters in time order.
    pub encounters: Vec<EncIdx>,
    pub admit: Timestamp,
    /// `None` while the patient is still in hospital (no end time recorded).
    pub discharge: Option<Timestamp>,
    /// Hospital of the first and of the last encounter in the chain.
    pub admit_org: Option<OrgIdx>,
    pub discharge_org: Option<OrgIdx>,
    /// Admission type of the first encounter.
    pub admission_type: AdmissionType,
    /// Disposition of the last encounter.
    pub disposition: Disposition,
}

impl Stay {
    pub fn first_encounter(&self) -> EncIdx {
        self.encounters[0]
    }
    pub fn last_encounter(&self) -> EncIdx {
        self.encounters[self.encounters.len() - 1]
    }
    /// Length of stay in calendar days (0 when admitted and discharged the same day).
    pub fn los_days(&self) -> Option<i64> {
        self.discharge.map(|d| self.admit.days_until(d))
    }
    /// More than one encounter: a transfer chain.
    pub fn is_transfer_chain(&self) -> bool {
        self.encounters.len() > 1
    }
}

impl Network {
    /// Acute stays of every patient, patients in first-seen order, stays by admission.
    pub fn stays(&self) -> Vec<Stay> {
        self.stays_with(&StayPolicy::default())
    }

    pub fn stays_with(&self, policy: &StayPolicy) -> Vec<Stay> {
        let mut out = Vec::new();
        for &p in self.patient_list() {
            self.patient_stays_into(p, policy, &mut out);
        }
        out
    }

    /// One patient's acute stays.
    pub fn patient_stays(&self, p: PatientIdx, policy: &StayPolicy) -> Vec<Stay> {
        let mut out = Vec::new();
        self.patient_stays_into(self.canonical(p), policy, &mut out);
        out
    }

    fn patient_stays_into(&self, p: PatientIdx, policy: &StayPolicy, out: &mut Vec<Stay>) {
        let mut current: Option<Stay> = None;
        for e in self.patient_encounters(p) {
            let enc = self.encounter(e);
            let acute = enc.setting == Setting::Inpatient
                || (policy.include_observation && enc.setting == Setting::Observation);
            if !acute {
                continue;
            }
            if let Some(stay) = current.as_mut() {
                let chains = match stay.discharge {
                    None => true, // still open: an overlapping record of the same stay
                    Some(d) => {
                        enc.start <= d || d.days_until(enc.start) <= policy.transfer_gap_days
                    }
                };
                if chains {
                    stay.encounters.push(e);
                    stay.discharge = match (stay.discharge, enc.end) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                    if enc.end.is_some_and(|end| Some(end) >= stay.discharge) || enc.end.is_none() {
                        stay.discharge_org = enc.org;
                        stay.disposition = enc.disposition;
                    }
                    continue;
                }
            }
            if let Some(done) = current.take() {
                out.push(done);
            }
            current = Some(Stay {
                patient: p,
                encounters: vec![e],
                admit: enc.start,
                discharge: enc.end,
                admit_org: enc.org,
                discharge_org: enc.org,
                admission_type: enc.admission_type,
                disposition: enc.disposition,
            });
        }
        if let Some(done) = current {
            out.push(done);
        }
    }

    /// Emergency-department visits in the `days` before `at` (excluding a visit that ends on the
    /// admission day or the day before, which is the visit that led to the admission; LACE's
    /// "E" counts ED visits in the six months before admission, van Walraven et al., CMAJ 2010).
    pub fn ed_visits_before(&self, p: PatientIdx, at: Timestamp, days: i64) -> usize {
        let from = at.plus_days(-days);
        self.patient_encounters(p)
            .map(|e| self.encounter(e))
            .filter(|enc| enc.setting == Setting::Emergency && enc.start >= from && enc.start < at)
            .filter(|enc| {
                let end = enc.end.unwrap_or(enc.start);
                end.days_until(at) > 1
            })
            .count()
    }

    /// Acute stays admitted in the `days` before `stay`'s admission (HOSPITAL's "A": admissions
    /// in the previous 12 months, Donzé et al., JAMA Intern Med 2013).
    pub fn admissions_before(&self, stay: &Stay, days: i64) -> usize {
        let from = stay.admit.plus_days(-days);
        self.patient_stays(stay.patient, &StayPolicy::default())
            .iter()
            .filter(|s| s.admit >= from && s.admit < stay.admit)
            .count()
    }
}
