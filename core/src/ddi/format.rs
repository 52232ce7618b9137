//! The on-disk knowledge-base format (JSON, `format_version` 1), as read by serde.
//!
//! Every section is optional so that a site file can carry only rules or only overrides; the
//! compiled [`crate::ddi::Kb`] checks references across the merged sections. See
//! `core/data/ddi/README.md` for the field-by-field description.

use serde::{Deserialize, Serialize};

/// A whole KB file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct KbFile {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub format_version: Option<u32>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub licence: Option<String>,
    #[serde(default)]
    pub ingredients: Vec<IngredientEntry>,
    #[serde(default)]
    pub classes: Vec<ClassEntry>,
    #[serde(default)]
    pub rules: Vec<RuleEntry>,
    #[serde(default)]
    pub non_interruptive: Vec<SuppressionEntry>,
    #[serde(default)]
    pub duplication: Vec<DuplicationEntry>,
    #[serde(default)]
    pub products: Vec<ProductEntry>,
    #[serde(default)]
    pub severity_overrides: Vec<OverrideEntry>,
}

/// An RxNorm ingredient (TTY IN).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IngredientEntry {
    pub rxcui: u32,
    pub name: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// Days the drug's effect outlasts its stop date (e.g. 14 for irreversible MAOIs).
    #[serde(default)]
    pub washout_days: u32,
}

/// A class of ingredients (members by RxCUI).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ClassEntry {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub members: Vec<u32>,
    #[serde(default)]
    pub source: String,
}

/// An interaction rule between two sides; a side is `"class:<id>"` or an ingredient RxCUI.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RuleEntry {
    pub id: String,
    pub a: String,
    pub b: String,
    pub severity: String,
    pub effect: String,
    #[serde(default)]
    pub mechanism: String,
    pub management: String,
    pub source: String,
    #[serde(default)]
    pub context: Option<RuleContext>,
}

/// Optional context that gates or re-tiers a rule.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RuleContext {
    #[serde(default)]
    pub dose: Option<DoseContext>,
    /// Routes the rule applies to (`systemic`, `oral`, `injection`, `topical`...); both drugs
    /// must be in the list when their route is known.
    #[serde(default)]
    pub routes: Option<Vec<String>>,
    /// Days after either drug stops during which the rule still applies.
    #[serde(default)]
    pub washout_days: Option<u32>,
    #[serde(default)]
    pub lab: Option<LabContext>,
    #[serde(default)]
    pub condition: Option<ConditionContext>,
}

/// The rule applies only when `ingredient` is dosed above `above_mg` per unit; otherwise it
/// takes `otherwise` (absent = no alert). An unknown dose keeps the base severity.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DoseContext {
    pub ingredient: u32,
    pub above_mg: f64,
    #[serde(default)]
    pub otherwise: Option<String>,
}

/// When the latest lab (any organisation) satisfies `op value`, the severity becomes `severity`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LabContext {
    pub name: String,
    pub loinc: Vec<String>,
    pub op: String,
    pub value: f64,
    #[serde(default)]
    pub unit: Option<String>,
    pub severity: String,
}

/// When the patient has an active condition matching these codes, the severity becomes `severity`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ConditionContext {
    pub name: String,
    #[serde(default)]
    pub icd10_prefixes: Vec<String>,
    #[serde(default)]
    pub snomed: Vec<String>,
    pub severity: String,
}

/// A non-interruptive (suppressed) pair of sides.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SuppressionEntry {
    pub id: String,
    pub a: String,
    pub b: String,
    #[serde(default)]
    pub source: String,
}

/// A therapeutic-duplication class with its allowances.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DuplicationEntry {
    pub class: String,
    /// Extra members tolerated before alerting (0 = alert on the second drug).
    #[serde(default)]
    pub allowance: u32,
    /// A PRN order next to a scheduled one is not a duplicate.
    #[serde(default)]
    pub prn_with_scheduled: bool,
    /// Overlaps up to this many days are a taper or switch, not a duplicate.
    #[serde(default)]
    pub overlap_days: u32,
    #[serde(default)]
    pub source: String,
}

/// A product code (RxNorm SCD/SBD or NDC) mapped to ingredients, either explicitly or by its
/// RxNorm name, which is parsed like free text.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ProductEntry {
    #[serde(default)]
    pub rxcui: Option<String>,
    #[serde(default)]
    pub ndc: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub ingredients: Option<Vec<u32>>,
    #[serde(default)]
    pub strengths_mg: Option<Vec<Option<f64>>>,
}

/// A site's severity for a rule; `"off"` disables it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OverrideEntry {
    pub rule: String,
    pub severity: String,
}
