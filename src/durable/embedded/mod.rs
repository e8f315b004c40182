//! The embedded durable store: one process, one data directory. It is the [`Intake`] (an
//! accepted async start is written before it is answered, and forgotten when it ends) and the
//! [`Catalog`] (machines with their versions, aliases and tags; activities) of
//! `aslx serve --data-dir DIR`.
//!
//! # The store: fjall
//!
//! An intake is a queue written at the rate of starts: an insert per accept and a delete per
//! completion, almost never read. fjall (an LSM tree: a write is an append to its journal;
//! deletes are tombstones compacted away in the background) fits that shape; redb (a
//! copy-on-write B-tree: each commit rewrites the pages from leaf to root) pays more per
//! commit. Measured on the 2-core development machine, 250-byte records, one insert and one
//! delete per record (`/tmp/storebench`, fjall 2.11, redb 2.6, release build):
//!
//! | commit | fjall | redb |
//! |---|---|---|
//! | one record per commit, fsync each | 453 /s | 248 /s |
//! | 64 records per commit, fsync each | 12,520 /s | 8,953 /s |
//! | one record per commit, no fsync | 47,248 /s | 5,861 /s |
//! | 64 records per commit, no fsync | 51,804 /s | 49,303 /s |
//! | disk after 1,000,000 records (64 per commit, no fsync) | 150 MiB (before compaction) | 8.5 MiB |
//!
//! fjall is ahead for every commit size and 8× ahead where few callers wait (small groups
//! written to the OS without an fsync, the `--fsync batch` default); with large groups the
//! two are level. redb keeps its file small by reusing freed pages (though without fsync it
//! can reuse them only after a durable commit); fjall's tables hold deleted starts until
//! compaction drops them, which is why this module runs a compaction of its own (below). fjall's journal is checksummed per batch, and on
//! opening it truncates a torn or corrupt last batch (what a kill -9 or a power cut in the
//! middle of a write leaves); this module reports the bytes it discarded
//! ([`Opened::discarded`]).
//!
//! # Writes: group commit, and what `--fsync` means
//!
//! One writer thread ([`writer`]) takes every queued write as one batch: concurrent starts
//! share one write and one fsync. A start is answered only once its batch is written:
//!
//! | `--fsync` | a start is answered once its batch is | survives kill -9 | survives power loss |
//! |---|---|---|---|
//! | `always` | written and fsynced | yes | yes |
//! | `batch` (default) | written to the OS; fsynced within 50 ms | yes | all but the last ~50 ms |
//! | `never` | written to the OS; fsynced when the OS chooses | yes | all but what the OS had not written (typically up to 30 s) |
//!
//! # Recovery, compaction, faults
//!
//! - On opening, every start still in the store (accepted, not finished) is read, its
//!   attempt number raised by one and written back, then delivered to the engine, which runs
//!   it again from its input ([`Intake::deliver`]).
//! - A finished start is deleted; fjall flushes its memtables (journals at most
//!   [`MAX_JOURNALS`] bytes before a flush is forced), and a compaction thread rewrites the
//!   starts without what was finished whenever they have doubled (see `compactor`), so
//!   the directory stays bounded under a constant load.
//! - The directory is versioned (`DIR/FORMAT`) and locked (`DIR/LOCK`): see [`dir`].
//! - A write that fails (a full or unwritable disk) refuses the starts of its batch
//!   (`ServiceUnavailable`); nothing is answered that was not written.

mod dir;
mod record;
mod writer;

pub use dir::FORMAT_VERSION;

use crate::durable::{
    AcceptedStart, BoxFuture, Catalog, CatalogChange, CatalogKind, DurableError, Intake,
};
use crate::engine::ExecutionStatus;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use writer::{Op, Writer};

/// Most journal bytes before fjall forces memtables to disk (fjall's minimum is 24 MiB).
pub const MAX_JOURNALS: u64 = 32 << 20;

/// Writes queued for the writer at most; past it, writers wait (backpressure).
const QUEUE: usize = 1 << 16;

/// When a written start is safe: see the module docs' table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fsync {
    /// Every batch fsynced before its starts are answered.
    Always,
    /// Batches written to the OS before answering, fsynced every 50 ms.
    #[default]
    Batch,
    /// Batches written to the OS before answering; the OS syncs when it chooses.
    Never,
}

impl std::str::FromStr for Fsync {
    type Err = String;
    fn from_str(s: &str) -> Result<Fsync, String> {
        match s {
            "always" => Ok(Fsync::Always),
            "batch" => Ok(Fsync::Batch),
            "never" => Ok(Fsync::Never),
            other => Err(format!(
                "unknown fsync mode {other:?}: expected always, batch or never"
            )),
        }
    }
}

/// What opening the store found.
#[derive(Clone, Debug, Default)]
pub struct Opened {
    /// Accepted starts that had not finished: they are run again.
    pub pending: usize,
    /// Bytes of a torn or corrupt journal tail discarded, with the file they were cut from.
    pub discarded: Vec<(PathBuf, u64)>,
}

/// The embedded store. See the [module docs](self).
pub struct EmbeddedStore {
    tx: SyncSender<Op>,
    starts: fjall::PartitionHandle,
    catalog: fjall::PartitionHandle,
    root: PathBuf,
    /// The starts found at opening, until delivered.
    pending: Mutex<Vec<AcceptedStart>>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

fn store_error(e: fjall::Error) -> String {
    format!("the store cannot be opened: {e}")
}

fn catalog_key(kind: CatalogKind, key: &str) -> Vec<u8> {
    let prefix: &[u8] = match kind {
        CatalogKind::Machine => b"m ",
        CatalogKind::Activity => b"a ",
    };
    [prefix, key.as_bytes()].concat()
}

impl EmbeddedStore {
    /// Opens (creating if need be) the data directory `root`.
    ///
    /// # Errors
    ///
    /// A clear message: the directory is locked by another process, cannot be written, is of
    /// an unknown format, or its store is corrupt beyond its tail.
    pub fn open(root: &Path, fsync: Fsync) -> Result<(Arc<EmbeddedStore>, Opened), String> {
        let dir = dir::open(root)?;
        let before = dir::journal_ends(&dir.store);
        let keyspace = fjall::Config::new(dir.store.clone())
            .max_journaling_size(MAX_JOURNALS)
            .max_write_buffer_size(16 << 20)
            .open()
            .map_err(store_error)?;
        let discarded = dir::discarded(&before);
        let opts = || fjall::PartitionCreateOptions::default().max_memtable_size(8 << 20);
        let starts = keyspace
            .open_partition("starts", opts())
            .map_err(store_error)?;
        let catalog = keyspace
            .open_partition("catalog", opts())
            .map_err(store_error)?;
        // Rule: every start found runs again, one attempt later (written before it runs, so
        // that a crash during recovery counts it too).
        let mut pending = Vec::new();
        let mut bumped = keyspace
            .batch()
            .durability(Some(fjall::PersistMode::SyncData));
        for kv in starts.iter() {
            let (k, v) = kv.map_err(store_error)?;
            match record::decode(&k, &v) {
                Ok(mut s) => {
                    s.attempt = s.attempt.saturating_add(1);
                    bumped.insert(&starts, k.to_vec(), record::encode(&s));
                    pending.push(s);
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        bumped.commit().map_err(store_error)?;
        let (tx, rx) = sync_channel(QUEUE);
        let w = Writer {
            keyspace,
            starts: starts.clone(),
            catalog: catalog.clone(),
            fsync,
            _dir: dir,
        };
        std::thread::Builder::new()
            .name("aslx-store".into())
            .spawn(move || w.run(rx))
            .map_err(|e| format!("cannot start the store's writer thread: {e}"))?;
        let opened = Opened {
            pending: pending.len(),
            discarded,
        };
        let store = EmbeddedStore {
            tx,
            starts,
            catalog,
            root: root.to_path_buf(),
            pending: Mutex::new(pending),
        };
        let store = Arc::new(store);
        let weak = Arc::downgrade(&store);
        std::thread::Builder::new()
            .name("aslx-compact".into())
            .spawn(move || compactor(weak))
            .map_err(|e| format!("cannot start the store's compaction thread: {e}"))?;
        Ok((store, opened))
    }

    /// Bytes the data directory holds now.
    pub fn disk_bytes(&self) -> u64 {
        dir::disk_bytes(&self.root)
    }

    /// Accepted starts not finished, as the store counts them (approximate while writes
    /// are queued).
    pub fn unfinished(&self) -> usize {
        self.starts.approximate_len()
    }

    fn send(&self, op: Op) -> Result<(), DurableError> {
        self.tx
            .send(op)
            .map_err(|_| DurableError::Unavailable("the store's writer has stopped".into()))
    }

    async fn write(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), DurableError>>) -> Op,
    ) -> Result<(), DurableError> {
        let (reply, answer) = oneshot::channel();
        // PERF: try_send first; a full queue blocks this worker only under overload.
        let op = make(reply);
        match self.tx.try_send(op) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(op)) => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || tx.send(op))
                    .await
                    .map_err(|_| {
                        DurableError::Unavailable("the store's writer has stopped".into())
                    })?
                    .map_err(|_| {
                        DurableError::Unavailable("the store's writer has stopped".into())
                    })?;
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                return Err(DurableError::Unavailable(
                    "the store's writer has stopped".into(),
                ))
            }
        }
        answer
            .await
            .map_err(|_| DurableError::Unavailable("the store's writer has stopped".into()))?
    }
}

/// Rewrites the starts partition without what was finished, whenever it has grown to twice
/// its size after the last rewrite (and past [`COMPACT_AT`]): fjall's own leveled compaction
/// drops a deleted start only once its tombstone reaches the last level, which under a
/// constant load of short executions lets the directory grow without end (measured: 550 MB
/// after 3.4 million executions). The rewrite reads the partition and writes only the
/// starts still pending. Stops when the store is dropped.
fn compactor(store: std::sync::Weak<EmbeddedStore>) {
    let mut floor = COMPACT_AT;
    loop {
        std::thread::sleep(std::time::Duration::from_secs(2));
        let Some(s) = store.upgrade() else { return };
        if s.starts.disk_space() > floor {
            // A failure leaves the data as it was; the next round tries again.
            let _ = s.starts.major_compact();
            floor = COMPACT_AT.max(s.starts.disk_space().saturating_mul(2));
        }
    }
}

/// Starts-partition bytes below which no rewrite is made.
pub const COMPACT_AT: u64 = 64 << 20;

impl Intake for EmbeddedStore {
    fn accept<'a>(&'a self, start: &'a AcceptedStart) -> BoxFuture<'a, Result<(), DurableError>> {
        let key = start.execution_arn.as_bytes().to_vec();
        let value = record::encode(start);
        Box::pin(self.write(move |reply| Op::Put {
            catalog: false,
            key,
            value,
            reply: Some(reply),
        }))
    }

    fn runs_on_accept(&self) -> bool {
        true
    }

    fn finished(&self, execution_arn: &str, _status: ExecutionStatus) {
        // A completion nobody waits for: a crash before it is written runs the execution
        // again (at least once).
        let _ = self.send(Op::Remove {
            catalog: false,
            key: execution_arn.as_bytes().to_vec(),
            reply: None,
        });
    }

    fn deliver(
        self: Arc<Self>,
        run: Arc<dyn Fn(AcceptedStart) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let found =
                std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
            for (i, s) in found.into_iter().enumerate() {
                run(s);
                if i % 1024 == 1023 {
                    tokio::task::yield_now().await;
                }
            }
        })
    }
}

impl Catalog for EmbeddedStore {
    fn put<'a>(
        &'a self,
        kind: CatalogKind,
        key: &'a str,
        record: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), DurableError>> {
        let key = catalog_key(kind, key);
        Box::pin(self.write(move |reply| Op::Put {
            catalog: true,
            key,
            value: record,
            reply: Some(reply),
        }))
    }

    fn delete<'a>(
        &'a self,
        kind: CatalogKind,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), DurableError>> {
        let key = catalog_key(kind, key);
        Box::pin(self.write(move |reply| Op::Remove {
            catalog: true,
            key,
            reply: Some(reply),
        }))
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<CatalogChange>, DurableError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for kv in self.catalog.iter() {
                let (k, v) = kv.map_err(|e| {
                    DurableError::Corrupt(format!("the catalog cannot be read: {e}"))
                })?;
                let kind = match k.get(..2) {
                    Some(b"m ") => CatalogKind::Machine,
                    Some(b"a ") => CatalogKind::Activity,
                    _ => continue,
                };
                let key = String::from_utf8_lossy(&k[2..]).into_owned();
                out.push((kind, key, Some(v.to_vec())));
            }
            Ok(out)
        })
    }

    fn watch(
        self: Arc<Self>,
        _on_change: Arc<dyn Fn(CatalogChange) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        // Only this process writes it.
        Box::pin(async {})
    }
}
