//! Lanes: the lines of execution whose events a story records, and how they chain.
//!
//! One [`Lane`] ([`Observer`]) for the execution and one for each Parallel branch and Map
//! iteration; each chains its events with `previousEventId`. The events are named and
//! detailed in `details.rs`; their ids are given by the [`Story`].

use super::details::{describe, Described};
use super::Story;
use crate::engine::log::LogLevel;
use crate::runtime::sync::lock;
use crate::vm::{Event, Observer};
use std::sync::Arc;

impl Story {
    /// Records what the VM reported on a lane whose last event was `last`; returns the id.
    pub(super) fn record_vm(&self, last: u32, top: bool, event: Event<'_>) -> u32 {
        // The first state entered follows ExecutionStarted with previous id 0, as AWS records.
        let previous = if last <= 1 { 0 } else { last };
        match &event {
            Event::StateEntered { state_type, .. } if top => {
                lock(&self.inner).open = Some(state_type);
            }
            Event::StateExited { .. } if top => lock(&self.inner).open = None,
            _ => {}
        }
        let (keep, log_all) = self.wants(LogLevel::All);
        let (_, log_error) = self.wants(LogLevel::Error);
        let build = keep || log_all || log_error;
        let Described {
            event_type,
            details,
            level,
        } = describe(event, build, self.with_data(), &self.region);
        self.record(Some(previous), top, event_type, details, level)
    }
}

/// The event that records a stop in a state of `state_type`: `TaskStateAborted`,
/// `MapStateAborted`, `ParallelStateAborted`. A stopped Wait records none: AWS's history of
/// a Wait stopped goes from `WaitStateEntered` to `ExecutionAborted`.
pub(super) fn aborted_event(state_type: &str) -> Option<&'static str> {
    match state_type {
        "Task" => Some("TaskStateAborted"),
        "Map" => Some("MapStateAborted"),
        "Parallel" => Some("ParallelStateAborted"),
        _ => None,
    }
}

/// A line of execution: the execution itself, or one branch or iteration.
pub(super) struct Lane {
    pub(super) story: Arc<Story>,
    pub(super) last: u32,
    pub(super) top: bool,
    /// The `ParallelStateStarted` this lane recorded last: each branch follows it.
    pub(super) parallel_started: u32,
}

impl Observer for Lane {
    fn event(&mut self, _vm_id: u32, event: Event<'_>) {
        // AWS chains `MapStateSucceeded`, `ParallelStateSucceeded` and `MapIterationFailed`
        // to the event before them, but the next event to the one before them too: they do
        // not advance their line.
        let advances = !matches!(
            event,
            Event::ForkEnded {
                succeeded: true,
                ..
            } | Event::IterationEnded {
                succeeded: false,
                ..
            }
        );
        let parallel = matches!(event, Event::ForkStarted { map: false, .. });
        let map = matches!(event, Event::ForkStarted { map: true, .. });
        let id = self.story.record_vm(self.last, self.top && advances, event);
        if id != 0 && advances {
            self.last = id;
        }
        if parallel {
            self.parallel_started = id;
        } else if map {
            self.parallel_started = 0;
        }
    }

    /// A Map iteration follows its `MapIterationStarted` (this lane's last event); a Parallel
    /// branch follows `ParallelStateStarted`.
    fn child(&self) -> Option<Box<dyn Observer>> {
        let last = match self.parallel_started {
            0 => self.last,
            started => started,
        };
        Some(Box::new(Lane {
            story: Arc::clone(&self.story),
            last,
            top: false,
            parallel_started: 0,
        }))
    }

    fn last_event(&self) -> u32 {
        self.last
    }

    fn follow(&mut self, last: u32) {
        self.last = last;
        if self.top {
            lock(&self.story.inner).last_top = last;
        }
    }
}
