//! What stops an execution's long computation from outside (issue 18): its deadline and its
//! stop request, kept in its [`ExecutionInfo`] so that every state, branch and iteration of
//! the execution sees them, and read by a JSONata evaluation that outgrows its first steps
//! ([`crate::jsonata::Interrupt`]).

use super::ExecutionInfo;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The deadline and stop flag of one execution.
///
/// PERF: 5 bytes, which fit in `ExecutionInfo`'s padding (it stays 160 bytes: moved by value
/// before it is shared, a larger one cost pass1 async 145 instructions an execution in
/// copies and allocation); the deadline is a plain field set before the info is shared.
#[derive(Debug)]
pub(crate) struct Control {
    stopped: AtomicBool,
    /// Milliseconds from the execution's start; `u32::MAX`: none (or past 49 days, which no
    /// computation reaches: an evaluation's own timeout ends it long before).
    deadline_after_start_ms: u32,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            stopped: AtomicBool::new(false),
            deadline_after_start_ms: u32::MAX,
        }
    }
}

impl Clone for Control {
    fn clone(&self) -> Control {
        Control {
            stopped: AtomicBool::new(self.stopped.load(Relaxed)),
            deadline_after_start_ms: self.deadline_after_start_ms,
        }
    }
}

impl Control {
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Relaxed);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Relaxed)
    }

    /// Sets the deadline, `max_duration` after the execution's start.
    pub(crate) fn set_deadline(&mut self, max_duration: Duration) {
        self.deadline_after_start_ms = u32::try_from(max_duration.as_millis()).unwrap_or(u32::MAX);
    }

    /// The deadline of an execution started at `start_ms` (epoch milliseconds), as an instant
    /// of the monotonic clock, read from the wall clock now.
    fn deadline(&self, start_ms: i64) -> Option<Instant> {
        if self.deadline_after_start_ms == u32::MAX {
            return None;
        }
        let at = start_ms.saturating_add(i64::from(self.deadline_after_start_ms));
        let left = at.saturating_sub(crate::runtime::machine::wall_clock_ms());
        Some(Instant::now() + Duration::from_millis(left.max(0) as u64))
    }
}

impl crate::jsonata::Interrupt for ExecutionInfo {
    fn deadline(&self) -> Option<Instant> {
        self.control().deadline(self.start_ms)
    }

    fn stopped(&self) -> bool {
        self.control().is_stopped()
    }
}
