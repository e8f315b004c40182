//! `events/...`: EventBridge pattern matching in-process.
//!
//! - `events/match/<rules>`: one realistic event (an EC2-style state change, 8 top-level
//!   fields and a 9-field `detail`) against a [`RuleIndex`] of 10 or 1,000 rules of the usual
//!   shapes: distinct `source`/`detail-type` pairs, every 10th with a numeric range, every 7th
//!   with an `anything-but`; every 100th a numeric-only rule (nothing to index: checked
//!   against every event) and every other 50th a prefix-only rule. The event matches a handful
//!   of them. Events/s is the figure that matters: it should barely fall with the number of
//!   rules (only the 1% of unindexable rules add to it).
//! - `events/naive/<rules>`: the same, asking each pattern in turn (what the index avoids).
//! - `events/compile/<shape>`: checking and compiling one pattern.

use aslx::events::{Pattern, RuleIndex};
use aslx::{parse_json, Value};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENT: &str = r#"{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "Order State Change 7",
  "source": "com.example.orders7",
  "account": "111122223333",
  "time": "2026-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "order-id": "o-1234",
    "state": "shipped",
    "total": 120.5,
    "items": 3,
    "customer": {"tier": "gold", "country": "NZ"},
    "warehouse": "wh-2",
    "express": true,
    "notes": null,
    "source-ip": "10.0.3.17"
  }
}"#;

/// Rule `i` of a bus with many rules.
fn rule(i: usize) -> String {
    if i % 100 == 99 {
        // Nothing to index: checked against every event.
        return format!(
            r#"{{"detail": {{"total": [{{"numeric": [">", {}]}}]}}}}"#,
            10_000 + i
        );
    }
    if i % 50 == 49 {
        // Only a prefix: indexed by its first byte.
        return format!(r#"{{"detail-type": [{{"prefix": "Audit {i} "}}]}}"#);
    }
    let mut detail = Vec::new();
    if i % 10 == 3 {
        detail.push(format!(
            r#""total": [{{"numeric": [">", {}, "<=", 1000]}}]"#,
            i % 200
        ));
    }
    if i.is_multiple_of(7) {
        detail.push(r#""state": [{"anything-but": ["cancelled", "failed"]}]"#.to_string());
    }
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(r#", "detail": {{{}}}"#, detail.join(", "))
    };
    format!(
        r#"{{"source": ["com.example.orders{}"], "detail-type": ["Order State Change {}"]{detail}}}"#,
        i % 100,
        i % 300
    )
}

fn bench(c: &mut Criterion) {
    let event: Value = parse_json(EVENT).unwrap();
    let mut group = c.benchmark_group("events");
    group.throughput(Throughput::Elements(1));
    for n in [10, 1000] {
        let patterns: Vec<Pattern> = (0..n).map(|i| Pattern::new(&rule(i)).unwrap()).collect();
        let mut index = RuleIndex::new();
        for (i, p) in patterns.iter().enumerate() {
            index.insert(i, p.clone());
        }
        // Sanity: the index and the one-by-one answer agree, and something matches.
        let naive: Vec<usize> = (0..n).filter(|&i| patterns[i].matches(&event)).collect();
        let matched = index.matches(&event);
        assert_eq!(matched, naive);
        assert!(!matched.is_empty());
        let mut out = Vec::with_capacity(16);
        group.bench_function(format!("match/{n}"), |b| {
            b.iter(|| {
                out.clear();
                index.matches_into(black_box(&event), &mut out);
                black_box(out.len())
            })
        });
        group.bench_function(format!("naive/{n}"), |b| {
            b.iter(|| {
                black_box(&patterns)
                    .iter()
                    .filter(|p| p.matches(&event))
                    .count()
            })
        });
    }
    let shapes: [(&str, &str); 3] = [
        (
            "exact",
            r#"{"source": ["com.example.orders7"], "detail-type": ["Order State Change 7"]}"#,
        ),
        (
            "content",
            r#"{"source": [{"prefix": "com.example."}], "detail": {
                 "total": [{"numeric": [">", 0, "<=", 1000]}],
                 "state": [{"anything-but": {"equals-ignore-case": ["cancelled", "failed"]}}],
                 "source-ip": [{"cidr": "10.0.0.0/16"}],
                 "customer": {"tier": ["gold", "silver"], "country": [{"exists": true}]}}}"#,
        ),
        (
            "or_wildcard",
            r#"{"$or": [{"detail-type": [{"wildcard": "Order * Change*"}]},
                        {"detail": {"$or": [{"state": ["shipped"]}, {"express": [true]}]}}],
               "resources": [{"wildcard": "arn:aws:ec2:*:instance/*"}]}"#,
        ),
    ];
    for (name, text) in shapes {
        assert!(Pattern::new(text).unwrap().matches(&event), "{name}");
        group.bench_function(format!("compile/{name}"), |b| {
            b.iter(|| Pattern::new(black_box(text)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
