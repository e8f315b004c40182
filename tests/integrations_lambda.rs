//! Lambda functions at an endpoint (`--endpoint lambda=URL`, `LAMBDA_ENDPOINT`): legacy
//! function ARNs and `lambda:invoke` against a real Lambda Invoke endpoint on loopback
//! (`tests/servers/lambda_server.py`, the service's wire protocol), RES-1 and RES-2.

#[path = "support/lambda_server.rs"]
mod lambda_server;

use aslx::integrations::{AwsCredentials, Endpoints, Integrations};
use aslx::{json, Handlers, Machine, MachineType, Outcome, Status, Value};
use lambda_server::LambdaServer;

const ARN: &str = "arn:aws:lambda:us-east-1:111111111111:function";

fn handlers_at(url: &str) -> Handlers {
    let mut e = Endpoints::new();
    e.set("lambda", url).unwrap();
    let mut h = Handlers::new();
    h.integrations(Integrations::new(e, AwsCredentials::default()));
    h
}

fn run(h: &Handlers, def: Value, input: Value) -> Outcome {
    let m = Machine::new("m", &def.to_json(), MachineType::Standard, h).unwrap();
    m.run_blocking(input)
}

fn one_task(task: Value) -> Value {
    json!({"StartAt": "T", "States": {"T": task}})
}

#[test]
fn res_1_a_function_arn_task_gets_the_functions_result_alone() {
    let s = LambdaServer::start();
    s.set_functions(&[("double", r#"return:{"n": 2}"#), ("id", "identity")]);
    let h = handlers_at(&s.url);
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": format!("{ARN}:id"), "Next": "B"},
        "B": {"Type": "Task", "Resource": format!("{ARN}:double:7"), "End": true}}});
    let o = run(&h, def, json!({"a": [1, "x", null]}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(o.output.unwrap(), json!({"n": 2}));
    let calls = s.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["function"], "id");
    assert_eq!(calls[0]["body"], r#"{"a":[1,"x",null]}"#);
    // The ARN's qualifier is the Invoke API's Qualifier.
    assert_eq!(
        (
            calls[1]["function"].as_str(),
            calls[1]["qualifier"].as_str()
        ),
        (Some("double"), Some("7"))
    );
}

#[test]
fn res_2_lambda_invoke_returns_the_endpoints_whole_invoke_response() {
    let s = LambdaServer::start();
    s.set_functions(&[("f", "identity")]);
    let h = handlers_at(&s.url);
    let def = one_task(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true}),
    );
    let o = run(&h, def, json!({"k": "v"}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    let out = o.output.unwrap();
    assert_eq!(out.get("Payload"), Some(&json!({"k": "v"})));
    assert_eq!(out.get("StatusCode"), Some(&Value::Int(200)));
    assert_eq!(out.get("ExecutedVersion"), Some(&Value::from("$LATEST")));
    let meta = out.get("SdkHttpMetadata").unwrap();
    assert_eq!(meta.get("HttpStatusCode"), Some(&Value::Int(200)));
    let headers = meta.get("HttpHeaders").unwrap();
    // The Python runtime's spacing: the body the recordings measure.
    assert_eq!(
        headers.get("Content-Length"),
        Some(&Value::from(r#"{"k": "v"}"#.len().to_string()))
    );
    assert_eq!(
        headers.get("X-Amz-Executed-Version"),
        Some(&Value::from("$LATEST"))
    );
    let request_id = out
        .get("SdkResponseMetadata")
        .unwrap()
        .get("RequestId")
        .unwrap();
    assert_eq!(headers.get("x-amzn-RequestId"), Some(request_id));
    assert_eq!(
        meta.get("AllHttpHeaders").unwrap().get("Connection"),
        Some(&json!(["keep-alive"]))
    );
    assert!(headers.get("Server").is_none());
}

#[test]
fn res_2_invocation_options_reach_the_endpoint() {
    let s = LambdaServer::start();
    s.set_functions(&[("f", "echo_request")]);
    let h = handlers_at(&s.url);
    let def = json!({"StartAt": "Tail", "States": {
        "Tail": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": format!("{ARN}:f"), "Qualifier": "3", "LogType": "Tail",
                "ClientContext": "eyJ4IjoxfQ==", "Payload": {"p": 1}},
            "ResultPath": "$.tail", "Next": "Event"},
        "Event": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "InvocationType": "Event", "Payload": {}},
            "ResultPath": "$.event", "End": true}}});
    let o = run(&h, def, json!({}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    let out = o.output.unwrap();
    let tail = out.get("tail").unwrap();
    assert_eq!(tail.get("ExecutedVersion"), Some(&Value::from("3")));
    assert!(tail
        .get("LogResult")
        .and_then(Value::as_str)
        .is_some_and(|l| !l.is_empty()));
    let seen = tail.get("Payload").unwrap();
    assert_eq!(seen.get("event"), Some(&json!({"p": 1})));
    let sent = seen.get("headers").unwrap();
    assert_eq!(sent.get("x-amz-log-type"), Some(&Value::from("Tail")));
    assert_eq!(
        sent.get("x-amz-client-context"),
        Some(&Value::from("eyJ4IjoxfQ=="))
    );
    assert!(sent
        .get("authorization")
        .and_then(Value::as_str)
        .is_some_and(|a| a.contains("/us-east-1/lambda/aws4_request")));
    let event = out.get("event").unwrap();
    assert_eq!(event.get("StatusCode"), Some(&Value::Int(202)));
    assert_eq!(event.get("Payload"), Some(&Value::from("")));
    assert_eq!(s.calls()[0]["qualifier"], "3");
}

#[test]
fn err_5_a_function_error_is_named_by_its_error_type_and_caught() {
    let s = LambdaServer::start();
    s.set_functions(&[("bad", "raise:ValueError:no luck")]);
    let h = handlers_at(&s.url);
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "bad", "Payload": {}},
            "Catch": [{"ErrorEquals": ["ValueError"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Pass", "End": true}}});
    let o = run(&h, def, json!({}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    let out = o.output.unwrap();
    assert_eq!(out.get("Error"), Some(&Value::from("ValueError")));
    let cause: serde_json::Value =
        serde_json::from_str(out.get("Cause").unwrap().as_str().unwrap()).unwrap();
    assert_eq!(cause["errorMessage"], "no luck");
    assert_eq!(cause["errorType"], "ValueError");
}

#[test]
fn a_missing_function_is_lambda_resource_not_found_with_the_sdk_cause() {
    let s = LambdaServer::start();
    s.set_functions(&[]);
    let h = handlers_at(&s.url);
    let def = one_task(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "nope", "Payload": {}}, "End": true}),
    );
    let o = run(&h, def, json!({}));
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.error.as_deref(), Some("Lambda.ResourceNotFoundException"));
    let cause = o.cause.unwrap();
    assert!(
        cause.starts_with(
            "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope:$LATEST \
             (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "
        ),
        "{cause}"
    );
    assert!(cause.ends_with("; Proxy: null)"), "{cause}");
}

#[test]
fn a_dead_endpoint_is_an_sdk_client_error_that_retry_sees() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = handlers_at(&format!("http://127.0.0.1:{port}"));
    let def = one_task(json!({"Type": "Task", "Resource": format!("{ARN}:f"),
        "Retry": [{"ErrorEquals": ["Lambda.SdkClientException"], "MaxAttempts": 1, "IntervalSeconds": 1}],
        "End": true}));
    let started = std::time::Instant::now();
    let o = run(&h, def, json!({}));
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.error.as_deref(), Some("Lambda.SdkClientException"));
    let cause = o.cause.unwrap();
    assert!(
        cause.starts_with("Unable to execute HTTP request: could not reach http://127.0.0.1:"),
        "{cause}"
    );
    // The retry waited its interval before the second attempt.
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn a_function_that_never_answers_times_out_at_the_tasks_timeout() {
    let s = LambdaServer::start();
    s.set_functions(&[("slow", "hang")]);
    let h = handlers_at(&s.url);
    let def = one_task(json!({"Type": "Task", "Resource": format!("{ARN}:slow"),
        "TimeoutSeconds": 1, "End": true}));
    let started = std::time::Instant::now();
    let o = run(&h, def, json!({}));
    assert_eq!(o.error.as_deref(), Some("States.Timeout"));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn a_local_handler_wins_over_the_endpoint() {
    let s = LambdaServer::start();
    s.set_functions(&[("f", "identity")]);
    let mut h = handlers_at(&s.url);
    h.function("f", |_| Ok(json!("local")));
    let def = one_task(json!({"Type": "Task", "Resource": format!("{ARN}:f"), "End": true}));
    assert_eq!(run(&h, def, json!({})).output, Some(json!("local")));
    assert!(s.calls().is_empty());
}

#[test]
fn without_an_endpoint_the_machine_is_refused_naming_the_flag() {
    let mut h = Handlers::new();
    h.integrations(Integrations::new(
        Endpoints::new(),
        AwsCredentials::default(),
    ));
    let def = one_task(json!({"Type": "Task", "Resource": format!("{ARN}:f"), "End": true}));
    let err = Machine::new("m", &def.to_json(), MachineType::Express, &h).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("--endpoint lambda=URL"), "{msg}");
    assert!(msg.contains("LAMBDA_ENDPOINT"), "{msg}");
}

#[test]
fn aslx_run_invokes_functions_at_the_lambda_endpoint_flag_and_variable() {
    let s = LambdaServer::start();
    s.set_functions(&[("greet", r#"return:{"hi": true}"#)]);
    let dir = std::env::temp_dir().join(format!("aslx-lambda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("m.asl.json");
    let def = one_task(json!({"Type": "Task", "Resource": format!("{ARN}:greet"), "End": true}));
    std::fs::write(&file, def.to_json()).unwrap();
    let bin = env!("CARGO_BIN_EXE_aslx");
    let by_flag = std::process::Command::new(bin)
        .args(["run", file.to_str().unwrap(), "--lambda-endpoint", &s.url])
        .env_remove("LAMBDA_ENDPOINT")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&by_flag.stdout);
    assert!(
        by_flag.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&by_flag.stderr)
    );
    assert!(text.contains(r#""output":{"hi":true}"#), "{text}");
    let by_var = std::process::Command::new(bin)
        .args(["run", file.to_str().unwrap()])
        .env("LAMBDA_ENDPOINT", &s.url)
        .output()
        .unwrap();
    assert!(
        by_var.status.success(),
        "{}",
        String::from_utf8_lossy(&by_var.stderr)
    );
    let unbound = std::process::Command::new(bin)
        .args(["run", file.to_str().unwrap()])
        .env_remove("LAMBDA_ENDPOINT")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_LAMBDA")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&unbound.stderr);
    assert_eq!(unbound.status.code(), Some(2), "{err}");
    assert!(err.contains("--endpoint lambda=URL"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
