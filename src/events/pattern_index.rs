//! Many patterns at once: which rules does this event match?
//!
//! An event bus holds hundreds of rules, and nearly all of them say `"source": ["..."]` or
//! `"detail-type": ["..."]`: most rules cannot match a given event because one of their
//! exact values is not in it. The index exploits that.
//!
//! # The scheme
//!
//! 1. Each alternative of each pattern is *keyed* by one of its fields whose conditions are
//!    all exact values (strings, numbers, booleans, `null`; no `exists`), under every
//!    (path, value) pair that field accepts. The field chosen is the one whose values'
//!    buckets are emptiest when the rule is inserted, so rules sharing `"source": ["aws.ec2"]`
//!    but differing in `detail-type` spread over the `detail-type` buckets.
//! 2. An alternative with no such field (only prefixes, ranges, `anything-but`, `exists`, ...)
//!    is *unkeyed*.
//! 3. To match an event, it is flattened once into (path, value) leaves. Each leaf's pair is
//!    looked up (one hash of the path and value); the alternatives found there, plus the
//!    unkeyed ones, are the only candidates, and each is checked in full (all its fields,
//!    array consistency) against the flattened event. A rule matches when one of its
//!    alternatives does; each rule is reported once, in slot order.
//!
//! The cost of an event is therefore one flattening and one lookup per leaf (proportional to
//! the fields the event carries), plus a full check of the candidates its own values select
//! and of the unkeyed alternatives. Rules keyed on values the event does not carry cost
//! nothing. Keys are 64-bit hashes, so a collision can only add a candidate, which the full
//! check then rejects.
//!
//! The flattened event and the candidate lists live in thread-local buffers that are reset,
//! not rebuilt: matching allocates only the `Vec` of results (none with
//! [`RuleIndex::matches_into`] and a reused vector).

use super::pattern::{Alternative, Field, Pattern};
use super::pattern_flat::{self, Scalar};
use smallvec::SmallVec;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Patterns indexed for matching many of them against each event.
///
/// # Example
///
/// ```
/// use aslx::events::{Pattern, RuleIndex};
/// use aslx::parse_json;
///
/// let mut rules = RuleIndex::new();
/// rules.insert("orders", Pattern::new(r#"{"source": ["shop.orders"]}"#).unwrap());
/// rules.insert("big", Pattern::new(r#"{"detail": {"total": [{"numeric": [">=", 1000]}]}}"#).unwrap());
/// rules.insert("refunds", Pattern::new(r#"{"source": ["shop.refunds"]}"#).unwrap());
///
/// let event = parse_json(r#"{"source": "shop.orders", "detail": {"total": 1500}}"#).unwrap();
/// assert_eq!(rules.matches(&event), vec!["orders", "big"]);
/// ```
pub struct RuleIndex<T> {
    rules: Vec<Option<Rule<T>>>,
    slots: HashMap<T, u32>,
    free: Vec<u32>,
    /// Key (hash of path and exact value) to the alternatives keyed under it.
    keyed: HashMap<u64, SmallVec<[AltRef; 2]>, BuildHasherDefault<KeyHasher>>,
    /// Alternatives with no exact-value field: candidates for every event.
    unkeyed: Vec<AltRef>,
}

struct Rule<T> {
    id: T,
    pattern: Pattern,
    /// The keys this rule's alternatives were filed under, to unfile them on removal.
    keys: Vec<u64>,
}

/// Alternative `alt` of the rule in slot `slot`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct AltRef {
    slot: u32,
    alt: u32,
}

impl<T> Default for RuleIndex<T> {
    fn default() -> Self {
        RuleIndex {
            rules: Vec::new(),
            slots: HashMap::new(),
            free: Vec::new(),
            keyed: HashMap::default(),
            unkeyed: Vec::new(),
        }
    }
}

impl<T> fmt::Debug for RuleIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleIndex")
            .field("rules", &self.slots.len())
            .field("keys", &self.keyed.len())
            .field("unkeyed", &self.unkeyed.len())
            .finish()
    }
}

impl<T: Clone + Eq + Hash> RuleIndex<T> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// `true` when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The pattern of rule `id`.
    pub fn get(&self, id: &T) -> Option<&Pattern> {
        let slot = *self.slots.get(id)?;
        self.rules[slot as usize].as_ref().map(|r| &r.pattern)
    }

    /// Adds rule `id`, or replaces its pattern (returning the old one).
    ///
    /// # Panics
    ///
    /// With more than `u32::MAX` rules.
    pub fn insert(&mut self, id: T, pattern: Pattern) -> Option<Pattern> {
        let old = self.remove(&id);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.rules.push(None);
                u32::try_from(self.rules.len() - 1).expect("more than u32::MAX rules")
            }
        };
        let mut keys = Vec::new();
        for (i, alt) in pattern.alternatives().iter().enumerate() {
            let r = AltRef {
                slot,
                alt: i as u32,
            };
            match self.key_field(alt) {
                Some(field) => {
                    for cond in field.conds.iter() {
                        let key = key_of(&field.path, cond.exact().unwrap_or(Scalar::Null));
                        let bucket = self.keyed.entry(key).or_default();
                        if !bucket.contains(&r) {
                            bucket.push(r);
                            keys.push(key);
                        }
                    }
                }
                None => self.unkeyed.push(r),
            }
        }
        self.rules[slot as usize] = Some(Rule {
            id: id.clone(),
            pattern,
            keys,
        });
        self.slots.insert(id, slot);
        old
    }

    /// The field to key `alt` by: all-exact conditions, whose buckets hold the fewest
    /// alternatives now.
    fn key_field<'a>(&self, alt: &'a Alternative) -> Option<&'a Field> {
        alt.fields
            .iter()
            .filter(|f| {
                !f.any_value
                    && !f.absent_ok
                    && !f.conds.is_empty()
                    && f.conds.iter().all(|c| c.exact().is_some())
            })
            .min_by_key(|f| {
                f.conds
                    .iter()
                    .map(|c| {
                        let key = key_of(&f.path, c.exact().unwrap_or(Scalar::Null));
                        1 + self.keyed.get(&key).map_or(0, |b| b.len())
                    })
                    .sum::<usize>()
            })
            .map(|f| &**f)
    }

    /// Removes rule `id`, returning its pattern.
    pub fn remove(&mut self, id: &T) -> Option<Pattern> {
        let slot = self.slots.remove(id)?;
        let rule = self.rules[slot as usize].take()?;
        for key in &rule.keys {
            if let Some(bucket) = self.keyed.get_mut(key) {
                bucket.retain(|r| r.slot != slot);
                if bucket.is_empty() {
                    self.keyed.remove(key);
                }
            }
        }
        self.unkeyed.retain(|r| r.slot != slot);
        self.free.push(slot);
        Some(rule.pattern)
    }

    /// The ids of the rules `event` matches, in slot order (insertion order while no rule
    /// has been removed).
    pub fn matches(&self, event: &crate::value::Value) -> Vec<T> {
        let mut out = Vec::new();
        self.matches_into(event, &mut out);
        out
    }

    /// As [`RuleIndex::matches`], appending to `out` (which is not cleared).
    pub fn matches_into(&self, event: &crate::value::Value, out: &mut Vec<T>) {
        if self.is_empty() {
            return;
        }
        pattern_flat::with_flat(event, |flat| {
            SCRATCH.with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => self.collect(flat, &mut scratch, out),
                Err(_) => self.collect(flat, &mut Scratch::default(), out),
            })
        });
    }

    /// How many alternatives `event` makes candidates (the ones fully checked).
    #[cfg(test)]
    pub(crate) fn candidates(&self, event: &crate::value::Value) -> usize {
        pattern_flat::with_flat(event, |flat| {
            let mut scratch = Scratch::default();
            self.collect(flat, &mut scratch, &mut Vec::new());
            scratch.candidates.len()
        })
    }

    fn collect(&self, flat: &mut pattern_flat::Flat, s: &mut Scratch, out: &mut Vec<T>) {
        s.candidates.clear();
        s.seen.clear();
        s.matched.clear();
        for (path, value) in flat.leaves() {
            if let Some(bucket) = self.keyed.get(&key_of(path, value)) {
                for r in bucket {
                    if s.seen.insert(*r) {
                        s.candidates.push(*r);
                    }
                }
            }
        }
        s.candidates.extend_from_slice(&self.unkeyed);
        // Slot order, so that a rule's alternatives are checked together and results are
        // reported in a stable order.
        s.candidates.sort_unstable_by_key(|r| (r.slot, r.alt));
        let mut last_matched = None;
        for r in &s.candidates {
            if last_matched == Some(r.slot) {
                continue;
            }
            let Some(rule) = &self.rules[r.slot as usize] else {
                continue;
            };
            if flat.matches_alternative(&rule.pattern.alternatives()[r.alt as usize]) {
                last_matched = Some(r.slot);
                s.matched.push(r.slot);
            }
        }
        for &slot in &s.matched {
            if let Some(rule) = &self.rules[slot as usize] {
                out.push(rule.id.clone());
            }
        }
    }
}

/// Per-thread buffers for [`RuleIndex::matches_into`], reset on each call.
#[derive(Default)]
struct Scratch {
    candidates: Vec<AltRef>,
    seen: HashSet<AltRef, BuildHasherDefault<FxHasher>>,
    matched: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The index key of a value at a path. Numbers hash by value (`300` and `300.0` agree).
fn key_of(path: &str, value: Scalar<'_>) -> u64 {
    let mut h = FxHasher::default();
    h.write(path.as_bytes());
    match value {
        Scalar::Str(s) => {
            h.write_u8(1);
            h.write(s.as_bytes());
        }
        Scalar::Num(n) => {
            h.write_u8(2);
            // -0.0 == 0.0: one key.
            h.write_u64(if n == 0.0 { 0 } else { n.to_bits() });
        }
        Scalar::Bool(b) => {
            h.write_u8(3);
            h.write_u8(b as u8);
        }
        Scalar::Null => h.write_u8(4),
    }
    h.finish()
}

/// A fast non-cryptographic hasher (the multiply-rotate scheme of rustc's `FxHasher`). Keys
/// come from the rules and the events; a collision only adds a candidate to check.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
        // Length, so that "ab" + "c" and "a" + "bc" differ.
        self.add(bytes.len() as u64);
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Hashes an already-hashed `u64` key by passing it through.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
