//! LACE and HOSPITAL readmission-risk scores, as point tables and per inpatient stay.
//!
//! - LACE: van Walraven C, Dhalla IA, Bell C, et al. CMAJ 2010;182(6):551-7. L length of stay
//!   (under 1 day 0, 1: 1, 2: 2, 3: 3, 4-6: 4, 7-13: 5, 14 or more: 7), A acute/emergent
//!   admission 3, C Charlson index (0-3: same, 4 or more: 5), E ED visits in the 6 months before
//!   admission (0-3: same, 4 or more: 4). Range 0-19; low 0-4, moderate 5-9, high 10 or more.
//! - HOSPITAL: Donzé J, Aujesky D, Williams D, Schnipper JL. JAMA Intern Med 2013;173(8):632-8.
//!   H haemoglobin under 12 g/dL at discharge 1, O discharge from oncology 2, S sodium under
//!   135 mmol/L at discharge 1, P any procedure during the stay 1, IT non-elective index
//!   admission 1, A admissions in the previous 12 months (0-1: 0, 2-5: 2, over 5: 5), L length of
//!   stay 5 days or more 2. Range 0-13; low 0-4, intermediate 5-6, high 7 or more.

use super::charlson::{
    CharlsonOptions, CharlsonWeights, charlson_categories_of, charlson_hierarchy,
    charlson_score_bits,
};
use crate::code::CodeSystem;
use crate::continuum::Stay;
use crate::model::{AdmissionType, ObsValue, PatientIdx, ProcedureKind, Setting};
use crate::network::Network;
use crate::table::{Column, Table};
use crate::time::Timestamp;
use serde::Serialize;

/// LACE components (points) and total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lace {
    pub l: i32,
    pub a: i32,
    pub c: i32,
    pub e: i32,
    pub total: i32,
}

/// LACE points from the raw inputs: length of stay in days, acute admission, Charlson index,
/// ED visits in the previous 6 months.
pub fn lace_points(los_days: i64, acute: bool, charlson: i32, ed_visits_6m: usize) -> Lace {
    let l = match los_days {
        i64::MIN..=0 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4..=6 => 4,
        7..=13 => 5,
        _ => 7,
    };
    let a = if acute { 3 } else { 0 };
    let c = match charlson {
        i32::MIN..=0 => 0,
        1..=3 => charlson,
        _ => 5,
    };
    let e = ed_visits_6m.min(4) as i32;
    Lace {
        l,
        a,
        c,
        e,
        total: l + a + c + e,
    }
}

/// LACE band: `low` 0-4, `moderate` 5-9, `high` >=10.
pub fn lace_band(total: i32) -> &'static str {
    match total {
        i32::MIN..=4 => "low",
        5..=9 => "moderate",
        _ => "high",
    }
}

/// HOSPITAL inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HospitalInput {
    pub low_haemoglobin: bool,
    pub oncology_discharge: bool,
    pub low_sodium: bool,
    pub procedure_during_stay: bool,
    pub non_elective: bool,
    pub admissions_12m: usize,
    pub los_days: i64,
}

/// HOSPITAL components (points) and total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hospital {
    pub h: i32,
    pub o: i32,
    pub s: i32,
    pub p: i32,
    pub it: i32,
    pub a: i32,
    pub l: i32,
    pub total: i32,
}

pub fn hospital_points(x: &HospitalInput) -> Hospital {
    let h = i32::from(x.low_haemoglobin);
    let o = 2 * i32::from(x.oncology_discharge);
    let s = i32::from(x.low_sodium);
    let p = i32::from(x.procedure_during_stay);
    let it = i32::from(x.non_elective);
    let a = match x.admissions_12m {
        0..=1 => 0,
        2..=5 => 2,
        _ => 5,
    };
    let l = if x.los_days >= 5 { 2 } else { 0 };
    Hospital {
        h,
        o,
        s,
        p,
        it,
        a,
        l,
        total: h + o + s + p + it + a + l,
    }
}

/// HOSPITAL band: `low` 0-4, `intermediate` 5-6, `high` >=7.
pub fn hospital_band(total: i32) -> &'static str {
    match total {
        i32::MIN..=4 => "low",
        5..=6 => "intermediate",
        _ => "high",
    }
}

/// How length of stay is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LosConvention {
    /// Calendar days from admission to discharge (midnights; same-day stay = 0). Default.
    #[default]
    Midnights,
    /// Counting both the admission and the discharge day (Alberta's LACE instructions).
    InclusiveDays,
}

/// Network-level choices for LACE and HOSPITAL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadmissionScorePolicy {
    pub los: LosConvention,
    /// Charlson weights for LACE's C (the 2010 paper used the Charlson index; default 1987).
    pub lace_charlson_weights: CharlsonWeights,
    /// Haemoglobin below this (g/dL) scores H.
    pub haemoglobin_threshold: f64,
    /// Sodium below this (mmol/L) scores S.
    pub sodium_threshold: f64,
}

impl Default for ReadmissionScorePolicy {
    fn default() -> Self {
        ReadmissionScorePolicy {
            los: LosConvention::Midnights,
            lace_charlson_weights: CharlsonWeights::Charlson1987,
            haemoglobin_threshold: 12.0,
            sodium_threshold: 135.0,
        }
    }
}

/// LOINC codes read at discharge.
pub const LOINC_HAEMOGLOBIN: &str = "718-7";
pub const LOINC_SODIUM: &str = "2951-2";

/// LACE and HOSPITAL of one stay.
#[derive(Debug, Clone)]
pub struct StayRiskScores {
    pub stay: Stay,
    pub lace: Lace,
    pub hospital: Hospital,
}

impl Network {
    /// ICD-10-CM codes (normalised) a patient carries up to `until` (all when `None`):
    /// ICD-10-CM conditions and encounter diagnoses, and SNOMED CT conditions mapped with
    /// [`crate::crosswalk::snomed_to_icd10cm`]. Social-history findings never count.
    pub fn patient_icd10_codes(&self, p: PatientIdx, until: Option<Timestamp>) -> Vec<String> {
        self.icd10_codes(p, until, false)
    }

    /// Like [`Network::patient_icd10_codes`], without conditions resolved (abated) by `at`:
    /// the diagnoses that are current at `at` (registries).
    pub fn patient_current_icd10_codes(&self, p: PatientIdx, at: Option<Timestamp>) -> Vec<String> {
        self.icd10_codes(p, at, true)
    }

    fn icd10_codes(&self, p: PatientIdx, until: Option<Timestamp>, current: bool) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.patient_conditions(p) {
            if c.category == crate::model::ConditionCategory::SocialHistory {
                continue;
            }
            if current
                && let Some(ab) = c.abatement
                && until.is_none_or(|u| ab <= u)
            {
                continue;
            }
            if let (Some(u), Some(onset)) = (until, c.onset)
                && onset > u
            {
                continue;
            }
            let raw = self.str(c.code.value);
            match c.code.system {
                CodeSystem::Icd10Cm => out.extend(super::batch::normalize_dx(raw)),
                CodeSystem::Snomed => {
                    if !crate::crosswalk::is_social_history(raw)
                        && let Some(icd) = crate::crosswalk::snomed_to_icd10cm(raw)
                    {
                        out.push(icd.to_string());
                    }
                }
                _ => {}
            }
        }
        for e in self.patient_encounters(p) {
            if until.is_some_and(|u| self.encounter(e).start > u) {
                continue;
            }
            for d in self.encounter_diagnoses(e) {
                if d.code.system == CodeSystem::Icd10Cm {
                    out.extend(super::batch::normalize_dx(self.str(d.code.value)));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Charlson index of a patient from the codes known up to `until`.
    pub fn patient_charlson(
        &self,
        p: PatientIdx,
        until: Option<Timestamp>,
        opts: &CharlsonOptions,
    ) -> i32 {
        let bits = self
            .patient_icd10_codes(p, until)
            .iter()
            .fold(0u64, |b, c| b | charlson_categories_of(c, opts.icd));
        let bits = if opts.hierarchy {
            charlson_hierarchy(bits)
        } else {
            bits
        };
        charlson_score_bits(bits, opts.weights)
    }

    /// Whether a stay's admission was acute (emergency, urgent or trauma). With no admission
    /// type recorded, an ED visit ending on the admission day or the day before counts as
    /// acute (the patient came through the ED).
    fn stay_is_acute(&self, stay: &Stay) -> bool {
        match stay.admission_type {
            AdmissionType::Emergency | AdmissionType::Urgent | AdmissionType::Trauma => true,
            AdmissionType::Elective | AdmissionType::Newborn => false,
            AdmissionType::Unknown => self.patient_encounters(stay.patient).any(|e| {
                let enc = self.encounter(e);
                enc.setting == Setting::Emergency
                    && enc.start <= stay.admit
                    && enc.end.unwrap_or(enc.start).days_until(stay.admit) <= 1
            }),
        }
    }

    /// Last numeric value of a LOINC observation during the stay (g/L haemoglobin is
    /// converted to g/dL).
    fn last_value_in_stay(&self, stay: &Stay, loinc: &str) -> Option<f64> {
        let end = stay.discharge?;
        let mut best: Option<(Timestamp, f64)> = None;
        for o in self.patient_observations(stay.patient) {
            let (Some(t), ObsValue::Number(v)) = (o.time, o.value) else {
                continue;
            };
            if t < stay.admit || t > end || self.str(o.code.value) != loinc {
                continue;
            }
            let unit = o.unit.map(|u| self.str(u).to_ascii_lowercase());
            let v = if loinc == LOINC_HAEMOGLOBIN && unit.as_deref() == Some("g/l") {
                v / 10.0
            } else {
                v
            };
            if best.is_none_or(|(bt, _)| t >= bt) {
                best = Some((t, v));
            }
        }
        best.map(|b| b.1)
    }

    /// Discharged from oncology: the discharging practitioner's specialty mentions oncology,
    /// or a principal diagnosis of the stay is a malignant neoplasm (the Simplified HOSPITAL score,
    /// Aubert et al., BMJ Qual Saf 2017, uses the same proxy where services are not recorded).
    fn oncology_discharge(&self, stay: &Stay) -> bool {
        let last = self.encounter(stay.last_encounter());
        let specialty = last
            .practitioner
            .and_then(|p| self.practitioners.get(p.idx()))
            .and_then(|p| p.specialty)
            .is_some_and(|s| self.str(s).to_ascii_lowercase().contains("oncol"));
        specialty
            || stay.encounters.iter().any(|&e| {
                self.encounter_diagnoses(e).any(|d| {
                    // In ICD-10-CM every C code is a malignant neoplasm (C00-C96, C4A, C7A, C7B).
                    d.principal
                        && d.code.system == CodeSystem::Icd10Cm
                        && self.str(d.code.value).starts_with('C')
                })
            })
    }

    fn procedure_during_stay(&self, stay: &Stay) -> bool {
        let Some(end) = stay.discharge else {
            return false;
        };
        self.patient_procedures(stay.patient).any(|pr| {
            pr.kind == ProcedureKind::Performed
                && (pr.encounter.is_some_and(|e| stay.encounters.contains(&e))
                    || pr.time.is_some_and(|t| t >= stay.admit && t <= end))
        })
    }

    /// LACE and HOSPITAL of every completed acute stay (stays without a discharge are skipped).
    pub fn stay_risk_scores(&self, policy: &ReadmissionScorePolicy) -> Vec<StayRiskScores> {
        let charlson_opts = CharlsonOptions {
            weights: policy.lace_charlson_weights,
            ..CharlsonOptions::default()
        };
        let mut out = Vec::new();
        for stay in self.stays() {
            let Some(discharge) = stay.discharge else {
                continue;
            };
            let mut los = stay.admit.days_until(discharge);
            if policy.los == LosConvention::InclusiveDays {
                los += 1;
            }
            let acute = self.stay_is_acute(&stay);
            let charlson = self.patient_charlson(stay.patient, Some(discharge), &charlson_opts);
            let ed = self.ed_visits_before(stay.patient, stay.admit, 182);
            let lace = lace_points(los, acute, charlson, ed);
            let input = HospitalInput {
                low_haemoglobin: self
                    .last_value_in_stay(&stay, LOINC_HAEMOGLOBIN)
                    .is_some_and(|v| v < policy.haemoglobin_threshold),
                oncology_discharge: self.oncology_discharge(&stay),
                low_sodium: self
                    .last_value_in_stay(&stay, LOINC_SODIUM)
                    .is_some_and(|v| v < policy.sodium_threshold),
                procedure_during_stay: self.procedure_during_stay(&stay),
                non_elective: acute,
                admissions_12m: self.admissions_before(&stay, 365),
                los_days: los,
            };
            let hospital = hospital_points(&input);
            out.push(StayRiskScores {
                stay,
                lace,
                hospital,
            });
        }
        out
    }

    /// One row per completed stay: `patient_id`, `admit_encounter_id`, `discharge_encounter_id`,
    /// `admit`, `discharge`, `lace`, `lace_band`, `hospital`, `hospital_band`.
    pub fn readmission_risk_table(&self) -> Table {
        let rows = self.stay_risk_scores(&ReadmissionScorePolicy::default());
        Table::new()
            .with(
                "patient_id",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.patient_id(r.stay.patient).to_string()))
                        .collect(),
                ),
            )
            .with(
                "admit_encounter_id",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.encounter_id(r.stay.first_encounter()).to_string()))
                        .collect(),
                ),
            )
            .with(
                "discharge_encounter_id",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.encounter_id(r.stay.last_encounter()).to_string()))
                        .collect(),
                ),
            )
            .with(
                "admit",
                Column::Time(rows.iter().map(|r| Some(r.stay.admit)).collect()),
            )
            .with(
                "discharge",
                Column::Time(rows.iter().map(|r| r.stay.discharge).collect()),
            )
            .with(
                "lace",
                Column::Int(rows.iter().map(|r| Some(r.lace.total as i64)).collect()),
            )
            .with(
                "lace_band",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(lace_band(r.lace.total).to_string()))
                        .collect(),
                ),
            )
            .with(
                "hospital",
                Column::Int(rows.iter().map(|r| Some(r.hospital.total as i64)).collect()),
            )
            .with(
                "hospital_band",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(hospital_band(r.hospital.total).to_string()))
                        .collect(),
                ),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lace_length_of_stay_boundaries() {
        let l = |d| lace_points(d, false, 0, 0).l;
        assert_eq!(
            [0, 1, 2, 3, 4, 6, 7, 13, 14, 40].map(l),
            [0, 1, 2, 3, 4, 4, 5, 5, 7, 7]
        );
    }

    #[test]
    fn lace_other_components_and_bands() {
        assert_eq!(lace_points(0, true, 0, 0).a, 3);
        let c = |x| lace_points(0, false, x, 0).c;
        assert_eq!([0, 1, 2, 3, 4, 9].map(c), [0, 1, 2, 3, 5, 5]);
        let e = |x| lace_points(0, false, 0, x).e;
        assert_eq!([0, 1, 3, 4, 12].map(e), [0, 1, 3, 4, 4]);
        // Maximum 7 + 3 + 5 + 4 = 19.
        assert_eq!(lace_points(20, true, 8, 9).total, 19);
        assert_eq!(
            [4, 5, 9, 10].map(lace_band),
            ["low", "moderate", "moderate", "high"]
        );
    }

    #[test]
    fn hospital_boundaries() {
        let a = |n| {
            hospital_points(&HospitalInput {
                admissions_12m: n,
                ..Default::default()
            })
            .a
        };
        assert_eq!([0, 1, 2, 5, 6].map(a), [0, 0, 2, 2, 5]);
        let l = |d| {
            hospital_points(&HospitalInput {
                los_days: d,
                ..Default::default()
            })
            .l
        };
        assert_eq!([4, 5, 9].map(l), [0, 2, 2]);
        let all = hospital_points(&HospitalInput {
            low_haemoglobin: true,
            oncology_discharge: true,
            low_sodium: true,
            procedure_during_stay: true,
            non_elective: true,
            admissions_12m: 6,
            los_days: 5,
        });
        assert_eq!(all.total, 13);
        assert_eq!(
            [4, 5, 6, 7].map(hospital_band),
            ["low", "intermediate", "intermediate", "high"]
        );
    }
}
