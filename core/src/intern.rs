//! A compact string interner: every id, code and unit is stored once and referred to by a `Sym`
//! (4 bytes). One arena plus a hash index keeps a million-patient network small.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// An interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

/// FxHash (as in rustc): fast, deterministic, good enough for short ids.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    /// The multiply leaves the low bits depending on the low input bits only, and hash tables
    /// index by the low bits: mix the high bits down, or
    /// ids like `P0000001`..`P0999999`, which differ in their high bytes, all collide.
    fn finish(&self) -> u64 {
        // A MurmurHash3 fmix64 finaliser spreads the well-mixed high bits down.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type FxHashMap<K, V> = HashMap<K, V, FxBuild>;

fn hash_str(s: &str) -> u64 {
    // Eight bytes at a time, each word folded in with a 64x64->128-bit multiply (high and low
    // halves xored), then the MurmurHash3 fmix64 avalanche; the length seeds the state so a
    // zero-padded tail cannot alias a shorter string. Fx (used for the table's own u64 keys)
    // collides systematically on ids that differ only in their last digits ("enc-1234" + "5"
    // vs "enc-1235" + "4" after its rotate); the full-width multiply does not have that
    // structure (see the test), and a word per step is several times faster than the
    // byte-at-a-time FNV-1a used before.
    let fold = |a: u64, b: u64| {
        let m = u128::from(a) * u128::from(b);
        (m as u64) ^ ((m >> 64) as u64)
    };
    let bytes = s.as_bytes();
    let mut x: u64 = 0x243F_6A88_85A3_08D3 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        x = fold(x ^ w, 0x9E37_79B9_7F4A_7C15);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        x = fold(x ^ u64::from_le_bytes(buf), 0xA076_1D64_78BD_642F);
    }
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Strings in one arena; `ends[i]` is where string `i` ends. Lookup is by hash, with the rare
/// collision of two different strings kept in a side table.
#[derive(Default, Clone)]
pub struct Interner {
    arena: String,
    ends: Vec<u64>,
    by_hash: FxHashMap<u64, u32>,
    collisions: HashMap<Box<str>, u32>,
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Interner::default();
        i.intern(""); // Sym(0) is the empty string.
        i
    }

    pub fn get(&self, s: &str) -> Option<Sym> {
        let h = hash_str(s);
        match self.by_hash.get(&h) {
            Some(&id) if self.resolve(Sym(id)) == s => Some(Sym(id)),
            Some(_) => self.collisions.get(s).map(|&id| Sym(id)),
            None => None,
        }
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(sym) = self.get(s) {
            return sym;
        }
        let id = self.ends.len() as u32;
        self.arena.push_str(s);
        self.ends.push(self.arena.len() as u64);
        let h = hash_str(s);
        match self.by_hash.entry(h) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collisions.insert(s.into(), id);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(id);
            }
        }
        Sym(id)
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        let i = sym.0 as usize;
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0) as usize
        };
        self.arena.get(start..end).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.ends.capacity() * 8 + self.by_hash.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once() {
        let mut i = Interner::new();
        let a = i.intern("E119");
        let b = i.intern("I10");
        assert_ne!(a, b);
        assert_eq!(i.intern("E119"), a);
        assert_eq!(i.resolve(a), "E119");
        assert_eq!(i.resolve(b), "I10");
        assert_eq!(i.get("missing"), None);
        assert_eq!(i.resolve(Sym(0)), "");
    }

    #[test]
    fn sequential_ids_do_not_collide() {
        // The shapes real feeds use: numbered ids of every length, HL7 keys, UUID-like text.
        let mut i = Interner::new();
        for n in 0..100_000u32 {
            i.intern(&format!("enc-{n}"));
            i.intern(&format!("P{n:08}"));
            i.intern(&format!("GENHOSP|MRN{n}"));
            i.intern(&format!("hl7:enc:GENHOSP:V{n}"));
            i.intern(&format!("{n:08x}-7d2c-4f3e-9a1b-{:012x}", n ^ 0x5a5a));
        }
        assert_eq!(i.len(), 1 + 5 * 100_000);
        // A 64-bit hash over 500k strings: any collision at all would be a structural flaw.
        assert!(i.collisions.len() <= 1, "{} collisions", i.collisions.len());
        assert_eq!(i.resolve(i.get("P00012345").unwrap()), "P00012345");
    }
}
