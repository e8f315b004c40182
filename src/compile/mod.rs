//! Model → [`Program`]: the second stage of the pipeline.
//!
//! States of every scope (the top level, then each Parallel branch and Map processor as it is
//! met) are numbered in definition order into one array; `Next`, `Default`, choice
//! and catcher targets become [`StateId`]s; paths, templates and Choice rules are compiled;
//! error-name lists become `ErrorSet`s; each Task gets a [`TaskId`] slot for the
//! linker. The compiler trusts the validator: anything it still cannot compile becomes a
//! [`CompileError`] naming the state and field, never a panic.

pub mod choice;
pub mod dump;
mod jsonata;
pub(crate) mod map_io;
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
    let mut c = Compiler {
        states: Vec::new(),
        scopes: Vec::new(),
        tasks: Vec::new(),
    };
    let (top, can_wait) = c.scope(&sm.scope)?;
    let start = c.scopes[top.index()].start;
    let states = c
        .states
        .into_iter()
        .map(|s| s.ok_or_else(|| CompileError::new("", "internal error: state not compiled")))
        .collect::<Result<Vec<_>, _>>()?;
    let uses_context = states.iter().any(|s| s.io.uses_context);
    Ok(Program {
        uses_context,
        states: states.into_boxed_slice(),
        scopes: c.scopes.into_boxed_slice(),
        start,
        timeout_seconds: sm.timeout_seconds,
        tasks: c.tasks.into_boxed_slice(),
        can_wait,
        wait_scale: 1.0,
    })
}

struct Compiler {
    /// Every scope's states, in one array; `None` while a slot is reserved.
    states: Vec<Option<State>>,
    scopes: Vec<ScopeInfo>,
    tasks: Vec<TaskSite>,
}

impl Compiler {
    /// Compiles one scope and, recursively, the scopes nested in it. Returns the scope's id
    /// and whether anything in it can wait.
    fn scope(&mut self, scope: &m::Scope) -> Result<(ScopeId, bool), CompileError> {
        let base = self.states.len();
        self.states.extend(scope.states.iter().map(|_| None));
        let id = ScopeId(self.scopes.len() as u32);
        self.scopes.push(ScopeInfo {
            start: StateId(base as u32),
            can_wait: false,
        });
        let ids: HashMap<&str, StateId> = scope
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| (&*s.name, StateId((base + i) as u32)))
            .collect();
        let target = |name: &str, loc: &str| {
            ids.get(name)
                .copied()
                .ok_or_else(|| CompileError::new(loc, format!("no state named {name:?}")))
        };
        let mut can_wait = false;
        for (i, s) in scope.states.iter().enumerate() {
            let (state, waits) = self.state(s, &target)?;
            can_wait |= waits;
            self.states[base + i] = Some(state);
        }
        let start_loc = if scope.location.is_empty() {
            "/StartAt".to_string()
        } else {
            format!("{}/StartAt", scope.location)
        };
        self.scopes[id.index()] = ScopeInfo {
            start: target(&scope.start_at, &start_loc)?,
            can_wait,
        };
        Ok((id, can_wait))
    }

    fn state(
        &mut self,
        s: &m::State,
        target: &impl Fn(&str, &str) -> Result<StateId, CompileError>,
    ) -> Result<(State, bool), CompileError> {
        let loc = s.location.as_str();
        let is_jsonata = s.query_language == QueryLanguage::Jsonata;
        let next = match &s.transition {
            m::Transition::Next(n) => Next::State(target(n, loc)?),
            m::Transition::End => Next::End,
            m::Transition::None => Next::None,
        };
        let mut io = if is_jsonata {
            compile_io(&jsonata::jsonpath_part(&s.io), loc, target)?
        } else {
            compile_io(&s.io, loc, target)?
        };
        let mut can_wait = false;
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
                let submits = matches!(
                    kind,
                    ResourceKind::Service {
                        pattern: resource::Pattern::Sync,
                        ..
                    }
                );
                let needs_execution = matches!(
                    &kind,
                    ResourceKind::Service { service, action, .. }
                        if service == "events" && action == "putEvents"
                );
                let integration = match kind {
                    ResourceKind::LambdaFunction { name } => Integration::LambdaArn {
                        function: Str::from(name),
                    },
                    ResourceKind::Service {
                        service, action, ..
                    } if service == "lambda" && action == "invoke" => Integration::LambdaInvoke,
                    _ => Integration::Exact,
                };
                let site = TaskId(self.tasks.len() as u32);
                self.tasks.push(TaskSite {
                    resource: t.resource.clone(),
                    state: s.name.clone(),
                    integration: integration.clone(),
                    wait,
                    needs_execution,
                });
                Op::Task(Box::new(Task {
                    site,
                    integration,
                    submits,
                    timeout: num(&t.timeout, loc)?,
                    heartbeat: num(&t.heartbeat, loc)?,
                }))
            }
            // A JSONata Choice's rules live in its `JsonataIo`.
            StateKind::Choice(c) if is_jsonata => Op::Choice(Box::new(program::Choice {
                rules: Box::new([]),
                default: match &c.default {
                    Some(d) => Some(target(d, loc)?),
                    None => None,
                },
            })),
            StateKind::Choice(c) => {
                let mut rules = Vec::with_capacity(c.choices.len());
                for r in &c.choices {
                    let predicate = Predicate::compile(&r.condition)
                        .map_err(|e| CompileError::new(&r.location, e))?;
                    io.uses_context |= predicate.uses_context();
                    let assign = template(&r.assign, &r.location, "Assign")?;
                    io.uses_context |= assign.as_ref().is_some_and(Template::uses_context);
                    rules.push(Rule {
                        predicate,
                        next: target(&r.next, &r.location)?,
                        assign,
                    });
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
                    // An expression of a JSONata Wait lives in its `JsonataIo`.
                    m::WaitFor::Seconds(Dynamic::Jsonata(_))
                    | m::WaitFor::Timestamp(Dynamic::Jsonata(_)) => Wait::Seconds(0),
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
                        // In a JSONata state: read from its `JsonataIo`.
                        Some(Dynamic::Jsonata(_)) => None,
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
            StateKind::Parallel(p) => {
                let mut branches = Vec::with_capacity(p.branches.len());
                for b in &p.branches {
                    let (id, waits) = self.scope(b)?;
                    can_wait |= waits;
                    branches.push(id);
                }
                Op::Parallel(Box::new(Parallel {
                    branches: branches.into_boxed_slice(),
                }))
            }
            StateKind::Map(mp) => {
                let (op, waits) = self.map(mp, loc, &mut io, is_jsonata)?;
                can_wait |= waits;
                Op::Map(Box::new(op))
            }
        };
        let op = if is_jsonata {
            let (j, reads_context, op) = jsonata::compile_state(s, target, op)?;
            io.uses_context |= reads_context;
            io.jsonata = Some(Box::new(j));
            op
        } else {
            op
        };
        Ok((
            State {
                name: s.name.clone(),
                location: loc.into(),
                io,
                next,
                op,
            },
            can_wait,
        ))
    }

    fn map(
        &mut self,
        mp: &m::MapState,
        loc: &str,
        io: &mut Io,
        is_jsonata: bool,
    ) -> Result<(MapOp, bool), CompileError> {
        // MAP-10, MAP-12: served by the driver, so a Map with either can wait.
        for (field, present) in [
            ("ItemReader", mp.item_reader.is_some()),
            ("ResultWriter", mp.result_writer.is_some()),
        ] {
            if present && !mp.distributed {
                return Err(CompileError::new(
                    &format!("{loc}/{field}"),
                    format!("{field} needs a distributed Map (ItemProcessor.ProcessorConfig.Mode: DISTRIBUTED)"),
                ));
            }
        }
        let reader = match &mp.item_reader {
            None => None,
            Some(v) => Some(Box::new(map_io::item_reader(
                v,
                &format!("{loc}/ItemReader"),
                is_jsonata,
            )?)),
        };
        let writer = match &mp.result_writer {
            None => None,
            Some(v) => Some(Box::new(map_io::result_writer(
                v,
                &format!("{loc}/ResultWriter"),
                is_jsonata,
            )?)),
        };
        if let Some(r) = &reader {
            io.uses_context |= r.parameters.as_ref().is_some_and(Template::uses_context)
                || r.arguments
                    .as_ref()
                    .is_some_and(|t| t.reads_state("context"))
                || matches!(&r.max_items, Some(Num::Path(p)) if p.text().starts_with("$$"))
                || matches!(&r.max_items_jsonata, Some(Typed::Expr(e)) if e.reads_state("context"));
        }
        if let Some(w) = &writer {
            io.uses_context |= w.parameters.as_ref().is_some_and(Template::uses_context)
                || w.arguments
                    .as_ref()
                    .is_some_and(|t| t.reads_state("context"));
        }
        let io_waits = reader.is_some() || writer.as_ref().is_some_and(|w| w.export);
        let (processor, can_wait) = self.scope(&mp.processor)?;
        let can_wait = can_wait || io_waits;
        let items_path = match &mp.items_path {
            None => None,
            Some(p) if p == "$" => None,
            Some(p) => Some(path(p, loc)?),
        };
        // A JSONata Map's items, selector and limits live in its `JsonataIo`.
        let item_selector = if is_jsonata {
            None
        } else {
            template(&mp.item_selector, loc, "ItemSelector")?
        };
        let ctx_path = |p: &Path| p.text().starts_with("$$");
        io.uses_context |= item_selector.as_ref().is_some_and(Template::uses_context)
            || items_path.as_ref().is_some_and(ctx_path);
        let tolerance = |d: Option<Dynamic<f64>>| -> Result<Option<Tolerance>, CompileError> {
            Ok(match d {
                None => None,
                Some(Dynamic::Value(v)) => Some(Tolerance::Const(v)),
                Some(Dynamic::Path(p)) => Some(Tolerance::Path(path(&p, loc)?)),
                Some(Dynamic::Jsonata(_)) => None,
            })
        };
        let count = mp.tolerated_failure_count.clone().map(|d| match d {
            Dynamic::Value(v) => Dynamic::Value(v as f64),
            Dynamic::Path(p) => Dynamic::Path(p),
            Dynamic::Jsonata(j) => Dynamic::Jsonata(j),
        });
        let batcher = match &mp.item_batcher {
            None => None,
            Some(b) => Some(batcher(b, &format!("{loc}/ItemBatcher"))?),
        };
        if let Some(b) = &batcher {
            io.uses_context |= b.batch_input.as_ref().is_some_and(Template::uses_context);
        }
        // The legacy `Parameters` of a Map is its ItemSelector (MAP-3), not an input filter.
        io.parameters = None;
        let op = MapOp {
            processor,
            distributed: mp.distributed,
            items_path,
            item_selector,
            max_concurrency: num(&mp.max_concurrency, loc)?,
            tolerated_count: tolerance(count)?,
            tolerated_percentage: tolerance(mp.tolerated_failure_percentage.clone())?,
            batcher,
            reader,
            writer,
            label: mp.label.clone(),
        };
        for p in [&op.max_concurrency]
            .into_iter()
            .flatten()
            .filter_map(|n| match n {
                Num::Path(p) => Some(p),
                Num::Const(_) => None,
            })
            .chain(
                [&op.tolerated_count, &op.tolerated_percentage]
                    .into_iter()
                    .flatten()
                    .filter_map(|t| match t {
                        Tolerance::Path(p) => Some(p),
                        Tolerance::Const(_) => None,
                    }),
            )
        {
            io.uses_context |= ctx_path(p);
        }
        Ok((op, can_wait))
    }
}

/// `ItemBatcher`: `MaxItemsPerBatch(Path)`, `MaxInputBytesPerBatch(Path)`, `BatchInput`.
fn batcher(v: &Value, loc: &str) -> Result<Batcher, CompileError> {
    let field = |name: &str| -> Result<Option<Num>, CompileError> {
        if let Some(n) = v.get(name) {
            return match n {
                Value::Int(i) if *i >= 0 => Ok(Some(Num::Const(*i as u64))),
                _ => Err(CompileError::new(
                    &format!("{loc}/{name}"),
                    "must be a non-negative integer",
                )),
            };
        }
        match v.get(&format!("{name}Path")) {
            None => Ok(None),
            Some(p) => match p.as_str() {
                Some(p) => Ok(Some(Num::Path(path(p, loc)?))),
                None => Err(CompileError::new(
                    &format!("{loc}/{name}Path"),
                    "must be a JSONPath string",
                )),
            },
        }
    };
    Ok(Batcher {
        max_items: field("MaxItemsPerBatch")?,
        max_bytes: field("MaxInputBytesPerBatch")?,
        batch_input: template(&v.get("BatchInput").cloned(), loc, "BatchInput")?,
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
        // In a JSONata state: read from its `JsonataIo`.
        Some(Dynamic::Jsonata(_)) => None,
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
            "States.Timeout" => set.timeout = true,
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
                    assign: template(&c.assign, &c.location, "Assign")?,
                })
            })
            .collect::<Result<_, CompileError>>()?,
        assign: template(&io.assign, loc, "Assign")?,
        uses_context: false,
        jsonata: None,
    };
    let sel_ctx = |s: &Select| matches!(s, Select::Path(p) if p.text().starts_with("$$"));
    out.uses_context = sel_ctx(&out.input_path)
        || sel_ctx(&out.output_path)
        || out.parameters.as_ref().is_some_and(Template::uses_context)
        || out
            .result_selector
            .as_ref()
            .is_some_and(Template::uses_context)
        || out.assign.as_ref().is_some_and(Template::uses_context)
        || out
            .catch
            .iter()
            .any(|c| c.assign.as_ref().is_some_and(Template::uses_context));
    Ok(out)
}
