//! Drives one [`Execution`] on tokio: calls handlers, sleeps, yields.
//!
//! Time comes from tokio's clock (`tokio::time::Instant`), offset to the wall clock at start,
//! so that under a paused test clock Wait states, retry delays and task timeouts all run on
//! virtual time with the same outcome as on the wall clock.

use super::handler::{Handler, HandlerResult};
use super::machine::Machine;
use crate::value::Value;
use crate::vm::{CallTarget, Execution, Outcome, Step, TaskCall, TaskError, TaskOutcome};
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
}

/// Runs `exec` to its end.
pub(crate) async fn drive(machine: &Machine, exec: &mut Execution, start_ms: i64) -> Outcome {
    let clock = Clock::new(start_ms);
    loop {
        match exec.step(clock.now_ms()) {
            Step::Done(o) => return o,
            Step::Yield => tokio::task::yield_now().await,
            Step::Sleep { until_ms } => tokio::time::sleep_until(clock.instant_at(until_ms)).await,
            Step::Call(call) => {
                let outcome = call_handler(machine, call).await;
                exec.resume_task(outcome, clock.now_ms());
            }
        }
    }
}

/// Calls the handler a Task asked for, under its `TimeoutSeconds`, catching panics.
pub(crate) async fn call_handler(machine: &Machine, call: TaskCall) -> TaskOutcome {
    let handler: Arc<dyn Handler> = match (machine.handler(&call.target), &call.target) {
        (Some(h), _) => Arc::clone(h),
        (None, CallTarget::Function(name)) => return TaskOutcome::FunctionNotFound(name.clone()),
        (None, CallTarget::Site(_)) => {
            return TaskOutcome::Err(TaskError::new("States.TaskFailed", "no handler linked"))
        }
    };
    let input = call.input;
    let started = std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(input)));
    let fut = match started {
        Err(p) => return panicked(p),
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
        Err(p) => panicked(p),
    }
}

fn outcome(r: Result<Value, TaskError>) -> TaskOutcome {
    match r {
        Ok(v) => TaskOutcome::Ok(v),
        Err(e) => TaskOutcome::Err(e),
    }
}

#[cold]
fn panicked(p: Box<dyn std::any::Any + Send>) -> TaskOutcome {
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
