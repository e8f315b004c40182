//! The EventBridge protocol layer over a real service: what each answer holds, and the
//! requests it refuses (issue 15). Each test is named after what was wrong before it.

use super::super::{Identity, Service};
use crate::serve::backend::Backend;
use crate::serve::protocol::ApiError;
use serde_json::{json, Value as Json};

const MACHINE: &str = "arn:aws:states:us-east-1:111111111111:stateMachine:m";

fn service() -> Service {
    let id = Identity {
        partition: "aws".into(),
        region: "us-east-1".into(),
        account: "111111111111".into(),
    };
    let backend = Backend::new(
        crate::Handlers::new(),
        &id,
        100,
        tokio::runtime::Handle::current(),
    )
    .unwrap();
    Service::new(id, backend, None)
}

async fn ok(s: &Service, op: &str, body: Json) -> Json {
    match s.call_events(op, body.to_string().as_bytes()).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(e) => panic!("{op}: {e}"),
    }
}

async fn err(s: &Service, op: &str, body: Json) -> ApiError {
    match s.call_events(op, body.to_string().as_bytes()).await {
        Ok(bytes) => panic!("{op} should fail: {}", String::from_utf8_lossy(&bytes)),
        Err(e) => e,
    }
}

async fn rule(s: &Service, name: &str) {
    ok(
        s,
        "PutRule",
        json!({"Name": name, "EventPattern": r#"{"source": ["shop"]}"#}),
    )
    .await;
}

#[tokio::test]
async fn put_targets_with_bad_input_settings_refuses_the_whole_request() {
    let s = service();
    rule(&s, "r").await;
    let bad = json!({"InputPathsMap": {"a": "$.a"}, "InputTemplate": "<b>"});
    let e = err(
        &s,
        "PutTargets",
        json!({"Rule": "r", "Targets": [
            {"Id": "good", "Arn": MACHINE},
            {"Id": "bad", "Arn": MACHINE, "InputTransformer": bad},
        ]}),
    )
    .await;
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            "ValidationException",
            "InputTemplate for target bad contains invalid placeholder b."
        )
    );
    let e = err(
        &s,
        "PutTargets",
        json!({"Rule": "r", "Targets": [{"Id": "p", "Arn": MACHINE, "InputPath": "detail"}]}),
    )
    .await;
    assert_eq!(e.message, "InputPath for target p is invalid.");
    let listed = ok(&s, "ListTargetsByRule", json!({"Rule": "r"})).await;
    assert_eq!(listed, json!({"Targets": []}));
}

#[tokio::test]
async fn a_target_id_outside_its_pattern_is_refused() {
    let s = service();
    rule(&s, "r").await;
    let e = err(
        &s,
        "PutTargets",
        json!({"Rule": "r", "Targets": [{"Id": "bad id", "Arn": MACHINE}]}),
    )
    .await;
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'bad id' at 'targets.1.member.id' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
    );
}

#[tokio::test]
async fn a_target_put_without_a_retry_policy_is_listed_without_one() {
    let s = service();
    rule(&s, "r").await;
    let retry = json!({"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600});
    ok(
        &s,
        "PutTargets",
        json!({"Rule": "r", "Targets": [
            {"Id": "b", "Arn": MACHINE, "InputPath": "$.detail"},
            {"Id": "a", "Arn": MACHINE, "RetryPolicy": retry},
        ]}),
    )
    .await;
    let listed = ok(&s, "ListTargetsByRule", json!({"Rule": "r"})).await;
    assert_eq!(
        listed,
        json!({"Targets": [
            {"Id": "a", "Arn": MACHINE, "RetryPolicy": retry},
            {"Id": "b", "Arn": MACHINE, "InputPath": "$.detail"},
        ]})
    );
}

#[tokio::test]
async fn list_targets_by_rule_pages_with_limit_and_next_token() {
    let s = service();
    rule(&s, "r").await;
    let targets: Vec<Json> = ["c", "a", "b"]
        .iter()
        .map(|id| json!({"Id": id, "Arn": MACHINE}))
        .collect();
    ok(&s, "PutTargets", json!({"Rule": "r", "Targets": targets})).await;
    let first = ok(&s, "ListTargetsByRule", json!({"Rule": "r", "Limit": 2})).await;
    let ids = |v: &Json| -> Vec<String> {
        v["Targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), ["a", "b"]);
    let token = first["NextToken"].as_str().unwrap();
    let rest = ok(
        &s,
        "ListTargetsByRule",
        json!({"Rule": "r", "Limit": 2, "NextToken": token}),
    )
    .await;
    assert_eq!(ids(&rest), ["c"]);
    assert!(rest.get("NextToken").is_none());
    let e = err(
        &s,
        "ListTargetsByRule",
        json!({"Rule": "r", "NextToken": "not-a-token"}),
    )
    .await;
    assert_eq!(e.code, "InvalidToken");
}

#[tokio::test]
async fn put_events_members_of_the_wrong_type_refuse_the_request() {
    let s = service();
    for entry in [
        json!({"Source": 5, "DetailType": "t", "Detail": "{}"}),
        json!({"Source": "s", "DetailType": "t", "Detail": {"a": 1}}),
        json!({"Source": "s", "DetailType": "t", "Detail": "{}", "Resources": [1]}),
        json!({"Source": "s", "DetailType": "t", "Detail": "{}", "Time": "2024-01-01T00:00:00Z"}),
    ] {
        let e = err(&s, "PutEvents", json!({ "Entries": [entry] })).await;
        assert_eq!(e.code, "SerializationException", "{entry}");
    }
    let out = ok(
        &s,
        "PutEvents",
        json!({"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{}", "Time": 1_700_000_000}]}),
    )
    .await;
    assert_eq!(out["FailedEntryCount"], 0);
}

#[tokio::test]
async fn put_events_on_a_bus_that_does_not_exist_is_accepted_and_reported_as_aws_accepts_it() {
    let s = service();
    let reported = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = std::sync::Arc::clone(&reported);
    s.events()
        .on_failure(move |line| sink.lock().unwrap().push(line.to_string()));
    let out = ok(
        &s,
        "PutEvents",
        json!({"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{}", "EventBusName": "nobus"}]}),
    )
    .await;
    assert_eq!(out["FailedEntryCount"], 0);
    let id = out["Entries"][0]["EventId"].as_str().unwrap();
    let lines = reported.lock().unwrap();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(&format!(
            "event {id}: event bus nobus does not exist; the event was accepted and dropped"
        )),
        "{lines:?}"
    );
    assert_eq!(s.events().stats().failed, 1);
}

#[tokio::test]
async fn a_custom_bus_name_with_a_slash_is_refused() {
    let s = service();
    let e = err(&s, "CreateEventBus", json!({"Name": "team/orders"})).await;
    assert_eq!(e.code, "ValidationException");
    ok(&s, "CreateEventBus", json!({"Name": "team.orders"})).await;
}

#[tokio::test]
async fn put_rule_past_the_rule_quota_is_limit_exceeded_and_the_quota_can_be_raised() {
    let s = service();
    s.events().set_max_rules(2);
    rule(&s, "a").await;
    rule(&s, "b").await;
    // Putting a rule that is there again is no new rule.
    rule(&s, "b").await;
    let e = err(
        &s,
        "PutRule",
        json!({"Name": "c", "EventPattern": r#"{"source": ["shop"]}"#}),
    )
    .await;
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            "LimitExceededException",
            "The requested resource exceeds the maximum number allowed: 2 rules on event bus default."
        )
    );
    s.events().set_max_rules(3);
    rule(&s, "c").await;
}
