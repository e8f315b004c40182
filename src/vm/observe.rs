//! What the VM reports as it runs: the state- and task-level history events, for execution
//! logs.
//!
//! An [`Observer`] is optional and per execution ([`Execution::set_observer`]). Without one the
//! VM pays a single untaken branch per event and builds nothing. Event ids are the VM's own
//! logical counter — the one `States.Runtime` causes quote ("entered at the event id #N") —
//! so logged ids and error messages agree. Execution-level events (started, succeeded,
//! failed, timed out) are the runtime's to report: it knows the input and the outcome, and
//! [`Execution::event_count`] gives the id the next event takes.
//!
//! [`Execution::set_observer`]: super::Execution::set_observer
//! [`Execution::event_count`]: super::Execution::event_count

use crate::value::Value;

/// A history event of one state or task, borrowed from the VM for the duration of the call.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// `<Type>StateEntered`.
    StateEntered {
        /// State name.
        state: &'a str,
        /// `Pass`, `Task`, `Choice`, `Wait`, `Succeed`, `Fail`, ...
        state_type: &'static str,
        /// The state's raw input.
        input: &'a Value,
    },
    /// `<Type>StateExited`.
    StateExited {
        /// State name.
        state: &'a str,
        /// As in `StateEntered`.
        state_type: &'static str,
        /// The state's output.
        output: &'a Value,
    },
    /// `TaskScheduled` (or its Lambda / activity twin): the handler's input is ready.
    TaskScheduled {
        /// The Task's `Resource`.
        resource: &'a str,
        /// The handler's input (effective input after Parameters).
        parameters: &'a Value,
        /// `TimeoutSeconds`, if any.
        timeout_seconds: Option<u64>,
        /// `HeartbeatSeconds`, if any.
        heartbeat_seconds: Option<u64>,
    },
    /// `TaskStarted`.
    TaskStarted {
        /// The Task's `Resource`.
        resource: &'a str,
    },
    /// `TaskSucceeded`.
    TaskSucceeded {
        /// The Task's `Resource`.
        resource: &'a str,
        /// The handler's result.
        output: &'a Value,
    },
    /// `TaskFailed`.
    TaskFailed {
        /// The Task's `Resource`.
        resource: &'a str,
        /// Error name.
        error: &'a str,
        /// Cause, if any.
        cause: Option<&'a str>,
    },
    /// `TaskTimedOut`: `States.Timeout` or `States.HeartbeatTimeout`.
    TaskTimedOut {
        /// The Task's `Resource`.
        resource: &'a str,
        /// Error name.
        error: &'a str,
    },
}

/// Receives the events of one execution, in order.
pub trait Observer: Send {
    /// Event number `id` happened.
    fn event(&mut self, id: u32, event: Event<'_>);
}
