//! The run as it goes: one throughput sample a second (kept for `--report`), shown on stderr
//! as a progress bar redrawn five times a second when stderr is a terminal, or as one line a
//! second when it is not (a log, a test); nothing with `--quiet`.

use crate::stats::{self, Window};
use crate::{group_digits, Plan};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Throughput over one interval of the run (about a second).
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    /// End of the interval, seconds since the run began (warm-up included).
    pub t_s: f64,
    /// Executions completed per second over the interval.
    pub exec_per_s: f64,
    /// Executions completed so far.
    pub completed: u64,
    /// Failed or refused so far.
    pub failed: u64,
    /// Whether the interval was measured: it began after the warm-up.
    pub measuring: bool,
}

const BAR_WIDTH: usize = 30;

/// Samples throughput once a second until the window ends, showing it as it goes.
pub(crate) async fn progress(plan: &Plan, window: Window, quiet: bool) -> Vec<Sample> {
    let t0 = window.start - plan.warmup;
    let bar = !quiet && std::io::stderr().is_terminal();
    let step = match bar {
        true => Duration::from_millis(200),
        false => Duration::from_secs(1),
    };
    let total = (window.end - t0).as_secs_f64();
    let mut samples = Vec::new();
    let mut last = stats::totals();
    let mut last_at = t0;
    let mut tick = t0;
    let mut rate = 0.0;
    loop {
        if Instant::now() >= window.end {
            break;
        }
        tick += step;
        tokio::time::sleep_until(tick.min(window.end).into()).await;
        let now = Instant::now();
        let elapsed = (now - t0).as_secs_f64();
        let measuring = now > window.start;
        // An interval counts as measured when it began after the warm-up.
        let measured = last_at >= window.start;
        if now - last_at >= Duration::from_secs(1) || now >= window.end {
            let t = stats::totals();
            let dt = (now - last_at).as_secs_f64().max(1e-9);
            rate = (t.completed - last.completed) as f64 / dt;
            samples.push(Sample {
                t_s: elapsed,
                exec_per_s: rate,
                completed: t.completed,
                failed: t.failed + t.refused,
                measuring: measured,
            });
            if !quiet && !bar {
                eprintln!(
                    "[{elapsed:>6.1}s] {} {:>12} exec/s  completed {:>12}  failed {}",
                    phase(measured),
                    group_digits(rate),
                    group_digits(t.completed as f64),
                    t.failed + t.refused,
                );
            }
            last = t;
            last_at = now;
        }
        if bar {
            let t = stats::totals();
            draw(
                elapsed,
                total,
                measuring,
                rate,
                t.completed,
                t.failed + t.refused,
            );
        }
    }
    if bar {
        // Clear the bar: the summary follows on stdout.
        eprint!("\r\x1b[2K");
        let _ = std::io::stderr().flush();
    }
    samples
}

fn phase(measuring: bool) -> &'static str {
    if measuring {
        "measure"
    } else {
        "warmup "
    }
}

/// `[=========>          ]  6.2/12.0 s measure    1,234,567 exec/s  completed 7,654,321  failed 0`
fn draw(elapsed: f64, total: f64, measuring: bool, rate: f64, completed: u64, failed: u64) {
    let filled = ((elapsed / total.max(1e-9)) * BAR_WIDTH as f64).round() as usize;
    let filled = filled.min(BAR_WIDTH);
    let mut b = String::with_capacity(BAR_WIDTH + 2);
    for i in 0..BAR_WIDTH {
        b.push(match i.cmp(&filled) {
            std::cmp::Ordering::Less => '=',
            std::cmp::Ordering::Equal => '>',
            std::cmp::Ordering::Greater => ' ',
        });
    }
    eprint!(
        "\r\x1b[2K[{b}] {elapsed:>5.1}/{total:.1} s {} {:>12} exec/s  completed {}  failed {failed}",
        phase(measuring),
        group_digits(rate),
        group_digits(completed as f64),
    );
    let _ = std::io::stderr().flush();
}
