//! Measure definitions as data.
//!
//! A measure set is a JSON file (format `cin_core.measures/1`): named code sets and measures that
//! refer to them. Governance adds or changes measures by editing the file, not the code. The file
//! is checked whole when it is loaded: a malformed file is rejected with
//! [`CinError::KnowledgeBase`] naming the file, the line and the field, and nothing of it is used.
//!
//! The default set (`core/data/measures/default.json`, [`MeasureSet::embedded`]) is written in our
//! own words from the public eCQM logic (CMS122, CMS125, CMS130, CMS165 on ecqi.healthit.gov) and
//! names each measure by what it computes; it is not an NCQA/HEDIS-certified implementation.

use crate::code::CodeSystem;
use crate::error::{CinError, Location, Result};
use crate::model::{Disposition, Setting};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file format this loader reads.
pub const FORMAT: &str = "cin_core.measures/1";

/// Largest number of code sets in one file (code-set membership is a 64-bit mask per code).
pub const MAX_CODE_SETS: usize = 64;

/// Codes of one system inside a code set: exact codes and, for ICD-10-CM, prefixes (`E11` covers
/// every `E11.x`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    /// System name as [`CodeSystem::from_name`] reads it (`ICD-10-CM`, `SNOMED`, `LOINC`, `CPT`...).
    pub system: String,
    #[serde(default)]
    pub codes: Vec<String>,
    /// Code prefixes (after normalisation); any code starting with one matches.
    #[serde(default)]
    pub prefixes: Vec<String>,
}

/// A named value set.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodeSetDef {
    #[serde(default)]
    pub description: String,
    /// Where the codes come from (value set OID, code system chapter...).
    #[serde(default)]
    pub source: String,
    pub codes: Vec<CodeList>,
}

/// A time window relative to the measurement period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Window {
    /// Overlapping the measurement period.
    Period,
    /// Any time up to the end of the period (history: mastectomy, colectomy, cancer).
    AnyTimeBeforeEnd,
    /// The `n` calendar months ending on the last day of the period.
    MonthsBeforeEnd(u32),
    /// The period and the calendar year before it (CMS frailty / advanced illness look-back).
    PeriodAndYearBefore,
}

/// Who is eligible before exclusions.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationDef {
    /// Age in completed years on the last day of the period, inclusive bounds.
    #[serde(default)]
    pub age_min: Option<u32>,
    #[serde(default)]
    pub age_max: Option<u32>,
    /// `female` / `male`; absent = any.
    #[serde(default)]
    pub sex: Option<String>,
    /// Code sets of which the patient needs at least one diagnosis active during the period or
    /// begun before it and not resolved before it starts (registry conditions).
    #[serde(default)]
    pub conditions: Vec<String>,
    /// The condition must have started before the period start plus this many months (CMS165:
    /// hypertension starting before or in the first six months of the period).
    #[serde(default)]
    pub condition_onset_within_months: Option<u32>,
    /// Require an office visit (ambulatory, wellness or virtual encounter) in the period, the
    /// eCQMs' "qualifying encounter" (stand-in for enrolment, which the model does not carry).
    #[serde(default)]
    pub require_visit_in_period: bool,
    /// Only patients attributed to a practitioner or practice (per-1000 utilisation measures).
    #[serde(default)]
    pub attributed_only: bool,
}

/// One denominator exclusion. It is hit when every listed criterion is met in its window.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionDef {
    pub id: String,
    #[serde(default)]
    pub description: String,
    /// Any fact (condition, encounter diagnosis, procedure, observation, encounter type) with a
    /// code in this set...
    #[serde(default)]
    pub code_set: Option<String>,
    /// ...and also one in this set (frailty AND advanced illness; left AND right mastectomy).
    #[serde(default)]
    pub and_code_set: Option<String>,
    /// Or: an encounter in one of these settings.
    #[serde(default, deserialize_with = "de_settings")]
    pub settings: Vec<Setting>,
    /// Or: a discharge with one of these dispositions.
    #[serde(default, deserialize_with = "de_dispositions")]
    pub dispositions: Vec<Disposition>,
    pub window: Window,
    /// Only applies from this age (at the end of the period), e.g. 66 for frailty rules.
    #[serde(default)]
    pub min_age: Option<u32>,
}

/// Comparison of a lab value with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Ge => "≥",
            Comparison::Lt => "<",
            Comparison::Le => "≤",
        }
    }
}

/// Which result of the period represents the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The latest result by time.
    #[default]
    MostRecent,
    /// The lowest result of the latest day with a result.
    LowestOfMostRecentDay,
}

/// A screening test and how far back it counts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningOption {
    pub code_set: String,
    /// Calendar months ending on the last day of the period.
    pub months: u32,
    /// Short name for gap reasons ("mammogram", "colonoscopy").
    pub label: String,
}

/// What puts a denominator patient (or event) in the numerator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NumeratorDef {
    /// A numeric lab result in the period compared with a threshold.
    Lab {
        code_set: String,
        #[serde(default)]
        selection: Selection,
        comparison: Comparison,
        threshold: f64,
        /// Unit printed in gap reasons (`%`).
        #[serde(default)]
        unit: String,
        /// Test name printed in gap reasons (`HbA1c`).
        label: String,
        /// A patient with no result in the period counts in the numerator (inverse measures).
        #[serde(default)]
        missing_counts_as_numerator: bool,
    },
    /// Most recent blood-pressure day in the period, lowest systolic and lowest diastolic of that
    /// day, both below their limits. Readings taken in an ED or inpatient encounter are ignored.
    BloodPressure {
        systolic_code_set: String,
        diastolic_code_set: String,
        systolic_below: f64,
        diastolic_below: f64,
    },
    /// Any of the screening tests inside its look-back.
    Screening { options: Vec<ScreeningOption> },
    /// Acute stays discharged in the period readmitted within `days` (continuum engine).
    Readmission { days: i64 },
    /// Discharges to the community in the period followed up within `days` (continuum engine).
    Followup { days: i64 },
    /// Encounters of a setting in the period; rate = count × `per` / patients.
    EncounterCount {
        #[serde(deserialize_with = "de_setting")]
        setting: Setting,
        per: f64,
    },
    /// Flags supplied by the caller per patient ([`super::ExternalMeasureInput`]).
    External,
}

/// One measure.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureDef {
    pub id: String,
    pub title: String,
    /// The public specification the logic follows.
    pub source: String,
    #[serde(default)]
    pub version: String,
    /// Lower rates are better (poor control, readmissions).
    #[serde(default)]
    pub inverse: bool,
    #[serde(default)]
    pub population: Option<PopulationDef>,
    #[serde(default)]
    pub exclusions: Vec<ExclusionDef>,
    pub numerator: NumeratorDef,
}

/// The file as a whole.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureFile {
    pub format: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub notes: Vec<String>,
    pub code_sets: BTreeMap<String, CodeSetDef>,
    pub measures: Vec<MeasureDef>,
}

/// A checked set of measures and their code sets.
#[derive(Debug, Clone)]
pub struct MeasureSet {
    pub source_name: String,
    pub file: MeasureFile,
    /// Code-set name → bit number, in name order.
    pub code_set_bits: BTreeMap<String, u32>,
}

static DEFAULT_JSON: &str = include_str!("../../data/measures/default.json");

/// Parsed once. The embedded file is checked by a unit test; a failure here is a build defect.
static EMBEDDED: once_cell::sync::Lazy<MeasureSet> = once_cell::sync::Lazy::new(|| {
    MeasureSet::from_json(DEFAULT_JSON.as_bytes(), "core/data/measures/default.json")
        .unwrap_or_else(|e| panic!("embedded measure set is invalid: {e}"))
});

impl MeasureSet {
    /// The default measure set shipped with the library.
    pub fn embedded() -> MeasureSet {
        EMBEDDED.clone()
    }

    /// Parses and checks a measure file; any problem rejects the whole file.
    pub fn from_json(bytes: &[u8], source_name: &str) -> Result<MeasureSet> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            kb_error(
                Location::new(source_name).line(line_of_offset(bytes, e.valid_up_to())),
                "file is not UTF-8",
            )
        })?;
        let file: MeasureFile = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let mut loc = Location::new(source_name);
            if e.line() > 0 {
                loc = loc.line(e.line());
            }
            if let Some(field) = backticked(&msg) {
                loc = loc.field(field);
            }
            // serde's message names the problem (missing field, unknown variant) and the
            // position, never the values of a patient: measure files hold no patient data.
            kb_error(loc, strip_position(&msg))
        })?;
        let set = MeasureSet {
            source_name: source_name.to_string(),
            code_set_bits: file
                .code_sets
                .keys()
                .enumerate()
                .map(|(i, k)| (k.clone(), i as u32))
                .collect(),
            file,
        };
        set.check(text)?;
        Ok(set)
    }

    pub fn measures(&self) -> &[MeasureDef] {
        &self.file.measures
    }

    pub fn measure(&self, id: &str) -> Option<&MeasureDef> {
        self.file.measures.iter().find(|m| m.id == id)
    }

    pub fn code_set_bit(&self, name: &str) -> Option<u32> {
        self.code_set_bits.get(name).copied()
    }

    fn check(&self, text: &str) -> Result<()> {
        let f = &self.file;
        let src = &self.source_name;
        if f.format != FORMAT {
            return Err(kb_error(
                Location::new(src)
                    .line(line_of(text, "\"format\""))
                    .field("format"),
                format!("unsupported format (expected {FORMAT})"),
            ));
        }
        if f.code_sets.len() > MAX_CODE_SETS {
            return Err(kb_error(
                Location::new(src).field("code_sets"),
                format!("more than {MAX_CODE_SETS} code sets"),
            ));
        }
        for (name, cs) in &f.code_sets {
            let at = |field: &str| {
                Location::new(src)
                    .line(line_of(text, &format!("\"{name}\"")))
                    .field(format!("code_sets.{name}.{field}"))
            };
            if cs.codes.is_empty() {
                return Err(kb_error(at("codes"), "code set has no code lists"));
            }
            for (i, list) in cs.codes.iter().enumerate() {
                let system = CodeSystem::from_name(&list.system);
                if system == CodeSystem::Other {
                    return Err(kb_error(
                        at(&format!("codes[{i}].system")),
                        "unknown code system",
                    ));
                }
                if list.codes.is_empty() && list.prefixes.is_empty() {
                    return Err(kb_error(
                        at(&format!("codes[{i}]")),
                        "code list has neither codes nor prefixes",
                    ));
                }
                if let Some(bad) = list
                    .codes
                    .iter()
                    .chain(&list.prefixes)
                    .position(|c| system.normalize(c).is_none())
                {
                    return Err(kb_error(
                        at(&format!("codes[{i}].codes[{bad}]")),
                        "empty code",
                    ));
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (mi, m) in f.measures.iter().enumerate() {
            let line = if m.id.is_empty() {
                line_of(text, "\"measures\"")
            } else {
                line_of(text, &format!("\"{}\"", m.id))
            };
            let at = |field: &str| {
                Location::new(src)
                    .line(line)
                    .entry(mi)
                    .field(format!("measures[{mi}].{field}"))
            };
            if m.id.trim().is_empty() {
                return Err(kb_error(at("id"), "measure id is empty"));
            }
            if !seen.insert(m.id.as_str()) {
                return Err(kb_error(at("id"), "measure id appears twice"));
            }
            let known = |name: &str, field: &str| -> Result<()> {
                if self.code_sets_known(name) {
                    Ok(())
                } else {
                    Err(kb_error(at(field), "refers to an unknown code set"))
                }
            };
            if let Some(pop) = &m.population {
                if let (Some(a), Some(b)) = (pop.age_min, pop.age_max)
                    && a > b
                {
                    return Err(kb_error(
                        at("population.age_min"),
                        "age_min is above age_max",
                    ));
                }
                if let Some(sex) = &pop.sex
                    && !matches!(sex.as_str(), "female" | "male")
                {
                    return Err(kb_error(
                        at("population.sex"),
                        "sex must be \"female\" or \"male\"",
                    ));
                }
                for (i, c) in pop.conditions.iter().enumerate() {
                    known(c, &format!("population.conditions[{i}]"))?;
                }
            }
            for (i, x) in m.exclusions.iter().enumerate() {
                if x.code_set.is_none() && x.settings.is_empty() && x.dispositions.is_empty() {
                    return Err(kb_error(
                        at(&format!("exclusions[{i}]")),
                        "exclusion has no code set, setting or disposition",
                    ));
                }
                if x.and_code_set.is_some() && x.code_set.is_none() {
                    return Err(kb_error(
                        at(&format!("exclusions[{i}].and_code_set")),
                        "and_code_set needs code_set",
                    ));
                }
                for cs in x.code_set.iter().chain(&x.and_code_set) {
                    known(cs, &format!("exclusions[{i}].code_set"))?;
                }
            }
            match &m.numerator {
                NumeratorDef::Lab {
                    code_set,
                    threshold,
                    ..
                } => {
                    known(code_set, "numerator.code_set")?;
                    if !threshold.is_finite() {
                        return Err(kb_error(at("numerator.threshold"), "threshold not finite"));
                    }
                }
                NumeratorDef::BloodPressure {
                    systolic_code_set,
                    diastolic_code_set,
                    ..
                } => {
                    known(systolic_code_set, "numerator.systolic_code_set")?;
                    known(diastolic_code_set, "numerator.diastolic_code_set")?;
                }
                NumeratorDef::Screening { options } => {
                    if options.is_empty() {
                        return Err(kb_error(at("numerator.options"), "no screening options"));
                    }
                    for (i, o) in options.iter().enumerate() {
                        known(&o.code_set, &format!("numerator.options[{i}].code_set"))?;
                        if o.months == 0 {
                            return Err(kb_error(
                                at(&format!("numerator.options[{i}].months")),
                                "look-back of 0 months",
                            ));
                        }
                    }
                }
                NumeratorDef::Readmission { days } | NumeratorDef::Followup { days } => {
                    if *days <= 0 {
                        return Err(kb_error(at("numerator.days"), "days must be positive"));
                    }
                }
                NumeratorDef::EncounterCount { per, .. } => {
                    if !(per.is_finite() && *per > 0.0) {
                        return Err(kb_error(at("numerator.per"), "per must be positive"));
                    }
                }
                NumeratorDef::External => {}
            }
        }
        Ok(())
    }

    fn code_sets_known(&self, name: &str) -> bool {
        self.code_set_bits.contains_key(name)
    }
}

fn kb_error(location: Location, message: impl Into<String>) -> CinError {
    CinError::KnowledgeBase {
        location,
        message: message.into(),
    }
}

/// 1-based line of the first occurrence of `needle` (1 when absent).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map_or(1, |i| text[..i].bytes().filter(|&b| b == b'\n').count() + 1)
}

fn line_of_offset(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The first `name` inside backticks of a serde message (the field or variant it is about).
fn backticked(msg: &str) -> Option<String> {
    let a = msg.find('`')?;
    let b = msg[a + 1..].find('`')?;
    Some(msg[a + 1..a + 1 + b].to_string())
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn parse_setting<E: serde::de::Error>(s: &str) -> std::result::Result<Setting, E> {
    Setting::parse(s).ok_or_else(|| E::custom(format!("unknown setting `{s}`")))
}

fn de_setting<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Setting, D::Error> {
    parse_setting(&String::deserialize(d)?)
}

fn de_settings<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<Setting>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| parse_setting(s))
        .collect()
}

fn de_dispositions<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<Disposition>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| match Disposition::parse(s) {
            Disposition::Unknown => Err(serde::de::Error::custom(format!(
                "unknown disposition `{s}`"
            ))),
            x => Ok(x),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_set_loads_with_the_default_ids() {
        let set = MeasureSet::embedded();
        let ids: Vec<&str> = set.measures().iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "hba1c_poor_control",
                "hba1c_under_8",
                "bp_controlled",
                "breast_cancer_screening",
                "colorectal_cancer_screening",
                "readmission_30d",
                "followup_7d",
                "followup_30d",
                "ed_visits_per_1000",
                "duplicate_test_rate",
                "ddi_exposure_rate"
            ]
        );
        assert!(set.measure("hba1c_poor_control").unwrap().inverse);
    }
}
