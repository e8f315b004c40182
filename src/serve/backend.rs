//! The seam between the HTTP API and the execution [`Engine`].
//!
//! The operations layer (`ops`) owns the API's records (machine and activity descriptions,
//! tags, STANDARD execution records) and reaches executions only through [`Backend`], which
//! owns one [`Engine`] on the server's runtime:
//!
//! | call | does |
//! |---|---|
//! | [`Backend::create_machine`], [`Backend::update_machine`], [`Backend::delete_machine`] | register versions in the engine (compile and link once) |
//! | [`Backend::start_sync`] | StartSyncExecution: the engine's sync start (at-most-once; inline when the program cannot wait) |
//! | [`Backend::start`] | StartExecution of an EXPRESS machine: the engine's async start (at-least-once) |
//! | [`Backend::admit`], [`Backend::run`], [`Backend::spawn`] | executions the server drives itself, admitted by the engine and on its task tokens and activities: STANDARD executions (they need a completion for DescribeExecution and a stop handle for StopExecution, which the engine's async start does not give) and mock test cases |
//! | [`Backend::create_activity`], [`Backend::delete_activity`], [`Backend::poll_activity`] | the engine's activities (GetActivityTask long polls) |
//! | [`Backend::send_task_success`], [`Backend::send_task_failure`], [`Backend::heartbeat`] | the engine's task tokens |
//! | [`Backend::prepare`] | a throwaway machine for TestState (not registered) |
//! | [`Backend::shutdown`] | wake long polls so the server can drain |
//!
//! Admission: the engine's `max_in_flight` bounds every execution, sync, async, STANDARD and
//! mocked; past it a start is refused at once with `ThrottlingException` (HTTP 400).
//!
//! Callbacks in EXPRESS machines: AWS refuses `.waitForTaskToken` and activity Tasks in EXPRESS
//! machines (`InvalidDefinition`). `aslx serve` accepts them — its engine is built with
//! `allow_callbacks_in_express(true)` — so that such flows can be tried locally with
//! StartSyncExecution; this is aslx's local opt-in, not AWS behaviour.
//!
//! Mock test cases (`<arn>#<case>`): the engine has no hook to answer a Task from elsewhere, so
//! mocked executions run on the server's own driver loop (`drive_mocked`) over the engine's
//! machine version, admission, tokens and activities; Tasks of states the test case does not
//! mock go to their handler as usual. (Their records are not in the engine's execution log.)
//!
//! Resources with no handler: AWS accepts any well-formed resource, so machines are linked with
//! a [`Handlers::unbound`] handler that fails the Task with an explanation of how to bind one.

use super::mock::TestCase;
use super::ops::Identity;
use super::protocol::ApiError;
use crate::asl::MachineType;
use crate::engine::run::EngineBacked;
use crate::engine::{
    Engine, EngineError, ErrorKind, MachineSpec, MachineUpdate, Registered, Shared, StartRequest,
    StartedExecution, SyncExecution,
};
use crate::runtime::driver::{Call, Clock, Driver, OnPanic};
use crate::runtime::{Handlers, Machine, MachineError};
use crate::value::{Str, Value};
use crate::vm::{CallTarget, Execution, ExecutionInfo, Outcome, Step, TaskError, TaskOutcome};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Executions in flight at most, by default (the engine's default).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100_000;

/// A definition compiled and linked for TestState.
#[derive(Clone, Debug)]
pub struct Compiled {
    machine: Arc<Machine>,
}

impl Compiled {
    /// The linked machine.
    pub fn machine(&self) -> &Arc<Machine> {
        &self.machine
    }
}

/// A STANDARD or mocked execution the engine admitted: the machine version it runs and its
/// place among the engine's in-flight executions.
pub struct Admitted {
    reg: Arc<crate::engine::Registered>,
    permit: crate::engine::Permit,
}

impl EngineBacked for Admitted {
    fn registered(&self) -> &Arc<Registered> {
        &self.reg
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.permit.0
    }
}

impl std::fmt::Debug for Admitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted")
            .field("machine", &self.reg.info.name)
            .finish_non_exhaustive()
    }
}

/// Runs executions for the HTTP API. See the module documentation.
#[derive(Debug)]
pub struct Backend {
    engine: Engine,
    handlers: Handlers,
    shutdown: watch::Sender<bool>,
}

/// An engine refusal as the API answers it (same code and message).
impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        let mut a = ApiError::new(e.code(), e.message());
        if e.kind() == ErrorKind::ShuttingDown {
            a.status = 503;
        }
        a
    }
}

impl Backend {
    /// A backend whose engine runs on `runtime`, serves Task resources with `handlers` (any
    /// other resource fails its Task with an explanation) and admits at most `max_in_flight`
    /// executions at once.
    ///
    /// # Errors
    ///
    /// When the engine cannot be built.
    pub fn new(
        mut handlers: Handlers,
        id: &Identity,
        max_in_flight: usize,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<Backend> {
        handlers.unbound(|resource, _| {
            Err(TaskError::new(
                "States.TaskFailed",
                format!(
                    "aslx serve: no handler is bound to resource '{resource}'; start the server with --handler '{resource}=identity' (or return:JSON, raise:ERROR:CAUSE), a --handlers-file, or a mock test case"
                ),
            ))
        });
        let engine = Engine::builder()
            .runtime(runtime)
            .handlers(handlers.clone())
            .identity(&id.region, &id.account)
            .max_in_flight(max_in_flight)
            .allow_callbacks_in_express(true)
            .build()?;
        Ok(Backend {
            engine,
            handlers,
            shutdown: watch::channel(false).0,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Registers a new machine in the engine.
    ///
    /// # Errors
    ///
    /// `InvalidDefinition` with the definition's diagnostics (or what this engine does not run).
    pub fn create_machine(
        &self,
        name: &str,
        definition: &str,
        machine_type: MachineType,
        role_arn: &str,
    ) -> Result<(), ApiError> {
        self.engine.create_machine_with(MachineSpec {
            name,
            definition,
            machine_type,
            role_arn: Some(role_arn),
            logging: None,
        })?;
        Ok(())
    }

    /// Makes a new version of a machine current; running executions keep theirs.
    ///
    /// # Errors
    ///
    /// As [`Backend::create_machine`].
    pub fn update_machine(
        &self,
        name: &str,
        definition: Option<&str>,
        role_arn: Option<&str>,
    ) -> Result<(), ApiError> {
        let update = MachineUpdate {
            definition,
            role_arn,
            logging: None,
        };
        self.engine.update_machine_with(name, update)?;
        Ok(())
    }

    /// Removes a machine; its running executions finish.
    pub fn delete_machine(&self, name: &str) {
        let _ = self.engine.delete_machine(name);
    }

    /// StartSyncExecution on the engine.
    ///
    /// # Errors
    ///
    /// The engine's refusals, `ThrottlingException` among them.
    pub async fn start_sync(
        &self,
        machine: &str,
        name: Option<&str>,
        input: Value,
        trace_header: Option<&str>,
    ) -> Result<SyncExecution, ApiError> {
        let req = request(machine, name, input, trace_header);
        Ok(self.engine.start_sync(req).await?)
    }

    /// StartExecution of an EXPRESS machine on the engine.
    ///
    /// # Errors
    ///
    /// As [`Backend::start_sync`].
    pub fn start(
        &self,
        machine: &str,
        name: Option<&str>,
        input: Value,
        trace_header: Option<&str>,
    ) -> Result<StartedExecution, ApiError> {
        let req = request(machine, name, input, trace_header);
        Ok(self.engine.start(req)?)
    }

    /// Admits an execution the server drives itself ([`Backend::run`], [`Backend::spawn`]).
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `ThrottlingException`, `ServiceUnavailable`.
    pub fn admit(&self, machine: &str) -> Result<Admitted, ApiError> {
        let (reg, permit) = self.engine.admit_driven(machine)?;
        Ok(Admitted { reg, permit })
    }

    /// Runs an admitted execution to its end (its deadline included).
    pub async fn run(
        &self,
        a: Admitted,
        input: Value,
        info: ExecutionInfo,
        case: Option<Arc<TestCase>>,
    ) -> Outcome {
        run_admitted(a, input, info, case).await
    }

    /// Starts an admitted execution on a new task; `done` gets its outcome unless the returned
    /// handle aborts it first.
    pub fn spawn(
        &self,
        a: Admitted,
        input: Value,
        info: ExecutionInfo,
        case: Option<Arc<TestCase>>,
        done: impl FnOnce(Outcome) + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let run = run_admitted(a, input, info, case);
        self.engine
            .handle()
            .spawn(async move { done(run.await) })
            .abort_handle()
    }

    /// Compiles and links a definition for TestState, outside the engine's registry.
    ///
    /// # Errors
    ///
    /// The definition's diagnostics, or what this engine does not run.
    pub fn prepare(
        &self,
        name: &str,
        definition: &str,
        machine_type: MachineType,
    ) -> Result<Compiled, MachineError> {
        let machine = Machine::new(name, definition, machine_type, &self.handlers)?;
        Ok(Compiled {
            machine: Arc::new(machine),
        })
    }

    /// Runs a TestState machine to its end (its own `TimeoutSeconds` included).
    pub async fn run_prepared(
        &self,
        c: &Compiled,
        input: Value,
        info: ExecutionInfo,
        case: Option<Arc<TestCase>>,
    ) -> Outcome {
        let start_ms = info.start_ms;
        let mut exec = c.machine.execution(input, info);
        let driver = Driver::standalone(&c.machine, start_ms, c.machine.max_duration());
        drive(driver, &mut exec, case.as_deref()).await
    }

    /// Waits up to `wait` for a task of activity `arn`: its token and input. A shutdown
    /// answers at once with no task.
    ///
    /// # Errors
    ///
    /// `ActivityDoesNotExist`, `ActivityWorkerLimitExceeded`, `ValidationException`.
    pub async fn poll_activity(
        &self,
        arn: &str,
        worker: Option<&str>,
        wait: Duration,
    ) -> Result<Option<(Str, Value)>, ApiError> {
        let mut stop = self.shutdown.subscribe();
        if *stop.borrow() {
            return Ok(None);
        }
        tokio::select! {
            got = self.engine.get_activity_task(arn, worker, wait) => {
                Ok(got?.map(|t| (t.task_token, t.input)))
            }
            _ = stop.changed() => Ok(None),
        }
    }

    /// Registers an activity in the engine (idempotent).
    ///
    /// # Errors
    ///
    /// `InvalidName`.
    pub fn create_activity(&self, name: &str) -> Result<(), ApiError> {
        self.engine.create_activity(name)?;
        Ok(())
    }

    /// Removes an activity: its pollers get `ActivityDoesNotExist`, Tasks still waiting for a
    /// worker fail.
    pub fn delete_activity(&self, arn: &str) {
        let _ = self.engine.delete_activity(arn);
    }

    /// SendTaskSuccess.
    ///
    /// # Errors
    ///
    /// `InvalidOutput`, `InvalidToken`, `TaskDoesNotExist`, `TaskTimedOut`.
    pub fn send_task_success(&self, token: &str, output: &str) -> Result<(), ApiError> {
        Ok(self.engine.send_task_success(token, output)?)
    }

    /// SendTaskFailure.
    ///
    /// # Errors
    ///
    /// `InvalidToken`, `TaskDoesNotExist`, `TaskTimedOut`.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), ApiError> {
        Ok(self.engine.send_task_failure(token, error, cause)?)
    }

    /// SendTaskHeartbeat.
    ///
    /// # Errors
    ///
    /// As [`Backend::send_task_failure`].
    pub fn heartbeat(&self, token: &str) -> Result<(), ApiError> {
        Ok(self.engine.send_task_heartbeat(token)?)
    }

    /// Wakes every long poll (they answer with no task) and refuses new ones.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

fn request<'a>(
    machine: &'a str,
    name: Option<&'a str>,
    input: Value,
    trace_header: Option<&'a str>,
) -> StartRequest<'a> {
    let mut req = StartRequest::new(machine).input(input);
    if let Some(n) = name {
        req = req.name(n);
    }
    if let Some(t) = trace_header {
        req = req.trace_header(t);
    }
    req
}

/// An admitted execution on the engine's tokens and activities, under its deadline (EXPRESS:
/// `TimeoutSeconds` capped at five minutes; STANDARD: `TimeoutSeconds`).
async fn run_admitted(
    a: Admitted,
    input: Value,
    info: ExecutionInfo,
    case: Option<Arc<TestCase>>,
) -> Outcome {
    let start_ms = info.start_ms;
    let shared = &a.permit.0;
    let machine = &a.reg.machine;
    let clock = Clock::new(start_ms);
    let own = machine.program().timeout_seconds().map(Duration::from_secs);
    let limit = match machine.machine_type() {
        MachineType::Express => Some(own.map_or(shared.config.express_cap, |d| {
            d.min(shared.config.express_cap)
        })),
        MachineType::Standard => own,
    };
    let driver = Driver {
        services: &a,
        clock,
        deadline: limit.map(|d| clock.after_start(d)),
        on_panic: OnPanic::FailTask,
    };
    let mut exec = machine.execution(input, info);
    drive(driver, &mut exec, case.as_deref()).await
}

/// Drives `exec` on `driver`: the engine's driver loop, or with a test case [`drive_mocked`]
/// under the driver's deadline.
async fn drive(driver: Driver<'_>, exec: &mut Execution, case: Option<&TestCase>) -> Outcome {
    let Some(case) = case else {
        return driver.drive(exec).await;
    };
    match driver.deadline {
        None => drive_mocked(driver, exec, case).await,
        Some(d) => match tokio::time::timeout_at(d, drive_mocked(driver, exec, case)).await {
            Ok(o) => o,
            Err(_) => exec.abort(Outcome::timed_out()),
        },
    }
}

/// The driver loop with a test case: calls from a mocked state (the state running, inline
/// children of Map and Parallel included) are answered from the mock by invocation number;
/// every other call goes to its handler, or to the engine's tokens and activities.
async fn drive_mocked(driver: Driver<'_>, exec: &mut Execution, case: &TestCase) -> Outcome {
    let clock = driver.clock;
    let mut calls: HashMap<Str, u32> = HashMap::new();
    loop {
        match exec.step(clock.now_ms()) {
            Step::Done(o) => return o,
            Step::Yield => tokio::task::yield_now().await,
            Step::Sleep { until_ms } => tokio::time::sleep_until(clock.instant_at(until_ms)).await,
            // Mocks answer by state name: children run inline, so the calling state is known.
            Step::Fork => exec.run_fork_inline(),
            Step::Call(call) => {
                let state = exec.active_state();
                let outcome = match case.get_key_value(state) {
                    Some((name, mock)) => {
                        let n = calls.entry(Arc::clone(name)).or_insert(0);
                        let answer = mock.answer(*n);
                        *n += 1;
                        match answer {
                            Some(a) => {
                                let lambda_invoke = matches!(call.target, CallTarget::Function(_));
                                match a.to_result(lambda_invoke) {
                                    Ok(v) => TaskOutcome::Ok(v),
                                    Err(e) => TaskOutcome::Err(e),
                                }
                            }
                            None => TaskOutcome::Err(TaskError::new(
                                "States.TaskFailed",
                                format!(
                                    "aslx serve: the mocked response for state '{name}' defines no answer for invocation {}",
                                    *n - 1
                                ),
                            )),
                        }
                    }
                    None => match driver.start_call(call) {
                        Call::Done(o) => o,
                        Call::Pending(wait) => match wait.await {
                            Some(o) => o,
                            None => return exec.abort(Outcome::timed_out()),
                        },
                    },
                };
                exec.resume_task(outcome, clock.now_ms());
            }
        }
    }
}
