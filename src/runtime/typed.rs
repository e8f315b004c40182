//! Typed handlers: a Rust function of serde types as a Task handler ([`Handlers::typed`]).
//!
//! The Task's input is read into the function's argument type with [`from_value`] (no text in
//! between); a mismatch fails the Task with `States.TaskFailed` (or the name given with
//! [`Typed::input_error`]) and a cause naming the member and the expected type. The result is
//! turned back with [`to_value`]. A function that takes a [`TaskContext`] as its second
//! argument also learns whose call it is: the execution, the state, the attempt, the task
//! token, and a future that fires when the execution stops waiting for the call.
//!
//! Sync or async is told apart by the function's return type (a `Result`, or a future of
//! one), through the marker type parameter of [`TypedFn`], which the compiler infers.
//!
//! [`Handlers::typed`]: super::Handlers::typed

use super::handler::{CallInfo, Handler, HandlerResult};
use crate::value::{from_value, to_value, Str, Value};
use crate::vm::{ExecutionInfo, TaskError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A handler made of a typed function: see [`Handlers::typed`](super::Handlers::typed).
///
/// ```
/// use aslx::{Handlers, TaskError, Typed};
/// #[derive(serde::Deserialize)]
/// struct Order { amount: u32 }
/// let mut h = Handlers::new();
/// h.function_handler(
///     "charge",
///     Typed::new(|o: Order| Ok::<_, TaskError>(o.amount * 2)).input_error("Order.Invalid"),
/// );
/// ```
pub struct Typed<F, M> {
    f: F,
    input_error: Str,
    _marker: PhantomData<fn() -> M>,
}

impl<F, M> std::fmt::Debug for Typed<F, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Typed")
            .field("fn", &std::any::type_name::<F>())
            .field("input_error", &self.input_error)
            .finish()
    }
}

impl<F: TypedFn<M>, M> Typed<F, M> {
    /// Wraps `f`; an input that does not fit fails the Task with `States.TaskFailed`.
    pub fn new(f: F) -> Typed<F, M> {
        Typed {
            f,
            input_error: Str::from("States.TaskFailed"),
            _marker: PhantomData,
        }
    }

    /// The error name of a Task whose input does not fit the function's argument (default
    /// `States.TaskFailed`), for a Catch or Retry to match.
    pub fn input_error(mut self, name: &str) -> Self {
        self.input_error = Str::from(name);
        self
    }
}

impl<F: TypedFn<M>, M: 'static> Handler for Typed<F, M> {
    fn call(&self, input: Value) -> HandlerResult {
        self.f.invoke(input, None, &self.input_error)
    }

    fn call_with(&self, input: Value, info: &CallInfo<'_>) -> HandlerResult {
        let ctx = F::CONTEXT.then(|| TaskContext::of(info));
        self.f.invoke(input, ctx, &self.input_error)
    }

    fn wants_call_info(&self) -> bool {
        F::CONTEXT
    }
}

/// A function [`Typed`] can wrap; `M` tells the four shapes apart and is inferred:
/// `Fn(I) -> Result<O, TaskError>`, `Fn(I) -> impl Future<Output = Result<O, TaskError>>`,
/// and both with a [`TaskContext`] as second argument.
pub trait TypedFn<M>: Send + Sync + 'static {
    /// Whether the function takes a [`TaskContext`].
    const CONTEXT: bool;
    /// Calls the function on `input`, read into its argument type.
    fn invoke(&self, input: Value, ctx: Option<TaskContext>, input_error: &Str) -> HandlerResult;
}

/// Marker of `Fn(I) -> Result<O, TaskError>`.
#[derive(Debug)]
pub enum SyncMarker<I, O> {
    #[doc(hidden)]
    _Never(std::convert::Infallible, PhantomData<(I, O)>),
}
/// Marker of `Fn(I) -> impl Future<Output = Result<O, TaskError>>`.
#[derive(Debug)]
pub enum AsyncMarker<I, O, Fut> {
    #[doc(hidden)]
    _Never(std::convert::Infallible, PhantomData<(I, O, Fut)>),
}
/// Marker of `Fn(I, TaskContext) -> Result<O, TaskError>`.
#[derive(Debug)]
pub enum SyncContextMarker<I, O> {
    #[doc(hidden)]
    _Never(std::convert::Infallible, PhantomData<(I, O)>),
}
/// Marker of `Fn(I, TaskContext) -> impl Future<Output = Result<O, TaskError>>`.
#[derive(Debug)]
pub enum AsyncContextMarker<I, O, Fut> {
    #[doc(hidden)]
    _Never(std::convert::Infallible, PhantomData<(I, O, Fut)>),
}

/// Reads the input, or the Task error that says why it does not fit.
///
/// PERF: a function of `Value` gets the input as it is, not rebuilt through serde
/// (`aslx-load --typed-handlers`, task3: `identity` is one).
fn read<I: DeserializeOwned + 'static>(input: Value, input_error: &Str) -> Result<I, TaskError> {
    let mut slot = Some(input);
    if let Some(same) = (&mut slot as &mut dyn Any).downcast_mut::<Option<I>>() {
        if let Some(v) = same.take() {
            return Ok(v);
        }
    }
    from_value(slot.unwrap_or_default()).map_err(|e| input_mismatch::<I>(e, input_error))
}

#[cold]
fn input_mismatch<I>(e: crate::value::ValueError, input_error: &Str) -> TaskError {
    TaskError::new(
        input_error.clone(),
        format!(
            "the Task's input does not fit {}: {e}",
            std::any::type_name::<I>()
        ),
    )
}

/// The result as a value, or the Task error that says why it cannot be one (a `Value` as
/// it is).
fn write<O: Serialize + 'static>(r: Result<O, TaskError>) -> Result<Value, TaskError> {
    let mut out = Some(r?);
    if let Some(v) = (&mut out as &mut dyn Any).downcast_mut::<Option<Value>>() {
        if let Some(v) = v.take() {
            return Ok(v);
        }
    }
    match &out {
        Some(o) => to_value(o).map_err(output_mismatch::<O>),
        None => Ok(Value::Null),
    }
}

#[cold]
fn output_mismatch<O>(e: crate::value::ValueError) -> TaskError {
    TaskError::new(
        "States.TaskFailed",
        format!(
            "the handler's result ({}) is not a JSON value: {e}",
            std::any::type_name::<O>()
        ),
    )
}

impl<F, I, O> TypedFn<SyncMarker<I, O>> for F
where
    F: Fn(I) -> Result<O, TaskError> + Send + Sync + 'static,
    I: DeserializeOwned + 'static,
    O: Serialize + 'static,
{
    const CONTEXT: bool = false;
    fn invoke(&self, input: Value, _: Option<TaskContext>, input_error: &Str) -> HandlerResult {
        HandlerResult::Ready(read(input, input_error).and_then(|i| write(self(i))))
    }
}

impl<F, I, O, Fut> TypedFn<AsyncMarker<I, O, Fut>> for F
where
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, TaskError>> + Send + 'static,
    I: DeserializeOwned + 'static,
    O: Serialize + 'static,
{
    const CONTEXT: bool = false;
    fn invoke(&self, input: Value, _: Option<TaskContext>, input_error: &Str) -> HandlerResult {
        match read(input, input_error) {
            Ok(i) => {
                let fut = self(i);
                HandlerResult::Pending(Box::pin(async move { write(fut.await) }))
            }
            Err(e) => HandlerResult::Ready(Err(e)),
        }
    }
}

impl<F, I, O> TypedFn<SyncContextMarker<I, O>> for F
where
    F: Fn(I, TaskContext) -> Result<O, TaskError> + Send + Sync + 'static,
    I: DeserializeOwned + 'static,
    O: Serialize + 'static,
{
    const CONTEXT: bool = true;
    fn invoke(&self, input: Value, ctx: Option<TaskContext>, input_error: &Str) -> HandlerResult {
        let (ctx, guard) = ctx.unwrap_or_default().armed();
        let r = read(input, input_error).and_then(|i| write(self(i, ctx)));
        guard.finished();
        HandlerResult::Ready(r)
    }
}

impl<F, I, O, Fut> TypedFn<AsyncContextMarker<I, O, Fut>> for F
where
    F: Fn(I, TaskContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, TaskError>> + Send + 'static,
    I: DeserializeOwned + 'static,
    O: Serialize + 'static,
{
    const CONTEXT: bool = true;
    fn invoke(&self, input: Value, ctx: Option<TaskContext>, input_error: &Str) -> HandlerResult {
        match read(input, input_error) {
            Ok(i) => {
                let (ctx, guard) = ctx.unwrap_or_default().armed();
                let fut = self(i, ctx);
                HandlerResult::Pending(Box::pin(async move {
                    let r = fut.await;
                    guard.finished();
                    write(r)
                }))
            }
            Err(e) => HandlerResult::Ready(Err(e)),
        }
    }
}

/// Whose call a typed handler is answering, and a way to learn that nobody waits for the
/// answer any more.
///
/// ```
/// use aslx::{json, Handlers, Machine, MachineType, TaskContext, TaskError};
/// let mut h = Handlers::new();
/// h.typed("whoami", |_: aslx::Value, ctx: TaskContext| {
///     Ok::<_, TaskError>(format!("{} attempt {}", ctx.state_name(), ctx.attempt()))
/// });
/// let def = r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
///     "Resource": "arn:aws:lambda:us-east-1:123456789012:function:whoami", "End": true}}}"#;
/// let m = Machine::new("m", def, MachineType::Express, &h).unwrap();
/// assert_eq!(m.run_blocking(json!({})).output.unwrap(), json!("Ask attempt 1"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct TaskContext {
    execution: Option<Arc<ExecutionInfo>>,
    state: Option<Str>,
    retry_count: u32,
    task_token: Option<Str>,
    cancel: Arc<CancelState>,
}

#[derive(Debug, Default)]
struct CancelState {
    cancelled: AtomicBool,
    notify: tokio::sync::Notify,
}

/// Fires the context's cancellation when dropped before [`CallGuard::finished`]: the
/// handler's future was dropped unfinished (the execution was cancelled, stopped or timed
/// out, or the Task's own `TimeoutSeconds` passed).
struct CallGuard(Option<Arc<CancelState>>);

impl CallGuard {
    fn finished(mut self) {
        self.0 = None;
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            s.cancelled.store(true, Ordering::Release);
            s.notify.notify_waiters();
        }
    }
}

impl TaskContext {
    fn of(info: &CallInfo<'_>) -> TaskContext {
        TaskContext {
            execution: Some(Arc::clone(info.execution())),
            state: Some(Str::from(info.state_name())),
            retry_count: info.retry_count(),
            task_token: info.task_token().map(Str::from),
            cancel: Arc::default(),
        }
    }

    fn armed(self) -> (TaskContext, CallGuard) {
        let guard = CallGuard(Some(Arc::clone(&self.cancel)));
        (self, guard)
    }

    /// The execution, when the handler was called by one (always, inside a machine).
    pub fn execution(&self) -> Option<&ExecutionInfo> {
        self.execution.as_deref()
    }

    /// The execution's ARN (empty outside an execution).
    pub fn execution_arn(&self) -> &str {
        self.execution.as_ref().map_or("", |e| e.id())
    }

    /// The Task state's name (empty outside an execution).
    pub fn state_name(&self) -> &str {
        self.state.as_deref().unwrap_or("")
    }

    /// Which try of the Task this is: 1, then 2 after the first retry (`$$.State.RetryCount`
    /// plus one).
    pub fn attempt(&self) -> u32 {
        self.retry_count + 1
    }

    /// The task token of a `.waitForTaskToken` Task (`$$.Task.Token`).
    pub fn task_token(&self) -> Option<&str> {
        self.task_token.as_deref()
    }

    /// `true` once the execution stopped waiting for this call.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.cancelled.load(Ordering::Acquire)
    }

    /// Completes when the execution stops waiting for this call before it answered: the
    /// execution was cancelled (its sync caller went away, it was stopped), it timed out, or
    /// the Task's `TimeoutSeconds` passed. Work the handler handed elsewhere (a spawned task,
    /// a thread) can watch it to stop early; the handler's own future is simply dropped.
    /// Never completes for a call that answered.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.cancel.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}
