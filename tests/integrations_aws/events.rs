//! `events:putEvents` against moto: the event reaches a rule's SQS target with its `Detail`
//! as JSON and the machine's and the execution's ARNs in `resources`.

use super::*;

#[tokio::test]
async fn put_events_delivers_the_event_with_the_machine_and_execution_arns() {
    let Some(m) = moto() else { return };
    let bus = unique("bus");
    let source = unique("aslx.test");
    api(
        m,
        "events",
        "AWSEvents.CreateEventBus",
        json!({ "Name": bus }),
    );
    let qname = unique("events");
    let queue = create_queue(m, &qname);
    let rule = unique("rule");
    api(
        m,
        "events",
        "AWSEvents.PutRule",
        json!({"Name": rule, "EventBusName": bus,
               "EventPattern": json!({"source": [source]}).to_json()}),
    );
    api(
        m,
        "events",
        "AWSEvents.PutTargets",
        json!({"Rule": rule, "EventBusName": bus,
               "Targets": [{"Id": "q", "Arn": format!("arn:aws:sqs:us-east-1:123456789012:{qname}")}]}),
    );
    let def = json!({"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {"Entries": [{"Detail": {"order.$": "$.order"}, "DetailType": "Ordered",
                "Source": source, "EventBusName": bus, "Resources": ["arn:aws:s3:::mine"]}]},
            "ResultPath": "$.put", "Next": "Who"},
        "Who": {"Type": "Pass", "Parameters": {"put.$": "$.put", "execution.$": "$$.Execution.Id",
            "machine.$": "$$.StateMachine.Id"}, "End": true}}});
    let machine = Machine::new(
        "events-m",
        &def.to_json(),
        MachineType::Standard,
        &handlers_at(&m.url),
    )
    .unwrap();
    let o = machine.run(json!({"order": 7})).await;
    let out = output(&o);
    let put = out.get("put").unwrap();
    assert_eq!(keys(put), ["Entries", "FailedEntryCount"]);
    assert_eq!(put.get("FailedEntryCount"), Some(&Value::Int(0)));
    let event_id = put.get("Entries").unwrap().as_array().unwrap()[0]
        .get("EventId")
        .unwrap()
        .clone();
    let got = receive(m, &queue);
    assert_eq!(got.len(), 1, "the rule delivered the event to its queue");
    let event = aslx::parse_json(got[0].get("Body").unwrap().as_str().unwrap()).unwrap();
    assert_eq!(event.get("id"), Some(&event_id));
    assert_eq!(event.get("detail").unwrap().to_json(), r#"{"order":7}"#);
    assert_eq!(event.get("detail-type"), Some(&Value::from("Ordered")));
    let resources: Vec<&str> = event
        .get("resources")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let machine_arn = out.get("machine").unwrap().as_str().unwrap();
    let execution_arn = out.get("execution").unwrap().as_str().unwrap();
    assert_eq!(resources, ["arn:aws:s3:::mine", machine_arn, execution_arn]);
}

#[tokio::test]
async fn a_failed_entry_is_eventbridge_failed_entry_with_the_whole_response() {
    let Some(m) = moto() else { return };
    // No DetailType: EventBridge fails the entry (not the request).
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::events:putEvents",
        json!({"Entries": [{"Detail": {"a": 1}, "Source": "s"}]}),
    )
    .await;
    assert_eq!(error, "EventBridge.FailedEntry");
    let cause = aslx::parse_json(&cause).unwrap();
    assert_eq!(cause.get("FailedEntryCount"), Some(&Value::Int(1)));
    let entry = &cause.get("Entries").unwrap().as_array().unwrap()[0];
    assert_eq!(
        entry.get("ErrorCode"),
        Some(&Value::from("InvalidArgument"))
    );
}
