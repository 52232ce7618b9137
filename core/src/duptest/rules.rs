//! Duplicate-test rules: test families, retest intervals, exceptions and prices.
//!
//! The default rule set is `core/data/duptest/rules.json` (every family cites its source there).
//! Sites load their own file with [`Rules::from_json`]; a malformed file is rejected whole with
//! [`CinError::KnowledgeBase`] naming the file, line and field.

use crate::code::CodeSystem;
use crate::error::{CinError, Location, Result};
use crate::intern::FxHashMap;
use once_cell::sync::Lazy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most this many families in one rule set (families are kept as bit sets).
pub const MAX_FAMILIES: usize = 128;

/// A set of families as bits.
pub type FamilySet = u128;

/// Laboratory test or imaging study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyKind {
    Lab,
    Imaging,
}

/// A normal range for one result code; values outside it make the result abnormal.
#[derive(Debug, Clone, PartialEq)]
pub struct RefRange {
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Units the range applies to (compared case-insensitively); other units are not judged.
    pub units: Vec<String>,
}

impl RefRange {
    /// `Some(true)` when the value is outside the range in a matching unit, `None` when the unit
    /// does not match (not judged).
    pub fn is_abnormal(&self, value: f64, unit: Option<&str>) -> Option<bool> {
        let unit = unit.unwrap_or("");
        if !self.units.is_empty() && !self.units.iter().any(|u| u.eq_ignore_ascii_case(unit)) {
            return None;
        }
        Some(self.low.is_some_and(|l| value < l) || self.high.is_some_and(|h| value > h))
    }
}

/// One family of equivalent tests (all HbA1c methods, every code of a CMP...).
#[derive(Debug, Clone)]
pub struct Family {
    pub id: String,
    pub name: String,
    pub kind: FamilyKind,
    pub modality: Option<String>,
    pub region: Option<String>,
    /// A repeat sooner than this many calendar days is a duplicate (the clinical minimum
    /// retesting interval).
    pub advisory_days: i64,
    /// A repeat sooner than this is a hard duplicate (the lab block interval); `<= advisory_days`.
    pub hard_days: i64,
    /// An abnormal prior may be repeated (confirmed) within this many days without an alert.
    pub confirm_within_days: i64,
    /// Repeats inside one inpatient stay are allowed (daily labs).
    pub inpatient_exempt: bool,
    /// How many component results make a panel recognisable when the panel code is absent.
    pub min_components: usize,
    /// Families this one contains directly (a CMP contains a BMP).
    pub contains: Vec<usize>,
    /// Itself and every family it contains, transitively.
    pub closure: FamilySet,
    pub source: String,
}

/// A drug start or change that makes a repeat legitimate monitoring.
#[derive(Debug, Clone)]
pub struct MonitoringRule {
    pub id: String,
    pub families: FamilySet,
    /// Lower-case ingredient names matched inside the medication display text.
    pub drug_names: Vec<String>,
    /// RxNorm codes matched exactly.
    pub rxnorm: Vec<String>,
    /// The repeat must fall within this many days after the drug start.
    pub within_days: i64,
    pub source: String,
}

/// What a code tells about a result: the family it names and the panels it is a component of.
#[derive(Debug, Clone, Default)]
pub struct CodeHit {
    /// Family the code names directly (`None` for a pure component such as sodium).
    pub family: Option<usize>,
    /// Panels that list this code as a component.
    pub component_of: FamilySet,
    pub range: Option<RefRange>,
}

/// Prices of one test per family, for the avoidable-cost estimate.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    pub currency: String,
    pub year: Option<i32>,
    pub source: String,
    /// Price per family index; `None` = not priced.
    pub amounts: Vec<Option<f64>>,
}

/// A loaded, validated rule set.
#[derive(Debug)]
pub struct Rules {
    pub source_name: String,
    pub name: String,
    pub version: String,
    pub families: Vec<Family>,
    pub monitoring: Vec<MonitoringRule>,
    pub prices: PriceTable,
    /// Citations by key, as given in the file.
    pub sources: BTreeMap<String, String>,
    /// Code lookup, one map per code system.
    codes: Vec<FxHashMap<Box<str>, CodeHit>>,
    /// Per family: the largest advisory interval of any family it overlaps.
    window_days: Vec<i64>,
    unknown_order_codes: AtomicU64,
}

impl Clone for Rules {
    fn clone(&self) -> Self {
        Rules {
            source_name: self.source_name.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            families: self.families.clone(),
            monitoring: self.monitoring.clone(),
            prices: self.prices.clone(),
            sources: self.sources.clone(),
            codes: self.codes.clone(),
            window_days: self.window_days.clone(),
            unknown_order_codes: AtomicU64::new(self.unknown_order_codes.load(Ordering::Relaxed)),
        }
    }
}

const N_SYSTEMS: usize = CodeSystem::Other as usize + 1;

static EMBEDDED_JSON: &str = include_str!("../../data/duptest/rules.json");

static EMBEDDED: Lazy<Rules> = Lazy::new(|| {
    Rules::from_json(EMBEDDED_JSON.as_bytes(), "core/data/duptest/rules.json")
        .expect("the embedded duplicate-test rules are validated by the test suite")
});

// ---- file format -------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRules {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    notes: Vec<String>,
    #[serde(default)]
    sources: BTreeMap<String, String>,
    families: Vec<FileFamily>,
    #[serde(default)]
    monitoring: Vec<FileMonitoring>,
    prices: Option<FilePrices>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFamily {
    id: String,
    name: String,
    kind: String,
    modality: Option<String>,
    region: Option<String>,
    #[serde(default)]
    codes: BTreeMap<String, Vec<String>>,
    components: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    contains: Vec<String>,
    advisory_days: i64,
    hard_days: i64,
    confirm_within_days: Option<i64>,
    #[serde(default)]
    inpatient_exempt: bool,
    #[serde(default)]
    reference_ranges: Vec<FileRange>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRange {
    code: String,
    system: Option<String>,
    low: Option<f64>,
    high: Option<f64>,
    #[serde(default)]
    units: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMonitoring {
    id: String,
    families: Vec<String>,
    #[serde(default)]
    drug_names: Vec<String>,
    #[serde(default)]
    rxnorm: Vec<String>,
    within_days: i64,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePrices {
    currency: String,
    year: Option<i32>,
    source: String,
    amounts: BTreeMap<String, f64>,
    #[allow(dead_code)]
    notes: Option<String>,
}

/// 1-based line of the first occurrence of `needle` at or after byte `from`.
fn line_of(text: &str, needle: &str, from: usize) -> Option<usize> {
    let from = from.min(text.len());
    let at = text.get(from..)?.find(needle)? + from;
    Some(text[..at].bytes().filter(|&b| b == b'\n').count() + 1)
}

fn system_of(name: &str) -> Option<CodeSystem> {
    match CodeSystem::from_name(name) {
        CodeSystem::Other => None,
        s => Some(s),
    }
}

impl Rules {
    /// The default rule set compiled into the library.
    pub fn embedded() -> &'static Rules {
        &EMBEDDED
    }

    /// Parses and validates a rule file. Any problem rejects the whole file with
    /// `CinError::KnowledgeBase` (source, line, field): bad JSON, unknown fields, an unknown
    /// family reference, a negative interval, a hard interval longer than the advisory one, a
    /// duplicate family id, an unknown code system, a negative price.
    pub fn from_json(bytes: &[u8], source_name: &str) -> Result<Rules> {
        let text = std::str::from_utf8(bytes).map_err(|e| CinError::KnowledgeBase {
            location: Location::new(source_name),
            message: format!("not UTF-8: {e}"),
        })?;
        let file: FileRules = serde_json::from_str(text).map_err(|e| CinError::KnowledgeBase {
            location: Location::new(source_name).line(e.line()),
            message: format!("invalid rule file: {e}"),
        })?;
        let err = |needle: &str, from: usize, field: String, message: String| {
            let mut location = Location::new(source_name).field(field);
            location.line = line_of(text, needle, from);
            CinError::KnowledgeBase { location, message }
        };
        if file.families.len() > MAX_FAMILIES {
            return Err(err(
                "\"families\"",
                0,
                "families".into(),
                format!("{} families; at most {MAX_FAMILIES}", file.families.len()),
            ));
        }
        let families_at = text.find("\"families\"").unwrap_or(0);
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        // Byte offset of each family's id in the text, to report lines inside that family.
        let mut offsets = Vec::with_capacity(file.families.len());
        let mut cursor = families_at;
        for (i, f) in file.families.iter().enumerate() {
            let needle = format!("\"{}\"", f.id);
            let at = text
                .get(cursor..)
                .and_then(|t| t.find(&needle))
                .map_or(cursor, |p| p + cursor);
            offsets.push(at);
            cursor = at;
            if f.id.trim().is_empty() {
                return Err(err(
                    "\"id\"",
                    at,
                    format!("families[{i}].id"),
                    "empty family id".into(),
                ));
            }
            if index.insert(f.id.as_str(), i).is_some() {
                return Err(err(
                    &needle,
                    at,
                    format!("families[{i}].id"),
                    format!("family id {} appears twice", f.id),
                ));
            }
        }
        let mut families = Vec::with_capacity(file.families.len());
        let mut codes: Vec<FxHashMap<Box<str>, CodeHit>> =
            (0..N_SYSTEMS).map(|_| FxHashMap::default()).collect();
        for (i, f) in file.families.iter().enumerate() {
            let at = offsets[i];
            let kind = match f.kind.as_str() {
                "lab" => FamilyKind::Lab,
                "imaging" => FamilyKind::Imaging,
                other => {
                    return Err(err(
                        "\"kind\"",
                        at,
                        format!("families[{i}].kind"),
                        format!("kind must be lab or imaging, not {other}"),
                    ));
                }
            };
            for (field, v) in [
                ("advisory_days", Some(f.advisory_days)),
                ("hard_days", Some(f.hard_days)),
                ("confirm_within_days", f.confirm_within_days),
            ] {
                if v.is_some_and(|v| v < 0) {
                    return Err(err(
                        &format!("\"{field}\""),
                        at,
                        format!("families[{i}].{field}"),
                        format!("{field} is negative"),
                    ));
                }
            }
            if f.hard_days > f.advisory_days {
                return Err(err(
                    "\"hard_days\"",
                    at,
                    format!("families[{i}].hard_days"),
                    format!(
                        "hard interval ({} d) is longer than the advisory interval ({} d)",
                        f.hard_days, f.advisory_days
                    ),
                ));
            }
            if f.source.trim().is_empty() {
                return Err(err(
                    "\"source\"",
                    at,
                    format!("families[{i}].source"),
                    "every family must cite its source".into(),
                ));
            }
            let mut contains = Vec::new();
            for (j, c) in f.contains.iter().enumerate() {
                match index.get(c.as_str()) {
                    Some(&k) if k != i => contains.push(k),
                    Some(_) => {
                        return Err(err(
                            &format!("\"{c}\""),
                            at + 1,
                            format!("families[{i}].contains[{j}]"),
                            "a family cannot contain itself".into(),
                        ));
                    }
                    None => {
                        return Err(err(
                            &format!("\"{c}\""),
                            at + 1,
                            format!("families[{i}].contains[{j}]"),
                            format!("unknown family {c}"),
                        ));
                    }
                }
            }
            let mut n_codes = 0;
            for (sys_name, list) in &f.codes {
                let Some(sys) = system_of(sys_name) else {
                    return Err(err(
                        &format!("\"{sys_name}\""),
                        at,
                        format!("families[{i}].codes.{sys_name}"),
                        format!("unknown code system {sys_name}"),
                    ));
                };
                for raw in list {
                    let Some(code) = sys.normalize(raw) else {
                        return Err(err(
                            "\"codes\"",
                            at,
                            format!("families[{i}].codes.{sys_name}"),
                            "empty code".into(),
                        ));
                    };
                    let hit = codes[sys as usize].entry(code.into()).or_default();
                    if let Some(other) = hit.family.filter(|&o| o != i) {
                        return Err(err(
                            &format!("\"{raw}\""),
                            at,
                            format!("families[{i}].codes.{sys_name}"),
                            format!(
                                "code {raw} already names family {}",
                                file.families[other].id
                            ),
                        ));
                    }
                    hit.family = Some(i);
                    n_codes += 1;
                }
            }
            let mut min_components = 0;
            if let Some(comp) = &f.components {
                let mut n = 0;
                for (key, v) in comp {
                    if key == "min" {
                        min_components = v.as_u64().filter(|&m| m >= 1).ok_or_else(|| {
                            err(
                                "\"min\"",
                                at,
                                format!("families[{i}].components.min"),
                                "components.min must be a positive integer".into(),
                            )
                        })? as usize;
                        continue;
                    }
                    let Some(sys) = system_of(key) else {
                        return Err(err(
                            &format!("\"{key}\""),
                            at,
                            format!("families[{i}].components.{key}"),
                            format!("unknown code system {key}"),
                        ));
                    };
                    let list = v.as_array().ok_or_else(|| {
                        err(
                            &format!("\"{key}\""),
                            at,
                            format!("families[{i}].components.{key}"),
                            "components must be a list of codes".into(),
                        )
                    })?;
                    for c in list {
                        let code = c.as_str().and_then(|s| sys.normalize(s)).ok_or_else(|| {
                            err(
                                &format!("\"{key}\""),
                                at,
                                format!("families[{i}].components.{key}"),
                                "component codes must be non-empty strings".into(),
                            )
                        })?;
                        codes[sys as usize]
                            .entry(code.into())
                            .or_default()
                            .component_of |= 1u128 << i;
                        n += 1;
                    }
                }
                if min_components == 0 || min_components > n {
                    return Err(err(
                        "\"components\"",
                        at,
                        format!("families[{i}].components.min"),
                        format!("components.min must be between 1 and the {n} components listed"),
                    ));
                }
            }
            if n_codes == 0 && min_components == 0 {
                return Err(err(
                    "\"codes\"",
                    at,
                    format!("families[{i}].codes"),
                    "a family needs at least one code or a component list".into(),
                ));
            }
            families.push(Family {
                id: f.id.clone(),
                name: f.name.clone(),
                kind,
                modality: f.modality.clone(),
                region: f.region.clone(),
                advisory_days: f.advisory_days,
                hard_days: f.hard_days,
                confirm_within_days: f.confirm_within_days.unwrap_or(f.advisory_days),
                inpatient_exempt: f.inpatient_exempt,
                min_components,
                contains,
                closure: 1u128 << i,
                source: f.source.clone(),
            });
        }
        // Reference ranges after every code is known.
        for (i, f) in file.families.iter().enumerate() {
            for (j, r) in f.reference_ranges.iter().enumerate() {
                let sys = match &r.system {
                    Some(s) => system_of(s),
                    None => Some(CodeSystem::Loinc),
                };
                let hit = sys.and_then(|sys| {
                    let code = sys.normalize(&r.code)?;
                    codes[sys as usize].get_mut(code.as_str())
                });
                let Some(hit) = hit else {
                    return Err(err(
                        &format!("\"{}\"", r.code),
                        offsets[i],
                        format!("families[{i}].reference_ranges[{j}].code"),
                        format!(
                            "reference range for code {} not listed in any family",
                            r.code
                        ),
                    ));
                };
                if r.low.is_none() && r.high.is_none()
                    || matches!((r.low, r.high), (Some(l), Some(h)) if l > h)
                {
                    return Err(err(
                        "\"reference_ranges\"",
                        offsets[i],
                        format!("families[{i}].reference_ranges[{j}]"),
                        "a range needs low <= high (one may be omitted)".into(),
                    ));
                }
                hit.range = Some(RefRange {
                    low: r.low,
                    high: r.high,
                    units: r.units.clone(),
                });
            }
        }
        // Transitive containment; a cycle is an error.
        let n = families.len();
        for i in 0..n {
            let mut seen: FamilySet = 1u128 << i;
            let mut stack: Vec<usize> = families[i].contains.clone();
            while let Some(k) = stack.pop() {
                if k == i {
                    return Err(err(
                        &format!("\"{}\"", families[i].id),
                        families_at,
                        format!("families[{i}].contains"),
                        format!("containment cycle through {}", families[i].id),
                    ));
                }
                if seen & (1u128 << k) == 0 {
                    seen |= 1u128 << k;
                    stack.extend(families[k].contains.iter().copied());
                }
            }
            families[i].closure = seen;
        }
        let mut monitoring = Vec::new();
        let mon_at = text.find("\"monitoring\"").unwrap_or(0);
        for (m_i, m) in file.monitoring.iter().enumerate() {
            let mut set: FamilySet = 0;
            for (j, fam) in m.families.iter().enumerate() {
                match index.get(fam.as_str()) {
                    Some(&k) => set |= 1u128 << k,
                    None => {
                        return Err(err(
                            &format!("\"{fam}\""),
                            mon_at,
                            format!("monitoring[{m_i}].families[{j}]"),
                            format!("unknown family {fam}"),
                        ));
                    }
                }
            }
            if m.within_days < 0 {
                return Err(err(
                    "\"within_days\"",
                    mon_at,
                    format!("monitoring[{m_i}].within_days"),
                    "within_days is negative".into(),
                ));
            }
            if m.drug_names.is_empty() && m.rxnorm.is_empty() {
                return Err(err(
                    &format!("\"{}\"", m.id),
                    mon_at,
                    format!("monitoring[{m_i}]"),
                    "a monitoring rule needs drug_names or rxnorm codes".into(),
                ));
            }
            monitoring.push(MonitoringRule {
                id: m.id.clone(),
                families: set,
                drug_names: m.drug_names.iter().map(|d| d.to_lowercase()).collect(),
                rxnorm: m.rxnorm.clone(),
                within_days: m.within_days,
                source: m.source.clone(),
            });
        }
        let mut prices = PriceTable {
            currency: "USD".into(),
            year: None,
            source: String::new(),
            amounts: vec![None; n],
        };
        if let Some(p) = &file.prices {
            let prices_at = text.find("\"prices\"").unwrap_or(0);
            prices.currency = p.currency.clone();
            prices.year = p.year;
            prices.source = p.source.clone();
            for (fam, &amount) in &p.amounts {
                let Some(&k) = index.get(fam.as_str()) else {
                    return Err(err(
                        &format!("\"{fam}\""),
                        prices_at,
                        format!("prices.amounts.{fam}"),
                        format!("unknown family {fam}"),
                    ));
                };
                if !(amount >= 0.0 && amount.is_finite()) {
                    return Err(err(
                        &format!("\"{fam}\""),
                        prices_at,
                        format!("prices.amounts.{fam}"),
                        "price must be a non-negative number".into(),
                    ));
                }
                prices.amounts[k] = Some(amount);
            }
        }
        let window_days = (0..n)
            .map(|i| {
                (0..n)
                    .filter(|&k| families[i].closure & families[k].closure != 0)
                    .map(|k| families[k].advisory_days)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        Ok(Rules {
            source_name: source_name.to_string(),
            name: file.name.unwrap_or_default(),
            version: file.version.unwrap_or_default(),
            families,
            monitoring,
            prices,
            sources: file.sources,
            codes,
            window_days,
            unknown_order_codes: AtomicU64::new(0),
        })
    }

    /// Looks a code up (normalised the way the network normalises it).
    pub fn lookup(&self, system: CodeSystem, code: &str) -> Option<&CodeHit> {
        let map = self.codes.get(system as usize)?;
        if let Some(hit) = map.get(code) {
            return Some(hit);
        }
        let norm = system.normalize(code)?;
        map.get(norm.as_str())
    }

    /// Every code the rules know, per system (for pre-resolving against a network's interner).
    pub fn codes(&self) -> impl Iterator<Item = (CodeSystem, &str, &CodeHit)> + '_ {
        self.codes.iter().enumerate().flat_map(|(s, map)| {
            let sys = system_from_index(s);
            map.iter().map(move |(k, v)| (sys, k.as_ref(), v))
        })
    }

    pub fn family_index(&self, id: &str) -> Option<usize> {
        self.families.iter().position(|f| f.id == id)
    }

    /// The family two tests share: the largest family contained in both, if any.
    pub fn overlap(&self, a: usize, b: usize) -> Option<usize> {
        let common = self.families[a].closure & self.families[b].closure;
        if common == 0 {
            return None;
        }
        let mut covered: FamilySet = 0;
        let mut bits = common;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            covered |= self.families[k].closure & !(1u128 << k);
        }
        let top = common & !covered;
        Some(top.trailing_zeros() as usize)
    }

    /// The look-back window for a family: the longest advisory interval of any family it overlaps.
    pub fn window_days(&self, family: usize) -> i64 {
        self.window_days.get(family).copied().unwrap_or(0)
    }

    pub fn max_window_days(&self) -> i64 {
        self.window_days.iter().copied().max().unwrap_or(0)
    }

    pub fn price(&self, family: usize) -> Option<f64> {
        self.prices.amounts.get(family).copied().flatten()
    }

    /// Sets (or clears) the price of one family, e.g. from a site's contracted rates.
    pub fn set_price(&mut self, family_id: &str, amount: Option<f64>) -> Result<()> {
        let k = self
            .family_index(family_id)
            .ok_or_else(|| CinError::invalid(format!("unknown test family {family_id}")))?;
        if amount.is_some_and(|a| !(a >= 0.0 && a.is_finite())) {
            return Err(CinError::invalid("price must be a non-negative number"));
        }
        self.prices.amounts[k] = amount;
        Ok(())
    }

    /// Replaces the price table with a stand-alone JSON price file
    /// (`{"currency", "year", "source", "amounts": {family_id: price}}`); validated like a rule
    /// file: an unknown family or a negative price rejects the whole file.
    pub fn load_prices_json(&mut self, bytes: &[u8], source_name: &str) -> Result<()> {
        let text = std::str::from_utf8(bytes).map_err(|e| CinError::KnowledgeBase {
            location: Location::new(source_name),
            message: format!("not UTF-8: {e}"),
        })?;
        let file: FilePrices = serde_json::from_str(text).map_err(|e| CinError::KnowledgeBase {
            location: Location::new(source_name).line(e.line()),
            message: format!("invalid price file: {e}"),
        })?;
        let mut amounts = vec![None; self.families.len()];
        for (fam, &amount) in &file.amounts {
            let mut location = Location::new(source_name).field(format!("amounts.{fam}"));
            location.line = line_of(text, &format!("\"{fam}\""), 0);
            let Some(k) = self.family_index(fam) else {
                return Err(CinError::KnowledgeBase {
                    location,
                    message: format!("unknown family {fam}"),
                });
            };
            if !(amount >= 0.0 && amount.is_finite()) {
                return Err(CinError::KnowledgeBase {
                    location,
                    message: "price must be a non-negative number".into(),
                });
            }
            amounts[k] = Some(amount);
        }
        self.prices = PriceTable {
            currency: file.currency,
            year: file.year,
            source: file.source,
            amounts,
        };
        Ok(())
    }

    /// Order checks whose code no family knows, since the rules were loaded.
    pub fn unknown_order_codes(&self) -> u64 {
        self.unknown_order_codes.load(Ordering::Relaxed)
    }

    pub(crate) fn count_unknown_order(&self) {
        self.unknown_order_codes.fetch_add(1, Ordering::Relaxed);
    }
}

fn system_from_index(i: usize) -> CodeSystem {
    use CodeSystem::*;
    [
        Icd10Cm, Icd9Cm, Icd10Pcs, Snomed, Loinc, CptHcpcs, RxNorm, Ndc, Cvx, Revenue, Drg, Other,
    ]
    .get(i)
    .copied()
    .unwrap_or(Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_index_round_trips() {
        for s in [CodeSystem::Loinc, CodeSystem::CptHcpcs, CodeSystem::Snomed] {
            assert_eq!(system_from_index(s as usize), s);
        }
        assert_eq!(N_SYSTEMS, 12);
    }

    #[test]
    fn embedded_rules_load() {
        let r = Rules::embedded();
        let cmp = r.family_index("cmp").unwrap();
        let bmp = r.family_index("bmp").unwrap();
        let k = r.family_index("potassium").unwrap();
        assert_eq!(r.overlap(cmp, bmp), Some(bmp));
        assert_eq!(r.overlap(k, cmp), Some(k));
        assert_eq!(r.overlap(cmp, r.family_index("hba1c").unwrap()), None);
    }
}
