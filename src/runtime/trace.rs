//! `tracing` spans for executions, states and Task calls, and events for errors.
//!
//! Spans (target `aslx`, level `INFO`):
//!
//! - `execution` {`machine`, `execution_arn`, `type`, `status`}: from the start to the end,
//!   a child of the span current where the execution was started (a request's span in a
//!   service), so `tracing-opentelemetry` links it to the caller's trace. Its end is an
//!   event: `INFO` for a success, `ERROR` with `error` and `cause` otherwise.
//! - `state` {`state`, `type`}: one per state entered, a child of its execution (or of its
//!   Parallel branch or Map iteration, a `branch` span under the Parallel or Map state).
//! - `task` {`resource`, `attempt`}: one per Task call (a retry is a new one), a child of
//!   its state. The handler is called and its future polled inside it, so what the
//!   handler traces belongs to it. A failure or time-out is a `WARN` event in it.
//!
//! Zero cost when nobody listens: whether the `execution` span is enabled is asked once per
//! execution (a relaxed atomic load when no subscriber is set); when it is not, nothing here
//! is built and the VM's observer slot stays as it was. PERF: pass1 instructions per
//! execution, before/after in the commit that added this module.

use crate::asl::MachineType;
use crate::vm::{DataFlow, Event, ExecutionInfo, Handout, Observer, Outcome, Status, Submission};
use tracing::{field::Empty, Span};

/// The span of one execution, when a subscriber wants it.
#[inline]
pub(crate) fn execution_span(info: &ExecutionInfo, machine_type: MachineType) -> Option<Span> {
    if !tracing::enabled!(target: "aslx", tracing::Level::INFO) {
        return None;
    }
    new_execution_span(info, machine_type)
}

#[cold]
fn new_execution_span(info: &ExecutionInfo, machine_type: MachineType) -> Option<Span> {
    let span = tracing::info_span!(
        target: "aslx",
        "execution",
        machine = &*info.machine_name,
        execution_arn = &**info.id(),
        r#type = machine_type.as_str(),
        status = Empty,
    );
    (!span.is_disabled()).then_some(span)
}

/// Records how the execution of `span` ended.
#[cold]
pub(crate) fn execution_ended(span: &Span, outcome: &Outcome) {
    span.record("status", outcome.status.as_str());
    match outcome.status {
        Status::Succeeded => tracing::info!(target: "aslx", parent: span, "execution succeeded"),
        _ => tracing::error!(
            target: "aslx",
            parent: span,
            status = outcome.status.as_str(),
            error = outcome.error.as_deref().unwrap_or(""),
            cause = outcome.cause.as_deref().unwrap_or(""),
            "execution ended without success"
        ),
    }
}

/// An observer that turns the VM's events into spans, in front of the observer the
/// execution already had (its history and log), which sees every call unchanged.
pub(crate) struct TraceObserver {
    /// The execution's span, or the branch's for a Parallel branch or Map iteration.
    root: Span,
    state: Option<Span>,
    task: Option<Span>,
    /// Task calls in the current state so far.
    attempts: u32,
    inner: Option<Box<dyn Observer>>,
}

impl TraceObserver {
    /// Spans under `root`, in front of `inner`.
    pub(crate) fn boxed(root: Span, inner: Option<Box<dyn Observer>>) -> Box<dyn Observer> {
        Box::new(TraceObserver {
            root,
            state: None,
            task: None,
            attempts: 0,
            inner,
        })
    }

    fn spans(&mut self, event: &Event<'_>) {
        match *event {
            Event::StateEntered {
                state, state_type, ..
            } => {
                self.task = None;
                self.attempts = 0;
                self.state = Some(tracing::info_span!(
                    target: "aslx",
                    parent: &self.root,
                    "state",
                    state,
                    r#type = state_type
                ));
            }
            Event::StateExited { .. } => {
                self.task = None;
                self.state = None;
            }
            Event::TaskScheduled { resource, .. } => {
                self.attempts += 1;
                let parent = self.state.as_ref().unwrap_or(&self.root);
                self.task = Some(tracing::info_span!(
                    target: "aslx",
                    parent: parent,
                    "task",
                    resource,
                    attempt = self.attempts
                ));
            }
            Event::TaskSucceeded { .. } => self.task = None,
            Event::TaskFailed { error, cause, .. } => {
                let span = self.task.take();
                let parent = span.as_ref().unwrap_or(&self.root);
                let cause = cause.unwrap_or("");
                tracing::warn!(target: "aslx", parent: parent, error, cause, "task failed");
            }
            Event::TaskTimedOut { error, .. } => {
                let span = self.task.take();
                let parent = span.as_ref().unwrap_or(&self.root);
                tracing::warn!(target: "aslx", parent: parent, error, "task timed out");
            }
            Event::MapRunEnded {
                error: Some(error),
                cause,
                arn,
            } => {
                let parent = self.state.as_ref().unwrap_or(&self.root);
                let cause = cause.unwrap_or("");
                tracing::warn!(target: "aslx", parent: parent, error, cause, map_run = arn, "map run failed");
            }
            Event::ForkEnded {
                succeeded: false,
                map,
            } => {
                let parent = self.state.as_ref().unwrap_or(&self.root);
                let kind = if map { "Map" } else { "Parallel" };
                tracing::warn!(target: "aslx", parent: parent, kind, "a branch or iteration failed");
            }
            _ => {}
        }
    }
}

impl Observer for TraceObserver {
    fn event(&mut self, id: u32, event: Event<'_>) {
        self.spans(&event);
        if let Some(i) = &mut self.inner {
            i.event(id, event);
        }
    }

    fn child(&self) -> Option<Box<dyn Observer>> {
        let parent = self.state.as_ref().unwrap_or(&self.root);
        let root = tracing::info_span!(target: "aslx", parent: parent, "branch");
        let inner = self.inner.as_ref().and_then(|i| i.child());
        Some(TraceObserver::boxed(root, inner))
    }

    fn last_event(&self) -> u32 {
        self.inner.as_ref().map_or(0, |i| i.last_event())
    }

    fn follow(&mut self, last: u32) {
        if let Some(i) = &mut self.inner {
            i.follow(last);
        }
    }

    fn wants_data_flow(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| i.wants_data_flow())
    }

    fn data_flow(&mut self, state: &str, step: DataFlow<'_>) {
        if let Some(i) = &mut self.inner {
            i.data_flow(state, step);
        }
    }

    fn ended(&self) {
        if let Some(i) = &self.inner {
            i.ended();
        }
    }

    fn defer_task_started(&mut self) -> Option<Handout> {
        self.inner.as_mut()?.defer_task_started()
    }

    fn defer_task_submitted(&mut self, resource: &str) -> Option<Submission> {
        self.inner.as_mut()?.defer_task_submitted(resource)
    }

    fn span(&self) -> Option<Span> {
        self.task
            .as_ref()
            .or(self.state.as_ref())
            .cloned()
            .or_else(|| Some(self.root.clone()))
    }
}
