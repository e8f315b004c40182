//! The story of an execution: the history events AWS records (GetExecutionHistory for
//! STANDARD executions, CloudWatch Logs records for EXPRESS ones), built once, in one place.
//!
//! One [`Story`] per execution attempt collects what happened, from three sources:
//!
//! - the VM, through [`Lane`]s ([`Observer`]s): one for the execution, and one more for each
//!   Parallel branch and Map iteration, made when it starts ([`Observer::child`]). The story
//!   keeps what it must know of each running lane (the last event, which its next one
//!   follows; the state it is in; its own branches or iterations), so that what is still
//!   running when a Parallel or Map fails, or when the execution is stopped, is recorded
//!   aborted (`history/lane.rs`);
//! - the engine, for the execution-level events: [`Story::started`], [`Story::finished`],
//!   [`Story::abort`] (StopExecution, a sync caller gone);
//! - the worker that takes an activity task (GetActivityTask): its `ActivityStarted`.
//!
//! `history/details.rs` names each event and builds its details.
//!
//! Ids are given here, in the order events arrive, under the story's lock, so that branches
//! running on several threads get distinct, increasing ids. For an execution without
//! concurrent children the ids are the VM's own count (the one `States.Runtime` causes quote),
//! as `tests/history.rs` checks.
//!
//! A story keeps its events ([`Story::events`]) when the engine keeps the execution's history
//! (STANDARD executions, and EXPRESS ones started with a handle), and hands each event to the
//! log sink when the machine's logging level asks for it. When neither does, the engine
//! installs no story at all: the VM then builds nothing (see [`super::log`]).

mod details;
mod lane;

use super::log::{LogConfig, LogLevel, LogRecord, Logger};
use crate::runtime::driver::Clock;
use crate::runtime::sync::{lock, Mutex};
use crate::value::{Map, Str, Value};
use crate::vm::{ExecutionInfo, Observer, Outcome, Status};
use lane::{Lane, LaneState};
use std::collections::HashMap;
use std::sync::Arc;

/// Events a history keeps at most (AWS's quota for one execution's history). Later events
/// still get ids and still go to the log, but are not kept; [`Story::dropped`] counts them.
pub const MAX_HISTORY_EVENTS: usize = 25_000;

/// One history event, as GetExecutionHistory returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEvent {
    /// 1 for `ExecutionStarted`, one more for each later event.
    pub id: u32,
    /// The event this one follows from (0 for the first state entered, as AWS records).
    pub previous_event_id: u32,
    /// `ExecutionStarted`, `PassStateEntered`, `TaskScheduled`, `MapIterationStarted`, ...
    pub event_type: &'static str,
    /// When, epoch milliseconds.
    pub timestamp_ms: i64,
    /// The details object (`name`, `input`, `resource`, `error`, ...), with execution data.
    pub details: Value,
}

impl HistoryEvent {
    /// The member of AWS's `HistoryEvent` structure that holds this event's details
    /// (`stateEnteredEventDetails`, `taskScheduledEventDetails`, ...); `None` for the event
    /// types that have none (`ParallelStateStarted`, `LambdaFunctionStarted`, ...).
    pub fn details_member(&self) -> Option<&'static str> {
        details_member(self.event_type)
    }

    /// The event as GetExecutionHistory returns it; without execution data, `input`,
    /// `output` and `parameters` are left out (`includeExecutionData: false`).
    pub fn to_api_json(&self, include_data: bool) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert(
            "timestamp".into(),
            Value::Float(self.timestamp_ms as f64 / 1000.0),
        );
        m.insert("type".into(), Value::string(self.event_type));
        m.insert("id".into(), Value::Int(i64::from(self.id)));
        m.insert(
            "previousEventId".into(),
            Value::Int(i64::from(self.previous_event_id)),
        );
        if let Some(member) = self.details_member() {
            let details = if include_data {
                self.details.clone()
            } else {
                without_data(&self.details, false)
            };
            m.insert(member.into(), details);
        }
        Value::object(m)
    }
}

/// Details of `event_type` without execution data: `input`, `output`, `parameters` go, and
/// with `details_too` their `...Details` companions.
fn without_data(details: &Value, details_too: bool) -> Value {
    let Value::Object(o) = details else {
        return details.clone();
    };
    let mut m = Map::with_capacity(o.len());
    for (k, v) in o.iter() {
        let data = matches!(&**k, "input" | "output" | "parameters");
        let companion = matches!(&**k, "inputDetails" | "outputDetails");
        if !(data || details_too && companion) {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::object(m)
}

fn details_member(t: &str) -> Option<&'static str> {
    if t.ends_with("StateEntered") {
        return Some("stateEnteredEventDetails");
    }
    if t.ends_with("StateExited") {
        return Some("stateExitedEventDetails");
    }
    Some(match t {
        "ExecutionStarted" => "executionStartedEventDetails",
        "ExecutionSucceeded" => "executionSucceededEventDetails",
        "ExecutionFailed" => "executionFailedEventDetails",
        "ExecutionTimedOut" => "executionTimedOutEventDetails",
        "ExecutionAborted" => "executionAbortedEventDetails",
        "TaskScheduled" => "taskScheduledEventDetails",
        "TaskStarted" => "taskStartedEventDetails",
        "TaskSubmitted" => "taskSubmittedEventDetails",
        "TaskSucceeded" => "taskSucceededEventDetails",
        "TaskFailed" => "taskFailedEventDetails",
        "TaskTimedOut" => "taskTimedOutEventDetails",
        "LambdaFunctionScheduled" => "lambdaFunctionScheduledEventDetails",
        "LambdaFunctionSucceeded" => "lambdaFunctionSucceededEventDetails",
        "LambdaFunctionFailed" => "lambdaFunctionFailedEventDetails",
        "LambdaFunctionTimedOut" => "lambdaFunctionTimedOutEventDetails",
        "ActivityScheduled" => "activityScheduledEventDetails",
        "ActivityStarted" => "activityStartedEventDetails",
        "ActivitySucceeded" => "activitySucceededEventDetails",
        "ActivityFailed" => "activityFailedEventDetails",
        "ActivityTimedOut" => "activityTimedOutEventDetails",
        "MapStateStarted" => "mapStateStartedEventDetails",
        "MapIterationStarted" => "mapIterationStartedEventDetails",
        "MapIterationSucceeded" => "mapIterationSucceededEventDetails",
        "MapIterationFailed" => "mapIterationFailedEventDetails",
        "MapIterationAborted" => "mapIterationAbortedEventDetails",
        "MapRunStarted" => "mapRunStartedEventDetails",
        "MapRunFailed" => "mapRunFailedEventDetails",
        _ => return None,
    })
}

/// The story of one execution attempt. See the module docs.
pub(super) struct Story {
    info: Arc<ExecutionInfo>,
    clock: Clock,
    region: Str,
    keep: bool,
    log: Option<(Arc<Logger>, LogConfig)>,
    log_group: Option<Str>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The last id given.
    last_id: u32,
    /// The last event of the execution's own lane (not its children's).
    last_top: u32,
    attempt: u32,
    events: Vec<HistoryEvent>,
    dropped: u64,
    /// The lanes running now, by id: the execution's own (`root`), its branches and
    /// iterations. A lane cut, ended or of an attempt before is not here: what it reports
    /// is not recorded.
    lanes: HashMap<u32, LaneState>,
    root: Option<u32>,
    /// The id of the next lane; not reset by a restart, so that no lane of an attempt before
    /// is taken for one of this attempt.
    next_lane: u32,
    ended: bool,
}

impl Inner {
    fn new_lane(&mut self, state: LaneState) -> u32 {
        let id = self.next_lane;
        self.next_lane = self.next_lane.wrapping_add(1);
        self.lanes.insert(id, state);
        id
    }
}

impl std::fmt::Debug for Story {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Story")
            .field("execution", self.info.id())
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl Story {
    /// A story for `info`; `keep` keeps its events, `log` sends them to the log sink.
    /// `None` when neither would happen.
    pub(super) fn new(
        info: Arc<ExecutionInfo>,
        clock: Clock,
        region: Str,
        keep: bool,
        log: Option<(Arc<Logger>, LogConfig, Option<Str>)>,
    ) -> Option<Arc<Story>> {
        if !keep && log.is_none() {
            return None;
        }
        let (log, log_group) = match log {
            Some((l, c, g)) => (Some((l, c)), g),
            None => (None, None),
        };
        Some(Arc::new(Story {
            info,
            clock,
            region,
            keep,
            log,
            log_group,
            inner: Mutex::new(Inner {
                attempt: 1,
                ..Inner::default()
            }),
        }))
    }

    /// The execution's lane, for the VM ([`crate::vm::Execution::set_observer`]).
    pub(super) fn lane(self: &Arc<Self>) -> Box<dyn Observer> {
        let mut i = lock(&self.inner);
        let id = i.new_lane(LaneState::default());
        i.root = Some(id);
        drop(i);
        Box::new(Lane::root(Arc::clone(self), id))
    }

    /// Begins attempt `attempt` (an async execution re-run after a handler panic): the kept
    /// events of the attempt before are dropped, ids start again at 1.
    pub(super) fn restart(&self, attempt: u32) {
        let mut i = lock(&self.inner);
        *i = Inner {
            attempt,
            next_lane: i.next_lane,
            ..Inner::default()
        };
    }

    /// The events kept so far.
    pub(super) fn events(&self) -> Vec<HistoryEvent> {
        lock(&self.inner).events.clone()
    }

    /// Events past [`MAX_HISTORY_EVENTS`], not kept.
    pub(super) fn dropped(&self) -> u64 {
        lock(&self.inner).dropped
    }

    fn wants(&self, level: LogLevel) -> (bool, bool) {
        let log = self
            .log
            .as_ref()
            .is_some_and(|(_, c)| c.level != LogLevel::Off && c.level >= level);
        (self.keep, log)
    }

    fn with_data(&self) -> bool {
        self.keep
            || self
                .log
                .as_ref()
                .is_some_and(|(_, c)| c.include_execution_data)
    }

    /// Records one event: gives it its id, keeps it, logs it (`details` is empty for event
    /// types without details, and when neither keeping nor logging wants it). `previous` of
    /// `None` means "the execution's own last event". Returns the id (0 once the story ended).
    fn record(
        &self,
        previous: Option<u32>,
        top: bool,
        event_type: &'static str,
        details: Map,
        level: LogLevel,
    ) -> u32 {
        let mut i = lock(&self.inner);
        let (id, logged) = self.record_locked(&mut i, previous, top, event_type, details, level);
        drop(i);
        self.emit(logged);
        id
    }

    fn emit(&self, logged: Option<LogRecord>) {
        if let (Some(r), Some((logger, _))) = (logged, &self.log) {
            logger.emit(&r);
        }
    }

    /// [`Story::record`] under the story's lock; the log record is emitted after it is let go.
    fn record_locked(
        &self,
        i: &mut Inner,
        previous: Option<u32>,
        top: bool,
        event_type: &'static str,
        details: Map,
        level: LogLevel,
    ) -> (u32, Option<LogRecord>) {
        if i.ended {
            return (0, None);
        }
        let (keep, log) = self.wants(level);
        i.last_id += 1;
        let id = i.last_id;
        let previous = previous.unwrap_or(i.last_top);
        if top {
            i.last_top = id;
        }
        if !keep && !log {
            return (id, None);
        }
        let event = HistoryEvent {
            id,
            previous_event_id: previous,
            event_type,
            timestamp_ms: self.clock.now_ms(),
            details: Value::object(details),
        };
        let logged = log.then(|| self.log_record(&event, i.attempt));
        if keep {
            if i.events.len() < MAX_HISTORY_EVENTS {
                i.events.push(event);
            } else {
                i.dropped += 1;
            }
        }
        (id, logged)
    }

    /// Records the terminal event of the execution; with `abort_open`, what runs is aborted
    /// first ([`Story::abort_running`]). The story ends. `false` when it had ended already:
    /// whoever records the terminal event first decides how the execution ended.
    fn end(&self, abort_open: bool, event_type: &'static str, d: Map, level: LogLevel) -> bool {
        let mut i = lock(&self.inner);
        if i.ended {
            return false;
        }
        let mut logged = Vec::new();
        if abort_open {
            self.abort_running(&mut i, &mut logged);
        }
        // An execution ended from outside (stopped, timed out) has its terminal event
        // follow nothing: `previousEventId` 0, as AWS records it.
        let previous = abort_open.then_some(0);
        let (_, last) = self.record_locked(&mut i, previous, true, event_type, d, level);
        logged.extend(last);
        i.ended = true;
        drop(i);
        for r in logged {
            self.emit(Some(r));
        }
        true
    }

    fn log_record(&self, e: &HistoryEvent, attempt: u32) -> LogRecord {
        let data = self
            .log
            .as_ref()
            .is_some_and(|(_, c)| c.include_execution_data);
        LogRecord {
            id: e.id,
            previous_event_id: e.previous_event_id,
            event_type: e.event_type,
            details: if data {
                e.details.clone()
            } else {
                without_data(&e.details, true)
            },
            event_timestamp_ms: e.timestamp_ms,
            execution_arn: self.info.id().clone(),
            attempt,
            log_group: self.log_group.clone(),
        }
    }

    /// `ExecutionStarted` (id 1).
    pub(super) fn started(&self, input: &Value, machine: &super::MachineInfo) {
        let mut d = Map::with_capacity(3);
        if self.with_data() {
            put_data(&mut d, "input", input);
        }
        d.insert("roleArn".into(), Value::String(self.info.role_arn.clone()));
        if let Some(a) = &machine.alias_arn {
            d.insert("stateMachineAliasArn".into(), Value::String(a.clone()));
        }
        if let Some(v) = &machine.version_arn {
            d.insert("stateMachineVersionArn".into(), Value::String(v.clone()));
        }
        self.record(Some(0), true, "ExecutionStarted", d, LogLevel::All);
    }

    /// `ExecutionSucceeded`, `ExecutionFailed`, `ExecutionTimedOut` or `ExecutionAborted`;
    /// the story ends. `false` when it had ended already (a stop came first).
    pub(super) fn finished(&self, o: &Outcome) -> bool {
        let event_type = match o.status {
            Status::Succeeded => "ExecutionSucceeded",
            Status::Failed => "ExecutionFailed",
            Status::TimedOut => "ExecutionTimedOut",
            Status::Aborted => "ExecutionAborted",
        };
        let mut d = Map::with_capacity(2);
        if let Some(out) = o.output.as_ref().filter(|_| self.with_data()) {
            put_data(&mut d, "output", out);
        }
        put_error(&mut d, o.error.as_deref(), o.cause.as_deref());
        let level = if o.status == Status::Succeeded {
            LogLevel::All
        } else {
            LogLevel::Fatal
        };
        let abort_open = matches!(o.status, Status::TimedOut | Status::Aborted);
        self.end(abort_open, event_type, d, level)
    }

    /// The execution was stopped from outside (StopExecution, its sync caller gone): the Task,
    /// Map or Parallel state it was in is aborted (`<Type>StateAborted`), then
    /// `ExecutionAborted` with the error and cause given. `false` when the story had ended.
    pub(super) fn abort(&self, error: Option<&str>, cause: Option<&str>) -> bool {
        let mut d = Map::with_capacity(2);
        put_error(&mut d, error, cause);
        self.end(true, "ExecutionAborted", d, LogLevel::Fatal)
    }

    /// `true` once the terminal event was recorded.
    pub(super) fn has_ended(&self) -> bool {
        lock(&self.inner).ended
    }
}

/// `input` + `inputDetails` (or `output` + `outputDetails`).
fn put_data(d: &mut Map, field: &'static str, v: &Value) {
    d.insert(field.into(), Value::from(v.to_json()));
    let mut details = Map::with_capacity(1);
    details.insert("truncated".into(), Value::Bool(false));
    let key = if field == "input" {
        "inputDetails"
    } else {
        "outputDetails"
    };
    d.insert(key.into(), Value::object(details));
}

fn put_error(d: &mut Map, error: Option<&str>, cause: Option<&str>) {
    if let Some(e) = error {
        d.insert("error".into(), Value::string(e));
    }
    if let Some(c) = cause {
        d.insert("cause".into(), Value::string(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_members_follow_the_api_model() {
        let e = |t| HistoryEvent {
            id: 1,
            previous_event_id: 0,
            event_type: t,
            timestamp_ms: 0,
            details: Value::empty_object(),
        };
        assert_eq!(
            e("ChoiceStateEntered").details_member(),
            Some("stateEnteredEventDetails")
        );
        assert_eq!(
            e("MapIterationAborted").details_member(),
            Some("mapIterationAbortedEventDetails")
        );
        assert_eq!(
            e("ActivityStarted").details_member(),
            Some("activityStartedEventDetails")
        );
        assert_eq!(
            e("TaskSubmitted").details_member(),
            Some("taskSubmittedEventDetails")
        );
        // The `<Type>StateAborted` events carry no details.
        for t in ["WaitStateAborted", "TaskStateAborted", "MapStateAborted"] {
            assert_eq!(e(t).details_member(), None, "{t}");
        }
        assert_eq!(e("ParallelStateStarted").details_member(), None);
        assert_eq!(e("LambdaFunctionStarted").details_member(), None);
    }

    #[test]
    fn without_execution_data_the_api_keeps_the_details_flags() {
        let details = crate::value::parse_json(
            r#"{"name":"P","input":"{}","inputDetails":{"truncated":false}}"#,
        )
        .unwrap();
        let e = HistoryEvent {
            id: 2,
            previous_event_id: 0,
            event_type: "PassStateEntered",
            timestamp_ms: 1_500,
            details,
        };
        assert_eq!(
            e.to_api_json(false).to_json(),
            r#"{"timestamp":1.5,"type":"PassStateEntered","id":2,"previousEventId":0,"stateEnteredEventDetails":{"name":"P","inputDetails":{"truncated":false}}}"#
        );
    }
}
