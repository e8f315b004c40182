//! StartExecution, StartSyncExecution, DescribeExecution, DescribeStateMachineForExecution,
//! StopExecution, ListExecutions, GetExecutionHistory.
//!
//! EXPRESS executions leave no record (AWS cannot describe, list, stop or show the history of
//! them either: those operations answer `InvalidArn` / `StateMachineTypeNotSupported`).
//! EXPRESS starts go to the engine (StartSyncExecution at-most-once, StartExecution
//! at-least-once). STANDARD executions are admitted by the engine and driven by the backend on
//! its tokens and activities, and keep a record here for the inspection operations (the
//! engine's async start gives no completion or stop handle). Mock test cases run on the
//! backend's mocked driver loop.

use super::{json_body, lock, now_ms, MachineRec, OpResult, Service};
use crate::asl::MachineType;
use crate::serve::mock::TestCase;
use crate::serve::protocol::{parse_arn, timestamp, write_timestamp, ApiError, Req};
use crate::value::{parse_json, Str, Value};
use crate::vm::{ExecutionInfo, Outcome, Status};
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// At most this many finished STANDARD execution records are kept (oldest dropped first).
const MAX_FINISHED_RECORDS: usize = 100_000;

/// One STANDARD execution.
#[derive(Debug)]
pub(crate) struct ExecRec {
    seq: u64,
    arn: String,
    name: String,
    machine: Arc<MachineRec>,
    input: String,
    trace_header: Option<String>,
    start_ms: i64,
    stop_ms: Option<i64>,
    status: Status,
    running: bool,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    abort: Option<tokio::task::AbortHandle>,
}

/// STANDARD execution records.
#[derive(Debug, Default)]
pub(crate) struct Records {
    next_seq: u64,
    by_arn: HashMap<String, ExecRec>,
    finished: std::collections::VecDeque<String>,
}

impl Records {
    fn finish(&mut self, arn: &str, o: &Outcome, stop_ms: i64) {
        let Some(rec) = self.by_arn.get_mut(arn) else {
            return;
        };
        if !rec.running {
            return;
        }
        rec.running = false;
        rec.status = o.status;
        rec.stop_ms = Some(stop_ms);
        rec.output = o.output.as_ref().map(Value::to_json);
        rec.error = o.error.as_ref().map(|e| e.to_string());
        rec.cause = o.cause.clone();
        rec.abort = None;
        self.finished.push_back(arn.to_string());
        while self.finished.len() > MAX_FINISHED_RECORDS {
            if let Some(old) = self.finished.pop_front() {
                self.by_arn.remove(&old);
            }
        }
    }
}

/// What StartExecution and StartSyncExecution share.
struct Start<'a> {
    machine: Arc<MachineRec>,
    /// The name given, or a new UUID.
    name: String,
    /// The name given.
    given_name: Option<&'a str>,
    input_text: &'a str,
    input: Value,
    trace_header: Option<&'a str>,
    case: Option<Arc<TestCase>>,
}

fn status_str(s: Status, running: bool) -> &'static str {
    if running {
        "RUNNING"
    } else {
        s.as_str()
    }
}

/// Billed duration: rounded up to 100 ms, at least 100 ms.
fn billed_ms(ms: i64) -> i64 {
    ((ms.max(1) + 99) / 100) * 100
}

fn write_str(out: &mut String, s: &str) {
    // serde_json's string escaping, without building a Value.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// The raw members StartExecution and StartSyncExecution share.
struct StartMembers<'a> {
    arn: &'a str,
    name: Option<&'a str>,
    input: Option<&'a str>,
    trace: Option<&'a str>,
}

fn read_start_members<'a>(r: &mut Req<'a>) -> Result<StartMembers<'a>, ApiError> {
    Ok(StartMembers {
        arn: r.str_req("stateMachineArn", 1, 256)?,
        name: r.str_opt("name", 1, 80)?,
        input: r.bytes_opt("input", 262_144)?,
        trace: r.str_opt("traceHeader", 0, 256)?,
    })
}

impl Service {
    /// Resolves the machine (and the mock test case of `<arn>#<case>`), the name and the input.
    fn resolve_start<'a>(
        &self,
        m: StartMembers<'a>,
        header_trace: Option<&'a str>,
    ) -> Result<Start<'a>, ApiError> {
        let (arn, case_name) = match m.arn.split_once('#') {
            Some((a, c)) => (a, Some(c)),
            None => (m.arn, None),
        };
        let machine = self.machine_by_arn(arn)?;
        let case = match case_name {
            None => None,
            Some(c) => Some(Arc::clone(
                self.mocks
                    .as_ref()
                    .and_then(|cfg| cfg.test_case(&machine.name, c))
                    .ok_or_else(|| {
                        ApiError::invalid_arn(&format!(
                            "no test case '{c}' for state machine '{}' in the mock configuration",
                            machine.name
                        ))
                    })?,
            )),
        };
        let name = match m.name {
            Some(n) => {
                if !crate::serve::protocol::valid_name(n) {
                    return Err(ApiError::invalid_name(n));
                }
                n.to_string()
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let input_text = m.input.unwrap_or("{}");
        let input = if input_text.is_empty() {
            return Err(ApiError::invalid_input("Invalid execution input."));
        } else {
            parse_json(input_text).map_err(|e| ApiError::invalid_input(&e.to_string()))?
        };
        if let Some(t) = header_trace.or(m.trace) {
            if !t.is_ascii() {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{{ASCII}}*"
                )));
            }
        }
        Ok(Start {
            machine,
            name,
            given_name: m.name,
            input_text,
            input,
            trace_header: header_trace.or(m.trace),
            case,
        })
    }

    fn execution_info(
        &self,
        s: &Start<'_>,
        exec_arn: &str,
        start_ms: i64,
        sync: bool,
    ) -> ExecutionInfo {
        let mut info = ExecutionInfo::new(
            Str::from(s.machine.arn.as_str()),
            Str::from(s.machine.name.as_str()),
            Str::from(s.machine.role_arn.as_str()),
            Some(Str::from(s.name.as_str())),
            start_ms,
            true,
        );
        info.set_id(Str::from(exec_arn));
        info.redrive_count = if sync { None } else { Some(0) };
        info
    }

    fn express_arn(&self, machine: &str, name: &str) -> String {
        self.id.arn(
            "express",
            &format!("{machine}:{name}:{}", uuid::Uuid::new_v4()),
        )
    }

    pub(super) fn start_execution(&self, mut r: Req<'_>, header_trace: Option<&str>) -> OpResult {
        let m = read_start_members(&mut r)?;
        r.finish()?;
        let s = self.resolve_start(m, header_trace)?;
        match (s.machine.machine_type, &s.case) {
            (MachineType::Express, None) => {
                let started =
                    self.backend
                        .start(&s.machine.name, s.given_name, s.input, s.trace_header)?;
                json_body(json!({
                    "executionArn": started.execution_arn(),
                    "startDate": timestamp(started.start_ms),
                }))
            }
            (MachineType::Express, Some(_)) => {
                let admitted = self.backend.admit(&s.machine.name)?;
                let start_ms = now_ms();
                let arn = self.express_arn(&s.machine.name, &s.name);
                let info = self.execution_info(&s, &arn, start_ms, false);
                self.backend.spawn(admitted, s.input, info, s.case, |_| {});
                json_body(json!({"executionArn": arn, "startDate": timestamp(start_ms)}))
            }
            (MachineType::Standard, _) => self.start_standard(s),
        }
    }

    /// A STANDARD execution: admitted by the engine, driven here so that its record gets its
    /// outcome and StopExecution can stop it.
    fn start_standard(&self, s: Start<'_>) -> OpResult {
        let arn = self
            .id
            .arn("execution", &format!("{}:{}", s.machine.name, s.name));
        let mut recs = lock(&self.executions);
        if let Some(existing) = recs.by_arn.get(&arn) {
            if existing.running && existing.input == s.input_text {
                return json_body(
                    json!({"executionArn": arn, "startDate": timestamp(existing.start_ms)}),
                );
            }
            return Err(ApiError::new(
                "ExecutionAlreadyExists",
                format!("Execution Already Exists: '{arn}'"),
            ));
        }
        let admitted = self.backend.admit(&s.machine.name)?;
        let start_ms = now_ms();
        let info = self.execution_info(&s, &arn, start_ms, false);
        recs.next_seq += 1;
        let seq = recs.next_seq;
        recs.by_arn.insert(
            arn.clone(),
            ExecRec {
                seq,
                arn: arn.clone(),
                name: s.name.clone(),
                machine: Arc::clone(&s.machine),
                input: s.input_text.to_string(),
                trace_header: s.trace_header.map(str::to_string),
                start_ms,
                stop_ms: None,
                status: Status::Succeeded,
                running: true,
                output: None,
                error: None,
                cause: None,
                abort: None,
            },
        );
        let records = Arc::clone(&self.records_handle());
        let done_arn = arn.clone();
        let abort = self
            .backend
            .spawn(admitted, s.input, info, s.case, move |o| {
                lock(&records).finish(&done_arn, &o, now_ms())
            });
        if let Some(rec) = recs.by_arn.get_mut(&arn) {
            if rec.running {
                rec.abort = Some(abort);
            }
        }
        json_body(json!({"executionArn": arn, "startDate": timestamp(start_ms)}))
    }

    pub(super) async fn start_sync_execution(
        &self,
        mut r: Req<'_>,
        header_trace: Option<&str>,
    ) -> OpResult {
        let m = read_start_members(&mut r)?;
        let included = r.enum_opt("includedData", &["ALL_DATA", "METADATA_ONLY"])?;
        r.finish()?;
        let s = self.resolve_start(m, header_trace)?;
        if s.machine.machine_type != MachineType::Express {
            return Err(ApiError::type_not_supported());
        }
        let with_data = included != Some("METADATA_ONLY");
        let (done, mocked);
        let ended = match s.case {
            None => {
                done = self
                    .backend
                    .start_sync(&s.machine.name, s.given_name, s.input, s.trace_header)
                    .await?;
                Ended {
                    arn: done.execution_arn(),
                    name: done.name(),
                    start_ms: done.start_ms,
                    stop_ms: done.stop_ms,
                    outcome: &done.outcome,
                }
            }
            Some(_) => {
                let admitted = self.backend.admit(&s.machine.name)?;
                let start_ms = now_ms();
                let arn = self.express_arn(&s.machine.name, &s.name);
                let info = self.execution_info(&s, &arn, start_ms, true);
                let outcome = self.backend.run(admitted, s.input, info, s.case).await;
                mocked = (arn, outcome);
                Ended {
                    arn: &mocked.0,
                    name: &s.name,
                    start_ms,
                    stop_ms: now_ms().max(start_ms),
                    outcome: &mocked.1,
                }
            }
        };
        Ok(sync_response(
            &s.machine.arn,
            &ended,
            s.input_text,
            s.trace_header,
            with_data,
        ))
    }

    /// A STANDARD execution's record by ARN, with AWS's answers for other kinds.
    fn with_execution<T>(
        &self,
        arn: &str,
        f: impl FnOnce(&mut ExecRec) -> T,
    ) -> Result<T, ApiError> {
        let a = parse_arn(arn)?;
        match a.kind {
            "execution" => {}
            "express" => return Err(ApiError::express_not_supported()),
            other => {
                return Err(ApiError::invalid_arn(&format!(
                    "Resource type not valid in this context: {other}"
                )))
            }
        }
        let mut recs = lock(&self.executions);
        let rec = recs
            .by_arn
            .get_mut(arn)
            .ok_or_else(|| ApiError::execution_does_not_exist(arn))?;
        Ok(f(rec))
    }

    pub(super) fn describe_execution(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let included = r.enum_opt("includedData", &["ALL_DATA", "METADATA_ONLY"])?;
        r.finish()?;
        let with_data = included != Some("METADATA_ONLY");
        let out = self.with_execution(arn, |e| {
            let mut o = Map::new();
            o.insert("executionArn".into(), Json::from(e.arn.as_str()));
            o.insert("stateMachineArn".into(), Json::from(e.machine.arn.as_str()));
            o.insert("name".into(), Json::from(e.name.as_str()));
            o.insert("status".into(), Json::from(status_str(e.status, e.running)));
            o.insert("startDate".into(), timestamp(e.start_ms));
            if let Some(s) = e.stop_ms {
                o.insert("stopDate".into(), timestamp(s));
            }
            if with_data {
                o.insert("input".into(), Json::from(e.input.as_str()));
            }
            o.insert("inputDetails".into(), json!({"included": with_data}));
            if let Some(out) = &e.output {
                if with_data {
                    o.insert("output".into(), Json::from(out.as_str()));
                }
                o.insert("outputDetails".into(), json!({"included": with_data}));
            }
            if let Some(t) = &e.trace_header {
                o.insert("traceHeader".into(), Json::from(t.as_str()));
            }
            if let Some(err) = &e.error {
                o.insert("error".into(), Json::from(err.as_str()));
            }
            if let Some(c) = &e.cause {
                o.insert("cause".into(), Json::from(c.as_str()));
            }
            o.insert("redriveCount".into(), Json::from(0));
            Json::Object(o)
        })?;
        json_body(out)
    }

    pub(super) fn describe_machine_for_execution(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let included = r.enum_opt("includedData", &["ALL_DATA", "METADATA_ONLY"])?;
        r.finish()?;
        let m = self.with_execution(arn, |e| Arc::clone(&e.machine))?;
        json_body(super::machines::describe_json(
            &m,
            included == Some("METADATA_ONLY"),
            true,
        ))
    }

    pub(super) fn stop_execution(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let error = r.str_opt("error", 0, 256)?;
        let cause = r.str_opt("cause", 0, 32_768)?;
        r.finish()?;
        let now = now_ms();
        let stop = self.with_execution(arn, |e| {
            if e.running {
                if let Some(a) = e.abort.take() {
                    a.abort();
                }
                (true, now)
            } else {
                (false, e.stop_ms.unwrap_or(now))
            }
        })?;
        if stop.0 {
            let o = Outcome {
                status: Status::Aborted,
                output: None,
                error: error.map(Str::from),
                cause: cause.map(str::to_string),
            };
            lock(&self.executions).finish(arn, &o, now);
        }
        json_body(json!({ "stopDate": timestamp(stop.1) }))
    }

    pub(super) fn list_executions(&self, mut r: Req<'_>) -> OpResult {
        let machine_arn = r.str_opt("stateMachineArn", 1, 256)?;
        let filter = r.enum_opt(
            "statusFilter",
            &[
                "SUCCEEDED",
                "TIMED_OUT",
                "PENDING_REDRIVE",
                "ABORTED",
                "FAILED",
                "RUNNING",
            ],
        )?;
        let size = r.page_size(1000)?;
        let token = r.str_opt("nextToken", 1, 3096)?;
        let map_run = r.str_opt("mapRunArn", 1, 2000)?;
        r.enum_opt("redriveFilter", &["REDRIVEN", "NOT_REDRIVEN"])?;
        r.finish()?;
        let machine_arn = match (machine_arn, map_run) {
            (Some(a), None) => a,
            (None, Some(m)) => return Err(ApiError::resource_not_found(m)),
            _ => {
                return Err(ApiError::validation(
                    "Must provide a StateMachine ARN or MapRun ARN",
                ))
            }
        };
        let m = self.machine_by_arn(machine_arn)?;
        if m.machine_type == MachineType::Express {
            return Err(ApiError::type_not_supported());
        }
        let mut all: Vec<(String, Json)> = lock(&self.executions)
            .by_arn
            .values()
            .filter(|e| e.machine.arn == m.arn)
            .filter(|e| filter.is_none_or(|f| f == status_str(e.status, e.running)))
            .map(|e| {
                let mut o = json!({
                    "executionArn": e.arn,
                    "stateMachineArn": e.machine.arn,
                    "name": e.name,
                    "status": status_str(e.status, e.running),
                    "startDate": timestamp(e.start_ms),
                });
                if let Some(s) = e.stop_ms {
                    o["stopDate"] = timestamp(s);
                }
                // Newest first: keys sort ascending, so invert the sequence number.
                (format!("{:020}", u64::MAX - e.seq), o)
            })
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        super::list_page("executions", "ex", all, token, size)
    }

    pub(super) fn get_execution_history(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let size = r.page_size(1000)?;
        let reverse = r.bool_opt("reverseOrder")?.unwrap_or(false);
        let token = r.str_opt("nextToken", 1, 1024)?;
        let with_data = r.bool_opt("includeExecutionData")?.unwrap_or(true);
        r.finish()?;
        let mut events = self.with_execution(arn, |e| history(e, with_data))?;
        if reverse {
            events.reverse();
        }
        let keyed: Vec<(String, Json)> = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| (format!("{i:010}"), e))
            .collect();
        super::list_page("events", "ev", keyed, token, size)
    }

    fn records_handle(&self) -> Arc<std::sync::Mutex<Records>> {
        Arc::clone(&self.executions)
    }
}

/// How a sync execution ended, for its response.
struct Ended<'a> {
    arn: &'a str,
    name: &'a str,
    start_ms: i64,
    stop_ms: i64,
    outcome: &'a Outcome,
}

/// StartSyncExecution's response, written by hand: this is the hot path of the HTTP API. The
/// input is echoed byte for byte as sent (P-6).
fn sync_response(
    machine_arn: &str,
    e: &Ended<'_>,
    input_text: &str,
    trace_header: Option<&str>,
    with_data: bool,
) -> Vec<u8> {
    let outcome = e.outcome;
    let mut out = String::with_capacity(512 + input_text.len());
    out.push_str("{\"executionArn\":");
    write_str(&mut out, e.arn);
    out.push_str(",\"stateMachineArn\":");
    write_str(&mut out, machine_arn);
    out.push_str(",\"name\":");
    write_str(&mut out, e.name);
    out.push_str(",\"startDate\":");
    write_timestamp(&mut out, e.start_ms);
    out.push_str(",\"stopDate\":");
    write_timestamp(&mut out, e.stop_ms);
    out.push_str(",\"status\":\"");
    out.push_str(outcome.status.as_str());
    out.push('"');
    if let Some(err) = &outcome.error {
        out.push_str(",\"error\":");
        write_str(&mut out, err);
    }
    if let Some(c) = &outcome.cause {
        out.push_str(",\"cause\":");
        write_str(&mut out, c);
    }
    if with_data {
        out.push_str(",\"input\":");
        write_str(&mut out, input_text);
    }
    let _ = write!(out, ",\"inputDetails\":{{\"included\":{with_data}}}");
    if let Some(o) = &outcome.output {
        if with_data {
            out.push_str(",\"output\":");
            write_str(&mut out, &o.to_json());
        }
        let _ = write!(out, ",\"outputDetails\":{{\"included\":{with_data}}}");
    }
    if let Some(t) = trace_header {
        out.push_str(",\"traceHeader\":");
        write_str(&mut out, t);
    }
    let _ = write!(
        out,
        ",\"billingDetails\":{{\"billedMemoryUsedInMB\":64,\"billedDurationInMilliseconds\":{}}}}}",
        billed_ms(e.stop_ms - e.start_ms)
    );
    out.into_bytes()
}

/// Execution-level history: `ExecutionStarted` and, once ended, the terminal event. (State-level
/// events need the engine's event log; phase 2.)
fn history(e: &ExecRec, with_data: bool) -> Vec<Json> {
    let mut started = Map::new();
    if with_data {
        started.insert("input".into(), Json::from(e.input.as_str()));
    }
    started.insert("inputDetails".into(), json!({"truncated": false}));
    started.insert("roleArn".into(), Json::from(e.machine.role_arn.as_str()));
    let mut events = vec![json!({
        "timestamp": timestamp(e.start_ms),
        "type": "ExecutionStarted",
        "id": 1,
        "previousEventId": 0,
        "executionStartedEventDetails": Json::Object(started),
    })];
    if e.running {
        return events;
    }
    let (ty, key) = match e.status {
        Status::Succeeded => ("ExecutionSucceeded", "executionSucceededEventDetails"),
        Status::Failed => ("ExecutionFailed", "executionFailedEventDetails"),
        Status::TimedOut => ("ExecutionTimedOut", "executionTimedOutEventDetails"),
        Status::Aborted => ("ExecutionAborted", "executionAbortedEventDetails"),
    };
    let mut d = Map::new();
    if e.status == Status::Succeeded {
        if with_data {
            d.insert(
                "output".into(),
                Json::from(e.output.clone().unwrap_or_default()),
            );
        }
        d.insert("outputDetails".into(), json!({"truncated": false}));
    } else {
        if let Some(err) = &e.error {
            d.insert("error".into(), Json::from(err.as_str()));
        }
        if let Some(c) = &e.cause {
            d.insert("cause".into(), Json::from(c.as_str()));
        }
    }
    events.push(json!({
        "timestamp": timestamp(e.stop_ms.unwrap_or(e.start_ms)),
        "type": ty,
        "id": 2,
        "previousEventId": 1,
        key: Json::Object(d),
    }));
    events
}
