//! JSONata states (QL-*, JA-*): what the VM does instead of the JSONPath pipeline when a state's
//! [`JsonataIo`] is set.
//!
//! The branch is taken once per state: [`Execution::enter`] hands Pass, Choice, Wait, Succeed
//! and Fail states to [`Execution::enter_jsonata`]; a Task's input, a Task / Parallel / Map
//! result, a catcher, and a Map's items and item selector each have one function here. The
//! JSONPath code paths are not touched by any of it.
//!
//! Every expression sees `$states.input` (the raw state input), `$states.context` (the Context
//! object, built only when an expression of the state can read it), the machine's variables as
//! they were when the state was entered (VAR-4), and where the field allows it
//! `$states.result` (top-level `Output` / `Assign` of Task, Map, Parallel) or
//! `$states.errorOutput` (a catcher's `Output` / `Assign`) (JA-5). Failures are
//! `States.QueryEvaluationError` with AWS's causes (JA-9), caught and retried like any other
//! error of a Task, Map or Parallel state.
//!
//! ## Cost
//!
//! `cargo bench --bench vm -- vm/pipeline5` (2 shared cores under load, medians): `pipeline5`,
//! five JSONPath Pass states, 2.6 µs; `pipeline5_jsonata`, the same transformations as five
//! JSONata `Output` expressions (`benches/machines/pipeline5_jsonata.asl.json`), 53 µs. A
//! profile of the JSONata run puts nearly all of it in the engine and the conversions around
//! it (`$states.input` handed over whole, as each expression `$merge`s it, and the result
//! built back); the VM's own share is the output's size check (about 4%, QUO-2: an
//! expression's result has no size bound to skip the walk).

use super::*;
use crate::jsonata::TemplateFailure as JTemplateFailure;
use crate::jsonata::{undefined_cause, unexpected_type_cause, Bindings, Expression};
use crate::jsonata::{ErrorKind, Template as JTemplate, TemplateError as JTemplateError};
use crate::path::VarLookup;

/// The error every JSONata evaluation failure raises (JA-9).
pub(crate) const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

/// What one JSONata evaluation can read: `$states` and the variables.
struct Scope<'a> {
    input: &'a Value,
    result: Option<&'a Value>,
    error_output: Option<&'a Value>,
    context: Option<&'a Value>,
    vars: &'a Vars,
    /// The execution: its deadline and stop request end a long evaluation.
    info: &'a Arc<ExecutionInfo>,
}

impl Bindings for Scope<'_> {
    fn state(&self, field: &str) -> Option<&Value> {
        match field {
            "input" => Some(self.input),
            "result" => self.result,
            "errorOutput" => self.error_output,
            "context" => self.context,
            _ => None,
        }
    }

    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.var(name)
    }

    fn interrupt(&self) -> Option<Arc<dyn crate::jsonata::Interrupt>> {
        Some(Arc::clone(self.info) as Arc<dyn crate::jsonata::Interrupt>)
    }
}

/// The numeric fields' lower bounds.
#[derive(Clone, Copy)]
enum Least {
    Zero,
    One,
}

/// The Map fields a JSONata Map state evaluates when it starts.
pub(super) struct MapFields {
    pub items: Value,
    /// `MaxConcurrency`, 0 = unlimited.
    pub max_concurrency: u64,
    pub tolerated_count: Option<f64>,
    pub tolerated_percentage: Option<f64>,
}

impl Execution {
    /// A Pass, Choice, Wait, Succeed or Fail state written in JSONata; Task, Parallel and Map
    /// states go their usual way, which branches where JSONata differs.
    pub(super) fn enter_jsonata(
        &mut self,
        program: &Program,
        state: &State,
        j: &JsonataIo,
        now_ms: i64,
    ) -> Flow {
        match (&state.op, &j.op) {
            (Op::Task(_), _) => self.start_task(program),
            (Op::Parallel(_) | Op::Map(_), _) => self.start_fork(program, state),
            (Op::Choice(c), JsonataOp::Choice { rules }) => self.choice_jsonata(state, j, c, rules),
            (Op::Wait(_), JsonataOp::Wait(w)) => self.wait_jsonata(state, j, w, now_ms),
            (Op::Fail(_), JsonataOp::Fail { error, cause }) => {
                let ctx = self.context(state, false);
                let scope = self.scope(state, &self.input, &ctx);
                let field = |t: &Option<Typed<Str>>, name: &str| -> Result<_, ExecError> {
                    match t {
                        None => Ok(None),
                        Some(Typed::Const(s)) => Ok(Some(s.clone())),
                        Some(Typed::Expr(e)) => match self.jsonata_value(e, name, &scope)? {
                            Value::String(s) => Ok(Some(s)),
                            other => Err(self.unexpected_type(e, name, "string", &other)),
                        },
                    }
                };
                match field(error, "Error").and_then(|e| Ok((e, field(cause, "Cause")?))) {
                    Ok((error, cause)) => Flow::Failed(error, cause.map(|c| c.to_string())),
                    Err(e) => Flow::Error(e),
                }
            }
            // Pass, Succeed: Output (default: the input) and, for Pass, Assign.
            (Op::Pass { .. } | Op::Succeed, _) => {
                let ctx = self.context(state, false);
                let output = self.output_and_assign(state, j, &ctx);
                match output {
                    Ok(output) => {
                        self.event_id += 1; // PassStateExited / SucceedStateExited
                        self.exited(state, &output);
                        match state.op {
                            Op::Succeed => Flow::End(output),
                            _ => self.leave(output),
                        }
                    }
                    Err(e) => Flow::Error(e),
                }
            }
            _ => Flow::Error(self.runtime("internal error: JSONata fields of another state type")),
        }
    }

    /// The bindings of a field that sees `input` as `$states.input`.
    fn scope<'a>(&'a self, state: &State, input: &'a Value, ctx: &'a Value) -> Scope<'a> {
        Scope {
            input,
            result: None,
            error_output: None,
            context: state.io.uses_context.then_some(ctx),
            vars: &self.vars,
            info: &self.info,
        }
    }

    /// `States.QueryEvaluationError` with the state's cause prefix (ERR-4).
    #[cold]
    fn query_error(&self, cause: impl std::fmt::Display) -> ExecError {
        let (_, cause) = self.runtime(cause).into_parts();
        ExecError::new(QUERY_EVALUATION_ERROR, cause, ErrorClass::State)
    }

    #[cold]
    fn template_failed(&self, e: JTemplateError) -> ExecError {
        match &e.failure {
            JTemplateFailure::Evaluation(j) if j.kind() == ErrorKind::Interrupted => {
                ExecError::interrupted(j.code() == "U1003")
            }
            _ => self.query_error(e.aws_cause()),
        }
    }

    #[cold]
    fn unexpected_type(&self, e: &Expression, field: &str, expected: &str, v: &Value) -> ExecError {
        self.query_error(unexpected_type_cause(e.source(), field, expected, v))
    }

    fn eval(&self, t: &JTemplate, scope: &Scope<'_>) -> Result<Value, ExecError> {
        t.evaluate(scope).map_err(|e| self.template_failed(e))
    }

    /// The value of a field that is one expression (JA-8), `field` naming it in errors.
    fn jsonata_value(
        &self,
        e: &Expression,
        field: &str,
        scope: &Scope<'_>,
    ) -> Result<Value, ExecError> {
        match e.evaluate(None, scope) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(self.query_error(undefined_cause(e.source(), field))),
            Err(err) if err.kind() == ErrorKind::Interrupted => {
                Err(ExecError::interrupted(err.code() == "U1003"))
            }
            Err(err) => Err(self.query_error(err.aws_cause(e.source(), field))),
        }
    }

    /// An integer field: a literal, or an expression that must give a number that is an
    /// integer of at least `least` (JA-8).
    fn jsonata_integer(
        &self,
        t: &Typed<u64>,
        field: &str,
        least: Least,
        scope: &Scope<'_>,
    ) -> Result<u64, ExecError> {
        let e = match t {
            Typed::Const(n) => return Ok(*n),
            Typed::Expr(e) => e,
        };
        let v = self.jsonata_value(e, field, scope)?;
        match (&v, least) {
            (Value::Int(i), Least::Zero) if *i >= 0 => Ok(*i as u64),
            (Value::Int(i), Least::One) if *i >= 1 => Ok(*i as u64),
            (Value::Int(i), Least::Zero) => Err(self.query_error(format_args!(
                "The {field} field must be a non-negative integer, but was: {i}"
            ))),
            (Value::Int(i), Least::One) => Err(self.query_error(format_args!(
                "The {field} field must be a positive integer, but was: {i}"
            ))),
            (Value::Float(_), _) => Err(self.query_error(format_args!(
                "The {field} field cannot be parsed as an integer: {}",
                v.to_json()
            ))),
            _ => Err(self.unexpected_type(e, field, "number", &v)),
        }
    }

    /// An `ItemReader`'s or `ResultWriter`'s `Arguments` (MAP-10, MAP-12).
    pub(super) fn s3_arguments(
        &self,
        state: &State,
        t: &JTemplate,
        input: &Value,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        let scope = self.scope(state, input, ctx);
        self.eval(t, &scope)
    }

    /// `ReaderConfig.MaxItems` as a JSONata expression: a positive integer.
    pub(super) fn max_items_jsonata(
        &self,
        state: &State,
        t: &Typed<u64>,
        input: &Value,
        ctx: &Value,
    ) -> Result<u64, ExecError> {
        let scope = self.scope(state, input, ctx);
        self.jsonata_integer(t, "MaxItems", Least::One, &scope)
    }

    /// A number field (`ToleratedFailure*`): a literal, or an expression giving a number.
    fn jsonata_number(
        &self,
        t: &Typed<f64>,
        field: &str,
        scope: &Scope<'_>,
    ) -> Result<f64, ExecError> {
        let e = match t {
            Typed::Const(n) => return Ok(*n),
            Typed::Expr(e) => e,
        };
        let v = self.jsonata_value(e, field, scope)?;
        v.as_f64()
            .ok_or_else(|| self.unexpected_type(e, field, "number", &v))
    }

    /// Evaluates an `Assign` (the first phase of VAR-4): stored by `commit`.
    fn assign_jsonata(
        &self,
        t: &Option<JTemplate>,
        scope: &Scope<'_>,
    ) -> Result<Assigned, ExecError> {
        match t {
            None => Ok(Assigned::new()),
            Some(t) => {
                let v = self.eval(t, scope)?;
                self.vars.prepare(v, &self.state().name)
            }
        }
    }

    /// `Assign` (prepared, not stored), then `Output` (`None` when absent), both against
    /// `scope`: both see the variables as they were when the state was entered (VAR-4).
    fn assign_and_output(
        &self,
        assign: &Option<JTemplate>,
        output: &Option<JTemplate>,
        scope: &Scope<'_>,
    ) -> Result<(Assigned, Option<Value>), ExecError> {
        let assigned = self.assign_jsonata(assign, scope)?;
        let output = output.as_ref().map(|t| self.eval(t, scope)).transpose()?;
        Ok((assigned, output))
    }

    /// Assign, then Output (default: the raw input), checked and committed: Pass, Succeed and
    /// the Default of a Choice.
    fn output_and_assign(
        &mut self,
        state: &State,
        j: &JsonataIo,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        self.rule_output(state, &j.output, &j.assign, ctx)
    }

    fn rule_output(
        &mut self,
        state: &State,
        output: &Option<JTemplate>,
        assign: &Option<JTemplate>,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        let (assigned, output) =
            self.assign_and_output(assign, output, &self.scope(state, &self.input, ctx))?;
        match output {
            Some(o) => self.store(assigned, o, None),
            None => self.store(assigned, self.input.clone(), Some(self.input_bound)),
        }
    }

    /// The state's output, checked against the payload limit (QUO-2, `bound` as in
    /// `check_size`), then its prepared variables stored (the second phase of VAR-4).
    fn store(
        &mut self,
        assigned: Assigned,
        output: Value,
        bound: Option<usize>,
    ) -> Result<Value, ExecError> {
        let output = self.check_size(output, bound)?;
        self.commit(assigned)?;
        Ok(output)
    }

    /// A JSONata Choice (CH-3): the first rule whose `Condition` is true; its `Output` and
    /// `Assign` apply, or the state's own when `Default` is taken.
    fn choice_jsonata(
        &mut self,
        state: &State,
        j: &JsonataIo,
        c: &Choice,
        rules: &[JsonataRule],
    ) -> Flow {
        let ctx = self.context(state, false);
        let chosen = {
            let scope = self.scope(state, &self.input, &ctx);
            let mut chosen = None;
            for rule in rules {
                let holds = match &rule.condition {
                    Typed::Const(b) => *b,
                    Typed::Expr(e) => match self.jsonata_value(e, "Condition", &scope) {
                        Ok(Value::Bool(b)) => b,
                        Ok(other) => {
                            return Flow::Error(self.unexpected_type(
                                e,
                                "Condition",
                                "boolean",
                                &other,
                            ))
                        }
                        Err(e) => return Flow::Error(e),
                    },
                };
                if holds {
                    chosen = Some((rule.next, &rule.output, &rule.assign));
                    break;
                }
            }
            chosen
        };
        let (next, output, assign) = match (chosen, c.default) {
            (Some(rule), _) => rule,
            (None, Some(d)) => (d, &j.output, &j.assign),
            (None, None) => return Flow::Error(self.no_choice_matched()),
        };
        match self.rule_output(state, output, assign, &ctx) {
            Ok(output) => {
                self.event_id += 1; // ChoiceStateExited
                self.exited(state, &output);
                Flow::Goto(next, output)
            }
            Err(e) => Flow::Error(e),
        }
    }

    /// A JSONata Wait (WAIT-1..3, JA-8): `Seconds` a non-negative integer, `Timestamp` a
    /// timestamp string.
    fn wait_jsonata(&mut self, state: &State, j: &JsonataIo, w: &JsonataWait, now_ms: i64) -> Flow {
        let ctx = self.context(state, false);
        let until = {
            let scope = self.scope(state, &self.input, &ctx);
            match w {
                JsonataWait::Seconds(t) => self
                    .jsonata_integer(t, "Seconds", Least::Zero, &scope)
                    // Past 2^31 s is "too long" anyway (WAIT-6); the cap keeps the sum in range.
                    .map(|s| Wait::Seconds(s.min(1 << 32))),
                JsonataWait::Timestamp(Typed::Const(ms)) => Ok(Wait::Timestamp(*ms)),
                JsonataWait::Timestamp(Typed::Expr(e)) => {
                    match self.jsonata_value(e, "Timestamp", &scope) {
                        Ok(Value::String(s)) => match parse_timestamp(&s) {
                            Some(ns) => Ok(Wait::Timestamp(
                                (ns / 1_000_000).clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                            )),
                            None => Err(self.query_error(format_args!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {s}"
                            ))),
                        },
                        Ok(other) => Err(self.unexpected_type(e, "Timestamp", "string", &other)),
                        Err(e) => Err(e),
                    }
                }
            }
        };
        let until = match until.and_then(|w| self.wait_until(&w, &self.input, &ctx, now_ms)) {
            Ok(t) => t,
            Err(e) => return Flow::Error(e),
        };
        match self.output_and_assign(state, j, &ctx) {
            Ok(output) => self.wait_for(state, until, output, now_ms),
            Err(e) => Flow::Error(e),
        }
    }

    /// A JSONata Task's input (`Arguments`, JA-6) and timeouts (JA-8).
    pub(super) fn task_input_jsonata(
        &self,
        state: &State,
        j: &JsonataIo,
        ctx: &Value,
    ) -> Result<(Value, Option<u64>, Option<u64>), ExecError> {
        let scope = self.scope(state, &self.input, ctx);
        let effective = match &j.arguments {
            Some(t) => self.eval(t, &scope)?,
            None => self.input.clone(),
        };
        let (timeout, heartbeat) = match &j.op {
            JsonataOp::Task { timeout, heartbeat } => (timeout, heartbeat),
            _ => (&None, &None),
        };
        let seconds = |t: &Option<Typed<u64>>, field: &str| match t {
            Some(t) => self.jsonata_integer(t, field, Least::One, &scope).map(Some),
            None => Ok(None),
        };
        let timeout = seconds(timeout, "TimeoutSeconds")?;
        let heartbeat = seconds(heartbeat, "HeartbeatSeconds")?;
        Ok((effective, timeout, heartbeat))
    }

    /// A JSONata Parallel's branch input (`Arguments`) or a Map's input (its raw input).
    pub(super) fn arguments_jsonata(
        &self,
        state: &State,
        j: &JsonataIo,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        match &j.arguments {
            Some(t) => self.eval(t, &self.scope(state, &self.input, ctx)),
            None => Ok(self.input.clone()),
        }
    }

    /// The result of a JSONata Task, Parallel or Map state: `Assign` and `Output` with
    /// `$states.result` (JA-5, JA-7), then on to the next state. A failure is the state's
    /// own error: retried and caught as the state's other errors.
    pub(super) fn result_jsonata(
        &mut self,
        program: &Program,
        state: &State,
        j: &JsonataIo,
        result: Value,
        result_bound: Option<usize>,
        now_ms: i64,
    ) -> Flow {
        let ctx = self.context(state, true);
        let evaluated = {
            let mut scope = self.scope(state, &self.input, &ctx);
            scope.result = Some(&result);
            self.assign_and_output(&j.assign, &j.output, &scope)
        };
        let out = evaluated.and_then(|(assigned, output)| match output {
            Some(o) => self.store(assigned, o, None),
            None => self.store(assigned, result, result_bound),
        });
        self.result_done(program, state, out, now_ms)
    }

    /// A catcher of a JSONata state (CAT-3): `Assign` and `Output` (default: the Error
    /// Output) with `$states.errorOutput`, then on to the catcher's `Next`.
    pub(super) fn catch_jsonata(
        &mut self,
        state: &State,
        catcher: &JsonataCatcher,
        next: StateId,
        error_output: Value,
    ) -> Flow {
        let ctx = self.context(state, true);
        let evaluated = {
            let mut scope = self.scope(state, &self.input, &ctx);
            scope.error_output = Some(&error_output);
            self.assign_and_output(&catcher.assign, &catcher.output, &scope)
        };
        let out = evaluated.and_then(|(assigned, output)| {
            self.store(assigned, output.unwrap_or(error_output), None)
        });
        match out {
            Ok(v) => {
                self.event_id += 1; // <Type>StateExited
                self.exited(state, &v);
                Flow::Goto(next, v)
            }
            Err(e) => Flow::Error(e),
        }
    }

    /// `Items` (default: the input, which must be an array), `MaxConcurrency` and the
    /// tolerated failures of a JSONata Map (MAP-2, MAP-4, MAP-9).
    pub(super) fn map_fields_jsonata(
        &self,
        state: &State,
        m: &JsonataMap,
        input: &Value,
        ctx: &Value,
        read: Option<Value>,
    ) -> Result<MapFields, ExecError> {
        let scope = self.scope(state, input, ctx);
        let items = match (&m.items, read) {
            // The items an ItemReader read (MAP-10) take the place of `Items`.
            (_, Some(read)) => read,
            (None, None) => input.clone(),
            (Some(t), None) => {
                let v = self.eval(t, &scope)?;
                match (t.expression(), &v) {
                    (_, Value::Array(_)) => v,
                    (Some(e), _) => return Err(self.unexpected_type(e, "Items", "array", &v)),
                    (None, _) => v,
                }
            }
        };
        if !matches!(items, Value::Array(_)) {
            return Err(self.query_error(format_args!(
                "Map state input must be an array but was: {}",
                items.to_json()
            )));
        }
        let max_concurrency = match &m.max_concurrency {
            None => 0,
            Some(t) => self.jsonata_integer(t, "MaxConcurrency", Least::Zero, &scope)?,
        };
        let tolerated_count = match &m.tolerated_count {
            None => None,
            Some(t) => {
                let v = self.jsonata_number(t, "ToleratedFailureCount", &scope)?;
                if v < 0.0 {
                    return Err(self.query_error("ToleratedFailureCount cannot be negative."));
                }
                Some(v)
            }
        };
        let tolerated_percentage = match &m.tolerated_percentage {
            None => None,
            Some(t) => {
                let v = self.jsonata_number(t, "ToleratedFailurePercentage", &scope)?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(
                        self.query_error("ToleratedFailurePercentage must be between 0 and 100.")
                    );
                }
                Some(v)
            }
        };
        Ok(MapFields {
            items,
            max_concurrency,
            tolerated_count,
            tolerated_percentage,
        })
    }

    /// The input of one Map iteration: `ItemSelector` with `$states.context.Map.Item`
    /// (MAP-3), or the item itself.
    pub(super) fn item_jsonata(
        &self,
        state: &State,
        m: &JsonataMap,
        input: &Value,
        ctx: &Value,
        index: usize,
        item: &Value,
    ) -> Result<Value, ExecError> {
        let Some(t) = &m.item_selector else {
            return Ok(item.clone());
        };
        let ctx = if state.io.uses_context {
            fork::map_item_context(ctx, index, item)
        } else {
            Value::Null
        };
        self.eval(t, &self.scope(state, input, &ctx))
    }
}
