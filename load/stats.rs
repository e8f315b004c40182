//! Counting and timing executions without slowing them down.
//!
//! Every thread that completes executions records into its own [`Shard`]: latency buckets laid
//! out exactly as an [`hdrhistogram::Histogram`] of 3 significant digits lays them out, and
//! counters, all written only by that thread (relaxed load and store: no lock, no
//! read-modify-write instruction). The progress line reads the counters; the summary folds
//! every shard's buckets into one `Histogram` once the run is over, losslessly (each bucket's
//! count lands in the same bucket). Nothing is shared between threads on the hot path, so two
//! cores completing millions of executions per second never fight over a cache line.
//!
//! PERF: recording costs about 20 instructions; through a `Mutex<Histogram>` per thread it was
//! about 150 (callgrind, pass1 sync).
//!
//! Which thread completes an execution does not matter: an in-process execution may finish on
//! any worker of the runtime (or, later, on the engine's own threads) and records there.

use hdrhistogram::Histogram;
use std::cell::OnceCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Largest latency the histograms hold: ten minutes, past the five-minute express cap.
const MAX_LATENCY_NS: u64 = 600_000_000_000;

/// The measurement window: executions completing inside it are counted.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// End of the warm-up, start of measurement.
    pub start: Instant,
    /// End of measurement: no execution is started after it.
    pub end: Instant,
}

/// `log2` of half the sub-buckets of a bucket: 2048 sub-buckets give 3 significant digits.
const HALF_MAGNITUDE: u32 = 10;
/// Sub-buckets per bucket.
const SUB_BUCKETS: u64 = 1 << (HALF_MAGNITUDE + 1);
/// Slots for values up to [`MAX_LATENCY_NS`] (< 2^40).
const SLOTS: usize = ((40 - HALF_MAGNITUDE as usize) + 1) << HALF_MAGNITUDE;

/// The slot of `v` (1 ..= [`MAX_LATENCY_NS`]), as `hdrhistogram` computes its index for a
/// histogram with lowest value 1 and 3 significant digits.
#[inline]
fn slot(v: u64) -> usize {
    let bucket = 64 - (v | (SUB_BUCKETS - 1)).leading_zeros() - (HALF_MAGNITUDE + 1);
    let sub = (v >> bucket) as usize;
    ((bucket as usize + 1) << HALF_MAGNITUDE) + sub - (1 << HALF_MAGNITUDE)
}

/// The lowest value that falls in slot `i`.
fn slot_value(i: usize) -> u64 {
    let half = 1usize << HALF_MAGNITUDE;
    let mut bucket = (i >> HALF_MAGNITUDE) as i64 - 1;
    let mut sub = (i & (half - 1)) + half;
    if bucket < 0 {
        sub -= half;
        bucket = 0;
    }
    (sub as u64) << bucket
}

/// One thread's share of the figures.
struct Shard {
    /// Counts of latencies (nanoseconds) of executions completed inside the window, by
    /// [`slot`].
    buckets: Box<[AtomicU64]>,
    /// Executions completed inside the window (successful or not).
    measured: AtomicU64,
    /// Of those, the ones that failed (status other than SUCCEEDED, or a transport error).
    failed: AtomicU64,
    /// Executions completed since the start, warm-up included (for the progress line).
    completed: AtomicU64,
    /// Executions started since the start (open loop: to bound the number in flight).
    started: AtomicU64,
    /// Executions due inside the window but refused (open loop: too many in flight).
    refused: AtomicU64,
}

/// Adds one to a counter only the calling thread writes: no read-modify-write instruction.
#[inline]
fn bump(c: &AtomicU64, n: u64) {
    c.store(c.load(Relaxed) + n, Relaxed);
}

/// Every shard, so that the progress line and the summary can read them.
fn registry() -> &'static Mutex<Vec<&'static Shard>> {
    static SHARDS: OnceLock<Mutex<Vec<&'static Shard>>> = OnceLock::new();
    SHARDS.get_or_init(|| Mutex::new(Vec::new()))
}

thread_local! {
    static LOCAL: OnceCell<&'static Shard> = const { OnceCell::new() };
}

#[inline]
fn with_shard<R>(f: impl FnOnce(&Shard) -> R) -> R {
    LOCAL.with(|cell| {
        let shard = cell.get_or_init(|| {
            // One per thread, for the life of the process.
            let shard: &'static Shard = Box::leak(Box::new(Shard {
                buckets: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
                measured: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                completed: AtomicU64::new(0),
                started: AtomicU64::new(0),
                refused: AtomicU64::new(0),
            }));
            registry()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(shard);
            shard
        });
        f(shard)
    })
}

/// The window of the current run; set once before the first execution starts.
static WINDOW: OnceLock<Window> = OnceLock::new();

/// Sets the measurement window. The first call wins (one run per process).
pub fn set_window(w: Window) {
    let _ = WINDOW.set(w);
}

/// The measurement window.
///
/// # Panics
///
/// Before [`set_window`].
#[inline]
pub fn window() -> &'static Window {
    WINDOW
        .get()
        .expect("the window is set before the run starts")
}

/// Records one finished execution, started (or due to start, in open loop) at `start` and
/// answered at `now`.
#[inline]
pub fn record(start: Instant, now: Instant, ok: bool) {
    let w = window();
    with_shard(|s| {
        bump(&s.completed, 1);
        if now >= w.start && now < w.end {
            bump(&s.measured, 1);
            if !ok {
                bump(&s.failed, 1);
            }
            let ns = now.saturating_duration_since(start).as_nanos() as u64;
            bump(&s.buckets[slot(ns.clamp(1, MAX_LATENCY_NS))], 1);
        }
    })
}

/// Counts `n` executions started by the calling thread.
#[inline]
pub fn started(n: u64) {
    with_shard(|s| bump(&s.started, n));
}

/// Counts `n` executions due at `now` that were not started (too many in flight).
pub fn refused(now: Instant, n: u64) {
    let w = window();
    if now >= w.start && now < w.end {
        with_shard(|s| bump(&s.refused, n));
    }
}

/// Totals over every thread, for the progress line and the in-flight bound.
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    /// Completed since the start, warm-up included.
    pub completed: u64,
    /// Started since the start (only counted by the open-loop pacers).
    pub started: u64,
    /// Completed inside the window.
    pub measured: u64,
    /// Failed inside the window.
    pub failed: u64,
    /// Refused inside the window.
    pub refused: u64,
}

/// Sums the counters of every thread (cheap: one read per thread and counter).
pub fn totals() -> Totals {
    let shards = registry().lock().unwrap_or_else(|e| e.into_inner());
    let mut t = Totals::default();
    for s in shards.iter() {
        t.completed += s.completed.load(Relaxed);
        t.started += s.started.load(Relaxed);
        t.measured += s.measured.load(Relaxed);
        t.failed += s.failed.load(Relaxed);
        t.refused += s.refused.load(Relaxed);
    }
    t
}

/// The merged latency histogram (nanoseconds) of every thread.
pub fn merged() -> Histogram<u64> {
    let shards = registry().lock().unwrap_or_else(|e| e.into_inner());
    let mut all = Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
        .expect("static histogram bounds are valid");
    for s in shards.iter() {
        for (i, b) in s.buckets.iter().enumerate() {
            let n = b.load(Relaxed);
            if n > 0 {
                all.saturating_record_n(slot_value(i), n);
            }
        }
    }
    all
}

/// Nanoseconds as microseconds.
pub fn us(ns: u64) -> f64 {
    Duration::from_nanos(ns).as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slots are hdrhistogram's buckets: folding a slot's lowest value back into a
    /// histogram lands in the bucket the original value went to.
    #[test]
    fn slots_match_hdrhistogram_buckets() {
        let h = Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_NS, 3).unwrap();
        let mut v = 1u64;
        while v <= MAX_LATENCY_NS {
            for x in [v, v + v / 3, v + v / 2, v * 2 - 1] {
                let x = x.min(MAX_LATENCY_NS);
                let i = slot(x);
                assert!(i < SLOTS, "{x}");
                let lo = slot_value(i);
                assert!(h.equivalent(lo, x), "{x}: slot {i} starts at {lo}");
                assert_eq!(h.lowest_equivalent(x), lo, "{x}");
            }
            v *= 2;
        }
        assert_eq!(slot_value(slot(1)), 1);
        assert_eq!(slot_value(slot(2047)), 2047);
        assert_eq!(slot_value(slot(2048)), 2048);
        assert_eq!(slot_value(slot(4097)), 4096);
    }
}
