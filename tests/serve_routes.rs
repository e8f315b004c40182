//! `aslx serve --route`: HTTP routes that start machines as API Gateway's Step Functions
//! integration does (AWS CDK's `StepFunctionsIntegration.startExecution` request template),
//! end to end: the binary on ephemeral ports, driven with raw HTTP/1.1.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ROLE: &str = "arn:aws:iam::111111111111:role/aslx";

struct Server {
    child: Child,
    api: u16,
    routes: u16,
    _stdout: BufReader<std::process::ChildStdout>,
}

/// The port of a `... listening on http://127.0.0.1:PORT ...` line.
fn port_of(line: &str) -> u16 {
    line.split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aslx"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--threads",
                "2",
                "--in-memory",
            ])
            .args(["--routes-bind", "127.0.0.1:0"])
            .args(args)
            .env_remove("SFN_MOCK_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aslx serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut api = String::new();
        stdout.read_line(&mut api).unwrap();
        let mut routes = String::new();
        stdout.read_line(&mut routes).unwrap();
        assert!(api.contains("aslx serve: listening on"), "{api}");
        assert!(
            routes.starts_with("aslx serve: routes listening on http://"),
            "{routes}"
        );
        Server {
            child,
            api: port_of(&api),
            routes: port_of(&routes),
            _stdout: stdout,
        }
    }

    /// A Step Functions API call on the API listener.
    fn api(&self, op: &str, body: Value) -> (u16, Value) {
        let target = format!("AWSStepFunctions.{op}");
        let r = send(
            self.api,
            "POST",
            "/",
            &[
                ("X-Amz-Target", &target),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            body.to_string().as_bytes(),
        );
        (r.status, r.json())
    }

    fn create(&self, name: &str, def: Value, ty: &str) {
        let (status, v) = self.api(
            "CreateStateMachine",
            json!({"name": name, "definition": def.to_string(), "roleArn": ROLE, "type": ty}),
        );
        assert_eq!(status, 200, "{v}");
    }

    /// A request on the routes listener.
    fn route(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        send(self.routes, method, path, headers, body.as_bytes())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A JSON error answer: status, `error`, `cause`.
    fn error(&self) -> (u16, String, String) {
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{}",
            self.body
        );
        let v = self.json();
        (
            self.status,
            v["error"].as_str().unwrap_or_default().to_string(),
            v["cause"].as_str().unwrap_or_default().to_string(),
        )
    }
}

/// One request on a fresh connection; the body is not sent when the server answers first.
fn send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A large body may be refused before it is read: the write may then fail.
    let _ = s.write_all(body);
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

/// Passes its input through: the answer of a sync route is the execution input.
fn echo() -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})
}

fn wait(seconds: u32) -> Value {
    json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": seconds, "End": true}}})
}

#[test]
fn a_mapped_route_gives_body_querystring_and_path_in_cdks_order() {
    let s = Server::start(&["--route", "POST /orders/{id}/lines/{line}=Echo:sync"]);
    s.create("Echo", echo(), "EXPRESS");
    let r = s.route(
        "POST",
        "/orders/a%2Fb/lines/7?x=1&y=%20z&x=2&flag",
        &[("Content-Type", "application/json")],
        r#"{"n": 1, "items": [true, null]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("x-amzn-requestid").is_some());
    // The body is the output itself, keys in the template's order; values are decoded
    // strings, a repeated query name keeps its last value.
    assert_eq!(
        r.body,
        r#"{"body":{"n":1,"items":[true,null]},"querystring":{"x":"2","y":" z","flag":""},"path":{"id":"a/b","line":"7"}}"#
    );
    // No body: `{}`.
    let r = s.route("POST", "/orders/1/lines/2", &[], "");
    assert_eq!(
        r.json(),
        json!({"body": {}, "querystring": {}, "path": {"id": "1", "line": "2"}})
    );
}

#[test]
fn headers_authorizer_and_request_context_only_when_asked() {
    let s = Server::start(&[
        "--route",
        "POST /all=Echo:sync+headers+authorizer+requestContext-querystring-path",
        "--route",
        "POST /some=Echo:sync+headers(X-Tenant,x-missing)+requestContext(httpMethod,resourcePath,requestId,sourceIp)",
    ]);
    s.create("Echo", echo(), "EXPRESS");
    let r = s.route(
        "POST",
        "/all?q=1",
        &[
            ("X-Tenant", "acme"),
            ("User-Agent", "routes-test/1"),
            ("x-api-key", "k-1"),
            ("Authorization", "Bearer t"),
        ],
        "[1]",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["body", "header", "authorizer", "requestContext"]);
    assert_eq!(v["body"], json!([1]));
    assert_eq!(v["authorizer"], json!({}));
    let h = &v["header"];
    assert_eq!(h["x-tenant"], "acme");
    assert_eq!(h["authorization"], "Bearer t");
    assert_eq!(h["host"], "127.0.0.1");
    assert_eq!(h["content-length"], "3");
    let c = &v["requestContext"];
    assert_eq!(c.as_object().unwrap().len(), 18, "{c}");
    assert_eq!(c["accountId"], "111111111111");
    assert_eq!(c["apiId"], "aslx");
    assert_eq!(c["apiKey"], "k-1");
    assert_eq!(c["httpMethod"], "POST");
    assert_eq!(c["stage"], "local");
    assert_eq!(c["sourceIp"], "127.0.0.1");
    assert_eq!(c["userAgent"], "routes-test/1");
    assert_eq!(c["resourcePath"], "/all");
    assert_eq!(c["caller"], "");
    assert_eq!(c["cognitoIdentityId"], "");
    assert_eq!(c["requestId"], r.header("x-amzn-requestid").unwrap());
    assert_eq!(c["resourceId"].as_str().unwrap().len(), 10);

    let r = s.route(
        "POST",
        "/some",
        &[("x-tenant", "acme"), ("x-other", "no")],
        "{}",
    );
    let v = r.json();
    assert_eq!(v["header"], json!({"x-tenant": "acme"}));
    assert_eq!(v["querystring"], json!({}));
    assert_eq!(v["path"], json!({}));
    assert!(v.get("authorizer").is_none());
    let c = &v["requestContext"];
    assert_eq!(c.as_object().unwrap().len(), 4, "{c}");
    let order = ["httpMethod", "sourceIp", "requestId", "resourcePath"]
        .map(|k| r.body.find(&format!("\"{k}\":")).unwrap());
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "CDK's field order: {}",
        r.body
    );
    assert_eq!(c["resourcePath"], "/some");
    assert_eq!(c["requestId"], r.header("x-amzn-requestid").unwrap());
}

#[test]
fn a_greedy_path_takes_the_rest_and_literal_paths_win() {
    let s = Server::start(&[
        "--route",
        "ANY /files/{path+}=Echo:sync",
        "--route",
        "GET /files/readme=Echo:sync+requestContext(resourcePath)",
    ]);
    s.create("Echo", echo(), "EXPRESS");
    let r = s.route("DELETE", "/files/a/b%20c/d", &[], "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["path"], json!({"path": "a/b c/d"}));
    let r = s.route("GET", "/files/readme", &[], "");
    assert_eq!(r.json()["requestContext"]["resourcePath"], "/files/readme");
    // The literal path is found first; it has GET only.
    let r = s.route("PUT", "/files/readme", &[], "");
    assert_eq!(r.error().0, 405);
    assert_eq!(r.header("allow"), Some("GET"));
}

#[test]
fn a_failed_sync_execution_is_500_with_error_and_cause() {
    let s = Server::start(&[
        "--route",
        "POST /pay=Pay:sync",
        "--route",
        "POST /bare=Bare:sync",
    ]);
    s.create(
        "Pay",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Card.Declined", "Cause": "insufficient \"funds\""}}}),
        "EXPRESS",
    );
    s.create(
        "Bare",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}),
        "EXPRESS",
    );
    let r = s.route("POST", "/pay", &[], "{}");
    assert_eq!(
        r.error(),
        (
            500,
            "Card.Declined".to_string(),
            "insufficient \"funds\"".to_string()
        )
    );
    assert_eq!(r.json().as_object().unwrap().len(), 2);
    // A Fail state with neither: both members, empty, as CDK's response template renders them.
    let r = s.route("POST", "/bare", &[], "{}");
    assert_eq!(r.status, 500);
    assert_eq!(r.json(), json!({"error": "", "cause": ""}));
}

#[test]
fn a_timed_out_sync_execution_is_500_states_timeout() {
    let s = Server::start(&["--route", "POST /slow=Slow:sync"]);
    let mut def = wait(30);
    def["TimeoutSeconds"] = json!(1);
    s.create("Slow", def, "EXPRESS");
    let r = s.route("POST", "/slow", &[], "{}");
    let (status, error, cause) = r.error();
    assert_eq!((status, error.as_str()), (500, "States.Timeout"), "{cause}");
}

#[test]
fn an_async_route_answers_the_execution_arn_and_starts_it_with_the_mapped_input() {
    let s = Server::start(&["--route", "PUT /jobs/{id}=Job:async"]);
    s.create("Job", echo(), "STANDARD");
    let r = s.route("PUT", "/jobs/9?p=q", &[], r#"{"k": "v"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    let arn = v["executionArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:111111111111:execution:Job:"),
        "{arn}"
    );
    assert!(v["startDate"].as_f64().unwrap() > 1.6e9, "seconds: {v}");
    // The execution, seen through the API, got CDK's input.
    let (status, d) = s.api("DescribeExecution", json!({"executionArn": arn}));
    assert_eq!(status, 200, "{d}");
    let input: Value = serde_json::from_str(d["input"].as_str().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({"body": {"k": "v"}, "querystring": {"p": "q"}, "path": {"id": "9"}})
    );
}

#[test]
fn a_raw_route_passes_the_body_through_both_ways() {
    let s = Server::start(&[
        "--route",
        "POST /raw=Shape:sync:raw",
        "--route",
        "POST /later=Job:async:raw",
    ]);
    s.create(
        "Shape",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$"}, "End": true}}}),
        "EXPRESS",
    );
    s.create("Job", echo(), "STANDARD");
    let r = s.route("POST", "/raw?ignored=1", &[("x-h", "1")], "[1, \"two\"]");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, r#"{"got":[1,"two"]}"#);
    let r = s.route("POST", "/raw", &[], "  ");
    assert_eq!(r.body, r#"{"got":{}}"#, "no body is {{}}");
    let r = s.route("POST", "/later", &[], r#"{"a": [1]}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let arn = r.json()["executionArn"].as_str().unwrap().to_string();
    let (_, d) = s.api("DescribeExecution", json!({"executionArn": arn}));
    let input: Value = serde_json::from_str(d["input"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({"a": [1]}));
}

#[test]
fn unknown_routes_are_404_and_wrong_methods_405_in_json() {
    let s = Server::start(&[
        "--route",
        "POST /o=Echo:sync",
        "--route",
        "PATCH /o=Echo:sync",
    ]);
    let r = s.route("GET", "/nowhere", &[], "");
    assert_eq!(
        r.error(),
        (404, "NotFound".into(), "no route for GET /nowhere".into())
    );
    let r = s.route("GET", "/o", &[], "");
    let (status, error, cause) = r.error();
    assert_eq!((status, error.as_str()), (405, "MethodNotAllowed"));
    assert!(cause.contains("POST, PATCH"), "{cause}");
    assert_eq!(r.header("allow"), Some("POST, PATCH"));
    // The AWS API is not on the routes listener, and the routes are not on the API's.
    let r = send(
        s.routes,
        "POST",
        "/",
        &[("X-Amz-Target", "AWSStepFunctions.ListStateMachines")],
        b"{}",
    );
    assert_eq!(r.error().0, 404);
    let r = send(s.api, "POST", "/o", &[], b"{}");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "UnknownOperationException");
}

#[test]
fn a_body_that_is_not_json_is_400_in_json() {
    let s = Server::start(&[
        "--route",
        "POST /m=Echo:sync",
        "--route",
        "POST /r=Echo:sync:raw",
    ]);
    s.create("Echo", echo(), "EXPRESS");
    for path in ["/m", "/r"] {
        let (status, error, cause) = s.route("POST", path, &[], "{\"a\": ").error();
        assert_eq!((status, error.as_str()), (400, "BadRequestBody"), "{path}");
        assert!(cause.starts_with("the request body is not JSON"), "{cause}");
        assert!(cause.contains("line 1"), "says where: {cause}");
    }
}

#[test]
fn a_body_over_the_limit_is_413_and_the_connection_closes() {
    // The routes' limit is 256 KiB whatever --max-body-bytes says: no larger input can start.
    let s = Server::start(&["--route", "POST /o=Echo:sync:raw"]);
    s.create("Echo", echo(), "EXPRESS");
    let big = format!("\"{}\"", "x".repeat(262_144));
    let r = s.route("POST", "/o", &[], &big);
    let (status, error, cause) = r.error();
    assert_eq!((status, error.as_str()), (413, "RequestTooLarge"));
    assert_eq!(cause, "the request body is larger than 262144 bytes");
    assert_eq!(r.header("connection"), Some("close"));
    // Just under it passes.
    let fits = format!("\"{}\"", "x".repeat(262_000));
    assert_eq!(s.route("POST", "/o", &[], &fits).status, 200);

    let s = Server::start(&["--max-body-bytes", "100", "--route", "POST /o=Echo:sync"]);
    let r = s.route("POST", "/o", &[], &format!("[{}1]", "1,".repeat(60)));
    assert_eq!(r.error().0, 413);
    // A mapped input that grows past 256 KiB with its headers is too large as well.
    let s = Server::start(&["--route", "POST /o=Echo:sync+headers"]);
    s.create("Echo", echo(), "EXPRESS");
    let body = format!("\"{}\"", "x".repeat(210_000));
    let pad = "y".repeat(60_000);
    let (status, error, cause) = s.route("POST", "/o", &[("x-pad", &pad)], &body).error();
    assert_eq!(
        (status, error.as_str()),
        (413, "RequestTooLarge"),
        "{cause}"
    );
    assert!(cause.contains("262144"), "{cause}");
}

#[test]
fn a_throttled_start_is_429() {
    let s = Server::start(&[
        "--max-in-flight",
        "1",
        "--route",
        "POST /slow=Slow:async",
        "--route",
        "POST /now=Echo:sync",
    ]);
    s.create("Slow", wait(5), "EXPRESS");
    s.create("Echo", echo(), "EXPRESS");
    assert_eq!(s.route("POST", "/slow", &[], "{}").status, 200);
    // The slow execution holds the only place.
    let (status, error, cause) = s.route("POST", "/now", &[], "{}").error();
    assert_eq!(
        (status, error.as_str()),
        (429, "ThrottlingException"),
        "{cause}"
    );
    let (status, error, _) = s.route("POST", "/slow", &[], "{}").error();
    assert_eq!((status, error.as_str()), (429, "ThrottlingException"));
}

#[test]
fn a_route_to_a_missing_or_standard_machine_is_500_naming_it() {
    let s = Server::start(&[
        "--route",
        "POST /o=Nope:sync",
        "--route",
        "POST /std=Std:sync",
    ]);
    let (status, error, cause) = s.route("POST", "/o", &[], "{}").error();
    assert_eq!((status, error.as_str()), (500, "StateMachineDoesNotExist"));
    assert_eq!(
        cause,
        "route POST /o (state machine \"Nope\"): State Machine Does Not Exist: 'arn:aws:states:us-east-1:111111111111:stateMachine:Nope'"
    );
    // Created after start-up: found at request time.
    s.create("Nope", echo(), "EXPRESS");
    assert_eq!(s.route("POST", "/o", &[], "{}").status, 200);
    s.create("Std", echo(), "STANDARD");
    let (status, error, cause) = s.route("POST", "/std", &[], "{}").error();
    assert_eq!(
        (status, error.as_str()),
        (500, "StateMachineTypeNotSupported"),
        "{cause}"
    );
    assert!(
        cause.starts_with("route POST /std (state machine \"Std\")"),
        "{cause}"
    );
}

#[test]
fn routes_from_a_file_are_served() {
    let dir = std::env::temp_dir().join(format!("aslx-routes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("routes.txt");
    std::fs::write(
        &file,
        "# the orders API\n\nGET /orders/{id}=Echo:sync\n  POST /orders=Echo:sync:raw\n",
    )
    .unwrap();
    let s = Server::start(&["--routes-file", file.to_str().unwrap()]);
    s.create("Echo", echo(), "EXPRESS");
    let r = s.route("GET", "/orders/5", &[], "");
    assert_eq!(r.json()["path"], json!({"id": "5"}));
    assert_eq!(s.route("POST", "/orders", &[], "7").body, "7");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `aslx serve` with `args`, expecting it to refuse to start: its stderr.
fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .args(["serve", "--bind", "127.0.0.1:0", "--in-memory"])
        .args(args)
        .env_remove("SFN_MOCK_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?} should be refused");
    assert!(out.stdout.is_empty(), "nothing listened: {args:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn bad_route_specs_are_refused_at_start_up_naming_the_flag() {
    let bind = ["--routes-bind", "127.0.0.1:0"];
    let with = |extra: &[&str]| -> String { refused(&[&bind[..], extra].concat()) };
    assert_eq!(
        refused(&["--route", "POST /o=M:sync"]),
        "aslx serve: --route needs --routes-bind ADDR: routes are served on their own listener, apart from the AWS API\n"
    );
    assert_eq!(
        with(&["--route", "POST /o=:sync"]),
        "aslx serve: --route \"POST /o=:sync\": names no state machine (MACHINE:sync)\n"
    );
    assert!(with(&["--route", "POST /o=M:later"]).contains("must end with :sync, :async"));
    assert!(with(&["--route", "POST o=M:sync"]).contains("must start with '/'"));
    assert!(with(&["--route", "TRACE /o=M:sync"]).contains("method \"TRACE\" is not one of"));
    assert!(with(&["--route", "POST /o=M:sync+cookies"]).contains("unknown option +cookies"));
    assert_eq!(
        with(&["--route", "POST /o=M:sync", "--route", "POST /o=N:async"]),
        "aslx serve: --route: route \"POST /o\" is given twice\n"
    );
    let file = std::env::temp_dir().join(format!("aslx-bad-routes-{}.txt", std::process::id()));
    std::fs::write(&file, "GET /a=M:sync\n# fine\nGET /b=M\n").unwrap();
    let f = file.to_str().unwrap();
    let e = refused(&["--routes-file", f]);
    assert!(e.contains("--routes-file needs --routes-bind"), "{e}");
    let e = with(&["--routes-file", f]);
    assert!(
        e.starts_with(&format!(
            "aslx serve: --routes-file {f}: line 3: route \"GET /b=M\""
        )),
        "{e}"
    );
    let _ = std::fs::remove_file(&file);
    let e = with(&["--routes-file", "/nonexistent/routes.txt"]);
    assert!(
        e.starts_with("aslx serve: --routes-file /nonexistent/routes.txt: "),
        "{e}"
    );
}

#[test]
fn sigterm_drains_a_sync_route_and_stops_both_listeners() {
    let mut s = Server::start(&["--route", "POST /slow=Slow:sync"]);
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"}, "P": {"Type": "Pass", "Result": "done", "End": true}}});
    s.create("Slow", def, "EXPRESS");
    let port = s.routes;
    let inflight = std::thread::spawn(move || send(port, "POST", "/slow", &[], b"{}"));
    std::thread::sleep(Duration::from_millis(300));
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let r = inflight.join().unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, "\"done\""));
    assert!(s.child.wait().unwrap().success());
    assert!(TcpStream::connect(("127.0.0.1", s.routes)).is_err());
    assert!(TcpStream::connect(("127.0.0.1", s.api)).is_err());
}

#[test]
fn a_body_of_another_content_type_is_415() {
    // CDK's integration has an application/json template only and passes nothing through.
    let s = Server::start(&[
        "--route",
        "POST /m=Echo:sync",
        "--route",
        "POST /r=Echo:sync:raw",
    ]);
    s.create("Echo", echo(), "EXPRESS");
    for path in ["/m", "/r"] {
        for ct in ["application/x-www-form-urlencoded", "text/plain"] {
            let r = s.route("POST", path, &[("Content-Type", ct)], "{}");
            let (status, error, cause) = r.error();
            assert_eq!(
                (status, error.as_str()),
                (415, "UnsupportedMediaType"),
                "{path} {ct}"
            );
            assert!(cause.contains(ct), "{cause}");
        }
        let json = [("Content-Type", "Application/JSON; charset=utf-8")];
        assert_eq!(s.route("POST", path, &json, "{}").status, 200, "{path}");
    }
}
