//! The point-of-order check: is the test being ordered already resulted or pending anywhere in
//! the network, sooner than its minimum retest interval?

use super::events::{Fact, FactKind, TestEvent, build_events};
use super::rules::Rules;
use super::scan::{FactStats, collect_facts, exception};
use crate::alert::{Alert, AlertKind, Severity};
use crate::code::CodeSystem;
use crate::error::{CinError, Result};
use crate::model::{ObsValue, OrgIdx};
use crate::network::Network;
use crate::time::Timestamp;
use serde_json::Value;

impl Network {
    /// Checks an order for `code` (LOINC, CPT/HCPCS or SNOMED) for a patient against the
    /// network-wide history of results and pending orders. Returns one `duplicate_test` alert per
    /// overlapping family (the most recent prior result, and a pending order when one is open),
    /// severity `major` inside the hard interval and `moderate` inside the advisory one.
    ///
    /// `at` defaults to now; `org` is the ordering organisation's key (for the cross-org flag).
    /// Unknown patient → `InvalidInput`; a code no family knows → no alert (counted in
    /// [`Rules::unknown_order_codes`]). Intervals are calendar days of the recorded wall clock.
    pub fn check_order(
        &self,
        rules: &Rules,
        patient_id: &str,
        system: CodeSystem,
        code: &str,
        at: Option<Timestamp>,
        org: Option<&str>,
    ) -> Result<Vec<Alert>> {
        let p = self
            .patient_by_id(patient_id)
            .ok_or_else(|| CinError::invalid("unknown patient"))?;
        let Some(family) = rules.lookup(system, code).and_then(|h| h.family) else {
            rules.count_unknown_order();
            return Ok(Vec::new());
        };
        let at = at.unwrap_or_else(Timestamp::now);
        let window = rules.window_days(family);
        // Twice the window: the prior's own prior decides whether it was a confirmation.
        let from = Timestamp::from_day(at.day() - 2 * window);
        let resolve = |c: crate::model::Code| rules.lookup(c.system, self.str(c.value));
        let mut stats = FactStats::default();
        let mut facts = Vec::new();
        collect_facts(
            self,
            p,
            &resolve,
            Some((from, at)),
            true,
            &mut stats,
            &mut facts,
        );
        let mut events = Vec::new();
        build_events(rules, &facts, &mut events);
        let order_org = org.and_then(|o| self.organization_by_key(o));
        let mut alerts = Vec::new();
        let mut seen_results: u128 = 0;
        let mut seen_orders: u128 = 0;
        for (ev_idx, ev) in events.iter().enumerate().rev() {
            let Some(o) = rules.overlap(ev.family, family) else {
                continue;
            };
            let bit = 1u128 << o;
            let fam = &rules.families[o];
            let interval = at.day() - ev.day;
            if interval >= fam.advisory_days {
                continue;
            }
            match ev.kind {
                FactKind::Result => {
                    if seen_results & bit != 0 {
                        continue;
                    }
                    seen_results |= bit;
                    if exception(self, rules, p, &facts, &events, ev_idx, o, family, at, None)
                        .is_some()
                    {
                        continue;
                    }
                }
                FactKind::Order => {
                    if seen_orders & bit != 0 {
                        continue;
                    }
                    // An order is pending until a result of the same family arrives.
                    let resulted = events.iter().any(|r| {
                        r.kind == FactKind::Result
                            && r.time >= ev.time
                            && rules.overlap(r.family, o).is_some()
                    });
                    if resulted {
                        continue;
                    }
                    seen_orders |= bit;
                }
            }
            alerts
                .push(self.duplicate_alert(rules, &facts, ev, o, family, interval, order_org, org));
        }
        Ok(alerts)
    }

    #[allow(clippy::too_many_arguments)]
    fn duplicate_alert(
        &self,
        rules: &Rules,
        facts: &[Fact<'_>],
        ev: &TestEvent,
        overlap: usize,
        ordered: usize,
        interval: i64,
        order_org: Option<OrgIdx>,
        order_org_key: Option<&str>,
    ) -> Alert {
        let fam = &rules.families[overlap];
        let rep = &facts[ev.rep as usize];
        let hard = interval < fam.hard_days;
        let severity = if hard {
            Severity::Major
        } else {
            Severity::Moderate
        };
        let prior_kind = match ev.kind {
            FactKind::Result => "result",
            FactKind::Order => "pending_order",
        };
        let org_id = rep.org.map(|o| self.org_id(o).to_string());
        let org_name = rep
            .org
            .and_then(|o| self.organizations[o.idx()].name)
            .map(|s| self.str(s).to_string());
        let cross_org = match (rep.org, order_org, order_org_key) {
            (Some(a), Some(b), _) => Some(a != b),
            (Some(a), None, Some(key)) => Some(self.org_id(a) != key),
            _ => None,
        };
        let when = match interval {
            0 => "today".to_string(),
            1 => "1 day ago".to_string(),
            n => format!("{n} days ago"),
        };
        let verb = match ev.kind {
            FactKind::Result => "was resulted",
            FactKind::Order => "is already ordered (pending)",
        };
        let place = org_name
            .clone()
            .or(org_id.clone())
            .unwrap_or_else(|| "an unrecorded organisation".into());
        let message = format!(
            "{} {verb} {when} at {place}; minimum retest interval {} days ({} threshold {} days)",
            fam.name,
            fam.advisory_days,
            if hard { "hard" } else { "advisory" },
            if hard {
                fam.hard_days
            } else {
                fam.advisory_days
            },
        );
        let (value, unit) = match rep.value {
            ObsValue::Number(v) => (
                serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
                rep.unit.map(|u| self.str(u).to_string()),
            ),
            ObsValue::Text(s) => (
                Value::String(self.str(s).to_string()),
                rep.unit.map(|u| self.str(u).to_string()),
            ),
            ObsValue::None => (Value::Null, None),
        };
        let opt = |s: Option<String>| s.map_or(Value::Null, Value::String);
        Alert::new(
            AlertKind::DuplicateTest,
            severity,
            format!("duptest.{}", fam.id),
            message,
        )
        .source(fam.source.clone())
        .with("test_family", fam.id.as_str())
        .with("test_family_name", fam.name.as_str())
        .with("ordered_family", rules.families[ordered].id.as_str())
        .with("prior_kind", prior_kind)
        .with(
            "prior_code",
            format!("{}|{}", rep.code.system.as_str(), self.str(rep.code.value)),
        )
        .with("prior_value", value)
        .with("prior_unit", opt(unit))
        .with("prior_time", ev.time.to_string())
        .with("prior_org", opt(org_id))
        .with("prior_org_name", opt(org_name))
        .with(
            "prior_practitioner",
            opt(rep
                .practitioner
                .map(|p| self.str(self.practitioners[p.idx()].id).to_string())),
        )
        .with("interval_days", interval)
        .with("min_interval_days", fam.advisory_days)
        .with("hard_interval_days", fam.hard_days)
        .with("threshold", if hard { "hard" } else { "advisory" })
        .with("cross_org", cross_org.map_or(Value::Null, Value::Bool))
        .with(
            "estimated_cost",
            rules
                .price(overlap)
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        )
    }
}

/// Parses a code-system name as the bindings pass it (`"LOINC"`, `"http://loinc.org"`, `"CPT"`).
pub fn order_system(name: &str) -> Result<CodeSystem> {
    match CodeSystem::from_name(name) {
        CodeSystem::Other => Err(CinError::invalid(format!("unknown code system {name}"))),
        s => Ok(s),
    }
}
