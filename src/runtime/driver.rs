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
use super::handler::{Handler, HandlerResult};
use super::machine::Machine;
use super::tokens::TokenTable;
use crate::compile::TaskWait;
use crate::value::Value;
use crate::vm::{CallTarget, Execution, Outcome, Step, TaskCall, TaskError, TaskOutcome, TokenId};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
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

/// The engine's services for callback and activity Tasks.
#[derive(Debug, Default)]
pub(crate) struct Callbacks {
    pub(crate) tokens: TokenTable,
    pub(crate) activities: Activities,
}

/// What one execution is driven with.
#[derive(Clone, Copy)]
pub(crate) struct Driver<'a> {
    /// The machine version the execution started on.
    pub(crate) machine: &'a Machine,
    pub(crate) clock: Clock,
    /// Task tokens and activities; without them (outside an engine) callback and activity
    /// Tasks call their handler as a request-response Task.
    pub(crate) callbacks: Option<&'a Callbacks>,
    pub(crate) on_panic: OnPanic,
}

impl<'a> Driver<'a> {
    /// A driver for `machine` outside an engine: no task tokens, handler panics fail the Task.
    pub(crate) fn standalone(machine: &'a Machine, start_ms: i64) -> Driver<'a> {
        Driver {
            machine,
            clock: Clock::new(start_ms),
            callbacks: None,
            on_panic: OnPanic::FailTask,
        }
    }

    /// Runs `exec` to its end. Deadlines are the caller's: wrap this future in a timeout and
    /// drop it to cancel everything pending (timers, handler futures, open tokens).
    pub(crate) async fn drive(&self, exec: &mut Execution) -> Outcome {
        loop {
            match exec.step(self.clock.now_ms()) {
                Step::Done(o) => return o,
                Step::Yield => tokio::task::yield_now().await,
                Step::Sleep { until_ms } => {
                    tokio::time::sleep_until(self.clock.instant_at(until_ms)).await
                }
                Step::Call(call) => {
                    let outcome = self.call(call).await;
                    exec.resume_task(outcome, self.clock.now_ms());
                }
            }
        }
    }

    /// Carries out the handler call a Task asked for.
    pub(crate) async fn call(&self, call: TaskCall) -> TaskOutcome {
        match (self.callbacks, call.task_token.is_some()) {
            // PERF: boxed so that the rare token wait does not grow every execution's future.
            (Some(cb), true) => Box::pin(self.call_with_token(cb, call)).await,
            _ => self.call_handler(call).await,
        }
    }

    /// Calls the handler a Task asked for, under its `TimeoutSeconds`, catching panics.
    pub(crate) async fn call_handler(&self, call: TaskCall) -> TaskOutcome {
        let handler: Arc<dyn Handler> = match (self.machine.handler(&call.target), &call.target) {
            (Some(h), _) => Arc::clone(h),
            (None, CallTarget::Function(name)) => {
                return TaskOutcome::FunctionNotFound(name.clone())
            }
            (None, CallTarget::Site(_)) => {
                return TaskOutcome::Err(TaskError::new("States.TaskFailed", "no handler linked"))
            }
        };
        let input = call.input;
        let started = std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(input)));
        let fut = match started {
            Err(p) => return self.panicked(p),
            Ok(HandlerResult::Ready(r)) => return outcome(r),
            Ok(HandlerResult::Pending(f)) => AssertUnwindSafe(f).catch_unwind(),
        };
        let result = match call.timeout_seconds {
            None => fut.await,
            Some(s) => match tokio::time::timeout(Duration::from_secs(s), fut).await {
                Ok(r) => r,
                Err(_) => return TaskOutcome::TimedOut,
            },
        };
        match result {
            Ok(r) => outcome(r),
            Err(p) => self.panicked(p),
        }
    }

    /// A callback Task (call the handler, then wait for the token) or an activity Task (queue
    /// the input for a worker, then wait for the token); `TimeoutSeconds` covers both parts.
    async fn call_with_token(&self, cb: &Callbacks, mut call: TaskCall) -> TaskOutcome {
        let Some((id, token)) = call.task_token.take() else {
            return self.call_handler(call).await;
        };
        let wait = match &call.target {
            CallTarget::Site(site) => self.machine.program().tasks()[site.index()].wait,
            CallTarget::Function(_) => TaskWait::Callback,
        };
        let deadline = call
            .timeout_seconds
            .map(|s| Instant::now() + Duration::from_secs(s));
        let heartbeat = call.heartbeat_seconds.map(Duration::from_secs);
        // Rule 1 of the token lifecycle: open before anyone can learn the token.
        let mut waiter = cb.tokens.open(id, wait != TaskWait::Activity);
        if wait == TaskWait::Activity {
            let Some(activity) = cb.activities.get(&call.resource) else {
                return TaskOutcome::Err(activity_missing(&call.resource));
            };
            if !activity.schedule(&cb.tokens, id, token, call.input) {
                return TaskOutcome::Err(activity_missing(&call.resource));
            }
            let _queued = Queued {
                activity: &activity,
                id,
            };
            return waiter.wait(deadline, heartbeat).await;
        }
        // The handler's own answer is not the Task's result: the token's completion is.
        call.timeout_seconds = None;
        let called = self.call_handler(call);
        let called = match deadline {
            None => called.await,
            Some(d) => match tokio::time::timeout_at(d, called).await {
                Ok(o) => o,
                Err(_) => return TaskOutcome::TimedOut,
            },
        };
        match called {
            TaskOutcome::Ok(_) => waiter.wait(deadline, heartbeat).await,
            failed => failed,
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
            .field("machine", &self.machine.name())
            .field("on_panic", &self.on_panic)
            .finish_non_exhaustive()
    }
}

/// An activity task that may still wait for a worker: taken back when its Task stops waiting.
struct Queued<'a> {
    activity: &'a Activity,
    id: TokenId,
}

impl Drop for Queued<'_> {
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
