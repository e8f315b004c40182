//! Counters of what the engine ran, per state machine: executions started, succeeded, failed,
//! timed out, aborted and refused by admission; executions in flight; how long executions
//! took, and how long states waited in the runtime. [`Engine::metrics`] reads them;
//! [`EngineMetrics::to_prometheus`] writes them in Prometheus' text format (what
//! `aslx serve` answers at `GET /metrics`).
//!
//! The protocol, so that counting costs the hot path next to nothing:
//!
//! 1. Each machine name has one [`MachineCounters`], shared by all its revisions, versions
//!    and alias routes (each [`Registered`](super::Registered) holds an `Arc` to it), so an
//!    execution reaches its counters through the version it already holds: no lookup, no lock.
//! 2. An admitted execution adds one to `started`; a start refused by the in-flight bound adds
//!    one to `throttled`.
//! 3. Every admitted execution ends exactly once in the counters, by the status it ended with
//!    (`ABORTED` when a stop or a dropped sync caller ended it), with its duration; so
//!    `started` less the ended ones is the machine's executions in flight.
//! 4. A state that waits in the runtime (a Task for an answer that comes later or for a
//!    retry's backoff, a Wait state, a Parallel or Map state for its children) records the
//!    time it waited, in milliseconds as the driver's clock reads it. States that complete
//!    within one step of the VM (Pass, Choice, a Task whose handler answers at once) record
//!    nothing: timing them would read the clock twice per state.
//!
//! All counters are relaxed atomics: a snapshot taken while executions run may count an end
//! before its start; in-flight figures are clamped at zero.
//!
//! PERF: pass1 through the engine, `load/callgrind.sh pass1 async --target engine`:
//! see the commit that added this module for the instructions per execution before and after.

use super::Engine;
use crate::asl::MachineType;
use crate::runtime::sync::{read, AtomicU64, Ordering};
use crate::value::Str;
use crate::vm::Status;
use std::fmt::Write;
use std::time::Duration;

/// Upper bounds of the duration histograms' buckets, in seconds (the last bucket, `+Inf`,
/// is implicit).
pub const DURATION_BUCKETS: [f64; 14] = [
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0, 3600.0,
];

/// The same bounds in microseconds, for the hot path's integer comparisons.
const BOUNDS_US: [u64; 14] = [
    100,
    500,
    1_000,
    5_000,
    10_000,
    50_000,
    100_000,
    500_000,
    1_000_000,
    5_000_000,
    10_000_000,
    60_000_000,
    300_000_000,
    3_600_000_000,
];

/// The state types that can wait in the runtime, in the order the state histograms keep them.
pub const WAITING_STATE_TYPES: [&str; 4] = ["Task", "Wait", "Parallel", "Map"];

/// A histogram of durations: a count per bucket and a sum.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    #[inline]
    fn observe(&self, us: u64) {
        let i = BOUNDS_US
            .iter()
            .position(|&b| us <= b)
            .unwrap_or(BOUNDS_US.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        HistogramSnapshot {
            count: counts.iter().sum(),
            counts,
            sum_seconds: self.sum_us.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

/// One machine's counters (see the module docs for who adds to them).
#[derive(Debug, Default)]
pub(crate) struct MachineCounters {
    started: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    timed_out: AtomicU64,
    aborted: AtomicU64,
    throttled: AtomicU64,
    execution: Histogram,
    states: [Histogram; WAITING_STATE_TYPES.len()],
}

impl MachineCounters {
    #[inline]
    pub(crate) fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// An execution ended with `status` after `took`.
    #[inline]
    pub(crate) fn ended(&self, status: Status, took: Duration) {
        let counter = match status {
            Status::Succeeded => &self.succeeded,
            Status::Failed => &self.failed,
            Status::TimedOut => &self.timed_out,
            _ => &self.aborted,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.execution
            .observe(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
    }

    /// A state of type `state_type` waited `ms` milliseconds in the runtime.
    pub(crate) fn state_waited(&self, state_type: &str, ms: i64) {
        if let Some(i) = WAITING_STATE_TYPES.iter().position(|t| *t == state_type) {
            self.states[i].observe(ms.max(0) as u64 * 1000);
        }
    }

    fn snapshot(&self, name: Str, machine_type: MachineType) -> MachineMetrics {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (succeeded, failed, timed_out, aborted) = (
            load(&self.succeeded),
            load(&self.failed),
            load(&self.timed_out),
            load(&self.aborted),
        );
        let started = load(&self.started);
        MachineMetrics {
            name,
            machine_type,
            started,
            succeeded,
            failed,
            timed_out,
            aborted,
            throttled: load(&self.throttled),
            in_flight: started.saturating_sub(succeeded + failed + timed_out + aborted),
            execution_duration: self.execution.snapshot(),
            state_durations: WAITING_STATE_TYPES
                .iter()
                .zip(&self.states)
                .map(|(t, h)| (*t, h.snapshot()))
                .collect(),
        }
    }
}

/// A histogram read at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    /// Observations per bucket (not cumulative): one per bound of [`DURATION_BUCKETS`], then
    /// the `+Inf` bucket.
    pub counts: Vec<u64>,
    /// Observations in all.
    pub count: u64,
    /// Their sum, in seconds.
    pub sum_seconds: f64,
}

/// One state machine's counters, read at one moment.
#[derive(Clone, Debug)]
pub struct MachineMetrics {
    /// The machine's name.
    pub name: Str,
    /// `EXPRESS` or `STANDARD`.
    pub machine_type: MachineType,
    /// Executions admitted.
    pub started: u64,
    /// Executions that ended `SUCCEEDED`.
    pub succeeded: u64,
    /// Executions that ended `FAILED`.
    pub failed: u64,
    /// Executions that ended `TIMED_OUT`.
    pub timed_out: u64,
    /// Executions that ended `ABORTED` (stopped, or their sync caller went away).
    pub aborted: u64,
    /// Starts refused by the engine's in-flight bound (`ThrottlingException`).
    pub throttled: u64,
    /// Executions running now.
    pub in_flight: u64,
    /// How long executions took, start to end.
    pub execution_duration: HistogramSnapshot,
    /// How long states waited in the runtime, by state type (see the module docs).
    pub state_durations: Vec<(&'static str, HistogramSnapshot)>,
}

/// What [`Engine::metrics`] reads.
#[derive(Clone, Debug)]
pub struct EngineMetrics {
    /// Executions in flight, all machines (those of deleted machines included).
    pub in_flight: usize,
    /// Task tokens open now.
    pub open_tokens: usize,
    /// Per machine, by name.
    pub machines: Vec<MachineMetrics>,
}

impl Engine {
    /// The engine's counters now, per machine (see the [module docs](self)).
    ///
    /// ```
    /// use aslx::engine::{Engine, StartRequest};
    /// use aslx::MachineType;
    /// let engine = Engine::builder().worker_threads(1).build().unwrap();
    /// engine.create_machine("p", r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    ///     MachineType::Express).unwrap();
    /// engine.start_sync_blocking(StartRequest::new("p")).unwrap();
    /// let m = &engine.metrics().machines[0];
    /// assert_eq!((m.started, m.succeeded, m.in_flight), (1, 1, 0));
    /// ```
    pub fn metrics(&self) -> EngineMetrics {
        let mut machines: Vec<MachineMetrics> = read(&self.shared.machines)
            .values()
            .map(|e| {
                let info = &e.current.info;
                e.current
                    .metrics
                    .snapshot(info.name.clone(), info.machine_type)
            })
            .collect();
        machines.sort_by(|a, b| a.name.cmp(&b.name));
        EngineMetrics {
            in_flight: self.in_flight(),
            open_tokens: self.open_tokens(),
            machines,
        }
    }

    /// `true` once a shutdown began ([`Engine::shutdown`]): new starts are refused.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.is_closing()
    }
}

impl EngineMetrics {
    /// The counters in Prometheus' text exposition format (version 0.0.4), every metric
    /// named `aslx_*` and labelled by `machine` (and `state_type` for state durations).
    pub fn to_prometheus(&self) -> String {
        let mut out = String::with_capacity(1024 + self.machines.len() * 2048);
        let _ = writeln!(
            out,
            "# HELP aslx_executions_in_flight Executions running now, all machines.\n# TYPE aslx_executions_in_flight gauge\naslx_executions_in_flight {}",
            self.in_flight
        );
        let _ = writeln!(
            out,
            "# HELP aslx_task_tokens_open Task tokens waiting for an answer.\n# TYPE aslx_task_tokens_open gauge\naslx_task_tokens_open {}",
            self.open_tokens
        );
        type Field = fn(&MachineMetrics) -> u64;
        let counters: [(&str, &str, Field); 6] = [
            ("started", "Executions admitted.", |m| m.started),
            ("succeeded", "Executions that ended SUCCEEDED.", |m| {
                m.succeeded
            }),
            ("failed", "Executions that ended FAILED.", |m| m.failed),
            ("timed_out", "Executions that ended TIMED_OUT.", |m| {
                m.timed_out
            }),
            ("aborted", "Executions that ended ABORTED.", |m| m.aborted),
            ("throttled", "Starts refused by the in-flight bound.", |m| {
                m.throttled
            }),
        ];
        for (name, help, field) in counters {
            let _ = writeln!(
                out,
                "# HELP aslx_executions_{name}_total {help}\n# TYPE aslx_executions_{name}_total counter"
            );
            for m in &self.machines {
                let _ = writeln!(
                    out,
                    "aslx_executions_{name}_total{{machine=\"{}\"}} {}",
                    label(&m.name),
                    field(m)
                );
            }
        }
        out.push_str("# HELP aslx_machine_executions_in_flight Executions of the machine running now.\n# TYPE aslx_machine_executions_in_flight gauge\n");
        for m in &self.machines {
            let _ = writeln!(
                out,
                "aslx_machine_executions_in_flight{{machine=\"{}\"}} {}",
                label(&m.name),
                m.in_flight
            );
        }
        out.push_str("# HELP aslx_execution_duration_seconds How long executions took, start to end.\n# TYPE aslx_execution_duration_seconds histogram\n");
        for m in &self.machines {
            let labels = format!("machine=\"{}\"", label(&m.name));
            histogram(
                &mut out,
                "aslx_execution_duration_seconds",
                &labels,
                &m.execution_duration,
            );
        }
        out.push_str("# HELP aslx_state_wait_duration_seconds How long states waited in the runtime (a Task for a later answer or a retry, a Wait state, a Parallel or Map state for its children), to the millisecond.\n# TYPE aslx_state_wait_duration_seconds histogram\n");
        for m in &self.machines {
            for (t, h) in &m.state_durations {
                let labels = format!("machine=\"{}\",state_type=\"{t}\"", label(&m.name));
                histogram(&mut out, "aslx_state_wait_duration_seconds", &labels, h);
            }
        }
        out
    }
}

/// A histogram's `_bucket` (cumulative), `_sum` and `_count` lines.
pub(crate) fn histogram(out: &mut String, name: &str, labels: &str, h: &HistogramSnapshot) {
    let mut cumulative = 0;
    for (i, c) in h.counts.iter().enumerate() {
        cumulative += c;
        let le = match DURATION_BUCKETS.get(i) {
            Some(b) => b.to_string(),
            None => "+Inf".to_string(),
        };
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum_seconds);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
}

/// A label value, escaped as the text format wants (`\\`, `\"`, `\n`).
pub(crate) fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
