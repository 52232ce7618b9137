//! SNOMED CT condition codes (as Synthea emits them) to a representative ICD-10-CM code and a
//! clinical category, so that ICD-based logic (comorbidity indices, HCCs, registries, measures)
//! runs on Synthea data, which carries no ICD-10. The table and its sources are in
//! `core/data/snomed_crosswalk.tsv`. Social-history findings (employment, stress...) map to the
//! category `social` and no ICD code: they are not diseases.

use once_cell::sync::Lazy;
use std::collections::HashMap;

/// One crosswalk row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnomedMapping {
    pub snomed: &'static str,
    /// Representative ICD-10-CM code, normalised (no dot); `None` for social history.
    pub icd10cm: Option<String>,
    /// Clinical category (diabetes, hypertension, chf, copd, asthma, ckd, cancer, social...).
    pub category: &'static str,
    pub display: &'static str,
}

static TABLE_TEXT: &str = include_str!("../data/snomed_crosswalk.tsv");

static TABLE: Lazy<HashMap<&'static str, SnomedMapping>> = Lazy::new(|| {
    let mut map = HashMap::new();
    for line in TABLE_TEXT.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut f = line.split('\t');
        let (Some(snomed), Some(icd), Some(category)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let icd10cm = crate::code::CodeSystem::Icd10Cm.normalize(icd);
        map.insert(
            snomed.trim(),
            SnomedMapping {
                snomed: snomed.trim(),
                icd10cm,
                category: category.trim(),
                display: f.next().unwrap_or("").trim(),
            },
        );
    }
    map
});

/// The crosswalk row of a SNOMED CT code, if the code is in the table.
pub fn snomed(code: &str) -> Option<&'static SnomedMapping> {
    TABLE.get(code.trim())
}

/// Representative ICD-10-CM code (normalised) of a SNOMED CT condition code.
pub fn snomed_to_icd10cm(code: &str) -> Option<&'static str> {
    snomed(code).and_then(|m| m.icd10cm.as_deref())
}

/// Social-history "conditions" Synthea records (employment, stress, housing...).
pub fn is_social_history(code: &str) -> bool {
    snomed(code).is_some_and(|m| m.category == "social")
}

/// Every row (for coverage reports and tests).
pub fn all() -> impl Iterator<Item = &'static SnomedMapping> {
    TABLE.values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_diabetes_and_marks_social_history() {
        assert_eq!(snomed_to_icd10cm("44054006"), Some("E119"));
        assert_eq!(snomed("44054006").unwrap().category, "diabetes");
        assert!(is_social_history("160903007"));
        assert_eq!(snomed_to_icd10cm("160903007"), None);
        assert_eq!(snomed("0"), None);
    }
}
