//! The public figures the synthetic population is drawn from. Every number says where it comes
//! from; numbers marked *design* are choices made so that each analysis of the product finds
//! cases to report (they are kept close to published magnitudes where one exists).
//!
//! Age bands used throughout: `0` = under 18, `1` = 18-44, `2` = 45-64, `3` = 65-74,
//! `4` = 75-84, `5` = 85 and over (the CDC National Diabetes Statistics Report and NCHS tables
//! use 18-44 / 45-64 / 65+; the oldest bands are split because dementia and heart failure
//! climb steeply after 75).

/// Number of age bands.
pub const BANDS: usize = 6;

pub fn band_of(age: i64) -> usize {
    match age {
        i64::MIN..=17 => 0,
        18..=44 => 1,
        45..=64 => 2,
        65..=74 => 3,
        75..=84 => 4,
        _ => 5,
    }
}

/// Age at the end of the data, by band: `(first age, last age, weight in percent)`.
///
/// Adult weights are the 2020 Census shares of the US resident population (U.S. Census Bureau,
/// 2020 Census Demographic and Housing Characteristics File; 16.8 % of the population was 65 or
/// older, 22.1 % under 18), rounded: 18-24 9.4, 25-34 13.9, 35-44 12.7, 45-54 12.4, 55-64 12.9,
/// 65-74 9.7, 75-84 4.9, 85+ 2.0. Children are given half their census share (*design*: a CIN's
/// attributed population is mostly adult; its children are the family-medicine patients).
pub const AGE_BANDS: &[(i64, i64, f64)] = &[
    (0, 4, 2.85),
    (5, 17, 8.2),
    (18, 24, 9.4),
    (25, 34, 13.9),
    (35, 44, 12.7),
    (45, 54, 12.4),
    (55, 64, 12.9),
    (65, 74, 9.7),
    (75, 84, 4.9),
    (85, 99, 2.0),
];

/// Share of women by band. 2020 Census: 50.5 % of the population is female, rising with age
/// because women live longer (the 85+ population is about 63 % female). Rounded.
pub const FEMALE_SHARE: [f64; BANDS] = [0.489, 0.497, 0.508, 0.530, 0.560, 0.630];

/// The chronic conditions modelled, each one bit of a patient's condition set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Cond {
    Hypertension,
    Diabetes,
    Hyperlipidemia,
    HeartFailure,
    Copd,
    Asthma,
    Ckd,
    Depression,
    AtrialFibrillation,
    CoronaryDisease,
    BreastCancer,
    ColorectalCancer,
    LungCancer,
    Dementia,
    Obesity,
    RheumatoidArthritis,
    Gerd,
    ErectileDysfunction,
}

impl Cond {
    pub const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// Prevalence by age band (children, 18-44, 45-64, 65-74, 75-84, 85+).
///
/// * Hypertension: NCHS Data Brief 364 (Ostchega et al. 2020, NHANES 2017-2018, 130/80
///   definition): 22.4 % at 18-39, 54.5 % at 40-59, 74.5 % at 60+.
/// * Type 2 diabetes, diagnosed: CDC National Diabetes Statistics Report 2020 (total diabetes
///   about 4 % / 17 % / 27 % by 18-44 / 45-64 / 65+, of which about 77 % diagnosed; 90-95 % of
///   cases are type 2).
/// * Hyperlipidemia, diagnosed and treated: NCHS Data Brief 177 (Gu et al. 2014): 27.9 % of
///   adults 40+ took a cholesterol-lowering drug; rises with age (*design* split by band).
/// * Heart failure: AHA Heart Disease and Stroke Statistics 2024 (NHANES 2017-2020): 6.7 million
///   adults 20+ (about 2.3 %), from under 1 % before 40 to more than 10 % after 80.
/// * COPD: CDC BRFSS 2021 (Liu et al., MMWR 2023;72:1221): 4.6 % of adults, rising with age to
///   more than 10 % at 65+.
/// * Asthma, current: CDC Most Recent National Asthma Data (2021): 8.0 % of adults, 6.5 % of
///   children.
/// * CKD stages 3-5: CDC Chronic Kidney Disease in the United States, 2023: 14 % of adults;
///   6 % at 18-44, 12 % at 45-64, 34 % at 65+.
/// * Depression, diagnosed current episode: NIMH (NSDUH 2021) 8.3 % of adults had a major
///   depressive episode in the year; 10 % is used for adults (*design*), 3 % for adolescents.
/// * Atrial fibrillation: CDC AFib fact sheet: about 2 % of people under 65 and about 9 % of
///   people 65+.
/// * Coronary heart disease: AHA 2024: 7.1 % of adults 20+, rising steeply with age.
/// * Breast (women only), colorectal, lung cancer history: ACS Cancer Treatment & Survivorship
///   Facts & Figures 2022-2024: 4.1 M breast, 1.5 M colorectal, 0.57 M lung survivors in the US
///   (2.4 % of women, 0.45 %, 0.17 % of the population), most over 65.
/// * Dementia: Alzheimer's Association 2024 Facts and Figures: 5.0 % at 65-74, 13.2 % at
///   75-84, 33.4 % at 85+.
/// * Obesity (BMI ≥ 30): NHANES 2017-March 2020 (Stierman et al., NHSR 158): 41.9 % of adults,
///   19.7 % of children 2-19.
/// * Rheumatoid arthritis: about 0.6 % of US adults (Hunter et al., Rheumatol Int 2017).
/// * GERD treated with an acid suppressant: *design* below the 18-28 % symptom prevalence in
///   North America (El-Serag et al., Gut 2014).
/// * Erectile dysfunction, coded and treated (men only): *design*, well below the 52 % of men
///   40-70 with any degree in the Massachusetts Male Aging Study (Feldman 1994).
pub fn prevalence(c: Cond) -> [f64; BANDS] {
    match c {
        Cond::Hypertension => [0.0, 0.224, 0.545, 0.745, 0.745, 0.745],
        Cond::Diabetes => [0.0, 0.032, 0.135, 0.21, 0.21, 0.18],
        Cond::Hyperlipidemia => [0.0, 0.08, 0.30, 0.45, 0.45, 0.40],
        Cond::HeartFailure => [0.0, 0.003, 0.015, 0.045, 0.085, 0.13],
        Cond::Copd => [0.0, 0.015, 0.065, 0.10, 0.115, 0.115],
        Cond::Asthma => [0.065, 0.08, 0.08, 0.08, 0.08, 0.07],
        Cond::Ckd => [0.0, 0.06, 0.12, 0.28, 0.38, 0.45],
        Cond::Depression => [0.015, 0.10, 0.10, 0.09, 0.09, 0.09],
        Cond::AtrialFibrillation => [0.0, 0.005, 0.03, 0.07, 0.11, 0.15],
        Cond::CoronaryDisease => [0.0, 0.005, 0.05, 0.14, 0.20, 0.25],
        Cond::BreastCancer => [0.0, 0.003, 0.02, 0.05, 0.065, 0.065],
        Cond::ColorectalCancer => [0.0, 0.0005, 0.004, 0.012, 0.02, 0.02],
        Cond::LungCancer => [0.0, 0.0002, 0.002, 0.006, 0.008, 0.006],
        Cond::Dementia => [0.0, 0.0, 0.002, 0.05, 0.132, 0.334],
        Cond::Obesity => [0.197, 0.40, 0.443, 0.415, 0.35, 0.25],
        Cond::RheumatoidArthritis => [0.0, 0.003, 0.008, 0.012, 0.012, 0.012],
        Cond::Gerd => [0.0, 0.05, 0.10, 0.14, 0.14, 0.12],
        Cond::ErectileDysfunction => [0.0, 0.01, 0.08, 0.12, 0.10, 0.05],
    }
}

/// Probability for an exposed or unexposed person when the exposure (share `f` of the
/// population) carries relative risk `rr`, keeping the overall prevalence at `p`:
/// `p = f·p₁ + (1-f)·p₀` with `p₁ = rr·p₀`.
pub fn with_relative_risk(p: f64, rr: f64, f: f64, exposed: bool) -> f64 {
    let p0 = p / (f * rr + 1.0 - f);
    (if exposed { p0 * rr } else { p0 }).min(0.97)
}

/// Share of diagnosed cancers that are metastatic (distant stage) by site, from SEER Cancer Stat
/// Facts (stage distribution at diagnosis, 2014-2020): breast 6 %, colorectal 22 %, lung 55 %.
/// Raised for breast (*design*) so that small networks still contain metastatic breast cancer.
pub const METASTATIC_SHARE: [f64; 3] = [0.10, 0.22, 0.55];

/// Annual all-cause death rate by band, from NCHS "Deaths: Final Data for 2019" (NVSR 70-08):
/// per 100,000: 1-14 about 20, 25-44 about 165, 45-64 about 640, 65-74 1,765, 75-84 4,308,
/// 85+ 13,229 (band averages rounded).
pub const ANNUAL_DEATH_RATE: [f64; BANDS] = [0.0002, 0.0016, 0.0064, 0.0177, 0.0431, 0.1323];

/// Emergency-department visits per person-year by band. NHAMCS 2021 (NCHS ED summary tables):
/// 43.5 visits per 100 persons a year overall, highest at 75+ (about 60 per 100).
pub const ED_VISITS_PER_YEAR: [f64; BANDS] = [0.30, 0.42, 0.36, 0.40, 0.55, 0.70];

/// Share of ED visits ending in hospital admission by band. NHAMCS 2021: 13.9 % of ED visits
/// were admitted overall, about a third of visits by people 75+.
pub const ED_ADMIT_SHARE: [f64; BANDS] = [0.04, 0.07, 0.14, 0.24, 0.31, 0.36];

/// Mean length of an acute stay in days: 4.7 (HCUP NIS 2019, all-payer "Trends in hospital
/// inpatient stays"). Drawn as 1 + exponential with mean 3.7.
pub const MEAN_LOS_DAYS: f64 = 4.7;

/// Discharge destinations `(home, home health, SNF, rehab, acute transfer, against advice,
/// hospice)`, under 65 and 65+. HCUP NIS 2019 all-payer: routine 65 %, home health 17 %,
/// SNF/ICF/other facility 15 %, short-term hospital 2 %, AMA 1.4 %, died 2 % (deaths are handled
/// separately); SNF and home health are far more common after 65 (MedPAC 2023 data book).
pub const DISPOSITION_UNDER_65: [f64; 7] = [0.80, 0.10, 0.04, 0.015, 0.02, 0.02, 0.005];
pub const DISPOSITION_65_PLUS: [f64; 7] = [0.50, 0.23, 0.19, 0.035, 0.02, 0.01, 0.015];

/// 30-day readmission probability after a live discharge: `base + per_burden × burden`, capped.
/// All-payer 30-day readmission rate 14.0 %, Medicare 17.1 % (HCUP Statistical Brief #248,
/// 2016 data); high-risk patients (several chronic conditions) end near 20 % (*design*).
pub const READMIT_BASE: f64 = 0.08;
pub const READMIT_PER_BURDEN: f64 = 0.03;
pub const READMIT_CAP: f64 = 0.35;

/// Where a readmission goes: the discharging hospital, the other network hospital, the hospital
/// outside the network. *Design*: about a fifth of readmissions land at a different hospital,
/// the magnitude of readmission "care fragmentation" reported in Medicare studies.
pub const READMIT_DESTINATION: [f64; 3] = [0.76, 0.12, 0.12];

/// Follow-up visit within 7 days of a discharge home. *Design* near NEJM 2009 (Jencks, Williams
/// & Coleman: half of Medicare patients readmitted within 30 days had no physician visit in
/// between); discharges with home health also get a nurse visit within days.
pub const FOLLOWUP_7D_HOME: f64 = 0.42;

/// Direct transfer to another acute hospital on the discharge day: *design*, 2 % of stays (HCUP
/// NIS 2019: 2 % of discharges went to another short-term hospital).
pub const TRANSFER_SHARE: f64 = 0.02;

/// SNF length of stay in days. MedPAC March 2023 report: Medicare SNF stays average about 25
/// days; drawn uniformly from 10 to 35.
pub const SNF_DAYS: (i64, i64) = (10, 35);

/// Inpatient rehabilitation facility stay in days. MedPAC March 2023: mean about 12.7 days.
pub const REHAB_DAYS: (i64, i64) = (8, 17);

/// Hospice length of stay in days before death. NHPCO Facts and Figures 2022: median 18 days,
/// mean 92; drawn from 3 to 60 days (*design*: the long tail is cut to keep the window short).
pub const HOSPICE_DAYS: (i64, i64) = (3, 60);

/// Share of deaths with hospice care. NHPCO 2022: 47.3 % of Medicare decedents used hospice;
/// used for patients with cancer, dementia, heart failure or age 80+ (*design*: others 15 %).
pub const HOSPICE_SHARE_SERIOUS: f64 = 0.47;
/// Share of deaths that happen in hospital: about 30 % of US deaths (CDC WONDER, place of death
/// "medical facility - inpatient", 2019); rounded, *design*.
pub const IN_HOSPITAL_DEATH_SHARE: f64 = 0.30;

/// Office visits. NAMCS 2019: about 3.1 physician office visits per person per year, about half
/// of them in primary care. Chronic-care visits per year: `0.6 + 0.7 × chronic conditions`,
/// capped at 6 (*design* on that scale).
pub const CHRONIC_VISIT_BASE: f64 = 0.6;
pub const CHRONIC_VISIT_PER_CONDITION: f64 = 0.7;

/// Annual wellness / preventive visit uptake by band. *Design* near the 2019 NHIS share of adults
/// with a wellness visit in the past year (about 75 %) and Medicare AWV uptake (about half).
pub const WELLNESS_PER_YEAR: [f64; BANDS] = [0.85, 0.55, 0.65, 0.70, 0.70, 0.60];

/// Share of office visits held by video or phone. *Design*: telehealth settled near 15 % of
/// ambulatory visits after 2021 (FAIR Health tracker, monthly telehealth claim lines 4-5 %,
/// higher for visits).
pub const VIRTUAL_SHARE: f64 = 0.15;

/// Share of patients with an attributed PCP (care-team member with role PCP). *Design*: most
/// CIN members are attributed; about one in ten is not (no qualifying primary-care visits).
pub const ATTRIBUTED_SHARE: f64 = 0.9;

/// Hypertension controlled (<140/90) among treated hypertensives. *Design* 60 %, above the
/// 48 % national figure (Healthy People 2030 baseline, NHANES 2013-2016) as a CIN manages its
/// patients.
pub const BP_CONTROLLED_SHARE: f64 = 0.60;

/// Breast cancer screening, women 50-74, mammogram within two years: 76 % (NHIS 2019); 70 %
/// used, as the task asks.
pub const MAMMOGRAM_UP_TO_DATE: f64 = 0.70;

/// Colorectal cancer screening up to date, ages 45-75: 72 % of 50-75 (NHIS 2021), much lower
/// at 45-49; 65 % used. Split: colonoscopy 60 %, FIT 30 %, CT colonography 10 % of the
/// screened (*design* near NHIS test mix).
pub const CRC_UP_TO_DATE: f64 = 0.65;
pub const CRC_TEST_MIX: [f64; 3] = [0.60, 0.30, 0.10];
