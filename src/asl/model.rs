//! The typed model of a state machine definition: what the parser produces and the compiler
//! reads. It mirrors the JSON closely (one struct per state type) and keeps each state's
//! location so that later stages can still report errors where the user wrote the field.
//!
//! Fields the compiler turns into code (paths, templates, expressions) stay as text or raw
//! [`Value`]s here; the parser has already checked that they compile.

use crate::value::{Str, Value};

/// `EXPRESS` (the default) or `STANDARD`: decides which resources and patterns are allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MachineType {
    /// Express workflows: at most five minutes, no `.sync`, callbacks or activities (by default).
    #[default]
    Express,
    /// Standard workflows.
    Standard,
}

impl MachineType {
    /// `"EXPRESS"` or `"STANDARD"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Express => "EXPRESS",
            MachineType::Standard => "STANDARD",
        }
    }
}

impl std::str::FromStr for MachineType {
    type Err = String;
    fn from_str(s: &str) -> Result<MachineType, String> {
        match s {
            "EXPRESS" | "express" => Ok(MachineType::Express),
            "STANDARD" | "standard" => Ok(MachineType::Standard),
            _ => Err(format!("expected EXPRESS or STANDARD, found {s:?}")),
        }
    }
}

/// The query language of a state (ASL §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueryLanguage {
    /// JSONPath, the default.
    #[default]
    JsonPath,
    /// JSONata.
    Jsonata,
}

/// A whole definition.
#[derive(Clone, Debug)]
pub struct StateMachine {
    /// The top-level scope.
    pub scope: Scope,
    /// Top-level `TimeoutSeconds`.
    pub timeout_seconds: Option<u64>,
    /// Top-level `QueryLanguage`.
    pub query_language: QueryLanguage,
}

/// One `StartAt` + `States` pair: the top level, a Parallel branch or a Map processor.
#[derive(Clone, Debug)]
pub struct Scope {
    /// `StartAt`.
    pub start_at: Str,
    /// States in definition order.
    pub states: Vec<State>,
    /// JSON location of this scope's object (`""` for the top level).
    pub location: String,
}

/// One state.
#[derive(Clone, Debug)]
pub struct State {
    /// The state's name.
    pub name: Str,
    /// `/States/<name>` (or nested).
    pub location: String,
    /// Effective query language.
    pub query_language: QueryLanguage,
    /// Fields shared by several state types.
    pub io: Io,
    /// Where to go next.
    pub transition: Transition,
    /// Type-specific fields.
    pub kind: StateKind,
}

/// `Next` or `End`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// `"Next": name`.
    Next(Str),
    /// `"End": true`.
    End,
    /// Choice, Succeed and Fail have none.
    None,
}

/// A path-valued field that distinguishes absent from `null` (IO-5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PathField {
    /// Not in the definition: the default (`$`).
    #[default]
    Absent,
    /// Explicit `null`.
    Null,
    /// A path.
    Path(String),
}

/// The data-flow fields (ASL §7, §10).
#[derive(Clone, Debug, Default)]
pub struct Io {
    /// `InputPath`.
    pub input_path: PathField,
    /// `OutputPath`.
    pub output_path: PathField,
    /// `ResultPath`.
    pub result_path: PathField,
    /// `Parameters` (a payload template).
    pub parameters: Option<Value>,
    /// `ResultSelector` (a payload template).
    pub result_selector: Option<Value>,
    /// `Assign`.
    pub assign: Option<Value>,
    /// `Arguments` (JSONata).
    pub arguments: Option<Value>,
    /// `Output` (JSONata).
    pub output: Option<Value>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
}

/// One retrier (RET-1).
#[derive(Clone, Debug)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<Str>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: u64,
    /// `MaxAttempts` (default 3).
    pub max_attempts: u64,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy: FULL`.
    pub full_jitter: bool,
}

/// One catcher (CAT-1).
#[derive(Clone, Debug)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<Str>,
    /// `Next`.
    pub next: Str,
    /// `ResultPath`.
    pub result_path: PathField,
    /// `Assign`.
    pub assign: Option<Value>,
    /// `Output` (JSONata).
    pub output: Option<Value>,
    /// Location, for `Next` errors.
    pub location: String,
}

/// A number given literally, through a path, or as a JSONata expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Dynamic<T> {
    /// A literal.
    Value(T),
    /// A `*Path` field.
    Path(String),
    /// A JSONata string (kept whole, with `{%` `%}`).
    Jsonata(String),
}

/// Type-specific fields.
#[derive(Clone, Debug)]
pub enum StateKind {
    /// Pass.
    Pass {
        /// `Result`.
        result: Option<Value>,
    },
    /// Task.
    Task(Box<TaskState>),
    /// Choice.
    Choice(Box<ChoiceState>),
    /// Wait.
    Wait(WaitFor),
    /// Succeed.
    Succeed,
    /// Fail.
    Fail(Box<FailState>),
    /// Parallel.
    Parallel(Box<ParallelState>),
    /// Map.
    Map(Box<MapState>),
}

impl StateKind {
    /// The ASL type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass { .. } => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// Task fields.
#[derive(Clone, Debug)]
pub struct TaskState {
    /// `Resource`.
    pub resource: Str,
    /// `TimeoutSeconds` / `TimeoutSecondsPath`.
    pub timeout: Option<Dynamic<u64>>,
    /// `HeartbeatSeconds` / `HeartbeatSecondsPath`.
    pub heartbeat: Option<Dynamic<u64>>,
    /// `Credentials`.
    pub credentials: Option<Value>,
}

/// Choice fields.
#[derive(Clone, Debug)]
pub struct ChoiceState {
    /// `Choices`, top-level rules.
    pub choices: Vec<ChoiceRule>,
    /// `Default`.
    pub default: Option<Str>,
}

/// A top-level choice rule.
#[derive(Clone, Debug)]
pub struct ChoiceRule {
    /// The condition.
    pub condition: Condition,
    /// `Next`.
    pub next: Str,
    /// `Assign` of this rule.
    pub assign: Option<Value>,
    /// `Output` of this rule (JSONata).
    pub output: Option<Value>,
    /// Location of the rule (`/States/C/Choices[0]`).
    pub location: String,
}

/// A Boolean expression of a Choice rule.
#[derive(Clone, Debug)]
pub enum Condition {
    /// `And`.
    And(Vec<Condition>),
    /// `Or`.
    Or(Vec<Condition>),
    /// `Not`.
    Not(Box<Condition>),
    /// `Variable` + one comparison operator.
    Test {
        /// `Variable` path.
        variable: String,
        /// The operator.
        op: Comparison,
        /// Literal operand or path operand.
        operand: Operand,
    },
    /// JSONata `Condition` (boolean literal or expression string).
    Jsonata(Value),
}

/// The comparison operators of CH-6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Comparison {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

/// The operand of a comparison.
#[derive(Clone, Debug)]
pub enum Operand {
    /// Literal value.
    Value(Value),
    /// `...Path` operator: the path.
    Path(String),
}

/// How long a Wait state waits.
#[derive(Clone, Debug)]
pub enum WaitFor {
    /// `Seconds` (or JSONata expression).
    Seconds(Dynamic<u64>),
    /// `Timestamp` literal, parsed to epoch milliseconds; or a path / expression.
    Timestamp(Dynamic<i64>),
}

/// Fail fields.
#[derive(Clone, Debug, Default)]
pub struct FailState {
    /// `Error` or `ErrorPath`.
    pub error: Option<Dynamic<Str>>,
    /// `Cause` or `CausePath`.
    pub cause: Option<Dynamic<Str>>,
}

/// Parallel fields.
#[derive(Clone, Debug)]
pub struct ParallelState {
    /// `Branches`.
    pub branches: Vec<Scope>,
}

/// Map fields.
#[derive(Clone, Debug)]
pub struct MapState {
    /// `ItemProcessor` / `Iterator`.
    pub processor: Scope,
    /// `ProcessorConfig.Mode` is `DISTRIBUTED`.
    pub distributed: bool,
    /// `ItemsPath`.
    pub items_path: Option<String>,
    /// `Items` (JSONata).
    pub items: Option<Value>,
    /// `ItemSelector` or legacy `Parameters`.
    pub item_selector: Option<Value>,
    /// `MaxConcurrency` / `MaxConcurrencyPath`.
    pub max_concurrency: Option<Dynamic<u64>>,
    /// `ToleratedFailureCount` / `...Path`.
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    /// `ToleratedFailurePercentage` / `...Path`.
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    /// `ItemBatcher`.
    pub item_batcher: Option<Value>,
    /// `ItemReader`.
    pub item_reader: Option<Value>,
    /// `ResultWriter`.
    pub result_writer: Option<Value>,
    /// `Label`.
    pub label: Option<Str>,
}
