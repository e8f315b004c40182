//! The Context object (`$$`, CTX-1..CTX-6), built only for states whose fields read it.

use crate::asl::timestamp::format_millis;
use crate::value::{Map, Str, Value};
use std::sync::OnceLock;

/// What an execution knows about itself: the `Execution` and `StateMachine` parts of the
/// Context object. Shared by every state of the execution.
///
/// The execution's ARN and (generated) name are formatted on first use: an execution that
/// never reads `$$.Execution` and is never logged costs no string formatting for them.
///
/// ```
/// use aslx::ExecutionInfo;
/// let info = ExecutionInfo::anonymous("orders", 0);
/// assert!(info.id().starts_with("arn:aws:states:us-east-1:111111111111:express:orders:"));
/// assert!(info.id().contains(&**info.name()));
/// ```
#[derive(Clone, Debug)]
pub struct ExecutionInfo {
    /// Execution ARN; derived from the other fields unless set.
    id: OnceLock<Str>,
    /// Execution name; a UUID derived from `uuid` unless set.
    name: OnceLock<Str>,
    /// `true` once `id` was given rather than derived.
    id_given: bool,
    /// Random bits behind the generated name and the express ARN's UUID suffix.
    uuid: u128,
    /// `false` for the STANDARD ARN form `...:execution:<machine>:<name>`.
    express: bool,
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
    /// The deadline and stop request that end a long computation of the execution.
    control: super::interrupt::Control,
}

// PERF: as small as before the control was added (see `vm::interrupt::Control`).
const _: () = assert!(std::mem::size_of::<ExecutionInfo>() <= 160);

impl ExecutionInfo {
    /// Defaults for an anonymous machine `name` in `us-east-1`, account `111111111111`.
    pub fn anonymous(machine_name: &str, start_ms: i64) -> ExecutionInfo {
        ExecutionInfo::new(
            Str::from(format!(
                "arn:aws:states:us-east-1:111111111111:stateMachine:{machine_name}"
            )),
            Str::from(machine_name),
            Str::from("arn:aws:iam::111111111111:role/aslx"),
            None,
            start_ms,
            true,
        )
    }

    /// An execution of the machine `machine_id` (its ARN) named `name`, or a generated UUID
    /// name when `None`. `express` selects the ARN form: `...:express:<machine>:<name>:<uuid>`
    /// or `...:execution:<machine>:<name>`. Nothing is formatted until asked for.
    pub fn new(
        machine_id: Str,
        machine_name: Str,
        role_arn: Str,
        name: Option<Str>,
        start_ms: i64,
        express: bool,
    ) -> ExecutionInfo {
        ExecutionInfo {
            id: OnceLock::new(),
            name: name.map_or_else(OnceLock::new, OnceLock::from),
            id_given: false,
            uuid: rand::random(),
            express,
            role_arn,
            start_ms,
            machine_id,
            machine_name,
            redrive_count: None,
            control: Default::default(),
        }
    }

    /// The execution's deadline and stop request (see the `vm::interrupt` module).
    pub(crate) fn control(&self) -> &super::interrupt::Control {
        &self.control
    }

    /// Sets the execution's deadline, `max_duration` after its start.
    pub(crate) fn set_deadline(&mut self, max_duration: std::time::Duration) {
        self.control.set_deadline(max_duration);
    }

    /// Execution ARN (`$$.Execution.Id`).
    pub fn id(&self) -> &Str {
        self.id.get_or_init(|| Str::from(self.format_arn()))
    }

    /// Execution name (`$$.Execution.Name`).
    pub fn name(&self) -> &Str {
        self.name
            .get_or_init(|| Str::from(uuid_text(self.uuid.rotate_left(64) ^ NAME_SALT)))
    }

    /// Replaces the execution ARN.
    pub fn set_id(&mut self, id: Str) {
        self.id = OnceLock::from(id);
        self.id_given = true;
    }

    /// Replaces the execution name (and the ARN derived from it, unless one was set).
    pub fn set_name(&mut self, name: Str) {
        self.name = OnceLock::from(name);
        if !self.id_given {
            self.id = OnceLock::new();
        }
    }

    fn format_arn(&self) -> String {
        // The machine ARN `arn:<p>:states:<r>:<a>:stateMachine:<m>` gives every part.
        let (prefix, machine) = self
            .machine_id
            .split_once(":stateMachine:")
            .unwrap_or((&self.machine_id, &self.machine_name));
        let name = self.name();
        if self.express {
            format!("{prefix}:express:{machine}:{name}:{}", uuid_text(self.uuid))
        } else {
            format!("{prefix}:execution:{machine}:{name}")
        }
    }
}

/// Keeps the generated name's UUID apart from the ARN's.
const NAME_SALT: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;

/// A version-4 UUID's text from random bits.
fn uuid_text(bits: u128) -> String {
    uuid::Builder::from_random_bytes(bits.to_le_bytes())
        .into_uuid()
        .to_string()
}

/// Builds the Context object for the current state; `task_token` only inside the Parameters
/// of a callback or activity Task (CTX-6).
pub(crate) fn context_object(
    info: &ExecutionInfo,
    input: &Value,
    state: &Str,
    entered_ms: i64,
    retry_count: Option<u32>,
    task_token: Option<&Str>,
) -> Value {
    let mut exec = Map::with_capacity(7);
    exec.insert("Id".into(), Value::String(info.id().clone()));
    exec.insert("Input".into(), input.clone());
    exec.insert("Name".into(), Value::String(info.name().clone()));
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
    let mut ctx = Map::with_capacity(4);
    ctx.insert("Execution".into(), Value::object(exec));
    ctx.insert("State".into(), Value::object(st));
    ctx.insert("StateMachine".into(), Value::object(sm));
    if let Some(t) = task_token {
        let mut task = Map::with_capacity(1);
        task.insert("Token".into(), Value::String(t.clone()));
        ctx.insert("Task".into(), Value::object(task));
    }
    Value::object(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_derived_from_the_machine_and_follow_renames() {
        let mut info = ExecutionInfo::new(
            Str::from("arn:aws:states:eu-west-1:123:stateMachine:m"),
            Str::from("m"),
            Str::from("arn:aws:iam::123:role/r"),
            Some(Str::from("run-1")),
            0,
            false,
        );
        assert_eq!(
            &**info.id(),
            "arn:aws:states:eu-west-1:123:execution:m:run-1"
        );
        info.set_name(Str::from("run-2"));
        assert_eq!(
            &**info.id(),
            "arn:aws:states:eu-west-1:123:execution:m:run-2"
        );
        info.set_id(Str::from("x"));
        info.set_name(Str::from("run-3"));
        assert_eq!(&**info.id(), "x");
    }

    #[test]
    fn generated_names_are_uuids_distinct_from_the_arn_suffix() {
        let info = ExecutionInfo::anonymous("m", 0);
        let name = info.name().to_string();
        assert_eq!(name.len(), 36);
        let id = info.id().to_string();
        let suffix = id.rsplit(':').next().unwrap();
        assert_eq!(suffix.len(), 36);
        assert_ne!(suffix, name);
        assert!(id.ends_with(&format!(":express:m:{name}:{suffix}")));
    }
}
