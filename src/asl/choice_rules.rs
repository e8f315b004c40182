//! JSONPath Choice rules (CH-4..CH-9): shape and literal operand types, checked at definition
//! time so that the compiled predicate never meets a malformed rule.

use super::model::{Comparison, Condition, Operand};
use super::parse::Parser;
use super::timestamp::parse_timestamp;
use crate::path::Path;
use crate::value::{Map, Value};

/// Nested rules deeper than this are refused, so a hostile definition cannot exhaust the stack.
pub const MAX_RULE_DEPTH: usize = 64;

/// The operand type an operator takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Pattern,
    Number,
    Boolean,
    Timestamp,
    Test,
}

fn operator(name: &str) -> Option<(Comparison, Kind, bool)> {
    use Comparison::*;
    let (base, path) = match name.strip_suffix("Path") {
        Some(b) if b != "Is" => (b, true),
        _ => (name, false),
    };
    let (op, kind) = match base {
        "StringEquals" => (StringEquals, Kind::String),
        "StringLessThan" => (StringLessThan, Kind::String),
        "StringGreaterThan" => (StringGreaterThan, Kind::String),
        "StringLessThanEquals" => (StringLessThanEquals, Kind::String),
        "StringGreaterThanEquals" => (StringGreaterThanEquals, Kind::String),
        "StringMatches" if !path => (StringMatches, Kind::Pattern),
        "NumericEquals" => (NumericEquals, Kind::Number),
        "NumericLessThan" => (NumericLessThan, Kind::Number),
        "NumericGreaterThan" => (NumericGreaterThan, Kind::Number),
        "NumericLessThanEquals" => (NumericLessThanEquals, Kind::Number),
        "NumericGreaterThanEquals" => (NumericGreaterThanEquals, Kind::Number),
        "BooleanEquals" => (BooleanEquals, Kind::Boolean),
        "TimestampEquals" => (TimestampEquals, Kind::Timestamp),
        "TimestampLessThan" => (TimestampLessThan, Kind::Timestamp),
        "TimestampGreaterThan" => (TimestampGreaterThan, Kind::Timestamp),
        "TimestampLessThanEquals" => (TimestampLessThanEquals, Kind::Timestamp),
        "TimestampGreaterThanEquals" => (TimestampGreaterThanEquals, Kind::Timestamp),
        "IsNull" if !path => (IsNull, Kind::Test),
        "IsPresent" if !path => (IsPresent, Kind::Test),
        "IsNumeric" if !path => (IsNumeric, Kind::Test),
        "IsString" if !path => (IsString, Kind::Test),
        "IsBoolean" if !path => (IsBoolean, Kind::Test),
        "IsTimestamp" if !path => (IsTimestamp, Kind::Test),
        _ => return None,
    };
    Some((op, kind, path))
}

/// `true` when `p` is a valid StringMatches pattern: a backslash escapes only `*` or `\`.
pub fn valid_pattern(p: &str) -> bool {
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && !matches!(chars.next(), Some('*' | '\\')) {
            return false;
        }
    }
    true
}

pub(crate) fn parse_condition(
    p: &mut Parser,
    o: &Map,
    loc: &str,
    top: bool,
    depth: usize,
) -> Option<Condition> {
    if depth > MAX_RULE_DEPTH {
        p.err_at(
            format!("Choice rules nest deeper than {MAX_RULE_DEPTH} levels"),
            loc,
        );
        return None;
    }
    let mut ops: Vec<(&str, &Value)> = Vec::new();
    for (k, v) in o.iter() {
        match &**k {
            "Next" | "Assign" if top => {}
            "Comment" => {}
            "Next" => p.err_at("Nested choice rules cannot have a 'Next' field", loc),
            "Variable" => {}
            "And" | "Or" | "Not" => ops.push((k, v)),
            other if operator(other).is_some() => ops.push((k, v)),
            "Output" => {} // reported by the caller for JSONPath states
            other => p.err_at(format!("Field '{other}' is not supported"), loc),
        }
    }
    if ops.len() != 1 {
        let msg = if ops.is_empty() {
            "A choice rule must have exactly one comparison operator or one of And, Or, Not"
                .to_string()
        } else {
            let names: Vec<&str> = ops.iter().map(|(k, _)| *k).collect();
            format!(
                "A choice rule may have only one operator, found [{}]",
                names.join(", ")
            )
        };
        p.err_at(msg, loc);
        return None;
    }
    let (name, v) = ops[0];
    match name {
        "And" | "Or" => {
            if o.contains_key("Variable") {
                p.err_at("Field 'Variable' is not supported", loc);
            }
            let floc = format!("{loc}/{name}");
            let Some(a) = v.as_array() else {
                p.err_at(
                    format!("The field '{name}' must be an array of choice rules"),
                    &floc,
                );
                return None;
            };
            if a.is_empty() {
                p.err_at("Value cannot be empty", &floc);
                return None;
            }
            let mut rules = Vec::with_capacity(a.len());
            for (i, r) in a.iter().enumerate() {
                let rloc = format!("{floc}[{i}]");
                match r.as_object() {
                    Some(ro) => rules.extend(parse_condition(p, ro, &rloc, false, depth + 1)),
                    None => p.err_at("A choice rule must be a JSON object", &rloc),
                }
            }
            (rules.len() == a.len()).then(|| {
                if name == "And" {
                    Condition::And(rules)
                } else {
                    Condition::Or(rules)
                }
            })
        }
        "Not" => {
            let floc = format!("{loc}/Not");
            let Some(ro) = v.as_object() else {
                p.err_at("The field 'Not' must be a choice rule", &floc);
                return None;
            };
            parse_condition(p, ro, &floc, false, depth + 1).map(|c| Condition::Not(Box::new(c)))
        }
        _ => {
            let (op, kind, is_path) = operator(name)?;
            let variable = match o.get("Variable") {
                Some(Value::String(s)) if Path::parse(s).is_ok() => s.to_string(),
                Some(_) => {
                    p.err_at(
                        "The value for the field 'Variable' must be a valid JSONPath",
                        &format!("{loc}/Variable"),
                    );
                    return None;
                }
                None => {
                    p.err_at("These fields are required: [Variable]", loc);
                    return None;
                }
            };
            let floc = format!("{loc}/{name}");
            let operand = if is_path {
                match v.as_str() {
                    Some(s) if Path::parse(s).is_ok() => Operand::Path(s.to_string()),
                    _ => {
                        p.err_at(
                            format!("The value for the field '{name}' must be a valid JSONPath"),
                            &floc,
                        );
                        return None;
                    }
                }
            } else {
                let ok = match kind {
                    Kind::String => v.as_str().is_some(),
                    Kind::Pattern => v.as_str().is_some_and(valid_pattern),
                    Kind::Number => v.is_number(),
                    Kind::Boolean | Kind::Test => v.as_bool().is_some(),
                    Kind::Timestamp => v.as_str().is_some_and(|s| parse_timestamp(s).is_some()),
                };
                if !ok {
                    let expected = match kind {
                        Kind::String => "a string".to_string(),
                        Kind::Pattern => {
                            "a valid pattern (a backslash may only escape '*' or '\\')".to_string()
                        }
                        Kind::Number => "a number".to_string(),
                        Kind::Boolean | Kind::Test => "a boolean".to_string(),
                        Kind::Timestamp => "an RFC3339 timestamp".to_string(),
                    };
                    p.err_at(
                        format!(
                            "The value of the field '{name}' must be {expected}, found {}",
                            v.type_name()
                        ),
                        &floc,
                    );
                    return None;
                }
                Operand::Value(v.clone())
            };
            Some(Condition::Test {
                variable,
                op,
                operand,
            })
        }
    }
}
