//! Admission: a start request checked, named, bounded and turned into a [`Job`] (or matched
//! to the running STANDARD execution it repeats), and the sync, async and kept starts of the
//! engine's shared state built on it.

use super::*;

/// Starts and admissions on the engine's shared state, so that what holds no [`Engine`] (the
/// nested-execution integration) starts executions the way the engine does.
impl Shared {
    /// [`Engine::start`] on `rt`.
    pub(in crate::engine) fn start(
        self: &Arc<Self>,
        rt: &tokio::runtime::Handle,
        req: StartRequest<'_>,
    ) -> Result<StartedExecution, EngineError> {
        if let Some(intake) = &self.durable.intake {
            return self.start_in_background(rt, Arc::clone(intake), req);
        }
        let job = match self.admit_request(req, Mode::Async { keep: false })? {
            Admitted::New(job) => job,
            Admitted::Existing(rec) => return Ok(StartedExecution::of(&rec)),
        };
        let started = StartedExecution {
            info: Arc::clone(&job.info),
            start_ms: job.info.start_ms,
        };
        spawn(rt, job);
        Ok(started)
    }

    /// [`Engine::start_with_handle`] on `rt`.
    pub(in crate::engine) fn start_with_handle(
        self: &Arc<Self>,
        rt: &tokio::runtime::Handle,
        req: StartRequest<'_>,
    ) -> Result<ExecutionHandle, EngineError> {
        let job = match self.admit_request(req, Mode::Async { keep: true })? {
            Admitted::New(job) => job,
            Admitted::Existing(rec) => return Ok(ExecutionHandle::new(rec)),
        };
        let handle = match job.record() {
            Some(rec) => ExecutionHandle::new(Arc::clone(rec)),
            None => unreachable_kept(),
        };
        spawn(rt, job);
        Ok(handle)
    }

    /// Checks a start request and admits it; a STANDARD execution of a taken name is the
    /// existing one or a refusal.
    #[inline(always)]
    pub(super) fn admit_request(
        self: &Arc<Self>,
        req: StartRequest<'_>,
        mode: Mode,
    ) -> Result<Admitted, EngineError> {
        let reg = self.lookup(req.machine)?;
        self.admit_version(reg, req, mode, Durability::None)
    }

    #[inline(always)]
    pub(in crate::engine) fn admit_version(
        self: &Arc<Self>,
        reg: Arc<Registered>,
        req: StartRequest<'_>,
        mode: Mode,
        durability: Durability<'_>,
    ) -> Result<Admitted, EngineError> {
        let shared = self;
        let express = reg.info.machine_type == MachineType::Express;
        let sync = mode == Mode::Sync;
        if sync && !express {
            return Err(EngineError::type_not_supported());
        }
        if let Some(n) = req.name {
            crate::engine::check_name(n)?;
        }
        if let Some(t) = req.trace_header {
            if t.len() > 256 || !t.is_ascii() {
                return Err(EngineError::too_long("traceHeader", 256));
            }
        }
        let listed = !express && mode != Mode::Once;
        let keep = listed || mode == (Mode::Async { keep: true });
        let input_text = match (&req.input, keep) {
            (Input::Json(t), true) => Some(Str::from(*t)),
            _ => None,
        };
        let input = parse_input(req.input)?;
        let start_ms = wall_clock_ms();
        let mut info = ExecutionInfo::new(
            reg.info.arn.clone(),
            reg.info.name.clone(),
            reg.info.role_arn.clone(),
            req.name.map(Str::from),
            start_ms,
            express,
        );
        // A delivered start keeps the identity it was accepted with: its ARN, name and
        // startDate (its deadline and timings count from this run).
        if let Durability::Delivered(d) = durability {
            info.set_name(Str::from(&*d.name));
            info.set_id(Str::from(&*d.execution_arn));
            info.start_ms = d.start_ms;
        }
        // CTX-2: sync express executions have no RedriveCount.
        info.redrive_count = (!sync).then_some(0);
        let limit = reg
            .machine
            .program()
            .timeout_seconds()
            .map(std::time::Duration::from_secs);
        let limit = if express {
            Some(limit.map_or(shared.config.express_cap, |d| {
                d.min(shared.config.express_cap)
            }))
        } else {
            limit
        };
        if let Some(d) = limit {
            info.set_deadline(d);
        }
        let info = Arc::new(info);
        let mut table = listed.then(|| lock(&shared.executions));
        if let Some(t) = &table {
            if let Some(existing) = t.get(info.id()) {
                let text = input_text
                    .clone()
                    .unwrap_or_else(|| Str::from(input.to_json()));
                return match existing.story.has_ended() || existing.input_text != text {
                    true => Err(EngineError::execution_exists(info.id())),
                    false => Ok(Admitted::Existing(Arc::clone(existing))),
                };
            }
        }
        let permit = shared.admit().inspect_err(|e| {
            if e.kind() == crate::engine::ErrorKind::Throttling {
                reg.metrics.throttled();
            }
        })?;
        reg.metrics.started();
        let clock = Clock::new(start_ms);
        let logging = reg.info.logging;
        let log = shared
            .log
            .enabled(logging)
            .then(|| (Arc::clone(&shared.log), logging, reg.info.log_group.clone()));
        // PERF: no story, no clones (pass1 sync through the engine: see BENCHMARKS.md).
        let story = match keep || log.is_some() {
            true => Story::new(
                Arc::clone(&info),
                clock,
                shared.config.region.clone(),
                keep,
                log,
            ),
            false => None,
        };
        let record = match (&story, keep) {
            (Some(story), true) => {
                let seq = table.as_mut().map_or(0, |t| t.next_seq());
                let text = input_text.unwrap_or_else(|| Str::from(input.to_json()));
                let rec = Arc::new(ExecRecord::new(
                    seq,
                    Arc::clone(&info),
                    Arc::clone(&reg),
                    input.clone(),
                    text,
                    req.trace_header.map(Str::from),
                    Arc::clone(story),
                ));
                if let Some(t) = &mut table {
                    t.insert(Arc::clone(&rec));
                }
                Some(rec)
            }
            _ => None,
        };
        drop(table);
        let durable = match durability {
            Durability::None => 0,
            Durability::New => 1,
            Durability::Delivered(d) => d.attempt.max(1),
        };
        let span = crate::runtime::trace::execution_span(&info, reg.info.machine_type);
        let wanted = story.is_some()
            || req.hook.is_some()
            || req.probe.is_some()
            || durable > 0
            || span.is_some();
        let extras = wanted.then(|| {
            Arc::new(Extras {
                story,
                record,
                hook: req.hook,
                probe: req.probe,
                durable,
                span,
            })
        });
        Ok(Admitted::New(Job {
            extras,
            permit,
            deadline: limit.map(|d| clock.after_start(d)),
            reg,
            input,
            info,
            clock,
        }))
    }
}

/// Whether an intake records an async execution.
#[derive(Clone, Copy, Debug)]
pub(in crate::engine) enum Durability<'a> {
    /// No: in memory only (sync executions, or no intake).
    None,
    /// A new start, recorded before it is answered.
    New,
    /// A start the intake delivered, with the identity it was accepted with.
    Delivered(&'a crate::durable::AcceptedStart),
}

/// How an execution is started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::engine) enum Mode {
    Sync,
    Async {
        keep: bool,
    },
    /// [`Engine::run_once`]: like a sync start, of any machine type, kept nowhere.
    Once,
}

pub(in crate::engine) enum Admitted {
    New(Job),
    /// The running STANDARD execution of that name and input.
    Existing(Arc<ExecRecord>),
}
