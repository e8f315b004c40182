//! Runs one execution of a compiled [`Program`](crate::compile::Program); no tokio in here.
//!
//! The VM is a synchronous state machine of its own: [`Execution::step`] returns what must
//! happen next ([`Step`]) and the caller acts on it. The runtime drives it on tokio, the
//! conformance harness on virtual time, the benchmarks in a bare loop.

mod context;
mod error;
mod exec;
mod interrupt;
pub mod map_io;
pub mod observe;
mod retry;
mod task;
pub mod token;
mod vars;

pub use context::ExecutionInfo;
pub use error::ExecError;
pub use exec::{
    Execution, Outcome, Status, Step, DISTRIBUTED_MAP_CONCURRENCY, INLINE_MAP_CONCURRENCY,
    MAX_PAYLOAD_BYTES, STANDARD_HISTORY_LIMIT, STEPS_PER_SLICE,
};
pub use map_io::MapIoRequest;
pub use observe::{DataFlow, Event, Handout, Observer, Submission};
pub(crate) use task::{http_date, insert_sdk_metadata};
pub use task::{CallTarget, TaskCall, TaskError, TaskOutcome};
pub use token::TokenId;
