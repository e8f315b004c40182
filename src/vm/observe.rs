//! What the VM reports as it runs: the state- and task-level history events, for execution
//! logs, and — for an observer that asks — each step of a state's input and output processing
//! ([`DataFlow`], TestState's inspection data).
//!
//! An [`Observer`] is optional and per execution ([`Execution::set_observer`]). Without one the
//! VM pays a single untaken branch per event and builds nothing. Data-flow steps are reported
//! only to an observer whose [`Observer::wants_data_flow`] said so when it was set: the VM
//! keeps that answer in a flag, so without such an observer each step costs one untaken
//! branch on a `bool` and nothing is built. Event ids are the VM's own
//! logical counter — the one `States.Runtime` causes quote ("entered at the event id #N") —
//! so logged ids and error messages agree. Execution-level events (started, succeeded,
//! failed, timed out) are the runtime's to report: it knows the input and the outcome, and
//! [`Execution::event_count`] gives the id the next event takes.
//!
//! [`Execution::set_observer`]: super::Execution::set_observer
//! [`Execution::event_count`]: super::Execution::event_count

use crate::value::Value;
use std::sync::Arc;

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
    /// `TaskSubmitted`: a `.sync` / `.sync:2` Task's job is started.
    TaskSubmitted {
        /// The Task's `Resource`.
        resource: &'a str,
        /// The response of the call that started the job, when its handler gave one
        /// ([`HandlerResult::Submitted`](crate::runtime::HandlerResult::Submitted)).
        output: Option<&'a Value>,
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
    /// `ParallelStateStarted` or `MapStateStarted`: the branches or items are known.
    ForkStarted {
        /// `true` for a Map state.
        map: bool,
        /// Branches or iterations.
        length: usize,
    },
    /// `MapIterationStarted`.
    IterationStarted {
        /// The Map state's name.
        state: &'a str,
        /// The iteration's index.
        index: usize,
    },
    /// `MapIterationSucceeded` or `MapIterationFailed`.
    IterationEnded {
        /// The Map state's name.
        state: &'a str,
        /// The iteration's index.
        index: usize,
        /// How it ended.
        succeeded: bool,
    },
    /// A Parallel or Map state fails while some of its branches or iterations still run: they
    /// are stopped, and report nothing more. Comes before the `MapIterationFailed` of the
    /// iteration that failed it, and before `ParallelStateFailed` / `MapStateFailed`. Not
    /// counted in the VM's ids: how many events it stands for depends on the children.
    ChildrenAborted {
        /// `true` for a Map state.
        map: bool,
    },
    /// `MapRunStarted`: a distributed Map started its Map Run (after `MapStateStarted`).
    MapRunStarted {
        /// The Map Run's ARN.
        arn: &'a str,
    },
    /// `MapRunSucceeded`, or `MapRunFailed` with an error.
    MapRunEnded {
        /// The Map Run's ARN.
        arn: &'a str,
        /// The error that failed the Map Run; `None` when it succeeded.
        error: Option<&'a str>,
        /// Its cause.
        cause: Option<&'a str>,
    },
    /// `ParallelStateSucceeded` / `ParallelStateFailed` / `MapStateSucceeded` / `MapStateFailed`.
    ForkEnded {
        /// `true` for a Map state.
        map: bool,
        /// How it ended.
        succeeded: bool,
    },
}

/// One step of a state's input and output processing (IO-1), borrowed from the VM for the
/// duration of the call. A step is reported whether or not the state sets the field (an absent
/// `InputPath` gives the input unchanged); a state reports the steps its type has.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataFlow<'a> {
    /// JSONPath: the input after `InputPath` (every state type but Fail).
    AfterInputPath(&'a Value),
    /// JSONPath: the effective input after `Parameters` (Pass, Task, Parallel, Map).
    AfterParameters(&'a Value),
    /// JSONata: the effective input after `Arguments` (Task, Parallel).
    AfterArguments(&'a Value),
    /// The state's raw result: a Task's answer, a fork's array, a Pass state's `Result` (or
    /// its effective input).
    Result(&'a Value),
    /// JSONPath: the result after `ResultSelector` (Task, Parallel, Map).
    AfterResultSelector(&'a Value),
    /// JSONPath: the result placed in the raw input by `ResultPath` (a catcher's too), before
    /// `OutputPath`.
    AfterResultPath(&'a Value),
    /// Every variable the state can read, as an object: when it is entered (if there are
    /// any), then after its `Assign` was stored, as it leaves.
    Variables(&'a Value),
}

/// Receives the events of one execution, in order.
///
/// Parallel branches and Map iterations report on observers of their own, made by
/// [`Observer::child`] when they start: a child's events follow the event that started it,
/// and when it ends its parent [`follows`](Observer::follow) its last event. Children that
/// run concurrently report concurrently, so the ids an observer assigns (in the order it
/// receives events) may differ from the VM's `id`, which counts one line of execution.
pub trait Observer: Send {
    /// Event number `id` (the VM's count) happened.
    fn event(&mut self, id: u32, event: Event<'_>);

    /// An observer for a branch or iteration starting now; `None` leaves it unobserved.
    fn child(&self) -> Option<Box<dyn Observer>> {
        None
    }

    /// The id of the last event this observer reported (its children's included).
    fn last_event(&self) -> u32 {
        0
    }

    /// A child ended with event `last`: later events of this observer follow it.
    fn follow(&mut self, _last: u32) {}

    /// Does this observer want [`DataFlow`] steps? Asked once, when it is set.
    fn wants_data_flow(&self) -> bool {
        false
    }

    /// State `state` took data-flow step `step` (only if [`Observer::wants_data_flow`]).
    fn data_flow(&mut self, _state: &str, _step: DataFlow<'_>) {}

    /// This observer's branch or iteration ended (called before its parent
    /// [`follows`](Observer::follow) it): it reports no more events.
    fn ended(&self) {}

    /// An activity Task's `TaskStarted` (`ActivityStarted`) is to be reported when a worker
    /// takes its work rather than now: the VM then does not report it, and passes the
    /// returned [`Handout`] on with the [`TaskCall`](super::TaskCall) for the runtime to call
    /// at hand-out. `None` (the default): `TaskStarted` is reported at once.
    fn defer_task_started(&mut self) -> Option<Handout> {
        None
    }

    /// A `.sync` Task's `TaskSubmitted` (of `resource`) is to be reported once its job was
    /// started, with the start call's response: the VM then does not report it, and passes
    /// the returned [`Submission`] on with the [`TaskCall`](super::TaskCall) for the runtime
    /// to call before the Task's outcome. `None` (the default): it is reported at once,
    /// without output.
    fn defer_task_submitted(&mut self, _resource: &str) -> Option<Submission> {
        None
    }

    /// The `tracing` span that work for the current state belongs to (the Task call's span
    /// while a Task runs), when this observer traces: the runtime calls handlers inside it.
    /// `None` (the default) for observers that do not.
    fn span(&self) -> Option<tracing::Span> {
        None
    }
}

/// Reports that a `.sync` Task's job was started, with the start call's response when there
/// is one: the Task's `TaskSubmitted` ([`Observer::defer_task_submitted`]).
#[derive(Clone)]
pub struct Submission(Arc<SubmissionFn>);

type SubmissionFn = dyn Fn(Option<&Value>) + Send + Sync;

impl Submission {
    /// A submission that calls `f` with the start response.
    pub fn new(f: impl Fn(Option<&Value>) + Send + Sync + 'static) -> Submission {
        Submission(Arc::new(f))
    }

    /// The job was started; `response` is what the start call answered.
    pub fn submit(&self, response: Option<&Value>) {
        (self.0)(response)
    }
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Submission")
    }
}

/// Reports that a worker took an activity Task's work (GetActivityTask), with the worker's
/// name when it gave one: the Task's `ActivityStarted` ([`Observer::defer_task_started`]).
#[derive(Clone)]
pub struct Handout(Arc<HandoutFn>);

type HandoutFn = dyn Fn(Option<&str>) + Send + Sync;

impl Handout {
    /// A handout that calls `f` with the worker's name.
    pub fn new(f: impl Fn(Option<&str>) + Send + Sync + 'static) -> Handout {
        Handout(Arc::new(f))
    }

    /// A worker (named `worker`, if it said) took the work.
    pub fn taken(&self, worker: Option<&str>) {
        (self.0)(worker)
    }
}

impl std::fmt::Debug for Handout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handout")
    }
}
