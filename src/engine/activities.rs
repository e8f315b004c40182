//! The engine's activity and task-token operations: CreateActivity, DescribeActivity,
//! DeleteActivity, ListActivities, GetActivityTask and SendTaskSuccess / Failure / Heartbeat.
//!
//! The token lifecycle itself is documented in `runtime::tokens`; here each request is checked
//! and mapped to AWS's answers: text that is not a token → `InvalidToken`; a well-formed token
//! this engine never issued → `TaskDoesNotExist`; a token whose task is closed (completed,
//! timed out, or its execution ended) → `TaskTimedOut`.

use super::error::{EngineError, ErrorKind};
use super::machines::Encryption;
use super::names::{check_name, parse_arn};
use super::Engine;
use crate::runtime::activity::{Activity, PollError};
use crate::runtime::driver::activity_missing;
use crate::runtime::machine::wall_clock_ms;
use crate::runtime::sync::lock;
use crate::runtime::tokens::Completion;
use crate::runtime::ActivityTask;
use crate::value::{parse_json, Str, Value};
use crate::vm::token::{parse, TokenError};
use crate::vm::{TaskError, TokenId, MAX_PAYLOAD_BYTES};
use std::sync::Arc;
use std::time::Duration;

/// An activity (DescribeActivity's data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityInfo {
    /// `arn:aws:states:<region>:<account>:activity:<name>`.
    pub arn: Str,
    /// Name.
    pub name: Str,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// `encryptionConfiguration`, when given.
    pub encryption: Option<Encryption>,
}

impl Engine {
    fn activity_info(&self, a: &Activity) -> ActivityInfo {
        ActivityInfo {
            arn: a.arn.clone(),
            name: a.name.clone(),
            created_ms: a.created_ms,
            encryption: lock(&self.shared.activity_meta)
                .get(&a.arn)
                .and_then(|m| m.encryption.clone()),
        }
    }
}

/// Longest wait of one GetActivityTask (AWS's long-poll limit).
pub const MAX_POLL: Duration = Duration::from_secs(60);

impl Engine {
    /// Creates an activity, or returns the existing one of that name (idempotent).
    ///
    /// # Errors
    ///
    /// `InvalidName`.
    pub fn create_activity(&self, name: &str) -> Result<ActivityInfo, EngineError> {
        self.create_activity_with(name, None, &[])
    }

    /// [`Engine::create_activity`] with CreateActivity's settings: encryption, and tags
    /// (applied only when the activity is new).
    ///
    /// # Errors
    ///
    /// `InvalidName`; `ActivityAlreadyExists` for an activity of that name with another
    /// encryption configuration; `TooManyTags`.
    pub fn create_activity_with(
        &self,
        name: &str,
        encryption: Option<Encryption>,
        tags: &[(Str, Str)],
    ) -> Result<ActivityInfo, EngineError> {
        check_name(name)?;
        let c = &self.shared.config;
        let arn = Str::from(format!(
            "arn:aws:states:{}:{}:activity:{name}",
            c.region, c.account
        ));
        let _mark = self.mark(&arn);
        let activities = &self.shared.callbacks.activities;
        if tags.len() > super::tags::MAX_TAGS && activities.get(&arn).is_none() {
            return Err(EngineError::too_many_tags(&arn));
        }
        if activities.get(&arn).is_none() {
            let count = lock(&self.shared.activity_meta).len();
            self.shared.config.quotas.check_activities(count)?;
        }
        let a = activities.create(arn.clone(), Str::from(name), wall_clock_ms());
        let mut meta = lock(&self.shared.activity_meta);
        match meta.get(&arn) {
            Some(m) if m.encryption != encryption => {
                return Err(EngineError::new(
                    ErrorKind::ActivityAlreadyExists,
                    format!("Activity Already Exists: '{arn}'"),
                ))
            }
            Some(_) => {}
            None => {
                let mut kept = Vec::new();
                super::tags::merge(&mut kept, tags);
                meta.insert(
                    arn,
                    super::tags::ActivityMeta {
                        encryption,
                        tags: kept,
                    },
                );
            }
        }
        drop(meta);
        Ok(self.activity_info(&a))
    }

    /// An activity's description.
    ///
    /// # Errors
    ///
    /// `InvalidArn`, `ActivityDoesNotExist`.
    pub fn describe_activity(&self, arn: &str) -> Result<ActivityInfo, EngineError> {
        let a = self.activity(arn)?;
        Ok(self.activity_info(&a))
    }

    /// Every activity, oldest first.
    pub fn list_activities(&self) -> Vec<ActivityInfo> {
        let all = self.shared.callbacks.activities.list();
        all.iter().map(|a| self.activity_info(a)).collect()
    }

    /// Deletes an activity. Its pollers get `ActivityDoesNotExist`; Tasks still waiting for a
    /// worker fail with `States.TaskFailed`. Deleting an unknown activity succeeds.
    ///
    /// # Errors
    ///
    /// `InvalidArn`.
    pub fn delete_activity(&self, arn: &str) -> Result<(), EngineError> {
        let _mark = self.mark(arn);
        activity_arn(arn)?;
        lock(&self.shared.activity_meta).remove(arn);
        let cb = &self.shared.callbacks;
        for id in cb.activities.delete(arn) {
            let _ = cb
                .tokens
                .complete(id, Completion::Failure(activity_missing(arn)));
        }
        Ok(())
    }

    /// Waits up to `timeout` (at most 60 s) for a task of the activity `arn`; `None` when none
    /// came. Workers are served in the order they started polling.
    ///
    /// # Errors
    ///
    /// `InvalidArn`, `ActivityDoesNotExist`, `ActivityWorkerLimitExceeded`, and
    /// `ValidationException` for a worker name over 80 characters.
    pub async fn get_activity_task(
        &self,
        arn: &str,
        worker_name: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<ActivityTask>, EngineError> {
        if worker_name.is_some_and(|w| w.is_empty() || w.chars().count() > 80) {
            return Err(EngineError::too_long("workerName", 80));
        }
        let activity = self.activity(arn)?;
        let mut polled = activity
            .poll(&self.shared.callbacks.tokens, timeout.min(MAX_POLL))
            .await;
        if let Ok(Some(task)) = &mut polled {
            // The Task starts now, for this worker (its `ActivityStarted`), before the worker
            // can answer it.
            if let Some(started) = task.started.take() {
                started.taken(worker_name);
            }
        }
        polled.map_err(|e| match e {
            PollError::DoesNotExist => EngineError::activity_missing(arn),
            PollError::WorkerLimit => EngineError::new(
                ErrorKind::ActivityWorkerLimitExceeded,
                "The maximum number of workers concurrently polling for activity tasks has been reached.",
            ),
        })
    }

    /// [`Engine::get_activity_task`] for worker threads outside any async runtime.
    ///
    /// # Errors
    ///
    /// As [`Engine::get_activity_task`].
    ///
    /// # Panics
    ///
    /// When called from inside an async runtime.
    pub fn get_activity_task_blocking(
        &self,
        arn: &str,
        worker_name: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<ActivityTask>, EngineError> {
        self.handle
            .block_on(self.get_activity_task(arn, worker_name, timeout))
    }

    /// SendTaskSuccess: completes the task of `token` with `output` (JSON text).
    ///
    /// # Errors
    ///
    /// `InvalidOutput` (not JSON), `ValidationException` (over 256 KiB), `InvalidToken`,
    /// `TaskDoesNotExist`, `TaskTimedOut`.
    pub fn send_task_success(&self, token: &str, output: &str) -> Result<(), EngineError> {
        let id = self.token(token)?;
        if output.len() > MAX_PAYLOAD_BYTES {
            return Err(EngineError::too_long("output", MAX_PAYLOAD_BYTES));
        }
        let v = parse_json(output).map_err(|e| {
            EngineError::new(ErrorKind::InvalidOutput, format!("Invalid Output: '{e}'"))
        })?;
        self.complete(id, Completion::Success(v))
    }

    /// SendTaskSuccess with a value already parsed.
    ///
    /// # Errors
    ///
    /// As [`Engine::send_task_success`].
    pub fn send_task_success_value(&self, token: &str, output: Value) -> Result<(), EngineError> {
        let id = self.token(token)?;
        if crate::value::serialized_len_at_most(&output, MAX_PAYLOAD_BYTES).is_none() {
            return Err(EngineError::too_long("output", MAX_PAYLOAD_BYTES));
        }
        self.complete(id, Completion::Success(output))
    }

    /// SendTaskFailure: fails the task of `token`; its Retry and Catch see `error`.
    ///
    /// # Errors
    ///
    /// `ValidationException` (error over 256 or cause over 32,768 characters), `InvalidToken`,
    /// `TaskDoesNotExist`, `TaskTimedOut`.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), EngineError> {
        let id = self.token(token)?;
        if error.is_some_and(|e| e.chars().count() > 256) {
            return Err(EngineError::too_long("error", 256));
        }
        if cause.is_some_and(|c| c.chars().count() > 32_768) {
            return Err(EngineError::too_long("cause", 32_768));
        }
        let name = error.unwrap_or_default();
        let e = match cause {
            Some(c) => TaskError::new(name, c),
            None => TaskError::without_cause(name),
        };
        self.complete(id, Completion::Failure(e))
    }

    /// SendTaskHeartbeat: resets the `HeartbeatSeconds` clock of the task of `token`.
    ///
    /// # Errors
    ///
    /// `InvalidToken`, `TaskDoesNotExist`, `TaskTimedOut` (including a heartbeat after the
    /// task timed out).
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), EngineError> {
        let id = self.token(token)?;
        self.shared
            .callbacks
            .tokens
            .heartbeat(id)
            .map_err(|_| EngineError::task_timed_out())
    }

    fn token(&self, token: &str) -> Result<TokenId, EngineError> {
        parse(token).map_err(|e| match e {
            TokenError::Malformed => EngineError::invalid_token(),
            TokenError::NotIssued => EngineError::task_does_not_exist(),
        })
    }

    fn complete(&self, id: TokenId, c: Completion) -> Result<(), EngineError> {
        self.shared
            .callbacks
            .tokens
            .complete(id, c)
            .map_err(|_| EngineError::task_timed_out())
    }

    fn activity(&self, arn: &str) -> Result<Arc<Activity>, EngineError> {
        activity_arn(arn)?;
        self.shared
            .callbacks
            .activities
            .get(arn)
            .ok_or_else(|| EngineError::activity_missing(arn))
    }
}

fn activity_arn(arn: &str) -> Result<(), EngineError> {
    let a = parse_arn(arn)?;
    if a.kind != "activity" || a.rest.is_empty() {
        return Err(EngineError::invalid_arn(&format!(
            "Resource type not valid in this context: {}",
            a.kind
        )));
    }
    Ok(())
}
