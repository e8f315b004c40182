//! tokio: handlers, linking, and driving executions.

pub(crate) mod activity;
pub(crate) mod driver;
mod fork;
mod handler;
mod hook;
pub(crate) mod machine;
mod spec;
pub(crate) mod sync;
pub(crate) mod tokens;
pub(crate) mod trace;
mod typed;

pub use activity::{ActivityTask, MAX_POLLERS};
pub use handler::{CallInfo, Handler, HandlerFuture, HandlerResult, Handlers};
pub use hook::TaskHook;
pub use machine::{Machine, MachineError, RunOptions, UnboundTask, EXPRESS_MAX_DURATION};
pub use spec::{split_args, Behaviour, HandlerSpec};
pub use typed::{
    AsyncContextMarker, AsyncMarker, SyncContextMarker, SyncMarker, TaskContext, Typed, TypedFn,
};
