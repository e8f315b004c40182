//! Durability: the contracts between the Engine and what keeps its async promise across a
//! crash (DESIGN.md, "Intake is a trait").
//!
//! - [`Intake`]: where an accepted async start is recorded before it is answered, and how the
//!   starts a process must run reach it. Implementations: in memory (today's behaviour: nothing
//!   survives the process), an embedded store (one machine), NATS JetStream (many processes
//!   sharing one work queue).
//! - [`Catalog`]: where machines (with versions and aliases), activities and tags are kept, so
//!   that they survive a restart (embedded store) or are shared by every process (a JetStream
//!   key-value bucket).
//!
//! Sync executions are at-most-once and never reach an intake.

pub mod nats;

use crate::engine::ExecutionStatus;

pub mod embedded;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, sendable future: the trait methods' return type (object-safe traits).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An accepted async start, as an intake keeps it: enough to run the execution again from its
/// input with the same identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedStart {
    /// The execution's ARN: its identity, the key of its records, dedup id and acks.
    pub execution_arn: String,
    /// The ARN the caller started: the machine's, a version's or an alias's.
    pub target_arn: String,
    /// The execution's name.
    pub name: String,
    /// The input as JSON text, exactly as accepted.
    pub input: String,
    /// The X-Ray trace header given with the start, if any.
    pub trace_header: Option<String>,
    /// When the start was accepted, in milliseconds since the epoch (the execution's
    /// `startDate`, kept across re-runs).
    pub start_ms: i64,
    /// 1 for the first run; higher each time the execution is run again after a crash or a
    /// redelivery (recorded in the log records, as for handler panics).
    pub attempt: u32,
}

/// Why an intake or a catalog could not do what was asked. A start that meets it is refused
/// (`ServiceUnavailable`), never accepted and then lost.
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    /// The store or the queue cannot take writes now (full, unwritable, unreachable).
    #[error("{0}")]
    Unavailable(String),
    /// What is stored cannot be read as this version of aslx writes it.
    #[error("{0}")]
    Corrupt(String),
}

/// Where accepted async starts are recorded, and where the starts a process must run come
/// from.
pub trait Intake: Send + Sync + 'static {
    /// Records `start` durably. The engine answers the start only once this resolves `Ok`;
    /// concurrent calls share one write (group commit).
    fn accept<'a>(&'a self, start: &'a AcceptedStart) -> BoxFuture<'a, Result<(), DurableError>>;

    /// Whether the process that accepted a start runs it at once (embedded store), or the
    /// start runs where [`Intake::deliver`] hands it out (a queue shared by processes).
    fn runs_on_accept(&self) -> bool;

    /// `execution_arn` reached `status`, already recorded in the execution log: the intake
    /// may forget it (a completion record, an ack).
    fn finished(&self, execution_arn: &str, status: ExecutionStatus);

    /// Hands every start this process must run to `run`, until the intake is closed: for an
    /// embedded store, the accepted-but-unfinished starts found when it opened (then it
    /// returns); for a queue, its deliveries.
    fn deliver(
        self: Arc<Self>,
        run: Arc<dyn Fn(AcceptedStart) + Send + Sync>,
    ) -> BoxFuture<'static, ()>;
}

/// What a [`Catalog`] keeps: one kind of record per key space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CatalogKind {
    /// A state machine with its versions, aliases and tags, keyed by its ARN.
    Machine,
    /// An activity with its tags, keyed by its ARN.
    Activity,
}

/// A change seen by [`Catalog::watch`]: the record's new bytes, or `None` when it was deleted.
pub type CatalogChange = (CatalogKind, String, Option<Vec<u8>>);

/// Where machines and activities are kept, as opaque records the engine writes and reads.
pub trait Catalog: Send + Sync + 'static {
    /// Writes (creates or replaces) one record.
    fn put<'a>(
        &'a self,
        kind: CatalogKind,
        key: &'a str,
        record: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), DurableError>>;

    /// Deletes one record (absent is not an error).
    fn delete<'a>(
        &'a self,
        kind: CatalogKind,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), DurableError>>;

    /// Every record, read when the engine starts.
    fn load(&self) -> BoxFuture<'_, Result<Vec<CatalogChange>, DurableError>>;

    /// Reports changes made by other processes to `on_change` until the catalog is closed
    /// (a shared catalog); a catalog only this process writes returns at once.
    fn watch(
        self: Arc<Self>,
        on_change: Arc<dyn Fn(CatalogChange) + Send + Sync>,
    ) -> BoxFuture<'static, ()>;
}
