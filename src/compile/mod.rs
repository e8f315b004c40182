//! Model → [`Program`]: the second stage of the pipeline.
//!
//! States of the top-level scope are numbered in definition order; `Next`, `Default`, choice
//! and catcher targets become [`StateId`]s; paths, templates and Choice rules are compiled;
//! error-name lists become [`program::ErrorSet`]s; each Task gets a [`TaskId`] slot for the
//! linker. The compiler trusts the validator: anything it still cannot compile becomes a
//! [`CompileError`] naming the state and field, never a panic.

pub mod choice;
pub mod dump;
pub mod program;
pub mod resource;
pub mod template;

pub use program::{Integration, Program, StateId, TaskId, TaskSite, TaskWait};

use crate::asl::model::{self as m, Dynamic, PathField, StateKind, StateMachine};
use crate::asl::{is_jsonata_expr, QueryLanguage};
use crate::path::{Expr, Path};
use crate::value::{Str, Value};
use choice::Predicate;
use program::*;
use resource::{classify, ResourceKind};
use std::collections::HashMap;
use template::Template;

/// A definition that passed validation but uses something this engine cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    location: String,
    message: String,
}

impl CompileError {
    fn new(location: &str, message: impl Into<String>) -> CompileError {
        CompileError {
            location: location.to_string(),
            message: message.into(),
        }
    }

    /// Where, as a JSON location (`/States/A/Items`).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// What.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for CompileError {}

/// Compiles a validated model.
///
/// # Errors
///
/// A [`CompileError`] for features not supported by this engine yet.
pub fn compile(sm: &StateMachine) -> Result<Program, CompileError> {
    let scope = &sm.scope;
    let ids: HashMap<&str, StateId> = scope
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (&*s.name, StateId(i as u32)))
        .collect();
    let target = |name: &str, loc: &str| {
        ids.get(name)
            .copied()
            .ok_or_else(|| CompileError::new(loc, format!("no state named {name:?}")))
    };
    let mut tasks = Vec::new();
    let mut states = Vec::with_capacity(scope.states.len());
    let mut can_wait = false;
    for s in &scope.states {
        let loc = s.location.as_str();
        if s.query_language == QueryLanguage::Jsonata {
            return Err(CompileError::new(
                loc,
                "JSONata states are not supported by this version of aslx",
            ));
        }
        if s.io.assign.is_some() || s.io.catch.iter().any(|c| c.assign.is_some()) {
            return Err(CompileError::new(
                loc,
                "Assign (workflow variables) is not supported by this version of aslx",
            ));
        }
        let next = match &s.transition {
            m::Transition::Next(n) => Next::State(target(n, loc)?),
            m::Transition::End => Next::End,
            m::Transition::None => Next::None,
        };
        let mut io = compile_io(&s.io, loc, &target)?;
        let op = match &s.kind {
            StateKind::Pass { result } => Op::Pass {
                result: result.clone(),
                result_bytes: result
                    .as_ref()
                    .and_then(|r| crate::value::serialized_len_at_most(r, usize::MAX))
                    .unwrap_or(0),
            },
            StateKind::Task(t) => {
                can_wait = true;
                let kind = classify(&t.resource);
                let wait = match &kind {
                    ResourceKind::Service {
                        pattern: resource::Pattern::WaitForTaskToken,
                        ..
                    } => TaskWait::Callback,
                    ResourceKind::Activity => TaskWait::Activity,
                    _ => TaskWait::Response,
                };
                let integration = match kind {
                    ResourceKind::LambdaFunction { name } => Integration::LambdaArn {
                        function: Str::from(name),
                    },
                    ResourceKind::Service {
                        service, action, ..
                    } if service == "lambda" && action == "invoke" => Integration::LambdaInvoke,
                    _ => Integration::Exact,
                };
                let site = TaskId(tasks.len() as u32);
                tasks.push(TaskSite {
                    resource: t.resource.clone(),
                    state: s.name.clone(),
                    integration: integration.clone(),
                    wait,
                });
                Op::Task(Box::new(Task {
                    site,
                    integration,
                    timeout: num(&t.timeout, loc)?,
                    heartbeat: num(&t.heartbeat, loc)?,
                }))
            }
            StateKind::Choice(c) => {
                let mut rules = Vec::with_capacity(c.choices.len());
                for r in &c.choices {
                    let p = Predicate::compile(&r.condition)
                        .map_err(|e| CompileError::new(&r.location, e))?;
                    io.uses_context |= p.uses_context();
                    rules.push((p, target(&r.next, &r.location)?));
                }
                let default = match &c.default {
                    Some(d) => Some(target(d, loc)?),
                    None => None,
                };
                Op::Choice(Box::new(program::Choice {
                    rules: rules.into_boxed_slice(),
                    default,
                }))
            }
            StateKind::Wait(w) => {
                can_wait = true;
                let w = match w {
                    m::WaitFor::Seconds(Dynamic::Value(s)) => Wait::Seconds(*s),
                    m::WaitFor::Seconds(Dynamic::Path(p)) => Wait::SecondsPath(path(p, loc)?),
                    m::WaitFor::Timestamp(Dynamic::Value(t)) => Wait::Timestamp(*t),
                    m::WaitFor::Timestamp(Dynamic::Path(p)) => Wait::TimestampPath(path(p, loc)?),
                    _ => {
                        return Err(CompileError::new(
                            loc,
                            "JSONata Wait fields are not supported by this version of aslx",
                        ))
                    }
                };
                if let Wait::SecondsPath(p) | Wait::TimestampPath(p) = &w {
                    io.uses_context |= p.text().starts_with("$$");
                }
                Op::Wait(Box::new(w))
            }
            StateKind::Succeed => Op::Succeed,
            StateKind::Fail(f) => {
                let field = |d: &Option<Dynamic<Str>>,
                             name: &'static str|
                 -> Result<Option<FailField>, CompileError> {
                    Ok(match d {
                        None => None,
                        Some(Dynamic::Value(s)) => Some(FailField::Const(s.clone())),
                        Some(Dynamic::Path(p)) => Some(FailField::Expr(
                            Expr::parse(p).map_err(|e| CompileError::new(loc, e))?,
                            name,
                        )),
                        Some(Dynamic::Jsonata(_)) => {
                            return Err(CompileError::new(
                                loc,
                                "JSONata Fail fields are not supported by this version of aslx",
                            ))
                        }
                    })
                };
                let fail = Fail {
                    error: field(&f.error, "ErrorPath")?,
                    cause: field(&f.cause, "CausePath")?,
                };
                for ff in [&fail.error, &fail.cause].into_iter().flatten() {
                    if let FailField::Expr(e, _) = ff {
                        io.uses_context |= e.text().contains("$$");
                    }
                }
                Op::Fail(Box::new(fail))
            }
            StateKind::Parallel(_) => {
                return Err(CompileError::new(
                    loc,
                    "Parallel states are not supported by this version of aslx",
                ))
            }
            StateKind::Map(_) => {
                return Err(CompileError::new(
                    loc,
                    "Map states are not supported by this version of aslx",
                ))
            }
        };
        states.push(State {
            name: s.name.clone(),
            location: loc.into(),
            io,
            next,
            op,
        });
    }
    let start = target(&scope.start_at, "/StartAt")?;
    Ok(Program {
        states: states.into_boxed_slice(),
        start,
        timeout_seconds: sm.timeout_seconds,
        tasks: tasks.into_boxed_slice(),
        can_wait,
    })
}

fn path(p: &str, loc: &str) -> Result<Path, CompileError> {
    Path::parse(p).map_err(|e| CompileError::new(loc, e))
}

fn num(d: &Option<Dynamic<u64>>, loc: &str) -> Result<Option<Num>, CompileError> {
    Ok(match d {
        None => None,
        Some(Dynamic::Value(v)) => Some(Num::Const(*v)),
        Some(Dynamic::Path(p)) => Some(Num::Path(path(p, loc)?)),
        Some(Dynamic::Jsonata(_)) => {
            return Err(CompileError::new(
                loc,
                "JSONata numeric fields are not supported by this version of aslx",
            ))
        }
    })
}

fn select(f: &PathField, loc: &str) -> Result<Select, CompileError> {
    Ok(match f {
        PathField::Absent => Select::All,
        PathField::Null => Select::Empty,
        PathField::Path(p) if p == "$" => Select::All,
        PathField::Path(p) => Select::Path(path(p, loc)?),
    })
}

fn merge(f: &PathField, loc: &str) -> Result<Merge, CompileError> {
    Ok(match f {
        PathField::Absent => Merge::Replace,
        PathField::Null => Merge::Discard,
        PathField::Path(p) if p == "$" => Merge::Replace,
        PathField::Path(p) => Merge::Path(path(p, loc)?),
    })
}

fn template(v: &Option<Value>, loc: &str, field: &str) -> Result<Option<Template>, CompileError> {
    match v {
        None => Ok(None),
        Some(v) => {
            if contains_jsonata(v) {
                // Kept as literal strings in JSONPath states (PT-3).
            }
            Template::compile(v).map(Some).map_err(|k| {
                CompileError::new(
                    &format!("{loc}/{field}"),
                    format!("cannot compile field '{k}'"),
                )
            })
        }
    }
}

fn contains_jsonata(v: &Value) -> bool {
    v.as_str().is_some_and(is_jsonata_expr)
}

/// Folds `ErrorEquals` into an [`ErrorSet`].
pub(crate) fn error_set(names: &[Str]) -> ErrorSet {
    let mut set = ErrorSet::default();
    for n in names {
        match &**n {
            "States.ALL" => set.all = true,
            "States.TaskFailed" => set.task_failed = true,
            "States.HeartbeatTimeout" => set.heartbeat = true,
            _ => {}
        }
        set.names.push(n.clone());
    }
    set
}

fn compile_io(
    io: &m::Io,
    loc: &str,
    target: &impl Fn(&str, &str) -> Result<StateId, CompileError>,
) -> Result<Io, CompileError> {
    let mut out = Io {
        input_path: select(&io.input_path, loc)?,
        output_path: select(&io.output_path, loc)?,
        parameters: template(&io.parameters, loc, "Parameters")?,
        result_selector: template(&io.result_selector, loc, "ResultSelector")?,
        result_path: merge(&io.result_path, loc)?,
        retry: io
            .retry
            .iter()
            .map(|r| Retrier {
                errors: error_set(&r.error_equals),
                interval_ms: r.interval_seconds * 1000,
                max_attempts: r.max_attempts.min(u32::MAX as u64) as u32,
                backoff_rate: r.backoff_rate,
                max_delay_ms: r.max_delay_seconds.map(|d| d * 1000),
                full_jitter: r.full_jitter,
            })
            .collect(),
        catch: io
            .catch
            .iter()
            .map(|c| {
                Ok(Catcher {
                    errors: error_set(&c.error_equals),
                    next: target(&c.next, &c.location)?,
                    result_path: merge(&c.result_path, &c.location)?,
                })
            })
            .collect::<Result<_, CompileError>>()?,
        uses_context: false,
    };
    let sel_ctx = |s: &Select| matches!(s, Select::Path(p) if p.text().starts_with("$$"));
    out.uses_context = sel_ctx(&out.input_path)
        || sel_ctx(&out.output_path)
        || out.parameters.as_ref().is_some_and(Template::uses_context)
        || out
            .result_selector
            .as_ref()
            .is_some_and(Template::uses_context);
    Ok(out)
}
