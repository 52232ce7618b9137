//! The built-in synthetic network: a multi-organisation clinically integrated network whose
//! patients, conditions, encounters, labs, screenings and medications follow published US
//! figures (cited where each number is defined, mostly in [`epidemiology`]), with the
//! cross-organisation events every analysis of the product looks for: readmissions to another
//! hospital, missed follow-ups, hospital → SNF → home-health transitions, tests repeated at a
//! second organisation within days, and interacting drugs from different prescribers.
//!
//! Deterministic: the same `(patients, seed)` gives the same network, and patient *i* is drawn
//! from its own random stream, so it is the same person in a 1,000- or 1,000,000-patient
//! network. The data window is fixed (2023-01-01 to 2025-12-31); the clock is never read.

mod acute;
mod ambulatory;
pub mod catalog;
mod directory;
pub mod epidemiology;
mod medications;
mod person;
pub mod rng;

use crate::intern::Sym;
use crate::model::*;
use crate::network::{Network, PatientInput};
use crate::time::{Timestamp, days_from_civil};
use catalog::{Catalog, Cpt, Dx, Obs, Panel, Rx};
use directory::Directory;
use person::Person;
use rng::Rng;
use std::fmt::Write as _;

/// First day of the data window (2023-01-01), as days since 1970-01-01.
pub const START_DAY: i64 = days_from_civil_const(2023, 1, 1);
/// Last day of the data window (2025-12-31).
pub const END_DAY: i64 = days_from_civil_const(2025, 12, 31);

const fn days_from_civil_const(y: i64, m: i64, d: i64) -> i64 {
    // Same algorithm as `time::days_from_civil`, usable in constants.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Expected facts per patient, for reserving capacity up front (measured on 100k patients
/// and rounded up a few percent, so that a 1M-patient build does not reallocate its largest
/// tables and hold two copies at once).
const ENCOUNTERS_PER_PATIENT: usize = 10;
const OBSERVATIONS_PER_PATIENT: usize = 50;
const DIAGNOSES_PER_PATIENT: usize = 22;
const PROCEDURES_PER_PATIENT: usize = 8;
const MEDICATIONS_PER_PATIENT: usize = 2;
const CONDITIONS_PER_PATIENT: usize = 2;

impl Network {
    /// The built-in synthetic network with `patients` patients drawn from `seed`.
    ///
    /// With 0 patients the network holds the organisations and clinicians only.
    pub fn synthetic(patients: usize, seed: u64) -> Network {
        let mut net = Network::new();
        debug_assert_eq!(START_DAY, days_from_civil(2023, 1, 1));
        let feed = net.add_feed(FeedKind::Synthetic, "cin_core synthetic network");
        // Received the day after the window closes, not "now": the network must be reproducible.
        net.feeds[feed.idx()].received = Timestamp::from_day(END_DAY + 1);
        let base = Provenance { org: None, feed };
        let dir = Directory::build(&mut net, base, patients);
        let cat = Catalog::new(&mut net);
        net.reserve(
            patients,
            patients * ENCOUNTERS_PER_PATIENT,
            patients * OBSERVATIONS_PER_PATIENT,
        );
        net.diagnoses.reserve(patients * DIAGNOSES_PER_PATIENT);
        net.procedures.reserve(patients * PROCEDURES_PER_PATIENT);
        net.medications.reserve(patients * MEDICATIONS_PER_PATIENT);
        net.conditions.reserve(patients * CONDITIONS_PER_PATIENT);
        net.care_team.reserve(patients * 2);
        let mut g = Gen {
            net: &mut net,
            cat: &cat,
            dir: &dir,
            feed,
            buf: String::with_capacity(32),
            encounters: 0,
        };
        for i in 0..patients {
            let mut rng = Rng::new(seed, i as u64);
            g.patient(i, &mut rng);
        }
        net
    }
}

/// Writes one patient's record into the network.
pub(crate) struct Gen<'a> {
    net: &'a mut Network,
    cat: &'a Catalog,
    dir: &'a Directory,
    feed: FeedIdx,
    /// Reused buffer for ids (no allocation per fact).
    buf: String,
    encounters: u64,
}

/// A wall-clock time: `day` plus seconds into it.
pub(crate) fn at(day: i64, seconds: i64) -> Timestamp {
    Timestamp(day * crate::time::SECONDS_PER_DAY + seconds)
}

/// Seconds for an office hour between 08:00 and 16:45.
pub(crate) fn office_time(rng: &mut Rng) -> i64 {
    8 * 3600 + rng.range(0, 35) * 900
}

impl Gen<'_> {
    fn prov(&self, org: OrgIdx) -> Provenance {
        Provenance {
            org: Some(org),
            feed: self.feed,
        }
    }

    fn id(&mut self, prefix: &str, n: u64) -> Sym {
        self.buf.clear();
        self.buf.push_str(prefix);
        let _ = write!(self.buf, "{n}");
        self.net.intern(&self.buf)
    }

    fn patient(&mut self, i: usize, rng: &mut Rng) {
        let mut p = person::draw(rng, PatientIdx(0));
        p.practice = rng.below(self.dir.practices.len());
        let practice = &self.dir.practices[p.practice];
        p.home_hospital = practice.hospital;
        if rng.chance(epidemiology::ATTRIBUTED_SHARE) {
            p.pcp = Some(rng.pick(&practice.pcps));
        }
        let org = practice.org;
        self.buf.clear();
        let _ = write!(self.buf, "pat-{i:07}");
        let id = std::mem::take(&mut self.buf);
        p.idx = self.net.upsert_patient(
            &PatientInput {
                id: &id,
                identifiers: Vec::new(),
                birth_date: Some(Timestamp::from_day(p.birth_day)),
                sex: p.sex,
                deceased: p.death_day.is_some(),
                death_date: p.death_day.map(|d| at(d, 12 * 3600)),
            },
            self.prov(org),
        );
        self.buf = id;
        // The payer's eligibility file knows every member too.
        let payer = self.prov(self.dir.payer);
        self.net.patients[p.idx.idx()].provenance.push(payer);
        self.choose_specialists(&mut p, rng);
        self.care_team(&p, rng);
        self.problem_list(&p);
        self.acute_care(&mut p, rng);
        self.routine_care(&mut p, rng);
        self.specialist_care(&mut p, rng);
        self.screenings(&p, rng);
        self.medications(&p, rng);
    }

    fn care_team(&mut self, p: &Person, rng: &mut Rng) {
        let practice = &self.dir.practices[p.practice];
        let org = practice.org;
        if let Some(pcp) = p.pcp {
            let start = (p.first_day - rng.range(30, 3_000)).max(p.birth_day);
            self.member(p, pcp, org, PractitionerRole::Pcp, start);
        }
        // Care management for the high-risk (*design*: 60 % of patients with burden ≥ 3).
        if p.burden >= 3.0 && rng.chance(0.6) {
            let start = rng.range(p.first_day, (p.last_day - 1).max(p.first_day));
            self.member(
                p,
                practice.care_manager,
                org,
                PractitionerRole::CareManager,
                start,
            );
            // A community health worker for some of them (*design*: one in four).
            if rng.chance(0.25) {
                let cbo = &self.dir.community[rng.below(self.dir.community.len())];
                let chw = rng.pick(&cbo.clinicians);
                self.member(
                    p,
                    chw,
                    cbo.org,
                    PractitionerRole::CommunityHealthWorker,
                    start,
                );
            }
        }
    }

    fn member(&mut self, p: &Person, who: PractIdx, org: OrgIdx, role: PractitionerRole, day: i64) {
        self.net.add_care_team_member(CareTeamMember {
            patient: p.idx,
            practitioner: Some(who),
            org: Some(org),
            role,
            start: Some(Timestamp::from_day(day)),
            end: None,
            provenance: self.prov(org),
        });
    }

    fn problem_list(&mut self, p: &Person) {
        let org = self.dir.practices[p.practice].org;
        for &(dx, cond) in &p.problems {
            let org = match cond {
                epidemiology::Cond::BreastCancer
                | epidemiology::Cond::ColorectalCancer
                | epidemiology::Cond::LungCancer => {
                    self.dir.specialist(directory::Specialty::Oncology).org
                }
                _ => org,
            };
            self.net.add_condition(Condition {
                patient: p.idx,
                encounter: None,
                code: self.cat.dx(dx),
                display: Some(self.cat.dx_display(dx)),
                onset: Some(Timestamp::from_day(p.onset[cond as usize])),
                abatement: None,
                category: ConditionCategory::ProblemList,
                provenance: self.prov(org),
            });
        }
    }

    /// Adds an encounter and returns it.
    #[allow(clippy::too_many_arguments)]
    fn encounter(
        &mut self,
        p: &Person,
        setting: Setting,
        start: Timestamp,
        end: Timestamp,
        org: OrgIdx,
        practitioner: Option<PractIdx>,
        admission_type: AdmissionType,
        disposition: Disposition,
        visit_code: Option<Cpt>,
    ) -> EncIdx {
        self.encounters += 1;
        let id = self.id("enc-", self.encounters);
        let type_code = visit_code.map(|c| self.cat.cpt(c).0);
        self.net.add_encounter(Encounter {
            id,
            patient: p.idx,
            setting,
            start,
            end: Some(end),
            org: Some(org),
            practitioner,
            admission_type,
            disposition,
            type_code,
            provenance: self.prov(org),
        })
    }

    fn diagnosis(&mut self, enc: EncIdx, dx: Dx, principal: bool) {
        self.net.add_diagnosis(Diagnosis {
            encounter: enc,
            code: self.cat.dx(dx),
            principal,
        });
    }

    /// The principal diagnosis and up to `n` of the patient's chronic problems.
    fn diagnoses(&mut self, p: &Person, enc: EncIdx, principal: Dx, n: usize) {
        self.diagnosis(enc, principal, true);
        let mut added = 0;
        for &(dx, _) in &p.problems {
            if added >= n {
                break;
            }
            if dx != principal {
                self.diagnosis(enc, dx, false);
                added += 1;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn observation(
        &mut self,
        p: &Person,
        enc: Option<EncIdx>,
        code: Obs,
        value: f64,
        time: Timestamp,
        org: OrgIdx,
        performer: Option<PractIdx>,
    ) {
        self.net.add_observation(Observation {
            patient: p.idx,
            encounter: enc,
            code: self.cat.obs(code),
            value: ObsValue::Number(value),
            unit: Some(self.cat.unit(code)),
            time: Some(time),
            performer,
            provenance: self.prov(org),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn procedure(
        &mut self,
        p: &Person,
        enc: Option<EncIdx>,
        code: Code,
        display: Sym,
        time: Timestamp,
        kind: ProcedureKind,
        practitioner: Option<PractIdx>,
        org: OrgIdx,
    ) {
        self.net.add_procedure(Procedure {
            patient: p.idx,
            encounter: enc,
            code,
            display: Some(display),
            time: Some(time),
            kind,
            practitioner,
            org: Some(org),
            provenance: self.prov(org),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn cpt_procedure(
        &mut self,
        p: &Person,
        enc: Option<EncIdx>,
        cpt: Cpt,
        time: Timestamp,
        kind: ProcedureKind,
        practitioner: Option<PractIdx>,
        org: OrgIdx,
    ) {
        let (code, display) = self.cat.cpt(cpt);
        self.procedure(p, enc, code, display, time, kind, practitioner, org);
    }

    #[allow(clippy::too_many_arguments)]
    fn medication(
        &mut self,
        p: &Person,
        enc: Option<EncIdx>,
        rx: Rx,
        start: i64,
        stop: Option<i64>,
        prescriber: PractIdx,
        org: OrgIdx,
    ) {
        let (code, display) = self.cat.rx(rx);
        let status = match stop {
            None => MedStatus::Active,
            Some(s) if s - start <= 14 => MedStatus::Completed,
            Some(_) => MedStatus::Stopped,
        };
        self.net.add_medication(MedicationOrder {
            patient: p.idx,
            encounter: enc,
            code,
            display: Some(display),
            start: Some(Timestamp::from_day(start)),
            stop: stop.map(Timestamp::from_day),
            status,
            prescriber: Some(prescriber),
            org: Some(org),
            source: MedSource::Order,
            provenance: self.prov(org),
        });
    }

    /// A lab panel: the diagnostic report and its component results.
    #[allow(clippy::too_many_arguments)]
    fn panel(
        &mut self,
        p: &Person,
        rng: &mut Rng,
        enc: Option<EncIdx>,
        panel: Panel,
        time: Timestamp,
        org: OrgIdx,
        who: Option<PractIdx>,
        acute: bool,
    ) {
        let (code, display) = self.cat.panel(panel);
        self.procedure(p, enc, code, display, time, ProcedureKind::Report, who, org);
        match panel {
            Panel::Bmp | Panel::Cmp => {
                let na = if acute && rng.chance(0.15) {
                    rng.normal_in(131.0, 2.5, 122.0, 134.5)
                } else {
                    rng.normal_in(139.0, 2.2, 134.0, 145.0)
                };
                let k = rng.normal_in(if p.egfr < 30.0 { 4.8 } else { 4.2 }, 0.35, 3.1, 6.2);
                let egfr = (p.egfr
                    * rng.uniform(0.92, 1.08)
                    * if acute && rng.chance(0.2) { 0.7 } else { 1.0 })
                .clamp(4.0, 140.0);
                // Creatinine from eGFR by inverting the CKD-EPI shape roughly (design).
                let cr = (if p.female() { 0.72 } else { 0.9 }) * (90.0 / egfr).powf(0.85);
                let glucose = if p.a1c >= 6.5 {
                    // ADAG: estimated average glucose = 28.7 × A1c − 46.7 (Nathan, Diabetes Care 2008).
                    28.7 * p.a1c - 46.7 + rng.normal(0.0, 25.0)
                } else {
                    rng.normal(96.0, 10.0)
                }
                .clamp(55.0, 450.0);
                self.observation(p, enc, Obs::Sodium, round1(na), time, org, who);
                self.observation(p, enc, Obs::Potassium, round1(k), time, org, who);
                self.observation(p, enc, Obs::Creatinine, round2(cr), time, org, who);
                self.observation(p, enc, Obs::Glucose, glucose.round(), time, org, who);
                if p.adult() {
                    self.observation(p, enc, Obs::Egfr, egfr.round(), time, org, who);
                }
                if panel == Panel::Cmp {
                    let alt = rng.normal_in(24.0, 9.0, 7.0, 90.0);
                    let alb = rng.normal_in(4.1, 0.35, 2.6, 5.0);
                    self.observation(p, enc, Obs::Alt, alt.round(), time, org, who);
                    self.observation(p, enc, Obs::Albumin, round1(alb), time, org, who);
                }
            }
            Panel::Cbc => {
                let hgb = p.hgb + rng.normal(0.0, 0.4) - if acute { 0.6 } else { 0.0 };
                let wbc = rng.normal_in(7.0, 1.8, 2.5, 16.0) + if acute { 1.5 } else { 0.0 };
                let plt = rng.normal_in(250.0, 55.0, 90.0, 480.0);
                self.observation(
                    p,
                    enc,
                    Obs::Hgb,
                    round1(hgb.clamp(6.5, 19.0)),
                    time,
                    org,
                    who,
                );
                self.observation(p, enc, Obs::Wbc, round1(wbc), time, org, who);
                self.observation(p, enc, Obs::Platelets, plt.round(), time, org, who);
            }
            Panel::Lipid => {
                let statin = if p.has(epidemiology::Cond::Hyperlipidemia) {
                    0.7
                } else {
                    1.0
                };
                let ldl = (p.ldl * statin + rng.normal(0.0, 8.0)).clamp(30.0, 260.0);
                let hdl = (p.hdl + rng.normal(0.0, 3.0)).clamp(20.0, 110.0);
                let tg = (p.trig + rng.normal(0.0, 20.0)).clamp(35.0, 800.0);
                // Friedewald: total = LDL + HDL + TG / 5.
                let total = ldl + hdl + tg / 5.0;
                self.observation(p, enc, Obs::TotalChol, total.round(), time, org, who);
                self.observation(p, enc, Obs::Ldl, ldl.round(), time, org, who);
                self.observation(p, enc, Obs::Hdl, hdl.round(), time, org, who);
                self.observation(p, enc, Obs::Trig, tg.round(), time, org, who);
            }
        }
    }

    fn hba1c(
        &mut self,
        p: &Person,
        rng: &mut Rng,
        enc: Option<EncIdx>,
        t: Timestamp,
        org: OrgIdx,
        who: Option<PractIdx>,
    ) {
        let v = (p.a1c + rng.normal(0.0, 0.35)).clamp(4.2, 14.0);
        self.observation(p, enc, Obs::Hba1c, round1(v), t, org, who);
    }

    /// Systolic and diastolic pressure as two observations at the same time, plus BMI.
    #[allow(clippy::too_many_arguments)]
    fn vitals(
        &mut self,
        p: &Person,
        rng: &mut Rng,
        enc: EncIdx,
        t: Timestamp,
        org: OrgIdx,
        who: Option<PractIdx>,
        bmi: bool,
    ) {
        if p.age >= 3 {
            let sbp = (p.sbp + rng.normal(0.0, 6.0)).clamp(80.0, 220.0);
            let dbp = (p.dbp + rng.normal(0.0, 4.0))
                .clamp(45.0, 130.0)
                .min(sbp - 20.0);
            self.observation(p, Some(enc), Obs::Systolic, sbp.round(), t, org, who);
            self.observation(p, Some(enc), Obs::Diastolic, dbp.round(), t, org, who);
        }
        if bmi {
            let v = (p.bmi + rng.normal(0.0, 0.4)).clamp(12.0, 70.0);
            self.observation(p, Some(enc), Obs::Bmi, round1(v), t, org, who);
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
