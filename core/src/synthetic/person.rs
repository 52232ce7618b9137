//! One synthetic person: demographics, chronic conditions with their codes, physiology that the
//! labs and vitals are drawn around, and death.

use super::catalog::{Dx, Rx};
use super::epidemiology::{self as epi, BANDS, Cond};
use super::rng::Rng;
use super::{END_DAY, START_DAY};
use crate::model::{PatientIdx, PractIdx, Sex};

/// Everything the generator needs to know about a patient while it writes their record.
pub struct Person {
    pub idx: PatientIdx,
    /// Age in whole years at the end of the data.
    pub age: i64,
    pub band: usize,
    pub birth_day: i64,
    pub sex: Sex,
    /// Bit set of [`Cond`].
    pub conds: u32,
    /// Onset day of each condition (meaningful when the bit is set).
    pub onset: [i64; 18],
    /// Problem-list codes, one or more per condition, in a stable order.
    pub problems: Vec<(Dx, Cond)>,
    /// Specialist practices the person is followed by (bit `1 << Specialty as u8`).
    pub specialties: u8,
    /// Day of the last result per tracked test (see [`Tracked`]).
    pub last_test: [i64; 6],
    pub ckd_code: Dx,
    pub cancer_codes: Vec<Dx>,
    pub metastatic: bool,
    /// Baselines the visit values scatter around.
    pub a1c: f64,
    pub sbp: f64,
    pub dbp: f64,
    pub bmi: f64,
    pub ldl: f64,
    pub hdl: f64,
    pub trig: f64,
    pub egfr: f64,
    pub hgb: f64,
    pub uacr: f64,
    pub insulin: bool,
    pub anticoagulant: Option<Rx>,
    /// Chronic-disease burden: a weighted count used for utilisation and readmission risk.
    pub burden: f64,
    pub death_day: Option<i64>,
    /// First and last day the person can have events (window start, or birth; end, or death).
    pub first_day: i64,
    pub last_day: i64,
    /// Primary-care home: practice index and attributed PCP (None for the unattributed).
    pub practice: usize,
    pub pcp: Option<PractIdx>,
    pub home_hospital: usize,
    /// Days spent in a facility (hospital, SNF, rehab, hospice): `(first, last)` inclusive.
    pub busy: Vec<(i64, i64)>,
}

impl Person {
    pub fn has(&self, c: Cond) -> bool {
        self.conds & c.bit() != 0
    }
    pub fn adult(&self) -> bool {
        self.age >= 18
    }
    pub fn female(&self) -> bool {
        self.sex == Sex::Female
    }
    pub fn is_busy(&self, day: i64) -> bool {
        self.busy.iter().any(|&(a, b)| day >= a && day <= b)
    }
    /// Alive and inside the data window on `day`.
    pub fn alive_on(&self, day: i64) -> bool {
        day >= self.first_day && day <= self.last_day
    }
    /// Number of the major chronic conditions (drives visit frequency).
    pub fn chronic_count(&self) -> u32 {
        const MAJOR: u32 = Cond::Hypertension.bit()
            | Cond::Diabetes.bit()
            | Cond::HeartFailure.bit()
            | Cond::Copd.bit()
            | Cond::Asthma.bit()
            | Cond::Ckd.bit()
            | Cond::Depression.bit()
            | Cond::AtrialFibrillation.bit()
            | Cond::CoronaryDisease.bit()
            | Cond::BreastCancer.bit()
            | Cond::ColorectalCancer.bit()
            | Cond::LungCancer.bit()
            | Cond::Dementia.bit();
        (self.conds & MAJOR).count_ones()
    }
    pub fn has_cancer(&self) -> bool {
        self.has(Cond::BreastCancer)
            || self.has(Cond::ColorectalCancer)
            || self.has(Cond::LungCancer)
    }
}

/// Draws a person's demographics, conditions, physiology and death.
pub fn draw(rng: &mut Rng, idx: PatientIdx) -> Person {
    let weights: Vec<f64> = epi::AGE_BANDS.iter().map(|b| b.2).collect();
    let (lo, hi, _) = epi::AGE_BANDS[rng.weighted(&weights)];
    let age = rng.range(lo, hi);
    let band = epi::band_of(age);
    let birth_day = END_DAY - age * 365 - rng.range(0, 364);
    let sex = if rng.chance(epi::FEMALE_SHARE[band]) {
        Sex::Female
    } else {
        Sex::Male
    };
    let mut p = Person {
        idx,
        age,
        band,
        birth_day,
        sex,
        conds: 0,
        onset: [0; 18],
        problems: Vec::new(),
        specialties: 0,
        last_test: [i64::MIN / 2; 6],
        ckd_code: Dx::N18_30,
        cancer_codes: Vec::new(),
        metastatic: false,
        a1c: 5.4,
        sbp: 117.0,
        dbp: 74.0,
        bmi: 25.0,
        ldl: 110.0,
        hdl: 52.0,
        trig: 130.0,
        egfr: 95.0,
        hgb: 14.0,
        uacr: 8.0,
        insulin: false,
        anticoagulant: None,
        burden: 0.0,
        death_day: None,
        first_day: START_DAY.max(birth_day),
        last_day: END_DAY,
        practice: 0,
        pcp: None,
        home_hospital: 0,
        busy: Vec::new(),
    };
    draw_conditions(rng, &mut p);
    draw_physiology(rng, &mut p);
    draw_death(rng, &mut p);
    p
}

fn set(p: &mut Person, rng: &mut Rng, c: Cond) {
    p.conds |= c.bit();
    // Most conditions predate the window; about one in ten starts inside it.
    let earliest = (p.birth_day + 365 * 2).max(START_DAY - 365 * 15);
    p.onset[c as usize] = if rng.chance(0.10) {
        rng.range(START_DAY + 30, END_DAY - 120).max(earliest)
    } else {
        rng.range(earliest, START_DAY - 1).max(earliest)
    };
}

fn draw_conditions(rng: &mut Rng, p: &mut Person) {
    let b = p.band;
    let prev = |c: Cond| -> f64 { epi::prevalence(c)[b] };
    let female = p.female();
    // Order matters: risk factors first, then the conditions they raise.
    if rng.chance(prev(Cond::Obesity)) {
        set(p, rng, Cond::Obesity);
    }
    let obese = p.has(Cond::Obesity);
    let f_obese = prev(Cond::Obesity);
    // Relative risks are *design* values of the size reported in cohort studies (obesity and
    // type 2 diabetes, hypertension; diabetes/hypertension and CKD; CAD/AF and heart failure).
    if rng.chance(epi::with_relative_risk(
        prev(Cond::Diabetes),
        2.5,
        f_obese,
        obese,
    )) {
        set(p, rng, Cond::Diabetes);
    }
    if rng.chance(epi::with_relative_risk(
        prev(Cond::Hypertension),
        1.4,
        f_obese,
        obese,
    )) {
        set(p, rng, Cond::Hypertension);
    }
    let dm = p.has(Cond::Diabetes);
    let f_dm = prev(Cond::Diabetes);
    if rng.chance(epi::with_relative_risk(
        prev(Cond::Hyperlipidemia),
        1.8,
        f_dm,
        dm,
    )) {
        set(p, rng, Cond::Hyperlipidemia);
    }
    if rng.chance(epi::with_relative_risk(prev(Cond::Ckd), 2.5, f_dm, dm)) {
        set(p, rng, Cond::Ckd);
    }
    if rng.chance(epi::with_relative_risk(
        prev(Cond::CoronaryDisease),
        2.0,
        f_dm,
        dm,
    )) {
        set(p, rng, Cond::CoronaryDisease);
    }
    if rng.chance(prev(Cond::AtrialFibrillation)) {
        set(p, rng, Cond::AtrialFibrillation);
    }
    let cardiac = p.has(Cond::CoronaryDisease) || p.has(Cond::AtrialFibrillation);
    let f_cardiac = (prev(Cond::CoronaryDisease) + prev(Cond::AtrialFibrillation)).min(0.9);
    if rng.chance(epi::with_relative_risk(
        prev(Cond::HeartFailure),
        3.0,
        f_cardiac,
        cardiac,
    )) {
        set(p, rng, Cond::HeartFailure);
    }
    for c in [
        Cond::Copd,
        Cond::Asthma,
        Cond::Depression,
        Cond::Dementia,
        Cond::RheumatoidArthritis,
        Cond::Gerd,
        Cond::ColorectalCancer,
        Cond::LungCancer,
    ] {
        if rng.chance(prev(c)) {
            set(p, rng, c);
        }
    }
    if female && rng.chance(prev(Cond::BreastCancer)) {
        set(p, rng, Cond::BreastCancer);
    }
    if !female && rng.chance(prev(Cond::ErectileDysfunction)) {
        set(p, rng, Cond::ErectileDysfunction);
    }
    code_conditions(rng, p);
    let weight = |c: Cond, w: f64| if p.conds & c.bit() != 0 { w } else { 0.0 };
    p.burden = weight(Cond::HeartFailure, 2.0)
        + weight(Cond::Copd, 1.5)
        + weight(Cond::Ckd, 1.0)
        + weight(Cond::Diabetes, 1.0)
        + weight(Cond::AtrialFibrillation, 1.0)
        + weight(Cond::CoronaryDisease, 1.0)
        + weight(Cond::Dementia, 1.5)
        + weight(Cond::Hypertension, 0.5)
        + weight(Cond::Depression, 0.5)
        + if p.has_cancer() { 1.0 } else { 0.0 }
        + if p.age >= 75 { 1.0 } else { 0.0 };
}

/// ICD-10-CM coding of the condition set, following the ICD-10-CM Official Guidelines for
/// Coding and Reporting FY2024 (I.C.9.a: hypertension with heart failure or CKD is coded as
/// hypertensive heart / kidney disease, I11-I13, plus the heart-failure and CKD-stage codes;
/// I.C.4.a: diabetes with its complications uses the combination codes E11.2x-E11.6x).
fn code_conditions(rng: &mut Rng, p: &mut Person) {
    let htn = p.has(Cond::Hypertension);
    let chf = p.has(Cond::HeartFailure);
    let ckd = p.has(Cond::Ckd);
    if ckd {
        // Stage mix among stage 3-5 CKD (*design* near CDC CKD Surveillance: most is stage 3).
        p.ckd_code = [Dx::N18_31, Dx::N18_32, Dx::N18_30, Dx::N18_4, Dx::N18_5]
            [rng.weighted(&[0.45, 0.25, 0.12, 0.12, 0.06])];
    }
    let stage5 = p.ckd_code == Dx::N18_5;
    let mut problems = Vec::new();
    match (htn, chf, ckd) {
        (true, true, true) => problems.push((
            if stage5 { Dx::I13_2 } else { Dx::I13_0 },
            Cond::Hypertension,
        )),
        (true, true, false) => problems.push((Dx::I11_0, Cond::Hypertension)),
        (true, false, true) => problems.push((
            if stage5 { Dx::I12_0 } else { Dx::I12_9 },
            Cond::Hypertension,
        )),
        (true, false, false) => problems.push((Dx::I10, Cond::Hypertension)),
        _ => {}
    }
    if chf {
        problems.push((
            [Dx::I50_22, Dx::I50_32, Dx::I50_9][rng.weighted(&[0.45, 0.40, 0.15])],
            Cond::HeartFailure,
        ));
    }
    if ckd {
        problems.push((p.ckd_code, Cond::Ckd));
    }
    if p.has(Cond::Diabetes) {
        let mut any = false;
        if ckd && rng.chance(0.6) {
            problems.push((Dx::E11_22, Cond::Diabetes));
            any = true;
        }
        if rng.chance(0.2) {
            problems.push((Dx::E11_40, Cond::Diabetes));
            any = true;
        }
        if !any {
            problems.push((Dx::E11_9, Cond::Diabetes));
        }
    }
    if p.has(Cond::Hyperlipidemia) {
        problems.push((
            if rng.chance(0.8) {
                Dx::E78_5
            } else {
                Dx::E78_00
            },
            Cond::Hyperlipidemia,
        ));
    }
    if p.has(Cond::Copd) {
        problems.push((Dx::J44_9, Cond::Copd));
    }
    if p.has(Cond::Asthma) {
        problems.push((
            if rng.chance(0.7) {
                Dx::J45_909
            } else {
                Dx::J45_40
            },
            Cond::Asthma,
        ));
    }
    if p.has(Cond::Depression) {
        problems.push((
            if rng.chance(0.6) {
                Dx::F32_9
            } else {
                Dx::F33_1
            },
            Cond::Depression,
        ));
    }
    if p.has(Cond::AtrialFibrillation) {
        problems.push((
            if rng.chance(0.7) {
                Dx::I48_91
            } else {
                Dx::I48_20
            },
            Cond::AtrialFibrillation,
        ));
    }
    if p.has(Cond::CoronaryDisease) {
        problems.push((Dx::I25_10, Cond::CoronaryDisease));
    }
    let mut cancer = Vec::new();
    if p.has(Cond::BreastCancer) {
        cancer.push((
            if rng.chance(0.5) {
                Dx::C50_911
            } else {
                Dx::C50_912
            },
            0,
        ));
    }
    if p.has(Cond::ColorectalCancer) {
        cancer.push((if rng.chance(0.7) { Dx::C18_9 } else { Dx::C20 }, 1));
    }
    if p.has(Cond::LungCancer) {
        cancer.push((
            if rng.chance(0.6) {
                Dx::C34_90
            } else {
                Dx::C34_11
            },
            2,
        ));
    }
    for &(code, site) in &cancer {
        let cond = [Cond::BreastCancer, Cond::ColorectalCancer, Cond::LungCancer][site];
        problems.push((code, cond));
        p.cancer_codes.push(code);
        if rng.chance(epi::METASTATIC_SHARE[site]) {
            p.metastatic = true;
            let m = [Dx::C78_00, Dx::C78_7, Dx::C79_51, Dx::C79_31][rng.below(4)];
            problems.push((m, cond));
            p.cancer_codes.push(m);
        }
    }
    if p.has(Cond::Dementia) {
        if rng.chance(0.4) {
            problems.push((Dx::G30_9, Cond::Dementia));
        } else {
            problems.push((Dx::F03_90, Cond::Dementia));
        }
    }
    if p.has(Cond::Obesity) && p.adult() && rng.chance(0.6) {
        // Obesity is under-coded: about 60 % of adults with BMI ≥ 30 carry the code (*design*).
        problems.push((Dx::E66_9, Cond::Obesity));
    }
    if p.has(Cond::RheumatoidArthritis) {
        problems.push((Dx::M06_9, Cond::RheumatoidArthritis));
    }
    if p.has(Cond::Gerd) {
        problems.push((Dx::K21_9, Cond::Gerd));
    }
    if p.has(Cond::ErectileDysfunction) {
        problems.push((Dx::N52_9, Cond::ErectileDysfunction));
    }
    p.problems = problems;
}

fn draw_physiology(rng: &mut Rng, p: &mut Person) {
    // Body-mass index: obese adults 30-50 (skewed), others 18.5-29.9; children lower.
    p.bmi = if p.has(Cond::Obesity) {
        30.0 + rng.exponential(4.5).min(22.0)
    } else if p.adult() {
        rng.normal_in(25.5, 2.6, 18.6, 29.9)
    } else {
        rng.normal_in(18.0, 2.5, 14.0, 24.0)
    };
    if p.bmi >= 40.0 {
        for (d, _) in p.problems.iter_mut() {
            if *d == Dx::E66_9 {
                *d = Dx::E66_01;
            }
        }
    }
    if p.has(Cond::Hypertension) {
        if rng.chance(epi::BP_CONTROLLED_SHARE) {
            p.sbp = rng.normal_in(126.0, 6.0, 108.0, 136.0);
            p.dbp = rng.normal_in(77.0, 5.0, 62.0, 86.0);
        } else {
            p.sbp = rng.normal_in(150.0, 9.0, 141.0, 185.0);
            p.dbp = rng.normal_in(89.0, 7.0, 75.0, 110.0);
        }
    } else {
        p.sbp = rng.normal_in(116.0, 8.0, 95.0, 132.0);
        p.dbp = rng.normal_in(73.0, 6.0, 58.0, 82.0);
    }
    if p.has(Cond::Diabetes) {
        // HbA1c among US adults with diagnosed diabetes: mean about 7.5 %, about a fifth above
        // 9 % (NHANES; Fang et al., NEJM 2021).
        p.a1c = rng.normal_in(7.5, 1.3, 5.8, 12.5);
        p.insulin = (p.a1c > 8.5 && rng.chance(0.5)) || rng.chance(0.1);
        if p.a1c > 9.0 {
            p.problems.push((Dx::E11_65, Cond::Diabetes));
        }
        if p.insulin {
            p.problems.push((Dx::Z79_4, Cond::Diabetes));
        }
        p.uacr = (rng.normal(2.9, 1.1)).exp().clamp(3.0, 1500.0);
    } else {
        p.a1c = rng.normal_in(5.3, 0.3, 4.4, 6.2);
        p.uacr = (rng.normal(2.0, 0.7)).exp().clamp(2.0, 300.0);
    }
    p.ldl = rng.normal_in(
        if p.has(Cond::Hyperlipidemia) {
            135.0
        } else {
            105.0
        },
        28.0,
        45.0,
        240.0,
    );
    p.hdl = rng.normal_in(if p.female() { 58.0 } else { 47.0 }, 11.0, 25.0, 100.0);
    p.trig = rng.normal_in(135.0, 55.0, 40.0, 600.0);
    p.egfr = if p.has(Cond::Ckd) {
        match p.ckd_code {
            Dx::N18_31 => rng.uniform(45.0, 59.5),
            Dx::N18_32 => rng.uniform(30.0, 44.5),
            Dx::N18_30 => rng.uniform(30.0, 59.5),
            Dx::N18_4 => rng.uniform(15.0, 29.5),
            _ => rng.uniform(6.0, 14.5),
        }
    } else {
        (115.0 - 0.7 * (p.age - 20).max(0) as f64 + rng.normal(0.0, 10.0)).clamp(61.0, 130.0)
    };
    p.hgb = if p.female() {
        rng.normal_in(13.3, 1.0, 10.5, 16.0)
    } else {
        rng.normal_in(14.7, 1.1, 11.5, 17.5)
    };
    if p.egfr < 30.0 {
        p.hgb -= 1.8;
    }
    if p.has_cancer() {
        p.hgb -= 1.0;
    }
    if p.has(Cond::AtrialFibrillation) {
        // Anticoagulation in AF: DOACs now outnumber warfarin (NCDR PINNACLE: about two thirds of
        // anticoagulated AF patients on a DOAC by 2019); *design*: 60 % apixaban, 30 % warfarin.
        let x = rng.f64();
        p.anticoagulant = if x < 0.60 {
            Some(Rx::Apixaban)
        } else if x < 0.90 {
            Some(Rx::Warfarin)
        } else {
            None
        };
    }
}

fn draw_death(rng: &mut Rng, p: &mut Person) {
    let mut multiplier = 1.0;
    if p.has(Cond::HeartFailure) {
        multiplier *= 2.0;
    }
    if p.metastatic {
        multiplier *= 6.0;
    }
    if p.has(Cond::Dementia) {
        multiplier *= 2.0;
    }
    if p.has(Cond::Copd) {
        multiplier *= 1.5;
    }
    if p.egfr < 30.0 {
        multiplier *= 2.0;
    }
    // Mortality multipliers are *design* values standing in for the excess mortality these
    // conditions carry; without them all deaths would be "healthy" people.
    let annual = (epi::ANNUAL_DEATH_RATE[p.band.min(BANDS - 1)] * multiplier).min(0.6);
    let years = (END_DAY - p.first_day) as f64 / 365.0;
    let p_death = 1.0 - (1.0 - annual).powf(years);
    if rng.chance(p_death) {
        let day = rng.range(p.first_day + 60, END_DAY - 1);
        if day > p.first_day {
            p.death_day = Some(day);
            p.last_day = day;
        }
    }
}

/// Tests whose last date steers how often routine care repeats them.
#[derive(Debug, Clone, Copy)]
pub enum Tracked {
    Hba1c,
    Lipid,
    Bmp,
    Uacr,
    Tsh,
    Cbc,
}

impl Person {
    /// Days since the test was last done in routine care (large when never).
    pub fn days_since(&self, t: Tracked, day: i64) -> i64 {
        day - self.last_test[t as usize]
    }
    pub fn mark(&mut self, t: Tracked, day: i64) {
        self.last_test[t as usize] = day;
    }
}
