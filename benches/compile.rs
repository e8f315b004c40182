//! `compile/<machine>/1`: parse + compile of a shared bench machine (those without Map or
//! Parallel); `compile/generated/100`: the same for a generated 100-state definition, and
//! `machine/generated/100`: `Machine::new` on it (parse, validate, compile, link handlers).
//! DESIGN target: a 100-state definition compiles in at most 1 ms.

use aslx::{Machine, MachineType};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::fmt::Write;
use std::hint::black_box;

#[path = "common.rs"]
mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const IDENTITY: &str = "arn:aws:lambda:us-east-1:123456789012:function:identity";

/// A definition of `n` states cycling Pass (Parameters, ResultPath), Choice (3 rules),
/// Task (Retry, Catch) and Wait (Seconds 0); the last state ends the machine.
fn generated(n: usize) -> String {
    let mut states = Vec::with_capacity(n);
    for i in 0..n {
        let next = if i + 1 == n {
            r#""End": true"#.to_string()
        } else {
            format!(r#""Next": "S{}""#, i + 1)
        };
        let kind = if i + 1 == n { 0 } else { i % 4 };
        let body = match kind {
            0 => format!(
                r#""Type": "Pass", "Parameters": {{"n.$": "$.n", "label": "s{i}", "items.$": "$.items"}}, "ResultPath": "$.pass{i}", {next}"#
            ),
            1 => {
                let to = format!("S{}", i + 1);
                format!(
                    r#""Type": "Choice", "Choices": [
                        {{"Variable": "$.n", "NumericLessThan": 10, "Next": "{to}"}},
                        {{"Variable": "$.label", "StringEquals": "x{i}", "Next": "{to}"}},
                        {{"And": [{{"Variable": "$.n", "IsPresent": true}}, {{"Variable": "$.n", "NumericGreaterThanEquals": 0}}], "Next": "{to}"}}
                    ], "Default": "{to}""#
                )
            }
            2 => format!(
                r#""Type": "Task", "Resource": "{IDENTITY}", "ResultPath": "$.task{i}",
                   "Retry": [{{"ErrorEquals": ["States.Timeout", "CustomError"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0}}],
                   "Catch": [{{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "S{}"}}], {next}"#,
                i + 1
            ),
            _ => format!(r#""Type": "Wait", "Seconds": 0, {next}"#),
        };
        states.push(format!(r#""S{i}": {{{body}}}"#));
    }
    let mut def = String::new();
    write!(
        def,
        r#"{{"Comment": "generated", "StartAt": "S0", "States": {{{}}}}}"#,
        states.join(",\n")
    )
    .unwrap();
    def
}

fn compile(def: &str) -> aslx::compile::Program {
    let model = aslx::asl::parse_definition(def, MachineType::Express).expect("definition");
    aslx::compile::compile(&model).expect("compile")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(1));
    for name in ["pass1", "pipeline5", "task3", "choice_loop", "catch_fail"] {
        let (def, _) = common::machine(name);
        assert!(!compile(&def).is_empty(), "{name}");
        group.bench_function(format!("{name}/1"), |b| {
            b.iter(|| black_box(compile(black_box(&def))))
        });
    }
    let def = generated(100);
    assert_eq!(compile(&def).len(), 100, "generated definition");
    group.bench_function("generated/100", |b| {
        b.iter(|| black_box(compile(black_box(&def))))
    });
    group.finish();

    let handlers = common::handlers();
    let mut group = c.benchmark_group("machine");
    group.throughput(Throughput::Elements(1));
    let m = Machine::new("generated", &def, MachineType::Express, &handlers).expect("machine");
    assert_eq!(m.program().len(), 100);
    group.bench_function("generated/100", |b| {
        b.iter(|| {
            black_box(
                Machine::new(
                    "generated",
                    black_box(&def),
                    MachineType::Express,
                    &handlers,
                )
                .expect("machine"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
