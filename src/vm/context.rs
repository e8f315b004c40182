//! The Context object (`$$`, CTX-1..CTX-5), built only for states whose fields read it.

use crate::asl::timestamp::format_millis;
use crate::value::{Map, Str, Value};

/// What an execution knows about itself: the `Execution` and `StateMachine` parts of the
/// Context object. Shared by every state of the execution.
#[derive(Clone, Debug)]
pub struct ExecutionInfo {
    /// Execution ARN (`$$.Execution.Id`).
    pub id: Str,
    /// Execution name.
    pub name: Str,
    /// Role ARN.
    pub role_arn: Str,
    /// Start time, epoch milliseconds.
    pub start_ms: i64,
    /// State machine ARN.
    pub machine_id: Str,
    /// State machine name.
    pub machine_name: Str,
    /// `Some(0)` for async express and standard executions; absent for sync express (CTX-2).
    pub redrive_count: Option<u32>,
}

impl ExecutionInfo {
    /// Defaults for an anonymous machine `name` in `us-east-1`, account `111111111111`.
    pub fn anonymous(machine_name: &str, start_ms: i64) -> ExecutionInfo {
        let exec = uuid::Uuid::new_v4().to_string();
        ExecutionInfo {
            id: Str::from(format!(
                "arn:aws:states:us-east-1:111111111111:express:{machine_name}:{exec}:{}",
                uuid::Uuid::new_v4()
            )),
            name: Str::from(exec),
            role_arn: Str::from("arn:aws:iam::111111111111:role/aslx"),
            start_ms,
            machine_id: Str::from(format!(
                "arn:aws:states:us-east-1:111111111111:stateMachine:{machine_name}"
            )),
            machine_name: Str::from(machine_name),
            redrive_count: None,
        }
    }
}

/// Builds the Context object for the current state.
pub(crate) fn context_object(
    info: &ExecutionInfo,
    input: &Value,
    state: &Str,
    entered_ms: i64,
    retry_count: Option<u32>,
) -> Value {
    let mut exec = Map::with_capacity(7);
    exec.insert("Id".into(), Value::String(info.id.clone()));
    exec.insert("Input".into(), input.clone());
    exec.insert("Name".into(), Value::String(info.name.clone()));
    exec.insert("RoleArn".into(), Value::String(info.role_arn.clone()));
    exec.insert(
        "StartTime".into(),
        Value::from(format_millis(info.start_ms)),
    );
    if let Some(r) = info.redrive_count {
        exec.insert("RedriveCount".into(), Value::Int(r.into()));
    }
    let mut st = Map::with_capacity(3);
    st.insert("EnteredTime".into(), Value::from(format_millis(entered_ms)));
    st.insert("Name".into(), Value::String(state.clone()));
    if let Some(r) = retry_count {
        st.insert("RetryCount".into(), Value::Int(r.into()));
    }
    let mut sm = Map::with_capacity(2);
    sm.insert("Id".into(), Value::String(info.machine_id.clone()));
    sm.insert("Name".into(), Value::String(info.machine_name.clone()));
    let mut ctx = Map::with_capacity(3);
    ctx.insert("Execution".into(), Value::object(exec));
    ctx.insert("State".into(), Value::object(st));
    ctx.insert("StateMachine".into(), Value::object(sm));
    Value::object(ctx)
}
