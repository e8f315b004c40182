//! A field value with `{% %}` expressions anywhere inside it (JA-1): `Arguments`, `Output`,
//! `Assign`, ...
//!
//! [`Template::compile`] finds every string written `{% expression %}` in a JSON value and
//! compiles it; the parts without expressions stay shared literals. [`Template::evaluate`]
//! builds the value, and a failure says which expression failed where, in AWS's terms: the
//! location is the field name and the keys on the way, joined by `/` (`Output/result`,
//! `Assign/x`), as in AWS's `States.QueryEvaluationError` causes. [V] An array item adds its
//! index (`Arguments/items/0`); AWS's recordings have no expression inside an array to confirm
//! it.

use super::{
    parse_template_string, undefined_cause, Bindings, ErrorKind, Expression, JsonataError, Limits,
};
use crate::value::{Map, Str, Value};
use std::fmt;

/// A compiled field value (see the `jsonata::template` module documentation).
#[derive(Debug, Clone)]
pub struct Template {
    root: Part,
}

#[derive(Debug, Clone)]
enum Part {
    /// No expression inside: used as it is.
    Literal(Value),
    Expression {
        expr: Expression,
        location: Str,
    },
    Array(Vec<Part>),
    Object(Vec<(Str, Part)>),
}

/// Why a template failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateFailure {
    /// The expression does not compile (at definition time).
    Syntax(JsonataError),
    /// The evaluation failed, or gave a function.
    Evaluation(JsonataError),
    /// The expression gave nothing.
    Undefined,
}

/// A template's failure: where, which expression, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The field path, `/`-separated: `Output/result`.
    pub location: String,
    /// The expression, as written between `{%` and `%}`, trimmed.
    pub expression: String,
    /// What went wrong.
    pub failure: TemplateFailure,
}

impl TemplateError {
    /// The text of AWS's `States.QueryEvaluationError` cause after the state prefix ("An error
    /// occurred while executing the state 'X' (entered at the event id #2). ").
    pub fn aws_cause(&self) -> String {
        match &self.failure {
            TemplateFailure::Syntax(e) | TemplateFailure::Evaluation(e) => {
                e.aws_cause(&self.expression, &self.location)
            }
            TemplateFailure::Undefined => undefined_cause(&self.expression, &self.location),
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            TemplateFailure::Syntax(e) => write!(
                f,
                "the JSONata expression '{}' in '{}' does not compile: {e}",
                self.expression, self.location
            ),
            _ => f.write_str(&self.aws_cause()),
        }
    }
}

impl std::error::Error for TemplateError {}

impl Template {
    /// Compiles the value of the field `field` (the location's first segment).
    pub fn compile(field: &str, value: &Value) -> Result<Template, TemplateError> {
        Ok(Template {
            root: compile_part(field, value)?,
        })
    }

    /// Whether the value holds no expression (it is then its own result).
    pub fn is_literal(&self) -> bool {
        matches!(self.root, Part::Literal(_))
    }

    /// The expression, when the whole value is one `{% %}` string (its type can then be
    /// checked and reported against the expression's text).
    pub fn expression(&self) -> Option<&Expression> {
        match &self.root {
            Part::Expression { expr, .. } => Some(expr),
            _ => None,
        }
    }

    /// The field value as written, `{% %}` strings included (for dumps; rebuilt, so the
    /// whitespace inside the delimiters is normalised to one space).
    pub fn source(&self) -> Value {
        fn part_source(p: &Part) -> Value {
            match p {
                Part::Literal(v) => v.clone(),
                Part::Expression { expr, .. } => Value::from(format!("{{% {} %}}", expr.source())),
                Part::Array(parts) => Value::array(parts.iter().map(part_source).collect()),
                Part::Object(parts) => {
                    let mut m = Map::with_capacity(parts.len());
                    for (k, p) in parts {
                        m.push_unique(k.clone(), part_source(p));
                    }
                    Value::object(m)
                }
            }
        }
        jlens_core::stack::grow(|| part_source(&self.root))
    }

    /// Whether an expression of the template can read the member `field` of `$states` (see
    /// [`Expression::reads_state`]).
    pub fn reads_state(&self, field: &str) -> bool {
        fn part_reads(p: &Part, field: &str) -> bool {
            match p {
                Part::Literal(_) => false,
                Part::Expression { expr, .. } => expr.reads_state(field),
                Part::Array(parts) => parts.iter().any(|p| part_reads(p, field)),
                Part::Object(parts) => parts.iter().any(|(_, p)| part_reads(p, field)),
            }
        }
        part_reads(&self.root, field)
    }

    /// The value, with each expression evaluated against `bindings` (no input document).
    pub fn evaluate(&self, bindings: &dyn Bindings) -> Result<Value, TemplateError> {
        self.evaluate_with(bindings, &Limits::default())
    }

    /// [`evaluate`](Template::evaluate) under explicit limits (each expression has its own).
    pub fn evaluate_with(
        &self,
        bindings: &dyn Bindings,
        limits: &Limits,
    ) -> Result<Value, TemplateError> {
        eval_part(&self.root, bindings, limits)
    }
}

fn compile_part(location: &str, value: &Value) -> Result<Part, TemplateError> {
    jlens_core::stack::grow(|| {
        Ok(match value {
            Value::String(s) => match parse_template_string(s) {
                None => Part::Literal(value.clone()),
                Some(src) => Part::Expression {
                    expr: Expression::compile(src).map_err(|e| TemplateError {
                        location: location.to_string(),
                        expression: src.to_string(),
                        failure: TemplateFailure::Syntax(e),
                    })?,
                    location: location.into(),
                },
            },
            Value::Array(items) => {
                let parts = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| compile_part(&format!("{location}/{i}"), v))
                    .collect::<Result<Vec<_>, _>>()?;
                if parts.iter().all(|p| matches!(p, Part::Literal(_))) {
                    Part::Literal(value.clone())
                } else {
                    Part::Array(parts)
                }
            }
            Value::Object(o) => {
                let parts = o
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), compile_part(&format!("{location}/{k}"), v)?)))
                    .collect::<Result<Vec<_>, _>>()?;
                if parts.iter().all(|(_, p)| matches!(p, Part::Literal(_))) {
                    Part::Literal(value.clone())
                } else {
                    Part::Object(parts)
                }
            }
            _ => Part::Literal(value.clone()),
        })
    })
}

fn eval_part(
    part: &Part,
    bindings: &dyn Bindings,
    limits: &Limits,
) -> Result<Value, TemplateError> {
    jlens_core::stack::grow(|| match part {
        Part::Literal(v) => Ok(v.clone()),
        Part::Expression { expr, location } => {
            let error = |failure| TemplateError {
                location: location.to_string(),
                expression: expr.source().to_string(),
                failure,
            };
            match expr.evaluate_with(None, bindings, limits) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(error(TemplateFailure::Undefined)),
                Err(e) if e.kind() == ErrorKind::Syntax => Err(error(TemplateFailure::Syntax(e))),
                Err(e) => Err(error(TemplateFailure::Evaluation(e))),
            }
        }
        Part::Array(parts) => Ok(Value::array(
            parts
                .iter()
                .map(|p| eval_part(p, bindings, limits))
                .collect::<Result<_, _>>()?,
        )),
        Part::Object(parts) => {
            let mut m = Map::with_capacity(parts.len());
            for (k, p) in parts {
                // Keys come from an object: distinct.
                m.push_unique(k.clone(), eval_part(p, bindings, limits)?);
            }
            Ok(Value::object(m))
        }
    })
}
