//! The operations of the Step Functions API: each decodes its request, calls the engine and
//! encodes the answer. The engine keeps every record (machines, versions, aliases, activities,
//! tags, executions); nothing here holds state.

mod activities;
mod events;
mod executions;
mod logs;
mod machines;
mod tags;
mod test_state;
mod versions;

pub(crate) use events::EVENT_OPERATIONS;
pub(crate) use logs::LOG_OPERATIONS;

use super::backend::Backend;
use super::mock::MockConfig;
use super::protocol::{paginate, read_page_token, ApiError, Req};
use serde_json::{Map, Value as Json};

/// Where the service lives: the region and account in its ARNs.
#[derive(Clone, Debug)]
pub struct Identity {
    /// `aws`.
    pub partition: String,
    /// `us-east-1`.
    pub region: String,
    /// `111111111111`.
    pub account: String,
}

/// The Step Functions API, answered by the engine.
#[derive(Debug)]
pub struct Service {
    id: Identity,
    backend: Backend,
    mocks: Option<MockConfig>,
    /// EventBridge's buses and rules, over the same engine.
    events: std::sync::Arc<crate::events::EventBridge>,
    /// The log groups the CloudWatch Logs operations read (`--log-dir`).
    log_dir: Option<crate::engine::LogDir>,
}

/// An operation's answer: the JSON body of a 200.
pub type OpResult = Result<Vec<u8>, ApiError>;

fn json_body(v: Json) -> OpResult {
    serde_json::to_vec(&v).map_err(|e| ApiError::internal(e.to_string()))
}

/// One page of a list answer: `keyed` holds the items sorted by key; the answer has them
/// under `member`, and `nextToken` when more remain (P-10).
fn list_page(
    member: &str,
    kind: &str,
    keyed: Vec<(String, Json)>,
    token: Option<&str>,
    size: usize,
) -> OpResult {
    list_page_of(member, kind, keyed, token, size, |j| j)
}

/// [`list_page`] over items made JSON only once on the page: a list of many items (a
/// machine's executions, a long history) costs one JSON object per item answered, not one
/// per item listed, on every page.
fn list_page_of<T>(
    member: &str,
    kind: &str,
    keyed: Vec<(String, T)>,
    token: Option<&str>,
    size: usize,
    to_json: impl FnMut(T) -> Json,
) -> OpResult {
    paged((member, "nextToken"), kind, keyed, token, size, to_json)
}

/// One page, its items under `members.0` and the next token under `members.1` (`nextToken`
/// in the Step Functions API, `NextToken` in EventBridge's).
fn paged<T>(
    members: (&str, &str),
    kind: &str,
    mut keyed: Vec<(String, T)>,
    token: Option<&str>,
    size: usize,
    to_json: impl FnMut(T) -> Json,
) -> OpResult {
    let after = token.map(|t| read_page_token(kind, t)).transpose()?;
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = paginate(keyed, |e| e.0.as_str(), kind, after.as_deref(), size);
    let items: Vec<Json> = page.into_iter().map(|e| e.1).map(to_json).collect();
    let mut out = Map::new();
    out.insert(members.0.into(), Json::Array(items));
    if let Some(n) = next {
        out.insert(members.1.into(), Json::from(n));
    }
    json_body(Json::Object(out))
}

/// A request body: a JSON object (an empty body is `{}`).
pub(crate) fn request_object(body: &[u8]) -> Result<Map<String, Json>, ApiError> {
    let parsed: Json = if body.iter().all(u8::is_ascii_whitespace) {
        Json::Object(Map::new())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::serialization(format!("The request body is not valid JSON: {e}"))
        })?
    };
    match parsed {
        Json::Object(obj) => Ok(obj),
        _ => Err(ApiError::serialization(
            "The request body must be a JSON object",
        )),
    }
}

/// The members that hold ARNs. The engine also takes plain names where the API takes ARNs;
/// the API does not: text that does not start as an ARN is `InvalidArn` (ID-2).
const ARN_MEMBERS: &[&str] = &[
    "stateMachineArn",
    "executionArn",
    "activityArn",
    "resourceArn",
    "stateMachineVersionArn",
    "stateMachineAliasArn",
];

fn names_no_arn(obj: &Map<String, Json>) -> Result<(), ApiError> {
    // The request's few members are walked, not the list looked up in the request.
    for (k, v) in obj {
        if let Json::String(s) = v {
            if !s.is_empty()
                && s.len() <= 256
                && !s.starts_with("arn:")
                && ARN_MEMBERS.contains(&k.as_str())
            {
                return Err(ApiError::invalid_arn(&format!("Invalid ARN prefix: {s}")));
            }
        }
    }
    Ok(())
}

/// Every operation this server answers, as `X-Amz-Target` names it after `AWSStepFunctions.`.
pub const OPERATIONS: &[&str] = &[
    "CreateStateMachine",
    "DescribeStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "ListStateMachines",
    "ValidateStateMachineDefinition",
    "StartExecution",
    "StartSyncExecution",
    "DescribeExecution",
    "DescribeStateMachineForExecution",
    "StopExecution",
    "ListExecutions",
    "GetExecutionHistory",
    "CreateActivity",
    "DescribeActivity",
    "DeleteActivity",
    "ListActivities",
    "GetActivityTask",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "TestState",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "DescribeStateMachineAlias",
    "UpdateStateMachineAlias",
    "DeleteStateMachineAlias",
    "ListStateMachineAliases",
];

impl Service {
    /// A service over `backend`'s engine.
    pub fn new(id: Identity, backend: Backend, mocks: Option<MockConfig>) -> Service {
        let events =
            crate::events::EventBridge::new(backend.shared_engine(), &id.region, &id.account);
        Service {
            id,
            backend,
            mocks,
            events,
            log_dir: None,
        }
    }

    /// Answers the CloudWatch Logs operations from the log groups under `dir` (the
    /// directory the engine's [`LogSink::directory`](crate::engine::LogSink::directory)
    /// writes).
    pub fn with_log_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Service {
        self.log_dir = Some(crate::engine::LogDir::new(dir));
        self
    }

    /// The region and account of this service's ARNs.
    pub fn identity(&self) -> &Identity {
        &self.id
    }

    /// The execution backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// EventBridge over this service's engine (PutEvents, rules, schedules).
    pub fn events(&self) -> &std::sync::Arc<crate::events::EventBridge> {
        &self.events
    }

    /// The engine every operation is answered by.
    pub(crate) fn engine(&self) -> &crate::engine::Engine {
        self.backend.engine()
    }

    /// Answers one request: `op` is the operation name, `body` the JSON request,
    /// `trace_header` the `X-Amzn-Trace-Id` header.
    pub async fn call(&self, op: &str, body: &[u8], trace_header: Option<&str>) -> OpResult {
        if !OPERATIONS.contains(&op) {
            return Err(ApiError::unknown_operation(op));
        }
        let obj = request_object(body)?;
        names_no_arn(&obj)?;
        let r = Req::new(&obj);
        let answer = self.answer(op, r, trace_header).await;
        // A change to machines or activities is answered once the catalog has it (--data-dir).
        if self.engine().catalog_pending() {
            self.engine().sync_catalog().await?;
        }
        answer
    }

    async fn answer(&self, op: &str, r: Req<'_>, trace_header: Option<&str>) -> OpResult {
        match op {
            "CreateStateMachine" => self.create_state_machine(r),
            "DescribeStateMachine" => self.describe_state_machine(r),
            "UpdateStateMachine" => self.update_state_machine(r),
            "DeleteStateMachine" => self.delete_state_machine(r),
            "ListStateMachines" => self.list_state_machines(r),
            "ValidateStateMachineDefinition" => self.validate_definition(r),
            "StartExecution" => self.start_execution(r, trace_header).await,
            "StartSyncExecution" => self.start_sync_execution(r, trace_header).await,
            "DescribeExecution" => self.describe_execution(r),
            "DescribeStateMachineForExecution" => self.describe_machine_for_execution(r),
            "StopExecution" => self.stop_execution(r),
            "ListExecutions" => self.list_executions(r),
            "GetExecutionHistory" => self.get_execution_history(r),
            "CreateActivity" => self.create_activity(r),
            "DescribeActivity" => self.describe_activity(r),
            "DeleteActivity" => self.delete_activity(r),
            "ListActivities" => self.list_activities(r),
            "GetActivityTask" => self.get_activity_task(r).await,
            "SendTaskSuccess" => self.send_task_success(r),
            "SendTaskFailure" => self.send_task_failure(r),
            "SendTaskHeartbeat" => self.send_task_heartbeat(r),
            "TagResource" => self.tag_resource(r),
            "UntagResource" => self.untag_resource(r),
            "ListTagsForResource" => self.list_tags(r),
            "TestState" => self.test_state(r).await,
            "PublishStateMachineVersion" => self.publish_version(r),
            "ListStateMachineVersions" => self.list_versions(r),
            "DeleteStateMachineVersion" => self.delete_version(r),
            "CreateStateMachineAlias" => self.create_alias(r),
            "DescribeStateMachineAlias" => self.describe_alias(r),
            "UpdateStateMachineAlias" => self.update_alias(r),
            "DeleteStateMachineAlias" => self.delete_alias(r),
            "ListStateMachineAliases" => self.list_aliases(r),
            _ => Err(ApiError::unknown_operation(op)),
        }
    }
}
