//! Emergency visits, observation and inpatient stays, transfers, post-acute care (SNF, rehab,
//! home health, hospice), readmissions and deaths.

use super::catalog::{Cpt, Dx, Panel, Rx};
use super::directory::OUTSIDE_HOSPITAL;
use super::epidemiology::{self as epi, Cond};
use super::person::Person;
use super::rng::Rng;
use super::{END_DAY, Gen, at};
use crate::model::{AdmissionType, Disposition, EncIdx, ProcedureKind, Setting};

/// Why someone comes to the ED: the diagnosis, how likely admission is relative to the age
/// band's average, the imaging it usually gets and the discharge prescription class.
#[derive(Clone, Copy)]
struct Complaint {
    dx: Dx,
    admit_factor: f64,
    imaging: Option<(Cpt, f64)>,
    treat: Treat,
}

#[derive(Clone, Copy, PartialEq)]
enum Treat {
    None,
    Nsaid,
    RespiratoryAntibiotic,
    UrinaryAntibiotic,
    SkinAntibiotic,
}

const fn c(dx: Dx, admit_factor: f64, imaging: Option<(Cpt, f64)>, treat: Treat) -> Complaint {
    Complaint {
        dx,
        admit_factor,
        imaging,
        treat,
    }
}

/// *Design*: the common ED presentations (NHAMCS 2021 top reasons for visit: chest pain,
/// abdominal pain, shortness of breath, injuries, headache, back pain) and the admissions the
/// chronic conditions drive (heart-failure and COPD exacerbations, sepsis, pneumonia, stroke).
fn complaints(p: &Person) -> [(Complaint, f64); 22] {
    let has = |x: Cond, w: f64| if p.has(x) { w } else { 0.0 };
    let old = if p.age >= 65 { 1.0 } else { 0.0 };
    let child = if p.adult() { 0.0 } else { 1.0 };
    [
        (
            c(Dx::R07_9, 0.9, Some((Cpt::ChestXray, 0.6)), Treat::None),
            1.0 + has(Cond::CoronaryDisease, 2.0) - child,
        ),
        (c(Dx::R10_9, 0.6, None, Treat::None), 1.0),
        (
            c(Dx::S09_90XA, 0.3, Some((Cpt::CtHead, 0.8)), Treat::None),
            0.6 + 1.5 * old + has(Cond::Dementia, 2.0),
        ),
        (
            c(Dx::R51_9, 0.2, Some((Cpt::CtHead, 0.4)), Treat::Nsaid),
            0.6,
        ),
        (
            c(Dx::J06_9, 0.05, None, Treat::RespiratoryAntibiotic),
            0.8 + 2.0 * child,
        ),
        (
            c(Dx::M54_50, 0.05, Some((Cpt::MriLumbar, 0.03)), Treat::Nsaid),
            0.8 - child * 0.7,
        ),
        (
            c(Dx::R06_02, 1.0, Some((Cpt::ChestXray, 0.9)), Treat::None),
            0.4 + has(Cond::HeartFailure, 2.0) + has(Cond::Copd, 1.5),
        ),
        (
            c(Dx::R55, 0.8, Some((Cpt::CtHead, 0.5)), Treat::None),
            0.3 + old,
        ),
        (c(Dx::S93_401A, 0.0, None, Treat::Nsaid), 0.5),
        (
            c(Dx::N39_0, 0.3, None, Treat::UrinaryAntibiotic),
            0.3 + if p.female() { 0.5 } else { 0.0 } + 0.5 * old,
        ),
        (
            c(
                Dx::J20_9,
                0.05,
                Some((Cpt::ChestXray, 0.5)),
                Treat::RespiratoryAntibiotic,
            ),
            0.4,
        ),
        (
            c(Dx::J44_1, 1.8, Some((Cpt::ChestXray, 0.9)), Treat::None),
            has(Cond::Copd, 3.0),
        ),
        (
            c(Dx::I50_23, 2.2, Some((Cpt::ChestXray, 0.9)), Treat::None),
            has(Cond::HeartFailure, 3.0),
        ),
        (
            c(Dx::J45_901, 0.3, Some((Cpt::ChestXray, 0.3)), Treat::None),
            has(Cond::Asthma, 2.0),
        ),
        (
            c(
                Dx::J18_9,
                1.8,
                Some((Cpt::ChestXray, 1.0)),
                Treat::RespiratoryAntibiotic,
            ),
            0.3 + old + has(Cond::Copd, 1.0),
        ),
        (
            c(Dx::L03_115, 0.8, None, Treat::SkinAntibiotic),
            0.3 + has(Cond::Diabetes, 0.6),
        ),
        (
            c(Dx::A41_9, 9.0, Some((Cpt::ChestXray, 0.5)), Treat::None),
            0.05 + 0.4 * old + has(Cond::Dementia, 0.5) + has(Cond::Diabetes, 0.2),
        ),
        (
            c(Dx::I48_91, 1.5, None, Treat::None),
            has(Cond::AtrialFibrillation, 1.5),
        ),
        (
            c(Dx::I63_9, 9.0, Some((Cpt::CtHead, 1.0)), Treat::None),
            0.03 + 0.3 * old + has(Cond::AtrialFibrillation, 0.5),
        ),
        (
            c(Dx::I21_4, 9.0, Some((Cpt::ChestXray, 0.8)), Treat::None),
            0.02 + has(Cond::CoronaryDisease, 0.8),
        ),
        (
            c(Dx::S72_001A, 9.0, None, Treat::None),
            if p.age >= 75 {
                0.3 + has(Cond::Dementia, 0.5)
            } else {
                0.0
            },
        ),
        (c(Dx::N17_9, 4.0, None, Treat::None), has(Cond::Ckd, 0.6)),
    ]
}

/// Something that happens to the patient on a given day.
#[derive(Clone, Copy)]
enum Event {
    /// ED visit; `at` forces the hospital, `repeat` the complaint (a bounce-back).
    Ed {
        at: Option<usize>,
        repeat: Option<Complaint>,
    },
    /// Direct admission (readmission through the ED, elective surgery, chemotherapy).
    Admit {
        hospital: usize,
        principal: Dx,
        elective: bool,
    },
}

impl Gen<'_> {
    pub(super) fn acute_care(&mut self, p: &mut Person, rng: &mut Rng) {
        self.end_of_life(p, rng);
        let mut queue: Vec<(i64, Event)> = Vec::new();
        // ED visits: a Poisson process at the band's NHAMCS rate, raised with disease burden
        // (*design*: +30 % per burden point).
        let rate = epi::ED_VISITS_PER_YEAR[p.band] * (1.0 + 0.3 * p.burden);
        let mut t = p.first_day as f64;
        loop {
            t += rng.exponential(365.0 / rate);
            if t as i64 > p.last_day {
                break;
            }
            queue.push((
                t as i64,
                Event::Ed {
                    at: None,
                    repeat: None,
                },
            ));
        }
        // Elective knee replacement (*design*: 0.6 % a year at 55+, near the US TKA rate).
        if p.age >= 55 && rng.chance(0.018) {
            let day = rng.range(p.first_day, p.last_day);
            queue.push((
                day,
                Event::Admit {
                    hospital: p.home_hospital,
                    principal: Dx::M17_11,
                    elective: true,
                },
            ));
        }
        // Planned chemotherapy admissions for metastatic cancer (*design*: about one a year).
        if p.metastatic {
            let mut day = p.first_day + rng.range(30, 300);
            while day < p.last_day {
                queue.push((
                    day,
                    Event::Admit {
                        hospital: p.home_hospital,
                        principal: Dx::Z51_11,
                        elective: true,
                    },
                ));
                day += rng.range(200, 500);
            }
        }
        while !queue.is_empty() {
            let next = (0..queue.len())
                .min_by_key(|&i| (queue[i].0, i))
                .unwrap_or(0);
            let (day, event) = queue.swap_remove(next);
            if !p.alive_on(day) || p.is_busy(day) {
                continue;
            }
            match event {
                Event::Ed { at, repeat } => self.ed_visit(p, rng, day, at, repeat, &mut queue),
                Event::Admit {
                    hospital,
                    principal,
                    elective,
                } => {
                    let start = at(
                        day,
                        if elective {
                            7 * 3600
                        } else {
                            rng.range(0, 86_399)
                        },
                    );
                    let adm = if elective {
                        AdmissionType::Elective
                    } else {
                        AdmissionType::Emergency
                    };
                    self.inpatient(p, rng, hospital, start, principal, adm, &mut queue);
                }
            }
        }
    }

    fn pick_hospital(&self, p: &Person, rng: &mut Rng) -> usize {
        // *Design*: 80 % of ED visits at the practice's usual hospital, 12 % at the other
        // network hospital, 8 % outside the network.
        match rng.weighted(&[0.80, 0.12, 0.08]) {
            0 => p.home_hospital,
            1 => 1 - p.home_hospital,
            _ => OUTSIDE_HOSPITAL,
        }
    }

    fn ed_visit(
        &mut self,
        p: &mut Person,
        rng: &mut Rng,
        day: i64,
        at_hospital: Option<usize>,
        repeat: Option<Complaint>,
        queue: &mut Vec<(i64, Event)>,
    ) {
        let h = at_hospital.unwrap_or_else(|| self.pick_hospital(p, rng));
        let complaint = repeat.unwrap_or_else(|| {
            let table = complaints(p);
            let weights: Vec<f64> = table.iter().map(|x| x.1.max(0.0)).collect();
            table[rng.weighted(&weights)].0
        });
        let admit_p =
            (epi::ED_ADMIT_SHARE[p.band] * complaint.admit_factor * (1.0 + 0.1 * p.burden))
                .min(0.97);
        let admitted = repeat.is_none() && rng.chance(admit_p);
        let observation = !admitted
            && day < p.last_day
            && matches!(complaint.dx, Dx::R07_9 | Dx::R55 | Dx::R06_02)
            && rng.chance(0.3);
        let hospital = &self.dir.hospitals[h];
        let org = hospital.org;
        let doc = rng.pick(&hospital.ed_physicians);
        let start = at(day, rng.range(0, 86_399 - 8 * 3600));
        let end = start.plus_days(0).0 + rng.range(2 * 3600, 7 * 3600);
        let end = crate::time::Timestamp(end);
        let disposition = if admitted || observation {
            Disposition::Unknown
        } else {
            Disposition::Home
        };
        let code = if admitted { Cpt::Ed5 } else { Cpt::Ed4 };
        let enc = self.encounter(
            p,
            Setting::Emergency,
            start,
            end,
            org,
            Some(doc),
            AdmissionType::Emergency,
            disposition,
            Some(code),
        );
        self.diagnoses(p, enc, complaint.dx, 2);
        let t = crate::time::Timestamp(start.0 + 1800);
        if p.adult() {
            self.vitals(p, rng, enc, t, org, Some(doc), false);
        }
        // Labs: most adult ED work-ups draw a metabolic panel and a blood count (*design*).
        if admitted || (p.adult() && rng.chance(0.55)) {
            self.panel(p, rng, Some(enc), Panel::Bmp, t, org, Some(doc), true);
        }
        if admitted || (p.adult() && rng.chance(0.45)) {
            self.panel(p, rng, Some(enc), Panel::Cbc, t, org, Some(doc), true);
        }
        let mut imaged = None;
        if let Some((cpt, prob)) = complaint.imaging
            && rng.chance(if repeat.is_some() { 0.7 } else { prob })
        {
            self.cpt_procedure(
                p,
                Some(enc),
                cpt,
                crate::time::Timestamp(t.0 + 1800),
                ProcedureKind::Performed,
                Some(doc),
                org,
            );
            imaged = Some(cpt);
            // CT chest when shortness of breath raises the question of a pulmonary embolism.
            if complaint.dx == Dx::R06_02 && rng.chance(0.2) {
                self.cpt_procedure(
                    p,
                    Some(enc),
                    Cpt::CtChest,
                    crate::time::Timestamp(t.0 + 3600),
                    ProcedureKind::Performed,
                    Some(doc),
                    org,
                );
            }
        }
        // Bounce-back to a different hospital's ED with the same complaint, where the study is
        // repeated (*design*: 8 % of imaged visits; Lammers et al., Med Care 2014 found 15-20 %
        // of CT / X-ray studies repeated within 30 days at an unaffiliated ED).
        if imaged.is_some() && !admitted && repeat.is_none() && rng.chance(0.08) {
            let other = if h == OUTSIDE_HOSPITAL {
                p.home_hospital
            } else if rng.chance(0.5) {
                1 - h
            } else {
                OUTSIDE_HOSPITAL
            };
            queue.push((
                day + rng.range(2, 20),
                Event::Ed {
                    at: Some(other),
                    repeat: Some(complaint),
                },
            ));
        }
        if !admitted && !observation {
            self.ed_prescription(p, rng, enc, day, complaint.treat, doc, org);
            return;
        }
        if observation {
            let s = end;
            let e = at(day + 1, rng.range(9 * 3600, 15 * 3600));
            let who = rng.pick(&hospital.hospitalists);
            let obs = self.encounter(
                p,
                Setting::Observation,
                s,
                e,
                org,
                Some(who),
                AdmissionType::Emergency,
                Disposition::Home,
                Some(Cpt::ObsStay),
            );
            self.diagnoses(p, obs, complaint.dx, 3);
            p.busy.push((day, day + 1));
            return;
        }
        let principal = match complaint.dx {
            Dx::R06_02 if p.has(Cond::HeartFailure) => Dx::I50_23,
            Dx::R06_02 if p.has(Cond::Copd) => Dx::J44_1,
            Dx::R06_02 => Dx::J18_9,
            Dx::R07_9 if rng.chance(0.3) => Dx::I21_4,
            Dx::R10_9 if rng.chance(0.4) => Dx::K92_2,
            d => d,
        };
        self.inpatient(p, rng, h, end, principal, AdmissionType::Emergency, queue);
    }

    /// An ED discharge prescription (short courses end after 7-10 days).
    #[allow(clippy::too_many_arguments)]
    fn ed_prescription(
        &mut self,
        p: &Person,
        rng: &mut Rng,
        enc: EncIdx,
        day: i64,
        treat: Treat,
        doc: crate::model::PractIdx,
        org: crate::model::OrgIdx,
    ) {
        let rx = match treat {
            Treat::None => return,
            Treat::Nsaid if p.adult() && rng.chance(0.6) => {
                if rng.chance(0.7) {
                    Rx::Ibuprofen
                } else {
                    Rx::Naproxen
                }
            }
            Treat::RespiratoryAntibiotic if rng.chance(0.4) => {
                if p.adult() && rng.chance(0.35) {
                    Rx::Clarithromycin
                } else {
                    Rx::Amoxicillin
                }
            }
            Treat::UrinaryAntibiotic if rng.chance(0.9) => {
                if rng.chance(0.4) {
                    Rx::Trimethoprim
                } else {
                    Rx::Nitrofurantoin
                }
            }
            Treat::SkinAntibiotic if rng.chance(0.8) => Rx::Amoxicillin,
            _ => return,
        };
        let days = rng.range(5, 10);
        self.medication(p, Some(enc), rx, day, Some(day + days), doc, org);
    }

    /// An acute stay starting at `start` (possibly a transfer chain), its discharge, post-acute
    /// care, follow-up visit and, sometimes, a readmission.
    #[allow(clippy::too_many_arguments)]
    fn inpatient(
        &mut self,
        p: &mut Person,
        rng: &mut Rng,
        h: usize,
        start: crate::time::Timestamp,
        principal: Dx,
        adm: AdmissionType,
        queue: &mut Vec<(i64, Event)>,
    ) {
        let day = start.day();
        let los = match principal {
            Dx::M17_11 | Dx::Z51_11 => rng.range(1, 3),
            _ => 1 + (rng.exponential(epi::MEAN_LOS_DAYS - 1.0) as i64).min(29),
        };
        let mut discharge_day = (day + los).min(END_DAY);
        // Never run into a stay that is already on the calendar (hospice, a terminal stay).
        if p.busy.iter().any(|&(a, b)| a <= discharge_day && b >= day) {
            return;
        }
        let dying_soon = p.death_day.is_some_and(|d| d <= discharge_day + 3);
        if dying_soon {
            return; // the end-of-life plan owns the last days
        }
        discharge_day = discharge_day.min(p.last_day);
        // Direct transfer to another acute hospital: community hospital → regional centre,
        // regional centre → the university hospital outside the network.
        let mut hospital = h;
        let mut admit = start;
        let mut first_encounter = None;
        if adm != AdmissionType::Elective
            && h != OUTSIDE_HOSPITAL
            && discharge_day - day >= 2
            && rng.chance(epi::TRANSFER_SHARE)
        {
            let transfer_day = day + rng.range(0, 1);
            let hs = &self.dir.hospitals[h];
            let who = rng.pick(&hs.hospitalists);
            let t_end = at(transfer_day, rng.range(12 * 3600, 20 * 3600))
                .max(crate::time::Timestamp(start.0 + 3600));
            let e = self.encounter(
                p,
                Setting::Inpatient,
                start,
                t_end,
                hs.org,
                Some(who),
                adm,
                Disposition::AcuteTransfer,
                Some(Cpt::Inpatient),
            );
            self.diagnoses(p, e, principal, 6);
            self.panel(
                p,
                rng,
                Some(e),
                Panel::Bmp,
                crate::time::Timestamp(start.0 + 1800),
                hs.org,
                Some(who),
                true,
            );
            self.panel(
                p,
                rng,
                Some(e),
                Panel::Cbc,
                crate::time::Timestamp(start.0 + 1800),
                hs.org,
                Some(who),
                true,
            );
            first_encounter = Some(e);
            hospital = if h == 1 { 0 } else { OUTSIDE_HOSPITAL };
            admit = crate::time::Timestamp(t_end.0 + 2 * 3600);
        }
        let hs = &self.dir.hospitals[hospital];
        let org = hs.org;
        let who = rng.pick(&hs.hospitalists);
        let weights = if p.age >= 65 {
            epi::DISPOSITION_65_PLUS
        } else {
            epi::DISPOSITION_UNDER_65
        };
        // Transfers and hospice are planned explicitly; drop them from the draw.
        let w = [
            weights[0], weights[1], weights[2], weights[3], 0.0, weights[5], 0.0,
        ];
        let mut disposition = [
            Disposition::Home,
            Disposition::HomeHealth,
            Disposition::Snf,
            Disposition::Rehab,
            Disposition::AcuteTransfer,
            Disposition::LeftAgainstAdvice,
            Disposition::Hospice,
        ][rng.weighted(&w)];
        if principal == Dx::Z51_11 {
            disposition = Disposition::Home;
        }
        if principal == Dx::M17_11 && disposition == Disposition::Snf {
            disposition = Disposition::Rehab;
        }
        let discharge = at(discharge_day, rng.range(10 * 3600, 16 * 3600))
            .max(crate::time::Timestamp(admit.0 + 3600));
        let enc = self.encounter(
            p,
            Setting::Inpatient,
            admit,
            discharge,
            org,
            Some(who),
            adm,
            disposition,
            Some(Cpt::Inpatient),
        );
        self.diagnoses(p, enc, principal, 6);
        let t0 = crate::time::Timestamp(admit.0 + 1800);
        if first_encounter.is_none() {
            self.panel(p, rng, Some(enc), Panel::Bmp, t0, org, Some(who), true);
            self.panel(p, rng, Some(enc), Panel::Cbc, t0, org, Some(who), true);
        }
        if p.has(Cond::Diabetes) && rng.chance(0.35) {
            self.hba1c(p, rng, Some(enc), t0, org, Some(who));
        }
        if principal == Dx::M17_11 {
            self.cpt_procedure(
                p,
                Some(enc),
                Cpt::KneeReplacement,
                crate::time::Timestamp(admit.0 + 3 * 3600),
                ProcedureKind::Performed,
                Some(who),
                org,
            );
        }
        if discharge_day - day >= 2 {
            let t = crate::time::Timestamp(discharge.0 - 4 * 3600);
            self.panel(p, rng, Some(enc), Panel::Bmp, t, org, Some(who), true);
            self.panel(p, rng, Some(enc), Panel::Cbc, t, org, Some(who), true);
        }
        p.busy.push((day, discharge_day));
        if discharge_day >= END_DAY {
            return;
        }
        // Readmission within 30 days (not after planned chemotherapy stays).
        let p_readmit =
            (epi::READMIT_BASE + epi::READMIT_PER_BURDEN * p.burden).min(epi::READMIT_CAP);
        let readmit_day = if principal != Dx::Z51_11 && rng.chance(p_readmit) {
            let d = discharge_day + 1 + (rng.exponential(9.0) as i64).min(28);
            Some(d).filter(|&d| p.alive_on(d) && !p.is_busy(d))
        } else {
            None
        };
        let limit = readmit_day.unwrap_or(i64::MAX).min(p.last_day);
        self.post_acute(p, rng, disposition, discharge_day, limit);
        if let Some(d) = readmit_day {
            let dest = match rng.weighted(&epi::READMIT_DESTINATION) {
                0 => hospital,
                1 if hospital == OUTSIDE_HOSPITAL => p.home_hospital,
                1 => 1 - hospital.min(1),
                _ if hospital == OUTSIDE_HOSPITAL => p.home_hospital,
                _ => OUTSIDE_HOSPITAL,
            };
            let again = if rng.chance(0.5) {
                principal
            } else {
                self.readmission_reason(p, rng)
            };
            queue.push((
                d,
                Event::Admit {
                    hospital: dest,
                    principal: again,
                    elective: false,
                },
            ));
        }
    }

    fn readmission_reason(&self, p: &Person, rng: &mut Rng) -> Dx {
        let mut options: Vec<Dx> = vec![Dx::A41_9, Dx::J18_9, Dx::N39_0, Dx::N17_9];
        if p.has(Cond::HeartFailure) {
            options.push(Dx::I50_23);
        }
        if p.has(Cond::Copd) {
            options.push(Dx::J44_1);
        }
        rng.pick(&options)
    }

    /// Where the patient goes after discharge on `day`; nothing may reach `limit` (a
    /// readmission or death).
    fn post_acute(
        &mut self,
        p: &mut Person,
        rng: &mut Rng,
        disposition: Disposition,
        day: i64,
        limit: i64,
    ) {
        match disposition {
            Disposition::Snf | Disposition::Rehab => {
                let (setting, org, clinicians, len) = if disposition == Disposition::Snf {
                    let f = &self.dir.snfs[p.home_hospital.min(self.dir.snfs.len() - 1)];
                    (Setting::Snf, f.org, &f.clinicians, epi::SNF_DAYS)
                } else {
                    (
                        Setting::Rehab,
                        self.dir.rehab.org,
                        &self.dir.rehab.clinicians,
                        epi::REHAB_DAYS,
                    )
                };
                let who = rng.pick(clinicians);
                let mut end_day = day + rng.range(len.0, len.1);
                let truncated = end_day >= limit;
                end_day = end_day.min(limit).min(END_DAY);
                let then_home_health = !truncated && rng.chance(0.55);
                let disp = if truncated && limit < p.last_day {
                    Disposition::AcuteTransfer
                } else if then_home_health {
                    Disposition::HomeHealth
                } else {
                    Disposition::Home
                };
                let start = at(day, rng.range(15 * 3600, 19 * 3600));
                let end = at(end_day, rng.range(10 * 3600, 14 * 3600))
                    .max(crate::time::Timestamp(start.0 + 3600));
                let code = if setting == Setting::Snf {
                    Some(Cpt::Snf)
                } else {
                    None
                };
                let enc = self.encounter(
                    p,
                    setting,
                    start,
                    end,
                    org,
                    Some(who),
                    AdmissionType::Unknown,
                    disp,
                    code,
                );
                self.diagnoses(p, enc, Dx::Z09, 4);
                // SNFs often redraw the hospital's labs within days (*design*: 35 %).
                if rng.chance(0.35) && end_day - day >= 3 {
                    let t = at(day + rng.range(1, 3), 6 * 3600);
                    self.panel(p, rng, Some(enc), Panel::Bmp, t, org, Some(who), false);
                    self.panel(p, rng, Some(enc), Panel::Cbc, t, org, Some(who), false);
                }
                p.busy.push((day, end_day));
                if then_home_health {
                    self.home_health(p, rng, end_day, limit);
                }
            }
            Disposition::HomeHealth => self.home_health(p, rng, day, limit),
            Disposition::Home => {
                if rng.chance(epi::FOLLOWUP_7D_HOME) {
                    let d = day + rng.range(1, 7);
                    if d < limit {
                        self.follow_up_visit(p, rng, d, d - day);
                    }
                } else if rng.chance(0.5) {
                    let d = day + rng.range(10, 30);
                    if d < limit {
                        self.follow_up_visit(p, rng, d, d - day);
                    }
                }
            }
            _ => {}
        }
    }

    /// A home-health episode: a nurse visit every 2-4 days for about a month (a CMS 30-day
    /// period of care under PDGM), starting 1-3 days after the patient gets home.
    fn home_health(&mut self, p: &mut Person, rng: &mut Rng, from: i64, limit: i64) {
        let agency = &self.dir.home_health[rng.below(self.dir.home_health.len())];
        let org = agency.org;
        let nurse = rng.pick(&agency.clinicians);
        let mut d = from + rng.range(1, 3);
        let stop = (from + rng.range(21, 35))
            .min(limit - 1)
            .min(p.last_day)
            .min(END_DAY);
        let mut first = true;
        while d <= stop {
            let s = at(d, 9 * 3600 + rng.range(0, 28) * 900);
            let e = crate::time::Timestamp(s.0 + 3600);
            let enc = self.encounter(
                p,
                Setting::HomeHealth,
                s,
                e,
                org,
                Some(nurse),
                AdmissionType::Unknown,
                Disposition::Unknown,
                None,
            );
            if first {
                self.diagnoses(p, enc, Dx::Z09, 3);
                self.vitals(p, rng, enc, s, org, Some(nurse), false);
                first = false;
            }
            d += rng.range(2, 4);
        }
    }

    /// Death planning: hospice before death, death in hospital, or at home.
    fn end_of_life(&mut self, p: &mut Person, rng: &mut Rng) {
        let Some(death) = p.death_day else { return };
        let serious =
            p.metastatic || p.has(Cond::Dementia) || p.has(Cond::HeartFailure) || p.age >= 80;
        let hospice_share = if serious {
            epi::HOSPICE_SHARE_SERIOUS
        } else {
            0.15
        };
        let x = rng.f64();
        if x < hospice_share {
            let len = rng.range(epi::HOSPICE_DAYS.0, epi::HOSPICE_DAYS.1);
            let start_day = (death - len).max(p.first_day);
            let h = &self.dir.hospice;
            let who = rng.pick(&h.clinicians);
            let start = at(start_day, 14 * 3600);
            let end = at(death, 12 * 3600).max(crate::time::Timestamp(start.0 + 3600));
            // Often the hospice referral follows a last hospital stay (*design*: 40 %).
            if rng.chance(0.4) && start_day - 4 > p.first_day {
                let hs = &self.dir.hospitals[p.home_hospital];
                let doc = rng.pick(&hs.hospitalists);
                let admit = at(start_day - rng.range(2, 6), rng.range(0, 86_399));
                let principal = self.terminal_reason(p, rng);
                let e = self.encounter(
                    p,
                    Setting::Inpatient,
                    admit,
                    at(start_day, 11 * 3600),
                    hs.org,
                    Some(doc),
                    AdmissionType::Emergency,
                    Disposition::Hospice,
                    Some(Cpt::Inpatient),
                );
                self.diagnoses(p, e, principal, 6);
                self.panel(
                    p,
                    rng,
                    Some(e),
                    Panel::Bmp,
                    crate::time::Timestamp(admit.0 + 1800),
                    hs.org,
                    Some(doc),
                    true,
                );
                p.busy.push((admit.day(), start_day));
            }
            let enc = self.encounter(
                p,
                Setting::Hospice,
                start,
                end,
                h.org,
                Some(who),
                AdmissionType::Unknown,
                Disposition::Expired,
                None,
            );
            let principal = p.problems.first().map(|x| x.0).unwrap_or(Dx::R55);
            self.diagnoses(p, enc, principal, 3);
            p.busy.push((start_day, death));
        } else if x < hospice_share + epi::IN_HOSPITAL_DEATH_SHARE {
            let los = rng.range(1, 10);
            let day = (death - los).max(p.first_day);
            let hs = &self.dir.hospitals[p.home_hospital];
            let doc = rng.pick(&hs.hospitalists);
            let admit = at(day, rng.range(0, 86_399));
            let end = at(death, rng.range(0, 86_399)).max(crate::time::Timestamp(admit.0 + 3600));
            let principal = self.terminal_reason(p, rng);
            let e = self.encounter(
                p,
                Setting::Inpatient,
                admit,
                end,
                hs.org,
                Some(doc),
                AdmissionType::Emergency,
                Disposition::Expired,
                Some(Cpt::Inpatient),
            );
            self.diagnoses(p, e, principal, 6);
            self.panel(
                p,
                rng,
                Some(e),
                Panel::Bmp,
                crate::time::Timestamp(admit.0 + 1800),
                hs.org,
                Some(doc),
                true,
            );
            self.panel(
                p,
                rng,
                Some(e),
                Panel::Cbc,
                crate::time::Timestamp(admit.0 + 1800),
                hs.org,
                Some(doc),
                true,
            );
            p.busy.push((day, death));
        }
    }

    fn terminal_reason(&self, p: &Person, rng: &mut Rng) -> Dx {
        if p.has(Cond::HeartFailure) && rng.chance(0.5) {
            Dx::I50_23
        } else if p.has(Cond::Copd) && rng.chance(0.5) {
            Dx::J44_1
        } else if rng.chance(0.2) {
            Dx::I63_9
        } else {
            Dx::A41_9
        }
    }
}
