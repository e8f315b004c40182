//! Execution errors: an ASL error name, an optional cause, and how the error may be handled.
//!
//! `Result<_, ExecError>` stays one pointer wide: the payload is boxed and the constructors
//! are `#[cold]`, so the success path of every VM function pays nothing for error data.

use crate::value::Str;
use std::fmt;

/// How an error interacts with Retry and Catch (ERR-2, ERR-3, ERR-DLE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// `States.Runtime` and other failures of the state itself: never retried, never caught.
    Fatal,
    /// Raised by the task's own work (handler error, task timeout, oversized result).
    Task,
    /// Raised while the state processes data, catchable by name or `States.ALL`
    /// (`States.IntrinsicFailure`, `States.ResultPathMatchFailure`, ...).
    State,
}

/// The name of [`ExecError::interrupted`]; never seen outside the VM.
const INTERRUPTED: &str = "aslx.Interrupted";
const INTERRUPT_STOP: &str = "stopped";
const INTERRUPT_DEADLINE: &str = "deadline";

/// An error with its ASL name and cause.
#[derive(Clone, PartialEq, Eq)]
pub struct ExecError(Box<Data>);

#[derive(Clone, PartialEq, Eq)]
struct Data {
    /// `None` for an error without a name (a Fail state without `Error`, passed up from a
    /// branch or iteration).
    error: Option<Str>,
    cause: Option<String>,
    class: ErrorClass,
}

impl ExecError {
    #[cold]
    pub(crate) fn new(
        error: impl Into<Str>,
        cause: Option<String>,
        class: ErrorClass,
    ) -> ExecError {
        ExecError::named(Some(error.into()), cause, class)
    }

    /// An error whose name may be absent.
    #[cold]
    pub(crate) fn named(error: Option<Str>, cause: Option<String>, class: ErrorClass) -> ExecError {
        ExecError(Box::new(Data {
            error,
            cause: cause.map(truncate_cause),
            class,
        }))
    }

    /// `States.Runtime` with a cause (already prefixed by the caller where AWS prefixes it).
    #[cold]
    pub(crate) fn runtime(cause: String) -> ExecError {
        ExecError::new("States.Runtime", Some(cause), ErrorClass::Fatal)
    }

    /// A computation of the state stopped from outside (see `vm::interrupt`): the execution
    /// was `stopped`, or its deadline passed. Fatal, so no Retry or Catch sees it;
    /// [`Execution::step`](super::Execution::step) ends the execution ABORTED or TIMED_OUT.
    #[cold]
    pub(crate) fn interrupted(stopped: bool) -> ExecError {
        let cause = if stopped {
            INTERRUPT_STOP
        } else {
            INTERRUPT_DEADLINE
        };
        ExecError::new(INTERRUPTED, Some(cause.into()), ErrorClass::Fatal)
    }

    /// `Some(true)` for an [`ExecError::interrupted`] by a stop, `Some(false)` by the
    /// deadline, `None` for any other error.
    pub(crate) fn interruption(&self) -> Option<bool> {
        (self.error() == INTERRUPTED).then(|| self.cause() == Some(INTERRUPT_STOP))
    }

    /// The error name, e.g. `States.Timeout` or a handler's own name (empty when it has none).
    pub fn error(&self) -> &str {
        self.0.error.as_deref().unwrap_or_default()
    }

    /// The cause, if any.
    pub fn cause(&self) -> Option<&str> {
        self.0.cause.as_deref()
    }

    pub(crate) fn class(&self) -> ErrorClass {
        self.0.class
    }

    pub(crate) fn into_parts(self) -> (Option<Str>, Option<String>) {
        (self.0.error, self.0.cause)
    }
}

impl fmt::Debug for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.error(), self.0.cause)
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.cause {
            Some(c) => write!(f, "{}: {}", self.error(), c),
            None => f.write_str(self.error()),
        }
    }
}

impl std::error::Error for ExecError {}

const _: () = assert!(std::mem::size_of::<ExecError>() == std::mem::size_of::<usize>());

/// The longest cause AWS keeps: the `cause` of its failure event details is "Maximum length
/// of 32768" (API reference, `ExecutionFailedEventDetails`, `TaskFailedEventDetails`).
pub(crate) const MAX_CAUSE_CHARS: usize = 32_768;

/// `cause` cut to [`MAX_CAUSE_CHARS`] characters (issue 18: a cause that quotes an offending
/// value echoed up to 6 MiB of it).
pub(crate) fn truncate_cause(mut cause: String) -> String {
    if cause.len() > MAX_CAUSE_CHARS {
        if let Some((at, _)) = cause.char_indices().nth(MAX_CAUSE_CHARS) {
            cause.truncate(at);
        }
    }
    cause
}
