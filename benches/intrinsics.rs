//! `intrinsics/<function>/1`: one evaluation of a compiled `States.*` call against a small
//! input document (parsing is done once, outside the loop).

use aslx::path::{Env, Expr, NoVars};
use aslx::{json, Value};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// (name, expression, check on the result).
type Case = (&'static str, &'static str, fn(&Value) -> bool);

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn len(v: &Value) -> Option<usize> {
    v.as_array().map(<[Value]>::len)
}

fn bench(c: &mut Criterion) {
    let nums: Vec<i64> = (0..20).collect();
    let input = json!({
        "name": "Arnav",
        "city": "Seattle",
        "json": "{\"a\": 1, \"b\": [1, 2, 3], \"c\": {\"d\": \"e\"}}",
        "obj": {"a": 1, "b": [1, 2, 3], "c": {"d": "e"}},
        "nums": nums,
        "text": "The quick brown fox jumps over the lazy dog",
        "n": 41
    });
    let ctx = json!({});
    let env = Env {
        input: &input,
        context: &ctx,
        vars: &NoVars,
    };
    // (function, call, check on the result)
    let cases: [Case; 10] = [
        (
            "Format",
            "States.Format('Hello, {} from {}.', $.name, $.city)",
            |v| v.as_str() == Some("Hello, Arnav from Seattle."),
        ),
        ("StringToJson", "States.StringToJson($.json)", |v| {
            v.get("c").and_then(|c| c.get("d")).and_then(Value::as_str) == Some("e")
        }),
        ("JsonToString", "States.JsonToString($.obj)", |v| {
            v.as_str().is_some_and(|s| s.starts_with("{\"a\":1"))
        }),
        ("ArrayPartition", "States.ArrayPartition($.nums, 4)", |v| {
            len(v) == Some(5)
        }),
        ("ArrayContains", "States.ArrayContains($.nums, 7)", |v| {
            v.as_bool() == Some(true)
        }),
        ("ArrayRange", "States.ArrayRange(1, 100, 1)", |v| {
            len(v) == Some(100)
        }),
        ("Hash", "States.Hash($.text, 'SHA-256')", |v| {
            v.as_str() == Some("d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
        }),
        ("Base64Encode", "States.Base64Encode($.text)", |v| {
            v.as_str().is_some_and(|s| s.starts_with("VGhlIHF1aWNr"))
        }),
        ("MathAdd", "States.MathAdd($.n, 1)", |v| {
            v.as_i64() == Some(42)
        }),
        ("UUID", "States.UUID()", |v| {
            v.as_str().is_some_and(|s| s.len() == 36)
        }),
    ];

    let mut group = c.benchmark_group("intrinsics");
    group.throughput(Throughput::Elements(1));
    for (function, text, check) in cases {
        let expr = Expr::parse(text).expect(text);
        let v = expr.eval(&env).expect(text);
        assert!(check(&v), "{function}: {text} gave {}", v.to_json());
        group.bench_function(format!("{function}/1"), |b| {
            b.iter(|| black_box(expr.eval(black_box(&env)).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
