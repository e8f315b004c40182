//! The JSONata fields of a JSONata state (QL-*, JA-*), compiled once, when the machine is
//! created: every `{% %}` string becomes a [`jsonata::Expression`] inside a
//! [`jsonata::Template`] or a [`Typed`] field, so no execution parses an expression.
//!
//! The parser has already rejected expressions that do not compile (JA-10); a failure here is
//! reported as a [`CompileError`] all the same, never a panic.

use super::program::*;
use super::CompileError;
use crate::asl::model::{self as m, Condition, Dynamic, StateKind, WaitFor};
use crate::jsonata::{parse_template_string, Expression, Template};
use crate::value::Value;

/// The JSONPath half of a JSONata state's model I/O: the JSONata values (`Assign` and the
/// catchers' `Assign`, which the JSONPath compiler would read as payload templates) removed.
pub(super) fn jsonpath_part(io: &m::Io) -> m::Io {
    let mut io = io.clone();
    io.assign = None;
    io.arguments = None;
    io.output = None;
    for c in &mut io.catch {
        c.assign = None;
        c.output = None;
    }
    io
}

/// Compiles the JSONata fields of state `s`, whose JSONPath-compiled `op` loses the fields the
/// JSONata ones replace (timeouts, a Map's limits). Returns them, whether any of them can read
/// `$states.context` (only then does the VM build the Context object), and the op.
pub(super) fn compile_state(
    s: &m::State,
    target: &impl Fn(&str, &str) -> Result<StateId, CompileError>,
    mut op: Op,
) -> Result<(JsonataIo, bool, Op), CompileError> {
    match &mut op {
        Op::Task(t) => {
            t.timeout = None;
            t.heartbeat = None;
        }
        Op::Map(m) => {
            m.max_concurrency = None;
            m.tolerated_count = None;
            m.tolerated_percentage = None;
        }
        _ => {}
    }
    let loc = s.location.as_str();
    let io = &s.io;
    let arguments = template(&io.arguments, loc, "Arguments")?;
    let output = template(&io.output, loc, "Output")?;
    let assign = template(&io.assign, loc, "Assign")?;
    let mut ctx = template_ctx(&arguments) || template_ctx(&output) || template_ctx(&assign);
    let mut catchers = Vec::with_capacity(io.catch.len());
    for c in &io.catch {
        let catcher = JsonataCatcher {
            output: template(&c.output, &c.location, "Output")?,
            assign: template(&c.assign, &c.location, "Assign")?,
        };
        ctx |= template_ctx(&catcher.output) || template_ctx(&catcher.assign);
        catchers.push(catcher);
    }
    let jop = match &s.kind {
        StateKind::Task(t) => {
            let timeout = typed(&t.timeout, loc, "TimeoutSeconds")?;
            let heartbeat = typed(&t.heartbeat, loc, "HeartbeatSeconds")?;
            ctx |= typed_ctx(&timeout) || typed_ctx(&heartbeat);
            JsonataOp::Task { timeout, heartbeat }
        }
        StateKind::Choice(c) => {
            let mut rules = Vec::with_capacity(c.choices.len());
            for r in &c.choices {
                let rloc = r.location.as_str();
                let condition = match &r.condition {
                    Condition::Jsonata(Value::Bool(b)) => Typed::Const(*b),
                    Condition::Jsonata(Value::String(src)) => {
                        Typed::Expr(expression(src, rloc, "Condition")?)
                    }
                    _ => {
                        return Err(CompileError::new(
                            &format!("{rloc}/Condition"),
                            "must be a boolean or a JSONata expression",
                        ))
                    }
                };
                let rule = JsonataRule {
                    next: target(&r.next, rloc)?,
                    output: template(&r.output, rloc, "Output")?,
                    assign: template(&r.assign, rloc, "Assign")?,
                    condition,
                };
                ctx |= reads_ctx(&rule.condition)
                    || template_ctx(&rule.output)
                    || template_ctx(&rule.assign);
                rules.push(rule);
            }
            JsonataOp::Choice {
                rules: rules.into_boxed_slice(),
            }
        }
        StateKind::Wait(w) => {
            let w = match w {
                WaitFor::Seconds(d) => {
                    typed(&Some(d.clone()), loc, "Seconds")?.map(JsonataWait::Seconds)
                }
                WaitFor::Timestamp(d) => {
                    typed(&Some(d.clone()), loc, "Timestamp")?.map(JsonataWait::Timestamp)
                }
            };
            let Some(w) = w else {
                return Err(CompileError::new(loc, "a Wait state without a duration"));
            };
            ctx |= match &w {
                JsonataWait::Seconds(t) => reads_ctx(t),
                JsonataWait::Timestamp(t) => reads_ctx(t),
            };
            JsonataOp::Wait(w)
        }
        StateKind::Fail(f) => {
            let error = typed(&f.error, loc, "Error")?;
            let cause = typed(&f.cause, loc, "Cause")?;
            ctx |= typed_ctx(&error) || typed_ctx(&cause);
            JsonataOp::Fail { error, cause }
        }
        StateKind::Map(mp) => {
            let count = mp.tolerated_failure_count.clone().map(|d| match d {
                Dynamic::Value(v) => Dynamic::Value(v as f64),
                Dynamic::Path(p) => Dynamic::Path(p),
                Dynamic::Jsonata(j) => Dynamic::Jsonata(j),
            });
            let map = JsonataMap {
                items: template(&mp.items, loc, "Items")?,
                item_selector: template(&mp.item_selector, loc, "ItemSelector")?,
                max_concurrency: typed(&mp.max_concurrency, loc, "MaxConcurrency")?,
                tolerated_count: typed(&count, loc, "ToleratedFailureCount")?,
                tolerated_percentage: typed(
                    &mp.tolerated_failure_percentage,
                    loc,
                    "ToleratedFailurePercentage",
                )?,
            };
            ctx |= template_ctx(&map.items)
                || template_ctx(&map.item_selector)
                || typed_ctx(&map.max_concurrency)
                || typed_ctx(&map.tolerated_count)
                || typed_ctx(&map.tolerated_percentage);
            JsonataOp::Map(Box::new(map))
        }
        StateKind::Pass { .. } | StateKind::Succeed | StateKind::Parallel(_) => JsonataOp::Plain,
    };
    Ok((
        JsonataIo {
            arguments,
            output,
            assign,
            catchers: catchers.into_boxed_slice(),
            op: jop,
        },
        ctx,
        op,
    ))
}

/// A field value with expressions anywhere inside it: `Output`, `Arguments`, `Assign`, ...
fn template(v: &Option<Value>, loc: &str, field: &str) -> Result<Option<Template>, CompileError> {
    v.as_ref()
        .map(|v| {
            Template::compile(field, v)
                .map_err(|e| CompileError::new(&format!("{loc}/{}", e.location), e.to_string()))
        })
        .transpose()
}

/// A `{% %}` field value that must be one expression (JA-8).
fn expression(src: &str, loc: &str, field: &str) -> Result<Expression, CompileError> {
    let text = parse_template_string(src).unwrap_or(src);
    Expression::compile(text).map_err(|e| {
        CompileError::new(
            &format!("{loc}/{field}"),
            format!("the JSONata expression '{text}' does not compile: {e}"),
        )
    })
}

fn typed<T: Clone>(
    d: &Option<Dynamic<T>>,
    loc: &str,
    field: &str,
) -> Result<Option<Typed<T>>, CompileError> {
    Ok(match d {
        None => None,
        Some(Dynamic::Value(v)) => Some(Typed::Const(v.clone())),
        Some(Dynamic::Jsonata(s)) => Some(Typed::Expr(expression(s, loc, field)?)),
        Some(Dynamic::Path(_)) => {
            return Err(CompileError::new(
                &format!("{loc}/{field}"),
                "a JSONPath field in a JSONata state",
            ))
        }
    })
}

/// Whether `t` can read `$states.context`.
fn template_ctx(t: &Option<Template>) -> bool {
    t.as_ref().is_some_and(|t| t.reads_state("context"))
}

fn typed_ctx<T>(t: &Option<Typed<T>>) -> bool {
    t.as_ref().is_some_and(reads_ctx)
}

fn reads_ctx<T>(t: &Typed<T>) -> bool {
    matches!(t, Typed::Expr(e) if e.reads_state("context"))
}
