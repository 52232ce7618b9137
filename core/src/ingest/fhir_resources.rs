//! Resource mappers: one FHIR R4 resource into the network's model. Each returns `true` when the
//! resource became (or updated) a record, `false` when it was skipped; problems are issues.

use super::fhir::{FactSlot, Loader, PendingDiagnosis};
use super::fhir_refs::{conditional_identifier, identifier_key, key_id, key_type};
use super::fhir_setting::setting_of;
use super::fhir_value::Value;
use crate::code::CodeSystem;
use crate::intern::Sym;
use crate::model::*;
use crate::network::PatientInput;

/// NUCC Health Care Provider Taxonomy codes (nucc.org, code set v24) treated as primary care:
/// general practice, family medicine, internal medicine, pediatrics, geriatric medicine (the
/// primary-care specialties CMS uses for Shared Savings Program assignment, 42 CFR 425.402),
/// plus nurse practitioner family/adult and physician assistant.
const PRIMARY_CARE_TAXONOMY: &[&str] = &[
    "208D00000X", // General Practice
    "207Q00000X", // Family Medicine
    "207R00000X", // Internal Medicine
    "208000000X", // Pediatrics
    "207QG0300X", // Family Medicine, Geriatric Medicine
    "207RG0300X", // Internal Medicine, Geriatric Medicine
    "363LF0000X", // Nurse Practitioner, Family
    "363LA2200X", // Nurse Practitioner, Adult Health
    "363A00000X", // Physician Assistant
];

impl Loader<'_> {
    // ---- codes ---------------------------------------------------------------------------

    /// The best coding of a CodeableConcept: the first in `prefer` order, else the first coding
    /// with a code. Display from the coding or the concept's text.
    pub fn code_of(
        &mut self,
        cc: Option<&Value>,
        path: &str,
        prefer: &[CodeSystem],
    ) -> Option<(Code, Option<Sym>)> {
        let cc = cc?;
        if !cc.is_object() {
            self.issue(path, "CodeableConcept must be a JSON object");
            return None;
        }
        let codings = self.arr_of(cc, "coding", path);
        let mut best: Option<(usize, CodeSystem, &str, Option<&str>)> = None;
        for c in codings {
            let Some(code) = c.get("code").and_then(Value::as_str) else {
                continue;
            };
            let sys = CodeSystem::from_name(c.get("system").and_then(Value::as_str).unwrap_or(""));
            let rank = prefer
                .iter()
                .position(|&p| p == sys)
                .unwrap_or(prefer.len());
            if best.is_none_or(|b| rank < b.0) {
                best = Some((rank, sys, code, c.get("display").and_then(Value::as_str)));
            }
        }
        let (_, sys, code, display) = best?;
        let code = self.net.code(sys, code)?;
        let display = display
            .or_else(|| cc.get("text").and_then(Value::as_str))
            .map(|d| self.net.intern(d));
        Some((code, display))
    }

    // ---- references to patients, organisations, practitioners, encounters ---------------

    /// The patient a `subject` / `patient` field points at; created on first sight.
    pub fn patient_ref(&mut self, r: &Value, field: &str, rt: &str) -> Option<PatientIdx> {
        let path = format!("{rt}.{field}");
        let Some(v) = r.get(field) else {
            self.issue(&path, "missing patient reference");
            return None;
        };
        let key = self.ref_key(v, &path, "Patient")?;
        let prov = self.provenance(None);
        if let Some(id) = key.strip_prefix("Patient/") {
            if let Some(p) = self.net.patient_by_id(id) {
                return Some(p);
            }
            let input = PatientInput {
                id,
                ..Default::default()
            };
            return Some(self.net.upsert_patient(&input, prov));
        }
        if key.starts_with("Patient?")
            && let Some((s, val)) = conditional_identifier(&key)
        {
            if let Some(p) = self.net.patient_by_identifier(s, val) {
                return Some(p);
            }
            let input = PatientInput {
                id: "",
                identifiers: vec![(s, val)],
                ..Default::default()
            };
            return Some(self.net.upsert_patient(&input, prov));
        }
        self.issue(&path, "reference does not resolve to a Patient");
        None
    }

    /// The organisation a reference points at; unknown ones become placeholders.
    pub fn org_ref(&mut self, v: Option<&Value>, path: &str) -> Option<OrgIdx> {
        let v = v?;
        let key = self.ref_key(v, path, "Organization")?;
        if let Some(o) = self.net.organization_by_key(&key) {
            return Some(o);
        }
        if key.starts_with('#') {
            let c = self.contained(&key).cloned();
            return match c {
                Some(c)
                    if c.get("resourceType").and_then(Value::as_str) == Some("Organization") =>
                {
                    let k = format!("{}{}", self.current_key, key);
                    Some(self.upsert_org_resource(&c, Some(k)))
                }
                Some(_) => None,
                None => {
                    self.issue(path, "contained resource not found");
                    None
                }
            };
        }
        if key_type(&key) != "Organization" {
            return None;
        }
        let display = v.get("display").and_then(Value::as_str);
        let (idv, idents) = match conditional_identifier(&key) {
            Some((s, val)) => (val, vec![(self.net.intern(s), self.net.intern(val))]),
            None => (key_id(&key).unwrap_or(&key), Vec::new()),
        };
        let org = Organization {
            id: self.net.intern(idv),
            name: display.map(|d| self.net.intern(d)),
            kind: OrgKind::Other,
            identifiers: idents,
            provenance: self.provenance(None),
        };
        let o = self.net.upsert_organization(&key, org);
        self.placeholder_orgs.insert(o);
        Some(o)
    }

    /// The practitioner a reference points at (Practitioner or PractitionerRole); unknown
    /// Practitioner references become placeholders.
    pub fn pract_ref(&mut self, v: Option<&Value>, path: &str) -> Option<PractIdx> {
        let v = v?;
        let key = self.ref_key(v, path, "Practitioner")?;
        self.pract_for_key(&key, path)
    }

    fn pract_for_key(&mut self, key: &str, path: &str) -> Option<PractIdx> {
        if let Some(p) = self.net.practitioner_by_key(key) {
            return Some(p);
        }
        if key.starts_with('#') {
            let c = self.contained(key).cloned();
            return match c {
                Some(c)
                    if c.get("resourceType").and_then(Value::as_str) == Some("Practitioner") =>
                {
                    let k = format!("{}{}", self.current_key, key);
                    Some(self.upsert_practitioner_resource(&c, Some(k)))
                }
                Some(_) => None,
                None => {
                    self.issue(path, "contained resource not found");
                    None
                }
            };
        }
        if key_type(key) != "Practitioner" {
            return None;
        }
        let (idv, idents) = match conditional_identifier(key) {
            Some((s, val)) => (val, vec![(self.net.intern(s), self.net.intern(val))]),
            None => (key_id(key).unwrap_or(key), Vec::new()),
        };
        let pr = Practitioner {
            id: self.net.intern(idv),
            role: PractitionerRole::Other,
            specialty: None,
            org: None,
            identifiers: idents,
            provenance: self.provenance(None),
        };
        let p = self.net.upsert_practitioner(key, pr);
        self.placeholder_practs.insert(p);
        Some(p)
    }

    /// The encounter a reference points at, or the key to retry after the load.
    fn encounter_ref(&mut self, v: Option<&Value>, path: &str) -> (Option<EncIdx>, Option<String>) {
        let Some(v) = v else {
            return (None, None);
        };
        let Some(key) = self.ref_key(v, path, "Encounter") else {
            return (None, None);
        };
        match self.net.encounter_by_key(&key) {
            Some(e) => (Some(e), None),
            None => (None, Some(key)),
        }
    }

    fn org_of_encounter(&self, e: Option<EncIdx>) -> Option<OrgIdx> {
        e.and_then(|e| self.net.encounters[e.idx()].org)
    }

    fn org_of_pract(&self, p: Option<PractIdx>) -> Option<OrgIdx> {
        p.and_then(|p| self.net.practitioners[p.idx()].org)
    }

    /// The first reference in an array field that resolves to a practitioner.
    fn first_pract(&mut self, items: &[Value], sub: Option<&str>, path: &str) -> Option<PractIdx> {
        for it in items {
            let r = match sub {
                Some(s) => it.get(s),
                None => Some(it),
            };
            if let Some(p) = self.pract_ref(r, path) {
                return Some(p);
            }
        }
        None
    }

    // ---- identity resources ----------------------------------------------------------------

    pub fn load_patient(&mut self, r: &Value) -> bool {
        let key = self.current_key.clone();
        let id = key_id(&key).unwrap_or("");
        let mut identifiers = Vec::new();
        for i in self.arr_of(r, "identifier", "Patient") {
            if let (Some(s), Some(v)) = (
                i.get("system").and_then(Value::as_str),
                i.get("value").and_then(Value::as_str),
            ) {
                identifiers.push((s, v));
            }
        }
        if id.is_empty() && identifiers.is_empty() {
            self.issue(
                "Patient.id",
                "Patient has neither id nor identifier; skipped",
            );
            return false;
        }
        let birth_date = self.time_of(r, "birthDate", "Patient");
        let sex = self
            .str_of(r, "gender", "Patient")
            .map(Sex::parse)
            .unwrap_or_default();
        let (mut deceased, mut death_date) = (false, None);
        match r.get("deceasedBoolean") {
            Some(Value::Bool(b)) => deceased = *b,
            Some(_) => self.issue("Patient.deceasedBoolean", "must be a JSON boolean"),
            None => {}
        }
        if r.get("deceasedDateTime").is_some() {
            death_date = self.time_of(r, "deceasedDateTime", "Patient");
            deceased = true;
        }
        let org = self.org_ref(
            r.get("managingOrganization"),
            "Patient.managingOrganization",
        );
        let input = PatientInput {
            id,
            identifiers,
            birth_date,
            sex,
            deceased,
            death_date,
        };
        let prov = self.provenance(org);
        self.net.upsert_patient(&input, prov);
        true
    }

    /// Registers an Organization resource under `Organization/id` and each identifier key,
    /// filling a placeholder made earlier from a reference.
    pub fn upsert_org_resource(&mut self, r: &Value, own_key: Option<String>) -> OrgIdx {
        let mut keys: Vec<String> = own_key.into_iter().collect();
        let mut identifiers = Vec::new();
        for i in self.arr_of(r, "identifier", "Organization") {
            if let Some(v) = i.get("value").and_then(Value::as_str) {
                let s = i.get("system").and_then(Value::as_str).unwrap_or("");
                keys.push(identifier_key("Organization", s, v));
                identifiers.push((self.net.intern(s), self.net.intern(v)));
            }
        }
        let name = self.str_of(r, "name", "Organization");
        let mut kind = OrgKind::Other;
        for t in self.arr_of(r, "type", "Organization") {
            for c in t
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(code) = c.get("code").and_then(Value::as_str)
                    && kind == OrgKind::Other
                {
                    kind = OrgKind::parse(code);
                }
            }
        }
        kind = refine_org_kind(kind, name.unwrap_or(""));
        let id = r.get("id").and_then(Value::as_str).unwrap_or("");
        let org = Organization {
            id: self.net.intern(id),
            name: name.map(|n| self.net.intern(n)),
            kind,
            identifiers,
            provenance: self.provenance(None),
        };
        if keys.is_empty() {
            keys.push(format!("Organization#{}", self.net.organizations.len()));
        }
        let primary = keys
            .iter()
            .find(|k| self.net.organization_by_key(k).is_some())
            .unwrap_or(&keys[0])
            .clone();
        let o = self.net.upsert_organization(&primary, org);
        for k in &keys {
            self.net.alias_organization(k, o);
        }
        self.placeholder_orgs.remove(&o);
        o
    }

    pub fn load_organization(&mut self, r: &Value) -> bool {
        let key = Some(self.current_key.clone()).filter(|k| !k.is_empty());
        self.upsert_org_resource(r, key);
        true
    }

    pub fn upsert_practitioner_resource(&mut self, r: &Value, own_key: Option<String>) -> PractIdx {
        let mut keys: Vec<String> = own_key.into_iter().collect();
        let mut identifiers = Vec::new();
        for i in self.arr_of(r, "identifier", "Practitioner") {
            if let Some(v) = i.get("value").and_then(Value::as_str) {
                let s = i.get("system").and_then(Value::as_str).unwrap_or("");
                keys.push(identifier_key("Practitioner", s, v));
                identifiers.push((self.net.intern(s), self.net.intern(v)));
            }
        }
        let id = r.get("id").and_then(Value::as_str).unwrap_or("");
        let pr = Practitioner {
            id: self.net.intern(id),
            role: PractitionerRole::Other,
            specialty: None,
            org: None,
            identifiers: identifiers.clone(),
            provenance: self.provenance(None),
        };
        if keys.is_empty() {
            keys.push(format!("Practitioner#{}", self.net.practitioners.len()));
        }
        let primary = keys
            .iter()
            .find(|k| self.net.practitioner_by_key(k).is_some())
            .unwrap_or(&keys[0])
            .clone();
        let p = self.net.upsert_practitioner(&primary, pr);
        for k in &keys {
            self.net.alias_practitioner(k, p);
        }
        let cur = &mut self.net.practitioners[p.idx()];
        for i in identifiers {
            if !cur.identifiers.contains(&i) {
                cur.identifiers.push(i);
            }
        }
        self.placeholder_practs.remove(&p);
        p
    }

    pub fn load_practitioner(&mut self, r: &Value) -> bool {
        let key = Some(self.current_key.clone()).filter(|k| !k.is_empty());
        self.upsert_practitioner_resource(r, key);
        true
    }

    /// Links a practitioner to its organisation and specialty.
    pub fn load_practitioner_role(&mut self, r: &Value) -> bool {
        let Some(pv) = r.get("practitioner") else {
            self.issue("PractitionerRole.practitioner", "missing practitioner");
            return false;
        };
        let Some(pkey) = self.ref_key(pv, "PractitionerRole.practitioner", "Practitioner") else {
            return false;
        };
        let Some(p) = self.pract_for_key(&pkey, "PractitionerRole.practitioner") else {
            return false;
        };
        let org = self.org_ref(r.get("organization"), "PractitionerRole.organization");
        let mut specialty = None;
        let mut role = PractitionerRole::Other;
        for s in self.arr_of(r, "specialty", "PractitionerRole") {
            for c in s
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(code) = c.get("code").and_then(Value::as_str) {
                    if PRIMARY_CARE_TAXONOMY.contains(&code) {
                        role = PractitionerRole::Pcp;
                    } else if role == PractitionerRole::Other
                        && c.get("system").and_then(Value::as_str)
                            == Some("http://nucc.org/provider-taxonomy")
                        && code.starts_with("20")
                    {
                        // NUCC 20xxxxxxxX: allopathic and osteopathic physician specialties.
                        role = PractitionerRole::Specialist;
                    }
                }
            }
            if specialty.is_none() {
                specialty = s
                    .get("text")
                    .and_then(Value::as_str)
                    .or_else(|| s.pointer("/coding/0/display").and_then(Value::as_str));
            }
        }
        let cur = &self.net.practitioners[p.idx()];
        let pr = Practitioner {
            id: cur.id,
            role,
            specialty: specialty.map(|s| self.net.intern(s)),
            org,
            identifiers: Vec::new(),
            provenance: self.provenance(org),
        };
        self.net.upsert_practitioner(&pkey, pr);
        if !self.current_key.is_empty() {
            let k = self.current_key.clone();
            self.net.alias_practitioner(&k, p);
        }
        true
    }

    // ---- encounters ------------------------------------------------------------------------

    pub fn load_encounter(&mut self, r: &Value) -> bool {
        const RT: &str = "Encounter";
        // Read the list fields first so wrong-typed ones are reported even if we skip.
        let reasons = self.arr_of(r, "reasonCode", RT);
        let diagnoses = self.arr_of(r, "diagnosis", RT);
        let class_code = match r.get("class") {
            Some(c @ Value::Object(_)) => c.get("code").and_then(Value::as_str),
            // R5 writes class as an array of CodeableConcept.
            Some(Value::Array(a)) => a.first().and_then(|c| {
                c.pointer("/coding/0/code")
                    .or_else(|| c.get("code"))
                    .and_then(Value::as_str)
            }),
            Some(_) => {
                self.issue("Encounter.class", "must be a Coding object");
                None
            }
            None => None,
        };
        let types = self.arr_of(r, "type", RT);
        let mut type_codes: Vec<&str> = Vec::new();
        let mut type_texts: Vec<&str> = Vec::new();
        for t in types {
            if let Some(s) = t.get("text").and_then(Value::as_str) {
                type_texts.push(s);
            }
            for c in t
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(s) = c.get("code").and_then(Value::as_str) {
                    type_codes.push(s);
                }
                if let Some(s) = c.get("display").and_then(Value::as_str) {
                    type_texts.push(s);
                }
            }
        }
        let setting = setting_of(class_code, &type_codes, &type_texts);
        let type_code = self
            .code_of(types.first(), "Encounter.type", &[CodeSystem::Snomed])
            .map(|c| c.0);
        let (start, end) = self.period_of(r, "period", RT);
        let Some(start) = start.or(end) else {
            self.issue(
                "Encounter.period.start",
                "encounter has no usable period start; skipped",
            );
            return false;
        };
        let Some(patient) = self.patient_ref(r, "subject", RT) else {
            return false;
        };
        let org = self.org_ref(r.get("serviceProvider"), "Encounter.serviceProvider");
        let parts = self.arr_of(r, "participant", RT);
        let practitioner = self.first_pract(
            parts,
            Some("individual"),
            "Encounter.participant.individual",
        );
        let mut disposition = Disposition::Unknown;
        let mut admission_type = AdmissionType::Unknown;
        if let Some(h) = r.get("hospitalization") {
            if let Some(c) = h
                .pointer("/dischargeDisposition/coding/0/code")
                .and_then(Value::as_str)
            {
                disposition = Disposition::parse(c);
            }
            if let Some(c) = h
                .pointer("/admitSource/coding/0/code")
                .and_then(Value::as_str)
                && c == "emd"
            {
                // HL7 admit-source `emd`: from accident/emergency department.
                admission_type = AdmissionType::Emergency;
            }
        }
        if let Some(c) = r.pointer("/priority/coding/0/code").and_then(Value::as_str) {
            // HL7 v3 ActPriority: EM emergency, UR urgent, EL elective, R routine.
            let p = match c {
                "EM" | "S" | "A" => AdmissionType::Emergency,
                "UR" => AdmissionType::Urgent,
                "EL" | "R" => AdmissionType::Elective,
                other => AdmissionType::parse(other),
            };
            if p != AdmissionType::Unknown {
                admission_type = p;
            }
        }
        let id = r.get("id").and_then(Value::as_str).unwrap_or("");
        let enc = Encounter {
            id: self.net.intern(id),
            patient,
            setting,
            start,
            end,
            org,
            practitioner,
            admission_type,
            disposition,
            type_code,
            provenance: self.provenance(org),
        };
        let e = if self.current_key.is_empty() {
            self.net.add_encounter(enc)
        } else {
            let k = self.current_key.clone();
            self.net.upsert_encounter(&k, enc)
        };
        for d in diagnoses {
            let Some(key) = d
                .get("condition")
                .and_then(|c| self.ref_key(c, "Encounter.diagnosis.condition", "Condition"))
            else {
                continue;
            };
            let rank1 = d.get("rank").and_then(Value::as_u64) == Some(1);
            let use_code = d.pointer("/use/coding/0/code").and_then(Value::as_str);
            let principal = rank1 || matches!(use_code, Some("principal" | "DD"));
            match self.condition_codes.get(&key).copied() {
                Some(code) => self.add_diagnosis(e, code, principal),
                None => self.pending_diagnoses.push(PendingDiagnosis {
                    encounter: e,
                    condition_key: key,
                    principal,
                }),
            }
        }
        for rc in reasons {
            if let Some((code, _)) = self.code_of(
                Some(rc),
                "Encounter.reasonCode",
                &[CodeSystem::Icd10Cm, CodeSystem::Snomed],
            ) {
                self.add_diagnosis(e, code, false);
            }
        }
        true
    }

    // ---- clinical facts ----------------------------------------------------------------------

    pub fn load_condition(&mut self, r: &Value) -> bool {
        const RT: &str = "Condition";
        let Some((code, display)) = self.code_of(
            r.get("code"),
            "Condition.code",
            &[CodeSystem::Icd10Cm, CodeSystem::Snomed, CodeSystem::Icd9Cm],
        ) else {
            self.issue("Condition.code", "no coded condition; skipped");
            return false;
        };
        let Some(patient) = self.patient_ref(r, "subject", RT) else {
            return false;
        };
        let (encounter, pending) = self.encounter_ref(r.get("encounter"), "Condition.encounter");
        let mut category = None;
        for c in self.arr_of(r, "category", RT) {
            for cd in c
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match cd.get("code").and_then(Value::as_str) {
                    Some("problem-list-item") => category = Some(ConditionCategory::ProblemList),
                    Some("encounter-diagnosis") => {
                        category = category.or(Some(ConditionCategory::EncounterDiagnosis))
                    }
                    _ => {}
                }
            }
        }
        let mut category = category.unwrap_or(if r.get("encounter").is_some() {
            ConditionCategory::EncounterDiagnosis
        } else {
            ConditionCategory::ProblemList
        });
        if code.system == CodeSystem::Snomed
            && crate::crosswalk::is_social_history(self.net.str(code.value))
        {
            category = ConditionCategory::SocialHistory;
        }
        let onset = if r.get("onsetDateTime").is_some() {
            self.time_of(r, "onsetDateTime", RT)
        } else if r.get("onsetPeriod").is_some() {
            self.period_of(r, "onsetPeriod", RT).0
        } else {
            self.time_of(r, "recordedDate", RT)
        };
        let abatement = if r.get("abatementDateTime").is_some() {
            self.time_of(r, "abatementDateTime", RT)
        } else if r.get("abatementPeriod").is_some() {
            let (s, e) = self.period_of(r, "abatementPeriod", RT);
            e.or(s)
        } else {
            None
        };
        let org = self.org_of_encounter(encounter);
        if !self.current_key.is_empty() {
            self.condition_codes.insert(self.current_key.clone(), code);
        }
        self.net.add_condition(Condition {
            patient,
            encounter,
            code,
            display,
            onset,
            abatement,
            category,
            provenance: self.provenance(org),
        });
        if let Some(k) = pending {
            let i = self.net.conditions.len() - 1;
            self.pending_encounters.push((FactSlot::Condition(i), k));
        }
        true
    }

    /// An observation value: `(value, unit)`, or `None` when the element has no value[x].
    fn obs_value(&mut self, o: &Value, path: &str) -> Option<(ObsValue, Option<Sym>)> {
        if let Some(q) = o.get("valueQuantity") {
            let unit = q
                .get("unit")
                .or_else(|| q.get("code"))
                .and_then(Value::as_str)
                .map(|u| self.net.intern(u));
            return match q.get("value") {
                Some(Value::Number(n)) => n.as_f64().map(|f| (ObsValue::Number(f), unit)),
                Some(_) => {
                    self.issue(
                        &format!("{path}.valueQuantity.value"),
                        "must be a JSON number",
                    );
                    Some((ObsValue::None, unit))
                }
                None => Some((ObsValue::None, unit)),
            };
        }
        if let Some(cc) = o.get("valueCodeableConcept") {
            let text = cc
                .pointer("/coding/0/display")
                .or_else(|| cc.get("text"))
                .or_else(|| cc.pointer("/coding/0/code"))
                .and_then(Value::as_str);
            return Some((
                text.map_or(ObsValue::None, |t| ObsValue::Text(self.net.intern(t))),
                None,
            ));
        }
        for key in ["valueString", "valueDateTime", "valueTime", "valueCode"] {
            if let Some(v) = o.get(key) {
                return match v.as_str() {
                    Some(s) => Some((ObsValue::Text(self.net.intern(s)), None)),
                    None => {
                        self.issue(&format!("{path}.{key}"), "must be a JSON string");
                        Some((ObsValue::None, None))
                    }
                };
            }
        }
        if let Some(v) = o.get("valueInteger") {
            return match v.as_f64() {
                Some(f) => Some((ObsValue::Number(f), None)),
                None => {
                    self.issue(&format!("{path}.valueInteger"), "must be a JSON number");
                    Some((ObsValue::None, None))
                }
            };
        }
        if let Some(v) = o.get("valueBoolean") {
            return match v.as_bool() {
                Some(b) => Some((
                    ObsValue::Text(self.net.intern(if b { "true" } else { "false" })),
                    None,
                )),
                None => {
                    self.issue(&format!("{path}.valueBoolean"), "must be a JSON boolean");
                    Some((ObsValue::None, None))
                }
            };
        }
        None
    }

    /// One Observation; a panel with valued components (blood pressure 85354-6) becomes one
    /// observation per component (8480-6 systolic, 8462-4 diastolic), the panel itself only if
    /// it has a value of its own.
    pub fn load_observation(&mut self, r: &Value) -> bool {
        const RT: &str = "Observation";
        let code = self.code_of(r.get("code"), "Observation.code", &[CodeSystem::Loinc]);
        let mut rows: Vec<(Code, ObsValue, Option<Sym>)> = Vec::new();
        let own = self.obs_value(r, RT);
        for (i, c) in self.arr_of(r, "component", RT).iter().enumerate() {
            let path = format!("Observation.component[{i}]");
            let Some(v) = self.obs_value(c, &path) else {
                continue;
            };
            match self.code_of(c.get("code"), &format!("{path}.code"), &[CodeSystem::Loinc]) {
                Some((cc, _)) => rows.push((cc, v.0, v.1)),
                None => self.issue(&format!("{path}.code"), "component has no coding; skipped"),
            }
        }
        match (own, code) {
            (Some((v, u)), Some((c, _))) => rows.push((c, v, u)),
            (None, Some((c, _))) if rows.is_empty() => rows.push((c, ObsValue::None, None)),
            (_, None) if rows.is_empty() => {
                self.issue("Observation.code", "no coded observation; skipped");
                return false;
            }
            _ => {}
        }
        let Some(patient) = self.patient_ref(r, "subject", RT) else {
            return false;
        };
        let (encounter, pending) = self.encounter_ref(r.get("encounter"), "Observation.encounter");
        let perfs = self.arr_of(r, "performer", RT);
        let performer = self.first_pract(perfs, None, "Observation.performer");
        let time = if r.get("effectiveDateTime").is_some() {
            self.time_of(r, "effectiveDateTime", RT)
        } else if r.get("effectivePeriod").is_some() {
            self.period_of(r, "effectivePeriod", RT).0
        } else if r.get("effectiveInstant").is_some() {
            self.time_of(r, "effectiveInstant", RT)
        } else {
            self.time_of(r, "issued", RT)
        };
        let org = self
            .org_of_encounter(encounter)
            .or(self.org_of_pract(performer));
        let provenance = self.provenance(org);
        for (code, value, unit) in rows {
            self.net.add_observation(Observation {
                patient,
                encounter,
                code,
                value,
                unit,
                time,
                performer,
                provenance,
            });
            if let Some(k) = &pending {
                let i = self.net.observations.len() - 1;
                self.pending_encounters
                    .push((FactSlot::Observation(i), k.clone()));
            }
        }
        true
    }

    /// Records a Medication resource's code under `key` for `medicationReference`.
    pub fn register_medication(&mut self, r: &Value, key: &str) -> bool {
        if key.is_empty() {
            return false;
        }
        match self.code_of(
            r.get("code"),
            "Medication.code",
            &[CodeSystem::RxNorm, CodeSystem::Ndc],
        ) {
            Some(c) => {
                self.medications.insert(key.to_string(), c);
                true
            }
            None => false,
        }
    }

    pub fn load_medication(&mut self, r: &Value, rt: &str) -> bool {
        let statement = rt == "MedicationStatement";
        let prefer = [CodeSystem::RxNorm, CodeSystem::Ndc];
        let med = if r.get("medicationCodeableConcept").is_some() {
            self.code_of(
                r.get("medicationCodeableConcept"),
                &format!("{rt}.medicationCodeableConcept"),
                &prefer,
            )
        } else if let Some(mr) = r.get("medicationReference") {
            let path = format!("{rt}.medicationReference");
            match self.ref_key(mr, &path, "Medication") {
                Some(k) if k.starts_with('#') => {
                    let c = self.contained(&k).cloned();
                    match c {
                        Some(c) => self.code_of(c.get("code"), "Medication.code", &prefer),
                        None => {
                            self.issue(&path, "contained Medication not found");
                            None
                        }
                    }
                }
                Some(k) => {
                    let found = self.medications.get(&k).copied();
                    if found.is_none() {
                        self.issue(&path, "medicationReference points to no loaded Medication");
                    }
                    found
                }
                None => None,
            }
        } else {
            self.issue(
                &format!("{rt}.medication[x]"),
                "no medicationCodeableConcept or medicationReference; skipped",
            );
            return false;
        };
        let Some((code, display)) = med else {
            return false;
        };
        let Some(patient) = self.patient_ref(r, "subject", rt) else {
            return false;
        };
        let enc_field = if statement { "context" } else { "encounter" };
        let (encounter, pending) =
            self.encounter_ref(r.get(enc_field), &format!("{rt}.{enc_field}"));
        let (start, stop) = if statement {
            if r.get("effectivePeriod").is_some() {
                self.period_of(r, "effectivePeriod", rt)
            } else {
                (self.time_of(r, "effectiveDateTime", rt), None)
            }
        } else {
            (self.time_of(r, "authoredOn", rt), None)
        };
        let status = self
            .str_of(r, "status", rt)
            .map_or(MedStatus::Unknown, MedStatus::parse);
        let who = if statement {
            "informationSource"
        } else {
            "requester"
        };
        let prescriber = self.pract_ref(r.get(who), &format!("{rt}.{who}"));
        let org = self
            .org_of_pract(prescriber)
            .or(self.org_of_encounter(encounter));
        let enc_org = self.org_of_encounter(encounter).or(org);
        self.net.add_medication(MedicationOrder {
            patient,
            encounter,
            code,
            display,
            start,
            stop,
            status,
            prescriber,
            org,
            source: if statement {
                MedSource::Statement
            } else {
                MedSource::Order
            },
            provenance: self.provenance(enc_org),
        });
        if let Some(k) = pending {
            let i = self.net.medications.len() - 1;
            self.pending_encounters.push((FactSlot::Medication(i), k));
        }
        true
    }

    /// Procedure (performed), ServiceRequest (ordered) and DiagnosticReport (report).
    pub fn load_procedure(&mut self, r: &Value, rt: &str) -> bool {
        let (kind, prefer): (ProcedureKind, &[CodeSystem]) = match rt {
            "ServiceRequest" => (
                ProcedureKind::Ordered,
                &[CodeSystem::Snomed, CodeSystem::CptHcpcs, CodeSystem::Loinc],
            ),
            "DiagnosticReport" => (
                ProcedureKind::Report,
                &[CodeSystem::Loinc, CodeSystem::Snomed],
            ),
            _ => (
                ProcedureKind::Performed,
                &[
                    CodeSystem::Snomed,
                    CodeSystem::CptHcpcs,
                    CodeSystem::Icd10Pcs,
                ],
            ),
        };
        let Some((code, display)) = self.code_of(r.get("code"), &format!("{rt}.code"), prefer)
        else {
            self.issue(&format!("{rt}.code"), "no coded procedure; skipped");
            return false;
        };
        let Some(patient) = self.patient_ref(r, "subject", rt) else {
            return false;
        };
        let (encounter, pending) =
            self.encounter_ref(r.get("encounter"), &format!("{rt}.encounter"));
        let time = match kind {
            ProcedureKind::Performed => {
                if r.get("performedPeriod").is_some() {
                    self.period_of(r, "performedPeriod", rt).0
                } else {
                    self.time_of(r, "performedDateTime", rt)
                }
            }
            ProcedureKind::Ordered => {
                if r.get("occurrenceDateTime").is_some() {
                    self.time_of(r, "occurrenceDateTime", rt)
                } else if r.get("occurrencePeriod").is_some() {
                    self.period_of(r, "occurrencePeriod", rt).0
                } else {
                    self.time_of(r, "authoredOn", rt)
                }
            }
            ProcedureKind::Report => {
                if r.get("effectiveDateTime").is_some() {
                    self.time_of(r, "effectiveDateTime", rt)
                } else if r.get("effectivePeriod").is_some() {
                    self.period_of(r, "effectivePeriod", rt).0
                } else {
                    self.time_of(r, "issued", rt)
                }
            }
        };
        let practitioner = match kind {
            ProcedureKind::Performed => {
                let p = self.arr_of(r, "performer", rt);
                self.first_pract(p, Some("actor"), "Procedure.performer.actor")
            }
            ProcedureKind::Ordered => {
                self.pract_ref(r.get("requester"), "ServiceRequest.requester")
            }
            ProcedureKind::Report => {
                let p = self.arr_of(r, "performer", rt);
                self.first_pract(p, None, "DiagnosticReport.performer")
            }
        };
        let org = self
            .org_of_encounter(encounter)
            .or(self.org_of_pract(practitioner));
        self.net.add_procedure(Procedure {
            patient,
            encounter,
            code,
            display,
            time,
            kind,
            practitioner,
            org,
            provenance: self.provenance(org),
        });
        if let Some(k) = pending {
            let i = self.net.procedures.len() - 1;
            self.pending_encounters.push((FactSlot::Procedure(i), k));
        }
        true
    }

    pub fn load_care_plan(&mut self, r: &Value) -> bool {
        const RT: &str = "CarePlan";
        let Some(patient) = self.patient_ref(r, "subject", RT) else {
            return false;
        };
        let mut code = None;
        for c in self.arr_of(r, "category", RT) {
            if let Some((cd, _)) = self.code_of(Some(c), "CarePlan.category", &[CodeSystem::Snomed])
                && (code.is_none() || cd.system == CodeSystem::Snomed)
            {
                let better = code.is_none_or(|old: Code| old.system != CodeSystem::Snomed);
                if better {
                    code = Some(cd);
                }
            }
        }
        let (start, end) = self.period_of(r, "period", RT);
        let active = self.str_of(r, "status", RT) == Some("active");
        let (encounter, _) = self.encounter_ref(r.get("encounter"), "CarePlan.encounter");
        let org = self.org_of_encounter(encounter);
        self.net.add_care_plan(CarePlan {
            patient,
            code,
            start,
            end,
            active,
            provenance: self.provenance(org),
        });
        true
    }

    pub fn load_care_team(&mut self, r: &Value) -> bool {
        const RT: &str = "CareTeam";
        let Some(patient) = self.patient_ref(r, "subject", RT) else {
            return false;
        };
        let (start, end) = self.period_of(r, "period", RT);
        let (encounter, _) = self.encounter_ref(r.get("encounter"), "CareTeam.encounter");
        let enc_org = self.org_of_encounter(encounter);
        let provenance = self.provenance(enc_org);
        for p in self.arr_of(r, "participant", RT) {
            let Some(m) = p.get("member") else { continue };
            let Some(key) = self.ref_key(m, "CareTeam.participant.member", "Practitioner") else {
                continue;
            };
            let on_behalf = self.org_ref(p.get("onBehalfOf"), "CareTeam.participant.onBehalfOf");
            let (practitioner, org) = match key_type(&key) {
                "Practitioner" | "PractitionerRole" => {
                    let pr = self.pract_for_key(&key, "CareTeam.participant.member");
                    (pr, on_behalf.or(self.org_of_pract(pr)))
                }
                "Organization" => (None, self.org_ref(Some(m), "CareTeam.participant.member")),
                _ => continue,
            };
            if practitioner.is_none() && org.is_none() {
                continue;
            }
            let role = practitioner.map_or(PractitionerRole::Other, |p| {
                self.net.practitioners[p.idx()].role
            });
            self.net.add_care_team_member(CareTeamMember {
                patient,
                practitioner,
                org,
                role,
                start,
                end,
                provenance,
            });
        }
        true
    }

    /// Claim / ExplanationOfBenefit: diagnoses onto the claim's encounter, or claim-diagnosis
    /// conditions when the claim names no loaded encounter.
    pub fn load_claim(&mut self, r: &Value, rt: &str) -> bool {
        let Some(patient) = self.patient_ref(r, "patient", rt) else {
            return false;
        };
        let mut encounter = None;
        for it in self.arr_of(r, "item", rt) {
            for e in it
                .get("encounter")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if encounter.is_none()
                    && let (Some(x), _) =
                        self.encounter_ref(Some(e), &format!("{rt}.item.encounter"))
                {
                    encounter = Some(x);
                }
            }
        }
        let provider = self.org_ref(r.get("provider"), &format!("{rt}.provider"));
        let (billed_start, _) = self.period_of(r, "billablePeriod", rt);
        let dx = self.arr_of(r, "diagnosis", rt);
        let any_principal = dx.iter().any(|d| diagnosis_type_is(d, "principal"));
        for d in dx {
            let principal = diagnosis_type_is(d, "principal")
                || (!any_principal && d.get("sequence").and_then(Value::as_u64) == Some(1));
            let mut code = None;
            if d.get("diagnosisCodeableConcept").is_some() {
                code = self
                    .code_of(
                        d.get("diagnosisCodeableConcept"),
                        &format!("{rt}.diagnosis.diagnosisCodeableConcept"),
                        &[CodeSystem::Icd10Cm, CodeSystem::Icd9Cm, CodeSystem::Snomed],
                    )
                    .map(|c| c.0);
            } else if let Some(dr) = d.get("diagnosisReference") {
                let path = format!("{rt}.diagnosis.diagnosisReference");
                if let Some(k) = self.ref_key(dr, &path, "Condition") {
                    code = self.condition_codes.get(&k).copied();
                    if code.is_none()
                        && let Some(e) = encounter
                    {
                        self.pending_diagnoses.push(PendingDiagnosis {
                            encounter: e,
                            condition_key: k,
                            principal,
                        });
                        continue;
                    }
                }
            }
            let Some(code) = code else { continue };
            match encounter {
                Some(e) => self.add_diagnosis(e, code, principal),
                None => {
                    let org = provider;
                    self.net.add_condition(Condition {
                        patient,
                        encounter: None,
                        code,
                        display: None,
                        onset: billed_start,
                        abatement: None,
                        category: ConditionCategory::ClaimDiagnosis,
                        provenance: self.provenance(org),
                    });
                }
            }
        }
        true
    }
}

fn diagnosis_type_is(d: &Value, code: &str) -> bool {
    d.get("type")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|t| {
            t.get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .any(|c| c.get("code").and_then(Value::as_str) == Some(code))
}

/// Organisation kind from its name when the coded type is generic (Synthea writes `prov` for
/// hospitals and practices alike): a name word like HOSPITAL, NURSING, HOSPICE, REHAB, HOME
/// HEALTH says the kind. A heuristic on public facility names, not on patient data.
fn refine_org_kind(kind: OrgKind, name: &str) -> OrgKind {
    if !matches!(kind, OrgKind::Other | OrgKind::Practice) {
        return kind;
    }
    let n = name.to_ascii_uppercase();
    if n.contains("HOSPICE") {
        OrgKind::Hospice
    } else if n.contains("NURSING") || n.contains("SKILLED") {
        OrgKind::Snf
    } else if n.contains("REHAB") {
        OrgKind::Rehab
    } else if n.contains("HOME HEALTH") {
        OrgKind::HomeHealth
    } else if n.contains("HOSPITAL") || n.contains("MEDICAL CENTER") || n.contains("MED CTR") {
        OrgKind::Hospital
    } else {
        kind
    }
}
