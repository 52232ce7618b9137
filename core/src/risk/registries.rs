//! Chronic-disease registries with configurable cohort rules.
//!
//! Default registries use the ICD-10-CM code families of the CMS Chronic Conditions Data
//! Warehouse (CCW) condition algorithms (ccwdata.org, "Chronic Conditions" reference codes),
//! without CCW's claim-count rules: any current diagnosis puts a patient on the registry.
//! Optional utilisation rules narrow a registry, e.g. the Boston Public Health Commission
//! uncontrolled-asthma definition used by community asthma programmes: in the past year 3 or
//! more primary-care visits, or an ED visit, or a hospital discharge with asthma as the
//! principal diagnosis.

use crate::code::CodeSystem;
use crate::model::{PatientIdx, Setting};
use crate::network::Network;
use crate::time::Timestamp;

/// Extra utilisation condition (any one of the parts suffices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtilisationRule {
    pub window_days: i64,
    /// Ambulatory / wellness (primary-care) visits in the window; 0 disables this part.
    pub min_primary_care_visits: usize,
    /// ED visits in the window; 0 disables this part.
    pub min_ed_visits: usize,
    /// An inpatient stay in the window whose principal diagnosis matches the registry's codes.
    pub principal_discharge: bool,
}

/// One registry: its name and the ICD-10-CM prefixes (normalised, no dot) that qualify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRule {
    pub name: String,
    pub icd10_prefixes: Vec<String>,
    pub utilisation: Option<UtilisationRule>,
}

impl RegistryRule {
    pub fn new(name: &str, prefixes: &[&str]) -> Self {
        RegistryRule {
            name: name.to_string(),
            icd10_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            utilisation: None,
        }
    }
    pub fn matches(&self, code: &str) -> bool {
        self.icd10_prefixes
            .iter()
            .any(|p| code.starts_with(p.as_str()))
    }
}

/// Default registries: diabetes E08-E13; hypertension I10-I16; heart failure I50, I11.0, I13.0,
/// I13.2; COPD J41-J44; asthma J45; chronic kidney disease N18; depression F32, F33, F34.1.
pub fn default_registries() -> Vec<RegistryRule> {
    vec![
        RegistryRule::new("diabetes", &["E08", "E09", "E10", "E11", "E13"]),
        RegistryRule::new("hypertension", &["I10", "I11", "I12", "I13", "I15", "I16"]),
        RegistryRule::new("chf", &["I50", "I110", "I130", "I132"]),
        RegistryRule::new("copd", &["J41", "J42", "J43", "J44"]),
        RegistryRule::new("asthma", &["J45"]),
        RegistryRule::new("ckd", &["N18"]),
        RegistryRule::new("depression", &["F32", "F33", "F341"]),
    ]
}

/// The BPHC uncontrolled-asthma cohort (see the module documentation).
pub fn uncontrolled_asthma_registry() -> RegistryRule {
    RegistryRule {
        name: "asthma_uncontrolled".into(),
        icd10_prefixes: vec!["J45".into()],
        utilisation: Some(UtilisationRule {
            window_days: 365,
            min_primary_care_visits: 3,
            min_ed_visits: 1,
            principal_discharge: true,
        }),
    }
}

impl Network {
    /// Registries (by name, in rule order) a patient belongs to at `at` (default: data end).
    /// `codes` are the patient's current ICD-10-CM codes (see [`Network::patient_icd10_codes`]).
    pub fn patient_registries<'r>(
        &self,
        p: PatientIdx,
        codes: &[String],
        rules: &'r [RegistryRule],
        at: Option<Timestamp>,
    ) -> Vec<&'r str> {
        let mut out = Vec::new();
        for rule in rules {
            if !codes.iter().any(|c| rule.matches(c)) {
                continue;
            }
            if let Some(u) = &rule.utilisation
                && !self.meets_utilisation(p, rule, u, at)
            {
                continue;
            }
            out.push(rule.name.as_str());
        }
        out
    }

    fn meets_utilisation(
        &self,
        p: PatientIdx,
        rule: &RegistryRule,
        u: &UtilisationRule,
        at: Option<Timestamp>,
    ) -> bool {
        let Some(end) = at.or_else(|| self.data_end()) else {
            return false;
        };
        let from = end.plus_days(-u.window_days);
        let (mut pc, mut ed) = (0usize, 0usize);
        for e in self.patient_encounters(p) {
            let enc = self.encounter(e);
            if enc.start < from || enc.start > end {
                continue;
            }
            match enc.setting {
                Setting::Ambulatory | Setting::Wellness => pc += 1,
                Setting::Emergency => ed += 1,
                Setting::Inpatient if u.principal_discharge => {
                    let principal = self.encounter_diagnoses(e).any(|d| {
                        d.principal
                            && d.code.system == CodeSystem::Icd10Cm
                            && rule.matches(self.str(d.code.value))
                    });
                    if principal && enc.end.is_some_and(|d| d <= end) {
                        return true;
                    }
                }
                _ => {}
            }
        }
        (u.min_primary_care_visits > 0 && pc >= u.min_primary_care_visits)
            || (u.min_ed_visits > 0 && ed >= u.min_ed_visits)
    }
}
