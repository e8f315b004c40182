//! `jsonata/<scenario>/<size>`: JSONata compile and evaluation through `aslx::jsonata`.
//!
//! - `compile/account` and `eval_input/account`: `$sum(Account.Order.Product.(Price * Quantity))`
//!   on the suite's Account dataset (`function-sum/case000`, 0.9 kB) as the input document,
//!   which the engine reads in place from our `Value`.
//! - `eval_states/account`: the same sum over `$states.input.Account...`, the way a Step
//!   Functions state writes it: `$states` crosses to the engine as JSON, cut to what the
//!   expression reads.
//! - `states_field/<items>` and `states_whole/<items>`: `$states.input.meta.id` and
//!   `$states.input` on an input of that many items: the first costs the same at any size (only
//!   the field read is converted), the second shows the conversion cost of a whole document
//!   (our `Value` → JSON → engine → our `Value`).
//! - `input_whole/<items>`: `$` on the same document as the input: read in place, built back.

use aslx::jsonata::{Expression, NoBindings, StatesBindings};
use aslx::{json, Value};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::path::PathBuf;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SUM: &str = "$sum(Account.Order.Product.(Price * Quantity))";

fn account() -> Value {
    let dir = match std::env::var_os("ASLX_JSONATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/jsonata/cases"),
    };
    let file = dir.join("function-sum/case000.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("the Account dataset {}: {e}", file.display()));
    let case = aslx::parse_json(&text).expect("case JSON");
    assert_eq!(case.get("expr").and_then(Value::as_str), Some(SUM));
    case.get("data").cloned().expect("data")
}

/// `{"meta": {"id": ...}, "items": [n × {sku, qty, price, tags}]}`.
fn document(n: usize) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"sku": format!("sku{i}"), "qty": i % 5, "price": i as f64 * 1.5 + 0.25, "tags": ["a", "b"]}))
        .collect();
    json!({"meta": {"id": "order-1"}, "items": items})
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("jsonata");
    group.throughput(Throughput::Elements(1));

    let data = account();
    let expected = json!(336.36);
    group.bench_function("compile/account", |b| {
        b.iter(|| Expression::compile(black_box(SUM)).unwrap())
    });
    let sum = Expression::compile(SUM).unwrap();
    assert_eq!(
        sum.evaluate(Some(&data), &NoBindings).unwrap(),
        Some(expected.clone())
    );
    group.bench_function("eval_input/account", |b| {
        b.iter(|| sum.evaluate(Some(black_box(&data)), &NoBindings).unwrap())
    });
    let states_sum =
        Expression::compile("$sum($states.input.Account.Order.Product.(Price * Quantity))")
            .unwrap();
    let bindings = StatesBindings {
        input: Some(&data),
        ..Default::default()
    };
    assert_eq!(
        states_sum.evaluate(None, &bindings).unwrap(),
        Some(expected)
    );
    group.bench_function("eval_states/account", |b| {
        b.iter(|| states_sum.evaluate(None, black_box(&bindings)).unwrap())
    });

    let field = Expression::compile("$states.input.meta.id").unwrap();
    let whole = Expression::compile("$states.input").unwrap();
    let root = Expression::compile("$").unwrap();
    for n in [10, 1000] {
        let doc = document(n);
        let bindings = StatesBindings {
            input: Some(&doc),
            ..Default::default()
        };
        assert_eq!(
            field.evaluate(None, &bindings).unwrap(),
            Some(json!("order-1"))
        );
        assert_eq!(
            whole.evaluate(None, &bindings).unwrap().as_ref(),
            Some(&doc)
        );
        assert_eq!(
            root.evaluate(Some(&doc), &NoBindings).unwrap().as_ref(),
            Some(&doc)
        );
        group.bench_function(format!("states_field/{n}"), |b| {
            b.iter(|| field.evaluate(None, black_box(&bindings)).unwrap())
        });
        group.bench_function(format!("states_whole/{n}"), |b| {
            b.iter(|| whole.evaluate(None, black_box(&bindings)).unwrap())
        });
        group.bench_function(format!("input_whole/{n}"), |b| {
            b.iter(|| root.evaluate(Some(black_box(&doc)), &NoBindings).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
