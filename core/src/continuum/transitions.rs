//! Transitions between care settings (hospital → SNF → home health → home).
//!
//! A patient's institutional and post-acute encounters are grouped into episodes: an acute stay
//! (transfer chain), an ED visit, an observation stay, a SNF, rehab or hospice stay, or a run of
//! home-health visits (visits less than `HOME_HEALTH_GAP_DAYS` apart). After each episode the
//! next episode starting within `HANDOFF_DAYS` of its end is the destination; when there is none,
//! the patient went home (community) — or died, when the episode ended in death. CMS's
//! e-notification Condition of Participation (42 CFR 482.24(d)) is about exactly these hand-offs.

use crate::model::{Disposition, EncIdx, OrgIdx, PatientIdx, Setting};
use crate::network::Network;
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Home-health visits closer than this belong to one episode of care.
const HOME_HEALTH_GAP_DAYS: i64 = 14;
/// A next setting that starts within this many days of discharge is a direct hand-off
/// (home health often starts a few days after discharge).
const HANDOFF_DAYS: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CareSetting {
    Emergency,
    Hospital,
    Observation,
    Snf,
    Rehab,
    HomeHealth,
    Hospice,
    Home,
    Died,
}

impl CareSetting {
    pub fn as_str(self) -> &'static str {
        match self {
            CareSetting::Emergency => "emergency",
            CareSetting::Hospital => "hospital",
            CareSetting::Observation => "observation",
            CareSetting::Snf => "snf",
            CareSetting::Rehab => "rehab",
            CareSetting::HomeHealth => "home_health",
            CareSetting::Hospice => "hospice",
            CareSetting::Home => "home",
            CareSetting::Died => "died",
        }
    }
    fn of(setting: Setting) -> Option<CareSetting> {
        Some(match setting {
            Setting::Emergency => CareSetting::Emergency,
            Setting::Inpatient => CareSetting::Hospital,
            Setting::Observation => CareSetting::Observation,
            Setting::Snf => CareSetting::Snf,
            Setting::Rehab => CareSetting::Rehab,
            Setting::HomeHealth => CareSetting::HomeHealth,
            Setting::Hospice => CareSetting::Hospice,
            _ => return None,
        })
    }
}

/// A move from one setting to the next.
#[derive(Debug, Clone, Serialize)]
pub struct Transition {
    #[serde(skip)]
    pub patient: PatientIdx,
    pub from: CareSetting,
    pub to: CareSetting,
    #[serde(skip)]
    pub from_encounter: EncIdx,
    #[serde(skip)]
    pub to_encounter: Option<EncIdx>,
    /// End of the episode left.
    pub at: Timestamp,
    /// Days between leaving and arriving (0 for home / died).
    pub gap_days: i64,
    /// The two settings belong to different organisations.
    pub cross_org: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TransitionSummary {
    /// `"hospital->snf"` → count.
    pub counts: BTreeMap<String, usize>,
    pub cross_org: usize,
    pub total: usize,
}

struct Episode {
    setting: CareSetting,
    first: EncIdx,
    last: EncIdx,
    start: Timestamp,
    end: Timestamp,
    org: Option<OrgIdx>,
    died: bool,
}

impl Network {
    fn episodes(&self, p: PatientIdx) -> Vec<Episode> {
        let mut out: Vec<Episode> = Vec::new();
        for e in self.patient_encounters(p) {
            let enc = self.encounter(e);
            let Some(setting) = CareSetting::of(enc.setting) else {
                continue;
            };
            let end = enc.end.unwrap_or(enc.start);
            let died = enc.disposition == Disposition::Expired;
            if let Some(last) = out.last_mut()
                && last.setting == setting
            {
                let gap = last.end.days_until(enc.start);
                let joins = match setting {
                    CareSetting::HomeHealth => gap < HOME_HEALTH_GAP_DAYS,
                    CareSetting::Emergency => false,
                    _ => gap <= 1,
                };
                if joins {
                    last.last = e;
                    last.end = last.end.max(end);
                    last.org = enc.org.or(last.org);
                    last.died |= died;
                    continue;
                }
            }
            out.push(Episode {
                setting,
                first: e,
                last: e,
                start: enc.start,
                end,
                org: enc.org,
                died,
            });
        }
        out
    }

    /// Every transition of every patient.
    pub fn transitions(&self) -> Vec<Transition> {
        let mut out = Vec::new();
        for &p in self.patient_list() {
            let died_on = self.patient(p).death_date.map(|d| d.day());
            let eps = self.episodes(p);
            for (i, ep) in eps.iter().enumerate() {
                let next = eps.get(i + 1).filter(|n| {
                    let gap = ep.end.days_until(n.start);
                    (0..=HANDOFF_DAYS).contains(&gap) || n.start < ep.end
                });
                let (to, to_encounter, gap_days, cross_org) = match next {
                    Some(n) => (
                        n.setting,
                        Some(n.first),
                        ep.end.days_until(n.start).max(0),
                        matches!((ep.org, n.org), (Some(a), Some(b)) if a != b),
                    ),
                    None if ep.died || died_on == Some(ep.end.day()) => {
                        (CareSetting::Died, None, 0, false)
                    }
                    None => (CareSetting::Home, None, 0, false),
                };
                out.push(Transition {
                    patient: p,
                    from: ep.setting,
                    to,
                    from_encounter: ep.last,
                    to_encounter,
                    at: ep.end,
                    gap_days,
                    cross_org,
                });
            }
        }
        out
    }

    pub fn transition_summary(&self) -> TransitionSummary {
        let mut s = TransitionSummary::default();
        for t in self.transitions() {
            *s.counts
                .entry(format!("{}->{}", t.from.as_str(), t.to.as_str()))
                .or_insert(0) += 1;
            s.cross_org += t.cross_org as usize;
            s.total += 1;
        }
        s
    }
}
