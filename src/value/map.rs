//! An insertion-ordered object map tuned for the small objects of workflow data.
//!
//! PERF: most objects in a state machine's data have a handful of keys, where a linear scan of
//! a vector beats hashing. Large objects (parsed inputs with thousands of keys) get a hash index
//! once they pass [`INDEX_THRESHOLD`] keys, so lookups and duplicate-key checks stay O(1).

use super::{Str, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Number of keys past which a hash index is kept beside the entries.
pub const INDEX_THRESHOLD: usize = 24;

/// A JSON object: keys in insertion order, unique.
#[derive(Default)]
#[allow(clippy::box_collection)] // PERF: keeps `Map` small for the common unindexed case.
pub struct Map {
    entries: Vec<(Str, Value)>,
    index: Option<Box<HashMap<Str, usize>>>,
    /// Serialized length plus one, once measured (0: not yet). Every `&mut self` method resets
    /// it, so it always describes the current entries.
    ///
    /// PERF: the VM checks the 256 KiB limit on every state's output; outputs share most of
    /// their subtrees with the input, whose sizes are then known (vm/pipeline5).
    len_cache: AtomicUsize,
}

impl Clone for Map {
    fn clone(&self) -> Map {
        Map {
            entries: self.entries.clone(),
            index: self.index.clone(),
            len_cache: AtomicUsize::new(self.len_cache.load(Relaxed)),
        }
    }
}

impl Map {
    /// An empty map.
    pub fn new() -> Map {
        Map::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Map {
        Map {
            entries: Vec::with_capacity(n),
            index: None,
            len_cache: AtomicUsize::new(0),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The serialized length, when measured since the last change.
    pub(crate) fn cached_len(&self) -> Option<usize> {
        self.len_cache.load(Relaxed).checked_sub(1)
    }

    pub(crate) fn set_cached_len(&self, len: usize) {
        self.len_cache.store(len.saturating_add(1), Relaxed);
    }

    fn changed(&mut self) {
        *self.len_cache.get_mut() = 0;
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| &**k == key),
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// Mutable access to the value under `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.changed();
        self.position(key).map(move |i| &mut self.entries[i].1)
    }

    /// `true` if `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`; an existing key keeps its position. Returns the old value.
    pub fn insert(&mut self, key: Str, value: Value) -> Option<Value> {
        self.changed();
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        self.push_unique(key, value);
        None
    }

    /// Appends an entry whose key the caller knows is not present yet.
    pub(crate) fn push_unique(&mut self, key: Str, value: Value) {
        self.changed();
        let at = self.entries.len();
        if let Some(ix) = &mut self.index {
            ix.insert(key.clone(), at);
        } else if at + 1 > INDEX_THRESHOLD {
            let mut ix: HashMap<Str, usize> = HashMap::with_capacity(at * 2);
            for (i, (k, _)) in self.entries.iter().enumerate() {
                ix.insert(k.clone(), i);
            }
            ix.insert(key.clone(), at);
            self.index = Some(Box::new(ix));
        }
        self.entries.push((key, value));
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.changed();
        let i = self.position(key)?;
        let (_, v) = self.entries.remove(i);
        if self.index.is_some() {
            self.rebuild_index();
        }
        Some(v)
    }

    fn rebuild_index(&mut self) {
        if self.entries.len() <= INDEX_THRESHOLD {
            self.index = None;
            return;
        }
        let ix = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (k.clone(), i))
            .collect();
        self.index = Some(Box::new(ix));
    }

    /// The entries, moved out, in insertion order.
    pub(crate) fn into_entries(self) -> Vec<(Str, Value)> {
        self.entries
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Str, &Value)> + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Str> + '_ {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in insertion order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Merges `other` into `self`: keys of `other` win.
    pub fn extend_from(&mut self, other: &Map) {
        for (k, v) in other.iter() {
            self.insert(k.clone(), v.clone());
        }
    }
}

impl FromIterator<(Str, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (Str, Value)>>(iter: I) -> Map {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn large_maps_index_and_keep_order() {
        let mut m = Map::new();
        for i in 0..100 {
            m.insert(Arc::from(format!("k{i}")), Value::Int(i));
        }
        assert_eq!(m.get("k77").and_then(Value::as_i64), Some(77));
        m.insert("k3".into(), Value::Null);
        assert_eq!(m.len(), 100);
        assert_eq!(m.keys().nth(3).map(|k| &**k), Some("k3"));
        m.remove("k0");
        assert_eq!(m.get("k99").and_then(Value::as_i64), Some(99));
        assert_eq!(m.keys().next().map(|k| &**k), Some("k1"));
    }

    #[test]
    fn serialized_length_cache_is_reset_by_every_change() {
        use crate::value::serialized_len_at_most;
        let mut m = Map::new();
        m.insert("a".into(), Value::Int(1));
        let mut v = Value::object(m);
        assert_eq!(serialized_len_at_most(&v, usize::MAX), Some(7));
        let o = v.as_object_mut().unwrap();
        assert_eq!(o.cached_len(), Some(7));
        o.insert("bb".into(), Value::Int(22));
        assert_eq!(o.cached_len(), None);
        assert_eq!(
            serialized_len_at_most(&v, usize::MAX),
            Some(v.to_json().len())
        );
        let o = v.as_object_mut().unwrap();
        *o.get_mut("a").unwrap() = Value::from("long string");
        assert_eq!(
            serialized_len_at_most(&v, usize::MAX),
            Some(v.to_json().len())
        );
        let o = v.as_object_mut().unwrap();
        o.remove("a");
        assert_eq!(
            serialized_len_at_most(&v, usize::MAX),
            Some(v.to_json().len())
        );
        // A clone keeps the (still valid) length; changing the clone resets only its own.
        let mut c = v.clone();
        c.as_object_mut().unwrap().insert("z".into(), Value::Null);
        assert_eq!(
            serialized_len_at_most(&v, usize::MAX),
            Some(v.to_json().len())
        );
        assert_eq!(
            serialized_len_at_most(&c, usize::MAX),
            Some(c.to_json().len())
        );
    }
}
