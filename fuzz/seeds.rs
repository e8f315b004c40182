//! Seed inputs of every fuzz target, drawn from the conformance corpus
//! (`../shared/conformance`), the JSONata suite (`../shared/jsonata`), the EventBridge
//! pattern cases (`../shared/eventbridge`) and the repository's `tests/`, in the targets'
//! input formats (see `targets.rs`). Nothing is copied into the repository: the smoke test
//! reads them in place and `fuzz/src/bin/seed.rs` writes them to `fuzz/corpus/` for AFL.

#![allow(dead_code)]

use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// The seeds of `target`, given the repository's directory (`shared/` is its sibling).
pub fn seeds(target: &str, repo: &Path) -> Vec<Vec<u8>> {
    let shared = repo.join("../shared");
    let mut out: Vec<Vec<u8>> = builtin(target).into_iter().map(Vec::from).collect();
    match target {
        "definition" => {
            for d in definitions(&shared, repo) {
                out.push([b"\x00".as_slice(), d.to_string().as_bytes()].concat());
            }
        }
        "jsonpath" | "intrinsic" => {
            for (d, input) in cases(&shared.join("conformance/cases")) {
                let mut strings = Vec::new();
                collect_strings(&d, &mut strings);
                for s in strings {
                    let wanted = if target == "jsonpath" {
                        s.starts_with('$') && !s.starts_with("$.States") || s.starts_with("$$")
                    } else {
                        s.starts_with("States.")
                    };
                    if wanted {
                        out.push(two(&s, &input));
                    }
                }
            }
        }
        "jsonata" => {
            for f in files(&shared.join("jsonata/cases")) {
                if let Some(case) = read_json(&f) {
                    if let Some(e) = case["expr"].as_str() {
                        out.push(two(e, &case["data"]));
                    }
                }
            }
            for (d, input) in cases(&shared.join("conformance/cases")) {
                let mut strings = Vec::new();
                collect_strings(&d, &mut strings);
                for s in strings {
                    if let Some(e) = s.strip_prefix("{%").and_then(|s| s.strip_suffix("%}")) {
                        out.push(two(e, &input));
                    }
                }
            }
        }
        "request" => {
            for d in definitions(&shared, repo).into_iter().take(200) {
                let body = serde_json::json!({"name": "m", "roleArn": "arn:aws:iam::111111111111:role/r", "definition": d.to_string()});
                out.push(two("CreateStateMachine", &body));
                out.push(two(
                    "ValidateStateMachineDefinition",
                    &serde_json::json!({"definition": d.to_string()}),
                ));
            }
        }
        "mock_config" => {
            for f in files(&repo.join("tests/python")) {
                if f.file_name()
                    .is_some_and(|n| n.to_string_lossy().to_lowercase().contains("mock"))
                {
                    if let Ok(b) = std::fs::read(&f) {
                        out.push(b);
                    }
                }
            }
        }
        "event_pattern" => {
            for f in files(&shared.join("eventbridge/cases")) {
                if let Some(case) = read_json(&f) {
                    out.push(two(&case["pattern"].to_string(), &case["event"]));
                }
            }
        }
        _ => {}
    }
    out
}

/// Seeds written here: the formats' corners, and what the corpora lack.
fn builtin(target: &str) -> Vec<&'static [u8]> {
    match target {
        "definition" => vec![
            br#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
            b"\x01{\"StartAt\": \"W\", \"States\": {\"W\": {\"Type\": \"Wait\", \"Seconds\": 1, \"End\": true}}}",
        ],
        "jsonpath" => vec![b"$.a[?(@ > 2)]\0{\"a\": [1, 2, 3]}", b"$..b\0{\"a\": {\"b\": [{\"b\": 1}]}}", b"$.a[0:2]\0{\"a\": [1,2,3]}"],
        "intrinsic" => vec![b"States.Format('{} {}', $.a, $.b)\0{\"a\": 1, \"b\": \"x\"}", b"States.ArrayRange(1, 9, 2)"],
        "jsonata" => vec![b"$sum(a)\0{\"a\": [1, 2]}", b"$distinct([1..1000])"],
        "request" => vec![
            b"ListStateMachines\0{}",
            b"CreateActivity\0{\"name\": \"a\"}",
            b"StartExecution\0{\"stateMachineArn\": \"arn:aws:states:us-east-1:111111111111:stateMachine:m\", \"input\": \"{}\"}",
            b"DescribeExecution\0{\"executionArn\": \"arn:aws:states:us-east-1:111111111111:execution:m:x\"}",
            b"TagResource\0{\"resourceArn\": \"arn:aws:states:us-east-1:111111111111:activity:a\", \"tags\": [{\"key\": \"k\", \"value\": \"v\"}]}",
        ],
        "sigv4" => vec![
            b"host: iam.amazonaws.com\ncontent-type: application/x-www-form-urlencoded; charset=utf-8\nx-amz-date: 20150830T123600Z\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            b"authorization: AWS4-HMAC-SHA256 Credential=a\nx-amz-date: 2015",
        ],
        "mock_config" => vec![br#"{"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}}, "MockedResponses": {"R": {"0": {"Return": {"a": 1}}, "1-2": {"Throw": {"Error": "E", "Cause": "c"}}}}}"#],
        "event_pattern" => vec![b"{\"source\": [{\"prefix\": \"a\"}], \"detail\": {\"n\": [{\"numeric\": [\">\", 1]}]}}\0{\"source\": \"ab\", \"detail\": {\"n\": 2}}"],
        _ => vec![],
    }
}

fn two(head: &str, doc: &Json) -> Vec<u8> {
    let mut v = head.as_bytes().to_vec();
    if !doc.is_null() {
        v.push(0);
        v.extend_from_slice(doc.to_string().as_bytes());
    }
    v
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read_json(p: &Path) -> Option<Json> {
    serde_json::from_slice(&std::fs::read(p).ok()?).ok()
}

/// The conformance cases' definitions and inputs.
fn cases(dir: &Path) -> Vec<(Json, Json)> {
    files(dir)
        .iter()
        .filter_map(|f| read_json(f))
        .filter(|c| c["definition"].is_object())
        .map(|c| (c["definition"].clone(), c["input"].clone()))
        .collect()
}

/// Definitions from the conformance corpus and the repository's examples.
fn definitions(shared: &Path, repo: &Path) -> Vec<Json> {
    let mut out: Vec<Json> = cases(&shared.join("conformance/cases"))
        .into_iter()
        .map(|c| c.0)
        .collect();
    for dir in ["tests/examples", "tests/real_definitions"] {
        for f in files(&repo.join(dir)) {
            if let Some(d) = read_json(&f).filter(|d| d.get("States").is_some()) {
                out.push(d);
            }
        }
    }
    out
}

fn collect_strings(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => out.push(s.clone()),
        Json::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Json::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            collect_strings(x, out)
        }),
        _ => {}
    }
}
