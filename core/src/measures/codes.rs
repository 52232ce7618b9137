//! Code-set membership of the network's codes, computed once per distinct code.
//!
//! Each code set of a [`MeasureSet`] gets a bit; a code's mask says which sets hold it. Exact
//! codes match by system and normalised value; ICD-10-CM (and other) prefixes match any code that
//! starts with them; a SNOMED CT condition code also matches the ICD-10-CM sets its crosswalk
//! entry (`crate::crosswalk::snomed_to_icd10cm`) falls in, because Synthea codes conditions in
//! SNOMED only. Masks are memoised by interned code, so a million patients cost one hash lookup
//! per fact.

use super::definition::MeasureSet;
use crate::code::CodeSystem;
use crate::intern::FxHashMap;
use crate::model::Code;
use crate::network::Network;
use std::collections::HashMap;

pub(crate) struct Classifier {
    exact: HashMap<(CodeSystem, String), u64>,
    prefixes: HashMap<(CodeSystem, String), u64>,
    max_prefix: usize,
    memo: FxHashMap<Code, u64>,
}

impl Classifier {
    pub(crate) fn new(set: &MeasureSet) -> Classifier {
        let mut exact: HashMap<(CodeSystem, String), u64> = HashMap::new();
        let mut prefixes: HashMap<(CodeSystem, String), u64> = HashMap::new();
        let mut max_prefix = 0;
        for (name, cs) in &set.file.code_sets {
            let bit = 1u64 << set.code_set_bit(name).unwrap_or(0);
            for list in &cs.codes {
                let system = CodeSystem::from_name(&list.system);
                for c in &list.codes {
                    if let Some(v) = system.normalize(c) {
                        *exact.entry((system, v)).or_insert(0) |= bit;
                    }
                }
                for c in &list.prefixes {
                    if let Some(v) = system.normalize(c) {
                        max_prefix = max_prefix.max(v.len());
                        *prefixes.entry((system, v)).or_insert(0) |= bit;
                    }
                }
            }
        }
        Classifier {
            exact,
            prefixes,
            max_prefix,
            memo: FxHashMap::default(),
        }
    }

    /// The code sets (bit mask) a code belongs to.
    pub(crate) fn mask(&mut self, net: &Network, code: Code) -> u64 {
        if let Some(&m) = self.memo.get(&code) {
            return m;
        }
        let value = net.str(code.value);
        let mut m = self.mask_of(code.system, value);
        if code.system == CodeSystem::Snomed
            && let Some(icd) = crate::crosswalk::snomed_to_icd10cm(value)
        {
            m |= self.mask_of(CodeSystem::Icd10Cm, icd);
        }
        self.memo.insert(code, m);
        m
    }

    fn mask_of(&self, system: CodeSystem, value: &str) -> u64 {
        let mut m = 0;
        // Lookups by (system, String) key: one allocation per distinct code, then memoised.
        if let Some(&x) = self.exact.get(&(system, value.to_string())) {
            m |= x;
        }
        if !self.prefixes.is_empty() {
            for len in 1..=value.len().min(self.max_prefix) {
                if !value.is_char_boundary(len) {
                    continue;
                }
                if let Some(&x) = self.prefixes.get(&(system, value[..len].to_string())) {
                    m |= x;
                }
            }
        }
        m
    }
}
