//! `--target events:http://HOST:PORT`: EventBridge's PutEvents on `aslx serve`, each event
//! matching the one rule (of `--rules` on the bus) that starts the machine.
//!
//! Set-up, through the same endpoint, before the clock starts:
//!
//! 1. CreateStateMachine, STANDARD (named by `--name`, default `aslx-load-events-MACHINE`), so
//!    that the executions the events start can be counted with ListExecutions; or the machine
//!    of `--state-machine-arn`.
//! 2. CreateEventBus: a bus of this run's own, so no rule of an earlier run is on it and
//!    `--rules` is the number of rules every event is matched against.
//! 3. PutRule `start` (`{"source": ["aslx.load"], "detail": {"kind": ["start"]}}`) and
//!    PutTargets with the machine and `InputPath: $.detail.input`, so each execution gets
//!    `--input`; then `--rules` - 1 rules that no event of the run matches (`detail.kind`
//!    `other-1`, `other-2`, ...): same fields, other values, as rules for other event kinds
//!    of one application would be.
//!
//! Each execution of the generator is one PutEvents of one entry; an answer with
//! `FailedEntryCount` 0 counts as succeeded, its latency the PutEvents round trip (the server
//! starts the targets before it answers; `--mode` only names the run). Accepted events are
//! also counted by the wall-clock millisecond of their answer.
//!
//! After the run, [`Events::count`] pages through ListExecutions and compares, over a span of
//! the measured window, the executions the server started (by their `startDate`) with the
//! events it accepted: one event must start exactly one execution. The server keeps only its
//! last [`MAX_FINISHED`](aslx::engine::MAX_FINISHED) finished executions, so the span is the
//! whole window when every execution of the run is still listed, and otherwise the part of it
//! after the oldest one listed (the last few seconds of a long run).

use crate::http::{api_error, lossy, Conn, Endpoint, Lane, Machine, JSON_1_0};
use crate::stats::Window;
use crate::target::{Client, Target};
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// EventBridge's content type.
const JSON_1_1: &str = "application/x-amz-json-1.1";
/// The source of every event of a run.
const SOURCE: &str = "aslx.load";

/// An `aslx serve` with the run's bus, rules and machine, and the PutEvents every call sends.
pub struct Events {
    endpoint: Endpoint,
    op: HeaderValue,
    /// `{"Entries": [{...}]}`, built once.
    body: Bytes,
    /// The machine the matching rule starts.
    machine_arn: String,
    /// PutEvents answered with no failed entry, warm-up and drain included.
    accepted: AtomicU64,
    /// The same, by wall-clock millisecond of the answer from `since_ms` (the last one holds
    /// those past the end).
    accepted_at: Box<[AtomicU64]>,
    /// When the set-up ended, whole wall-clock milliseconds: executions of the machine that
    /// started earlier belong to an earlier run.
    since_ms: f64,
}

/// What [`Events::count`] found.
pub struct Started {
    /// Seconds of the measured window the figures cover: all of it, or its end when the
    /// server no longer lists the run's first executions.
    pub span_s: f64,
    /// Executions started in the span.
    pub started: u64,
    /// PutEvents accepted in the span.
    pub accepted: u64,
    /// Executions started since the set-up, when the server still lists them all.
    pub total: Option<u64>,
    /// PutEvents accepted since the set-up.
    pub accepted_total: u64,
}

impl Events {
    /// Parses `url` (after `events:`) and sets up the machine, bus and `rules` rules.
    /// `run` bounds the run (warm-up, measurement and drain) for the per-millisecond counts.
    pub async fn new(
        url: &str,
        machine: Machine<'_>,
        input_text: &str,
        rules: usize,
        run: Duration,
    ) -> Result<Events, String> {
        if rules == 0 {
            return Err("--rules must be at least 1 (the rule that starts the machine)".into());
        }
        let (endpoint, _) = Endpoint::parse("--target events:", url)?;
        let machine_arn = match machine.arn {
            Some(arn) => arn,
            None => {
                endpoint
                    .create_machine_of_type(&machine, "STANDARD")
                    .await?
            }
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let bus = format!("aslx-load-{}-{nanos}", std::process::id());
        let mut conn = endpoint.connect().await?;
        setup(&mut conn, &bus, &machine_arn, rules).await?;
        drop(conn);
        // Whole milliseconds, as startDate is: the first events start within this one.
        let since_ms = wall_ms(Instant::now()).floor();
        let input: Json = serde_json::from_str(input_text).map_err(|e| format!("--input: {e}"))?;
        let detail = json!({"kind": "start", "input": input}).to_string();
        let body = json!({"Entries": [{
            "Source": SOURCE,
            "DetailType": "aslx-load",
            "Detail": detail,
            "EventBusName": bus,
        }]});
        Ok(Events {
            endpoint,
            op: HeaderValue::from_static("AWSEvents.PutEvents"),
            body: Bytes::from(body.to_string()),
            machine_arn,
            accepted: AtomicU64::new(0),
            accepted_at: (0..run.as_millis() as usize + 60_000)
                .map(|_| AtomicU64::new(0))
                .collect(),
            since_ms,
        })
    }

    /// Pages through the machine's executions (ListExecutions, 1,000 a page) and compares
    /// them with the accepted events over the measured `window` (see the module's notes).
    pub async fn count(&self, window: &Window) -> Result<Started, String> {
        let (from, to) = (wall_ms(window.start), wall_ms(window.end));
        let mut conn = self.endpoint.connect().await?;
        let mut ours: Vec<f64> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = json!({"stateMachineArn": self.machine_arn, "maxResults": 1000});
            if let Some(t) = &token {
                req["nextToken"] = Json::from(t.as_str());
            }
            let page = conn
                .call(JSON_1_0, "AWSStepFunctions.ListExecutions", &req)
                .await?;
            for e in page["executions"].as_array().into_iter().flatten() {
                let ms = e["startDate"].as_f64().unwrap_or(0.0) * 1000.0;
                if ms >= self.since_ms {
                    ours.push(ms);
                }
            }
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        let accepted_total = self.accepted.load(Ordering::Relaxed);
        let (start, complete) = span_start(&ours, accepted_total, from, to)?;
        let started = ours.iter().filter(|&&ms| (start..to).contains(&ms)).count() as u64;
        // Accepted events by the millisecond of their answer, over the same span.
        let bucket = |ms: f64| ((ms - self.since_ms).max(0.0) as usize).min(self.accepted_at.len());
        let accepted = self.accepted_at[bucket(start)..bucket(to)]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        Ok(Started {
            span_s: (to - start) / 1000.0,
            started,
            accepted,
            total: complete.then_some(ours.len() as u64),
            accepted_total,
        })
    }
}

/// Where the counted span of the window `from..to` starts, and whether every execution of
/// the run is listed (`ours`: the start times of those listed). Listed executions are a suffix
/// of the run's (the server forgets the oldest first); the millisecond of the oldest listed
/// may have lost some, so when some are missing the span starts after it.
fn span_start(
    ours: &[f64],
    accepted_total: u64,
    from: f64,
    to: f64,
) -> Result<(f64, bool), String> {
    let complete = ours.len() as u64 == accepted_total;
    let oldest = ours.iter().copied().fold(f64::INFINITY, f64::min);
    let start = if complete {
        from
    } else {
        from.max(oldest.floor() + 1.0)
    };
    if start >= to {
        return Err(format!(
            "the server lists {} of the run's {accepted_total} executions, none started in the measured window",
            ours.len()
        ));
    }
    Ok((start, complete))
}

/// `at` in wall-clock milliseconds since the epoch, as the server's `startDate` is.
fn wall_ms(at: Instant) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    now - Instant::now().saturating_duration_since(at).as_secs_f64() * 1000.0
}

/// The bus, the rule that starts `machine` and `rules` - 1 rules that match nothing.
async fn setup(conn: &mut Conn<'_>, bus: &str, machine: &str, rules: usize) -> Result<(), String> {
    conn.call(
        JSON_1_1,
        "AWSEvents.CreateEventBus",
        &json!({ "Name": bus }),
    )
    .await?;
    let pattern = |kind: &str| json!({"source": [SOURCE], "detail": {"kind": [kind]}}).to_string();
    conn.call(
        JSON_1_1,
        "AWSEvents.PutRule",
        &json!({"Name": "start", "EventBusName": bus, "EventPattern": pattern("start")}),
    )
    .await?;
    let targets = json!({"Rule": "start", "EventBusName": bus, "Targets": [
        {"Id": "machine", "Arn": machine, "InputPath": "$.detail.input"},
    ]});
    let out = conn
        .call(JSON_1_1, "AWSEvents.PutTargets", &targets)
        .await?;
    if out["FailedEntryCount"] != 0 {
        return Err(format!("PutTargets: {}", out["FailedEntries"]));
    }
    for i in 1..rules {
        let name = format!("other-{i}");
        conn.call(
            JSON_1_1,
            "AWSEvents.PutRule",
            &json!({"Name": name, "EventBusName": bus, "EventPattern": pattern(&name)}),
        )
        .await
        .map_err(|e| format!("rule {} of --rules {rules}: {e}", i + 1))?;
    }
    Ok(())
}

impl Target for Events {
    type Client = EventsClient;

    async fn client(&'static self) -> Result<EventsClient, String> {
        Ok(EventsClient {
            lane: Lane::open(&self.endpoint).await?,
            events: self,
        })
    }
}

/// A lane of the events target: reconnects after a connection error.
pub struct EventsClient {
    events: &'static Events,
    lane: Lane,
}

impl Client for EventsClient {
    async fn call(&mut self) -> Result<bool, String> {
        let ev = self.events;
        let (status, body) = self
            .lane
            .post("/", JSON_1_1, Some(&ev.op), ev.body.clone())
            .await?;
        if status != StatusCode::OK {
            return Err(api_error(status, &body));
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Entry<'a> {
            #[serde(borrow)]
            error_code: Option<&'a str>,
            #[serde(borrow)]
            error_message: Option<std::borrow::Cow<'a, str>>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer<'a> {
            failed_entry_count: u64,
            #[serde(borrow)]
            entries: Vec<Entry<'a>>,
        }
        match serde_json::from_slice::<Answer>(&body) {
            Ok(a) if a.failed_entry_count == 0 => {
                ev.accepted.fetch_add(1, Ordering::Relaxed);
                let ms = (wall_ms(Instant::now()) - ev.since_ms).max(0.0) as usize;
                ev.accepted_at[ms.min(ev.accepted_at.len() - 1)].fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            Ok(a) => {
                let e = a.entries.first();
                Err(format!(
                    "PutEvents entry failed: {}: {}",
                    e.and_then(|e| e.error_code).unwrap_or("?"),
                    e.and_then(|e| e.error_message.as_deref()).unwrap_or("")
                ))
            }
            Err(e) => Err(format!(
                "PutEvents: unexpected answer ({e}): {}",
                lossy(&body)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::span_start;

    #[test]
    fn the_span_is_the_window_when_every_execution_is_listed() {
        let ours = [1000.0, 1500.5, 2500.0];
        assert_eq!(span_start(&ours, 3, 1200.0, 3000.0), Ok((1200.0, true)));
    }

    #[test]
    fn the_span_starts_after_the_oldest_listed_when_the_server_forgot_some() {
        let ours = [1600.4, 2000.0, 2500.0];
        // Five accepted, three listed: the span starts after the oldest listed millisecond.
        assert_eq!(span_start(&ours, 5, 1200.0, 3000.0), Ok((1601.0, false)));
        // Nothing listed inside the window: no figure.
        assert!(span_start(&ours, 5, 1200.0, 1500.0).is_err());
    }
}
