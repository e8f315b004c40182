//! The step loop: one execution of a [`Program`], advanced until it needs the outside world.
//!
//! [`Execution::step`] runs states until one of them must wait — a handler call, a timer — or
//! the execution ends, and says which ([`Step`]). The caller (the tokio runtime, the
//! conformance harness on virtual time, a benchmark loop) acts on it and resumes. No threads,
//! no clocks: the caller passes the current time in, so the same code runs on the wall clock
//! and on a paused test clock.

use super::context::{context_object, ExecutionInfo};
use super::error::{ErrorClass, ExecError};
use super::observe::{DataFlow, Event, Observer};
use super::retry::{backoff_ms, catches, retries};
use super::task::{invoke_envelope, CallExtras, CallTarget, TaskCall, TaskError, TaskOutcome};
use super::vars::{Assigned, Vars};
use crate::asl::timestamp::parse_timestamp;
use crate::compile::program::*;
use crate::compile::resource::{classify, ResourceKind};
use crate::compile::template::Template;
use crate::compile::template::TemplateError;
use crate::path::{Env, EvalError, IntrinsicError, PathError};
use crate::value::{serialized_len_at_most, Map, Str, Value};
use smallvec::SmallVec;
use std::sync::Arc;

mod fork;
mod io;
mod jsonata;
mod map_run;
mod task_flow;
use fork::Fork;
pub use fork::{DISTRIBUTED_MAP_CONCURRENCY, INLINE_MAP_CONCURRENCY};
use map_run::PendingIo;
use task_flow::qualified_function_arn;

/// Largest payload of a state, task result or execution (QUO-2): 256 KiB.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;

/// Entries in a STANDARD execution's history before AWS ends it (QUO, "Avoid reaching the
/// history quota"): see [`Execution::set_history_limit`].
pub const STANDARD_HISTORY_LIMIT: u32 = 25_000;

/// Transitions run in one [`Execution::step`] call before it yields, so a long loop of Pass
/// and Choice states cannot hold a worker thread.
pub const STEPS_PER_SLICE: u32 = 1024;

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Reached a terminal state.
    Succeeded,
    /// An error nobody caught, or a Fail state.
    Failed,
    /// Ran past its deadline.
    TimedOut,
    /// Stopped from outside.
    Aborted,
}

impl Status {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// The result of an execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Final status.
    pub status: Status,
    /// Output, for `Succeeded`.
    pub output: Option<Value>,
    /// Error name, when one was reported.
    pub error: Option<Str>,
    /// Cause, when one was reported.
    pub cause: Option<String>,
}

impl Outcome {
    pub(crate) fn failed(error: Option<Str>, cause: Option<String>) -> Outcome {
        Outcome {
            status: Status::Failed,
            output: None,
            error,
            cause,
        }
    }

    /// `TIMED_OUT` with `States.Timeout`, as AWS ends an execution past its deadline.
    pub fn timed_out() -> Outcome {
        Outcome {
            status: Status::TimedOut,
            output: None,
            error: Some(Str::from("States.Timeout")),
            cause: None,
        }
    }

    /// The AWS-shaped JSON: `{"status", "output"}` or `{"status", "error", "cause"}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(3);
        m.insert("status".into(), Value::string(self.status.as_str()));
        if let Some(o) = &self.output {
            m.insert("output".into(), o.clone());
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &self.cause {
            m.insert("cause".into(), Value::from(c.as_str()));
        }
        Value::object(m)
    }
}

/// What the execution needs next.
#[derive(Debug)]
pub enum Step {
    /// Call a handler, then [`Execution::resume_task`].
    Call(TaskCall),
    /// Sleep until this time (epoch ms), then [`Execution::step`] again.
    Sleep {
        /// Wake-up time, epoch milliseconds.
        until_ms: i64,
    },
    /// Nothing to wait for, but the slice is used up: let others run, then step again.
    Yield,
    /// A Parallel or Map state wants its children run concurrently: serve the fork of
    /// [`Execution::fork_host`] ([`Execution::fork_next`], [`Execution::fork_complete`]) until
    /// [`Execution::fork_settled`], then step again. A driver without concurrency calls
    /// [`Execution::run_fork_inline`] instead.
    Fork,
    /// A distributed Map reads its items from S3 or writes its results there: serve the
    /// request, then [`Execution::resume_map_io`] and step again.
    MapIo(super::map_io::MapIoRequest),
    /// Finished.
    Done(Outcome),
}

enum Phase {
    Enter,
    /// A handler call is out; `resume_task` continues.
    TaskPending,
    /// Sleeping before a retry of the current Task.
    Retrying,
    /// Sleeping in a Wait state; its output is ready.
    Waiting(Value),
    /// A Parallel or Map state runs its children.
    Forked(Box<Fork>),
    /// A distributed Map waits for the driver's S3 request.
    MapIo(Box<PendingIo>),
    Finished(Outcome),
}

enum Flow {
    Goto(StateId, Value),
    End(Value),
    Call(TaskCall),
    Sleep(i64, Phase),
    Fork(Box<Fork>),
    MapIo(Box<PendingIo>),
    Error(ExecError),
    Failed(Option<Str>, Option<String>),
}

/// One execution in progress.
pub struct Execution {
    program: Arc<Program>,
    info: Arc<ExecutionInfo>,
    exec_input: Value,
    at: StateId,
    /// Raw input of the current state.
    input: Value,
    phase: Phase,
    /// Attempts used per retrier during this visit of the current state (RET-4).
    attempts: SmallVec<[u32; 4]>,
    retry_count: u32,
    /// Logical history event counter (ERR-4): ExecutionStarted is #1.
    event_id: u32,
    /// `event_id` at which a state entry meets the history quota (STANDARD: see
    /// [`Execution::set_history_limit`]); `u32::MAX` when there is none, so the check on
    /// state entry never fires for EXPRESS executions.
    history_guard: u32,
    entered_event: u32,
    entered_ms: i64,
    transitions: u64,
    /// Set while sleeping (Wait state, retry delay): `step` does nothing before this time.
    wake_at: Option<i64>,
    /// The pending `lambda:invoke` asked for `LogType: Tail`.
    log_tail: bool,
    /// Upper bound on the serialized size of `input` (QUO-2 bookkeeping).
    input_bound: usize,
    /// Upper bound on the size of the output just produced; becomes `input_bound`.
    out_bound: usize,
    /// Serialized size of the execution input (bounds the Context object).
    exec_input_bytes: usize,
    /// Workflow variables of this scope, and read access to the outer ones.
    vars: Vars,
    /// Receives history events; `None` (the common case) costs one branch per event.
    observer: Option<Box<dyn Observer>>,
    /// The observer wants [`DataFlow`] steps: asked once, when it was set, so each step costs
    /// one branch on this flag when none does.
    data_flow: bool,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("state", &self.program.state_name(self.at))
            .field("transitions", &self.transitions)
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// Starts an execution of `program` on `input`.
    pub fn new(program: Arc<Program>, info: Arc<ExecutionInfo>, input: Value) -> Execution {
        Execution::start(program, info, input)
    }

    fn start(program: Arc<Program>, info: Arc<ExecutionInfo>, input: Value) -> Execution {
        let input_bytes = serialized_len_at_most(&input, usize::MAX).unwrap_or(usize::MAX);
        let at = program.start;
        // PERF: a second reference to the input would make the first ResultPath copy it.
        let exec_input = if program.uses_context {
            input.clone()
        } else {
            Value::Null
        };
        Execution {
            program,
            info,
            exec_input,
            at,
            input,
            phase: Phase::Enter,
            attempts: SmallVec::new(),
            retry_count: 0,
            event_id: 1,
            history_guard: u32::MAX,
            entered_event: 0,
            entered_ms: 0,
            transitions: 0,
            wake_at: None,
            log_tail: false,
            input_bound: input_bytes,
            out_bound: input_bytes,
            exec_input_bytes: input_bytes,
            vars: Vars::default(),
            observer: None,
            data_flow: false,
        }
    }

    /// Reports this execution's state and task events to `observer` from now on, and its
    /// data-flow steps if it [wants them](Observer::wants_data_flow).
    pub fn set_observer(&mut self, observer: Box<dyn Observer>) {
        self.data_flow = observer.wants_data_flow();
        self.observer = Some(observer);
    }

    /// The `tracing` span of the current state's work, when the observer traces
    /// ([`Observer::span`]).
    pub(crate) fn trace_span(&self) -> Option<tracing::Span> {
        self.observer.as_ref()?.span()
    }

    /// Takes the observer back (to wrap it in another, say): nothing is reported until one is
    /// set again.
    pub fn take_observer(&mut self) -> Option<Box<dyn Observer>> {
        self.data_flow = false;
        self.observer.take()
    }

    /// Sets the members of `vars` as workflow variables before the execution starts (TestState's
    /// `variables`): its states read them as `$name`. Stored as given, without `Assign`'s size
    /// checks (VAR-10): the caller bounds them. Anything but an object sets nothing.
    pub fn set_variables(&mut self, vars: &Value) {
        if let Value::Object(m) = vars {
            self.vars.preset(m);
        }
    }

    /// Ends the execution as AWS ends a STANDARD execution whose history reaches `events`
    /// entries (25,000 for AWS, [`STANDARD_HISTORY_LIMIT`]): "When an execution reaches
    /// 24,999 events, it waits for the next event to happen. If the event number 25,000 is
    /// ExecutionSucceeded, the execution finishes successfully. If [it] isn't
    /// ExecutionSucceeded, the ExecutionFailed event is logged" (Step Functions developer
    /// guide, "Avoid reaching the history quota"), with error `States.Runtime` and cause
    /// "The execution reached the maximum number of history events (25000)." (quoted from a
    /// real execution in loads/ardere#86). Not caught by any catcher.
    ///
    /// Checked where a state is entered, where a Task is scheduled and started, and where a
    /// Task, Map or Parallel state exits, so an endless loop of Pass, Choice, Wait and Task
    /// states is cut where AWS cuts it (its last real event is #24,999). Events inside a Map
    /// or Parallel (iteration and branch events) are not checked one by one: a cut falling
    /// among them lands on the next of those points.
    pub fn set_history_limit(&mut self, events: u32) {
        self.history_guard = events.saturating_sub(2).max(1);
    }

    /// Ids of history events so far (`ExecutionStarted` is #1): the next event is this + 1.
    pub fn event_count(&self) -> u32 {
        self.event_id
    }

    /// State transitions so far.
    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    /// The execution's identity.
    pub fn info(&self) -> &Arc<ExecutionInfo> {
        &self.info
    }

    /// Name of the state the execution is in.
    pub fn current_state(&self) -> &str {
        self.program.state_name(self.at)
    }

    /// The current state's type and when it was entered (epoch milliseconds).
    pub(crate) fn state_entered(&self) -> (&'static str, i64) {
        (self.state().op.type_name(), self.entered_ms)
    }

    /// Runs until the execution needs a handler, a timer, a yield, or is done.
    pub fn step(&mut self, now_ms: i64) -> Step {
        if let Some(until_ms) = self.wake_at {
            if now_ms < until_ms {
                return Step::Sleep { until_ms };
            }
            self.wake_at = None;
        }
        // PERF: one refcount bump per step() call, not one per state (vm/choice_loop).
        let program = Arc::clone(&self.program);
        let mut budget = STEPS_PER_SLICE;
        loop {
            let flow = match std::mem::replace(&mut self.phase, Phase::TaskPending) {
                Phase::Enter => self.enter(&program, now_ms),
                Phase::Retrying => self.retry(&program),
                Phase::Forked(mut fork) => {
                    if !fork.settled() {
                        if !fork.sequential {
                            self.phase = Phase::Forked(fork);
                            return Step::Fork;
                        }
                        if let Some(step) = self.advance_inline(&program, &mut fork, now_ms) {
                            self.phase = Phase::Forked(fork);
                            return step;
                        }
                    }
                    self.finish_fork(&program, *fork, now_ms)
                }
                Phase::Waiting(output) => {
                    self.event_id += 1; // WaitStateExited
                    self.exited(&program.states[self.at.index()], &output);
                    self.leave(output)
                }
                Phase::MapIo(mut p) => {
                    let request = p.request.take();
                    self.phase = Phase::MapIo(p);
                    return match request {
                        Some(r) => Step::MapIo(r),
                        None => Step::Done(Outcome::failed(
                            Some("States.Runtime".into()),
                            Some(
                                "internal error: step() called while an S3 request is pending"
                                    .into(),
                            ),
                        )),
                    };
                }
                Phase::TaskPending => {
                    self.phase = Phase::TaskPending;
                    return Step::Done(Outcome::failed(
                        Some("States.Runtime".into()),
                        Some("internal error: step() called while a task call is pending".into()),
                    ));
                }
                Phase::Finished(o) => {
                    self.phase = Phase::Finished(o.clone());
                    return Step::Done(o);
                }
            };
            match flow {
                Flow::Goto(id, v) => {
                    self.at = id;
                    self.input = v;
                    self.input_bound = self.out_bound;
                    self.phase = Phase::Enter;
                    self.transitions += 1;
                    budget -= 1;
                    if budget == 0 {
                        return Step::Yield;
                    }
                }
                Flow::End(v) => {
                    return self.finish(Outcome {
                        status: Status::Succeeded,
                        output: Some(v),
                        error: None,
                        cause: None,
                    })
                }
                Flow::Call(c) => {
                    self.phase = Phase::TaskPending;
                    return Step::Call(c);
                }
                Flow::Sleep(until_ms, phase) => {
                    self.phase = phase;
                    self.wake_at = Some(until_ms);
                    return Step::Sleep { until_ms };
                }
                Flow::Fork(fork) => self.phase = Phase::Forked(fork),
                Flow::MapIo(p) => self.phase = Phase::MapIo(p),
                Flow::Error(e) => match e.interruption() {
                    Some(stopped) => return self.finish(interrupted_outcome(stopped)),
                    None => return self.finish(error_outcome(e)),
                },
                Flow::Failed(error, cause) => return self.finish(Outcome::failed(error, cause)),
            }
        }
    }

    /// Ends the execution from outside (deadline, stop): later steps report `outcome`.
    pub fn abort(&mut self, outcome: Outcome) -> Outcome {
        self.phase = Phase::Finished(outcome.clone());
        outcome
    }

    fn finish(&mut self, o: Outcome) -> Step {
        self.phase = Phase::Finished(o.clone());
        Step::Done(o)
    }

    /// Hands the result of the pending handler call back; then call [`Execution::step`].
    pub fn resume_task(&mut self, outcome: TaskOutcome, now_ms: i64) {
        if let Phase::Forked(fork) = &mut self.phase {
            // The call came from a child running inline.
            if let Some((_, child)) = &mut fork.current {
                child.resume_task(outcome, now_ms);
            }
            return;
        }
        if !matches!(self.phase, Phase::TaskPending) {
            return;
        }
        self.event_id += 1; // TaskSucceeded / TaskFailed / TaskTimedOut
        let program = Arc::clone(&self.program);
        // Once, so the history's TaskFailed and the error a catcher sees carry the same cause.
        let outcome = match outcome {
            TaskOutcome::FunctionNotFound(name) => TaskOutcome::Err(self.function_not_found(&name)),
            other => other,
        };
        if self.observer.is_some() {
            self.report_task(&program, &outcome);
        }
        let flow = self.task_done(&program, outcome, now_ms);
        self.phase = self.phase_after(flow);
    }

    /// The phase a flow leads to outside [`Execution::step`] (after a handler's or the
    /// driver's answer).
    fn phase_after(&mut self, flow: Flow) -> Phase {
        match flow {
            Flow::Goto(id, v) => {
                self.at = id;
                self.input = v;
                self.input_bound = self.out_bound;
                self.transitions += 1;
                Phase::Enter
            }
            Flow::End(v) => Phase::Finished(Outcome {
                status: Status::Succeeded,
                output: Some(v),
                error: None,
                cause: None,
            }),
            Flow::Sleep(until, phase) => {
                self.wake_at = Some(until);
                phase
            }
            Flow::Call(_) => Phase::Retrying,
            Flow::Fork(f) => Phase::Forked(f),
            Flow::MapIo(p) => Phase::MapIo(p),
            Flow::Error(e) => Phase::Finished(error_outcome(e)),
            Flow::Failed(error, cause) => Phase::Finished(Outcome::failed(error, cause)),
        }
    }

    fn state(&self) -> &State {
        &self.program.states[self.at.index()]
    }

    /// Reports the variables `state` can read, if there are any (the caller checked
    /// `data_flow`).
    #[cold]
    #[inline(never)]
    fn report_variables(&mut self, state: &str) {
        if self.vars.is_empty() {
            return;
        }
        let vars = self.vars.snapshot();
        report(&mut self.observer, state, DataFlow::Variables(&vars));
    }

    /// Reports how the pending Task call ended.
    #[cold]
    fn report_task(&mut self, program: &Program, outcome: &TaskOutcome) {
        let Op::Task(task) = &program.states[self.at.index()].op else {
            return;
        };
        let resource = &program.tasks[task.site.index()].resource;
        let compact = task.integration == Integration::LambdaInvoke;
        let envelope = compact && program.tasks[task.site.index()].wait == TaskWait::Response;
        let cause;
        let event = match outcome {
            // Reported by `task_done` once the invoke envelope around it is built.
            TaskOutcome::Ok(_) if envelope => return,
            TaskOutcome::Ok(output) | TaskOutcome::Whole(output) => {
                Event::TaskSucceeded { resource, output }
            }
            TaskOutcome::Err(e) => {
                cause = e.rendered_cause(compact);
                Event::TaskFailed {
                    resource,
                    error: e.error(),
                    cause: cause.as_deref(),
                }
            }
            TaskOutcome::TimedOut => Event::TaskTimedOut {
                resource,
                error: "States.Timeout",
            },
            TaskOutcome::HeartbeatTimedOut => Event::TaskTimedOut {
                resource,
                error: "States.HeartbeatTimeout",
            },
            // Turned into `Err` by `resume_task`.
            TaskOutcome::FunctionNotFound(_) => return,
        };
        if let Some(o) = &mut self.observer {
            o.event(self.event_id, event);
        }
    }

    /// `An error occurred while executing the state 'X' (entered at the event id #N). `
    #[cold]
    fn runtime(&self, cause: impl std::fmt::Display) -> ExecError {
        ExecError::runtime(format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {cause}",
            self.state().name, self.entered_event
        ))
    }

    /// A `lambda:invoke` of a function nothing is bound to, as AWS's optimized integration
    /// fails (recorded: `task_service_lambda.no_such_function_catch`, whose cause reads
    /// `Function not found: arn:aws:lambda:us-east-1:111111111111:function:<name>:$LATEST
    /// (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request
    /// ID: <request_id>; Proxy: null)`).
    #[cold]
    fn function_not_found(&self, name: &str) -> TaskError {
        TaskError::new(
            "Lambda.ResourceNotFoundException",
            format!(
                "Function not found: {} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {}; Proxy: null)",
                qualified_function_arn(name, &self.info.machine_id),
                uuid::Uuid::new_v4()
            ),
        )
    }

    /// A state entry at the history quota (see [`Execution::set_history_limit`]): when the
    /// entry is the quota's last real event it is still recorded, then the execution fails.
    #[cold]
    #[inline(never)]
    fn history_full(&mut self, program: &Program, now_ms: i64) -> Flow {
        if self.event_id == self.history_guard {
            // <Type>StateEntered, the last event before the cut.
            self.record_entered(&program.states[self.at.index()], now_ms);
        }
        Flow::Error(self.history_quota_error())
    }

    /// Whether the next history event would be past the last real one the quota allows
    /// (never, without a quota: the guard is `u32::MAX`).
    #[inline]
    fn quota_reached(&self) -> bool {
        self.event_id > self.history_guard
    }

    #[cold]
    fn history_quota_error(&self) -> ExecError {
        ExecError::new(
            "States.Runtime",
            Some(format!(
                "The execution reached the maximum number of history events ({}).",
                self.history_guard.saturating_add(2)
            )),
            ErrorClass::Fatal,
        )
    }

    /// CH-2: no rule matched and there is no `Default`. The error name is AWS's (its error
    /// table); the cause's wording is unconfirmed: no AWS page, recording or public
    /// execution quoting it was found (issue 17).
    #[cold]
    fn no_choice_matched(&self) -> ExecError {
        ExecError::new(
            "States.NoChoiceMatched",
            Some(format!(
                "No Matches! An error occurred while executing the state '{}' (entered at the event id #{}).",
                self.state().name, self.entered_event
            )),
            ErrorClass::Fatal,
        )
    }

    fn context(&self, state: &State, with_retry: bool) -> Value {
        if !state.io.uses_context {
            return Value::Null;
        }
        context_object(
            &self.info,
            &self.exec_input,
            &state.name,
            self.entered_ms,
            with_retry.then_some(self.retry_count),
            None,
        )
    }

    /// Reports `<Type>StateExited` (the caller has counted the event).
    #[inline]
    fn exited(&mut self, state: &State, output: &Value) {
        if let Some(o) = &mut self.observer {
            o.event(
                self.event_id,
                Event::StateExited {
                    state: &state.name,
                    state_type: state.op.type_name(),
                    output,
                },
            );
        }
        if self.data_flow {
            self.report_variables(&state.name);
        }
    }

    /// `<Type>StateEntered` of `state`: its event id, and the observer told.
    #[inline]
    fn record_entered(&mut self, state: &State, now_ms: i64) {
        self.event_id += 1;
        self.entered_event = self.event_id;
        self.entered_ms = now_ms;
        if let Some(o) = &mut self.observer {
            o.event(
                self.event_id,
                Event::StateEntered {
                    state: &state.name,
                    state_type: state.op.type_name(),
                    input: &self.input,
                },
            );
        }
    }

    fn enter(&mut self, program: &Program, now_ms: i64) -> Flow {
        if self.event_id >= self.history_guard {
            return self.history_full(program, now_ms);
        }
        self.attempts.clear();
        self.retry_count = 0;
        let state = &program.states[self.at.index()];
        self.record_entered(state, now_ms);
        if self.data_flow {
            self.report_variables(&state.name);
        }
        if let Some(j) = state.io.jsonata.as_deref() {
            return self.enter_jsonata(program, state, j, now_ms);
        }
        match &state.op {
            Op::Task(_) => self.start_task(program),
            Op::Parallel(_) | Op::Map(_) => self.start_fork(program, state),
            Op::Pass {
                result,
                result_bytes,
            } => {
                let ctx = self.context(state, false);
                let flow = (|| {
                    let (result, bound) = match result {
                        Some(r) => {
                            // The effective input is not the result, but evaluating it can
                            // still fail (a path that finds nothing). It is dropped before
                            // ResultPath writes into the input, which then needs no copy.
                            if !matches!(state.io.input_path, Select::All)
                                || state.io.parameters.is_some()
                                || self.data_flow
                            {
                                self.effective_input(state, &ctx)?;
                            }
                            (r.clone(), Some(*result_bytes))
                        }
                        None => {
                            let effective = self.effective_input(state, &ctx)?;
                            let b = self.effective_bound(state);
                            (effective, b)
                        }
                    };
                    if self.data_flow {
                        report(&mut self.observer, &state.name, DataFlow::Result(&result));
                    }
                    let assigned = self.assign(&state.io.assign, &result, &ctx)?;
                    let output = self.merge_and_select(state, result, bound, &ctx)?;
                    self.commit(assigned)?;
                    Ok(output)
                })();
                match flow {
                    Ok(output) => {
                        self.event_id += 1; // PassStateExited
                        self.exited(state, &output);
                        self.leave(output)
                    }
                    Err(e) => Flow::Error(e),
                }
            }
            Op::Choice(c) => {
                let ctx = self.context(state, false);
                let effective = match self.select(&state.io.input_path, &self.input, &ctx) {
                    Ok(v) => v,
                    Err(e) => return Flow::Error(e),
                };
                if self.data_flow {
                    report(
                        &mut self.observer,
                        &state.name,
                        DataFlow::AfterInputPath(&effective),
                    );
                }
                let env = Env {
                    input: &effective,
                    context: &ctx,
                    vars: &self.vars,
                };
                let mut chosen = c.default;
                let mut assign = &state.io.assign;
                for rule in c.rules.iter() {
                    match rule.predicate.eval(&env) {
                        Ok(true) => {
                            chosen = Some(rule.next);
                            assign = &rule.assign;
                            break;
                        }
                        Ok(false) => {}
                        Err(e) => {
                            return Flow::Error(
                                self.path_error("Variable", &e.path, &e.error, &effective),
                            )
                        }
                    }
                }
                let Some(next) = chosen else {
                    return Flow::Error(self.no_choice_matched());
                };
                let output = self
                    .assign(assign, &effective, &ctx)
                    .and_then(|a| Ok((self.select_within_input(state, &effective, &ctx)?, a)))
                    .and_then(|(o, a)| self.commit(a).map(|()| o));
                let output = match output {
                    Ok(o) => o,
                    Err(e) => return Flow::Error(e),
                };
                self.event_id += 1; // ChoiceStateExited
                self.exited(state, &output);
                Flow::Goto(next, output)
            }
            Op::Wait(w) => {
                let ctx = self.context(state, false);
                let effective = match self.select(&state.io.input_path, &self.input, &ctx) {
                    Ok(v) => v,
                    Err(e) => return Flow::Error(e),
                };
                if self.data_flow {
                    report(
                        &mut self.observer,
                        &state.name,
                        DataFlow::AfterInputPath(&effective),
                    );
                }
                let until = match self.wait_until(w, &effective, &ctx, now_ms) {
                    Ok(t) => t,
                    Err(e) => return Flow::Error(e),
                };
                let output = self
                    .assign(&state.io.assign, &effective, &ctx)
                    .and_then(|a| Ok((self.select_within_input(state, &effective, &ctx)?, a)))
                    .and_then(|(o, a)| self.commit(a).map(|()| o));
                match output {
                    Ok(output) => self.wait_for(state, until, output, now_ms),
                    Err(e) => Flow::Error(e),
                }
            }
            Op::Succeed => {
                let ctx = self.context(state, false);
                let out = self
                    .select(&state.io.input_path, &self.input, &ctx)
                    .and_then(|v| {
                        if self.data_flow {
                            report(
                                &mut self.observer,
                                &state.name,
                                DataFlow::AfterInputPath(&v),
                            );
                        }
                        self.select_within_input(state, &v, &ctx)
                    });
                match out {
                    Ok(o) => {
                        self.event_id += 1; // SucceedStateExited
                        self.exited(state, &o);
                        Flow::End(o)
                    }
                    Err(e) => Flow::Error(e),
                }
            }
            Op::Fail(f) => {
                let ctx = self.context(state, false);
                let env = Env {
                    input: &self.input,
                    context: &ctx,
                    vars: &self.vars,
                };
                let field = |ff: &Option<FailField>| -> Result<Option<Str>, ExecError> {
                    match ff {
                        None => Ok(None),
                        Some(FailField::Const(s)) => Ok(Some(s.clone())),
                        Some(FailField::Expr(e, name)) => match e.eval(&env) {
                            Ok(Value::String(s)) => Ok(Some(s)),
                            Ok(other) => Err(self.runtime(format!(
                                "The value of the field '{name}' must be a string, but was: {}",
                                other.to_json()
                            ))),
                            Err(err) => Err(self.eval_error(name, e.text(), &err, &self.input)),
                        },
                    }
                };
                let error = match field(&f.error) {
                    Ok(e) => e,
                    Err(e) => return Flow::Error(e),
                };
                let cause = match field(&f.cause) {
                    Ok(c) => c,
                    Err(e) => return Flow::Error(e),
                };
                Flow::Failed(error, cause.map(|c| c.to_string()))
            }
        }
    }

    /// A Wait state whose output is ready: sleeps until `until` (epoch ms), or leaves now.
    fn wait_for(&mut self, state: &State, until: i64, output: Value, now_ms: i64) -> Flow {
        let until = self.program.scaled_wait(now_ms, until);
        if until <= now_ms {
            self.event_id += 1; // WaitStateExited
            self.exited(state, &output);
            return self.leave(output);
        }
        Flow::Sleep(until, Phase::Waiting(output))
    }

    /// Follows `Next` or ends the execution.
    fn leave(&mut self, output: Value) -> Flow {
        match self.state().next {
            Next::State(id) => Flow::Goto(id, output),
            Next::End | Next::None => Flow::End(output),
        }
    }

    fn wait_until(
        &self,
        w: &Wait,
        input: &Value,
        ctx: &Value,
        now_ms: i64,
    ) -> Result<i64, ExecError> {
        let env = Env {
            input,
            context: ctx,
            vars: &self.vars,
        };
        // WAIT-6: AWS refuses targets more than 2^31 seconds ahead.
        const MAX_AHEAD_MS: i64 = (1i64 << 31) * 1000;
        let until = match w {
            Wait::Seconds(s) => now_ms + (*s as i64) * 1000,
            Wait::Timestamp(t) => *t,
            Wait::SecondsPath(p) => {
                let v = p.eval(&env).map_err(|_| {
                    self.runtime(format_args!(
                        "The SecondsPath parameter does not reference an input value: {}",
                        p.text()
                    ))
                })?;
                let secs = match &v {
                    Value::Int(i) => *i,
                    other => {
                        return Err(self.runtime(format_args!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.text(),
                            raw_text(other)
                        )))
                    }
                };
                if secs < 0 {
                    return Err(self.runtime(format_args!(
                        "The SecondsPath parameter references a negative value: {} == {secs}",
                        p.text()
                    )));
                }
                now_ms.saturating_add(secs.saturating_mul(1000))
            }
            Wait::TimestampPath(p) => {
                let v = p.eval(&env).map_err(|_| {
                    self.runtime(format_args!(
                        "The TimestampPath parameter does not reference an input value: {}",
                        p.text()
                    ))
                })?;
                match v.as_str().and_then(parse_timestamp) {
                    Some(ns) => (ns / 1_000_000).clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                    None => {
                        return Err(self.runtime(format_args!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            p.text(),
                            raw_text(&v)
                        )))
                    }
                }
            }
        };
        if until.saturating_sub(now_ms) > MAX_AHEAD_MS {
            return Err(self.runtime("Wait state delay is too long."));
        }
        Ok(until)
    }
}

/// Reports a data-flow step of `state` (the caller checked `data_flow`).
#[cold]
#[inline(never)]
fn report(observer: &mut Option<Box<dyn Observer>>, state: &str, step: DataFlow<'_>) {
    if let Some(o) = observer {
        o.data_flow(state, step);
    }
}

/// The outcome of an execution that ends with `e` (an error without a name, passed up from
/// a branch, is reported without one).
/// How an execution ends when a computation of its state was stopped from outside: ABORTED
/// when it was stopped (the stop has recorded its end already), TIMED_OUT at its deadline.
#[cold]
fn interrupted_outcome(stopped: bool) -> Outcome {
    if stopped {
        Outcome {
            status: Status::Aborted,
            output: None,
            error: None,
            cause: None,
        }
    } else {
        Outcome::timed_out()
    }
}

fn error_outcome(e: ExecError) -> Outcome {
    let (error, cause) = e.into_parts();
    Outcome::failed(error, cause)
}

/// A value as AWS prints it inside messages: strings raw, the rest as JSON.
fn raw_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => other.to_json(),
    }
}
