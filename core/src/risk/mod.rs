//! Risk stratification: comorbidity indices (Charlson, Elixhauser), CMS-HCC V24/V28,
//! readmission scores (LACE, HOSPITAL), pyramid tiers and chronic-disease registries.
//!
//! The batch functions take long-format columns (one row per patient-code pair, any order,
//! duplicates allowed) and return a [`crate::Table`] with one row per patient in first-seen
//! order; the network functions score the merged record.

mod batch;
mod charlson;
mod elixhauser;
mod hcc;

pub use batch::{CodeReport, normalize_dx};
pub use charlson::{
    CHARLSON_CATEGORIES, CharlsonOptions, CharlsonWeights, IcdVersion, WEIGHTS_CHARLSON_1987,
    WEIGHTS_QUAN_2011, charlson, charlson_age_points, charlson_categories_of, charlson_hierarchy,
    charlson_indexed, charlson_score_bits, charlson_with_report,
};
pub use elixhauser::{
    ELIXHAUSER_CATEGORIES, ElixhauserOptions, ElixhauserWeights, WEIGHTS_VAN_WALRAVEN, elixhauser,
    elixhauser_categories_of, elixhauser_hierarchy, elixhauser_score_bits, elixhauser_with_report,
};
pub use hcc::{
    HccModel, HccOptions, HccSegment, HccVersion, cms_hcc, cms_hcc_with_report, hcc_profile,
};
