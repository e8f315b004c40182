//! `vm/<machine>/1`: one execution of a shared bench machine on the bare VM — no tokio, the
//! handlers called inline — so the figure is the engine's own cost per execution.

use aslx::vm::Execution;
use aslx::{ExecutionInfo, Machine, MachineType, Status};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::sync::Arc;

#[path = "common.rs"]
mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let handlers = common::handlers();
    let mut group = c.benchmark_group("vm");
    group.throughput(Throughput::Elements(1));
    for name in ["pass1", "pipeline5", "task3", "choice_loop", "catch_fail"] {
        let (def, input) = common::machine(name);
        let m = Machine::new(name, &def, MachineType::Express, &handlers).expect(name);
        let info = Arc::new(ExecutionInfo::anonymous(name, 0));
        // Sanity: the machine runs to success before it is timed.
        let mut e = Execution::new(Arc::clone(m.program()), Arc::clone(&info), input.clone());
        assert_eq!(
            common::run_inline(&m, &mut e).status,
            Status::Succeeded,
            "{name}"
        );
        group.bench_function(format!("{name}/1"), |b| {
            b.iter(|| {
                let mut e =
                    Execution::new(Arc::clone(m.program()), Arc::clone(&info), input.clone());
                black_box(common::run_inline(&m, &mut e))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
