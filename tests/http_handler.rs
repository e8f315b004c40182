//! The `http:URL` handler (`Handlers::http`, `--handler RESOURCE=http:URL`) against a real
//! loopback server, and the HTTP Task's flags through the built `aslx run`: the
//! connections file and its errors.

#[path = "support/http_server.rs"]
mod http_server;

use aslx::{json, Handlers, Machine, MachineType, Outcome, Status, Value};
use http_server::{closed_port, SilentServer, TestServer};
use std::time::{Duration, Instant};

const ADD: &str = "arn:aws:lambda:us-east-1:123456789012:function:add";

/// A machine whose one Task calls the Lambda function `add`; `extra` adds Task fields.
fn machine(h: &Handlers, extra: &str) -> Machine {
    let def = format!(
        r#"{{"StartAt": "T", "States": {{"T": {{"Type": "Task", "Resource": "{ADD}" {extra},
            "End": true}}}}}}"#
    );
    Machine::new("m", &def, MachineType::Express, h).unwrap_or_else(|e| panic!("{e}\n{def}"))
}

async fn call(url: &str, extra: &str, input: Value) -> Outcome {
    let mut h = Handlers::new();
    h.http("add", url).unwrap();
    machine(&h, extra).run(input).await
}

fn failure(o: &Outcome) -> (&str, &str) {
    assert_eq!(o.status, Status::Failed, "{:?}", o.output);
    (
        o.error.as_deref().unwrap_or(""),
        o.cause.as_deref().unwrap_or(""),
    )
}

#[tokio::test]
async fn the_input_is_posted_as_json_and_the_json_answer_is_the_result() {
    let s = TestServer::start();
    let o = call(&s.url("/add"), "", json!({"a": 2, "b": 40})).await;
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(o.output, Some(json!({"sum": 42})));
    let seen = &s.seen_at("/add")[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.body, r#"{"a":2,"b":40}"#);
    assert_eq!(seen.header("content-type"), Some("application/json"));
}

/// `run_blocking` builds its own runtime: with an `http:` handler it must have an I/O driver
/// (without one the first connection panics), which executions of in-process handlers skip.
#[test]
fn run_blocking_reaches_an_http_handler() {
    let s = TestServer::start();
    let mut h = Handlers::new();
    h.http("add", &s.url("/add")).unwrap();
    let o = machine(&h, "").run_blocking(json!({"a": 1, "b": 2}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(o.output, Some(json!({"sum": 3})));
}

#[tokio::test]
async fn errors_map_to_task_failures_with_a_clear_cause() {
    let s = TestServer::start();
    // A Lambda-style error body names the error.
    let o = call(&s.url("/lambda-error"), "", json!({})).await;
    assert_eq!(failure(&o), ("PaymentDeclined", "card declined"));
    // Any other non-2xx: States.TaskFailed with the status in the cause.
    let o = call(&s.url("/status/503"), "", json!({})).await;
    let (e, c) = failure(&o);
    assert_eq!(e, "States.TaskFailed");
    let head = format!(
        "POST {} answered HTTP 503 Service Unavailable: ",
        s.url("/status/503")
    );
    assert!(c.starts_with(&head), "{c}");
    assert!(c.contains("status 503"), "{c}");
    // A 2xx that is not JSON.
    let o = call(&s.url("/garbage"), "", json!({})).await;
    let (e, c) = failure(&o);
    assert_eq!(e, "States.TaskFailed");
    assert!(c.contains("not JSON") && c.contains("<html>oops"), "{c}");
    // Nobody listening.
    let port = closed_port();
    let o = call(&format!("http://127.0.0.1:{port}/f"), "", json!({})).await;
    let (e, c) = failure(&o);
    assert_eq!(e, "States.TaskFailed");
    let head = format!("could not reach http://127.0.0.1:{port}/f");
    assert!(c.contains(&head) && c.contains("refused"), "{c}");
    // An answer larger than any result: States.DataLimitExceeded.
    let o = call(&s.url(&format!("/big/{}", 600 * 1024)), "", json!({})).await;
    let (e, c) = failure(&o);
    assert_eq!(e, "States.DataLimitExceeded");
    // Named by the Task's resource, as the VM names any oversized result (TASK-8).
    assert!(c.contains(&format!("'{ADD}'")), "{c}");
}

#[tokio::test]
async fn a_5xx_is_retried_and_the_second_attempt_succeeds() {
    let s = TestServer::start();
    let retry = r#", "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1,
                                "MaxAttempts": 2}]"#;
    let o = call(&s.url("/flaky"), retry, json!({})).await;
    assert_eq!(o.output, Some(json!({"ok": true})), "{:?}", o.cause);
    assert_eq!(s.seen_at("/flaky").len(), 2);
}

#[tokio::test]
async fn timeout_seconds_cancels_the_post() {
    let silent = SilentServer::start();
    let started = Instant::now();
    let url = format!("http://{}/slow", silent.addr);
    let o = call(&url, r#", "TimeoutSeconds": 1"#, json!({})).await;
    assert_eq!(failure(&o).0, "States.Timeout");
    let closed = silent.closed_within(Duration::from_secs(5)).await;
    let closed = closed.expect("the request was not cancelled");
    assert!(closed - started < Duration::from_secs(3));
}

#[test]
fn a_url_that_is_not_http_is_refused_by_the_library_and_the_spec_parser() {
    let mut h = Handlers::new();
    let e = h.http("add", "ftp://example.com/x").unwrap_err();
    assert!(e.contains("http:// or https://"), "{e}");
    let e = aslx::runtime::HandlerSpec::parse("add=http:localhost:3000").unwrap_err();
    assert!(e.contains("handler add: http:URL"), "{e}");
}

// ---- through the built binary ----

#[path = "support/run_aslx.rs"]
mod run_aslx;

use run_aslx::aslx;

fn temp_file(name: &str, content: &str) -> String {
    run_aslx::temp_file("http", name, content)
}

#[test]
fn aslx_run_binds_a_handler_spec_to_http() {
    let s = TestServer::start();
    let def = temp_file(
        "add.json",
        &format!(
            r#"{{"StartAt": "T", "States": {{"T": {{"Type": "Task", "Resource": "{ADD}",
                "End": true}}}}}}"#
        ),
    );
    let spec = format!("add=http:{}", s.url("/add"));
    let input = r#"{"a": 1, "b": 2}"#;
    let (code, out, err) = aslx(&["run", &def, "--handler", &spec, "--input", input]);
    assert_eq!(code, 0, "{out}{err}");
    let o: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(o["output"], serde_json::json!({"sum": 3}), "{out}");
    let (code, _, err) = aslx(&["run", &def, "--handler", "add=http:not a url"]);
    assert_eq!(code, 2);
    assert!(err.contains("handler add: http:URL"), "{err}");
}

#[test]
fn aslx_run_calls_an_http_task_with_a_connection_from_the_connections_file() {
    let s = TestServer::start();
    let def = temp_file(
        "task.json",
        &format!(
            r#"{{"StartAt": "T", "States": {{"T": {{"Type": "Task",
              "Resource": "arn:aws:states:::http:invoke",
              "Parameters": {{"ApiEndpoint": "{}", "Method": "GET", "Authentication":
                {{"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/api/1"}}}},
              "OutputPath": "$.ResponseBody", "End": true}}}}}}"#,
            s.url("/text")
        ),
    );
    let conns = temp_file(
        "conns.json",
        r#"{"api": {"AuthorizationType": "API_KEY", "AuthParameters":
             {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k-123"}}}}"#,
    );
    let (code, out, err) = aslx(&["run", &def, "--connections", &conns]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(r#""output":"hello, world""#), "{out}");
    assert_eq!(s.seen_at("/text")[0].header("x-api-key"), Some("k-123"));
    // Without the file the connection is unknown: the Task fails as AWS's would.
    let (code, out, _) = aslx(&["run", &def]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Events.ConnectionResource.ResourceNotFound"),
        "{out}"
    );
    assert!(out.contains("--connections FILE"), "{out}");
}

#[test]
fn a_bad_connections_file_is_refused_at_start_up_naming_file_connection_and_field() {
    let def = temp_file(
        "noop.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    let cases = [
        (
            "unknown-type.json",
            r#"{"crm": {"AuthorizationType": "DIGEST", "AuthParameters": {}}}"#,
            r#"connection "crm": AuthorizationType "DIGEST" is not one of API_KEY, BASIC, OAUTH_CLIENT_CREDENTIALS"#,
        ),
        ("not-json.json", "{\n  \"crm\": {", "not valid JSON: line 2"),
        (
            "missing.json",
            r#"{"crm": {"AuthorizationType": "BASIC", "AuthParameters":
                 {"BasicAuthParameters": {"Username": "u"}}}}"#,
            r#"connection "crm": BasicAuthParameters.Password is missing"#,
        ),
        (
            "secret.json",
            r#"{"crm": {"AuthorizationType": "API_KEY", "AuthParameters": {"ApiKeyAuthParameters":
                 {"ApiKeyName": "bad name", "ApiKeyValue": "very-secret"}}}}"#,
            r#"ApiKeyName "bad name" is not a valid HTTP header name"#,
        ),
    ];
    for (name, text, says) in cases {
        let f = temp_file(name, text);
        let (code, out, err) = aslx(&["run", &def, "--connections", &f]);
        assert_eq!(code, 2, "{name}: {out}");
        let head = format!("--connections: connections file {f}: ");
        assert!(err.contains(&head), "{err}");
        assert!(err.contains(says), "{name}: {err}");
        assert!(!err.contains("very-secret"), "{err}");
    }
    let (code, _, err) = aslx(&["run", &def, "--connections", "/nonexistent/conns.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("connections file /nonexistent/conns.json: cannot read it"),
        "{err}"
    );
}

/// An Engine that builds its own runtime enables the I/O driver for `http:` handlers (it
/// leaves it off for handlers that open no sockets: `Handlers::needs_io`).
#[test]
fn an_engine_on_its_own_runtime_serves_http_handlers() {
    let s = TestServer::start();
    let mut h = Handlers::new();
    h.http("add", &s.url("/add")).unwrap();
    let engine = aslx::engine::Engine::builder()
        .handlers(h)
        .worker_threads(1)
        .build()
        .unwrap();
    let def = format!(
        r#"{{"StartAt": "T", "States": {{"T": {{"Type": "Task", "Resource": "{ADD}", "End": true}}}}}}"#
    );
    engine
        .create_machine("m", &def, MachineType::Express)
        .unwrap();
    let req = aslx::engine::StartRequest::new("m").input(json!({"a": 1, "b": 2}));
    let done = engine.start_sync_blocking(req).unwrap();
    assert_eq!(
        done.outcome.output,
        Some(json!({"sum": 3})),
        "{:?}",
        done.outcome.cause
    );
}
