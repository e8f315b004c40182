//! Nested executions: a Task whose `Resource` is `arn:aws:states:::states:startExecution`
//! (request-response, `.sync`, `.sync:2`, `.waitForTaskToken`) starts an execution of a
//! machine of the same engine, as Step Functions' optimised integration with its own API does.
//!
//! The engine binds this integration for every pattern the user's [`Handlers`] leave unbound
//! (their own handler wins). It holds the engine's state weakly, so that machines, which hold
//! their handlers, do not keep the engine alive.
//!
//! | pattern | what the Task does | its result |
//! |---|---|---|
//! | request-response | starts the child, does not wait | `{ExecutionArn, SdkHttpMetadata, SdkResponseMetadata, StartDate}` |
//! | `.sync` | starts the child (`TaskSubmitted` records the start response) and waits for its end | the child's DescribeExecution, PascalCase, `Input`/`Output` as JSON text |
//! | `.sync:2` | the same | the same with `Input`/`Output` parsed |
//! | `.waitForTaskToken` | starts the child; the Task waits for its token | what SendTaskSuccess sends |
//!
//! A `.sync` child that does not succeed fails the Task with `States.TaskFailed` and the
//! child's DescribeExecution (as JSON text, `Input` as text) as the cause. A refused start is
//! `StepFunctions.<Code>Exception` with the SDK's cause text. When the waiting Task stops
//! waiting (StopExecution of the parent, its timeout, a Task `TimeoutSeconds`, a sibling
//! branch's failure), the child is stopped: it ends `ABORTED`.
//!
//! The parent is linked as on AWS: through the child's input, where a Task passes
//! `"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"`. AWS shows the link in
//! its console only (DescribeExecution and the history have no member for it), so the engine
//! keeps it in the input and nowhere else.

use super::error::EngineError;
use super::executions::{ExecutionHandle, ExecutionStatus};
use super::start::StartRequest;
use super::Shared;
use crate::asl::MachineType;
use crate::integrations::aws::{exception_name, AwsError};
use crate::runtime::{Handler, HandlerResult, Handlers};
use crate::value::{write_json, Map, Str, Value};
use crate::vm::{Status, TaskError};
use std::sync::{Arc, Weak};

/// The integration's resource, request-response.
pub(crate) const START_EXECUTION: &str = "arn:aws:states:::states:startExecution";

/// How the Task waits for the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    /// Request-response, and `.waitForTaskToken` (the driver waits for the token).
    Start,
    /// `.sync`: `Input` and `Output` as JSON text.
    Sync,
    /// `.sync:2`: `Input` and `Output` parsed.
    Sync2,
}

/// The handler of one pattern.
struct StartExecution {
    shared: Weak<Shared>,
    rt: tokio::runtime::Handle,
    pattern: Pattern,
}

/// Binds the integration in `handlers` for each pattern with no handler of the user's: the
/// engine's executions then start the engine's own machines.
pub(super) fn bind(handlers: &mut Handlers, shared: &Weak<Shared>, rt: &tokio::runtime::Handle) {
    // A `.waitForTaskToken` Task has no binding of its own: it uses the request-response
    // handler (`Machine::link`), the user's if they bound one, which starts the child; the
    // driver then waits for the token.
    let bindings = [
        (START_EXECUTION.to_string(), Pattern::Start),
        (format!("{START_EXECUTION}.sync"), Pattern::Sync),
        (format!("{START_EXECUTION}.sync:2"), Pattern::Sync2),
    ];
    for (resource, pattern) in bindings {
        if handlers.for_resource(&resource).is_none() {
            handlers.resource_handler(&resource, handler(shared, rt, pattern));
        }
    }
}

fn handler(shared: &Weak<Shared>, rt: &tokio::runtime::Handle, pattern: Pattern) -> StartExecution {
    StartExecution {
        shared: Weak::clone(shared),
        rt: rt.clone(),
        pattern,
    }
}

impl Handler for StartExecution {
    fn call(&self, input: Value) -> HandlerResult {
        HandlerResult::Ready(Err(match self.shared.upgrade() {
            None => TaskError::new("States.TaskFailed", "the engine has shut down"),
            Some(shared) => match read_request(&input) {
                Err(e) => service_error(&e),
                Ok(params) => return self.start(&shared, params),
            },
        }))
    }
}

/// The Task's parameters: `StateMachineArn`, `Input`, `Name` (others are ignored, as AWS
/// drops parameters an integration does not accept).
struct Params<'a> {
    arn: &'a str,
    input: Option<&'a Value>,
    name: Option<&'a str>,
}

fn read_request(input: &Value) -> Result<Params<'_>, EngineError> {
    let arn = match input.get("StateMachineArn") {
        Some(Value::String(s)) => &**s,
        Some(_) => return Err(not_a_string("stateMachineArn")),
        None => return Err(missing("stateMachineArn")),
    };
    // AWS's StartExecution takes ARNs only (the engine's own API also takes names).
    if !arn.starts_with("arn:") {
        super::names::parse_arn(arn)?;
    }
    let name = match input.get("Name") {
        Some(Value::String(s)) => Some(&**s),
        Some(Value::Null) | None => None,
        Some(_) => return Err(not_a_string("name")),
    };
    Ok(Params {
        arn,
        input: input.get("Input").filter(|v| !matches!(v, Value::Null)),
        name,
    })
}

impl StartExecution {
    fn start(&self, shared: &Arc<Shared>, p: Params<'_>) -> HandlerResult {
        let mut req = StartRequest::new(p.arn);
        if let Some(n) = p.name {
            req = req.name(n);
        }
        // `Input` as JSON text is the execution's input text; any other value is serialised.
        req = match p.input {
            Some(Value::String(text)) => req.input_json(text),
            Some(v) => req.input(v.clone()),
            None => req,
        };
        if self.pattern == Pattern::Start {
            let started = shared.start(&self.rt, req);
            return HandlerResult::Ready(match started {
                Ok(s) => Ok(start_response(s.execution_arn(), s.start_ms)),
                Err(e) => Err(service_error(&e)),
            });
        }
        let child = match shared.start_with_handle(&self.rt, req) {
            Ok(c) => c,
            Err(e) => return HandlerResult::Ready(Err(service_error(&e))),
        };
        // The start response is the Task's TaskSubmitted output, as AWS records it.
        let response = start_response(child.arn(), child.start_ms());
        let parsed = self.pattern == Pattern::Sync2;
        HandlerResult::Submitted(response, Box::pin(wait_child(child, parsed)))
    }
}

/// Waits for a `.sync` child's end; stops it if the wait is dropped first.
async fn wait_child(child: ExecutionHandle, parsed: bool) -> Result<Value, TaskError> {
    let child = StopOnDrop(child);
    let outcome = child.0.wait().await;
    if outcome.status == Status::Succeeded {
        return Ok(describe(&child.0, parsed));
    }
    // The cause is DescribeExecution's response in both versions: `Input` as JSON text.
    let mut cause = String::new();
    write_json(&describe(&child.0, false), &mut cause);
    Err(TaskError::new("States.TaskFailed", cause))
}

/// Stops the child when the Task stops waiting for it (once it ended, stopping changes
/// nothing).
struct StopOnDrop(ExecutionHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if self.0.status() == ExecutionStatus::Running {
            self.0.stop(None, None);
        }
    }
}

/// The child's DescribeExecution, as the integration returns it: PascalCase members in
/// alphabetical order, dates in epoch milliseconds, `Input`/`Output` as JSON text (or parsed
/// for `.sync:2`).
fn describe(child: &ExecutionHandle, parsed: bool) -> Value {
    let ended = child.outcome();
    let (outcome, stop_ms) = match &ended {
        Some((o, at)) => (Some(o), Some(*at)),
        None => (None, None),
    };
    let data = |v: Option<&Value>, text: Option<&str>| -> Value {
        match (parsed, v) {
            (true, Some(v)) => v.clone(),
            (_, Some(v)) => Value::from(text.map_or_else(|| v.to_json(), str::to_string)),
            (_, None) => Value::Null,
        }
    };
    let machine = child.machine();
    let mut m = Map::with_capacity(17);
    if let Some(c) = outcome.and_then(|o| o.cause.as_deref()) {
        m.insert("Cause".into(), Value::from(c));
    }
    if let Some(e) = outcome.and_then(|o| o.error.clone()) {
        m.insert("Error".into(), Value::String(e));
    }
    m.insert("ExecutionArn".into(), Value::string(child.arn()));
    m.insert(
        "Input".into(),
        data(Some(child.input()), Some(child.input_text())),
    );
    m.insert("InputDetails".into(), included());
    m.insert("Name".into(), Value::string(child.name()));
    if let Some(out) = outcome.and_then(|o| o.output.as_ref()) {
        m.insert("Output".into(), data(Some(out), None));
        m.insert("OutputDetails".into(), included());
    }
    // Redrive is a STANDARD feature: what AWS's DescribeExecution says of an ended execution.
    if machine.machine_type == MachineType::Standard {
        m.insert(
            "RedriveCount".into(),
            Value::Int(child.redrive_count() as i64),
        );
        let succeeded = outcome.is_some_and(|o| o.status == Status::Succeeded);
        let status = if succeeded {
            "NOT_REDRIVABLE"
        } else {
            "REDRIVABLE"
        };
        m.insert("RedriveStatus".into(), Value::string(status));
        if succeeded {
            m.insert(
                "RedriveStatusReason".into(),
                Value::string("Execution is SUCCEEDED and cannot be redriven"),
            );
        }
    }
    m.insert("StartDate".into(), Value::Int(child.start_ms()));
    if let Some(a) = &machine.alias_arn {
        m.insert("StateMachineAliasArn".into(), Value::String(a.clone()));
    }
    m.insert("StateMachineArn".into(), Value::String(machine.arn.clone()));
    if let Some(v) = &machine.version_arn {
        m.insert("StateMachineVersionArn".into(), Value::String(v.clone()));
    }
    m.insert("Status".into(), Value::string(child.status().as_str()));
    if let Some(at) = stop_ms {
        m.insert("StopDate".into(), Value::Int(at));
    }
    Value::object(m)
}

fn included() -> Value {
    let mut m = Map::with_capacity(1);
    m.insert("Included".into(), Value::Bool(true));
    Value::object(m)
}

/// StartExecution's response as the optimised integration returns it: the SDK's members and
/// HTTP metadata (whose `Content-Length` is that of the response on the wire).
fn start_response(arn: &str, start_ms: i64) -> Value {
    let mut wire = Map::with_capacity(2);
    wire.insert("executionArn".into(), Value::string(arn));
    wire.insert("startDate".into(), Value::Float(start_ms as f64 / 1000.0));
    let body = Value::object(wire);
    let request_id = Value::from(uuid::Uuid::new_v4().to_string());
    let headers: [(&str, Value); 5] = [
        ("Connection", Value::string("keep-alive")),
        (
            "Content-Length",
            Value::from(body.to_json().len().to_string()),
        ),
        ("Content-Type", Value::string("application/x-amz-json-1.0")),
        ("Date", Value::from(crate::vm::http_date())),
        ("x-amzn-RequestId", request_id.clone()),
    ];
    let mut m = Map::with_capacity(4);
    m.insert("ExecutionArn".into(), Value::string(arn));
    let headers = headers.into_iter().map(|(k, v)| (Str::from(k), vec![v]));
    crate::vm::insert_sdk_metadata(&mut m, headers, 200, request_id);
    m.insert("StartDate".into(), Value::Int(start_ms));
    Value::object(m)
}

/// A refused start as the integration reports it: `StepFunctions.<Code>Exception`, the cause
/// as the AWS SDK for Java words a service error (the optimised integrations' own wording).
fn service_error(e: &EngineError) -> TaskError {
    let err = AwsError {
        status: e.http_status(),
        code: e.code().to_string(),
        message: e.message().to_string(),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let name = format!("StepFunctions.{}", exception_name(&err.code));
    TaskError::new(name, err.cause("AWSStepFunctions"))
}

fn missing(member: &str) -> EngineError {
    EngineError::new(
        super::ErrorKind::Validation,
        format!("1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"),
    )
}

fn not_a_string(member: &str) -> EngineError {
    EngineError::new(
        super::ErrorKind::Validation,
        format!("1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must be a string"),
    )
}
