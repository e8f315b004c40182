//! StartExecution, StartSyncExecution, DescribeExecution, DescribeStateMachineForExecution,
//! StopExecution, ListExecutions, GetExecutionHistory: decoded here, answered by the engine,
//! encoded here. Nothing here holds execution state.
//!
//! The engine keeps STANDARD executions (and answers `InvalidArn` for EXPRESS ones, as AWS
//! does: they cannot be described, listed, stopped or shown). A mock test case
//! (`<stateMachineArn>#<case>`) is the execution's task hook.

use super::{json_body, OpResult, Service};
use crate::engine::{ExecutionHandle, StartRequest, TaskHook};
use crate::serve::mock::{check_case, MockRun};
use crate::serve::protocol::{timestamp, write_timestamp, ApiError, Req};
use crate::value::Value;
use crate::vm::Outcome;
use serde_json::{json, Map, Value as Json};
use std::fmt::Write as _;
use std::sync::Arc;

/// What StartExecution and StartSyncExecution share.
struct Start<'a> {
    /// The machine's ARN, unqualified or with a version or alias (without a test case).
    machine: &'a str,
    name: Option<&'a str>,
    input_text: &'a str,
    trace_header: Option<&'a str>,
    hook: Option<Arc<dyn TaskHook>>,
}

impl<'a> Start<'a> {
    fn request(&self) -> StartRequest<'a> {
        let mut req = StartRequest::new(self.machine).input_json(self.input_text);
        if let Some(n) = self.name {
            req = req.name(n);
        }
        if let Some(t) = self.trace_header {
            req = req.trace_header(t);
        }
        if let Some(h) = &self.hook {
            req = req.task_hook(Arc::clone(h));
        }
        req
    }
}

/// `stateMachineVersionArn` and `stateMachineAliasArn` of an execution started through them.
fn put_qualifiers(o: &mut Map<String, Json>, e: &ExecutionHandle) {
    let m = e.machine();
    if let Some(v) = &m.version_arn {
        o.insert("stateMachineVersionArn".into(), Json::from(&**v));
    }
    if let Some(a) = &m.alias_arn {
        o.insert("stateMachineAliasArn".into(), Json::from(&**a));
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

/// Values of the engine as JSON for the wire.
fn to_wire(v: &Value) -> Json {
    serde_json::from_str(&v.to_json()).unwrap_or(Json::Null)
}

impl Service {
    /// Resolves the machine (and the mock test case of `<arn>#<case>`) and checks the input.
    fn resolve_start<'a>(
        &self,
        m: StartMembers<'a>,
        header_trace: Option<&'a str>,
    ) -> Result<Start<'a>, ApiError> {
        let (arn, case_name) = match m.arn.split_once('#') {
            Some((a, c)) => (a, Some(c)),
            None => (m.arn, None),
        };
        let hook: Option<Arc<dyn TaskHook>> = match case_name {
            None => None,
            Some(c) => {
                let machine = self.engine().describe_machine(arn)?;
                let case = self
                    .mocks
                    .as_ref()
                    .and_then(|cfg| cfg.test_case(&machine.name, c))
                    .ok_or_else(|| {
                        ApiError::invalid_arn(&format!(
                            "no test case '{c}' for state machine '{}' in the mock configuration",
                            machine.name
                        ))
                    })?;
                check_case(case, c, &machine.name, &machine.definition)
                    .map_err(ApiError::validation)?;
                Some(Arc::new(MockRun::new(Arc::clone(case))))
            }
        };
        let input_text = m.input.unwrap_or("{}");
        if input_text.is_empty() {
            return Err(ApiError::invalid_input("Invalid execution input."));
        }
        let trace_header = header_trace.or(m.trace);
        if let Some(t) = trace_header {
            if !t.is_ascii() {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{{ASCII}}*"
                )));
            }
        }
        Ok(Start {
            machine: arn,
            name: m.name,
            input_text,
            trace_header,
            hook,
        })
    }

    /// Answered once the engine's intake recorded the start (`--data-dir`), at once in memory.
    pub(super) async fn start_execution(
        &self,
        mut r: Req<'_>,
        header_trace: Option<&str>,
    ) -> OpResult {
        let m = read_start_members(&mut r)?;
        r.finish()?;
        let s = self.resolve_start(m, header_trace)?;
        let started = self.backend.engine().start_async(s.request()).await?;
        json_body(json!({
            "executionArn": started.execution_arn(),
            "startDate": timestamp(started.start_ms),
        }))
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
        let with_data = included != Some("METADATA_ONLY");
        let done = self.backend.engine().start_sync(s.request()).await?;
        let ended = Ended {
            arn: done.execution_arn(),
            name: done.name(),
            start_ms: done.start_ms,
            stop_ms: done.stop_ms,
            outcome: &done.outcome,
        };
        Ok(sync_response(
            done.state_machine_arn(),
            &ended,
            s.input_text,
            s.trace_header,
            with_data,
        ))
    }

    /// A kept (STANDARD) execution, with AWS's answers for other ARNs.
    fn execution(&self, arn: &str) -> Result<ExecutionHandle, ApiError> {
        Ok(self.backend.engine().execution(arn)?)
    }

    pub(super) fn describe_execution(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let included = r.enum_opt("includedData", &["ALL_DATA", "METADATA_ONLY"])?;
        r.finish()?;
        let with_data = included != Some("METADATA_ONLY");
        let e = self.execution(arn)?;
        let mut o = Map::new();
        o.insert("executionArn".into(), Json::from(e.arn()));
        o.insert("stateMachineArn".into(), Json::from(&*e.machine().arn));
        put_qualifiers(&mut o, &e);
        o.insert("name".into(), Json::from(e.name()));
        o.insert("status".into(), Json::from(e.status().as_str()));
        o.insert("startDate".into(), timestamp(e.start_ms()));
        let ended = e.outcome();
        if let Some((_, stop_ms)) = &ended {
            o.insert("stopDate".into(), timestamp(*stop_ms));
        }
        if with_data {
            o.insert("input".into(), Json::from(e.input_text()));
        }
        o.insert("inputDetails".into(), json!({"included": with_data}));
        if let Some((outcome, _)) = &ended {
            if let Some(out) = &outcome.output {
                if with_data {
                    o.insert("output".into(), Json::from(out.to_json()));
                }
                o.insert("outputDetails".into(), json!({"included": with_data}));
            }
        }
        if let Some(t) = e.trace_header() {
            o.insert("traceHeader".into(), Json::from(t));
        }
        if let Some((outcome, _)) = &ended {
            if let Some(err) = &outcome.error {
                o.insert("error".into(), Json::from(&**err));
            }
            if let Some(c) = &outcome.cause {
                o.insert("cause".into(), Json::from(c.as_str()));
            }
        }
        o.insert("redriveCount".into(), Json::from(e.redrive_count()));
        json_body(Json::Object(o))
    }

    pub(super) fn describe_machine_for_execution(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let included = r.enum_opt("includedData", &["ALL_DATA", "METADATA_ONLY"])?;
        r.finish()?;
        let e = self.execution(arn)?;
        // The version the execution ran, as it was then.
        json_body(super::machines::describe_json(
            e.machine(),
            included == Some("METADATA_ONLY"),
            true,
        ))
    }

    pub(super) fn stop_execution(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let error = r.str_opt("error", 0, 256)?;
        let cause = r.str_opt("cause", 0, 32_768)?;
        r.finish()?;
        let stop_ms = self.execution(arn)?.stop(error, cause);
        json_body(json!({ "stopDate": timestamp(stop_ms) }))
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
        let listed = self.engine().list_executions(machine_arn)?;
        // Newest first, as the engine lists them; the key is the execution's place from the
        // newest, made stable across pages by the execution's ARN.
        let keyed: Vec<(String, _)> = listed
            .iter()
            .enumerate()
            .filter(|(_, e)| filter.is_none_or(|f| f == e.status().as_str()))
            .map(|(i, e)| (format!("{:012}\n{}", i, e.arn()), e))
            .collect();
        super::list_page_of("executions", "ex", keyed, token, size, |e| {
            let mut o = json!({
                "executionArn": e.arn(),
                "stateMachineArn": &*e.machine().arn,
                "name": e.name(),
                "status": e.status().as_str(),
                "startDate": timestamp(e.start_ms()),
            });
            if let Some((_, stop_ms)) = e.outcome() {
                o["stopDate"] = timestamp(stop_ms);
            }
            if let Json::Object(m) = &mut o {
                put_qualifiers(m, e);
            }
            o
        })
    }

    pub(super) fn get_execution_history(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("executionArn", 1, 256)?;
        let size = r.page_size(1000)?;
        let reverse = r.bool_opt("reverseOrder")?.unwrap_or(false);
        let token = r.str_opt("nextToken", 1, 1024)?;
        let with_data = r.bool_opt("includeExecutionData")?.unwrap_or(true);
        r.finish()?;
        let e = self.execution(arn)?;
        let mut events = e.history();
        if reverse {
            events.reverse();
        }
        let keyed: Vec<(String, _)> = events
            .iter()
            .enumerate()
            .map(|(i, ev)| (format!("{i:010}"), ev))
            .collect();
        // A page token names the execution it pages through (and the order): another
        // execution's token is `InvalidToken`.
        let kind = format!("ev:{}:{}", u8::from(reverse), e.arn());
        super::list_page_of("events", &kind, keyed, token, size, |ev| {
            to_wire(&ev.to_api_json(with_data))
        })
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
