//! Parallel and Map states: one child [`Execution`] per branch or item (PAR-*, MAP-*).
//!
//! A child is an ordinary execution of the same [`Program`] that starts at its scope's first
//! state and ends where that scope ends. It shares the parent's identity, execution input and
//! (read-only) variables. Children run in one of two ways:
//!
//! - **inline**, one after the other inside the parent's own [`Execution::step`], when their
//!   scope cannot wait (no Task or Wait), when at most one may run at a time, or when the
//!   driver asks for it ([`Execution::run_fork_inline`]). A child's handler calls and timers are
//!   passed up as the parent's own [`Step`]s, so no driver needs to know about them.
//! - **concurrently**, by the driver: [`Step::Fork`] hands it the fork; it takes children with
//!   [`Execution::fork_next`] (never more than the concurrency limit at once, so a Map of
//!   10,000 items does not hold 10,000 children), runs them where it likes and reports each
//!   end with [`Execution::fork_complete`] until [`Execution::fork_settled`].
//!
//! Items are never copied: the items array is shared, each child takes its own element when it
//! starts, and only the results are collected.

use super::map_run::MapRun;
use super::*;
use crate::vm::vars::{Frame, Vars};

/// AWS runs at most 40 iterations of an inline Map at once, whatever `MaxConcurrency` says
/// (MAP-4).
pub const INLINE_MAP_CONCURRENCY: usize = 40;

/// Child executions a distributed Map runs at once when `MaxConcurrency` is 0 or absent.
pub const DISTRIBUTED_MAP_CONCURRENCY: usize = 10_000;

/// A Parallel or Map state at work.
pub(crate) struct Fork {
    source: Source,
    total: usize,
    next: usize,
    running: usize,
    completed: usize,
    results: Vec<Value>,
    failed: usize,
    /// The error that ends the fork.
    failure: Option<ExecError>,
    limit: usize,
    pub(super) sequential: bool,
    /// The child running inline (sequential mode), with its index.
    pub(super) current: Option<(usize, Box<Execution>)>,
    frame: Option<Arc<Frame>>,
    tolerance: Option<Tolerated>,
    /// Serialized-size bound of each child's input, when the same for all (Parallel).
    input_bound: Option<usize>,
    /// A distributed Map's Map Run (MAP-10, MAP-12); `None` for every other fork.
    pub(super) run: Option<Box<MapRun>>,
}

enum Source {
    Parallel {
        input: Value,
    },
    Map {
        /// The Map's effective input: `$` of ItemSelector.
        input: Value,
        /// The items (a JSON array).
        items: Value,
        /// The Context object, when ItemSelector reads it.
        ctx: Value,
        /// Item ranges of each batch (ItemBatcher), and the evaluated `BatchInput`.
        batches: Option<Box<(Vec<usize>, Option<Value>)>>,
    },
}

#[derive(Clone, Copy)]
struct Tolerated {
    count: Option<f64>,
    percentage: Option<f64>,
}

impl Fork {
    /// `true` when the fork's outcome is known: every child ended, or one failed beyond
    /// what is tolerated (the others are then abandoned).
    pub(super) fn settled(&self) -> bool {
        self.failure.is_some() || self.completed == self.total
    }
}

impl Execution {
    /// Starts a Parallel or Map state: evaluates its input, items and limits.
    pub(super) fn start_fork(&mut self, program: &Program, state: &State) -> Flow {
        let ctx = self.context(state, true);
        let effective = match state.io.jsonata.as_deref() {
            Some(j) => self.arguments_jsonata(state, j, &ctx),
            None => self.effective_input(state, &ctx),
        };
        let effective = match effective {
            Ok(v) => v,
            Err(e) => return self.handle_error(program, e),
        };
        if self.data_flow && state.io.jsonata.is_some() && matches!(state.op, Op::Parallel(_)) {
            report(
                &mut self.observer,
                &state.name,
                DataFlow::AfterArguments(&effective),
            );
        }
        if let Op::Map(m) = &state.op {
            if let Some(reader) = &m.reader {
                return self.read_items(program, state, reader, effective, ctx);
            }
        }
        self.fork_with(program, state, effective, ctx, None)
    }

    /// Starts the children of a Parallel or Map state on its effective input; `read` holds
    /// the items an `ItemReader` read.
    pub(super) fn fork_with(
        &mut self,
        program: &Program,
        state: &State,
        effective: Value,
        ctx: Value,
        read: Option<Value>,
    ) -> Flow {
        let (source, total, limit, scope_waits, tolerance, input_bound) = match &state.op {
            Op::Parallel(p) => {
                let waits = p
                    .branches
                    .iter()
                    .any(|b| program.scopes[b.index()].can_wait);
                // JSONata `Arguments` build the input anew: its size is not known.
                let bound = match &state.io.jsonata {
                    Some(j) if j.arguments.is_some() => None,
                    _ => self.effective_bound(state),
                };
                (
                    Source::Parallel { input: effective },
                    p.branches.len(),
                    p.branches.len().max(1),
                    waits,
                    None,
                    bound,
                )
            }
            Op::Map(m) => match self.map_source(state, m, effective, ctx, read) {
                Ok((source, total, limit, tolerance)) => (
                    source,
                    total,
                    limit,
                    program.scopes[m.processor.index()].can_wait,
                    tolerance,
                    None,
                ),
                // A JSONata Map's query errors are caught and retried (JA-9).
                Err(e) if state.io.jsonata.is_some() => return self.handle_error(program, e),
                Err(e) => return Flow::Error(e),
            },
            _ => return Flow::Error(self.runtime("internal error: not a Parallel or Map state")),
        };
        self.event_id += 1; // ParallelStateStarted / MapStateStarted
        if let Some(o) = &mut self.observer {
            let map = matches!(state.op, Op::Map(_));
            o.event(self.event_id, Event::ForkStarted { map, length: total });
        }
        let run = match &state.op {
            Op::Map(m) if m.distributed => Some(self.start_map_run(state, m, total)),
            _ => None,
        };
        let fork = Fork {
            source,
            total,
            next: 0,
            running: 0,
            completed: 0,
            results: vec![Value::Null; total],
            failed: 0,
            failure: None,
            limit,
            sequential: !scope_waits || limit <= 1 || total <= 1,
            current: None,
            // A distributed Map's child workflows see no outer variables.
            frame: match &state.op {
                Op::Map(m) if m.distributed => None,
                _ => self.vars.frame(),
            },
            tolerance,
            input_bound,
            run,
        };
        Flow::Fork(Box::new(fork))
    }

    /// ItemsPath, MaxConcurrency(Path), ToleratedFailure*, ItemBatcher of a Map.
    #[allow(clippy::type_complexity)]
    fn map_source(
        &self,
        state: &State,
        m: &MapOp,
        effective: Value,
        ctx: Value,
        read: Option<Value>,
    ) -> Result<(Source, usize, usize, Option<Tolerated>), ExecError> {
        let env = Env {
            input: &effective,
            context: &ctx,
            vars: &self.vars,
        };
        let (items, max, count, percentage) = match state.io.jsonata.as_deref() {
            Some(JsonataIo {
                op: JsonataOp::Map(jm),
                ..
            }) => {
                let f = self.map_fields_jsonata(state, jm, &effective, &ctx, read)?;
                let n = f.max_concurrency;
                (f.items, n, f.tolerated_count, f.tolerated_percentage)
            }
            _ => self.map_fields(m, &env, &effective, read)?,
        };
        let n_items = items.as_array().map_or(0, |a| a.len());
        let cap = if m.distributed {
            DISTRIBUTED_MAP_CONCURRENCY
        } else {
            INLINE_MAP_CONCURRENCY
        };
        let limit = if max == 0 {
            cap
        } else {
            (max.min(cap as u64)) as usize
        };
        let tolerance =
            (count.is_some() || percentage.is_some()).then_some(Tolerated { count, percentage });
        let (batches, total) = match &m.batcher {
            None => (None, n_items),
            Some(b) => {
                let bounds = self.batch_bounds(b, &items, &env, &effective)?;
                let batch_input = match &b.batch_input {
                    None => None,
                    Some(t) => Some(
                        t.eval(&env)
                            .map_err(|e| self.template_error(e, &effective))?,
                    ),
                };
                let total = bounds.len().saturating_sub(1);
                (Some(Box::new((bounds, batch_input))), total)
            }
        };
        Ok((
            Source::Map {
                input: effective.clone(),
                items,
                ctx,
                batches,
            },
            total,
            limit,
            tolerance,
        ))
    }

    /// ItemsPath, MaxConcurrency(Path) and ToleratedFailure* of a JSONPath Map.
    #[allow(clippy::type_complexity)]
    fn map_fields(
        &self,
        m: &MapOp,
        env: &Env<'_>,
        effective: &Value,
        read: Option<Value>,
    ) -> Result<(Value, u64, Option<f64>, Option<f64>), ExecError> {
        // With an ItemReader, ItemsPath selects within what it read (MAP-10).
        let items = match (&m.items_path, read) {
            (None, Some(read)) => read,
            (None, None) => effective.clone(),
            (Some(p), read) => {
                let source = read.as_ref().unwrap_or(effective);
                let env = Env {
                    input: source,
                    context: env.context,
                    vars: env.vars,
                };
                p.eval(&env)
                    .map_err(|e| self.path_error("ItemsPath", p.text(), &e, source))?
            }
        };
        if items.as_array().is_none() {
            return Err(self.runtime(format_args!(
                "Map state input must be an array but was: {}",
                items.to_json()
            )));
        }
        let max = match &m.max_concurrency {
            None => 0,
            Some(Num::Const(n)) => *n,
            Some(Num::Path(p)) => {
                let v = p
                    .eval(env)
                    .map_err(|e| self.path_error("MaxConcurrencyPath", p.text(), &e, effective))?;
                // AWS reads numeric strings too ("1"), as the recordings show.
                match int_value(&v) {
                    Some(i) if i >= 0 => i as u64,
                    _ => {
                        return Err(self.runtime(format_args!(
                            "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: {}",
                            raw_text(&v),
                            p.text()
                        )))
                    }
                }
            }
        };
        let count = match &m.tolerated_count {
            None => None,
            Some(t) => Some(self.tolerance(t, env, effective, "ToleratedFailureCount")?),
        };
        let percentage = match &m.tolerated_percentage {
            None => None,
            Some(t) => Some(self.tolerance(t, env, effective, "ToleratedFailurePercentage")?),
        };
        Ok((items, max, count, percentage))
    }

    fn tolerance(
        &self,
        t: &Tolerance,
        env: &Env<'_>,
        effective: &Value,
        field: &str,
    ) -> Result<f64, ExecError> {
        let percentage = field == "ToleratedFailurePercentage";
        let v = match t {
            Tolerance::Const(v) => *v,
            Tolerance::Path(p) => {
                let v = p.eval(env).map_err(|e| {
                    self.path_error(&format!("{field}Path"), p.text(), &e, effective)
                })?;
                match (int_value(&v), float_value(&v), percentage) {
                    (Some(i), _, _) => i as f64,
                    (None, Some(f), true) => f,
                    _ => {
                        return Err(self.runtime(format_args!(
                        "The {field}Path field refers to value \"{}\" which is not a valid {}: {}",
                        raw_text(&v),
                        if percentage { "float" } else { "integer" },
                        p.text()
                    )))
                    }
                }
            }
        };
        if percentage && !(0.0..=100.0).contains(&v) {
            return Err(self.runtime("ToleratedFailurePercentage must be between 0 and 100."));
        }
        if !percentage && v < 0.0 {
            return Err(self.runtime("ToleratedFailureCount cannot be negative."));
        }
        Ok(v)
    }

    /// Splits the items into batches (MAP-11): returns the start index of each batch and,
    /// last, the number of items.
    fn batch_bounds(
        &self,
        b: &Batcher,
        items: &Value,
        env: &Env<'_>,
        effective: &Value,
    ) -> Result<Vec<usize>, ExecError> {
        let limit = |n: &Option<Num>, field: &str| -> Result<Option<u64>, ExecError> {
            match n {
                None => Ok(None),
                Some(Num::Const(c)) => Ok(Some(*c)),
                Some(Num::Path(p)) => {
                    let v = p.eval(env).map_err(|e| {
                        self.path_error(&format!("{field}Path"), p.text(), &e, effective)
                    })?;
                    match int_value(&v) {
                        Some(i) if i >= 0 => Ok(Some(i as u64)),
                        _ => Err(self.runtime(format_args!(
                            "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                            raw_text(&v),
                            p.text()
                        ))),
                    }
                }
            }
        };
        let max_items = limit(&b.max_items, "MaxItemsPerBatch")?.filter(|n| *n > 0);
        let max_bytes = limit(&b.max_bytes, "MaxInputBytesPerBatch")?.filter(|n| *n > 0);
        let items = items.as_array().unwrap_or_default();
        let mut bounds = vec![0];
        // Items in the batch so far, and the bytes of their JSON array (`[a,b]`).
        let (mut count, mut bytes) = (0u64, 2usize);
        for (i, item) in items.iter().enumerate() {
            let size = max_bytes.map_or(0, |_| {
                serialized_len_at_most(item, usize::MAX).unwrap_or(usize::MAX)
            });
            let comma = usize::from(count > 0);
            let full = max_items.is_some_and(|m| count >= m)
                || max_bytes
                    .is_some_and(|m| count > 0 && bytes.saturating_add(comma + size) > m as usize);
            if full {
                bounds.push(i);
                count = 0;
                bytes = 2;
            }
            bytes = bytes.saturating_add(usize::from(count > 0) + size);
            count += 1;
        }
        if !items.is_empty() {
            bounds.push(items.len());
        }
        Ok(bounds)
    }

    /// The input of child `i`.
    fn child_input(&self, program: &Program, fork: &Fork, i: usize) -> Result<Value, ExecError> {
        match &fork.source {
            Source::Parallel { input } => Ok(input.clone()),
            Source::Map {
                input,
                items,
                ctx,
                batches,
            } => {
                let state = &program.states[self.at.index()];
                let Op::Map(m) = &state.op else {
                    return Err(self.runtime("internal error: not a Map state"));
                };
                let items = items.as_array().unwrap_or_default();
                let select = |index: usize| -> Result<Value, ExecError> {
                    let item = &items[index];
                    if let Some(JsonataIo {
                        op: JsonataOp::Map(jm),
                        ..
                    }) = state.io.jsonata.as_deref()
                    {
                        return self.item_jsonata(state, jm, input, ctx, index, item);
                    }
                    let Some(t) = &m.item_selector else {
                        return Ok(item.clone());
                    };
                    let ctx = if state.io.uses_context {
                        map_item_context(ctx, index, item)
                    } else {
                        Value::Null
                    };
                    let env = Env {
                        input,
                        context: &ctx,
                        vars: &self.vars,
                    };
                    t.eval(&env).map_err(|e| self.template_error(e, input))
                };
                match batches {
                    None => select(i),
                    Some(b) => {
                        let (bounds, batch_input) = &**b;
                        let mut batch = Vec::with_capacity(bounds[i + 1] - bounds[i]);
                        for index in bounds[i]..bounds[i + 1] {
                            batch.push(select(index)?);
                        }
                        let mut m = Map::with_capacity(2);
                        if let Some(bi) = batch_input {
                            m.insert("BatchInput".into(), bi.clone());
                        }
                        m.insert("Items".into(), Value::array(batch));
                        Ok(Value::object(m))
                    }
                }
            }
        }
    }

    fn child_start(&self, program: &Program, i: usize) -> StateId {
        let scope = match &program.states[self.at.index()].op {
            Op::Parallel(p) => p.branches[i],
            Op::Map(m) => m.processor,
            _ => ScopeId(0),
        };
        program.scopes[scope.index()].start
    }

    /// Makes child `i` of `fork` (its input evaluated now, so items are taken one by one).
    fn make_child(
        &mut self,
        program: &Arc<Program>,
        fork: &mut Fork,
        i: usize,
        now_ms: i64,
    ) -> Result<Execution, ExecError> {
        let input = self.child_input(program, fork, i)?;
        // PERF: one test of a pointer per child for forks without a Map Run (map10).
        if let Some(run) = fork.run.as_deref_mut() {
            run.child_started(i, &input, now_ms);
        }
        let is_map = matches!(fork.source, Source::Map { .. });
        if is_map {
            self.event_id += 1; // MapIterationStarted
            if let Some(o) = &mut self.observer {
                let state = &program.states[self.at.index()].name;
                o.event(self.event_id, Event::IterationStarted { state, index: i });
            }
        }
        let bound = match fork.input_bound {
            Some(b) => b,
            None => match serialized_len_at_most(&input, MAX_PAYLOAD_BYTES) {
                Some(b) => b,
                None => {
                    return Err(ExecError::new(
                        "States.DataLimitExceeded",
                        Some(format!(
                            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                            self.state().name
                        )),
                        ErrorClass::Fatal,
                    ))
                }
            },
        };
        let observer = self.observer.as_ref().and_then(|o| o.child());
        Ok(Execution {
            program: Arc::clone(program),
            info: Arc::clone(&self.info),
            exec_input: self.exec_input.clone(),
            at: self.child_start(program, i),
            input,
            phase: Phase::Enter,
            attempts: SmallVec::new(),
            retry_count: 0,
            event_id: self.event_id,
            history_guard: self.history_guard,
            entered_event: 0,
            entered_ms: 0,
            transitions: 0,
            wake_at: None,
            log_tail: false,
            input_bound: bound,
            out_bound: bound,
            exec_input_bytes: self.exec_input_bytes,
            vars: Vars::child(fork.frame.clone()),
            data_flow: observer.as_ref().is_some_and(|o| o.wants_data_flow()),
            observer,
        })
    }

    /// Records the end of child `i`.
    fn child_done(
        &mut self,
        fork: &mut Fork,
        i: usize,
        outcome: Outcome,
        child: &Execution,
        now_ms: i64,
    ) {
        if let Some(run) = fork.run.as_deref_mut() {
            run.child_ended(i, &outcome, now_ms);
        }
        fork.running = fork.running.saturating_sub(1);
        fork.completed += 1;
        self.event_id = self.event_id.max(child.event_id);
        if let (Some(o), Some(c)) = (&mut self.observer, &child.observer) {
            c.ended();
            o.follow(c.last_event());
        }
        let succeeded = outcome.status == Status::Succeeded;
        let was_failed = fork.failure.is_some();
        settle_child(fork, i, outcome);
        let map = matches!(fork.source, Source::Map { .. });
        // This child fails the fork while others still run: they are stopped (the driver
        // drops them once the fork settles), which their histories record first.
        if !was_failed && fork.failure.is_some() && fork.running > 0 {
            if let Some(o) = &mut self.observer {
                o.event(self.event_id, Event::ChildrenAborted { map });
            }
        }
        if map {
            self.event_id += 1; // MapIterationSucceeded / MapIterationFailed
            if let Some(o) = &mut self.observer {
                let state = &self.program.states[self.at.index()].name;
                o.event(
                    self.event_id,
                    Event::IterationEnded {
                        state,
                        index: i,
                        succeeded,
                    },
                );
            }
        }
    }

    /// Runs children one after the other until one must wait (its step is returned) or the
    /// fork settles (`None`).
    pub(super) fn advance_inline(
        &mut self,
        program: &Arc<Program>,
        fork: &mut Fork,
        now_ms: i64,
    ) -> Option<Step> {
        let mut spent = 0u64;
        loop {
            if fork.current.is_none() {
                if fork.settled() || fork.next >= fork.total {
                    return None;
                }
                let i = fork.next;
                fork.next += 1;
                match self.make_child(program, fork, i, now_ms) {
                    Ok(child) => {
                        fork.running += 1;
                        fork.current = Some((i, Box::new(child)));
                    }
                    Err(e) => {
                        fork.failure = Some(e);
                        return None;
                    }
                }
            }
            let (i, child) = fork.current.as_mut()?;
            match child.step(now_ms) {
                Step::Done(outcome) => {
                    let (i, t) = (*i, child.transitions);
                    let (_, child) = fork.current.take()?;
                    self.transitions += t;
                    self.child_done(fork, i, outcome, &child, now_ms);
                    spent += t + 1;
                    if spent >= u64::from(STEPS_PER_SLICE) && !fork.settled() {
                        return Some(Step::Yield);
                    }
                }
                other => return Some(other),
            }
        }
    }

    /// Ends a settled fork: the state fails with the failure, or its result is the array of
    /// child outputs in order (PAR-3, MAP-5).
    pub(super) fn finish_fork(&mut self, program: &Program, mut fork: Fork, now_ms: i64) -> Flow {
        if let Some(run) = fork.run.take() {
            return self.finish_map_run(program, fork, *run, now_ms);
        }
        self.end_fork(program, fork.failure, Value::array(fork.results), now_ms)
    }

    /// `<Type>StateFailed` and the error's handling, or `<Type>StateSucceeded` and `result`.
    pub(super) fn end_fork(
        &mut self,
        program: &Program,
        failure: Option<ExecError>,
        result: Value,
        now_ms: i64,
    ) -> Flow {
        let map = matches!(program.states[self.at.index()].op, Op::Map(_));
        if let Some(e) = failure {
            self.event_id += 1; // ParallelStateFailed / MapStateFailed
            if let Some(o) = &mut self.observer {
                let succeeded = false;
                o.event(self.event_id, Event::ForkEnded { map, succeeded });
            }
            return self.handle_error_at(program, e, now_ms);
        }
        self.event_id += 1; // ParallelStateSucceeded / MapStateSucceeded
        if let Some(o) = &mut self.observer {
            let succeeded = true;
            o.event(self.event_id, Event::ForkEnded { map, succeeded });
        }
        self.state_result(program, result, None, now_ms)
    }

    /// What a Map Run's ResultWriter needs of a fork: its results, its failure, and the
    /// input of every child that never started (PENDING).
    pub(super) fn fork_parts(
        &self,
        program: &Program,
        fork: Fork,
    ) -> (Vec<Value>, Option<ExecError>, Vec<(usize, Value)>) {
        let pending = (fork.next..fork.total)
            .filter_map(|i| Some((i, self.child_input(program, &fork, i).ok()?)))
            .collect();
        (fork.results, fork.failure, pending)
    }

    /// The execution whose [`Step::Fork`] the driver must serve: this one, or a child running
    /// inline under it. `None` when no fork waits for the driver.
    pub fn fork_host(&mut self) -> Option<&mut Execution> {
        let delegate = match &self.phase {
            Phase::Forked(f) if f.sequential => f.current.is_some(),
            Phase::Forked(_) => false,
            _ => return None,
        };
        if delegate {
            match &mut self.phase {
                Phase::Forked(f) => f.current.as_mut()?.1.fork_host(),
                _ => None,
            }
        } else {
            Some(self)
        }
    }

    /// Name of the state running now: the current state, or for a Parallel or Map whose
    /// children run inline, the state of the child running now.
    pub fn active_state(&self) -> &str {
        match &self.phase {
            Phase::Forked(f) => match &f.current {
                Some((_, child)) => child.active_state(),
                None => self.current_state(),
            },
            _ => self.current_state(),
        }
    }

    /// The next child to run, with its index, when the fork wants one more running now.
    /// `None` when the concurrency limit is reached, all children started, or the fork failed.
    pub(crate) fn fork_next(&mut self, now_ms: i64) -> Option<(usize, Execution)> {
        let program = Arc::clone(&self.program);
        let Phase::Forked(mut fork) = std::mem::replace(&mut self.phase, Phase::TaskPending) else {
            return None;
        };
        let mut out = None;
        if !fork.sequential
            && fork.failure.is_none()
            && fork.next < fork.total
            && fork.running < fork.limit
        {
            let i = fork.next;
            fork.next += 1;
            match self.make_child(&program, &mut fork, i, now_ms) {
                Ok(child) => {
                    fork.running += 1;
                    out = Some((i, child));
                }
                Err(e) => fork.failure = Some(e),
            }
        }
        self.phase = Phase::Forked(fork);
        out
    }

    /// Reports that child `index` (from [`Execution::fork_next`]) ended with `outcome`.
    pub(crate) fn fork_complete(
        &mut self,
        index: usize,
        child: &Execution,
        outcome: Outcome,
        now_ms: i64,
    ) {
        let Phase::Forked(mut fork) = std::mem::replace(&mut self.phase, Phase::TaskPending) else {
            return;
        };
        if index < fork.total {
            self.transitions += child.transitions;
            self.child_done(&mut fork, index, outcome, child, now_ms);
        }
        self.phase = Phase::Forked(fork);
    }

    /// `true` when the fork needs no more children: call [`Execution::step`] (children still
    /// running are to be cancelled).
    pub(crate) fn fork_settled(&self) -> bool {
        match &self.phase {
            Phase::Forked(f) => f.settled(),
            _ => true,
        }
    }

    /// Runs the pending fork's children inline, one after another, inside
    /// [`Execution::step`] — for drivers without concurrency. Same results; only timing
    /// differs.
    pub fn run_fork_inline(&mut self) {
        if let Some(host) = self.fork_host() {
            if let Phase::Forked(f) = &mut host.phase {
                f.sequential = true;
            }
        }
    }
}

/// An integer given as a JSON integer or as a string of one.
fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A number given as a JSON number or as a string of one.
fn float_value(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

/// The Context object of one Map item: `$$.Map.Item.Index` / `.Value` (CTX-1).
pub(super) fn map_item_context(ctx: &Value, index: usize, item: &Value) -> Value {
    let mut ctx = ctx.clone();
    if let Value::Object(o) = &mut ctx {
        let mut it = Map::with_capacity(2);
        it.insert("Index".into(), Value::Int(index as i64));
        it.insert("Value".into(), item.clone());
        let mut m = Map::with_capacity(1);
        m.insert("Item".into(), Value::object(it));
        Arc::make_mut(o).insert("Map".into(), Value::object(m));
    }
    ctx
}

/// Takes child `i`'s outcome into `fork`: its result, or its failure (within the tolerated
/// failures of a Map, MAP-9, or as the fork's failure).
fn settle_child(fork: &mut Fork, i: usize, outcome: Outcome) {
    if outcome.status == Status::Succeeded {
        fork.results[i] = outcome.output.unwrap_or(Value::Null);
        return;
    }
    fork.failed += 1;
    let Some(t) = fork.tolerance else {
        fork.failure.get_or_insert_with(|| child_error(outcome));
        return;
    };
    let over_count = t.count.is_some_and(|c| fork.failed as f64 > c);
    let over_percentage = t
        .percentage
        .is_some_and(|p| fork.failed as f64 * 100.0 / fork.total as f64 > p);
    if over_count || over_percentage {
        fork.failure.get_or_insert_with(|| {
            ExecError::new(
                "States.ExceedToleratedFailureThreshold",
                Some("The specified tolerated failure threshold was exceeded".to_string()),
                ErrorClass::State,
            )
        });
    } else {
        let mut m = Map::with_capacity(2);
        m.insert(
            "Error".into(),
            outcome.error.map_or(Value::Null, Value::String),
        );
        m.insert(
            "Cause".into(),
            outcome.cause.map_or(Value::Null, Value::from),
        );
        fork.results[i] = Value::object(m);
    }
}

/// A failed branch or iteration fails its state with its own error and cause (PAR-4, MAP-6).
fn child_error(o: Outcome) -> ExecError {
    let class = match o.error.as_deref() {
        Some("States.Runtime" | "States.DataLimitExceeded") => ErrorClass::Fatal,
        _ => ErrorClass::State,
    };
    ExecError::named(o.error, o.cause, class)
}
