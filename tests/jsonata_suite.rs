//! The JSONata 2.0.6 reference suite as a test: every case under `../shared/jsonata/cases` (or
//! `$ASLX_JSONATA_DIR`) runs through `aslx::jsonata` — compile, then evaluate against the case's
//! input (absent `data` is no input, JSONata's undefined) with its bindings as variables.
//!
//! Comparison, as the suite's README says: deep JSON equality with numbers by value and object
//! keys in any order (`unordered` cases compare arrays as multisets); `undefined` must be no
//! value at all; errors compare by code only. Cases with `limits` run under those limits, and
//! for them the engine's own limit errors (`D1011` depth, `D1012` time, `U1006` steps) stand
//! for the reference runner's `U1001`. Case files that `serde_json` cannot read because they
//! hold a lone UTF-16 surrogate (tag `lone-surrogate`) are not applicable and count as skipped.
//!
//! The checked-in list `tests/jsonata/known_failures.txt` (`id  # reason`) holds the ids
//! expected to fail. The test fails when a case off the list fails, and when a case on the list
//! passes. `ASLX_JSONATA_FILTER=substring` runs a subset; `ASLX_JSONATA_WRITE_KNOWN=1` rewrites
//! the list from the current run.

#[path = "support/corpus.rs"]
mod corpus;

use aslx::jsonata::{Expression, Limits, StatesBindings};
use aslx::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

fn cases_dir() -> PathBuf {
    match std::env::var_os("ASLX_JSONATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/jsonata/cases"),
    }
}

fn known_failures_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/jsonata/known_failures.txt")
}

enum Case {
    Run(String, serde_json::Value),
    NotApplicable(PathBuf),
}

fn load_cases() -> Vec<Case> {
    let files = corpus::json_files(&cases_dir());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(case) => {
                    let id = case["id"].as_str().unwrap_or_default().to_string();
                    Case::Run(id, case)
                }
                Err(_) if text.contains("\"lone-surrogate\"") => Case::NotApplicable(p),
                Err(e) => panic!("{}: {e}", p.display()),
            }
        })
        .collect()
}

/// Array equality as multisets (for `unordered` cases).
fn same_items(a: &Value, b: &Value) -> bool {
    match (a.as_array(), b.as_array()) {
        (Some(x), Some(y)) if x.len() == y.len() => {
            let mut used = vec![false; y.len()];
            x.iter().all(|item| {
                let found = (0..y.len()).find(|&i| !used[i] && y[i] == *item);
                found.map(|i| used[i] = true).is_some()
            })
        }
        _ => a == b,
    }
}

/// Runs one case; `Err` holds a one-line difference.
fn run_case(case: &serde_json::Value) -> Result<(), String> {
    let expected = &case["expected"];
    let src = case["expr"].as_str().ok_or("no expr")?;
    let input: Option<Value> = case.get("data").map(Value::from);
    let vars: Map = match case.get("bindings").and_then(|b| b.as_object()) {
        Some(b) => b
            .iter()
            .map(|(k, v)| (k.as_str().into(), Value::from(v)))
            .collect(),
        None => Map::new(),
    };
    let limited = case.get("limits").is_some();
    let limits = match case.get("limits") {
        Some(l) => Limits {
            max_depth: l["depth"].as_u64().unwrap_or(10_000) as usize,
            max_steps: None,
            timeout: l["timelimit_ms"].as_u64().map(Duration::from_millis),
        },
        None => Limits::default(),
    };
    let bindings = StatesBindings {
        variables: Some(&vars),
        ..Default::default()
    };
    let outcome =
        Expression::compile(src).and_then(|e| e.evaluate_with(input.as_ref(), &bindings, &limits));
    let clip = |v: &Value| v.to_json().chars().take(160).collect::<String>();
    match (outcome, expected.get("error").and_then(|e| e.as_str())) {
        (Err(e), Some(code)) => {
            let limit_error = ["D1011", "D1012", "U1006"].contains(&e.code());
            if e.code() == code || (limited && code == "U1001" && limit_error) {
                Ok(())
            } else {
                Err(format!("expected error {code}, got {e}"))
            }
        }
        (Err(e), None) => Err(format!("error {e}")),
        (Ok(v), Some(code)) => Err(format!(
            "expected error {code}, got {}",
            v.as_ref().map_or("undefined".into(), clip)
        )),
        (Ok(v), None) => {
            if expected.get("undefined").is_some() {
                return match v {
                    None => Ok(()),
                    Some(v) => Err(format!("expected undefined, got {}", clip(&v))),
                };
            }
            let want = Value::from(expected.get("result").ok_or("no expected result")?);
            let unordered = expected["unordered"].as_bool().unwrap_or(false);
            match v {
                Some(v) if v == want || (unordered && same_items(&v, &want)) => Ok(()),
                Some(v) => Err(format!("expected {}, got {}", clip(&want), clip(&v))),
                None => Err(format!("expected {}, got undefined", clip(&want))),
            }
        }
    }
}

#[test]
fn jsonata_suite() {
    let filter = std::env::var("ASLX_JSONATA_FILTER").ok();
    let mut tally = corpus::Tally::new(
        "jsonata",
        known_failures_file(),
        "ASLX_JSONATA_WRITE_KNOWN",
        "# JSONata suite cases expected to fail, one id a line (text after # is the reason).\n\
         # The jsonata_suite test fails when a case here passes: remove it.\n",
    );
    let mut not_applicable = 0;
    for case in load_cases() {
        let (id, case) = match case {
            Case::Run(id, case) => (id, case),
            Case::NotApplicable(p) => {
                println!("not applicable (lone surrogate): {}", p.display());
                not_applicable += 1;
                continue;
            }
        };
        if filter.as_deref().is_some_and(|f| !id.contains(f)) {
            continue;
        }
        let result = std::panic::catch_unwind(|| run_case(&case))
            .unwrap_or_else(|_| Err("panicked".to_string()));
        tally.record(id, result);
    }
    tally.finish(
        not_applicable,
        &format!(", + {not_applicable} not applicable: lone surrogates"),
    );
}
