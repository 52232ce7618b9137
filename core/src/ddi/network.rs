//! Drug checks against the merged network: a new prescription against the patient's active
//! medications from every organisation, and the population sweep behind the report.

use super::check::{
    LabValue, Outcome, PairSide, PatientFacts, duplication_alert, evaluate, interaction_alert,
    unmapped_alert,
};
use super::identity::{ResolvedDrug, Route};
use super::kb::{ConditionRule, Kb, pair_key};
use crate::alert::{Alert, Severity};
use crate::code::CodeSystem;
use crate::error::{CinError, Result};
use crate::intern::FxHashMap;
use crate::measures::{ExternalMeasureInput, Period};
use crate::model::*;
use crate::network::Network;
use crate::table::{Column, Table};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Population summary of interactions and duplications, for the network report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DdiSummary {
    pub kb_version: String,
    /// Interacting pairs (one per patient, rule and ingredient pair).
    pub count: usize,
    pub patients_with_interaction: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub by_rule: BTreeMap<String, usize>,
    /// `"drug_a + drug_b"` (ingredient names, rule sides in order).
    pub by_pair: BTreeMap<String, usize>,
    /// Interactions involving a drug prescribed by each organisation (org id).
    pub by_org: BTreeMap<String, usize>,
    /// Interactions whose two drugs came from different organisations.
    pub cross_org: usize,
    pub therapeutic_duplications: usize,
    pub duplications_by_class: BTreeMap<String, usize>,
    pub cross_org_duplications: usize,
    /// Pairs on the ONC non-interruptive list that were not shown.
    pub suppressed_non_interruptive: usize,
    pub medication_orders_checked: usize,
    pub unmapped_orders: usize,
    /// Unmapped drug (display text or code) → orders: the coverage list.
    pub unmapped_drugs: BTreeMap<String, usize>,
}

/// The patient record as the context evaluator sees it, at one time.
struct NetFacts<'a> {
    net: &'a Network,
    patient: PatientIdx,
    at: Timestamp,
}

fn obs_org(net: &Network, o: &Observation) -> Option<OrgIdx> {
    o.provenance
        .org
        .or_else(|| o.encounter.and_then(|e| net.encounter(e).org))
}

impl PatientFacts for NetFacts<'_> {
    fn latest_lab(&self, loinc: &[String]) -> Option<LabValue> {
        let mut best: Option<&Observation> = None;
        for o in self.net.patient_observations(self.patient) {
            if o.code.system != CodeSystem::Loinc || o.time.is_some_and(|t| t > self.at) {
                continue;
            }
            if !matches!(o.value, ObsValue::Number(_)) {
                continue;
            }
            let code = self.net.str(o.code.value);
            if loinc.iter().any(|l| l == code) && best.is_none_or(|b| b.time <= o.time) {
                best = Some(o);
            }
        }
        let o = best?;
        let ObsValue::Number(v) = o.value else {
            return None;
        };
        Some(LabValue {
            value: v,
            time: o.time.map(|t| t.to_string()),
            org: obs_org(self.net, o).map(|g| self.net.org_id(g).to_string()),
            code: self.net.str(o.code.value).to_string(),
        })
    }
    fn condition(&self, c: &ConditionRule) -> Option<String> {
        for cond in self.net.patient_conditions(self.patient) {
            if cond.onset.is_some_and(|t| t > self.at)
                || cond.abatement.is_some_and(|t| t < self.at)
            {
                continue;
            }
            let code = self.net.str(cond.code.value);
            let hit = match cond.code.system {
                CodeSystem::Icd10Cm => c
                    .icd10_prefixes
                    .iter()
                    .any(|p| code.starts_with(p.as_str())),
                CodeSystem::Snomed => c.snomed.iter().any(|s| s == code),
                _ => false,
            };
            if hit {
                return Some(format!("{}|{}", cond.code.system.as_str(), code));
            }
        }
        None
    }
}

/// A medication order's active window: `(start, end)`, end `None` = open. `None` when the order
/// never took effect (cancelled, entered in error). A stopped or completed order without a stop
/// date is taken to have ended on its start date.
fn window(m: &MedicationOrder) -> Option<(Option<Timestamp>, Option<Timestamp>)> {
    match m.status {
        MedStatus::Cancelled => None,
        MedStatus::Stopped | MedStatus::Completed => Some((m.start, m.stop.or(m.start))),
        _ => Some((m.start, m.stop)),
    }
}

fn med_org(net: &Network, m: &MedicationOrder) -> Option<OrgIdx> {
    m.org
        .or_else(|| m.prescriber.and_then(|p| net.practitioners[p.idx()].org))
        .or_else(|| m.encounter.and_then(|e| net.encounter(e).org))
        .or(m.provenance.org)
}

fn resolve_med(net: &Network, kb: &Kb, m: &MedicationOrder) -> Option<ResolvedDrug> {
    let display = m.display.map(|d| net.str(d));
    kb.resolve_code(m.code.system, net.str(m.code.value), display)
        .or_else(|| kb.resolve(net.str(m.code.value)))
}

fn med_label(net: &Network, m: &MedicationOrder) -> String {
    m.display
        .map(|d| net.str(d).to_string())
        .unwrap_or_else(|| format!("{}|{}", m.code.system.as_str(), net.str(m.code.value)))
}

impl Network {
    /// Checks a new prescription (`drug`: RxCUI, NDC or name) for patient `patient_id` against
    /// every medication active at `at` (default: the data end, else now) from every
    /// organisation, including drugs stopped within their washout. `org` is the prescribing
    /// organisation's key, for the cross-organisation evidence. Unknown patient →
    /// `InvalidInput`.
    pub fn check_prescription(
        &self,
        kb: &Kb,
        patient_id: &str,
        drug: &str,
        at: Option<Timestamp>,
        org: Option<&str>,
    ) -> Result<Vec<Alert>> {
        let p = self
            .patient_by_id(patient_id)
            .ok_or_else(|| CinError::invalid("unknown patient id"))?;
        let at = at
            .or_else(|| self.data_end())
            .unwrap_or_else(Timestamp::now);
        let Some(new) = kb.resolve(drug) else {
            return Ok(vec![unmapped_alert(drug)]);
        };
        let new_org = org.map(str::to_string);
        let facts = NetFacts {
            net: self,
            patient: p,
            at,
        };
        let mut alerts = Vec::new();
        let mut seen: Vec<(u32, u64)> = Vec::new();
        let mut unmapped_seen: BTreeSet<String> = BTreeSet::new();
        let active: Vec<&MedicationOrder> = self.patient_medications(p).collect();
        for m in active {
            let Some((start, end)) = window(m) else {
                continue;
            };
            if start.is_some_and(|s| s > at) {
                continue;
            }
            let days_since_stop = end.filter(|e| *e < at).map(|e| e.days_until(at));
            if days_since_stop.is_some_and(|d| d > kb.max_washout_days as i64) {
                continue;
            }
            let Some(old) = resolve_med(self, kb, m) else {
                let label = med_label(self, m);
                if unmapped_seen.insert(label.clone()) {
                    alerts.push(unmapped_alert(&label));
                }
                continue;
            };
            let old_org = med_org(self, m).map(|o| self.org_id(o).to_string());
            let prescriber = m
                .prescriber
                .map(|x| self.str(self.practitioners[x.idx()].id).to_string());
            let cross_org = matches!((&new_org, &old_org), (Some(a), Some(b)) if a != b);
            let decorate = |alert: Alert, new_is_a: bool| {
                let (org_a, org_b) = if new_is_a {
                    (new_org.clone(), old_org.clone())
                } else {
                    (old_org.clone(), new_org.clone())
                };
                let (pa, pb) = if new_is_a {
                    (None, prescriber.clone())
                } else {
                    (prescriber.clone(), None)
                };
                let (ia, ib) = if new_is_a {
                    (drug.to_string(), med_label(self, m))
                } else {
                    (med_label(self, m), drug.to_string())
                };
                alert
                    .with("input_a", ia)
                    .with("input_b", ib)
                    .with("org_a", org_a)
                    .with("org_b", org_b)
                    .with("prescriber_a", pa)
                    .with("prescriber_b", pb)
                    .with("new_drug_side", if new_is_a { "a" } else { "b" })
                    .with("existing_start", start.map(|t| t.to_string()))
                    .with("existing_stop", end.map(|t| t.to_string()))
                    .with("checked_at", at.to_string())
                    .with("cross_org", cross_org)
            };
            for &(x, sx) in &new.ingredients {
                for &(y, sy) in &old.ingredients {
                    if x == y {
                        continue;
                    }
                    let px = PairSide {
                        ing: x,
                        strength: sx,
                        route: new.route,
                        days_since_stop: None,
                    };
                    let py = PairSide {
                        ing: y,
                        strength: sy,
                        route: old.route,
                        days_since_stop,
                    };
                    for &pr in kb.rules_for(x, y) {
                        let key = (pr.rule, pair_key(x, y));
                        if seen.contains(&key) {
                            continue;
                        }
                        if let Outcome::Fired {
                            severity,
                            notes,
                            a_first,
                        } = evaluate(kb, pr, &px, &py, Some(&facts))
                        {
                            seen.push(key);
                            let (a, b) = if a_first { (x, y) } else { (y, x) };
                            let alert = interaction_alert(kb, pr.rule, severity, a, b, notes);
                            alerts.push(decorate(alert, a_first));
                        }
                    }
                }
            }
            // Therapeutic duplication: only drugs still active at `at`.
            if days_since_stop.is_some() {
                continue;
            }
            for &(x, _) in &new.ingredients {
                for &(y, _) in &old.ingredients {
                    if x == y {
                        // The same ingredient again from the same organisation is a renewal.
                        if new_org.is_some() && new_org == old_org {
                            continue;
                        }
                        if seen.contains(&(u32::MAX, pair_key(x, x))) {
                            continue;
                        }
                        seen.push((u32::MAX, pair_key(x, x)));
                        alerts.push(decorate(duplication_alert(kb, None, x, y), true));
                        continue;
                    }
                    for &d in kb.dup_classes(x) {
                        if !kb.dup_classes(y).contains(&d) {
                            continue;
                        }
                        let dc = &kb.duplication[d as usize];
                        if dc.prn_with_scheduled && new.prn != old.prn {
                            continue;
                        }
                        if dc.overlap_days > 0
                            && end.is_some_and(|e| at.days_until(e) <= dc.overlap_days as i64)
                        {
                            continue;
                        }
                        if dc.allowance > 0 {
                            let others = self
                                .patient_medications(p)
                                .filter(|o| {
                                    window(o).is_some_and(|(s, e)| {
                                        s.is_none_or(|s| s <= at) && e.is_none_or(|e| e >= at)
                                    })
                                })
                                .filter_map(|o| resolve_med(self, kb, o))
                                .filter(|r| {
                                    r.ingredients
                                        .iter()
                                        .any(|(z, _)| kb.dup_classes(*z).contains(&d))
                                })
                                .count() as u32;
                            if others < dc.allowance + 1 {
                                continue;
                            }
                        }
                        let key = (u32::MAX - 1 - d as u32, pair_key(x, y));
                        if seen.contains(&key) {
                            continue;
                        }
                        seen.push(key);
                        alerts.push(decorate(duplication_alert(kb, Some(d), x, y), true));
                    }
                }
            }
        }
        Ok(alerts)
    }

    /// Every interacting pair of co-prescribed drugs in the network (one row per patient, rule
    /// and ingredient pair, at their first overlap). Columns: `patient_id`, `drug_a`, `drug_b`
    /// (ingredient names, the rule's sides in order), `severity`, `rule_id`,
    /// `prescriber_org_a`, `prescriber_org_b` (organisation ids, null when unknown).
    pub fn drug_interactions_table(&self, kb: &Kb) -> Table {
        let out = sweep(self, kb);
        let n = out.rows.len();
        let mut pid = Vec::with_capacity(n);
        let mut da = Vec::with_capacity(n);
        let mut db = Vec::with_capacity(n);
        let mut sev = Vec::with_capacity(n);
        let mut rid = Vec::with_capacity(n);
        let mut oa = Vec::with_capacity(n);
        let mut ob = Vec::with_capacity(n);
        for r in &out.rows {
            pid.push(Some(self.patient_id(r.patient).to_string()));
            da.push(Some(kb.ingredient(r.a).name.clone()));
            db.push(Some(kb.ingredient(r.b).name.clone()));
            sev.push(Some(r.severity.as_str().to_string()));
            rid.push(Some(kb.rules[r.rule as usize].id.clone()));
            oa.push(r.org_a.map(|o| self.org_id(o).to_string()));
            ob.push(r.org_b.map(|o| self.org_id(o).to_string()));
        }
        Table::new()
            .with("patient_id", Column::Str(pid))
            .with("drug_a", Column::Str(da))
            .with("drug_b", Column::Str(db))
            .with("severity", Column::Str(sev))
            .with("rule_id", Column::Str(rid))
            .with("prescriber_org_a", Column::Str(oa))
            .with("prescriber_org_b", Column::Str(ob))
    }

    /// Per-patient flags of the `ddi_exposure_rate` measure: in the denominator, a patient with a
    /// medication active on some day of `period`; in the numerator, one whose interacting pair
    /// (as in [`Network::drug_interactions_table`]) was taken together on a day of `period`.
    pub fn ddi_exposure_flags(&self, kb: &Kb, period: Period) -> ExternalMeasureInput {
        self.exposure_flags_of(&sweep(self, kb), period)
    }

    /// The report's summary and, with a period, the exposure flags, from one sweep.
    pub fn drug_interaction_summary_and_flags(
        &self,
        kb: &Kb,
        period: Option<Period>,
    ) -> (DdiSummary, Option<ExternalMeasureInput>) {
        let out = sweep(self, kb);
        let flags = period.map(|p| self.exposure_flags_of(&out, p));
        (self.interaction_summary_of(kb, out), flags)
    }

    fn exposure_flags_of(&self, out: &SweepOut, period: Period) -> ExternalMeasureInput {
        let overlaps = |from: i64, to: i64| from <= period.end_day && to >= period.start_day;
        let mut exposed = vec![false; self.patients.len()];
        for r in &out.rows {
            if overlaps(r.from_day, r.to_day) {
                exposed[r.patient.idx()] = true;
            }
        }
        let mut per_patient = Vec::new();
        for &p in self.patient_list() {
            let on_drug = self.patient_medications(p).any(|m| {
                window(m).is_some_and(|(s, e)| {
                    overlaps(
                        s.map_or(i64::MIN / 4, Timestamp::day),
                        e.map_or(i64::MAX / 4, Timestamp::day),
                    )
                })
            });
            if on_drug {
                per_patient.push((p, true, exposed[p.idx()]));
            }
        }
        ExternalMeasureInput {
            measure_id: "ddi_exposure_rate".to_string(),
            per_patient,
        }
    }

    /// Counts for the report (see [`DdiSummary`]).
    pub fn drug_interaction_summary(&self, kb: &Kb) -> DdiSummary {
        self.interaction_summary_of(kb, sweep(self, kb))
    }

    fn interaction_summary_of(&self, kb: &Kb, out: SweepOut) -> DdiSummary {
        let mut s = DdiSummary {
            kb_version: kb.version().to_string(),
            count: out.rows.len(),
            suppressed_non_interruptive: out.suppressed,
            medication_orders_checked: out.orders,
            unmapped_orders: out.unmapped.values().sum(),
            therapeutic_duplications: out.dups.len(),
            ..Default::default()
        };
        // Count by dense ids first; names are looked up once per distinct key.
        let mut last_patient = None;
        let mut by_sev = [0usize; 5];
        let mut by_rule: FxHashMap<u32, usize> = FxHashMap::default();
        let mut by_pair: FxHashMap<(u32, u32), usize> = FxHashMap::default();
        let mut by_org: FxHashMap<OrgIdx, usize> = FxHashMap::default();
        for r in &out.rows {
            if last_patient != Some(r.patient) {
                s.patients_with_interaction += 1;
                last_patient = Some(r.patient);
            }
            by_sev[r.severity as usize] += 1;
            *by_rule.entry(r.rule).or_default() += 1;
            *by_pair.entry((r.a, r.b)).or_default() += 1;
            if let Some(o) = r.org_a {
                *by_org.entry(o).or_default() += 1;
            }
            if let Some(o) = r.org_b
                && r.org_a != Some(o)
            {
                *by_org.entry(o).or_default() += 1;
            }
            if matches!((r.org_a, r.org_b), (Some(a), Some(b)) if a != b) {
                s.cross_org += 1;
            }
        }
        for sev in Severity::ALL {
            if by_sev[sev as usize] > 0 {
                s.by_severity
                    .insert(sev.as_str().to_string(), by_sev[sev as usize]);
            }
        }
        for (rule, n) in by_rule {
            s.by_rule.insert(kb.rules[rule as usize].id.clone(), n);
        }
        for ((a, b), n) in by_pair {
            let pair = format!("{} + {}", kb.ingredient(a).name, kb.ingredient(b).name);
            *s.by_pair.entry(pair).or_default() += n;
        }
        for (o, n) in by_org {
            *s.by_org.entry(self.org_id(o).to_string()).or_default() += n;
        }
        for d in &out.dups {
            let class = match d.class {
                Some(c) => kb.classes[kb.duplication[c as usize].class as usize]
                    .id
                    .clone(),
                None => "same_ingredient".to_string(),
            };
            *s.duplications_by_class.entry(class).or_default() += 1;
            if d.cross_org {
                s.cross_org_duplications += 1;
            }
        }
        for (sym, n) in out.unmapped {
            *s.unmapped_drugs
                .entry(self.str(sym).to_string())
                .or_default() += n;
        }
        s
    }
}

struct Row {
    patient: PatientIdx,
    rule: u32,
    a: u32,
    b: u32,
    severity: Severity,
    org_a: Option<OrgIdx>,
    org_b: Option<OrgIdx>,
    /// Days the pair was taken together (or within the washout): first and last.
    from_day: i64,
    to_day: i64,
}

struct Dup {
    class: Option<u16>,
    cross_org: bool,
}

#[derive(Default)]
struct SweepOut {
    rows: Vec<Row>,
    dups: Vec<Dup>,
    suppressed: usize,
    orders: usize,
    unmapped: FxHashMap<crate::intern::Sym, usize>,
}

#[derive(Clone, Copy)]
struct Fact {
    ing: u32,
    strength: Option<f64>,
    route: Route,
    prn: bool,
    start: i64,
    end: i64,
    org: Option<OrgIdx>,
    prescriber: Option<PractIdx>,
}

const UNSEEN: u32 = u32::MAX;
const UNMAPPED: u32 = u32::MAX - 1;

/// Same source: the same prescriber, or (prescribers unknown) the same organisation.
fn same_source(a: &Fact, b: &Fact) -> bool {
    match (a.prescriber, b.prescriber) {
        (Some(x), Some(y)) => x == y,
        _ => match (a.org, b.org) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        },
    }
}

fn sweep(net: &Network, kb: &Kb) -> SweepOut {
    let mut out = SweepOut::default();
    // Resolution cache by code symbol: most networks use a few hundred distinct drug codes.
    let mut cache: Vec<u32> = vec![UNSEEN; net.strings.len()];
    let mut resolved: Vec<ResolvedDrug> = Vec::new();
    let mut facts: Vec<Fact> = Vec::with_capacity(32);
    let mut seen: Vec<(u32, u64)> = Vec::with_capacity(16);
    for &p in net.patient_list() {
        facts.clear();
        seen.clear();
        for m in net.patient_medications(p) {
            let Some((start, end)) = window(m) else {
                continue;
            };
            out.orders += 1;
            let sym = m.code.value;
            let slot = cache.get(sym.0 as usize).copied().unwrap_or(UNMAPPED);
            let idx = if slot == UNSEEN {
                let v = match resolve_med(net, kb, m) {
                    Some(r) => {
                        resolved.push(r);
                        resolved.len() as u32 - 1
                    }
                    None => UNMAPPED,
                };
                cache[sym.0 as usize] = v;
                v
            } else {
                slot
            };
            if idx == UNMAPPED {
                *out.unmapped.entry(m.display.unwrap_or(sym)).or_default() += 1;
                continue;
            }
            let r = &resolved[idx as usize];
            let start = start.map_or(i64::MIN / 4, Timestamp::day);
            let end = end.map_or(i64::MAX / 4, Timestamp::day);
            // Every mapped ingredient counts: the same ingredient twice is a duplication even
            // when no rule names it.
            for &(ing, strength) in &r.ingredients {
                facts.push(Fact {
                    ing,
                    strength,
                    route: r.route,
                    prn: r.prn,
                    start,
                    end,
                    org: med_org(net, m),
                    prescriber: m.prescriber,
                });
            }
        }
        for i in 0..facts.len() {
            for j in i + 1..facts.len() {
                let (fi, fj) = (&facts[i], &facts[j]);
                let t = fi.start.max(fj.start);
                let since = |f: &Fact| (f.end < t).then(|| t - f.end);
                if fi.ing != fj.ing {
                    for &pr in kb.rules_for(fi.ing, fj.ing) {
                        let key = (pr.rule, pair_key(fi.ing, fj.ing));
                        if seen.contains(&key) {
                            continue;
                        }
                        let (si, sj) = (since(fi), since(fj));
                        if si.is_some_and(|d| d > kb.max_washout_days as i64)
                            || sj.is_some_and(|d| d > kb.max_washout_days as i64)
                        {
                            continue;
                        }
                        let px = PairSide {
                            ing: fi.ing,
                            strength: fi.strength,
                            route: fi.route,
                            days_since_stop: si,
                        };
                        let py = PairSide {
                            ing: fj.ing,
                            strength: fj.strength,
                            route: fj.route,
                            days_since_stop: sj,
                        };
                        let ctx = NetFacts {
                            net,
                            patient: p,
                            at: Timestamp::from_day(t.max(-1_000_000)),
                        };
                        match evaluate(kb, pr, &px, &py, Some(&ctx)) {
                            Outcome::Fired {
                                severity, a_first, ..
                            } => {
                                seen.push(key);
                                let (a, b) = if a_first { (fi, fj) } else { (fj, fi) };
                                out.rows.push(Row {
                                    patient: p,
                                    rule: pr.rule,
                                    a: a.ing,
                                    b: b.ing,
                                    severity,
                                    org_a: a.org,
                                    org_b: b.org,
                                    from_day: t,
                                    to_day: fi.end.min(fj.end).max(t),
                                });
                            }
                            Outcome::Suppressed => {
                                seen.push(key);
                                out.suppressed += 1;
                            }
                            Outcome::NoAlert => {}
                        }
                    }
                }
                // Duplication: both active together, from different sources.
                if fi.end < t || fj.end < t || same_source(fi, fj) {
                    continue;
                }
                let overlap = fi.end.min(fj.end) - t;
                let cross_org = matches!((fi.org, fj.org), (Some(a), Some(b)) if a != b);
                if fi.ing == fj.ing {
                    let key = (u32::MAX, pair_key(fi.ing, fi.ing));
                    if !seen.contains(&key) {
                        seen.push(key);
                        out.dups.push(Dup {
                            class: None,
                            cross_org,
                        });
                    }
                    continue;
                }
                for &d in kb.dup_classes(fi.ing) {
                    if !kb.dup_classes(fj.ing).contains(&d) {
                        continue;
                    }
                    let dc = &kb.duplication[d as usize];
                    if (dc.prn_with_scheduled && fi.prn != fj.prn)
                        || overlap <= dc.overlap_days as i64
                    {
                        continue;
                    }
                    let key = (u32::MAX - 1 - d as u32, pair_key(fi.ing, fj.ing));
                    if !seen.contains(&key) {
                        seen.push(key);
                        out.dups.push(Dup {
                            class: Some(d),
                            cross_org,
                        });
                    }
                }
            }
        }
    }
    out
}
