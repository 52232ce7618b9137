//! The network report: the front page a CIN's staff and its payers read. Built in core so the
//! CLI, the C ABI and Python all print the same thing.

use crate::continuum::{
    FollowupPolicy, FollowupSummary, ReadmissionPolicy, ReadmissionSummary, TransitionSummary,
};
use crate::ddi::{DdiSummary, Kb};
use crate::duptest::{DuplicateSummary, Rules};
use crate::ingest::IngestReport;
use crate::measures::{ExternalMeasureInput, MeasureResult, MeasureSet, Period};
use crate::model::Setting;
use crate::network::{Counts, Network};
use crate::risk::RiskSummary;
use crate::table::Column;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Loaded / skipped / errors of one source kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    pub loaded: usize,
    pub skipped: usize,
    pub errors: usize,
    pub loaded_by_kind: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Utilisation {
    /// Years between the first and the last encounter in the data.
    pub period_years: f64,
    pub ed_visits_per_1000_per_year: f64,
    pub admissions_per_1000_per_year: f64,
    pub encounters_by_setting: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HospitalReadmissions {
    pub org_id: String,
    pub name: Option<String>,
    pub index_stays: usize,
    pub readmissions: usize,
    pub rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkReport {
    pub counts: Counts,
    pub organizations_by_kind: BTreeMap<String, usize>,
    pub ingest: BTreeMap<String, IngestSummary>,
    pub readmissions_30d: ReadmissionSummary,
    pub readmissions_by_hospital: Vec<HospitalReadmissions>,
    pub followup_7d: FollowupSummary,
    pub followup_30d: FollowupSummary,
    pub transitions: TransitionSummary,
    pub utilisation: Utilisation,
    /// Risk tiers (the care-management pyramid), registries, HCC and LACE.
    pub risk: RiskSummary,
    /// Tests repeated inside their minimum retest interval, across organisations.
    pub duplicate_tests: DuplicateSummary,
    /// Drug interactions and therapeutic duplications with the session's KB.
    pub drug_interactions: DdiSummary,
    /// The measurement period of `measures` (ISO dates), `None` without dated data.
    pub measures_period: Option<(String, String)>,
    /// Network-level quality measures over `measures_period`.
    pub measures: Vec<MeasureResult>,
    /// Every measure per attributed practice, with its rank among the practices.
    pub measures_by_practice: Vec<PracticeMeasure>,
    /// Open care gaps per measure, most first.
    pub care_gaps: Vec<GapCount>,
}

/// One measure at one practice.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PracticeMeasure {
    pub measure_id: String,
    pub practice_id: String,
    pub practice_name: Option<String>,
    pub denominator: u64,
    pub numerator: u64,
    pub rate: Option<f64>,
    /// 1 = best among the practices with a rate.
    pub rank: Option<i64>,
}

/// Open care gaps of one measure (one per patient, or per discharge for follow-up).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GapCount {
    pub measure_id: String,
    pub gaps: usize,
}

/// The flags of the measures other modules compute (`duplicate_test_rate` from the
/// duplicate-test scan, `ddi_exposure_rate` from the interaction sweep), for those in `set`.
pub fn module_measure_inputs(
    net: &Network,
    set: &MeasureSet,
    kb: &Kb,
    rules: &Rules,
    period: Period,
) -> Vec<ExternalMeasureInput> {
    let mut v = Vec::new();
    if set.measure("duplicate_test_rate").is_some() {
        v.push(net.duplicate_test_flags(rules, period));
    }
    if set.measure("ddi_exposure_rate").is_some() {
        v.push(net.ddi_exposure_flags(kb, period));
    }
    v
}

/// Network rows, practice rows and gap counts of the measures, from one evaluation.
fn measure_sections(
    net: &Network,
    set: &MeasureSet,
    period: Period,
    external: &[ExternalMeasureInput],
) -> (Vec<MeasureResult>, Vec<PracticeMeasure>, Vec<GapCount>) {
    let range = Some((period.start(), period.end()));
    let Ok((table, gaps_table)) = net.measures_and_care_gaps(set, range, external) else {
        return Default::default();
    };
    let n = table.len();
    let mut cols: BTreeMap<String, Column> = table.into_columns().into_iter().collect();
    let mut take = |name: &str| cols.remove(name);
    let (Some(Column::Str(ids)), Some(Column::Str(levels)), Some(Column::Str(entities))) =
        (take("measure_id"), take("level"), take("entity_id"))
    else {
        return Default::default();
    };
    let (Some(Column::Int(dens)), Some(Column::Int(nums)), Some(Column::Int(ranks))) =
        (take("denominator"), take("numerator"), take("rank"))
    else {
        return Default::default();
    };
    let Some(Column::Float(rates)) = take("rate") else {
        return Default::default();
    };
    let (mut network, mut practices) = (Vec::new(), Vec::new());
    let rows = ids
        .into_iter()
        .zip(levels)
        .zip(entities)
        .zip(dens)
        .zip(nums);
    for (i, ((((id, level), entity), den), num)) in rows.enumerate().take(n) {
        let (id, den, num) = (
            id.unwrap_or_default(),
            den.unwrap_or(0) as u64,
            num.unwrap_or(0) as u64,
        );
        match level.as_deref() {
            Some("network") => network.push(MeasureResult {
                id,
                denominator: den,
                numerator: num,
                rate: rates[i],
            }),
            Some("practice") => {
                let practice_id = entity.unwrap_or_default();
                let practice_name = net
                    .organization_by_key(&practice_id)
                    .and_then(|o| net.organizations[o.0 as usize].name)
                    .map(|n| net.str(n).to_string());
                practices.push(PracticeMeasure {
                    measure_id: id,
                    practice_id,
                    practice_name,
                    denominator: den,
                    numerator: num,
                    rate: rates[i],
                    rank: ranks[i],
                });
            }
            _ => {}
        }
    }
    let mut gaps: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(Column::Str(m)) = gaps_table.column("measure_id") {
        for id in m.iter().flatten() {
            *gaps.entry(id.clone()).or_insert(0) += 1;
        }
    }
    let mut gaps: Vec<GapCount> = gaps
        .into_iter()
        .map(|(measure_id, gaps)| GapCount { measure_id, gaps })
        .collect();
    gaps.sort_by(|a, b| b.gaps.cmp(&a.gaps).then(a.measure_id.cmp(&b.measure_id)));
    (network, practices, gaps)
}

impl NetworkReport {
    /// Builds the report with the embedded knowledge bases; `loads` are the ingest reports by
    /// source kind (`fhir`, `synthea_csv`...).
    pub fn build(net: &Network, loads: &[(String, IngestReport)]) -> NetworkReport {
        NetworkReport::build_with(
            net,
            loads,
            Kb::embedded(),
            Rules::embedded(),
            &MeasureSet::embedded(),
        )
    }

    /// Builds the report against the given drug KB, duplicate-test rules and measure set.
    pub fn build_with(
        net: &Network,
        loads: &[(String, IngestReport)],
        kb: &Kb,
        rules: &Rules,
        measure_set: &MeasureSet,
    ) -> NetworkReport {
        let mut ingest: BTreeMap<String, IngestSummary> = BTreeMap::new();
        for (kind, rep) in loads {
            let s = ingest.entry(kind.clone()).or_default();
            s.loaded += rep.total_loaded();
            s.skipped += rep.total_skipped();
            s.errors += rep.issues.len();
            for (k, v) in &rep.loaded {
                *s.loaded_by_kind.entry(k.to_string()).or_insert(0) += v;
            }
        }
        let mut organizations_by_kind = BTreeMap::new();
        for o in &net.organizations {
            *organizations_by_kind
                .entry(o.kind.as_str().to_string())
                .or_insert(0) += 1;
        }

        let policy = ReadmissionPolicy::days(30);
        let (_, readmissions_30d) = net.readmissions_with(&policy);
        let mut by_hosp: BTreeMap<Option<u32>, (usize, usize)> = BTreeMap::new();
        for (stay, readmission) in net.index_stays_with(&policy) {
            let e = by_hosp.entry(stay.discharge_org.map(|o| o.0)).or_default();
            e.0 += 1;
            e.1 += readmission.is_some() as usize;
        }
        let readmissions_by_hospital = by_hosp
            .into_iter()
            .filter_map(|(org, (index_stays, readmissions))| {
                let o = &net.organizations[org? as usize];
                Some(HospitalReadmissions {
                    org_id: net.str(o.id).to_string(),
                    name: o.name.map(|n| net.str(n).to_string()),
                    index_stays,
                    readmissions,
                    rate: if index_stays == 0 {
                        0.0
                    } else {
                        readmissions as f64 / index_stays as f64
                    },
                })
            })
            .collect();

        let (_, followup_7d) = net.followups_with(&FollowupPolicy::days(7));
        let (_, followup_30d) = net.followups_with(&FollowupPolicy::days(30));

        let mut encounters_by_setting = BTreeMap::new();
        for e in &net.encounters {
            *encounters_by_setting
                .entry(e.setting.as_str().to_string())
                .or_insert(0) += 1;
        }
        let first = net.encounters.iter().map(|e| e.start).min();
        let last = net.data_end();
        let period_years = match (first, last) {
            (Some(a), Some(b)) => (a.days_until(b).max(1) as f64) / 365.25,
            _ => 0.0,
        };
        let patients = net.patient_count().max(1) as f64;
        let per_1000 = |n: usize| {
            if period_years > 0.0 {
                n as f64 * 1000.0 / patients / period_years
            } else {
                0.0
            }
        };
        let ed = encounters_by_setting
            .get(Setting::Emergency.as_str())
            .copied()
            .unwrap_or(0);
        let admissions = net.stays().len();
        let measures_period = net.measurement_period(None).ok();
        // One duplicate-test scan and one interaction sweep feed both their section and the
        // measures they supply.
        let (duplicate_tests, dup_flags) =
            net.duplicate_test_summary_and_flags(rules, measures_period);
        let (drug_interactions, ddi_flags) =
            net.drug_interaction_summary_and_flags(kb, measures_period);
        let (measures, measures_by_practice, care_gaps) = match &measures_period {
            Some(p) => {
                let external: Vec<ExternalMeasureInput> = [dup_flags, ddi_flags]
                    .into_iter()
                    .flatten()
                    .filter(|f| measure_set.measure(&f.measure_id).is_some())
                    .collect();
                measure_sections(net, measure_set, *p, &external)
            }
            None => Default::default(),
        };
        NetworkReport {
            counts: net.counts(),
            organizations_by_kind,
            ingest,
            readmissions_30d,
            readmissions_by_hospital,
            followup_7d,
            followup_30d,
            transitions: net.transition_summary(),
            utilisation: Utilisation {
                period_years,
                ed_visits_per_1000_per_year: per_1000(ed),
                admissions_per_1000_per_year: per_1000(admissions),
                encounters_by_setting,
            },
            risk: net.risk_summary(),
            duplicate_tests,
            drug_interactions,
            measures_period: measures_period
                .as_ref()
                .map(|p| (p.start().date_string(), p.end().date_string())),
            measures,
            measures_by_practice,
            care_gaps,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// A plain-text rendering for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let c = &self.counts;
        let _ = writeln!(s, "cin_core network report");
        let _ = writeln!(s, "=======================");
        let _ = writeln!(
            s,
            "patients {}  organizations {}  practitioners {}",
            c.patients, c.organizations, c.practitioners
        );
        let _ = writeln!(
            s,
            "encounters {}  conditions {}  observations {}  medications {}  procedures {}",
            c.encounters, c.conditions, c.observations, c.medications, c.procedures
        );
        let kinds: Vec<String> = self
            .organizations_by_kind
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "organizations by kind: {}", kinds.join(", "));
        if !self.ingest.is_empty() {
            let _ = writeln!(s, "\nIngest");
            for (kind, i) in &self.ingest {
                let _ = writeln!(
                    s,
                    "  {kind:<12} loaded {:>8}  skipped {:>6}  issues {:>5}",
                    i.loaded, i.skipped, i.errors
                );
            }
        }
        let u = &self.utilisation;
        let _ = writeln!(s, "\nUtilisation over {:.1} years", u.period_years);
        let settings: Vec<String> = u
            .encounters_by_setting
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "  encounters by setting: {}", settings.join(", "));
        let _ = writeln!(
            s,
            "  ED visits per 1,000 per year {:.0}   admissions per 1,000 per year {:.0}",
            u.ed_visits_per_1000_per_year, u.admissions_per_1000_per_year
        );
        let r = &self.readmissions_30d;
        let _ = writeln!(
            s,
            "\n30-day readmissions (transfer-chained, unplanned, full window)"
        );
        let _ = writeln!(
            s,
            "  index stays {}  readmissions {}  rate {:.1}%  cross-organisation {}",
            r.index_stays,
            r.readmissions,
            100.0 * r.rate,
            r.cross_org
        );
        for h in &self.readmissions_by_hospital {
            let _ = writeln!(
                s,
                "    {:<40} {:>5} / {:<5} {:>5.1}%",
                h.name.as_deref().unwrap_or(&h.org_id),
                h.readmissions,
                h.index_stays,
                100.0 * h.rate
            );
        }
        let _ = writeln!(s, "\nFollow-up after discharge to the community");
        for (label, f) in [("7-day", &self.followup_7d), ("30-day", &self.followup_30d)] {
            let _ = writeln!(
                s,
                "  {label:<7} discharges {}  followed up {}  rate {:.1}%  missed {}",
                f.discharges,
                f.followed_up,
                100.0 * f.rate,
                f.discharges - f.followed_up
            );
        }
        let _ = writeln!(
            s,
            "\nTransitions between settings ({} total, {} cross-organisation)",
            self.transitions.total, self.transitions.cross_org
        );
        let mut t: Vec<(&String, &usize)> = self.transitions.counts.iter().collect();
        t.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in t.iter().take(12) {
            let _ = writeln!(s, "  {k:<28} {v}");
        }
        let d = &self.drug_interactions;
        let _ = writeln!(
            s,
            "\nDrug interactions ({} in {} patients, {} cross-organisation; KB {})",
            d.count, d.patients_with_interaction, d.cross_org, d.kb_version
        );
        let sev: Vec<String> = d
            .by_severity
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "  by severity: {}", sev.join(", "));
        let _ = writeln!(
            s,
            "  therapeutic duplications {}  suppressed (non-interruptive) {}  unmapped orders {} of {}",
            d.therapeutic_duplications,
            d.suppressed_non_interruptive,
            d.unmapped_orders,
            d.medication_orders_checked
        );
        let r = &self.risk;
        let tiers: Vec<String> = r.tiers.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            s,
            "\nRisk tiers (by {}): {}",
            r.tier_score,
            tiers.join(", ")
        );
        let regs: Vec<String> = r
            .registries
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "  registries: {}", regs.join(", "));
        let _ = writeln!(
            s,
            "  HCC V28 mean {}  ({} patients scored)   LACE >= 10: {} of {} stays",
            r.mean_hcc_v28
                .map_or("-".to_string(), |m| format!("{m:.3}")),
            r.with_hcc_score,
            r.lace_high,
            r.stays_scored
        );
        let t = &self.duplicate_tests;
        let _ = writeln!(
            s,
            "\nDuplicate tests {} ({} cross-organisation, {} same organisation); avoidable cost {:.0} {}",
            t.count, t.cross_org, t.same_org, t.estimated_avoidable_cost, t.currency
        );
        let mut fam: Vec<(&String, &usize)> = t.by_family.iter().collect();
        fam.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in fam.iter().take(8) {
            let _ = writeln!(s, "  {k:<28} {v}");
        }
        match &self.measures_period {
            Some((a, b)) => {
                let _ = writeln!(s, "\nQuality measures, {a} to {b} (network level)");
            }
            None => {
                let _ = writeln!(s, "\nQuality measures: no dated data");
            }
        }
        for m in &self.measures {
            let _ = writeln!(
                s,
                "  {:<30} {:>8} / {:<8} {}",
                m.id,
                m.numerator,
                m.denominator,
                m.rate.map_or("-".to_string(), |r| format!("{r:.3}"))
            );
        }
        if !self.care_gaps.is_empty() {
            let _ = writeln!(s, "\nOpen care gaps");
            for g in self.care_gaps.iter().take(8) {
                let _ = writeln!(s, "  {:<30} {}", g.measure_id, g.gaps);
            }
        }
        s
    }
}
