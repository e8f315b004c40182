//! `path/parse/<kind>` and `path/eval/<kind>`: JSONPath compile and evaluation for a definite
//! path, an index, a wildcard and a filter over 100 items, and a deep scan;
//! `path/set/<depth>`: ResultPath writing into a shared document, the input cloned per
//! iteration so the copy-on-write of the containers on the way is what is measured.

use aslx::path::{Env, NoVars, Path};
use aslx::{json, Value};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// (name, expression, check on the result).
type Case = (&'static str, &'static str, fn(&Value) -> bool);

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `{"a": {"b": {"c": ..., siblings}}, "items": [100 × {sku, qty}], ...}`.
fn document() -> Value {
    let items: Vec<Value> = (0..100)
        .map(|i| json!({"sku": format!("sku{i}"), "qty": i % 5, "price": i as f64 * 1.5}))
        .collect();
    json!({
        "a": {"b": {"c": "deep", "d": {"e": {"f": 1, "g": [1, 2, 3]}, "h": "x"}, "i": true},
              "j": {"k": 1, "l": 2}},
        "items": items,
        "meta": {"id": "order-1", "tags": ["x", "y", "z"]},
        "n": 42
    })
}

fn bench(c: &mut Criterion) {
    let doc = document();
    let ctx = json!({});
    let env = Env {
        input: &doc,
        context: &ctx,
        vars: &NoVars,
    };
    // (kind, path, check on the result)
    let cases: [Case; 5] = [
        ("definite", "$.a.b.c", |v| v.as_str() == Some("deep")),
        ("index", "$.items[3].sku", |v| v.as_str() == Some("sku3")),
        ("wildcard", "$.items[*].sku", |v| {
            v.as_array().map(<[Value]>::len) == Some(100)
        }),
        ("filter", "$.items[?(@.qty > 2)]", |v| {
            v.as_array().map(<[Value]>::len) == Some(40)
        }),
        ("deep_scan", "$..sku", |v| {
            v.as_array().map(<[Value]>::len) == Some(100)
        }),
    ];

    let mut group = c.benchmark_group("path");
    group.throughput(Throughput::Elements(1));
    for (kind, text, check) in cases {
        let p = Path::parse(text).expect(text);
        let v = p.eval(&env).expect(text);
        assert!(check(&v), "{kind}: {text} gave {}", v.to_json());
        group.bench_function(format!("parse/{kind}"), |b| {
            b.iter(|| black_box(Path::parse(black_box(text)).unwrap()))
        });
        group.bench_function(format!("eval/{kind}"), |b| {
            b.iter(|| black_box(p.eval(black_box(&env)).unwrap()))
        });
    }

    let result = json!({"status": "ok", "value": 7});
    for (depth, text) in [
        (1, "$.result"),
        (3, "$.a.b.result"),
        (5, "$.a.b.d.e.result"),
    ] {
        let p = Path::parse(text).expect(text);
        let mut v = doc.clone();
        p.set(&mut v, result.clone()).expect(text);
        let written = Path::parse(text)
            .unwrap()
            .eval(&Env::new(&v, &ctx))
            .unwrap();
        assert_eq!(written.to_json(), result.to_json(), "{text}");
        assert_eq!(
            doc.get("a")
                .unwrap()
                .get("b")
                .unwrap()
                .get("result")
                .map(|_| ()),
            None
        );
        group.bench_function(format!("set/{depth}"), |b| {
            b.iter(|| {
                let mut v = doc.clone();
                p.set(&mut v, result.clone()).unwrap();
                black_box(v)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
