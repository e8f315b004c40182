//! Activities: Task work handed to workers that long-poll for it (GetActivityTask, RES-6).
//!
//! Each activity keeps two FIFO queues under one short lock: tasks waiting for a worker, and
//! workers waiting for a task. A task that finds a waiting worker goes straight to the oldest
//! one; a worker that finds a waiting task takes the oldest. So many pollers are served in
//! arrival order, and nothing waits behind a lock.
//!
//! Both queues are bounded without a limit of their own: a queued task belongs to an
//! in-flight execution (admission bounds those) and leaves the queue when its execution
//! stops waiting; pollers are capped at [`MAX_POLLERS`] per activity, as on AWS.
//!
//! Hand-out never loses a task: a poller that gives up (timeout, or its caller went away) closes
//! its channel and puts back a task that reached it in the meantime.

use super::sync::{lock, oneshot, read, write, Mutex, RwLock};
use super::tokens::TokenTable;
use crate::value::{Str, Value};
use crate::vm::{Handout, TokenId};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Most workers polling one activity at once (`ActivityWorkerLimitExceeded` beyond).
pub const MAX_POLLERS: usize = 1000;

/// A task handed to an activity worker.
#[derive(Clone, Debug)]
pub struct ActivityTask {
    /// The token to send back with SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
    pub task_token: Str,
    /// The Task's effective input.
    pub input: Value,
    id: TokenId,
    /// Told who took the task (its history's `ActivityStarted`), once, by whoever hands it
    /// to the worker.
    pub(crate) started: Option<Handout>,
}

/// Why a poll failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollError {
    /// The activity does not exist (or was deleted while polling).
    DoesNotExist,
    /// [`MAX_POLLERS`] are polling already.
    WorkerLimit,
}

struct Queues {
    /// Waiting tasks, oldest first (token ids grow with time).
    tasks: BTreeMap<TokenId, ActivityTask>,
    /// Waiting workers, oldest first; some may have given up (closed channels).
    pollers: VecDeque<oneshot::Sender<ActivityTask>>,
    /// Workers polling now.
    polling: usize,
    deleted: bool,
}

/// One activity.
pub(crate) struct Activity {
    pub(crate) arn: Str,
    pub(crate) name: Str,
    pub(crate) created_ms: i64,
    queues: Mutex<Queues>,
}

impl std::fmt::Debug for Activity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activity").field("arn", &self.arn).finish()
    }
}

impl Activity {
    fn new(arn: Str, name: Str, created_ms: i64) -> Activity {
        Activity {
            arn,
            name,
            created_ms,
            queues: Mutex::new(Queues {
                tasks: BTreeMap::new(),
                pollers: VecDeque::new(),
                polling: 0,
                deleted: false,
            }),
        }
    }

    /// Hands a task to the oldest waiting worker, or queues it; `false` if the activity was
    /// deleted. `started` goes with the task to the worker's poll.
    pub(crate) fn schedule(
        &self,
        tokens: &TokenTable,
        id: TokenId,
        token: Str,
        input: Value,
        started: Option<Handout>,
    ) -> bool {
        let mut q = lock(&self.queues);
        if q.deleted {
            return false;
        }
        let mut task = ActivityTask {
            task_token: token,
            input,
            id,
            started,
        };
        while let Some(worker) = q.pollers.pop_front() {
            match worker.send(task) {
                Ok(()) => {
                    tokens.start(id);
                    return true;
                }
                Err(back) => task = back,
            }
        }
        q.tasks.insert(id, task);
        true
    }

    /// Takes a queued task back: its execution stopped waiting for it.
    pub(crate) fn unschedule(&self, id: TokenId) {
        lock(&self.queues).tasks.remove(&id);
    }

    /// Waits up to `timeout` for a task.
    pub(crate) async fn poll(
        &self,
        tokens: &TokenTable,
        timeout: Duration,
    ) -> Result<Option<ActivityTask>, PollError> {
        let rx = {
            let mut q = lock(&self.queues);
            if q.deleted {
                return Err(PollError::DoesNotExist);
            }
            while let Some((id, task)) = q.tasks.pop_first() {
                if tokens.start(id) {
                    return Ok(Some(task));
                }
            }
            if q.polling >= MAX_POLLERS {
                return Err(PollError::WorkerLimit);
            }
            let (tx, rx) = oneshot::channel();
            q.pollers.push_back(tx);
            q.polling += 1;
            // Drop the channels of workers that gave up, so the queue stays near `polling`.
            if q.pollers.len() > 2 * q.polling + 16 {
                q.pollers.retain(|s| !s.is_closed());
            }
            rx
        };
        let mut poll = Poller {
            activity: self,
            tokens,
            rx,
        };
        match tokio::time::timeout(timeout, &mut poll.rx).await {
            Ok(Ok(task)) => Ok(Some(task)),
            Ok(Err(_)) => Err(PollError::DoesNotExist),
            Err(_) => Ok(poll.give_up()),
        }
    }

    /// Puts back a task that reached a worker who had already given up.
    fn requeue(&self, tokens: &TokenTable, task: ActivityTask) {
        let id = task.id;
        if !tokens.is_open(id) {
            return;
        }
        let mut q = lock(&self.queues);
        if q.deleted {
            return;
        }
        q.tasks.insert(id, task);
    }

    /// Marks the activity deleted: pollers get `ActivityDoesNotExist`; the ids of the tasks
    /// that were waiting for a worker are returned, for their executions to be failed.
    fn delete(&self) -> Vec<TokenId> {
        let mut q = lock(&self.queues);
        q.deleted = true;
        q.pollers.clear();
        std::mem::take(&mut q.tasks).into_keys().collect()
    }
}

/// A worker's wait: on the way out it closes its channel and returns any task that arrived.
struct Poller<'a> {
    activity: &'a Activity,
    tokens: &'a TokenTable,
    rx: oneshot::Receiver<ActivityTask>,
}

impl Poller<'_> {
    /// Stops waiting; a task handed over at the last moment is still the worker's.
    fn give_up(&mut self) -> Option<ActivityTask> {
        self.rx.close();
        self.rx.try_recv().ok()
    }
}

impl Drop for Poller<'_> {
    fn drop(&mut self) {
        self.rx.close();
        if let Ok(task) = self.rx.try_recv() {
            // Only reached when the poll itself was dropped mid-wait.
            self.activity.requeue(self.tokens, task);
        }
        lock(&self.activity.queues).polling -= 1;
    }
}

/// Every activity of an engine, by ARN.
#[derive(Debug, Default)]
pub(crate) struct Activities {
    by_arn: RwLock<HashMap<Str, Arc<Activity>>>,
}

impl Activities {
    /// The activity `arn`, created now unless it exists (CreateActivity is idempotent).
    pub(crate) fn create(&self, arn: Str, name: Str, now_ms: i64) -> Arc<Activity> {
        let mut map = write(&self.by_arn);
        Arc::clone(
            map.entry(arn.clone())
                .or_insert_with(|| Arc::new(Activity::new(arn, name, now_ms))),
        )
    }

    /// The activity `arn`, if it exists.
    pub(crate) fn get(&self, arn: &str) -> Option<Arc<Activity>> {
        read(&self.by_arn).get(arn).cloned()
    }

    /// Deletes `arn`; returns the tokens of its tasks that were waiting for a worker.
    pub(crate) fn delete(&self, arn: &str) -> Vec<TokenId> {
        let removed = write(&self.by_arn).remove(arn);
        removed.map(|a| a.delete()).unwrap_or_default()
    }

    /// All activities, oldest first.
    pub(crate) fn list(&self) -> Vec<Arc<Activity>> {
        let mut v: Vec<_> = read(&self.by_arn).values().cloned().collect();
        v.sort_by(|a, b| (a.created_ms, &a.name).cmp(&(b.created_ms, &b.name)));
        v
    }
}
