//! Drives one [`Execution`] on tokio: calls handlers, sleeps, yields, waits on task tokens.
//!
//! Every execution — [`Machine::run`](super::Machine::run), the engine's sync and async starts
//! — goes through [`Driver::drive`]. A [`Driver`] bundles what one execution is driven with:
//! the machine version it started on, its clock, the engine's task tokens and activities (absent
//! outside an engine) and what a panicking handler means for it ([`OnPanic`]).
//!
//! Time comes from tokio's clock (`tokio::time::Instant`), offset to the wall clock at start,
//! so that under a paused test clock Wait states, retry delays and task timeouts all run on
//! virtual time with the same outcome as on the wall clock.

use super::activity::{Activities, Activity};
use super::handler::{CallInfo, Handler, HandlerFuture, HandlerResult};
use super::hook::TaskHook;
use super::machine::Machine;
use super::tokens::{TokenTable, TokenWaiter};
use crate::compile::TaskWait;
use crate::integrations::s3;
use crate::value::Value;
use crate::vm::{
    CallTarget, Execution, MapIoRequest, Outcome, Step, Submission, TaskCall, TaskError,
    TaskOutcome, TokenId,
};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Maps tokio's clock onto epoch milliseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start: Instant,
    start_ms: i64,
}

impl Clock {
    pub(crate) fn new(start_ms: i64) -> Clock {
        Clock {
            start: Instant::now(),
            start_ms,
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.start_ms + self.start.elapsed().as_millis() as i64
    }

    /// Time since the start.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    pub(crate) fn instant_at(&self, ms: i64) -> Instant {
        self.start + Duration::from_millis(ms.saturating_sub(self.start_ms).max(0) as u64)
    }

    /// The instant `d` after the start.
    pub(crate) fn after_start(&self, d: Duration) -> Instant {
        self.start + d
    }
}

/// What a panicking handler does to its execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnPanic {
    /// The Task fails with `States.TaskFailed` (Retry and Catch apply): `Machine::run` and
    /// sync starts, which are at-most-once.
    FailTask,
    /// The panic unwinds out of [`Driver::drive`], so that the caller re-runs the execution
    /// from its input: async starts, which are at-least-once.
    Unwind,
}

/// A handler call once started: its outcome, or a boxed wait for it (`None` when the
/// execution's deadline came first).
pub(crate) enum Call<'a> {
    Done(TaskOutcome),
    Pending(Pin<Box<dyn Future<Output = Option<TaskOutcome>> + Send + 'a>>),
}

/// A distributed Map's S3 request under way: its answer, or `None` past the deadline.
type MapIoWait<'a> = Pin<Box<dyn Future<Output = Option<Result<Value, TaskError>>> + Send + 'a>>;

/// What [`Driver::drive`] waits for next.
enum Wake<'a> {
    Yield,
    At(Instant),
    /// The deadline comes before the VM's wake-up time.
    Deadline(Instant),
    Call(Pin<Box<dyn Future<Output = Option<TaskOutcome>> + Send + 'a>>),
    /// A Parallel or Map state's children are to be run (its fork is served).
    Fork,
    /// A distributed Map's S3 request; `None` when the deadline came first.
    MapIo(MapIoWait<'a>),
}

/// The engine's services for callback and activity Tasks.
#[derive(Debug, Default)]
pub(crate) struct Callbacks {
    pub(crate) tokens: TokenTable,
    pub(crate) activities: Activities,
}

/// What an execution runs against: its machine version, the engine's task tokens and
/// activities (absent outside an engine: callback and activity Tasks then call their handler
/// as a request-response Task), and whether its Parallel branches and Map iterations can be
/// spawned as tasks of their own (which needs owned handles on the machine and the services).
pub(crate) trait Services: Sync {
    /// The machine version the execution started on.
    fn machine(&self) -> &Machine;
    /// Task tokens and activities.
    fn callbacks(&self) -> Option<&Callbacks> {
        None
    }
    /// Takes `child` and makes it a `'static` future, driven like its parent, for the caller
    /// to spawn; `None` (the child left in place) when the services cannot be owned: children
    /// then run on the parent's task.
    fn child_task(
        &self,
        _parent: &Driver<'_>,
        _index: usize,
        _child: &mut Option<Execution>,
    ) -> Option<ChildTask> {
        None
    }
    /// What answers Task calls before their handlers ([`TaskHook`]).
    fn hook(&self) -> Option<&dyn TaskHook> {
        None
    }
    /// A state of `state_type` ends a wait in the runtime `ms` after it was entered (the
    /// engine's metrics).
    fn state_waited(&self, _state_type: &'static str, _ms: i64) {}
}

/// A branch or iteration to spawn ([`Services::child_task`]).
pub(crate) type ChildTask =
    Pin<Box<dyn Future<Output = (usize, Execution, Outcome)> + Send + 'static>>;

impl Services for Machine {
    fn machine(&self) -> &Machine {
        self
    }
}

/// What one execution is driven with.
///
/// PERF: `Copy` and 64 bytes; the engine keeps one in every parked execution.
#[derive(Clone, Copy)]
pub(crate) struct Driver<'a> {
    /// The machine version, tokens and activities.
    pub(crate) services: &'a dyn Services,
    pub(crate) clock: Clock,
    /// When the execution ends `TIMED_OUT` (`TimeoutSeconds`, the EXPRESS cap), if ever.
    pub(crate) deadline: Option<Instant>,
    pub(crate) on_panic: OnPanic,
}

impl<'a> Driver<'a> {
    /// A driver for `machine` outside an engine: no task tokens, handler panics fail the Task.
    pub(crate) fn standalone(
        machine: &'a Machine,
        start_ms: i64,
        max_duration: Option<Duration>,
    ) -> Driver<'a> {
        let clock = Clock::new(start_ms);
        Driver {
            services: machine,
            clock,
            deadline: max_duration.map(|d| clock.after_start(d)),
            on_panic: OnPanic::FailTask,
        }
    }

    /// Runs `exec` to its end, or to the deadline (then `TIMED_OUT` with `States.Timeout`).
    /// Dropping the future cancels everything pending: timers, handler futures, open tokens.
    ///
    /// PERF: this future is most of what a parked execution costs (DESIGN.md: at most 1 KiB
    /// each), so it holds one timer, and a pending handler call only as a box.
    pub(crate) async fn drive(&self, exec: &mut Execution) -> Outcome {
        loop {
            let now = self.clock.now_ms();
            // Decided before any await, so that the step's temporaries are not part of this
            // future's state.
            let wake = match exec.step(now) {
                Step::Done(o) => return o,
                Step::Yield if self.deadline.is_some_and(|d| Instant::now() >= d) => {
                    return exec.abort(Outcome::timed_out())
                }
                Step::Yield => Wake::Yield,
                Step::Sleep { until_ms } => {
                    let at = self.clock.instant_at(until_ms);
                    match self.deadline {
                        Some(d) if d <= at => Wake::Deadline(d),
                        _ => Wake::At(at),
                    }
                }
                Step::Fork => Wake::Fork,
                Step::MapIo(request) => Wake::MapIo(self.map_io(request)),
                Step::Call(call) => {
                    // Traced executions call the handler inside the Task's span.
                    let span = exec.trace_span();
                    let entered = span.as_ref().map(tracing::Span::enter);
                    let answered = self.answer(exec.active_state(), call);
                    drop(entered);
                    match answered {
                        Call::Done(o) => {
                            exec.resume_task(o, self.clock.now_ms());
                            continue;
                        }
                        Call::Pending(wait) => match span {
                            None => Wake::Call(wait),
                            Some(span) => {
                                Wake::Call(Box::pin(tracing::Instrument::instrument(wait, span)))
                            }
                        },
                    }
                }
            };
            match wake {
                Wake::Yield => tokio::task::yield_now().await,
                Wake::At(at) => {
                    tokio::time::sleep_until(at).await;
                    self.waited(exec);
                }
                Wake::Deadline(d) => {
                    tokio::time::sleep_until(d).await;
                    return exec.abort(Outcome::timed_out());
                }
                Wake::Call(wait) => match wait.await {
                    Some(o) => {
                        self.waited(exec);
                        exec.resume_task(o, self.clock.now_ms());
                    }
                    None => return exec.abort(Outcome::timed_out()),
                },
                Wake::MapIo(io) => match io.await {
                    Some(answer) => exec.resume_map_io(answer, self.clock.now_ms()),
                    None => return exec.abort(Outcome::timed_out()),
                },
                Wake::Fork => {
                    if !self.serve_fork(exec).await {
                        return exec.abort(Outcome::timed_out());
                    }
                    self.waited(exec);
                }
            }
        }
    }

    /// Reports the end of a wait of `exec`'s state: the time since it was entered.
    fn waited(&self, exec: &Execution) {
        let (state_type, entered_ms) = exec.state_entered();
        self.services
            .state_waited(state_type, self.clock.now_ms() - entered_ms);
    }

    /// Serves a distributed Map's S3 request through the machine's S3 backend, bounded by the
    /// execution's deadline; boxed whole, so that it costs nothing to the futures of
    /// executions that make none (a parked execution's future is measured: engine::run).
    fn map_io(&self, request: MapIoRequest) -> MapIoWait<'a> {
        let store = self.services.machine().s3();
        let deadline = self.deadline;
        Box::pin(async move {
            let io = async move {
                match store {
                    Some(store) => s3::serve(&*store, request).await,
                    None => Err(s3::unconfigured()),
                }
            };
            match deadline {
                None => Some(io.await),
                Some(d) => tokio::time::timeout_at(d, io).await.ok(),
            }
        })
    }

    /// The execution's [`TaskHook`] answers `call` of `state`, or its handler is called.
    pub(crate) fn answer(&self, state: &str, mut call: TaskCall) -> Call<'a> {
        if let Some(hook) = self.services.hook() {
            if let Some(o) = hook.answer(state, &call) {
                // A `.sync` job the hook answers whole has no start response.
                if let Some(s) = call.take_submitted() {
                    s.submit(None);
                }
                // An activity Task the hook answers was taken by no worker, but taken.
                if let Some(started) = call.take_started() {
                    started.taken(None);
                }
                return Call::Done(o);
            }
        }
        self.start_call(call)
    }

    /// Starts a handler call. Most handlers answer at once; a pending answer, or a token
    /// wait, is boxed, so its state costs nothing to executions that are not waiting for one.
    pub(crate) fn start_call(&self, mut call: TaskCall) -> Call<'a> {
        if let (Some(cb), true) = (self.services.callbacks(), call.task_token.is_some()) {
            return self.start_token_call(cb, call);
        }
        // A `.sync` Task's TaskSubmitted: with the start response if the handler gives one,
        // else (whatever the handler does) without, before the Task's outcome.
        let mut submitted = SubmitOnDrop(call.take_submitted());
        // Borrowed for the call, not cloned: the machine outlives the driver (`'a`), and the
        // handler is only called here (what it returns owns its own state).
        let services: &'a dyn Services = self.services;
        let handler: &'a dyn Handler =
            match (services.machine().handler(&call.target), &call.target) {
                (Some(h), _) => &**h,
                (None, CallTarget::Function(name)) => {
                    return match self.services.machine().integrations() {
                        Some(i) if i.serves_lambda() => {
                            let f = crate::integrations::lambda_invoke(
                                Arc::clone(i),
                                name.clone(),
                                call.take_request(),
                                call.input,
                            );
                            let (this, timeout) = (*self, call.timeout_seconds);
                            self.pending(async move {
                                this.finish_handler(Box::pin(f), timeout, true).await
                            })
                        }
                        _ => Call::Done(TaskOutcome::FunctionNotFound(name.clone())),
                    };
                }
                (None, CallTarget::Site(_)) => {
                    return Call::Done(TaskOutcome::Err(TaskError::new(
                        "States.TaskFailed",
                        "no handler linked",
                    )))
                }
            };
        // Only for Tasks whose handler asked (`Handler::wants_call_info`, putEvents).
        let told = call.call_info_extras().map(|x| {
            (
                x.execution.take(),
                x.state.take(),
                x.retry_count,
                x.token.take(),
            )
        });
        let input = call.input;
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| match &told {
            Some((Some(execution), state, retry_count, token)) => {
                let info = CallInfo {
                    execution,
                    state: state.as_deref().unwrap_or(""),
                    retry_count: *retry_count,
                    task_token: token.as_deref(),
                };
                handler.call_with(input, &info)
            }
            _ => handler.call(input),
        }));
        match called {
            Err(p) => Call::Done(self.panicked(p)),
            Ok(HandlerResult::Ready(r)) => Call::Done(outcome(r)),
            Ok(HandlerResult::Pending(f)) => {
                drop(submitted);
                let (this, timeout) = (*self, call.timeout_seconds);
                self.pending(async move { this.finish_handler(f, timeout, false).await })
            }
            Ok(HandlerResult::Submitted(response, f)) => {
                if let Some(s) = submitted.0.take() {
                    s.submit(Some(&response));
                }
                let (this, timeout) = (*self, call.timeout_seconds);
                self.pending(async move { this.finish_handler(f, timeout, false).await })
            }
        }
    }

    /// Boxes a pending call, bounded by the execution's deadline.
    fn pending(&self, f: impl Future<Output = TaskOutcome> + Send + 'a) -> Call<'a> {
        let deadline = self.deadline;
        Call::Pending(Box::pin(async move {
            match deadline {
                None => Some(f.await),
                Some(d) => tokio::time::timeout_at(d, f).await.ok(),
            }
        }))
    }

    /// Awaits a handler's future under the Task's `TimeoutSeconds`, catching panics. A `whole`
    /// answer is the Task's result as its integration returns it ([`TaskOutcome::Whole`]).
    async fn finish_handler(
        self,
        f: HandlerFuture,
        timeout_seconds: Option<u64>,
        whole: bool,
    ) -> TaskOutcome {
        let fut = AssertUnwindSafe(f).catch_unwind();
        let result = match timeout_seconds {
            None => fut.await,
            Some(s) => match tokio::time::timeout(Duration::from_secs(s), fut).await {
                Ok(r) => r,
                Err(_) => return TaskOutcome::TimedOut,
            },
        };
        match result {
            Ok(Ok(v)) if whole => TaskOutcome::Whole(v),
            Ok(r) => outcome(r),
            Err(p) => self.panicked(p),
        }
    }

    /// Opens the token of a callback or activity Task, then calls the callback's handler or
    /// queues the activity task; what remains, the wait for the token, is boxed.
    /// `TimeoutSeconds` covers both parts.
    fn start_token_call(&self, cb: &'a Callbacks, mut call: TaskCall) -> Call<'a> {
        let Some((id, token)) = call.task_token.take() else {
            return self.start_call(call);
        };
        let wait = match &call.target {
            CallTarget::Site(site) => self.services.machine().program().tasks()[site.index()].wait,
            CallTarget::Function(_) => TaskWait::Callback,
        };
        let limits = Limits {
            task: call
                .timeout_seconds
                .map(|s| Instant::now() + Duration::from_secs(s)),
            heartbeat: call.heartbeat_seconds.map(Duration::from_secs),
            execution: self.deadline,
        };
        // Rule 1 of the token lifecycle: open before anyone can learn the token.
        let waiter = cb.tokens.open(id, wait != TaskWait::Activity);
        if wait == TaskWait::Activity {
            let Some(activity) = cb.activities.get(&call.resource) else {
                return Call::Done(TaskOutcome::Err(activity_missing(&call.resource)));
            };
            let started = call.take_started();
            if !activity.schedule(&cb.tokens, id, token, call.input, started) {
                return Call::Done(TaskOutcome::Err(activity_missing(&call.resource)));
            }
            let queued = Queued { activity, id };
            return Call::Pending(Box::pin(wait_token(waiter, Some(queued), limits)));
        }
        // The handler's own answer is not the Task's result: the token's completion is.
        call.timeout_seconds = None;
        if let Some(x) = call.call_info_extras() {
            x.token = Some(token);
        }
        match self.start_call(call) {
            Call::Done(TaskOutcome::Ok(_)) => {
                Call::Pending(Box::pin(wait_token(waiter, None, limits)))
            }
            Call::Done(failed) => Call::Done(failed),
            Call::Pending(handler) => Call::Pending(Box::pin(async move {
                let answered = match limits.task {
                    None => handler.await,
                    Some(d) => tokio::time::timeout_at(d, handler)
                        .await
                        .unwrap_or(Some(TaskOutcome::TimedOut)),
                };
                match answered {
                    Some(TaskOutcome::Ok(_)) => wait_token(waiter, None, limits).await,
                    other => other,
                }
            })),
        }
    }

    #[cold]
    fn panicked(&self, p: Box<dyn std::any::Any + Send>) -> TaskOutcome {
        if self.on_panic == OnPanic::Unwind {
            std::panic::resume_unwind(p);
        }
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        TaskOutcome::Err(TaskError::new(
            "States.TaskFailed",
            format!("the task handler panicked: {msg}"),
        ))
    }
}

impl std::fmt::Debug for Driver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("machine", &self.services.machine().name())
            .field("on_panic", &self.on_panic)
            .finish_non_exhaustive()
    }
}

/// Reports a `.sync` Task's job submitted, without a response, unless reported before.
struct SubmitOnDrop(Option<Submission>);

impl Drop for SubmitOnDrop {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            s.submit(None);
        }
    }
}

/// The time limits of a token wait.
#[derive(Clone, Copy)]
struct Limits {
    /// `TimeoutSeconds` from the Task's start.
    task: Option<Instant>,
    /// `HeartbeatSeconds`.
    heartbeat: Option<Duration>,
    /// The execution's deadline.
    execution: Option<Instant>,
}

/// Waits for a worker's answer on an open token; `None` when the execution's deadline comes
/// first. (A plain fn returning a block: an `async fn` would store its arguments twice.)
fn wait_token<'t>(
    mut waiter: TokenWaiter<'t>,
    queued: Option<Queued>,
    limits: Limits,
) -> impl Future<Output = Option<TaskOutcome>> + Send + 't {
    let execution_first = match (limits.execution, limits.task) {
        (Some(e), Some(t)) => e < t,
        (e, _) => e.is_some(),
    };
    let deadline = if execution_first {
        limits.execution
    } else {
        limits.task
    };
    async move {
        let _queued = queued;
        match waiter.wait(deadline, limits.heartbeat).await {
            TaskOutcome::TimedOut if execution_first => None,
            outcome => Some(outcome),
        }
    }
}

/// An activity task that may still wait for a worker: taken back when its Task stops waiting.
struct Queued {
    activity: Arc<Activity>,
    id: TokenId,
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.activity.unschedule(self.id);
    }
}

/// The error of an activity Task whose activity does not exist.
#[cold]
pub(crate) fn activity_missing(arn: &str) -> TaskError {
    TaskError::new(
        "States.TaskFailed",
        format!("Activity Does Not Exist: '{arn}'"),
    )
}

fn outcome(r: Result<Value, TaskError>) -> TaskOutcome {
    match r {
        Ok(v) => TaskOutcome::Ok(v),
        Err(e) => TaskOutcome::Err(e),
    }
}
