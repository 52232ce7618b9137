//! Primary-care and specialist visits with their vitals and labs, post-discharge follow-up
//! visits, imaging orders and cancer screenings.

use super::catalog::{Cpt, Dx, Obs, Panel};
use super::directory::Specialty;
use super::epidemiology::{self as epi, Cond};
use super::person::{Person, Tracked};
use super::rng::Rng;
use super::{END_DAY, Gen, at, office_time};
use crate::model::{AdmissionType, Disposition, EncIdx, OrgIdx, PractIdx, ProcedureKind, Setting};
use crate::time::Timestamp;

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    Wellness,
    Chronic,
    /// Follow-up `n` days after a discharge.
    FollowUp(i64),
}

impl Gen<'_> {
    /// Which specialist practices follow the patient (*design* referral shares).
    pub(super) fn choose_specialists(&mut self, p: &mut Person, rng: &mut Rng) {
        let add = |p: &mut Person, s: Specialty, prob: f64, rng: &mut Rng| {
            if rng.chance(prob) {
                p.specialties |= 1 << s as u8;
            }
        };
        if p.has(Cond::HeartFailure) {
            add(p, Specialty::Cardiology, 0.75, rng);
        }
        if p.has(Cond::AtrialFibrillation) {
            add(p, Specialty::Cardiology, 0.6, rng);
        }
        if p.has(Cond::CoronaryDisease) {
            add(p, Specialty::Cardiology, 0.5, rng);
        }
        if p.has(Cond::Diabetes) {
            add(
                p,
                Specialty::Endocrinology,
                if p.insulin || p.a1c > 8.0 { 0.6 } else { 0.2 },
                rng,
            );
        }
        if p.has(Cond::Ckd) {
            add(
                p,
                Specialty::Nephrology,
                if p.egfr < 30.0 { 0.85 } else { 0.15 },
                rng,
            );
        }
        if p.has(Cond::Copd) {
            add(p, Specialty::Pulmonology, 0.4, rng);
        }
        if p.has(Cond::Asthma) {
            add(p, Specialty::Pulmonology, 0.1, rng);
        }
        if p.has_cancer() {
            add(
                p,
                Specialty::Oncology,
                if p.metastatic { 1.0 } else { 0.6 },
                rng,
            );
        }
        if p.has(Cond::Depression) {
            add(p, Specialty::Psychiatry, 0.2, rng);
        }
        for s in Specialty::ALL {
            if p.specialties & (1 << s as u8) != 0 {
                let f = self.dir.specialist(s);
                let who = f.clinicians[p.idx.idx() % f.clinicians.len()];
                let start = (p.first_day - rng.range(0, 1_000)).max(p.birth_day);
                self.member(
                    p,
                    who,
                    f.org,
                    crate::model::PractitionerRole::Specialist,
                    start,
                );
            }
        }
    }

    fn sees(p: &Person, s: Specialty) -> bool {
        p.specialties & (1 << s as u8) != 0
    }

    /// The clinician seen at the practice: the attributed PCP most of the time.
    fn pcp_for_visit(&self, p: &Person, rng: &mut Rng) -> (PractIdx, OrgIdx) {
        let practice = &self.dir.practices[p.practice];
        match p.pcp {
            Some(pcp) if rng.chance(0.85) => (pcp, practice.org),
            _ => (rng.pick(&practice.pcps), practice.org),
        }
    }

    /// Wellness and chronic-care visits over the window.
    pub(super) fn routine_care(&mut self, p: &mut Person, rng: &mut Rng) {
        // Half of the unattributed never see primary care (that is why they are unattributed).
        if p.pcp.is_none() && rng.chance(0.5) {
            return;
        }
        let mut days: Vec<(i64, Visit)> = Vec::new();
        let anniversary = rng.range(0, 364);
        for year_start in [
            super::START_DAY,
            super::START_DAY + 365,
            super::START_DAY + 730,
        ] {
            if rng.chance(epi::WELLNESS_PER_YEAR[p.band]) {
                days.push((
                    year_start + (anniversary + rng.range(-20, 20)).clamp(0, 364),
                    Visit::Wellness,
                ));
            }
        }
        let n = p.chronic_count() as f64;
        let rate = if n == 0.0 {
            0.5 // acute problems of otherwise healthy people (design)
        } else {
            (epi::CHRONIC_VISIT_BASE + epi::CHRONIC_VISIT_PER_CONDITION * n).min(6.0)
        };
        let rate = if p.has(Cond::Diabetes) {
            rate.max(3.5)
        } else {
            rate
        };
        let mut d = p.first_day + rng.range(0, (365.0 / rate) as i64);
        while d <= p.last_day {
            days.push((d, Visit::Chronic));
            d += ((365.0 / rate) * rng.uniform(0.7, 1.3)) as i64;
        }
        days.sort_by_key(|x| x.0);
        for (day, kind) in days {
            if p.alive_on(day) && !p.is_busy(day) {
                self.office_visit(p, rng, day, kind);
            }
        }
    }

    /// A visit after a discharge (called by the acute-care generator).
    pub(super) fn follow_up_visit(
        &mut self,
        p: &mut Person,
        rng: &mut Rng,
        day: i64,
        days_after: i64,
    ) {
        if p.alive_on(day) && !p.is_busy(day) {
            self.office_visit(p, rng, day, Visit::FollowUp(days_after));
        }
    }

    fn office_visit(&mut self, p: &mut Person, rng: &mut Rng, day: i64, kind: Visit) -> EncIdx {
        let (who, org) = self.pcp_for_visit(p, rng);
        let virtual_visit = kind == Visit::Chronic && rng.chance(epi::VIRTUAL_SHARE);
        let setting = match kind {
            Visit::Wellness => Setting::Wellness,
            _ if virtual_visit => Setting::Virtual,
            _ => Setting::Ambulatory,
        };
        let code = match kind {
            Visit::Wellness if p.age >= 65 => Cpt::Awv,
            Visit::Wellness if p.age < 5 => Cpt::PreventiveChild,
            Visit::Wellness => Cpt::Preventive,
            Visit::FollowUp(n) if n <= 7 => Cpt::Tcm7,
            Visit::FollowUp(n) if n <= 14 => Cpt::Tcm14,
            _ if p.chronic_count() >= 2 => Cpt::Office4,
            _ => Cpt::Office3,
        };
        let start = at(day, office_time(rng));
        let end = Timestamp(start.0 + rng.range(15, 40) * 60);
        let enc = self.encounter(
            p,
            setting,
            start,
            end,
            org,
            Some(who),
            AdmissionType::Unknown,
            Disposition::Home,
            Some(code),
        );
        let principal = match kind {
            Visit::Wellness if p.adult() => Dx::Z00_00,
            Visit::Wellness => Dx::Z00_129,
            _ if p.problems.is_empty() => match rng.below(3) {
                0 => Dx::J06_9,
                1 => Dx::M54_50,
                _ => Dx::R51_9,
            },
            _ => p.problems[rng.below(p.problems.len())].0,
        };
        self.diagnoses(p, enc, principal, 3);
        if virtual_visit {
            return enc;
        }
        let t = Timestamp(start.0 + 600);
        self.vitals(p, rng, enc, t, org, Some(who), true);
        if !p.adult() {
            return enc;
        }
        let lab_t = Timestamp(start.0 + 1500);
        // HbA1c for diabetics every ~3 months when above 7 %, ~6 months at target (ADA
        // Standards of Care 2024, 6.9: at least twice a year at goal, quarterly otherwise).
        if p.has(Cond::Diabetes) {
            let interval = if p.a1c >= 7.0 { 80 } else { 150 };
            if p.days_since(Tracked::Hba1c, day) >= interval {
                self.hba1c(p, rng, Some(enc), lab_t, org, Some(who));
                p.mark(Tracked::Hba1c, day);
                // The endocrinologist repeats it 2-3 weeks later in a share of cases: the
                // cross-organisation duplicate the network should catch (*design*: 45 %).
                if Self::sees(p, Specialty::Endocrinology) && rng.chance(0.45) {
                    let d = day + rng.range(14, 21);
                    if p.alive_on(d) && !p.is_busy(d) {
                        self.specialist_visit(p, rng, Specialty::Endocrinology, d, true);
                    }
                }
            }
            if p.days_since(Tracked::Uacr, day) >= 330 {
                let v = (p.uacr * rng.uniform(0.8, 1.25)).round();
                self.observation(p, Some(enc), Obs::Uacr, v, lab_t, org, Some(who));
                p.mark(Tracked::Uacr, day);
            }
        } else if kind == Visit::Wellness && p.age >= 35 && p.has(Cond::Obesity) && rng.chance(0.35)
        {
            // USPSTF 2021: screen adults 35-70 with overweight or obesity for diabetes.
            self.hba1c(p, rng, Some(enc), lab_t, org, Some(who));
        }
        let lipid_due = p.days_since(Tracked::Lipid, day) >= 330;
        if lipid_due
            && (p.has(Cond::Hyperlipidemia)
                || p.has(Cond::Diabetes)
                || (kind == Visit::Wellness && p.age >= 40 && rng.chance(0.6)))
        {
            self.panel(
                p,
                rng,
                Some(enc),
                Panel::Lipid,
                lab_t,
                org,
                Some(who),
                false,
            );
            p.mark(Tracked::Lipid, day);
        }
        let renal = p.has(Cond::Hypertension) || p.has(Cond::Ckd) || p.has(Cond::HeartFailure);
        match kind {
            Visit::FollowUp(n) => {
                // Repeat of the discharge labs two or three days later (*design*: half the time).
                if n <= 3 && rng.chance(0.5) {
                    self.panel(p, rng, Some(enc), Panel::Bmp, lab_t, org, Some(who), false);
                }
                if rng.chance(0.2) {
                    self.panel(p, rng, Some(enc), Panel::Cbc, lab_t, org, Some(who), false);
                }
            }
            Visit::Wellness => {
                if rng.chance(0.35) {
                    self.panel(p, rng, Some(enc), Panel::Cmp, lab_t, org, Some(who), false);
                    p.mark(Tracked::Bmp, day);
                }
                if rng.chance(0.25) {
                    self.panel(p, rng, Some(enc), Panel::Cbc, lab_t, org, Some(who), false);
                    p.mark(Tracked::Cbc, day);
                }
                if p.days_since(Tracked::Tsh, day) >= 365 && rng.chance(0.12) {
                    let v = (rng.normal(0.7, 0.45)).exp().clamp(0.05, 25.0);
                    self.observation(
                        p,
                        Some(enc),
                        Obs::Tsh,
                        (v * 100.0).round() / 100.0,
                        lab_t,
                        org,
                        Some(who),
                    );
                    p.mark(Tracked::Tsh, day);
                }
            }
            Visit::Chronic => {
                if renal && p.days_since(Tracked::Bmp, day) >= 120 && rng.chance(0.5) {
                    self.panel(p, rng, Some(enc), Panel::Bmp, lab_t, org, Some(who), false);
                    p.mark(Tracked::Bmp, day);
                }
                if p.has(Cond::Ckd)
                    && !p.has(Cond::Diabetes)
                    && p.days_since(Tracked::Uacr, day) >= 330
                {
                    let v = (p.uacr * rng.uniform(0.8, 1.25)).round();
                    self.observation(p, Some(enc), Obs::Uacr, v, lab_t, org, Some(who));
                    p.mark(Tracked::Uacr, day);
                }
                if p.anticoagulant == Some(super::catalog::Rx::Warfarin) {
                    let inr = rng.normal_in(2.5, 0.5, 1.2, 4.8);
                    self.observation(
                        p,
                        Some(enc),
                        Obs::Inr,
                        (inr * 10.0).round() / 10.0,
                        lab_t,
                        org,
                        Some(who),
                    );
                }
                // Imaging orders: MRI for back pain, CT chest for lung-nodule follow-up; about
                // half are done within weeks, the rest stay pending (*design*).
                let order = if rng.chance(0.015) {
                    Some(Cpt::MriLumbar)
                } else if p.has(Cond::Copd) && rng.chance(0.04) {
                    Some(Cpt::CtChest)
                } else {
                    None
                };
                if let Some(cpt) = order {
                    self.cpt_procedure(
                        p,
                        Some(enc),
                        cpt,
                        Timestamp(end.0),
                        ProcedureKind::Ordered,
                        Some(who),
                        org,
                    );
                    let done = day + rng.range(5, 25);
                    if rng.chance(0.5) && done <= p.last_day.min(END_DAY) {
                        let h = self.dir.hospitals[p.home_hospital].org;
                        self.cpt_procedure(
                            p,
                            None,
                            cpt,
                            at(done, office_time(rng)),
                            ProcedureKind::Performed,
                            None,
                            h,
                        );
                    }
                }
            }
        }
        enc
    }

    /// Specialist follow-up over the window.
    pub(super) fn specialist_care(&mut self, p: &mut Person, rng: &mut Rng) {
        for s in Specialty::ALL {
            if !Self::sees(p, s) {
                continue;
            }
            // Visits a year (*design*): oncology and psychiatry most often.
            let rate: f64 = match s {
                Specialty::Cardiology => 2.5,
                Specialty::Endocrinology => 1.0,
                Specialty::Nephrology => 3.0,
                Specialty::Pulmonology => 2.0,
                Specialty::Oncology => 4.0,
                Specialty::Psychiatry => 4.0,
            };
            let mut d = p.first_day + rng.range(0, (365.0 / rate) as i64);
            while d <= p.last_day {
                if !p.is_busy(d) {
                    self.specialist_visit(p, rng, s, d, false);
                }
                d += ((365.0 / rate) * rng.uniform(0.7, 1.3)) as i64;
            }
        }
    }

    fn specialist_visit(
        &mut self,
        p: &mut Person,
        rng: &mut Rng,
        s: Specialty,
        day: i64,
        after_pcp_a1c: bool,
    ) {
        let f = self.dir.specialist(s);
        let org = f.org;
        let who = f.clinicians[p.idx.idx() % f.clinicians.len()];
        let start = at(day, office_time(rng));
        let end = Timestamp(start.0 + rng.range(20, 45) * 60);
        let virtual_visit = s == Specialty::Psychiatry && rng.chance(0.4);
        let setting = if virtual_visit {
            Setting::Virtual
        } else {
            Setting::Ambulatory
        };
        let enc = self.encounter(
            p,
            setting,
            start,
            end,
            org,
            Some(who),
            AdmissionType::Unknown,
            Disposition::Home,
            Some(Cpt::Office4),
        );
        let wanted: &[Cond] = match s {
            Specialty::Cardiology => &[
                Cond::HeartFailure,
                Cond::AtrialFibrillation,
                Cond::CoronaryDisease,
            ],
            Specialty::Endocrinology => &[Cond::Diabetes],
            Specialty::Nephrology => &[Cond::Ckd],
            Specialty::Pulmonology => &[Cond::Copd, Cond::Asthma],
            Specialty::Oncology => &[Cond::BreastCancer, Cond::ColorectalCancer, Cond::LungCancer],
            Specialty::Psychiatry => &[Cond::Depression],
        };
        let principal = p
            .problems
            .iter()
            .find(|(_, c)| wanted.contains(c))
            .or(p.problems.first())
            .map(|x| x.0)
            .unwrap_or(Dx::Z09);
        self.diagnoses(p, enc, principal, 2);
        if virtual_visit {
            return;
        }
        let t = Timestamp(start.0 + 900);
        if s != Specialty::Psychiatry {
            self.vitals(p, rng, enc, t, org, Some(who), false);
        }
        match s {
            Specialty::Endocrinology => {
                if rng.chance(if after_pcp_a1c { 0.75 } else { 0.6 }) {
                    self.hba1c(p, rng, Some(enc), t, org, Some(who));
                }
            }
            Specialty::Cardiology => {
                if p.has(Cond::HeartFailure) && rng.chance(0.4) {
                    self.panel(p, rng, Some(enc), Panel::Bmp, t, org, Some(who), false);
                }
                if rng.chance(0.15) {
                    self.panel(p, rng, Some(enc), Panel::Lipid, t, org, Some(who), false);
                }
            }
            Specialty::Nephrology => {
                self.panel(p, rng, Some(enc), Panel::Bmp, t, org, Some(who), false);
                if rng.chance(0.5) {
                    let v = (p.uacr * rng.uniform(0.8, 1.25)).round();
                    self.observation(p, Some(enc), Obs::Uacr, v, t, org, Some(who));
                }
                if rng.chance(0.4) {
                    self.panel(p, rng, Some(enc), Panel::Cbc, t, org, Some(who), false);
                }
            }
            Specialty::Oncology => {
                self.panel(p, rng, Some(enc), Panel::Cbc, t, org, Some(who), false);
                if rng.chance(0.6) {
                    self.panel(p, rng, Some(enc), Panel::Cmp, t, org, Some(who), false);
                }
                if (p.metastatic || p.has(Cond::LungCancer)) && rng.chance(0.25) {
                    self.cpt_procedure(
                        p,
                        Some(enc),
                        Cpt::CtChest,
                        t,
                        ProcedureKind::Performed,
                        Some(who),
                        org,
                    );
                }
            }
            Specialty::Pulmonology => {
                if rng.chance(0.1) {
                    self.cpt_procedure(
                        p,
                        Some(enc),
                        Cpt::ChestXray,
                        t,
                        ProcedureKind::Performed,
                        Some(who),
                        org,
                    );
                }
            }
            Specialty::Psychiatry => {}
        }
    }

    /// Breast and colorectal cancer screening history (USPSTF 2024 breast: biennial 40-74, the
    /// measure population CMS125 uses 50-74 here as the task sets it; USPSTF 2021 colorectal:
    /// 45-75 with colonoscopy every 10 years, FIT yearly, CT colonography every 5 years).
    pub(super) fn screenings(&mut self, p: &Person, rng: &mut Rng) {
        let last = p.last_day.min(END_DAY);
        let hospital = self.dir.hospitals[p.home_hospital].org;
        let practice = self.dir.practices[p.practice].org;
        if p.female() && (50..=74).contains(&p.age) && !p.has(Cond::BreastCancer) {
            if rng.chance(epi::MAMMOGRAM_UP_TO_DATE) {
                let d = last - rng.range(0, 700);
                self.cpt_procedure(
                    p,
                    None,
                    Cpt::Mammogram,
                    at(d, office_time(rng)),
                    ProcedureKind::Performed,
                    None,
                    hospital,
                );
                if rng.chance(0.6) {
                    let d0 = d - rng.range(680, 780);
                    self.cpt_procedure(
                        p,
                        None,
                        Cpt::Mammogram,
                        at(d0, office_time(rng)),
                        ProcedureKind::Performed,
                        None,
                        hospital,
                    );
                }
            } else if rng.chance(0.4) {
                let d = last - rng.range(800, 1_600);
                self.cpt_procedure(
                    p,
                    None,
                    Cpt::Mammogram,
                    at(d, office_time(rng)),
                    ProcedureKind::Performed,
                    None,
                    hospital,
                );
            }
        }
        if (45..=75).contains(&p.age) && !p.has(Cond::ColorectalCancer) {
            if rng.chance(epi::CRC_UP_TO_DATE) {
                match rng.weighted(&epi::CRC_TEST_MIX) {
                    0 => {
                        let d = last - rng.range(0, 9 * 365);
                        self.cpt_procedure(
                            p,
                            None,
                            Cpt::Colonoscopy,
                            at(d, office_time(rng)),
                            ProcedureKind::Performed,
                            None,
                            hospital,
                        );
                    }
                    1 => {
                        let d = last - rng.range(0, 330);
                        self.cpt_procedure(
                            p,
                            None,
                            Cpt::Fit,
                            at(d, office_time(rng)),
                            ProcedureKind::Performed,
                            None,
                            practice,
                        );
                    }
                    _ => {
                        let d = last - rng.range(0, 4 * 365);
                        self.cpt_procedure(
                            p,
                            None,
                            Cpt::CtColonography,
                            at(d, office_time(rng)),
                            ProcedureKind::Performed,
                            None,
                            hospital,
                        );
                    }
                }
            } else if rng.chance(0.3) {
                // Screened once, now overdue.
                if rng.chance(0.5) {
                    let d = last - rng.range(3_900, 5_000);
                    self.cpt_procedure(
                        p,
                        None,
                        Cpt::Colonoscopy,
                        at(d, office_time(rng)),
                        ProcedureKind::Performed,
                        None,
                        hospital,
                    );
                } else {
                    let d = last - rng.range(500, 900);
                    self.cpt_procedure(
                        p,
                        None,
                        Cpt::Fit,
                        at(d, office_time(rng)),
                        ProcedureKind::Performed,
                        None,
                        practice,
                    );
                }
            }
        }
    }
}
