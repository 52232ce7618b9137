//! A session: one merged network, every load made into it, and the knowledge it is checked
//! against (drug-interaction KB, duplicate-test rules, measure set). The C handle and the Python
//! `Network` each wrap one, so the bindings stay translations and every entry point sees the
//! same KB a site loaded.

use crate::alert::Alert;
use crate::ddi::Kb;
use crate::duptest::{Rules, order_system};
use crate::error::{CinError, Result};
use crate::hl7::{AlertHooks, Hl7Options, Hl7Result};
use crate::ingest::IngestReport;
use crate::measures::{ExternalMeasureInput, MeasureSet, Period};
use crate::network::Network;
use crate::report::{NetworkReport, module_measure_inputs};
use crate::table::Table;
use crate::time::Timestamp;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

/// A knowledge base shared with real-time hooks: the compiled-in one or a site's.
#[derive(Debug)]
enum Shared<T: 'static> {
    Embedded(&'static T),
    Custom(Arc<T>),
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        match self {
            Shared::Embedded(t) => Shared::Embedded(t),
            Shared::Custom(t) => Shared::Custom(Arc::clone(t)),
        }
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Shared::Embedded(t) => t,
            Shared::Custom(t) => t,
        }
    }
}

/// Parses a caller's time argument (ISO-8601 date or date-time, or HL7 TS); `None` stays `None`.
pub fn parse_time_arg(name: &str, value: Option<&str>) -> Result<Option<Timestamp>> {
    match value {
        None => Ok(None),
        Some(s) => Timestamp::parse_any(s.trim())
            .map(Some)
            .ok_or_else(|| CinError::invalid(format!("{name}: not an ISO-8601 date or time"))),
    }
}

/// A `(start, end)` measurement period from two date arguments.
pub fn parse_period_arg(period: Option<(&str, &str)>) -> Result<Option<(Timestamp, Timestamp)>> {
    match period {
        None => Ok(None),
        Some((a, b)) => {
            let start = parse_time_arg("period start", Some(a))?.unwrap_or_else(Timestamp::now);
            let end = parse_time_arg("period end", Some(b))?.unwrap_or_else(Timestamp::now);
            Ok(Some((start, end)))
        }
    }
}

/// A network with its loads and knowledge bases.
#[derive(Debug)]
pub struct Session {
    net: Network,
    loads: Vec<(String, IngestReport)>,
    kb: Shared<Kb>,
    rules: Shared<Rules>,
    measures: MeasureSet,
}

impl Default for Session {
    fn default() -> Self {
        Session::from_network(Network::new())
    }
}

impl Session {
    /// An empty network with the embedded knowledge bases.
    pub fn new() -> Session {
        Session::default()
    }

    /// The built-in synthetic network (see [`crate::synthetic`]).
    pub fn synthetic(patients: usize, seed: u64) -> Session {
        Session::from_network(Network::synthetic(patients, seed))
    }

    pub fn from_network(net: Network) -> Session {
        Session {
            net,
            loads: Vec::new(),
            kb: Shared::Embedded(Kb::embedded()),
            rules: Shared::Embedded(Rules::embedded()),
            measures: MeasureSet::embedded(),
        }
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Mutable access for callers that add records themselves.
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// Every load so far, by feed kind, in order.
    pub fn loads(&self) -> &[(String, IngestReport)] {
        &self.loads
    }

    pub fn kb(&self) -> &Kb {
        &self.kb
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn measure_set(&self) -> &MeasureSet {
        &self.measures
    }

    fn record(&mut self, kind: &str, rep: Result<IngestReport>) -> Result<&IngestReport> {
        self.loads.push((kind.to_string(), rep?));
        Ok(&self.loads[self.loads.len() - 1].1)
    }

    /// A FHIR R4 `.json` Bundle or resource, a `.ndjson` bulk file, or a directory of them.
    pub fn load_fhir_path(&mut self, path: &Path) -> Result<&IngestReport> {
        let rep = self.net.load_fhir_path(path);
        self.record("fhir", rep)
    }

    /// FHIR R4 JSON in memory (Bundle, resource or ndjson); `source_name` labels issues.
    pub fn load_fhir_bytes(&mut self, bytes: &[u8], source_name: &str) -> Result<&IngestReport> {
        let rep = self.net.load_fhir_bytes(bytes, source_name);
        self.record("fhir", rep)
    }

    /// A Synthea CSV export directory.
    pub fn load_synthea_csv(&mut self, dir: &Path) -> Result<&IngestReport> {
        let rep = self.net.load_synthea_csv(dir);
        self.record("synthea_csv", rep)
    }

    /// An HL7 v2 file (or directory of files) of one or more messages.
    pub fn load_hl7_path(&mut self, path: &Path) -> Result<&IngestReport> {
        let rep = self.net.load_hl7_path(path);
        self.record("hl7v2", rep)
    }

    /// HL7 v2 messages in memory (batch or stream, any segment terminator).
    pub fn load_hl7_bytes(&mut self, bytes: &[u8], source_name: &str) -> Result<&IngestReport> {
        let rep = self.net.load_hl7_bytes(bytes, source_name);
        self.record("hl7v2", rep)
    }

    /// A Tuva Project claims input-layer directory (medical_claim, pharmacy_claim, eligibility).
    pub fn load_claims_tuva(&mut self, dir: &Path) -> Result<&IngestReport> {
        let rep = self.net.load_claims_tuva(dir);
        self.record("claims_tuva", rep)
    }

    /// Loads a drug-interaction KB file: with `replace` it replaces the current KB (a vendor's
    /// licensed KB), otherwise it is merged into it (site additions and overrides).
    pub fn load_drug_kb(&mut self, bytes: &[u8], source_name: &str, replace: bool) -> Result<()> {
        let kb = if replace {
            Kb::from_json(bytes, source_name)?
        } else {
            let mut kb = (*self.kb).clone();
            kb.extend_json(bytes, source_name)?;
            kb
        };
        self.kb = Shared::Custom(Arc::new(kb));
        Ok(())
    }

    /// Replaces the duplicate-test rules with a rule file (see `core/data/duptest/`).
    pub fn load_duplicate_rules(&mut self, bytes: &[u8], source_name: &str) -> Result<()> {
        self.rules = Shared::Custom(Arc::new(Rules::from_json(bytes, source_name)?));
        Ok(())
    }

    /// Replaces the measure set with a measure file (see `core/data/measures/`).
    pub fn load_measures(&mut self, bytes: &[u8], source_name: &str) -> Result<()> {
        self.measures = MeasureSet::from_json(bytes, source_name)?;
        Ok(())
    }

    /// Duplicate-test check of a new order. `system` is a name such as `LOINC`,
    /// `http://loinc.org`, `CPT` or `SNOMED`; `at` an ISO-8601 time (default now).
    pub fn check_order(
        &self,
        patient_id: &str,
        system: &str,
        code: &str,
        at: Option<&str>,
        org: Option<&str>,
    ) -> Result<Vec<Alert>> {
        let system = order_system(system)?;
        let at = parse_time_arg("at", at)?;
        self.net
            .check_order(&self.rules, patient_id, system, code, at, org)
    }

    /// Drug-interaction and duplication check of a new prescription (RxCUI, NDC or name).
    pub fn check_prescription(
        &self,
        patient_id: &str,
        drug: &str,
        at: Option<&str>,
        org: Option<&str>,
    ) -> Result<Vec<Alert>> {
        let at = parse_time_arg("at", at)?;
        self.net
            .check_prescription(&self.kb, patient_id, drug, at, org)
    }

    /// Interactions within a list of drugs (RxCUIs, NDCs or names), no patient context.
    pub fn check_interactions(&self, drugs: &[&str]) -> Vec<Alert> {
        crate::ddi::check_interactions(&self.kb, drugs)
    }

    /// One HL7 v2 message in real time: updates the network, returns the alerts (admission,
    /// discharge, readmission, duplicate test on an order, interaction on a prescription) and
    /// the ACK. The load is recorded under `hl7v2`.
    pub fn ingest_hl7(&mut self, message: &[u8]) -> Hl7Result {
        let (rules, kb) = (self.rules.clone(), self.kb.clone());
        // The message's own order is already stored when the hooks run: check against what was
        // there the second before, or every order would repeat itself.
        let before = |t: Timestamp| Some(Timestamp(t.0 - 1));
        let opts = Hl7Options {
            hooks: AlertHooks {
                order_alerts: Some(Box::new(move |net, ev| {
                    let pid = net.patient_id(ev.patient).to_string();
                    let org = ev.org.map(|o| net.org_id(o).to_string());
                    ev.codes
                        .iter()
                        .flat_map(|c| {
                            net.check_order(
                                &rules,
                                &pid,
                                c.system,
                                net.str(c.value),
                                before(ev.at),
                                org.as_deref(),
                            )
                            .unwrap_or_default()
                        })
                        .collect()
                })),
                prescription_alerts: Some(Box::new(move |net, ev| {
                    let pid = net.patient_id(ev.patient).to_string();
                    let org = ev.org.map(|o| net.org_id(o).to_string());
                    ev.codes
                        .iter()
                        .flat_map(|c| {
                            net.check_prescription(
                                &kb,
                                &pid,
                                net.str(c.value),
                                before(ev.at),
                                org.as_deref(),
                            )
                            .unwrap_or_default()
                        })
                        .collect()
                })),
            },
            ..Hl7Options::default()
        };
        let res = self.net.ingest_hl7_with(message, &opts);
        self.loads.push(("hl7v2".to_string(), res.report.clone()));
        res
    }

    /// Patient risk: charlson, elixhauser, hcc_v28, lace, tier (see [`crate::risk`]).
    pub fn risk(&self) -> Table {
        self.net.risk_table()
    }

    pub fn registries(&self) -> Table {
        self.net.registries_table()
    }

    pub fn readmission_risk(&self) -> Table {
        self.net.readmission_risk_table()
    }

    pub fn duplicate_tests(&self) -> Table {
        self.net.duplicate_tests_table(&self.rules)
    }

    pub fn drug_interactions(&self) -> Table {
        self.net.drug_interactions_table(&self.kb)
    }

    fn external_inputs(&self, period: Period) -> Vec<ExternalMeasureInput> {
        module_measure_inputs(&self.net, &self.measures, &self.kb, &self.rules, period)
    }

    /// Every measure at every level; `period` (start, end) defaults to the last full calendar
    /// year in the data.
    pub fn measures(&self, period: Option<(&str, &str)>) -> Result<Table> {
        let p = self.net.measurement_period(parse_period_arg(period)?)?;
        let ext = self.external_inputs(p);
        self.net
            .measures_table(&self.measures, Some((p.start(), p.end())), &ext)
    }

    /// Open care gaps over the period (default as for [`Session::measures`]).
    pub fn care_gaps(&self, period: Option<(&str, &str)>) -> Result<Table> {
        let p = self.net.measurement_period(parse_period_arg(period)?)?;
        let ext = self.external_inputs(p);
        self.net
            .care_gaps_table(&self.measures, Some((p.start(), p.end())), &ext)
    }

    /// The network report over everything loaded, with this session's knowledge bases.
    pub fn report(&self) -> NetworkReport {
        NetworkReport::build_with(
            &self.net,
            &self.loads,
            &self.kb,
            &self.rules,
            &self.measures,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_times_are_invalid_input_and_none_is_now() {
        assert!(matches!(
            parse_time_arg("at", Some("yesterday")),
            Err(CinError::InvalidInput(_))
        ));
        assert_eq!(parse_time_arg("at", None).unwrap(), None);
        let t = parse_time_arg("at", Some("2024-03-01")).unwrap().unwrap();
        assert_eq!(t.date_string(), "2024-03-01");
    }

    #[test]
    fn a_site_kb_replaces_or_extends() {
        let mut s = Session::new();
        let bad = s.load_drug_kb(b"{not json", "site.json", false);
        assert!(matches!(bad, Err(CinError::KnowledgeBase { .. })));
        let interacts = |s: &Session| {
            s.check_interactions(&["warfarin", "ibuprofen"])
                .iter()
                .any(|a| a.kind == crate::AlertKind::DrugInteraction)
        };
        // The failed load left the embedded KB in place.
        assert!(interacts(&s));
        s.load_drug_kb(b"{}", "empty.json", true).unwrap();
        assert!(!interacts(&s));
    }

    #[test]
    fn synthetic_report_has_every_section() {
        let s = Session::synthetic(300, 7);
        let r = s.report();
        assert_eq!(r.counts.patients, 300);
        assert!(r.risk.tiers.values().sum::<usize>() == 300);
        assert!(r.duplicate_tests.count > 0, "synthetic data repeats tests");
        assert!(r.drug_interactions.count > 0);
        let ids: Vec<&str> = r.measures.iter().map(|m| m.id.as_str()).collect();
        assert!(ids.contains(&"duplicate_test_rate") && ids.contains(&"ddi_exposure_rate"));
        let dup = r
            .measures
            .iter()
            .find(|m| m.id == "duplicate_test_rate")
            .unwrap();
        assert!(dup.denominator > 0 && dup.numerator <= dup.denominator);
    }
}
