//! A [`Machine`]: a compiled program linked to its handlers, ready to execute.
//!
//! Linking happens once, when the machine is created: every Task whose handler is fixed by its
//! `Resource` gets that handler now, so an unknown resource is a creation error, not a
//! run-time surprise. Only `lambda:invoke` Tasks, whose function is chosen by
//! `Parameters.FunctionName`, look their handler up per call.

use super::driver::Driver;
use super::handler::{Handler, Handlers};
use crate::asl::StateMachine;
use crate::asl::{parse_definition, DefinitionError, MachineType};
use crate::compile::{compile, CompileError, Integration, Program, TaskWait};
use crate::integrations::Integrations;
use crate::value::{parse_json, Value};
use crate::vm::{CallTarget, Execution, ExecutionInfo, Outcome};
use std::sync::Arc;
use std::time::Duration;

/// Why a machine could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MachineError {
    /// AWS would reject the definition.
    #[error("{0}")]
    Definition(#[from] DefinitionError),
    /// The definition is valid but uses something this engine does not run.
    #[error("unsupported: {0}")]
    Unsupported(#[from] CompileError),
    /// A distributed Map reads or writes Amazon S3 (`ItemReader`, `ResultWriter`) and no S3
    /// backend is configured.
    #[error(
        "state {state:?}: its distributed Map reads or writes Amazon S3 (ItemReader / \
         ResultWriter) and no S3 backend is configured: give --s3-dir DIR (a local directory, \
         bucket = subdirectory) or --endpoint s3=URL (Handlers::s3_dir in the library)"
    )]
    NoS3Backend {
        /// The Map state.
        state: String,
    },
    /// Tasks whose resource has no registered handler: all of them, in the order of the
    /// definition.
    #[error("{}", unbound_message(.0))]
    UnknownResource(Vec<UnboundTask>),
}

/// A Task state whose resource has no handler ([`MachineError::UnknownResource`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnboundTask {
    /// The state.
    pub state: String,
    /// Its `Resource`.
    pub resource: String,
    /// The flag that would bind it to an integration, when one exists
    /// (`--endpoint lambda=URL (or LAMBDA_ENDPOINT / AWS_ENDPOINT_URL_LAMBDA)`).
    pub hint: Option<String>,
}

impl UnboundTask {
    /// Each resource of `tasks` once, in the order first met, with the states that call it:
    /// how a refusal lists them.
    pub fn by_resource(tasks: &[UnboundTask]) -> Vec<(&UnboundTask, Vec<&str>)> {
        let mut resources: Vec<(&UnboundTask, Vec<&str>)> = Vec::new();
        for t in tasks {
            match resources.iter_mut().find(|(r, _)| r.resource == t.resource) {
                Some((_, states)) => states.push(&t.state),
                None => resources.push((t, vec![&t.state])),
            }
        }
        resources
    }
}

/// `state "A": no handler is registered for resource "R"`, or for several, each resource
/// once with the states that call it.
fn unbound_message(tasks: &[UnboundTask]) -> String {
    let bind = |t: &UnboundTask| {
        t.hint
            .as_ref()
            .map(|h| format!("; bind it with {h}"))
            .unwrap_or_default()
    };
    if let [t] = tasks {
        return format!(
            "state {:?}: no handler is registered for resource {:?}{}",
            t.state,
            t.resource,
            bind(t)
        );
    }
    let resources = UnboundTask::by_resource(tasks);
    let list: Vec<String> = resources
        .iter()
        .map(|(t, states)| {
            let states: Vec<String> = states.iter().map(|s| format!("{s:?}")).collect();
            format!("{:?} (state {}{})", t.resource, states.join(", "), bind(t))
        })
        .collect();
    format!(
        "no handler is registered for {} resources: {}",
        resources.len(),
        list.join("; ")
    )
}

/// Per-execution settings.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Identity of the execution (`$$.Execution`, `$$.StateMachine`); generated when `None`.
    pub info: Option<ExecutionInfo>,
    /// Deadline for the whole execution; `None` for the machine's own (`TimeoutSeconds`,
    /// capped at five minutes for EXPRESS machines).
    pub max_duration: Option<Duration>,
}

/// The five-minute cap of express executions (QUO-1).
pub const EXPRESS_MAX_DURATION: Duration = Duration::from_secs(300);

/// A state machine ready to run.
///
/// ```
/// use aslx::{Handlers, Machine, MachineType};
/// let def = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"hello": "world"}, "End": true}}}"#;
/// let m = Machine::new("hello", def, MachineType::Express, &Handlers::new()).unwrap();
/// let out = m.run_blocking(aslx::json!({}));
/// assert_eq!(out.output.unwrap().to_json(), r#"{"hello":"world"}"#);
/// ```
pub struct Machine {
    name: Arc<str>,
    machine_type: MachineType,
    program: Arc<Program>,
    /// One entry per Task site; `None` for `lambda:invoke` sites.
    linked: Box<[Option<Arc<dyn Handler>>]>,
    handlers: Handlers,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("name", &self.name)
            .field("type", &self.machine_type)
            .field("states", &self.program.len())
            .finish()
    }
}

impl Machine {
    /// Parses, validates, compiles and links a definition.
    ///
    /// # Errors
    ///
    /// [`MachineError::Definition`] with every finding AWS would report,
    /// [`MachineError::Unsupported`] for features this engine does not run, and
    /// [`MachineError::UnknownResource`] listing every Task with no registered handler.
    pub fn new(
        name: &str,
        definition: &str,
        machine_type: MachineType,
        handlers: &Handlers,
    ) -> Result<Machine, MachineError> {
        let model = parse_definition(definition, machine_type)?;
        Machine::link(name, &model, machine_type, handlers, false)
    }

    /// Compiles a validated model and links its Tasks to `handlers`. Inside an engine
    /// (`activities_served`), activity Tasks need no handler: workers poll for them.
    pub(crate) fn link(
        name: &str,
        model: &StateMachine,
        machine_type: MachineType,
        handlers: &Handlers,
        activities_served: bool,
    ) -> Result<Machine, MachineError> {
        let mut program = compile(model)?;
        if let (Some(state), None) = (program.s3_state(), handlers.s3()) {
            return Err(MachineError::NoS3Backend {
                state: state.to_string(),
            });
        }
        let mut linked = Vec::with_capacity(program.tasks().len());
        let mut unbound = Vec::new();
        for site in program.tasks() {
            let h = match (&site.integration, site.wait) {
                (Integration::LambdaInvoke, _) => None,
                (_, TaskWait::Activity) if activities_served => None,
                _ => {
                    let h = handlers
                        .for_resource(&site.resource)
                        .or_else(|| {
                            // A callback may use the handler of its request-response twin.
                            let base = site.resource.strip_suffix(".waitForTaskToken")?;
                            handlers.for_resource(base)
                        })
                        .cloned()
                        .or_else(|| handlers.for_integration(&site.resource))
                        .or_else(|| handlers.for_unbound(&site.resource));
                    if h.is_none() {
                        unbound.push(UnboundTask {
                            state: site.state.to_string(),
                            resource: site.resource.to_string(),
                            hint: Integrations::binding_hint(&site.resource),
                        });
                    }
                    h
                }
            };
            linked.push(h);
        }
        if !unbound.is_empty() {
            return Err(MachineError::UnknownResource(unbound));
        }
        // Tasks whose handler wants to know whose call it is get the execution's identity
        // with each call (the others pay nothing: see `Handler::wants_call_info`).
        let functions_want = handlers.functions_want_call_info();
        for (site, h) in program.tasks.iter_mut().zip(&linked) {
            site.needs_execution |= match h {
                Some(h) => h.wants_call_info(),
                None => site.integration == Integration::LambdaInvoke && functions_want,
            };
        }
        Ok(Machine {
            name: Arc::from(name),
            machine_type,
            program: Arc::new(program),
            linked: linked.into_boxed_slice(),
            handlers: handlers.clone(),
        })
    }

    /// Scales this machine's Wait states and retry intervals (`WAIT_TIME_SCALE`); before
    /// any execution, while the program is not shared.
    pub(crate) fn set_wait_scale(&mut self, scale: f64) {
        if let Some(p) = Arc::get_mut(&mut self.program) {
            p.wait_scale = scale;
        }
    }

    /// The machine's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `EXPRESS` or `STANDARD`.
    pub fn machine_type(&self) -> MachineType {
        self.machine_type
    }

    /// The compiled program.
    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// The handler a [`TaskCall`](crate::vm::TaskCall) goes to: the one linked to its Task, or
    /// for `lambda:invoke` the function its `FunctionName` names.
    pub fn handler(&self, target: &CallTarget) -> Option<&Arc<dyn Handler>> {
        match target {
            CallTarget::Site(site) => self.linked.get(site.index()).and_then(Option::as_ref),
            CallTarget::Function(name) => self.handlers.for_function(name),
        }
    }

    /// Where this machine's distributed Maps read and write S3 objects.
    pub(crate) fn s3(&self) -> Option<Arc<dyn crate::integrations::s3::ObjectStore>> {
        self.handlers.s3()
    }

    /// The integrations of the handlers the machine was linked with.
    pub(crate) fn integrations(&self) -> Option<&Arc<Integrations>> {
        self.handlers.integrations_ref()
    }

    /// The deadline of an execution: `TimeoutSeconds`, and for EXPRESS at most five minutes.
    pub fn max_duration(&self) -> Option<Duration> {
        let own = self.program.timeout_seconds().map(Duration::from_secs);
        match self.machine_type {
            MachineType::Express => {
                Some(own.map_or(EXPRESS_MAX_DURATION, |d| d.min(EXPRESS_MAX_DURATION)))
            }
            MachineType::Standard => own,
        }
    }

    /// A new execution of this machine, for callers that drive the VM themselves.
    pub fn execution(&self, input: Value, info: ExecutionInfo) -> Execution {
        let mut exec = Execution::new(Arc::clone(&self.program), Arc::new(info), input);
        if self.machine_type == MachineType::Standard {
            exec.set_history_limit(crate::vm::STANDARD_HISTORY_LIMIT);
        }
        exec
    }

    /// Runs one execution to its end on the current tokio runtime.
    pub async fn run(&self, input: Value) -> Outcome {
        self.run_with(input, RunOptions::default()).await
    }

    /// Runs one execution with explicit options.
    pub async fn run_with(&self, input: Value, opts: RunOptions) -> Outcome {
        let start_ms = wall_clock_ms();
        let info = opts
            .info
            .unwrap_or_else(|| ExecutionInfo::anonymous(&self.name, start_ms));
        let deadline = opts.max_duration.or_else(|| self.max_duration());
        let mut info = info;
        if let Some(d) = deadline {
            info.set_deadline(d);
        }
        let span = super::trace::execution_span(&info, self.machine_type);
        let mut exec = self.execution(input, info);
        if let Some(span) = span {
            // PERF: boxed, so that the span is no part of an untraced run's future (pass1
            // through aslx-load: +5% instructions per execution when it was).
            return Box::pin(self.run_traced(&mut exec, span, start_ms, deadline)).await;
        }
        Driver::standalone(self, start_ms, deadline)
            .drive(&mut exec)
            .await
    }

    /// [`Machine::run_with`] with a `tracing` span: the execution's states and Tasks as its
    /// children, its end as an event.
    async fn run_traced(
        &self,
        exec: &mut Execution,
        span: tracing::Span,
        start_ms: i64,
        deadline: Option<Duration>,
    ) -> Outcome {
        exec.set_observer(super::trace::TraceObserver::boxed(span.clone(), None));
        let outcome = Driver::standalone(self, start_ms, deadline)
            .drive(exec)
            .await;
        super::trace::execution_ended(&span, &outcome);
        outcome
    }

    /// Runs one execution on a private single-threaded runtime; for tools and tests.
    ///
    /// # Panics
    ///
    /// When called from inside an async runtime (use [`Machine::run`] there).
    pub fn run_blocking(&self, input: Value) -> Outcome {
        // Time for Waits and timeouts; I/O only for handlers that open sockets on the
        // caller's runtime (integrations, `http:`), so that an execution of in-process
        // handlers does not pay for an I/O driver it never uses.
        let mut builder = tokio::runtime::Builder::new_current_thread();
        builder.enable_time();
        if self.handlers.needs_io() {
            builder.enable_io();
        }
        let rt = builder
            .build()
            .expect("a current-thread runtime can always be built");
        rt.block_on(self.run(input))
    }

    /// Parses `input` as JSON and runs it; a parse error is returned as text.
    ///
    /// # Errors
    ///
    /// The JSON error, naming line and column.
    pub fn run_json_blocking(&self, input: &str) -> Result<Outcome, crate::value::JsonError> {
        Ok(self.run_blocking(parse_json(input)?))
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
