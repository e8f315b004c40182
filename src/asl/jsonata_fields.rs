//! JA-10: every JSONata expression of a JSONata state compiles, checked when the definition is
//! parsed, so that a machine with a syntax error is never created.
//!
//! AWS reports such an expression as `INVALID_JSONATA_EXPRESSION` with JSONata's own message
//! (without its `S0xxx` code) at the field's location, keys and array indexes included:
//! `INVALID_JSONATA_EXPRESSION: Expected "]", got "," at /States/E/Output/v` [V: as reported by
//! emulator authors who ran ValidateStateMachineDefinition; no recording in the corpus].
//! What AWS Step Functions does not run (the operators `??` and `?:` added after JSONata
//! 2.0.6, and `$eval`) is reported the same way.

use super::error::DiagnosticCode;
use super::parse::Parser;
use crate::jsonata::{parse_template_string, Expression};
use crate::value::{Map, Value};

/// The fields of a JSONata state whose values may hold expressions, at any depth.
const EXPRESSION_FIELDS: &[&str] = &[
    "Arguments",
    "Output",
    "Assign",
    "Items",
    "ItemSelector",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "Timestamp",
    "Error",
    "Cause",
    "Credentials",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
];

/// The fields of a Choice rule and of a catcher that may hold expressions.
const RULE_FIELDS: &[&str] = &["Condition", "Output", "Assign"];

/// Reports every expression of the JSONata state `m` (at `loc`) that does not compile.
pub(crate) fn check_expressions(p: &mut Parser, m: &Map, loc: &str) {
    for field in EXPRESSION_FIELDS {
        if let Some(v) = m.get(field) {
            check_value(p, v, format!("{loc}/{field}"));
        }
    }
    for (list, fields) in [("Choices", RULE_FIELDS), ("Catch", RULE_FIELDS)] {
        let Some(items) = m.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Some(o) = item.as_object() else { continue };
            for field in fields {
                if let Some(v) = o.get(field) {
                    check_value(p, v, format!("{loc}/{list}[{i}]/{field}"));
                }
            }
        }
    }
}

/// Compiles every `{% %}` string inside `v` (an explicit stack: values nest as deep as the JSON
/// parser allows).
fn check_value(p: &mut Parser, v: &Value, loc: String) {
    let mut stack = vec![(v, loc)];
    while let Some((v, loc)) = stack.pop() {
        match v {
            Value::String(s) => {
                if let Some(src) = parse_template_string(s) {
                    if let Err(e) = Expression::compile(src) {
                        p.diag(
                            DiagnosticCode::InvalidJsonataExpression,
                            e.message().to_string(),
                            Some(loc),
                        );
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, format!("{loc}[{i}]")));
                }
            }
            Value::Object(o) => {
                for (k, item) in o.iter().collect::<Vec<_>>().into_iter().rev() {
                    stack.push((item, format!("{loc}/{k}")));
                }
            }
            _ => {}
        }
    }
}
