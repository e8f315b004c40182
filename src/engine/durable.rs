//! The engine's side of the durability contracts ([`crate::durable`]): async starts recorded in
//! an [`Intake`] before they are answered, the starts it delivers run with the identity they
//! were accepted with, and the catalog read back at start-up.
//!
//! The protocol, for an execution an intake records:
//!
//! 1. [`Engine::start_async`] checks and admits the start, then awaits
//!    [`Intake::accept`]; only once that resolves is the start answered. A refusal of the
//!    intake is `ServiceUnavailable`: the start was never accepted, and nothing runs.
//! 2. When [`Intake::runs_on_accept`] is true (an embedded store), the execution runs here at
//!    once; otherwise (a shared queue) it runs where the intake delivers it.
//! 3. A delivered start ([`Engine::deliver`]: after a crash, or from a queue) runs with the
//!    ARN, name and `startDate` it was accepted with; its attempt number (in its log records)
//!    is the one the intake gives. Its deadline counts from this run.
//! 4. When it reaches a terminal status, and after its terminal log record is written, the
//!    intake hears [`Intake::finished`]. A crash in between runs it again: at least once.
//! 5. A shutdown that gives up waiting logs how the run ended but does not finish the
//!    execution in the intake: it runs again when the engine next recovers.
//!
//! Sync executions never reach the intake. Without an intake, none of this runs: the start
//! path is the in-memory one, one predictable branch longer.

use super::error::{EngineError, ErrorKind};
use super::executions::ExecutionStatus;
use super::names::Input;
use super::run::{spawn, Admitted, Durability, Job, Mode};
use super::start::{StartRequest, StartedExecution};
use super::{Engine, Shared};
use crate::durable::{AcceptedStart, Catalog, DurableError, Intake};
use crate::runtime::sync::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// The intake and the catalog of an engine, when set.
#[derive(Default)]
pub(crate) struct Durable {
    pub(crate) intake: Option<Arc<dyn Intake>>,
    pub(crate) catalog: Option<Arc<dyn Catalog>>,
    /// Catalog records changed since they were last written.
    pub(super) dirty: super::catalog::Dirty,
    /// Delivered starts that could not be run (their machine is gone): finished as FAILED.
    refused: AtomicU64,
}

impl std::fmt::Debug for Durable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durable")
            .field("intake", &self.intake.is_some())
            .field("catalog", &self.catalog.is_some())
            .finish_non_exhaustive()
    }
}

impl Durable {
    /// Rule 4: the intake may forget `arn`.
    pub(super) fn finished(&self, arn: &str, status: ExecutionStatus) {
        if let Some(i) = &self.intake {
            i.finished(arn, status);
        }
    }
}

/// How often a delivered start whose machine is not known yet is looked up again.
const LOOKUP_RETRY: std::time::Duration = std::time::Duration::from_millis(100);
/// How long after its acceptance a delivered start may wait for its machine to be known.
const LOOKUP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// [`Shared::admit_recorded`]'s answer.
// Held for one match on the stack: boxing the large variant would allocate for every start.
#[allow(clippy::large_enum_variant)]
enum Recorded {
    New(Job, AcceptedStart, StartedExecution),
    Existing(StartedExecution),
}

/// What [`Engine::recover`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Machines read back from the catalog.
    pub machines: usize,
    /// Activities read back from the catalog.
    pub activities: usize,
    /// Catalog records that could not be restored, with why (they are skipped).
    pub skipped: Vec<String>,
}

fn unavailable(e: DurableError) -> EngineError {
    EngineError::new(
        ErrorKind::ShuttingDown,
        format!("The start could not be recorded durably, so it was not accepted: {e}"),
    )
}

/// The record an intake keeps of an admitted job.
fn accepted(job: &Job, target: String, input: Option<&str>, trace: Option<&str>) -> AcceptedStart {
    let info = job.info();
    AcceptedStart {
        execution_arn: info.id().to_string(),
        target_arn: target,
        name: info.name().to_string(),
        input: input.map_or_else(|| job.input().to_json(), str::to_string),
        trace_header: trace.map(str::to_string),
        start_ms: info.start_ms,
        attempt: job.durable().max(1),
    }
}

impl Engine {
    /// StartExecution that answers only once the start is recorded in the engine's intake
    /// (see the [module docs](self)); without an intake, exactly [`Engine::start`].
    ///
    /// # Errors
    ///
    /// As [`Engine::start`], and `ServiceUnavailable` when the intake cannot record the start
    /// (a full or unwritable store, an unreachable queue): it was not accepted.
    pub async fn start_async(
        &self,
        req: StartRequest<'_>,
    ) -> Result<StartedExecution, EngineError> {
        let Some(intake) = self.shared.durable.intake.clone() else {
            return self.start(req);
        };
        let (job, record, started) = match self.shared.admit_recorded(req)? {
            Recorded::New(job, record, started) => (job, record, started),
            Recorded::Existing(started) => return Ok(started),
        };
        if let Err(e) = intake.accept(&record).await {
            self.shared.discard(job);
            return Err(unavailable(e));
        }
        if intake.runs_on_accept() {
            spawn(&self.handle, job);
        } else {
            self.shared.discard(job);
        }
        Ok(started)
    }

    /// Runs a start an intake delivered (after a crash, or from a shared queue) with the
    /// identity it was accepted with: its ARN, name, `startDate` and attempt number. A start
    /// of a STANDARD execution this engine runs already is not run twice.
    ///
    /// When the in-flight bound is reached, the start waits for a place (retried every few
    /// milliseconds) rather than being refused: it was accepted already.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist` (the machine was deleted since), `InvalidArn`,
    /// `InvalidExecutionInput` (a corrupt record), `ServiceUnavailable` (shutting down).
    pub fn deliver(&self, start: AcceptedStart) -> Result<(), EngineError> {
        self.shared.deliver(&self.handle, start)
    }

    /// Reads the catalog back (machines with their versions, aliases and tags; activities),
    /// then hands the intake's pending starts to [`Engine::deliver`] in the background. Call
    /// it once, after [`EngineBuilder::build`](super::EngineBuilder::build), when the engine
    /// has an intake or a catalog.
    ///
    /// # Errors
    ///
    /// `ServiceUnavailable` when the catalog cannot be read.
    pub async fn recover(&self) -> Result<Recovered, EngineError> {
        let mut found = Recovered::default();
        if let Some(catalog) = self.shared.durable.catalog.clone() {
            let records = catalog.load().await.map_err(|e| {
                EngineError::new(
                    ErrorKind::ShuttingDown,
                    format!("cannot read the catalog: {e}"),
                )
            })?;
            found = self.shared.restore_catalog(records);
            let weak = Arc::downgrade(&self.shared);
            let on_change = Arc::new(move |change| {
                if let Some(shared) = weak.upgrade() {
                    shared.apply_change(change);
                }
            });
            self.handle.spawn(catalog.watch(on_change));
        }
        if let Some(intake) = self.shared.durable.intake.clone() {
            let weak: Weak<Shared> = Arc::downgrade(&self.shared);
            let handle = self.handle.clone();
            let run = Arc::new(move |start: AcceptedStart| {
                if let Some(shared) = weak.upgrade() {
                    let _ = shared.deliver(&handle, start);
                }
            });
            self.handle.spawn(intake.deliver(run));
        }
        Ok(found)
    }

    /// Delivered starts that could not be run because their machine is gone (recorded as
    /// FAILED in the intake).
    pub fn refused_deliveries(&self) -> u64 {
        self.shared.durable.refused.load(Ordering::Relaxed)
    }
}

impl Shared {
    /// [`Engine::start`] with an intake: the start is recorded, then run, in the background
    /// (what EventBridge rules, routes and nested executions start through, and library
    /// callers of the sync [`Engine::start`]). Only [`Engine::start_async`] answers after
    /// the record is written.
    pub(super) fn start_in_background(
        self: &Arc<Self>,
        rt: &tokio::runtime::Handle,
        intake: Arc<dyn Intake>,
        req: StartRequest<'_>,
    ) -> Result<StartedExecution, EngineError> {
        let (job, record, started) = match self.admit_recorded(req)? {
            Recorded::New(job, record, started) => (job, record, started),
            Recorded::Existing(started) => return Ok(started),
        };
        let shared = Arc::clone(self);
        let rt2 = rt.clone();
        rt.spawn(async move {
            // A start that cannot be recorded still runs here, in memory: it was answered.
            let ok = intake.accept(&record).await.is_ok();
            if ok && !intake.runs_on_accept() {
                shared.discard(job);
            } else {
                spawn(&rt2, job);
            }
        });
        Ok(started)
    }

    /// Admits an async start that an intake is to record: the job, its record and the
    /// answer; or the answer of the running STANDARD execution it is a repeat of.
    fn admit_recorded(self: &Arc<Self>, req: StartRequest<'_>) -> Result<Recorded, EngineError> {
        let target = self.arn_of(req.machine);
        let input_text = match &req.input {
            Input::Json(t) => Some(*t),
            _ => None,
        };
        let trace = req.trace_header;
        let reg = self.lookup(req.machine)?;
        let mode = Mode::Async { keep: false };
        let job = match self.admit_version(reg, req, mode, Durability::New)? {
            Admitted::New(job) => job,
            Admitted::Existing(rec) => return Ok(Recorded::Existing(StartedExecution::of(&rec))),
        };
        let record = accepted(&job, target, input_text, trace);
        let started = StartedExecution {
            info: Arc::clone(job.info()),
            start_ms: job.info().start_ms,
        };
        Ok(Recorded::New(job, record, started))
    }

    /// Drops an admitted job that will not run here (its place and its kept record).
    fn discard(&self, job: Job) {
        if let Some(rec) = job.record() {
            super::run::forget(self, rec);
        }
        drop(job);
    }

    /// [`Engine::deliver`] on `rt`.
    pub(super) fn deliver(
        self: &Arc<Self>,
        rt: &tokio::runtime::Handle,
        start: AcceptedStart,
    ) -> Result<(), EngineError> {
        let reg = match self.lookup(&start.target_arn) {
            Ok(reg) => reg,
            Err(e)
                if e.kind() == ErrorKind::StateMachineDoesNotExist && self.may_arrive(&start) =>
            {
                // A shared queue can deliver a start before this process's catalog has
                // heard of the machine created on another process (the watch is under a
                // second behind): looked up again for a few seconds before it is refused.
                let (shared, rt2) = (Arc::clone(self), rt.clone());
                rt.spawn(async move {
                    tokio::time::sleep(LOOKUP_RETRY).await;
                    let _ = shared.deliver(&rt2, start);
                });
                return Ok(());
            }
            Err(e) => {
                if e.kind() != ErrorKind::ShuttingDown {
                    self.refuse_delivery(&start);
                }
                return Err(e);
            }
        };
        let req = StartRequest::new(&start.target_arn)
            .input_json(&start.input)
            .name(&start.name);
        let req = match &start.trace_header {
            Some(t) => req.trace_header(t),
            None => req,
        };
        let mode = Mode::Async { keep: false };
        match self.admit_version(Arc::clone(&reg), req, mode, Durability::Delivered(&start)) {
            Ok(Admitted::New(job)) => {
                spawn(rt, job);
                Ok(())
            }
            Ok(Admitted::Existing(_)) => Ok(()),
            Err(e) if e.kind() == ErrorKind::Throttling => {
                // Accepted already: wait for a place rather than refuse.
                let shared = Arc::clone(self);
                let rt2 = rt.clone();
                rt.spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    let _ = shared.deliver(&rt2, start);
                });
                Ok(())
            }
            Err(e) => {
                if e.kind() != ErrorKind::ShuttingDown {
                    self.refuse_delivery(&start);
                }
                Err(e)
            }
        }
    }

    /// Whether a delivered start whose machine is unknown here may still find it: its
    /// intake is a shared queue (whose catalog is remote) and it was accepted less than
    /// [`LOOKUP_PATIENCE`] ago, by the clock of the process that accepted it.
    fn may_arrive(&self, start: &AcceptedStart) -> bool {
        let shared_queue = self
            .durable
            .intake
            .as_ref()
            .is_some_and(|i| !i.runs_on_accept());
        let age = crate::runtime::machine::wall_clock_ms().saturating_sub(start.start_ms);
        shared_queue && u128::from(age.unsigned_abs()) < LOOKUP_PATIENCE.as_millis()
    }

    fn refuse_delivery(&self, start: &AcceptedStart) {
        self.durable.refused.fetch_add(1, Ordering::Relaxed);
        let failed = ExecutionStatus::Ended(crate::vm::Status::Failed);
        self.durable.finished(&start.execution_arn, failed);
    }
}
