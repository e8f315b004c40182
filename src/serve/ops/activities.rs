//! CreateActivity, DescribeActivity, DeleteActivity, ListActivities, GetActivityTask,
//! SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat: decoded here, answered by the engine.

use super::machines::read_encryption;
use super::{json_body, OpResult, Service};
use crate::engine::ActivityInfo;
use crate::serve::protocol::{timestamp, Req};
use serde_json::{json, Value as Json};
use std::time::Duration;

/// How long GetActivityTask waits for a task (AWS: 60 s).
pub(crate) const LONG_POLL: Duration = Duration::from_secs(60);

/// DescribeActivity's answer (ListActivities' items without the encryption).
fn activity_json(a: &ActivityInfo, with_encryption: bool) -> Json {
    let mut out = json!({
        "activityArn": &*a.arn,
        "name": &*a.name,
        "creationDate": timestamp(a.created_ms),
    });
    if let (Some(e), true) = (&a.encryption, with_encryption) {
        out["encryptionConfiguration"] = super::machines::encryption_json(e);
    }
    out
}

impl Service {
    pub(super) fn create_activity(&self, mut r: Req<'_>) -> OpResult {
        let name = r.str_req("name", 1, 80)?;
        let tags = super::tags::read_tags(&mut r, "tags", false)?;
        let encryption = read_encryption(&mut r)?;
        r.finish()?;
        let a = self
            .engine()
            .create_activity_with(name, encryption, &tags)?;
        json_body(json!({"activityArn": &*a.arn, "creationDate": timestamp(a.created_ms)}))
    }

    pub(super) fn describe_activity(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("activityArn", 1, 256)?;
        r.finish()?;
        let a = self.engine().describe_activity(arn)?;
        json_body(activity_json(&a, true))
    }

    pub(super) fn delete_activity(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("activityArn", 1, 256)?;
        r.finish()?;
        self.engine().delete_activity(arn)?;
        json_body(json!({}))
    }

    pub(super) fn list_activities(&self, mut r: Req<'_>) -> OpResult {
        let size = r.page_size(1000)?;
        let token = r.str_opt("nextToken", 1, 1024)?;
        r.finish()?;
        let keyed: Vec<(String, Json)> = self
            .engine()
            .list_activities()
            .iter()
            .map(|a| (a.name.to_string(), activity_json(a, false)))
            .collect();
        super::list_page("activities", "act", keyed, token, size)
    }

    pub(super) async fn get_activity_task(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("activityArn", 1, 256)?;
        let worker = r.str_opt("workerName", 1, 80)?;
        r.finish()?;
        let a = self.engine().describe_activity(arn)?;
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
