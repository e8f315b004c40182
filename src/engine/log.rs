//! The execution log: records shaped like the CloudWatch Logs records AWS writes for express
//! executions, at the levels `ALL | ERROR | FATAL | OFF`, with or without execution data.
//!
//! A record is one history event:
//!
//! ```json
//! {"id":"2","type":"PassStateEntered","details":{"input":"{}","inputDetails":{"truncated":false},"name":"P"},
//!  "previous_event_id":"0","event_timestamp":"1713959670680",
//!  "execution_arn":"arn:aws:states:...:express:m:n:uuid","redrive_count":"0"}
//! ```
//!
//! Numbers are strings, as AWS writes them. One field is ours: `"attempt"`, present when an
//! async execution was re-run (at-least-once) and this record belongs to attempt 2 or later.
//!
//! At `OFF` nothing here runs: the engine checks the machine's level once per execution and
//! neither installs an [`Observer`] in the VM nor builds a record.

use crate::compile::resource::{classify, ResourceKind};
use crate::runtime::driver::Clock;
use crate::runtime::sync::{lock, AtomicU32, Mutex, Ordering};
use crate::value::{Map, Str, Value};
use crate::vm::{Event, ExecutionInfo, Observer, Outcome, Status};
use std::io::Write;
use std::sync::Arc;

/// Which events are logged (AWS's `LoggingConfiguration.level`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Nothing.
    #[default]
    Off,
    /// `ExecutionFailed`, `ExecutionTimedOut`, `ExecutionAborted`.
    Fatal,
    /// The fatal events plus every failure: `TaskFailed`, `TaskTimedOut`, `FailStateEntered`...
    Error,
    /// Every event.
    All,
}

impl LogLevel {
    /// `ALL`, `ERROR`, `FATAL` or `OFF`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::All => "ALL",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
            LogLevel::Off => "OFF",
        }
    }
}

impl std::str::FromStr for LogLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ALL" => Ok(LogLevel::All),
            "ERROR" => Ok(LogLevel::Error),
            "FATAL" => Ok(LogLevel::Fatal),
            "OFF" => Ok(LogLevel::Off),
            other => Err(format!("unknown log level {other:?}")),
        }
    }
}

/// A machine's logging settings (AWS's `LoggingConfiguration` minus the destination).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogConfig {
    /// Which events.
    pub level: LogLevel,
    /// Whether records carry inputs, outputs and parameters.
    pub include_execution_data: bool,
}

/// One log record: a history event of one execution.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRecord {
    /// Event id within the execution (`ExecutionStarted` is 1).
    pub id: u32,
    /// The event this one follows from.
    pub previous_event_id: u32,
    /// `ExecutionStarted`, `PassStateEntered`, `TaskSucceeded`, ...
    pub event_type: &'static str,
    /// The event's details, as AWS shapes them.
    pub details: Value,
    /// When, epoch milliseconds.
    pub event_timestamp_ms: i64,
    /// The execution's ARN.
    pub execution_arn: Str,
    /// 1 for the first run of an execution; more when an async execution was re-run.
    pub attempt: u32,
}

impl LogRecord {
    /// The record as AWS writes it to CloudWatch Logs.
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(8);
        m.insert("id".into(), Value::from(self.id.to_string()));
        m.insert("type".into(), Value::string(self.event_type));
        m.insert("details".into(), self.details.clone());
        m.insert(
            "previous_event_id".into(),
            Value::from(self.previous_event_id.to_string()),
        );
        m.insert(
            "event_timestamp".into(),
            Value::from(self.event_timestamp_ms.to_string()),
        );
        m.insert(
            "execution_arn".into(),
            Value::String(self.execution_arn.clone()),
        );
        m.insert("redrive_count".into(), Value::string("0"));
        if self.attempt > 1 {
            m.insert("attempt".into(), Value::from(self.attempt.to_string()));
        }
        Value::object(m)
    }
}

/// Where records go.
pub enum LogSink {
    /// A Rust function, called on the worker thread that produced the record.
    Callback(Arc<dyn Fn(&LogRecord) + Send + Sync>),
    /// JSON lines to a writer (a file, stdout, ...), buffered; flushed on shutdown.
    JsonLines(Box<dyn Write + Send>),
}

impl LogSink {
    /// JSON lines on standard output.
    pub fn stdout() -> LogSink {
        LogSink::JsonLines(Box::new(std::io::stdout()))
    }

    /// JSON lines appended to the file at `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened.
    pub fn file(path: impl AsRef<std::path::Path>) -> std::io::Result<LogSink> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(LogSink::JsonLines(Box::new(f)))
    }

    /// A Rust callback.
    pub fn callback(f: impl Fn(&LogRecord) + Send + Sync + 'static) -> LogSink {
        LogSink::Callback(Arc::new(f))
    }
}

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogSink::Callback(_) => "LogSink::Callback",
            LogSink::JsonLines(_) => "LogSink::JsonLines",
        })
    }
}

enum Out {
    None,
    Callback(Arc<dyn Fn(&LogRecord) + Send + Sync>),
    Lines(Mutex<std::io::BufWriter<Box<dyn Write + Send>>>),
}

/// The engine's log: the sink and the default configuration.
pub(crate) struct Logger {
    out: Out,
    pub(crate) default: LogConfig,
    region: Str,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl Logger {
    pub(crate) fn new(sink: Option<LogSink>, default: LogConfig, region: Str) -> Logger {
        let out = match sink {
            None => Out::None,
            Some(LogSink::Callback(f)) => Out::Callback(f),
            Some(LogSink::JsonLines(w)) => {
                Out::Lines(Mutex::new(std::io::BufWriter::with_capacity(1 << 16, w)))
            }
        };
        Logger {
            out,
            default,
            region,
        }
    }

    /// `true` when records of `config` go anywhere.
    pub(crate) fn enabled(&self, config: LogConfig) -> bool {
        config.level != LogLevel::Off && !matches!(self.out, Out::None)
    }

    fn emit(&self, r: &LogRecord) {
        match &self.out {
            Out::None => {}
            Out::Callback(f) => f(r),
            Out::Lines(w) => {
                let mut line = r.to_json().to_json();
                line.push('\n');
                // A failing sink must not fail executions; the record is lost.
                let _ = lock(w).write_all(line.as_bytes());
            }
        }
    }

    /// Writes buffered records out.
    pub(crate) fn flush(&self) {
        if let Out::Lines(w) = &self.out {
            let _ = lock(w).flush();
        }
    }
}

/// Logs the events of one execution attempt: the VM's through [`Observer`], the execution's
/// own through [`ExecutionLog::started`] and [`ExecutionLog::finished`].
pub(crate) struct ExecutionLog {
    logger: Arc<Logger>,
    info: Arc<ExecutionInfo>,
    config: LogConfig,
    clock: Clock,
    attempt: u32,
    last_id: Arc<AtomicU32>,
}

impl ExecutionLog {
    pub(crate) fn new(
        logger: Arc<Logger>,
        info: Arc<ExecutionInfo>,
        config: LogConfig,
        clock: Clock,
        attempt: u32,
    ) -> ExecutionLog {
        ExecutionLog {
            logger,
            info,
            config,
            clock,
            attempt,
            last_id: Arc::default(),
        }
    }

    /// A second handle on the same execution, for the VM's observer.
    pub(crate) fn observer(&self) -> Box<dyn Observer> {
        Box::new(ExecutionLog {
            logger: Arc::clone(&self.logger),
            info: Arc::clone(&self.info),
            config: self.config,
            clock: self.clock,
            attempt: self.attempt,
            last_id: Arc::clone(&self.last_id),
        })
    }

    fn data(&self) -> bool {
        self.config.include_execution_data
    }

    fn record(&self, id: u32, previous: u32, event_type: &'static str, details: Map) {
        self.last_id.store(id, Ordering::Relaxed);
        self.logger.emit(&LogRecord {
            id,
            previous_event_id: previous,
            event_type,
            details: Value::object(details),
            event_timestamp_ms: self.clock.now_ms(),
            execution_arn: self.info.id().clone(),
            attempt: self.attempt,
        });
    }

    /// `ExecutionStarted` (id 1).
    pub(crate) fn started(&self, input: &Value) {
        if self.config.level < LogLevel::All {
            return;
        }
        let mut d = Map::with_capacity(3);
        if self.data() {
            put_data(&mut d, "input", input);
        }
        d.insert("roleArn".into(), Value::String(self.info.role_arn.clone()));
        self.record(1, 0, "ExecutionStarted", d);
    }

    /// `ExecutionSucceeded`, `ExecutionFailed` or `ExecutionTimedOut`, as event `id`.
    pub(crate) fn finished(&self, id: u32, o: &Outcome) {
        let event_type = match o.status {
            Status::Succeeded => "ExecutionSucceeded",
            Status::Failed => "ExecutionFailed",
            Status::TimedOut => "ExecutionTimedOut",
            Status::Aborted => "ExecutionAborted",
        };
        if o.status == Status::Succeeded && self.config.level < LogLevel::All {
            return;
        }
        let mut d = Map::with_capacity(2);
        if let Some(out) = o.output.as_ref().filter(|_| self.data()) {
            put_data(&mut d, "output", out);
        }
        put_error(&mut d, o.error.as_deref(), o.cause.as_deref());
        self.record(id, id - 1, event_type, d);
    }

    /// `ExecutionAborted`: the execution was cancelled (its sync caller went away).
    pub(crate) fn aborted(&self) {
        let last = self.last_id.load(Ordering::Relaxed).max(1);
        self.record(last + 1, last, "ExecutionAborted", Map::new());
    }

    /// The end of an execution stopped from outside (a shutdown), after its last event.
    pub(crate) fn cut_off(&self, o: &Outcome) {
        let last = self.last_id.load(Ordering::Relaxed).max(1);
        self.finished(last + 1, o);
    }
}

impl Observer for ExecutionLog {
    fn event(&mut self, id: u32, event: Event<'_>) {
        let last = self.last_id.load(Ordering::Relaxed);
        // The first state entered follows ExecutionStarted with previous id 0, as AWS records.
        let previous = if last <= 1 { 0 } else { last };
        let level = self.config.level;
        let mut d = Map::with_capacity(6);
        let event_type = match event {
            Event::StateEntered {
                state,
                state_type,
                input,
            } => {
                if level < LogLevel::All && !(state_type == "Fail" && level >= LogLevel::Error) {
                    return self.skip(id);
                }
                if self.data() {
                    put_data(&mut d, "input", input);
                }
                d.insert("name".into(), Value::string(state));
                state_event(state_type, true)
            }
            Event::StateExited {
                state,
                state_type,
                output,
            } => {
                if level < LogLevel::All {
                    return self.skip(id);
                }
                d.insert("name".into(), Value::string(state));
                if self.data() {
                    put_data(&mut d, "output", output);
                }
                state_event(state_type, false)
            }
            Event::TaskScheduled {
                resource,
                parameters,
                timeout_seconds,
                heartbeat_seconds,
            } => {
                if level < LogLevel::All {
                    return self.skip(id);
                }
                let family = Family::of(resource);
                family.describe(&mut d, resource, &self.logger.region);
                if self.data() {
                    match family {
                        Family::Task => {
                            d.insert("parameters".into(), Value::from(parameters.to_json()));
                        }
                        _ => put_data(&mut d, "input", parameters),
                    }
                }
                if let Some(t) = timeout_seconds {
                    d.insert("timeoutInSeconds".into(), Value::Int(t as i64));
                }
                if let Some(h) = heartbeat_seconds {
                    d.insert("heartbeatInSeconds".into(), Value::Int(h as i64));
                }
                family.name(0)
            }
            Event::TaskStarted { resource } => {
                if level < LogLevel::All {
                    return self.skip(id);
                }
                let family = Family::of(resource);
                if family == Family::Task {
                    family.describe(&mut d, resource, &self.logger.region);
                    d.remove("region");
                }
                family.name(1)
            }
            Event::TaskSucceeded { resource, output } => {
                if level < LogLevel::All {
                    return self.skip(id);
                }
                let family = Family::of(resource);
                family.short(&mut d, resource);
                if self.data() {
                    put_data(&mut d, "output", output);
                }
                family.name(2)
            }
            Event::TaskFailed {
                resource,
                error,
                cause,
            } => {
                if level < LogLevel::Error {
                    return self.skip(id);
                }
                let family = Family::of(resource);
                family.short(&mut d, resource);
                put_error(&mut d, Some(error), cause);
                family.name(3)
            }
            Event::TaskTimedOut { resource, error } => {
                if level < LogLevel::Error {
                    return self.skip(id);
                }
                let family = Family::of(resource);
                family.short(&mut d, resource);
                put_error(&mut d, Some(error), None);
                family.name(4)
            }
        };
        self.record(id, previous, event_type, d);
    }
}

impl ExecutionLog {
    fn skip(&self, id: u32) {
        self.last_id.store(id, Ordering::Relaxed);
    }
}

/// Which history-event family a Task's events belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Lambda,
    Activity,
    Task,
}

impl Family {
    fn of(resource: &str) -> Family {
        match classify(resource) {
            ResourceKind::LambdaFunction { .. } => Family::Lambda,
            ResourceKind::Activity => Family::Activity,
            _ => Family::Task,
        }
    }

    /// Scheduled, Started, Succeeded, Failed, TimedOut.
    fn name(self, i: usize) -> &'static str {
        const NAMES: [[&str; 5]; 3] = [
            [
                "LambdaFunctionScheduled",
                "LambdaFunctionStarted",
                "LambdaFunctionSucceeded",
                "LambdaFunctionFailed",
                "LambdaFunctionTimedOut",
            ],
            [
                "ActivityScheduled",
                "ActivityStarted",
                "ActivitySucceeded",
                "ActivityFailed",
                "ActivityTimedOut",
            ],
            [
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskFailed",
                "TaskTimedOut",
            ],
        ];
        NAMES[self as usize][i]
    }

    /// `resourceType` / `resource` / `region` of a scheduled Task; the ARN for the others.
    fn describe(self, d: &mut Map, resource: &str, region: &Str) {
        match self {
            Family::Task => {
                let (kind, action) = service_parts(resource);
                d.insert("resourceType".into(), Value::string(kind));
                d.insert("resource".into(), Value::string(action));
                d.insert("region".into(), Value::String(region.clone()));
            }
            _ => {
                d.insert("resource".into(), Value::string(resource));
            }
        }
    }

    /// `resourceType` / `resource` for the Task family's later events.
    fn short(self, d: &mut Map, resource: &str) {
        if self == Family::Task {
            let (kind, action) = service_parts(resource);
            d.insert("resourceType".into(), Value::string(kind));
            d.insert("resource".into(), Value::string(action));
        }
    }
}

/// `arn:aws:states:::sqs:sendMessage.waitForTaskToken` → (`sqs`, `sendMessage.waitForTaskToken`).
fn service_parts(resource: &str) -> (&str, &str) {
    let rest = resource
        .strip_prefix("arn:")
        .and_then(|r| r.splitn(5, ':').nth(4))
        .unwrap_or(resource);
    rest.rsplit_once(':').unwrap_or(("", rest))
}

fn state_event(state_type: &str, entered: bool) -> &'static str {
    const TYPES: [(&str, &str, &str); 8] = [
        ("Pass", "PassStateEntered", "PassStateExited"),
        ("Task", "TaskStateEntered", "TaskStateExited"),
        ("Choice", "ChoiceStateEntered", "ChoiceStateExited"),
        ("Wait", "WaitStateEntered", "WaitStateExited"),
        ("Succeed", "SucceedStateEntered", "SucceedStateExited"),
        ("Fail", "FailStateEntered", "FailStateExited"),
        ("Map", "MapStateEntered", "MapStateExited"),
        ("Parallel", "ParallelStateEntered", "ParallelStateExited"),
    ];
    let (_, e, x) = TYPES
        .iter()
        .find(|(t, _, _)| *t == state_type)
        .copied()
        .unwrap_or(("", "StateEntered", "StateExited"));
    if entered {
        e
    } else {
        x
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
    fn service_parts_split_type_and_action() {
        assert_eq!(
            service_parts("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            ("sqs", "sendMessage.waitForTaskToken")
        );
        assert_eq!(
            service_parts("arn:aws:states:::aws-sdk:s3:listBuckets"),
            ("aws-sdk:s3", "listBuckets")
        );
        assert_eq!(
            service_parts("arn:aws:states:::lambda:invoke"),
            ("lambda", "invoke")
        );
    }

    #[test]
    fn records_are_cloudwatch_shaped() {
        let r = LogRecord {
            id: 3,
            previous_event_id: 2,
            event_type: "PassStateExited",
            details: Value::empty_object(),
            event_timestamp_ms: 1_713_959_670_680,
            execution_arn: Str::from("arn:x"),
            attempt: 1,
        };
        assert_eq!(
            r.to_json().to_json(),
            r#"{"id":"3","type":"PassStateExited","details":{},"previous_event_id":"2","event_timestamp":"1713959670680","execution_arn":"arn:x","redrive_count":"0"}"#
        );
        let r2 = LogRecord { attempt: 2, ..r };
        assert!(r2
            .to_json()
            .to_json()
            .ends_with(r#""redrive_count":"0","attempt":"2"}"#));
    }
}
