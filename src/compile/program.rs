//! The compiled form of a state machine: the only types the VM sees.
//!
//! Everything that can be decided before the first input is decided here: `Next` is an index,
//! paths and templates are parsed, Choice rules are predicate trees over compiled paths, error
//! names are small sets with the `States.ALL` / `States.TaskFailed` rules folded in, and each
//! Task knows which handler slot it calls. A [`Program`] is immutable and shared behind an
//! `Arc` by every execution of its machine.

use super::choice::Predicate;
use super::template::Template;
use crate::jsonata;
use crate::path::{Expr, Path};
use crate::value::{Str, Value};
use smallvec::SmallVec;

/// Position of a state inside one compiled [`Program`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateId(pub(crate) u32);

impl StateId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a Task call site; the linker binds each to a handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskId(pub(crate) u32);

impl TaskId {
    /// The slot number.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a scope: the top level (0), a Parallel branch or a Map processor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScopeId(pub(crate) u32);

impl ScopeId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// One `StartAt` + `States` of the definition, flattened into the program's state array.
#[derive(Debug)]
pub(crate) struct ScopeInfo {
    pub start: StateId,
    /// `true` when a state of this scope, or of a scope nested in it, can wait (Task, Wait):
    /// only then do its executions need the runtime; otherwise they run inline in the VM.
    pub can_wait: bool,
}

/// A compiled state machine.
///
/// The states of every scope (the top level, each Parallel branch, each Map processor) live in
/// one flat array; a scope is its start state plus the states its transitions reach.
#[derive(Debug)]
pub struct Program {
    pub(crate) states: Box<[State]>,
    pub(crate) scopes: Box<[ScopeInfo]>,
    pub(crate) start: StateId,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) tasks: Box<[TaskSite]>,
    /// `true` when some state can wait (Task, Wait): the runtime may otherwise run inline.
    pub(crate) can_wait: bool,
    /// `true` when some state reads the Context object: only then does an execution keep
    /// its input for `$$.Execution.Input`.
    pub(crate) uses_context: bool,
    /// How long Wait states and retry intervals last, relative to what the definition says
    /// (Step Functions Local's `WAIT_TIME_SCALE`): 1 by default, 0 for no waiting at all.
    pub(crate) wait_scale: f64,
}

const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Program>();
};

impl Program {
    /// Scales a wait from `now_ms` until `until_ms` by [`Program::wait_scale`].
    #[inline]
    pub(crate) fn scaled_wait(&self, now_ms: i64, until_ms: i64) -> i64 {
        if self.wait_scale == 1.0 || until_ms <= now_ms {
            return until_ms;
        }
        now_ms + ((until_ms - now_ms) as f64 * self.wait_scale) as i64
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// `true` for a program with no states (never produced by the compiler).
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The Task call sites, in state order.
    pub fn tasks(&self) -> &[TaskSite] {
        &self.tasks
    }

    /// Name of a state.
    pub fn state_name(&self, id: StateId) -> &str {
        &self.states[id.index()].name
    }

    /// Top-level `TimeoutSeconds`.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }

    /// `true` when an execution can need to wait (a Task or a Wait state).
    pub fn can_wait(&self) -> bool {
        self.can_wait
    }

    /// The first state, if any, whose distributed Map reads or writes Amazon S3
    /// (`ItemReader`, or a `ResultWriter` with a `Resource`): it needs an S3 backend.
    pub fn s3_state(&self) -> Option<&str> {
        self.states.iter().find_map(|s| match &s.op {
            Op::Map(m) if m.reader.is_some() || m.writer.as_ref().is_some_and(|w| w.export) => {
                Some(&*s.name)
            }
            _ => None,
        })
    }
}

/// A Task call site: what the linker needs to bind it.
#[derive(Clone, Debug)]
pub struct TaskSite {
    /// The `Resource` string.
    pub resource: Str,
    /// The state's name.
    pub state: Str,
    /// How results and errors are shaped.
    pub integration: Integration,
    /// What the Task waits for: the handler's answer, or a task token's completion.
    pub wait: TaskWait,
    /// Whether its handler is told the execution's identity (`events:putEvents`, which adds
    /// the machine's and the execution's ARNs to each event's `Resources`).
    pub needs_execution: bool,
}

/// What a Task waits for before it completes (RES-3, RES-5, RES-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskWait {
    /// The handler's answer (request-response, and `.sync` run in-process).
    Response,
    /// `.waitForTaskToken`: the handler is called with `$$.Task.Token` available, then the Task
    /// waits for SendTaskSuccess/Failure on that token.
    Callback,
    /// An activity ARN: the input is handed to a GetActivityTask poller with a token.
    Activity,
}

impl TaskWait {
    /// `true` when the Task is completed through a task token.
    pub fn uses_token(self) -> bool {
        self != TaskWait::Response
    }
}

/// How a Task's handler is found and its result shaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Integration {
    /// A Lambda function by ARN: the result is the function's value (RES-1).
    LambdaArn {
        /// Function name.
        function: Str,
    },
    /// `arn:aws:states:::lambda:invoke`: `Parameters.FunctionName` picks the function, the result
    /// is the invoke envelope (RES-2).
    LambdaInvoke,
    /// Any other resource: the handler registered under the exact string.
    Exact,
}

/// One state.
#[derive(Debug)]
pub(crate) struct State {
    pub name: Str,
    pub location: Box<str>,
    pub io: Io,
    pub next: Next,
    pub op: Op,
}

/// Where a state goes when it completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    State(StateId),
    End,
    /// Choice / Succeed / Fail decide for themselves.
    None,
}

/// InputPath / OutputPath.
#[derive(Debug)]
pub(crate) enum Select {
    /// `$` (the default): the value itself.
    All,
    /// `null`: `{}` (IO-5).
    Empty,
    Path(Path),
}

/// ResultPath.
#[derive(Debug)]
pub(crate) enum Merge {
    /// `$` (default): the result replaces the input.
    Replace,
    /// `null`: the result is discarded.
    Discard,
    Path(Path),
}

#[derive(Debug)]
pub(crate) struct Io {
    pub input_path: Select,
    pub output_path: Select,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: Merge,
    pub retry: Box<[Retrier]>,
    pub catch: Box<[Catcher]>,
    /// `Assign` (VAR-1): evaluated when the state succeeds.
    pub assign: Option<Template>,
    /// Whether any field of this state reads `$$`: only then is a Context object built.
    pub uses_context: bool,
    /// The JSONata fields of a JSONata state (QL-*, JA-*); `None` for a JSONPath state, whose
    /// fields are the ones above. In a JSONata state those JSONPath fields keep their
    /// defaults and the VM reads this instead, branching once per state.
    pub jsonata: Option<Box<JsonataIo>>,
}

/// The fields of a JSONata state, compiled (JA-1..JA-9). Each field value is a
/// [`jsonata::Template`]: a literal where it holds no `{% %}` expression.
#[derive(Debug)]
pub(crate) struct JsonataIo {
    /// `Arguments` (Task, Parallel): the effective input (JA-6); absent = the state input.
    pub arguments: Option<jsonata::Template>,
    /// `Output` (JA-7); absent = the result (Task, Map, Parallel) or the state input.
    pub output: Option<jsonata::Template>,
    /// `Assign` (VAR-7).
    pub assign: Option<jsonata::Template>,
    /// `Output` and `Assign` of each catcher, in the order of [`Io::catch`].
    pub catchers: Box<[JsonataCatcher]>,
    /// The type-specific fields.
    pub op: JsonataOp,
}

/// A catcher's JSONata fields (CAT-3): `$states.errorOutput` is the Error Output.
#[derive(Debug, Default)]
pub(crate) struct JsonataCatcher {
    /// `Output`; absent = the Error Output.
    pub output: Option<jsonata::Template>,
    pub assign: Option<jsonata::Template>,
}

/// A typed field of a JSONata state (JA-8): a literal the parser checked, or an expression
/// whose value is checked when it runs.
#[derive(Debug)]
pub(crate) enum Typed<T> {
    Const(T),
    Expr(jsonata::Expression),
}

/// The type-specific JSONata fields. Where a JSONata state has them, the matching parts of
/// [`Op`] are empty (a Choice's rules, a Wait's duration, a Fail's fields, a Map's items and
/// limits): the VM reads these.
#[derive(Debug)]
pub(crate) enum JsonataOp {
    /// Pass, Succeed, Parallel: nothing beyond [`JsonataIo`].
    Plain,
    Task {
        timeout: Option<Typed<u64>>,
        heartbeat: Option<Typed<u64>>,
    },
    Choice {
        rules: Box<[JsonataRule]>,
    },
    Wait(JsonataWait),
    Fail {
        error: Option<Typed<Str>>,
        cause: Option<Typed<Str>>,
    },
    Map(Box<JsonataMap>),
}

/// A JSONata Choice rule (CH-3).
#[derive(Debug)]
pub(crate) struct JsonataRule {
    /// `Condition`: a boolean literal or an expression.
    pub condition: Typed<bool>,
    pub next: StateId,
    pub output: Option<jsonata::Template>,
    pub assign: Option<jsonata::Template>,
}

/// How long a JSONata Wait state waits.
#[derive(Debug)]
pub(crate) enum JsonataWait {
    Seconds(Typed<u64>),
    /// Epoch milliseconds, or an expression giving a timestamp string.
    Timestamp(Typed<i64>),
}

/// A JSONata Map's fields (MAP-2, MAP-3, MAP-4, MAP-9).
#[derive(Debug)]
pub(crate) struct JsonataMap {
    /// `Items`; absent = the state input, which must be an array.
    pub items: Option<jsonata::Template>,
    pub item_selector: Option<jsonata::Template>,
    pub max_concurrency: Option<Typed<u64>>,
    pub tolerated_count: Option<Typed<f64>>,
    pub tolerated_percentage: Option<Typed<f64>>,
}

#[derive(Debug)]
pub(crate) enum Op {
    Pass {
        result: Option<Value>,
        /// Serialized size of `result`.
        result_bytes: usize,
    },
    Task(Box<Task>),
    Choice(Box<Choice>),
    Wait(Box<Wait>),
    Succeed,
    Fail(Box<Fail>),
    Parallel(Box<Parallel>),
    Map(Box<MapOp>),
}

/// A Parallel state: one scope per branch (PAR-1).
#[derive(Debug)]
pub(crate) struct Parallel {
    pub branches: Box<[ScopeId]>,
}

/// A Map state (MAP-*).
#[derive(Debug)]
pub(crate) struct MapOp {
    pub processor: ScopeId,
    /// `ProcessorConfig.Mode: DISTRIBUTED`: run in-process, with the distributed limits.
    pub distributed: bool,
    /// `ItemsPath`; `None` = `$`.
    pub items_path: Option<Path>,
    /// `ItemSelector` or the legacy `Parameters` (MAP-3).
    pub item_selector: Option<Template>,
    /// `MaxConcurrency` (0 = unlimited) or `MaxConcurrencyPath`.
    pub max_concurrency: Option<Num>,
    pub tolerated_count: Option<Tolerance>,
    pub tolerated_percentage: Option<Tolerance>,
    pub batcher: Option<Batcher>,
    /// `ItemReader`: the items come from S3 (MAP-10), through the driver.
    pub reader: Option<Box<super::map_io::ItemReader>>,
    /// `ResultWriter` (MAP-12).
    pub writer: Option<Box<super::map_io::ResultWriter>>,
    /// `Label`, used in the Map Run's ARN (MAP-13).
    pub label: Option<Str>,
}

/// A `ToleratedFailure*` value: literal or read through a path.
#[derive(Debug)]
pub(crate) enum Tolerance {
    Const(f64),
    Path(Path),
}

/// `ItemBatcher` (MAP-11).
#[derive(Debug)]
pub(crate) struct Batcher {
    pub max_items: Option<Num>,
    pub max_bytes: Option<Num>,
    pub batch_input: Option<Template>,
}

impl Op {
    /// The state's `Type`, as definitions and history event names spell it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Op::Pass { .. } => "Pass",
            Op::Task(_) => "Task",
            Op::Choice(_) => "Choice",
            Op::Wait(_) => "Wait",
            Op::Succeed => "Succeed",
            Op::Fail(_) => "Fail",
            Op::Parallel(_) => "Parallel",
            Op::Map(_) => "Map",
        }
    }
}

/// A number given literally or read from a path at run time.
#[derive(Debug)]
pub(crate) enum Num {
    Const(u64),
    Path(Path),
}

#[derive(Debug)]
pub(crate) struct Task {
    pub site: TaskId,
    pub integration: Integration,
    /// A `.sync` / `.sync:2` integration: its job is submitted (`TaskSubmitted`) once started.
    pub submits: bool,
    pub timeout: Option<Num>,
    pub heartbeat: Option<Num>,
}

#[derive(Debug)]
pub(crate) struct Choice {
    pub rules: Box<[Rule]>,
    pub default: Option<StateId>,
}

/// A top-level Choice rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub predicate: Predicate,
    pub next: StateId,
    /// The rule's own `Assign` (VAR-5).
    pub assign: Option<Template>,
}

#[derive(Debug)]
pub(crate) enum Wait {
    Seconds(u64),
    SecondsPath(Path),
    /// Epoch milliseconds.
    Timestamp(i64),
    TimestampPath(Path),
}

#[derive(Debug)]
pub(crate) enum FailField {
    Const(Str),
    Expr(Expr, &'static str),
}

#[derive(Debug)]
pub(crate) struct Fail {
    pub error: Option<FailField>,
    pub cause: Option<FailField>,
}

/// A set of error names, with the wildcard rules folded in at compile time.
#[derive(Debug, Default)]
pub(crate) struct ErrorSet {
    pub names: SmallVec<[Str; 2]>,
    /// `States.ALL`.
    pub all: bool,
    /// `States.TaskFailed`: any error of the task's own work.
    pub task_failed: bool,
    /// `States.HeartbeatTimeout`.
    pub heartbeat: bool,
    /// `States.Timeout`, which also names a heartbeat expiry (see `vm::retry::matches`).
    pub timeout: bool,
}

#[derive(Debug)]
pub(crate) struct Retrier {
    pub errors: ErrorSet,
    pub interval_ms: u64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_ms: Option<u64>,
    pub full_jitter: bool,
}

#[derive(Debug)]
pub(crate) struct Catcher {
    pub errors: ErrorSet,
    pub next: StateId,
    pub result_path: Merge,
    /// The catcher's `Assign`: `$` is the error output (VAR-5, VAR-6).
    pub assign: Option<Template>,
}
