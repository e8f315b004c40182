//! `.waitForTaskToken` over the HTTP API: an in-process `aslx serve` whose callback resource is
//! bound to a Rust handler that records `$$.Task.Token` (what an SQS consumer or a Lambda would
//! receive), then SendTaskSuccess / SendTaskFailure over HTTP complete the waiting Task.

use aslx::serve::backend::Backend;
use aslx::serve::http::{Limits, Server};
use aslx::serve::ops::{Identity, Service};
use aslx::{json, Handlers};
use serde_json::{json as sjson, Value as Json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request on a fresh connection (`Connection: close`): status and JSON body.
fn call(addr: SocketAddr, op: &str, body: &Json) -> (u16, Json) {
    let body = body.to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.{op}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let (_, rest) = text.split_once("\r\n\r\n").unwrap();
    // The body may be chunked; the JSON object sits between the first '{' and the last '}'.
    let json = &rest[rest.find('{').unwrap()..=rest.rfind('}').unwrap()];
    (status, serde_json::from_str(json).unwrap())
}

fn ok(addr: SocketAddr, op: &str, body: Json) -> Json {
    let (status, v) = call(addr, op, &body);
    assert_eq!(status, 200, "{op}: {v}");
    v
}

/// Waits for the next recorded token (the handler runs when the Task starts).
fn next_token(tokens: &Mutex<Vec<String>>) -> String {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(t) = tokens.lock().unwrap().pop() {
            return t;
        }
        assert!(Instant::now() < until, "no task token was recorded");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn wait_for_task_token_completed_over_http() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tokens: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut handlers = Handlers::new();
    let seen = Arc::clone(&tokens);
    handlers.resource("arn:aws:states:::sqs:sendMessage", move |params| {
        let token = params
            .get("MessageBody")
            .and_then(|b| b.get("token"))
            .and_then(|t| t.as_str())
            .unwrap_or_default();
        seen.lock().unwrap().push(token.to_string());
        Ok(json!({"MessageId": "m-1"}))
    });
    let id = Identity {
        partition: "aws".into(),
        region: "us-east-1".into(),
        account: "111111111111".into(),
    };
    let backend = Backend::with_engine(handlers, &id, rt.handle().clone(), |b| {
        b.max_in_flight(100).allow_callbacks_in_express(true)
    })
    .unwrap();
    let service = Service::new(id, backend, None);
    let server = rt
        .block_on(Server::bind(
            "127.0.0.1:0".parse().unwrap(),
            service,
            Limits::default(),
            None,
        ))
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = rt.spawn(server.run(async {
        let _ = stopped.await;
    }));

    let def = sjson!({"StartAt": "Send", "States": {"Send": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q",
                       "MessageBody": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
        "End": true}}})
    .to_string();
    let role = "arn:aws:iam::111111111111:role/aslx";
    for (name, ty) in [("cb-express", "EXPRESS"), ("cb-standard", "STANDARD")] {
        ok(
            addr,
            "CreateStateMachine",
            sjson!({"name": name, "definition": def, "roleArn": role, "type": ty}),
        );
    }
    let arn = |n: &str| format!("arn:aws:states:us-east-1:111111111111:stateMachine:{n}");

    // EXPRESS, sync: the worker's SendTaskSuccess output is the execution's output.
    let sync = {
        let arn = arn("cb-express");
        std::thread::spawn(move || {
            ok(
                addr,
                "StartSyncExecution",
                sjson!({"stateMachineArn": arn, "input": "{\"n\":5}"}),
            )
        })
    };
    let token = next_token(&tokens);
    ok(addr, "SendTaskHeartbeat", sjson!({"taskToken": token}));
    ok(
        addr,
        "SendTaskSuccess",
        sjson!({"taskToken": token, "output": "{\"sent\":5}"}),
    );
    let done = sync.join().unwrap();
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["output"], r#"{"sent":5}"#);
    let (status, again) = call(
        addr,
        "SendTaskSuccess",
        &sjson!({"taskToken": token, "output": "{}"}),
    );
    assert_eq!(
        (status, again["__type"].as_str()),
        (400, Some("TaskTimedOut"))
    );

    // STANDARD, async: SendTaskFailure fails the execution with the worker's error and cause.
    let started = ok(
        addr,
        "StartExecution",
        sjson!({"stateMachineArn": arn("cb-standard"), "input": "{\"n\":1}"}),
    );
    let exec = started["executionArn"].as_str().unwrap().to_string();
    let token = next_token(&tokens);
    ok(
        addr,
        "SendTaskFailure",
        sjson!({"taskToken": token, "error": "Queue.Full", "cause": "try later"}),
    );
    let until = Instant::now() + Duration::from_secs(30);
    let d = loop {
        let d = ok(addr, "DescribeExecution", sjson!({"executionArn": exec}));
        if d["status"] != "RUNNING" || Instant::now() > until {
            break d;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(
        (
            d["status"].as_str(),
            d["error"].as_str(),
            d["cause"].as_str()
        ),
        (Some("FAILED"), Some("Queue.Full"), Some("try later"))
    );
    let _ = stop.send(());
    rt.block_on(serving).unwrap();
}
