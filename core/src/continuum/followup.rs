//! Follow-up after an acute discharge.
//!
//! Denominator: acute stays (transfer chains, see [`super::StayPolicy`]) discharged alive to the
//! community (home, home with home health, other or unknown destination): discharges to another
//! hospital, a SNF, rehab, long-term care, psychiatric care or hospice are not expected to see an
//! ambulatory clinician, as in NCQA's Transitions of Care / follow-up-after-hospitalisation
//! measures. A follow-up is an ambulatory, wellness, virtual or home visit on days 1..=N after the
//! discharge day (the discharge day itself does not count, as in NCQA TRC "Patient Engagement
//! After Inpatient Discharge"). Discharges whose N-day window is not yet complete in the data are
//! left out rather than counted as missed.

use super::stays::StayPolicy;
use crate::model::{Disposition, EncIdx, PatientIdx};
use crate::network::Network;
use crate::time::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct FollowupPolicy {
    pub days: i64,
    pub stays: StayPolicy,
    pub require_full_window: bool,
    pub data_end: Option<Timestamp>,
}

impl FollowupPolicy {
    pub fn days(days: i64) -> Self {
        FollowupPolicy {
            days,
            stays: StayPolicy::default(),
            require_full_window: true,
            data_end: None,
        }
    }
}

/// One eligible discharge and its follow-up visit (or the miss).
#[derive(Debug, Clone, Serialize)]
pub struct Followup {
    #[serde(skip)]
    pub patient: PatientIdx,
    #[serde(skip)]
    pub discharge_encounter: EncIdx,
    pub discharge: Timestamp,
    #[serde(skip)]
    pub followup_encounter: Option<EncIdx>,
    /// Calendar days from discharge to the visit; `None` when missed.
    pub days: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FollowupSummary {
    pub discharges: usize,
    pub followed_up: usize,
    pub rate: f64,
}

/// Discharged alive to the community.
fn expects_followup(d: Disposition) -> bool {
    matches!(
        d,
        Disposition::Home | Disposition::HomeHealth | Disposition::Other | Disposition::Unknown
    )
}

impl Network {
    /// Every eligible discharge with its first follow-up visit within `days` (misses included).
    pub fn followups(&self, days: i64) -> Vec<Followup> {
        self.followups_with(&FollowupPolicy::days(days)).0
    }

    pub fn followups_with(&self, policy: &FollowupPolicy) -> (Vec<Followup>, FollowupSummary) {
        let end = policy
            .data_end
            .or_else(|| self.data_end())
            .unwrap_or_default();
        let mut rows = Vec::new();
        let mut summary = FollowupSummary::default();
        for &p in self.patient_list() {
            let patient = self.patient(p);
            for stay in self.patient_stays(p, &policy.stays) {
                let Some(discharge) = stay.discharge else {
                    continue;
                };
                if !expects_followup(stay.disposition)
                    || patient
                        .death_date
                        .is_some_and(|d| d.day() <= discharge.day())
                    || (policy.require_full_window && discharge.days_until(end) < policy.days)
                {
                    continue;
                }
                let visit = self.patient_encounters(p).find(|&e| {
                    let enc = self.encounter(e);
                    let gap = discharge.days_until(enc.start);
                    enc.setting.is_followup_visit() && (1..=policy.days).contains(&gap)
                });
                summary.discharges += 1;
                summary.followed_up += visit.is_some() as usize;
                rows.push(Followup {
                    patient: p,
                    discharge_encounter: stay.last_encounter(),
                    discharge,
                    followup_encounter: visit,
                    days: visit.map(|e| discharge.days_until(self.encounter(e).start)),
                });
            }
        }
        summary.rate = if summary.discharges == 0 {
            0.0
        } else {
            summary.followed_up as f64 / summary.discharges as f64
        };
        (rows, summary)
    }
}
