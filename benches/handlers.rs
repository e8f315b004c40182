//! `handlers/<kind>/<program>/<mode>`: round trips through `worker:` and `command:` handlers,
//! one EXPRESS execution of a one-Task machine each, reported per execution.
//!
//! - `worker/*/sequential`: one execution after another through one worker process: the
//!   latency of a round trip (aslx → pipe → interpreter → pipe → aslx).
//! - `worker/*/concurrent`: [`BATCH`] executions at once through the same process, their
//!   calls pipelined on its stdin: the throughput of one worker.
//! - `command/cat/sequential`: a process started per call (`cat` echoes the input back), for
//!   comparison.
//!
//! Run: `cargo bench --bench handlers` (`-- --quick` for a short run).

use aslx::{json, Handlers, Machine, MachineType, Status};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Executions per iteration.
const BATCH: u64 = 200;

const DEF: &str = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}}"#;

fn machine(h: &Handlers) -> Arc<Machine> {
    Arc::new(Machine::new("one_task", DEF, MachineType::Express, h).expect("machine"))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let root = env!("CARGO_MANIFEST_DIR");
    let input = json!({"order": 1, "items": ["a", "b"]});
    let mut group = c.benchmark_group("handlers");
    group.sample_size(10);

    for (name, program, script) in [
        ("python", "python3", "examples/workers/echo_worker.py"),
        ("node", "node", "examples/workers/echo_worker.js"),
    ] {
        let mut h = Handlers::new();
        h.worker("f", program, [format!("{root}/{script}")])
            .expect("worker");
        let m = machine(&h);
        let o = rt.block_on(m.run(input.clone()));
        assert_eq!(o.status, Status::Succeeded, "{name}: {o:?}");
        group.throughput(Throughput::Elements(BATCH));
        group.bench_function(format!("worker/{name}/sequential"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    for _ in 0..BATCH {
                        let o = m.run(input.clone()).await;
                        assert_eq!(o.status, Status::Succeeded, "{o:?}");
                    }
                })
            })
        });
        group.bench_function(format!("worker/{name}/concurrent"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..BATCH)
                        .map(|_| {
                            let (m, input) = (Arc::clone(&m), input.clone());
                            tokio::spawn(Box::pin(async move { m.run(input).await.status }))
                        })
                        .collect();
                    for t in tasks {
                        let status = t.await.expect("execution");
                        assert_eq!(status, Status::Succeeded);
                    }
                })
            })
        });
    }

    let mut h = Handlers::new();
    h.command("f", "cat", Vec::<String>::new()).expect("cat");
    let m = machine(&h);
    let o = rt.block_on(m.run(input.clone()));
    assert_eq!(o.output, Some(input.clone()), "{o:?}");
    const SPAWNS: u64 = 20;
    group.throughput(Throughput::Elements(SPAWNS));
    group.bench_function("command/cat/sequential", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..SPAWNS {
                    let o = m.run(input.clone()).await;
                    assert_eq!(o.status, Status::Succeeded, "{o:?}");
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
