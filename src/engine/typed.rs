//! Typed sync starts: [`Engine::start_sync_typed`] takes a serde input and returns the
//! output read into the caller's type, or a [`StartSyncError`] that says how the start or the
//! execution went wrong, carrying what there is of it (the error and cause, the raw output).

use super::error::EngineError;
use super::start::{StartRequest, SyncExecution};
use super::Engine;
use crate::value::{from_value, to_value, Value, ValueError};
use crate::vm::Status;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why [`Engine::start_sync_typed`] gave no output.
#[derive(Debug)]
pub struct StartSyncError {
    kind: StartSyncErrorKind,
    detail: Detail,
}

#[derive(Debug)]
enum Detail {
    Refused(EngineError),
    Input(ValueError),
    Ended(Box<SyncExecution>),
    Output(ValueError, Box<SyncExecution>),
}

/// What kind of [`StartSyncError`] this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartSyncErrorKind {
    /// The engine refused the start ([`StartSyncError::engine_error`]).
    Refused,
    /// The input did not serialize into a JSON value.
    Input,
    /// The execution ended `FAILED` ([`StartSyncError::error`], [`StartSyncError::cause`]).
    Failed,
    /// The execution ended `TIMED_OUT`.
    TimedOut,
    /// The execution was aborted.
    Aborted,
    /// The execution succeeded but its output does not fit the caller's type
    /// ([`StartSyncError::raw_output`]).
    Output,
}

impl StartSyncError {
    /// What went wrong.
    pub fn kind(&self) -> StartSyncErrorKind {
        self.kind
    }

    /// The execution's error name (`States.TaskFailed`, a handler's own, ...), when it ended
    /// without success.
    pub fn error(&self) -> Option<&str> {
        self.execution()?.outcome.error.as_deref()
    }

    /// The execution's cause, when it ended without success and gave one.
    pub fn cause(&self) -> Option<&str> {
        self.execution()?.outcome.cause.as_deref()
    }

    /// The execution's output as it is, when it does not fit the caller's type.
    pub fn raw_output(&self) -> Option<&Value> {
        match &self.detail {
            Detail::Output(_, e) => e.outcome.output.as_ref(),
            _ => None,
        }
    }

    /// The execution, when one ran (its ARN, timing, input, outcome).
    pub fn execution(&self) -> Option<&SyncExecution> {
        match &self.detail {
            Detail::Ended(e) | Detail::Output(_, e) => Some(e),
            _ => None,
        }
    }

    /// The engine's refusal, when the start was refused.
    pub fn engine_error(&self) -> Option<&EngineError> {
        match &self.detail {
            Detail::Refused(e) => Some(e),
            _ => None,
        }
    }
}

impl std::fmt::Display for StartSyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Detail::Refused(e) => write!(f, "the execution was not started: {e}"),
            Detail::Input(e) => write!(f, "the input is not a JSON value: {e}"),
            Detail::Ended(x) => {
                write!(
                    f,
                    "execution {} ended {}",
                    x.execution_arn(),
                    x.outcome.status.as_str()
                )?;
                if let Some(e) = &x.outcome.error {
                    write!(f, ": {e}")?;
                }
                if let Some(c) = &x.outcome.cause {
                    write!(f, ": {c}")?;
                }
                Ok(())
            }
            Detail::Output(e, x) => write!(
                f,
                "the output of execution {} does not fit the expected type: {e}",
                x.execution_arn()
            ),
        }
    }
}

impl std::error::Error for StartSyncError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.detail {
            Detail::Refused(e) => Some(e),
            Detail::Input(e) | Detail::Output(e, _) => Some(e),
            Detail::Ended(_) => None,
        }
    }
}

impl Engine {
    /// Creates a machine from a definition checked when the crate was built
    /// (`aslx_macros::definition!`, [`crate::build::Definitions`]).
    ///
    /// # Errors
    ///
    /// As [`Engine::create_machine`]; a definition error cannot happen (the check used this
    /// crate's validator), an unbound Task resource or a taken name can.
    pub fn create_checked_machine(
        &self,
        name: &str,
        definition: &crate::CheckedDefinition,
    ) -> Result<super::MachineInfo, EngineError> {
        self.create_machine(name, definition.text(), definition.machine_type())
    }

    /// [`Engine::start_sync`] with serde types: `input` becomes the execution's input (no
    /// text in between), and the output is read into `O`.
    ///
    /// # Errors
    ///
    /// A [`StartSyncError`]: the start was refused, the input is not a JSON value, the
    /// execution ended `FAILED`, `TIMED_OUT` or aborted (with its error and cause), or its
    /// output does not fit `O` (with the raw output).
    ///
    /// ```
    /// use aslx::engine::{Engine, StartSyncErrorKind};
    /// use aslx::{Handlers, MachineType, TaskError};
    /// #[derive(serde::Serialize)]
    /// struct Order { id: u64, amount: u32 }
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct Receipt { order: u64, charged: u32 }
    ///
    /// let mut h = Handlers::new();
    /// h.typed("charge", |o: aslx::Value| {
    ///     match o.get("amount").and_then(aslx::Value::as_i64) {
    ///         Some(a) if a > 0 => Ok(aslx::json!({"order": o.get("id"), "charged": a})),
    ///         _ => Err(TaskError::new("Payment.Declined", "nothing to charge")),
    ///     }
    /// });
    /// let engine = Engine::builder().handlers(h).worker_threads(1).build().unwrap();
    /// engine.create_machine("checkout", r#"{"StartAt": "Charge", "States": {"Charge": {
    ///     "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": true}}}"#, MachineType::Express).unwrap();
    ///
    /// engine.handle().block_on(async {
    ///     let r: Receipt = engine.start_sync_typed("checkout", &Order { id: 7, amount: 30 }).await.unwrap();
    ///     assert_eq!(r, Receipt { order: 7, charged: 30 });
    ///
    ///     let e = engine.start_sync_typed::<_, Receipt>("checkout", &Order { id: 8, amount: 0 })
    ///         .await.unwrap_err();
    ///     assert_eq!(e.kind(), StartSyncErrorKind::Failed);
    ///     assert_eq!(e.error(), Some("Payment.Declined"));
    ///     assert_eq!(e.cause(), Some("nothing to charge"));
    /// });
    /// ```
    pub async fn start_sync_typed<I, O>(
        &self,
        machine: &str,
        input: &I,
    ) -> Result<O, StartSyncError>
    where
        I: Serialize + ?Sized,
        O: DeserializeOwned,
    {
        self.start_sync_typed_with(StartRequest::new(machine), input)
            .await
    }

    /// [`Engine::start_sync_typed`] with a request's other settings (a name, a trace header);
    /// the request's own input is replaced by `input`.
    ///
    /// # Errors
    ///
    /// As [`Engine::start_sync_typed`].
    pub async fn start_sync_typed_with<I, O>(
        &self,
        req: StartRequest<'_>,
        input: &I,
    ) -> Result<O, StartSyncError>
    where
        I: Serialize + ?Sized,
        O: DeserializeOwned,
    {
        let input = to_value(input).map_err(|e| StartSyncError {
            kind: StartSyncErrorKind::Input,
            detail: Detail::Input(e),
        })?;
        let done = self
            .start_sync(req.input(input))
            .await
            .map_err(|e| StartSyncError {
                kind: StartSyncErrorKind::Refused,
                detail: Detail::Refused(e),
            })?;
        typed_output(done)
    }
}

/// The output of a finished execution read into `O`, or why not.
fn typed_output<O: DeserializeOwned>(done: SyncExecution) -> Result<O, StartSyncError> {
    let kind = match done.outcome.status {
        Status::Succeeded => {
            let output = done.outcome.output.clone().unwrap_or(Value::Null);
            return from_value(output).map_err(|e| StartSyncError {
                kind: StartSyncErrorKind::Output,
                detail: Detail::Output(e, Box::new(done)),
            });
        }
        Status::TimedOut => StartSyncErrorKind::TimedOut,
        Status::Aborted => StartSyncErrorKind::Aborted,
        _ => StartSyncErrorKind::Failed,
    };
    Err(StartSyncError {
        kind,
        detail: Detail::Ended(Box::new(done)),
    })
}
