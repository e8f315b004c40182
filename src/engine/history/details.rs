//! The details of history events: what the VM reports ([`Event`]s) named as AWS names it
//! (`<Type>StateEntered`, the `Task` / `LambdaFunction` / `Activity` families, `Map*` and
//! `Parallel*`), with the details object GetExecutionHistory returns, and the log level
//! that logs it.

use super::{put_data, put_error};
use crate::compile::resource::{classify, ResourceKind};
use crate::engine::log::LogLevel;
use crate::value::{Map, Str, Value};
use crate::vm::Event;

/// An event's type, details and log level.
pub(super) struct Described {
    pub(super) event_type: &'static str,
    pub(super) details: Map,
    pub(super) level: LogLevel,
}

/// Names and details `event`; `build` is `false` when neither the history nor the log wants
/// details beyond a failure's, `data` whether they include execution data (`input`,
/// `output`, `parameters`). `None` for what is not one event of its own.
pub(super) fn describe(
    event: Event<'_>,
    build: bool,
    data: bool,
    region: &Str,
) -> Option<Described> {
    let mut d = Map::with_capacity(6);
    let mut hint = DetailsHint::Plain;
    let mut details = true;
    let event_type = match event {
        Event::StateEntered {
            state,
            state_type,
            input,
        } => {
            if build {
                d.insert("name".into(), Value::string(state));
                if data {
                    put_data(&mut d, "input", input);
                }
            }
            state_event(state_type, true)
        }
        Event::StateExited {
            state,
            state_type,
            output,
        } => {
            if build {
                d.insert("name".into(), Value::string(state));
                if data {
                    put_data(&mut d, "output", output);
                }
            }
            state_event(state_type, false)
        }
        Event::TaskScheduled {
            resource,
            parameters,
            timeout_seconds,
            heartbeat_seconds,
        } => {
            let family = Family::of(resource);
            if build {
                family.describe(&mut d, resource, region);
                if data {
                    match family {
                        Family::Task => {
                            d.insert("parameters".into(), Value::from(parameters.to_json()));
                        }
                        _ => put_data(&mut d, "input", parameters),
                    }
                }
                if let Some(t) = timeout_seconds {
                    d.insert("timeoutInSeconds".into(), Value::Int(t as i64));
                }
                if let Some(h) = heartbeat_seconds {
                    d.insert("heartbeatInSeconds".into(), Value::Int(h as i64));
                }
            }
            family.name(0)
        }
        Event::TaskStarted { resource } => {
            let family = Family::of(resource);
            if family == Family::Task {
                family.short(&mut d, resource);
            } else {
                details = false;
            }
            family.name(1)
        }
        Event::TaskSubmitted { resource, output } => {
            // AWS records the response of the call that started the job as its `output`;
            // a handler that answers the whole job at once gives none.
            Family::Task.short(&mut d, resource);
            if let (true, true, Some(o)) = (build, data, output) {
                put_data(&mut d, "output", o);
            }
            "TaskSubmitted"
        }
        Event::TaskSucceeded { resource, output } => {
            let family = Family::of(resource);
            if build {
                family.short(&mut d, resource);
                if data {
                    put_data(&mut d, "output", output);
                }
            }
            family.name(2)
        }
        Event::TaskFailed {
            resource,
            error,
            cause,
        } => {
            let family = Family::of(resource);
            family.short(&mut d, resource);
            put_error(&mut d, Some(error), cause);
            hint = DetailsHint::Failure;
            family.name(3)
        }
        Event::TaskTimedOut { resource, error } => {
            let family = Family::of(resource);
            family.short(&mut d, resource);
            put_error(&mut d, Some(error), None);
            hint = DetailsHint::Failure;
            family.name(4)
        }
        Event::ForkStarted { map, length } => {
            if map {
                d.insert("length".into(), Value::Int(length as i64));
                "MapStateStarted"
            } else {
                details = false;
                "ParallelStateStarted"
            }
        }
        Event::IterationStarted { state, index } => {
            d.insert("name".into(), Value::string(state));
            d.insert("index".into(), Value::Int(index as i64));
            "MapIterationStarted"
        }
        Event::IterationEnded {
            state,
            index,
            succeeded,
        } => {
            d.insert("name".into(), Value::string(state));
            d.insert("index".into(), Value::Int(index as i64));
            if succeeded {
                "MapIterationSucceeded"
            } else {
                "MapIterationFailed"
            }
        }
        Event::MapRunStarted { arn } => {
            d.insert("mapRunArn".into(), Value::string(arn));
            "MapRunStarted"
        }
        Event::MapRunEnded { error: None, .. } => {
            details = false;
            "MapRunSucceeded"
        }
        Event::MapRunEnded { error, cause, .. } => {
            put_error(&mut d, error, cause);
            hint = DetailsHint::Failure;
            "MapRunFailed"
        }
        // Recorded by the lane itself, from what it knows of its children.
        Event::ChildrenAborted { .. } => return None,
        Event::ForkEnded { map, succeeded } => {
            details = false;
            match (map, succeeded) {
                (true, true) => "MapStateSucceeded",
                (true, false) => "MapStateFailed",
                (false, true) => "ParallelStateSucceeded",
                (false, false) => "ParallelStateFailed",
            }
        }
    };
    let level = level_of(event_type, &hint);
    if !details {
        d = Map::new();
    }
    Some(Described {
        event_type,
        details: d,
        level,
    })
}

/// The least log level that logs `event_type` (AWS: `FATAL` logs the execution's failures,
/// `ERROR` every failure, `ALL` everything).
fn level_of(event_type: &str, details: &DetailsHint) -> LogLevel {
    match event_type {
        "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted" => LogLevel::Fatal,
        "FailStateEntered" => LogLevel::Error,
        t if t.ends_with("Failed") || t.ends_with("TimedOut") || t.ends_with("Aborted") => {
            LogLevel::Error
        }
        _ if matches!(details, DetailsHint::Failure) => LogLevel::Error,
        _ => LogLevel::All,
    }
}

enum DetailsHint {
    Plain,
    Failure,
}

/// Which history-event family a Task's events belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Lambda,
    Activity,
    Task,
}

impl Family {
    fn of(resource: &str) -> Family {
        match classify(resource) {
            ResourceKind::LambdaFunction { .. } => Family::Lambda,
            ResourceKind::Activity => Family::Activity,
            _ => Family::Task,
        }
    }

    /// Scheduled, Started, Succeeded, Failed, TimedOut.
    fn name(self, i: usize) -> &'static str {
        const NAMES: [[&str; 5]; 3] = [
            [
                "LambdaFunctionScheduled",
                "LambdaFunctionStarted",
                "LambdaFunctionSucceeded",
                "LambdaFunctionFailed",
                "LambdaFunctionTimedOut",
            ],
            [
                "ActivityScheduled",
                "ActivityStarted",
                "ActivitySucceeded",
                "ActivityFailed",
                "ActivityTimedOut",
            ],
            [
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskFailed",
                "TaskTimedOut",
            ],
        ];
        NAMES[self as usize][i]
    }

    /// `resourceType` / `resource` / `region` of a scheduled Task; the ARN for the others.
    fn describe(self, d: &mut Map, resource: &str, region: &Str) {
        match self {
            Family::Task => {
                let (kind, action) = service_parts(resource);
                d.insert("resourceType".into(), Value::string(kind));
                d.insert("resource".into(), Value::string(action));
                d.insert("region".into(), Value::String(region.clone()));
            }
            _ => {
                d.insert("resource".into(), Value::string(resource));
            }
        }
    }

    /// `resourceType` / `resource` for the Task family's later events.
    fn short(self, d: &mut Map, resource: &str) {
        if self == Family::Task {
            let (kind, action) = service_parts(resource);
            d.insert("resourceType".into(), Value::string(kind));
            d.insert("resource".into(), Value::string(action));
        }
    }
}

/// `arn:aws:states:::sqs:sendMessage.waitForTaskToken` → (`sqs`, `sendMessage.waitForTaskToken`).
/// The version of a `.sync:2` integration stays with its action: `startExecution.sync:2`, as
/// AWS names it on every event of the Task (measured: floci-io/floci,
/// `StepFunctionsExecutionHistoryIntegrationTest`, ap-northeast-1).
fn service_parts(resource: &str) -> (&str, &str) {
    let rest = resource
        .strip_prefix("arn:")
        .and_then(|r| r.splitn(5, ':').nth(4))
        .unwrap_or(resource);
    let head = rest.rfind(".sync:").map_or(rest, |at| &rest[..at]);
    match head.rfind(':') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => ("", rest),
    }
}

fn state_event(state_type: &str, entered: bool) -> &'static str {
    const TYPES: [(&str, &str, &str); 8] = [
        ("Pass", "PassStateEntered", "PassStateExited"),
        ("Task", "TaskStateEntered", "TaskStateExited"),
        ("Choice", "ChoiceStateEntered", "ChoiceStateExited"),
        ("Wait", "WaitStateEntered", "WaitStateExited"),
        ("Succeed", "SucceedStateEntered", "SucceedStateExited"),
        ("Fail", "FailStateEntered", "FailStateExited"),
        ("Map", "MapStateEntered", "MapStateExited"),
        ("Parallel", "ParallelStateEntered", "ParallelStateExited"),
    ];
    let (_, e, x) = TYPES
        .iter()
        .find(|(t, _, _)| *t == state_type)
        .copied()
        .unwrap_or(("", "StateEntered", "StateExited"));
    if entered {
        e
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_2_resource_keeps_its_version_in_the_action() {
        assert_eq!(
            service_parts("arn:aws:states:::states:startExecution.sync:2"),
            ("states", "startExecution.sync:2")
        );
        assert_eq!(
            service_parts("arn:aws:states:::states:startExecution.sync"),
            ("states", "startExecution.sync")
        );
    }

    #[test]
    fn service_parts_split_type_and_action() {
        assert_eq!(
            service_parts("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            ("sqs", "sendMessage.waitForTaskToken")
        );
        assert_eq!(
            service_parts("arn:aws:states:::aws-sdk:s3:listBuckets"),
            ("aws-sdk:s3", "listBuckets")
        );
        assert_eq!(
            service_parts("arn:aws:states:::lambda:invoke"),
            ("lambda", "invoke")
        );
    }
}
