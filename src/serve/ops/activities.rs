//! CreateActivity, DescribeActivity, DeleteActivity, ListActivities, GetActivityTask,
//! SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat.

use super::{json_body, now_ms, read, write, ActivityRec, OpResult, Service};
use crate::serve::protocol::{parse_arn, timestamp, valid_name, ApiError, Req};
use serde_json::{json, Value as Json};
use std::time::Duration;

/// How long GetActivityTask waits for a task (AWS: 60 s).
pub(crate) const LONG_POLL: Duration = Duration::from_secs(60);

impl Service {
    /// The name of the activity an ARN names here, or `InvalidArn`.
    fn activity_name<'a>(&self, arn: &'a str) -> Result<Option<&'a str>, ApiError> {
        let a = parse_arn(arn)?;
        if a.kind != "activity" {
            return Err(ApiError::invalid_arn(&format!(
                "Resource type not valid in this context: {}",
                a.kind
            )));
        }
        Ok((a.region == self.id.region && a.account == self.id.account).then_some(a.rest))
    }

    fn activity(&self, arn: &str) -> Result<ActivityRec, ApiError> {
        self.activity_name(arn)?
            .and_then(|n| read(&self.activities).get(n).cloned())
            .ok_or_else(|| ApiError::activity_does_not_exist(arn))
    }

    pub(super) fn create_activity(&self, mut r: Req<'_>) -> OpResult {
        let name = r.str_req("name", 1, 80)?;
        let tags = super::tags::read_tags(&mut r, "tags", false)?;
        let configs = super::machines::read_configs(&mut r)?;
        r.finish()?;
        if !valid_name(name) {
            return Err(ApiError::invalid_name(name));
        }
        let arn = self.id.arn("activity", name);
        if tags.len() > 50 {
            return Err(ApiError::too_many_tags(&arn));
        }
        let rec = {
            let mut acts = write(&self.activities);
            match acts.get(name) {
                Some(existing) => {
                    if existing.encryption != configs.encryption {
                        return Err(ApiError::new(
                            "ActivityAlreadyExists",
                            format!("Activity Already Exists: '{arn}'"),
                        ));
                    }
                    existing.clone()
                }
                None => {
                    let rec = ActivityRec {
                        arn: arn.clone(),
                        name: name.to_string(),
                        creation_ms: now_ms(),
                        encryption: configs.encryption,
                    };
                    self.backend.create_activity(name)?;
                    acts.insert(name.to_string(), rec.clone());
                    if !tags.is_empty() {
                        super::lock(&self.tags).insert(arn.clone(), tags);
                    }
                    rec
                }
            }
        };
        json_body(json!({"activityArn": rec.arn, "creationDate": timestamp(rec.creation_ms)}))
    }

    pub(super) fn describe_activity(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("activityArn", 1, 256)?;
        r.finish()?;
        let a = self.activity(arn)?;
        let mut out = json!({
            "activityArn": a.arn,
            "name": a.name,
            "creationDate": timestamp(a.creation_ms),
        });
        if let Some(e) = a.encryption {
            out["encryptionConfiguration"] = e;
        }
        json_body(out)
    }

    pub(super) fn delete_activity(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("activityArn", 1, 256)?;
        r.finish()?;
        if let Some(name) = self.activity_name(arn)? {
            if write(&self.activities).remove(name).is_some() {
                self.backend.delete_activity(arn);
                self.drop_tags(arn);
            }
        }
        json_body(json!({}))
    }

    pub(super) fn list_activities(&self, mut r: Req<'_>) -> OpResult {
        let size = r.page_size(1000)?;
        let token = r.str_opt("nextToken", 1, 1024)?;
        r.finish()?;
        let keyed: Vec<(String, Json)> = read(&self.activities)
            .values()
            .map(|a| {
                let item = json!({"activityArn": a.arn, "name": a.name, "creationDate": timestamp(a.creation_ms)});
                (a.name.clone(), item)
            })
            .collect();
        super::list_page("activities", "act", keyed, token, size)
    }

    pub(super) async fn get_activity_task(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("activityArn", 1, 256)?;
        let worker = r.str_opt("workerName", 1, 80)?;
        r.finish()?;
        let a = self.activity(arn)?;
        match self
            .backend
            .poll_activity(&a.arn, worker, LONG_POLL)
            .await?
        {
            None => json_body(json!({})),
            Some((token, input)) => {
                json_body(json!({"taskToken": token, "input": input.to_json()}))
            }
        }
    }

    pub(super) fn send_task_success(&self, mut r: Req<'_>) -> OpResult {
        let token = r.str_req("taskToken", 1, 2048)?;
        let output = r.bytes_opt("output", 262_144)?;
        if output.is_none() {
            r.violation(None, "output", "must not be null");
        }
        r.finish()?;
        self.backend
            .send_task_success(token, output.unwrap_or_default())?;
        json_body(json!({}))
    }

    pub(super) fn send_task_failure(&self, mut r: Req<'_>) -> OpResult {
        let token = r.str_req("taskToken", 1, 2048)?;
        let error = r.str_opt("error", 0, 256)?;
        let cause = r.str_opt("cause", 0, 32_768)?;
        r.finish()?;
        self.backend.send_task_failure(token, error, cause)?;
        json_body(json!({}))
    }

    pub(super) fn send_task_heartbeat(&self, mut r: Req<'_>) -> OpResult {
        let token = r.str_req("taskToken", 1, 2048)?;
        r.finish()?;
        self.backend.heartbeat(token)?;
        json_body(json!({}))
    }
}
