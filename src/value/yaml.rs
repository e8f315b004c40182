//! YAML text to [`Value`], for definitions written as SAM's `DefinitionUri` allows
//! (`*.asl.yaml`), read as if they had been written in JSON.
//!
//! The crate is `saphyr-parser`, the event parser of the saphyr project (the maintained
//! successor of `yaml-rust`/`yaml-rust2`, YAML 1.2, two small dependencies). `serde_yaml` is
//! archived and `serde_yml` is deprecated, a shim over another crate. The event parser (not a
//! tree loader) lets this module decide what a loader would hide:
//!
//! - **Scalars** resolve by YAML 1.2's core schema: plain `null`/`~`/empty, `true`/`false`,
//!   integers (decimal, `0x`, `0o`) and floats become JSON's; anything quoted, and any other
//!   plain scalar, is a string. YAML 1.1's `yes`/`no`/`on`/`off` stay strings. `.inf` and
//!   `.nan` have no JSON form and are refused. Mapping keys are always their text.
//! - **Anchors and aliases** are expanded, but the expansion is bounded: once the JSON the
//!   aliases produce would pass the definition limit (1 MiB, DOC-2) the file is refused, so a
//!   "billion laughs" file costs kilobytes, not gigabytes. An alias to a node that contains it
//!   is refused.
//! - **Duplicate keys** in one mapping are refused, naming both lines: AWS's JSON parser
//!   rejects duplicate keys, and YAML forbids them.
//! - **Tags**: the core schema's own (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`,
//!   `!!seq`) are honoured; any other (`!Ref`, `!Sub`, `!GetAtt`) is refused, because
//!   CloudFormation's functions are not evaluated in a definition file: SAM's
//!   `DefinitionSubstitutions` (`${Name}`) are the way to put values in.
//! - **One document** per file; errors give the line and column (1-based).
//!
//! The definition size limit itself is applied to the JSON this produces, by
//! [`parse_definition`](crate::asl::parse_definition).

use super::parse::MAX_DEPTH;
use super::{Map, Str, Value};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Most characters of JSON that aliases may expand to: the definition limit (DOC-2).
const MAX_EXPANDED_CHARS: usize = crate::asl::MAX_DEFINITION_CHARS;

/// A YAML text that could not be read as a definition: what went wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    message: String,
    line: usize,
    column: usize,
}

impl YamlError {
    fn at(m: &Marker, message: impl Into<String>) -> YamlError {
        YamlError {
            message: message.into(),
            line: m.line(),
            column: m.col() + 1,
        }
    }
    /// What went wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// 1-based line of the fault.
    pub fn line(&self) -> usize {
        self.line
    }
    /// 1-based column (in characters) of the fault.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for YamlError {}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        size: usize,
    },
    Map {
        map: Map,
        /// The key read and waiting for its value, with where it was.
        key: Option<(Str, Marker)>,
        /// Where each key was, to name the first of a duplicate pair.
        lines: HashMap<Str, usize>,
        anchor: usize,
        size: usize,
    },
}

/// Parses a one-document YAML text into a [`Value`], as described in the module docs.
///
/// # Errors
///
/// A [`YamlError`] with the line and column: malformed YAML, duplicate keys, unsupported
/// tags, `.inf`/`.nan`, a recursive alias, aliases expanding past 1 MiB of JSON, nesting
/// deeper than [`MAX_DEPTH`], several documents or none.
///
/// ```
/// let v = aslx::value::parse_yaml("StartAt: A\nStates:\n  A: {Type: Succeed}\n").unwrap();
/// assert_eq!(v.to_json(), r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#);
/// ```
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut expanded = 0usize;
    let mut doc: Option<Value> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let info = match e.info() {
                // The reader's own bound on nesting, below MAX_DEPTH.
                "recursion limit exceeded" => "document nested too deeply for the YAML reader",
                other => other,
            };
            YamlError::at(e.marker(), info)
        })?;
        let at = span.start;
        let (value, size, anchor) = match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                if doc.is_some() {
                    return Err(YamlError::at(
                        &at,
                        "a second YAML document: a definition file holds one",
                    ));
                }
                continue;
            }
            Event::Alias(id) => {
                let Some((v, size)) = anchors.get(&id) else {
                    return Err(YamlError::at(
                        &at,
                        "alias to a node that contains it (a recursive alias has no JSON form)",
                    ));
                };
                expanded += size;
                if expanded > MAX_EXPANDED_CHARS {
                    return Err(YamlError::at(
                        &at,
                        format!("aliases expand the definition past its limit of {MAX_EXPANDED_CHARS} characters of JSON"),
                    ));
                }
                (v.clone(), *size, 0)
            }
            Event::Scalar(s, style, anchor, tag) => {
                if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    // A key keeps its text (`1.50: x` is the key "1.50"), whatever it resolves to.
                    if let Some(t) = tag.as_deref().filter(|t| !t.is_yaml_core_schema()) {
                        return Err(unsupported_tag(t, &at));
                    }
                    (Value::String(Arc::from(&*s)), s.len() + 2, anchor)
                } else {
                    let (v, size) = scalar(&s, style, tag.as_deref(), &at)?;
                    (v, size, anchor)
                }
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                if let Some(t) = tag.as_deref() {
                    let want = if is_seq { "seq" } else { "map" };
                    if !(t.is_yaml_core_schema() && t.suffix == want) {
                        return Err(unsupported_tag(t, &at));
                    }
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError::at(
                        &at,
                        format!("document nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    return Err(YamlError::at(
                        &at,
                        "a mapping key must be a scalar (JSON keys are strings)",
                    ));
                }
                stack.push(if is_seq {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        size: 2,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        lines: HashMap::new(),
                        anchor,
                        size: 2,
                    }
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    anchor,
                    size,
                }) => (Value::array(items), size, anchor),
                Some(Frame::Map {
                    map, anchor, size, ..
                }) => (Value::object(map), size, anchor),
                None => return Err(YamlError::at(&at, "unbalanced YAML events")),
            },
        };
        if anchor != 0 {
            anchors.insert(anchor, (value.clone(), size));
        }
        match stack.last_mut() {
            None => doc = Some(value),
            Some(Frame::Seq { items, size: s, .. }) => {
                items.push(value);
                *s += size + 1;
            }
            Some(Frame::Map {
                map,
                key,
                lines,
                size: s,
                ..
            }) => match key.take() {
                Some((k, _)) => {
                    *s += size + 1;
                    map.insert(k, value);
                }
                None => {
                    let k: Str = match &value {
                        Value::String(k) => k.clone(),
                        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                            Arc::from(key_text(&value))
                        }
                        _ => {
                            return Err(YamlError::at(
                                &at,
                                "a mapping key must be a scalar (JSON keys are strings)",
                            ))
                        }
                    };
                    if let Some(first) = lines.get(&k) {
                        return Err(YamlError::at(
                            &at,
                            format!("duplicate key '{k}' (first at line {first}): keys must be unique, as AWS requires"),
                        ));
                    }
                    lines.insert(k.clone(), at.line());
                    *s += k.len() + 3;
                    *key = Some((k, at));
                }
            },
        }
    }
    doc.ok_or_else(|| YamlError::at(&Marker::new(0, 1, 0), "the YAML text holds no document"))
}

/// A key given by an alias to a non-string scalar: its JSON spelling (`true`, `1`).
fn key_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => other.to_json(),
    }
}

fn unsupported_tag(t: &Tag, at: &Marker) -> YamlError {
    YamlError::at(
        at,
        format!("YAML tag {t} is not supported: CloudFormation functions are not evaluated in a definition file; use DefinitionSubstitutions (${{Name}} with --sub Name=VALUE)"),
    )
}

/// A scalar resolved by the core schema, with its JSON length (for the alias bound).
fn scalar(
    s: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    at: &Marker,
) -> Result<(Value, usize), YamlError> {
    let string = |s: &str| (Value::String(Arc::from(s)), s.len() + 2);
    let forced = match tag {
        None => None,
        Some(t) if t.is_yaml_core_schema() => Some(t.suffix.as_str()),
        Some(t) => return Err(unsupported_tag(t, at)),
    };
    if forced == Some("str") || (forced.is_none() && style != ScalarStyle::Plain) {
        return Ok(string(s));
    }
    let resolved = resolve_plain(s).map_err(|m| YamlError::at(at, m))?;
    let kind = match &resolved {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        _ => "str",
    };
    match forced {
        None => Ok((resolved, s.len().max(4))),
        Some(want) if want == kind || (want == "float" && kind == "int") => {
            Ok((resolved, s.len().max(4)))
        }
        Some(want) => Err(YamlError::at(at, format!("'{s}' is not a valid !!{want}"))),
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(s: &str) -> Result<Value, String> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if lower == ".inf" || lower == ".nan" {
        return Err(format!("'{s}' (infinity or not-a-number) has no JSON form"));
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16)
                .map(Value::Int)
                .map_err(|_| format!("'{s}' is out of range"));
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return i64::from_str_radix(oct, 8)
                .map(Value::Int)
                .map_err(|_| format!("'{s}' is out of range"));
        }
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(s.parse::<i64>().map_or_else(
            |_| Value::Float(s.parse::<f64>().unwrap_or(f64::INFINITY)),
            Value::Int,
        ))
        .and_then(finite);
    }
    if is_core_float(unsigned) {
        return s
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("'{s}' is not a number"))
            .and_then(finite);
    }
    Ok(Value::String(Arc::from(s)))
}

fn finite(v: Value) -> Result<Value, String> {
    match v {
        Value::Float(f) if !f.is_finite() => Err("number out of range".to_string()),
        v => Ok(v),
    }
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let int_end = digits(0);
    let mut i = int_end;
    if b.get(i) == Some(&b'.') {
        let frac_end = digits(i + 1);
        if int_end == 0 && frac_end == i + 1 {
            return false;
        }
        i = frac_end;
    } else if int_end == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let end = digits(j);
        if end == j {
            return false;
        }
        i = end;
    }
    i == b.len()
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
