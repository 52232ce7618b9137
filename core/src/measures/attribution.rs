//! Patient attribution to a primary-care practitioner and practice.
//!
//! Modelled on the Medicare Shared Savings Program assignment rule, 42 CFR 425.402(a):
//! * **panel** (explicit assignment, checked first): an active care-team member with role PCP on
//!   the last day of the period (a practice's empanelment roster overrides claims-style
//!   attribution, as voluntary alignment does in MSSP);
//! * **step 1**: the plurality of primary-care visits with primary care practitioners
//!   ([`PractitionerRole::Pcp`]) in the look-back window;
//! * **step 2**, only for patients with no step-1 visit: the plurality of primary-care visits with
//!   any other treating clinician (specialists and others; care managers and community health
//!   workers do not bill primary care services and are left out).
//!
//! Simplifications, stated: MSSP compares *allowed charges* for a CPT/HCPCS list of primary care
//! services and assigns to an ACO (a TIN set); here a primary-care visit is any ambulatory,
//! wellness or virtual encounter with a practitioner (`Setting::is_office_visit`) because EHR
//! and ADT feeds carry no charges and often no CPT code, each visit weighs one, and the
//! assignment is to the practitioner (and through it to the practice). Ties go to the practitioner
//! seen most recently (as in the ACO REACH alignment tie-break, "most recent claim"). The
//! look-back is 24 months ending on the period end by default (the PY2025+ MSSP expanded window;
//! AHRQ's panel guidance allows 12-36 months).

use crate::model::{OrgIdx, PatientIdx, PractIdx, PractitionerRole};
use crate::network::Network;
use crate::table::{Column, Table};
use crate::time::Timestamp;
use serde::Serialize;

/// How a patient was attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributionMethod {
    /// Explicit care-team assignment (panel) active at the period end.
    Panel,
    /// Plurality of primary-care visits with PCPs.
    Step1,
    /// Plurality of primary-care visits with other clinicians (no PCP visit at all).
    Step2,
    Unattributed,
}

impl AttributionMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributionMethod::Panel => "panel",
            AttributionMethod::Step1 => "step1",
            AttributionMethod::Step2 => "step2",
            AttributionMethod::Unattributed => "unattributed",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct AttributionOptions {
    /// Last day of the look-back; default: the end of the data.
    pub period_end: Option<Timestamp>,
    /// Look-back in calendar months ending on `period_end`.
    pub lookback_months: u32,
    /// Let an active PCP care-team assignment override visit plurality.
    pub use_panel: bool,
}

impl Default for AttributionOptions {
    fn default() -> Self {
        AttributionOptions {
            period_end: None,
            lookback_months: 24,
            use_panel: true,
        }
    }
}

/// One patient's attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatientAttribution {
    pub patient: PatientIdx,
    pub practitioner: Option<PractIdx>,
    /// The practice: the practitioner's organisation, else the organisation of the latest visit
    /// with them, else the panel entry's organisation.
    pub org: Option<OrgIdx>,
    pub method: AttributionMethod,
    /// Primary-care visits with the attributed practitioner in the look-back.
    pub visits: u32,
}

/// Attribution of every merged patient.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    /// Indexed by canonical patient slot; `None` for slots merged away.
    by_slot: Vec<Option<PatientAttribution>>,
    /// The look-back used: first and last day (inclusive).
    pub window: (Timestamp, Timestamp),
}

impl Attribution {
    /// The attribution of a patient (any slot of a merged record).
    pub fn get(&self, net: &Network, p: PatientIdx) -> Option<&PatientAttribution> {
        self.by_slot
            .get(net.canonical(p).idx())
            .and_then(Option::as_ref)
    }
    /// By canonical slot, without resolving merges (hot loops over `patient_list`).
    pub fn get_canonical(&self, p: PatientIdx) -> Option<&PatientAttribution> {
        self.by_slot.get(p.idx()).and_then(Option::as_ref)
    }
    pub fn iter(&self) -> impl Iterator<Item = &PatientAttribution> {
        self.by_slot.iter().flatten()
    }
}

/// `t` minus `months` calendar months (day of month clamped to the month's length).
pub fn months_before(t: Timestamp, months: u32) -> Timestamp {
    add_months(t, -(months as i64))
}

/// `t` plus `months` calendar months (negative goes back; day clamped to the month's length).
pub fn add_months(t: Timestamp, months: i64) -> Timestamp {
    let (y, m, d) = t.ymd();
    let total = y * 12 + (m as i64 - 1) + months;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    (1..=d)
        .rev()
        .find_map(|day| Timestamp::from_ymd(ny, nm, day))
        .unwrap_or(t)
}

impl Network {
    /// Attributes every patient (see the module docs for the rule and its sources).
    pub fn attribution(&self, opts: &AttributionOptions) -> Attribution {
        let end_day = opts
            .period_end
            .or_else(|| self.data_end())
            .unwrap_or_default()
            .day();
        // The window is the `lookback_months` months ending on the end day: it starts the day
        // after the same date `lookback_months` earlier.
        let start_day = months_before(Timestamp::from_day(end_day), opts.lookback_months).day() + 1;
        let mut by_slot = vec![None; self.patients.len()];
        // Scratch: per-practitioner (visits, latest visit start, latest visit org).
        let mut tally: Vec<(PractIdx, u32, Timestamp, Option<OrgIdx>)> = Vec::new();
        for &p in self.patient_list() {
            by_slot[p.idx()] = Some(self.attribute_one(p, opts, start_day, end_day, &mut tally));
        }
        Attribution {
            by_slot,
            window: (Timestamp::from_day(start_day), Timestamp::from_day(end_day)),
        }
    }

    fn attribute_one(
        &self,
        p: PatientIdx,
        opts: &AttributionOptions,
        start_day: i64,
        end_day: i64,
        tally: &mut Vec<(PractIdx, u32, Timestamp, Option<OrgIdx>)>,
    ) -> PatientAttribution {
        if opts.use_panel {
            let panel = self
                .patient_care_team(p)
                .filter(|m| {
                    m.role == PractitionerRole::Pcp
                        && (m.practitioner.is_some() || m.org.is_some())
                        && m.start.is_none_or(|s| s.day() <= end_day)
                        && m.end.is_none_or(|e| e.day() >= end_day)
                })
                // Rows are sorted by start: the last active one is the latest assignment.
                .last();
            if let Some(m) = panel {
                let org = m
                    .practitioner
                    .and_then(|pr| self.practitioners[pr.idx()].org)
                    .or(m.org);
                let visits = m.practitioner.map_or(0, |pr| {
                    self.patient_encounters(p)
                        .map(|e| self.encounter(e))
                        .filter(|e| {
                            e.practitioner == Some(pr)
                                && e.setting.is_office_visit()
                                && (start_day..=end_day).contains(&e.start.day())
                        })
                        .count() as u32
                });
                return PatientAttribution {
                    patient: p,
                    practitioner: m.practitioner,
                    org,
                    method: AttributionMethod::Panel,
                    visits,
                };
            }
        }
        for (method, eligible) in [
            (
                AttributionMethod::Step1,
                step1_role as fn(PractitionerRole) -> bool,
            ),
            (AttributionMethod::Step2, step2_role),
        ] {
            tally.clear();
            for e in self.patient_encounters(p) {
                let enc = self.encounter(e);
                let Some(pr) = enc.practitioner else { continue };
                let day = enc.start.day();
                if !enc.setting.is_office_visit()
                    || day < start_day
                    || day > end_day
                    || !eligible(self.practitioners[pr.idx()].role)
                {
                    continue;
                }
                match tally.iter_mut().find(|t| t.0 == pr) {
                    Some(t) => {
                        t.1 += 1;
                        if enc.start >= t.2 {
                            t.2 = enc.start;
                            t.3 = enc.org.or(t.3);
                        }
                    }
                    None => tally.push((pr, 1, enc.start, enc.org)),
                }
            }
            // Most visits, then the most recent visit, then the lower index (deterministic).
            let best = tally
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)).then(b.0.cmp(&a.0)));
            if let Some(&(pr, visits, _, last_org)) = best {
                return PatientAttribution {
                    patient: p,
                    practitioner: Some(pr),
                    org: self.practitioners[pr.idx()].org.or(last_org),
                    method,
                    visits,
                };
            }
        }
        PatientAttribution {
            patient: p,
            practitioner: None,
            org: None,
            method: AttributionMethod::Unattributed,
            visits: 0,
        }
    }

    /// The id a practitioner is reported under.
    pub fn practitioner_id(&self, pr: PractIdx) -> &str {
        self.str(self.practitioners[pr.idx()].id)
    }

    /// One row per merged patient: patient_id, practitioner_id, org_id, method, visits.
    pub fn attribution_table(&self, opts: &AttributionOptions) -> Table {
        let att = self.attribution(opts);
        let n = self.patient_list().len();
        let (mut pid, mut prid, mut oid, mut method, mut visits) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for &p in self.patient_list() {
            let Some(a) = att.get_canonical(p) else {
                continue;
            };
            pid.push(Some(self.patient_id(p).to_string()));
            prid.push(a.practitioner.map(|x| self.practitioner_id(x).to_string()));
            oid.push(a.org.map(|o| self.org_id(o).to_string()));
            method.push(Some(a.method.as_str().to_string()));
            visits.push(Some(a.visits as i64));
        }
        Table::new()
            .with("patient_id", Column::Str(pid))
            .with("practitioner_id", Column::Str(prid))
            .with("org_id", Column::Str(oid))
            .with("method", Column::Str(method))
            .with("visits", Column::Int(visits))
    }
}

fn step1_role(r: PractitionerRole) -> bool {
    r == PractitionerRole::Pcp
}

fn step2_role(r: PractitionerRole) -> bool {
    matches!(r, PractitionerRole::Specialist | PractitionerRole::Other)
}
