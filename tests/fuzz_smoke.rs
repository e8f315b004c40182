//! Every fuzz target of `fuzz/` run over its seeds, and a few cheap mutations of each, as a
//! plain test: the harnesses keep building and their seeds keep passing without a fuzzer
//! installed. A few seconds per target; the coverage-guided runs are in `fuzz/README.md`.
//! Crashes the fuzzer found are replayed by the tests named after them at the end.

#[path = "../fuzz/seeds.rs"]
mod seeds;
#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;
use std::time::{Duration, Instant};

/// Time for one target's seeds (in a fixed order, so the first ones always run).
const SEED_BUDGET: Duration = Duration::from_secs(4);
/// Time for one target's mutations.
const MUTATION_BUDGET: Duration = Duration::from_secs(1);

fn smoke(name: &str) {
    let (_, run) = targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no target {name}"));
    let seeds = seeds::seeds(name, Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let t = Instant::now();
    for s in &seeds {
        run(s);
        if t.elapsed() > SEED_BUDGET {
            break;
        }
    }
    // Truncations and byte flips, cycling through the seeds until the budget is spent.
    let t = Instant::now();
    let mut n = 0usize;
    'outer: for round in 0..64usize {
        for s in &seeds {
            if t.elapsed() > MUTATION_BUDGET {
                break 'outer;
            }
            if s.is_empty() {
                continue;
            }
            let at = (round * 7919 + n) % s.len();
            run(&s[..at]);
            let mut flipped = s.clone();
            flipped[at] ^= [0x01, 0x20, 0x80, 0xff][round % 4];
            run(&flipped);
            n += 1;
        }
    }
    eprintln!("{name}: {} seeds, {n} mutated pairs", seeds.len());
}

#[test]
fn fuzz_target_definition() {
    smoke("definition");
}

#[test]
fn fuzz_target_jsonpath() {
    smoke("jsonpath");
}

#[test]
fn fuzz_target_intrinsic() {
    smoke("intrinsic");
}

#[test]
fn fuzz_target_jsonata() {
    smoke("jsonata");
}

#[test]
fn fuzz_target_request() {
    smoke("request");
}

#[test]
fn fuzz_target_sigv4() {
    smoke("sigv4");
}

#[test]
fn fuzz_target_mock_config() {
    smoke("mock_config");
}

#[test]
fn fuzz_target_event_pattern() {
    smoke("event_pattern");
}

#[test]
fn every_target_has_a_smoke_test() {
    let names: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
    let this = include_str!("fuzz_smoke.rs");
    for n in names {
        assert!(
            this.contains(&format!("smoke(\"{n}\")")),
            "{n} has no smoke test"
        );
    }
}
