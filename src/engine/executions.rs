//! Executions the engine keeps: every STANDARD execution, and any execution started with
//! [`Engine::start_with_handle`]. What DescribeExecution, ListExecutions, StopExecution and
//! GetExecutionHistory answer comes from here, and nowhere else.
//!
//! The protocol of one kept execution, as numbered rules:
//!
//! 1. The record is made when the start is admitted, before the execution runs, so that it
//!    can be described (`RUNNING`) as soon as its ARN is known.
//! 2. It ends once: the first of its runner's outcome and a stop wins. A stop
//!    ([`ExecutionHandle::stop`]) records `ExecutionAborted` at once and wakes the runner,
//!    which drops the execution (its timers, handler calls and tokens with it); an outcome
//!    that arrives after a stop is discarded.
//! 3. Its history ([`ExecutionHandle::history`]) is the execution's story: readable while it
//!    runs, complete once it ended (the terminal event is recorded before waiters wake).
//! 4. The engine's table keeps running executions and the last [`MAX_FINISHED`] finished ones
//!    (oldest forgotten first); a handle keeps its own execution readable as long as it lives.
//!    EXPRESS executions are never in the table: AWS does not describe them either.

use super::error::EngineError;
use super::history::{HistoryEvent, Story};
use super::{Engine, MachineInfo, Registered};
use crate::runtime::machine::wall_clock_ms;
use crate::runtime::sync::{lock, AtomicBool};
use crate::value::{Str, Value};
use crate::vm::{ExecutionInfo, Outcome, Status};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// Finished executions the engine's table keeps at most.
pub const MAX_FINISHED: usize = 100_000;

/// Where an execution is: running, or how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    /// Not ended yet.
    Running,
    /// Ended: succeeded, failed, timed out or aborted.
    Ended(Status),
}

impl ExecutionStatus {
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Ended(s) => s.as_str(),
        }
    }
}

/// One kept execution. See the module docs.
pub(super) struct ExecRecord {
    pub(super) seq: u64,
    pub(super) info: Arc<ExecutionInfo>,
    pub(super) reg: Arc<Registered>,
    pub(super) input: Value,
    /// The input as it was given (echoed byte for byte, P-6).
    pub(super) input_text: Str,
    pub(super) trace_header: Option<Str>,
    pub(super) story: Arc<Story>,
    /// `None` while running; then the outcome and the stop time.
    end: watch::Sender<Option<(Outcome, i64)>>,
    /// Wakes the runner of a stopped execution (rule 2).
    pub(super) stop: Notify,
    /// Whether its end is in its machine's metrics: the run and a stop may both end it.
    pub(super) counted: AtomicBool,
}

impl std::fmt::Debug for ExecRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecRecord")
            .field("arn", self.info.id())
            .finish_non_exhaustive()
    }
}

impl ExecRecord {
    pub(super) fn new(
        seq: u64,
        info: Arc<ExecutionInfo>,
        reg: Arc<Registered>,
        input: Value,
        input_text: Str,
        trace_header: Option<Str>,
        story: Arc<Story>,
    ) -> ExecRecord {
        ExecRecord {
            seq,
            info,
            reg,
            input,
            input_text,
            trace_header,
            story,
            end: watch::channel(None).0,
            stop: Notify::new(),
            counted: AtomicBool::new(false),
        }
    }

    /// Publishes the end. Called by whoever recorded the story's terminal event (rule 2).
    pub(super) fn complete(&self, outcome: Outcome, stop_ms: i64) -> bool {
        self.end.send_if_modified(|e| {
            if e.is_some() {
                return false;
            }
            *e = Some((outcome, stop_ms));
            true
        })
    }

    fn ended(&self) -> Option<(Outcome, i64)> {
        self.end.borrow().clone()
    }
}

/// The engine's table of kept executions.
#[derive(Debug, Default)]
pub(super) struct Table {
    next_seq: u64,
    by_arn: HashMap<Str, Arc<ExecRecord>>,
    /// Finished executions, oldest first (rule 4).
    finished: VecDeque<Str>,
}

impl Table {
    pub(super) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub(super) fn get(&self, arn: &str) -> Option<&Arc<ExecRecord>> {
        self.by_arn.get(arn)
    }

    pub(super) fn insert(&mut self, rec: Arc<ExecRecord>) {
        self.by_arn.insert(rec.info.id().clone(), rec);
    }

    /// Forgets a record whose execution never ran here.
    pub(super) fn remove(&mut self, arn: &str) {
        self.by_arn.remove(arn);
    }

    /// `arn` finished: it is forgotten after [`MAX_FINISHED`] later ones.
    /// Kept executions of machine `name` (any version) that have not ended.
    pub(super) fn running_of(&self, name: &str) -> usize {
        self.by_arn
            .values()
            .filter(|r| *r.reg.info.name == *name && !r.story.has_ended())
            .count()
    }

    pub(super) fn finished(&mut self, arn: &Str) {
        self.finished.push_back(arn.clone());
        while self.finished.len() > MAX_FINISHED {
            if let Some(old) = self.finished.pop_front() {
                self.by_arn.remove(&old);
            }
        }
    }
}

/// A handle on one execution: its status, outcome and history, and a way to stop it.
/// Cloning is cheap; every clone names the same execution.
///
/// ```
/// use aslx::engine::{Engine, ExecutionStatus, StartRequest};
/// use aslx::{MachineType, Status};
///
/// let engine = Engine::builder().worker_threads(1).build().unwrap();
/// engine.create_machine("nap", r#"{"StartAt": "W", "States": {
///     "W": {"Type": "Wait", "Seconds": 60, "End": true}}}"#, MachineType::Standard).unwrap();
/// let exec = engine.start_with_handle(StartRequest::new("nap")).unwrap();
/// assert_eq!(exec.status(), ExecutionStatus::Running);
/// exec.stop(Some("Cancelled"), Some("by the example"));
/// assert_eq!(exec.status(), ExecutionStatus::Ended(Status::Aborted));
/// let types: Vec<_> = exec.history().iter().map(|e| e.event_type).collect();
/// assert_eq!(types.last(), Some(&"ExecutionAborted"));
/// ```
#[derive(Clone, Debug)]
pub struct ExecutionHandle {
    rec: Arc<ExecRecord>,
}

impl ExecutionHandle {
    pub(super) fn new(rec: Arc<ExecRecord>) -> ExecutionHandle {
        ExecutionHandle { rec }
    }

    /// The execution's ARN.
    pub fn arn(&self) -> &str {
        self.rec.info.id()
    }

    /// The execution's name.
    pub fn name(&self) -> &str {
        self.rec.info.name()
    }

    /// The machine version the execution runs.
    pub fn machine(&self) -> &MachineInfo {
        &self.rec.reg.info
    }

    /// Start, epoch milliseconds.
    pub fn start_ms(&self) -> i64 {
        self.rec.info.start_ms
    }

    /// The input.
    pub fn input(&self) -> &Value {
        &self.rec.input
    }

    /// The input as it was given.
    pub fn input_text(&self) -> &str {
        &self.rec.input_text
    }

    /// The trace header given at start.
    pub fn trace_header(&self) -> Option<&str> {
        self.rec.trace_header.as_deref()
    }

    /// `0` for a first run (redrives are not supported).
    pub fn redrive_count(&self) -> u32 {
        self.rec.info.redrive_count.unwrap_or(0)
    }

    /// Running, or how it ended.
    pub fn status(&self) -> ExecutionStatus {
        match &*self.rec.end.borrow() {
            None => ExecutionStatus::Running,
            Some((o, _)) => ExecutionStatus::Ended(o.status),
        }
    }

    /// How it ended, and when (epoch milliseconds); `None` while it runs.
    pub fn outcome(&self) -> Option<(Outcome, i64)> {
        self.rec.ended()
    }

    /// The history so far, oldest event first.
    pub fn history(&self) -> Vec<HistoryEvent> {
        self.rec.story.events()
    }

    /// Events recorded past the history's bound and not kept
    /// ([`MAX_HISTORY_EVENTS`](super::MAX_HISTORY_EVENTS)).
    pub fn history_dropped(&self) -> u64 {
        self.rec.story.dropped()
    }

    /// Stops the execution (StopExecution): it ends `ABORTED` with `error` and `cause`, its
    /// pending work is dropped. Stopping an ended execution changes nothing. Returns the
    /// stop time, epoch milliseconds (the end time for an execution that had ended).
    pub fn stop(&self, error: Option<&str>, cause: Option<&str>) -> i64 {
        if let Some((_, at)) = self.rec.ended() {
            return at;
        }
        let now = wall_clock_ms();
        let outcome = Outcome {
            status: Status::Aborted,
            output: None,
            error: error.map(Str::from),
            cause: cause.map(str::to_string),
        };
        // The story's terminal event decides (the runner's outcome may have come first); it
        // is recorded before the end is published, so that a waiter sees the whole story.
        if self.rec.story.abort(error, cause) {
            // Ends a long computation of the execution (a JSONata evaluation) within
            // milliseconds; the runner is dropped at its next await.
            self.rec.info.control().stop();
            self.rec.complete(outcome, now);
            self.rec.stop.notify_one();
            return now;
        }
        self.rec.ended().map_or(now, |(_, at)| at)
    }

    /// Waits for the execution to end; its outcome.
    pub async fn wait(&self) -> Outcome {
        let mut rx = self.rec.end.subscribe();
        let outcome = match rx.wait_for(Option::is_some).await {
            Ok(v) => v.as_ref().map(|(o, _)| o.clone()),
            Err(_) => None,
        };
        outcome.unwrap_or_else(lost)
    }
}

#[cold]
fn lost() -> Outcome {
    Outcome {
        status: Status::Failed,
        output: None,
        error: Some(Str::from("States.Runtime")),
        cause: Some("internal error: the execution's record was dropped".into()),
    }
}

impl Engine {
    /// A kept execution by ARN: a STANDARD one, running or among the last finished.
    ///
    /// # Errors
    ///
    /// `InvalidArn` for text that is not an execution ARN (an EXPRESS one: "Resource type not
    /// valid in this context: express", as AWS answers), `ExecutionDoesNotExist`.
    pub fn execution(&self, arn: &str) -> Result<ExecutionHandle, EngineError> {
        let parsed = super::names::parse_arn(arn)?;
        match parsed.kind {
            "execution" => {}
            other => {
                return Err(EngineError::invalid_arn(&format!(
                    "Resource type not valid in this context: {other}"
                )))
            }
        }
        lock(&self.shared.executions)
            .get(arn)
            .cloned()
            .map(ExecutionHandle::new)
            .ok_or_else(|| EngineError::execution_missing(arn))
    }

    /// The kept executions of a machine (name or ARN), newest first.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`, `StateMachineTypeNotSupported` for an
    /// EXPRESS machine.
    pub fn list_executions(&self, machine: &str) -> Result<Vec<ExecutionHandle>, EngineError> {
        let info = self.describe_machine(machine)?;
        if info.machine_type == crate::asl::MachineType::Express {
            return Err(EngineError::type_not_supported());
        }
        // A version ARN lists the executions that ran it, an alias ARN those started
        // through it; a machine, all of its own.
        let qualifier = self.shared.machine_name(machine)?.split_once(':');
        let alias = qualifier
            .map(|_| machine)
            .filter(|_| qualifier.is_some_and(|(_, q)| !q.bytes().all(|b| b.is_ascii_digit())));
        let version = qualifier.and(info.version_arn.as_deref());
        let mut v: Vec<Arc<ExecRecord>> = lock(&self.shared.executions)
            .by_arn
            .values()
            .filter(|r| {
                let ran = &r.reg.info;
                ran.arn == info.arn
                    && version.is_none_or(|v| ran.version_arn.as_deref() == Some(v))
                    && alias.is_none_or(|a| ran.alias_arn.as_deref() == Some(a))
            })
            .cloned()
            .collect();
        v.sort_by_key(|r| std::cmp::Reverse(r.seq));
        Ok(v.into_iter().map(ExecutionHandle::new).collect())
    }

    /// StopExecution of a kept execution.
    ///
    /// # Errors
    ///
    /// As [`Engine::execution`].
    pub fn stop_execution(
        &self,
        arn: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<i64, EngineError> {
        Ok(self.execution(arn)?.stop(error, cause))
    }
}
