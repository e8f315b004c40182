//! What a start asks for and what it answers: [`StartRequest`], [`SyncExecution`]
//! (StartSyncExecution's result) and [`StartedExecution`] (StartExecution's). The driving is
//! in `run.rs`.

use super::executions::ExecRecord;
use super::inspect::StateProbe;
use super::names::Input;
use crate::runtime::TaskHook;
use crate::value::{Map, Str, Value};
use crate::vm::{ExecutionInfo, Outcome};
use std::sync::Arc;

/// What to start: a machine (name or ARN), and optionally a name, an input and a trace header.
///
/// ```
/// use aslx::engine::StartRequest;
/// let req = StartRequest::new("orders").input_json(r#"{"id": 7}"#).name("order-7");
/// # let _ = req;
/// ```
#[derive(Clone, Debug)]
pub struct StartRequest<'a> {
    pub(super) machine: &'a str,
    pub(super) name: Option<&'a str>,
    pub(super) input: Input<'a>,
    pub(super) trace_header: Option<&'a str>,
    pub(super) hook: Option<Arc<dyn TaskHook>>,
    pub(super) probe: Option<StateProbe>,
}

impl<'a> StartRequest<'a> {
    /// Starts `machine` (its name or ARN) on `{}`, with a generated name.
    pub fn new(machine: &'a str) -> StartRequest<'a> {
        StartRequest {
            machine,
            name: None,
            input: Input::default(),
            trace_header: None,
            hook: None,
            probe: None,
        }
    }

    /// The input, as a value.
    pub fn input(mut self, input: Value) -> Self {
        self.input = Input::Value(input);
        self
    }

    /// The input, as JSON text (checked and parsed by the engine).
    pub fn input_json(mut self, text: &'a str) -> Self {
        self.input = Input::Json(text);
        self
    }

    /// The execution's name (default: a UUID).
    pub fn name(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }

    /// The X-Ray trace header, stored and echoed.
    pub fn trace_header(mut self, header: &'a str) -> Self {
        self.trace_header = Some(header);
        self
    }

    /// Answers this execution's Task calls before their handlers do (a mock test case, a
    /// scripted test): see [`TaskHook`].
    pub fn task_hook(mut self, hook: Arc<dyn TaskHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Presets variables and records one state's data flow (TestState): see [`StateProbe`].
    pub fn probe(mut self, probe: StateProbe) -> Self {
        self.probe = Some(probe);
        self
    }
}

/// StartSyncExecution's `billingDetails`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillingDetails {
    /// Duration rounded up to the next 100 ms (at least 100).
    pub billed_duration_ms: u64,
    /// Memory billed: 64 MB for the payloads this engine accepts.
    pub billed_memory_mb: u64,
}

/// The result of a sync execution (StartSyncExecution's response).
#[derive(Clone, Debug)]
pub struct SyncExecution {
    pub(super) info: Arc<ExecutionInfo>,
    /// `SUCCEEDED` with an output, or `FAILED` / `TIMED_OUT` with an error and cause.
    pub outcome: Outcome,
    /// Start, epoch milliseconds.
    pub start_ms: i64,
    /// End, epoch milliseconds.
    pub stop_ms: i64,
    /// The execution's input.
    pub input: Value,
    /// The trace header given at start.
    pub trace_header: Option<Str>,
}

impl SyncExecution {
    /// The express execution ARN.
    pub fn execution_arn(&self) -> &str {
        self.info.id()
    }

    /// The execution's name.
    pub fn name(&self) -> &str {
        self.info.name()
    }

    /// The machine's ARN.
    pub fn state_machine_arn(&self) -> &str {
        &self.info.machine_id
    }

    /// What AWS would bill.
    pub fn billing(&self) -> BillingDetails {
        let ms = (self.stop_ms - self.start_ms).max(1) as u64;
        BillingDetails {
            billed_duration_ms: ms.div_ceil(100) * 100,
            billed_memory_mb: 64,
        }
    }

    /// StartSyncExecution's response body (`output`, `input` as JSON text; dates in seconds).
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(14);
        let o = &self.outcome;
        m.insert("executionArn".into(), Value::String(self.info.id().clone()));
        m.insert(
            "stateMachineArn".into(),
            Value::String(self.info.machine_id.clone()),
        );
        m.insert("name".into(), Value::String(self.info.name().clone()));
        m.insert("startDate".into(), seconds(self.start_ms));
        m.insert("stopDate".into(), seconds(self.stop_ms));
        m.insert("status".into(), Value::string(o.status.as_str()));
        if let Some(e) = &o.error {
            m.insert("error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &o.cause {
            m.insert("cause".into(), Value::from(c.as_str()));
        }
        m.insert("input".into(), Value::from(self.input.to_json()));
        m.insert("inputDetails".into(), included());
        if let Some(out) = &o.output {
            m.insert("output".into(), Value::from(out.to_json()));
            m.insert("outputDetails".into(), included());
        }
        if let Some(t) = &self.trace_header {
            m.insert("traceHeader".into(), Value::String(t.clone()));
        }
        let b = self.billing();
        let mut bm = Map::with_capacity(2);
        bm.insert(
            "billedMemoryUsedInMB".into(),
            Value::Int(b.billed_memory_mb as i64),
        );
        bm.insert(
            "billedDurationInMilliseconds".into(),
            Value::Int(b.billed_duration_ms as i64),
        );
        m.insert("billingDetails".into(), Value::object(bm));
        Value::object(m)
    }
}

/// An async execution, accepted (StartExecution's response).
#[derive(Clone, Debug)]
pub struct StartedExecution {
    pub(super) info: Arc<ExecutionInfo>,
    /// Start, epoch milliseconds.
    pub start_ms: i64,
}

impl StartedExecution {
    pub(super) fn of(rec: &ExecRecord) -> StartedExecution {
        StartedExecution {
            info: Arc::clone(&rec.info),
            start_ms: rec.info.start_ms,
        }
    }

    /// The execution ARN (express form for EXPRESS machines).
    pub fn execution_arn(&self) -> &str {
        self.info.id()
    }

    /// The execution's name.
    pub fn name(&self) -> &str {
        self.info.name()
    }

    /// StartExecution's response body.
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(2);
        m.insert("executionArn".into(), Value::String(self.info.id().clone()));
        m.insert("startDate".into(), seconds(self.start_ms));
        Value::object(m)
    }
}

fn seconds(ms: i64) -> Value {
    Value::Float(ms as f64 / 1000.0)
}

fn included() -> Value {
    let mut m = Map::with_capacity(1);
    m.insert("included".into(), Value::Bool(true));
    Value::object(m)
}
