//! An event flattened into leaves, and the check of one pattern alternative against it.
//!
//! Patterns address fields by dotted path, so an event is read once into a list of leaves
//! (path, scalar value, and the array elements the value sits in), sorted by path; a field's
//! values are then one binary search away. The buffers are reused from event to event (one
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
use crate::value::{Value, MAX_DEPTH};
use smallvec::SmallVec;
use std::cell::RefCell;
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
    /// Into `Flat::paths`.
    path: (u32, u32),
    value: Stored,
    /// Into `Flat::trails`.
    trail: (u32, u32),
    /// Document order, to keep it among leaves of one path after sorting.
    seq: u32,
}

/// One array step of a leaf's trail: (array number, element index).
type Step = (u32, u32);

/// A flattened event and the scratch space to match against it.
#[derive(Default)]
pub(crate) struct Flat {
    paths: String,
    strings: String,
    leaves: Vec<Leaf>,
    trails: Vec<Step>,
    /// Building state: the current path and trail.
    path_buf: String,
    trail_stack: Vec<Step>,
    next_array: u32,
    /// Per alternative: candidate leaves of the fields that need a consistency check.
    cands: Vec<u32>,
    spans: Vec<Range<usize>>,
    /// Set when the buffers outgrew `u32` offsets; the rest of the event is then ignored.
    truncated: bool,
}

thread_local! {
    static FLAT: RefCell<Flat> = RefCell::new(Flat::default());
}

/// Runs `f` on `event` flattened into this thread's reusable buffer.
pub(crate) fn with_flat<R>(event: &Value, f: impl FnOnce(&mut Flat) -> R) -> R {
    FLAT.with(|cell| match cell.try_borrow_mut() {
        Ok(mut flat) => {
            flat.load(event);
            f(&mut flat)
        }
        // Re-entered (a caller matching from inside a match): use a fresh buffer.
        Err(_) => {
            let mut flat = Flat::default();
            flat.load(event);
            f(&mut flat)
        }
    })
}

fn offset(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}

impl Flat {
    /// Replaces the contents with the leaves of `event`. Only objects have fields; deeper
    /// than [`MAX_DEPTH`] (unreachable from parsed JSON) nothing is read.
    pub(crate) fn load(&mut self, event: &Value) {
        self.paths.clear();
        self.strings.clear();
        self.leaves.clear();
        self.trails.clear();
        self.path_buf.clear();
        self.trail_stack.clear();
        self.next_array = 0;
        self.truncated = false;
        if let Value::Object(_) = event {
            self.walk(event, 0);
        }
        let paths = &self.paths;
        self.leaves.sort_unstable_by(|a, b| {
            let pa = &paths[a.path.0 as usize..a.path.1 as usize];
            let pb = &paths[b.path.0 as usize..b.path.1 as usize];
            pa.cmp(pb).then(a.seq.cmp(&b.seq))
        });
    }

    fn walk(&mut self, v: &Value, depth: usize) {
        if depth > MAX_DEPTH || self.truncated {
            return;
        }
        match v {
            Value::Object(map) => {
                for (key, child) in map.iter() {
                    let len = self.path_buf.len();
                    if depth > 0 {
                        self.path_buf.push('.');
                    }
                    self.path_buf.push_str(key);
                    self.walk(child, depth + 1);
                    self.path_buf.truncate(len);
                }
            }
            Value::Array(items) => {
                let id = self.next_array;
                self.next_array = self.next_array.wrapping_add(1);
                for (i, item) in items.iter().enumerate() {
                    self.trail_stack.push((id, i as u32));
                    self.walk(item, depth + 1);
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
        let path = match self.leaves.last() {
            Some(prev) if self.path(prev) == self.path_buf => prev.path,
            _ => {
                let (Some(start), Some(end)) = (
                    offset(self.paths.len()),
                    offset(self.paths.len() + self.path_buf.len()),
                ) else {
                    self.truncated = true;
                    return;
                };
                self.paths.push_str(&self.path_buf);
                (start, end)
            }
        };
        let (Some(t0), Some(t1), Some(seq)) = (
            offset(self.trails.len()),
            offset(self.trails.len() + self.trail_stack.len()),
            offset(self.leaves.len()),
        ) else {
            self.truncated = true;
            return;
        };
        self.trails.extend_from_slice(&self.trail_stack);
        self.leaves.push(Leaf {
            path,
            value,
            trail: (t0, t1),
            seq,
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

    /// Every leaf of the event: its dotted path and value.
    pub(crate) fn leaves(&self) -> impl Iterator<Item = (&str, Scalar<'_>)> + '_ {
        self.leaves.iter().map(|l| (self.path(l), self.scalar(l)))
    }

    /// The leaves at `path`, as a range of `self.leaves`.
    fn at(&self, path: &str) -> Range<usize> {
        let start = self.leaves.partition_point(|l| self.path(l) < path);
        let len = self.leaves[start..].partition_point(|l| self.path(l) == path);
        start..start + len
    }

    /// `true` if `alt` matches the loaded event.
    pub(crate) fn matches_alternative(&mut self, alt: &Alternative) -> bool {
        self.cands.clear();
        self.spans.clear();
        for field in alt.fields.iter() {
            let range = self.at(&field.path);
            if range.is_empty() {
                if field.absent_ok {
                    continue;
                }
                return false;
            }
            let mark = self.cands.len();
            let mut free = false;
            for i in range {
                let leaf = self.leaves[i];
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
        f.load(&parse_json(event).unwrap());
        f
    }

    #[test]
    fn nested_objects_and_arrays_flatten_to_dotted_paths() {
        let f = flat(
            r#"{"a": {"b": 1, "c": [true, null, "x"]}, "d.e": {"f": [[2]]}, "g": [], "h": {}}"#,
        );
        let got: Vec<(String, Scalar)> = f.leaves().map(|(p, v)| (p.to_string(), v)).collect();
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
    fn reloading_reuses_the_buffers() {
        let mut f = flat(r#"{"a": "one", "b": ["two", "three"]}"#);
        let caps = (
            f.paths.capacity(),
            f.strings.capacity(),
            f.leaves.capacity(),
        );
        f.load(&parse_json(r#"{"b": "x", "a": ["y"]}"#).unwrap());
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
