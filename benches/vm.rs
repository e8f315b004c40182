//! `vm/<machine>/1`: one execution of a shared bench machine on the bare VM — no tokio, the
//! handlers called inline — so the figure is the engine's own cost per execution.
//! `vm/map_items/1000`: the `map10` machine over 1,000 items (one execution).

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
    let (map_def, _) = common::machine("map10");
    let items: Vec<aslx::Value> = (0..1000)
        .map(|i| aslx::json!({"id": i, "v": i % 10}))
        .collect();
    let map_input = aslx::json!({ "items": aslx::Value::array(items) });
    let cases = [
        "pass1",
        "pipeline5",
        "task3",
        "choice_loop",
        "catch_fail",
        "map10",
        "parallel3",
    ]
    .into_iter()
    .map(|name| {
        let (def, input) = common::machine(name);
        (name, format!("{name}/1"), def, input)
    })
    .chain(std::iter::once((
        "map10",
        "map_items/1000".to_string(),
        map_def,
        map_input,
    )));
    for (name, id, def, input) in cases {
        let m = Machine::new(name, &def, MachineType::Express, &handlers).expect(name);
        let info = Arc::new(ExecutionInfo::anonymous(name, 0));
        // Sanity: the machine runs to success before it is timed.
        let mut e = Execution::new(Arc::clone(m.program()), Arc::clone(&info), input.clone());
        assert_eq!(
            common::run_inline(&m, &mut e).status,
            Status::Succeeded,
            "{name}"
        );
        group.bench_function(id, |b| {
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
