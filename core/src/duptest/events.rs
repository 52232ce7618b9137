//! From result rows to test events, and the exceptions that make a repeat legitimate.
//!
//! A lab panel arrives as several component observations with one time (Synthea writes a BMP as
//! eight rows; FHIR adds a DiagnosticReport with the panel code). Rows of one patient with the
//! same time, encounter and kind (result / order) are one *group*; a group holds a family when a
//! row names it directly or when at least `components.min` of its components are present. A
//! family contained in another family of the same group (a BMP inside a CMP, an LDL inside a
//! lipid panel) is absorbed, so each group yields one event per outermost family.

use super::rules::{CodeHit, FamilySet, MAX_FAMILIES, Rules};
use crate::model::{Code, EncIdx, ObsValue, OrgIdx, PatientIdx, PractIdx, Setting};
use crate::network::Network;
use crate::time::Timestamp;

/// Result (observation, report, performed procedure) or a pending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FactKind {
    Result,
    Order,
}

/// One result row resolved to the rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fact<'r> {
    pub time: Timestamp,
    pub encounter: Option<EncIdx>,
    pub kind: FactKind,
    pub hit: &'r CodeHit,
    pub code: Code,
    pub value: ObsValue,
    pub unit: Option<crate::intern::Sym>,
    pub org: Option<OrgIdx>,
    pub practitioner: Option<PractIdx>,
}

/// One test of one family at one time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestEvent {
    pub family: usize,
    pub time: Timestamp,
    pub day: i64,
    pub encounter: Option<EncIdx>,
    pub kind: FactKind,
    /// The row that represents the event (panel code when present, else the first component).
    pub rep: u32,
    /// Rows `facts[start..end]` of the group the event came from.
    pub start: u32,
    pub end: u32,
}

/// Groups time-sorted facts into events (appended to `out`). `facts` must be sorted by
/// (time, encounter, kind).
pub(crate) fn build_events(rules: &Rules, facts: &[Fact<'_>], out: &mut Vec<TestEvent>) {
    let mut counts = [0u16; MAX_FAMILIES];
    let mut g = 0;
    while g < facts.len() {
        let f0 = &facts[g];
        let mut h = g + 1;
        while h < facts.len()
            && facts[h].time == f0.time
            && facts[h].encounter == f0.encounter
            && facts[h].kind == f0.kind
        {
            h += 1;
        }
        let group = &facts[g..h];
        let mut direct: FamilySet = 0;
        let mut touched: FamilySet = 0;
        for f in group {
            if let Some(k) = f.hit.family {
                direct |= 1u128 << k;
            }
            let mut bits = f.hit.component_of;
            touched |= bits;
            while bits != 0 {
                let k = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                counts[k] += 1;
            }
        }
        let mut recognized = direct;
        let mut bits = touched;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if counts[k] as usize >= rules.families[k].min_components {
                recognized |= 1u128 << k;
            }
            counts[k] = 0;
        }
        let mut covered: FamilySet = 0;
        let mut bits = recognized;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            covered |= rules.families[k].closure & !(1u128 << k);
        }
        let mut top = recognized & !covered;
        while top != 0 {
            let k = top.trailing_zeros() as usize;
            top &= top - 1;
            let bit = 1u128 << k;
            let rep = group
                .iter()
                .position(|f| f.hit.family == Some(k))
                .or_else(|| group.iter().position(|f| f.hit.component_of & bit != 0))
                .or_else(|| {
                    let closure = rules.families[k].closure;
                    group
                        .iter()
                        .position(|f| f.hit.family.is_some_and(|x| closure & (1u128 << x) != 0))
                })
                .unwrap_or(0);
            out.push(TestEvent {
                family: k,
                time: f0.time,
                day: f0.time.day(),
                encounter: f0.encounter,
                kind: f0.kind,
                rep: (g + rep) as u32,
                start: g as u32,
                end: h as u32,
            });
        }
        g = h;
    }
}

/// True when a row of the event's group that belongs to `family` (or to a family inside it) has
/// a numeric value outside its reference range.
pub(crate) fn is_abnormal(
    net: &Network,
    rules: &Rules,
    facts: &[Fact<'_>],
    ev: &TestEvent,
    family: usize,
) -> bool {
    let closure = rules.families[family].closure | (1u128 << family);
    facts[ev.start as usize..ev.end as usize].iter().any(|f| {
        let in_family = f.hit.family.is_some_and(|k| closure & (1u128 << k) != 0)
            || f.hit.component_of & closure != 0;
        match (in_family, &f.hit.range, f.value) {
            (true, Some(range), ObsValue::Number(v)) => {
                range.is_abnormal(v, f.unit.map(|u| net.str(u))) == Some(true)
            }
            _ => false,
        }
    })
}

/// The inpatient encounter a test at `time` (recorded under `encounter`) belongs to.
pub(crate) fn inpatient_stay(
    net: &Network,
    p: PatientIdx,
    time: Timestamp,
    encounter: Option<EncIdx>,
) -> Option<EncIdx> {
    if let Some(e) = encounter
        && net.encounter(e).setting == Setting::Inpatient
    {
        return Some(e);
    }
    let stays: Vec<EncIdx> = net
        .patient_encounters(p)
        .filter(|&e| net.encounter(e).setting == Setting::Inpatient)
        .collect();
    let last = stays.last().copied();
    stays.into_iter().rev().find(|&e| {
        let enc = net.encounter(e);
        match enc.end {
            Some(end) => enc.start <= time && time <= end,
            // An admission without a discharge is open when it is the latest one; otherwise it
            // covers its admission day only.
            None if Some(e) == last => enc.start <= time,
            None => enc.start.day() == time.day(),
        }
    })
}

/// The monitoring rule a drug start between the prior test and the repeat satisfies, if any.
pub(crate) fn monitoring_reason<'r>(
    net: &Network,
    rules: &'r Rules,
    p: PatientIdx,
    families: FamilySet,
    prior_day: i64,
    repeat_day: i64,
) -> Option<&'r str> {
    let applicable: Vec<_> = rules
        .monitoring
        .iter()
        .filter(|m| m.families & families != 0)
        .collect();
    if applicable.is_empty() {
        return None;
    }
    for med in net.patient_medications(p) {
        let Some(start) = med.start else { continue };
        let d = start.day();
        if d < prior_day || d > repeat_day {
            continue;
        }
        let name = med
            .display
            .map(|s| net.str(s).to_lowercase())
            .unwrap_or_default();
        let code = net.str(med.code.value);
        for m in &applicable {
            if repeat_day - d > m.within_days {
                continue;
            }
            if m.rxnorm.iter().any(|c| c == code)
                || m.drug_names.iter().any(|n| name.contains(n.as_str()))
            {
                return Some(m.id.as_str());
            }
        }
    }
    None
}
