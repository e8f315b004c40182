//! [`EngineError`]: every refusal of the engine, named and worded as AWS Step Functions names
//! and words it (API.md §4), so the HTTP front can pass it on unchanged.

use crate::asl::DefinitionError;
use crate::runtime::MachineError;
use std::fmt;

/// Which AWS error an [`EngineError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `StateMachineDoesNotExist`.
    StateMachineDoesNotExist,
    /// `StateMachineAlreadyExists`.
    StateMachineAlreadyExists,
    /// `StateMachineTypeNotSupported`.
    StateMachineTypeNotSupported,
    /// `InvalidDefinition`.
    InvalidDefinition,
    /// `InvalidName`.
    InvalidName,
    /// `InvalidArn`.
    InvalidArn,
    /// `InvalidExecutionInput`.
    InvalidExecutionInput,
    /// `ValidationException`.
    Validation,
    /// `ThrottlingException`: the in-flight bound is reached.
    Throttling,
    /// `ServiceUnavailable`: the engine is shutting down.
    ShuttingDown,
    /// `ActivityDoesNotExist`.
    ActivityDoesNotExist,
    /// `ActivityWorkerLimitExceeded`.
    ActivityWorkerLimitExceeded,
    /// `InvalidToken`: not a task token.
    InvalidToken,
    /// `TaskDoesNotExist`: a well-formed token this engine never issued.
    TaskDoesNotExist,
    /// `TaskTimedOut`: the token's task is closed (completed, timed out, or its execution ended).
    TaskTimedOut,
    /// `InvalidOutput`: SendTaskSuccess output that is not JSON.
    InvalidOutput,
    /// `ExecutionDoesNotExist`.
    ExecutionDoesNotExist,
    /// `ExecutionAlreadyExists`: a STANDARD execution of that name exists with another input,
    /// or has ended.
    ExecutionAlreadyExists,
    /// `StateMachineDeleting`: the machine is being deleted (its STANDARD executions run on).
    StateMachineDeleting,
    /// `ConflictException` (HTTP 409): a version an alias routes to, a stale revision id, an
    /// alias of that name with other settings.
    Conflict,
    /// `ServiceQuotaExceededException` (HTTP 402): too many versions or aliases.
    ServiceQuotaExceeded,
    /// `ResourceNotFound`: a tag target, alias or version that does not exist.
    ResourceNotFound,
    /// `TooManyTags`: more than 50 tags on a resource.
    TooManyTags,
    /// `ActivityAlreadyExists`: an activity of that name with other settings.
    ActivityAlreadyExists,
    /// `StateMachineLimitExceeded`: the machine or definition-bytes quota is reached.
    StateMachineLimitExceeded,
    /// `ActivityLimitExceeded`: the activity quota is reached.
    ActivityLimitExceeded,
}

impl ErrorKind {
    /// The AWS error code (`__type` on the wire).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::StateMachineDoesNotExist => "StateMachineDoesNotExist",
            ErrorKind::StateMachineAlreadyExists => "StateMachineAlreadyExists",
            ErrorKind::StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            ErrorKind::InvalidDefinition => "InvalidDefinition",
            ErrorKind::InvalidName => "InvalidName",
            ErrorKind::InvalidArn => "InvalidArn",
            ErrorKind::InvalidExecutionInput => "InvalidExecutionInput",
            ErrorKind::Validation => "ValidationException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::ShuttingDown => "ServiceUnavailable",
            ErrorKind::ActivityDoesNotExist => "ActivityDoesNotExist",
            ErrorKind::ActivityWorkerLimitExceeded => "ActivityWorkerLimitExceeded",
            ErrorKind::InvalidToken => "InvalidToken",
            ErrorKind::TaskDoesNotExist => "TaskDoesNotExist",
            ErrorKind::TaskTimedOut => "TaskTimedOut",
            ErrorKind::InvalidOutput => "InvalidOutput",
            ErrorKind::ExecutionDoesNotExist => "ExecutionDoesNotExist",
            ErrorKind::ExecutionAlreadyExists => "ExecutionAlreadyExists",
            ErrorKind::StateMachineDeleting => "StateMachineDeleting",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            ErrorKind::ResourceNotFound => "ResourceNotFound",
            ErrorKind::TooManyTags => "TooManyTags",
            ErrorKind::ActivityAlreadyExists => "ActivityAlreadyExists",
            ErrorKind::StateMachineLimitExceeded => "StateMachineLimitExceeded",
            ErrorKind::ActivityLimitExceeded => "ActivityLimitExceeded",
        }
    }
}

/// Why the engine refused a request: an AWS error code and AWS's message.
///
/// ```
/// use aslx::engine::{Engine, ErrorKind};
/// let engine = Engine::builder().worker_threads(1).build().unwrap();
/// let err = engine.send_task_heartbeat("nonsense").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidToken);
/// assert_eq!(err.code(), "InvalidToken");
/// assert_eq!(err.to_string(), "Invalid Token: 'Invalid token'");
/// ```
#[derive(Debug)]
pub struct EngineError {
    kind: ErrorKind,
    message: String,
    /// An extra member of AWS's error shape: `reason` of a ValidationException,
    /// `resourceName` of ResourceNotFound and TooManyTags.
    extra: Option<(&'static str, Box<str>)>,
    source: Option<MachineError>,
}

impl EngineError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> EngineError {
        EngineError {
            kind,
            message: message.into(),
            extra: None,
            source: None,
        }
    }

    /// With `reason` (a ValidationException's).
    pub(crate) fn with_reason(mut self, reason: &str) -> EngineError {
        self.extra = Some(("reason", reason.into()));
        self
    }

    /// The extra member of AWS's error shape, when it has one: (`reason`, ...) or
    /// (`resourceName`, ...).
    pub fn extra_member(&self) -> Option<(&'static str, &str)> {
        self.extra.as_ref().map(|(k, v)| (*k, &**v))
    }

    /// The HTTP status AWS answers this error with: 409, 402, 503 or 400.
    pub fn http_status(&self) -> u16 {
        match self.kind {
            ErrorKind::Conflict => 409,
            ErrorKind::ServiceQuotaExceeded => 402,
            ErrorKind::ShuttingDown => 503,
            _ => 400,
        }
    }

    #[cold]
    pub(crate) fn deleting(arn: &str) -> EngineError {
        EngineError::new(
            ErrorKind::StateMachineDeleting,
            format!("State Machine is being deleted: '{arn}'"),
        )
    }

    #[cold]
    pub(crate) fn resource_not_found(arn: &str) -> EngineError {
        let mut e = EngineError::new(
            ErrorKind::ResourceNotFound,
            format!("Resource not found: '{arn}'"),
        );
        e.extra = Some(("resourceName", arn.into()));
        e
    }

    #[cold]
    pub(crate) fn too_many_tags(arn: &str) -> EngineError {
        let mut e = EngineError::new(
            ErrorKind::TooManyTags,
            format!("Too many tags for resource: '{arn}' (at most 50)"),
        );
        e.extra = Some(("resourceName", arn.into()));
        e
    }

    /// Which error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The AWS error code (`__type` on the wire), e.g. `StateMachineDoesNotExist`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// AWS's message, e.g. `State Machine Does Not Exist: '<arn>'`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The definition's findings, for `InvalidDefinition`.
    pub fn definition_error(&self) -> Option<&DefinitionError> {
        match &self.source {
            Some(MachineError::Definition(d)) => Some(d),
            _ => None,
        }
    }

    #[cold]
    pub(crate) fn machine_missing(arn: &str) -> EngineError {
        EngineError::new(
            ErrorKind::StateMachineDoesNotExist,
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    }

    #[cold]
    pub(crate) fn execution_missing(arn: &str) -> EngineError {
        EngineError::new(
            ErrorKind::ExecutionDoesNotExist,
            format!("Execution Does Not Exist: '{arn}'"),
        )
    }

    pub(crate) fn execution_exists(arn: &str) -> EngineError {
        EngineError::new(
            ErrorKind::ExecutionAlreadyExists,
            format!("Execution Already Exists: '{arn}'"),
        )
    }

    pub(crate) fn activity_missing(arn: &str) -> EngineError {
        EngineError::new(
            ErrorKind::ActivityDoesNotExist,
            format!("Activity Does Not Exist: '{arn}'"),
        )
    }

    #[cold]
    pub(crate) fn invalid_name(name: &str) -> EngineError {
        EngineError::new(ErrorKind::InvalidName, format!("Invalid Name: '{name}'"))
    }

    #[cold]
    pub(crate) fn invalid_arn(detail: &str) -> EngineError {
        EngineError::new(ErrorKind::InvalidArn, format!("Invalid Arn: '{detail}'"))
    }

    #[cold]
    pub(crate) fn invalid_input(detail: &str) -> EngineError {
        EngineError::new(
            ErrorKind::InvalidExecutionInput,
            format!("Invalid State Machine Execution Input: '{detail}'"),
        )
    }

    #[cold]
    pub(crate) fn too_long(member: &str, max: usize) -> EngineError {
        EngineError::new(
            ErrorKind::Validation,
            format!("1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"),
        )
    }

    #[cold]
    pub(crate) fn type_not_supported() -> EngineError {
        EngineError::new(
            ErrorKind::StateMachineTypeNotSupported,
            "This operation is not supported by this type of state machine",
        )
    }

    #[cold]
    pub(crate) fn throttled() -> EngineError {
        EngineError::new(ErrorKind::Throttling, "Rate exceeded")
    }

    #[cold]
    pub(crate) fn shutting_down() -> EngineError {
        EngineError::new(ErrorKind::ShuttingDown, "The engine is shutting down")
    }

    #[cold]
    pub(crate) fn invalid_token() -> EngineError {
        EngineError::new(ErrorKind::InvalidToken, "Invalid Token: 'Invalid token'")
    }

    #[cold]
    pub(crate) fn task_does_not_exist() -> EngineError {
        EngineError::new(
            ErrorKind::TaskDoesNotExist,
            "Task Does Not Exist: 'Provided task does not exist'",
        )
    }

    #[cold]
    pub(crate) fn task_timed_out() -> EngineError {
        EngineError::new(
            ErrorKind::TaskTimedOut,
            "Task Timed Out: 'Provided task does not exist anymore'",
        )
    }

    #[cold]
    pub(crate) fn machine(e: MachineError) -> EngineError {
        EngineError {
            kind: ErrorKind::InvalidDefinition,
            message: match &e {
                MachineError::Definition(d) => d.to_string(),
                other => format!("Invalid State Machine Definition: '{other}'"),
            },
            extra: None,
            source: Some(e),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
