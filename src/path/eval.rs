//! Walking compiled segments over a document, the way Jayway does.
//!
//! Definite paths fail loudly, with Jayway's messages; indefinite ones stay quiet. Jayway
//! itself throws "Missing property" for `$.items[*]` when `items` is absent, but AWS answers
//! `[]` there (recorded: `base.json_path_array_wildcard_or_slice_with_no_input`), so a miss in
//! the definite prefix of an indefinite path gives `[]`. What makes a path unusable rather
//! than unlucky (a function, a filter on a scalar) is an error either way.
//!
//! A deep scan (`..`) visits nodes in Jayway's order (a node, then each child's subtree in
//! turn) with an explicit stack, so deep documents cannot overflow the thread stack.

use super::jsonpath::{PathError, Segment, Shape, Slice};
use super::render;
use crate::value::{Map, Value};
use std::borrow::Cow;

/// Evaluates `segments` from `start`; `root` is what `$` means inside filters.
pub(crate) fn evaluate<'v>(
    segments: &[Segment],
    shape: Shape,
    start: &'v Value,
    root: &Value,
) -> Result<Cow<'v, Value>, PathError> {
    match shape {
        Shape::Reference => walk(segments, segments.len(), start).map(Cow::Borrowed),
        Shape::MultiLeaf => {
            let last = segments.len() - 1;
            let parent = walk(segments, last, start)?;
            match (&segments[last], parent) {
                (Segment::Keys(keys), Value::Object(o)) => Ok(Cow::Owned(pick(o, keys))),
                _ => Err(not_an_object(segments, last, parent)),
            }
        }
        Shape::Indefinite => {
            let mut out = Vec::new();
            let first = segments
                .iter()
                .position(|s| !matches!(s, Segment::Key(_) | Segment::Index(_)))
                .unwrap_or(segments.len());
            if let Ok(node) = walk(segments, first, start) {
                step(&segments[first..], node, true, root, &mut out)?;
            }
            Ok(Cow::Owned(Value::array(out)))
        }
    }
}

/// Follows the first `upto` segments (names and indexes only) from `doc`.
///
/// PERF: the success path allocates nothing; error messages are built only on failure.
pub(crate) fn walk<'v>(
    segments: &[Segment],
    upto: usize,
    doc: &'v Value,
) -> Result<&'v Value, PathError> {
    let mut cur = doc;
    for (i, seg) in segments[..upto].iter().enumerate() {
        cur = match (seg, cur) {
            (Segment::Key(k), Value::Object(o)) => match o.get(k) {
                Some(v) => v,
                None => return Err(missing(segments, i)),
            },
            (Segment::Key(_), other) => return Err(not_an_object(segments, i, other)),
            (Segment::Index(n), Value::Array(a)) => match index(a, *n) {
                Some(v) => v,
                // Jayway skips the index silently, then reports the whole path as empty.
                None => {
                    return Err(PathError::NotFound {
                        at: render::path(segments),
                    })
                }
            },
            (Segment::Index(_), other) => return Err(not_an_array(segments, i, other)),
            _ => {
                return Err(PathError::Invalid {
                    message: format!("Unexpected step in path {}", render::path(segments)),
                })
            }
        };
    }
    Ok(cur)
}

#[cold]
fn missing(segments: &[Segment], i: usize) -> PathError {
    let at = render::path(&segments[..=i]);
    if i + 1 == segments.len() {
        PathError::NotFound { at }
    } else {
        PathError::MissingProperty { at }
    }
}

#[cold]
fn not_an_object(segments: &[Segment], i: usize, found: &Value) -> PathError {
    let mut fragment = String::new();
    render::fragments(&segments[i..=i], &mut fragment);
    PathError::WrongType {
        message: format!(
            "Expected to find an object with property {fragment} in path {} but found '{}'. \
             This is not a json object according to the JsonProvider: \
             'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.",
            render::path(&segments[..i]),
            render::java_class(found)
        ),
    }
}

#[cold]
fn not_an_array(segments: &[Segment], i: usize, found: &Value) -> PathError {
    if found.is_null() {
        return PathError::WrongType {
            message: format!("The path {} is null", render::path(&segments[..i])),
        };
    }
    let mut token = String::new();
    render::fragments(&segments[i..], &mut token);
    let mut context = String::new();
    render::java_string(found, &mut context);
    PathError::WrongType {
        message: format!(
            "Filter: {token} can only be applied to arrays. Current context is: {context}"
        ),
    }
}

/// Element `n` of `a`, counting from the end when negative.
pub(crate) fn index(a: &[Value], n: i32) -> Option<&Value> {
    let len = a.len() as i64;
    let i = if n < 0 {
        len + i64::from(n)
    } else {
        i64::from(n)
    };
    if (0..len).contains(&i) {
        a.get(i as usize)
    } else {
        None
    }
}

/// The members `keys` of `o` that exist, in the order named (Jayway's multi-property leaf).
fn pick(o: &Map, keys: &[crate::value::Str]) -> Value {
    let mut m = Map::with_capacity(keys.len());
    for k in keys {
        if let Some(v) = o.get(k) {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::object(m)
}

/// The raw indexes Jayway visits for a slice of an array of `len` elements. Negative ones
/// are then read from the end by [`index`], as Jayway's `handleArrayIndex` does; the range
/// is clipped to the indexes that can hit.
fn slice_range(s: Slice, len: i64) -> std::ops::Range<i64> {
    let empty = 0..0;
    if len == 0 {
        return empty;
    }
    match (s.from.map(i64::from), s.to.map(i64::from)) {
        (Some(from), None) => {
            let from = if from < 0 { len + from } else { from }.max(0);
            from..len
        }
        (Some(from), Some(to)) => {
            let to = to.min(len);
            if from >= to {
                return empty;
            }
            from.max(-len)..to
        }
        (None, Some(to)) => {
            let to = if to < 0 { len + to } else { to }.min(len);
            0..to.max(0)
        }
        (None, None) => empty,
    }
}

/// Applies `segments` to `node`, pushing every match to `out`. `upstream_definite` is true
/// while every earlier step was a name or an index.
fn step(
    segments: &[Segment],
    node: &Value,
    upstream_definite: bool,
    root: &Value,
    out: &mut Vec<Value>,
) -> Result<(), PathError> {
    let Some((seg, rest)) = segments.split_first() else {
        out.push(node.clone());
        return Ok(());
    };
    match seg {
        Segment::Key(k) => {
            if let Some(v) = node.get(k) {
                step(rest, v, upstream_definite, root, out)?;
            }
        }
        Segment::Index(n) => {
            if let Some(v) = node.as_array().and_then(|a| index(a, *n)) {
                step(rest, v, upstream_definite, root, out)?;
            }
        }
        Segment::Keys(keys) => {
            if let Value::Object(o) = node {
                if !rest.is_empty() {
                    let mut at = String::from("$[");
                    for (i, k) in keys.iter().enumerate() {
                        if i > 0 {
                            at.push_str(", ");
                        }
                        at.push_str(&format!("'{k}'"));
                    }
                    at.push(']');
                    return Err(PathError::Invalid {
                        message: format!("Multi properties can only be used as path leafs: {at}"),
                    });
                }
                out.push(pick(o, keys));
            }
        }
        Segment::Indexes(list) => {
            if let Some(a) = node.as_array() {
                for n in list.iter() {
                    if let Some(v) = index(a, *n) {
                        step(rest, v, false, root, out)?;
                    }
                }
            }
        }
        Segment::Slice(s) => {
            if let Some(a) = node.as_array() {
                for i in slice_range(*s, a.len() as i64) {
                    if let Some(v) = i32::try_from(i).ok().and_then(|i| index(a, i)) {
                        step(rest, v, false, root, out)?;
                    }
                }
            }
        }
        Segment::Wildcard => match node {
            Value::Object(o) => {
                for v in o.values() {
                    step(rest, v, false, root, out)?;
                }
            }
            Value::Array(a) => {
                for v in a.iter() {
                    step(rest, v, false, root, out)?;
                }
            }
            _ => {}
        },
        Segment::Filter(f) => match node {
            // Jayway applies a filter on an object to the object itself.
            Value::Object(_) if f.accepts(node, root)? => step(rest, node, false, root, out)?,
            Value::Object(_) => {}
            Value::Array(a) => {
                for v in a.iter() {
                    // AWS: "the @ operator ... does not match scalar values. It only matches
                    // objects."
                    if matches!(v, Value::Object(_)) && f.accepts(v, root)? {
                        step(rest, v, false, root, out)?;
                    }
                }
            }
            _ if upstream_definite => {
                let mut context = String::new();
                render::java_string(node, &mut context);
                return Err(PathError::Invalid {
                    message: format!(
                        "Filter: [?] can not be applied to primitives. Current context is: {context}"
                    ),
                });
            }
            _ => {}
        },
        Segment::Scan => scan(rest, node, root, out)?,
        Segment::Function(name) => {
            return Err(PathError::Invalid {
                message: format!("The JsonPath function {name}() is not supported"),
            })
        }
    }
    Ok(())
}

/// `..` followed by `segments`: Jayway's `ScanPathToken.walk`.
fn scan(
    segments: &[Segment],
    node: &Value,
    root: &Value,
    out: &mut Vec<Value>,
) -> Result<(), PathError> {
    let Some(target) = segments.first() else {
        return Ok(());
    };
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n {
            Value::Object(o) => {
                if scan_matches(target, n, root)? {
                    step(segments, n, false, root, out)?;
                }
                let children: Vec<&Value> = o.values().collect();
                stack.extend(children.into_iter().rev());
            }
            Value::Array(a) => {
                if scan_matches(target, n, root)? {
                    if segments.len() == 1 {
                        step(segments, n, false, root, out)?;
                    } else {
                        // Jayway applies what follows the scanned token to every element.
                        for v in a.iter() {
                            step(&segments[1..], v, false, root, out)?;
                        }
                    }
                }
                stack.extend(a.iter().rev());
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a deep scan applies `target` at node `n` (Jayway's scan predicates).
fn scan_matches(target: &Segment, n: &Value, root: &Value) -> Result<bool, PathError> {
    Ok(match target {
        Segment::Key(k) => n.as_object().is_some_and(|o| o.contains_key(k)),
        Segment::Keys(ks) => n
            .as_object()
            .is_some_and(|o| ks.iter().all(|k| o.contains_key(k))),
        Segment::Index(_) | Segment::Indexes(_) | Segment::Slice(_) => n.as_array().is_some(),
        Segment::Filter(f) => matches!(n, Value::Object(_)) && f.accepts(n, root)?,
        Segment::Wildcard | Segment::Scan | Segment::Function(_) => true,
    })
}
