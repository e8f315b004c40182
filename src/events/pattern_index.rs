//! [`RuleIndex`]: many patterns at once, filed so that an event looks only at the rules its
//! own values can satisfy. The scheme is described in the [`events`](super) module docs
//! ("Many rules").

use super::pattern::{Alternative, Field, IndexKey, Pattern};
use super::pattern_flat::{self, first_byte_key, value_key, KeyHasher, PathSet, Scalar};
use crate::hash::FxHasher;
use smallvec::SmallVec;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash};

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
    /// How many filings are under first-byte keys (when none, strings are not looked up so).
    first_byte_filings: usize,
    /// The paths the rules read: the rest of an event is not flattened.
    paths: PathSet,
}

struct Rule<T> {
    id: T,
    pattern: Pattern,
    /// The keys this rule's alternatives were filed under (and whether each is a first-byte
    /// key), to unfile them on removal.
    keys: Vec<(u64, bool)>,
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
            first_byte_filings: 0,
            paths: PathSet::default(),
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
                    for key in field.conds.iter().filter_map(|c| c.index_key()) {
                        let hashed = hash_key(field.hash, key);
                        let bucket = self.keyed.entry(hashed).or_default();
                        if !bucket.contains(&r) {
                            bucket.push(r);
                            let first_byte = matches!(key, IndexKey::FirstByte(_));
                            self.first_byte_filings += usize::from(first_byte);
                            keys.push((hashed, first_byte));
                        }
                    }
                }
                None => self.unkeyed.push(r),
            }
        }
        for field in pattern.alternatives().iter().flat_map(|a| a.fields.iter()) {
            self.paths.add(&field.path);
        }
        self.rules[slot as usize] = Some(Rule {
            id: id.clone(),
            pattern,
            keys,
        });
        self.slots.insert(id, slot);
        old
    }

    /// The field to key `alt` by: one whose conditions all have an index key (exact values,
    /// non-empty prefixes) and whose buckets hold the fewest alternatives now.
    fn key_field<'a>(&self, alt: &'a Alternative) -> Option<&'a Field> {
        alt.fields
            .iter()
            .filter(|f| {
                !f.any_value
                    && !f.absent_ok
                    && !f.conds.is_empty()
                    && f.conds.iter().all(|c| c.index_key().is_some())
            })
            .min_by_key(|f| {
                f.conds
                    .iter()
                    .filter_map(|c| c.index_key())
                    .map(|k| 1 + self.keyed.get(&hash_key(f.hash, k)).map_or(0, |b| b.len()))
                    .sum::<usize>()
            })
            .map(|f| &**f)
    }

    /// Removes rule `id`, returning its pattern.
    pub fn remove(&mut self, id: &T) -> Option<Pattern> {
        let slot = self.slots.remove(id)?;
        let rule = self.rules[slot as usize].take()?;
        for (key, first_byte) in &rule.keys {
            self.first_byte_filings -= usize::from(*first_byte);
            if let Some(bucket) = self.keyed.get_mut(key) {
                bucket.retain(|r| r.slot != slot);
                if bucket.is_empty() {
                    self.keyed.remove(key);
                }
            }
        }
        self.unkeyed.retain(|r| r.slot != slot);
        for field in rule
            .pattern
            .alternatives()
            .iter()
            .flat_map(|a| a.fields.iter())
        {
            self.paths.remove(&field.path);
        }
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
        pattern_flat::with_flat(event, &self.paths, |flat| {
            SCRATCH.with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => self.collect(flat, &mut scratch, out),
                Err(_) => self.collect(flat, &mut Scratch::default(), out),
            })
        });
    }

    /// How many alternatives `event` makes candidates (the ones fully checked).
    #[cfg(test)]
    pub(crate) fn candidates(&self, event: &crate::value::Value) -> usize {
        pattern_flat::with_flat(event, &self.paths, |flat| {
            let mut scratch = Scratch::default();
            self.collect(flat, &mut scratch, &mut Vec::new());
            scratch.candidates.len()
        })
    }

    fn collect(&self, flat: &mut pattern_flat::Flat, s: &mut Scratch, out: &mut Vec<T>) {
        s.candidates.clear();
        s.seen.clear();
        s.matched.clear();
        let by_first_byte = self.first_byte_filings > 0;
        for (_, hash, value) in flat.leaves() {
            let first = match value {
                Scalar::Str(t) if by_first_byte => t.as_bytes().first().copied(),
                _ => None,
            };
            let exact = self.keyed.get(&value_key(hash, value));
            let prefixed = first.and_then(|b| self.keyed.get(&first_byte_key(hash, b)));
            for r in exact.into_iter().chain(prefixed).flatten() {
                if s.seen.insert(*r) {
                    s.candidates.push(*r);
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

/// The hashed index key of `key` at a path whose hash is `path`.
fn hash_key(path: u64, key: IndexKey<'_>) -> u64 {
    match key {
        IndexKey::Exact(v) => value_key(path, v),
        IndexKey::FirstByte(b) => first_byte_key(path, b),
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
