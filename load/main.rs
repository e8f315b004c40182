//! `aslx-load`: the load generator. Drives one state machine in-process or over HTTP, in a
//! closed loop (fixed concurrency) or an open loop (fixed rate, latencies measured from each
//! execution's intended start so a stall is not hidden by the generator waiting for it), and
//! prints throughput and an HDR latency histogram.
//!
//! ```text
//! aslx-load --machine pass1.asl.json --input pass1.input.json --mode async --concurrency 256
//! aslx-load --machine pipeline5.asl.json --input pipeline5.input.json --mode sync --rate 500000
//! aslx-load ... --target http://127.0.0.1:8083 --json
//! aslx-load ... --target route:http://127.0.0.1:8084/pass1 --api http://127.0.0.1:8083 --name pass1
//! aslx-load ... --target events:http://127.0.0.1:8083 --rules 1000
//! ```

mod events;
mod handlers;
mod http;
mod progress;
mod report;
mod route;
mod stats;
mod target;

use clap::{Parser, ValueEnum};
use stats::Window;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use target::{Client, Done, Spawner, Target};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How executions are started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// StartSyncExecution: the caller waits for the execution's end.
    Sync,
    /// StartExecution: the execution runs on its own task; in-process its end is counted.
    Async,
}

impl Io {
    fn as_str(self) -> &'static str {
        match self {
            Io::Value => "value",
            Io::Text => "text",
        }
    }
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "async",
        }
    }
}

/// What each in-process execution is given and gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Io {
    /// A parsed input (each thread parses its copy once) and the output as a value: the
    /// engine's own cost.
    Value,
    /// The input as JSON text, parsed for every execution, and the output serialized to JSON
    /// text: what a server or another engine's harness pays, so that figures compare.
    Text,
}

#[derive(Parser, Debug)]
#[command(
    name = "aslx-load",
    version,
    about = "Load generator for aslx: executions per second and HDR latencies, in-process or over HTTP",
    after_help = "Closed loop (--concurrency): C callers each start the next execution as soon as the \
previous one ends. Open loop (--rate): executions are due at a fixed rate whatever the answers, and \
each latency runs from the time the execution was due, so a stall shows in the percentiles instead of \
slowing the generator down (no coordinated omission). Task resources are bound to the bench handlers \
identity, add and fail by Lambda function name; --handler binds more (e.g. \
remote=http:URL), and --integrations binds the HTTP Task and endpoints from the environment."
)]
struct Args {
    /// The state machine definition (ASL JSON).
    #[arg(long)]
    machine: PathBuf,
    /// The execution input (JSON).
    #[arg(long)]
    input: PathBuf,
    /// sync: wait for each execution (StartSyncExecution); async: start it on its own task
    /// (StartExecution) and count its end.
    #[arg(long, value_enum, default_value_t = Mode::Async)]
    mode: Mode,
    /// Closed loop: executions in flight at once (default 64). With --rate: the most in flight
    /// (the number of callers for sync and HTTP, default 64; for in-process async, default
    /// 100000; past it a due execution is refused and counted as failed).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Open loop: executions started per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds run before measuring.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// `inproc` (a bare Machine on this process's runtime), `engine` (the Engine in this
    /// process; async counts accepted starts while holding the concurrency in flight),
    /// `http://HOST:PORT` of `aslx serve` (or any Step Functions endpoint), or
    /// `route:http://HOST:PORT/PATH`, a route of `aslx serve --route`: the input is POSTed as
    /// the body and a 200 counts as succeeded (the route decides sync or async; --mode only
    /// names the run), or `events:http://HOST:PORT`, EventBridge's PutEvents on `aslx serve`:
    /// one event a call, matching the rule that starts a STANDARD machine (executions started
    /// are counted at the end with ListExecutions).
    #[arg(long, default_value = "inproc")]
    target: String,
    /// events: rules on the run's own event bus, the one that starts the machine and
    /// N - 1 that match no event (past 300, start the server with --events-max-rules).
    #[arg(long, default_value_t = 1)]
    rules: usize,
    /// route: create the machine first (named by --name) through this Step Functions
    /// endpoint, `http://HOST:PORT` of the same `aslx serve`.
    #[arg(long)]
    api: Option<String>,
    /// Print one JSON line instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also write the run as a self-contained HTML page: the JSON line's figures, throughput
    /// over time and the latency by percentile.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Worker threads of the runtime (default: the number of cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress line.
    #[arg(long, short)]
    quiet: bool,
    /// HTTP: start executions of this machine instead of creating one (CreateStateMachine).
    #[arg(long)]
    state_machine_arn: Option<String>,
    /// HTTP, route: name of the machine to create (default: `aslx-load-` and the file's name).
    #[arg(long)]
    name: Option<String>,
    /// HTTP: role ARN of the machine to create.
    #[arg(long, default_value = "arn:aws:iam::123456789012:role/aslx-load")]
    role_arn: String,
    /// Engine: log every execution at this level (ALL, ERROR, FATAL; default OFF) to a sink
    /// that drops the records, without execution data: what building the history costs.
    #[arg(long)]
    log_level: Option<String>,
    /// Seconds to wait, after the measurement, for executions still in flight.
    #[arg(long, default_value_t = 10.0)]
    drain: f64,
    /// In-process: also bind RESOURCE=BEHAVIOUR, as `aslx run --handler` takes it
    /// (`add=http:http://127.0.0.1:9000/add`, ...). Repeatable.
    #[arg(long = "handler")]
    handlers: Vec<String>,
    /// Engine: record async starts in the embedded durable store in DIR (as
    /// `aslx serve --data-dir`) and answer each once recorded.
    #[arg(long = "data-dir")]
    data_dir: Option<PathBuf>,
    /// With --data-dir: always, batch or never (as `aslx serve --fsync`).
    #[arg(long, default_value = "batch")]
    fsync: String,
    /// In-process: Task resources no handler serves go to the integrations: the HTTP Task,
    /// and endpoints from the environment (LAMBDA_ENDPOINT, AWS_ENDPOINT_URL_<SERVICE>, ...).
    #[arg(long)]
    integrations: bool,
    /// In-process: `value` (the input parsed once per thread, the output left a value) or
    /// `text` (string in, string out: the input text parsed and the output serialized for
    /// every execution, as a server or another engine's harness does).
    #[arg(long, value_enum, default_value_t = Io::Value)]
    io: Io,
    /// In-process: the bench handlers as typed functions of serde types (`Handlers::typed`),
    /// to measure what typing costs against the `Value` handlers.
    #[arg(long)]
    typed_handlers: bool,
}

/// What to run, checked.
struct Plan {
    machine: String,
    mode: Mode,
    target: String,
    concurrency: usize,
    /// Caller tasks (sync, HTTP, engine): `concurrency`, except for the engine's async starts,
    /// where one lane per thread starts executions and `concurrency` bounds those in flight.
    lanes: usize,
    rate: Option<f64>,
    threads: usize,
    warmup: Duration,
    duration: Duration,
    drain: Duration,
    io: Io,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aslx-load: {e}");
            ExitCode::from(2)
        }
    }
}

fn seconds(flag: &str, s: f64, min: f64) -> Result<Duration, String> {
    if !(s.is_finite() && s >= min && s <= 86_400.0) {
        return Err(format!(
            "--{flag} {s}: must be between {min} and 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(s))
}

fn read(flag: &str, path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("--{flag} {}: {e}", path.display()))
}

/// `pass1` for `.../pass1.asl.json`.
fn machine_name(path: &Path) -> String {
    let file = path.file_name().map_or_else(
        || "machine".to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let stem = file.strip_suffix(".json").unwrap_or(&file);
    stem.strip_suffix(".asl").unwrap_or(stem).to_string()
}

/// The bench handlers, the `--handler` specs, and the integrations with `--integrations`.
fn bound_handlers(args: &Args) -> Result<aslx::Handlers, String> {
    let mut h = match args.typed_handlers {
        true => handlers::typed_handlers(),
        false => handlers::handlers(),
    };
    for spec in &args.handlers {
        aslx::runtime::HandlerSpec::parse(spec)
            .map_err(|e| format!("--{e}"))?
            .register(&mut h);
    }
    if args.integrations {
        h.integrations(aslx::integrations::Integrations::from_env("us-east-1")?);
    }
    Ok(h)
}

fn run(args: Args) -> Result<ExitCode, String> {
    let handlers = bound_handlers(&args)?;
    if let Some(path) = &args.report {
        // Now rather than after the run: a path that cannot be written fails fast.
        std::fs::write(path, "").map_err(|e| format!("--report {}: {e}", path.display()))?;
    }
    let definition = read("machine", &args.machine)?;
    let input = read("input", &args.input)?;
    if let Err(e) = aslx::parse_json(&input) {
        return Err(format!("--input {}: not JSON: {e}", args.input.display()));
    }
    let threads = match args.threads {
        Some(0) => return Err("--threads must be at least 1".into()),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let rate = match args.rate {
        Some(r) if !(r.is_finite() && r > 0.0) => {
            return Err(format!("--rate {r}: must be a positive number"))
        }
        r => r,
    };
    // In-process async: executions are fired, not waited for, so the concurrency bounds
    // those in flight rather than counting callers.
    let fire = (args.target == "inproc" || args.target == "engine") && args.mode == Mode::Async;
    let concurrency = match (args.concurrency, rate) {
        (Some(0), _) => return Err("--concurrency must be at least 1".into()),
        (Some(c), _) => c,
        (None, Some(_)) if fire => 100_000,
        (None, _) => 64,
    };
    let engine_async = args.target == "engine" && args.mode == Mode::Async;
    let plan = Plan {
        machine: machine_name(&args.machine),
        mode: args.mode,
        target: args.target.clone(),
        concurrency,
        // A durable start is answered after its write: each lane is one caller awaiting it,
        // so that concurrent callers share a group commit.
        lanes: if engine_async && args.data_dir.is_none() {
            threads.min(concurrency)
        } else {
            concurrency
        },
        rate,
        threads,
        warmup: seconds("warmup", args.warmup, 0.0)?,
        duration: seconds("duration", args.duration, 0.001)?,
        drain: seconds("drain", args.drain, 0.0)?,
        io: args.io,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let cannot_create = |e: &dyn std::fmt::Display| {
        format!(
            "machine {} ({}): cannot create: {e}",
            plan.machine,
            args.machine.display()
        )
    };
    let report = rt.block_on(async {
        if plan.target == "inproc" {
            let machine = aslx::Machine::new(
                &plan.machine,
                &definition,
                aslx::MachineType::Express,
                &handlers,
            )
            .map_err(|e| cannot_create(&e))?;
            let t: &'static target::InProc = Box::leak(Box::new(target::InProc::new(
                machine, input, plan.mode, args.io,
            )));
            drive(t, &plan, args.quiet).await
        } else if plan.target == "engine" {
            let closed = plan.rate.is_none();
            let level: aslx::engine::LogLevel = match &args.log_level {
                Some(l) => l.parse().map_err(|e| format!("--log-level: {e}"))?,
                None => aslx::engine::LogLevel::Off,
            };
            let store = match &args.data_dir {
                None => None,
                Some(d) => {
                    let fsync = args.fsync.parse().map_err(|e| format!("--fsync: {e}"))?;
                    let (s, _) = aslx::durable::embedded::EmbeddedStore::open(d, fsync)
                        .map_err(|e| format!("--data-dir: {e}"))?;
                    Some(s)
                }
            };
            let builder = match &store {
                Some(s) => aslx::engine::Engine::builder().intake(s.clone()),
                None => aslx::engine::Engine::builder(),
            };
            let engine = builder
                .runtime(tokio::runtime::Handle::current())
                .handlers(handlers.clone())
                .log_level(level)
                .include_execution_data(false)
                .log_sink(aslx::engine::LogSink::callback(|_| {}))
                // Closed loop: the lanes hold the count, the engine never refuses; open loop:
                // the engine's admission refuses past the concurrency.
                .max_in_flight(if closed {
                    plan.concurrency + plan.lanes
                } else {
                    plan.concurrency
                })
                .build()
                .map_err(|e| format!("engine: {e}"))?;
            engine
                .create_machine(&plan.machine, &definition, aslx::MachineType::Express)
                .map_err(|e| cannot_create(&e))?;
            let limit = if closed { plan.concurrency } else { usize::MAX };
            let mut t = target::EngineTarget::new(
                engine,
                plan.machine.clone(),
                input,
                plan.mode,
                limit,
                args.io,
            );
            t.durable = store.is_some();
            let t: &'static target::EngineTarget = Box::leak(Box::new(t));
            drive(t, &plan, args.quiet).await
        } else if let Some(url) = plan.target.strip_prefix("events:") {
            let name = args
                .name
                .clone()
                .unwrap_or_else(|| format!("aslx-load-events-{}", plan.machine));
            let machine = http::Machine {
                arn: args.state_machine_arn.clone(),
                name: &name,
                definition: &definition,
                role_arn: &args.role_arn,
            };
            let run = plan.warmup + plan.duration + plan.drain;
            let ev = events::Events::new(url, machine, &input, args.rules, run).await?;
            let t: &'static events::Events = Box::leak(Box::new(ev));
            let mut report = drive(t, &plan, args.quiet).await?;
            report.started = Some(t.count(stats::window()).await);
            report.rules = Some(args.rules);
            Ok(report)
        } else if let Some(url) = plan.target.strip_prefix("route:") {
            let route = route::Route::new(url, &input)?;
            if let Some(api) = &args.api {
                let name = args
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("aslx-load-{}", plan.machine));
                let (endpoint, _) = http::Endpoint::parse("--api", api)?;
                endpoint
                    .create_machine(&http::Machine {
                        arn: None,
                        name: &name,
                        definition: &definition,
                        role_arn: &args.role_arn,
                    })
                    .await?;
            }
            let t: &'static route::Route = Box::leak(Box::new(route));
            drive(t, &plan, args.quiet).await
        } else {
            let name = args
                .name
                .clone()
                .unwrap_or_else(|| format!("aslx-load-{}", plan.machine));
            let h = http::Http::new(
                &plan.target,
                plan.mode,
                http::Machine {
                    arn: args.state_machine_arn.clone(),
                    name: &name,
                    definition: &definition,
                    role_arn: &args.role_arn,
                },
                &input,
            )
            .await?;
            let t: &'static http::Http = Box::leak(Box::new(h));
            drive(t, &plan, args.quiet).await
        }
    })?;
    // In-flight executions past the drain are dropped with the runtime.
    rt.shutdown_background();
    let line = report.json(&plan);
    if args.json {
        println!("{line}");
    } else {
        report.print(&plan);
    }
    if let Some(path) = &args.report {
        crate::report::write(path, &line, &report.timeline, &report.hist)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The figures of one run.
struct Report {
    executions: u64,
    failed: u64,
    seconds: f64,
    hist: hdrhistogram::Histogram<u64>,
    rss_mb: f64,
    first_error: Option<String>,
    unfinished: usize,
    /// events: the rules on the bus.
    rules: Option<usize>,
    /// events: the executions the events started, or why they could not be counted.
    started: Option<Result<events::Started, String>>,
    /// Throughput each second, for `--report`.
    timeline: Vec<progress::Sample>,
}

/// The first error a lane met, for the summary.
static FIRST_ERROR: OnceLock<Mutex<Option<String>>> = OnceLock::new();

fn note_error(e: String) {
    let mut slot = FIRST_ERROR
        .get_or_init(|| Mutex::new(None))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        *slot = Some(e);
    }
}

/// Lanes and chains still running.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Runs the plan against `target`: starts the lanes, shows progress, waits for the end.
async fn drive<T: Target>(target: &'static T, plan: &Plan, quiet: bool) -> Result<Report, String> {
    let spawner = target.spawner();
    // Connect every lane before the clock starts, so a dead server fails fast.
    let mut clients = Vec::new();
    if spawner.is_none() {
        for _ in 0..plan.lanes {
            clients.push(target.client().await?);
        }
    }
    let t0 = Instant::now();
    let window = Window {
        start: t0 + plan.warmup,
        end: t0 + plan.warmup + plan.duration,
    };
    stats::set_window(window);
    match (spawner, plan.rate) {
        (Some(sp), None) => {
            LIVE.store(plan.concurrency, Ordering::Relaxed);
            for _ in 0..plan.concurrency {
                sp.spawn(Chain {
                    spawner: sp,
                    start: Instant::now(),
                });
            }
        }
        (Some(sp), Some(rate)) => {
            LIVE.store(plan.threads, Ordering::Relaxed);
            for i in 0..plan.threads {
                let pacer = Pacer::new(t0, rate, i, plan.threads);
                let limit = plan.concurrency as u64;
                tokio::spawn(async move {
                    fire_paced(sp, pacer, limit).await;
                    LIVE.fetch_sub(1, Ordering::Relaxed);
                });
            }
        }
        (None, rate) => {
            LIVE.store(clients.len(), Ordering::Relaxed);
            let lanes = clients.len();
            for (i, client) in clients.into_iter().enumerate() {
                let pacer = rate.map(|r| Pacer::new(t0, r, i, lanes));
                tokio::spawn(async move {
                    lane(client, pacer).await;
                    LIVE.fetch_sub(1, Ordering::Relaxed);
                });
            }
        }
    }
    let timeline = progress::progress(plan, window, quiet).await;
    // Drain: lanes and chains stop by themselves once past the window.
    let drain_end = Instant::now() + plan.drain;
    while LIVE.load(Ordering::Relaxed) > 0 && Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let totals = stats::totals();
    let hist = stats::merged();
    let first_error = FIRST_ERROR
        .get()
        .and_then(|m| m.lock().unwrap_or_else(|e| e.into_inner()).take());
    Ok(Report {
        executions: totals.measured + totals.refused,
        failed: totals.failed + totals.refused,
        seconds: plan.duration.as_secs_f64(),
        hist,
        rss_mb: peak_rss_mb(),
        first_error,
        unfinished: LIVE.load(Ordering::Relaxed),
        rules: None,
        started: None,
        timeline,
    })
}

/// Intended start times of one lane or pacer in open loop: lane `i` of `n` takes every `n`-th
/// slot of a schedule at `rate` per second, so the lanes together keep the rate.
#[derive(Clone, Copy)]
struct Pacer {
    t0: Instant,
    rate: f64,
    next: u64,
    step: u64,
}

impl Pacer {
    fn new(t0: Instant, rate: f64, i: usize, n: usize) -> Pacer {
        Pacer {
            t0,
            rate,
            next: i as u64,
            step: n as u64,
        }
    }

    /// When slot `k` is due.
    #[inline]
    fn at(&self, k: u64) -> Instant {
        self.t0 + Duration::from_secs_f64(k as f64 / self.rate)
    }

    /// The next slot's due time.
    #[inline]
    fn due(&self) -> Instant {
        self.at(self.next)
    }

    #[inline]
    fn advance(&mut self) {
        self.next += self.step;
    }
}

/// Waits until `due` without the millisecond granularity of tokio's timers: sleeps while more
/// than 2 ms away, then yields to other tasks until the time has come.
async fn wait_until(due: Instant) {
    loop {
        let now = Instant::now();
        if now >= due {
            return;
        }
        let left = due - now;
        if left > Duration::from_millis(2) {
            tokio::time::sleep_until((due - Duration::from_millis(2)).into()).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

/// A lane: one caller running executions one after another. Closed loop without a pacer; open
/// loop with one, each latency measured from the slot's due time.
async fn lane<C: Client>(mut client: C, mut pacer: Option<Pacer>) {
    let end = stats::window().end;
    let mut start = Instant::now();
    loop {
        if let Some(p) = &mut pacer {
            start = p.due();
            if start >= end {
                return;
            }
            wait_until(start).await;
            p.advance();
        }
        let r = client.call().await;
        let now = Instant::now();
        match r {
            Ok(ok) => stats::record(start, now, ok),
            Err(e) => {
                stats::record(start, now, false);
                note_error(e);
                // A dead or refusing server: do not spin on it.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        if now >= end {
            return;
        }
        if pacer.is_none() {
            start = now;
        }
        // Let other lanes run on this worker even when every execution completes at once.
        tokio::task::coop::consume_budget().await;
    }
}

/// Closed loop, fired: the end of one execution starts the next, so `concurrency` of them are
/// always in flight, each on its own task, with no lane task waiting on them.
struct Chain {
    spawner: &'static target::InProc,
    start: Instant,
}

impl Done for Chain {
    #[inline]
    fn done(self, ok: bool) {
        let now = Instant::now();
        stats::record(self.start, now, ok);
        if now < stats::window().end {
            self.spawner.spawn(Chain {
                spawner: self.spawner,
                start: now,
            });
        } else {
            LIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Open loop, fired: the latency of an execution runs from its due time.
struct Due(Instant);

impl Done for Due {
    #[inline]
    fn done(self, ok: bool) {
        stats::record(self.0, Instant::now(), ok);
    }
}

/// Open loop in-process async: starts every execution that has come due, refusing those past
/// `limit` in flight, then waits for the next.
async fn fire_paced(sp: &'static target::InProc, mut pacer: Pacer, limit: u64) {
    let end = stats::window().end;
    loop {
        let due = pacer.due();
        if due >= end {
            return;
        }
        wait_until(due).await;
        let now = Instant::now();
        let t = stats::totals();
        let mut room = limit.saturating_sub(t.started.saturating_sub(t.completed));
        let (mut started, mut refused) = (0, 0);
        while pacer.due() <= now && pacer.due() < end {
            if room > 0 {
                sp.spawn(Due(pacer.due()));
                room -= 1;
                started += 1;
            } else {
                refused += 1;
            }
            pacer.advance();
        }
        stats::started(started);
        if refused > 0 {
            stats::refused(now, refused);
        }
        tokio::task::yield_now().await;
    }
}

/// Peak resident memory of this process (`VmHWM`), in MiB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| (kb / 1024.0 * 10.0).round() / 10.0)
}

/// `1234567.8` as `1,234,568`.
fn group_digits(x: f64) -> String {
    let s = format!("{:.0}", x.max(0.0));
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    fn exec_per_s(&self) -> f64 {
        self.executions as f64 / self.seconds
    }

    fn quantile_us(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        round3(stats::us(self.hist.value_at_quantile(q)))
    }

    /// The `--json` line, fields in the documented order.
    fn json(&self, plan: &Plan) -> String {
        let text = |s: &str| serde_json::Value::from(s).to_string();
        let num = |x: f64| serde_json::Value::from(x).to_string();
        let max = if self.hist.is_empty() {
            0.0
        } else {
            round3(stats::us(self.hist.max()))
        };
        let mut fields = vec![
            ("machine", text(&plan.machine)),
            ("mode", text(plan.mode.as_str())),
            ("target", text(&plan.target)),
            ("io", text(plan.io.as_str())),
            ("concurrency", plan.concurrency.to_string()),
            ("rate", plan.rate.map_or_else(|| "null".to_string(), num)),
            ("executions", self.executions.to_string()),
            ("failed", self.failed.to_string()),
            ("seconds", num(round3(self.seconds))),
            ("exec_per_s", num(self.exec_per_s().round())),
            ("p50_us", num(self.quantile_us(0.50))),
            ("p90_us", num(self.quantile_us(0.90))),
            ("p99_us", num(self.quantile_us(0.99))),
            ("p999_us", num(self.quantile_us(0.999))),
            ("max_us", num(max)),
            ("rss_mb", num(self.rss_mb)),
        ];
        if let Some(rules) = self.rules {
            fields.push(("rules", rules.to_string()));
        }
        match &self.started {
            None => {}
            Some(Ok(s)) => fields.extend([
                ("started_per_s", num((s.started as f64 / s.span_s).round())),
                ("span_s", num(round3(s.span_s))),
                ("started", s.started.to_string()),
                ("accepted", s.accepted.to_string()),
                (
                    "started_total",
                    s.total.map_or_else(|| "null".into(), |t| t.to_string()),
                ),
                ("accepted_total", s.accepted_total.to_string()),
            ]),
            Some(Err(e)) => fields.extend([("started", "null".into()), ("started_error", text(e))]),
        }
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }

    fn print(&self, plan: &Plan) {
        let shape = match plan.rate {
            None => format!("closed loop, concurrency {}", plan.concurrency),
            Some(r) => format!(
                "open loop, {} exec/s, at most {} in flight",
                group_digits(r),
                plan.concurrency
            ),
        };
        println!(
            "aslx-load: {} {} {}, {shape}, {} threads",
            plan.machine,
            plan.mode.as_str(),
            plan.target,
            plan.threads
        );
        println!(
            "  {:.2} s measured: {} executions, {} failed, {} exec/s",
            self.seconds,
            group_digits(self.executions as f64),
            group_digits(self.failed as f64),
            group_digits(self.exec_per_s())
        );
        if !self.hist.is_empty() {
            println!(
                "  latency (µs): p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
                self.quantile_us(0.5),
                self.quantile_us(0.9),
                self.quantile_us(0.99),
                self.quantile_us(0.999),
                round3(stats::us(self.hist.max()))
            );
            print!("  histogram (µs):");
            for q in [0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0] {
                print!(
                    "  {}%={}",
                    q * 100.0,
                    round3(stats::us(self.hist.value_at_quantile(q)))
                );
            }
            println!();
        }
        match &self.started {
            None => {}
            Some(Ok(s)) => {
                let span = if s.total.is_some() {
                    "in the window".to_string()
                } else {
                    format!(
                        "in the window's last {:.2} s (the server lists no earlier ones)",
                        s.span_s
                    )
                };
                println!(
                    "  executions started by the events{}: {} {span}, {}/s, for {} PutEvents accepted",
                    self.rules
                        .map_or_else(String::new, |n| format!(" ({n} rules on the bus)")),
                    group_digits(s.started as f64),
                    group_digits(s.started as f64 / s.span_s),
                    group_digits(s.accepted as f64),
                );
                let total = s
                    .total
                    .map_or_else(|| "not all listed".into(), |t| group_digits(t as f64));
                println!(
                    "  since the set-up: {total} started, {} accepted",
                    group_digits(s.accepted_total as f64)
                );
            }
            Some(Err(e)) => println!("  executions started by the events: not counted: {e}"),
        }
        println!("  peak RSS {} MiB", self.rss_mb);
        if let Some(e) = &self.first_error {
            println!("  first error: {e}");
        }
        if self.unfinished > 0 {
            println!(
                "  {} lanes still running after the drain (executions that never ended)",
                self.unfinished
            );
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
