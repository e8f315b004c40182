//! `aslx serve` end to end: the binary on an ephemeral port, driven with raw HTTP/1.1.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "111111111111";
const ROLE: &str = "arn:aws:iam::111111111111:role/aslx";

fn sm_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}")
}

struct Server {
    child: Child,
    port: u16,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_env(args, &[])
    }

    fn start_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aslx"));
        cmd.args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--threads",
            "2",
            "--in-memory",
        ])
        .args(args)
        .env_remove("SFN_MOCK_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start aslx serve");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        // "aslx serve: listening on http://127.0.0.1:PORT (region ..., account ...)"
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server {
            child,
            port,
            _stdout: stdout,
        }
    }

    fn conn(&self) -> Conn {
        Conn::new(self.port)
    }

    fn call(&self, op: &str, body: Value) -> (u16, Value) {
        self.conn().call(op, &body)
    }

    fn ok(&self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 200, "{op}: {v}");
        v
    }

    fn err(&self, op: &str, body: Value) -> (u16, String, String) {
        let (status, v) = self.call(op, body);
        assert_ne!(status, 200, "{op} should fail: {v}");
        (
            status,
            v["__type"].as_str().unwrap_or_default().to_string(),
            v["message"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// A CloudWatch Logs request (`Logs_20140328.<op>`).
    fn logs(&self, op: &str, body: Value) -> (u16, Value) {
        let r = self.conn().request(
            &format!("Logs_20140328.{op}"),
            body.to_string().as_bytes(),
            "",
        );
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    fn create(&self, name: &str, def: &Value, ty: &str) -> Value {
        self.ok(
            "CreateStateMachine",
            json!({"name": name, "definition": def.to_string(), "roleArn": ROLE, "type": ty}),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    r: BufReader<TcpStream>,
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Conn {
    fn new(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Conn {
            r: BufReader::new(s),
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.r.get_mut().write_all(bytes).unwrap();
    }

    fn request(&mut self, target: &str, body: &[u8], extra: &str) -> Resp {
        let head = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {target}\r\nContent-Length: {}\r\n{extra}\r\n",
            body.len()
        );
        self.send_raw(head.as_bytes());
        self.send_raw(body);
        self.read_response().expect("a response")
    }

    fn read_response(&mut self) -> Option<Resp> {
        let mut line = String::new();
        if self.r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.r.read_line(&mut h).ok()?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':')?;
            headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        self.r.read_exact(&mut body).ok()?;
        Some(Resp {
            status,
            headers,
            body,
        })
    }

    fn call(&mut self, op: &str, body: &Value) -> (u16, Value) {
        let r = self.request(
            &format!("AWSStepFunctions.{op}"),
            body.to_string().as_bytes(),
            "",
        );
        let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        (r.status, v)
    }

    /// True when the server closed the connection.
    fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b), Ok(0) | Err(_))
    }
}

fn pass(result: Value) -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}})
}

fn wait_for(mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "condition never held"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn machines_create_describe_update_list_delete() {
    let s = Server::start(&[]);
    let def = pass(json!({"v": 1}));
    let created = s.create("m1", &def, "EXPRESS");
    assert_eq!(created["stateMachineArn"], sm_arn("m1"));
    assert!(created["creationDate"].is_f64() || created["creationDate"].is_u64());
    // Idempotent: the same request gives the same answer; a different definition is refused.
    assert_eq!(s.create("m1", &def, "EXPRESS"), created);
    let (_, code, msg) = s.err(
        "CreateStateMachine",
        json!({"name": "m1", "definition": pass(json!(2)).to_string(), "roleArn": ROLE, "type": "EXPRESS"}),
    );
    assert_eq!(code, "StateMachineAlreadyExists");
    assert_eq!(
        msg,
        format!("State Machine Already Exists: '{}'", sm_arn("m1"))
    );

    let d = s.ok(
        "DescribeStateMachine",
        json!({"stateMachineArn": sm_arn("m1")}),
    );
    assert_eq!(d["definition"], def.to_string());
    assert_eq!(d["type"], "EXPRESS");
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["roleArn"], ROLE);
    assert_eq!(
        d["loggingConfiguration"],
        json!({"level": "OFF", "includeExecutionData": false})
    );
    assert_eq!(d["tracingConfiguration"], json!({"enabled": false}));

    let new_def = pass(json!({"v": 2}));
    let u = s.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": sm_arn("m1"), "definition": new_def.to_string()}),
    );
    assert!(u["updateDate"].is_number());
    assert_ne!(u["revisionId"], d["revisionId"]);
    let out = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("m1")}),
    );
    assert_eq!(out["output"], r#"{"v":2}"#);
    let (_, code, msg) = s.err(
        "UpdateStateMachine",
        json!({"stateMachineArn": sm_arn("m1")}),
    );
    assert_eq!(code, "MissingRequiredParameter");
    assert!(
        msg.starts_with("Either the definition, the role ARN"),
        "{msg}"
    );

    let l = s.ok("ListStateMachines", json!({}));
    assert_eq!(l["stateMachines"][0]["stateMachineArn"], sm_arn("m1"));
    assert_eq!(l["stateMachines"][0]["type"], "EXPRESS");
    assert!(l.get("nextToken").is_none());

    s.ok(
        "DeleteStateMachine",
        json!({"stateMachineArn": sm_arn("m1")}),
    );
    let (status, code, msg) = s.err(
        "DescribeStateMachine",
        json!({"stateMachineArn": sm_arn("m1")}),
    );
    assert_eq!((status, code.as_str()), (400, "StateMachineDoesNotExist"));
    assert_eq!(
        msg,
        format!("State Machine Does Not Exist: '{}'", sm_arn("m1"))
    );
    // Deleting what does not exist succeeds; a malformed ARN does not.
    s.ok(
        "DeleteStateMachine",
        json!({"stateMachineArn": sm_arn("m1")}),
    );
    assert_eq!(
        s.err("DeleteStateMachine", json!({"stateMachineArn": "m1"}))
            .1,
        "InvalidArn"
    );
}

#[test]
fn create_errors_are_aws_errors() {
    let s = Server::start(&[]);
    let (_, code, msg) = s.err(
        "CreateStateMachine",
        json!({"name": "bad name", "definition": pass(json!(1)).to_string(), "roleArn": ROLE}),
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidName", "Invalid Name: 'bad name'")
    );
    let (_, code, msg) = s.err(
        "CreateStateMachine",
        json!({"name": "x", "definition": r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#, "roleArn": ROLE}),
    );
    assert_eq!(code, "InvalidDefinition");
    assert!(
        msg.starts_with("Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: "),
        "{msg}"
    );
    // EXPRESS restrictions: AWS refuses activities (and `.waitForTaskToken`) in EXPRESS
    // machines; ValidateStateMachineDefinition says so, and so does CreateStateMachine unless
    // the server is started with --allow-callbacks-in-express.
    let act = json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:111111111111:activity:a", "End": true}}});
    let v = s.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": act.to_string(), "type": "EXPRESS"}),
    );
    assert_eq!(v["result"], "FAIL");
    assert_eq!(
        v["diagnostics"][0]["message"],
        "Express state machine does not support Activity ARN"
    );
    let (_, code, msg) = s.err(
        "CreateStateMachine",
        json!({"name": "x-express", "definition": act.to_string(), "roleArn": ROLE, "type": "EXPRESS"}),
    );
    assert_eq!(code, "InvalidDefinition");
    assert!(
        msg.contains("Express state machine does not support Activity ARN"),
        "{msg}"
    );
    s.create("x", &act, "STANDARD");
    let opted_in = Server::start(&["--allow-callbacks-in-express"]);
    opted_in.create("x-express", &act, "EXPRESS");
    let (_, code, _) = s.err(
        "CreateStateMachine",
        json!({"name": "y", "definition": pass(json!(1)).to_string(), "roleArn": "not-a-role"}),
    );
    assert_eq!(code, "InvalidArn");
    let (_, code, msg) = s.err(
        "CreateStateMachine",
        json!({"name": "y", "definition": pass(json!(1)).to_string(), "roleArn": ROLE, "type": "BOTH"}),
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "1 validation error detected: Value 'BOTH' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
    );
    let (_, code, msg) = s.err("CreateStateMachine", json!({}));
    assert_eq!(code, "ValidationException");
    assert!(msg.starts_with("3 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; "), "{msg}");
}

#[test]
fn validate_definition_returns_diagnostics() {
    let s = Server::start(&[]);
    let v = s.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": "{}"}),
    );
    assert_eq!(v["result"], "FAIL");
    assert_eq!(
        v["diagnostics"],
        json!([{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": "These fields are required: [States, StartAt]", "location": "/"}])
    );
    let v = s.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": pass(json!(1)).to_string()}),
    );
    assert_eq!(v["result"], "OK");
    assert_eq!(v["diagnostics"], json!([]));
    let wft = json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}});
    let std = s.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": wft.to_string(), "type": "STANDARD"}),
    );
    assert_eq!(std["result"], "OK");
    let exp = s.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": wft.to_string(), "type": "EXPRESS"}),
    );
    assert_eq!(exp["result"], "FAIL");
    assert_eq!(exp["diagnostics"][0]["code"], "SCHEMA_VALIDATION_FAILED");
    let (_, code, _) = s.err(
        "ValidateStateMachineDefinition",
        json!({"definition": "{}", "maxResults": 101}),
    );
    assert_eq!(code, "ValidationException");
}

#[test]
fn sync_executions_report_every_outcome_with_http_200() {
    let s = Server::start(&[]);
    s.create("ok", &pass(json!({"hello": "world"})), "EXPRESS");
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("ok"), "name": "run-1", "input": "{\"a\": 1}", "traceHeader": "Root=1-abc"}),
    );
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["output"], r#"{"hello":"world"}"#);
    assert_eq!(r["input"], "{\"a\": 1}", "input is echoed byte for byte");
    assert_eq!(r["name"], "run-1");
    assert_eq!(r["stateMachineArn"], sm_arn("ok"));
    let arn = r["executionArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:111111111111:express:ok:run-1:"),
        "{arn}"
    );
    assert_eq!(r["inputDetails"], json!({"included": true}));
    assert_eq!(r["outputDetails"], json!({"included": true}));
    assert_eq!(r["traceHeader"], "Root=1-abc");
    assert_eq!(r["billingDetails"]["billedMemoryUsedInMB"], 64);
    assert_eq!(r["billingDetails"]["billedDurationInMilliseconds"], 100);
    assert!(r["stopDate"].as_f64() >= r["startDate"].as_f64());

    let fail = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "it broke"}}});
    s.create("fail", &fail, "EXPRESS");
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("fail")}),
    );
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "Oops");
    assert_eq!(r["cause"], "it broke");
    assert!(r.get("output").is_none());

    let meta = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("ok"), "includedData": "METADATA_ONLY"}),
    );
    assert!(meta.get("input").is_none() && meta.get("output").is_none());
    assert_eq!(meta["inputDetails"], json!({"included": false}));

    // Input errors are HTTP 400.
    let (_, code, msg) = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("ok"), "input": "{not json"}),
    );
    assert_eq!(code, "InvalidExecutionInput");
    assert!(
        msg.starts_with("Invalid State Machine Execution Input: '"),
        "{msg}"
    );
    let (_, code, _) = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("ok"), "name": "a:b"}),
    );
    assert_eq!(code, "InvalidName");
    let (_, code, _) = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("missing")}),
    );
    assert_eq!(code, "StateMachineDoesNotExist");
    let (_, code, _) = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": "arn:aws:states:us-east-1:111111111111:activity:a"}),
    );
    assert_eq!(code, "InvalidArn");
    s.create("std", &pass(json!(1)), "STANDARD");
    let (_, code, msg) = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("std")}),
    );
    assert_eq!(code, "StateMachineTypeNotSupported");
    assert_eq!(
        msg,
        "This operation is not supported by this type of state machine"
    );
}

#[test]
fn express_executions_cannot_be_inspected_as_in_aws() {
    let s = Server::start(&[]);
    s.create("e", &pass(json!(1)), "EXPRESS");
    let r = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("e"), "name": "same"}),
    );
    let arn = r["executionArn"].as_str().unwrap().to_string();
    assert!(arn.contains(":express:e:same:"), "{arn}");
    // Not idempotent: the same name starts another execution.
    let again = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("e"), "name": "same"}),
    );
    assert_ne!(again["executionArn"], r["executionArn"]);
    for op in ["DescribeExecution", "StopExecution", "GetExecutionHistory"] {
        let (status, code, msg) = s.err(op, json!({"executionArn": arn}));
        assert_eq!(status, 400);
        assert_eq!(code, "InvalidArn", "{op}");
        assert_eq!(
            msg,
            "Invalid Arn: 'Resource type not valid in this context: express'"
        );
    }
    let (_, code, msg) = s.err("ListExecutions", json!({"stateMachineArn": sm_arn("e")}));
    assert_eq!(code, "StateMachineTypeNotSupported");
    assert_eq!(
        msg,
        "This operation is not supported by this type of state machine"
    );
}

#[test]
fn standard_executions_run_in_process_and_can_be_inspected() {
    let s = Server::start(&[]);
    s.create("s", &pass(json!({"done": true})), "STANDARD");
    let r = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("s"), "name": "e1", "input": "{}"}),
    );
    let arn = r["executionArn"].as_str().unwrap().to_string();
    assert_eq!(
        arn,
        format!("arn:aws:states:us-east-1:{ACCOUNT}:execution:s:e1")
    );
    wait_for(|| s.ok("DescribeExecution", json!({"executionArn": arn}))["status"] == "SUCCEEDED");
    let d = s.ok("DescribeExecution", json!({"executionArn": arn}));
    assert_eq!(d["output"], r#"{"done":true}"#);
    assert_eq!(d["input"], "{}");
    assert!(d["stopDate"].is_number());
    let (_, code, msg) = s.err(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("s"), "name": "e1"}),
    );
    assert_eq!(code, "ExecutionAlreadyExists");
    assert_eq!(msg, format!("Execution Already Exists: '{arn}'"));
    let h = s.ok("GetExecutionHistory", json!({"executionArn": arn}));
    let types: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let ids: Vec<(i64, i64)> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["previousEventId"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids, [(1, 0), (2, 0), (3, 2), (4, 3)]);
    assert_eq!(
        h["events"][1]["stateEnteredEventDetails"],
        json!({"name": "P", "input": "{}", "inputDetails": {"truncated": false}})
    );
    // Without execution data, and backwards, one event a page.
    let h = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": arn, "includeExecutionData": false, "reverseOrder": true, "maxResults": 1}),
    );
    assert_eq!(h["events"][0]["type"], "ExecutionSucceeded");
    assert_eq!(
        h["events"][0]["executionSucceededEventDetails"],
        json!({"outputDetails": {"truncated": false}})
    );
    let token = h["nextToken"].as_str().unwrap().to_string();
    let h2 = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": arn, "reverseOrder": true, "maxResults": 1, "nextToken": token}),
    );
    assert_eq!(h2["events"][0]["type"], "PassStateExited");

    // A long Wait, then StopExecution.
    let wait =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    s.create("w", &wait, "STANDARD");
    let r = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("w"), "name": "long"}),
    );
    let long = r["executionArn"].as_str().unwrap().to_string();
    assert_eq!(
        s.ok("DescribeExecution", json!({"executionArn": long}))["status"],
        "RUNNING"
    );
    let l = s.ok(
        "ListExecutions",
        json!({"stateMachineArn": sm_arn("w"), "statusFilter": "RUNNING"}),
    );
    assert_eq!(l["executions"][0]["executionArn"], long);
    s.ok(
        "StopExecution",
        json!({"executionArn": long, "error": "Stopped", "cause": "by test"}),
    );
    let d = s.ok("DescribeExecution", json!({"executionArn": long}));
    assert_eq!(d["status"], "ABORTED");
    assert_eq!(d["error"], "Stopped");
    let (_, code, _) = s.err(
        "DescribeExecution",
        json!({"executionArn": format!("arn:aws:states:us-east-1:{ACCOUNT}:execution:w:nope")}),
    );
    assert_eq!(code, "ExecutionDoesNotExist");
    let (_, code, msg) = s.err(
        "ListExecutions",
        json!({"stateMachineArn": sm_arn("w"), "statusFilter": "succeeded"}),
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(msg, "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]");
}

#[test]
fn pagination_with_max_results_and_next_token() {
    let s = Server::start(&[]);
    for i in 0..5 {
        s.create(&format!("p{i}"), &pass(json!(i)), "EXPRESS");
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = json!({"maxResults": 2});
        if let Some(t) = &token {
            req["nextToken"] = json!(t);
        }
        let page = s.ok("ListStateMachines", req);
        pages += 1;
        for m in page["stateMachines"].as_array().unwrap() {
            names.push(m["name"].as_str().unwrap().to_string());
        }
        match page.get("nextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
    let (_, code, _) = s.err("ListStateMachines", json!({"nextToken": "bogus"}));
    assert_eq!(code, "InvalidToken");
    let (_, code, msg) = s.err("ListStateMachines", json!({"maxResults": 1001}));
    assert_eq!(code, "ValidationException");
    assert_eq!(msg, "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000");
    let (_, code, _) = s.err("ListStateMachines", json!({"nextToken": "x".repeat(1025)}));
    assert_eq!(code, "ValidationException");
}

#[test]
fn protocol_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let r = c.request("AWSStepFunctions.FlyToTheMoon", b"not even json", "");
    assert_eq!(r.status, 400);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "UnknownOperationException");
    assert!(r
        .headers
        .iter()
        .any(|(k, v)| k == "x-amzn-errortype" && v == "UnknownOperationException"));
    assert!(r.headers.iter().any(|(k, _)| k == "x-amzn-requestid"));
    assert!(r
        .headers
        .iter()
        .any(|(k, v)| k == "content-type" && v == "application/x-amz-json-1.0"));
    // Same connection (keep-alive): a body that is not JSON, then a wrong member type.
    let r = c.request("AWSStepFunctions.ListStateMachines", b"{nope", "");
    assert_eq!(r.status, 400);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "SerializationException");
    let (status, v) = c.call("ListStateMachines", &json!({"maxResults": "ten"}));
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (status, v) = c.call("ListStateMachines", &json!([1, 2]));
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    // An empty body is the empty input; unknown members are ignored.
    let r = c.request("AWSStepFunctions.ListStateMachines", b"", "");
    assert_eq!(r.status, 200);
    let (status, _) = c.call("ListStateMachines", &json!({"someday": 1}));
    assert_eq!(status, 200);
    // No X-Amz-Target.
    c.send_raw(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}");
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 400);
    // Any Host header: SDKs send StartSyncExecution to `sync-<host>`.
    let r = c.request(
        "AWSStepFunctions.ListStateMachines",
        b"{}",
        "Host: sync-localhost:8083\r\n",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn oversized_bodies_are_cut_off() {
    let s = Server::start(&["--max-body-bytes", "1048576"]);
    // A declared 100 MiB body is refused before it is sent.
    let mut c = s.conn();
    c.send_raw(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 104857600\r\n\r\n",
    );
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 413);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "RequestEntityTooLargeException");
    // A chunked body that grows past the limit is cut off while streaming.
    let mut c = s.conn();
    c.send_raw(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nTransfer-Encoding: chunked\r\n\r\n");
    let chunk = vec![b' '; 64 << 10];
    let mut status = None;
    for _ in 0..40 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if c.r.get_mut().write_all(&frame).is_err() {
            break;
        }
    }
    if let Some(r) = c.read_response() {
        status = Some(r.status);
    }
    assert_eq!(status, Some(413));
    // The server keeps serving.
    assert_eq!(s.call("ListStateMachines", json!({})).0, 200);
}

#[test]
fn slow_and_idle_clients_are_cut_off_and_others_served() {
    let s = Server::start(&[
        "--header-timeout",
        "0.5",
        "--idle-timeout",
        "0.5",
        "--max-connections",
        "8",
    ]);
    // A client that never finishes its headers is disconnected.
    let mut slow = s.conn();
    slow.send_raw(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let t = Instant::now();
    assert!(slow.closed());
    assert!(t.elapsed() < Duration::from_secs(20));
    // Connections past the cap are closed at once; idle ones are closed by the header timeout,
    // after which new clients are served again.
    let mut idle: Vec<Conn> = (0..8).map(|_| s.conn()).collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut extra = s.conn();
    assert!(extra.closed(), "the 9th connection is over the cap");
    for c in idle.iter_mut() {
        assert!(c.closed());
    }
    wait_for(|| {
        let mut c = s.conn();
        c.r.get_mut()
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        c.send_raw(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 2\r\n\r\n{}");
        c.read_response().is_some_and(|r| r.status == 200)
    });
}

#[test]
fn task_handlers_from_the_command_line_and_a_file() {
    let dir = std::env::temp_dir().join(format!("aslx-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("handlers.txt");
    std::fs::write(&file, "# bound from a file\nfromfile=return:{\"f\":1}\n").unwrap();
    let s = Server::start(&[
        "--handler",
        "charge=return:{\"id\":\"ch_1\"}",
        "--handler",
        "decline=raise:Payments.Declined:card declined",
        "--handlers-file",
        file.to_str().unwrap(),
    ]);
    let def = |res: &str| json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{res}"), "End": true}}});
    for (name, res) in [
        ("c", "charge"),
        ("d", "decline"),
        ("f", "fromfile"),
        ("u", "unbound"),
    ] {
        s.create(name, &def(res), "EXPRESS");
    }
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("c")}),
    );
    assert_eq!(r["output"], r#"{"id":"ch_1"}"#);
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("d")}),
    );
    assert_eq!(
        (r["status"].as_str(), r["error"].as_str()),
        (Some("FAILED"), Some("Payments.Declined"))
    );
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("f")}),
    );
    assert_eq!(r["output"], r#"{"f":1}"#);
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("u")}),
    );
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "States.TaskFailed");
    assert!(r["cause"].as_str().unwrap().contains("--handler"), "{r}");
}

#[test]
fn mock_config_test_cases_answer_task_states() {
    let dir = std::env::temp_dir().join(format!("aslx-serve-mock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("MockConfigFile.json");
    std::fs::write(
        &file,
        json!({
            "StateMachines": {"LambdaSQS": {"TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
                "FailPath": {"LambdaState": "MockedLambdaFail"}
            }}},
            "MockedResponses": {
                "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "hello"}}}},
                "MockedSQSSuccess": {"0": {"Return": {"MessageId": "m-1"}}},
                "MockedLambdaRetry": {
                    "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}},
                    "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
                    "3": {"Return": {"StatusCode": 200, "Payload": {"body": "finally"}}}
                },
                "MockedLambdaFail": {"0": {"Throw": {"Error": "Boom", "Cause": "mocked"}}}
            }
        })
        .to_string(),
    )
    .unwrap();
    let def = json!({
        "StartAt": "LambdaState",
        "States": {
            "LambdaState": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                "ResultSelector": {"body.$": "$.Payload.body"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
                "Next": "SQSState"
            },
            "SQSState": {
                "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "q", "MessageBody.$": "$.body"},
                "ResultPath": "$.sqs", "End": true
            }
        }
    });
    let s = Server::start_env(&[], &[("SFN_MOCK_CONFIG", file.to_str().unwrap())]);
    s.create("LambdaSQS", &def, "EXPRESS");
    let run = |case: &str| {
        s.ok(
            "StartSyncExecution",
            json!({"stateMachineArn": format!("{}#{case}", sm_arn("LambdaSQS"))}),
        )
    };
    let r = run("HappyPath");
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["output"], r#"{"body":"hello","sqs":{"MessageId":"m-1"}}"#);
    let r = run("RetryPath");
    assert_eq!(
        r["output"],
        r#"{"body":"finally","sqs":{"MessageId":"m-1"}}"#
    );
    let r = run("FailPath");
    // The retrier retries the mocked error; an invocation past the mock's keys fails the
    // execution with States.Runtime, as in Step Functions Local.
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "States.Runtime");
    let (_, code, _) = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": format!("{}#NoSuchCase", sm_arn("LambdaSQS"))}),
    );
    assert_eq!(code, "InvalidArn");
    // Without a test case the Tasks run their handlers (none bound here).
    let r = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("LambdaSQS")}),
    );
    assert_eq!(r["status"], "FAILED");
}

#[test]
fn a_mock_test_case_naming_a_state_the_machine_lacks_is_refused() {
    let dir = std::env::temp_dir().join(format!("aslx-serve-mock-typo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("MockConfigFile.json");
    std::fs::write(
        &file,
        json!({
            "StateMachines": {
                "Orders": {"TestCases": {
                    "Good": {"Charge": "Ok", "Notify": "Ok"},
                    "Typo": {"Charge": "Ok", "Notfy": "Ok", "Ghost": "Ok"}
                }},
                "OrdersX": {"TestCases": {"Typo": {"Charge": "Ok", "Notfy": "Ok", "Ghost": "Ok"}}}
            },
            "MockedResponses": {"Ok": {"0": {"Return": {"done": true}}}}
        })
        .to_string(),
    )
    .unwrap();
    let task = |next: Value| {
        let mut t = json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "ResultPath": null});
        t.as_object_mut()
            .unwrap()
            .extend(next.as_object().unwrap().clone());
        t
    };
    let def = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Pass", "Next": "Charge"},
        "Charge": task(json!({"Next": "Fan"})),
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "Notify", "States": {"Notify": task(json!({"End": true}))}}],
            "End": true}}});
    let s = Server::start_env(&[], &[("SFN_MOCK_CONFIG", file.to_str().unwrap())]);
    s.create("Orders", &def, "STANDARD");
    s.create("OrdersX", &def, "EXPRESS");
    // A test case whose states all exist (one inside a Parallel branch) runs.
    let r = s.ok(
        "StartExecution",
        json!({"stateMachineArn": format!("{}#Good", sm_arn("Orders"))}),
    );
    let exec = r["executionArn"].as_str().unwrap().to_string();
    wait_for(|| s.ok("DescribeExecution", json!({"executionArn": exec}))["status"] == "SUCCEEDED");
    // One naming states the machine does not have is refused, naming them and listing the
    // machine's Task states; nothing runs.
    let expected = "Test case 'Typo' of state machine 'Orders' mocks states that the state machine does not have: ['Ghost', 'Notfy']. Its Task states are: ['Charge', 'Notify']";
    for op in ["StartExecution", "StartSyncExecution"] {
        let machine = if op == "StartExecution" {
            "Orders"
        } else {
            "OrdersX"
        };
        let (_, code, msg) = s.err(
            op,
            json!({"stateMachineArn": format!("{}#Typo", sm_arn(machine))}),
        );
        assert_eq!(code, "ValidationException", "{op}");
        assert_eq!(
            msg,
            expected.replace("'Orders'", &format!("'{machine}'")),
            "{op}"
        );
    }
    let listed = s.ok(
        "ListExecutions",
        json!({"stateMachineArn": sm_arn("Orders")}),
    );
    assert_eq!(
        listed["executions"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
}

#[test]
fn activities_are_served_to_remote_workers() {
    let s = Server::start(&[]);
    let a = s.ok("CreateActivity", json!({"name": "work"}));
    let act = a["activityArn"].as_str().unwrap().to_string();
    assert_eq!(
        act,
        format!("arn:aws:states:us-east-1:{ACCOUNT}:activity:work")
    );
    assert_eq!(
        s.ok("CreateActivity", json!({"name": "work"})),
        a,
        "idempotent"
    );
    assert_eq!(
        s.ok("DescribeActivity", json!({"activityArn": act}))["name"],
        "work"
    );
    let def =
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "End": true}}});
    s.create("withact", &def, "STANDARD");
    let r = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("withact"), "input": "{\"job\":7}"}),
    );
    let exec = r["executionArn"].as_str().unwrap().to_string();
    let task = s.ok(
        "GetActivityTask",
        json!({"activityArn": act, "workerName": "w1"}),
    );
    assert_eq!(task["input"], r#"{"job":7}"#);
    let token = task["taskToken"].as_str().unwrap().to_string();
    s.ok("SendTaskHeartbeat", json!({"taskToken": token}));
    let (_, code, _) = s.err(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{nope"}),
    );
    assert_eq!(code, "InvalidOutput");
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"done\":7}"}),
    );
    wait_for(|| s.ok("DescribeExecution", json!({"executionArn": exec}))["status"] == "SUCCEEDED");
    assert_eq!(
        s.ok("DescribeExecution", json!({"executionArn": exec}))["output"],
        r#"{"done":7}"#
    );
    let (_, code, _) = s.err(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{}"}),
    );
    assert_eq!(code, "TaskTimedOut");
    let (_, code, _) = s.err("SendTaskFailure", json!({"taskToken": "garbage"}));
    assert_eq!(code, "InvalidToken");
    // Failure with an error name.
    let r = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("withact")}),
    );
    let exec = r["executionArn"].as_str().unwrap().to_string();
    let task = s.ok("GetActivityTask", json!({"activityArn": act}));
    s.ok(
        "SendTaskFailure",
        json!({"taskToken": task["taskToken"], "error": "Worker.Err", "cause": "no"}),
    );
    wait_for(|| s.ok("DescribeExecution", json!({"executionArn": exec}))["status"] == "FAILED");
    assert_eq!(
        s.ok("DescribeExecution", json!({"executionArn": exec}))["error"],
        "Worker.Err"
    );
    let l = s.ok("ListActivities", json!({}));
    assert_eq!(l["activities"][0]["activityArn"], act);
    s.ok("DeleteActivity", json!({"activityArn": act}));
    let (_, code, _) = s.err("DescribeActivity", json!({"activityArn": act}));
    assert_eq!(code, "ActivityDoesNotExist");
    let (_, code, _) = s.err("GetActivityTask", json!({"activityArn": act}));
    assert_eq!(code, "ActivityDoesNotExist");
    let (_, code, _) = s.err("CreateActivity", json!({"name": "a b"}));
    assert_eq!(code, "InvalidName");
}

#[test]
fn tags_on_machines_and_activities() {
    let s = Server::start(&[]);
    s.ok(
        "CreateStateMachine",
        json!({"name": "t", "definition": pass(json!(1)).to_string(), "roleArn": ROLE, "tags": [{"key": "a", "value": "1"}]}),
    );
    s.ok(
        "TagResource",
        json!({"resourceArn": sm_arn("t"), "tags": [{"key": "b", "value": "2"}, {"key": "a", "value": "3"}]}),
    );
    let t = s.ok("ListTagsForResource", json!({"resourceArn": sm_arn("t")}));
    assert_eq!(
        t["tags"],
        json!([{"key": "a", "value": "3"}, {"key": "b", "value": "2"}])
    );
    s.ok(
        "UntagResource",
        json!({"resourceArn": sm_arn("t"), "tagKeys": ["a", "zz"]}),
    );
    let t = s.ok("ListTagsForResource", json!({"resourceArn": sm_arn("t")}));
    assert_eq!(t["tags"], json!([{"key": "b", "value": "2"}]));
    let many: Vec<Value> = (0..51)
        .map(|i| json!({"key": format!("k{i}"), "value": ""}))
        .collect();
    let (_, code, _) = s.err(
        "TagResource",
        json!({"resourceArn": sm_arn("t"), "tags": many}),
    );
    assert_eq!(code, "TooManyTags");
    let (_, code, _) = s.err(
        "ListTagsForResource",
        json!({"resourceArn": sm_arn("nope")}),
    );
    assert_eq!(code, "ResourceNotFound");
    let (_, code, _) = s.err("ListTagsForResource", json!({"resourceArn": "nope"}));
    assert_eq!(code, "InvalidArn");
}

#[test]
fn sigv4_is_checked_when_configured() {
    let s = Server::start(&["--auth", "AKIDTEST:secret"]);
    let (status, v) = s.call("ListStateMachines", json!({}));
    assert_eq!(status, 403);
    assert_eq!(v["__type"], "MissingAuthenticationTokenException");
    let mut c = s.conn();
    // Signed now (a request over 15 minutes old is refused before its key is looked at).
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    let day = &stamp[..8];
    let r = c.request(
        "AWSStepFunctions.ListStateMachines",
        b"{}",
        &format!("X-Amz-Date: {stamp}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDOTHER/{day}/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00\r\n"),
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "UnrecognizedClientException");
    let r = c.request(
        "AWSStepFunctions.ListStateMachines",
        b"{}",
        &format!("X-Amz-Date: {stamp}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/{day}/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00\r\n"),
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "InvalidSignatureException");
}

#[test]
fn http2_prior_knowledge_with_curl() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not installed: HTTP/2 not exercised");
        return;
    }
    let s = Server::start(&[]);
    let out = Command::new("curl")
        .args([
            "-s",
            "--http2-prior-knowledge",
            "-w",
            "\n%{http_version}",
            "-H",
            "Content-Type: application/x-amz-json-1.0",
            "-H",
            "X-Amz-Target: AWSStepFunctions.ListStateMachines",
            "-d",
            "{}",
            &format!("http://127.0.0.1:{}/", s.port),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, version) = text.rsplit_once('\n').unwrap();
    assert_eq!(version, "2");
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        json!({"stateMachines": []})
    );
}

#[test]
fn sigterm_drains_in_flight_requests() {
    let mut s = Server::start(&[]);
    let wait = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"}, "P": {"Type": "Pass", "End": true}}});
    s.create("slow", &wait, "EXPRESS");
    let port = s.port;
    let inflight = std::thread::spawn(move || {
        Conn::new(port).call(
            "StartSyncExecution",
            &json!({"stateMachineArn": sm_arn("slow")}),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let (status, v) = inflight.join().unwrap();
    assert_eq!((status, v["status"].as_str()), (200, Some("SUCCEEDED")));
    let code = s.child.wait().unwrap();
    assert!(code.success());
    // No longer listening.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn test_state_runs_one_state() {
    let s = Server::start(&["--handler", "echo=identity"]);
    let ts = |req: Value| s.ok("TestState", req);
    // A Pass state on its own: output and next state.
    let r = ts(json!({
        "definition": json!({"Type": "Pass", "Parameters": {"x.$": "$.a"}, "ResultPath": "$.r", "Next": "After"}).to_string(),
        "input": "{\"a\": 1}",
    }));
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["nextState"], "After");
    assert_eq!(r["output"], r#"{"a":1,"r":{"x":1}}"#);
    // A Choice state in a whole machine, selected by stateName.
    let machine = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}], "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}});
    let r = ts(json!({"definition": machine.to_string(), "stateName": "C", "input": "{\"n\": 9}"}));
    assert_eq!(r["nextState"], "Big");
    // A mocked Task error that a retrier matches: RETRIABLE; once retries are used up: caught.
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handle"}],
        "End": true});
    let mock =
        json!({"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "slow down"}});
    let r = ts(json!({"definition": task.to_string(), "mock": mock, "inspectionLevel": "DEBUG"}));
    assert_eq!(r["status"], "RETRIABLE", "{r}");
    assert_eq!(
        r["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 2})
    );
    let r = ts(
        json!({"definition": task.to_string(), "mock": mock, "stateConfiguration": {"retrierRetryCount": 2}}),
    );
    assert_eq!(r["status"], "CAUGHT_ERROR", "{r}");
    assert_eq!(r["nextState"], "Handle");
    assert_eq!(r["error"], "Lambda.TooManyRequestsException");
    assert_eq!(
        r["output"],
        r#"{"err":{"Error":"Lambda.TooManyRequestsException","Cause":"slow down"}}"#
    );
    // A mocked result is the Task's whole result: for lambda:invoke, the invoke response
    // as given (no envelope is added around it).
    let r = ts(
        json!({"definition": task.to_string(), "mock": {"result": "{\"Payload\": {\"ok\": true}}"}}),
    );
    assert_eq!(r["status"], "SUCCEEDED");
    let out: Value = serde_json::from_str(r["output"].as_str().unwrap()).unwrap();
    assert_eq!(out, json!({"Payload": {"ok": true}}));
    // Bound handlers run when there is no mock; a Fail state fails.
    let echo = json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:echo", "End": true});
    let r = ts(json!({"definition": echo.to_string(), "input": "{\"k\": 1}"}));
    assert_eq!(r["output"], r#"{"k":1}"#);
    assert!(r.get("nextState").is_none());
    let r =
        ts(json!({"definition": json!({"Type": "Fail", "Error": "E", "Cause": "c"}).to_string()}));
    assert_eq!(
        (r["status"].as_str(), r["error"].as_str()),
        (Some("FAILED"), Some("E"))
    );
    // AWS's refusals.
    let (_, code, msg) = s.err("TestState", json!({"definition": json!({"Type": "Pass", "End": true}).to_string(), "mock": {"result": "{}"}}));
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "State type 'Pass' is not supported when a mock is specified"
    );
    let (_, _, msg) = s.err("TestState", json!({"definition": task.to_string(), "mock": {"result": "{}", "errorOutput": {"error": "E"}}}));
    assert_eq!(
        msg,
        "A test mock should have only one of the following fields: [result, errorOutput]."
    );
    let (_, code, _) = s.err(
        "TestState",
        json!({"definition": json!({"Type": "Parallel", "Branches": [], "End": true}).to_string()}),
    );
    assert_eq!(code, "InvalidDefinition");
}

/// A JSON text member of a response, parsed (P-6: TestState's values are JSON text strings).
fn json_text(v: &Value) -> Value {
    let text = v.as_str().unwrap_or_else(|| panic!("not JSON text: {v}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The members of `inspectionData`, each parsed, except `input` and `errorDetails`.
fn steps(r: &Value) -> serde_json::Map<String, Value> {
    let data = r["inspectionData"].as_object().expect("inspectionData");
    data.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "input" | "errorDetails"))
        .map(|(k, v)| (k.clone(), json_text(v)))
        .collect()
}

#[test]
fn test_state_debug_shows_every_data_flow_step_of_a_task() {
    let s = Server::start(&[]);
    // IO-1: InputPath, Parameters, the result, ResultSelector, ResultPath (into the raw
    // input), OutputPath; Assign (VAR-6: `$` is the result).
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.order",
        "Parameters": {"FunctionName": "price", "Payload.$": "$"},
        "ResultSelector": {"total.$": "$.Payload.total"},
        "ResultPath": "$.order.priced",
        "OutputPath": "$.order",
        "Assign": {"lastTotal.$": "$.Payload.total"},
        "Next": "Ship"});
    let input = r#"{"order": {"id": 7}, "other": true}"#;
    for level in ["DEBUG", "TRACE"] {
        let r = s.ok(
            "TestState",
            json!({"definition": task.to_string(), "input": input,
            "inspectionLevel": level,
            "mock": {"result": r#"{"StatusCode": 200, "Payload": {"total": 42}}"#}}),
        );
        assert_eq!(
            (r["status"].as_str(), r["nextState"].as_str()),
            (Some("SUCCEEDED"), Some("Ship")),
            "{r}"
        );
        assert_eq!(
            json_text(&r["output"]),
            json!({"id": 7, "priced": {"total": 42}})
        );
        assert_eq!(r["inspectionData"]["input"], input);
        let expected = json!({
            "afterInputPath": {"id": 7},
            "afterParameters": {"FunctionName": "price", "Payload": {"id": 7}},
            "result": {"StatusCode": 200, "Payload": {"total": 42}},
            "afterResultSelector": {"total": 42},
            "afterResultPath": {"order": {"id": 7, "priced": {"total": 42}}, "other": true},
            "variables": {"lastTotal": 42},
        });
        assert_eq!(Value::Object(steps(&r)), expected, "{level}");
    }
    // INFO (the default) shows none of it.
    let r = s.ok(
        "TestState",
        json!({"definition": task.to_string(), "input": input,
        "mock": {"result": r#"{"Payload": {"total": 1}}"#}}),
    );
    assert!(r.get("inspectionData").is_none(), "{r}");
    // A state that fails shows the steps it took before the failure.
    let r = s.ok(
        "TestState",
        json!({"definition": task.to_string(), "input": input,
        "inspectionLevel": "DEBUG", "mock": {"result": r#"{"Payload": {}}"#}}),
    );
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "States.Runtime");
    let seen = steps(&r);
    assert_eq!(seen["result"], json!({"Payload": {}}));
    assert!(!seen.contains_key("afterResultSelector"), "{r}");
    assert!(!seen.contains_key("afterResultPath"), "{r}");
}

#[test]
fn test_state_debug_shows_every_data_flow_step_of_a_pass_state() {
    let s = Server::start(&[]);
    let state = json!({"Type": "Pass", "InputPath": "$.a",
        "Parameters": {"x.$": "$.b", "y.$": "$seed"},
        "ResultPath": "$.r", "OutputPath": "$.r",
        "Assign": {"got.$": "$.x"}, "End": true});
    let r = s.ok(
        "TestState",
        json!({"definition": state.to_string(), "input": r#"{"a": {"b": 1}}"#,
        "variables": r#"{"seed": 5}"#, "inspectionLevel": "DEBUG"}),
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(json_text(&r["output"]), json!({"x": 1, "y": 5}));
    // A Pass state has no ResultSelector step.
    let expected = json!({
        "afterInputPath": {"b": 1},
        "afterParameters": {"x": 1, "y": 5},
        "result": {"x": 1, "y": 5},
        "afterResultPath": {"a": {"b": 1}, "r": {"x": 1, "y": 5}},
        "variables": {"seed": 5, "got": 1},
    });
    assert_eq!(Value::Object(steps(&r)), expected);
    // With `Result`, the result is the Result field, whatever the effective input.
    let fixed =
        json!({"Type": "Pass", "Result": {"fixed": true}, "ResultPath": "$.f", "End": true});
    let r = s.ok(
        "TestState",
        json!({"definition": fixed.to_string(), "input": r#"{"k": 0}"#,
        "inspectionLevel": "DEBUG"}),
    );
    let expected = json!({
        "afterInputPath": {"k": 0},
        "afterParameters": {"k": 0},
        "result": {"fixed": true},
        "afterResultPath": {"k": 0, "f": {"fixed": true}},
    });
    assert_eq!(Value::Object(steps(&r)), expected);
}

#[test]
fn test_state_preset_variables_are_seen_and_reported() {
    let s = Server::start(&[]);
    // JSONata: the Task's Arguments read a preset variable; Output and Assign see the result.
    let task = json!({"Type": "Task", "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "f", "Payload": {"n": "{% $states.input.n * $factor %}"}},
        "Output": {"doubled": "{% $states.result.Payload.v %}"},
        "Assign": {"seen": "{% $states.result.Payload.v %}"},
        "End": true});
    let r = s.ok(
        "TestState",
        json!({"definition": task.to_string(), "input": r#"{"n": 3}"#,
        "variables": r#"{"factor": 2}"#, "inspectionLevel": "DEBUG",
        "mock": {"result": r#"{"Payload": {"v": 6}}"#}}),
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(json_text(&r["output"]), json!({"doubled": 6}));
    // JSONata states have no JSONPath steps.
    let expected = json!({
        "afterArguments": {"FunctionName": "f", "Payload": {"n": 6}},
        "result": {"Payload": {"v": 6}},
        "variables": {"factor": 2, "seen": 6},
    });
    assert_eq!(Value::Object(steps(&r)), expected);
    // A Choice rule on a preset variable (JSONPath `$limit`); the variables are reported
    // although the state assigns none.
    let machine = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$limit", "NumericGreaterThan": 5, "Next": "Big"}],
              "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}});
    for (limit, next) in [(9, "Big"), (1, "Small")] {
        let r = s.ok(
            "TestState",
            json!({"definition": machine.to_string(), "stateName": "C",
            "variables": json!({"limit": limit}).to_string(), "inspectionLevel": "DEBUG"}),
        );
        assert_eq!(r["nextState"], next, "{r}");
        assert_eq!(
            json_text(&r["inspectionData"]["variables"]),
            json!({"limit": limit})
        );
    }
    // Without variables, a variable that is not set fails the state as it would in a machine.
    let r = s.ok(
        "TestState",
        json!({"definition": machine.to_string(), "stateName": "C"}),
    );
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "States.Runtime");
    // `variables` must be a JSON object.
    for bad in ["[1]", "{nope"] {
        let (_, code, msg) = s.err(
            "TestState",
            json!({"definition": machine.to_string(),
            "stateName": "C", "variables": bad}),
        );
        assert_eq!(code, "ValidationException", "{bad}");
        assert!(msg.contains("variables must be a JSON object"), "{msg}");
    }
}

#[test]
fn test_state_runs_mocked_map_and_parallel_states() {
    let s = Server::start(&[]);
    let ts = |req: Value| s.ok("TestState", req);
    // A Map state: the mock is its result; ResultSelector, ResultPath, OutputPath and Assign
    // apply to it (the item processor does not run).
    let map = json!({"Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Fail",
            "States": {"Fail": {"Type": "Fail", "Error": "NotRun"}}},
        "ResultSelector": {"count.$": "States.ArrayLength($)"},
        "ResultPath": "$.summary", "OutputPath": "$.summary",
        "Assign": {"first.$": "$[0]"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 2}],
        "Next": "Done"});
    let r = ts(
        json!({"definition": map.to_string(), "input": r#"{"items": [1, 2, 3]}"#,
        "inspectionLevel": "DEBUG", "mock": {"result": "[10, 20, 30]"}}),
    );
    assert_eq!(
        (r["status"].as_str(), r["nextState"].as_str()),
        (Some("SUCCEEDED"), Some("Done")),
        "{r}"
    );
    assert_eq!(json_text(&r["output"]), json!({"count": 3}));
    let seen = steps(&r);
    assert_eq!(seen["result"], json!([10, 20, 30]));
    assert_eq!(seen["afterResultSelector"], json!({"count": 3}));
    assert_eq!(
        seen["afterResultPath"],
        json!({"items": [1, 2, 3], "summary": {"count": 3}})
    );
    assert_eq!(seen["variables"], json!({"first": 10}));
    // A mocked error a retrier matches: RETRIABLE.
    let r = ts(
        json!({"definition": map.to_string(), "inspectionLevel": "DEBUG",
        "mock": {"errorOutput": {"error": "Item.Failed", "cause": "item 2"}}}),
    );
    assert_eq!(r["status"], "RETRIABLE", "{r}");
    assert_eq!(
        r["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 3})
    );
    assert!(!steps(&r).contains_key("result"), "{r}");
    // A Map's result must be an array.
    let (_, code, msg) = s.err(
        "TestState",
        json!({"definition": map.to_string(), "mock": {"result": "{}"}}),
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ValidationException", "Mocked result must be an array.")
    );
    // A Map state that is not valid as written is refused, mock or not.
    let no_processor = json!({"Type": "Map", "End": true});
    let (_, code, _) = s.err(
        "TestState",
        json!({"definition": no_processor.to_string(), "mock": {"result": "[]"}}),
    );
    assert_eq!(code, "InvalidDefinition");
    let (_, code, _) = s.err("TestState", json!({"definition": map.to_string()}));
    assert_eq!(code, "InvalidDefinition", "no mock: Map is not supported");

    // A Parallel state: one result per branch; its Parameters build the branch input.
    let branch = |n: &str| json!({"StartAt": n, "States": {n: {"Type": "Pass", "End": true}}});
    let parallel = json!({"Type": "Parallel", "Parameters": {"v.$": "$.v"},
        "Branches": [branch("A"), branch("B")],
        "ResultPath": "$.branches",
        "Catch": [{"ErrorEquals": ["Branch.Failed"], "ResultPath": "$.error", "Next": "Recover"}],
        "End": true});
    let r = ts(
        json!({"definition": parallel.to_string(), "input": r#"{"v": 1, "keep": true}"#,
        "inspectionLevel": "DEBUG", "mock": {"result": r#"[{"a": 1}, {"b": 2}]"#}}),
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert!(r.get("nextState").is_none());
    assert_eq!(
        json_text(&r["output"]),
        json!({"v": 1, "keep": true, "branches": [{"a": 1}, {"b": 2}]})
    );
    assert_eq!(steps(&r)["afterParameters"], json!({"v": 1}));
    // A mocked error a catcher matches: CAUGHT_ERROR with the catcher's output and target.
    let r = ts(
        json!({"definition": parallel.to_string(), "input": r#"{"v": 1}"#,
        "inspectionLevel": "DEBUG",
        "mock": {"errorOutput": {"error": "Branch.Failed", "cause": "branch 1"}}}),
    );
    assert_eq!(r["status"], "CAUGHT_ERROR", "{r}");
    assert_eq!(
        (
            r["nextState"].as_str(),
            r["error"].as_str(),
            r["cause"].as_str()
        ),
        (Some("Recover"), Some("Branch.Failed"), Some("branch 1"))
    );
    let caught = json!({"v": 1, "error": {"Error": "Branch.Failed", "Cause": "branch 1"}});
    assert_eq!(json_text(&r["output"]), caught);
    assert_eq!(
        r["inspectionData"]["errorDetails"],
        json!({"catchIndex": 0})
    );
    assert_eq!(steps(&r)["afterResultPath"], caught);
    // An error no catcher matches fails the state.
    let r = ts(
        json!({"definition": parallel.to_string(), "input": "{\"v\": 1}", "mock": {"errorOutput": {"error": "Other"}}}),
    );
    assert_eq!(
        (r["status"].as_str(), r["error"].as_str()),
        (Some("FAILED"), Some("Other")),
        "{r}"
    );
    // AWS's refusals of the mocked result.
    for (result, msg) in [
        (
            "[1]",
            "Mocked result must contain the same number of items as number of Parallel branches.",
        ),
        (
            "[1, 2, 3]",
            "Mocked result must contain the same number of items as number of Parallel branches.",
        ),
        ("{\"a\": 1}", "Mocked result must be an array."),
    ] {
        let (_, code, m) = s.err(
            "TestState",
            json!({"definition": parallel.to_string(), "mock": {"result": result}}),
        );
        assert_eq!(
            (code.as_str(), m.as_str()),
            ("ValidationException", msg),
            "{result}"
        );
    }
}

#[test]
fn express_callbacks_run_locally_and_starts_past_max_in_flight_are_throttled() {
    let s = Server::start(&[
        "--allow-callbacks-in-express",
        "--max-in-flight",
        "2",
        "--handler",
        "arn:aws:states:::sqs:sendMessage=identity",
    ]);
    let act = s.ok("CreateActivity", json!({"name": "cb"}))["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    let on_act =
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "End": true}}});
    s.create("exp-act", &on_act, "EXPRESS");
    s.create("p", &pass(json!(1)), "EXPRESS");
    // Two executions parked on the activity fill the engine.
    for i in 0..2 {
        s.ok(
            "StartExecution",
            json!({"stateMachineArn": sm_arn("exp-act"), "input": format!("{{\"i\":{i}}}")}),
        );
    }
    let (status, code, msg) = s.err("StartExecution", json!({"stateMachineArn": sm_arn("p")}));
    assert_eq!(
        (status, code.as_str(), msg.as_str()),
        (400, "ThrottlingException", "Rate exceeded")
    );
    let (status, code, _) = s.err(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("p")}),
    );
    assert_eq!((status, code.as_str()), (400, "ThrottlingException"));
    // A worker answers both; their places free up.
    let first = s.ok("GetActivityTask", json!({"activityArn": act}));
    let token = first["taskToken"].as_str().unwrap().to_string();
    s.ok("SendTaskHeartbeat", json!({"taskToken": token}));
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{}"}),
    );
    let (_, code, _) = s.err(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{}"}),
    );
    assert_eq!(code, "TaskTimedOut");
    let second = s.ok("GetActivityTask", json!({"activityArn": act}));
    s.ok(
        "SendTaskFailure",
        json!({"taskToken": second["taskToken"], "error": "E", "cause": "c"}),
    );
    wait_for(|| {
        s.call(
            "StartSyncExecution",
            json!({"stateMachineArn": sm_arn("p")}),
        )
        .0 == 200
    });
    // Token errors: not a token; a well-formed token never issued.
    let (_, code, msg) = s.err(
        "SendTaskSuccess",
        json!({"taskToken": "bogus", "output": "{}"}),
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("InvalidToken", "Invalid Token: 'Invalid token'")
    );
    let unissued = "A".repeat(32);
    let (_, code, _) = s.err("SendTaskHeartbeat", json!({"taskToken": unissued}));
    assert_eq!(code, "TaskDoesNotExist");
    // A sync start of an EXPRESS machine on an activity: the worker's answer is its output.
    let worker = {
        let port = s.port;
        let act = act.clone();
        std::thread::spawn(move || {
            let mut c = Conn::new(port);
            let (_, task) = c.call("GetActivityTask", &json!({"activityArn": act}));
            let input: Value = serde_json::from_str(task["input"].as_str().unwrap()).unwrap();
            let out = json!({"doubled": input["n"].as_i64().unwrap() * 2}).to_string();
            c.call(
                "SendTaskSuccess",
                &json!({"taskToken": task["taskToken"], "output": out}),
            )
        })
    };
    let done = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("exp-act"), "input": "{\"n\":21}"}),
    );
    assert_eq!(worker.join().unwrap().0, 200);
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(done["output"], r#"{"doubled":42}"#);
    // `.waitForTaskToken` in an EXPRESS machine: the Task waits for its token (here until its
    // TimeoutSeconds, as nobody sends it).
    let cb = json!({"StartAt": "Q", "States": {"Q": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
        "TimeoutSeconds": 1, "End": true}}});
    s.create("exp-cb", &cb, "EXPRESS");
    let done = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("exp-cb")}),
    );
    assert_eq!(
        (done["status"].as_str(), done["error"].as_str()),
        (Some("FAILED"), Some("States.Timeout"))
    );
}

/// AWS's answer for EXPRESS executions is CloudWatch Logs: a machine whose
/// loggingConfiguration names a log group writes its records under --log-dir, and the Logs API
/// on the same port reads them back.
#[test]
fn express_executions_leave_their_story_in_their_log_group() {
    let dir = std::env::temp_dir().join(format!("aslx-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let s = Server::start(&["--log-dir", dir.to_str().unwrap()]);
    let group = "/aws/vendedlogs/states/logged-Logs";
    let logging = |level: &str, arn: &str| {
        json!({"level": level, "includeExecutionData": true,
               "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": arn}}]})
    };
    let arn = format!("arn:aws:logs:us-east-1:111111111111:log-group:{group}:*");
    s.ok(
        "CreateStateMachine",
        json!({"name": "logged", "definition": pass(json!({"n": 1})).to_string(), "roleArn": ROLE,
               "type": "EXPRESS", "loggingConfiguration": logging("ALL", &arn)}),
    );
    let started = s.ok(
        "StartExecution",
        json!({"stateMachineArn": sm_arn("logged"), "input": "{\"in\":true}"}),
    );
    let exec = started["executionArn"].as_str().unwrap().to_string();
    // Async: the records arrive while or after the start is answered.
    let until = Instant::now() + Duration::from_secs(20);
    let events = loop {
        let (status, v) = s.logs("FilterLogEvents", json!({"logGroupName": group}));
        if status == 200 && v["events"].as_array().is_some_and(|e| e.len() >= 4) {
            break v["events"].as_array().unwrap().clone();
        }
        assert!(Instant::now() < until, "no records: {v}");
        std::thread::sleep(Duration::from_millis(10));
    };
    let records: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str(e["message"].as_str().unwrap()).unwrap())
        .collect();
    let types: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let first = &records[0];
    assert_eq!(first["id"], "1");
    assert_eq!(first["previous_event_id"], "0");
    assert_eq!(first["execution_arn"], exec.as_str());
    assert_eq!(first["details"]["input"], "{\"in\":true}");
    assert_eq!(records[3]["details"]["output"], r#"{"n":1}"#);
    let stream = events[0]["logStreamName"].as_str().unwrap();
    assert!(stream.starts_with("states/logged/"), "{stream}");
    // Groups, streams, one stream's events, a term filter.
    let (_, g) = s.logs(
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "/aws/vendedlogs/"}),
    );
    assert_eq!(g["logGroups"][0]["logGroupName"], group);
    let (_, st) = s.logs("DescribeLogStreams", json!({"logGroupName": group}));
    assert_eq!(st["logStreams"][0]["logStreamName"], stream);
    let (_, ev) = s.logs(
        "GetLogEvents",
        json!({"logGroupName": group, "logStreamName": stream, "startFromHead": true}),
    );
    assert_eq!(ev["events"].as_array().unwrap().len(), 4);
    let (_, f) = s.logs(
        "FilterLogEvents",
        json!({"logGroupName": group, "filterPattern": "\"ExecutionSucceeded\""}),
    );
    assert_eq!(f["events"].as_array().unwrap().len(), 1);
    // ERROR level: a successful execution logs nothing more.
    s.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": sm_arn("logged"), "loggingConfiguration": logging("ERROR", &arn)}),
    );
    s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("logged")}),
    );
    let (_, f) = s.logs("FilterLogEvents", json!({"logGroupName": group}));
    assert_eq!(f["events"].as_array().unwrap().len(), 4);
    // Bad input: a log group ARN that is not one, an unknown group, a pattern not supported.
    let (_, code, msg) = s.err(
        "CreateStateMachine",
        json!({"name": "badlog", "definition": pass(json!(1)).to_string(), "roleArn": ROLE,
               "type": "EXPRESS", "loggingConfiguration": logging("ALL", "arn:aws:logs:us-east-1:1:log-group:has space:*")}),
    );
    assert_eq!(code, "InvalidLoggingConfiguration");
    assert!(msg.contains("has space"), "{msg}");
    let (status, v) = s.logs("FilterLogEvents", json!({"logGroupName": "/no/such/group"}));
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("ResourceNotFoundException"))
    );
    let (_, v) = s.logs(
        "FilterLogEvents",
        json!({"logGroupName": group, "filterPattern": "{ $.type = 1 }"}),
    );
    assert_eq!(v["__type"], "InvalidParameterException");
    let (_, v) = s.logs("PutLogEvents", json!({}));
    assert_eq!(v["__type"], "UnknownOperationException");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_log_dir_that_cannot_be_written_is_refused_at_start_up() {
    let file = std::env::temp_dir().join(format!("aslx-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .args(["serve", "--bind", "127.0.0.1:0", "--in-memory", "--log-dir"])
        .arg(file.join("sub"))
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--log-dir") && err.contains("cannot write there"),
        "{err}"
    );
}

/// A server with a fresh `--log-dir` (removed when the guard drops) and a machine logging to
/// `group`.
struct Logged {
    s: Server,
    dir: std::path::PathBuf,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn logged_server(tag: &str, group: &str) -> Logged {
    let dir = std::env::temp_dir().join(format!("aslx-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let s = Server::start(&["--log-dir", dir.to_str().unwrap()]);
    s.ok(
        "CreateStateMachine",
        json!({"name": "logs", "definition": pass(json!(1)).to_string(), "roleArn": ROLE,
               "type": "EXPRESS", "loggingConfiguration": {"level": "ALL", "includeExecutionData": true,
               "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn":
                   format!("arn:aws:logs:us-east-1:111111111111:log-group:{group}:*")}}]}}),
    );
    Logged { s, dir }
}

/// `aws logs tail GROUP --follow` started before a machine's first execution exited with
/// ResourceNotFoundException: the group existed only once it had a record. A group a machine
/// names exists from then on (on AWS its owner creates it before the machine logs to it).
#[test]
fn a_log_group_named_by_a_machine_exists_before_its_first_record() {
    let group = "/aws/vendedlogs/states/Named";
    let l = logged_server("named", group);
    let (status, v) = l.s.logs(
        "FilterLogEvents",
        json!({"logGroupName": group, "startTime": 0, "interleaved": true}),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["events"], json!([]));
    assert!(v.get("nextToken").is_none(), "{v}");
    let (_, g) = l.s.logs("DescribeLogGroups", json!({}));
    assert_eq!(g["logGroups"][0]["logGroupName"], group);
    assert!(g["logGroups"][0]["creationTime"].as_i64().unwrap() > 0);
    let (status, st) =
        l.s.logs("DescribeLogStreams", json!({"logGroupName": group}));
    assert_eq!((status, &st["logStreams"]), (200, &json!([])));
    let (status, v) = l.s.logs(
        "GetLogEvents",
        json!({"logGroupName": group, "logStreamName": "states/logs/x"}),
    );
    assert_eq!((status, &v["events"]), (200, &json!([])));
    // Its records appear from startTime on, as `aws logs tail --follow` polls for them.
    let before = l.s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": sm_arn("logs")}),
    );
    let started = before["startDate"].as_f64().unwrap();
    let (_, v) = l.s.logs(
        "FilterLogEvents",
        json!({"logGroupName": group, "startTime": (started * 1000.0) as i64, "interleaved": true}),
    );
    assert_eq!(v["events"].as_array().unwrap().len(), 4, "{v}");
    // Groups nobody named still do not exist; without --log-dir, none does.
    let (status, v) = l.s.logs(
        "FilterLogEvents",
        json!({"logGroupName": "/named/by/nobody"}),
    );
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("ResourceNotFoundException"))
    );
    let bare = Server::start(&[]);
    bare.ok(
        "CreateStateMachine",
        json!({"name": "logs", "definition": pass(json!(1)).to_string(), "roleArn": ROLE,
               "type": "EXPRESS", "loggingConfiguration": {"level": "ALL", "destinations": [
                   {"cloudWatchLogsLogGroup": {"logGroupArn":
                       format!("arn:aws:logs:us-east-1:111111111111:log-group:{group}:*")}}]}}),
    );
    let (_, v) = bare.logs("FilterLogEvents", json!({"logGroupName": group}));
    assert_eq!(v["__type"], "ResourceNotFoundException");
    assert_eq!(v["message"], "The specified log group does not exist.");
}

/// Log group names and stream prefixes are checked against the constraints of AWS's API model,
/// with CloudWatch Logs' own `InvalidParameterException` messages: a 513-character name was
/// reported as failing the pattern, and a prefix with a space listed no groups instead.
#[test]
fn bad_log_group_names_get_cloudwatch_logs_validation_errors() {
    let group = "/aws/vendedlogs/states/Checked";
    let l = logged_server("checked", group);
    let err = |op: &str, body: Value| {
        let (status, v) = l.s.logs(op, body);
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some("InvalidParameterException")),
            "{op}: {v}"
        );
        v["message"].as_str().unwrap().to_string()
    };
    let pattern = r"Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+";
    assert_eq!(
        err("FilterLogEvents", json!({"logGroupName": "has space"})),
        format!("1 validation error detected: Value 'has space' at 'logGroupName' failed to satisfy constraint: {pattern}")
    );
    let long = "a".repeat(513);
    assert_eq!(
        err("FilterLogEvents", json!({"logGroupName": long})),
        format!("1 validation error detected: Value '{long}' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512")
    );
    assert_eq!(
        err("GetLogEvents", json!({"logGroupName": "", "logStreamName": "s"})),
        format!("2 validation errors detected: Value '' at 'logGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'logGroupName' failed to satisfy constraint: {pattern}")
    );
    assert_eq!(
        err("DescribeLogGroups", json!({"logGroupNamePrefix": "bad name"})),
        format!("1 validation error detected: Value 'bad name' at 'logGroupNamePrefix' failed to satisfy constraint: {pattern}")
    );
    assert_eq!(
        err("DescribeLogStreams", json!({"logGroupIdentifier": "x y"})),
        r"1 validation error detected: Value 'x y' at 'logGroupIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w#+=/:,.@-]*"
    );
    assert_eq!(
        err("FilterLogEvents", json!({"logGroupName": group, "logStreamNamePrefix": "a:b"})),
        "1 validation error detected: Value 'a:b' at 'logStreamNamePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"
    );
    // Parameters AWS documents as exclusive.
    let both = err(
        "FilterLogEvents",
        json!({"logGroupName": group, "logGroupIdentifier": group}),
    );
    assert!(
        both.contains("logGroupName and logGroupIdentifier"),
        "{both}"
    );
    let neither = err("FilterLogEvents", json!({}));
    assert!(
        neither.contains("logGroupName or logGroupIdentifier"),
        "{neither}"
    );
    let streams = err(
        "FilterLogEvents",
        json!({"logGroupName": group, "logStreamNames": ["s"], "logStreamNamePrefix": "s"}),
    );
    assert!(
        streams.contains("logStreamNames and logStreamNamePrefix"),
        "{streams}"
    );
    let order = err(
        "DescribeLogStreams",
        json!({"logGroupName": group, "orderBy": "LastEventTime", "logStreamNamePrefix": "s"}),
    );
    assert!(order.contains("LastEventTime"), "{order}");
    let search = err(
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "/aws", "logGroupNamePattern": "Checked"}),
    );
    assert!(search.contains("logGroupNamePattern"), "{search}");
    // An identifier may be the group's ARN; one that cannot name a group names none.
    let (status, _) = l.s.logs(
        "FilterLogEvents",
        json!({"logGroupIdentifier": format!("arn:aws:logs:us-east-1:111111111111:log-group:{group}")}),
    );
    assert_eq!(status, 200);
    let (_, v) =
        l.s.logs("FilterLogEvents", json!({"logGroupIdentifier": "a@b"}));
    assert_eq!(v["__type"], "ResourceNotFoundException");
}

/// DescribeLogGroups' `logGroupNamePattern` (AWS CLI v2's `--log-group-name-pattern`) was
/// ignored: every group was listed. It is a case-sensitive substring search.
#[test]
fn describe_log_groups_name_pattern_is_a_case_sensitive_substring_search() {
    let l = logged_server("pattern", "/aws/vendedlogs/states/FooBar");
    let names = |pattern: &str| {
        let (status, v) = l.s.logs(
            "DescribeLogGroups",
            json!({ "logGroupNamePattern": pattern }),
        );
        assert_eq!(status, 200, "{v}");
        v["logGroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["logGroupName"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("Foo"), ["/aws/vendedlogs/states/FooBar"]);
    assert!(names("foo").is_empty());
    assert_eq!(names("").len(), 1);
}

/// CloudWatch Logs is an AWS JSON 1.1 service: its answers (errors too) said 1.0.
#[test]
fn logs_answers_are_aws_json_1_1() {
    let l = logged_server("json11", "/aws/vendedlogs/states/J");
    for body in [json!({}), json!({"logGroupName": "no such"})] {
        let op = if body.get("logGroupName").is_some() {
            "Logs_20140328.FilterLogEvents"
        } else {
            "Logs_20140328.DescribeLogGroups"
        };
        let r = l.s.conn().request(op, body.to_string().as_bytes(), "");
        let ct = r.headers.iter().find(|(k, _)| k == "content-type");
        assert_eq!(
            ct.map(|(_, v)| v.as_str()),
            Some("application/x-amz-json-1.1"),
            "{op} {}",
            r.status
        );
    }
    // Step Functions stays 1.0.
    let r =
        l.s.conn()
            .request("AWSStepFunctions.ListStateMachines", b"{}", "");
    let ct = r.headers.iter().find(|(k, _)| k == "content-type");
    assert_eq!(
        ct.map(|(_, v)| v.as_str()),
        Some("application/x-amz-json-1.0")
    );
}

#[test]
fn a_history_page_token_from_another_execution_is_invalid() {
    let s = Server::start(&[]);
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}});
    s.create("two", &def, "STANDARD");
    let mut arns = Vec::new();
    for n in ["x1", "x2"] {
        let r = s.ok(
            "StartExecution",
            json!({"stateMachineArn": sm_arn("two"), "name": n}),
        );
        arns.push(r["executionArn"].as_str().unwrap().to_string());
    }
    wait_for(|| {
        s.ok("DescribeExecution", json!({"executionArn": arns[0]}))["status"] == "SUCCEEDED"
    });
    let page = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": arns[0], "maxResults": 2}),
    );
    let token = page["nextToken"].as_str().unwrap();
    let (_, code, _) = s.err(
        "GetExecutionHistory",
        json!({"executionArn": arns[1], "maxResults": 2, "nextToken": token}),
    );
    assert_eq!(code, "InvalidToken");
    // Stopping an execution that does not exist, or an EXPRESS one, is AWS's error.
    let missing = "arn:aws:states:us-east-1:111111111111:execution:two:nope";
    let (_, code, _) = s.err("StopExecution", json!({"executionArn": missing}));
    assert_eq!(code, "ExecutionDoesNotExist");
    let (_, code, msg) = s.err(
        "StopExecution",
        json!({"executionArn": "arn:aws:states:us-east-1:111111111111:express:two:n:u"}),
    );
    assert_eq!(code, "InvalidArn");
    assert_eq!(
        msg,
        "Invalid Arn: 'Resource type not valid in this context: express'"
    );
    // A finished execution: stopping it changes nothing.
    let stopped = s.ok("StopExecution", json!({"executionArn": arns[0]}));
    assert!(stopped["stopDate"].is_number());
    assert_eq!(
        s.ok("DescribeExecution", json!({"executionArn": arns[0]}))["status"],
        "SUCCEEDED"
    );
}
