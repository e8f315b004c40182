//! tokio: handlers, linking, and driving executions.

pub(crate) mod driver;
mod handler;
mod machine;
mod spec;

pub use handler::{Handler, HandlerFuture, HandlerResult, Handlers};
pub use machine::{Machine, MachineError, RunOptions, EXPRESS_MAX_DURATION};
pub use spec::{Behaviour, HandlerSpec};
