//! [`Value`] to JSON text.
//!
//! Two spellings: compact (what AWS prints for outputs and `States.JsonToString`) and Python's
//! `json.dumps` default (`", "` and `": "` separators, non-ASCII escaped), which is how a Lambda
//! function's error payload reaches a `Cause` when the function is called by its ARN.

use super::Value;
use smallvec::SmallVec;
use std::fmt::Write as _;

/// Compact JSON text of `v`.
pub fn to_json_string(v: &Value) -> String {
    let mut out = String::with_capacity(64);
    write_json(v, &mut out);
    out
}

/// Appends compact JSON text of `v` to `out`.
pub fn write_json(v: &Value, out: &mut String) {
    write_value(v, out, false);
}

/// Appends `v` as Python's `json.dumps(v)` would print it.
pub fn write_json_python(v: &Value, out: &mut String) {
    write_value(v, out, true);
}

fn write_value(v: &Value, out: &mut String, python: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(*f, out),
        Value::String(s) => write_str(s, out, python),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(if python { ", " } else { "," });
                }
                write_value(item, out, python);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, item)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(if python { ", " } else { "," });
                }
                write_str(k, out, python);
                out.push_str(if python { ": " } else { ":" });
                write_value(item, out, python);
            }
            out.push('}');
        }
    }
}

fn write_float(f: f64, out: &mut String) {
    if !f.is_finite() {
        out.push_str("null");
    } else {
        // Debug prints the shortest text that reads back as `f`, keeps ".0" on integral
        // values and switches to exponent form for very large or small magnitudes.
        let _ = write!(out, "{f:?}");
    }
}

fn write_str(s: &str, out: &mut String, ascii_only: bool) {
    out.push('"');
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        let esc: Option<&str> = match ch {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\0'..='\u{1f}' => None,
            _ if ascii_only && !ch.is_ascii() => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        start = i + ch.len_utf8();
        match esc {
            Some(e) => out.push_str(e),
            None => {
                let mut units = [0u16; 2];
                for u in ch.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Length in bytes of the compact JSON text of `v`, or `None` when it exceeds `limit`.
///
/// Stops walking as soon as the limit is passed, so checking a small document against the
/// 256 KiB payload limit costs little, and a huge one costs no more than the limit.
pub fn serialized_len_at_most(v: &Value, limit: usize) -> Option<usize> {
    measure(v, limit, 0)
}

/// Nesting down to which [`measure`] recurses (and caches object lengths); deeper parts are
/// walked with an explicit stack, so no document can overflow the thread's stack.
const MEASURE_RECURSION: usize = 64;

/// The length of `v` if at most `limit`. Objects measured whole remember their length
/// ([`Map::cached_len`](super::Map)), so shared subtrees are walked once.
fn measure(v: &Value, limit: usize, depth: usize) -> Option<usize> {
    let n = match v {
        Value::Array(_) | Value::Object(_) if depth >= MEASURE_RECURSION => return walk(v, limit),
        Value::Array(a) => {
            let mut n = 2 + a.len().saturating_sub(1);
            for item in a.iter() {
                n += measure(item, limit.checked_sub(n)?, depth + 1)?;
            }
            n
        }
        Value::Object(o) => {
            if let Some(n) = o.cached_len() {
                return (n <= limit).then_some(n);
            }
            let mut n = 2 + o.len().saturating_sub(1) + o.len();
            for (k, item) in o.iter() {
                n += str_len(k);
                n += measure(item, limit.checked_sub(n)?, depth + 1)?;
            }
            o.set_cached_len(n);
            n
        }
        scalar => scalar_len(scalar),
    };
    (n <= limit).then_some(n)
}

/// [`measure`] without recursion (and without caching), for deep documents.
fn walk(v: &Value, limit: usize) -> Option<usize> {
    let mut total = 0usize;
    let mut stack: SmallVec<[&Value; 32]> = SmallVec::new();
    stack.push(v);
    while let Some(v) = stack.pop() {
        total += match v {
            Value::Array(a) => {
                stack.extend(a.iter());
                2 + a.len().saturating_sub(1)
            }
            Value::Object(o) => match o.cached_len() {
                Some(n) => n,
                None => {
                    let mut n = 2 + o.len().saturating_sub(1) + o.len();
                    for (k, item) in o.iter() {
                        n += str_len(k);
                        stack.push(item);
                    }
                    n
                }
            },
            scalar => scalar_len(scalar),
        };
        if total > limit {
            return None;
        }
    }
    Some(total)
}

/// Bytes of a scalar's JSON text (containers count as their brackets only).
fn scalar_len(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Int(i) => int_len(*i),
        Value::Float(f) => float_len(*f),
        Value::String(s) => str_len(s),
        Value::Array(_) | Value::Object(_) => 2,
    }
}

/// Bytes of a float's text, counted without building it.
fn float_len(f: f64) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    if !f.is_finite() {
        return 4;
    }
    let mut c = Count(0);
    let _ = write!(c, "{f:?}");
    c.0
}

fn int_len(i: i64) -> usize {
    let mut n = if i < 0 { 2 } else { 1 };
    let mut u = i.unsigned_abs();
    while u >= 10 {
        u /= 10;
        n += 1;
    }
    n
}

fn str_len(s: &str) -> usize {
    2 + s.len()
        + s.bytes()
            .map(|b| match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                0..=0x1f => 5,
                _ => 0,
            })
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn compact_and_python_spellings() {
        let v = json!({"errorMessage": "é \"x\"", "n": [1, 2.5]});
        assert_eq!(v.to_json(), r#"{"errorMessage":"é \"x\"","n":[1,2.5]}"#);
        let mut p = String::new();
        write_json_python(&v, &mut p);
        assert_eq!(p, r#"{"errorMessage": "\u00e9 \"x\"", "n": [1, 2.5]}"#);
    }

    #[test]
    fn length_matches_text() {
        let v = json!({"a": [1, -20, null, true, false, "q\"\n\u{1}"], "b": {"c": 1.5}});
        assert_eq!(serialized_len_at_most(&v, 1 << 20), Some(v.to_json().len()));
        assert_eq!(serialized_len_at_most(&v, 5), None);
    }

    #[test]
    fn floats_keep_their_fraction() {
        assert_eq!(Value::Float(1.0).to_json(), "1.0");
        assert_eq!(Value::Float(0.1).to_json(), "0.1");
        assert_eq!(Value::Float(f64::NAN).to_json(), "null");
    }
}
