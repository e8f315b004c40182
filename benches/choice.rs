//! `choice/<op>/1`: one execution of a Choice-only machine per operator family on the bare VM
//! (as `vm.rs`), so the figure is dominated by evaluating the compiled predicate. The rule
//! leads to a Succeed state and the Default to a Fail state: a predicate that does not match
//! fails the sanity check instead of timing the wrong branch.

use aslx::vm::Execution;
use aslx::{json, ExecutionInfo, Machine, MachineType, Status, Value};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::sync::Arc;

#[path = "common.rs"]
mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A machine whose only decision is `rule` (a Choice rule without `Next`).
fn choice_machine(rule: &str) -> String {
    format!(
        r#"{{"StartAt": "Decide", "States": {{
            "Decide": {{"Type": "Choice", "Choices": [{{{rule}, "Next": "Matched"}}], "Default": "NoMatch"}},
            "Matched": {{"Type": "Succeed"}},
            "NoMatch": {{"Type": "Fail", "Error": "NoMatch"}}
        }}}}"#
    )
}

fn bench(c: &mut Criterion) {
    let handlers = common::handlers();
    let input = json!({
        "n": 3.5,
        "status": "shipped",
        "file": "reports/2024/q3-summary.csv",
        "at": "2024-03-01T12:00:00Z",
        "order": {"id": "o-1", "qty": 4, "express": true}
    });
    let cases: [(&str, &str); 7] = [
        (
            "NumericLessThan",
            r#""Variable": "$.n", "NumericLessThan": 10"#,
        ),
        (
            "StringEquals",
            r#""Variable": "$.status", "StringEquals": "shipped""#,
        ),
        (
            "StringMatches",
            r#""Variable": "$.file", "StringMatches": "reports/*/q*-summary.csv""#,
        ),
        (
            "TimestampLessThan",
            r#""Variable": "$.at", "TimestampLessThan": "2025-01-01T00:00:00Z""#,
        ),
        (
            "And3",
            r#""And": [
                {"Variable": "$.order.qty", "NumericGreaterThan": 2},
                {"Variable": "$.order.express", "BooleanEquals": true},
                {"Variable": "$.order.id", "StringEquals": "o-1"}
            ]"#,
        ),
        (
            "Not",
            r#""Not": {"Variable": "$.status", "StringEquals": "pending"}"#,
        ),
        (
            "IsPresent",
            r#""Variable": "$.order.id", "IsPresent": true"#,
        ),
    ];

    let mut group = c.benchmark_group("choice");
    group.throughput(Throughput::Elements(1));
    for (op, rule) in cases {
        let def = choice_machine(rule);
        let m = Machine::new(op, &def, MachineType::Express, &handlers).expect(op);
        let info = Arc::new(ExecutionInfo::anonymous(op, 0));
        let run = |input: Value| {
            let mut e = Execution::new(Arc::clone(m.program()), Arc::clone(&info), input);
            common::run_inline(&m, &mut e)
        };
        // Sanity: the rule matches (the Default branch fails the execution).
        assert_eq!(run(input.clone()).status, Status::Succeeded, "{op}");
        group.bench_function(format!("{op}/1"), |b| {
            b.iter(|| black_box(run(input.clone())))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
