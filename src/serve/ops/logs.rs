//! The CloudWatch Logs API subset that reads the execution log (`X-Amz-Target:
//! Logs_20140328.<Operation>`, AWS JSON 1.1, on the same port): `DescribeLogGroups`,
//! `DescribeLogStreams`, `GetLogEvents`, `FilterLogEvents` — enough for
//! `aws logs tail /aws/vendedlogs/states/M --follow` (CLI v2: it polls FilterLogEvents with
//! `startTime` and `nextToken`) and the SDKs' readers.
//!
//! Log groups are the directories `aslx serve --log-dir` writes (see the engine's `LogDir`):
//! a machine's records go to the group named in its `loggingConfiguration`, and that group
//! exists from the moment a machine names it. Without `--log-dir` there are no groups.
//! `filterPattern` supports AWS's term patterns (every whitespace-separated term, or
//! `"quoted phrase"`, must occur in the message); JSON and metric patterns (`{ $.x = 1 }`,
//! `[a, b]`) are refused with `InvalidParameterException`. Names and prefixes are checked
//! against the constraints of AWS's API model, with its messages.

use super::{json_body, OpResult, Service};
use crate::engine::{valid_log_group_name, LogDir, StoredEvent};
use crate::serve::protocol::ApiError;
use serde_json::{json, Map, Value as Json};

/// Every operation answered under `Logs_20140328.`.
pub const LOG_OPERATIONS: &[&str] = &[
    "DescribeLogGroups",
    "DescribeLogStreams",
    "GetLogEvents",
    "FilterLogEvents",
];

/// Events in one answer at most (AWS's limit for GetLogEvents and FilterLogEvents).
const MAX_EVENTS: usize = 10_000;

fn not_found() -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidParameterException", message)
}

fn int(o: &Map<String, Json>, k: &str) -> Option<i64> {
    o.get(k).and_then(Json::as_i64)
}

fn text<'a>(o: &'a Map<String, Json>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Json::as_str)
}

fn limit(o: &Map<String, Json>, max: usize) -> Result<usize, ApiError> {
    match int(o, "limit") {
        None => Ok(max),
        Some(n) if n >= 1 && n as usize <= max => Ok(n as usize),
        Some(n) => Err(invalid(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {max}"
        ))),
    }
}

/// `logGroupName`'s and `logGroupNamePrefix`'s pattern, as AWS quotes it.
const NAME_PATTERN: &str = r"[\.\-_/#A-Za-z0-9]+";
/// `logGroupIdentifier`'s pattern (a name or an ARN), as AWS quotes it.
const IDENTIFIER_PATTERN: &str = r"[\w#+=/:,.@-]*";
/// A log stream name's (and prefix's) pattern, as AWS quotes it.
const STREAM_PATTERN: &str = "[^:*]*";

/// One member's constraints: its length in characters, its pattern and the characters the
/// pattern admits (`+` patterns also refuse the empty string).
struct Rule {
    min: usize,
    max: usize,
    pattern: &'static str,
    admits: fn(char) -> bool,
}

const NAME: Rule = Rule {
    min: 1,
    max: 512,
    pattern: NAME_PATTERN,
    admits: |c| c.is_ascii_alphanumeric() || "._-/#".contains(c),
};
const IDENTIFIER: Rule = Rule {
    min: 1,
    max: 2048,
    pattern: IDENTIFIER_PATTERN,
    admits: |c| c.is_ascii_alphanumeric() || "_#+=/:,.@-".contains(c),
};
const NAME_SEARCH: Rule = Rule {
    min: 0,
    pattern: r"[\.\-_/#A-Za-z0-9]*",
    ..NAME
};
const STREAM: Rule = Rule {
    min: 1,
    max: 512,
    pattern: STREAM_PATTERN,
    admits: |c| c != ':' && c != '*',
};

/// `value` at `field` against `rule`: AWS's `InvalidParameterException` naming every
/// constraint it fails (`2 validation errors detected: Value '' at 'logGroupName' failed to
/// satisfy constraint: Member must have length greater than or equal to 1; ...`).
fn check(field: &str, value: &str, rule: &Rule) -> Result<(), ApiError> {
    let n = value.chars().count();
    let mut failed = Vec::new();
    if n < rule.min {
        failed.push(format!(
            "Member must have length greater than or equal to {}",
            rule.min
        ));
    }
    if n > rule.max {
        failed.push(format!(
            "Member must have length less than or equal to {}",
            rule.max
        ));
    }
    if (n == 0 && rule.pattern.ends_with('+')) || !value.chars().all(rule.admits) {
        failed.push(format!(
            "Member must satisfy regular expression pattern: {}",
            rule.pattern
        ));
    }
    if failed.is_empty() {
        return Ok(());
    }
    let count = match failed.len() {
        1 => "1 validation error".to_string(),
        k => format!("{k} validation errors"),
    };
    let each: Vec<String> = failed
        .iter()
        .map(|c| format!("Value '{value}' at '{field}' failed to satisfy constraint: {c}"))
        .collect();
    Err(invalid(format!("{count} detected: {}", each.join("; "))))
}

/// `text(o, k)` checked against `rule` when present.
fn checked<'a>(
    o: &'a Map<String, Json>,
    k: &str,
    rule: &Rule,
) -> Result<Option<&'a str>, ApiError> {
    let v = text(o, k);
    if let Some(v) = v {
        check(k, v, rule)?;
    }
    Ok(v)
}

/// The group a request names: `logGroupName`, or `logGroupIdentifier` (a name or an ARN),
/// never both (AWS's rule). An identifier that cannot name a group names none that exists.
fn group(o: &Map<String, Json>) -> Result<String, ApiError> {
    let name = checked(o, "logGroupName", &NAME)?;
    let id = checked(o, "logGroupIdentifier", &IDENTIFIER)?;
    let id = match (name, id) {
        (Some(name), None) => return Ok(name.to_string()),
        (None, Some(id)) => id,
        (Some(_), Some(_)) => {
            return Err(invalid(
                "logGroupName and logGroupIdentifier cannot both be specified",
            ))
        }
        (None, None) => {
            return Err(invalid(
                "Either logGroupName or logGroupIdentifier must be specified",
            ))
        }
    };
    let name = match id.strip_prefix("arn:") {
        Some(_) => super::machines::log_group_name(id)
            .ok_or_else(|| invalid(format!("Invalid log group ARN: '{id}'")))?,
        None => id.to_string(),
    };
    if !valid_log_group_name(&name) {
        return Err(not_found());
    }
    Ok(name)
}

/// The terms of a term pattern; `Err` for the pattern kinds not supported.
fn terms(pattern: &str) -> Result<Vec<String>, ApiError> {
    let p = pattern.trim();
    if p.starts_with('{') || p.starts_with('[') {
        return Err(invalid(format!(
            "aslx serve: filterPattern '{p}': JSON and space-delimited patterns are not supported; use terms or \"quoted phrases\""
        )));
    }
    let mut out = Vec::new();
    let mut rest = p;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            out.push(q[..end].to_string());
            rest = q.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out.retain(|t| !t.is_empty());
    Ok(out)
}

impl Service {
    /// Answers one CloudWatch Logs request.
    pub async fn call_logs(&self, op: &str, body: &[u8]) -> OpResult {
        if !LOG_OPERATIONS.contains(&op) {
            return Err(ApiError::unknown_operation(op));
        }
        let o = super::request_object(body)?;
        match op {
            "DescribeLogGroups" => self.describe_log_groups(&o),
            "DescribeLogStreams" => self.describe_log_streams(&o),
            "GetLogEvents" => self.get_log_events(&o),
            _ => self.filter_log_events(&o),
        }
    }

    fn log_dir(&self) -> Option<&LogDir> {
        self.log_dir.as_ref()
    }

    /// Every log group, with its creation time, by name: the groups with records under
    /// `--log-dir`, and the groups machines' `loggingConfiguration` names. On AWS a machine's
    /// log group exists before the machine logs to it (its owner creates it); here naming it
    /// creates it, so that `aws logs tail GROUP --follow` can start before the first
    /// execution. Without `--log-dir` there are none: records are kept nowhere.
    fn groups(&self) -> std::collections::BTreeMap<String, i64> {
        let Some(dir) = self.log_dir() else {
            return Default::default();
        };
        let mut out: std::collections::BTreeMap<String, i64> = dir.groups().into_iter().collect();
        for m in self.backend().engine().list_machines() {
            if let Some(g) = &m.log_group {
                let created = out.entry(g.to_string()).or_insert(m.created_ms);
                *created = (*created).min(m.created_ms);
            }
        }
        out
    }

    /// `true` when `group` exists (see [`Service::groups`]).
    fn has_group(&self, group: &str) -> bool {
        self.log_dir().is_some_and(|d| {
            d.has_group(group)
                || self
                    .backend()
                    .engine()
                    .list_machines()
                    .iter()
                    .any(|m| m.log_group.as_deref() == Some(group))
        })
    }

    fn group_events(&self, group: &str, start: Option<i64>) -> Result<Vec<StoredEvent>, ApiError> {
        match self.log_dir() {
            Some(d) if self.has_group(group) => Ok(d.events(group, start)),
            _ => Err(not_found()),
        }
    }

    fn group_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:logs:{}:{}:log-group:{name}:*",
            self.id.partition, self.id.region, self.id.account
        )
    }

    fn describe_log_groups(&self, o: &Map<String, Json>) -> OpResult {
        let prefix = checked(o, "logGroupNamePrefix", &NAME)?;
        let pattern = text(o, "logGroupNamePattern");
        if let Some(p) = pattern {
            check("logGroupNamePattern", p, &NAME_SEARCH)?;
        }
        if prefix.is_some() && pattern.is_some() {
            return Err(invalid(
                "logGroupNamePrefix and logGroupNamePattern cannot both be specified",
            ));
        }
        let n = limit(o, 50)?;
        let after = text(o, "nextToken");
        let groups = self.groups();
        let groups: Vec<(&String, &i64)> = groups
            .iter()
            .filter(|(g, _)| g.starts_with(prefix.unwrap_or("")))
            // AWS: a case-sensitive substring search.
            .filter(|(g, _)| pattern.is_none_or(|p| g.contains(p)))
            .filter(|(g, _)| after.is_none_or(|a| g.as_str() > a))
            .collect();
        let mut page = Vec::new();
        let mut next = None;
        for (name, created) in groups {
            if page.len() == n {
                next = page.last().map(|(g, _): &(String, Json)| g.clone());
                break;
            }
            let arn = self.group_arn(name);
            page.push((
                name.clone(),
                json!({"logGroupName": name, "creationTime": created, "arn": arn,
                       "logGroupArn": arn.trim_end_matches(":*"), "storedBytes": 0,
                       "metricFilterCount": 0, "logGroupClass": "STANDARD"}),
            ));
        }
        let mut out = json!({"logGroups": page.into_iter().map(|p| p.1).collect::<Vec<_>>()});
        if let Some(t) = next {
            out["nextToken"] = Json::from(t);
        }
        json_body(out)
    }

    fn describe_log_streams(&self, o: &Map<String, Json>) -> OpResult {
        let group = group(o)?;
        let prefix = checked(o, "logStreamNamePrefix", &STREAM)?;
        let by_time = text(o, "orderBy") == Some("LastEventTime");
        if by_time && prefix.is_some() {
            // AWS's documented rule for DescribeLogStreams.
            return Err(invalid(
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ));
        }
        let prefix = prefix.unwrap_or("");
        let n = limit(o, 50)?;
        let events = self.group_events(&group, None)?;
        let mut streams: std::collections::BTreeMap<&str, (i64, i64, i64)> = Default::default();
        for e in events.iter().filter(|e| e.stream.starts_with(prefix)) {
            let s =
                streams
                    .entry(&e.stream)
                    .or_insert((e.timestamp, e.timestamp, e.ingestion_time));
            s.0 = s.0.min(e.timestamp);
            s.1 = s.1.max(e.timestamp);
            s.2 = s.2.max(e.ingestion_time);
        }
        let mut list: Vec<Json> = streams
            .iter()
            .map(|(name, (first, last, ingested))| {
                json!({"logStreamName": name, "creationTime": first,
                       "firstEventTimestamp": first, "lastEventTimestamp": last,
                       "lastIngestionTime": ingested, "storedBytes": 0,
                       "arn": format!("{}:log-stream:{name}", self.group_arn(&group).trim_end_matches(":*"))})
            })
            .collect();
        if by_time {
            list.sort_by_key(|s| s["lastEventTimestamp"].as_i64());
        }
        if o.get("descending").and_then(Json::as_bool) == Some(true) {
            list.reverse();
        }
        list.truncate(n);
        json_body(json!({ "logStreams": list }))
    }

    fn get_log_events(&self, o: &Map<String, Json>) -> OpResult {
        let group = group(o)?;
        let Some(stream) = text(o, "logStreamName") else {
            return Err(invalid("logStreamName must be specified"));
        };
        let n = limit(o, MAX_EVENTS)?;
        let end = int(o, "endTime");
        // Tokens: `f/<event id>` pages forward after that event.
        let after = text(o, "nextToken").and_then(|t| t.strip_prefix("f/"));
        let events: Vec<StoredEvent> = self
            .group_events(&group, int(o, "startTime"))?
            .into_iter()
            .filter(|e| e.stream == stream)
            .filter(|e| end.is_none_or(|t| e.timestamp < t))
            .filter(|e| after.is_none_or(|a| e.event_id.as_str() > a))
            .take(n)
            .collect();
        let forward = events
            .last()
            .map(|e| format!("f/{}", e.event_id))
            .or_else(|| text(o, "nextToken").map(str::to_string))
            .unwrap_or_else(|| "f/".to_string());
        let list: Vec<Json> = events
            .iter()
            .map(|e| json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}))
            .collect();
        json_body(json!({"events": list, "nextForwardToken": forward, "nextBackwardToken": "b/"}))
    }

    fn filter_log_events(&self, o: &Map<String, Json>) -> OpResult {
        let group = group(o)?;
        let n = limit(o, MAX_EVENTS)?;
        let end = int(o, "endTime");
        let names: Option<Vec<&str>> = o
            .get("logStreamNames")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect());
        let prefix = checked(o, "logStreamNamePrefix", &STREAM)?;
        if names.is_some() && prefix.is_some() {
            // AWS's documented rule for FilterLogEvents.
            return Err(invalid(
                "logStreamNames and logStreamNamePrefix cannot both be specified",
            ));
        }
        let prefix = prefix.unwrap_or("");
        let terms = terms(text(o, "filterPattern").unwrap_or(""))?;
        let after = text(o, "nextToken");
        let matching: Vec<StoredEvent> = self
            .group_events(&group, int(o, "startTime"))?
            .into_iter()
            .filter(|e| end.is_none_or(|t| e.timestamp <= t))
            .filter(|e| {
                names
                    .as_ref()
                    .is_none_or(|ns| ns.contains(&e.stream.as_str()))
            })
            .filter(|e| e.stream.starts_with(prefix))
            .filter(|e| terms.iter().all(|t| e.message.contains(t.as_str())))
            .filter(|e| after.is_none_or(|a| e.event_id.as_str() > a))
            .collect();
        let more = matching.len() > n;
        let page = &matching[..matching.len().min(n)];
        let list: Vec<Json> = page
            .iter()
            .map(|e| {
                json!({"logStreamName": e.stream, "timestamp": e.timestamp, "message": e.message,
                       "ingestionTime": e.ingestion_time, "eventId": e.event_id})
            })
            .collect();
        let mut out = json!({"events": list, "searchedLogStreams": []});
        if more {
            if let Some(last) = page.last() {
                out["nextToken"] = Json::from(last.event_id.clone());
            }
        }
        json_body(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_patterns_split_words_and_phrases() {
        assert_eq!(
            terms(r#"ExecutionFailed "States.Timeout" x"#).unwrap(),
            ["ExecutionFailed", "States.Timeout", "x"]
        );
        assert!(terms("").unwrap().is_empty());
        assert!(terms("{ $.type = \"x\" }").is_err());
    }

    #[test]
    fn every_failed_constraint_is_named_length_first() {
        let long = format!("{}!", "a".repeat(512));
        let e = check("logGroupName", &long, &NAME).unwrap_err();
        assert_eq!(e.code, "InvalidParameterException");
        assert!(
            e.message.starts_with("2 validation errors detected: "),
            "{}",
            e.message
        );
        assert!(e
            .message
            .contains("length less than or equal to 512; Value"));
        assert!(e.message.ends_with(NAME_PATTERN));
        // `*` patterns admit the empty string, `+` patterns do not.
        assert!(check("logGroupNamePattern", "", &NAME_SEARCH).is_ok());
        assert!(check("logStreamNamePrefix", "states/m", &STREAM).is_ok());
        assert!(check(
            "logGroupIdentifier",
            "arn:aws:logs:us-east-1:1:log-group:/a/b",
            &IDENTIFIER
        )
        .is_ok());
    }
}
