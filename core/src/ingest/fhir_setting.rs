//! FHIR `Encounter.class` (HL7 v3 ActEncounterCode, code system
//! `http://terminology.hl7.org/CodeSystem/v3-ActCode`, R4 value set `v3-ActEncounterCode`) and
//! `Encounter.type` to the network's care [`Setting`].
//!
//! | class code        | ActEncounterCode meaning            | setting                          |
//! |-------------------|-------------------------------------|----------------------------------|
//! | `AMB`             | ambulatory                          | ambulatory                       |
//! | `EMER`            | emergency                           | emergency                        |
//! | `IMP`, `ACUTE`    | inpatient encounter / inpatient acute | inpatient (refined by type)    |
//! | `NONAC`           | inpatient non-acute                 | inpatient (refined by type)      |
//! | `OBSENC`          | observation encounter               | observation                      |
//! | `HH`              | home health                         | home_health (refined by type)    |
//! | `VR`              | virtual                             | virtual                          |
//! | `SS`              | short stay (day surgery)            | ambulatory                       |
//! | `PRENC`           | pre-admission                       | ambulatory                       |
//! | `FLD`             | field                               | other                            |
//!
//! Refinement by `Encounter.type` (code or text): Synthea writes a skilled-nursing stay as `IMP`
//! with type SNOMED 449411000124106 "Admission to skilled nursing facility" and hospice as `HH`
//! with 305336008 "Admission to hospice"; text containing "skilled nursing" / "nursing facility"
//! gives snf, "hospice" gives hospice and "rehabilitation" gives rehab, for inpatient and
//! home-health classes. Unknown class codes that spell one of our setting names (`inpatient`,
//! `emergency`...) are taken by name; anything else is `other`.

use crate::model::Setting;

/// SNOMED CT "Admission to skilled nursing facility (procedure)".
const SNOMED_SNF_ADMISSION: &str = "449411000124106";
/// SNOMED CT "Admission to hospice (procedure)".
const SNOMED_HOSPICE_ADMISSION: &str = "305336008";

/// The setting of an encounter from its class code and type codes / texts.
pub(crate) fn setting_of(
    class_code: Option<&str>,
    type_codes: &[&str],
    type_texts: &[&str],
) -> Setting {
    let base = match class_code.map(str::trim) {
        Some("AMB") | Some("SS") | Some("PRENC") => Setting::Ambulatory,
        Some("EMER") => Setting::Emergency,
        Some("IMP") | Some("ACUTE") | Some("NONAC") => Setting::Inpatient,
        Some("OBSENC") => Setting::Observation,
        Some("HH") => Setting::HomeHealth,
        Some("VR") => Setting::Virtual,
        Some("FLD") => Setting::Other,
        Some(other) => {
            let l = other.to_ascii_lowercase();
            match l.as_str() {
                "outpatient" | "ambulatory" => Setting::Ambulatory,
                "emergency" => Setting::Emergency,
                "inpatient" => Setting::Inpatient,
                "home" => Setting::HomeHealth,
                _ => Setting::parse(&l).unwrap_or(Setting::Other),
            }
        }
        None => Setting::Other,
    };
    if matches!(base, Setting::Inpatient | Setting::HomeHealth) {
        if type_codes.contains(&SNOMED_SNF_ADMISSION) {
            return Setting::Snf;
        }
        if type_codes.contains(&SNOMED_HOSPICE_ADMISSION) {
            return Setting::Hospice;
        }
        for t in type_texts {
            let l = t.to_ascii_lowercase();
            if l.contains("skilled nursing") || l.contains("nursing facility") {
                return Setting::Snf;
            }
            if l.contains("hospice") {
                return Setting::Hospice;
            }
            if l.contains("rehabilitation") {
                return Setting::Rehab;
            }
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_table_and_type_refinement() {
        assert_eq!(setting_of(Some("AMB"), &[], &[]), Setting::Ambulatory);
        assert_eq!(setting_of(Some("EMER"), &[], &[]), Setting::Emergency);
        assert_eq!(setting_of(Some("ACUTE"), &[], &[]), Setting::Inpatient);
        assert_eq!(setting_of(Some("OBSENC"), &[], &[]), Setting::Observation);
        assert_eq!(setting_of(Some("VR"), &[], &[]), Setting::Virtual);
        assert_eq!(setting_of(Some("PRENC"), &[], &[]), Setting::Ambulatory);
        assert_eq!(
            setting_of(Some("HH"), &["439708006"], &["Home visit"]),
            Setting::HomeHealth
        );
        assert_eq!(
            setting_of(Some("IMP"), &[SNOMED_SNF_ADMISSION], &[]),
            Setting::Snf
        );
        assert_eq!(
            setting_of(Some("HH"), &[], &["Admission to hospice (procedure)"]),
            Setting::Hospice
        );
        assert_eq!(
            setting_of(Some("IMP"), &[], &["Admission to Skilled Nursing Facility"]),
            Setting::Snf
        );
        // Type text only refines inpatient and home classes.
        assert_eq!(
            setting_of(Some("AMB"), &[], &["hospice"]),
            Setting::Ambulatory
        );
        assert_eq!(setting_of(Some("1"), &[], &[]), Setting::Other);
        assert_eq!(setting_of(None, &[], &[]), Setting::Other);
    }
}
