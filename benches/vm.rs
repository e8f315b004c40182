//! `vm/<machine>/1`: one execution of a shared bench machine on the bare VM — no tokio, the
//! handlers called inline — so the figure is the engine's own cost per execution.
//! `vm/map_items/1000`: the `map10` machine over 1,000 items (one execution).
//! `vm/pipeline5_jsonata/1`: `pipeline5`'s transformations written as JSONata `Output`
//! expressions (`benches/machines/pipeline5_jsonata.asl.json`), on `pipeline5`'s input, with
//! the same output: the cost of JSONata states next to `vm/pipeline5/1`.

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
    let cases = common::MACHINES
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
        )))
        .chain(std::iter::once((
            "pipeline5_jsonata",
            "pipeline5_jsonata/1".to_string(),
            pipeline5_jsonata(),
            common::machine("pipeline5").1,
        )));
    let mut pipeline5_output = None;
    for (name, id, def, input) in cases {
        let m = Machine::new(name, &def, MachineType::Express, &handlers).expect(name);
        let info = Arc::new(ExecutionInfo::anonymous(name, 0));
        // Sanity: the machine runs to success before it is timed.
        let mut e = Execution::new(Arc::clone(m.program()), Arc::clone(&info), input.clone());
        let outcome = common::run_inline(&m, &mut e);
        assert_eq!(outcome.status, Status::Succeeded, "{name}");
        match name {
            "pipeline5" => pipeline5_output = outcome.output,
            "pipeline5_jsonata" => assert_eq!(outcome.output, pipeline5_output, "{name}"),
            _ => {}
        }
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

/// The JSONata twin of the shared `pipeline5` machine.
fn pipeline5_jsonata() -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("benches/machines/pipeline5_jsonata.asl.json");
    std::fs::read_to_string(path).expect("pipeline5_jsonata definition")
}

criterion_group!(benches, bench);
criterion_main!(benches);
