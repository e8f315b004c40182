//! The Task lifecycle of the step loop: the call asked for (and asked again on a retry), its
//! result through the state's data flow, Retry and Catch. Part of [`Execution`] (exec.rs).

use super::*;

impl Execution {
    /// Evaluates a Task's input and asks for the handler call (again, on a retry).
    pub(super) fn start_task(&mut self, program: &Program) -> Flow {
        let state = &program.states[self.at.index()];
        let Op::Task(task) = &state.op else {
            return Flow::Error(self.runtime("internal error: not a Task state"));
        };
        // CTX-6: a callback or activity Task gets a fresh token per attempt, visible to its
        // Parameters as `$$.Task.Token`.
        let site = &program.tasks[task.site.index()];
        let task_token = site.wait.uses_token().then(crate::vm::token::mint);
        let ctx = match &task_token {
            Some((_, text)) if state.io.uses_context => context_object(
                &self.info,
                &self.exec_input,
                &state.name,
                self.entered_ms,
                Some(self.retry_count),
                Some(text),
            ),
            _ => self.context(state, true),
        };
        if let Some(j) = state.io.jsonata.as_deref() {
            return match self.task_input_jsonata(state, j, &ctx) {
                Ok((effective, timeout, heartbeat)) => {
                    if self.data_flow {
                        let step = DataFlow::AfterArguments(&effective);
                        report(&mut self.observer, &state.name, step);
                    }
                    self.call_task(program, task, effective, timeout, heartbeat, task_token)
                }
                Err(e) => self.handle_error(program, e),
            };
        }
        // TASK-5/TASK-6: TimeoutSecondsPath and HeartbeatSecondsPath are reference paths into
        // "the state input" (AWS's Task state page: "provide a timeout value dynamically from
        // the state input using a reference path"; CDK `Timeout.at`: "a path in the state
        // input"), not into the Parameters' output: a Task whose Parameters drop the field
        // still gets its timeout. As ItemsPath and MaxConcurrencyPath do for a Map (MAP-2),
        // they read the input after InputPath. Kept only when a path needs it.
        let by_path = matches!(task.timeout, Some(Num::Path(_)))
            || matches!(task.heartbeat, Some(Num::Path(_)));
        let filtered = match self.filtered_input(state, &ctx) {
            Ok(v) => v,
            Err(e) => return self.handle_error(program, e),
        };
        let path_input = by_path.then(|| filtered.clone());
        let effective = match self.apply_parameters(state, filtered, &ctx) {
            Ok(v) => v,
            Err(e) => return self.handle_error(program, e),
        };
        let seconds = |n: &Option<Num>, field: &str| -> Result<Option<u64>, ExecError> {
            match n {
                None => Ok(None),
                Some(Num::Const(s)) => Ok(Some(*s)),
                Some(Num::Path(p)) => {
                    let env = Env {
                        input: path_input.as_ref().unwrap_or(&effective),
                        context: &ctx,
                        vars: &self.vars,
                    };
                    match p.eval(&env) {
                        Ok(Value::Int(i)) if i > 0 => Ok(Some(i as u64)),
                        Ok(v) => Err(self.runtime(format_args!(
                            "The {field}Path parameter must reference a positive integer: {} == {}",
                            p.text(),
                            raw_text(&v)
                        ))),
                        Err(_) => Err(self.runtime(format_args!(
                            "The {field}Path parameter does not reference an input value: {}",
                            p.text()
                        ))),
                    }
                }
            }
        };
        let timeout_seconds = match seconds(&task.timeout, "TimeoutSeconds") {
            Ok(t) => t,
            Err(e) => return Flow::Error(e),
        };
        let heartbeat_seconds = match seconds(&task.heartbeat, "HeartbeatSeconds") {
            Ok(t) => t,
            Err(e) => return Flow::Error(e),
        };
        self.call_task(
            program,
            task,
            effective,
            timeout_seconds,
            heartbeat_seconds,
            task_token,
        )
    }

    /// Asks for the handler call of a Task whose effective input and timeouts are known.
    pub(super) fn call_task(
        &mut self,
        program: &Program,
        task: &Task,
        effective: Value,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
        task_token: Option<(crate::vm::token::TokenId, Str)>,
    ) -> Flow {
        let site = &program.tasks[task.site.index()];
        // The history shows the Task's parameters: for `lambda:invoke` the whole request
        // (`FunctionName`, `Payload`, ...), not the payload the function gets; a Lambda
        // endpoint gets it too.
        let mut request = None;
        let (target, input) = match &task.integration {
            Integration::LambdaInvoke => match lambda_invoke_request(&effective) {
                Ok(r) => {
                    self.log_tail =
                        effective.get("LogType").and_then(Value::as_str) == Some("Tail");
                    request = Some(effective);
                    r
                }
                Err(msg) => {
                    return self.handle_error(
                        program,
                        ExecError::new("States.Runtime", Some(msg), ErrorClass::Fatal),
                    )
                }
            },
            _ => (CallTarget::Site(task.site), effective),
        };
        self.event_id += 1; // TaskScheduled
        if let Some(o) = &mut self.observer {
            o.event(
                self.event_id,
                Event::TaskScheduled {
                    resource: &site.resource,
                    parameters: request.as_ref().unwrap_or(&input),
                    timeout_seconds,
                    heartbeat_seconds,
                },
            );
        }
        // The history quota (see `set_history_limit`): no event of this Task may be #25,000.
        // When TaskStarted (or TaskSubmitted) is the last one allowed, the call is not made:
        // its result could not be recorded.
        if self.quota_reached() {
            return Flow::Error(self.history_quota_error());
        }
        self.event_id += 1; // TaskStarted
        let mut started = None;
        if let Some(o) = &mut self.observer {
            let resource = &site.resource;
            // An activity Task starts when a worker takes it (GetActivityTask), if the
            // observer can be told then.
            if site.wait == TaskWait::Activity {
                started = o.defer_task_started();
            }
            if started.is_none() {
                o.event(self.event_id, Event::TaskStarted { resource });
            }
        }
        let mut submitted = None;
        if task.submits {
            self.event_id += 1; // TaskSubmitted
            if let Some(o) = &mut self.observer {
                let resource = &site.resource;
                // Deferred, when the observer can be told later, until the job is started
                // (its output is the start call's response).
                submitted = o.defer_task_submitted(resource);
                if submitted.is_none() {
                    let output = None;
                    o.event(self.event_id, Event::TaskSubmitted { resource, output });
                }
            }
        }
        if self.quota_reached() {
            // The call is not made: its TaskSubmitted is recorded now, without a response.
            if let Some(s) = submitted {
                s.submit(None);
            }
            return Flow::Error(self.history_quota_error());
        }
        Flow::Call(TaskCall {
            target,
            resource: site.resource.clone(),
            input,
            timeout_seconds,
            heartbeat_seconds,
            task_token,
            extras: CallExtras {
                started,
                request,
                submitted,
                execution: site.needs_execution.then(|| Arc::clone(&self.info)),
                state: site.needs_execution.then(|| site.state.clone()),
                retry_count: self.retry_count,
                token: None,
            }
            .boxed(),
        })
    }

    pub(super) fn task_done(
        &mut self,
        program: &Program,
        outcome: TaskOutcome,
        now_ms: i64,
    ) -> Flow {
        let state = &program.states[self.at.index()];
        let Op::Task(task) = &state.op else {
            return Flow::Error(self.runtime("internal error: not a Task state"));
        };
        let compact = task.integration == Integration::LambdaInvoke;
        // A callback's result is what SendTaskSuccess sent, not an invoke response.
        let mut envelope = compact && program.tasks[task.site.index()].wait == TaskWait::Response;
        let result = match outcome {
            TaskOutcome::Ok(v) => v,
            TaskOutcome::Whole(v) => {
                envelope = false;
                v
            }
            // A handler that stopped reading an oversized result (`command:`, `worker:`)
            // says so without a cause: the error is then the one an oversized result gets.
            TaskOutcome::Err(e)
                if e.error() == "States.DataLimitExceeded" && e.cause().is_none() =>
            {
                return self.result_too_large(program, task.site.index(), now_ms)
            }
            TaskOutcome::Err(e) => return self.task_failed(program, &e, compact, now_ms),
            TaskOutcome::TimedOut => {
                return self.handle_error_at(
                    program,
                    ExecError::new("States.Timeout", None, ErrorClass::Task),
                    now_ms,
                )
            }
            TaskOutcome::HeartbeatTimedOut => {
                return self.handle_error_at(
                    program,
                    ExecError::new("States.HeartbeatTimeout", None, ErrorClass::Task),
                    now_ms,
                )
            }
            TaskOutcome::FunctionNotFound(name) => {
                let e = self.function_not_found(&name);
                return self.task_failed(program, &e, compact, now_ms);
            }
        };
        let result_bytes = serialized_len_at_most(&result, MAX_PAYLOAD_BYTES);
        if result_bytes.is_none() {
            return self.result_too_large(program, task.site.index(), now_ms);
        }
        // The invoke envelope adds headers and metadata: well under 2 KiB.
        let result_bound = result_bytes.map(|b| if envelope { 2 * b + 2048 } else { b });
        let result = if envelope {
            let result = invoke_envelope(result, std::mem::take(&mut self.log_tail));
            if let Some(o) = &mut self.observer {
                let resource = &program.tasks[task.site.index()].resource;
                let output = &result;
                o.event(self.event_id, Event::TaskSucceeded { resource, output });
            }
            result
        } else {
            result
        };
        self.state_result(program, result, result_bound, now_ms)
    }

    /// The result of a Task, Parallel or Map state: Assign (whose `$` is the result, VAR-6),
    /// ResultSelector, ResultPath, OutputPath (IO-1 steps 5–8), then on to the next state.
    pub(super) fn state_result(
        &mut self,
        program: &Program,
        result: Value,
        mut result_bound: Option<usize>,
        now_ms: i64,
    ) -> Flow {
        let state = &program.states[self.at.index()];
        if self.data_flow {
            report(&mut self.observer, &state.name, DataFlow::Result(&result));
        }
        if let Some(j) = state.io.jsonata.as_deref() {
            return self.result_jsonata(program, state, j, result, result_bound, now_ms);
        }
        let ctx = self.context(state, true);
        let assigned = match self.assign(&state.io.assign, &result, &ctx) {
            Ok(a) => a,
            Err(e) => return Flow::Error(e),
        };
        let selected = match &state.io.result_selector {
            None => result,
            Some(t) => {
                result_bound = result_bound.and_then(|b| t.size_bound(b));
                let env = Env {
                    input: &result,
                    context: &ctx,
                    vars: &self.vars,
                };
                match t.eval(&env) {
                    Ok(v) => v,
                    Err(e) => return Flow::Error(self.template_error(e, &result)),
                }
            }
        };
        if self.data_flow {
            let step = DataFlow::AfterResultSelector(&selected);
            report(&mut self.observer, &state.name, step);
        }
        let out = self
            .merge_and_select(state, selected, result_bound, &ctx)
            .and_then(|out| self.commit(assigned).map(|()| out));
        self.result_done(program, state, out, now_ms)
    }

    /// A Task, Parallel or Map state's output is ready (on to the next state), or producing
    /// it failed (the state's error: retried and caught).
    pub(super) fn result_done(
        &mut self,
        program: &Program,
        state: &State,
        out: Result<Value, ExecError>,
        now_ms: i64,
    ) -> Flow {
        match out {
            Ok(out) => {
                if self.quota_reached() {
                    return Flow::Error(self.history_quota_error());
                }
                self.event_id += 1; // TaskStateExited / ParallelStateExited / MapStateExited
                self.exited(state, &out);
                self.leave(out)
            }
            Err(e) => self.handle_error_at(program, e, now_ms),
        }
    }

    /// Evaluates an `Assign` (the first phase of VAR-4): with the variables as they were when
    /// the state was entered; stored by [`Execution::commit`] once the state's other fields ran.
    pub(super) fn assign(
        &self,
        t: &Option<Template>,
        input: &Value,
        ctx: &Value,
    ) -> Result<Assigned, ExecError> {
        let Some(t) = t else {
            return Ok(Assigned::new());
        };
        let env = Env {
            input,
            context: ctx,
            vars: &self.vars,
        };
        let v = t.eval(&env).map_err(|e| self.template_error(e, input))?;
        self.vars.prepare(v, &self.state().name)
    }

    /// Stores what [`Execution::assign`] computed (the second phase of VAR-4).
    pub(super) fn commit(&mut self, assigned: Assigned) -> Result<(), ExecError> {
        if assigned.is_empty() {
            return Ok(());
        }
        let name = self.state().name.clone();
        self.vars.commit(assigned, &name)
    }

    /// Starts the current state again after a retry delay (RET-2).
    pub(super) fn retry(&mut self, program: &Program) -> Flow {
        let state = &program.states[self.at.index()];
        match &state.op {
            Op::Parallel(_) | Op::Map(_) => self.start_fork(program, state),
            _ => self.start_task(program),
        }
    }

    /// TASK-8 / ERR-DLE: a result over 256 KiB is reported as a task failure, which catchers
    /// see. AWS names a service integration by its service (`'lambda'`), anything else by its
    /// resource.
    #[cold]
    fn result_too_large(&mut self, program: &Program, site: usize, now_ms: i64) -> Flow {
        let resource = &program.tasks[site].resource;
        let name = match classify(resource) {
            ResourceKind::Service { service, .. } => service,
            _ => resource.to_string(),
        };
        let e = ExecError::new(
            "States.DataLimitExceeded",
            Some(format!(
                "The state/task '{name}' returned a result with a size exceeding the maximum number of bytes service limit."
            )),
            ErrorClass::Task,
        );
        self.handle_error_at(program, e, now_ms)
    }

    #[cold]
    pub(super) fn task_failed(
        &mut self,
        program: &Program,
        e: &TaskError,
        compact: bool,
        now_ms: i64,
    ) -> Flow {
        let err = ExecError::new(
            e.name().clone(),
            e.rendered_cause(compact),
            ErrorClass::Task,
        );
        self.handle_error_at(program, err, now_ms)
    }

    pub(super) fn handle_error(&mut self, program: &Program, e: ExecError) -> Flow {
        self.handle_error_at(program, e, self.entered_ms)
    }

    /// Retry, then Catch, then fail (RET-2, CAT-2).
    pub(super) fn handle_error_at(&mut self, program: &Program, e: ExecError, now_ms: i64) -> Flow {
        if e.class() == ErrorClass::Fatal {
            return Flow::Error(e);
        }
        let state = &program.states[self.at.index()];
        if let Some((i, r)) = state
            .io
            .retry
            .iter()
            .enumerate()
            .find(|(_, r)| retries(&r.errors, &e))
        {
            if self.attempts.len() < state.io.retry.len() {
                self.attempts.resize(state.io.retry.len(), 0);
            }
            if self.attempts[i] < r.max_attempts {
                self.attempts[i] += 1;
                self.retry_count += 1;
                let delay = backoff_ms(r, self.attempts[i]);
                let until = program.scaled_wait(now_ms, now_ms + delay as i64);
                return Flow::Sleep(until, Phase::Retrying);
            }
        }
        if let Some((i, c)) =
            (state.io.catch.iter().enumerate()).find(|(_, c)| catches(&c.errors, &e))
        {
            let (error, cause) = e.into_parts();
            let mut m = Map::with_capacity(2);
            m.insert(
                "Error".into(),
                Value::String(error.unwrap_or_else(|| Str::from(""))),
            );
            m.insert("Cause".into(), Value::from(cause.unwrap_or_default()));
            let error_output = Value::object(m);
            if let Some(j) = state.io.jsonata.as_deref() {
                return match j.catchers.get(i) {
                    Some(jc) => self.catch_jsonata(state, jc, c.next, error_output),
                    None => Flow::Error(self.runtime("internal error: catcher not compiled")),
                };
            }
            let eb = serialized_len_at_most(&error_output, usize::MAX);
            let bound = eb.and_then(|b| self.merge_bound(&c.result_path, b));
            let assigned = match &c.assign {
                None => Ok(Assigned::new()),
                Some(_) => {
                    let ctx = self.context(state, true);
                    self.assign(&c.assign, &error_output, &ctx)
                }
            };
            let out = assigned.and_then(|a| {
                let v = self.merge(&c.result_path, error_output)?;
                if self.data_flow {
                    report(
                        &mut self.observer,
                        &state.name,
                        DataFlow::AfterResultPath(&v),
                    );
                }
                let v = self.check_size(v, bound)?;
                self.commit(a)?;
                Ok(v)
            });
            return match out {
                Ok(v) => {
                    self.event_id += 1; // <Type>StateExited
                    self.exited(state, &v);
                    Flow::Goto(c.next, v)
                }
                Err(e) => Flow::Error(e),
            };
        }
        Flow::Error(e)
    }
}

/// The handler's input and target of a `lambda:invoke` call: `FunctionName` and `Payload`
/// from the effective input. A string payload is JSON text sent as is (the function sees it
/// parsed); a missing or null payload reaches the function as `{}`.
pub(super) fn lambda_invoke_request(effective: &Value) -> Result<(CallTarget, Value), String> {
    let name = effective
        .get("FunctionName")
        .and_then(Value::as_shared_str)
        .ok_or_else(|| {
            "The field 'FunctionName' is required for arn:aws:states:::lambda:invoke".to_string()
        })?;
    let payload = match effective.get("Payload") {
        None | Some(Value::Null) => Value::empty_object(),
        Some(Value::String(s)) => {
            crate::value::parse_json(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        Some(v) => v.clone(),
    };
    Ok((CallTarget::Function(name.clone()), payload))
}

/// The function a `lambda:invoke` names, as AWS prints it in a not-found cause: a full ARN
/// (in the machine's region and account when given a bare name), qualified with `$LATEST`
/// when the name carries no version or alias.
pub(super) fn qualified_function_arn(name: &str, machine_arn: &str) -> String {
    if name.starts_with("arn:") {
        // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
        return if name.split(':').count() >= 8 {
            name.to_string()
        } else {
            format!("{name}:$LATEST")
        };
    }
    let parts: Vec<&str> = machine_arn.split(':').collect();
    let (region, account) = match parts.as_slice() {
        [_, _, _, r, a, ..] if !r.is_empty() && !a.is_empty() => (*r, *a),
        _ => ("us-east-1", "111111111111"),
    };
    let qualifier = if name.contains(':') { "" } else { ":$LATEST" };
    format!("arn:aws:lambda:{region}:{account}:function:{name}{qualifier}")
}
