//! Runs a machine on tokio's paused clock (Waits and handler sleeps take virtual time).

use aslx::{Machine, Outcome, Value};
use std::time::Duration;

/// Runs `m` on `input` on a paused current-thread runtime; returns the outcome and the
/// virtual time it took.
pub fn run_paused(m: &Machine, input: Value) -> (Outcome, Duration) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let t0 = tokio::time::Instant::now();
        let o = m.run(input).await;
        (o, t0.elapsed())
    })
}
