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
//! The records are built by the execution's story (`history.rs`), the one place that turns
//! what the VM reports into AWS's events. At `OFF` nothing runs: the engine checks the
//! machine's level once per execution and, unless it keeps the execution's history, installs
//! no observer in the VM and builds no record.

use crate::runtime::sync::{lock, Mutex};
use crate::value::{Map, Str, Value};
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
    /// The machine's log group (`loggingConfiguration.destinations`), if it has one.
    pub log_group: Option<Str>,
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
    /// Log groups under a directory, one file per group and day (see `log_dir`), written
    /// through; records of machines without a log group are dropped.
    Directory(std::path::PathBuf),
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

    /// Log groups under `dir` (created if need be): what `aslx serve --log-dir` writes and its
    /// CloudWatch Logs API reads.
    ///
    /// # Errors
    ///
    /// When `dir` cannot be created or written.
    pub fn directory(dir: impl AsRef<std::path::Path>) -> std::io::Result<LogSink> {
        super::log_dir::DirWriter::new(dir.as_ref())?;
        Ok(LogSink::Directory(dir.as_ref().to_path_buf()))
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
            LogSink::Directory(_) => "LogSink::Directory",
        })
    }
}

enum Out {
    None,
    Callback(Arc<dyn Fn(&LogRecord) + Send + Sync>),
    Lines(Mutex<std::io::BufWriter<Box<dyn Write + Send>>>),
    Dir(super::log_dir::DirWriter),
}

/// The engine's log: the sink and the default configuration.
pub(crate) struct Logger {
    out: Out,
    pub(crate) default: LogConfig,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl Logger {
    pub(crate) fn new(sink: Option<LogSink>, default: LogConfig) -> Logger {
        let out = match sink {
            None => Out::None,
            Some(LogSink::Callback(f)) => Out::Callback(f),
            Some(LogSink::JsonLines(w)) => {
                Out::Lines(Mutex::new(std::io::BufWriter::with_capacity(1 << 16, w)))
            }
            // Checked when the sink was made; a directory gone since logs nothing.
            Some(LogSink::Directory(d)) => match super::log_dir::DirWriter::new(&d) {
                Ok(w) => Out::Dir(w),
                Err(_) => Out::None,
            },
        };
        Logger { out, default }
    }

    /// `true` when records of `config` go anywhere.
    pub(crate) fn enabled(&self, config: LogConfig) -> bool {
        config.level != LogLevel::Off && !matches!(self.out, Out::None)
    }

    pub(crate) fn emit(&self, r: &LogRecord) {
        match &self.out {
            Out::None => {}
            Out::Callback(f) => f(r),
            Out::Lines(w) => {
                let mut line = r.to_json().to_json();
                line.push('\n');
                // A failing sink must not fail executions; the record is lost.
                let _ = lock(w).write_all(line.as_bytes());
            }
            Out::Dir(d) => d.write(r),
        }
    }

    /// Writes buffered records out.
    pub(crate) fn flush(&self) {
        if let Out::Lines(w) = &self.out {
            let _ = lock(w).flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            log_group: None,
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
