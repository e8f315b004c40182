//! Smoke runs of the load generator `aslx-load`: it runs in closed and open loop, in-process
//! and over HTTP, and prints the documented JSON line. No timing is asserted: only that
//! executions happened, none failed, and the fields are there.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const FIELDS: [&str; 16] = [
    "machine",
    "mode",
    "target",
    "io",
    "concurrency",
    "rate",
    "executions",
    "failed",
    "seconds",
    "exec_per_s",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "rss_mb",
];

fn machines() -> PathBuf {
    std::env::var_os("ASLX_BENCH_MACHINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/machines")
        })
}

/// Runs `aslx-load` on a shared machine for about a second, plus `extra` arguments.
fn load(machine: &str, extra: &[&str]) -> Output {
    let dir = machines();
    Command::new(env!("CARGO_BIN_EXE_aslx-load"))
        .arg("--machine")
        .arg(dir.join(format!("{machine}.asl.json")))
        .arg("--input")
        .arg(dir.join(format!("{machine}.input.json")))
        .args(["--duration", "1", "--warmup", "0.2", "--threads", "2"])
        .args(extra)
        .output()
        .expect("aslx-load runs")
}

/// The one JSON line of a `--json` run, with every documented field, in order.
fn json_line(out: &Output) -> serde_json::Map<String, Value> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stdout: {stdout}");
    let v: Value = serde_json::from_str(lines[0]).expect("the line is JSON");
    let obj = v.as_object().expect("a JSON object").clone();
    for f in FIELDS {
        assert!(obj.contains_key(f), "field {f} missing in {}", lines[0]);
    }
    assert_eq!(obj.len(), FIELDS.len(), "no other fields: {}", lines[0]);
    // The documented order, for readers of the raw line.
    let mut at = 0;
    for f in FIELDS {
        let i = lines[0][at..]
            .find(&format!("\"{f}\":"))
            .unwrap_or_else(|| panic!("{f} out of order in {}", lines[0]));
        at += i;
    }
    for f in FIELDS
        .iter()
        .filter(|f| !["machine", "mode", "target", "io", "rate"].contains(f))
    {
        assert!(obj[*f].is_number(), "{f} is a number: {}", lines[0]);
    }
    obj
}

fn ran_clean(obj: &serde_json::Map<String, Value>) {
    let n = obj["executions"].as_u64().expect("executions");
    assert!(n > 0, "executions > 0: {obj:?}");
    assert_eq!(obj["failed"].as_u64(), Some(0), "{obj:?}");
    let (p50, p99, max) = (
        obj["p50_us"].as_f64().unwrap(),
        obj["p99_us"].as_f64().unwrap(),
        obj["max_us"].as_f64().unwrap(),
    );
    assert!(
        0.0 < p50 && p50 <= p99 && p99 <= max,
        "ordered percentiles: {obj:?}"
    );
}

/// A `--json` run that must execute something and fail nothing.
fn clean_run(machine: &str, extra: &[&str]) -> serde_json::Map<String, Value> {
    let obj = json_line(&load(machine, extra));
    ran_clean(&obj);
    obj
}

#[test]
fn closed_loop_async_in_process() {
    let obj = clean_run(
        "pass1",
        &["--mode", "async", "--concurrency", "16", "--json"],
    );
    assert_eq!(obj["machine"], "pass1");
    assert_eq!(obj["mode"], "async");
    assert_eq!(obj["target"], "inproc");
    assert_eq!(obj["concurrency"], 16);
    assert!(obj["rate"].is_null());
}

#[test]
fn closed_loop_sync_in_process_with_handlers_bound_by_function_name() {
    let obj = clean_run("task3", &["--mode", "sync", "--concurrency", "4", "--json"]);
    assert_eq!(obj["machine"], "task3");
    assert_eq!(obj["mode"], "sync");
}

#[test]
fn open_loop_sync_in_process() {
    let obj = clean_run("pipeline5", &["--mode", "sync", "--rate", "2000", "--json"]);
    assert_eq!(obj["rate"].as_f64(), Some(2000.0));
    assert_eq!(obj["concurrency"], 64);
}

#[test]
fn open_loop_async_in_process_with_a_caught_failure() {
    // catch_fail's handler fails and the Catch recovers: the execution succeeds.
    let obj = clean_run(
        "catch_fail",
        &["--mode", "async", "--rate", "5000", "--json"],
    );
    assert_eq!(obj["rate"].as_f64(), Some(5000.0));
}

#[test]
fn the_engine_target_sync_and_async() {
    for mode in ["sync", "async"] {
        let obj = clean_run(
            "task3",
            &[
                "--target",
                "engine",
                "--mode",
                mode,
                "--concurrency",
                "8",
                "--json",
            ],
        );
        assert_eq!(obj["target"], "engine");
        assert_eq!(obj["mode"], mode);
    }
    // Open loop: the engine's admission bounds what is in flight.
    let obj = clean_run(
        "pass1",
        &[
            "--target", "engine", "--mode", "async", "--rate", "5000", "--json",
        ],
    );
    assert_eq!(obj["rate"].as_f64(), Some(5000.0));
}

#[test]
fn string_in_string_out_parses_and_serializes_every_execution() {
    // `--io text`: what a server or another engine's harness pays per execution, in process
    // and through the engine, sync and async.
    for (target, mode) in [("inproc", "async"), ("inproc", "sync"), ("engine", "sync")] {
        let obj = clean_run(
            "pipeline5",
            &[
                "--target",
                target,
                "--mode",
                mode,
                "--io",
                "text",
                "--concurrency",
                "4",
                "--json",
            ],
        );
        assert_eq!(obj["io"], "text", "{target} {mode}");
    }
    assert_eq!(clean_run("pass1", &["--json"])["io"], "value");
}

#[test]
fn human_summary_and_progress() {
    let out = load("pass1", &["--concurrency", "2"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("pass1 async inproc, closed loop, concurrency 2"),
        "{stdout}"
    );
    assert!(stdout.contains("exec/s"), "{stdout}");
    assert!(stdout.contains("latency (µs): p50"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exec/s"), "a progress line: {stderr}");
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aslx-load-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_machine_that_cannot_be_created_is_a_clear_error() {
    let def = temp_file(
        "unknown.asl.json",
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:nope","End":true}}}"#,
    );
    let input = temp_file("unknown.input.json", "{}");
    let out = Command::new(env!("CARGO_BIN_EXE_aslx-load"))
        .arg("--machine")
        .arg(&def)
        .arg("--input")
        .arg(&input)
        .args(["--duration", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("machine unknown")
            && stderr.contains("cannot create")
            && stderr.contains("nope"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_are_refused() {
    let input = temp_file("bad.input.json", "{not json");
    let dir = machines();
    let base = |extra: &[&str], input: &PathBuf| {
        Command::new(env!("CARGO_BIN_EXE_aslx-load"))
            .arg("--machine")
            .arg(dir.join("pass1.asl.json"))
            .arg("--input")
            .arg(input)
            .args(extra)
            .output()
            .unwrap()
    };
    let good = dir.join("pass1.input.json");
    for (extra, input, expect) in [
        (&[][..], &input, "not JSON"),
        (&["--concurrency", "0"][..], &good, "--concurrency"),
        (&["--rate=-5"][..], &good, "--rate -5"),
        (&["--duration", "0"][..], &good, "--duration"),
        (
            &["--target", "https://127.0.0.1:1"][..],
            &good,
            "only http://",
        ),
    ] {
        let out = base(extra, input);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expect), "{extra:?}: {stderr}");
    }
}

/// What the fake Step Functions endpoint saw.
#[derive(Default)]
struct Seen {
    targets: Vec<String>,
    bodies: Vec<String>,
}

/// How the fake endpoint behaves.
#[derive(Clone, Copy, PartialEq)]
enum Fake {
    /// Keep-alive, every start succeeds.
    Ok,
    /// Every start is refused with a ThrottlingException.
    Throttle,
    /// `Connection: close` after every answer.
    Close,
}

/// A minimal AWS JSON 1.0 endpoint on loopback: answers CreateStateMachine,
/// StartSyncExecution and StartExecution over HTTP/1.1.
fn fake_endpoint(mode: Fake) -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = Arc::clone(&seen);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let s = Arc::clone(&s);
            std::thread::spawn(move || serve(conn, &s, mode));
        }
    });
    (port, seen)
}

fn serve(conn: TcpStream, seen: &Mutex<Seen>, mode: Fake) {
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        assert!(line.starts_with("POST / HTTP/1.1"), "{line}");
        let (mut len, mut target, mut ctype) = (0, String::new(), String::new());
        loop {
            let mut h = String::new();
            r.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap(),
                "x-amz-target" => target = v.trim().to_string(),
                "content-type" => ctype = v.trim().to_string(),
                _ => {}
            }
        }
        assert_eq!(ctype, "application/x-amz-json-1.0");
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:aslx-load-pass1";
        let (status, answer) = match target.as_str() {
            "AWSStepFunctions.CreateStateMachine" => (
                "200 OK",
                format!(r#"{{"stateMachineArn":"{arn}","creationDate":1.5}}"#),
            ),
            _ if mode == Fake::Throttle => (
                "400 Bad Request",
                r#"{"__type":"com.amazonaws.swf.base.model#ThrottlingException","message":"Rate exceeded"}"#
                    .to_string(),
            ),
            "AWSStepFunctions.StartSyncExecution" => (
                "200 OK",
                r#"{"executionArn":"x","status":"SUCCEEDED","output":"{\"status\":\"FAILED\"}","startDate":1.0,"stopDate":1.0}"#
                    .to_string(),
            ),
            "AWSStepFunctions.StartExecution" => (
                "200 OK",
                r#"{"executionArn":"x","startDate":1.0}"#.to_string(),
            ),
            other => panic!("unexpected operation {other}"),
        };
        {
            let mut s = seen.lock().unwrap();
            if s.bodies.len() < 16 {
                s.targets.push(target.clone());
                s.bodies.push(String::from_utf8(body).unwrap());
            }
        }
        let close = if mode == Fake::Close {
            "Connection: close\r\n"
        } else {
            ""
        };
        let resp = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\n{close}Content-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if w.write_all(resp.as_bytes()).is_err() || mode == Fake::Close {
            return;
        }
    }
}

/// Runs pass1 against a fresh fake endpoint: `(output, its URL, what it saw)`.
fn against(fake: Fake, extra: &[&str]) -> (Output, String, Arc<Mutex<Seen>>) {
    let (port, seen) = fake_endpoint(fake);
    let url = format!("http://127.0.0.1:{port}");
    let mut args = vec!["--target", url.as_str()];
    args.extend_from_slice(extra);
    (load("pass1", &args), url, seen)
}

#[test]
fn http_target_creates_the_machine_then_starts_executions() {
    for (mode, op) in [
        ("sync", "AWSStepFunctions.StartSyncExecution"),
        ("async", "AWSStepFunctions.StartExecution"),
    ] {
        let (out, url, seen) = against(Fake::Ok, &["--mode", mode, "--concurrency", "2", "--json"]);
        let obj = json_line(&out);
        ran_clean(&obj);
        assert_eq!(obj["target"], url.as_str());
        let seen = seen.lock().unwrap();
        assert_eq!(seen.targets[0], "AWSStepFunctions.CreateStateMachine");
        let create: Value = serde_json::from_str(&seen.bodies[0]).unwrap();
        assert_eq!(create["name"], "aslx-load-pass1");
        assert_eq!(create["type"], "EXPRESS");
        assert!(create["definition"]
            .as_str()
            .unwrap()
            .contains("\"StartAt\""));
        assert_eq!(seen.targets[1], op);
        let start: Value = serde_json::from_str(&seen.bodies[1]).unwrap();
        assert_eq!(
            start["stateMachineArn"],
            "arn:aws:states:us-east-1:123456789012:stateMachine:aslx-load-pass1"
        );
        let input: Value = serde_json::from_str(start["input"].as_str().unwrap()).unwrap();
        assert_eq!(input, serde_json::json!({"x": 1}));
    }
}

#[test]
fn http_target_with_a_given_arn_and_a_throttling_server_counts_failures() {
    let given = "arn:aws:states:us-east-1:123456789012:stateMachine:given";
    let (out, _, seen) = against(
        Fake::Throttle,
        &[
            "--mode",
            "sync",
            "--concurrency",
            "1",
            "--state-machine-arn",
            given,
        ],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("first error: HTTP 400 ThrottlingException: Rate exceeded"),
        "{stdout}"
    );
    let seen = seen.lock().unwrap();
    assert!(
        !seen
            .targets
            .iter()
            .any(|t| t.ends_with("CreateStateMachine")),
        "no CreateStateMachine with --state-machine-arn"
    );
    let start: Value = serde_json::from_str(&seen.bodies[0]).unwrap();
    assert_eq!(start["stateMachineArn"], given);
}

#[test]
fn http_target_reconnects_when_the_server_closes_each_connection() {
    let (out, url, _) = against(
        Fake::Close,
        &["--mode", "sync", "--concurrency", "2", "--json"],
    );
    let obj = json_line(&out);
    ran_clean(&obj);
    assert_eq!(obj["target"], url.as_str());
}

#[test]
fn http_target_that_is_not_listening_fails_fast() {
    // Bind then drop: a loopback port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = load(
        "pass1",
        &["--target", &format!("http://127.0.0.1:{port}"), "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connect 127.0.0.1"), "{stderr}");
}

/// `aslx serve` with `routes`: the child and its API and routes ports.
fn serve_routes(routes: &[&str]) -> (std::process::Child, u16, u16) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aslx"));
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--routes-bind",
        "127.0.0.1:0",
    ])
    .args(["--threads", "2", "--in-memory"])
    .env_remove("SFN_MOCK_CONFIG")
    .stdout(std::process::Stdio::piped());
    for r in routes {
        cmd.args(["--route", r]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut port = || {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        line.split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"))
    };
    let (api, routes) = (port(), port());
    (child, api, routes)
}

#[test]
fn route_target_creates_the_machine_through_the_api_then_posts_the_input() {
    let (mut child, api, routes) = serve_routes(&["POST /p=pass1:sync:raw"]);
    let target = format!("route:http://127.0.0.1:{routes}/p");
    let api = format!("http://127.0.0.1:{api}");
    let out = load(
        "pass1",
        &[
            "--target",
            &target,
            "--api",
            &api,
            "--name",
            "pass1",
            "--mode",
            "sync",
            "--concurrency",
            "2",
            "--json",
        ],
    );
    let obj = json_line(&out);
    ran_clean(&obj);
    assert_eq!(obj["target"], target.as_str());
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn route_target_counts_error_answers_as_failures_with_their_error() {
    // No --api: the route's machine does not exist, so every answer is a 500.
    let (mut child, _, routes) = serve_routes(&["POST /p=absent:sync"]);
    let out = load(
        "pass1",
        &[
            "--target",
            &format!("route:http://127.0.0.1:{routes}/p"),
            "--concurrency",
            "1",
        ],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("first error: HTTP 500 StateMachineDoesNotExist: route POST /p (state machine \"absent\")"),
        "{stdout}"
    );
    assert!(!stdout.contains(" 0 failed"), "{stdout}");
}

#[test]
fn route_target_that_is_not_http_is_refused() {
    let out = load("pass1", &["--target", "route:https://127.0.0.1:1/p"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--target route: \"https://127.0.0.1:1/p\": only http://"),
        "{stderr}"
    );
}
