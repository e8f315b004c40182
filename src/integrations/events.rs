//! `arn:aws:states:::events:putEvents` (and `.waitForTaskToken`) at an EventBridge endpoint
//! (`--endpoint events=URL`, `EVENTBRIDGE_ENDPOINT`): the JSON 1.1 protocol
//! (`X-Amz-Target: AWSEvents.PutEvents`).
//!
//! As AWS's optimised integration does: each entry's `Detail`, when not a string, is sent as
//! its JSON text; the state machine's ARN and the execution's ARN are appended to each entry's
//! `Resources` (the Task's handler is told the execution: [`Handler::call_for`]); a `Time`
//! given as an RFC 3339 string is sent as the epoch seconds the protocol carries. The result
//! is `{Entries: [{EventId}], FailedEntryCount}`; a `FailedEntryCount` above 0 fails the Task
//! with `EventBridge.FailedEntry`, the whole response as the cause.

use super::aws::{json_error, JsonCall, Naming};
use super::optimized::{accepted, stringify_member};
use super::Integrations;
use crate::runtime::{Handler, HandlerResult};
use crate::value::{Map, Value};
use crate::vm::{ExecutionInfo, TaskError};
use std::sync::Arc;

const NAMING: Naming = Naming {
    prefix: "EventBridge",
    label: "AmazonEventBridge",
    modeled: &["InternalException", "ResourceNotFoundException"],
    fallback: "AmazonEventBridgeException",
};

/// The members of an entry AWS passes on.
const ENTRY: &[&str] = &[
    "Detail",
    "DetailType",
    "EventBusName",
    "Resources",
    "Source",
    "Time",
    "TraceHeader",
];

/// The handler of `events:putEvents`, when an EventBridge endpoint is set.
pub(crate) fn handler(i: &Arc<Integrations>, action: &str) -> Option<Arc<dyn Handler>> {
    i.endpoints().get("events")?;
    (action == "putEvents").then(|| {
        Arc::new(PutEvents {
            integrations: Arc::clone(i),
        }) as Arc<dyn Handler>
    })
}

/// The request: `Entries` cut to what AWS accepts, `Detail` as text, `Time` as epoch seconds,
/// and `resources` (the machine's and the execution's ARNs) after each entry's own.
fn request(input: &Value, resources: &[&str]) -> Value {
    let entries = input
        .get("Entries")
        .and_then(Value::as_array)
        .unwrap_or_default();
    let entries = entries
        .iter()
        .map(|e| {
            let mut m = accepted(e, ENTRY);
            stringify_member(&mut m, "Detail");
            if let Some(t) = m.get_mut("Time") {
                if let Some(ns) = t.as_str().and_then(crate::asl::timestamp::parse_timestamp) {
                    *t = if ns % 1_000_000_000 == 0 {
                        Value::Int((ns / 1_000_000_000) as i64)
                    } else {
                        Value::Float(ns as f64 / 1e9)
                    };
                }
            }
            if !resources.is_empty() {
                let mut all: Vec<Value> = m
                    .get("Resources")
                    .and_then(Value::as_array)
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default();
                all.extend(resources.iter().map(|r| Value::from(*r)));
                m.insert("Resources".into(), Value::array(all));
            }
            Value::object(m)
        })
        .collect();
    let mut body = Map::with_capacity(1);
    body.insert("Entries".into(), Value::array(entries));
    Value::object(body)
}

/// The Task result, or `EventBridge.FailedEntry` when an entry failed.
fn result(answer: Map) -> Result<Value, TaskError> {
    let failed = answer
        .get("FailedEntryCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut out = Map::with_capacity(2);
    out.insert(
        "Entries".into(),
        answer
            .get("Entries")
            .cloned()
            .unwrap_or_else(|| Value::array(vec![])),
    );
    out.insert("FailedEntryCount".into(), Value::Int(failed));
    let out = Value::object(out);
    if failed > 0 {
        return Err(TaskError::new("EventBridge.FailedEntry", out.to_json()));
    }
    Ok(out)
}

struct PutEvents {
    integrations: Arc<Integrations>,
}

impl PutEvents {
    fn send(&self, body: Value) -> HandlerResult {
        let i = Arc::clone(&self.integrations);
        HandlerResult::Pending(Box::pin(async move {
            let call = JsonCall {
                service: "events",
                target: "AWSEvents.PutEvents".to_string(),
                version: "1.1",
                prefix: NAMING.prefix,
            };
            let error = |r: &_| NAMING.task_error(&json_error(r));
            let (answer, _) = i.json_call(call, &body, error).await?;
            result(answer)
        }))
    }
}

impl Handler for PutEvents {
    /// Outside an execution (a direct call) there are no ARNs to add.
    fn call(&self, input: Value) -> HandlerResult {
        self.send(request(&input, &[]))
    }

    fn call_for(&self, input: Value, execution: &ExecutionInfo) -> HandlerResult {
        let resources = [&*execution.machine_id, &**execution.id()];
        self.send(request(&input, &resources))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;

    #[test]
    fn entries_get_detail_as_text_the_arns_and_epoch_time() {
        let input = parse_json(
            r#"{"Entries":[{"Detail":{"a":1},"DetailType":"t","Source":"s","Bogus":1,
                "Resources":["arn:r"],"Time":"2024-01-02T03:04:05Z"}],"Other":true}"#,
        )
        .unwrap();
        let body = request(&input, &["arn:m", "arn:e"]);
        assert_eq!(
            body.to_json(),
            r#"{"Entries":[{"Detail":"{\"a\":1}","DetailType":"t","Source":"s","Resources":["arn:r","arn:m","arn:e"],"Time":1704164645}]}"#
        );
    }

    #[test]
    fn a_failed_entry_fails_the_task_with_the_whole_response() {
        let answer = parse_json(
            r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InvalidArgument","ErrorMessage":"bad"}]}"#,
        )
        .unwrap();
        let Value::Object(m) = answer else { panic!() };
        let e = result(Arc::unwrap_or_clone(m)).unwrap_err();
        assert_eq!(e.error(), "EventBridge.FailedEntry");
        assert_eq!(
            e.cause(),
            Some(
                r#"{"Entries":[{"ErrorCode":"InvalidArgument","ErrorMessage":"bad"}],"FailedEntryCount":1}"#
            )
        );
    }
}
