//! The domain model: what a clinically integrated network knows about its patients.
//!
//! Records are stored compactly (interned strings, 4-byte indices) and every fact keeps its
//! provenance: the organisation it came from and the feed (file, message stream) that carried it.

use crate::code::CodeSystem;
use crate::intern::Sym;
use crate::time::Timestamp;
use serde::Serialize;

macro_rules! index_type {
    ($($(#[$m:meta])* $name:ident),*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn idx(self) -> usize { self.0 as usize }
        }
    )*};
}

index_type!(
    /// Index of a merged patient record in the network.
    PatientIdx,
    /// Index of an organisation.
    OrgIdx,
    /// Index of a practitioner.
    PractIdx,
    /// Index of an encounter.
    EncIdx,
    /// Index of a feed (file or message stream) that data arrived through.
    FeedIdx
);

/// A normalised code: system plus interned value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    pub system: CodeSystem,
    pub value: Sym,
}

/// What kind of feed carried a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    Fhir,
    SyntheaCsv,
    Hl7v2,
    ClaimsTuva,
    Synthetic,
    Api,
}

impl FeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Fhir => "fhir",
            FeedKind::SyntheaCsv => "synthea_csv",
            FeedKind::Hl7v2 => "hl7v2",
            FeedKind::ClaimsTuva => "claims_tuva",
            FeedKind::Synthetic => "synthetic",
            FeedKind::Api => "api",
        }
    }
}

/// A file or message stream that delivered data.
#[derive(Debug, Clone)]
pub struct Feed {
    pub kind: FeedKind,
    /// File path or stream label (no patient data).
    pub name: String,
    /// When the network received it.
    pub received: Timestamp,
}

/// Where a fact came from: source organisation (when known) and feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    pub org: Option<OrgIdx>,
    pub feed: FeedIdx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    #[default]
    Unknown,
}

impl Sex {
    /// FHIR `gender`, HL7 PID-8 (table 0001) and Synthea/Tuva spellings.
    pub fn parse(s: &str) -> Sex {
        crate::ascii_case::with_lower(s.trim(), |t| match t {
            "f" | "female" | "2" => Sex::Female,
            "m" | "male" | "1" => Sex::Male,
            "o" | "other" | "a" | "n" => Sex::Other,
            _ => Sex::Unknown,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }
}

/// One longitudinal patient, merged across organisations by shared identifiers.
#[derive(Debug, Clone)]
pub struct Patient {
    /// The first id this patient was seen under (resource id, MRN...).
    pub id: Sym,
    /// `(system, value)` identifiers from every source; any match merges records.
    pub identifiers: Vec<(Sym, Sym)>,
    pub birth_date: Option<Timestamp>,
    pub sex: Sex,
    pub deceased: bool,
    pub death_date: Option<Timestamp>,
    /// Every source that contributed to this record.
    pub provenance: Vec<Provenance>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Hospital,
    Practice,
    SpecialistPractice,
    Snf,
    Rehab,
    HomeHealth,
    Hospice,
    Community,
    Payer,
    Other,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Hospital => "hospital",
            OrgKind::Practice => "practice",
            OrgKind::SpecialistPractice => "specialist_practice",
            OrgKind::Snf => "snf",
            OrgKind::Rehab => "rehab",
            OrgKind::HomeHealth => "home_health",
            OrgKind::Hospice => "hospice",
            OrgKind::Community => "community",
            OrgKind::Payer => "payer",
            OrgKind::Other => "other",
        }
    }
    /// Parses our own names and common FHIR `organization-type` codes (`prov`, `pay`, `cg`...).
    pub fn parse(s: &str) -> OrgKind {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "hospital" | "hosp" | "acute" => OrgKind::Hospital,
            "practice" | "prov" | "primary_care" | "clinic" => OrgKind::Practice,
            "specialist_practice" | "specialist" | "dept" => OrgKind::SpecialistPractice,
            "snf" | "skilled_nursing" | "nursing_home" => OrgKind::Snf,
            "rehab" | "irf" => OrgKind::Rehab,
            "home_health" | "hha" => OrgKind::HomeHealth,
            "hospice" => OrgKind::Hospice,
            "community" | "cg" | "crs" | "community_organisation" | "community_organization" => {
                OrgKind::Community
            }
            "payer" | "pay" | "ins" => OrgKind::Payer,
            _ => OrgKind::Other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: Sym,
    pub name: Option<Sym>,
    pub kind: OrgKind,
    pub identifiers: Vec<(Sym, Sym)>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PractitionerRole {
    Pcp,
    Specialist,
    CareManager,
    CommunityHealthWorker,
    Other,
}

impl PractitionerRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PractitionerRole::Pcp => "pcp",
            PractitionerRole::Specialist => "specialist",
            PractitionerRole::CareManager => "care_manager",
            PractitionerRole::CommunityHealthWorker => "community_health_worker",
            PractitionerRole::Other => "other",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Practitioner {
    pub id: Sym,
    pub role: PractitionerRole,
    /// Free-text or coded specialty as the source gave it.
    pub specialty: Option<Sym>,
    pub org: Option<OrgIdx>,
    pub identifiers: Vec<(Sym, Sym)>,
    pub provenance: Provenance,
}

/// The care setting of an encounter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Setting {
    Ambulatory,
    Emergency,
    Inpatient,
    Observation,
    Snf,
    Rehab,
    HomeHealth,
    Hospice,
    Virtual,
    Wellness,
    Other,
}

impl Setting {
    pub const ALL: [Setting; 11] = [
        Setting::Ambulatory,
        Setting::Emergency,
        Setting::Inpatient,
        Setting::Observation,
        Setting::Snf,
        Setting::Rehab,
        Setting::HomeHealth,
        Setting::Hospice,
        Setting::Virtual,
        Setting::Wellness,
        Setting::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Ambulatory => "ambulatory",
            Setting::Emergency => "emergency",
            Setting::Inpatient => "inpatient",
            Setting::Observation => "observation",
            Setting::Snf => "snf",
            Setting::Rehab => "rehab",
            Setting::HomeHealth => "home_health",
            Setting::Hospice => "hospice",
            Setting::Virtual => "virtual",
            Setting::Wellness => "wellness",
            Setting::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Setting> {
        Setting::ALL.iter().copied().find(|x| x.as_str() == s)
    }
    /// A visit that counts as post-discharge follow-up (ambulatory, virtual, home, wellness).
    pub fn is_followup_visit(self) -> bool {
        matches!(
            self,
            Setting::Ambulatory | Setting::Virtual | Setting::HomeHealth | Setting::Wellness
        )
    }
    /// A primary-care style office visit (used by attribution and registries).
    pub fn is_office_visit(self) -> bool {
        matches!(
            self,
            Setting::Ambulatory | Setting::Wellness | Setting::Virtual
        )
    }
}

/// UB-04 admission type (FL14), reduced to what readmission and LACE logic need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionType {
    Emergency,
    Urgent,
    Elective,
    Newborn,
    Trauma,
    #[default]
    Unknown,
}

impl AdmissionType {
    /// UB-04 admission-type codes 1-5, HL7 table 0007 (`E`, `U`, `R`/`C` elective, `N`, `A`).
    pub fn parse(s: &str) -> AdmissionType {
        crate::ascii_case::with_upper(s.trim(), |t| match t {
            "1" | "E" | "EMERGENCY" | "EMER" => AdmissionType::Emergency,
            "2" | "U" | "URGENT" | "A" => AdmissionType::Urgent,
            "3" | "R" | "C" | "ELECTIVE" | "ROUTINE" => AdmissionType::Elective,
            "4" | "N" | "NEWBORN" => AdmissionType::Newborn,
            "5" | "TRAUMA" => AdmissionType::Trauma,
            _ => AdmissionType::Unknown,
        })
    }
    /// Acute (emergent/urgent) admission, as LACE's "A" and HOSPITAL's "IT" use it.
    pub fn is_acute(self) -> bool {
        matches!(
            self,
            AdmissionType::Emergency | AdmissionType::Urgent | AdmissionType::Trauma
        )
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AdmissionType::Emergency => "emergency",
            AdmissionType::Urgent => "urgent",
            AdmissionType::Elective => "elective",
            AdmissionType::Newborn => "newborn",
            AdmissionType::Trauma => "trauma",
            AdmissionType::Unknown => "unknown",
        }
    }
}

/// Where a patient went at discharge. One crosswalk from NUBC UB-04 patient discharge status
/// (claims FL17; CMS CCW `STUS_CD`), FHIR R4 `encounter-discharge-disposition` and HL7 table 0112.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Home,
    HomeHealth,
    Snf,
    /// Inpatient rehabilitation facility.
    Rehab,
    LongTermCare,
    Hospice,
    /// Transfer to another short-term acute hospital.
    AcuteTransfer,
    Psychiatric,
    LeftAgainstAdvice,
    Expired,
    StillPatient,
    Other,
    #[default]
    Unknown,
}

impl Disposition {
    /// UB-04 status codes (01 home, 02 acute, 03 SNF, 04 ICF, 05 cancer/children's hospital,
    /// 06 home health, 07 AMA, 20 expired, 30 still patient, 40-42 expired in hospice,
    /// 43 federal hospital, 50/51 hospice, 61 swing bed, 62 IRF, 63 LTCH, 64 Medicaid NF,
    /// 65 psych, 66 CAH, 70 other; 81-95 the same with a planned readmission). HL7 table 0112
    /// uses the same numbers. FHIR codes: home, alt-home, other-hcf, hosp, long, aadvice, exp,
    /// psy, rehab, snf, oth.
    pub fn parse(s: &str) -> Disposition {
        crate::ascii_case::with_lower(s.trim(), Self::parse_folded)
    }

    /// [`Disposition::parse`] of trimmed, lower-case text.
    fn parse_folded(t: &str) -> Disposition {
        if let Ok(n) = t.parse::<u32>() {
            let n = if (81..=95).contains(&n) { n - 80 } else { n };
            return match n {
                1 => Disposition::Home,
                2 | 5 | 66 | 43 | 13 => Disposition::AcuteTransfer,
                3 | 61 | 64 => Disposition::Snf,
                4 | 63 => Disposition::LongTermCare,
                6 => Disposition::HomeHealth,
                7 => Disposition::LeftAgainstAdvice,
                20 | 40 | 41 | 42 => Disposition::Expired,
                30 => Disposition::StillPatient,
                50 | 51 => Disposition::Hospice,
                62 => Disposition::Rehab,
                65 => Disposition::Psychiatric,
                9 | 21 | 69 | 70 => Disposition::Other,
                _ => Disposition::Unknown,
            };
        }
        match t {
            "home" | "alt-home" => Disposition::Home,
            "other-hcf" => Disposition::Other,
            "hosp" | "hospice" => Disposition::Hospice,
            "long" => Disposition::LongTermCare,
            "aadvice" | "ama" => Disposition::LeftAgainstAdvice,
            "exp" | "expired" | "died" => Disposition::Expired,
            "psy" => Disposition::Psychiatric,
            "rehab" => Disposition::Rehab,
            "snf" => Disposition::Snf,
            "oth" | "other" => Disposition::Other,
            "home-health" | "home_health" | "hh" => Disposition::HomeHealth,
            "acute" | "transfer" => Disposition::AcuteTransfer,
            _ => Disposition::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Home => "home",
            Disposition::HomeHealth => "home_health",
            Disposition::Snf => "snf",
            Disposition::Rehab => "rehab",
            Disposition::LongTermCare => "long_term_care",
            Disposition::Hospice => "hospice",
            Disposition::AcuteTransfer => "acute_transfer",
            Disposition::Psychiatric => "psychiatric",
            Disposition::LeftAgainstAdvice => "left_against_advice",
            Disposition::Expired => "expired",
            Disposition::StillPatient => "still_patient",
            Disposition::Other => "other",
            Disposition::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Encounter {
    /// Source id (resource id, visit number, claim id).
    pub id: Sym,
    pub patient: PatientIdx,
    pub setting: Setting,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    pub org: Option<OrgIdx>,
    pub practitioner: Option<PractIdx>,
    pub admission_type: AdmissionType,
    pub disposition: Disposition,
    /// Encounter type code as given (SNOMED in Synthea), for display and rules.
    pub type_code: Option<Code>,
    pub provenance: Provenance,
}

/// A diagnosis attached to an encounter (claims, ADT DG1, FHIR `Encounter.diagnosis` / reason).
#[derive(Debug, Clone, Copy)]
pub struct Diagnosis {
    pub encounter: EncIdx,
    pub code: Code,
    pub principal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionCategory {
    ProblemList,
    EncounterDiagnosis,
    ClaimDiagnosis,
    /// Social-history findings that Synthea records as conditions (employment, stress...).
    SocialHistory,
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub patient: PatientIdx,
    pub encounter: Option<EncIdx>,
    pub code: Code,
    pub display: Option<Sym>,
    pub onset: Option<Timestamp>,
    pub abatement: Option<Timestamp>,
    pub category: ConditionCategory,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ObsValue {
    Number(f64),
    Text(Sym),
    None,
}

#[derive(Debug, Clone)]
pub struct Observation {
    pub patient: PatientIdx,
    pub encounter: Option<EncIdx>,
    /// LOINC for labs and vitals; blood-pressure panels are split into their components.
    pub code: Code,
    pub value: ObsValue,
    pub unit: Option<Sym>,
    pub time: Option<Timestamp>,
    pub performer: Option<PractIdx>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MedStatus {
    Active,
    Stopped,
    Completed,
    OnHold,
    Cancelled,
    Unknown,
}

impl MedStatus {
    pub fn parse(s: &str) -> MedStatus {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" | "intended" | "draft" => MedStatus::Active,
            "stopped" => MedStatus::Stopped,
            "completed" => MedStatus::Completed,
            "on-hold" | "suspended" => MedStatus::OnHold,
            "cancelled" | "entered-in-error" | "not-taken" => MedStatus::Cancelled,
            _ => MedStatus::Unknown,
        }
    }
}

/// How the medication fact was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MedSource {
    Order,
    Statement,
    Dispense,
    Claim,
}

#[derive(Debug, Clone)]
pub struct MedicationOrder {
    pub patient: PatientIdx,
    pub encounter: Option<EncIdx>,
    /// RxNorm (or NDC from claims / HL7).
    pub code: Code,
    pub display: Option<Sym>,
    pub start: Option<Timestamp>,
    pub stop: Option<Timestamp>,
    pub status: MedStatus,
    pub prescriber: Option<PractIdx>,
    pub org: Option<OrgIdx>,
    pub source: MedSource,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureKind {
    /// Performed (FHIR Procedure, Synthea procedures, claim lines).
    Performed,
    /// Ordered but not necessarily done (FHIR ServiceRequest, HL7 ORM/OML).
    Ordered,
    /// A diagnostic report (lab panel or imaging study) as a whole.
    Report,
}

#[derive(Debug, Clone)]
pub struct Procedure {
    pub patient: PatientIdx,
    pub encounter: Option<EncIdx>,
    pub code: Code,
    pub display: Option<Sym>,
    pub time: Option<Timestamp>,
    pub kind: ProcedureKind,
    pub practitioner: Option<PractIdx>,
    pub org: Option<OrgIdx>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone)]
pub struct CarePlan {
    pub patient: PatientIdx,
    pub code: Option<Code>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub active: bool,
    pub provenance: Provenance,
}

/// One member of a patient's care team.
#[derive(Debug, Clone)]
pub struct CareTeamMember {
    pub patient: PatientIdx,
    pub practitioner: Option<PractIdx>,
    pub org: Option<OrgIdx>,
    pub role: PractitionerRole,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub provenance: Provenance,
}
