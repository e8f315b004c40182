//! Throughput of the NATS JetStream intake: accepted async starts per second (publish and
//! wait for JetStream's ack), alone and while one or two consumers (two connections, as two
//! processes) take each start and ack it.
//!
//! ```text
//! target/pyvenv/bin/nats-server -c server.conf &    # jetstream { sync_interval: always }
//! cargo run --release --example nats_throughput -- nats://127.0.0.1:4222 20000 64
//! ```
//!
//! Arguments: the server's URL, starts per run (default 20,000), concurrent accepts (64).

use aslx::durable::nats::{NatsIntake, NatsOptions};
use aslx::durable::{AcceptedStart, Intake};
use aslx::engine::ExecutionStatus;
use aslx::Status;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn start(run: &str, i: usize) -> AcceptedStart {
    AcceptedStart {
        execution_arn: format!("arn:aws:states:us-east-1:111111111111:express:M:{run}-{i}:x"),
        target_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:M".into(),
        name: format!("{run}-{i}"),
        input: r#"{"hello":"world"}"#.into(),
        trace_header: None,
        start_ms: 0,
        attempt: 1,
    }
}

/// Accepts `n` starts from `concurrency` tasks; returns the seconds taken.
async fn accept_all(intake: &Arc<NatsIntake>, run: &str, n: usize, concurrency: usize) -> f64 {
    let t = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (intake, next, run) = (Arc::clone(intake), Arc::clone(&next), run.to_string());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    if let Err(e) = intake.accept(&start(&run, i)).await {
                        eprintln!("accept {i}: {e}");
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    t.elapsed().as_secs_f64()
}

/// One run: `consumers` intakes consume (acking each start at once) while `n` are accepted.
async fn run(url: &str, consumers: usize, n: usize, concurrency: usize) {
    let mut opts = NatsOptions::new(url);
    opts.prefix = format!("BENCH{}_{consumers}", std::process::id());
    let intake = Arc::new(NatsIntake::connect(opts.clone()).await.expect("connect"));
    let done = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..consumers {
        let w = Arc::new(NatsIntake::connect(opts.clone()).await.expect("connect"));
        let (w2, done) = (Arc::clone(&w), Arc::clone(&done));
        tokio::spawn(Arc::clone(&w).deliver(Arc::new(move |s: AcceptedStart| {
            w2.finished(&s.execution_arn, ExecutionStatus::Ended(Status::Succeeded));
            done.fetch_add(1, Ordering::Relaxed);
        })));
        workers.push(w);
    }
    let t = Instant::now();
    let accept_s = accept_all(&intake, &opts.prefix, n, concurrency).await;
    let mut drained = None;
    if consumers > 0 {
        let deadline = Instant::now() + Duration::from_secs(120);
        while done.load(Ordering::Relaxed) < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drained = Some(t.elapsed().as_secs_f64());
    }
    println!(
        "{{\"consumers\":{consumers},\"starts\":{n},\"concurrency\":{concurrency},\"accepts_per_s\":{:.0},\"consumed\":{},\"consumed_per_s\":{}}}",
        n as f64 / accept_s,
        done.load(Ordering::Relaxed),
        drained.map_or("null".to_string(), |d| format!("{:.0}", done.load(Ordering::Relaxed) as f64 / d)),
    );
    for w in workers {
        w.close();
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).map_or("nats://127.0.0.1:4222", String::as_str);
    let n = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let concurrency = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(64);
    for consumers in [0, 1, 2] {
        run(url, consumers, n, concurrency).await;
    }
}
