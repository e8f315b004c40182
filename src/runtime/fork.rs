//! Parallel branches and Map iterations on the driver (see [`Driver::serve_fork`]).
//!
//! In a module of its own: the children's futures are `Driver::drive` futures, whose type
//! the compiler can only see as `Send` from outside the module that defines it.

use super::driver::Driver;
use crate::vm::{Execution, Outcome};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::pin::Pin;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// A branch or iteration being driven: its index in the fork, itself, and how it ended.
type ChildRun<'a> = Pin<Box<dyn Future<Output = (usize, Execution, Outcome)> + Send + 'a>>;

impl<'a> Driver<'a> {
    /// Serves a fork ([`Step::Fork`]): its branches or iterations are driven concurrently,
    /// never more at once than the fork's limit (a Map of 10,000 items holds at most its
    /// `MaxConcurrency` children), each with this driver's deadline, tokens and panic policy.
    /// When the fork settles (all done, or one failed), the children still running are
    /// dropped, which cancels their timers, handler calls and tokens. `false` when the
    /// execution's deadline passed.
    ///
    /// Inside an engine the children are tasks of their own on the work-stealing pool
    /// ([`Services::child_task`](super::driver::Services::child_task) gives them owned
    /// handles on the machine version and the engine's services); a standalone `Machine`,
    /// whose driver only borrows its machine, drives them as futures of this task.
    pub(crate) fn serve_fork<'e>(
        &'e self,
        exec: &'e mut Execution,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'e>>
    where
        'a: 'e,
    {
        Box::pin(async move { self.serve(exec).await })
    }

    async fn serve(&self, exec: &mut Execution) -> bool {
        let Some(host) = exec.fork_host() else {
            return true;
        };
        // Children spawned as tasks of their own (inside an engine), or else driven as
        // futures of this task; either way at most the fork's limit at once, and dropped
        // (aborted) together when the fork settles.
        let mut tasks: JoinSet<(usize, Execution, Outcome)> = JoinSet::new();
        let mut local: FuturesUnordered<ChildRun<'a>> = FuturesUnordered::new();
        loop {
            while let Some((index, child)) = host.fork_next(self.clock.now_ms()) {
                let mut child = Some(child);
                if let Some(task) = self.services.child_task(self, index, &mut child) {
                    tasks.spawn(task);
                } else if let Some(mut child) = child {
                    let driver = *self;
                    local.push(Box::pin(async move {
                        let outcome = driver.drive(&mut child).await;
                        (index, child, outcome)
                    }));
                }
            }
            if host.fork_settled() {
                return true;
            }
            let next = if local.is_empty() {
                match tasks.join_next().await {
                    Some(Ok(done)) => Some(done),
                    // A panic in a child (a handler's, under the re-run policy) is the
                    // execution's: it unwinds on, as it would have on this task.
                    Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Some(Err(_)) | None => None,
                }
            } else {
                local.next().await
            };
            let Some((index, child, outcome)) = next else {
                return true;
            };
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            host.fork_complete(index, &child, outcome, self.clock.now_ms());
        }
    }
}
