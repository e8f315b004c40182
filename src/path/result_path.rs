//! ResultPath: writing a state's result into its raw input (ASL IO-6).
//!
//! The write happens in two passes. The first only reads, and decides whether the target can
//! hold the path; the second writes and cannot fail. A failed ResultPath therefore leaves the
//! input untouched, which the engine needs to report it (AWS echoes the input in the cause).
//! The write copies only the containers on the written path (`Arc::make_mut`): the rest of
//! the document stays shared with whoever else holds it.

use super::eval::index;
use super::jsonpath::{Path, PathRoot, Segment};
use crate::value::{Map, Value};
use std::fmt;

/// ResultPath could not be applied; the engine raises `States.ResultPathMatchFailure`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSetError {
    path: Box<str>,
}

impl PathSetError {
    /// The ResultPath text.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// AWS's cause for `States.ResultPathMatchFailure`, given the input the state received.
    pub fn cause(&self, input: &Value) -> String {
        result_path_match_failure_cause(&self.path, input)
    }
}

impl fmt::Display for PathSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unable to apply ResultPath \"{}\"", self.path)
    }
}

impl std::error::Error for PathSetError {}

/// The cause of `States.ResultPathMatchFailure` for ResultPath `path` and state input
/// `input`: `Unable to apply ResultPath "<path>" to input <input as JSON>`.
///
/// No recording shows AWS's wording; this is the engine's best rendering of it.
pub fn result_path_match_failure_cause(path: &str, input: &Value) -> String {
    format!(
        "Unable to apply ResultPath \"{path}\" to input {}",
        input.to_json()
    )
}

pub(crate) fn set(path: &Path, target: &mut Value, value: Value) -> Result<(), PathSetError> {
    let fail = || PathSetError {
        path: path.text().into(),
    };
    if path.root() != PathRoot::Input || !path.is_reference() {
        return Err(fail());
    }
    let segments = path.segments();
    if !can_set(segments, target) {
        return Err(fail());
    }
    write(segments, target, value);
    Ok(())
}

/// The read-only pass: walks while the nodes exist; once a member is missing, the rest must
/// be names, which [`write`] creates as objects.
fn can_set(segments: &[Segment], target: &Value) -> bool {
    let mut cur = target;
    for (i, seg) in segments.iter().enumerate() {
        match (seg, cur) {
            (Segment::Key(k), Value::Object(o)) => match o.get(k) {
                Some(next) => cur = next,
                None => {
                    return segments[i + 1..]
                        .iter()
                        .all(|s| matches!(s, Segment::Key(_)))
                }
            },
            (Segment::Index(n), Value::Array(a)) => match index(a, *n) {
                Some(next) => cur = next,
                None => return false,
            },
            _ => return false,
        }
    }
    true
}

/// The writing pass; [`can_set`] has checked that every step fits.
fn write(segments: &[Segment], target: &mut Value, value: Value) {
    let Some((seg, rest)) = segments.split_first() else {
        *target = value;
        return;
    };
    match (seg, target) {
        (Segment::Key(k), Value::Object(o)) => {
            let map = std::sync::Arc::make_mut(o);
            if rest.is_empty() {
                map.insert(k.clone(), value);
            } else if let Some(child) = map.get_mut(k) {
                write(rest, child, value);
            } else {
                map.insert(k.clone(), build(rest, value));
            }
        }
        (Segment::Index(n), Value::Array(a)) => {
            let len = a.len() as i64;
            let i = if *n < 0 {
                len + i64::from(*n)
            } else {
                i64::from(*n)
            };
            if let Some(child) = usize::try_from(i)
                .ok()
                .and_then(|i| std::sync::Arc::make_mut(a).get_mut(i))
            {
                write(rest, child, value);
            }
        }
        _ => {}
    }
}

/// `{"b": {"c": value}}` for the names `b`, `c`.
fn build(segments: &[Segment], value: Value) -> Value {
    segments.iter().rev().fold(value, |inner, seg| match seg {
        Segment::Key(k) => {
            let mut m = Map::with_capacity(1);
            m.insert(k.clone(), inner);
            Value::object(m)
        }
        _ => inner,
    })
}
