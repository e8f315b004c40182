//! Log groups on disk: where [`LogSink::directory`](super::LogSink::directory) files the
//! execution log, and what `aslx serve`'s CloudWatch Logs API reads back.
//!
//! ```text
//! DIR/<group name, '/' and '%' percent-escaped>/<YYYY-MM-DD>.jsonl
//! ```
//!
//! One JSON object a line: `{"timestamp", "ingestionTime", "logStreamName", "message"}`, where
//! `message` is the record as AWS writes it to CloudWatch Logs ([`LogRecord::to_json`]) and
//! streams are named as AWS names them for Step Functions:
//! `states/<machine>/<YYYY-MM-DD-HH-MM>/<8 hex digits of this process>`. Files are created
//! when a group gets its first record of the day, and every record is written through, so a
//! reader sees it at once.
//!
//! [`LogRecord::to_json`]: super::LogRecord::to_json

use super::log::LogRecord;
use crate::runtime::sync::{lock, Mutex};
use crate::value::{parse_json, Map, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// AWS's rule for log group names: 1 to 512 characters from `[.-_/#A-Za-z0-9]`.
pub fn valid_log_group_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/#".contains(&b))
}

fn escape(group: &str) -> String {
    group.replace('%', "%25").replace('/', "%2F")
}

fn unescape(dir: &str) -> String {
    dir.replace("%2F", "/").replace("%25", "%")
}

/// `YYYY-MM-DD` and `YYYY-MM-DD-HH-MM` of epoch milliseconds (UTC).
fn day_and_minute(ms: i64) -> (String, String) {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let day = format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day());
    let minute = format!("{day}-{:02}-{:02}", t.hour(), t.minute());
    (day, minute)
}

/// Writes records into a log directory.
pub(crate) struct DirWriter {
    root: PathBuf,
    stream_suffix: String,
    open: Mutex<HashMap<(String, String), std::fs::File>>,
}

impl DirWriter {
    /// Checks that `root` can be written (creating it), so that a bad directory is an error at
    /// start-up, not at the first execution.
    pub(crate) fn new(root: &Path) -> std::io::Result<DirWriter> {
        std::fs::create_dir_all(root)?;
        let probe = root.join(".aslx-write-check");
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(&probe)?;
        Ok(DirWriter {
            root: root.to_path_buf(),
            stream_suffix: format!("{:08x}", rand::random::<u32>()),
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Files `r` under its log group; records without one are dropped (AWS logs a machine
    /// only to its destination). A failing disk loses the record, never the execution.
    pub(crate) fn write(&self, r: &LogRecord) {
        let Some(group) = &r.log_group else {
            return;
        };
        let (day, minute) = day_and_minute(r.event_timestamp_ms);
        let machine = machine_of(&r.execution_arn);
        let mut line = Map::with_capacity(4);
        line.insert("timestamp".into(), Value::Int(r.event_timestamp_ms));
        line.insert(
            "ingestionTime".into(),
            Value::Int(crate::runtime::machine::wall_clock_ms()),
        );
        line.insert(
            "logStreamName".into(),
            Value::from(format!("states/{machine}/{minute}/{}", self.stream_suffix)),
        );
        line.insert("message".into(), Value::from(r.to_json().to_json()));
        let mut text = Value::object(line).to_json();
        text.push('\n');
        let mut open = lock(&self.open);
        let key = (group.to_string(), day);
        if !open.contains_key(&key) {
            let dir = self.root.join(escape(group));
            let file = std::fs::create_dir_all(&dir).and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join(format!("{}.jsonl", key.1)))
            });
            match file {
                Ok(f) => {
                    open.insert(key.clone(), f);
                }
                Err(_) => return,
            }
        }
        if let Some(f) = open.get_mut(&key) {
            let _ = f.write_all(text.as_bytes());
        }
    }
}

/// The machine name in an execution ARN (`...:execution:<machine>:<name>` or
/// `...:express:<machine>:<name>:<uuid>`).
fn machine_of(arn: &str) -> &str {
    arn.split(':').nth(6).unwrap_or("unknown")
}

/// One stored log event.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// The record's time, epoch milliseconds.
    pub timestamp: i64,
    /// When it was written, epoch milliseconds.
    pub ingestion_time: i64,
    /// `states/<machine>/<YYYY-MM-DD-HH-MM>/<hex>`.
    pub stream: String,
    /// The record, as AWS writes it.
    pub message: String,
    /// Its place in its group: the day file and the line.
    pub event_id: String,
}

/// A log directory, read back.
#[derive(Clone, Debug)]
pub struct LogDir {
    root: PathBuf,
}

impl LogDir {
    /// The directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> LogDir {
        LogDir { root: root.into() }
    }

    /// Every log group with its creation time (its first day file's), by name.
    pub fn groups(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| {
                let name = unescape(&e.file_name().to_string_lossy());
                let created = e
                    .metadata()
                    .ok()
                    .and_then(|m| m.created().or_else(|_| m.modified()).ok())
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_millis() as i64);
                valid_log_group_name(&name).then_some((name, created))
            })
            .collect();
        out.sort();
        out
    }

    /// `true` when the group has records.
    pub fn has_group(&self, group: &str) -> bool {
        valid_log_group_name(group) && self.root.join(escape(group)).is_dir()
    }

    /// Every event of `group` from `start_ms` on, oldest first.
    pub fn events(&self, group: &str, start_ms: Option<i64>) -> Vec<StoredEvent> {
        let dir = self.root.join(escape(group));
        let mut days: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        days.sort();
        let first_day = start_ms.map(|s| day_and_minute(s).0);
        let mut out = Vec::new();
        for day in days {
            let stem = day
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if first_day.as_ref().is_some_and(|f| stem < *f) {
                continue;
            }
            let text = std::fs::read_to_string(&day).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                let Ok(v) = parse_json(line) else { continue };
                let int = |k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(0);
                let timestamp = int("timestamp");
                if start_ms.is_some_and(|s| timestamp < s) {
                    continue;
                }
                let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                out.push(StoredEvent {
                    timestamp,
                    ingestion_time: int("ingestionTime"),
                    stream: text("logStreamName"),
                    message: text("message"),
                    event_id: format!("{stem}-{n:09}"),
                });
            }
        }
        // File order: the order records were written, which page tokens follow.
        out.sort_by(|a, b| a.event_id.cmp(&b.event_id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_follow_aws_rules_and_survive_the_file_system() {
        assert!(valid_log_group_name(
            "/aws/vendedlogs/states/My-Machine_1#x"
        ));
        assert!(!valid_log_group_name(""));
        assert!(!valid_log_group_name("has space"));
        assert!(!valid_log_group_name(&"a".repeat(513)));
        let g = "/aws/vendedlogs/states/m";
        assert_eq!(unescape(&escape(g)), g);
        assert!(!escape(g).contains('/'));
    }

    #[test]
    fn days_and_minutes_are_utc() {
        assert_eq!(
            day_and_minute(1_713_959_670_680),
            ("2024-04-24".to_string(), "2024-04-24-11-54".to_string())
        );
    }
}
