//! The compiled knowledge base: dense ingredient ids, rule pairs in a hash map keyed by the
//! ordered ingredient pair, a partner bitset per ingredient for a branch-free "no rule" answer,
//! and the suppression and duplication tables.

use super::format::*;
use super::identity::{MappedVia, ResolvedDrug, Route, parse_name};
use crate::alert::Severity;
use crate::code::{CodeSystem, normalize_ndc};
use crate::error::{CinError, Location, Result};
use crate::intern::FxHashMap;
use once_cell::sync::Lazy;
use std::collections::HashSet;
use std::sync::RwLock;

/// A compiled ingredient.
#[derive(Debug, Clone)]
pub struct Ingredient {
    pub rxcui: u32,
    pub name: String,
    pub washout_days: u32,
}

/// A compiled class.
#[derive(Debug, Clone)]
pub struct Class {
    pub id: String,
    pub name: String,
    pub members: Vec<u32>,
    pub source: String,
}

/// Comparison of a lab context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LabOp {
    Gt,
    Ge,
    Lt,
    Le,
}

impl LabOp {
    pub fn holds(self, x: f64, v: f64) -> bool {
        match self {
            LabOp::Gt => x > v,
            LabOp::Ge => x >= v,
            LabOp::Lt => x < v,
            LabOp::Le => x <= v,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LabOp::Gt => ">",
            LabOp::Ge => ">=",
            LabOp::Lt => "<",
            LabOp::Le => "<=",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LabRule {
    pub name: String,
    pub loinc: Vec<String>,
    pub op: LabOp,
    pub value: f64,
    pub unit: Option<String>,
    pub severity: Severity,
}

#[derive(Debug, Clone)]
pub struct ConditionRule {
    pub name: String,
    pub icd10_prefixes: Vec<String>,
    pub snomed: Vec<String>,
    pub severity: Severity,
}

/// A compiled rule. `severity` is `None` when a site override switched it off.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub a: String,
    pub b: String,
    pub severity: Option<Severity>,
    pub effect: String,
    pub mechanism: String,
    pub management: String,
    pub source: String,
    /// `(dense ingredient, mg threshold, severity at or below it)`.
    pub dose: Option<(u32, f64, Option<Severity>)>,
    pub routes: Option<Vec<String>>,
    pub washout_days: u32,
    pub lab: Option<LabRule>,
    pub condition: Option<ConditionRule>,
}

/// One rule on one ingredient pair; `a_is_lo` says whether the lower dense id is on side `a`.
#[derive(Debug, Clone, Copy)]
pub struct PairRule {
    pub rule: u32,
    pub a_is_lo: bool,
}

/// A compiled duplication class.
#[derive(Debug, Clone)]
pub struct DupClass {
    pub class: u32,
    pub allowance: u32,
    pub prn_with_scheduled: bool,
    pub overlap_days: u32,
    pub source: String,
}

/// A drug-interaction knowledge base (see the module docs of [`crate::ddi`] for the format).
#[derive(Debug, Clone)]
pub struct Kb {
    raw: KbFile,
    /// Files merged into this KB (for provenance and error messages).
    pub sources: Vec<String>,
    pub ingredients: Vec<Ingredient>,
    pub classes: Vec<Class>,
    pub rules: Vec<Rule>,
    pub duplication: Vec<DupClass>,
    by_rxcui: FxHashMap<u32, u32>,
    names: FxHashMap<String, u32>,
    max_words: usize,
    products: FxHashMap<String, ResolvedDrug>,
    pairs: FxHashMap<u64, (u32, u32)>,
    pair_rules: Vec<PairRule>,
    partners: Vec<u64>,
    words: usize,
    suppressed: HashSet<u64, crate::intern::FxBuild>,
    /// Duplication classes (indexes into `duplication`) per ingredient.
    ing_dup: Vec<Vec<u16>>,
    /// Largest washout of any rule or ingredient (how far back stopped drugs can matter).
    pub max_washout_days: u32,
    /// Free-text names already parsed: an EHR sends the same few thousand names over and over.
    name_memo: NameMemo,
}

static EMBEDDED_TEXT: &str = include_str!("../../data/ddi/default_kb.json");

static EMBEDDED: Lazy<Kb> =
    Lazy::new(
        || match Kb::from_json(EMBEDDED_TEXT.as_bytes(), "default_kb.json") {
            Ok(kb) => kb,
            // The embedded file is checked by the test suite; an empty KB keeps a bad build from panicking.
            Err(_) => Kb::empty(),
        },
    );

pub(crate) fn pair_key(x: u32, y: u32) -> u64 {
    let (lo, hi) = if x < y { (x, y) } else { (y, x) };
    ((lo as u64) << 32) | hi as u64
}

/// Line (1-based) of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle)
        .map(|pos| text[..pos].bytes().filter(|&b| b == b'\n').count() + 1)
}

fn parse_severity(s: &str) -> Option<Option<Severity>> {
    if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("suppress") {
        return Some(None);
    }
    match Severity::parse(s) {
        Some(Severity::Info) | None => None,
        Some(x) => Some(Some(x)),
    }
}

impl Kb {
    /// The default KB compiled into the library (ONC high-priority pairs, ONC non-interruptive
    /// list, FDA label and safety-communication rules; see `core/data/ddi/README.md`).
    pub fn embedded() -> &'static Kb {
        &EMBEDDED
    }

    /// A KB with nothing in it.
    pub fn empty() -> Kb {
        Kb::compile(KbFile::default(), Vec::new(), "", "").unwrap_or_else(|_| unreachable_kb())
    }

    /// Reads a KB file. A malformed file is rejected whole with [`CinError::KnowledgeBase`]
    /// naming the file, line and JSON path; a rule naming an unknown class or ingredient is an
    /// error too.
    pub fn from_json(bytes: &[u8], source_name: &str) -> Result<Kb> {
        let text = String::from_utf8_lossy(bytes);
        let raw = parse_file(&text, source_name)?;
        Kb::compile(raw, vec![source_name.to_string()], &text, source_name)
    }

    /// Merges another KB into this one: ingredients and classes by id (members and synonyms
    /// united), rules and suppression pairs by id (the other's replace ours), duplication
    /// classes by class, products by code, and the other's severity overrides applied. To
    /// replace the default KB instead, use the vendor KB on its own.
    pub fn extend(&mut self, other: &Kb) -> Result<()> {
        let mut raw = self.raw.clone();
        merge(&mut raw, other.raw.clone());
        let mut sources = self.sources.clone();
        sources.extend(other.sources.iter().cloned());
        *self = Kb::compile(raw, sources, "", "merged knowledge base")?;
        Ok(())
    }

    /// Reads a site or vendor file that may refer to this KB's classes and ingredients, and
    /// merges it in (errors name `source_name`).
    pub fn extend_json(&mut self, bytes: &[u8], source_name: &str) -> Result<()> {
        let text = String::from_utf8_lossy(bytes);
        let other = parse_file(&text, source_name)?;
        let mut raw = self.raw.clone();
        merge(&mut raw, other);
        let mut sources = self.sources.clone();
        sources.push(source_name.to_string());
        *self = Kb::compile(raw, sources, &text, source_name)?;
        Ok(())
    }

    /// Site override of a rule's severity (`None` switches the rule off).
    pub fn set_severity(&mut self, rule_id: &str, severity: Option<Severity>) -> Result<()> {
        let r = self
            .rules
            .iter_mut()
            .find(|r| r.id == rule_id)
            .ok_or_else(|| CinError::invalid("unknown rule id"))?;
        r.severity = severity;
        let s = severity.map_or("off", Severity::as_str).to_string();
        self.raw.severity_overrides.push(OverrideEntry {
            rule: rule_id.to_string(),
            severity: s,
        });
        Ok(())
    }

    /// KB name and version as the file states them.
    pub fn version(&self) -> &str {
        self.raw.version.as_deref().unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.raw.name.as_deref().unwrap_or("")
    }

    /// Dense id of an ingredient RxCUI.
    pub fn ingredient_id(&self, rxcui: u32) -> Option<u32> {
        self.by_rxcui.get(&rxcui).copied()
    }
    pub fn ingredient(&self, id: u32) -> &Ingredient {
        &self.ingredients[id as usize]
    }
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Rules on an ingredient pair (dense ids), empty when none.
    #[inline]
    pub fn rules_for(&self, x: u32, y: u32) -> &[PairRule] {
        if x == y || !self.has_partner(x, y) {
            return &[];
        }
        match self.pairs.get(&pair_key(x, y)) {
            Some(&(s, n)) => &self.pair_rules[s as usize..(s + n) as usize],
            None => &[],
        }
    }

    #[inline]
    fn has_partner(&self, x: u32, y: u32) -> bool {
        let w = x as usize * self.words + (y as usize >> 6);
        self.partners
            .get(w)
            .is_some_and(|bits| bits >> (y & 63) & 1 == 1)
    }

    /// Any rule or duplication class involves this ingredient.
    #[inline]
    pub fn is_relevant(&self, x: u32) -> bool {
        let s = x as usize * self.words;
        self.partners
            .get(s..s + self.words)
            .is_some_and(|w| w.iter().any(|&b| b != 0))
            || self.ing_dup.get(x as usize).is_some_and(|d| !d.is_empty())
    }

    /// The pair is on the non-interruptive list.
    pub fn is_suppressed(&self, x: u32, y: u32) -> bool {
        self.suppressed.contains(&pair_key(x, y))
    }

    /// Duplication classes of an ingredient.
    pub fn dup_classes(&self, x: u32) -> &[u16] {
        self.ing_dup.get(x as usize).map_or(&[], Vec::as_slice)
    }

    /// Resolves a drug given as an RxCUI (ingredient, SCD or SBD), an NDC, or a name.
    pub fn resolve(&self, drug: &str) -> Option<ResolvedDrug> {
        let t = drug.trim();
        if t.is_empty() {
            return None;
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(p) = self.products.get(t) {
                return Some(p.clone());
            }
            if t.len() <= 8
                && let Ok(c) = t.parse::<u32>()
                && let Some(id) = self.ingredient_id(c)
            {
                return Some(ResolvedDrug {
                    ingredients: vec![(id, None)],
                    route: Route::Unknown,
                    prn: false,
                    via: MappedVia::IngredientCode,
                });
            }
        }
        if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') && t.len() >= 10 {
            let key = format!("ndc:{}", normalize_ndc(t));
            if let Some(p) = self.products.get(&key) {
                return Some(p.clone());
            }
        }
        self.name_memo
            .get_or_insert(t, || parse_name(t, &self.names, self.max_words))
    }

    /// Resolves a coded drug (RxNorm or NDC) with its display text as the fallback.
    pub fn resolve_code(
        &self,
        system: CodeSystem,
        code: &str,
        display: Option<&str>,
    ) -> Option<ResolvedDrug> {
        let by_code = match system {
            CodeSystem::RxNorm => self.resolve_rxcui(code),
            CodeSystem::Ndc => self
                .products
                .get(&format!("ndc:{}", normalize_ndc(code)))
                .cloned(),
            _ => None,
        };
        by_code.or_else(|| display.and_then(|d| parse_name(d, &self.names, self.max_words)))
    }

    fn resolve_rxcui(&self, code: &str) -> Option<ResolvedDrug> {
        let t = code.trim();
        if let Some(p) = self.products.get(t) {
            return Some(p.clone());
        }
        let id = self.ingredient_id(t.parse().ok()?)?;
        Some(ResolvedDrug {
            ingredients: vec![(id, None)],
            route: Route::Unknown,
            prn: false,
            via: MappedVia::IngredientCode,
        })
    }

    fn compile(raw: KbFile, sources: Vec<String>, text: &str, source_name: &str) -> Result<Kb> {
        let err = |needle: &str, field: String, message: String| CinError::KnowledgeBase {
            location: Location {
                source: source_name.to_string(),
                line: if needle.is_empty() {
                    None
                } else {
                    line_of(text, needle)
                },
                entry: None,
                field: Some(field),
            },
            message,
        };
        // Ingredients.
        let mut ingredients = Vec::with_capacity(raw.ingredients.len());
        let mut by_rxcui = FxHashMap::default();
        let mut names: FxHashMap<String, u32> = FxHashMap::default();
        for (i, e) in raw.ingredients.iter().enumerate() {
            if by_rxcui.contains_key(&e.rxcui) {
                return Err(err(
                    &format!("\"rxcui\": {}", e.rxcui),
                    format!("ingredients[{i}].rxcui"),
                    "ingredient RxCUI listed twice".into(),
                ));
            }
            if e.name.trim().is_empty() {
                return Err(err(
                    &format!("\"rxcui\": {}", e.rxcui),
                    format!("ingredients[{i}].name"),
                    "ingredient name is empty".into(),
                ));
            }
            let id = ingredients.len() as u32;
            by_rxcui.insert(e.rxcui, id);
            for n in std::iter::once(&e.name).chain(e.synonyms.iter()) {
                names.entry(n.trim().to_lowercase()).or_insert(id);
            }
            ingredients.push(Ingredient {
                rxcui: e.rxcui,
                name: e.name.trim().to_lowercase(),
                washout_days: e.washout_days,
            });
        }
        let max_words = names
            .keys()
            .map(|k| k.split(' ').count())
            .max()
            .unwrap_or(1);
        // Classes.
        let mut classes: Vec<Class> = Vec::with_capacity(raw.classes.len());
        let mut class_by_id: FxHashMap<&str, u32> = FxHashMap::default();
        for (i, c) in raw.classes.iter().enumerate() {
            let needle = format!("\"id\": \"{}\"", c.id);
            if class_by_id.contains_key(c.id.as_str()) {
                return Err(err(
                    &needle,
                    format!("classes[{i}].id"),
                    "class id listed twice".into(),
                ));
            }
            let mut members = Vec::with_capacity(c.members.len());
            for (k, m) in c.members.iter().enumerate() {
                let id = by_rxcui.get(m).copied().ok_or_else(|| {
                    err(
                        &needle,
                        format!("classes[{i}].members[{k}]"),
                        format!("class member RxCUI {m} is not a listed ingredient"),
                    )
                })?;
                members.push(id);
            }
            class_by_id.insert(c.id.as_str(), classes.len() as u32);
            classes.push(Class {
                id: c.id.clone(),
                name: c.name.clone(),
                members,
                source: c.source.clone(),
            });
        }
        let side = |s: &str, needle: &str, field: String| -> Result<Vec<u32>> {
            let t = s.trim();
            if let Some(cid) = t.strip_prefix("class:") {
                return class_by_id
                    .get(cid)
                    .map(|&c| classes[c as usize].members.clone())
                    .ok_or_else(|| err(needle, field, format!("unknown class '{cid}'")));
            }
            let ing = t
                .parse::<u32>()
                .ok()
                .and_then(|c| by_rxcui.get(&c).copied())
                .or_else(|| names.get(&t.to_lowercase()).copied());
            ing.map(|i| vec![i])
                .ok_or_else(|| err(needle, field, format!("unknown ingredient '{t}'")))
        };
        let sev = |s: &str, needle: &str, field: String| -> Result<Option<Severity>> {
            parse_severity(s).ok_or_else(|| {
                err(
                    needle,
                    field,
                    format!(
                        "unknown severity '{s}' (expected contraindicated, major, moderate, minor or off)"
                    ),
                )
            })
        };
        // Rules.
        let overrides: FxHashMap<&str, &str> = raw
            .severity_overrides
            .iter()
            .map(|o| (o.rule.as_str(), o.severity.as_str()))
            .collect();
        let n = ingredients.len();
        let words = n.div_ceil(64).max(1);
        let mut partners = vec![0u64; n * words];
        let mut pair_lists: FxHashMap<u64, Vec<PairRule>> = FxHashMap::default();
        let mut rules = Vec::with_capacity(raw.rules.len());
        let mut seen_rule: FxHashMap<&str, ()> = FxHashMap::default();
        let mut max_washout = ingredients
            .iter()
            .map(|i| i.washout_days)
            .max()
            .unwrap_or(0);
        for (i, r) in raw.rules.iter().enumerate() {
            let needle = format!("\"id\": \"{}\"", r.id);
            if seen_rule.insert(r.id.as_str(), ()).is_some() {
                return Err(err(
                    &needle,
                    format!("rules[{i}].id"),
                    "rule id listed twice".into(),
                ));
            }
            let a = side(&r.a, &needle, format!("rules[{i}].a"))?;
            let b = side(&r.b, &needle, format!("rules[{i}].b"))?;
            let mut severity = sev(&r.severity, &needle, format!("rules[{i}].severity"))?;
            if severity.is_none() {
                return Err(err(
                    &needle,
                    format!("rules[{i}].severity"),
                    "a rule needs a severity (use severity_overrides to switch one off)".into(),
                ));
            }
            if let Some(o) = overrides.get(r.id.as_str()) {
                let on = format!("\"rule\": \"{}\"", r.id);
                severity = sev(o, &on, "severity_overrides.severity".into())?;
            }
            let ctx = r.context.clone().unwrap_or_default();
            let dose = match &ctx.dose {
                Some(d) => {
                    let id = by_rxcui.get(&d.ingredient).copied().ok_or_else(|| {
                        err(
                            &needle,
                            format!("rules[{i}].context.dose.ingredient"),
                            "dose ingredient is not a listed ingredient".into(),
                        )
                    })?;
                    let otherwise = match &d.otherwise {
                        Some(s) => sev(s, &needle, format!("rules[{i}].context.dose.otherwise"))?,
                        None => None,
                    };
                    Some((id, d.above_mg, otherwise))
                }
                None => None,
            };
            if let Some(rs) = &ctx.routes {
                for (k, x) in rs.iter().enumerate() {
                    if x != "systemic" && Route::parse(x).is_none() {
                        return Err(err(
                            &needle,
                            format!("rules[{i}].context.routes[{k}]"),
                            format!("unknown route '{x}'"),
                        ));
                    }
                }
            }
            let lab = match &ctx.lab {
                Some(l) => {
                    let op = match l.op.trim() {
                        ">" => LabOp::Gt,
                        ">=" => LabOp::Ge,
                        "<" => LabOp::Lt,
                        "<=" => LabOp::Le,
                        _ => {
                            return Err(err(
                                &needle,
                                format!("rules[{i}].context.lab.op"),
                                "lab op must be >, >=, < or <=".into(),
                            ));
                        }
                    };
                    let s = sev(
                        &l.severity,
                        &needle,
                        format!("rules[{i}].context.lab.severity"),
                    )?
                    .unwrap_or(Severity::Minor);
                    Some(LabRule {
                        name: l.name.clone(),
                        loinc: l.loinc.clone(),
                        op,
                        value: l.value,
                        unit: l.unit.clone(),
                        severity: s,
                    })
                }
                None => None,
            };
            let condition = match &ctx.condition {
                Some(c) => Some(ConditionRule {
                    name: c.name.clone(),
                    icd10_prefixes: c
                        .icd10_prefixes
                        .iter()
                        .filter_map(|p| CodeSystem::Icd10Cm.normalize(p))
                        .collect(),
                    snomed: c.snomed.clone(),
                    severity: sev(
                        &c.severity,
                        &needle,
                        format!("rules[{i}].context.condition.severity"),
                    )?
                    .unwrap_or(Severity::Minor),
                }),
                None => None,
            };
            let washout_days = ctx.washout_days.unwrap_or(0);
            max_washout = max_washout.max(washout_days);
            let rid = rules.len() as u32;
            for &x in &a {
                for &y in &b {
                    if x == y {
                        continue;
                    }
                    let key = pair_key(x, y);
                    let list = pair_lists.entry(key).or_default();
                    if list.iter().any(|p| p.rule == rid) {
                        continue;
                    }
                    list.push(PairRule {
                        rule: rid,
                        a_is_lo: x < y,
                    });
                    partners[x as usize * words + (y as usize >> 6)] |= 1 << (y & 63);
                    partners[y as usize * words + (x as usize >> 6)] |= 1 << (x & 63);
                }
            }
            rules.push(Rule {
                id: r.id.clone(),
                a: r.a.clone(),
                b: r.b.clone(),
                severity,
                effect: r.effect.clone(),
                mechanism: r.mechanism.clone(),
                management: r.management.clone(),
                source: r.source.clone(),
                dose,
                routes: ctx.routes.clone(),
                washout_days,
                lab,
                condition,
            });
        }
        for o in &raw.severity_overrides {
            if !seen_rule.contains_key(o.rule.as_str()) {
                return Err(err(
                    &format!("\"rule\": \"{}\"", o.rule),
                    "severity_overrides.rule".into(),
                    format!("override for unknown rule '{}'", o.rule),
                ));
            }
        }
        let mut keys: Vec<u64> = pair_lists.keys().copied().collect();
        keys.sort_unstable();
        let mut pairs = FxHashMap::default();
        let mut pair_rules = Vec::new();
        for k in keys {
            let list = &pair_lists[&k];
            pairs.insert(k, (pair_rules.len() as u32, list.len() as u32));
            pair_rules.extend_from_slice(list);
        }
        // Suppression.
        let mut suppressed = HashSet::default();
        for (i, s) in raw.non_interruptive.iter().enumerate() {
            let needle = format!("\"id\": \"{}\"", s.id);
            let a = side(&s.a, &needle, format!("non_interruptive[{i}].a"))?;
            let b = side(&s.b, &needle, format!("non_interruptive[{i}].b"))?;
            for &x in &a {
                for &y in &b {
                    if x != y {
                        suppressed.insert(pair_key(x, y));
                    }
                }
            }
        }
        // Duplication classes.
        let mut duplication = Vec::new();
        let mut ing_dup = vec![Vec::new(); n];
        for (i, d) in raw.duplication.iter().enumerate() {
            let needle = format!("\"class\": \"{}\"", d.class);
            let c = *class_by_id.get(d.class.as_str()).ok_or_else(|| {
                err(
                    &needle,
                    format!("duplication[{i}].class"),
                    format!("unknown class '{}'", d.class),
                )
            })?;
            let di = duplication.len() as u16;
            for &m in &classes[c as usize].members {
                ing_dup[m as usize].push(di);
            }
            duplication.push(DupClass {
                class: c,
                allowance: d.allowance,
                prn_with_scheduled: d.prn_with_scheduled,
                overlap_days: d.overlap_days,
                source: d.source.clone(),
            });
        }
        // Products.
        let mut products = FxHashMap::default();
        for (i, p) in raw.products.iter().enumerate() {
            let code = p
                .rxcui
                .clone()
                .or_else(|| p.ndc.clone())
                .unwrap_or_default();
            let needle = format!("\"{}\"", code);
            let resolved = match &p.ingredients {
                Some(list) => {
                    let mut ings = Vec::new();
                    for (k, c) in list.iter().enumerate() {
                        let id = by_rxcui.get(c).copied().ok_or_else(|| {
                            err(
                                &needle,
                                format!("products[{i}].ingredients[{k}]"),
                                format!("product ingredient RxCUI {c} is not a listed ingredient"),
                            )
                        })?;
                        let s = p
                            .strengths_mg
                            .as_ref()
                            .and_then(|v| v.get(k).copied().flatten());
                        ings.push((id, s));
                    }
                    let mut r = p
                        .name
                        .as_deref()
                        .and_then(|n| parse_name(n, &names, max_words))
                        .map(|r| ResolvedDrug {
                            ingredients: Vec::new(),
                            ..r
                        })
                        .unwrap_or(ResolvedDrug {
                            ingredients: Vec::new(),
                            route: Route::Unknown,
                            prn: false,
                            via: MappedVia::ProductCode,
                        });
                    r.ingredients = ings;
                    Some(r)
                }
                None => p
                    .name
                    .as_deref()
                    .and_then(|n| parse_name(n, &names, max_words)),
            };
            // A product whose name names no known ingredient stays unmapped (coverage list).
            let Some(mut r) = resolved else { continue };
            if r.ingredients.is_empty() {
                continue;
            }
            if let Some(c) = &p.rxcui {
                r.via = MappedVia::ProductCode;
                products.insert(c.trim().to_string(), r.clone());
            }
            if let Some(ndc) = &p.ndc {
                r.via = MappedVia::Ndc;
                products.insert(format!("ndc:{}", normalize_ndc(ndc)), r);
            }
        }
        Ok(Kb {
            raw,
            sources,
            ingredients,
            classes,
            rules,
            duplication,
            by_rxcui,
            names,
            max_words,
            products,
            pairs,
            pair_rules,
            partners,
            words,
            suppressed,
            ing_dup,
            max_washout_days: max_washout,
            name_memo: NameMemo::default(),
        })
    }
}

/// A bounded memo of name → resolution. Cloning a KB (to extend it) starts an empty memo, since
/// the names it resolves may change.
#[derive(Debug, Default)]
struct NameMemo(RwLock<FxHashMap<String, Option<ResolvedDrug>>>);

impl Clone for NameMemo {
    fn clone(&self) -> Self {
        NameMemo::default()
    }
}

impl NameMemo {
    /// Distinct names kept; beyond that the memo starts over (memory stays bounded).
    const CAPACITY: usize = 1 << 16;

    fn get_or_insert(
        &self,
        name: &str,
        parse: impl FnOnce() -> Option<ResolvedDrug>,
    ) -> Option<ResolvedDrug> {
        if let Ok(m) = self.0.read()
            && let Some(r) = m.get(name)
        {
            return r.clone();
        }
        let r = parse();
        if let Ok(mut m) = self.0.write() {
            if m.len() >= Self::CAPACITY {
                m.clear();
            }
            m.insert(name.to_string(), r.clone());
        }
        r
    }
}

fn unreachable_kb() -> Kb {
    // compile() of an empty file cannot fail; this keeps `empty()` total without a panic path.
    Kb {
        raw: KbFile::default(),
        sources: Vec::new(),
        ingredients: Vec::new(),
        classes: Vec::new(),
        rules: Vec::new(),
        duplication: Vec::new(),
        by_rxcui: FxHashMap::default(),
        names: FxHashMap::default(),
        max_words: 1,
        products: FxHashMap::default(),
        pairs: FxHashMap::default(),
        pair_rules: Vec::new(),
        partners: Vec::new(),
        words: 1,
        suppressed: HashSet::default(),
        ing_dup: Vec::new(),
        max_washout_days: 0,
        name_memo: NameMemo::default(),
    }
}

/// Parses the JSON, reporting syntax and shape errors with line and JSON path.
fn parse_file(text: &str, source_name: &str) -> Result<KbFile> {
    let kb_err =
        |line: Option<usize>, field: Option<String>, message: String| CinError::KnowledgeBase {
            location: Location {
                source: source_name.to_string(),
                line,
                entry: None,
                field,
            },
            message,
        };
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| kb_err(Some(e.line()), None, format!("invalid JSON: {e}")))?;
    match serde_json::from_str::<KbFile>(text) {
        Ok(f) => Ok(f),
        Err(e) => {
            // Find which entry failed, for the JSON path.
            let mut field = None;
            if let Some(obj) = value.as_object() {
                'outer: for (section, v) in obj {
                    if let Some(arr) = v.as_array() {
                        for (i, item) in arr.iter().enumerate() {
                            let r = match section.as_str() {
                                "ingredients" => {
                                    serde_json::from_value::<IngredientEntry>(item.clone()).err()
                                }
                                "classes" => {
                                    serde_json::from_value::<ClassEntry>(item.clone()).err()
                                }
                                "rules" => serde_json::from_value::<RuleEntry>(item.clone()).err(),
                                "non_interruptive" => {
                                    serde_json::from_value::<SuppressionEntry>(item.clone()).err()
                                }
                                "duplication" => {
                                    serde_json::from_value::<DuplicationEntry>(item.clone()).err()
                                }
                                "products" => {
                                    serde_json::from_value::<ProductEntry>(item.clone()).err()
                                }
                                "severity_overrides" => {
                                    serde_json::from_value::<OverrideEntry>(item.clone()).err()
                                }
                                _ => None,
                            };
                            if let Some(ie) = r {
                                let msg = ie.to_string();
                                let name = msg
                                    .split('`')
                                    .nth(1)
                                    .filter(|_| msg.starts_with("missing field"))
                                    .map(|f| format!(".{f}"))
                                    .unwrap_or_default();
                                field = Some(format!("{section}[{i}]{name}"));
                                break 'outer;
                            }
                        }
                    }
                }
            }
            Err(kb_err(Some(e.line()), field, format!("invalid entry: {e}")))
        }
    }
}

/// Merges `other` into `base` (see [`Kb::extend`]).
fn merge(base: &mut KbFile, other: KbFile) {
    for i in other.ingredients {
        match base.ingredients.iter_mut().find(|x| x.rxcui == i.rxcui) {
            Some(x) => {
                for s in i.synonyms {
                    if !x.synonyms.contains(&s) {
                        x.synonyms.push(s);
                    }
                }
                x.washout_days = x.washout_days.max(i.washout_days);
            }
            None => base.ingredients.push(i),
        }
    }
    for c in other.classes {
        match base.classes.iter_mut().find(|x| x.id == c.id) {
            Some(x) => {
                for m in c.members {
                    if !x.members.contains(&m) {
                        x.members.push(m);
                    }
                }
            }
            None => base.classes.push(c),
        }
    }
    for r in other.rules {
        match base.rules.iter_mut().find(|x| x.id == r.id) {
            Some(x) => *x = r,
            None => base.rules.push(r),
        }
    }
    for s in other.non_interruptive {
        match base.non_interruptive.iter_mut().find(|x| x.id == s.id) {
            Some(x) => *x = s,
            None => base.non_interruptive.push(s),
        }
    }
    for d in other.duplication {
        match base.duplication.iter_mut().find(|x| x.class == d.class) {
            Some(x) => *x = d,
            None => base.duplication.push(d),
        }
    }
    base.products.extend(other.products);
    base.severity_overrides.extend(other.severity_overrides);
    if other.version.is_some() {
        base.version = match (&base.version, &other.version) {
            (Some(a), Some(b)) => Some(format!("{a}+{b}")),
            (_, b) => b.clone(),
        };
    }
}
