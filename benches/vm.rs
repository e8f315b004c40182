//! `vm/<machine>/1`: one execution of a shared bench machine on the bare VM — no tokio, the
//! handlers called inline — so the figure is the engine's own cost per execution.

use aslx::vm::{Execution, Step, TaskOutcome};
use aslx::{ExecutionInfo, HandlerResult, Machine, MachineType, Outcome, Status};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::sync::Arc;

#[path = "common.rs"]
mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Drives an execution whose handlers answer at once and which never sleeps.
fn run_inline(m: &Machine, exec: &mut Execution) -> Outcome {
    loop {
        match exec.step(0) {
            Step::Done(o) => return o,
            Step::Yield => {}
            Step::Sleep { .. } => panic!("bench machines do not sleep"),
            Step::Call(call) => {
                let outcome = match m.handler(&call.target).map(|h| h.call(call.input)) {
                    Some(HandlerResult::Ready(Ok(v))) => TaskOutcome::Ok(v),
                    Some(HandlerResult::Ready(Err(e))) => TaskOutcome::Err(e),
                    _ => panic!("bench handlers answer at once"),
                };
                exec.resume_task(outcome, 0);
            }
        }
    }
}

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
        assert_eq!(run_inline(&m, &mut e).status, Status::Succeeded, "{name}");
        group.bench_function(format!("{name}/1"), |b| {
            b.iter(|| {
                let mut e =
                    Execution::new(Arc::clone(m.program()), Arc::clone(&info), input.clone());
                black_box(run_inline(&m, &mut e))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
