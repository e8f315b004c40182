//! `runtime/<machine>/<mode>`: executions of the shared bench machines through the tokio
//! multi-thread runtime (two workers, as on the development machine), in batches of
//! [`BATCH`] per iteration, reported per execution.
//!
//! - `sync`: one caller task per worker runs its share of the batch, each execution to its
//!   end on the caller's task (StartSyncExecution in-process).
//! - `async`: every execution is spawned as its own task (its future boxed, as `aslx-load`
//!   does) and joined (StartExecution, with the end observed).
//!
//! `runtime/empty_task/async` spawns and joins empty tasks the same way: the ceiling of one
//! task per execution on this machine.

use aslx::{Machine, MachineType, Status};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;

#[path = "common.rs"]
mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Executions per iteration.
const BATCH: u64 = 1000;
/// Runtime workers and sync callers.
const WORKERS: usize = 2;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("runtime");
    let handlers = common::handlers();
    let mut group = c.benchmark_group("runtime");
    group.throughput(Throughput::Elements(BATCH));

    group.bench_function("empty_task/async", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..BATCH).map(|_| tokio::spawn(async {})).collect();
                for t in tasks {
                    t.await.expect("task");
                }
            })
        })
    });

    for name in common::MACHINES {
        let (def, input) = common::machine(name);
        let m = match Machine::new(name, &def, MachineType::Express, &handlers) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                eprintln!("runtime/{name}: skipped, the machine cannot be created: {e}");
                continue;
            }
        };
        // Sanity: the machine runs to success before it is timed.
        let out = rt.block_on(m.run(input.clone()));
        assert_eq!(out.status, Status::Succeeded, "{name}: {out:?}");

        group.bench_function(format!("{name}/sync"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let callers: Vec<_> = (0..WORKERS)
                        .map(|_| {
                            let (m, input) = (Arc::clone(&m), input.clone());
                            tokio::spawn(async move {
                                for _ in 0..BATCH / WORKERS as u64 {
                                    let o = m.run(input.clone()).await;
                                    debug_assert_eq!(o.status, Status::Succeeded);
                                }
                            })
                        })
                        .collect();
                    for t in callers {
                        t.await.expect("caller");
                    }
                })
            })
        });

        group.bench_function(format!("{name}/async"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..BATCH)
                        .map(|_| {
                            let (m, input) = (Arc::clone(&m), input.clone());
                            // Boxed as aslx-load does: tokio would otherwise copy the
                            // 1.2 KiB execution future several times per spawn.
                            tokio::spawn(Box::pin(async move { m.run(input).await.status }))
                        })
                        .collect();
                    for t in tasks {
                        let status = t.await.expect("execution");
                        debug_assert_eq!(status, Status::Succeeded);
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
