//! The token table: the open task tokens of callback and activity Tasks, and how each closes.
//!
//! The lifecycle of a token, as rules:
//!
//! 1. **Open.** The VM mints a token when a callback or activity Task starts; the driver opens
//!    it here ([`TokenTable::open`]) *before* it calls the handler or queues the activity task,
//!    so a completion can never race ahead of its registration.
//! 2. **Close once.** A token closes when its entry leaves the table, under the shard lock, and
//!    exactly one party removes it: a worker ([`TokenTable::complete`], from SendTaskSuccess or
//!    SendTaskFailure), the waiter when `TimeoutSeconds` or `HeartbeatSeconds` runs out, or the
//!    waiter going away (the execution finished, failed, hit its deadline or was cancelled).
//!    Whoever removes the entry decides the Task's outcome; every later completion or heartbeat
//!    gets `TaskTimedOut`.
//! 3. **Heartbeats stamp, never close.** [`TokenTable::heartbeat`] records the time; the waiter
//!    reads it when its heartbeat timer fires and sleeps again if a beat came in. Heartbeats do
//!    not extend `TimeoutSeconds`.
//! 4. **Activity clocks start at hand-out.** An activity task's heartbeat clock starts when a
//!    worker receives it ([`TokenTable::start`]); a callback's when the Task starts.
//! 5. **No lock across an await.** The waiter sleeps on a oneshot channel and a timer; the
//!    table's locks guard a hash-map operation each.
//!
//! Roles have types: the driver holds the [`TokenWaiter`]; workers reach the table only
//! through [`TokenTable::complete`] and [`TokenTable::heartbeat`].

use super::sync::{lock, oneshot, Mutex};
use crate::value::Value;
use crate::vm::{TaskError, TaskOutcome, TokenId};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

const SHARDS: usize = 64;

/// How a worker completed a token.
#[derive(Debug)]
pub(crate) enum Completion {
    /// SendTaskSuccess: the Task's result.
    Success(Value),
    /// SendTaskFailure: the Task's error.
    Failure(TaskError),
}

/// The token is not open (completed, timed out, or its execution ended): `TaskTimedOut`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Closed;

struct Entry {
    tx: oneshot::Sender<Completion>,
    /// Last heartbeat, or when the clock started; `None` until an activity is handed out.
    beat: Option<Instant>,
}

/// Open tokens, sharded by id so workers on different tokens rarely meet on a lock.
pub(crate) struct TokenTable {
    shards: Box<[Mutex<HashMap<u64, Entry>>]>,
}

impl std::fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenTable")
            .field("open", &self.len())
            .finish()
    }
}

impl Default for TokenTable {
    fn default() -> Self {
        TokenTable {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl TokenTable {
    fn shard(&self, id: TokenId) -> &Mutex<HashMap<u64, Entry>> {
        &self.shards[(id.0 as usize) % SHARDS]
    }

    /// Opens `id` (rule 1). `clock_started` is `false` for an activity task not yet handed out.
    pub(crate) fn open(&self, id: TokenId, clock_started: bool) -> TokenWaiter<'_> {
        let (tx, rx) = oneshot::channel();
        let beat = clock_started.then(Instant::now);
        lock(self.shard(id)).insert(id.0, Entry { tx, beat });
        TokenWaiter {
            table: self,
            id,
            rx,
            open: true,
        }
    }

    /// Closes `id` with a worker's answer (rule 2).
    pub(crate) fn complete(&self, id: TokenId, c: Completion) -> Result<(), Closed> {
        let entry = lock(self.shard(id)).remove(&id.0).ok_or(Closed)?;
        // The waiter may vanish between the removal and this send; its execution has ended,
        // and the answer goes nowhere, as it would on AWS.
        let _ = entry.tx.send(c);
        Ok(())
    }

    /// Records a heartbeat (rule 3).
    pub(crate) fn heartbeat(&self, id: TokenId) -> Result<(), Closed> {
        match lock(self.shard(id)).get_mut(&id.0) {
            Some(e) => {
                e.beat = Some(Instant::now());
                Ok(())
            }
            None => Err(Closed),
        }
    }

    /// Starts an activity task's heartbeat clock (rule 4); `false` if the token is closed.
    pub(crate) fn start(&self, id: TokenId) -> bool {
        match lock(self.shard(id)).get_mut(&id.0) {
            Some(e) => {
                e.beat = Some(Instant::now());
                true
            }
            None => false,
        }
    }

    /// `true` while `id` is open.
    pub(crate) fn is_open(&self, id: TokenId) -> bool {
        lock(self.shard(id)).contains_key(&id.0)
    }

    /// Number of open tokens.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Removes `id`; `true` if this call closed it.
    fn close(&self, id: TokenId) -> bool {
        lock(self.shard(id)).remove(&id.0).is_some()
    }

    /// `None` when closed; `Some(None)` while an activity waits for a worker.
    fn beat(&self, id: TokenId) -> Option<Option<Instant>> {
        lock(self.shard(id)).get(&id.0).map(|e| e.beat)
    }
}

/// The driver's side of an open token: waits for it to close, and closes it when dropped.
pub(crate) struct TokenWaiter<'a> {
    table: &'a TokenTable,
    id: TokenId,
    rx: oneshot::Receiver<Completion>,
    open: bool,
}

impl std::fmt::Debug for TokenWaiter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenWaiter").field("id", &self.id).finish()
    }
}

impl TokenWaiter<'_> {
    /// Waits until a worker completes the token, `deadline` passes (`States.Timeout`) or no
    /// heartbeat comes within `heartbeat` (`States.HeartbeatTimeout`).
    pub(crate) async fn wait(
        &mut self,
        deadline: Option<Instant>,
        heartbeat: Option<Duration>,
    ) -> TaskOutcome {
        loop {
            let beat_due = heartbeat.map(|h| match self.table.beat(self.id) {
                Some(Some(t)) => t + h,
                // Not handed out yet: look again after one heartbeat period.
                Some(None) => Instant::now() + h,
                // Closed by a worker: its answer is in the channel.
                None => Instant::now(),
            });
            let wake = match (deadline, beat_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let answer = match wake {
                None => (&mut self.rx).await,
                Some(at) => tokio::select! {
                    biased;
                    answer = &mut self.rx => answer,
                    () = tokio::time::sleep_until(at) => {
                        let now = Instant::now();
                        let timed_out = deadline.is_some_and(|d| now >= d);
                        let beat_missed = !timed_out
                            && heartbeat.is_some_and(|h| {
                                matches!(self.table.beat(self.id), Some(Some(t)) if t + h <= now)
                            });
                        if (timed_out || beat_missed) && self.table.close(self.id) {
                            self.open = false;
                            return if timed_out {
                                TaskOutcome::TimedOut
                            } else {
                                TaskOutcome::HeartbeatTimedOut
                            };
                        }
                        continue;
                    }
                },
            };
            self.open = false;
            return match answer {
                Ok(Completion::Success(v)) => TaskOutcome::Ok(v),
                Ok(Completion::Failure(e)) => TaskOutcome::Err(e),
                Err(_) => TaskOutcome::Err(TaskError::new(
                    "States.TaskFailed",
                    "the task token was closed without an answer",
                )),
            };
        }
    }
}

impl Drop for TokenWaiter<'_> {
    fn drop(&mut self) {
        if self.open {
            self.table.close(self.id);
        }
    }
}
