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
//! starts the targets before it answers; `--mode` only names the run). After the run,
//! [`Events::count`] pages through ListExecutions and counts the executions whose start fell
//! inside the measured window, and all of them against all accepted events: one event must
//! start exactly one execution.

use crate::http::{api_error, lossy, Conn, Endpoint, Lane, Machine, JSON_1_0};
use crate::stats::Window;
use crate::target::{Client, Target};
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// When the set-up ended, wall-clock milliseconds: executions of the machine that started
    /// earlier belong to an earlier run.
    since_ms: f64,
}

/// What [`Events::count`] found.
pub struct Started {
    /// Executions started inside the measured window.
    pub in_window: u64,
    /// Executions started from the end of the set-up to the count.
    pub total: u64,
    /// PutEvents accepted over the same span.
    pub accepted: u64,
}

impl Events {
    /// Parses `url` (after `events:`) and sets up the machine, bus and `rules` rules.
    pub async fn new(
        url: &str,
        machine: Machine<'_>,
        input_text: &str,
        rules: usize,
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
            since_ms,
        })
    }

    /// Pages through the machine's executions (ListExecutions, 1,000 a page) and counts those
    /// started inside `window` and in all.
    pub async fn count(&self, window: &Window) -> Result<Started, String> {
        let (from, to) = (wall_ms(window.start), wall_ms(window.end));
        let mut conn = self.endpoint.connect().await?;
        let (mut in_window, mut total) = (0, 0);
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
                if ms < self.since_ms {
                    continue;
                }
                total += 1;
                if (from..=to).contains(&ms) {
                    in_window += 1;
                }
            }
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        Ok(Started {
            in_window,
            total,
            accepted: self.accepted.load(Ordering::Relaxed),
        })
    }
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
