//! The data flow of a state (IO-1..8): InputPath, Parameters, ResultSelector, ResultPath,
//! OutputPath, and the 256 KiB bound kept without walking documents where it can be avoided.
//! Part of [`Execution`]'s step loop (exec.rs).

use super::*;

impl Execution {
    pub(super) fn select(&self, sel: &Select, v: &Value, ctx: &Value) -> Result<Value, ExecError> {
        match sel {
            Select::All => Ok(v.clone()),
            Select::Empty => Ok(Value::empty_object()),
            Select::Path(p) => {
                let env = Env {
                    input: v,
                    context: ctx,
                    vars: &self.vars,
                };
                p.eval(&env)
                    .map_err(|e| self.runtime(e.invalid_path_cause(p.text())))
            }
        }
    }

    /// InputPath then Parameters (IO-1 steps 1–2).
    pub(super) fn effective_input(
        &mut self,
        state: &State,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        let v = self.filtered_input(state, ctx)?;
        self.apply_parameters(state, v, ctx)
    }

    /// IO-1 step 1: the state's input after InputPath.
    pub(super) fn filtered_input(
        &mut self,
        state: &State,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        let v = self.select(&state.io.input_path, &self.input, ctx)?;
        if self.data_flow {
            report(
                &mut self.observer,
                &state.name,
                DataFlow::AfterInputPath(&v),
            );
        }
        Ok(v)
    }

    /// IO-1 step 2: Parameters applied to the InputPath-filtered input `v`.
    pub(super) fn apply_parameters(
        &mut self,
        state: &State,
        v: Value,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        let effective = match &state.io.parameters {
            None => v,
            Some(t) => {
                let env = Env {
                    input: &v,
                    context: ctx,
                    vars: &self.vars,
                };
                t.eval(&env).map_err(|e| self.template_error(e, &v))?
            }
        };
        if self.data_flow {
            report(
                &mut self.observer,
                &state.name,
                DataFlow::AfterParameters(&effective),
            );
        }
        Ok(effective)
    }

    /// OutputPath of a state whose output is a selection of its (already checked) input:
    /// Choice, Wait, Succeed. Its size cannot exceed the input's, so no check is needed.
    pub(super) fn select_within_input(
        &mut self,
        state: &State,
        v: &Value,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        let out = self.select(&state.io.output_path, v, ctx)?;
        let b = self.select_bound(state, &state.io.output_path, self.input_bound);
        self.check_size(out, b)
    }

    /// Bound on what InputPath + Parameters produce; `None` when unknown.
    pub(super) fn effective_bound(&self, state: &State) -> Option<usize> {
        let src = self.select_bound(state, &state.io.input_path, self.input_bound)?;
        match &state.io.parameters {
            None => Some(src),
            Some(t) => t.size_bound(src),
        }
    }

    /// Bound on a selection from a document bounded by `doc`.
    pub(super) fn select_bound(&self, state: &State, sel: &Select, doc: usize) -> Option<usize> {
        match sel {
            Select::All => Some(doc),
            Select::Empty => Some(2),
            // A variable can be larger than the document, and so can a deep scan's selection
            // (issue 18): measured.
            Select::Path(p) if p.variable_name().is_some() || !p.within_document() => None,
            // The Context object holds the execution input plus names and times.
            Select::Path(_) if state.io.uses_context => Some(doc.max(self.exec_input_bytes + 4096)),
            // An indefinite path's array: 2 bytes of brackets around disjoint nodes.
            Select::Path(_) => doc.checked_add(2),
        }
    }

    /// ResultPath into the raw input, OutputPath, size check (IO-1 steps 6–8). `result_bound`
    /// bounds the result's serialized size when known.
    pub(super) fn merge_and_select(
        &mut self,
        state: &State,
        result: Value,
        result_bound: Option<usize>,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        let rb = result_bound.or_else(|| serialized_len_at_most(&result, usize::MAX));
        let merged_bound = rb.and_then(|rb| self.merge_bound(&state.io.result_path, rb));
        let merged = self.merge(&state.io.result_path, result)?;
        if self.data_flow {
            report(
                &mut self.observer,
                &state.name,
                DataFlow::AfterResultPath(&merged),
            );
        }
        let out = self.select(&state.io.output_path, &merged, ctx)?;
        let b = merged_bound.and_then(|m| self.select_bound(state, &state.io.output_path, m));
        self.check_size(out, b)
    }

    pub(super) fn merge_bound(&self, m: &Merge, result_bound: usize) -> Option<usize> {
        match m {
            Merge::Replace => Some(result_bound),
            Merge::Discard => Some(self.input_bound),
            // New keys along the path are at most the path's own text, plus braces.
            Merge::Path(p) => self
                .input_bound
                .checked_add(result_bound)?
                .checked_add(2 * p.text().len() + 16),
        }
    }

    /// ResultPath (IO-6). Writing into the raw input consumes it: the state is done with it,
    /// and holding no second reference lets the write happen in place instead of copying the
    /// containers on the path. A failed write leaves the input as it was.
    pub(super) fn merge(&mut self, m: &Merge, result: Value) -> Result<Value, ExecError> {
        match m {
            Merge::Replace => Ok(result),
            Merge::Discard => Ok(self.input.clone()),
            Merge::Path(p) => {
                let mut target = std::mem::take(&mut self.input);
                match p.set(&mut target, result) {
                    Ok(()) => Ok(target),
                    Err(e) => {
                        self.input = target;
                        Err(ExecError::new(
                            "States.ResultPathMatchFailure",
                            Some(e.cause(&self.input)),
                            ErrorClass::State,
                        ))
                    }
                }
            }
        }
    }

    /// QUO-2: fails with `States.DataLimitExceeded` past 256 KiB. `bound`, when known, is an
    /// upper bound on `v`'s size: under the limit, the document is not walked at all.
    pub(super) fn check_size(
        &mut self,
        v: Value,
        bound: Option<usize>,
    ) -> Result<Value, ExecError> {
        if let Some(b) = bound.filter(|b| *b <= MAX_PAYLOAD_BYTES) {
            self.out_bound = b;
            return Ok(v);
        }
        if let Some(exact) = serialized_len_at_most(&v, MAX_PAYLOAD_BYTES) {
            self.out_bound = exact;
            Ok(v)
        } else {
            Err(ExecError::new(
                "States.DataLimitExceeded",
                Some(format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    self.state().name
                )),
                ErrorClass::Fatal,
            ))
        }
    }

    #[cold]
    pub(super) fn template_error(&self, e: TemplateError, input: &Value) -> ExecError {
        self.eval_error(&e.key, &e.text, &e.error, input)
    }

    #[cold]
    pub(super) fn eval_error(
        &self,
        field: &str,
        text: &str,
        e: &EvalError,
        input: &Value,
    ) -> ExecError {
        match e {
            EvalError::Path(p) => self.path_error(field, text, p, input),
            EvalError::Intrinsic(IntrinsicError::Path { error, .. })
                if matches!(error, PathError::UndefinedVariable(_)) =>
            {
                self.path_error(field, text, error, input)
            }
            // AWS's words, quoted from a real execution in the README of
            // pmilliotte/handle-optional-parameters: "The function 'States.Array(<path>)' had
            // the following error: The JsonPath argument for the field '<path>' could not be
            // found in the input '<input>'".
            EvalError::Intrinsic(IntrinsicError::Path { path, .. }) => self.runtime(format_args!(
                "The function '{text}' had the following error: The JsonPath argument for the field '{path}' could not be found in the input '{}'",
                input.to_json()
            )),
            EvalError::Intrinsic(IntrinsicError::Failure(cause)) => ExecError::new(
                "States.IntrinsicFailure",
                Some(self.runtime(cause).cause().unwrap_or_default().to_string()),
                ErrorClass::State,
            ),
        }
    }

    #[cold]
    pub(super) fn path_error(
        &self,
        field: &str,
        path: &str,
        e: &PathError,
        input: &Value,
    ) -> ExecError {
        match e {
            // Wording unconfirmed: no AWS source quoting this failure was found (issue 17).
            PathError::UndefinedVariable(name) => self.runtime(format_args!(
                "The variable '{name}' referenced by the field '{field}' is not defined"
            )),
            _ if field == "Variable" => {
                self.runtime(format_args!("Invalid path '{path}' : {e}"))
            }
            _ => self.runtime(format_args!(
                "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
                input.to_json()
            )),
        }
    }
}
