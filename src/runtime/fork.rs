//! Parallel branches and Map iterations on the driver (see [`Driver::serve_fork`]).
//!
//! In a module of its own: the children's futures are `Driver::drive` futures, whose type
//! the compiler can only see as `Send` from outside the module that defines it.

use super::driver::Driver;
use crate::vm::{Execution, Outcome};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::pin::Pin;
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
    /// The children are futures of this execution's task, not tasks of their own: the driver
    /// borrows its machine and the engine's services (which keeps a parked execution small),
    /// and children of one execution mostly wait on handlers and timers, where concurrency,
    /// not parallelism, is what counts. Executions themselves spread over the worker threads.
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
        let mut running: FuturesUnordered<ChildRun<'a>> = FuturesUnordered::new();
        loop {
            while let Some((index, mut child)) = host.fork_next() {
                let driver = *self;
                running.push(Box::pin(async move {
                    let outcome = driver.drive(&mut child).await;
                    (index, child, outcome)
                }));
            }
            if host.fork_settled() {
                return true;
            }
            let Some((index, child, outcome)) = running.next().await else {
                return true;
            };
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            host.fork_complete(index, &child, outcome);
        }
    }
}
