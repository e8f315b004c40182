//! What stops an execution's long computation from outside (issue 18): its deadline and its
//! stop request, kept in its [`ExecutionInfo`] so that every state, branch and iteration of
//! the execution sees them, and read by a JSONata evaluation that outgrows its first steps
//! ([`crate::jsonata::Interrupt`]).

use super::ExecutionInfo;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Instant;

/// The deadline and stop flag of one execution.
#[derive(Debug, Default)]
pub(crate) struct Control {
    stopped: AtomicBool,
    deadline: OnceLock<Instant>,
}

impl Clone for Control {
    fn clone(&self) -> Control {
        Control {
            stopped: AtomicBool::new(self.stopped.load(Relaxed)),
            deadline: self.deadline.clone(),
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

    /// Sets the deadline, once (later calls are ignored).
    pub(crate) fn set_deadline(&self, at: Instant) {
        let _ = self.deadline.set(at);
    }
}

impl crate::jsonata::Interrupt for ExecutionInfo {
    fn deadline(&self) -> Option<Instant> {
        self.control().deadline.get().copied()
    }

    fn stopped(&self) -> bool {
        self.control().is_stopped()
    }
}
