//! `sqs:sendMessage` and `sns:publish` (request-response and `.waitForTaskToken`) against moto.

use super::*;
use md5::{Digest, Md5};

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn send_message_sends_an_object_body_as_json_text_and_returns_md5_of_message_body() {
    let Some(m) = moto() else { return };
    let queue = create_queue(m, &unique("q"));
    let o = run_task(
        &m.url,
        json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
               "Parameters": {"QueueUrl": queue, "MessageBody": {"order.$": "$.order", "n": [1, 2]},
                              "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "new"}},
                              "Unknown": "dropped"},
               "End": true}),
        json!({"order": "o-1"}),
    )
    .await;
    let out = output(&o);
    let body = r#"{"order":"o-1","n":[1,2]}"#;
    assert_eq!(
        keys(out),
        [
            "MD5OfMessageAttributes",
            "MD5OfMessageBody",
            "MessageId",
            "SdkHttpMetadata",
            "SdkResponseMetadata"
        ]
    );
    assert_eq!(
        out.get("MD5OfMessageBody"),
        Some(&Value::from(md5_hex(body)))
    );
    assert_sdk_metadata(out);
    let got = receive(m, &queue);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].get("Body"),
        Some(&Value::from(body)),
        "the message is in the queue"
    );
    assert_eq!(got[0].get("MessageId"), out.get("MessageId"));
    assert_eq!(
        got[0]
            .get("MessageAttributes")
            .unwrap()
            .get("kind")
            .unwrap()
            .get("StringValue"),
        Some(&Value::from("new"))
    );
}

#[tokio::test]
async fn a_queue_that_does_not_exist_is_sqs_queue_does_not_exist() {
    let Some(m) = moto() else { return };
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl": format!("{}/123456789012/{}", m.url, unique("nope")), "MessageBody": "x"}),
    )
    .await;
    assert_eq!(error, "SQS.QueueDoesNotExistException");
    assert!(
        cause.starts_with("The specified queue does not exist. (Service: AmazonSQS; Status Code: 400; Error Code: AWS.SimpleQueueService.NonExistentQueue; Request ID: "),
        "{cause}"
    );
}

#[tokio::test]
async fn send_message_wait_for_task_token_completes_when_a_worker_returns_the_token() {
    let Some(m) = moto() else { return };
    let queue = create_queue(m, &unique("q"));
    let engine = Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(handlers_at(&m.url))
        .build()
        .unwrap();
    let def = json!({"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token", "q.$": "$.q"}},
        "TimeoutSeconds": 30, "End": true}}});
    engine
        .create_machine("ask", &def.to_json(), MachineType::Standard)
        .unwrap();
    let run = engine
        .start_with_handle(StartRequest::new("ask").input(json!({"q": "approve?"})))
        .unwrap();
    // The worker: reads the message from moto and answers with its token.
    let deadline = Instant::now() + Duration::from_secs(20);
    let message = loop {
        let q = queue.clone();
        let got = tokio::task::spawn_blocking(move || receive(moto().unwrap(), &q))
            .await
            .unwrap();
        if let Some(msg) = got.into_iter().next() {
            break msg;
        }
        assert!(Instant::now() < deadline, "no message reached the queue");
    };
    let body = aslx::parse_json(message.get("Body").unwrap().as_str().unwrap()).unwrap();
    assert_eq!(body.get("q"), Some(&Value::from("approve?")));
    let token = body.get("token").unwrap().as_str().unwrap();
    engine
        .send_task_success(token, r#"{"approved":true}"#)
        .unwrap();
    let o = run.wait().await;
    assert_eq!(
        output(&o).to_json(),
        r#"{"approved":true}"#,
        "the token's output is the result"
    );
}

#[tokio::test]
async fn publish_sends_an_object_message_as_json_text_to_the_topics_subscribers() {
    let Some(m) = moto() else { return };
    let name = unique("topic");
    let xml = sns(m, &format!("Action=CreateTopic&Name={name}"));
    let topic = format!("arn:aws:sns:us-east-1:123456789012:{name}");
    assert!(xml.contains(&topic), "{xml}");
    let qname = unique("sub");
    let queue = create_queue(m, &qname);
    sns(
        m,
        &format!(
            "Action=Subscribe&TopicArn={topic}&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:123456789012:{qname}"
        ),
    );
    let o = run_task(
        &m.url,
        json!({"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
               "Parameters": {"TopicArn": topic, "Message": {"hello.$": "$.who"}, "Subject": "greeting",
                              "MessageAttributes": {"lang": {"DataType": "String", "StringValue": "en"}}},
               "End": true}),
        json!({"who": "world"}),
    )
    .await;
    let out = output(&o);
    assert_eq!(
        keys(out),
        ["MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]
    );
    assert_sdk_metadata(out);
    let got = receive(m, &queue);
    assert_eq!(got.len(), 1, "the subscriber's queue got the message");
    let envelope = aslx::parse_json(got[0].get("Body").unwrap().as_str().unwrap()).unwrap();
    assert_eq!(
        envelope.get("Message"),
        Some(&Value::from(r#"{"hello":"world"}"#))
    );
    assert_eq!(envelope.get("Subject"), Some(&Value::from("greeting")));
    assert_eq!(envelope.get("MessageId"), out.get("MessageId"));
    assert_eq!(
        envelope
            .get("MessageAttributes")
            .unwrap()
            .get("lang")
            .unwrap()
            .get("Value"),
        Some(&Value::from("en"))
    );
}

#[tokio::test]
async fn publishing_to_a_topic_that_does_not_exist_is_sns_not_found() {
    let Some(m) = moto() else { return };
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::sns:publish",
        json!({"TopicArn": format!("arn:aws:sns:us-east-1:123456789012:{}", unique("nope")), "Message": "x"}),
    )
    .await;
    assert_eq!(error, "SNS.NotFoundException");
    assert!(
        cause.contains("(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: "),
        "{cause}"
    );
}

#[tokio::test]
async fn publish_wait_for_task_token_completes_when_the_subscriber_returns_the_token() {
    let Some(m) = moto() else { return };
    let name = unique("cb-topic");
    sns(m, &format!("Action=CreateTopic&Name={name}"));
    let topic = format!("arn:aws:sns:us-east-1:123456789012:{name}");
    let qname = unique("cb-sub");
    let queue = create_queue(m, &qname);
    sns(
        m,
        &format!(
            "Action=Subscribe&TopicArn={topic}&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:123456789012:{qname}"
        ),
    );
    let engine = Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(handlers_at(&m.url))
        .build()
        .unwrap();
    let def = json!({"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
        "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
        "Parameters": {"TopicArn": topic, "Message": {"token.$": "$$.Task.Token"}},
        "TimeoutSeconds": 30, "End": true}}});
    engine
        .create_machine("ask-sns", &def.to_json(), MachineType::Standard)
        .unwrap();
    let run = engine
        .start_with_handle(StartRequest::new("ask-sns").input(json!({})))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let message = loop {
        let q = queue.clone();
        let got = tokio::task::spawn_blocking(move || receive(moto().unwrap(), &q))
            .await
            .unwrap();
        if let Some(msg) = got.into_iter().next() {
            break msg;
        }
        assert!(Instant::now() < deadline, "nothing reached the subscriber");
    };
    let envelope = aslx::parse_json(message.get("Body").unwrap().as_str().unwrap()).unwrap();
    let inner = aslx::parse_json(envelope.get("Message").unwrap().as_str().unwrap()).unwrap();
    let token = inner.get("token").unwrap().as_str().unwrap();
    engine.send_task_success(token, r#"{"ok":1}"#).unwrap();
    assert_eq!(output(&run.wait().await).to_json(), r#"{"ok":1}"#);
}

#[tokio::test]
async fn a_handler_of_the_users_own_wins_over_the_endpoint() {
    // The endpoint is dead: only the user's handler can answer.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let mut h = handlers_at(&dead);
    h.resource("arn:aws:states:::sqs:sendMessage", |v: Value| {
        Ok(json!({"MessageId": "local", "got": v}))
    });
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "q", "MessageBody": "b"}, "End": true}}});
    let m = Machine::new("m", &def.to_json(), MachineType::Standard, &h).unwrap();
    let o = m.run(json!({})).await;
    assert_eq!(
        output(&o).to_json(),
        r#"{"MessageId":"local","got":{"QueueUrl":"q","MessageBody":"b"}}"#
    );
}

/// `aslx run` ran machines on a runtime without an IO driver, so its first call to an
/// endpoint panicked ("IO is disabled") instead of reaching the service.
#[test]
fn aslx_run_with_an_endpoint_reaches_the_service() {
    let Some(m) = moto() else { return };
    let queue = create_queue(m, &unique("cli"));
    let dir = std::env::temp_dir().join(unique("aslx-run"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("send.json");
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": queue, "MessageBody.$": "$"}, "End": true}}});
    std::fs::write(&file, def.to_json()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .arg("run")
        .arg(&file)
        .args(["--input", r#"{"from":"cli"}"#])
        .args(["--endpoint", &format!("sqs={}", m.url)])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcome = aslx::parse_json(&stdout).unwrap();
    assert_eq!(
        outcome.get("status"),
        Some(&Value::from("SUCCEEDED")),
        "{stdout}"
    );
    assert!(
        outcome
            .get("output")
            .unwrap()
            .get("MD5OfMessageBody")
            .is_some(),
        "{stdout}"
    );
    let got = receive(m, &queue);
    assert_eq!(got[0].get("Body"), Some(&Value::from(r#"{"from":"cli"}"#)));
}
