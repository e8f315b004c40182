//! What stops an execution's long computation from outside (issue 18): its deadline and its
//! stop request, kept in its [`ExecutionInfo`] so that every state, branch and iteration of
//! the execution sees them, and read by a JSONata evaluation that outgrows its first steps
//! ([`crate::jsonata::Interrupt`]).

use super::ExecutionInfo;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The deadline and stop flag of one execution.
///
/// PERF: the deadline is a plain field, set before the execution's `ExecutionInfo` is shared
/// (a `OnceLock` cost about 120 instructions per execution: pass1 through callgrind).
#[derive(Debug)]
pub(crate) struct Control {
    stopped: AtomicBool,
    /// Epoch milliseconds; `i64::MAX`: none.
    deadline_ms: i64,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            stopped: AtomicBool::new(false),
            deadline_ms: i64::MAX,
        }
    }
}

impl Clone for Control {
    fn clone(&self) -> Control {
        Control {
            stopped: AtomicBool::new(self.stopped.load(Relaxed)),
            deadline_ms: self.deadline_ms,
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

    /// Sets the deadline: `max_duration` after `start_ms` (epoch milliseconds).
    pub(crate) fn set_deadline(&mut self, start_ms: i64, max_duration: Duration) {
        let ms = i64::try_from(max_duration.as_millis()).unwrap_or(i64::MAX);
        self.deadline_ms = start_ms.saturating_add(ms);
    }

    /// The deadline as an instant of the monotonic clock, read from the wall clock now.
    fn deadline(&self) -> Option<Instant> {
        if self.deadline_ms == i64::MAX {
            return None;
        }
        let left = self
            .deadline_ms
            .saturating_sub(crate::runtime::machine::wall_clock_ms());
        Some(Instant::now() + Duration::from_millis(left.max(0) as u64))
    }
}

impl crate::jsonata::Interrupt for ExecutionInfo {
    fn deadline(&self) -> Option<Instant> {
        self.control().deadline()
    }

    fn stopped(&self) -> bool {
        self.control().is_stopped()
    }
}
