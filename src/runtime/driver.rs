//! Drives one [`Execution`] on tokio: calls handlers, sleeps, yields.
//!
//! Time comes from tokio's clock (`tokio::time::Instant`), offset to the wall clock at start,
//! so that under a paused test clock Wait states, retry delays and task timeouts all run on
//! virtual time with the same outcome as on the wall clock.

use super::handler::{Handler, HandlerResult, Handlers};
use crate::value::Value;
use crate::vm::{CallTarget, Execution, Outcome, Step, TaskCall, TaskError, TaskOutcome};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
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

/// What a running execution needs from its machine: the handlers its Task sites are linked
/// to, and the registry for `lambda:invoke` calls by function name. Shared (`Arc`) by the
/// tasks that run Parallel branches and Map iterations.
pub(crate) struct Links {
    /// One entry per Task site; `None` for `lambda:invoke` sites.
    pub(crate) linked: Box<[Option<Arc<dyn Handler>>]>,
    pub(crate) handlers: Handlers,
}

impl Links {
    /// The handler a [`TaskCall`] goes to.
    pub(crate) fn handler(&self, target: &CallTarget) -> Option<&Arc<dyn Handler>> {
        match target {
            CallTarget::Site(site) => self.linked.get(site.index()).and_then(Option::as_ref),
            CallTarget::Function(name) => self.handlers.for_function(name),
        }
    }
}

/// Runs `exec` to its end.
///
/// Dropping the future cancels the execution and everything it started: pending handler
/// futures, timers, and the tasks running its Parallel branches and Map iterations.
pub(crate) async fn drive(links: &Arc<Links>, exec: &mut Execution, clock: Clock) -> Outcome {
    loop {
        match exec.step(clock.now_ms()) {
            Step::Done(o) => return o,
            Step::Yield => tokio::task::yield_now().await,
            Step::Sleep { until_ms } => tokio::time::sleep_until(clock.instant_at(until_ms)).await,
            Step::Call(call) => {
                let outcome = call_handler(links, call).await;
                exec.resume_task(outcome, clock.now_ms());
            }
            Step::Fork => run_fork(links, exec, clock).await,
        }
    }
}

/// Serves a fork: children run as tasks on the runtime, at most the fork's concurrency limit
/// at once; when the fork settles (all done, or one failed), the ones still running are
/// aborted with the [`JoinSet`].
async fn run_fork(links: &Arc<Links>, exec: &mut Execution, clock: Clock) {
    let Some(host) = exec.fork_host() else {
        return;
    };
    let mut running = JoinSet::new();
    loop {
        while let Some((index, child)) = host.fork_next() {
            running.spawn(drive_child(Arc::clone(links), index, child, clock));
        }
        if host.fork_settled() {
            break;
        }
        match running.join_next().await {
            Some(Ok((index, child, outcome))) => host.fork_complete(index, &child, outcome),
            // drive_child catches panics, and nothing else aborts these tasks.
            Some(Err(_)) => {}
            None => break,
        }
    }
}

/// Drives one branch or iteration to its end on its own task.
fn drive_child(
    links: Arc<Links>,
    index: usize,
    mut child: Execution,
    clock: Clock,
) -> Pin<Box<dyn Future<Output = (usize, Execution, Outcome)> + Send>> {
    Box::pin(async move {
        let run = AssertUnwindSafe(drive(&links, &mut child, clock)).catch_unwind();
        let outcome = match run.await {
            Ok(o) => o,
            Err(p) => {
                let TaskOutcome::Err(e) = panicked(p) else {
                    unreachable!("panicked() always returns an error")
                };
                Outcome::failed(
                    Some("States.Runtime".into()),
                    Some(format!("internal error: {}", e.cause().unwrap_or_default())),
                )
            }
        };
        (index, child, outcome)
    })
}

/// Calls the handler a Task asked for, under its `TimeoutSeconds`, catching panics.
pub(crate) async fn call_handler(links: &Links, call: TaskCall) -> TaskOutcome {
    let handler: Arc<dyn Handler> = match (links.handler(&call.target), &call.target) {
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
