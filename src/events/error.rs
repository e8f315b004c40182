//! [`EventsError`]: a refusal of the EventBridge API, named and worded as AWS names and words
//! it, so the HTTP front passes it on unchanged.

use std::fmt;

/// An EventBridge refusal: AWS's error code (`__type`) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsError {
    code: &'static str,
    message: String,
}

impl EventsError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> EventsError {
        EventsError {
            code,
            message: message.into(),
        }
    }

    #[cold]
    pub(crate) fn validation(message: impl Into<String>) -> EventsError {
        EventsError::new("ValidationException", message)
    }

    #[cold]
    pub(crate) fn bus_missing(bus: &str) -> EventsError {
        EventsError::new(
            "ResourceNotFoundException",
            format!("Event bus {bus} does not exist."),
        )
    }

    #[cold]
    pub(crate) fn rule_missing(rule: &str, bus: &str) -> EventsError {
        EventsError::new(
            "ResourceNotFoundException",
            format!("Rule {rule} does not exist on EventBus {bus}."),
        )
    }

    /// AWS's error code, e.g. `ResourceNotFoundException`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// AWS's message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for EventsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for EventsError {}
