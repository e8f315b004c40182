//! Task handlers: Rust functions, sync or async, registered by `Resource` string or by Lambda
//! function name (RES-10).
//!
//! A handler returns [`HandlerResult::Ready`] when it has its answer at once — the common case
//! for in-process work, which then costs no allocation and no task switch — or
//! [`HandlerResult::Pending`] with a future. Panics are caught by the driver and become task
//! failures; they never take the engine down.

use super::typed::{Typed, TypedFn};
use crate::compile::resource::{classify, ResourceKind};
use crate::integrations::command::{resolve_program, CommandHandler};
use crate::integrations::s3::dir::DirStore;
use crate::integrations::s3::rest::RestStore;
use crate::integrations::s3::ObjectStore;
use crate::integrations::worker::WorkerHandler;
use crate::integrations::Integrations;
use crate::value::{Str, Value};
use crate::vm::{ExecutionInfo, TaskError};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed handler future.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Value, TaskError>> + Send>>;

/// What a handler gives back.
pub enum HandlerResult {
    /// The answer, now.
    Ready(Result<Value, TaskError>),
    /// The answer, later.
    Pending(HandlerFuture),
    /// A job was started (the `.sync` pattern): the first value is the response of the call
    /// that started it (the Task's `TaskSubmitted` output), the future the job's outcome (the
    /// Task's result). For other Tasks, the same as `Pending`.
    Submitted(Value, HandlerFuture),
}

impl std::fmt::Debug for HandlerResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandlerResult::Ready(r) => f.debug_tuple("Ready").field(r).finish(),
            HandlerResult::Pending(_) => f.write_str("Pending(..)"),
            HandlerResult::Submitted(v, _) => f.debug_tuple("Submitted").field(v).finish(),
        }
    }
}

/// Something a Task state can call.
pub trait Handler: Send + Sync + 'static {
    /// Runs the task on its input.
    fn call(&self, input: Value) -> HandlerResult;

    /// Runs the task on its input, knowing the execution it runs for. Called instead of
    /// [`Handler::call`] only for Tasks whose integration needs the execution's identity
    /// (`events:putEvents`, which adds the machine's and the execution's ARNs to each event);
    /// by default the identity is ignored.
    fn call_for(&self, input: Value, execution: &ExecutionInfo) -> HandlerResult {
        let _ = execution;
        self.call(input)
    }

    /// Whether this handler wants to know whose call it answers: then the Tasks linked to it
    /// are called through [`Handler::call_with`]. Asked once, when a machine is linked; the
    /// Tasks of handlers that say no pay nothing for it.
    fn wants_call_info(&self) -> bool {
        false
    }

    /// Runs the task on its input, knowing the execution, the state, the attempt and the
    /// task token ([`CallInfo`]). Called instead of [`Handler::call`] for the Tasks of a
    /// handler whose [`Handler::wants_call_info`] says so (and of `events:putEvents`); by
    /// default, [`Handler::call_for`].
    fn call_with(&self, input: Value, info: &CallInfo<'_>) -> HandlerResult {
        self.call_for(input, info.execution())
    }
}

/// Whose call a handler answers ([`Handler::call_with`]), borrowed for the call.
#[derive(Clone, Copy, Debug)]
pub struct CallInfo<'a> {
    pub(crate) execution: &'a Arc<ExecutionInfo>,
    pub(crate) state: &'a str,
    pub(crate) retry_count: u32,
    pub(crate) task_token: Option<&'a str>,
}

impl<'a> CallInfo<'a> {
    /// The execution.
    pub fn execution(&self) -> &'a Arc<ExecutionInfo> {
        self.execution
    }

    /// The Task state's name.
    pub fn state_name(&self) -> &'a str {
        self.state
    }

    /// Retries of this Task so far (`$$.State.RetryCount`).
    pub fn retry_count(&self) -> u32 {
        self.retry_count
    }

    /// The task token, for a `.waitForTaskToken` Task.
    pub fn task_token(&self) -> Option<&'a str> {
        self.task_token
    }
}

struct SyncFn<F>(F);
impl<F> Handler for SyncFn<F>
where
    F: Fn(Value) -> Result<Value, TaskError> + Send + Sync + 'static,
{
    fn call(&self, input: Value) -> HandlerResult {
        HandlerResult::Ready((self.0)(input))
    }
}

struct AsyncFn<F>(F);
impl<F, Fut> Handler for AsyncFn<F>
where
    F: Fn(Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, TaskError>> + Send + 'static,
{
    fn call(&self, input: Value) -> HandlerResult {
        HandlerResult::Pending(Box::pin((self.0)(input)))
    }
}

/// The handlers a machine's Task states can be linked to.
///
/// ```
/// use aslx::{Handlers, TaskError, Value};
/// let mut h = Handlers::new();
/// h.function("add", |v: Value| {
///     let a = v.get("a").and_then(Value::as_i64).unwrap_or(0);
///     let b = v.get("b").and_then(Value::as_i64).unwrap_or(0);
///     Ok(aslx::json!({"sum": a + b}))
/// });
/// h.resource_async("arn:aws:states:::sqs:sendMessage", |_v: Value| async {
///     Err(TaskError::new("SQS.QueueDoesNotExist", "no such queue"))
/// });
/// ```
#[derive(Clone, Default)]
pub struct Handlers {
    exact: HashMap<Str, Arc<dyn Handler>>,
    functions: HashMap<Str, Arc<dyn Handler>>,
    unbound: Option<Arc<UnboundFn>>,
    /// Where distributed Maps read items and write results (`ItemReader`, `ResultWriter`).
    s3: Option<Arc<dyn ObjectStore>>,
    /// What serves resources no handler here serves, when it can reach them.
    integrations: Option<Arc<Integrations>>,
    /// Whether a handler here opens sockets on the caller's runtime (an `http:` handler;
    /// integrations count too), which then needs an I/O driver.
    sockets: bool,
}

/// What [`Handlers::unbound`] answers with: the resource and the Task's input.
type UnboundFn = dyn Fn(&str, Value) -> Result<Value, TaskError> + Send + Sync;

/// A resource with no handler of its own, served by [`Handlers::unbound`].
struct Unbound {
    resource: Str,
    f: Arc<UnboundFn>,
}

impl Handler for Unbound {
    fn call(&self, input: Value) -> HandlerResult {
        HandlerResult::Ready((self.f)(&self.resource, input))
    }
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("resources", &self.exact.keys().collect::<Vec<_>>())
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .field("unbound", &self.unbound.is_some())
            .field("s3", &self.s3)
            .field("integrations", &self.integrations)
            .finish()
    }
}

const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Handlers>();
};

impl Handlers {
    /// No handlers.
    pub fn new() -> Handlers {
        Handlers::default()
    }

    /// Serves distributed Maps' S3 calls (`ItemReader`, `ResultWriter`) from the directory
    /// `dir`: bucket `b` is the subdirectory `dir/b` (it must exist), key `k/x.csv` the
    /// file `dir/b/k/x.csv`. Keys with `..`, `.` or absolute paths are refused. What
    /// `aslx run --s3-dir DIR` and `aslx serve --s3-dir DIR` configure.
    ///
    /// ```
    /// use aslx::{Handlers, Machine, MachineType, Status};
    /// let dir = std::env::temp_dir().join(format!("aslx-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(dir.join("in")).unwrap();
    /// std::fs::write(dir.join("in/nums.json"), "[1, 2, 3]").unwrap();
    /// let def = r#"{"StartAt": "M", "States": {"M": {"Type": "Map",
    ///   "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
    ///     "ReaderConfig": {"InputType": "JSON"},
    ///     "Parameters": {"Bucket": "in", "Key": "nums.json"}},
    ///   "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
    ///     "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
    ///   "End": true}}}"#;
    /// let mut h = Handlers::new();
    /// h.s3_dir(&dir);
    /// let m = Machine::new("m", def, MachineType::Standard, &h).unwrap();
    /// let out = m.run_blocking(aslx::json!({}));
    /// assert_eq!(out.status, Status::Succeeded);
    /// assert_eq!(out.output.unwrap().to_json(), "[1,2,3]");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn s3_dir(&mut self, dir: impl Into<std::path::PathBuf>) -> &mut Self {
        self.s3 = Some(Arc::new(DirStore::new(dir)));
        self
    }

    /// The S3 backend of distributed Maps, if one is configured: the directory of
    /// [`Handlers::s3_dir`], else the S3 endpoint of [`Handlers::integrations`].
    pub(crate) fn s3(&self) -> Option<Arc<dyn ObjectStore>> {
        if let Some(s) = &self.s3 {
            return Some(Arc::clone(s));
        }
        let i = self.integrations.as_ref()?;
        i.endpoints().get("s3")?;
        Some(Arc::new(RestStore::new(Arc::clone(i))))
    }

    /// Registers a handler under an exact `Resource` string.
    pub fn resource_handler(&mut self, resource: &str, h: impl Handler) -> &mut Self {
        self.exact.insert(Str::from(resource), Arc::new(h));
        self
    }

    /// Registers a synchronous function under an exact `Resource` string.
    pub fn resource<F>(&mut self, resource: &str, f: F) -> &mut Self
    where
        F: Fn(Value) -> Result<Value, TaskError> + Send + Sync + 'static,
    {
        self.resource_handler(resource, SyncFn(f))
    }

    /// Registers an async function under an exact `Resource` string.
    pub fn resource_async<F, Fut>(&mut self, resource: &str, f: F) -> &mut Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, TaskError>> + Send + 'static,
    {
        self.resource_handler(resource, AsyncFn(f))
    }

    /// Registers a Lambda function by name: Tasks whose `Resource` is the function's ARN (any
    /// region, account or qualifier) and `lambda:invoke` Tasks whose `FunctionName` names it
    /// (by name or ARN) call it.
    pub fn function_handler(&mut self, name: &str, h: impl Handler) -> &mut Self {
        self.functions
            .insert(Str::from(function_name(name)), Arc::new(h));
        self
    }

    /// Registers a synchronous Lambda function by name.
    pub fn function<F>(&mut self, name: &str, f: F) -> &mut Self
    where
        F: Fn(Value) -> Result<Value, TaskError> + Send + Sync + 'static,
    {
        self.function_handler(name, SyncFn(f))
    }

    /// Registers an async Lambda function by name.
    pub fn function_async<F, Fut>(&mut self, name: &str, f: F) -> &mut Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, TaskError>> + Send + 'static,
    {
        self.function_handler(name, AsyncFn(f))
    }

    /// Registers a typed function, sync or async, under the exact `Resource` string `name`
    /// and as the Lambda function of that name: the Task's input is read into the function's
    /// argument (serde, no text in between) and its result turned back into a value. An
    /// input that does not fit fails the Task with `States.TaskFailed` and a cause naming the
    /// member and the expected type (wrap the function in [`Typed`] with
    /// [`Typed::input_error`] to name another error). A function that takes a
    /// [`TaskContext`](super::TaskContext) as second argument gets the execution ARN, the
    /// state, the attempt, the task token and a cancellation future.
    ///
    /// ```
    /// use aslx::{json, Handlers, Machine, MachineType, Status, TaskError};
    /// #[derive(serde::Deserialize)]
    /// struct Order { id: u64, amount: u32 }
    /// #[derive(serde::Serialize)]
    /// struct Receipt { order: u64, charged: u32 }
    ///
    /// let mut h = Handlers::new();
    /// h.typed("charge", |o: Order| async move {
    ///     Ok::<_, TaskError>(Receipt { order: o.id, charged: o.amount })
    /// });
    /// let def = r#"{"StartAt": "Charge", "States": {"Charge": {"Type": "Task",
    ///     "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": true}}}"#;
    /// let m = Machine::new("m", def, MachineType::Express, &h).unwrap();
    /// let ok = m.run_blocking(json!({"id": 7, "amount": 30}));
    /// assert_eq!(ok.output.unwrap().to_json(), r#"{"order":7,"charged":30}"#);
    ///
    /// let bad = m.run_blocking(json!({"id": 7, "amount": "thirty"}));
    /// assert_eq!(bad.status, Status::Failed);
    /// assert_eq!(bad.error.as_deref(), Some("States.TaskFailed"));
    /// assert!(bad.cause.unwrap().ends_with(
    ///     r#"Order: at $.amount: invalid type: string "thirty", expected u32"#));
    /// ```
    pub fn typed<F, M>(&mut self, name: &str, f: F) -> &mut Self
    where
        F: TypedFn<M>,
        M: 'static,
    {
        self.bind(name, Arc::new(Typed::new(f)));
        self
    }

    /// Registers one handler under an exact `Resource` string and as the Lambda function of
    /// that name (what a handler spec does).
    pub(crate) fn bind(&mut self, name: &str, h: Arc<dyn Handler>) {
        self.exact.insert(Str::from(name), Arc::clone(&h));
        self.functions.insert(Str::from(function_name(name)), h);
    }

    /// Runs a local program once per call: under the exact `Resource` string `resource` and as
    /// the Lambda function of that name (like a `RESOURCE=command:PROGRAM ARGS...` spec).
    ///
    /// The program gets the Task's input as JSON on stdin and the environment plus
    /// `ASLX_RESOURCE`; exiting 0, its stdout (JSON) is the result. A non-zero exit fails the
    /// Task: as a Lambda function error when stdout is `{"errorType": ..., "errorMessage":
    /// ...}` (the error is `errorType`, the cause the Lambda error payload as JSON text), else
    /// `States.TaskFailed` naming the exit status with the tail of stderr. More than 256 KiB
    /// of stdout is `States.DataLimitExceeded`. A call abandoned by a Task timeout, a heartbeat
    /// timeout or the end of its execution kills the program's process group.
    ///
    /// ```
    /// use aslx::{json, Handlers, Machine, MachineType, Status};
    /// let mut h = Handlers::new();
    /// // `sh -c SCRIPT`: here the script ignores its input and prints a result.
    /// h.command("greet", "sh", ["-c", r#"echo '{"greeting": "hello"}'"#]).unwrap();
    /// let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
    ///     "Resource": "arn:aws:lambda:us-east-1:123456789012:function:greet", "End": true}}}"#;
    /// let m = Machine::new("m", def, MachineType::Express, &h).unwrap();
    /// let o = m.run_blocking(json!({}));
    /// assert_eq!(o.status, Status::Succeeded);
    /// assert_eq!(o.output.unwrap(), json!({"greeting": "hello"}));
    /// ```
    ///
    /// # Errors
    ///
    /// When `program` is not found on `PATH` (or at its path) or is not executable.
    pub fn command<I, S>(
        &mut self,
        resource: &str,
        program: &str,
        args: I,
    ) -> Result<&mut Self, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bind_program(resource, program, args, |r, p, a| {
            Arc::new(CommandHandler::new(r, p, a))
        })
    }

    /// Sends every call to one long-lived process speaking JSON lines, started on the first
    /// call and restarted when it dies: under the exact `Resource` string `resource` and as
    /// the Lambda function of that name (like a `RESOURCE=worker:PROGRAM ARGS...` spec).
    ///
    /// aslx writes `{"id": N, "input": INPUT}` lines to the worker's stdin; it answers each
    /// with `{"id": N, "output": RESULT}` or `{"id": N, "error": {"errorType": ...,
    /// "errorMessage": ...}}` on stdout, in any order (calls are pipelined). Its stderr is
    /// copied to this process's stderr, prefixed with `[RESOURCE]`. The worker should exit
    /// when its stdin ends; it is killed when the last clone of these handlers is dropped.
    ///
    /// ```
    /// use aslx::{json, Handlers, Machine, MachineType, Status};
    /// let mut h = Handlers::new();
    /// // A one-line worker: answers every call with its input.
    /// let echo = r#"import sys, json
    /// for line in sys.stdin:
    ///     call = json.loads(line)
    ///     print(json.dumps({"id": call["id"], "output": call["input"]}), flush=True)"#;
    /// h.worker("echo", "python3", ["-c", echo]).unwrap();
    /// let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
    ///     "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo", "End": true}}}"#;
    /// let m = Machine::new("m", def, MachineType::Express, &h).unwrap();
    /// let o = m.run_blocking(json!({"n": 1}));
    /// assert_eq!(o.status, Status::Succeeded);
    /// assert_eq!(o.output.unwrap(), json!({"n": 1}));
    /// ```
    ///
    /// # Errors
    ///
    /// When `program` is not found on `PATH` (or at its path) or is not executable.
    pub fn worker<I, S>(
        &mut self,
        resource: &str,
        program: &str,
        args: I,
    ) -> Result<&mut Self, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bind_program(resource, program, args, |r, p, a| {
            Arc::new(WorkerHandler::new(r, p, a))
        })
    }

    /// What [`Handlers::command`] and [`Handlers::worker`] share: the program must exist
    /// now (a typo fails here, not at the first call), then `make` builds the handler.
    fn bind_program<I, S>(
        &mut self,
        resource: &str,
        program: &str,
        args: I,
        make: fn(&str, &str, Vec<String>) -> Arc<dyn Handler>,
    ) -> Result<&mut Self, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        resolve_program(program)?;
        let args = args.into_iter().map(Into::into).collect();
        self.bind(resource, make(resource, program, args));
        Ok(self)
    }

    /// The handler for a Task `Resource`: the exact string first, then a Lambda function ARN's
    /// function name.
    pub fn for_resource(&self, resource: &str) -> Option<&Arc<dyn Handler>> {
        if let Some(h) = self.exact.get(resource) {
            return Some(h);
        }
        match classify(resource) {
            ResourceKind::LambdaFunction { name } => self.functions.get(name.as_str()),
            // `arn:aws:states:<region>:<account>:sns:publish` is served by the handler bound
            // to `arn:aws:states:::sns:publish` (the region and account route nothing: see
            // `compile::resource::classify`).
            ResourceKind::Service { .. } => {
                let parts: Vec<&str> = resource.splitn(6, ':').collect();
                match parts.as_slice() {
                    [arn, partition, states, region, account, rest]
                        if !region.is_empty() && !account.is_empty() =>
                    {
                        let bare = format!("{arn}:{partition}:{states}:::{rest}");
                        self.exact.get(bare.as_str())
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Serves every Task resource that has no handler of its own: `f` gets the resource and
    /// the input. Without it, linking a machine with such a resource fails
    /// (`MachineError::UnknownResource`); `aslx serve` uses it to accept any resource, as AWS
    /// does, and fail the Task with an explanation.
    ///
    /// ```
    /// use aslx::{json, Handlers, Machine, MachineType, Status, TaskError};
    /// let mut h = Handlers::new();
    /// h.unbound(|resource, _input| Err(TaskError::new("NotBound", resource)));
    /// let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
    ///     "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}"#;
    /// let m = Machine::new("m", def, MachineType::Express, &h).unwrap();
    /// let o = m.run_blocking(json!({}));
    /// assert_eq!(o.status, Status::Failed);
    /// assert_eq!(o.error.as_deref(), Some("NotBound"));
    /// assert_eq!(o.cause.as_deref(), Some("arn:aws:states:::sqs:sendMessage"));
    /// ```
    pub fn unbound<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn(&str, Value) -> Result<Value, TaskError> + Send + Sync + 'static,
    {
        self.unbound = Some(Arc::new(f));
        self
    }

    /// Serves resources that no handler here serves with [`Integrations`]: Lambda functions
    /// and AWS services at their endpoints, the HTTP Task. A handler of this set always wins;
    /// a resource neither serves is refused when a machine is linked (or given to
    /// [`Handlers::unbound`], if set).
    ///
    /// ```
    /// use aslx::integrations::{AwsCredentials, Endpoints, Integrations};
    /// use aslx::{Handlers, Machine, MachineError, MachineType};
    /// let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
    ///     "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}}"#;
    /// let mut h = Handlers::new();
    /// h.integrations(Integrations::new(Endpoints::new(), AwsCredentials::default()));
    /// // No Lambda endpoint: the machine is refused, and the error says what would bind it.
    /// let err = Machine::new("m", def, MachineType::Express, &h).unwrap_err();
    /// assert!(err.to_string().contains("--endpoint lambda=URL"), "{err}");
    /// ```
    pub fn integrations(&mut self, integrations: Integrations) -> &mut Self {
        self.integrations = Some(Arc::new(integrations));
        self
    }

    /// Whether a function handler here wants [`CallInfo`]: then `lambda:invoke` Tasks, whose
    /// function is chosen per call, are given it.
    pub(crate) fn functions_want_call_info(&self) -> bool {
        self.functions.values().any(|h| h.wants_call_info())
    }

    /// Whether the runtime these handlers are called on needs an I/O driver: they call
    /// endpoints (`command:` and `worker:` programs run on a runtime of their own).
    pub(crate) fn needs_io(&self) -> bool {
        self.sockets || self.integrations.is_some()
    }

    /// Marks these handlers as opening sockets on the caller's runtime ([`Handlers::needs_io`]).
    pub(crate) fn uses_sockets(&mut self) {
        self.sockets = true;
    }

    /// The integrations set with [`Handlers::integrations`].
    pub(crate) fn integrations_ref(&self) -> Option<&Arc<Integrations>> {
        self.integrations.as_ref()
    }

    /// The integration that serves `resource`, when one is set and can.
    pub(crate) fn for_integration(&self, resource: &str) -> Option<Arc<dyn Handler>> {
        self.integrations.as_ref()?.handler_for(resource)
    }

    /// The [`Handlers::unbound`] handler bound to `resource`, if one is set.
    pub(crate) fn for_unbound(&self, resource: &str) -> Option<Arc<dyn Handler>> {
        let f = Arc::clone(self.unbound.as_ref()?);
        Some(Arc::new(Unbound {
            resource: Str::from(resource),
            f,
        }))
    }

    /// The Lambda function a `FunctionName` names (name, ARN or partial ARN).
    pub fn for_function(&self, function_name_or_arn: &str) -> Option<&Arc<dyn Handler>> {
        self.functions.get(function_name(function_name_or_arn))
    }
}

/// The bare function name of `name`, `arn:...:function:name[:qualifier]` or
/// `account:function:name`.
fn function_name(s: &str) -> &str {
    let rest = match s.find(":function:") {
        Some(i) => &s[i + ":function:".len()..],
        None => s,
    };
    rest.split(':').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn res_1_function_names_from_any_form() {
        assert_eq!(function_name("f"), "f");
        assert_eq!(function_name("f:PROD"), "f");
        assert_eq!(function_name("arn:aws:lambda:us-east-1:1:function:f"), "f");
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:1:function:f:3"),
            "f"
        );
        assert_eq!(function_name("1:function:f"), "f");
    }
}
