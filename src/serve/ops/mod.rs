//! The operations of the Step Functions API over in-memory records.
//!
//! [`Service`] owns what the API shows (state machines, activities, tags, STANDARD execution
//! records) and reaches executions only through the [`Backend`] seam.

mod activities;
mod executions;
mod logs;
mod machines;
mod tags;
mod test_state;

use super::backend::Backend;
use super::mock::MockConfig;
use super::protocol::{paginate, parse_arn, read_page_token, ApiError, Req};
use crate::asl::MachineType;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

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

impl Identity {
    fn arn(&self, kind: &str, rest: &str) -> String {
        format!(
            "arn:{}:states:{}:{}:{kind}:{rest}",
            self.partition, self.region, self.account
        )
    }
}

/// A state machine as the API shows it.
#[derive(Clone, Debug)]
pub(crate) struct MachineRec {
    pub arn: String,
    pub name: String,
    pub machine_type: MachineType,
    pub definition: String,
    pub role_arn: String,
    pub creation_ms: i64,
    pub update_ms: i64,
    pub revision_id: String,
    pub logging: Option<Json>,
    pub tracing: Option<Json>,
    pub encryption: Option<Json>,
    pub publish: bool,
    pub version_description: Option<String>,
}

impl MachineRec {
    /// The record of a machine the API no longer has, from the version an execution ran.
    pub(crate) fn from_engine(m: &crate::engine::MachineInfo) -> MachineRec {
        MachineRec {
            arn: m.arn.to_string(),
            name: m.name.to_string(),
            machine_type: m.machine_type,
            definition: m.definition.to_string(),
            role_arn: m.role_arn.to_string(),
            creation_ms: m.created_ms,
            update_ms: m.updated_ms,
            revision_id: m.revision.to_string(),
            logging: None,
            tracing: None,
            encryption: None,
            publish: false,
            version_description: None,
        }
    }
}

/// An activity.
#[derive(Clone, Debug)]
pub(crate) struct ActivityRec {
    pub arn: String,
    pub name: String,
    pub creation_ms: i64,
    pub encryption: Option<Json>,
}

/// The Step Functions API over in-memory records.
#[derive(Debug)]
pub struct Service {
    id: Identity,
    backend: Backend,
    mocks: Option<MockConfig>,
    machines: RwLock<BTreeMap<String, Arc<MachineRec>>>,
    activities: RwLock<BTreeMap<String, ActivityRec>>,
    tags: Mutex<HashMap<String, Vec<(String, String)>>>,
    /// The log groups the CloudWatch Logs operations read (`--log-dir`).
    log_dir: Option<crate::engine::LogDir>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|p| p.into_inner())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
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
    let after = token.map(|t| read_page_token(kind, t)).transpose()?;
    let (page, next) = paginate(keyed, |e| e.0.as_str(), kind, after.as_deref(), size);
    let items: Vec<Json> = page.into_iter().map(|e| e.1).collect();
    let mut out = Map::new();
    out.insert(member.into(), Json::Array(items));
    if let Some(n) = next {
        out.insert("nextToken".into(), Json::from(n));
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
];

impl Service {
    /// A service with no records.
    pub fn new(id: Identity, backend: Backend, mocks: Option<MockConfig>) -> Service {
        Service {
            id,
            backend,
            mocks,
            machines: RwLock::new(BTreeMap::new()),
            activities: RwLock::new(BTreeMap::new()),
            tags: Mutex::new(HashMap::new()),
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

    /// The execution backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Answers one request: `op` is the operation name, `body` the JSON request,
    /// `trace_header` the `X-Amzn-Trace-Id` header.
    pub async fn call(&self, op: &str, body: &[u8], trace_header: Option<&str>) -> OpResult {
        if !OPERATIONS.contains(&op) {
            return Err(ApiError::unknown_operation(op));
        }
        let obj = request_object(body)?;
        let r = Req::new(&obj);
        match op {
            "CreateStateMachine" => self.create_state_machine(r),
            "DescribeStateMachine" => self.describe_state_machine(r),
            "UpdateStateMachine" => self.update_state_machine(r),
            "DeleteStateMachine" => self.delete_state_machine(r),
            "ListStateMachines" => self.list_state_machines(r),
            "ValidateStateMachineDefinition" => self.validate_definition(r),
            "StartExecution" => self.start_execution(r, trace_header),
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
            _ => Err(ApiError::unknown_operation(op)),
        }
    }

    /// The machine an ARN names: unqualified, or qualified by a version or alias (which
    /// resolve to the latest revision here: versions and aliases are not kept).
    fn machine_by_arn(&self, arn: &str) -> Result<Arc<MachineRec>, ApiError> {
        let a = parse_arn(arn)?;
        if a.kind != "stateMachine" {
            return Err(ApiError::invalid_arn(&format!(
                "Resource type not valid in this context: {}",
                a.kind
            )));
        }
        let name = a.rest.split(':').next().unwrap_or(a.rest);
        if a.region != self.id.region || a.account != self.id.account {
            return Err(ApiError::machine_does_not_exist(arn));
        }
        read(&self.machines)
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::machine_does_not_exist(arn))
    }
}
