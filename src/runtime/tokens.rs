//! The token table: the open task tokens of callback and activity Tasks, and how each closes.
//!
//! The lifecycle of a token, as rules:
//!
//! 1. **Open.** The VM mints a token when a callback or activity Task starts; the driver opens
//!    it here ([`TokenTable::open`]) *before* it calls the handler or queues the activity task,
//!    so a completion can never race ahead of its registration.
//! 2. **Close once.** Exactly one party closes a token, under its shard's lock: a worker
//!    ([`TokenTable::complete`], from SendTaskSuccess or SendTaskFailure) by leaving its answer
//!    in the entry, or the waiter by removing the entry — when `TimeoutSeconds` or
//!    `HeartbeatSeconds` runs out, or when it goes away (the execution finished, failed, hit
//!    its deadline or was cancelled). Whoever closes it decides the Task's outcome; every later
//!    completion or heartbeat gets `TaskTimedOut`. The waiter removes an answered entry when it
//!    takes the answer.
//! 3. **Heartbeats stamp, never close.** [`TokenTable::heartbeat`] records the time; the waiter
//!    reads it when its heartbeat timer fires and sleeps again if a beat came in. Heartbeats do
//!    not extend `TimeoutSeconds`.
//! 4. **Activity clocks start at hand-out.** An activity task's heartbeat clock starts when a
//!    worker receives it ([`TokenTable::start`]); a callback's when the Task starts.
//! 5. **No lock across an await.** The waiter sleeps on a timer and on its entry (a worker's
//!    answer wakes it); the table's locks guard one hash-map operation each.
//!
//! Roles have types: the driver holds the [`TokenWaiter`]; workers reach the table only
//! through [`TokenTable::complete`] and [`TokenTable::heartbeat`].

use super::sync::{lock, Mutex};
use crate::value::Value;
use crate::vm::{TaskError, TaskOutcome, TokenId};
use std::collections::HashMap;
use std::future::poll_fn;
use std::task::{Poll, Waker};
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

/// An open token, or one a worker closed whose answer the waiter has not taken yet.
struct Entry {
    /// Last heartbeat, or when the clock started; `None` until an activity is handed out.
    beat: Option<Instant>,
    /// The worker's answer: once set, the token is closed (rule 2).
    answer: Option<Box<Completion>>,
    /// The waiter to wake when the answer comes.
    waker: Option<Waker>,
}

/// Open tokens, sharded by id so workers on different tokens rarely meet on a lock.
///
/// PERF: an entry is 48 bytes and no channel is allocated per token; a parked callback
/// costs its entry plus the waiter's boxed future (engine_memory test).
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
        let entry = Entry {
            beat: clock_started.then(Instant::now),
            answer: None,
            waker: None,
        };
        lock(self.shard(id)).insert(id.0, entry);
        TokenWaiter { table: self, id }
    }

    /// Closes `id` with a worker's answer (rule 2).
    pub(crate) fn complete(&self, id: TokenId, c: Completion) -> Result<(), Closed> {
        let waker = {
            let mut shard = lock(self.shard(id));
            let e = shard
                .get_mut(&id.0)
                .filter(|e| e.answer.is_none())
                .ok_or(Closed)?;
            e.answer = Some(Box::new(c));
            e.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Records a heartbeat (rule 3).
    pub(crate) fn heartbeat(&self, id: TokenId) -> Result<(), Closed> {
        match lock(self.shard(id)).get_mut(&id.0) {
            Some(e) if e.answer.is_none() => {
                e.beat = Some(Instant::now());
                Ok(())
            }
            _ => Err(Closed),
        }
    }

    /// Starts an activity task's heartbeat clock (rule 4); `false` if the token is closed.
    pub(crate) fn start(&self, id: TokenId) -> bool {
        self.heartbeat(id).is_ok()
    }

    /// `true` while `id` is open.
    pub(crate) fn is_open(&self, id: TokenId) -> bool {
        lock(self.shard(id))
            .get(&id.0)
            .is_some_and(|e| e.answer.is_none())
    }

    /// Number of tokens open or holding an answer not yet taken.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Closes `id` for its waiter; `true` if this call closed it, `false` if a worker's
    /// answer is already there (or the entry is gone).
    fn close(&self, id: TokenId) -> bool {
        let mut shard = lock(self.shard(id));
        match shard.get(&id.0) {
            Some(e) if e.answer.is_none() => {
                shard.remove(&id.0);
                true
            }
            _ => false,
        }
    }

    /// `None` when closed; `Some(None)` while an activity waits for a worker.
    fn beat(&self, id: TokenId) -> Option<Option<Instant>> {
        lock(self.shard(id))
            .get(&id.0)
            .filter(|e| e.answer.is_none())
            .map(|e| e.beat)
    }

    /// Takes the worker's answer, or leaves `waker` to be woken by it.
    fn poll_answer(&self, id: TokenId, waker: &Waker) -> Poll<Option<Completion>> {
        let mut shard = lock(self.shard(id));
        match shard.get_mut(&id.0) {
            None => Poll::Ready(None),
            Some(e) if e.answer.is_some() => {
                let answer = shard.remove(&id.0).and_then(|e| e.answer);
                Poll::Ready(answer.map(|b| *b))
            }
            Some(e) => {
                if !e.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    e.waker = Some(waker.clone());
                }
                Poll::Pending
            }
        }
    }

    /// Removes `id` whatever its state (its waiter is gone).
    fn forget(&self, id: TokenId) {
        lock(self.shard(id)).remove(&id.0);
    }
}

/// The driver's side of an open token: waits for it to close, and closes it when dropped.
pub(crate) struct TokenWaiter<'a> {
    table: &'a TokenTable,
    id: TokenId,
}

impl std::fmt::Debug for TokenWaiter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenWaiter").field("id", &self.id).finish()
    }
}

impl TokenWaiter<'_> {
    /// Waits until a worker completes the token, `deadline` passes (`States.Timeout`) or no
    /// heartbeat comes within `heartbeat` (`States.HeartbeatTimeout`).
    pub(crate) fn wait(
        &mut self,
        deadline: Option<Instant>,
        heartbeat: Option<Duration>,
    ) -> impl std::future::Future<Output = TaskOutcome> + Send + '_ {
        let (table, id) = (self.table, self.id);
        async move {
            loop {
                let beat_due = heartbeat.map(|h| match table.beat(id) {
                    Some(Some(t)) => t + h,
                    // Not handed out yet: look again after one heartbeat period.
                    Some(None) => Instant::now() + h,
                    // Closed by a worker: its answer is waiting.
                    None => Instant::now(),
                });
                let wake = match (deadline, beat_due) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let answered = poll_fn(|cx| table.poll_answer(id, cx.waker()));
                let answer = match wake {
                    None => answered.await,
                    Some(at) => tokio::select! {
                        biased;
                        answer = answered => answer,
                        () = tokio::time::sleep_until(at) => {
                            let now = Instant::now();
                            let timed_out = deadline.is_some_and(|d| now >= d);
                            let beat_missed = !timed_out
                                && heartbeat.is_some_and(|h| {
                                    matches!(table.beat(id), Some(Some(t)) if t + h <= now)
                                });
                            if (timed_out || beat_missed) && table.close(id) {
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
                return match answer {
                    Some(Completion::Success(v)) => TaskOutcome::Ok(v),
                    Some(Completion::Failure(e)) => TaskOutcome::Err(e),
                    None => TaskOutcome::Err(TaskError::new(
                        "States.TaskFailed",
                        "the task token was closed without an answer",
                    )),
                };
            }
        }
    }
}

impl Drop for TokenWaiter<'_> {
    fn drop(&mut self) {
        // Closed already when the answer was taken or a timeout closed it; otherwise the
        // execution stopped waiting (rule 2).
        self.table.forget(self.id);
    }
}
