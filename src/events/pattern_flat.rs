//! An event flattened into leaves, and the check of one pattern alternative against it.
//!
//! Patterns address fields by dotted path, so an event is read once into a list of leaves
//! (path, scalar value, and the array elements the value sits in), ordered by path; a field's
//! values are then one binary search away. Only the parts of the event some pattern reads are
//! flattened: a [`PathSet`] holds the paths of the patterns (of one pattern, or of all the rules
//! of an index) and their dotted prefixes, and a subtree whose path is not among them is
//! skipped. The buffers are reused from event to event (one
//! per thread, see [`with_flat`]), so after the first few events matching allocates nothing:
//! paths and strings are copied into two growing `String`s rather than borrowed, which keeps
//! the buffer free of the event's lifetime.
//!
//! # Array consistency
//!
//! AWS matches "array-consistently": the values chosen for the fields of one alternative may
//! not come from different elements of the same event array. Each leaf carries its trail,
//! the (array, index) pairs on its way down from the root; two leaves conflict when they pass
//! through one array at different indices. Most alternatives never need more: a field with a
//! matching value outside every array (or the only field whose values are inside arrays)
//! conflicts with nothing. Otherwise [`Flat::consistent`] solves the choice exactly, array by
//! array: fields whose values all lie inside one array must share an element, and for each
//! shared element the question repeats one level down. Leaves are kept in document order
//! within a path, so each field's candidates inside one element are a contiguous run and the
//! search is a merge of sorted runs, linear in the number of candidates per level.

use super::pattern::Alternative;
use crate::hash::FxHasher;
use crate::value::{Value, MAX_DEPTH};
use smallvec::SmallVec;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

/// A scalar value of an event (the leaves of its JSON tree).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'a str),
}

/// A stored scalar: strings point into [`Flat::strings`].
#[derive(Clone, Copy)]
enum Stored {
    Null,
    Bool(bool),
    Num(f64),
    Str(u32, u32),
}

#[derive(Clone, Copy)]
struct Leaf {
    /// [`path_hash`] of the path: leaves are sorted by it, and the index keys start from it.
    hash: u64,
    /// Into `Flat::paths`.
    path: (u32, u32),
    value: Stored,
    /// Into `Flat::trails`.
    trail: (u32, u32),
}

/// One array step of a leaf's trail: (array number, element index).
type Step = (u32, u32);

/// A flattened event and the scratch space to match against it.
#[derive(Default)]
pub(crate) struct Flat {
    paths: String,
    strings: String,
    /// In document order.
    leaves: Vec<Leaf>,
    /// The leaves by path: `hash << 32 | index`, sorted (so document order within a path).
    by_path: Vec<u128>,
    trails: Vec<Step>,
    /// Building state: the current path and trail.
    path_buf: String,
    trail_stack: Vec<Step>,
    next_array: u32,
    /// The current path once stored (and its hash); `None` after `path_buf` changes.
    stored_path: Option<((u32, u32), u64)>,
    /// The hash of `path_buf`, kept as the walk descends.
    path_hash: u64,
    /// Per alternative: candidate leaves of the fields that need a consistency check.
    cands: Vec<u32>,
    spans: Vec<Range<usize>>,
    /// Set when the buffers outgrew `u32` offsets; the rest of the event is then ignored.
    truncated: bool,
}

thread_local! {
    static FLAT: RefCell<Flat> = RefCell::new(Flat::default());
}

/// Runs `f` on the leaves of `event` under `paths`, flattened into this thread's reusable
/// buffer.
pub(crate) fn with_flat<R>(event: &Value, paths: &PathSet, f: impl FnOnce(&mut Flat) -> R) -> R {
    FLAT.with(|cell| match cell.try_borrow_mut() {
        Ok(mut flat) => {
            flat.load(event, Some(paths));
            f(&mut flat)
        }
        // Re-entered (a caller matching from inside a match): use a fresh buffer.
        Err(_) => {
            let mut flat = Flat::default();
            flat.load(event, Some(paths));
            f(&mut flat)
        }
    })
}

/// The paths some pattern reads, with every dotted prefix of them: the event is flattened only
/// where it can reach one. Counted, so that rules can be removed from an index's set.
#[derive(Default, Clone, Debug)]
pub(crate) struct PathSet {
    prefixes: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
}

impl PathSet {
    /// `path` and each of its prefixes ending before a dot.
    fn prefixes(path: &str) -> impl Iterator<Item = &str> {
        path.match_indices('.')
            .map(move |(i, _)| &path[..i])
            .chain(std::iter::once(path))
    }

    pub(crate) fn add(&mut self, path: &str) {
        for prefix in Self::prefixes(path) {
            *self.prefixes.entry(path_hash(prefix)).or_default() += 1;
        }
    }

    pub(crate) fn remove(&mut self, path: &str) {
        for prefix in Self::prefixes(path) {
            let hash = path_hash(prefix);
            if let Some(n) = self.prefixes.get_mut(&hash) {
                *n -= 1;
                if *n == 0 {
                    self.prefixes.remove(&hash);
                }
            }
        }
    }

    fn contains(&self, hash: u64) -> bool {
        self.prefixes.contains_key(&hash)
    }
}

fn offset(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}

impl Flat {
    /// Replaces the contents with the leaves of `event` (with `paths`, only those at or
    /// under one of them). Only objects have fields; deeper than [`MAX_DEPTH`] (unreachable
    /// from parsed JSON) nothing is read.
    pub(crate) fn load(&mut self, event: &Value, paths: Option<&PathSet>) {
        self.paths.clear();
        self.strings.clear();
        self.leaves.clear();
        self.by_path.clear();
        self.trails.clear();
        self.path_buf.clear();
        self.trail_stack.clear();
        self.next_array = 0;
        self.stored_path = None;
        self.truncated = false;
        if let Value::Object(_) = event {
            self.walk(event, 0, paths);
        }
        // PERF: sorted by path hash, not path text, and as 16-byte keys rather than leaves.
        // Under callgrind, comparing path strings was two thirds of `events/naive/10`, and
        // moving whole leaves a quarter of `events/match/10`; criterion: `events/match/10`
        // 2.04 -> 0.99 us for the first change.
        self.by_path.extend(
            self.leaves
                .iter()
                .enumerate()
                .map(|(i, l)| (u128::from(l.hash) << 32) | i as u128),
        );
        self.by_path.sort_unstable();
    }

    fn walk(&mut self, v: &Value, depth: usize, paths: Option<&PathSet>) {
        if depth > MAX_DEPTH || self.truncated {
            return;
        }
        match v {
            Value::Object(map) => {
                let outer_hash = self.path_hash;
                for (key, child) in map.iter() {
                    let len = self.path_buf.len();
                    if depth > 0 {
                        self.path_buf.push('.');
                    }
                    self.path_buf.push_str(key);
                    // PERF: a subtree no pattern reads is skipped whole: most of the event in
                    // `events/match/*`, where flattening was half the instructions. With
                    // first-byte keys and the 16-byte sort: 13,575 -> 9,383 instructions per
                    // event for `events/match/1000` (callgrind).
                    self.path_hash = path_hash(&self.path_buf);
                    if paths.is_none_or(|p| p.contains(self.path_hash)) {
                        self.stored_path = None;
                        self.walk(child, depth + 1, paths);
                    }
                    self.path_buf.truncate(len);
                    self.stored_path = None;
                }
                self.path_hash = outer_hash;
            }
            Value::Array(items) => {
                let id = self.next_array;
                self.next_array = self.next_array.wrapping_add(1);
                for (i, item) in items.iter().enumerate() {
                    self.trail_stack.push((id, i as u32));
                    self.walk(item, depth + 1, paths);
                    self.trail_stack.pop();
                }
            }
            Value::Null => self.push(Stored::Null),
            Value::Bool(b) => self.push(Stored::Bool(*b)),
            Value::Int(i) => self.push(Stored::Num(*i as f64)),
            Value::Float(f) => self.push(Stored::Num(*f)),
            Value::String(s) => {
                let (Some(start), Some(end)) = (
                    offset(self.strings.len()),
                    offset(self.strings.len() + s.len()),
                ) else {
                    self.truncated = true;
                    return;
                };
                self.strings.push_str(s);
                self.push(Stored::Str(start, end));
            }
        }
    }

    fn push(&mut self, value: Stored) {
        // Values of one array share their path: store it once.
        let (path, hash) = match self.stored_path {
            Some(stored) => stored,
            None => {
                let (Some(start), Some(end)) = (
                    offset(self.paths.len()),
                    offset(self.paths.len() + self.path_buf.len()),
                ) else {
                    self.truncated = true;
                    return;
                };
                self.paths.push_str(&self.path_buf);
                let stored = ((start, end), self.path_hash);
                self.stored_path = Some(stored);
                stored
            }
        };
        let (Some(t0), Some(t1), Some(_)) = (
            offset(self.trails.len()),
            offset(self.trails.len() + self.trail_stack.len()),
            offset(self.leaves.len()),
        ) else {
            self.truncated = true;
            return;
        };
        if !self.trail_stack.is_empty() {
            self.trails.extend_from_slice(&self.trail_stack);
        }
        self.leaves.push(Leaf {
            hash,
            path,
            value,
            trail: (t0, t1),
        });
    }

    fn path(&self, leaf: &Leaf) -> &str {
        &self.paths[leaf.path.0 as usize..leaf.path.1 as usize]
    }

    fn scalar(&self, leaf: &Leaf) -> Scalar<'_> {
        match leaf.value {
            Stored::Null => Scalar::Null,
            Stored::Bool(b) => Scalar::Bool(b),
            Stored::Num(n) => Scalar::Num(n),
            Stored::Str(a, b) => Scalar::Str(&self.strings[a as usize..b as usize]),
        }
    }

    fn trail(&self, leaf: u32) -> &[Step] {
        let (a, b) = self.leaves[leaf as usize].trail;
        &self.trails[a as usize..b as usize]
    }

    /// Every leaf of the event: its dotted path, the path's [`path_hash`], and its value.
    pub(crate) fn leaves(&self) -> impl Iterator<Item = (&str, u64, Scalar<'_>)> + '_ {
        self.leaves
            .iter()
            .map(|l| (self.path(l), l.hash, self.scalar(l)))
    }

    /// The leaves whose path hash is `hash`, as a range of `self.by_path` (in document
    /// order; callers skip the rare leaf of another path with the same hash).
    fn at(&self, hash: u64) -> Range<usize> {
        let key = |e: &u128| (e >> 32) as u64;
        let start = self.by_path.partition_point(|e| key(e) < hash);
        let len = self.by_path[start..].partition_point(|e| key(e) == hash);
        start..start + len
    }

    /// `true` if `alt` matches the loaded event.
    pub(crate) fn matches_alternative(&mut self, alt: &Alternative) -> bool {
        self.cands.clear();
        self.spans.clear();
        for field in alt.fields.iter() {
            let range = self.at(field.hash);
            let mut present = false;
            let mark = self.cands.len();
            let mut free = false;
            for k in range {
                let i = (self.by_path[k] & 0xffff_ffff) as usize;
                let leaf = self.leaves[i];
                if self.path(&leaf) != &*field.path {
                    continue;
                }
                present = true;
                if !field.accepts(self.scalar(&leaf)) {
                    continue;
                }
                // A value outside every array conflicts with nothing: the field is settled.
                if leaf.trail.0 == leaf.trail.1 {
                    free = true;
                    break;
                }
                self.cands.push(i as u32);
            }
            if free {
                self.cands.truncate(mark);
            } else if !present {
                if !field.absent_ok {
                    return false;
                }
            } else if self.cands.len() == mark {
                return false;
            } else {
                self.spans.push(mark..self.cands.len());
            }
        }
        if self.spans.len() <= 1 {
            return true;
        }
        let fields: SmallVec<[&[u32]; 4]> =
            self.spans.iter().map(|r| &self.cands[r.clone()]).collect();
        self.consistent(&fields, 0)
    }

    /// Can each field pick one of its candidates so that no two picks sit in different
    /// elements of one array? All candidates share their first `depth` trail steps.
    fn consistent(&self, fields: &[&[u32]], depth: usize) -> bool {
        // A field with a candidate that goes no deeper conflicts with nothing here.
        let rest: SmallVec<[&[u32]; 4]> = fields
            .iter()
            .copied()
            .filter(|c| c.iter().all(|&l| self.trail(l).len() > depth))
            .collect();
        if rest.len() <= 1 {
            return true;
        }
        let array_of = |l: u32| self.trail(l)[depth].0;
        let index_of = |l: u32| self.trail(l)[depth].1;
        // A field whose candidates lie in different arrays here (possible only through keys
        // that contain dots): try each array in turn.
        if let Some(i) = rest
            .iter()
            .position(|c| array_of(c[0]) != array_of(c[c.len() - 1]))
        {
            return runs(rest[i], array_of).any(|run| {
                let mut choice = rest.clone();
                choice[i] = run;
                self.consistent(&choice, depth)
            });
        }
        // Fields in different arrays do not interact; fields in one array share an element.
        let mut by_array = rest;
        by_array.sort_by_key(|c| array_of(c[0]));
        by_array
            .chunk_by(|a, b| array_of(a[0]) == array_of(b[0]))
            .all(|group| self.share_an_element(group, depth, index_of))
    }

    /// Some element of the array at `depth` holds a consistent choice for every field.
    fn share_an_element(
        &self,
        group: &[&[u32]],
        depth: usize,
        index_of: impl Fn(u32) -> u32 + Copy,
    ) -> bool {
        if group.len() == 1 {
            return true;
        }
        // Each field's candidates, split into runs by element (ascending), merged.
        let mut iters: SmallVec<[_; 4]> =
            group.iter().map(|c| runs(c, index_of).peekable()).collect();
        loop {
            let mut target = 0;
            for it in iters.iter_mut() {
                match it.peek() {
                    Some(run) => target = target.max(index_of(run[0])),
                    None => return false,
                }
            }
            let mut all_there = true;
            for it in iters.iter_mut() {
                while it.peek().is_some_and(|run| index_of(run[0]) < target) {
                    it.next();
                }
                match it.peek() {
                    Some(run) if index_of(run[0]) == target => {}
                    Some(_) => all_there = false,
                    None => return false,
                }
            }
            if !all_there {
                continue;
            }
            let element: SmallVec<[&[u32]; 4]> =
                iters.iter_mut().filter_map(|it| it.next()).collect();
            if self.consistent(&element, depth + 1) {
                return true;
            }
        }
    }
}

/// The hash of a dotted path, the same for a pattern's field and an event's leaf.
pub(crate) fn path_hash(path: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(path.as_bytes());
    h.finish()
}

/// The index key of `value` at a path whose [`path_hash`] is `path`. Numbers hash by value
/// (`300` and `300.0` agree; so do `0` and `-0`).
pub(crate) fn value_key(path: u64, value: Scalar<'_>) -> u64 {
    let mut h = FxHasher { hash: path };
    match value {
        Scalar::Str(s) => {
            h.write_u8(1);
            h.write(s.as_bytes());
        }
        Scalar::Num(n) => {
            h.write_u8(2);
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

/// The index key of strings that start with `first` at a path whose [`path_hash`] is
/// `path` (distinct from every [`value_key`]).
pub(crate) fn first_byte_key(path: u64, first: u8) -> u64 {
    let mut h = FxHasher { hash: path };
    h.write_u8(5);
    h.write_u8(first);
    h.finish()
}

/// Hashes an already-hashed `u64` key by passing it through.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

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

/// `cands` split into maximal runs of equal `key`.
fn runs<'a>(
    cands: &'a [u32],
    key: impl Fn(u32) -> u32 + 'a,
) -> impl Iterator<Item = &'a [u32]> + 'a {
    cands.chunk_by(move |&a, &b| key(a) == key(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;

    fn flat(event: &str) -> Flat {
        let mut f = Flat::default();
        f.load(&parse_json(event).unwrap(), None);
        f
    }

    #[test]
    fn nested_objects_and_arrays_flatten_to_dotted_paths() {
        let f = flat(
            r#"{"a": {"b": 1, "c": [true, null, "x"]}, "d.e": {"f": [[2]]}, "g": [], "h": {}}"#,
        );
        let mut got: Vec<(String, Scalar)> =
            f.leaves().map(|(p, _, v)| (p.to_string(), v)).collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                ("a.b".to_string(), Scalar::Num(1.0)),
                ("a.c".to_string(), Scalar::Bool(true)),
                ("a.c".to_string(), Scalar::Null),
                ("a.c".to_string(), Scalar::Str("x")),
                ("d.e.f".to_string(), Scalar::Num(2.0)),
            ]
        );
    }

    #[test]
    fn only_the_paths_patterns_read_are_flattened() {
        let mut paths = PathSet::default();
        paths.add("a.c");
        paths.add("x.y.z");
        let mut f = Flat::default();
        let event = r#"{"a": {"b": 1, "c": [2, {"d": 3}]}, "x.y": {"z": 4}, "q": 5}"#;
        f.load(&parse_json(event).unwrap(), Some(&paths));
        let mut got: Vec<(String, Scalar)> =
            f.leaves().map(|(p, _, v)| (p.to_string(), v)).collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                ("a.c".to_string(), Scalar::Num(2.0)),
                ("x.y.z".to_string(), Scalar::Num(4.0))
            ]
        );
        // Counted: removing one of two readers of a path keeps it.
        paths.add("a.c");
        paths.remove("a.c");
        f.load(&parse_json(event).unwrap(), Some(&paths));
        assert_eq!(f.leaves().count(), 2);
        paths.remove("a.c");
        f.load(&parse_json(event).unwrap(), Some(&paths));
        assert_eq!(f.leaves().count(), 1);
    }

    #[test]
    fn reloading_reuses_the_buffers() {
        let mut f = flat(r#"{"a": "one", "b": ["two", "three"]}"#);
        let caps = (
            f.paths.capacity(),
            f.strings.capacity(),
            f.leaves.capacity(),
        );
        f.load(&parse_json(r#"{"b": "x", "a": ["y"]}"#).unwrap(), None);
        assert_eq!(
            caps,
            (
                f.paths.capacity(),
                f.strings.capacity(),
                f.leaves.capacity()
            )
        );
        assert_eq!(f.leaves().count(), 2);
    }

    #[test]
    fn non_object_events_have_no_leaves() {
        assert_eq!(flat("[1, 2]").leaves().count(), 0);
        assert_eq!(flat(r#""text""#).leaves().count(), 0);
    }
}
