//! The network: every organisation's data merged into one longitudinal record per patient.
//!
//! Facts are appended in arrival order; per-patient, time-sorted views are built once, lazily,
//! the first time an analysis needs them, and dropped on the next write.

use crate::code::CodeSystem;
use crate::intern::{FxHashMap, Interner, Sym};
use crate::model::*;
use crate::time::Timestamp;
use once_cell::sync::OnceCell;
use serde::Serialize;

/// Demographics and identity of a patient as one source reports it.
#[derive(Debug, Clone, Default)]
pub struct PatientInput<'a> {
    /// The source's id for the patient (resource id, MRN); namespaced by the caller if needed.
    pub id: &'a str,
    /// `(system, value)` pairs; a match on any of them merges with an existing record.
    pub identifiers: Vec<(&'a str, &'a str)>,
    pub birth_date: Option<Timestamp>,
    pub sex: Sex,
    pub deceased: bool,
    pub death_date: Option<Timestamp>,
}

/// Record counts, as the report's `counts` object.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub patients: usize,
    pub organizations: usize,
    pub practitioners: usize,
    pub encounters: usize,
    pub conditions: usize,
    pub observations: usize,
    pub medications: usize,
    pub procedures: usize,
    pub diagnoses: usize,
    pub care_plans: usize,
    pub care_team_members: usize,
}

/// Compressed rows: `items[offsets[i]..offsets[i+1]]` belong to row `i`.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    offsets: Vec<usize>,
    items: Vec<u32>,
}

impl Csr {
    /// Groups `n_items` items into `n_rows` rows by `row_of(item)` (items with `None` are left
    /// out), each row sorted by `key(item)` and then by item order.
    fn build<K: Ord>(
        n_rows: usize,
        n_items: usize,
        row_of: impl Fn(usize) -> Option<usize>,
        key: impl Fn(u32) -> K,
    ) -> Csr {
        let mut offsets = vec![0usize; n_rows + 1];
        let rows: Vec<u32> = (0..n_items)
            .map(|i| row_of(i).map_or(u32::MAX, |r| r as u32))
            .collect();
        for &r in &rows {
            if r != u32::MAX {
                offsets[r as usize + 1] += 1;
            }
        }
        for i in 0..n_rows {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut items = vec![0u32; offsets[n_rows]];
        for (i, &r) in rows.iter().enumerate() {
            if r != u32::MAX {
                items[fill[r as usize]] = i as u32;
                fill[r as usize] += 1;
            }
        }
        for r in 0..n_rows {
            items[offsets[r]..offsets[r + 1]].sort_by_key(|&i| (key(i), i));
        }
        Csr { offsets, items }
    }

    pub fn row(&self, r: usize) -> &[u32] {
        match (self.offsets.get(r), self.offsets.get(r + 1)) {
            (Some(&a), Some(&b)) => &self.items[a..b],
            _ => &[],
        }
    }
}

/// Per-patient, time-sorted views over the fact tables.
#[derive(Debug, Default)]
pub struct PatientIndex {
    /// Canonical (merged) patient of every patient slot.
    pub canonical: Vec<u32>,
    /// Canonical patients in slot order.
    pub patients: Vec<PatientIdx>,
    pub encounters: Csr,
    pub observations: Csr,
    pub conditions: Csr,
    pub medications: Csr,
    pub procedures: Csr,
    pub care_team: Csr,
    /// Diagnoses per encounter, principal first.
    pub diagnoses_by_encounter: Csr,
}

#[derive(Default)]
pub struct Network {
    pub strings: Interner,
    pub feeds: Vec<Feed>,
    pub patients: Vec<Patient>,
    /// Union-find parent of each patient slot (itself when not merged away).
    merged_into: Vec<u32>,
    pub organizations: Vec<Organization>,
    pub practitioners: Vec<Practitioner>,
    pub encounters: Vec<Encounter>,
    pub diagnoses: Vec<Diagnosis>,
    pub conditions: Vec<Condition>,
    pub observations: Vec<Observation>,
    pub medications: Vec<MedicationOrder>,
    pub procedures: Vec<Procedure>,
    pub care_plans: Vec<CarePlan>,
    pub care_team: Vec<CareTeamMember>,
    patient_by_id: FxHashMap<Sym, u32>,
    patient_by_identifier: FxHashMap<(Sym, Sym), u32>,
    org_by_key: FxHashMap<Sym, OrgIdx>,
    pract_by_key: FxHashMap<Sym, PractIdx>,
    enc_by_key: FxHashMap<Sym, EncIdx>,
    /// Encounters and care-team rows per merged patient, kept current on every write: real-time
    /// feeds (HL7 ADT) look a patient up per message and cannot rebuild the sorted index each time.
    live: FxHashMap<u32, LiveRows>,
    index: OnceCell<PatientIndex>,
    /// Buffers [`Network::upsert_patient`] reuses: a real-time feed upserts a patient per
    /// message, and two fresh vectors each time were a tenth of an ADT message's allocations.
    upsert_scratch: (Vec<(Sym, Sym)>, Vec<u32>),
}

/// Unsorted per-patient rows kept current on every write (see [`Network::live_encounters`]).
#[derive(Debug, Clone, Default)]
pub struct LiveRows {
    pub encounters: Vec<EncIdx>,
    pub care_team: Vec<u32>,
    /// Indices into `diagnoses` of this patient's encounters.
    pub diagnoses: Vec<u32>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("counts", &self.counts())
            .finish()
    }
}

impl Network {
    pub fn new() -> Self {
        Network {
            strings: Interner::new(),
            ..Default::default()
        }
    }

    fn touch(&mut self) {
        self.index.take();
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        self.strings.intern(s)
    }

    pub fn str(&self, sym: Sym) -> &str {
        self.strings.resolve(sym)
    }

    /// Interns a normalised code; `None` if the raw value normalises to nothing.
    pub fn code(&mut self, system: CodeSystem, raw: &str) -> Option<Code> {
        let value = system.with_normalized(raw, |v| self.strings.intern(v))?;
        Some(Code { system, value })
    }

    /// Looks a code up without interning (for queries).
    pub fn find_code(&self, system: CodeSystem, raw: &str) -> Option<Code> {
        let value = system.with_normalized(raw, |v| self.strings.get(v))??;
        Some(Code { system, value })
    }

    pub fn add_feed(&mut self, kind: FeedKind, name: &str) -> FeedIdx {
        self.feeds.push(Feed {
            kind,
            name: name.to_string(),
            received: Timestamp::now(),
        });
        FeedIdx(self.feeds.len() as u32 - 1)
    }

    // ---- patients -------------------------------------------------------------------------

    fn find_root(&self, mut p: u32) -> u32 {
        while let Some(&q) = self.merged_into.get(p as usize) {
            if q == p {
                break;
            }
            p = q;
        }
        p
    }

    /// The merged record a patient slot belongs to.
    pub fn canonical(&self, p: PatientIdx) -> PatientIdx {
        PatientIdx(self.find_root(p.0))
    }

    /// Finds the patient by id or by any shared identifier, merging records that turn out to be
    /// the same person, or adds a new one. Demographics fill gaps; they never overwrite.
    pub fn upsert_patient(
        &mut self,
        input: &PatientInput<'_>,
        provenance: Provenance,
    ) -> PatientIdx {
        self.touch();
        let id = self.strings.intern(input.id);
        let (mut idents, mut matches) = std::mem::take(&mut self.upsert_scratch);
        idents.clear();
        matches.clear();
        idents.extend(
            input
                .identifiers
                .iter()
                .filter(|(s, v)| !s.trim().is_empty() && !v.trim().is_empty())
                .map(|(s, v)| (self.strings.intern(s.trim()), self.strings.intern(v.trim()))),
        );
        if !input.id.is_empty()
            && let Some(&p) = self.patient_by_id.get(&id)
        {
            matches.push(self.find_root(p));
        }
        for key in &idents {
            if let Some(&p) = self.patient_by_identifier.get(key) {
                matches.push(self.find_root(p));
            }
        }
        matches.sort_unstable();
        matches.dedup();
        let root = match matches.first() {
            Some(&r) => r,
            None => {
                self.patients.push(Patient {
                    id,
                    identifiers: Vec::new(),
                    birth_date: None,
                    sex: Sex::Unknown,
                    deceased: false,
                    death_date: None,
                    provenance: Vec::new(),
                });
                let r = self.patients.len() as u32 - 1;
                self.merged_into.push(r);
                r
            }
        };
        // Two existing records joined by this input: fold the later ones into the first.
        for &other in matches.iter().skip(1) {
            self.merged_into[other as usize] = root;
            let moved = std::mem::take(&mut self.patients[other as usize].identifiers);
            let prov = std::mem::take(&mut self.patients[other as usize].provenance);
            let (b, s, d, dd) = {
                let o = &self.patients[other as usize];
                (o.birth_date, o.sex, o.deceased, o.death_date)
            };
            if let Some(rows) = self.live.remove(&other) {
                let dst = self.live.entry(root).or_default();
                dst.encounters.extend(rows.encounters);
                dst.care_team.extend(rows.care_team);
                dst.diagnoses.extend(rows.diagnoses);
            }
            let r = &mut self.patients[root as usize];
            r.identifiers.extend(moved);
            r.provenance.extend(prov);
            fill_demographics(r, b, s, d, dd);
        }
        if !input.id.is_empty() {
            self.patient_by_id.entry(id).or_insert(root);
        }
        let r = &mut self.patients[root as usize];
        for &key in &idents {
            if !r.identifiers.contains(&key) {
                r.identifiers.push(key);
            }
            self.patient_by_identifier.entry(key).or_insert(root);
        }
        fill_demographics(
            r,
            input.birth_date,
            input.sex,
            input.deceased,
            input.death_date,
        );
        if !r.provenance.contains(&provenance) {
            r.provenance.push(provenance);
        }
        self.upsert_scratch = (idents, matches);
        PatientIdx(root)
    }

    /// The merged patient known under this id (or identifier value with any system).
    pub fn patient_by_id(&self, id: &str) -> Option<PatientIdx> {
        let sym = self.strings.get(id)?;
        if let Some(&p) = self.patient_by_id.get(&sym) {
            return Some(PatientIdx(self.find_root(p)));
        }
        None
    }

    /// The merged patient holding identifier `(system, value)`.
    pub fn patient_by_identifier(&self, system: &str, value: &str) -> Option<PatientIdx> {
        let key = (self.strings.get(system)?, self.strings.get(value)?);
        self.patient_by_identifier
            .get(&key)
            .map(|&p| PatientIdx(self.find_root(p)))
    }

    /// Merged patient records (each person once).
    pub fn patient_count(&self) -> usize {
        (0..self.patients.len() as u32)
            .filter(|&p| self.find_root(p) == p)
            .count()
    }

    // ---- organisations and practitioners ---------------------------------------------------

    /// Adds an organisation under `key` or returns the one already there (first report wins,
    /// later reports fill a missing name or kind).
    pub fn upsert_organization(&mut self, key: &str, org: Organization) -> OrgIdx {
        self.touch();
        let k = self.strings.intern(key);
        if let Some(&o) = self.org_by_key.get(&k) {
            let cur = &mut self.organizations[o.idx()];
            if cur.name.is_none() {
                cur.name = org.name;
            }
            if cur.kind == OrgKind::Other {
                cur.kind = org.kind;
            }
            for i in org.identifiers {
                if !cur.identifiers.contains(&i) {
                    cur.identifiers.push(i);
                }
            }
            return o;
        }
        self.organizations.push(org);
        let o = OrgIdx(self.organizations.len() as u32 - 1);
        self.org_by_key.insert(k, o);
        o
    }

    /// Adds another lookup key (e.g. `system|value` identifier) for an organisation.
    pub fn alias_organization(&mut self, key: &str, org: OrgIdx) {
        let k = self.strings.intern(key);
        self.org_by_key.entry(k).or_insert(org);
    }

    pub fn organization_by_key(&self, key: &str) -> Option<OrgIdx> {
        self.org_by_key.get(&self.strings.get(key)?).copied()
    }

    pub fn upsert_practitioner(&mut self, key: &str, pract: Practitioner) -> PractIdx {
        self.touch();
        let k = self.strings.intern(key);
        if let Some(&p) = self.pract_by_key.get(&k) {
            let cur = &mut self.practitioners[p.idx()];
            if cur.org.is_none() {
                cur.org = pract.org;
            }
            if cur.specialty.is_none() {
                cur.specialty = pract.specialty;
            }
            if cur.role == PractitionerRole::Other {
                cur.role = pract.role;
            }
            return p;
        }
        self.practitioners.push(pract);
        let p = PractIdx(self.practitioners.len() as u32 - 1);
        self.pract_by_key.insert(k, p);
        p
    }

    pub fn alias_practitioner(&mut self, key: &str, p: PractIdx) {
        let k = self.strings.intern(key);
        self.pract_by_key.entry(k).or_insert(p);
    }

    pub fn practitioner_by_key(&self, key: &str) -> Option<PractIdx> {
        self.pract_by_key.get(&self.strings.get(key)?).copied()
    }

    // ---- encounters and clinical facts -----------------------------------------------------

    /// Adds an encounter under `key`, or replaces the one already under that key (an update,
    /// e.g. HL7 A08 or a later FHIR version of the same resource).
    pub fn upsert_encounter(&mut self, key: &str, enc: Encounter) -> EncIdx {
        let k = self.strings.intern(key);
        self.upsert_encounter_at(k, enc)
    }

    /// [`Network::upsert_encounter`] under a key already interned (a feed that looks the
    /// encounter up first interns its key once).
    pub fn upsert_encounter_at(&mut self, k: Sym, enc: Encounter) -> EncIdx {
        self.touch();
        if let Some(&e) = self.enc_by_key.get(&k) {
            let old = self.find_root(self.encounters[e.idx()].patient.0);
            let new = self.find_root(enc.patient.0);
            if old != new {
                if let Some(rows) = self.live.get_mut(&old) {
                    rows.encounters.retain(|&x| x != e);
                }
                self.live.entry(new).or_default().encounters.push(e);
            }
            self.encounters[e.idx()] = enc;
            return e;
        }
        let root = self.find_root(enc.patient.0);
        self.encounters.push(enc);
        let e = EncIdx(self.encounters.len() as u32 - 1);
        self.enc_by_key.insert(k, e);
        self.live.entry(root).or_default().encounters.push(e);
        e
    }

    /// Adds an encounter with no lookup key (synthetic data, claims lines).
    pub fn add_encounter(&mut self, enc: Encounter) -> EncIdx {
        self.touch();
        let root = self.find_root(enc.patient.0);
        self.encounters.push(enc);
        let e = EncIdx(self.encounters.len() as u32 - 1);
        self.live.entry(root).or_default().encounters.push(e);
        e
    }

    /// A patient's encounters in insertion order, without building the sorted index (cheap to
    /// call after every write; used by real-time HL7 alerts).
    pub fn live_encounters(&self, p: PatientIdx) -> &[EncIdx] {
        self.live
            .get(&self.find_root(p.0))
            .map_or(&[], |r| r.encounters.as_slice())
    }

    /// A patient's care-team rows (indices into `care_team`), without building the index.
    pub fn live_care_team(&self, p: PatientIdx) -> impl Iterator<Item = &CareTeamMember> + '_ {
        self.live
            .get(&self.find_root(p.0))
            .map_or(&[][..], |r| r.care_team.as_slice())
            .iter()
            .map(|&i| &self.care_team[i as usize])
    }

    pub fn encounter_by_key(&self, key: &str) -> Option<EncIdx> {
        self.encounter_at(self.strings.get(key)?)
    }

    /// The encounter under an interned key.
    pub fn encounter_at(&self, k: Sym) -> Option<EncIdx> {
        self.enc_by_key.get(&k).copied()
    }

    pub fn add_diagnosis(&mut self, d: Diagnosis) {
        self.touch();
        let root = self
            .encounters
            .get(d.encounter.idx())
            .map(|e| self.find_root(e.patient.0));
        self.diagnoses.push(d);
        if let Some(root) = root {
            let i = self.diagnoses.len() as u32 - 1;
            self.live.entry(root).or_default().diagnoses.push(i);
        }
    }

    /// Marks the `nth` of [`Network::live_diagnoses`] as principal (an update message
    /// re-ranking a known diagnosis).
    pub fn set_live_diagnosis_principal(&mut self, p: PatientIdx, nth: usize) {
        let root = self.find_root(p.0);
        if let Some(&i) = self.live.get(&root).and_then(|r| r.diagnoses.get(nth)) {
            self.touch();
            self.diagnoses[i as usize].principal = true;
        }
    }

    /// A patient's encounter diagnoses in insertion order, without building the index.
    pub fn live_diagnoses(&self, p: PatientIdx) -> impl Iterator<Item = &Diagnosis> + '_ {
        self.live
            .get(&self.find_root(p.0))
            .map_or(&[][..], |r| r.diagnoses.as_slice())
            .iter()
            .map(|&i| &self.diagnoses[i as usize])
    }
    pub fn add_condition(&mut self, c: Condition) {
        self.touch();
        self.conditions.push(c);
    }
    pub fn add_observation(&mut self, o: Observation) {
        self.touch();
        self.observations.push(o);
    }
    pub fn add_medication(&mut self, m: MedicationOrder) {
        self.touch();
        self.medications.push(m);
    }
    pub fn add_procedure(&mut self, p: Procedure) {
        self.touch();
        self.procedures.push(p);
    }
    pub fn add_care_plan(&mut self, c: CarePlan) {
        self.touch();
        self.care_plans.push(c);
    }
    pub fn add_care_team_member(&mut self, m: CareTeamMember) {
        self.touch();
        let root = self.find_root(m.patient.0);
        self.care_team.push(m);
        let i = self.care_team.len() as u32 - 1;
        self.live.entry(root).or_default().care_team.push(i);
    }

    /// Reserves room for a bulk load.
    pub fn reserve(&mut self, patients: usize, encounters: usize, observations: usize) {
        self.patients.reserve(patients);
        self.merged_into.reserve(patients);
        self.encounters.reserve(encounters);
        self.observations.reserve(observations);
    }

    // ---- views -----------------------------------------------------------------------------

    pub fn counts(&self) -> Counts {
        Counts {
            patients: self.patient_count(),
            organizations: self.organizations.len(),
            practitioners: self.practitioners.len(),
            encounters: self.encounters.len(),
            conditions: self.conditions.len(),
            observations: self.observations.len(),
            medications: self.medications.len(),
            procedures: self.procedures.len(),
            diagnoses: self.diagnoses.len(),
            care_plans: self.care_plans.len(),
            care_team_members: self.care_team.len(),
        }
    }

    /// Per-patient views (built on first use after a change).
    pub fn index(&self) -> &PatientIndex {
        self.index.get_or_init(|| self.build_index())
    }

    fn build_index(&self) -> PatientIndex {
        let n = self.patients.len();
        let canonical: Vec<u32> = (0..n as u32).map(|p| self.find_root(p)).collect();
        let patients = (0..n as u32)
            .filter(|&p| canonical[p as usize] == p)
            .map(PatientIdx)
            .collect();
        let canon = |p: PatientIdx| canonical.get(p.idx()).map(|&c| c as usize);
        let encounters = Csr::build(
            n,
            self.encounters.len(),
            |i| canon(self.encounters[i].patient),
            |i| {
                let e = &self.encounters[i as usize];
                (e.start, e.end)
            },
        );
        let observations = Csr::build(
            n,
            self.observations.len(),
            |i| canon(self.observations[i].patient),
            |i| self.observations[i as usize].time,
        );
        let conditions = Csr::build(
            n,
            self.conditions.len(),
            |i| canon(self.conditions[i].patient),
            |i| self.conditions[i as usize].onset,
        );
        let medications = Csr::build(
            n,
            self.medications.len(),
            |i| canon(self.medications[i].patient),
            |i| self.medications[i as usize].start,
        );
        let procedures = Csr::build(
            n,
            self.procedures.len(),
            |i| canon(self.procedures[i].patient),
            |i| self.procedures[i as usize].time,
        );
        let care_team = Csr::build(
            n,
            self.care_team.len(),
            |i| canon(self.care_team[i].patient),
            |i| self.care_team[i as usize].start,
        );
        let diagnoses_by_encounter = Csr::build(
            self.encounters.len(),
            self.diagnoses.len(),
            |i| Some(self.diagnoses[i].encounter.idx()),
            |i| !self.diagnoses[i as usize].principal,
        );
        PatientIndex {
            canonical,
            patients,
            encounters,
            observations,
            conditions,
            medications,
            procedures,
            care_team,
            diagnoses_by_encounter,
        }
    }

    /// Merged patients, in first-seen order.
    pub fn patient_list(&self) -> &[PatientIdx] {
        &self.index().patients
    }

    /// A patient's encounters from every organisation, by start time.
    pub fn patient_encounters(&self, p: PatientIdx) -> impl Iterator<Item = EncIdx> + '_ {
        self.index()
            .encounters
            .row(self.canonical(p).idx())
            .iter()
            .map(|&i| EncIdx(i))
    }
    pub fn patient_observations(&self, p: PatientIdx) -> impl Iterator<Item = &Observation> + '_ {
        self.index()
            .observations
            .row(self.canonical(p).idx())
            .iter()
            .map(|&i| &self.observations[i as usize])
    }
    pub fn patient_conditions(&self, p: PatientIdx) -> impl Iterator<Item = &Condition> + '_ {
        self.index()
            .conditions
            .row(self.canonical(p).idx())
            .iter()
            .map(|&i| &self.conditions[i as usize])
    }
    pub fn patient_medications(
        &self,
        p: PatientIdx,
    ) -> impl Iterator<Item = &MedicationOrder> + '_ {
        self.index()
            .medications
            .row(self.canonical(p).idx())
            .iter()
            .map(|&i| &self.medications[i as usize])
    }
    pub fn patient_procedures(&self, p: PatientIdx) -> impl Iterator<Item = &Procedure> + '_ {
        self.index()
            .procedures
            .row(self.canonical(p).idx())
            .iter()
            .map(|&i| &self.procedures[i as usize])
    }
    pub fn patient_care_team(&self, p: PatientIdx) -> impl Iterator<Item = &CareTeamMember> + '_ {
        self.index()
            .care_team
            .row(self.canonical(p).idx())
            .iter()
            .map(|&i| &self.care_team[i as usize])
    }
    pub fn encounter_diagnoses(&self, e: EncIdx) -> impl Iterator<Item = &Diagnosis> + '_ {
        self.index()
            .diagnoses_by_encounter
            .row(e.idx())
            .iter()
            .map(|&i| &self.diagnoses[i as usize])
    }

    pub fn encounter(&self, e: EncIdx) -> &Encounter {
        &self.encounters[e.idx()]
    }
    pub fn patient(&self, p: PatientIdx) -> &Patient {
        &self.patients[self.canonical(p).idx()]
    }
    /// The id a patient is reported under (the first source's id).
    pub fn patient_id(&self, p: PatientIdx) -> &str {
        self.str(self.patient(p).id)
    }
    pub fn org_id(&self, o: OrgIdx) -> &str {
        self.str(self.organizations[o.idx()].id)
    }
    pub fn encounter_id(&self, e: EncIdx) -> &str {
        self.str(self.encounters[e.idx()].id)
    }

    /// The latest time of any encounter or fact: "now" for retrospective analyses of a data set.
    pub fn data_end(&self) -> Option<Timestamp> {
        let enc = self
            .encounters
            .iter()
            .map(|e| e.end.unwrap_or(e.start))
            .max();
        let obs = self.observations.iter().filter_map(|o| o.time).max();
        enc.max(obs)
    }

    /// Approximate heap bytes held by the fact tables (for capacity planning).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.strings.heap_bytes()
            + self.patients.capacity() * size_of::<Patient>()
            + self
                .patients
                .iter()
                .map(|p| p.identifiers.capacity() * 8 + p.provenance.capacity() * 12)
                .sum::<usize>()
            + self.encounters.capacity() * size_of::<Encounter>()
            + self.diagnoses.capacity() * size_of::<Diagnosis>()
            + self.conditions.capacity() * size_of::<Condition>()
            + self.observations.capacity() * size_of::<Observation>()
            + self.medications.capacity() * size_of::<MedicationOrder>()
            + self.procedures.capacity() * size_of::<Procedure>()
    }
}

fn fill_demographics(
    r: &mut Patient,
    birth: Option<Timestamp>,
    sex: Sex,
    deceased: bool,
    death: Option<Timestamp>,
) {
    if r.birth_date.is_none() {
        r.birth_date = birth;
    }
    if r.sex == Sex::Unknown {
        r.sex = sex;
    }
    r.deceased |= deceased || death.is_some();
    if r.death_date.is_none() {
        r.death_date = death;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prov(net: &mut Network) -> Provenance {
        let feed = net.add_feed(FeedKind::Api, "test");
        Provenance { org: None, feed }
    }

    #[test]
    fn patients_merge_on_shared_identifier() {
        let mut net = Network::new();
        let pv = prov(&mut net);
        let a = net.upsert_patient(
            &PatientInput {
                id: "A1",
                identifiers: vec![("mrn-hosp", "111")],
                ..Default::default()
            },
            pv,
        );
        let b = net.upsert_patient(
            &PatientInput {
                id: "B7",
                identifiers: vec![("ssn", "999")],
                sex: Sex::Female,
                ..Default::default()
            },
            pv,
        );
        assert_ne!(a, b);
        assert_eq!(net.patient_count(), 2);
        // A third source knows both identifiers: the two records are one person.
        let c = net.upsert_patient(
            &PatientInput {
                id: "C3",
                identifiers: vec![("mrn-hosp", "111"), ("ssn", "999")],
                ..Default::default()
            },
            pv,
        );
        assert_eq!(c, a);
        assert_eq!(net.canonical(b), a);
        assert_eq!(net.patient_count(), 1);
        assert_eq!(net.patient(b).sex, Sex::Female);
        assert_eq!(net.patient_by_id("B7"), Some(a));
    }
}
