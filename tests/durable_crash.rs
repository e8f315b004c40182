//! At-least-once across kill -9 (issue 13): `aslx serve --data-dir` is killed at random
//! moments while async starts pour in, and restarted on the same directory. Every start it
//! answered must reach a terminal status in the execution log; one whose terminal record was
//! in the log well before a kill (its completion had been written since) must not run again.
//! Machines created before the first kill are there after every restart (the catalog).
//!
//! Real process, real HTTP on loopback, real SIGKILL.

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KILLS: usize = 20;
const TERMINAL: [&str; 4] = [
    "ExecutionSucceeded",
    "ExecutionFailed",
    "ExecutionTimedOut",
    "ExecutionAborted",
];
const MACHINE: &str = "arn:aws:states:us-east-1:111111111111:stateMachine:crashy";

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(data: &Path, logs: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aslx"))
            .args(["serve", "--bind", "127.0.0.1:0", "--threads", "2"])
            .args(["--wait-time-scale", "0.05", "--fsync", "batch"])
            .arg("--data-dir")
            .arg(data)
            .arg("--log-dir")
            .arg(logs)
            .env_remove("SFN_MOCK_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aslx serve");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line).expect("read the address");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        // Keep reading stdout so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        Server { child, port }
    }

    fn kill9(self) {
        drop(self); // SIGKILL
    }
}

/// A failing assertion must not leave the server running (it would hold the test's output
/// open, and a pipe reading it would wait for ever).
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

/// One request on its own connection: the status and body, or `None` when the server went
/// away before answering.
fn call(port: u16, op: &str, body: &Value) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = body.to_string();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.{op}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split(' ').nth(1)?.parse().ok()?;
    let json = resp.split("\r\n\r\n").nth(1)?;
    Some((status, serde_json::from_str(json).unwrap_or(Value::Null)))
}

/// Terminal log records by execution ARN (count), read from the log directory.
fn terminal_counts(logs: &Path) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut files = Vec::new();
    collect(logs, &mut files);
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for line in text.lines() {
            // Most records are not terminal: skip them unparsed.
            if !TERMINAL.iter().any(|t| line.contains(t)) {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let Some(m) = v["message"].as_str() else {
                continue;
            };
            let Ok(rec) = serde_json::from_str::<Value>(m) else {
                continue;
            };
            if TERMINAL.contains(&rec["type"].as_str().unwrap_or("")) {
                let arn = rec["execution_arn"].as_str().unwrap_or("").to_string();
                *out.entry(arn).or_insert(0) += 1;
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn create_machine(port: u16) {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.p", "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 4, "End": true}}});
    let (status, body) = call(
        port,
        "CreateStateMachine",
        &json!({"name": "crashy", "definition": definition.to_string(), "type": "EXPRESS",
            "roleArn": "arn:aws:iam::111111111111:role/r",
            "loggingConfiguration": {"level": "ALL", "includeExecutionData": false,
                "destinations": [{"cloudWatchLogsLogGroup": {
                    "logGroupArn": "arn:aws:logs:us-east-1:111111111111:log-group:crash:*"}}]}}),
    )
    .expect("CreateStateMachine answered");
    assert_eq!(status, 200, "{body}");
}

/// Fires async starts with unique names from two threads until `stop`; records every
/// answered execution ARN.
fn fire(
    port: u16,
    stop: Arc<AtomicBool>,
    answered: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicUsize>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..2)
        .map(|_| {
            let (stop, answered, next) = (stop.clone(), answered.clone(), next.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let body = json!({"stateMachineArn": MACHINE, "name": format!("e{n}"),
                        "input": format!("{{\"n\": {n}}}")});
                    match call(port, "StartExecution", &body) {
                        Some((200, v)) => {
                            let arn = v["executionArn"].as_str().unwrap_or("").to_string();
                            answered.lock().unwrap().push(arn);
                            // A few thousand starts in all keep the run short.
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        // Refused or cut by the kill: not answered, nothing promised.
                        _ => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        })
        .collect()
}

#[test]
fn every_answered_async_start_ends_after_twenty_kill_9s() {
    let root = std::env::temp_dir().join(format!("aslx-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (data, logs) = (root.join("data"), root.join("logs"));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    // Ended in one run of the server, well before its kill: must end exactly once. (What
    // ended just before a kill may have ended without its completion written: it runs
    // again after the restart, which at-least-once allows; `before` holds those.)
    let mut settled: HashSet<String> = HashSet::new();
    let mut before: HashSet<String> = HashSet::new();
    let mut rng_state = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(std::process::id());
    let mut rand = |lo: u64, hi: u64| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        lo + rng_state % (hi - lo)
    };
    for kill in 0..KILLS {
        let server = Server::start(&data, &logs);
        if kill == 0 {
            create_machine(server.port);
        } else {
            // The catalog: the machine came back with the restart.
            let (status, body) = call(
                server.port,
                "DescribeStateMachine",
                &json!({"stateMachineArn": MACHINE}),
            )
            .expect("DescribeStateMachine answered");
            assert_eq!(status, 200, "restart {kill}: the machine is gone: {body}");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let firing = fire(server.port, stop.clone(), answered.clone(), next.clone());
        std::thread::sleep(Duration::from_millis(rand(100, 500)));
        // What has ended by now has had ~100 ms or more, by the kill, for its completion to
        // be written: it must not run again.
        let now = terminal_counts(&logs);
        settled.extend(now.into_keys().filter(|a| !before.contains(a)));
        std::thread::sleep(Duration::from_millis(rand(100, 300)));
        server.kill9();
        before = terminal_counts(&logs).into_keys().collect();
        stop.store(true, Ordering::Relaxed);
        for t in firing {
            let _ = t.join();
        }
    }
    let server = Server::start(&data, &logs);
    let answered: Vec<String> = answered.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ended = terminal_counts(&logs);
    while answered.iter().any(|a| !ended.contains_key(a)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        ended = terminal_counts(&logs);
    }
    server.kill9();
    let lost: Vec<&String> = answered
        .iter()
        .filter(|a| !ended.contains_key(*a))
        .collect();
    let duplicated = answered
        .iter()
        .filter(|a| ended.get(*a).is_some_and(|n| *n > 1))
        .count();
    let rerun_settled: Vec<&String> = settled
        .iter()
        .filter(|a| ended.get(*a).is_some_and(|n| *n > 1))
        .collect();
    println!(
        "durable_crash: {KILLS} kills, {} answered starts, {} lost, {duplicated} ended more than once (run again after a kill: at least once), {} settled before a kill",
        answered.len(),
        lost.len(),
        settled.len()
    );
    assert!(
        answered.len() > KILLS * 5,
        "too few starts answered: {}",
        answered.len()
    );
    assert!(lost.is_empty(), "answered but never ended: {lost:?}");
    assert!(
        rerun_settled.is_empty(),
        "ended before a kill, ran again after it: {rerun_settled:?}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
