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

/// Strings in one arena; `ends[i]` is where string `i` ends. Lookup is by hash in an
/// open-addressing table of `(hash, id + 1)` slots (0 = free), probed linearly: a look-up
/// costs the slot, then `ends` and the arena to confirm, and strings whose hashes happen to be
/// equal simply sit in later slots of the same probe.
#[derive(Default, Clone)]
pub struct Interner {
    arena: String,
    ends: Vec<u64>,
    slots: Vec<(u64, u32)>,
}

/// Grow past 70 % load: probes stay within a cache line or two.
const MAX_LOAD_PERCENT: usize = 70;

impl Interner {
    pub fn new() -> Self {
        let mut i = Interner::default();
        i.intern(""); // Sym(0) is the empty string.
        i
    }

    /// `Ok(sym)` when `s` (of hash `h`) is interned, else `Err(free slot)` where it would go
    /// (`Err(usize::MAX)` while the table is empty).
    fn find(&self, s: &str, h: u64) -> Result<Sym, usize> {
        if self.slots.is_empty() {
            return Err(usize::MAX);
        }
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let (sh, id1) = self.slots[i];
            if id1 == 0 {
                return Err(i);
            }
            if sh == h && self.resolve(Sym(id1 - 1)) == s {
                return Ok(Sym(id1 - 1));
            }
            i = (i + 1) & mask;
        }
    }

    pub fn get(&self, s: &str) -> Option<Sym> {
        self.find(s, hash_str(s)).ok()
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        self.intern_hashed(s, hash_str(s))
    }

    /// [`Interner::intern`] with the hash given (tests force equal hashes through this).
    fn intern_hashed(&mut self, s: &str, h: u64) -> Sym {
        let mut free = match self.find(s, h) {
            Ok(sym) => return sym,
            Err(i) => i,
        };
        if (self.ends.len() + 1) * 100 > self.slots.len() * MAX_LOAD_PERCENT {
            self.grow();
            free = self.find(s, h).err().unwrap_or(usize::MAX);
        }
        let id = self.ends.len() as u32;
        self.arena.push_str(s);
        self.ends.push(self.arena.len() as u64);
        if let Some(slot) = self.slots.get_mut(free) {
            *slot = (h, id + 1);
        }
        Sym(id)
    }

    /// Doubles the table, placing every entry again from its stored hash.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); size]);
        let mask = size - 1;
        for (h, id1) in old.into_iter().filter(|s| s.1 != 0) {
            let mut i = h as usize & mask;
            while self.slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = (h, id1);
        }
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
        self.arena.capacity() + self.ends.capacity() * 8 + self.slots.capacity() * 16
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
        let hashes: std::collections::HashSet<u64> =
            i.slots.iter().filter(|s| s.1 != 0).map(|s| s.0).collect();
        assert!(
            hashes.len() + 1 >= i.len(),
            "{} collisions",
            i.len() - hashes.len()
        );
        assert_eq!(i.resolve(i.get("P00012345").unwrap()), "P00012345");
    }

    #[test]
    fn equal_hashes_keep_their_own_strings() {
        // Strings forced onto one hash sit in successive slots and are told apart by content,
        // across growth of the table.
        let mut i = Interner::new();
        let words: Vec<String> = (0..200).map(|n| format!("w{n}")).collect();
        let syms: Vec<Sym> = words.iter().map(|w| i.intern_hashed(w, 42)).collect();
        for (w, s) in words.iter().zip(&syms) {
            assert_eq!(i.resolve(*s), w);
            assert_eq!(i.intern_hashed(w, 42), *s);
            assert_eq!(i.find(w, 42), Ok(*s));
        }
        assert!(i.find("w200", 42).is_err());
        assert_eq!(i.intern("E119"), i.intern("E119"));
        assert_eq!(i.get(""), Some(Sym(0)));
    }
}
