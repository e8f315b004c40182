//! The [`Engine`]: many executions at once on tokio's work-stealing pool, with the guarantees
//! of AWS Express workflows.
//!
//! An engine owns the runtime (or borrows one through [`EngineBuilder::runtime`]), the handler
//! registry, the state machines, the activities and the open task tokens.
//!
//! | promise | here |
//! |---|---|
//! | sync start ([`Engine::start_sync`]) | at-most-once: nothing runs an accepted execution twice; a handler panic fails its Task; when the caller drops the future, the execution is cancelled |
//! | async start ([`Engine::start`]) | at-least-once: returns the ARN at once; if a handler panics, the execution is re-run from its input (the attempt number is in its log records) |
//! | deadline | EXPRESS: min(`TimeoutSeconds`, 300 s, [`EngineBuilder::express_cap`]) then `TIMED_OUT` / `States.Timeout`, pending work dropped; STANDARD: `TimeoutSeconds` only |
//! | admission | at most [`EngineBuilder::max_in_flight`] executions; past it a start is refused at once (`ThrottlingException`); nothing queues |
//! | versions | machines can be updated and deleted while they run; an execution keeps the version it started on |
//! | shutdown | [`Engine::shutdown`]: stop admitting, wait for in-flight executions up to a grace period, end the rest `TIMED_OUT`, flush the log |
//! | logging | CloudWatch-shaped records ([`LogRecord`]) at `ALL`/`ERROR`/`FATAL`/`OFF`, with or without execution data, to a callback or JSON lines; `OFF` builds nothing |
//! | callbacks | `.waitForTaskToken` and activities for STANDARD machines (EXPRESS with [`EngineBuilder::allow_callbacks_in_express`]); [`Engine::send_task_success`], [`Engine::get_activity_task`], ... |
//!
//! ```
//! use aslx::engine::{Engine, StartRequest};
//! use aslx::{json, Handlers, MachineType, Status};
//!
//! let mut handlers = Handlers::new();
//! handlers.function("double", |v| Ok(json!({"n": v.get("n").and_then(|n| n.as_i64()).unwrap_or(0) * 2})));
//! let engine = Engine::builder().handlers(handlers).worker_threads(1).build().unwrap();
//! engine.create_machine("doubler", r#"{"StartAt": "D", "States": {"D": {
//!     "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:double", "End": true}}}"#,
//!     MachineType::Express).unwrap();
//! let done = engine
//!     .start_sync_blocking(StartRequest::new("doubler").input(json!({"n": 21})))
//!     .unwrap();
//! assert_eq!(done.outcome.status, Status::Succeeded);
//! assert_eq!(done.outcome.output.unwrap().to_json(), r#"{"n":42}"#);
//! ```

mod activities;
mod catalog;
mod durable;
mod error;
mod executions;
mod history;
mod inspect;
mod log;
mod log_dir;
mod machines;
mod metrics;
mod names;
mod nested;
pub mod quotas;
mod run;
mod start;
mod tags;
mod typed;
mod versions;

pub use crate::runtime::TaskHook;
pub use crate::runtime::{ActivityTask, MAX_POLLERS};
pub use activities::ActivityInfo;
pub use durable::Recovered;
pub use error::{EngineError, ErrorKind};
pub use executions::{ExecutionHandle, ExecutionStatus, MAX_FINISHED};
pub use history::{HistoryEvent, MAX_HISTORY_EVENTS};
pub use inspect::{Inspection, StateProbe, MAX_PRESET_VARIABLE_BYTES};
pub use log::{LogConfig, LogLevel, LogRecord, LogSink};
pub use log_dir::{valid_log_group_name, LogDir, StoredEvent};
use machines::Registered;
pub use machines::{Encryption, KeyType, MachineInfo, MachineSpec, MachineStatus, MachineUpdate};
pub use metrics::{
    EngineMetrics, HistogramSnapshot, MachineMetrics, DURATION_BUCKETS, WAITING_STATE_TYPES,
};
pub use names::{check_name, Input, MAX_NAME_CHARS};
pub use quotas::Quotas;
pub use start::{BillingDetails, StartRequest, StartedExecution, SyncExecution};
pub use typed::{StartSyncError, StartSyncErrorKind};
pub use versions::{valid_alias_name, AliasInfo, Route, MAX_ALIASES, MAX_VERSIONS};

use crate::asl::{parse_definition, DefinitionError, Diagnostic, MachineType};
use crate::runtime::driver::Callbacks;
use crate::runtime::sync::{AtomicBool, AtomicUsize, Mutex, Ordering, RwLock};
use crate::runtime::{Handlers, Machine, MachineError, EXPRESS_MAX_DURATION};
use crate::value::Str;
use log::Logger;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Settings of an [`Engine`]; start from [`Engine::builder`].
#[derive(Debug)]
pub struct EngineBuilder {
    worker_threads: Option<usize>,
    handle: Option<tokio::runtime::Handle>,
    max_in_flight: usize,
    express_cap: Duration,
    allow_callbacks_in_express: bool,
    async_attempts: u32,
    wait_scale: f64,
    log: LogConfig,
    sink: Option<LogSink>,
    handlers: Handlers,
    region: String,
    account: String,
    quotas: Quotas,
    /// The intake and the catalog, when set (none: in memory).
    durable: durable::Durable,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            worker_threads: None,
            handle: None,
            max_in_flight: 100_000,
            express_cap: EXPRESS_MAX_DURATION,
            allow_callbacks_in_express: false,
            async_attempts: 3,
            wait_scale: 1.0,
            log: LogConfig::default(),
            sink: None,
            handlers: Handlers::new(),
            region: "us-east-1".into(),
            account: "111111111111".into(),
            quotas: Quotas::default(),
            durable: durable::Durable::default(),
        }
    }
}

impl EngineBuilder {
    /// Worker threads of the engine's own multi-thread runtime (default: one per core).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n.max(1));
        self
    }

    /// Runs executions on an existing runtime instead of owning one (a server's runtime, or a
    /// test's paused-clock runtime).
    pub fn runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.handle = Some(handle);
        self
    }

    /// Most executions in flight at once (default 100,000); past it starts are refused.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    /// The EXPRESS deadline (default and maximum: five minutes).
    pub fn express_cap(mut self, cap: Duration) -> Self {
        self.express_cap = cap.min(EXPRESS_MAX_DURATION);
        self
    }

    /// Lets EXPRESS machines use `.waitForTaskToken` and activities, which AWS refuses
    /// (RES-5, RES-6). Off by default: such a definition gets AWS's `InvalidDefinition`.
    pub fn allow_callbacks_in_express(mut self, allow: bool) -> Self {
        self.allow_callbacks_in_express = allow;
        self
    }

    /// Runs of an async execution whose handler panics, the last one included (default 3):
    /// the first runs are abandoned and re-run from the input; in the last, the panic fails
    /// the Task like any handler error.
    pub fn async_attempts(mut self, n: u32) -> Self {
        self.async_attempts = n.max(1);
        self
    }

    /// Scales Wait states and retry intervals (Step Functions Local's `WAIT_TIME_SCALE`): 0.5
    /// waits half as long, 0 not at all. Default 1. Task timeouts, heartbeats and the
    /// EXPRESS cap are not scaled. Not AWS behaviour: for local runs and tests.
    pub fn wait_time_scale(mut self, scale: f64) -> Self {
        self.wait_scale = if scale.is_finite() {
            scale.max(0.0)
        } else {
            1.0
        };
        self
    }

    /// The handlers machines' Tasks link to.
    pub fn handlers(mut self, handlers: Handlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Default log level of machines (default `OFF`).
    pub fn log_level(mut self, level: LogLevel) -> Self {
        self.log.level = level;
        self
    }

    /// Whether log records carry inputs and outputs by default (default `false`).
    pub fn include_execution_data(mut self, include: bool) -> Self {
        self.log.include_execution_data = include;
        self
    }

    /// Where log records go (without one, nothing is logged).
    pub fn log_sink(mut self, sink: LogSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Region and account of the ARNs (default `us-east-1`, `111111111111`).
    pub fn identity(mut self, region: &str, account: &str) -> Self {
        self.region = region.into();
        self.account = account.into();
        self
    }

    /// Quotas on stored machines, activities and definition bytes (default: AWS's).
    pub fn quotas(mut self, quotas: Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// Records async starts in `intake` before they are answered ([`Engine::start_async`]),
    /// and runs the starts it delivers ([`Engine::recover`]). Without one (the default), an
    /// accepted start lives in memory only, and nothing on the start path changes.
    pub fn intake(mut self, intake: Arc<dyn crate::durable::Intake>) -> Self {
        self.durable.intake = Some(intake);
        self
    }

    /// Keeps machines (with versions, aliases and tags) and activities in `catalog`, read
    /// back by [`Engine::recover`]. Without one (the default), they live in memory only.
    pub fn catalog(mut self, catalog: Arc<dyn crate::durable::Catalog>) -> Self {
        self.durable.catalog = Some(catalog);
        self
    }

    /// Builds the engine and its runtime.
    ///
    /// # Errors
    ///
    /// When the runtime cannot be started (threads cannot be spawned).
    pub fn build(self) -> std::io::Result<Engine> {
        let (runtime, handle) = match self.handle {
            Some(h) => (None, h),
            None => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.enable_time().thread_name("aslx-worker");
                // Tasks that call endpoints open sockets on these workers. (Programs run by
                // `command:`/`worker:` handlers live on a runtime of their own.)
                if self.handlers.needs_io() {
                    b.enable_io();
                }
                if let Some(n) = self.worker_threads {
                    b.worker_threads(n);
                }
                let rt = b.build()?;
                let h = rt.handle().clone();
                (Some(rt), h)
            }
        };
        let region = Str::from(self.region);
        let account = Str::from(self.account);
        let mut handlers = self.handlers;
        // Weak, so that the machines (which hold their handlers) do not keep the engine alive.
        let shared = Arc::new_cyclic(|weak| {
            nested::bind(&mut handlers, weak, &handle);
            Shared {
                config: Config {
                    role_arn: Str::from(format!("arn:aws:iam::{account}:role/aslx")),
                    region: region.clone(),
                    account,
                    max_in_flight: self.max_in_flight,
                    express_cap: self.express_cap,
                    allow_callbacks_in_express: self.allow_callbacks_in_express,
                    async_attempts: self.async_attempts,
                    wait_scale: self.wait_scale,
                    quotas: self.quotas,
                },
                machines: RwLock::new(machines::Machines::default()),
                deleting: AtomicUsize::new(0),
                activity_meta: Mutex::new(HashMap::new()),
                callbacks: Callbacks::default(),
                in_flight: AtomicUsize::new(0),
                closing: AtomicBool::new(false),
                log: Arc::new(Logger::new(self.sink, self.log)),
                executions: Mutex::new(executions::Table::default()),
                handlers,
                durable: self.durable,
            }
        });
        Ok(Engine {
            owner: Arc::new(Owner {
                shared: Arc::clone(&shared),
                runtime: Mutex::new(runtime),
            }),
            shared,
            handle,
        })
    }
}

#[derive(Debug)]
struct Config {
    pub(crate) region: Str,
    pub(crate) account: Str,
    pub(crate) role_arn: Str,
    pub(crate) max_in_flight: usize,
    pub(crate) express_cap: Duration,
    pub(crate) allow_callbacks_in_express: bool,
    pub(crate) async_attempts: u32,
    pub(crate) wait_scale: f64,
    pub(crate) quotas: Quotas,
}

/// What executions share with the engine.
#[derive(Debug)]
struct Shared {
    pub(crate) config: Config,
    machines: RwLock<machines::Machines>,
    /// Machines `DELETING` now (0 on the hot path: nothing to check when an execution ends).
    deleting: AtomicUsize,
    /// What activities carry beside their queue: encryption settings and tags.
    activity_meta: Mutex<HashMap<Str, tags::ActivityMeta>>,
    pub(crate) callbacks: Callbacks,
    in_flight: AtomicUsize,
    closing: AtomicBool,
    pub(crate) log: Arc<Logger>,
    /// STANDARD executions, running and recently finished.
    executions: Mutex<executions::Table>,
    handlers: Handlers,
    /// The intake and the catalog, when set.
    durable: durable::Durable,
}

/// The engine. See the [module docs](self).
///
/// Cloning is cheap (three reference counts) and every clone is the same engine: share it
/// between a service's handlers as it is, or behind an `Arc`. The engine stops (its own
/// runtime with it) when the last clone is dropped.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    handle: tokio::runtime::Handle,
    owner: Arc<Owner>,
}

/// What the last clone of an [`Engine`] stops when it goes.
#[derive(Debug)]
struct Owner {
    shared: Arc<Shared>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("in_flight", &self.in_flight())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Engine>();
};

impl Engine {
    /// Settings with defaults: one worker per core, 100,000 in flight, five-minute cap.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The runtime executions run on.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Executions in flight now.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::Relaxed)
    }

    /// Task tokens open now (callback and activity Tasks waiting).
    pub fn open_tokens(&self) -> usize {
        self.shared.callbacks.tokens.len()
    }

    /// Parses, validates (EXPRESS restrictions waived for callbacks when allowed), compiles
    /// and links.
    fn link(&self, name: &str, definition: &str, t: MachineType) -> Result<Machine, EngineError> {
        self.shared.link(name, definition, t)
    }
}

impl Shared {
    /// [`Engine::link`], for what holds no engine (a catalog read back or watched).
    fn link(&self, name: &str, definition: &str, t: MachineType) -> Result<Machine, EngineError> {
        let model = match parse_definition(definition, t) {
            Ok(m) => m,
            Err(e) if t == MachineType::Express && self.config.allow_callbacks_in_express => {
                let rest: Vec<Diagnostic> = e
                    .diagnostics()
                    .iter()
                    .filter(|d| !is_callback_refusal(d))
                    .cloned()
                    .collect();
                if !rest.is_empty() {
                    return Err(EngineError::machine(DefinitionError::new(rest).into()));
                }
                // RES-5 and RES-6 are the only checks that depend on the type.
                parse_definition(definition, MachineType::Standard)
                    .map_err(|e| EngineError::machine(e.into()))?
            }
            Err(e) => return Err(EngineError::machine(MachineError::Definition(e))),
        };
        let mut m =
            Machine::link(name, &model, t, &self.handlers, true).map_err(EngineError::machine)?;
        m.set_wait_scale(self.config.wait_scale);
        Ok(m)
    }
}

impl Engine {
    /// Stops admitting, lets in-flight executions finish for up to `grace`, then stops the
    /// engine's runtime: executions still running are dropped with it, each logged as ended
    /// `TIMED_OUT` ("The engine shut down before the execution ended"). Flushes the log.
    ///
    /// # Panics
    ///
    /// When called from inside an async runtime (use [`Engine::shutdown_async`] there).
    pub fn shutdown(&self, grace: Duration) {
        self.shared.closing.store(true, Ordering::SeqCst);
        let until = std::time::Instant::now() + grace;
        while self.in_flight() > 0 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        if let Some(rt) = crate::runtime::sync::lock(&self.owner.runtime).take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        self.shared.log.flush();
    }

    /// [`Engine::shutdown`] for async callers: stops admitting, waits up to `grace` for
    /// in-flight executions and flushes the log. The engine's own runtime stops when the
    /// engine is dropped; on a borrowed runtime ([`EngineBuilder::runtime`]), executions still
    /// running end at their deadline or when that runtime drops them.
    pub async fn shutdown_async(&self, grace: Duration) {
        self.shared.closing.store(true, Ordering::SeqCst);
        let until = tokio::time::Instant::now() + grace;
        while self.in_flight() > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        self.shared.log.flush();
    }

    /// Writes buffered log records out.
    pub fn flush_log(&self) {
        self.shared.log.flush();
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        if let Some(rt) = crate::runtime::sync::lock(&self.runtime).take() {
            rt.shutdown_background();
        }
        // Records of executions dropped later are flushed when the last of them lets go.
        self.shared.log.flush();
    }
}

/// RES-5 / RES-6 findings, waived by [`EngineBuilder::allow_callbacks_in_express`].
fn is_callback_refusal(d: &Diagnostic) -> bool {
    let m = d.message();
    m.starts_with("Express state machine does not support '.waitForTaskToken'")
        || m == "Express state machine does not support Activity ARN"
}

impl Shared {
    /// `true` once a shutdown began.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// Admits one more execution, or refuses at once.
    fn admit(self: &Arc<Self>) -> Result<Permit, EngineError> {
        if self.closing.load(Ordering::Relaxed) {
            return Err(EngineError::shutting_down());
        }
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if before >= self.config.max_in_flight {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(EngineError::throttled());
        }
        Ok(Permit(Arc::clone(self)))
    }
}

/// One admitted execution; dropping it frees its place.
#[derive(Debug)]
struct Permit(Arc<Shared>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}
