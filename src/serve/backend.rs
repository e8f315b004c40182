//! The seam between the HTTP API and the execution engine.
//!
//! The operations layer (`ops`) owns the API's records (machines, activities, tags, STANDARD
//! execution records) and talks to executions only through [`Backend`]:
//!
//! | call | does |
//! |---|---|
//! | [`Backend::prepare`] | compile and link a definition (CreateStateMachine, UpdateStateMachine) |
//! | [`Backend::run`] | run one execution to its end and give its [`Outcome`] (StartSyncExecution) |
//! | [`Backend::spawn`] | start one execution in the background, report its outcome to a callback, return a handle that stops it (StartExecution, StopExecution) |
//! | [`Backend::poll_activity`] | long-poll an activity's queue (GetActivityTask) |
//! | [`Backend::complete_task`], [`Backend::heartbeat`] | answer a task token (SendTaskSuccess / Failure / Heartbeat) |
//! | [`Backend::shutdown`] | wake long polls so the server can drain |
//!
//! Phase 1 (this file) runs executions with [`Machine`]: `run` drives on the calling request's
//! task, `spawn` on a new tokio task; activities are an in-server queue with a token table.
//! Executions started with a mock test case are driven by a small loop here that answers the
//! test case's Task states from the mock file and every other call through the linked handler.
//!
//! Phase 2 replaces the bodies with the in-process `Engine` (admission, at-least-once async
//! starts, `.waitForTaskToken` tokens, heartbeats, activities): the signatures are meant to stay.

use super::mock::TestCase;
use super::protocol::ApiError;
use crate::asl::{parse_definition, MachineType};
use crate::compile::resource::{classify, ResourceKind};
use crate::compile::{compile, Integration};
use crate::runtime::driver::{Call, Driver};
use crate::runtime::{Handlers, Machine, MachineError, RunOptions};
use crate::value::{Str, Value};
use crate::vm::{CallTarget, Execution, ExecutionInfo, Outcome, Step, TaskError, TaskOutcome};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch, Notify};

/// A definition compiled and linked, ready to start executions.
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

/// Runs executions for the HTTP API. See the module documentation.
#[derive(Debug)]
pub struct Backend {
    handlers: Handlers,
    activities: Arc<Activities>,
    shutdown: watch::Sender<bool>,
}

impl Backend {
    /// A backend whose Task resources are served by `handlers`.
    pub fn new(handlers: Handlers) -> Backend {
        Backend {
            handlers,
            activities: Arc::new(Activities::default()),
            shutdown: watch::channel(false).0,
        }
    }

    /// Validates, compiles and links a definition. Resources with no configured handler get
    /// one that fails the task with an explanation (AWS accepts any well-formed resource, so
    /// creation must not fail for them); activity resources go to the activity queues.
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
        let model = parse_definition(definition, machine_type)?;
        let program = compile(&model)?;
        let mut handlers = self.handlers.clone();
        for site in program.tasks() {
            if site.integration == Integration::LambdaInvoke
                || handlers.for_resource(&site.resource).is_some()
            {
                continue;
            }
            let resource = site.resource.to_string();
            if classify(&resource) == ResourceKind::Activity {
                let acts = Arc::clone(&self.activities);
                let arn = resource.clone();
                handlers.resource_async(&resource, move |input| {
                    let acts = Arc::clone(&acts);
                    let arn = arn.clone();
                    async move { acts.schedule(&arn, input).await }
                });
            } else {
                let e = TaskError::new(
                    "States.TaskFailed",
                    format!(
                        "aslx serve: no handler is bound to resource '{resource}'; start the server with --handler '{resource}=identity' (or return:JSON, raise:ERROR:CAUSE), a --handlers-file, or a mock test case"
                    ),
                );
                handlers.resource(&resource, move |_| Err(e.clone()));
            }
        }
        let machine = Machine::new(name, definition, machine_type, &handlers)?;
        Ok(Compiled {
            machine: Arc::new(machine),
        })
    }

    /// Runs one execution to its end (at most the machine's deadline).
    pub async fn run(
        &self,
        c: &Compiled,
        input: Value,
        info: ExecutionInfo,
        case: Option<Arc<TestCase>>,
    ) -> Outcome {
        run(Arc::clone(&c.machine), input, info, case).await
    }

    /// Starts one execution on a new tokio task; `done` gets its outcome unless the returned
    /// handle aborts it first.
    pub fn spawn(
        &self,
        c: &Compiled,
        input: Value,
        info: ExecutionInfo,
        case: Option<Arc<TestCase>>,
        done: impl FnOnce(Outcome) + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let machine = Arc::clone(&c.machine);
        tokio::spawn(async move { done(run(machine, input, info, case).await) }).abort_handle()
    }

    /// Waits up to `wait` for a task of activity `arn`: its token and input.
    ///
    /// # Errors
    ///
    /// `ActivityWorkerLimitExceeded` past 1,000 concurrent pollers of one activity.
    pub async fn poll_activity(
        &self,
        arn: &str,
        wait: Duration,
    ) -> Result<Option<(String, Value)>, ApiError> {
        let mut stop = self.shutdown.subscribe();
        if *stop.borrow() {
            return Ok(None);
        }
        let q = self.activities.queue(arn);
        if q.pollers.fetch_add(1, Ordering::AcqRel) >= MAX_POLLERS {
            q.pollers.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::new(
                "ActivityWorkerLimitExceeded",
                "The maximum number of workers concurrently polling for activity tasks has been reached.",
            ));
        }
        let deadline = tokio::time::Instant::now() + wait;
        let got = loop {
            if let Some(t) = self.activities.pop_live(&q) {
                break Some(t);
            }
            tokio::select! {
                _ = q.notify.notified() => {}
                _ = stop.changed() => break None,
                _ = tokio::time::sleep_until(deadline) => break None,
            }
        };
        q.pollers.fetch_sub(1, Ordering::AcqRel);
        Ok(got)
    }

    /// Answers the task behind `token`.
    ///
    /// # Errors
    ///
    /// `InvalidToken` for a token this server never issued, `TaskTimedOut` for one whose task
    /// has ended.
    pub fn complete_task(
        &self,
        token: &str,
        result: Result<Value, TaskError>,
    ) -> Result<(), ApiError> {
        let tx = self.activities.take_token(token)?;
        tx.send(result)
            .map_err(|_| ApiError::new("TaskTimedOut", TASK_GONE))
    }

    /// Checks that the task behind `token` is still waiting.
    ///
    /// # Errors
    ///
    /// As [`Backend::complete_task`].
    pub fn heartbeat(&self, token: &str) -> Result<(), ApiError> {
        self.activities.check_token(token)
    }

    /// Wakes every long poll (they answer with no task) and refuses new ones.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

const MAX_POLLERS: usize = 1000;
const TASK_GONE: &str = "Task Timed Out: 'Provided task does not exist anymore'";
const TOKEN_PREFIX: &str = "aslx1-";

async fn run(
    machine: Arc<Machine>,
    input: Value,
    info: ExecutionInfo,
    case: Option<Arc<TestCase>>,
) -> Outcome {
    match case {
        None => {
            let opts = RunOptions {
                info: Some(info),
                max_duration: None,
            };
            machine.run_with(input, opts).await
        }
        Some(case) => {
            let start_ms = info.start_ms;
            let mut exec = machine.execution(input, info);
            let run = drive_mocked(&machine, &mut exec, start_ms, &case);
            match machine.max_duration() {
                None => run.await,
                Some(d) => match tokio::time::timeout(d, run).await {
                    Ok(o) => o,
                    Err(_) => exec.abort(Outcome::timed_out()),
                },
            }
        }
    }
}

/// The driver loop with a test case: calls from a mocked state are answered from the mock by
/// invocation number; every other call goes to its handler.
async fn drive_mocked(
    machine: &Machine,
    exec: &mut Execution,
    start_ms: i64,
    case: &TestCase,
) -> Outcome {
    let driver = Driver::standalone(machine, start_ms, None);
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
                        Call::Pending(wait) => wait.await.unwrap_or(TaskOutcome::TimedOut),
                    },
                };
                exec.resume_task(outcome, clock.now_ms());
            }
        }
    }
}

type TaskSender = oneshot::Sender<Result<Value, TaskError>>;

/// In-server activity queues and the task-token table (phase 1).
#[derive(Debug, Default)]
struct Activities {
    queues: Mutex<HashMap<String, Arc<Queue>>>,
    tokens: Mutex<HashMap<String, TaskSender>>,
}

#[derive(Debug, Default)]
struct Queue {
    items: Mutex<VecDeque<(String, Value)>>,
    notify: Notify,
    pollers: AtomicUsize,
}

/// Removes a token whose task was dropped (execution stopped or timed out).
struct TokenGuard<'a> {
    acts: &'a Activities,
    token: String,
}

impl Drop for TokenGuard<'_> {
    fn drop(&mut self) {
        lock(&self.acts.tokens).remove(&self.token);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Activities {
    fn queue(&self, arn: &str) -> Arc<Queue> {
        Arc::clone(lock(&self.queues).entry(arn.to_string()).or_default())
    }

    async fn schedule(&self, arn: &str, input: Value) -> Result<Value, TaskError> {
        let token = format!(
            "{TOKEN_PREFIX}{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let (tx, rx) = oneshot::channel();
        lock(&self.tokens).insert(token.clone(), tx);
        let _guard = TokenGuard {
            acts: self,
            token: token.clone(),
        };
        let q = self.queue(arn);
        lock(&q.items).push_back((token, input));
        q.notify.notify_one();
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(TaskError::new(
                "States.TaskFailed",
                "the activity task was dropped",
            )),
        }
    }

    /// The oldest queued task whose execution is still waiting for it.
    fn pop_live(&self, q: &Queue) -> Option<(String, Value)> {
        let mut items = lock(&q.items);
        while let Some((token, input)) = items.pop_front() {
            if lock(&self.tokens)
                .get(&token)
                .is_some_and(|tx| !tx.is_closed())
            {
                return Some((token, input));
            }
        }
        None
    }

    fn take_token(&self, token: &str) -> Result<TaskSender, ApiError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(ApiError::new("InvalidToken", "Invalid token"));
        }
        lock(&self.tokens)
            .remove(token)
            .ok_or_else(|| ApiError::new("TaskTimedOut", TASK_GONE))
    }

    fn check_token(&self, token: &str) -> Result<(), ApiError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(ApiError::new("InvalidToken", "Invalid token"));
        }
        match lock(&self.tokens).get(token) {
            Some(tx) if !tx.is_closed() => Ok(()),
            _ => Err(ApiError::new("TaskTimedOut", TASK_GONE)),
        }
    }
}
