//! Long evaluations off the async workers (issue 18).
//!
//! Every evaluation starts where it is called, on the caller's thread, with a small step
//! budget ([`PROBE_STEPS`], about a millisecond of work): nearly all field expressions end
//! within it. One that does not is run again from the start under its full [`Limits`], inside
//! [`tokio::task::block_in_place`] when the caller is a worker of a multi-threaded runtime, so
//! the worker's other tasks (health probes, other executions) move to another thread while
//! this one computes. At most [`max_heavy`] such evaluations compute at once; the others wait
//! for a slot (off the workers too), stopping as soon as their execution is stopped or its
//! deadline passes.
//!
//! Running the expression again is safe because evaluation has no side effects; the first run's
//! steps are lost (at most [`PROBE_STEPS`]). `$random()`, `$uuid()` and `$now()` give the second
//! run's values, which is the only run anyone sees.

use super::Limits;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The step budget of the first run on the caller's thread.
pub(crate) const PROBE_STEPS: u64 = 20_000;

/// How many long evaluations compute at once: the number of cores, at least 1.
pub(crate) fn max_heavy() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether a run past the probe can leave the caller's worker: inside a multi-threaded
/// runtime or outside any (a current-thread runtime cannot give its thread away, so a long
/// evaluation runs there as before, under its limits).
pub(crate) fn can_offload() -> bool {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread,
        Err(_) => true,
    }
}

/// The limits of the probe run: `limits` with at most [`PROBE_STEPS`] steps. `None` when the
/// limits allow no more than that anyway.
pub(crate) fn probe_limits(limits: &Limits) -> Option<Limits> {
    match limits.max_steps {
        Some(n) if n <= PROBE_STEPS => None,
        _ => Some(Limits {
            max_steps: Some(PROBE_STEPS),
            ..limits.clone()
        }),
    }
}

static SLOTS: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// A slot among the [`max_heavy`] long evaluations, given back on drop.
struct Slot;

impl Drop for Slot {
    fn drop(&mut self) {
        let mut used = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
        *used -= 1;
        FREED.notify_one();
    }
}

/// Waits for a slot until `deadline`, polling `stopped` every 10 ms. `None`: stopped first.
fn acquire(deadline: Option<Instant>, stopped: &dyn Fn() -> bool) -> Option<Slot> {
    let mut used = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if *used < max_heavy() {
            *used += 1;
            return Some(Slot);
        }
        if stopped() || deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        used = FREED
            .wait_timeout(used, Duration::from_millis(10))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Runs `f` (a long evaluation) off the async worker, in one of the [`max_heavy`] slots.
/// `None` when `stopped` or `deadline` came before a slot did.
pub(crate) fn run_heavy<R>(
    deadline: Option<Instant>,
    stopped: &dyn Fn() -> bool,
    f: impl FnOnce() -> R,
) -> Option<R> {
    let work = || {
        let _slot = acquire(deadline, stopped)?;
        Some(f())
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}
