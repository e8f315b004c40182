//! What a Task asks of the runtime, and what comes back.
//!
//! The VM never calls a handler itself: it returns a [`TaskCall`] and is resumed with a
//! [`TaskOutcome`]. Shaping of the integration (the Lambda invoke envelope, error payloads as
//! causes) happens here, on the VM's side, so every driver gets AWS's shapes for free.

use super::observe::{Handout, Submission};
use super::token::TokenId;
use crate::compile::TaskId;
use crate::value::{write_json, write_json_python, Map, Str, Value};

/// The error a task handler reports: an error name and a cause, as Step Functions shows them.
///
/// ```
/// use aslx::TaskError;
/// let e = TaskError::new("CustomError", "custom failure");
/// assert_eq!(e.error(), "CustomError");
/// assert_eq!(e.cause(), Some("custom failure"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TaskError {
    error: Str,
    cause: Option<String>,
    /// A Lambda error payload; rendered as the cause in the integration's own spelling.
    payload: Option<Value>,
}

impl TaskError {
    /// An error with a name and a cause.
    pub fn new(error: impl Into<Str>, cause: impl Into<String>) -> TaskError {
        TaskError {
            error: error.into(),
            cause: Some(cause.into()),
            payload: None,
        }
    }

    /// An error with a name and no cause.
    pub fn without_cause(error: impl Into<Str>) -> TaskError {
        TaskError {
            error: error.into(),
            cause: None,
            payload: None,
        }
    }

    /// A Lambda function's unhandled exception, as the Lambda service reports it: the error
    /// name is `error_type` and the cause is the error payload
    /// `{"errorMessage", "errorType", "requestId", "stackTrace"}` (ERR-5).
    pub fn lambda(error_type: &str, message: &str) -> TaskError {
        let mut m = Map::with_capacity(4);
        m.insert("errorMessage".into(), Value::string(message));
        m.insert("errorType".into(), Value::string(error_type));
        m.insert(
            "requestId".into(),
            Value::from(uuid::Uuid::new_v4().to_string()),
        );
        m.insert("stackTrace".into(), Value::array(Vec::new()));
        TaskError::lambda_payload(Value::object(m))
    }

    /// A Lambda error payload given whole; the name is its `errorType` (or `Lambda.Unknown`).
    pub fn lambda_payload(payload: Value) -> TaskError {
        let error = payload
            .get("errorType")
            .and_then(Value::as_shared_str)
            .cloned()
            .unwrap_or_else(|| Str::from("Lambda.Unknown"));
        TaskError {
            error,
            cause: None,
            payload: Some(payload),
        }
    }

    /// The error name.
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The cause, when given as text.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The cause as the integration prints it: a Lambda payload is JSON text, spaced the way
    /// Python prints it for a function ARN resource and compact for `lambda:invoke`.
    pub(crate) fn rendered_cause(&self, compact: bool) -> Option<String> {
        match &self.payload {
            Some(p) => {
                let mut s = String::new();
                if compact {
                    write_json(p, &mut s);
                } else {
                    write_json_python(p, &mut s);
                }
                Some(s)
            }
            None => self.cause.clone(),
        }
    }

    pub(crate) fn name(&self) -> &Str {
        &self.error
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rendered_cause(true) {
            Some(c) => write!(f, "{}: {}", self.error, c),
            None => f.write_str(&self.error),
        }
    }
}

impl std::error::Error for TaskError {}

/// Which handler a call goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallTarget {
    /// The handler linked to this Task site.
    Site(TaskId),
    /// A Lambda function chosen at run time by `FunctionName` (name or ARN).
    Function(Str),
}

/// A handler call the VM is waiting for.
#[derive(Clone, Debug)]
pub struct TaskCall {
    /// Which handler.
    pub target: CallTarget,
    /// The `Resource` string of the Task.
    pub resource: Str,
    /// The handler's input.
    pub input: Value,
    /// `TimeoutSeconds` of the Task, if any.
    pub timeout_seconds: Option<u64>,
    /// `HeartbeatSeconds` of the Task, if any.
    pub heartbeat_seconds: Option<u64>,
    /// For callback and activity Tasks, the token `$$.Task.Token` held and its id: the Task
    /// completes when the token does.
    pub task_token: Option<(TokenId, Str)>,
    /// What only some Tasks hand over ([`CallExtras`]); `None` for the others.
    pub(crate) extras: Option<Box<CallExtras>>,
}

/// What only some Tasks hand the driver, behind one pointer: every Task's call is moved from
/// the VM to the driver several times, so it stays small (120 bytes, these four inline made
/// it 176; callgrind, task3 through the engine).
#[derive(Clone, Debug, Default)]
pub(crate) struct CallExtras {
    /// For an activity Task whose observer deferred its `ActivityStarted`: what to call when
    /// a worker takes the work.
    pub(crate) started: Option<Handout>,
    /// For `lambda:invoke`, the Task's whole effective parameters (`FunctionName`,
    /// `Qualifier`, `InvocationType`, ...), which a Lambda endpoint needs besides the payload.
    pub(crate) request: Option<Value>,
    /// For a `.sync` Task whose observer deferred its `TaskSubmitted`: what to call once the
    /// job was started.
    pub(crate) submitted: Option<Submission>,
    /// For Tasks whose integration needs to know whose call it is (`events:putEvents` adds
    /// the machine's and the execution's ARNs to each event): the execution's identity.
    pub(crate) execution: Option<std::sync::Arc<crate::vm::ExecutionInfo>>,
    /// With `execution`: the Task state's name, its retries so far, and (set by the driver
    /// for a callback Task) its task token; what a handler's `CallInfo` tells.
    pub(crate) state: Option<Str>,
    pub(crate) retry_count: u32,
    pub(crate) token: Option<Str>,
}

impl CallExtras {
    /// The extras, boxed, when any is there.
    pub(crate) fn boxed(self) -> Option<Box<CallExtras>> {
        let any = self.started.is_some()
            || self.request.is_some()
            || self.submitted.is_some()
            || self.execution.is_some();
        any.then(|| Box::new(self))
    }
}

impl TaskCall {
    /// Takes the deferred `ActivityStarted`, if any.
    pub(crate) fn take_started(&mut self) -> Option<Handout> {
        self.extras.as_mut()?.started.take()
    }

    /// Takes the `lambda:invoke` request, if any.
    pub(crate) fn take_request(&mut self) -> Option<Value> {
        self.extras.as_mut()?.request.take()
    }

    /// Takes the deferred `TaskSubmitted`, if any.
    pub(crate) fn take_submitted(&mut self) -> Option<Submission> {
        self.extras.as_mut()?.submitted.take()
    }

    /// The extras of a call whose handler is told whose call it is, if this is one.
    pub(crate) fn call_info_extras(&mut self) -> Option<&mut CallExtras> {
        self.extras.as_deref_mut().filter(|x| x.execution.is_some())
    }
}

/// How a handler call ended.
#[derive(Clone, Debug)]
pub enum TaskOutcome {
    /// The handler returned a value.
    Ok(Value),
    /// The handler failed.
    Err(TaskError),
    /// `TimeoutSeconds` passed first.
    TimedOut,
    /// No heartbeat within `HeartbeatSeconds`.
    HeartbeatTimedOut,
    /// No handler by that function name (dynamic `lambda:invoke`).
    FunctionNotFound(Str),
    /// The Task's whole result, as its integration returns it: for `lambda:invoke` the
    /// invoke response itself (`StatusCode`, `Payload`, ...), not a function result for the
    /// VM to wrap. What a mock test case answers (Step Functions Local's behaviour).
    Whole(Value),
}

/// The `lambda:invoke` response envelope around a function result (RES-2).
pub(crate) fn invoke_envelope(payload: Value, log_tail: bool) -> Value {
    let mut body = String::new();
    write_json_python(&payload, &mut body);
    let request_id = Value::from(uuid::Uuid::new_v4().to_string());
    let date = Value::from(http_date());
    let trace = Value::from(format!(
        "Root=1-{:08x}-{}",
        now_secs(),
        &uuid::Uuid::new_v4().simple().to_string()[..24]
    ));
    let len = Value::from(body.len().to_string());
    // `LogType: Tail` returns the last 4 KB of the function's log, base64-encoded.
    let log_result = log_tail.then(|| {
        use base64::Engine as _;
        let rid = request_id.as_str().unwrap_or_default();
        Value::from(base64::engine::general_purpose::STANDARD.encode(format!(
            "START RequestId: {rid} Version: $LATEST\nEND RequestId: {rid}\nREPORT RequestId: {rid}\tDuration: 0.00 ms\n"
        )))
    });
    let mut headers: Vec<(&str, Value)> = vec![
        ("Connection", Value::string("keep-alive")),
        ("Content-Length", len),
        ("Content-Type", Value::string("application/json")),
        ("Date", date),
        ("X-Amz-Executed-Version", Value::string("$LATEST")),
        ("x-amzn-Remapped-Content-Length", Value::string("0")),
        ("x-amzn-RequestId", request_id.clone()),
        ("X-Amzn-Trace-Id", trace),
    ];
    if let Some(l) = &log_result {
        headers.push(("X-Amz-Log-Result", l.clone()));
    }
    let mut out = Map::with_capacity(6);
    out.insert("ExecutedVersion".into(), Value::string("$LATEST"));
    if let Some(l) = log_result {
        out.insert("LogResult".into(), l);
    }
    out.insert("Payload".into(), payload);
    let headers = headers.into_iter().map(|(k, v)| (Str::from(k), vec![v]));
    insert_sdk_metadata(&mut out, headers, 200, request_id);
    out.insert("StatusCode".into(), Value::Int(200));
    Value::object(out)
}

/// Adds the `SdkHttpMetadata` and `SdkResponseMetadata` members an optimised integration's
/// result carries: each header by name with all its values (`AllHttpHeaders`) and its last
/// (`HttpHeaders`), the status, and the request id. One builder for the in-process shapes
/// (the invoke envelope, a nested execution's start) and the answers of real endpoints.
pub(crate) fn insert_sdk_metadata(
    out: &mut Map,
    headers: impl ExactSizeIterator<Item = (Str, Vec<Value>)>,
    status: u16,
    request_id: Value,
) {
    let mut all = Map::with_capacity(headers.len());
    let mut single = Map::with_capacity(headers.len());
    for (name, values) in headers {
        if let Some(last) = values.last() {
            single.insert(Str::clone(&name), last.clone());
        }
        all.insert(name, Value::array(values));
    }
    let mut meta = Map::with_capacity(3);
    meta.insert("AllHttpHeaders".into(), Value::object(all));
    meta.insert("HttpHeaders".into(), Value::object(single));
    meta.insert("HttpStatusCode".into(), Value::Int(i64::from(status)));
    let mut resp = Map::with_capacity(1);
    resp.insert("RequestId".into(), request_id);
    out.insert("SdkHttpMetadata".into(), Value::object(meta));
    out.insert("SdkResponseMetadata".into(), Value::object(resp));
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RFC 1123 date, as in HTTP `Date` headers.
pub(crate) fn http_date() -> String {
    time::OffsetDateTime::from_unix_timestamp(now_secs() as i64)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .ok()
        })
        .unwrap_or_default()
}
