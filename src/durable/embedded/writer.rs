//! Group commit: one thread owns the store's writes. Accepts, completions and catalog
//! changes queue on a channel; the thread takes everything queued (at most [`MAX_GROUP`]),
//! writes it as one fjall batch, persists it as [`Fsync`] says, then answers every waiter of
//! that batch at once. So concurrent starts share one write (and one fsync), and the order of
//! the channel is the order on disk: an accept is always before its completion.

use super::Fsync;
use crate::durable::DurableError;
use fjall::{Batch, Keyspace, PartitionHandle, PersistMode};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most operations in one group.
pub(crate) const MAX_GROUP: usize = 8192;

/// How often `--fsync batch` syncs what was written.
pub(crate) const BATCH_SYNC: Duration = Duration::from_millis(50);

/// An answer to whoever waits for a write.
pub(crate) type Reply = oneshot::Sender<Result<(), DurableError>>;

/// One write.
pub(crate) enum Op {
    /// Insert `value` at `key` in the starts (`catalog: false`) or catalog partition;
    /// answered once written.
    Put {
        catalog: bool,
        key: Vec<u8>,
        value: Vec<u8>,
        reply: Option<Reply>,
    },
    /// Remove `key`; answered once written, when a reply is given.
    Remove {
        catalog: bool,
        key: Vec<u8>,
        reply: Option<Reply>,
    },
}

pub(crate) struct Writer {
    pub(crate) keyspace: Keyspace,
    pub(crate) starts: PartitionHandle,
    pub(crate) catalog: PartitionHandle,
    pub(crate) fsync: Fsync,
    /// The directory's lock: released after the keyspace, when the writer stops.
    pub(crate) _dir: super::dir::DataDir,
}

impl Writer {
    fn add(&self, batch: &mut Batch, op: Op, replies: &mut Vec<Reply>) {
        let part = |c: bool| if c { &self.catalog } else { &self.starts };
        match op {
            Op::Put {
                catalog,
                key,
                value,
                reply,
            } => {
                batch.insert(part(catalog), key, value);
                replies.extend(reply);
            }
            Op::Remove {
                catalog,
                key,
                reply,
            } => {
                batch.remove(part(catalog), key);
                replies.extend(reply);
            }
        }
    }

    fn commit(&self, batch: Batch) -> Result<(), DurableError> {
        let mode = match self.fsync {
            Fsync::Always => PersistMode::SyncData,
            Fsync::Batch | Fsync::Never => PersistMode::Buffer,
        };
        batch
            .commit()
            .and_then(|()| self.keyspace.persist(mode))
            .map_err(|e| {
                DurableError::Unavailable(format!("the data directory cannot be written: {e}"))
            })
    }

    /// Runs until every sender is gone.
    pub(crate) fn run(self, rx: Receiver<Op>) {
        let mut unsynced = false;
        let mut last_sync = Instant::now();
        loop {
            let first = match rx.recv_timeout(BATCH_SYNC) {
                Ok(op) => op,
                Err(RecvTimeoutError::Timeout) => {
                    if unsynced {
                        let _ = self.keyspace.persist(PersistMode::SyncData);
                        unsynced = false;
                        last_sync = Instant::now();
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = self.keyspace.batch();
            let mut replies = Vec::new();
            self.add(&mut batch, first, &mut replies);
            let mut n = 1;
            while n < MAX_GROUP {
                match rx.try_recv() {
                    Ok(op) => self.add(&mut batch, op, &mut replies),
                    Err(_) => break,
                }
                n += 1;
            }
            let done = self.commit(batch);
            for r in replies {
                let each = match &done {
                    Ok(()) => Ok(()),
                    Err(e) => Err(DurableError::Unavailable(e.to_string())),
                };
                let _ = r.send(each);
            }
            if self.fsync == Fsync::Batch {
                unsynced = true;
                if last_sync.elapsed() >= BATCH_SYNC {
                    let _ = self.keyspace.persist(PersistMode::SyncData);
                    unsynced = false;
                    last_sync = Instant::now();
                }
            }
        }
        let _ = self.keyspace.persist(PersistMode::SyncData);
    }
}
