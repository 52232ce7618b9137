//! Real-time HL7 v2: one message in, alerts and an ACK out.
//!
//! Notifications follow the CMS Interoperability and Patient Access final rule (85 FR 25510,
//! May 2020), which made admission, discharge and transfer event notifications a hospital
//! Condition of Participation (42 CFR 482.24(d)): on an inpatient admission or an emergency
//! department registration, and on discharge or transfer, the patient's established primary
//! care practitioner / group and the care team the patient names must be notified. Here the
//! recipients are the attributed PCP ([`Network::attributed_pcp`]) and the patient's care-team
//! rows, filtered by [`Subscriptions`].
//!
//! Clinical alerts raised from the same events (rules documented at each function):
//! * [`AlertKind::EdVisit`]: ED registration of a high-risk patient.
//! * [`AlertKind::Readmission`]: inpatient admission within 30 days of a prior discharge.
//! * [`AlertKind::MissingFollowup`]: discharge home with no follow-up visit booked.
//! * Orders and prescriptions call the hooks in [`AlertHooks`] (duplicate tests, drug
//!   interactions), written elsewhere.

use super::ack::{AckCode, build_ack, build_ack_with};
use super::map::{Mapped, map_message_with};
use super::parse::{ErrorCode, IssueSeverity, ParseIssue, ParseOptions, parse};
use crate::alert::{Alert, AlertKind, Severity};
use crate::ingest::{IngestIssue, IngestReport};
use crate::model::*;
use crate::network::Network;
use crate::time::Timestamp;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// What one real-time message produced.
#[derive(Debug, Clone)]
pub struct Hl7Result {
    pub alerts: Vec<Alert>,
    /// The HL7 ACK to send back (segments end in CR).
    pub ack: String,
    pub report: IngestReport,
}

/// Which organisations and practitioners want which alert kinds.
///
/// A recipient with an entry gets exactly the kinds listed; a recipient without an entry gets
/// every kind when `default_all` is true (the default), none otherwise. Organisations listed
/// here also receive alerts for any patient they saw in the prior year, even when they are not
/// on the care team (e.g. a care-management organisation).
#[derive(Debug, Clone)]
pub struct Subscriptions {
    pub default_all: bool,
    /// Organisation id (as `Network::org_id` prints it) → kinds.
    pub organizations: BTreeMap<String, BTreeSet<AlertKind>>,
    /// Practitioner id → kinds.
    pub practitioners: BTreeMap<String, BTreeSet<AlertKind>>,
}

impl Default for Subscriptions {
    fn default() -> Self {
        Subscriptions {
            default_all: true,
            organizations: BTreeMap::new(),
            practitioners: BTreeMap::new(),
        }
    }
}

impl Subscriptions {
    pub fn subscribe_organization(&mut self, org_id: &str, kinds: &[AlertKind]) {
        self.organizations
            .entry(org_id.to_string())
            .or_default()
            .extend(kinds.iter().copied());
    }
    pub fn subscribe_practitioner(&mut self, practitioner_id: &str, kinds: &[AlertKind]) {
        self.practitioners
            .entry(practitioner_id.to_string())
            .or_default()
            .extend(kinds.iter().copied());
    }
    fn wants(
        &self,
        map: &BTreeMap<String, BTreeSet<AlertKind>>,
        id: &str,
        kind: AlertKind,
    ) -> bool {
        match map.get(id) {
            Some(kinds) => kinds.contains(&kind),
            None => self.default_all,
        }
    }
}

/// What an order or prescription hook is told.
#[derive(Debug, Clone, Copy)]
pub struct OrderEvent<'a> {
    pub patient: PatientIdx,
    /// Ordered procedure codes (ORM/OML OBR-4) or prescribed drug codes (RXE/RXO).
    pub codes: &'a [Code],
    pub at: Timestamp,
    pub org: Option<OrgIdx>,
}

/// A check run on an order or prescription message.
pub type OrderHook = Box<dyn Fn(&Network, &OrderEvent<'_>) -> Vec<Alert> + Send + Sync>;

/// The single place where the duplicate-test and drug-interaction checks plug in.
#[derive(Default)]
pub struct AlertHooks {
    /// Called for ORM/OML messages: the duplicate-test check (`Network::check_order`).
    pub order_alerts: Option<OrderHook>,
    /// Called for RDE/RDS/OMP messages: the drug-interaction check (`Network::check_prescription`).
    pub prescription_alerts: Option<OrderHook>,
}

impl std::fmt::Debug for AlertHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertHooks")
            .field("order_alerts", &self.order_alerts.is_some())
            .field("prescription_alerts", &self.prescription_alerts.is_some())
            .finish()
    }
}

/// Settings of the real-time path.
#[derive(Debug)]
pub struct Hl7Options {
    pub subscriptions: Subscriptions,
    pub hooks: AlertHooks,
    /// Feed label recorded as provenance.
    pub source_name: String,
    /// Readmission window (CMS HRRP: 30 days).
    pub readmission_days: i64,
    /// High-risk ED rule: at least this many ED visits in `ed_lookback_days`...
    pub high_risk_ed_visits: usize,
    pub ed_lookback_days: i64,
    /// ...or an inpatient stay starting in the prior `inpatient_lookback_days`.
    pub inpatient_lookback_days: i64,
}

impl Default for Hl7Options {
    fn default() -> Self {
        Hl7Options {
            subscriptions: Subscriptions::default(),
            hooks: AlertHooks::default(),
            source_name: "hl7v2-realtime".to_string(),
            readmission_days: 30,
            high_risk_ed_visits: 2,
            ed_lookback_days: 180,
            inpatient_lookback_days: 365,
        }
    }
}

/// CoP citation used on notification alerts.
const COP_SOURCE: &str = "CMS Interoperability and Patient Access final rule (85 FR 25510, 2020): \
     admission, discharge and transfer notifications, 42 CFR 482.24(d)";

impl Network {
    /// Ingests one message with default options (everyone subscribed, no order hooks).
    pub fn ingest_hl7(&mut self, message: &str) -> Hl7Result {
        self.ingest_hl7_with(message.as_bytes(), &Hl7Options::default())
    }

    /// Ingests one message (bytes; the first message if several are given): maps it, raises
    /// alerts, and builds the ACK. Never panics on any input.
    pub fn ingest_hl7_with(&mut self, message: &[u8], opts: &Hl7Options) -> Hl7Result {
        let mut report = IngestReport::default();
        let source = opts.source_name.as_str();
        let parsed = parse(message, ParseOptions::default()).unwrap_or_default();
        let Some(m) = parsed.messages.first() else {
            let mut issues: Vec<ParseIssue> = parsed.issues.clone();
            if issues.is_empty() {
                issues.push(ParseIssue::new(
                    ErrorCode::SegmentSequence,
                    IssueSeverity::Error,
                    "no MSH segment: not an HL7 v2 message",
                ));
            }
            for i in &issues {
                report.issue("hl7v2", i.location(source), i.text.clone());
            }
            report.skipped("hl7_input_without_messages");
            return Hl7Result {
                alerts: Vec::new(),
                ack: build_ack(None, AckCode::Ar, &issues),
                report,
            };
        };
        let mut issues: Vec<ParseIssue> = parsed
            .issues
            .iter()
            .filter(|i| i.message.is_none_or(|x| x == 0))
            .cloned()
            .collect();
        if parsed.messages.len() > 1 {
            issues.push(ParseIssue::new(
                ErrorCode::SegmentSequence,
                IssueSeverity::Warning,
                "more than one message given; only the first was processed",
            ));
        }
        for i in &issues {
            report.issue("hl7v2", i.location(source), i.text.clone());
        }
        let fatal = issues.iter().any(|i| {
            i.severity == IssueSeverity::Error
                && i.segment.as_deref() == Some("MSH")
                && matches!(i.field, Some(2) | Some(9))
        });
        if fatal {
            report.skipped_kind(&m.message_type());
            return Hl7Result {
                alerts: Vec::new(),
                ack: build_ack(Some(m), AckCode::Ar, &issues),
                report,
            };
        }
        let feed = match self.feeds.last() {
            Some(f) if f.kind == FeedKind::Hl7v2 && f.name == source => {
                FeedIdx(self.feeds.len() as u32 - 1)
            }
            _ => self.add_feed(FeedKind::Hl7v2, source),
        };
        let before = report.issues.len();
        let msh = m.msh().map(|s| s.field_table());
        let mapped = map_message_with(self, m, msh.as_ref(), feed, source, &mut report);
        for i in &report.issues[before..] {
            issues.push(issue_from_ingest(i, mapped.rejected));
        }
        let supported = !report.skipped.contains_key(mapped.kind.as_str()) || mapped.rejected;
        let code = if !supported {
            issues.push(ParseIssue::new(
                ErrorCode::UnsupportedMessageType,
                IssueSeverity::Error,
                "message type not processed by this receiver",
            ));
            AckCode::Ar
        } else if mapped.rejected || issues.iter().any(|i| i.severity == IssueSeverity::Error) {
            AckCode::Ae
        } else {
            AckCode::Aa
        };
        let alerts = if mapped.rejected || !supported {
            Vec::new()
        } else {
            self.hl7_alerts(&mapped, opts)
        };
        Hl7Result {
            alerts,
            ack: build_ack_with(Some(m), msh.as_ref(), code, &issues),
            report,
        }
    }

    /// The patient's attributed primary-care practitioner at `at`: an active care-team member
    /// with role PCP (latest start wins); otherwise the practitioner who saw the patient for the
    /// most office visits in the prior 24 months (most recent visit breaks ties), the plurality
    /// rule of Medicare Shared Savings Program assignment (42 CFR 425.402), simplified to visit
    /// counts.
    pub fn attributed_pcp(&self, p: PatientIdx, at: Timestamp) -> Option<PractIdx> {
        let active = |s: Option<Timestamp>, e: Option<Timestamp>| {
            s.is_none_or(|s| s <= at) && e.is_none_or(|e| e >= at)
        };
        let named = self
            .live_care_team(p)
            .filter(|m| m.role == PractitionerRole::Pcp && active(m.start, m.end))
            .filter_map(|m| m.practitioner.map(|pr| (m.start, pr)))
            .max_by_key(|(s, _)| *s)
            .map(|(_, pr)| pr);
        if named.is_some() {
            return named;
        }
        let from = at.plus_days(-730);
        let mut tally: BTreeMap<PractIdx, (usize, Timestamp)> = BTreeMap::new();
        for &e in self.live_encounters(p) {
            let enc = self.encounter(e);
            if enc.setting.is_office_visit() && enc.start >= from && enc.start <= at {
                if let Some(pr) = enc.practitioner {
                    let t = tally.entry(pr).or_insert((0, enc.start));
                    t.0 += 1;
                    t.1 = t.1.max(enc.start);
                }
            }
        }
        tally
            .into_iter()
            .max_by_key(|(_, (n, last))| (*n, *last))
            .map(|(pr, _)| pr)
    }

    /// Recipients of an alert of `kind` about patient `p`: `practitioner:<id>` and
    /// `organization:<id>` strings.
    pub fn alert_recipients(
        &self,
        p: PatientIdx,
        at: Timestamp,
        kind: AlertKind,
        subs: &Subscriptions,
    ) -> Vec<String> {
        filter_recipients(&self.recipient_candidates(p, at, subs), kind, subs)
    }

    /// Everyone who may hear about patient `p` at `at`, before subscriptions filter by kind:
    /// `(is_practitioner, id)`.
    fn recipient_candidates(
        &self,
        p: PatientIdx,
        at: Timestamp,
        subs: &Subscriptions,
    ) -> Vec<(bool, &str)> {
        let mut practs: BTreeSet<PractIdx> = BTreeSet::new();
        let mut orgs: BTreeSet<OrgIdx> = BTreeSet::new();
        if let Some(pcp) = self.attributed_pcp(p, at) {
            practs.insert(pcp);
            orgs.extend(self.practitioners[pcp.idx()].org);
        }
        for m in self.live_care_team(p) {
            if m.end.is_some_and(|e| e < at) {
                continue;
            }
            practs.extend(m.practitioner);
            orgs.extend(m.org);
        }
        // Subscribed organisations with a treating relationship in the prior year.
        if !subs.organizations.is_empty() {
            let from = at.plus_days(-365);
            for &e in self.live_encounters(p) {
                let enc = self.encounter(e);
                if enc.start >= from
                    && enc.start <= at
                    && let Some(o) = enc.org
                    && subs.organizations.contains_key(self.org_id(o))
                {
                    orgs.insert(o);
                }
            }
        }
        practs
            .into_iter()
            .map(|pr| (true, self.str(self.practitioners[pr.idx()].id)))
            .chain(orgs.into_iter().map(|o| (false, self.org_id(o))))
            .collect()
    }

    fn hl7_alerts(&self, mapped: &Mapped, opts: &Hl7Options) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let Some(p) = mapped.patient else {
            return alerts;
        };
        let patient_id = self.patient_id(p).to_string();
        if let Some(e) = mapped.encounter {
            let enc = self.encounter(e).clone();
            let enc_id = self.encounter_id(e).to_string();
            let acute = matches!(
                enc.setting,
                Setting::Inpatient | Setting::Emergency | Setting::Observation
            );
            let admit_event = matches!(mapped.trigger.as_str(), "A01" | "A04" | "A06")
                && (enc.setting == Setting::Inpatient
                    || enc.setting == Setting::Emergency
                    || enc.setting == Setting::Observation);
            let discharge_event = mapped.trigger == "A03" && acute;
            let candidates = if admit_event || discharge_event {
                let at = if discharge_event {
                    enc.end.unwrap_or(enc.start)
                } else {
                    enc.start
                };
                self.recipient_candidates(p, at, &opts.subscriptions)
            } else {
                Vec::new()
            };
            // Every alert of one message is timed at the admission or the discharge: format
            // each once.
            let start_text = std::cell::OnceCell::new();
            let end_text = std::cell::OnceCell::new();
            let time_text = |at: Timestamp| {
                if at == enc.start {
                    start_text.get_or_init(|| at.to_string()).clone()
                } else if enc.end == Some(at) {
                    end_text.get_or_init(|| at.to_string()).clone()
                } else {
                    at.to_string()
                }
            };
            let base = |kind: AlertKind,
                        sev: Severity,
                        rule: Cow<'static, str>,
                        msg: String,
                        at: Timestamp| {
                // In name order (see `Evidence::insert`).
                let mut a = Alert::new(kind, sev, rule, msg)
                    .with("encounter_id", enc_id.clone())
                    .with("message_type", mapped.kind.clone());
                if let Some(o) = enc.org {
                    a = a.with("organization", self.org_id(o));
                }
                a.with("patient_id", patient_id.clone())
                    .with(
                        "recipients",
                        filter_recipients(&candidates, kind, &opts.subscriptions),
                    )
                    .with("setting", enc.setting.as_str())
                    .with("time", time_text(at))
            };
            if admit_event {
                let what = if enc.setting == Setting::Emergency {
                    "Emergency department registration"
                } else {
                    "Hospital admission"
                };
                alerts.push(
                    base(
                        AlertKind::Admission,
                        Severity::Info,
                        Cow::Borrowed("hl7_adt_admission_notification"),
                        // Joined rather than formatted: built for every admission.
                        [what, " (", &mapped.kind, ")"].concat(),
                        enc.start,
                    )
                    .source(COP_SOURCE),
                );
                if enc.setting == Setting::Emergency {
                    if let Some(a) = self.high_risk_ed(p, e, &enc, opts) {
                        alerts.push(
                            base(a.0, a.1, a.2.into(), a.3, enc.start)
                                .source(a.4)
                                .with("prior_ed_visits", a.5)
                                .with("prior_inpatient_stays", a.6),
                        );
                    }
                }
                if enc.setting == Setting::Inpatient
                    && let Some((prior, days)) =
                        self.prior_discharge(p, e, &enc, opts.readmission_days)
                {
                    let pe = self.encounter(prior);
                    let cross = pe.org != enc.org;
                    alerts.push(
                        base(
                            AlertKind::Readmission,
                            Severity::Moderate,
                            Cow::Borrowed("hl7_readmission_30d"),
                            format!(
                                "Inpatient admission {days} day(s) after a prior discharge{}",
                                if cross {
                                    " from another organisation"
                                } else {
                                    ""
                                }
                            ),
                            enc.start,
                        )
                        .source(
                            "CMS Hospital Readmissions Reduction Program, 42 CFR 412.150-412.154: \
                             unplanned readmission within 30 days of discharge",
                        )
                        .with("prior_encounter_id", self.encounter_id(prior))
                        .with(
                            "prior_discharge",
                            pe.end.map(|t| t.to_string()).unwrap_or_default(),
                        )
                        .with("days_between", days)
                        .with("cross_org", cross),
                    );
                }
            }
            if discharge_event {
                let at = enc.end.unwrap_or(enc.start);
                alerts.push(
                    base(
                        AlertKind::Discharge,
                        Severity::Info,
                        Cow::Borrowed("hl7_adt_discharge_notification"),
                        [
                            "Discharge from ",
                            enc.setting.as_str(),
                            " care (",
                            &mapped.kind,
                            ")",
                        ]
                        .concat(),
                        at,
                    )
                    .source(COP_SOURCE)
                    .with("disposition", enc.disposition.as_str()),
                );
                if enc.setting != Setting::Emergency
                    && expects_followup(enc.disposition)
                    && !self.followup_booked(p, at)
                {
                    alerts.push(
                        base(
                            AlertKind::MissingFollowup,
                            Severity::Minor,
                            Cow::Borrowed("hl7_discharge_without_followup"),
                            "Discharged home with no follow-up visit booked".to_string(),
                            at,
                        )
                        .source(
                            "CMS Transitional Care Management (CPT 99495/99496): contact within \
                             2 business days and a visit within 7 or 14 days of discharge; HEDIS \
                             FUH/FUM 7- and 30-day follow-up",
                        )
                        .with("disposition", enc.disposition.as_str())
                        .with("window_days", 7),
                    );
                }
            }
        }
        if !mapped.orders.is_empty()
            && let Some(hook) = &opts.hooks.order_alerts
        {
            let ev = OrderEvent {
                patient: p,
                codes: &mapped.orders,
                at: mapped.time.unwrap_or_default(),
                org: mapped.org,
            };
            alerts.extend(hook(self, &ev));
        }
        if !mapped.prescriptions.is_empty()
            && let Some(hook) = &opts.hooks.prescription_alerts
        {
            let ev = OrderEvent {
                patient: p,
                codes: &mapped.prescriptions,
                at: mapped.time.unwrap_or_default(),
                org: mapped.org,
            };
            alerts.extend(hook(self, &ev));
        }
        alerts
    }

    /// High-risk ED rule: ≥ `high_risk_ed_visits` (2) prior ED visits in the last
    /// `ed_lookback_days` (180; the same counting as [`Network::ed_visits_before`] and LACE's
    /// "E", van Walraven et al., CMAJ 2010), or an inpatient stay admitted in the prior
    /// `inpatient_lookback_days` (365; HOSPITAL score "A", Donzé et al., JAMA Intern Med 2013).
    #[allow(clippy::type_complexity)]
    fn high_risk_ed(
        &self,
        p: PatientIdx,
        this: EncIdx,
        enc: &Encounter,
        opts: &Hl7Options,
    ) -> Option<(AlertKind, Severity, String, String, String, usize, usize)> {
        let at = enc.start;
        let ed_from = at.plus_days(-opts.ed_lookback_days);
        let ip_from = at.plus_days(-opts.inpatient_lookback_days);
        let mut ed = 0;
        let mut ip = 0;
        for &e in self.live_encounters(p) {
            if e == this {
                continue;
            }
            let x = self.encounter(e);
            if x.setting == Setting::Emergency
                && x.start >= ed_from
                && x.start < at
                && x.end.unwrap_or(x.start).days_until(at) > 1
            {
                ed += 1;
            }
            if x.setting == Setting::Inpatient && x.start >= ip_from && x.start < at {
                ip += 1;
            }
        }
        (ed >= opts.high_risk_ed_visits || ip > 0).then(|| {
            (
                AlertKind::EdVisit,
                Severity::Moderate,
                "hl7_high_risk_ed_visit".to_string(),
                format!(
                    "ED visit of a high-risk patient ({ed} ED visit(s) in {} days, {ip} inpatient stay(s) in {} days)",
                    opts.ed_lookback_days, opts.inpatient_lookback_days
                ),
                "LACE index E component (van Walraven et al., CMAJ 2010); HOSPITAL score \
                 admissions component (Donzé et al., JAMA Intern Med 2013)"
                    .to_string(),
                ed,
                ip,
            )
        })
    }

    /// The latest prior inpatient discharge within `days` before this admission.
    fn prior_discharge(
        &self,
        p: PatientIdx,
        this: EncIdx,
        enc: &Encounter,
        days: i64,
    ) -> Option<(EncIdx, i64)> {
        self.live_encounters(p)
            .iter()
            .copied()
            .filter(|&e| e != this)
            .filter_map(|e| {
                let x = self.encounter(e);
                let end = x.end?;
                (x.setting == Setting::Inpatient && end <= enc.start)
                    .then(|| (e, end, end.days_until(enc.start)))
            })
            .filter(|&(_, _, d)| d <= days)
            .max_by_key(|&(_, end, _)| end)
            .map(|(e, _, d)| (e, d))
    }

    /// A follow-up visit (ambulatory, virtual, home, wellness) starting after `at`.
    fn followup_booked(&self, p: PatientIdx, at: Timestamp) -> bool {
        self.live_encounters(p).iter().any(|&e| {
            let x = self.encounter(e);
            x.setting.is_followup_visit() && x.start > at
        })
    }
}

fn filter_recipients(cands: &[(bool, &str)], kind: AlertKind, subs: &Subscriptions) -> Vec<String> {
    cands
        .iter()
        .filter(|(is_pract, id)| {
            let map = if *is_pract {
                &subs.practitioners
            } else {
                &subs.organizations
            };
            subs.wants(map, id, kind)
        })
        .map(|(is_pract, id)| {
            let prefix = if *is_pract {
                "practitioner:"
            } else {
                "organization:"
            };
            format!("{prefix}{id}")
        })
        .collect()
}

/// Discharged alive to the community (the follow-up measures' denominator).
fn expects_followup(d: Disposition) -> bool {
    matches!(
        d,
        Disposition::Home | Disposition::HomeHealth | Disposition::Other | Disposition::Unknown
    )
}

/// Turns a mapping issue (field path like `OBX[3]-5.1`) back into an ERR-ready issue.
fn issue_from_ingest(i: &IngestIssue, rejected: bool) -> ParseIssue {
    let sev = if rejected {
        IssueSeverity::Error
    } else {
        IssueSeverity::Warning
    };
    let code = if rejected {
        ErrorCode::RequiredFieldMissing
    } else {
        ErrorCode::DataType
    };
    let mut out = ParseIssue::new(code, sev, i.message.clone());
    if let Some(path) = &i.location.field {
        let (seg, rest) = path.split_once('-').unwrap_or((path.as_str(), ""));
        let (name, ord) = match seg.split_once('[') {
            Some((n, o)) => (n, o.trim_end_matches(']').parse().unwrap_or(1)),
            None => (seg, 1),
        };
        out.segment = Some(name.to_string());
        out.segment_ordinal = Some(ord);
        let (f, c) = rest.split_once('.').unwrap_or((rest, ""));
        out.field = f.parse().ok();
        out.component = c.parse().ok();
    }
    out
}
