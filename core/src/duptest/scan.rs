//! The retrospective scan: every repeat of a test family sooner than its minimum retest interval,
//! across the whole network.

use super::events::{
    Fact, FactKind, TestEvent, build_events, inpatient_stay, is_abnormal, monitoring_reason,
};
use super::rules::{CodeHit, Rules};
use crate::intern::FxHashMap;
use crate::measures::{ExternalMeasureInput, Period};
use crate::model::{Code, OrgIdx, PatientIdx, ProcedureKind};
use crate::network::Network;
use crate::table::{Column, Table};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of rows the scan could not use.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FactStats {
    /// Results whose code no family knows (vitals, surveys, unlisted tests).
    pub unknown_codes: usize,
    /// Results of a known family without a time: reported, never guessed.
    pub without_time: usize,
}

/// Collects a patient's results (and, with `orders`, pending orders) with a time in
/// `[from, to]`, sorted by (time, encounter, kind).
pub(crate) fn collect_facts<'r>(
    net: &Network,
    p: PatientIdx,
    resolve: &impl Fn(Code) -> Option<&'r CodeHit>,
    range: Option<(Timestamp, Timestamp)>,
    orders: bool,
    stats: &mut FactStats,
    out: &mut Vec<Fact<'r>>,
) {
    out.clear();
    let idx = net.index();
    let row = idx.observations.row(net.canonical(p).idx());
    let row = match range {
        Some((from, to)) => {
            let time = |k: usize| net.observations[row[k] as usize].time;
            let (start, end) = if row.len() > 64 {
                // Rows are sorted by Option<Timestamp>, untimed first.
                let end = row.partition_point(|&i| {
                    net.observations[i as usize].time.is_none_or(|t| t <= to)
                });
                let start = row[..end].partition_point(|&i| {
                    net.observations[i as usize].time.is_none_or(|t| t < from)
                });
                (start, end)
            } else {
                // A window is usually the last few rows: walk back from the end.
                let mut end = row.len();
                while end > 0 && time(end - 1).is_some_and(|t| t > to) {
                    end -= 1;
                }
                let mut start = end;
                while start > 0 && time(start - 1).is_some_and(|t| t >= from) {
                    start -= 1;
                }
                (start, end)
            };
            &row[start..end]
        }
        None => row,
    };
    for &i in row {
        let o = &net.observations[i as usize];
        let Some(hit) = resolve(o.code) else {
            stats.unknown_codes += 1;
            continue;
        };
        let Some(time) = o.time else {
            stats.without_time += 1;
            continue;
        };
        if let Some((_, to)) = range
            && time > to
        {
            break;
        }
        let enc = o.encounter.map(|e| net.encounter(e));
        out.push(Fact {
            time,
            encounter: o.encounter,
            kind: FactKind::Result,
            hit,
            code: o.code,
            value: o.value,
            unit: o.unit,
            org: o.provenance.org.or(enc.and_then(|e| e.org)),
            practitioner: o.performer.or(enc.and_then(|e| e.practitioner)),
        });
    }
    let n_obs = out.len();
    let procedures = if net.procedures.is_empty() {
        &[][..]
    } else {
        idx.procedures.row(net.canonical(p).idx())
    };
    for &i in procedures {
        let pr = &net.procedures[i as usize];
        let kind = match pr.kind {
            ProcedureKind::Performed | ProcedureKind::Report => FactKind::Result,
            ProcedureKind::Ordered if orders => FactKind::Order,
            ProcedureKind::Ordered => continue,
        };
        let Some(hit) = resolve(pr.code) else {
            stats.unknown_codes += 1;
            continue;
        };
        let Some(time) = pr.time else {
            stats.without_time += 1;
            continue;
        };
        if let Some((from, to)) = range
            && (time < from || time > to)
        {
            continue;
        }
        let enc = pr.encounter.map(|e| net.encounter(e));
        out.push(Fact {
            time,
            encounter: pr.encounter,
            kind,
            hit,
            code: pr.code,
            value: crate::model::ObsValue::None,
            unit: None,
            org: pr.org.or(pr.provenance.org).or(enc.and_then(|e| e.org)),
            practitioner: pr.practitioner.or(enc.and_then(|e| e.practitioner)),
        });
    }
    if out.len() > n_obs {
        out.sort_by_key(|f| (f.time, f.encounter, f.kind));
    }
}

/// Why a repeat inside the interval was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exception {
    Confirmation,
    Monitoring,
    Inpatient,
}

/// True when `events[prior]` was itself the confirmation of an abnormal result before it: a
/// confirmation is allowed once, not as a chain of repeats.
fn was_confirmation(
    net: &Network,
    rules: &Rules,
    facts: &[Fact<'_>],
    events: &[TestEvent],
    prior: usize,
    overlap: usize,
) -> bool {
    let e1 = &events[prior];
    let confirm = rules.families[overlap].confirm_within_days;
    for e0 in events[..prior].iter().rev() {
        if e1.day - e0.day > confirm {
            break;
        }
        if e0.kind != FactKind::Result
            || rules.overlap(e0.family, overlap).is_none()
            || same_test(net, facts, e0, e1)
        {
            continue;
        }
        return is_abnormal(net, rules, facts, e0, overlap);
    }
    false
}

/// Applies the documented exceptions to a repeat of `overlap` after `events[prior]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn exception(
    net: &Network,
    rules: &Rules,
    p: PatientIdx,
    facts: &[Fact<'_>],
    events: &[TestEvent],
    prior_idx: usize,
    overlap: usize,
    repeat_family: usize,
    repeat_time: Timestamp,
    repeat_encounter: Option<crate::model::EncIdx>,
) -> Option<Exception> {
    let prior = &events[prior_idx];
    let fam = &rules.families[overlap];
    let interval = repeat_time.day() - prior.day;
    if fam.inpatient_exempt
        && let Some(stay) = inpatient_stay(net, p, prior.time, prior.encounter)
        && inpatient_stay(net, p, repeat_time, repeat_encounter) == Some(stay)
    {
        return Some(Exception::Inpatient);
    }
    if interval <= fam.confirm_within_days
        && is_abnormal(net, rules, facts, prior, overlap)
        && !was_confirmation(net, rules, facts, events, prior_idx, overlap)
    {
        return Some(Exception::Confirmation);
    }
    let families = (1u128 << overlap) | (1u128 << repeat_family);
    if monitoring_reason(net, rules, p, families, prior.day, repeat_time.day()).is_some() {
        return Some(Exception::Monitoring);
    }
    None
}

/// One duplicate found by the scan.
#[derive(Debug, Clone)]
pub(crate) struct DupRow {
    pub patient: PatientIdx,
    /// The family both tests share (the contained one for panel containment).
    pub family: usize,
    pub first_code: Code,
    pub first_time: Timestamp,
    pub first_org: Option<OrgIdx>,
    pub repeat_code: Code,
    pub repeat_time: Timestamp,
    pub repeat_org: Option<OrgIdx>,
    pub interval_days: i64,
    pub hard: bool,
}

#[derive(Debug, Default)]
pub(crate) struct ScanResult {
    pub rows: Vec<DupRow>,
    pub stats: FactStats,
    pub events: usize,
    pub suppressed_confirmation: usize,
    pub suppressed_monitoring: usize,
    pub suppressed_inpatient: usize,
}

impl ScanResult {
    fn merge(&mut self, other: ScanResult) {
        self.rows.extend(other.rows);
        self.stats.unknown_codes += other.stats.unknown_codes;
        self.stats.without_time += other.stats.without_time;
        self.events += other.events;
        self.suppressed_confirmation += other.suppressed_confirmation;
        self.suppressed_monitoring += other.suppressed_monitoring;
        self.suppressed_inpatient += other.suppressed_inpatient;
    }
}

fn scan_patients(
    net: &Network,
    rules: &Rules,
    map: &FxHashMap<Code, &CodeHit>,
    patients: &[PatientIdx],
) -> ScanResult {
    let mut res = ScanResult::default();
    let mut facts = Vec::new();
    let mut events: Vec<TestEvent> = Vec::new();
    let resolve = |c: Code| map.get(&c).copied();
    for &p in patients {
        collect_facts(net, p, &resolve, None, false, &mut res.stats, &mut facts);
        if facts.is_empty() {
            continue;
        }
        events.clear();
        build_events(rules, &facts, &mut events);
        res.events += events.len();
        for j in 1..events.len() {
            let e2 = events[j];
            let window = rules.window_days(e2.family);
            for i in (0..j).rev() {
                let e1 = &events[i];
                let interval = e2.day - e1.day;
                if interval >= window {
                    break;
                }
                let Some(o) = rules.overlap(e1.family, e2.family) else {
                    continue;
                };
                if same_test(net, &facts, e1, &e2) {
                    continue;
                }
                let fam = &rules.families[o];
                if interval >= fam.advisory_days {
                    continue;
                }
                match exception(
                    net,
                    rules,
                    p,
                    &facts,
                    &events,
                    i,
                    o,
                    e2.family,
                    e2.time,
                    e2.encounter,
                ) {
                    Some(Exception::Confirmation) => res.suppressed_confirmation += 1,
                    Some(Exception::Monitoring) => res.suppressed_monitoring += 1,
                    Some(Exception::Inpatient) => res.suppressed_inpatient += 1,
                    None => {
                        let f1 = &facts[e1.rep as usize];
                        let f2 = &facts[e2.rep as usize];
                        res.rows.push(DupRow {
                            patient: p,
                            family: o,
                            first_code: f1.code,
                            first_time: e1.time,
                            first_org: f1.org,
                            repeat_code: f2.code,
                            repeat_time: e2.time,
                            repeat_org: f2.org,
                            interval_days: interval,
                            hard: interval < fam.hard_days,
                        });
                    }
                }
                break;
            }
        }
    }
    res
}

/// Two events that are one test reported twice, not a repeat: the same group; the same
/// (non-inpatient) encounter, e.g. a DiagnosticReport and its Observations; or the same calendar
/// day at the same organisation, or the same day when one side carries a date only (a claim line
/// for the lab result another feed sent with a time).
pub(crate) fn same_test(net: &Network, facts: &[Fact<'_>], e1: &TestEvent, e2: &TestEvent) -> bool {
    if e1.start == e2.start {
        return true;
    }
    if let (Some(a), Some(b)) = (e1.encounter, e2.encounter)
        && a == b
        && net.encounter(a).setting != crate::model::Setting::Inpatient
    {
        return true;
    }
    if e1.day != e2.day {
        return false;
    }
    let date_only = |t: Timestamp| t.0.rem_euclid(crate::time::SECONDS_PER_DAY) == 0;
    let (o1, o2) = (facts[e1.rep as usize].org, facts[e2.rep as usize].org);
    (o1.is_some() && o1 == o2) || date_only(e1.time) || date_only(e2.time)
}

/// Resolves every rule code against the network's interner once.
fn resolve_map<'r>(net: &Network, rules: &'r Rules) -> FxHashMap<Code, &'r CodeHit> {
    let mut map = FxHashMap::default();
    for (sys, code, hit) in rules.codes() {
        if let Some(c) = net.find_code(sys, code) {
            map.insert(c, hit);
        }
    }
    map
}

pub(crate) fn scan(net: &Network, rules: &Rules) -> ScanResult {
    let map = resolve_map(net, rules);
    let patients = net.patient_list();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if threads <= 1 || patients.len() < 20_000 {
        return scan_patients(net, rules, &map, patients);
    }
    let chunk = patients.len().div_ceil(threads);
    let mut parts: Vec<ScanResult> = std::thread::scope(|s| {
        let handles: Vec<_> = patients
            .chunks(chunk)
            .map(|part| s.spawn(|| scan_patients(net, rules, &map, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut res = parts.remove(0);
    for part in parts {
        res.merge(part);
    }
    res
}

impl Network {
    /// Per-patient flags of the `duplicate_test_rate` measure: in the denominator, a patient
    /// with a result of a known test family in `period`; in the numerator, one with a repeat
    /// (as in [`Network::duplicate_tests_table`]) dated in `period`.
    pub fn duplicate_test_flags(&self, rules: &Rules, period: Period) -> ExternalMeasureInput {
        self.duplicate_flags_of(rules, &scan(self, rules).rows, period)
    }

    /// The report's summary and, with a period, the measure flags, from one scan.
    pub fn duplicate_test_summary_and_flags(
        &self,
        rules: &Rules,
        period: Option<Period>,
    ) -> (DuplicateSummary, Option<ExternalMeasureInput>) {
        let res = scan(self, rules);
        let flags = period.map(|p| self.duplicate_flags_of(rules, &res.rows, p));
        (self.duplicate_summary_of(rules, &res), flags)
    }

    fn duplicate_flags_of(
        &self,
        rules: &Rules,
        rows: &[DupRow],
        period: Period,
    ) -> ExternalMeasureInput {
        let in_period = |t: Timestamp| (period.start_day..=period.end_day).contains(&t.day());
        let mut repeated = vec![false; self.patients.len()];
        for r in rows {
            if in_period(r.repeat_time) {
                repeated[self.canonical(r.patient).idx()] = true;
            }
        }
        let map = resolve_map(self, rules);
        let resolve = |c: Code| map.get(&c).copied();
        let range = Some((period.start(), Timestamp::from_day(period.end_day + 1)));
        let (mut stats, mut facts) = (FactStats::default(), Vec::new());
        let mut per_patient = Vec::new();
        for &p in self.patient_list() {
            collect_facts(self, p, &resolve, range, false, &mut stats, &mut facts);
            if facts.iter().any(|f| in_period(f.time)) {
                per_patient.push((p, true, repeated[self.canonical(p).idx()]));
            }
        }
        ExternalMeasureInput {
            measure_id: "duplicate_test_rate".to_string(),
            per_patient,
        }
    }
}

/// The report's duplicate-test section.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DuplicateSummary {
    /// Repeats sooner than the family's minimum retest interval.
    pub count: usize,
    /// ... of which the two tests came from different organisations.
    pub cross_org: usize,
    /// ... of which both came from the same organisation.
    pub same_org: usize,
    /// ... of which at least one organisation is unknown.
    pub org_unknown: usize,
    /// ... of which the repeat fell inside the hard interval.
    pub hard: usize,
    pub advisory: usize,
    pub by_family: BTreeMap<String, usize>,
    /// By the organisation of the repeat (the one that ordered it); `unknown` when not recorded.
    pub by_ordering_org: BTreeMap<String, usize>,
    /// Sum of the price of the duplicated family over priced duplicates.
    pub estimated_avoidable_cost: f64,
    pub currency: String,
    pub price_year: Option<i32>,
    pub price_source: String,
    /// Duplicates whose family has no price.
    pub unpriced: usize,
    /// Repeats inside the interval that an exception allowed.
    pub suppressed_confirmation: usize,
    pub suppressed_monitoring: usize,
    pub suppressed_inpatient: usize,
    /// Test events (after grouping panel components) scanned.
    pub test_events: usize,
    /// Result rows whose code no family knows (counted, never matched).
    pub unknown_codes: usize,
    /// Result rows of a known family with no time (reported, not guessed).
    pub results_without_time: usize,
}

impl Network {
    /// Every duplicate test in the network, one row per repeated test event, with the ACCEPTANCE
    /// columns `patient_id, test_family, first_code, first_time, first_org, repeat_code,
    /// repeat_time, repeat_org, interval_days, min_interval_days`. Intervals are calendar days
    /// of the recorded wall clock.
    pub fn duplicate_tests_table(&self, rules: &Rules) -> Table {
        let res = scan(self, rules);
        let rows = &res.rows;
        let org = |o: Option<OrgIdx>| o.map(|o| self.org_id(o).to_string());
        Table::new()
            .with(
                "patient_id",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.patient_id(r.patient).to_string()))
                        .collect(),
                ),
            )
            .with(
                "test_family",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(rules.families[r.family].id.clone()))
                        .collect(),
                ),
            )
            .with(
                "first_code",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.str(r.first_code.value).to_string()))
                        .collect(),
                ),
            )
            .with(
                "first_time",
                Column::Time(rows.iter().map(|r| Some(r.first_time)).collect()),
            )
            .with(
                "first_org",
                Column::Str(rows.iter().map(|r| org(r.first_org)).collect()),
            )
            .with(
                "repeat_code",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.str(r.repeat_code.value).to_string()))
                        .collect(),
                ),
            )
            .with(
                "repeat_time",
                Column::Time(rows.iter().map(|r| Some(r.repeat_time)).collect()),
            )
            .with(
                "repeat_org",
                Column::Str(rows.iter().map(|r| org(r.repeat_org)).collect()),
            )
            .with(
                "interval_days",
                Column::Int(rows.iter().map(|r| Some(r.interval_days)).collect()),
            )
            .with(
                "min_interval_days",
                Column::Int(
                    rows.iter()
                        .map(|r| Some(rules.families[r.family].advisory_days))
                        .collect(),
                ),
            )
    }

    /// Totals of [`Network::duplicate_tests_table`] for the report.
    pub fn duplicate_test_summary(&self, rules: &Rules) -> DuplicateSummary {
        self.duplicate_summary_of(rules, &scan(self, rules))
    }

    fn duplicate_summary_of(&self, rules: &Rules, res: &ScanResult) -> DuplicateSummary {
        let mut s = DuplicateSummary {
            count: res.rows.len(),
            currency: rules.prices.currency.clone(),
            price_year: rules.prices.year,
            price_source: rules.prices.source.clone(),
            suppressed_confirmation: res.suppressed_confirmation,
            suppressed_monitoring: res.suppressed_monitoring,
            suppressed_inpatient: res.suppressed_inpatient,
            test_events: res.events,
            unknown_codes: res.stats.unknown_codes,
            results_without_time: res.stats.without_time,
            ..Default::default()
        };
        for r in &res.rows {
            match (r.first_org, r.repeat_org) {
                (Some(a), Some(b)) if a == b => s.same_org += 1,
                (Some(_), Some(_)) => s.cross_org += 1,
                _ => s.org_unknown += 1,
            }
            if r.hard {
                s.hard += 1;
            } else {
                s.advisory += 1;
            }
            *s.by_family
                .entry(rules.families[r.family].id.clone())
                .or_default() += 1;
            let org = r
                .repeat_org
                .map_or_else(|| "unknown".to_string(), |o| self.org_id(o).to_string());
            *s.by_ordering_org.entry(org).or_default() += 1;
            match rules.price(r.family) {
                Some(p) => s.estimated_avoidable_cost += p,
                None => s.unpriced += 1,
            }
        }
        s.estimated_avoidable_cost = (s.estimated_avoidable_cost * 100.0).round() / 100.0;
        s
    }
}
