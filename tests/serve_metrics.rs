//! `GET /metrics` and `GET /health` of `aslx serve` over real HTTP/1.1, and the same counters
//! through the library ([`aslx::Engine::metrics`]).

use aslx::engine::{Engine, StartRequest};
use aslx::{MachineType, Status};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const ROLE: &str = "arn:aws:iam::111111111111:role/aslx";

fn arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:111111111111:stateMachine:{name}")
}

#[path = "support/aslx_server.rs"]
mod aslx_server;

/// `aslx serve --in-memory` (the shared harness), with the requests these tests make.
struct Server(aslx_server::Server);

impl Server {
    fn start(args: &[&str]) -> Server {
        Server(aslx_server::Server::start(args))
    }

    /// One request on a new connection: status, headers (lower-case names), body.
    fn raw(&self, head: &str, body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.0.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
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
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        (status, headers, body)
    }

    fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let (s, h, b) = self.raw(&head, b"");
        (s, h, String::from_utf8(b).unwrap())
    }

    fn call(&self, op: &str, body: Value) -> (u16, Value) {
        let body = body.to_string();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.{op}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let (s, _, b) = self.raw(&head, body.as_bytes());
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    fn ok(&self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 200, "{op}: {v}");
        v
    }

    fn create(&self, name: &str, def: Value, ty: &str) {
        self.ok(
            "CreateStateMachine",
            json!({"name": name, "definition": def.to_string(), "roleArn": ROLE, "type": ty}),
        );
    }

    /// `/metrics` as `series → value`, checking every line is a comment or a sample.
    fn metrics(&self) -> HashMap<String, f64> {
        let (status, headers, text) = self.get("/metrics");
        assert_eq!(status, 200, "{text}");
        let ct = &headers.iter().find(|(k, _)| k == "content-type").unwrap().1;
        assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
        let mut out = HashMap::new();
        for line in text.lines() {
            if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line:?}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line:?}"));
            assert!(
                out.insert(series.to_string(), value).is_none(),
                "twice: {series}"
            );
        }
        out
    }
}

fn pass() -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})
}

fn get(m: &HashMap<String, f64>, series: &str) -> f64 {
    *m.get(series)
        .unwrap_or_else(|| panic!("no {series} in {:#?}", m.keys().collect::<Vec<_>>()))
}

#[test]
fn metrics_count_executions_by_outcome_and_requests_by_operation() {
    let s = Server::start(&["--max-in-flight", "1"]);
    s.create("ok", pass(), "EXPRESS");
    s.create(
        "boom",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}),
        "EXPRESS",
    );
    s.create(
        "late",
        json!({"TimeoutSeconds": 1, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": true}}}),
        "EXPRESS",
    );
    s.create(
        "nap",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
        "EXPRESS",
    );
    s.create(
        "long",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}),
        "STANDARD",
    );
    for (machine, n, status) in [
        ("ok", 3, "SUCCEEDED"),
        ("boom", 2, "FAILED"),
        ("late", 1, "TIMED_OUT"),
        ("nap", 1, "SUCCEEDED"),
    ] {
        for _ in 0..n {
            let v = s.ok(
                "StartSyncExecution",
                json!({"stateMachineArn": arn(machine)}),
            );
            assert_eq!(v["status"], status, "{v}");
        }
    }
    // One STANDARD execution waits: it fills the engine (--max-in-flight 1).
    let exec = s.ok("StartExecution", json!({"stateMachineArn": arn("long")}))["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, v) = s.call("StartSyncExecution", json!({"stateMachineArn": arn("ok")}));
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("ThrottlingException"))
    );
    let m = s.metrics();
    assert_eq!(get(&m, "aslx_executions_in_flight"), 1.0);
    assert_eq!(
        get(&m, "aslx_machine_executions_in_flight{machine=\"long\"}"),
        1.0
    );
    assert_eq!(
        get(&m, "aslx_machine_executions_in_flight{machine=\"ok\"}"),
        0.0
    );
    assert_eq!(
        get(&m, "aslx_executions_throttled_total{machine=\"ok\"}"),
        1.0
    );
    s.ok("StopExecution", json!({"executionArn": exec}));
    // The stop ends it at once; the metrics see it end when its run is dropped.
    let mut m = s.metrics();
    for _ in 0..100 {
        if get(&m, "aslx_executions_aborted_total{machine=\"long\"}") == 1.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        m = s.metrics();
    }
    for (machine, started, succeeded, failed, timed_out, aborted) in [
        ("ok", 3.0, 3.0, 0.0, 0.0, 0.0),
        ("boom", 2.0, 0.0, 2.0, 0.0, 0.0),
        ("late", 1.0, 0.0, 0.0, 1.0, 0.0),
        ("nap", 1.0, 1.0, 0.0, 0.0, 0.0),
        ("long", 1.0, 0.0, 0.0, 0.0, 1.0),
    ] {
        let l = format!("{{machine=\"{machine}\"}}");
        let got = [
            get(&m, &format!("aslx_executions_started_total{l}")),
            get(&m, &format!("aslx_executions_succeeded_total{l}")),
            get(&m, &format!("aslx_executions_failed_total{l}")),
            get(&m, &format!("aslx_executions_timed_out_total{l}")),
            get(&m, &format!("aslx_executions_aborted_total{l}")),
            get(&m, &format!("aslx_machine_executions_in_flight{l}")),
        ];
        assert_eq!(
            got,
            [started, succeeded, failed, timed_out, aborted, 0.0],
            "{machine}"
        );
        assert_eq!(
            get(&m, &format!("aslx_execution_duration_seconds_count{l}")),
            started,
            "{machine}"
        );
        assert_eq!(
            get(
                &m,
                &format!(
                    "aslx_execution_duration_seconds_bucket{{machine=\"{machine}\",le=\"+Inf\"}}"
                )
            ),
            started
        );
    }
    assert_eq!(get(&m, "aslx_executions_in_flight"), 0.0);
    // The one-second Wait waited at least a second; the Pass machine never waited.
    let nap = |le: &str| {
        get(
            &m,
            &format!("aslx_state_wait_duration_seconds_bucket{{machine=\"nap\",state_type=\"Wait\",le=\"{le}\"}}"),
        )
    };
    assert_eq!((nap("0.5"), nap("+Inf")), (0.0, 1.0));
    assert!(
        get(
            &m,
            "aslx_state_wait_duration_seconds_sum{machine=\"nap\",state_type=\"Wait\"}"
        ) >= 1.0
    );
    assert_eq!(
        get(
            &m,
            "aslx_state_wait_duration_seconds_count{machine=\"ok\",state_type=\"Wait\"}"
        ),
        0.0
    );
    assert!(get(&m, "aslx_execution_duration_seconds_sum{machine=\"late\"}") >= 1.0);
    // Requests by operation and status: sync executions answer 200 whatever their outcome.
    let req = |op: &str, code: &str| {
        get(
            &m,
            &format!(
                "aslx_http_requests_total{{api=\"states\",operation=\"{op}\",code=\"{code}\"}}"
            ),
        )
    };
    assert_eq!(req("CreateStateMachine", "200"), 5.0);
    assert_eq!(req("StartSyncExecution", "200"), 7.0);
    assert_eq!(req("StartSyncExecution", "400"), 1.0);
    assert_eq!(req("StopExecution", "200"), 1.0);
    assert!(
        get(
            &m,
            "aslx_http_requests_total{api=\"http\",operation=\"GetMetrics\",code=\"200\"}"
        ) >= 1.0,
        "a scrape counts the scrapes before it"
    );
}

#[test]
fn unknown_operations_share_one_row_and_other_paths_are_still_the_api() {
    let s = Server::start(&[]);
    for t in [
        "AWSStepFunctions.NoSuchThing",
        "Whatever.Op-1",
        "AWSStepFunctions.Other",
    ] {
        let head = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {t}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        );
        let (status, _, _) = s.raw(&head, b"{}");
        assert_eq!(status, 400);
    }
    // Not GET: the API answers as before.
    let (status, _, body) = s.raw(
        "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(status, 400, "{body:?}");
    let m = s.metrics();
    let unknown: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("aslx_http_requests_total{api=\"unknown\""))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(unknown, 4.0, "{m:#?}");
    assert!(!m
        .keys()
        .any(|k| k.contains("NoSuchThing") || k.contains("Whatever")));
}

#[test]
fn health_answers_ok_with_the_load() {
    let s = Server::start(&[]);
    let (status, headers, body) = s.get("/health");
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "content-type" && v == "application/json"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        json!({"status": "ok", "inFlight": 0, "openTaskTokens": 0})
    );
    let (status, _, _) = s.get("/health?probe=1");
    assert_eq!(status, 200);
}

#[test]
fn the_library_counts_per_machine_across_updates_and_versions() {
    let engine = Engine::builder().worker_threads(1).build().unwrap();
    engine
        .create_machine("m", &pass().to_string(), MachineType::Express)
        .unwrap();
    let run = |machine: &str| {
        engine
            .start_sync_blocking(StartRequest::new(machine))
            .unwrap()
            .outcome
            .status
    };
    assert_eq!(run("m"), Status::Succeeded);
    let fail = json!({"StartAt": "F", "States": {"F": {"Type": "Fail"}}});
    let info = engine
        .update_machine_with(
            "m",
            aslx::engine::MachineUpdate {
                definition: Some(&fail.to_string()),
                publish: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(run("m"), Status::Failed);
    assert_eq!(run(info.version_arn.as_deref().unwrap()), Status::Failed);
    let m = engine.metrics();
    assert_eq!(m.machines.len(), 1);
    let c = &m.machines[0];
    assert_eq!(&*c.name, "m");
    assert_eq!(
        (c.started, c.succeeded, c.failed, c.in_flight),
        (3, 1, 2, 0),
        "one machine's counters, whichever revision or version ran"
    );
    assert_eq!(c.execution_duration.count, 3);
    assert_eq!(
        c.execution_duration.counts.len(),
        aslx::engine::DURATION_BUCKETS.len() + 1
    );
    // Deleted and created again: counted afresh.
    engine.delete_machine("m").unwrap();
    assert!(engine.metrics().machines.is_empty());
    engine
        .create_machine("m", &pass().to_string(), MachineType::Express)
        .unwrap();
    assert_eq!(engine.metrics().machines[0].started, 0);
    let text = engine.metrics().to_prometheus();
    assert!(
        text.contains("aslx_executions_started_total{machine=\"m\"} 0\n"),
        "{text}"
    );
}
