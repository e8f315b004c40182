//! # aslx — Amazon States Language, compiled ahead of time and run in-process
//!
//! aslx runs AWS Step Functions state machines (the Amazon States Language) inside a Rust
//! process, with the answers AWS would give: the same validation diagnostics, error names,
//! causes and output shapes.
//!
//! ## The pipeline
//!
//! ```text
//! definition text ─parse─▶ model ─validate─▶ model ─compile─▶ Program ─link─▶ Machine
//!   (asl)                  (asl::model)        (compile)        (flat, Arc)    (runtime)
//!
//! Machine + input ─▶ Execution (vm: synchronous steps) ─driven by─▶ runtime (tokio)
//! ```
//!
//! - [`asl`]: JSON → typed model, with every AWS diagnostic (`SCHEMA_VALIDATION_FAILED`, ...).
//! - [`path`]: JSONPath, ResultPath writing and the `States.*` intrinsic functions.
//! - [`jsonata`]: JSONata expressions as Step Functions runs them (`{% ... %}` fields).
//! - [`compile`]: model → [`compile::Program`]: states by index, paths and templates parsed once.
//! - [`vm`]: one execution, stepped synchronously; says when it needs a handler or a timer.
//! - [`runtime`]: handlers, linking and the tokio driver.
//! - [`serve`]: the AWS Step Functions HTTP API (`aslx serve`).
//! - [`engine`]: the [`Engine`]: many executions at once, sync and async starts, the five-minute
//!   cap, admission, execution logs, callbacks and activities.
//! - [`events`]: EventBridge in front of the engine: rules and their event patterns,
//!   targets and their input, PutEvents and schedules.
//! - [`value`]: the JSON value type, cheap to clone and copy-on-write; serde both ways
//!   ([`to_value`], [`from_value`]) without text.
//! - [`build`]: definitions checked when the crate builds ([`CheckedDefinition`], the
//!   `aslx-macros` crate's `definition!`, a `build.rs` helper).
//!
//! For services: [`Handlers::typed`] takes functions of serde types (with an optional
//! [`TaskContext`]), [`Engine::start_sync_typed`] returns the output as the caller's type, and
//! every execution, state and Task call is a `tracing` span when a subscriber listens.
//!
//! ## Example
//!
//! ```
//! use aslx::{json, Handlers, Machine, MachineType, Status};
//!
//! let definition = r#"{
//!   "StartAt": "Add",
//!   "States": {
//!     "Add": {
//!       "Type": "Task",
//!       "Resource": "arn:aws:lambda:us-east-1:123456789012:function:add",
//!       "ResultPath": "$.result",
//!       "End": true
//!     }
//!   }
//! }"#;
//! let mut handlers = Handlers::new();
//! handlers.function("add", |input| {
//!     let a = input.get("a").and_then(|v| v.as_i64()).unwrap_or(0);
//!     let b = input.get("b").and_then(|v| v.as_i64()).unwrap_or(0);
//!     Ok(json!({ "sum": a + b }))
//! });
//! let machine = Machine::new("adder", definition, MachineType::Express, &handlers).unwrap();
//! let outcome = machine.run_blocking(json!({ "a": 1, "b": 2 }));
//! assert_eq!(outcome.status, Status::Succeeded);
//! assert_eq!(outcome.output.unwrap().to_json(), r#"{"a":1,"b":2,"result":{"sum":3}}"#);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod asl;
pub mod build;
pub mod compile;
pub mod console;
pub mod durable;
pub mod engine;
pub mod events;
pub mod graph;
mod hash;
pub mod integrations;
pub mod jsonata;
pub mod path;
pub mod runtime;
pub mod serve;
pub mod value;
pub mod vm;

pub use asl::{DefinitionError, Diagnostic, DiagnosticCode, MachineType};
pub use build::CheckedDefinition;
pub use engine::{Engine, EngineError, StartRequest};
pub use runtime::{Handler, HandlerResult, Handlers, Machine, MachineError, RunOptions};
pub use runtime::{TaskContext, Typed};
pub use value::{from_value, to_value, ValueError};
pub use value::{parse_json, parse_json_bytes, JsonError, Map, Value};
pub use vm::{ExecutionInfo, Outcome, Status, TaskError};
