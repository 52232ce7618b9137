//! The measure engine: evaluates a [`MeasureSet`] over the network for a measurement period and
//! aggregates the results per network, organisation, practice and practitioner.
//!
//! How a patient-level measure is evaluated (each step is data in the definition):
//! 1. **Initial population**: age in completed years on the last day of the period within
//!    `age_min..=age_max`; sex; not deceased on or before the period end (HEDIS COL-E and others
//!    exclude deaths; a deceased record without a date is treated as deceased); for registry
//!    measures a diagnosis in one of the `conditions` code sets that is *active during the period
//!    or begun before it*: a condition whose onset is on or before the period end and which is not
//!    resolved before the period starts, or an encounter diagnosis / coded fact dated in the
//!    period or the year before it (the eCQM "diagnosis overlapping the period" plus the HEDIS
//!    claims look-back of one prior year), optionally begun within the first `n` months of the
//!    period (CMS165: six); optionally an office visit in the period (the eCQM qualifying
//!    encounter) and attribution. SNOMED CT conditions match ICD-10-CM code sets through the
//!    crosswalk (see `codes.rs`).
//! 2. **Exclusions**, each a code set (optionally AND a second one), care setting or discharge
//!    disposition in a window, optionally only from an age.
//! 3. **Numerator**: a lab value (most recent in the period, compared with a threshold; missing may
//!    count, for inverse measures), the representative blood pressure of the most recent reading
//!    day (lowest systolic and lowest diastolic of that day; readings from ED or inpatient
//!    encounters ignored, CMS165), or a screening test (performed procedure, report or result;
//!    an order alone does not count) inside its look-back.
//!
//! Patients are evaluated in parallel chunks (one per core, `std::thread::scope`), each with its
//! own code memo; the sums are merged in chunk order, so results do not depend on the split.
//!
//! Event measures come from the continuum engine: index stays discharged in the period
//! ([`Network::index_stays_with`]) and discharges in the period ([`Network::followups_with`]).
//! `encounter_count` measures count encounters of a setting per attributed patient.
//!
//! **External measures** (`"numerator": {"type": "external"}`) are computed by other modules
//! (duplicate tests, drug interactions). The caller passes one [`ExternalMeasureInput`] per such
//! measure with `(patient, in_denominator, in_numerator)` flags; the engine attributes and
//! aggregates them per level exactly like the others. Without an input, the measure reports an
//! empty denominator.
//!
//! Levels: `network` (everyone in the denominator), `organization` (every organisation that had
//! an encounter with the patient in the period; for stay-based measures the discharging
//! hospital), `practice` (the attributed practice) and `practitioner` (the attributed
//! practitioner). Unattributed patients count at network and organisation level only.
//! Rank and percentile compare the entities of one level (see [`peer_ranks`]).

use super::attribution::{Attribution, AttributionOptions, add_months, months_before};
use super::codes::Classifier;
use super::definition::*;
use crate::code::CodeSystem;
use crate::continuum::{FollowupPolicy, ReadmissionPolicy};
use crate::error::{CinError, Result};
use crate::model::*;
use crate::network::Network;
use crate::table::{Column, Table};
use crate::time::Timestamp;
use serde::Serialize;

/// Per-patient flags for an external measure (computed by another module).
#[derive(Debug, Clone, Default)]
pub struct ExternalMeasureInput {
    pub measure_id: String,
    /// `(patient, in_denominator, in_numerator)`; a numerator flag without the denominator flag
    /// is ignored. Several entries of one patient are OR-ed.
    pub per_patient: Vec<(PatientIdx, bool, bool)>,
}

/// Network-level result of one measure (the report's `measures` list).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MeasureResult {
    pub id: String,
    pub denominator: u64,
    pub numerator: u64,
    /// `None` when the denominator is empty; per-1000 measures are scaled.
    pub rate: Option<f64>,
}

/// Why a patient is (not) in a measure's denominator and numerator.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Explanation {
    pub patient_id: String,
    pub measure_id: String,
    pub measure_title: String,
    pub period_start: String,
    pub period_end: String,
    /// Met the initial population.
    pub in_population: bool,
    /// In the population and not excluded.
    pub in_denominator: bool,
    pub in_numerator: bool,
    /// Population criteria, met or failed, in words.
    pub population: Vec<String>,
    /// Exclusions that were hit.
    pub exclusions: Vec<String>,
    /// The evidence the numerator decision rests on.
    pub numerator_evidence: Vec<String>,
    /// The care gap, if any.
    pub gap: Option<String>,
    pub attributed_practitioner: Option<String>,
    pub attributed_org: Option<String>,
    pub attribution_method: String,
}

/// The measurement period as inclusive calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start_day: i64,
    pub end_day: i64,
}

impl Period {
    pub fn start(&self) -> Timestamp {
        Timestamp::from_day(self.start_day)
    }
    pub fn end(&self) -> Timestamp {
        Timestamp::from_day(self.end_day)
    }
    fn contains(&self, day: i64) -> bool {
        (self.start_day..=self.end_day).contains(&day)
    }
}

impl Network {
    /// The period a caller gave, or the last full calendar year in the data (`data_end`): the
    /// year of the data's last day if that day is December 31, else the year before.
    pub fn measurement_period(&self, period: Option<(Timestamp, Timestamp)>) -> Result<Period> {
        if let Some((a, b)) = period {
            if b.day() < a.day() {
                return Err(CinError::invalid(
                    "measurement period ends before it starts",
                ));
            }
            return Ok(Period {
                start_day: a.day(),
                end_day: b.day(),
            });
        }
        let end = self.data_end().unwrap_or_else(Timestamp::now);
        let (y, m, d) = end.ymd();
        let year = if (m, d) == (12, 31) { y } else { y - 1 };
        let start = Timestamp::from_ymd(year, 1, 1).unwrap_or_default();
        let stop = Timestamp::from_ymd(year, 12, 31).unwrap_or_default();
        Ok(Period {
            start_day: start.day(),
            end_day: stop.day(),
        })
    }
}

// ---- per-patient facts -------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FactKind {
    Condition,
    Diagnosis,
    Procedure,
    Observation,
    EncounterType,
}

impl FactKind {
    fn as_str(self) -> &'static str {
        match self {
            FactKind::Condition => "condition",
            FactKind::Diagnosis => "encounter diagnosis",
            FactKind::Procedure => "procedure",
            FactKind::Observation => "result",
            FactKind::EncounterType => "encounter",
        }
    }
}

/// A coded fact of one patient that belongs to at least one code set.
#[derive(Debug, Clone, Copy)]
struct Fact {
    mask: u64,
    kind: FactKind,
    /// First and last calendar day (equal for point facts; `i64::MAX` while ongoing).
    start: i64,
    end: i64,
    time: Timestamp,
    value: Option<f64>,
    code: Code,
    /// Recorded during an ED or inpatient encounter.
    acute: bool,
}

/// Everything the patient-level rules need about one patient, gathered in one pass.
struct PatientCtx {
    p: PatientIdx,
    age: Option<i64>,
    sex: Sex,
    died_by_end: bool,
    death: Option<Timestamp>,
    facts: Vec<Fact>,
    first_visit: Option<Timestamp>,
    orgs_seen: Vec<OrgIdx>,
    ed_visits: u32,
    /// Setting, disposition and days of every encounter (for setting/disposition exclusions).
    encounters: Vec<EncBrief>,
}

#[derive(Debug, Clone, Copy)]
struct EncBrief {
    setting: Setting,
    disposition: Disposition,
    start: i64,
    end: i64,
    ended: bool,
}

/// Shared, read-only state of one evaluation (each worker thread has its own [`Classifier`]).
struct Evaluator<'a> {
    net: &'a Network,
    set: &'a MeasureSet,
    period: Period,
    attribution: Attribution,
    /// First day of the year before the period.
    year_before: i64,
    /// First day of each `months` look-back used by the set: `(months, day)`.
    lookbacks: Vec<(u32, i64)>,
}

/// What one rule decided for one patient.
#[derive(Debug, Clone, Default)]
struct Outcome {
    in_population: bool,
    excluded: bool,
    numerator: u64,
    gap: Option<String>,
}

/// Text trace for explanations (only built when asked for).
#[derive(Default)]
struct Trace {
    population: Vec<String>,
    exclusions: Vec<String>,
    numerator: Vec<String>,
}

/// First day of the `months` calendar months that end on the period's last day.
fn lookback_start(p: Period, months: u32) -> i64 {
    months_before(Timestamp::from_day(p.end_day + 1), months).day()
}

fn date(day: i64) -> String {
    Timestamp::from_day(day).date_string()
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl<'a> Evaluator<'a> {
    fn new(net: &'a Network, set: &'a MeasureSet, period: Period) -> Self {
        let attribution = net.attribution(&AttributionOptions {
            period_end: Some(period.end()),
            ..AttributionOptions::default()
        });
        let mut months: Vec<u32> = Vec::new();
        for m in set.measures() {
            for x in &m.exclusions {
                if let Window::MonthsBeforeEnd(n) = x.window {
                    months.push(n);
                }
            }
            if let NumeratorDef::Screening { options } = &m.numerator {
                months.extend(options.iter().map(|o| o.months));
            }
        }
        months.sort_unstable();
        months.dedup();
        let lookbacks = months
            .into_iter()
            .map(|n| (n, lookback_start(period, n)))
            .collect();
        Evaluator {
            net,
            set,
            period,
            attribution,
            year_before: months_before(period.start(), 12).day(),
            lookbacks,
        }
    }

    fn bit(&self, name: &str) -> u64 {
        self.set.code_set_bit(name).map_or(0, |b| 1u64 << b)
    }

    fn context(&self, cls: &mut Classifier, p: PatientIdx, facts: Vec<Fact>) -> PatientCtx {
        let net = self.net;
        let pat = net.patient(p);
        let end = self.period.end();
        let mut ctx = PatientCtx {
            p,
            age: pat.birth_date.map(|b| b.years_until(end)),
            sex: pat.sex,
            died_by_end: pat
                .death_date
                .map_or(pat.deceased, |d| d.day() <= end.day()),
            death: pat.death_date,
            facts,
            first_visit: None,
            orgs_seen: Vec::new(),
            ed_visits: 0,
            encounters: Vec::new(),
        };
        ctx.facts.clear();
        for &i in net.index().conditions.row(p.idx()) {
            let c = &net.conditions[i as usize];
            let mask = cls.mask(net, c.code);
            if mask != 0 {
                let start = c.onset.map_or(i64::MIN, |t| t.day());
                ctx.facts.push(Fact {
                    mask,
                    kind: FactKind::Condition,
                    start,
                    end: c.abatement.map_or(i64::MAX, |t| t.day()),
                    time: c.onset.unwrap_or_default(),
                    value: None,
                    code: c.code,
                    acute: false,
                });
            }
        }
        for e in net.patient_encounters(p) {
            let enc = net.encounter(e);
            let day = enc.start.day();
            let acute = matches!(enc.setting, Setting::Emergency | Setting::Inpatient);
            if self.period.contains(day) {
                if enc.setting.is_office_visit() && ctx.first_visit.is_none() {
                    ctx.first_visit = Some(enc.start);
                }
                if enc.setting == Setting::Emergency {
                    ctx.ed_visits += 1;
                }
                if let Some(o) = enc.org
                    && !ctx.orgs_seen.contains(&o)
                {
                    ctx.orgs_seen.push(o);
                }
            }
            let end_day = enc.end.map_or(day, |t| t.day().max(day));
            ctx.encounters.push(EncBrief {
                setting: enc.setting,
                disposition: enc.disposition,
                start: day,
                end: end_day,
                ended: enc.end.is_some(),
            });
            if let Some(code) = enc.type_code {
                let mask = cls.mask(net, code);
                if mask != 0 {
                    ctx.facts.push(Fact {
                        mask,
                        kind: FactKind::EncounterType,
                        start: day,
                        end: end_day,
                        time: enc.start,
                        value: None,
                        code,
                        acute,
                    });
                }
            }
            for d in net.encounter_diagnoses(e) {
                let mask = cls.mask(net, d.code);
                if mask != 0 {
                    ctx.facts.push(Fact {
                        mask,
                        kind: FactKind::Diagnosis,
                        start: day,
                        end: day,
                        time: enc.start,
                        value: None,
                        code: d.code,
                        acute,
                    });
                }
            }
        }
        for pr in net.patient_procedures(p) {
            let Some(t) = pr.time else { continue };
            if pr.kind == ProcedureKind::Ordered {
                continue; // an order is not evidence that the test was done
            }
            let mask = cls.mask(net, pr.code);
            if mask != 0 {
                ctx.facts.push(Fact {
                    mask,
                    kind: FactKind::Procedure,
                    start: t.day(),
                    end: t.day(),
                    time: t,
                    value: None,
                    code: pr.code,
                    acute: false,
                });
            }
        }
        for o in net.patient_observations(p) {
            let Some(t) = o.time else { continue };
            let mask = cls.mask(net, o.code);
            if mask != 0 {
                let acute = o.encounter.is_some_and(|e| {
                    matches!(
                        net.encounter(e).setting,
                        Setting::Emergency | Setting::Inpatient
                    )
                });
                ctx.facts.push(Fact {
                    mask,
                    kind: FactKind::Observation,
                    start: t.day(),
                    end: t.day(),
                    time: t,
                    value: match o.value {
                        ObsValue::Number(v) if v.is_finite() => Some(v),
                        _ => None,
                    },
                    code: o.code,
                    acute,
                });
            }
        }
        ctx
    }

    fn describe(&self, f: &Fact) -> String {
        let net = self.net;
        let code = net.str(f.code.value);
        let mut s = format!("{} {} {}", f.kind.as_str(), f.code.system.as_str(), code);
        if f.code.system == CodeSystem::Snomed
            && let Some(icd) = crate::crosswalk::snomed_to_icd10cm(code)
        {
            s.push_str(&format!(" (ICD-10-CM {icd} by crosswalk)"));
        }
        if let Some(v) = f.value {
            s.push_str(&format!(" = {}", fmt_num(v)));
        }
        if f.start == i64::MIN {
            s.push_str(", onset unknown");
        } else {
            s.push_str(&format!(" on {}", date(f.start)));
        }
        if f.kind == FactKind::Condition && f.end != i64::MAX {
            s.push_str(&format!(", resolved {}", date(f.end)));
        }
        s
    }

    /// Inclusive day range of a window.
    fn window(&self, w: Window) -> (i64, i64) {
        let p = self.period;
        match w {
            Window::Period => (p.start_day, p.end_day),
            Window::AnyTimeBeforeEnd => (i64::MIN, p.end_day),
            Window::MonthsBeforeEnd(n) => {
                let from = self
                    .lookbacks
                    .iter()
                    .find(|l| l.0 == n)
                    .map_or_else(|| lookback_start(p, n), |l| l.1);
                (from, p.end_day)
            }
            Window::PeriodAndYearBefore => (self.year_before, p.end_day),
        }
    }

    fn find_fact<'c>(&self, ctx: &'c PatientCtx, bit: u64, from: i64, to: i64) -> Option<&'c Fact> {
        ctx.facts
            .iter()
            .find(|f| f.mask & bit != 0 && f.start <= to && f.end >= from)
    }

    /// Registry diagnosis "active during the period or before" (see module docs), begun before
    /// `onset_before` (a day) when given.
    fn registry_fact<'c>(
        &self,
        ctx: &'c PatientCtx,
        bit: u64,
        onset_before: Option<i64>,
    ) -> Option<&'c Fact> {
        let p = self.period;
        let year_before = self.year_before;
        let last = onset_before.map_or(p.end_day, |d| (d - 1).min(p.end_day));
        ctx.facts.iter().find(|f| {
            f.mask & bit != 0
                && match f.kind {
                    FactKind::Condition => f.start <= last && f.end >= p.start_day,
                    _ => f.start <= last && f.end >= year_before,
                }
        })
    }

    fn population(&self, m: &MeasureDef, ctx: &PatientCtx, mut trace: Option<&mut Trace>) -> bool {
        // Texts only when tracing: this runs for every patient and measure.
        let tracing = trace.is_some();
        let end = if tracing {
            date(self.period.end_day)
        } else {
            String::new()
        };
        let mut ok = true;
        let note = |t: &mut Option<&mut Trace>, s: &dyn Fn() -> String| {
            if let Some(t) = t.as_deref_mut() {
                t.population.push(s());
            }
        };
        if ctx.died_by_end {
            ok = false;
            let when = ctx.death.map_or("on an unknown date".to_string(), |d| {
                format!("on {}", d.date_string())
            });
            note(&mut trace, &|| {
                format!("not eligible: died {when}, by the period end {end}")
            });
        }
        let Some(pop) = &m.population else {
            return ok;
        };
        if pop.age_min.is_some() || pop.age_max.is_some() {
            let lo = pop.age_min.map_or(0, |a| a as i64);
            let hi = pop.age_max.map_or(i64::MAX, |a| a as i64);
            let range = match (tracing, pop.age_min, pop.age_max) {
                (false, _, _) => String::new(),
                (_, Some(a), Some(b)) => format!("{a}-{b}"),
                (_, Some(a), None) => format!("{a}+"),
                (_, None, Some(b)) => format!("up to {b}"),
                (_, None, None) => String::new(),
            };
            match ctx.age {
                Some(a) if (lo..=hi).contains(&a) => {
                    note(&mut trace, &|| {
                        format!("age {a} on {end} is within {range}")
                    });
                }
                Some(a) => {
                    ok = false;
                    note(&mut trace, &|| {
                        format!("not eligible: age {a} on {end} is outside {range}")
                    });
                }
                None => {
                    ok = false;
                    note(&mut trace, &|| {
                        "not eligible: birth date unknown".to_string()
                    });
                }
            }
        }
        if let Some(sex) = &pop.sex {
            if ctx.sex.as_str() == sex {
                note(&mut trace, &|| format!("sex {sex}"));
            } else {
                ok = false;
                note(&mut trace, &|| {
                    format!("not eligible: sex {} (measure: {sex})", ctx.sex.as_str())
                });
            }
        }
        if !pop.conditions.is_empty() {
            let mut any = None;
            let onset_before = pop
                .condition_onset_within_months
                .map(|n| add_months(self.period.start(), n as i64).day());
            for c in &pop.conditions {
                if let Some(f) = self.registry_fact(ctx, self.bit(c), onset_before) {
                    any = Some((c, f));
                    break;
                }
            }
            match any {
                Some((c, f)) => {
                    if trace.is_some() {
                        let d = self.describe(f);
                        note(&mut trace, &|| format!("{c}: {d}"));
                    }
                }
                None => {
                    ok = false;
                    note(&mut trace, &|| {
                        let begun = onset_before
                            .map_or(String::new(), |d| format!(" and begun before {}", date(d)));
                        format!(
                            "not eligible: no {} diagnosis active in or before the period{begun}",
                            pop.conditions.join(" / ")
                        )
                    });
                }
            }
        }
        if pop.require_visit_in_period {
            match ctx.first_visit {
                Some(t) => note(&mut trace, &|| {
                    format!("office visit in the period on {}", t.date_string())
                }),
                None => {
                    ok = false;
                    note(&mut trace, &|| {
                        "not eligible: no office visit in the period".to_string()
                    });
                }
            }
        }
        if pop.attributed_only {
            let attributed = self
                .attribution
                .get_canonical(ctx.p)
                .is_some_and(|a| a.practitioner.is_some() || a.org.is_some());
            if attributed {
                note(&mut trace, &|| {
                    "attributed to a practitioner or practice".to_string()
                });
            } else {
                ok = false;
                note(&mut trace, &|| "not eligible: not attributed".to_string());
            }
        }
        ok
    }

    /// The first exclusion hit (with its evidence when tracing), if any.
    fn exclusion(&self, m: &MeasureDef, ctx: &PatientCtx, trace: Option<&mut Trace>) -> bool {
        let tracing = trace.is_some();
        for x in &m.exclusions {
            if let Some(min) = x.min_age
                && ctx.age.is_none_or(|a| a < min as i64)
            {
                continue;
            }
            let (from, to) = self.window(x.window);
            let mut hit: Option<Box<dyn Fn() -> String + '_>> = None;
            if let Some(cs) = &x.code_set {
                let first = self.find_fact(ctx, self.bit(cs), from, to);
                let second = match &x.and_code_set {
                    Some(and) => self.find_fact(ctx, self.bit(and), from, to).map(Some),
                    None => Some(None),
                };
                if let (Some(a), Some(b)) = (first, second) {
                    hit = Some(Box::new(move || {
                        let mut s = self.describe(a);
                        if let Some(b) = b {
                            s.push_str(" and ");
                            s.push_str(&self.describe(b));
                        }
                        s
                    }));
                }
            }
            if hit.is_none() && (!x.settings.is_empty() || !x.dispositions.is_empty()) {
                for enc in &ctx.encounters {
                    if x.settings.contains(&enc.setting) && enc.start <= to && enc.end >= from {
                        let (setting, day) = (enc.setting, enc.start);
                        hit = Some(Box::new(move || {
                            format!("{} encounter from {}", setting.as_str(), date(day))
                        }));
                        break;
                    }
                    if x.dispositions.contains(&enc.disposition)
                        && enc.ended
                        && (from..=to).contains(&enc.end)
                    {
                        let (disp, day) = (enc.disposition, enc.end);
                        hit = Some(Box::new(move || {
                            format!("discharged to {} on {}", disp.as_str(), date(day))
                        }));
                        break;
                    }
                }
            }
            if let Some(evidence) = hit {
                if let (true, Some(t)) = (tracing, trace) {
                    t.exclusions.push(format!("{}: {}", x.id, evidence()));
                }
                return true;
            }
        }
        false
    }

    /// Numerator of a patient-level rule: (in numerator, gap reason when the patient has a gap).
    fn numerator(
        &self,
        m: &MeasureDef,
        ctx: &PatientCtx,
        mut trace: Option<&mut Trace>,
        want_gap: bool,
    ) -> (bool, Option<String>) {
        let p = self.period;
        // Texts are built only when someone reads them (explanations, care gaps).
        let mut note = |s: &dyn Fn() -> String| {
            if let Some(t) = trace.as_deref_mut() {
                t.numerator.push(s());
            }
        };
        let gap_if = |numerator: bool, reason: &dyn Fn() -> String| {
            // A gap is a numerator hit of an inverse measure or a miss of a normal one.
            (want_gap && numerator == m.inverse).then(reason)
        };
        match &m.numerator {
            NumeratorDef::Lab {
                code_set,
                selection,
                comparison,
                threshold,
                unit,
                label,
                missing_counts_as_numerator,
            } => {
                let bit = self.bit(code_set);
                let results = ctx.facts.iter().filter(|f| {
                    f.kind == FactKind::Observation
                        && f.mask & bit != 0
                        && f.value.is_some()
                        && p.contains(f.start)
                });
                let chosen = match selection {
                    Selection::MostRecent => results.max_by(|a, b| {
                        a.time.cmp(&b.time).then(
                            // Same instant: the lower value (the later row is no better).
                            b.value
                                .partial_cmp(&a.value)
                                .unwrap_or(std::cmp::Ordering::Equal),
                        )
                    }),
                    Selection::LowestOfMostRecentDay => results.max_by(|a, b| {
                        a.start.cmp(&b.start).then(
                            b.value
                                .partial_cmp(&a.value)
                                .unwrap_or(std::cmp::Ordering::Equal),
                        )
                    }),
                };
                let u = if unit.is_empty() {
                    String::new()
                } else {
                    format!(" {unit}")
                };
                match chosen {
                    Some(f) => {
                        let v = f.value.unwrap_or(f64::NAN);
                        let hit = comparison.holds(v, *threshold);
                        note(&|| {
                            format!(
                                "most recent {label} in the period: {}; {} {} {}{u}: {}",
                                self.describe(f),
                                fmt_num(v),
                                comparison.symbol(),
                                fmt_num(*threshold),
                                if hit { "yes" } else { "no" }
                            )
                        });
                        let reason =
                            || format!("last {label} {}{u} on {}", fmt_num(v), date(f.start));
                        (hit, gap_if(hit, &reason))
                    }
                    None => {
                        let hit = *missing_counts_as_numerator;
                        note(&|| {
                            format!(
                                "no numeric {label} result in the period{}",
                                if hit {
                                    " (missing counts in the numerator)"
                                } else {
                                    ""
                                }
                            )
                        });
                        (
                            hit,
                            gap_if(hit, &|| format!("no {label} since {}", date(p.start_day))),
                        )
                    }
                }
            }
            NumeratorDef::BloodPressure {
                systolic_code_set,
                diastolic_code_set,
                systolic_below,
                diastolic_below,
            } => {
                let (sb, db) = (self.bit(systolic_code_set), self.bit(diastolic_code_set));
                let readings = || {
                    ctx.facts.iter().filter(move |f| {
                        f.kind == FactKind::Observation
                            && f.mask & (sb | db) != 0
                            && f.value.is_some()
                            && !f.acute
                            && p.contains(f.start)
                    })
                };
                let Some(day) = readings().map(|f| f.start).max() else {
                    note(&|| {
                        "no blood pressure reading in the period (outside ED/inpatient)".into()
                    });
                    return (
                        false,
                        gap_if(false, &|| {
                            format!("no BP reading since {}", date(p.start_day))
                        }),
                    );
                };
                let lowest = |bit: u64| {
                    readings()
                        .filter(|f| f.start == day && f.mask & bit != 0)
                        .filter_map(|f| f.value)
                        .fold(None, |acc: Option<f64>, v| {
                            Some(acc.map_or(v, |a| a.min(v)))
                        })
                };
                let (sys, dia) = (lowest(sb), lowest(db));
                let hit = matches!((sys, dia), (Some(s), Some(d)) if s < *systolic_below && d < *diastolic_below);
                let show = |v: Option<f64>| v.map_or("?".to_string(), fmt_num);
                note(&|| {
                    format!(
                        "most recent reading day {}: lowest systolic {}, lowest diastolic {} (controlled below {}/{}): {}",
                        date(day),
                        show(sys),
                        show(dia),
                        fmt_num(*systolic_below),
                        fmt_num(*diastolic_below),
                        if hit { "yes" } else { "no" }
                    )
                });
                let reason = || format!("last BP {}/{} on {}", show(sys), show(dia), date(day));
                (hit, gap_if(hit, &reason))
            }
            NumeratorDef::Screening { options } => {
                for o in options {
                    let (from, to) = self.window(Window::MonthsBeforeEnd(o.months));
                    let bit = self.bit(&o.code_set);
                    let found = ctx
                        .facts
                        .iter()
                        .filter(|f| f.mask & bit != 0 && f.start >= from && f.start <= to)
                        .max_by_key(|f| f.time);
                    if let Some(f) = found {
                        note(&|| {
                            format!(
                                "{} within the {} months to {}: {}",
                                o.label,
                                o.months,
                                date(to),
                                self.describe(f)
                            )
                        });
                        return (true, gap_if(true, &String::new));
                    }
                }
                let list: Vec<String> = options
                    .iter()
                    .map(|o| format!("{} in the {} months", o.label, o.months))
                    .collect();
                let reason = || format!("no {} to {}", list.join(", no "), date(p.end_day));
                note(&reason);
                (false, gap_if(false, &reason))
            }
            _ => (false, None),
        }
    }

    /// Full decision for a patient-level measure.
    fn evaluate(
        &self,
        m: &MeasureDef,
        ctx: &PatientCtx,
        mut trace: Option<&mut Trace>,
        want_gap: bool,
    ) -> Outcome {
        let mut out = Outcome::default();
        if !self.population(m, ctx, trace.as_deref_mut()) {
            return out;
        }
        out.in_population = true;
        if self.exclusion(m, ctx, trace.as_deref_mut()) {
            out.excluded = true;
            return out;
        }
        match &m.numerator {
            NumeratorDef::EncounterCount { setting, .. } => {
                let n = if *setting == Setting::Emergency {
                    ctx.ed_visits as u64
                } else {
                    self.net
                        .patient_encounters(ctx.p)
                        .filter(|&e| {
                            let enc = self.net.encounter(e);
                            enc.setting == *setting && self.period.contains(enc.start.day())
                        })
                        .count() as u64
                };
                if let Some(t) = trace {
                    t.numerator.push(format!(
                        "{n} {} encounter(s) in the period",
                        setting.as_str()
                    ));
                }
                out.numerator = n;
            }
            _ => {
                let (hit, gap) = self.numerator(m, ctx, trace, want_gap);
                out.numerator = hit as u64;
                out.gap = gap;
            }
        }
        out
    }
}

fn is_patient_level(m: &MeasureDef) -> bool {
    matches!(
        m.numerator,
        NumeratorDef::Lab { .. }
            | NumeratorDef::BloodPressure { .. }
            | NumeratorDef::Screening { .. }
            | NumeratorDef::EncounterCount { .. }
    )
}

// ---- aggregation ---------------------------------------------------------------------------------

/// The four reporting levels, in output order.
pub const LEVELS: [&str; 4] = ["network", "organization", "practice", "practitioner"];

/// Denominator / numerator sums of one measure per level and entity.
#[derive(Debug, Clone, Default)]
struct Sums {
    network: (u64, u64),
    organization: Vec<(u64, u64)>,
    practice: Vec<(u64, u64)>,
    practitioner: Vec<(u64, u64)>,
}

impl Sums {
    fn new(net: &Network) -> Sums {
        Sums {
            network: (0, 0),
            organization: vec![(0, 0); net.organizations.len()],
            practice: vec![(0, 0); net.organizations.len()],
            practitioner: vec![(0, 0); net.practitioners.len()],
        }
    }
    fn merge(&mut self, other: &Sums) {
        let sum = |a: &mut (u64, u64), b: &(u64, u64)| {
            a.0 += b.0;
            a.1 += b.1;
        };
        sum(&mut self.network, &other.network);
        for (a, b) in [
            (&mut self.organization, &other.organization),
            (&mut self.practice, &other.practice),
            (&mut self.practitioner, &other.practitioner),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                sum(x, y);
            }
        }
    }
    fn add(
        &mut self,
        orgs: &[OrgIdx],
        att: Option<(Option<PractIdx>, Option<OrgIdx>)>,
        d: u64,
        n: u64,
    ) {
        let bump = |x: &mut (u64, u64)| {
            x.0 += d;
            x.1 += n;
        };
        bump(&mut self.network);
        for o in orgs {
            if let Some(x) = self.organization.get_mut(o.idx()) {
                bump(x);
            }
        }
        if let Some((pr, org)) = att {
            if let Some(x) = org.and_then(|o| self.practice.get_mut(o.idx())) {
                bump(x);
            }
            if let Some(x) = pr.and_then(|p| self.practitioner.get_mut(p.idx())) {
                bump(x);
            }
        }
    }
}

/// Rank (1 = best, ties share the best rank) and percentile rank among the peers of one level:
/// percentile = 100 × (peers doing worse + ½ × other peers tied) / (peers − 1), so the best of
/// several unique rates is 100 and the worst 0. `None` with fewer than two peers.
pub fn peer_ranks(rates: &[f64], inverse: bool) -> Vec<(i64, Option<f64>)> {
    let n = rates.len();
    let better = |a: f64, b: f64| if inverse { a < b } else { a > b };
    rates
        .iter()
        .map(|&r| {
            let above = rates.iter().filter(|&&o| better(o, r)).count();
            let worse = rates.iter().filter(|&&o| better(r, o)).count();
            let tied_others = n - above - worse - 1;
            let pct = if n < 2 {
                None
            } else {
                Some(100.0 * (worse as f64 + 0.5 * tied_others as f64) / (n - 1) as f64)
            };
            (above as i64 + 1, pct)
        })
        .collect()
}

#[derive(Default)]
struct Rows {
    measure: Vec<Option<String>>,
    level: Vec<Option<String>>,
    entity: Vec<Option<String>>,
    den: Vec<Option<i64>>,
    num: Vec<Option<i64>>,
    rate: Vec<Option<f64>>,
    pct: Vec<Option<f64>>,
    rank: Vec<Option<i64>>,
}

fn rate_of(m: &MeasureDef, d: u64, n: u64) -> Option<f64> {
    if d == 0 {
        return None;
    }
    let per = match m.numerator {
        NumeratorDef::EncounterCount { per, .. } => per,
        _ => 1.0,
    };
    Some(n as f64 * per / d as f64)
}

// ---- public API ----------------------------------------------------------------------------------

/// A care gap: patient, measure index, reason.
type Gap = (PatientIdx, usize, String);

/// Evaluation of a whole set: sums per measure, plus care gaps when asked.
struct Run {
    sums: Vec<Sums>,
    gaps: Vec<Gap>,
}

impl Network {
    fn run_measures(
        &self,
        set: &MeasureSet,
        period: Option<(Timestamp, Timestamp)>,
        external: &[ExternalMeasureInput],
        collect_gaps: bool,
    ) -> Result<Run> {
        let period = self.measurement_period(period)?;
        for x in external {
            match set.measure(&x.measure_id) {
                Some(m) if matches!(m.numerator, NumeratorDef::External) => {}
                Some(_) => {
                    return Err(CinError::invalid(format!(
                        "measure {} is not an external measure",
                        x.measure_id
                    )));
                }
                None => {
                    return Err(CinError::invalid(format!(
                        "external input for unknown measure {}",
                        x.measure_id
                    )));
                }
            }
        }
        let ev = Evaluator::new(self, set, period);
        let measures = set.measures();
        let patient_level: Vec<usize> = (0..measures.len())
            .filter(|&i| is_patient_level(&measures[i]))
            .collect();
        let att_of = |ev: &Evaluator, p: PatientIdx| {
            ev.attribution
                .get_canonical(p)
                .map(|a| (a.practitioner, a.org))
        };
        // Patient-level measures: chunks of patients on the available cores, each worker with its
        // own code memo and sums, merged in chunk order (so gaps keep patient order).
        let patients = self.patient_list();
        let workers = if patient_level.is_empty() {
            0
        } else if patients.len() < 20_000 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
        };
        let work = |chunk: &[PatientIdx]| {
            let mut cls = Classifier::new(set);
            let mut sums: Vec<Sums> = measures.iter().map(|_| Sums::new(self)).collect();
            let mut gaps = Vec::new();
            let mut scratch = Vec::new();
            for &p in chunk {
                let ctx = ev.context(&mut cls, p, std::mem::take(&mut scratch));
                let att = att_of(&ev, p);
                for &mi in &patient_level {
                    let out = ev.evaluate(&measures[mi], &ctx, None, collect_gaps);
                    if out.in_population && !out.excluded {
                        sums[mi].add(&ctx.orgs_seen, att, 1, out.numerator);
                        if collect_gaps && let Some(g) = out.gap {
                            gaps.push((p, mi, g));
                        }
                    }
                }
                scratch = ctx.facts;
            }
            (sums, gaps)
        };
        let mut sums: Vec<Sums> = measures.iter().map(|_| Sums::new(self)).collect();
        let mut gaps = Vec::new();
        if workers > 0 {
            let size = patients.len().div_ceil(workers).max(1);
            let parts: Vec<(Vec<Sums>, Vec<Gap>)> = if workers == 1 {
                vec![work(patients)]
            } else {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = patients
                        .chunks(size)
                        .map(|chunk| scope.spawn(|| work(chunk)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                        .collect()
                })
            };
            for (part_sums, part_gaps) in parts {
                for (total, part) in sums.iter_mut().zip(part_sums) {
                    total.merge(&part);
                }
                gaps.extend(part_gaps);
            }
        }
        let mut cls = Classifier::new(set);
        let mut scratch = Vec::new();
        for (mi, m) in measures.iter().enumerate() {
            match &m.numerator {
                NumeratorDef::Readmission { days } => {
                    let policy = ReadmissionPolicy::days(*days);
                    for (stay, readmission) in self.index_stays_with(&policy) {
                        let Some(d) = stay.discharge else { continue };
                        if !period.contains(d.day()) {
                            continue;
                        }
                        let orgs: Vec<OrgIdx> = stay.discharge_org.into_iter().collect();
                        let p = self.canonical(stay.patient);
                        sums[mi].add(&orgs, att_of(&ev, p), 1, readmission.is_some() as u64);
                    }
                }
                NumeratorDef::Followup { days } => {
                    let (rows, _) = self.followups_with(&FollowupPolicy::days(*days));
                    for f in rows {
                        if !period.contains(f.discharge.day()) {
                            continue;
                        }
                        let orgs: Vec<OrgIdx> = self
                            .encounter(f.discharge_encounter)
                            .org
                            .into_iter()
                            .collect();
                        let p = self.canonical(f.patient);
                        let hit = f.followup_encounter.is_some();
                        sums[mi].add(&orgs, att_of(&ev, p), 1, hit as u64);
                        if collect_gaps && !hit {
                            gaps.push((
                                p,
                                mi,
                                format!(
                                    "no follow-up visit within {days} days of the discharge on {}",
                                    f.discharge.date_string()
                                ),
                            ));
                        }
                    }
                }
                NumeratorDef::External => {
                    // OR the flags per patient, then aggregate once per patient.
                    let mut flags: Vec<(PatientIdx, bool, bool)> = external
                        .iter()
                        .filter(|x| x.measure_id == m.id)
                        .flat_map(|x| x.per_patient.iter().copied())
                        .filter(|&(p, _, _)| p.idx() < self.patients.len())
                        .map(|(p, d, n)| (self.canonical(p), d, n))
                        .collect();
                    flags.sort_by_key(|f| f.0);
                    let mut i = 0;
                    while i < flags.len() {
                        let p = flags[i].0;
                        let (mut d, mut n) = (false, false);
                        while i < flags.len() && flags[i].0 == p {
                            d |= flags[i].1;
                            n |= flags[i].2;
                            i += 1;
                        }
                        if !d {
                            continue;
                        }
                        let n = n && d;
                        let orgs = ev.context(&mut cls, p, std::mem::take(&mut scratch));
                        sums[mi].add(&orgs.orgs_seen, att_of(&ev, p), 1, n as u64);
                        scratch = orgs.facts;
                        if collect_gaps && n == m.inverse {
                            gaps.push((
                                p,
                                mi,
                                format!("{} (reported by the supplying module)", m.title),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(Run { sums, gaps })
    }

    /// Every measure of `set` per level: columns measure_id, level, entity_id, denominator,
    /// numerator, rate, percentile, rank. The network row is always present; other levels list
    /// the entities with a non-empty denominator. `period` defaults to the last full calendar
    /// year in the data.
    pub fn measures_table(
        &self,
        set: &MeasureSet,
        period: Option<(Timestamp, Timestamp)>,
        external: &[ExternalMeasureInput],
    ) -> Result<Table> {
        let run = self.run_measures(set, period, external, false)?;
        Ok(self.results_table(set, &run))
    }

    /// [`Network::measures_table`] and [`Network::care_gaps_table`] from one evaluation.
    pub fn measures_and_care_gaps(
        &self,
        set: &MeasureSet,
        period: Option<(Timestamp, Timestamp)>,
        external: &[ExternalMeasureInput],
    ) -> Result<(Table, Table)> {
        let run = self.run_measures(set, period, external, true)?;
        let results = self.results_table(set, &run);
        Ok((results, self.gaps_table(set, run)))
    }

    fn results_table(&self, set: &MeasureSet, run: &Run) -> Table {
        let mut rows = Rows::default();
        for (m, sums) in set.measures().iter().zip(&run.sums) {
            for level in LEVELS {
                let entities: Vec<(String, u64, u64)> = match level {
                    "network" => vec![("network".to_string(), sums.network.0, sums.network.1)],
                    "organization" | "practice" => {
                        let v = if level == "organization" {
                            &sums.organization
                        } else {
                            &sums.practice
                        };
                        v.iter()
                            .enumerate()
                            .filter(|(_, s)| s.0 > 0)
                            .map(|(i, s)| (self.org_id(OrgIdx(i as u32)).to_string(), s.0, s.1))
                            .collect()
                    }
                    _ => sums
                        .practitioner
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.0 > 0)
                        .map(|(i, s)| {
                            (
                                self.practitioner_id(PractIdx(i as u32)).to_string(),
                                s.0,
                                s.1,
                            )
                        })
                        .collect(),
                };
                let rates: Vec<f64> = entities
                    .iter()
                    .filter_map(|(_, d, n)| rate_of(m, *d, *n))
                    .collect();
                let ranks = peer_ranks(&rates, m.inverse);
                let mut k = 0;
                for (id, d, n) in entities {
                    let rate = rate_of(m, d, n);
                    let (rank, pct) = if rate.is_some() {
                        k += 1;
                        (Some(ranks[k - 1].0), ranks[k - 1].1)
                    } else {
                        (None, None)
                    };
                    rows.measure.push(Some(m.id.clone()));
                    rows.level.push(Some(level.to_string()));
                    rows.entity.push(Some(id));
                    rows.den.push(Some(d as i64));
                    rows.num.push(Some(n as i64));
                    rows.rate.push(rate);
                    rows.pct.push(pct);
                    rows.rank.push(rank);
                }
            }
        }
        Table::new()
            .with("measure_id", Column::Str(rows.measure))
            .with("level", Column::Str(rows.level))
            .with("entity_id", Column::Str(rows.entity))
            .with("denominator", Column::Int(rows.den))
            .with("numerator", Column::Int(rows.num))
            .with("rate", Column::Float(rows.rate))
            .with("percentile", Column::Float(rows.pct))
            .with("rank", Column::Int(rows.rank))
    }

    /// Network-level results for the report's `measures` list. An invalid period or external
    /// input (see [`Network::measures_table`]) gives an empty list.
    pub fn measures_summary(
        &self,
        set: &MeasureSet,
        period: Option<(Timestamp, Timestamp)>,
        external: &[ExternalMeasureInput],
    ) -> Vec<MeasureResult> {
        let Ok(run) = self.run_measures(set, period, external, false) else {
            return Vec::new();
        };
        set.measures()
            .iter()
            .zip(&run.sums)
            .map(|(m, s)| MeasureResult {
                id: m.id.clone(),
                denominator: s.network.0,
                numerator: s.network.1,
                rate: rate_of(m, s.network.0, s.network.1),
            })
            .collect()
    }

    /// Open care gaps: columns patient_id, measure_id, reason. A gap is a denominator patient
    /// (or missed follow-up discharge) outside the numerator of a normal measure or inside the
    /// numerator of an inverse one (e.g. HbA1c > 9 % or missing).
    pub fn care_gaps_table(
        &self,
        set: &MeasureSet,
        period: Option<(Timestamp, Timestamp)>,
        external: &[ExternalMeasureInput],
    ) -> Result<Table> {
        let run = self.run_measures(set, period, external, true)?;
        Ok(self.gaps_table(set, run))
    }

    fn gaps_table(&self, set: &MeasureSet, mut run: Run) -> Table {
        // Patient order, then measure order (event gaps keep their time order).
        run.gaps.sort_by_key(|g| (g.0, g.1));
        let n = run.gaps.len();
        let (mut pid, mut mid, mut reason) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (p, mi, r) in run.gaps {
            pid.push(Some(self.patient_id(p).to_string()));
            mid.push(Some(set.measures()[mi].id.clone()));
            reason.push(Some(r));
        }
        Table::new()
            .with("patient_id", Column::Str(pid))
            .with("measure_id", Column::Str(mid))
            .with("reason", Column::Str(reason))
    }

    /// Why one patient is in or out of a measure's denominator and numerator.
    pub fn explain_measure(
        &self,
        set: &MeasureSet,
        patient_id: &str,
        measure_id: &str,
        period: Option<(Timestamp, Timestamp)>,
    ) -> Result<Explanation> {
        let m = set
            .measure(measure_id)
            .ok_or_else(|| CinError::invalid(format!("unknown measure {measure_id}")))?;
        let p = self
            .patient_by_id(patient_id)
            .ok_or_else(|| CinError::invalid("no patient with the given id"))?;
        let period = self.measurement_period(period)?;
        let ev = Evaluator::new(self, set, period);
        let ctx = ev.context(&mut Classifier::new(set), p, Vec::new());
        let att = ev.attribution.get_canonical(p).copied();
        let mut ex = Explanation {
            patient_id: self.patient_id(p).to_string(),
            measure_id: m.id.clone(),
            measure_title: m.title.clone(),
            period_start: period.start().date_string(),
            period_end: period.end().date_string(),
            attributed_practitioner: att
                .and_then(|a| a.practitioner)
                .map(|x| self.practitioner_id(x).to_string()),
            attributed_org: att.and_then(|a| a.org).map(|o| self.org_id(o).to_string()),
            attribution_method: att
                .map_or("unattributed", |a| a.method.as_str())
                .to_string(),
            ..Default::default()
        };
        if is_patient_level(m) {
            let mut trace = Trace::default();
            let out = ev.evaluate(m, &ctx, Some(&mut trace), true);
            ex.in_population = out.in_population;
            ex.in_denominator = out.in_population && !out.excluded;
            ex.in_numerator = ex.in_denominator && out.numerator > 0;
            ex.population = trace.population;
            ex.exclusions = trace.exclusions;
            ex.numerator_evidence = trace.numerator;
            ex.gap = out.gap;
            return Ok(ex);
        }
        match &m.numerator {
            NumeratorDef::Readmission { days } => {
                let policy = ReadmissionPolicy::days(*days);
                for (stay, readmission) in self.index_stays_with(&policy) {
                    let Some(d) = stay.discharge else { continue };
                    if self.canonical(stay.patient) != p || !period.contains(d.day()) {
                        continue;
                    }
                    ex.in_denominator = true;
                    ex.population.push(format!(
                        "eligible index stay {} admitted {}, discharged {}",
                        self.encounter_id(stay.last_encounter()),
                        stay.admit.date_string(),
                        d.date_string()
                    ));
                    if let Some(r) = readmission {
                        ex.in_numerator = true;
                        ex.numerator_evidence.push(format!(
                            "readmitted {} ({} days later, encounter {})",
                            r.readmit_admit.date_string(),
                            r.days_between,
                            self.encounter_id(r.readmit_encounter)
                        ));
                    }
                }
                ex.in_population = ex.in_denominator;
                if !ex.in_denominator {
                    ex.population.push(format!(
                        "no eligible acute stay discharged in the period (index rules in the continuum engine; {days}-day window must be complete)"
                    ));
                }
            }
            NumeratorDef::Followup { days } => {
                let (rows, _) = self.followups_with(&FollowupPolicy::days(*days));
                for f in rows {
                    if self.canonical(f.patient) != p || !period.contains(f.discharge.day()) {
                        continue;
                    }
                    ex.in_denominator = true;
                    ex.population.push(format!(
                        "discharge to the community on {} (encounter {})",
                        f.discharge.date_string(),
                        self.encounter_id(f.discharge_encounter)
                    ));
                    match (f.followup_encounter, f.days) {
                        (Some(e), Some(d)) => {
                            ex.in_numerator = true;
                            ex.numerator_evidence.push(format!(
                                "follow-up visit {} on day {d} after discharge",
                                self.encounter_id(e)
                            ));
                        }
                        _ => {
                            let g = format!(
                                "no follow-up visit within {days} days of the discharge on {}",
                                f.discharge.date_string()
                            );
                            ex.numerator_evidence.push(g.clone());
                            ex.gap.get_or_insert(g);
                        }
                    }
                }
                ex.in_population = ex.in_denominator;
                if !ex.in_denominator {
                    ex.population
                        .push("no eligible discharge to the community in the period".into());
                }
            }
            _ => {
                ex.population.push(
                    "computed by another module: pass its per-patient flags to measures_table"
                        .into(),
                );
            }
        }
        Ok(ex)
    }
}
