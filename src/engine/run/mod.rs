//! Starting executions: sync (StartSyncExecution, at-most-once) and async (StartExecution,
//! at-least-once), each under its deadline. A shutdown that stops waiting drops the async
//! ones with the engine's runtime; their [`AttemptLog`] still records how they ended.
//!
//! Every start is checked (machine, name, input) and admitted before anything runs; an
//! admitted execution becomes a [`Job`] that holds its place ([`Permit`]), the machine version
//! it started on, and its identity. All executions go through the one driver of
//! `runtime::driver`, except sync executions of machines that can never wait (no Task, no
//! Wait): those run inline on the caller's thread, with the same VM and the same log.
//! The checks and the admission itself are in `admit`; this file runs what was admitted.

use super::error::EngineError;
use super::executions::{ExecRecord, ExecutionHandle, ExecutionStatus};
use super::history::Story;
use super::inspect::StateProbe;
use super::names::{parse_input, Input};
use super::start::{StartRequest, StartedExecution, SyncExecution};
use super::{Engine, Permit, Registered, Shared};
use crate::asl::MachineType;
use crate::runtime::driver::{Callbacks, ChildTask, Clock, Driver, OnPanic, Services};
use crate::runtime::machine::wall_clock_ms;
use crate::runtime::sync::{lock, Ordering};
use crate::runtime::{Machine, TaskHook};
use crate::value::{Str, Value};
use crate::vm::{Execution, ExecutionInfo, Outcome, Status, Step};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::time::Instant;

mod admit;
pub(super) use admit::{Admitted, Durability, Mode};

/// An admitted execution.
pub(super) struct Job {
    permit: Permit,
    reg: Arc<Registered>,
    input: Value,
    info: Arc<ExecutionInfo>,
    clock: Clock,
    deadline: Option<Instant>,
    /// What only some executions have; `None` on the hot path (no log, no history, no hook).
    extras: Option<Arc<Extras>>,
}

/// The parts of an execution that most do not have.
pub(crate) struct Extras {
    /// Its history and log records.
    story: Option<Arc<Story>>,
    /// Its record, when the engine keeps it (STANDARD, or started with a handle).
    record: Option<Arc<ExecRecord>>,
    hook: Option<Arc<dyn TaskHook>>,
    probe: Option<StateProbe>,
    /// 0 when no intake records this execution; otherwise the number of its first attempt
    /// here (1, or more for a start delivered again after a crash or a redelivery), and the
    /// intake hears of its end.
    pub(super) durable: u32,
    /// Its `tracing` span, when a subscriber wants one (`runtime::trace`).
    span: Option<tracing::Span>,
}

impl Job {
    fn story(&self) -> Option<&Arc<Story>> {
        self.extras.as_ref().and_then(|e| e.story.as_ref())
    }

    pub(super) fn record(&self) -> Option<&Arc<ExecRecord>> {
        self.extras.as_ref().and_then(|e| e.record.as_ref())
    }

    /// 0, or the first attempt number of an execution an intake records.
    pub(super) fn durable(&self) -> u32 {
        self.extras.as_ref().map_or(0, |e| e.durable)
    }

    pub(super) fn info(&self) -> &Arc<ExecutionInfo> {
        &self.info
    }

    pub(super) fn input(&self) -> &Value {
        &self.input
    }

    fn span(&self) -> Option<&tracing::Span> {
        self.extras.as_ref().and_then(|e| e.span.as_ref())
    }
}

/// Anything that holds an admitted execution's machine version and the engine: the services
/// it is driven with follow from these two.
trait EngineBacked: Sync {
    fn registered(&self) -> &Arc<Registered>;
    fn shared(&self) -> &Arc<Shared>;
    fn extras(&self) -> Option<&Arc<Extras>>;
}

impl<T: EngineBacked> Services for T {
    fn machine(&self) -> &Machine {
        &self.registered().machine
    }

    fn callbacks(&self) -> Option<&Callbacks> {
        Some(&self.shared().callbacks)
    }

    /// Child `index` of an execution driven by `parent`, as a `'static` task: owned handles
    /// on the same machine version and services, the same clock, deadline and panic policy.
    fn child_task(
        &self,
        parent: &Driver<'_>,
        index: usize,
        child: &mut Option<Execution>,
    ) -> Option<ChildTask> {
        let mut child = child.take()?;
        let owned = Owned {
            reg: Arc::clone(self.registered()),
            shared: Arc::clone(self.shared()),
            extras: self.extras().cloned(),
        };
        let (clock, deadline, on_panic) = (parent.clock, parent.deadline, parent.on_panic);
        Some(Box::pin(async move {
            let driver = Driver {
                services: &owned,
                clock,
                deadline,
                on_panic,
            };
            let outcome = driver.drive(&mut child).await;
            (index, child, outcome)
        }))
    }

    fn hook(&self) -> Option<&dyn TaskHook> {
        self.extras().and_then(|e| e.hook.as_deref())
    }

    fn state_waited(&self, state_type: &'static str, ms: i64) {
        self.registered().metrics.state_waited(state_type, ms);
    }
}

impl EngineBacked for Job {
    fn registered(&self) -> &Arc<Registered> {
        &self.reg
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.permit.0
    }

    fn extras(&self) -> Option<&Arc<Extras>> {
        self.extras.as_ref()
    }
}

/// Owned handles on a machine version and the engine: what a Parallel branch or Map
/// iteration spawned as a task of its own is driven with.
struct Owned {
    reg: Arc<Registered>,
    shared: Arc<Shared>,
    extras: Option<Arc<Extras>>,
}

impl EngineBacked for Owned {
    fn registered(&self) -> &Arc<Registered> {
        &self.reg
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    fn extras(&self) -> Option<&Arc<Extras>> {
        self.extras.as_ref()
    }
}

impl Engine {
    /// StartExecution: checks and admits the execution, starts it in the background and
    /// returns its ARN at once. At-least-once: if a handler panics, the execution is re-run
    /// from its input (see [`EngineBuilder::async_attempts`](super::EngineBuilder::async_attempts));
    /// its outcome goes to the execution log.
    ///
    /// With an intake ([`EngineBuilder::intake`](super::EngineBuilder::intake)), the start is
    /// recorded in the background before it runs; [`Engine::start_async`] is the start that
    /// answers only once it is recorded.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`, `InvalidName`, `InvalidExecutionInput`,
    /// `ValidationException`, `ThrottlingException` (in-flight bound), `ServiceUnavailable`
    /// (shutting down).
    pub fn start(&self, req: StartRequest<'_>) -> Result<StartedExecution, EngineError> {
        self.shared.start(&self.handle, req)
    }

    /// [`Engine::start`] that keeps the execution and returns a handle on it: its status,
    /// outcome and history while it runs, and a way to stop it. STANDARD executions are kept
    /// anyway (DescribeExecution, ListExecutions); this keeps EXPRESS ones too, for the
    /// handle's lifetime (they are never listed, as on AWS).
    ///
    /// A STANDARD execution whose name is taken: the running execution of that name and the
    /// same input is returned (AWS's idempotency), anything else is `ExecutionAlreadyExists`.
    ///
    /// # Errors
    ///
    /// As [`Engine::start`], and `ExecutionAlreadyExists`.
    pub fn start_with_handle(&self, req: StartRequest<'_>) -> Result<ExecutionHandle, EngineError> {
        self.shared.start_with_handle(&self.handle, req)
    }

    /// StartSyncExecution: runs the execution to its end and returns how it ended.
    /// At-most-once: nothing runs it a second time; a panicking handler fails its Task; if the
    /// returned future is dropped, the execution is cancelled (pending handler calls, timers
    /// and tokens with it).
    ///
    /// A machine that can never wait runs inline in this future; others run in it too when it
    /// is polled inside a tokio runtime, or as a task of the engine's runtime otherwise.
    ///
    /// # Errors
    ///
    /// As [`Engine::start`], and `StateMachineTypeNotSupported` for a STANDARD machine.
    pub async fn start_sync(&self, req: StartRequest<'_>) -> Result<SyncExecution, EngineError> {
        let trace = req.trace_header.map(Str::from);
        let job = self.admit_sync(req)?;
        if !job.reg.machine.program().can_wait() {
            let outcome = run_inline_async(&job).await;
            return Ok(finish(job, outcome, trace));
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            return Ok(run_sync(job, trace).await);
        }
        let info = Arc::clone(&job.info);
        let task = AbortOnDrop(self.handle.spawn(run_sync(job, trace)));
        Ok(task.await.unwrap_or_else(|_| SyncExecution {
            start_ms: info.start_ms,
            stop_ms: wall_clock_ms(),
            info,
            outcome: internal_failure(),
            input: Value::Null,
            trace_header: None,
        }))
    }

    /// [`Engine::start_sync`] for callers outside any async runtime. A machine that can never
    /// wait runs on this thread without touching the runtime.
    ///
    /// # Errors
    ///
    /// As [`Engine::start_sync`].
    ///
    /// # Panics
    ///
    /// When called from inside an async runtime for a machine that can wait.
    pub fn start_sync_blocking(&self, req: StartRequest<'_>) -> Result<SyncExecution, EngineError> {
        let trace = req.trace_header.map(Str::from);
        let job = self.admit_sync(req)?;
        if !job.reg.machine.program().can_wait() {
            let outcome = run_inline(&job);
            return Ok(finish(job, outcome, trace));
        }
        Ok(self.handle.block_on(run_sync(job, trace)))
    }

    // PERF: inlined, so the admitted Job is built in place rather than moved through
    // `Admitted` and two results (callgrind, pass1 sync through the engine).
    #[inline(always)]
    fn admit_sync(&self, req: StartRequest<'_>) -> Result<Job, EngineError> {
        match self.shared.admit_request(req, Mode::Sync)? {
            Admitted::New(job) => Ok(job),
            Admitted::Existing(_) => Err(EngineError::type_not_supported()),
        }
    }

    /// Runs `spec`'s definition once without registering it (TestState): linked with the
    /// engine's handlers, admitted, and driven by the one driver with the request's task
    /// hook; nothing is kept. The request's machine is ignored.
    ///
    /// # Errors
    ///
    /// `InvalidDefinition` (and what this engine does not run), `ThrottlingException`, and
    /// the request's refusals as for [`Engine::start`].
    pub async fn run_once(
        &self,
        spec: super::MachineSpec<'_>,
        req: StartRequest<'_>,
    ) -> Result<Outcome, EngineError> {
        let machine = self.link(spec.name, spec.definition, spec.machine_type)?;
        let info = self.machine_info(&spec, wall_clock_ms());
        let reg = Arc::new(Registered {
            machine,
            info,
            metrics: Arc::default(),
        });
        match self
            .shared
            .admit_version(reg, req, Mode::Once, Durability::None)?
        {
            Admitted::New(job) => Ok(run_sync(job, None).await.outcome),
            Admitted::Existing(_) => Err(EngineError::type_not_supported()),
        }
    }
}

/// Runs an admitted async job on `rt`.
// PERF: inlined, so the job is built in place rather than copied into a call (callgrind,
// pass1 async through the engine).
#[inline(always)]
pub(super) fn spawn(rt: &tokio::runtime::Handle, job: Job) {
    if job.record().is_some() {
        rt.spawn(Box::pin(run_kept(job)));
    } else {
        // PERF: boxed, so tokio's task holds a pointer instead of copying the future at
        // spawn, first poll and completion (callgrind, pass1 async through the engine).
        rt.spawn(Box::pin(run_async(job)));
    }
}

/// Forgets a kept record whose execution will not run here.
pub(super) fn forget(shared: &Shared, rec: &Arc<ExecRecord>) {
    lock(&shared.executions).remove(rec.info.id());
}

#[cold]
fn unreachable_kept() -> ! {
    unreachable!("an execution started with a handle is kept")
}

/// A new execution of the job's machine version, observed by its story if it has one.
fn begin(job: &Job, attempt: u32) -> Execution {
    let mut exec = Execution::new(
        Arc::clone(job.reg.machine.program()),
        Arc::clone(&job.info),
        job.input.clone(),
    );
    if job.reg.info.machine_type == MachineType::Standard {
        exec.set_history_limit(crate::vm::STANDARD_HISTORY_LIMIT);
    }
    if let Some(story) = job.story() {
        if attempt > 1 {
            story.restart(attempt);
        }
        exec.set_observer(story.lane());
        story.started(&job.input, &job.reg.info);
    }
    if let Some(probe) = job.extras.as_ref().and_then(|e| e.probe.as_ref()) {
        probe.attach(&mut exec);
    }
    if let Some(span) = job.span() {
        let inner = exec.take_observer();
        exec.set_observer(crate::runtime::trace::TraceObserver::boxed(
            span.clone(),
            inner,
        ));
    }
    exec
}

/// The end of an execution: its story's terminal event, then its record's end. `false`
/// when a stop came first (the outcome is then not the execution's).
fn end(job: &Job, outcome: &Outcome) -> bool {
    if let Some(span) = job.span() {
        crate::runtime::trace::execution_ended(span, outcome);
    }
    let first = job.story().is_none_or(|s| s.finished(outcome));
    let status = if first {
        outcome.status
    } else {
        Status::Aborted
    };
    count_end(job, status);
    if let (Some(rec), true) = (job.record(), first) {
        rec.complete(outcome.clone(), job.clock.now_ms());
        lock(&job.permit.0.executions).finished(rec.info.id());
    }
    // After the log has the terminal record: a crash in between runs it again (at least
    // once), never loses it.
    if first && job.durable() > 0 {
        job.permit
            .0
            .durable
            .finished(job.info.id(), ExecutionStatus::Ended(outcome.status));
    }
    first
}

/// Counts the end of `job` in its machine's metrics, once (metrics.rs, rule 3): a kept
/// execution can be ended both by its run and by a stop.
#[inline]
fn count_end(job: &Job, status: Status) {
    if let Some(rec) = job.record() {
        if rec.counted.swap(true, Ordering::Relaxed) {
            return;
        }
    }
    job.reg.metrics.ended(status, job.clock.elapsed());
}

/// An attempt's story. Dropped before the attempt ended, it records how: `ExecutionAborted`
/// when its sync caller went away, `ExecutionTimedOut` when a shutdown gave up waiting for
/// it. Nothing when the attempt unwinds from a panic: it is re-run.
struct AttemptLog<'a> {
    job: &'a Job,
    ended: bool,
}

impl Drop for AttemptLog<'_> {
    fn drop(&mut self) {
        if self.ended || std::thread::panicking() {
            return;
        }
        if self.job.permit.0.is_closing() {
            // An execution an intake records is not finished by a shutdown: its log says
            // how this run ended, and it runs again when the engine recovers.
            if self.job.durable() > 0 {
                if let Some(story) = self.job.story() {
                    story.finished(&shutdown_outcome());
                }
                return;
            }
            end(self.job, &shutdown_outcome());
            return;
        }
        // A stop, or a sync caller that went away, ended it (metrics.rs, rule 3).
        let job = self.job;
        count_end(job, Status::Aborted);
        let Some(story) = job.story() else {
            return;
        };
        if story.abort(None, None) {
            if let Some(rec) = self.job.record() {
                rec.complete(aborted(), self.job.clock.now_ms());
            }
        }
    }
}

/// One run of an execution on the driver, until it ends (its deadline included).
async fn attempt(job: &Job, attempt: u32, on_panic: OnPanic) -> Outcome {
    let mut exec = begin(job, attempt);
    let mut log = AttemptLog { job, ended: false };
    let driver = Driver {
        services: job,
        clock: job.clock,
        deadline: job.deadline,
        on_panic,
    };
    let outcome = driver.drive(&mut exec).await;
    log.ended = true;
    end(job, &outcome);
    outcome
}

/// An async execution: re-run from its input while a handler panics, the last run with
/// panics as Task failures, so it always reaches a terminal status.
///
/// PERF: a plain fn returning an `async move` block, because an `async fn` stores its
/// arguments twice (rust-lang/rust#62958); this future is most of a parked execution's memory.
#[allow(clippy::manual_async_fn)]
fn run_async(job: Job) -> impl std::future::Future<Output = ()> + Send {
    async move {
        let max = job.permit.0.config.async_attempts;
        // An execution delivered again after a crash numbers its attempts on from there.
        let first = job.durable().max(1);
        if first > max {
            // Poison: every run before this one ended its process (or the process of the
            // queue consumer that held it). Recorded as failed, not run again.
            drop(begin(&job, first));
            end(&job, &poisoned(first, max));
            return;
        }
        for n in 1..=max {
            let on_panic = if n < max {
                OnPanic::Unwind
            } else {
                OnPanic::FailTask
            };
            if AssertUnwindSafe(attempt(&job, first - 1 + n, on_panic))
                .catch_unwind()
                .await
                .is_ok()
            {
                return;
            }
        }
        // The last run panicked outside any handler (a log callback, an engine bug).
        end(&job, &internal_failure());
    }
}

/// A kept async execution: [`run_async`], until it ends or is stopped (the stop has recorded
/// its end; dropping the run drops its timers, handler calls and tokens).
async fn run_kept(job: Job) {
    let Some(rec) = job.record().cloned() else {
        return run_async(job).await;
    };
    let shared = Arc::clone(&job.permit.0);
    let machine = job.reg.info.name.clone();
    let (reg, clock) = (Arc::clone(&job.reg), job.clock);
    let durable = job.durable() > 0;
    tokio::select! {
        biased;
        // The stop recorded the end; the record is retired here like any other. (A stop that
        // comes before the run began leaves no attempt to count it.)
        _ = rec.stop.notified() => {
            if !rec.counted.swap(true, Ordering::Relaxed) {
                reg.metrics.ended(Status::Aborted, clock.elapsed());
            }
            lock(&shared.executions).finished(rec.info.id());
            if durable {
                let aborted = ExecutionStatus::Ended(Status::Aborted);
                shared.durable.finished(rec.info.id(), aborted);
            }
        }
        _ = run_async(job) => {}
    }
    shared.execution_ended(&machine);
}

/// A sync execution on the driver: one run, panics as Task failures.
async fn run_sync(job: Job, trace_header: Option<Str>) -> SyncExecution {
    let run = AssertUnwindSafe(attempt(&job, 1, OnPanic::FailTask)).catch_unwind();
    let outcome = run.await.unwrap_or_else(|_| {
        let failed = internal_failure();
        count_end(&job, failed.status);
        failed
    });
    finish(job, outcome, trace_header)
}

/// A sync execution of a machine that never waits, on the caller's thread.
fn run_inline(job: &Job) -> Outcome {
    let mut exec = begin(job, 1);
    let outcome = loop {
        match exec.step(job.clock.now_ms()) {
            Step::Done(o) => break o,
            Step::Yield if past(job) => break exec.abort(Outcome::timed_out()),
            Step::Yield => {}
            // Unreachable for programs that cannot wait (their forks run inline); harmless.
            Step::Fork => exec.run_fork_inline(),
            _ => break exec.abort(internal_failure()),
        }
    };
    end(job, &outcome);
    outcome
}

/// [`run_inline`] inside a future: yields to the runtime between slices of a long loop.
async fn run_inline_async(job: &Job) -> Outcome {
    let mut exec = begin(job, 1);
    let mut log = AttemptLog { job, ended: false };
    let outcome = loop {
        match exec.step(job.clock.now_ms()) {
            Step::Done(o) => break o,
            Step::Yield if past(job) => break exec.abort(Outcome::timed_out()),
            Step::Yield => tokio::task::yield_now().await,
            Step::Fork => exec.run_fork_inline(),
            _ => break exec.abort(internal_failure()),
        }
    };
    log.ended = true;
    end(job, &outcome);
    outcome
}

fn past(job: &Job) -> bool {
    job.deadline.is_some_and(|d| Instant::now() >= d)
}

fn finish(job: Job, outcome: Outcome, trace_header: Option<Str>) -> SyncExecution {
    SyncExecution {
        start_ms: job.info.start_ms,
        stop_ms: job.clock.now_ms(),
        info: job.info,
        outcome,
        input: job.input,
        trace_header,
    }
}

/// How an execution ends when the engine shuts down before it does.
fn shutdown_outcome() -> Outcome {
    Outcome {
        cause: Some("The engine shut down before the execution ended".into()),
        ..Outcome::timed_out()
    }
}

fn aborted() -> Outcome {
    Outcome {
        status: Status::Aborted,
        output: None,
        error: None,
        cause: None,
    }
}

/// The outcome of a start delivered more often than `max` runs allow.
#[cold]
fn poisoned(attempt: u32, max: u32) -> Outcome {
    Outcome {
        status: Status::Failed,
        output: None,
        error: Some(Str::from("States.Runtime")),
        cause: Some(format!(
            "The execution was delivered for its attempt {attempt}, but at most {max} \
                 may run (EngineBuilder::async_attempts, aslx serve --queue-max-attempts): \
                 each run before it ended without a result, as when its process is killed. \
                 It was recorded as failed without running again."
        )),
    }
}

#[cold]
fn internal_failure() -> Outcome {
    Outcome {
        status: Status::Failed,
        output: None,
        error: Some(Str::from("States.Runtime")),
        cause: Some("internal error: the execution's task failed".into()),
    }
}

/// A task that is aborted when its awaiting future is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PERF: a parked async execution is one tokio task (header and trailer ~96 bytes, cells
    /// 128-byte aligned) plus its `ExecutionInfo` (160 bytes). With this future at most 664
    /// bytes the task fits a 768-byte cell: 928 bytes requested per parked execution
    /// (engine_memory test; DESIGN.md target 1 KiB).
    #[test]
    fn a_parked_execution_fits_a_768_byte_task_cell() {
        let engine = Engine::builder().worker_threads(1).build().unwrap();
        let wait =
            r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 9, "End": true}}}"#;
        engine
            .create_machine("w", wait, MachineType::Express)
            .unwrap();
        let Ok(Admitted::New(job)) = engine
            .shared
            .admit_request(StartRequest::new("w"), Mode::Async { keep: false })
        else {
            panic!("not admitted")
        };
        let task = run_async(job);
        let size = std::mem::size_of_val(&task);
        assert!(size <= 664, "run_async future: {size} bytes");
    }
}
