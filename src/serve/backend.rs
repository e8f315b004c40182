//! The server's [`Engine`]: built for the HTTP API, and the few calls the operations make
//! through it that need more than a protocol translation.
//!
//! Every execution — sync, async, STANDARD, mocked, TestState — is the engine's: the
//! operations call [`Engine`] methods (`start`, `start_sync`, `execution`, `run_once`, ...)
//! and render the answers. What is here:
//!
//! | call | does |
//! |---|---|
//! | [`Backend::poll_activity`] | the engine's activity long poll, ended at a shutdown |
//! | [`Backend::send_task_success`], [`Backend::send_task_failure`], [`Backend::heartbeat`] | the engine's task tokens |
//! | [`Backend::shutdown`] | wake long polls so the server can drain |
//!
//! Admission: the engine's `max_in_flight` bounds every execution; past it a start is
//! refused at once with `ThrottlingException` (HTTP 400).
//!
//! Callbacks in EXPRESS machines: AWS refuses `.waitForTaskToken` and activity Tasks in EXPRESS
//! machines (`InvalidDefinition`), and so does `aslx serve` by default. Started with
//! `--allow-callbacks-in-express` (the engine's `allow_callbacks_in_express(true)`), it
//! accepts and runs them, so that such flows can be tried with StartSyncExecution; this is
//! aslx's local opt-in, not AWS behaviour.
//!
//! Mock test cases (`<arn>#<case>`) are the execution's task hook
//! ([`MockRun`](super::mock::MockRun)), consulted by the engine's one driver.
//!
//! Resources with no handler: AWS accepts any well-formed resource, so machines are linked with
//! a [`Handlers::unbound`] handler that fails the Task with an explanation of how to bind one.

use super::ops::Identity;
use super::protocol::ApiError;
use crate::engine::{Engine, EngineBuilder, EngineError};
use crate::runtime::Handlers;
use crate::value::{Str, Value};
use crate::vm::TaskError;
use std::time::Duration;
use tokio::sync::watch;

/// Executions in flight at most, by default (the engine's default).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100_000;

/// The server's engine. See the module documentation.
#[derive(Debug)]
pub struct Backend {
    engine: std::sync::Arc<Engine>,
    shutdown: watch::Sender<bool>,
}

/// An engine refusal as the API answers it (same code and message).
impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        let mut a = ApiError::new(e.code(), e.message());
        a.status = e.http_status();
        a.extra = e.extra_member().map(|(k, v)| (k, v.to_string()));
        a
    }
}

impl Backend {
    /// A backend whose engine runs on `runtime`, serves Task resources with `handlers` (any
    /// other resource fails its Task with an explanation) and admits at most `max_in_flight`
    /// executions at once; otherwise with the engine's defaults (AWS's behaviour).
    ///
    /// # Errors
    ///
    /// When the engine cannot be built.
    pub fn new(
        handlers: Handlers,
        id: &Identity,
        max_in_flight: usize,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<Backend> {
        Backend::with_engine(handlers, id, runtime, |b| b.max_in_flight(max_in_flight))
    }

    /// [`Backend::new`] with more engine settings: `configure` gets the builder with the
    /// runtime, handlers and identity set (`wait_time_scale`,
    /// `allow_callbacks_in_express`, ...).
    ///
    /// # Errors
    ///
    /// When the engine cannot be built.
    pub fn with_engine(
        mut handlers: Handlers,
        id: &Identity,
        runtime: tokio::runtime::Handle,
        configure: impl FnOnce(EngineBuilder) -> EngineBuilder,
    ) -> std::io::Result<Backend> {
        // A machine with an unbound resource is created, as AWS creates it: a mock test case
        // may serve the Task. Run without one, the Task fails and says what would bind it.
        handlers.unbound(|resource, _| {
            let endpoint = crate::integrations::Integrations::binding_hint(resource)
                .map(|h| format!(", {h}"))
                .unwrap_or_default();
            Err(TaskError::new(
                "States.TaskFailed",
                format!(
                    "aslx serve: no handler is bound to resource '{resource}'; start the server with --handler '{resource}=identity' (or return:JSON, raise:ERROR:CAUSE), a --handlers-file{endpoint}, or a mock test case"
                ),
            ))
        });
        let builder = Engine::builder()
            .runtime(runtime)
            .handlers(handlers)
            .identity(&id.region, &id.account);
        Ok(Backend {
            engine: std::sync::Arc::new(configure(builder).build()?),
            shutdown: watch::channel(false).0,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine, shared (EventBridge's deliveries and schedules hold it).
    pub fn shared_engine(&self) -> std::sync::Arc<Engine> {
        std::sync::Arc::clone(&self.engine)
    }

    /// Waits up to `wait` for a task of activity `arn`: its token and input. A shutdown
    /// answers at once with no task.
    ///
    /// # Errors
    ///
    /// `ActivityDoesNotExist`, `ActivityWorkerLimitExceeded`, `ValidationException`.
    pub async fn poll_activity(
        &self,
        arn: &str,
        worker: Option<&str>,
        wait: Duration,
    ) -> Result<Option<(Str, Value)>, ApiError> {
        let mut stop = self.shutdown.subscribe();
        if *stop.borrow() {
            return Ok(None);
        }
        tokio::select! {
            got = self.engine.get_activity_task(arn, worker, wait) => {
                Ok(got?.map(|t| (t.task_token, t.input)))
            }
            _ = stop.changed() => Ok(None),
        }
    }

    /// SendTaskSuccess.
    ///
    /// # Errors
    ///
    /// `InvalidOutput`, `InvalidToken`, `TaskDoesNotExist`, `TaskTimedOut`.
    pub fn send_task_success(&self, token: &str, output: &str) -> Result<(), ApiError> {
        Ok(self.engine.send_task_success(token, output)?)
    }

    /// SendTaskFailure.
    ///
    /// # Errors
    ///
    /// `InvalidToken`, `TaskDoesNotExist`, `TaskTimedOut`.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), ApiError> {
        Ok(self.engine.send_task_failure(token, error, cause)?)
    }

    /// SendTaskHeartbeat.
    ///
    /// # Errors
    ///
    /// As [`Backend::send_task_failure`].
    pub fn heartbeat(&self, token: &str) -> Result<(), ApiError> {
        Ok(self.engine.send_task_heartbeat(token)?)
    }

    /// Wakes every long poll (they answer with no task) and refuses new ones.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}
