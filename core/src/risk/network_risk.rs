//! Network-level risk: one row per patient with the comorbidity indices, the CMS-HCC V28 score,
//! the LACE score of the latest stay and the pyramid tier; registry membership; a summary for
//! the network report. Scores use every ICD-10-CM diagnosis on the merged record (SNOMED CT
//! conditions through the crosswalk; social-history findings excluded), as of the data end.

use super::charlson::{
    CharlsonOptions, charlson_categories_of, charlson_hierarchy, charlson_score_bits,
};
use super::elixhauser::{elixhauser_categories_of, elixhauser_hierarchy, elixhauser_score_bits};
use super::hcc::{HccOptions, hcc_profile};
use super::readmission_scores::ReadmissionScorePolicy;
use super::registries::{RegistryRule, default_registries};
use super::tiers::{TierPolicy, TierScore, assign_tiers};
use crate::error::Result;
use crate::model::{PatientIdx, Sex};
use crate::network::Network;
use crate::table::{Column, Table};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Everything configurable in the network risk table.
#[derive(Debug, Clone, Default)]
pub struct RiskPolicy {
    pub tiers: TierPolicy,
    pub registries: Vec<RegistryRule>,
    pub readmission: ReadmissionScorePolicy,
    /// "Now" for ages, registries and rising risk (default: [`Network::data_end`]).
    pub as_of: Option<Timestamp>,
}

impl RiskPolicy {
    /// Default tiers, the default registries and LACE/HOSPITAL conventions.
    pub fn standard() -> Self {
        RiskPolicy {
            registries: default_registries(),
            ..RiskPolicy::default()
        }
    }
}

/// One patient's risk row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientRisk {
    pub patient_id: String,
    pub charlson: i32,
    pub elixhauser: i32,
    pub hcc_v28: Option<f64>,
    pub lace: Option<i32>,
    pub tier: String,
    pub registries: Vec<String>,
}

/// Tier counts and registry sizes, for the network report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskSummary {
    pub patients: usize,
    /// The score tiers are cut on.
    pub tier_score: String,
    pub tiers: BTreeMap<String, usize>,
    pub registries: BTreeMap<String, usize>,
    /// Patients with an HCC V28 score (age and sex known).
    pub with_hcc_score: usize,
    pub mean_hcc_v28: Option<f64>,
    /// Completed stays scored, and those in the high LACE (>= 10) band.
    pub stays_scored: usize,
    pub lace_high: usize,
}

fn age_at(birth: Option<Timestamp>, at: Option<Timestamp>) -> Option<i64> {
    let (b, a) = (birth?, at?);
    let y = b.years_until(a);
    (y >= 0).then_some(y)
}

impl Network {
    fn scores_at(&self, p: PatientIdx, at: Option<Timestamp>) -> (i32, i32, Option<f64>) {
        let codes = self.patient_icd10_codes(p, at);
        let (mut cb, mut eb) = (0u64, 0u64);
        for c in &codes {
            cb |= charlson_categories_of(c, Default::default());
            eb |= elixhauser_categories_of(c, Default::default());
        }
        let charlson =
            charlson_score_bits(charlson_hierarchy(cb), CharlsonOptions::default().weights);
        let elix = elixhauser_score_bits(elixhauser_hierarchy(eb), Default::default());
        let pat = self.patient(p);
        let end = match (at, pat.death_date) {
            (Some(a), Some(d)) => Some(a.min(d)),
            (a, _) => a,
        };
        let age = age_at(pat.birth_date, end);
        let sex = pat.sex;
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let hcc = match sex {
            Sex::Female | Sex::Male => hcc_profile(&refs, age, sex, &HccOptions::default()).1,
            _ => None,
        };
        (charlson, elix, hcc)
    }

    /// Per-patient risk rows under a policy, patients in network order.
    pub fn patient_risks(&self, policy: &RiskPolicy) -> Result<Vec<PatientRisk>> {
        policy.tiers.validate()?;
        let now = policy.as_of.or_else(|| self.data_end());
        let then = now.map(|t| t.plus_days(-policy.tiers.rising_window_days));
        let mut latest_lace: HashMap<PatientIdx, i32> = HashMap::new();
        for s in self.stay_risk_scores(&policy.readmission) {
            if now.is_none_or(|n| s.stay.admit <= n) {
                latest_lace.insert(s.stay.patient, s.lace.total);
            }
        }
        let patients = self.patient_list();
        let mut rows = Vec::with_capacity(patients.len());
        let mut current = Vec::with_capacity(patients.len());
        let mut previous = Vec::with_capacity(patients.len());
        for &p in patients {
            let (charlson, elixhauser, hcc_v28) = self.scores_at(p, now);
            let pick = |c: i32, e: i32, h: Option<f64>| match policy.tiers.score {
                TierScore::HccV28 => h,
                TierScore::Charlson => Some(c as f64),
                TierScore::Elixhauser => Some(e as f64),
            };
            current.push(pick(charlson, elixhauser, hcc_v28));
            // The score at the start of the window, only for patients already known then.
            let known_then = then.is_some_and(|t| {
                self.patient_encounters(p)
                    .next()
                    .is_some_and(|e| self.encounter(e).start <= t)
            });
            previous.push(if known_then {
                let (c, e, h) = self.scores_at(p, then);
                pick(c, e, h)
            } else {
                None
            });
            let codes = self.patient_current_icd10_codes(p, now);
            let registries = self
                .patient_registries(p, &codes, &policy.registries, now)
                .into_iter()
                .map(str::to_string)
                .collect();
            rows.push(PatientRisk {
                patient_id: self.patient_id(p).to_string(),
                charlson,
                elixhauser,
                hcc_v28,
                lace: latest_lace.get(&p).copied(),
                tier: String::new(),
                registries,
            });
        }
        let tiers = assign_tiers(&current, &previous, &policy.tiers)?;
        for (r, t) in rows.iter_mut().zip(tiers) {
            r.tier = t;
        }
        Ok(rows)
    }

    /// `patient_id`, `charlson` (Quan 2011), `elixhauser` (van Walraven), `hcc_v28` (Float,
    /// `None` without birth date or sex), `lace` (Int, latest completed stay, `None` without a
    /// stay), `tier` (Str) under [`RiskPolicy::standard`].
    pub fn risk_table(&self) -> Table {
        // The standard policy is valid by construction, so this cannot fail.
        let rows = self
            .patient_risks(&RiskPolicy::standard())
            .unwrap_or_default();
        risk_rows_table(&rows)
    }

    /// Tier counts and registry sizes under [`RiskPolicy::standard`].
    pub fn risk_summary(&self) -> RiskSummary {
        let policy = RiskPolicy::standard();
        let rows = self.patient_risks(&policy).unwrap_or_default();
        let stays = self.stay_risk_scores(&policy.readmission);
        summarise(
            &rows,
            &policy,
            stays.len(),
            stays.iter().filter(|s| s.lace.total >= 10).count(),
        )
    }

    /// One row per (patient, registry): `patient_id`, `registry`.
    pub fn registries_table(&self) -> Table {
        let rows = self
            .patient_risks(&RiskPolicy::standard())
            .unwrap_or_default();
        let (mut ids, mut regs) = (Vec::new(), Vec::new());
        for r in &rows {
            for g in &r.registries {
                ids.push(Some(r.patient_id.clone()));
                regs.push(Some(g.clone()));
            }
        }
        Table::new()
            .with("patient_id", Column::Str(ids))
            .with("registry", Column::Str(regs))
    }
}

/// The risk table of precomputed rows.
pub fn risk_rows_table(rows: &[PatientRisk]) -> Table {
    Table::new()
        .with(
            "patient_id",
            Column::Str(rows.iter().map(|r| Some(r.patient_id.clone())).collect()),
        )
        .with(
            "charlson",
            Column::Int(rows.iter().map(|r| Some(r.charlson as i64)).collect()),
        )
        .with(
            "elixhauser",
            Column::Int(rows.iter().map(|r| Some(r.elixhauser as i64)).collect()),
        )
        .with(
            "hcc_v28",
            Column::Float(rows.iter().map(|r| r.hcc_v28).collect()),
        )
        .with(
            "lace",
            Column::Int(rows.iter().map(|r| r.lace.map(i64::from)).collect()),
        )
        .with(
            "tier",
            Column::Str(rows.iter().map(|r| Some(r.tier.clone())).collect()),
        )
}

fn summarise(
    rows: &[PatientRisk],
    policy: &RiskPolicy,
    stays: usize,
    lace_high: usize,
) -> RiskSummary {
    let mut tiers: BTreeMap<String, usize> = policy
        .tiers
        .tier_names()
        .into_iter()
        .map(|n| (n.to_string(), 0))
        .collect();
    let mut registries: BTreeMap<String, usize> = policy
        .registries
        .iter()
        .map(|r| (r.name.clone(), 0))
        .collect();
    for r in rows {
        *tiers.entry(r.tier.clone()).or_default() += 1;
        for g in &r.registries {
            *registries.entry(g.clone()).or_default() += 1;
        }
    }
    let hcc: Vec<f64> = rows.iter().filter_map(|r| r.hcc_v28).collect();
    RiskSummary {
        patients: rows.len(),
        tier_score: policy.tiers.score.as_str().to_string(),
        tiers,
        registries,
        with_hcc_score: hcc.len(),
        mean_hcc_v28: (!hcc.is_empty()).then(|| hcc.iter().sum::<f64>() / hcc.len() as f64),
        stays_scored: stays,
        lace_high,
    }
}
