//! The CloudWatch Logs API subset that reads the execution log (`X-Amz-Target:
//! Logs_20140328.<Operation>`, AWS JSON 1.1, on the same port): `DescribeLogGroups`,
//! `DescribeLogStreams`, `GetLogEvents`, `FilterLogEvents` — enough for
//! `aws logs tail /aws/vendedlogs/states/M --follow` and the SDKs' readers.
//!
//! Log groups are the directories `aslx serve --log-dir` writes (see the engine's `LogDir`):
//! a machine's records go to the group named in its `loggingConfiguration`. Without
//! `--log-dir` there are no groups. `filterPattern` supports AWS's term patterns (every
//! whitespace-separated term, or `"quoted phrase"`, must occur in the message); JSON and
//! metric patterns (`{ $.x = 1 }`, `[a, b]`) are refused with `InvalidParameterException`.

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

/// A group name from `logGroupName`, or `logGroupIdentifier` (a name or an ARN).
fn group(o: &Map<String, Json>) -> Result<String, ApiError> {
    let g = text(o, "logGroupName").or_else(|| text(o, "logGroupIdentifier"));
    let Some(g) = g else {
        return Err(invalid(
            "Either logGroupName or logGroupIdentifier must be specified",
        ));
    };
    let name = match g.strip_prefix("arn:") {
        Some(_) => super::machines::log_group_name(g)
            .ok_or_else(|| invalid(format!("Invalid log group ARN: '{g}'")))?,
        None => g.to_string(),
    };
    if !valid_log_group_name(&name) {
        return Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )));
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

    fn group_events(&self, group: &str, start: Option<i64>) -> Result<Vec<StoredEvent>, ApiError> {
        match self.log_dir() {
            Some(d) if d.has_group(group) => Ok(d.events(group, start)),
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
        let prefix = text(o, "logGroupNamePrefix").unwrap_or("");
        let n = limit(o, 50)?;
        let after = text(o, "nextToken");
        let groups = self.log_dir().map(LogDir::groups).unwrap_or_default();
        let mut page = Vec::new();
        let mut next = None;
        for (name, created) in groups
            .iter()
            .filter(|(g, _)| g.starts_with(prefix))
            .filter(|(g, _)| after.is_none_or(|a| g.as_str() > a))
        {
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
        let prefix = text(o, "logStreamNamePrefix").unwrap_or("");
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
        if text(o, "orderBy") == Some("LastEventTime") {
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
        let prefix = text(o, "logStreamNamePrefix").unwrap_or("");
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
}
