//! AWS service integrations against real wire protocols on loopback: moto's server (DynamoDB,
//! SQS, SNS, EventBridge, Step Functions, Lambda) started by the test, and small loopback
//! servers that refuse, drop or answer garbage. Machines run through `Machine` and `Engine`
//! with `Integrations` pointing at them; every test checks the Task's result (or error) and,
//! where there is one, the side effect read back from moto over its own API.
//!
//! moto comes from `tests/python/requirements.txt`, installed by `tests/python/venv.sh` into
//! `<target>/pyvenv` (done here on first use). Where it cannot be installed the moto tests
//! fail under `CI=true` and say so and pass elsewhere.

use aslx::engine::{Engine, StartRequest};
use aslx::integrations::{AwsCredentials, Endpoints, Integrations};
use aslx::{json, Handlers, Machine, MachineType, Outcome, Status, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "support/moto.rs"]
#[allow(dead_code)] // `port`: these tests use the URL.
mod moto_server;
use moto_server::{moto, Moto};

/// One call to moto's API over plain HTTP (moto checks no signatures; the credential scope
/// names the service, which is how its single server routes). Gives the status and body.
fn raw(url: &str, service: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let authority = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(authority).unwrap();
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

/// A JSON-protocol call to moto; the answer, which must be a 2xx.
fn api(m: &Moto, service: &str, target: &str, body: Value) -> Value {
    let version = if service == "events" { "1.1" } else { "1.0" };
    let ct = format!("application/x-amz-json-{version}");
    let (status, text) = raw(
        &m.url,
        service,
        &[("Content-Type", &ct), ("X-Amz-Target", target)],
        &body.to_json(),
    );
    assert!((200..300).contains(&status), "{target}: {status} {text}");
    aslx::value::parse_json(if text.is_empty() { "{}" } else { &text }).unwrap()
}

/// An SNS query-protocol call to moto; the XML answer.
fn sns(m: &Moto, form: &str) -> String {
    let (status, text) = raw(
        &m.url,
        "sns",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("{form}&Version=2010-03-31"),
    );
    assert!((200..300).contains(&status), "{form}: {status} {text}");
    text
}

/// A fresh name for this process's moto state.
fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

fn create_queue(m: &Moto, name: &str) -> String {
    let r = api(
        m,
        "sqs",
        "AmazonSQS.CreateQueue",
        json!({ "QueueName": name }),
    );
    r.get("QueueUrl").unwrap().as_str().unwrap().to_string()
}

/// The messages in a queue (up to 10, waiting up to 2 s for the first).
fn receive(m: &Moto, queue_url: &str) -> Vec<Value> {
    let r = api(
        m,
        "sqs",
        "AmazonSQS.ReceiveMessage",
        json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 2,
               "MessageAttributeNames": ["All"]}),
    );
    r.get("Messages")
        .and_then(Value::as_array)
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

fn create_table(m: &Moto, name: &str) {
    api(
        m,
        "dynamodb",
        "DynamoDB_20120810.CreateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
               "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
               "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}),
    );
}

// ---------------------------------------------------------------------------------------------
// Loopback endpoints that are not services

/// What a fake endpoint does with each connection.
#[derive(Clone, Copy)]
pub(crate) enum Fake {
    /// Closes it without a word.
    Drop,
    /// Reads the request and never answers.
    Hang,
    /// Answers this raw HTTP response.
    Answer(&'static str),
}

/// A loopback endpoint behaving as `fake`; counts connections.
pub(crate) async fn fake(fake: Fake) -> (String, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                match fake {
                    Fake::Drop => drop(s),
                    Fake::Hang => {
                        let _ = s.read(&mut buf).await;
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Fake::Answer(resp) => {
                        let _ = s.read(&mut buf).await;
                        let _ = s.write_all(resp.as_bytes()).await;
                        let _ = s.shutdown().await;
                    }
                }
            });
        }
    });
    (url, count)
}

// ---------------------------------------------------------------------------------------------
// Machines

/// Handlers whose integrations send every service to `url`.
fn handlers_at(url: &str) -> Handlers {
    let mut e = Endpoints::new();
    for s in ["dynamodb", "sqs", "sns", "events", "states", "lambda"] {
        e.set(s, url).unwrap();
    }
    let mut h = Handlers::new();
    h.integrations(Integrations::new(e, AwsCredentials::default()));
    h
}

/// Runs a one-Task STANDARD machine (`task` is the Task state's JSON) against `url`.
async fn run_task(url: &str, task: Value, input: Value) -> Outcome {
    let def = json!({"StartAt": "T", "States": {"T": task}});
    let m = Machine::new(
        "m",
        &def.to_json(),
        MachineType::Standard,
        &handlers_at(url),
    )
    .unwrap();
    m.run(input).await
}

fn output(o: &Outcome) -> &Value {
    assert_eq!(o.status, Status::Succeeded, "{:?} {:?}", o.error, o.cause);
    o.output.as_ref().unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .unwrap()
        .keys()
        .map(|k| k.to_string())
        .collect()
}

/// The metadata optimised integrations add: a 200 and the answer's request id.
fn assert_sdk_metadata(v: &Value) {
    let http = v.get("SdkHttpMetadata").expect("SdkHttpMetadata");
    assert_eq!(http.get("HttpStatusCode"), Some(&Value::Int(200)));
    let rid = v
        .get("SdkResponseMetadata")
        .unwrap()
        .get("RequestId")
        .unwrap();
    assert!(!rid.as_str().unwrap().is_empty());
    assert_eq!(
        http.get("HttpHeaders").unwrap().get("x-amzn-RequestId"),
        Some(rid)
    );
    assert!(http
        .get("AllHttpHeaders")
        .unwrap()
        .get("Content-Type")
        .is_some());
}

/// A Task that catches everything into `$.err`.
fn caught(resource: &str, params: Value) -> Value {
    json!({"Type": "Task", "Resource": resource, "Parameters": params,
           "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Caught"}],
           "End": true})
}

/// Runs `caught(...)` and gives the caught error and cause.
async fn caught_error(url: &str, resource: &str, params: Value) -> (String, String) {
    let def = json!({"StartAt": "T", "States": {
        "T": caught(resource, params),
        "Caught": {"Type": "Pass", "End": true}}});
    let m = Machine::new(
        "m",
        &def.to_json(),
        MachineType::Standard,
        &handlers_at(url),
    )
    .unwrap();
    let o = m.run(json!({})).await;
    let err = output(&o).get("err").expect("the error was caught").clone();
    let s = |k: &str| {
        err.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (s("Error"), s("Cause"))
}

#[path = "integrations_aws/aws_sdk.rs"]
mod aws_sdk;
#[path = "integrations_aws/bad_input.rs"]
mod bad_input;
#[path = "integrations_aws/dynamodb.rs"]
mod dynamodb;
#[path = "integrations_aws/events.rs"]
mod events;
#[path = "integrations_aws/sns_sqs.rs"]
mod sns_sqs;
