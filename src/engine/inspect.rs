//! What TestState asks of a run beyond its outcome: workflow variables set before the first
//! state, and the data flow of one state ([`StateProbe`], given with
//! [`StartRequest::probe`](super::StartRequest::probe)).
//!
//! The probe's observer asks the VM for its [`DataFlow`] steps and keeps those of the named
//! state; history events pass through to the execution's story, if it has one. Runs without
//! a probe pay nothing for it: no observer asks, so the VM builds nothing (see
//! [`crate::vm::observe`]).

use super::error::{EngineError, ErrorKind};
use crate::runtime::sync::{lock, Mutex};
use crate::value::{serialized_len_at_most, Str, Value};
use crate::vm::{DataFlow, Event, Execution, Handout, Observer, Submission};
use std::sync::Arc;

/// Largest total of pre-set variables: AWS's bound on TestState's `variables` (256 KiB).
pub const MAX_PRESET_VARIABLE_BYTES: usize = 262_144;

/// The data flow of one state, as its run reported it: each value is `None` when the state
/// has no such step or did not reach it (it failed before).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Inspection {
    /// The state's raw input.
    pub input: Option<Value>,
    /// JSONPath: after `InputPath`.
    pub after_input_path: Option<Value>,
    /// JSONPath: after `Parameters`.
    pub after_parameters: Option<Value>,
    /// JSONata: after `Arguments`.
    pub after_arguments: Option<Value>,
    /// The raw result.
    pub result: Option<Value>,
    /// JSONPath: after `ResultSelector`.
    pub after_result_selector: Option<Value>,
    /// JSONPath: after `ResultPath` (or a catcher's `ResultPath`).
    pub after_result_path: Option<Value>,
    /// Every variable the state could read when it ended (after its `Assign`), or when it
    /// was entered if it did not end; `None` when there were none.
    pub variables: Option<Value>,
}

/// Presets variables for a run and records the data flow of one of its states (TestState).
/// A handle: keep a clone, give one to [`StartRequest::probe`](super::StartRequest::probe),
/// and read [`StateProbe::inspection`] once the run ended.
///
/// ```
/// use aslx::engine::{Engine, MachineSpec, StartRequest, StateProbe};
/// use aslx::{json, MachineType};
/// let engine = Engine::builder().worker_threads(1).build().unwrap();
/// let def = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass",
///     "Parameters": {"greeting.$": "$who"}, "ResultPath": "$.out", "End": true}}}"#;
/// let spec = MachineSpec::new("p", def, MachineType::Standard);
/// let probe = StateProbe::new("P").variables(json!({"who": "world"})).unwrap();
/// let req = StartRequest::new("p").input(json!({"a": 1})).probe(probe.clone());
/// let outcome = engine.handle().block_on(engine.run_once(spec, req)).unwrap();
/// let seen = probe.inspection();
/// assert_eq!(seen.after_parameters, Some(json!({"greeting": "world"})));
/// assert_eq!(seen.after_result_path, outcome.output);
/// assert_eq!(seen.variables, Some(json!({"who": "world"})));
/// ```
#[derive(Clone, Debug)]
pub struct StateProbe(Arc<Probe>);

#[derive(Debug)]
struct Probe {
    state: Str,
    variables: Option<Value>,
    seen: Mutex<Inspection>,
}

impl StateProbe {
    /// A probe recording the state named `state` (its first visit), presetting nothing.
    pub fn new(state: &str) -> StateProbe {
        StateProbe(Arc::new(Probe {
            state: Str::from(state),
            variables: None,
            seen: Mutex::new(Inspection::default()),
        }))
    }

    /// Presets `vars`' members as workflow variables: every state reads them as `$name`.
    ///
    /// # Errors
    ///
    /// `ValidationException` when `vars` is not an object or its JSON text exceeds
    /// [`MAX_PRESET_VARIABLE_BYTES`].
    pub fn variables(self, vars: Value) -> Result<StateProbe, EngineError> {
        if !matches!(vars, Value::Object(_)) {
            return Err(EngineError::new(
                ErrorKind::Validation,
                format!(
                    "variables must be a JSON object, but was: {}",
                    vars.type_name()
                ),
            ));
        }
        if serialized_len_at_most(&vars, MAX_PRESET_VARIABLE_BYTES).is_none() {
            return Err(EngineError::new(
                ErrorKind::Validation,
                format!("variables exceed the maximum size of {MAX_PRESET_VARIABLE_BYTES} bytes"),
            ));
        }
        Ok(StateProbe(Arc::new(Probe {
            state: self.0.state.clone(),
            variables: Some(vars),
            seen: Mutex::new(Inspection::default()),
        })))
    }

    /// What the run reported of the state so far.
    pub fn inspection(&self) -> Inspection {
        lock(&self.0.seen).clone()
    }

    /// Presets the variables on `exec` and puts the probe's observer in front of its own.
    pub(crate) fn attach(&self, exec: &mut Execution) {
        if let Some(v) = &self.0.variables {
            exec.set_variables(v);
        }
        let inner = exec.take_observer();
        exec.set_observer(Box::new(Lane {
            probe: Arc::clone(&self.0),
            inner,
            done: false,
        }));
    }
}

/// The probe's observer: records the probed state's steps, passes events on to `inner`.
struct Lane {
    probe: Arc<Probe>,
    inner: Option<Box<dyn Observer>>,
    /// The probed state was entered again: only its first visit is recorded.
    done: bool,
}

impl Observer for Lane {
    fn event(&mut self, id: u32, event: Event<'_>) {
        if let Event::StateEntered { state, input, .. } = &event {
            if *state == &*self.probe.state {
                let mut seen = lock(&self.probe.seen);
                match seen.input {
                    None => seen.input = Some((*input).clone()),
                    Some(_) => self.done = true,
                }
            }
        }
        if let Some(o) = &mut self.inner {
            o.event(id, event);
        }
    }

    fn child(&self) -> Option<Box<dyn Observer>> {
        self.inner.as_ref().and_then(|o| o.child())
    }

    fn last_event(&self) -> u32 {
        self.inner.as_ref().map_or(0, |o| o.last_event())
    }

    fn follow(&mut self, last: u32) {
        if let Some(o) = &mut self.inner {
            o.follow(last);
        }
    }

    fn ended(&self) {
        if let Some(o) = &self.inner {
            o.ended();
        }
    }

    fn defer_task_started(&mut self) -> Option<Handout> {
        self.inner.as_mut().and_then(|o| o.defer_task_started())
    }

    fn defer_task_submitted(&mut self, resource: &str) -> Option<Submission> {
        self.inner
            .as_mut()
            .and_then(|o| o.defer_task_submitted(resource))
    }

    fn wants_data_flow(&self) -> bool {
        true
    }

    fn data_flow(&mut self, state: &str, step: DataFlow<'_>) {
        if self.done || state != &*self.probe.state {
            return;
        }
        let mut seen = lock(&self.probe.seen);
        let (slot, v) = match step {
            DataFlow::AfterInputPath(v) => (&mut seen.after_input_path, v),
            DataFlow::AfterParameters(v) => (&mut seen.after_parameters, v),
            DataFlow::AfterArguments(v) => (&mut seen.after_arguments, v),
            DataFlow::Result(v) => (&mut seen.result, v),
            DataFlow::AfterResultSelector(v) => (&mut seen.after_result_selector, v),
            DataFlow::AfterResultPath(v) => (&mut seen.after_result_path, v),
            DataFlow::Variables(v) => (&mut seen.variables, v),
        };
        *slot = Some(v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::MachineType;
    use crate::engine::{Engine, StartRequest};
    use crate::json;

    fn engine() -> Engine {
        Engine::builder().worker_threads(1).build().unwrap()
    }

    /// A probe's observer passes every history event on: a kept execution's history is the
    /// same with a probe as without.
    #[test]
    fn a_probed_execution_keeps_its_whole_history() {
        let engine = engine();
        let def = r#"{"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"n": 1}, "Next": "B"},
            "B": {"Type": "Parallel", "Branches": [{"StartAt": "C", "States": {
                "C": {"Type": "Pass", "End": true}}}], "End": true}}}"#;
        engine
            .create_machine("h", def, MachineType::Standard)
            .unwrap();
        let history = |probe: Option<StateProbe>| {
            let mut req = StartRequest::new("h");
            if let Some(p) = probe {
                req = req.probe(p);
            }
            let h = engine.start_with_handle(req).unwrap();
            engine.handle().block_on(h.wait());
            let events: Vec<(u32, u32, &str)> = h
                .history()
                .iter()
                .map(|e| (e.id, e.previous_event_id, e.event_type))
                .collect();
            events
        };
        let plain = history(None);
        let probe = StateProbe::new("A");
        assert_eq!(history(Some(probe.clone())), plain);
        assert!(plain.len() >= 10, "{plain:?}");
        assert_eq!(probe.inspection().variables, Some(json!({"n": 1})));
    }

    /// Only the first visit of the probed state is recorded.
    #[test]
    fn a_state_visited_again_keeps_its_first_data_flow() {
        let engine = engine();
        let def = r#"{"StartAt": "L", "States": {
            "L": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 3, "Next": "L"}],
                  "Default": "E"},
            "E": {"Type": "Succeed"}}}"#;
        let spec = super::super::MachineSpec::new("loop", def, MachineType::Express);
        let probe = StateProbe::new("L");
        let req = StartRequest::new("loop")
            .input(json!({"i": 0}))
            .probe(probe.clone());
        let o = engine
            .handle()
            .block_on(engine.run_once(spec, req))
            .unwrap();
        assert_eq!(o.output, Some(json!({"i": 3})));
        let seen = probe.inspection();
        assert_eq!(seen.input, Some(json!({"i": 0})));
        assert_eq!(seen.after_parameters, Some(json!({"i": 1})));
    }

    /// Counts the data-flow steps it gets.
    struct Counting {
        wants: bool,
        steps: Arc<Mutex<usize>>,
    }

    impl Observer for Counting {
        fn event(&mut self, _id: u32, _event: Event<'_>) {}

        fn wants_data_flow(&self) -> bool {
            self.wants
        }

        fn data_flow(&mut self, _state: &str, _step: DataFlow<'_>) {
            *lock(&self.steps) += 1;
        }
    }

    /// The VM reports data-flow steps only to an observer that asked for them.
    #[test]
    fn data_flow_steps_go_only_to_an_observer_that_asks() {
        let def = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Parameters": {"x.$": "$.a"}, "ResultPath": "$.r", "End": true}}}"#;
        let m = crate::runtime::Machine::new(
            "m",
            def,
            MachineType::Express,
            &crate::runtime::Handlers::new(),
        )
        .unwrap();
        let count = |wants: bool| {
            let info = Arc::new(crate::vm::ExecutionInfo::anonymous("m", 0));
            let mut e = Execution::new(Arc::clone(m.program()), info, json!({"a": 1}));
            let steps = Arc::new(Mutex::new(0));
            e.set_observer(Box::new(Counting {
                wants,
                steps: Arc::clone(&steps),
            }));
            assert!(matches!(e.step(0), crate::vm::Step::Done(_)));
            let n = *lock(&steps);
            n
        };
        assert_eq!(count(false), 0);
        // afterInputPath, afterParameters, result, afterResultPath.
        assert_eq!(count(true), 4);
    }

    #[test]
    fn preset_variables_must_be_an_object_within_256_kib() {
        let e = StateProbe::new("S").variables(json!([1])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation);
        let big = Value::from("x".repeat(MAX_PRESET_VARIABLE_BYTES));
        let mut m = crate::value::Map::new();
        m.insert("big".into(), big);
        let e = StateProbe::new("S")
            .variables(Value::object(m))
            .unwrap_err();
        assert!(e.message().contains("maximum size"), "{e}");
    }
}
