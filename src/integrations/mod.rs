//! Tasks that do real work: Lambda functions, AWS services and the HTTP Task at endpoints,
//! and local programs.
//!
//! [`Integrations`] is what a [`Handlers`](crate::Handlers) set falls back on for a Task
//! resource no handler of the user's serves: when a machine is linked, each such Task gets the
//! integration its resource names, if the integration can be reached (its endpoint is set), and
//! the machine is refused otherwise, naming the flag that would bind it. A user's own handler
//! always wins.
//!
//! | Resource | needs | file |
//! |---|---|---|
//! | `arn:aws:lambda:…:function:F`, `lambda:invoke` | `--endpoint lambda=URL` / `LAMBDA_ENDPOINT` | `lambda.rs` |
//! | `dynamodb:getItem/putItem/updateItem/deleteItem` | `--endpoint dynamodb=URL` / `DYNAMODB_ENDPOINT` | `dynamodb.rs` |
//! | `sqs:sendMessage[.waitForTaskToken]` | `--endpoint sqs=URL` / `SQS_ENDPOINT` | `sqs.rs` |
//! | `sns:publish[.waitForTaskToken]` | `--endpoint sns=URL` / `SNS_ENDPOINT` | `sns.rs`, `query.rs` |
//! | `events:putEvents[.waitForTaskToken]` | `--endpoint events=URL` / `EVENTBRIDGE_ENDPOINT` | `events.rs` |
//! | `aws-sdk:{dynamodb,sqs,sns,eventbridge,sfn,lambda}:*` | the service's endpoint | `sdk.rs` |
//! | `arn:aws:states:::http:invoke` (the HTTP Task) | nothing; connections from `--connections FILE` | `http_task.rs`, `http_request.rs`, `connections.rs`, `oauth.rs` |
//! | distributed Map `ItemReader` / `ResultWriter` | `--s3-dir DIR` or `--endpoint s3=URL` | `s3/` |
//! | `--handler RESOURCE=http:URL`, `Handlers::http` | — | `http_handler.rs` |
//!
//! Local programs are handlers the user binds by name (`--handler R=command:...` /
//! `R=worker:...`, [`Handlers::command`](crate::Handlers::command),
//! [`Handlers::worker`](crate::Handlers::worker)): `command.rs` runs one per call, `worker.rs`
//! keeps one running and speaks JSON lines with it.
//!
//! Every call goes through one pooled HTTP client (`client.rs`), signed with SigV4
//! (`sign.rs`) using the credentials of [`AwsCredentials`]; where calls go is [`Endpoints`].
//!
//! ```
//! use aslx::integrations::{AwsCredentials, Endpoints, Integrations};
//! use aslx::Handlers;
//! let mut endpoints = Endpoints::new();
//! endpoints.set("lambda", "http://127.0.0.1:3001").unwrap();
//! let mut h = Handlers::new();
//! h.integrations(Integrations::new(endpoints, AwsCredentials::default()));
//! ```

pub(crate) mod aws;
pub(crate) mod client;
pub(crate) mod command;
mod connections;
mod dynamodb;
mod endpoints;
mod events;
pub(crate) mod http_handler;
mod http_request;
mod http_task;
mod lambda;
mod oauth;
mod optimized;
mod query;
pub(crate) mod s3;
mod sdk;
pub(crate) mod sign;
mod sns;
mod sqs;
mod url;
pub(crate) mod worker;

pub use connections::Connections;
pub use endpoints::{AwsCredentials, Endpoint, Endpoints};

use crate::compile::resource::{classify, Pattern, ResourceKind};
use crate::runtime::Handler;
use client::HttpClient;
use std::sync::{Arc, OnceLock};

/// The integrations Tasks can reach: endpoints, credentials, and the shared HTTP client.
#[derive(Debug)]
pub struct Integrations {
    endpoints: Endpoints,
    credentials: AwsCredentials,
    /// The EventBridge connections HTTP Tasks name.
    connections: Connections,
    /// Made on first use: a machine that calls nothing costs no TLS set-up.
    client: OnceLock<HttpClient>,
}

impl Integrations {
    /// Integrations at `endpoints`, signing with `credentials`.
    pub fn new(endpoints: Endpoints, credentials: AwsCredentials) -> Integrations {
        Integrations {
            endpoints,
            credentials,
            connections: Connections::new(),
            client: OnceLock::new(),
        }
    }

    /// These integrations, with `connections` for HTTP Tasks' `ConnectionArn`s.
    ///
    /// ```
    /// use aslx::integrations::{AwsCredentials, Connections, Endpoints, Integrations};
    /// let c = Connections::parse(r#"{"crm": {"AuthorizationType": "BASIC",
    ///   "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}}}}"#).unwrap();
    /// let i = Integrations::new(Endpoints::new(), AwsCredentials::default()).with_connections(c);
    /// assert_eq!(i.connections().len(), 1);
    /// ```
    pub fn with_connections(mut self, connections: Connections) -> Integrations {
        self.connections = connections;
        self
    }

    /// The connections HTTP Tasks can name.
    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    /// The endpoints and credentials the environment names ([`Endpoints::from_env`],
    /// [`AwsCredentials::from_env`]).
    ///
    /// # Errors
    ///
    /// A variable that holds no valid endpoint URL, named.
    pub fn from_env(default_region: &str) -> Result<Integrations, String> {
        Ok(Integrations::new(
            Endpoints::from_env()?,
            AwsCredentials::from_env(default_region),
        ))
    }

    /// Where calls go.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// What calls are signed with.
    pub fn credentials(&self) -> &AwsCredentials {
        &self.credentials
    }

    pub(crate) fn client(&self) -> &HttpClient {
        self.client.get_or_init(HttpClient::new)
    }

    /// The handler that serves `resource`, when an integration can.
    pub(crate) fn handler_for(self: &Arc<Self>, resource: &str) -> Option<Arc<dyn Handler>> {
        match classify(resource) {
            ResourceKind::LambdaFunction { .. } => lambda::arn_handler(self, resource),
            ResourceKind::Service {
                service,
                action,
                pattern: Pattern::RequestResponse,
            } if service == "http" && action == "invoke" => Some(http_task::handler(self)),
            ResourceKind::Service {
                service, action, ..
            } => match service.as_str() {
                "dynamodb" => dynamodb::handler(self, &action),
                "sqs" => sqs::handler(self, &action),
                "sns" => sns::handler(self, &action),
                "events" => events::handler(self, &action),
                s => sdk::handler(self, s.strip_prefix("aws-sdk:")?, &action),
            },
            _ => None,
        }
    }

    /// Whether `lambda:invoke` Tasks naming functions with no local handler go to a Lambda
    /// endpoint.
    pub(crate) fn serves_lambda(&self) -> bool {
        self.endpoints.get("lambda").is_some()
    }

    /// What would bind `resource`, for the error that refuses a machine without it.
    pub(crate) fn binding_hint(resource: &str) -> Option<String> {
        match classify(resource) {
            ResourceKind::LambdaFunction { .. } => Some(endpoints::how_to_bind("lambda")),
            ResourceKind::Service {
                service, action, ..
            } => {
                if let Some(sdk) = service.strip_prefix("aws-sdk:") {
                    if let Some(hint) = sdk::hint(sdk, &action) {
                        return Some(hint);
                    }
                }
                let service = service.strip_prefix("aws-sdk:").unwrap_or(&service);
                endpoints::canonical_service(service).map(endpoints::how_to_bind)
            }
            _ => None,
        }
    }
}

pub(crate) use lambda::invoke_whole as lambda_invoke;

/// `States.DataLimitExceeded` with no cause, for an answer too large to be a result: the VM
/// gives it the cause an oversized result gets, naming the Task's resource as AWS does
/// (the integration cannot know it: a handler may serve several resources).
pub(crate) fn too_large() -> crate::vm::TaskError {
    crate::vm::TaskError::without_cause("States.DataLimitExceeded")
}
