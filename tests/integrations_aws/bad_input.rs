//! Endpoints that refuse, drop, hang or answer garbage, and machines no endpoint can serve:
//! clear Task errors, retried by Retry as on AWS, never a hang past `TimeoutSeconds`; clear
//! creation errors naming the flag. These need no moto.

use super::*;
use std::sync::atomic::Ordering;

/// A port nobody listens on.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

const SEND: &str = "arn:aws:states:::sqs:sendMessage";

fn send_params() -> Value {
    json!({"QueueUrl": "http://q/123456789012/q", "MessageBody": "x"})
}

#[tokio::test]
async fn a_refused_connection_is_sqs_sdk_client_exception() {
    let (error, cause) = caught_error(&dead_url(), SEND, send_params()).await;
    assert_eq!(error, "SQS.SdkClientException");
    assert!(
        cause.starts_with("Unable to execute HTTP request: could not reach http://127.0.0.1:"),
        "{cause}"
    );
    assert!(cause.contains("refused"), "{cause}");
}

#[tokio::test]
async fn a_dropped_connection_is_retried_by_the_machines_retry() {
    let (url, count) = fake(Fake::Drop).await;
    let task = json!({"Type": "Task", "Resource": SEND, "Parameters": send_params(),
        "Retry": [{"ErrorEquals": ["SQS.SdkClientException"], "IntervalSeconds": 1,
                   "MaxAttempts": 2, "BackoffRate": 1.0}],
        "End": true});
    let o = run_task(&url, task, json!({})).await;
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.error.as_deref(), Some("SQS.SdkClientException"));
    assert_eq!(count.load(Ordering::SeqCst), 3, "one call and two retries");
}

#[tokio::test]
async fn an_endpoint_that_never_answers_times_out_with_the_task() {
    let (url, _) = fake(Fake::Hang).await;
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "t", "Key": {"id": {"S": "1"}}}, "TimeoutSeconds": 1, "End": true});
    let started = Instant::now();
    let o = run_task(&url, task, json!({})).await;
    assert_eq!(o.error.as_deref(), Some("States.Timeout"));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn an_answer_past_any_result_is_states_data_limit_exceeded_not_an_sdk_error() {
    let body = "x".repeat(600 * 1024);
    let raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (url, _) = fake(Fake::Answer(Box::leak(raw.into_boxed_str()))).await;
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "t", "Key": {"id": {"S": "1"}}}, "End": true});
    let o = run_task(&url, task, json!({})).await;
    assert_eq!(o.error.as_deref(), Some("States.DataLimitExceeded"));
    // TASK-8: a service integration is named by its service.
    let cause = o.cause.unwrap_or_default();
    assert!(cause.contains("'dynamodb'"), "{cause}");
}

#[tokio::test]
async fn a_2xx_that_is_not_json_is_an_unmarshall_error() {
    let (url, _) = fake(Fake::Answer(
        "HTTP/1.1 200 OK\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot json!",
    ))
    .await;
    let (error, cause) = caught_error(
        &url,
        "arn:aws:states:::dynamodb:getItem",
        json!({"TableName": "t", "Key": {"id": {"S": "1"}}}),
    )
    .await;
    assert_eq!(error, "DynamoDB.SdkClientException");
    assert!(
        cause.starts_with("Unable to unmarshall response ("),
        "{cause}"
    );
    assert!(
        cause.ends_with("Response Code: 200, Response Text: not json!"),
        "{cause}"
    );
}

#[tokio::test]
async fn a_5xx_page_is_the_services_base_exception_and_retried() {
    let (url, count) = fake(Fake::Answer(
        "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 11\r\nconnection: close\r\n\r\n<html>x</a>",
    ))
    .await;
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}],
        "End": true});
    let o = run_task(&url, task, json!({})).await;
    assert_eq!(o.error.as_deref(), Some("SNS.AmazonSNSException"));
    let cause = o.cause.unwrap();
    assert!(
        cause
            .starts_with("<html>x</a> (Service: AmazonSNS; Status Code: 502; Error Code: Http502;"),
        "{cause}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // The same page to an aws-sdk Task: the SDK v2's base exception.
    let (error, _) = caught_error(&url, "arn:aws:states:::aws-sdk:sqs:listQueues", json!({})).await;
    assert_eq!(error, "Sqs.SqsException");
}

#[tokio::test]
async fn an_xml_answer_that_is_not_the_actions_is_an_unmarshall_error() {
    let (url, _) = fake(Fake::Answer(
        "HTTP/1.1 200 OK\r\ncontent-length: 20\r\nconnection: close\r\n\r\n<Other><A>1</A></Other",
    ))
    .await;
    let (error, cause) = caught_error(
        &url,
        "arn:aws:states:::sns:publish",
        json!({"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"}),
    )
    .await;
    assert_eq!(error, "SNS.SdkClientException");
    assert!(
        cause.starts_with("Unable to unmarshall response (invalid XML"),
        "{cause}"
    );
}

fn machine(resource: &str, handlers: &Handlers) -> Result<Machine, aslx::MachineError> {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": true}}});
    Machine::new("m", &def.to_json(), MachineType::Standard, handlers)
}

#[test]
fn a_service_with_no_endpoint_and_no_handler_is_refused_naming_the_flag() {
    let mut h = Handlers::new();
    h.integrations(Integrations::new(
        Endpoints::new(),
        AwsCredentials::default(),
    ));
    for (resource, flag) in [
        (
            "arn:aws:states:::dynamodb:putItem",
            "--endpoint dynamodb=URL (or DYNAMODB_ENDPOINT",
        ),
        (
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "--endpoint sqs=URL (or SQS_ENDPOINT",
        ),
        (
            "arn:aws:states:::sns:publish",
            "--endpoint sns=URL (or SNS_ENDPOINT",
        ),
        (
            "arn:aws:states:::events:putEvents",
            "--endpoint events=URL (or EVENTBRIDGE_ENDPOINT",
        ),
        (
            "arn:aws:states:::aws-sdk:sfn:startExecution",
            "--endpoint states=URL (or STEP_FUNCTIONS_ENDPOINT",
        ),
        (
            "arn:aws:states:::aws-sdk:eventbridge:putEvents",
            "--endpoint events=URL",
        ),
    ] {
        let err = machine(resource, &h).unwrap_err().to_string();
        assert!(
            err.contains(resource) && err.contains(flag),
            "{resource}: {err}"
        );
    }
    // With the endpoint set the same machine links.
    let h = handlers_at("http://127.0.0.1:9");
    machine("arn:aws:states:::dynamodb:putItem", &h).unwrap();
    // A Lambda action aslx does not call at an endpoint: the error says what would work.
    let err = machine("arn:aws:states:::aws-sdk:lambda:createFunction", &h)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a handler of your own"), "{err}");
}

#[test]
fn patterns_aws_does_not_offer_are_invalid_definitions() {
    let h = handlers_at("http://127.0.0.1:9");
    for resource in [
        "arn:aws:states:::aws-sdk:dynamodb:getItem.sync",
        "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
        "arn:aws:states:::sqs:sendMessage.sync",
    ] {
        let err = machine(resource, &h).unwrap_err();
        assert!(
            matches!(err, aslx::MachineError::Definition(_)),
            "{resource}: {err}"
        );
        assert!(err.to_string().contains("is not recognized"), "{err}");
    }
}
