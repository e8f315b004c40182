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
            cause,
            class,
        }))
    }

    /// `States.Runtime` with a cause (already prefixed by the caller where AWS prefixes it).
    #[cold]
    pub(crate) fn runtime(cause: String) -> ExecError {
        ExecError::new("States.Runtime", Some(cause), ErrorClass::Fatal)
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
