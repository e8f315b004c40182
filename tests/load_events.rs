//! `aslx-load --target events:http://...` against `aslx serve` (issue 15): it sets up a bus,
//! the rule that starts the machine and the other rules, sends PutEvents, and counts the
//! executions they started. No timing is asserted: that every accepted event started one
//! execution, and the documented fields are there.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

fn machines() -> PathBuf {
    std::env::var_os("ASLX_BENCH_MACHINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/machines")
        })
}

/// `aslx serve` with `args`: the child and its port.
fn serve(args: &[&str]) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .args([
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
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, port)
}

/// `aslx-load` on pass1 against `events:` on `port` for about a second, plus `extra`.
fn load(port: u16, extra: &[&str]) -> Output {
    let dir = machines();
    Command::new(env!("CARGO_BIN_EXE_aslx-load"))
        .arg("--machine")
        .arg(dir.join("pass1.asl.json"))
        .arg("--input")
        .arg(dir.join("pass1.input.json"))
        .args(["--duration", "1", "--warmup", "0.2", "--threads", "2"])
        .args(["--target", &format!("events:http://127.0.0.1:{port}")])
        .args(extra)
        .output()
        .expect("aslx-load runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn events_target_starts_one_execution_per_accepted_event_and_counts_them() {
    let (mut server, port) = serve(&["--events-max-rules", "50"]);
    let out = load(port, &["--rules", "40", "--concurrency", "2", "--json"]);
    // A second run on the same server: its count is its own (a bus of its own, and the
    // executions of the first run's machine are not counted again).
    let again = load(port, &["--rules", "40", "--concurrency", "2", "--json"]);
    let _ = server.kill();
    let _ = server.wait();
    for out in [out, again] {
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        let v: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
        // The events fields come after the documented 16, in this order.
        let events_fields = [
            "rules",
            "started_per_s",
            "span_s",
            "started",
            "accepted",
            "started_total",
            "accepted_total",
        ];
        assert_eq!(v.as_object().unwrap().len(), 16 + events_fields.len());
        let mut at = stdout.find("\"rss_mb\":").unwrap();
        for f in events_fields {
            at += stdout[at..]
                .find(&format!("\"{f}\":"))
                .unwrap_or_else(|| panic!("{f} missing or out of order: {stdout}"));
        }
        assert_eq!(v["target"], format!("events:http://127.0.0.1:{port}"));
        assert_eq!(v["rules"], 40);
        assert_eq!(v["failed"], 0, "{stdout}");
        let accepted = v["accepted_total"].as_u64().unwrap();
        assert!(
            accepted > 0 && v["executions"].as_u64().unwrap() > 0,
            "{stdout}"
        );
        // Every accepted event started the machine once, and nothing else did.
        assert_eq!(v["started_total"].as_u64(), Some(accepted), "{stdout}");
        // All of the run is listed, so the span is the whole window; in it, starts (by the
        // server's clock) and answers (by the generator's) differ only at its two edges.
        assert_eq!(v["span_s"], 1.0, "{stdout}");
        let (started, in_span) = (
            v["started"].as_u64().unwrap() as f64,
            v["accepted"].as_u64().unwrap() as f64,
        );
        assert!(
            started > 0.0 && (started - in_span).abs() <= 0.02 * in_span + 4.0,
            "{stdout}"
        );
    }
}

#[test]
fn events_target_human_summary_names_the_started_executions() {
    let (mut server, port) = serve(&[]);
    let out = load(port, &["--concurrency", "1", "-q"]);
    let _ = server.kill();
    let _ = server.wait();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("executions started by the events (1 rules on the bus): ")
            && stdout.contains(" in the window, ")
            && stdout.contains("PutEvents accepted\n  since the set-up: "),
        "{stdout}"
    );
}

#[test]
fn events_target_past_the_servers_rule_quota_is_a_clear_error() {
    let (mut server, port) = serve(&["--events-max-rules", "5"]);
    let out = load(port, &["--rules", "6"]);
    let _ = server.kill();
    let _ = server.wait();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "rule 6 of --rules 6: AWSEvents.PutRule: HTTP 400 LimitExceededException: The requested resource exceeds the maximum number allowed: 5 rules on event bus"
        ),
        "{stderr}"
    );
}

#[test]
fn events_target_refuses_zero_rules_and_urls_that_are_not_http() {
    let out = load(1, &["--rules", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("--rules must be at least 1"),
        "{:?}",
        text(&out)
    );
    let dir = machines();
    let out = Command::new(env!("CARGO_BIN_EXE_aslx-load"))
        .arg("--machine")
        .arg(dir.join("pass1.asl.json"))
        .arg("--input")
        .arg(dir.join("pass1.input.json"))
        .args(["--target", "events:https://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .1
            .contains("--target events: \"https://127.0.0.1:1\": only http://"),
        "{:?}",
        text(&out)
    );
}
