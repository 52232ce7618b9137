//! Evaluating one ingredient pair against one rule (washout, route, dose, suppression, lab and
//! condition context), building the alerts, and the list check without a network.

use super::identity::{ResolvedDrug, Route};
use super::kb::{ConditionRule, Kb, PairRule};
use crate::alert::{Alert, AlertKind, Severity};
use serde_json::{Value, json};

/// One drug of a pair as the evaluator sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PairSide {
    pub ing: u32,
    pub strength: Option<f64>,
    pub route: Route,
    /// Whole days since the drug stopped (`None` while active).
    pub days_since_stop: Option<i64>,
}

/// A lab value as the context sees it.
#[derive(Debug, Clone)]
pub(crate) struct LabValue {
    pub value: f64,
    pub time: Option<String>,
    pub org: Option<String>,
    pub code: String,
}

/// What the patient record can tell the evaluator.
pub(crate) trait PatientFacts {
    fn latest_lab(&self, loinc: &[String]) -> Option<LabValue>;
    fn condition(&self, c: &ConditionRule) -> Option<String>;
}

pub(crate) enum Outcome {
    Fired {
        severity: Severity,
        notes: Vec<(&'static str, Value)>,
        /// The side that is the rule's `a`.
        a_first: bool,
    },
    Suppressed,
    NoAlert,
}

/// Applies one rule to one ingredient pair `x`, `y`.
pub(crate) fn evaluate(
    kb: &Kb,
    pr: PairRule,
    x: &PairSide,
    y: &PairSide,
    facts: Option<&dyn PatientFacts>,
) -> Outcome {
    let rule = &kb.rules[pr.rule as usize];
    let Some(mut severity) = rule.severity else {
        return Outcome::NoAlert;
    };
    let a_first = (x.ing < y.ing) == pr.a_is_lo;
    let mut notes: Vec<(&'static str, Value)> = Vec::new();
    for s in [x, y] {
        if let Some(d) = s.days_since_stop {
            let allowed = kb.ingredient(s.ing).washout_days.max(rule.washout_days) as i64;
            if d > allowed {
                return Outcome::NoAlert;
            }
            notes.push(("days_since_stop", json!(d)));
            notes.push(("washout_days", json!(allowed)));
        }
    }
    if let Some(routes) = &rule.routes {
        for s in [x, y] {
            if s.route == Route::Unknown {
                continue;
            }
            let ok = routes
                .iter()
                .any(|r| r == s.route.as_str() || (r == "systemic" && s.route.is_systemic()));
            if !ok {
                return Outcome::NoAlert;
            }
        }
    }
    if let Some((ing, mg, otherwise)) = rule.dose {
        let side = if x.ing == ing {
            Some(x)
        } else if y.ing == ing {
            Some(y)
        } else {
            None
        };
        match side.and_then(|s| s.strength) {
            Some(dose) if dose <= mg => match otherwise {
                Some(s) => severity = s,
                None => return Outcome::NoAlert,
            },
            Some(dose) => {
                notes.push(("dose_mg", json!(dose)));
                notes.push(("dose_threshold_mg", json!(mg)));
            }
            None => notes.push(("dose_unknown", json!(true))),
        }
    }
    let mut escalated = false;
    if let (Some(lab), Some(f)) = (&rule.lab, facts)
        && let Some(v) = f.latest_lab(&lab.loinc)
    {
        let holds = lab.op.holds(v.value, lab.value);
        notes.push(("lab", json!(lab.name)));
        notes.push(("lab_value", json!(v.value)));
        notes.push(("lab_code", json!(v.code)));
        notes.push(("lab_time", json!(v.time)));
        notes.push(("lab_org", json!(v.org)));
        notes.push((
            "lab_condition",
            json!(format!("{} {} {}", lab.name, lab.op.as_str(), lab.value)),
        ));
        notes.push(("lab_condition_met", json!(holds)));
        if holds && lab.severity > severity {
            severity = lab.severity;
            escalated = true;
        }
    }
    if let (Some(c), Some(f)) = (&rule.condition, facts)
        && let Some(code) = f.condition(c)
    {
        notes.push(("condition", json!(c.name)));
        notes.push(("condition_code", json!(code)));
        if c.severity > severity {
            severity = c.severity;
            escalated = true;
        }
    }
    if kb.is_suppressed(x.ing, y.ing) && !escalated {
        return Outcome::Suppressed;
    }
    Outcome::Fired {
        severity,
        notes,
        a_first,
    }
}

/// The alert for a fired rule; `a` and `b` are the rule's sides.
pub(crate) fn interaction_alert(
    kb: &Kb,
    rule: u32,
    severity: Severity,
    a: u32,
    b: u32,
    notes: Vec<(&'static str, Value)>,
) -> Alert {
    let r = &kb.rules[rule as usize];
    let (ia, ib) = (kb.ingredient(a), kb.ingredient(b));
    // Sized once: this runs at the point of care, where a few microseconds matter.
    let sev = severity.as_str();
    let mut message = String::with_capacity(
        sev.len() + ia.name.len() + ib.name.len() + r.effect.len() + r.management.len() + 24,
    );
    for part in [
        sev,
        " interaction: ",
        &ia.name,
        " + ",
        &ib.name,
        ": ",
        &r.effect,
        ". ",
        &r.management,
    ] {
        message.push_str(part);
    }
    let mut alert = Alert::new(AlertKind::DrugInteraction, severity, r.id.clone(), message)
        .source(r.source.clone())
        .with("drug_a", ia.name.as_str())
        .with("drug_b", ib.name.as_str())
        .with("rxcui_a", ia.rxcui)
        .with("rxcui_b", ib.rxcui)
        .with("effect", r.effect.as_str())
        .with("mechanism", r.mechanism.as_str())
        .with("management", r.management.as_str());
    for (k, v) in notes {
        alert.evidence.insert(k, v);
    }
    alert
}

/// The alert for a therapeutic duplication (`dup` = index into `kb.duplication`, or `None` for
/// the same ingredient twice).
pub(crate) fn duplication_alert(kb: &Kb, dup: Option<u16>, a: u32, b: u32) -> Alert {
    let (ia, ib) = (kb.ingredient(a), kb.ingredient(b));
    match dup {
        Some(d) => {
            let dc = &kb.duplication[d as usize];
            let class = &kb.classes[dc.class as usize];
            Alert::new(
                AlertKind::TherapeuticDuplication,
                Severity::Moderate,
                format!("dup-{}", class.id),
                format!(
                    "therapeutic duplication: {} and {} are both {}",
                    ia.name, ib.name, class.name
                ),
            )
            .source(dc.source.clone())
            .with("class", class.id.as_str())
            .with("drug_a", ia.name.as_str())
            .with("drug_b", ib.name.as_str())
            .with("rxcui_a", ia.rxcui)
            .with("rxcui_b", ib.rxcui)
        }
        None => Alert::new(
            AlertKind::TherapeuticDuplication,
            Severity::Moderate,
            "dup-same-ingredient",
            format!("therapeutic duplication: {} is in two active orders", ia.name),
        )
        .source("Same ingredient from two products or prescribers (research note section 4; FDB duplicate therapy module, ingredient overlap)")
        .with("drug_a", ia.name.as_str())
        .with("drug_b", ib.name.as_str())
        .with("rxcui_a", ia.rxcui)
        .with("rxcui_b", ib.rxcui),
    }
}

pub(crate) fn unmapped_alert(drug: &str) -> Alert {
    Alert::new(
        AlertKind::UnmappedDrug,
        Severity::Info,
        "unmapped-drug",
        "drug not mapped to any knowledge-base ingredient: not checked for interactions".into(),
    )
    .source("cin_core drug identity (RxNorm ingredient normalisation)")
    .with("drug", drug)
}

/// Checks a medication list without a network: every entry (RxCUI, NDC or name) against every
/// other. Returns `drug_interaction`, `therapeutic_duplication` and `unmapped_drug` alerts;
/// evidence carries `drug_a`/`drug_b` (ingredient names, the rule's sides in order) and
/// `input_a`/`input_b` (the entries as given). Non-interruptive pairs are not returned.
pub fn check_interactions(kb: &Kb, drugs: &[&str]) -> Vec<Alert> {
    let resolved: Vec<Option<ResolvedDrug>> = drugs.iter().map(|d| kb.resolve(d)).collect();
    check_resolved(kb, drugs, &resolved)
}

/// [`check_interactions`] on drugs already resolved with [`Kb::resolve`].
pub fn check_resolved(kb: &Kb, drugs: &[&str], resolved: &[Option<ResolvedDrug>]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let mut seen: Vec<(u32, u64)> = Vec::new();
    for (i, r) in resolved.iter().enumerate() {
        if r.is_none() {
            alerts.push(unmapped_alert(drugs.get(i).copied().unwrap_or("")).with("position", i));
        }
    }
    let side = |r: &ResolvedDrug, ing: u32, strength| PairSide {
        ing,
        strength,
        route: r.route,
        days_since_stop: None,
    };
    for i in 0..resolved.len() {
        let Some(ri) = &resolved[i] else { continue };
        for j in i + 1..resolved.len() {
            let Some(rj) = &resolved[j] else { continue };
            for &(x, sx) in &ri.ingredients {
                for &(y, sy) in &rj.ingredients {
                    if x == y {
                        if !seen.contains(&(u32::MAX, super::kb::pair_key(x, x))) {
                            seen.push((u32::MAX, super::kb::pair_key(x, x)));
                            alerts.push(
                                duplication_alert(kb, None, x, y)
                                    .with("input_a", drugs[i])
                                    .with("input_b", drugs[j]),
                            );
                        }
                        continue;
                    }
                    for &pr in kb.rules_for(x, y) {
                        let key = (pr.rule, super::kb::pair_key(x, y));
                        if seen.contains(&key) {
                            continue;
                        }
                        let (px, py) = (side(ri, x, sx), side(rj, y, sy));
                        if let Outcome::Fired {
                            severity,
                            notes,
                            a_first,
                        } = evaluate(kb, pr, &px, &py, None)
                        {
                            seen.push(key);
                            let (a, b, ia, ib) = if a_first { (x, y, i, j) } else { (y, x, j, i) };
                            alerts.push(
                                interaction_alert(kb, pr.rule, severity, a, b, notes)
                                    .with("input_a", drugs[ia])
                                    .with("input_b", drugs[ib]),
                            );
                        }
                    }
                    for &d in kb.dup_classes(x) {
                        if !kb.dup_classes(y).contains(&d) {
                            continue;
                        }
                        let dc = &kb.duplication[d as usize];
                        if dc.prn_with_scheduled && ri.prn != rj.prn {
                            continue;
                        }
                        let members = resolved
                            .iter()
                            .flatten()
                            .filter(|r| {
                                r.ingredients
                                    .iter()
                                    .any(|(z, _)| kb.dup_classes(*z).contains(&d))
                            })
                            .count() as u32;
                        if members <= dc.allowance + 1 {
                            continue;
                        }
                        let key = (u32::MAX - 1 - d as u32, super::kb::pair_key(x, y));
                        if seen.contains(&key) {
                            continue;
                        }
                        seen.push(key);
                        alerts.push(
                            duplication_alert(kb, Some(d), x, y)
                                .with("input_a", drugs[i])
                                .with("input_b", drugs[j]),
                        );
                    }
                }
            }
        }
    }
    alerts
}
