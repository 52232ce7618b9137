//! Risk stratification: comorbidity indices (Charlson, Elixhauser with van Walraven or AHRQ
//! refined indices), CMS-HCC V24/V28,
//! readmission scores (LACE, HOSPITAL), pyramid tiers and chronic-disease registries.
//!
//! The batch functions take long-format columns (one row per patient-code pair, any order,
//! duplicates allowed) and return a [`crate::Table`] with one row per patient in first-seen
//! order; the network functions (`Network::risk_table`, `risk_summary`, `registries_table`,
//! `readmission_risk_table`) score the merged record.

mod batch;
mod charlson;
mod elixhauser;
mod elixhauser_ahrq;
mod hcc;
mod network_risk;
mod readmission_scores;
mod registries;
mod tiers;

pub use batch::{CodeReport, normalize_dx};
pub use charlson::{
    CHARLSON_CATEGORIES, CharlsonOptions, CharlsonWeights, IcdVersion, WEIGHTS_CHARLSON_1987,
    WEIGHTS_QUAN_2011, charlson, charlson_age_points, charlson_categories_of, charlson_hierarchy,
    charlson_indexed, charlson_score_bits, charlson_with_report,
};
pub use elixhauser::{
    ELIXHAUSER_CATEGORIES, ElixhauserOptions, ElixhauserWeights, WEIGHTS_VAN_WALRAVEN, elixhauser,
    elixhauser_categories_of, elixhauser_hierarchy, elixhauser_indexed, elixhauser_score_bits,
    elixhauser_with_report,
};
pub use elixhauser_ahrq::{
    AHRQ_MEASURES, AhrqIndex, AhrqMeasure, ahrq_measures, elixhauser_ahrq,
    elixhauser_ahrq_exclusions, elixhauser_ahrq_index, elixhauser_ahrq_measures_of,
    elixhauser_ahrq_with_report,
};
pub use hcc::{
    HccModel, HccOptions, HccSegment, HccVersion, cms_hcc, cms_hcc_with_report, hcc_profile,
};
pub use network_risk::{PatientRisk, RiskPolicy, RiskSummary, risk_rows_table};
pub use readmission_scores::{
    Hospital, HospitalInput, LOINC_HAEMOGLOBIN, LOINC_SODIUM, Lace, LosConvention,
    ReadmissionScorePolicy, StayRiskScores, hospital_band, hospital_points, lace_band, lace_points,
};
pub use registries::{
    RegistryRule, UtilisationRule, default_registries, uncontrolled_asthma_registry,
};
pub use tiers::{TierPolicy, TierScore, assign_tiers};
