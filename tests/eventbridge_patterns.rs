//! The EventBridge pattern corpus: every case under `../shared/eventbridge/cases` (or
//! `$ASLX_EVENTBRIDGE_DIR`) holds an event, a pattern and what AWS's `TestEventPattern` answered
//! (match, no match, or `InvalidEventPatternException` with its message).
//!
//! Every case must pass: a pattern AWS accepts compiles and gives AWS's answer for the event;
//! one AWS refuses is refused with the same error code. The refusal's message text is counted
//! apart (`exact messages: N of M`), and the cases whose wording differs are listed; they do not
//! fail the run. The pattern is read with its keys in document order, since the first fault in
//! document order is the one AWS reports.

use aslx::events::Pattern;
use aslx::Value;
use std::path::PathBuf;

fn cases_dir() -> PathBuf {
    match std::env::var_os("ASLX_EVENTBRIDGE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eventbridge/cases"),
    }
}

struct Case {
    id: String,
    event: Value,
    pattern: Value,
    expect: String,
    message: Option<String>,
}

fn load() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", cases_dir().display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let case = aslx::parse_json(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let field = |k: &str| case.get(k).cloned().unwrap_or_default();
            Case {
                id: field("id").as_str().unwrap_or_default().to_string(),
                event: field("event"),
                pattern: field("pattern"),
                expect: field("expect").as_str().unwrap_or_default().to_string(),
                message: field("error")
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }
        })
        .collect()
}

/// Runs one case: `Ok(message matched)` or `Err(what differs)`.
fn run(case: &Case) -> Result<Option<bool>, String> {
    let compiled = Pattern::new(&case.pattern.to_json());
    // The same pattern handed over already parsed must behave the same.
    let from_value = Pattern::from_value(&case.pattern);
    if compiled.as_ref().err() != from_value.as_ref().err() {
        return Err(format!(
            "Pattern::new and Pattern::from_value disagree: {:?} / {:?}",
            compiled.as_ref().err(),
            from_value.as_ref().err()
        ));
    }
    match (case.expect.as_str(), compiled) {
        ("invalid", Err(e)) if e.code() == "InvalidEventPatternException" => {
            Ok(Some(Some(e.message()) == case.message.as_deref()))
        }
        ("invalid", Err(e)) => Err(format!("refused with {} instead", e.code())),
        ("invalid", Ok(_)) => Err(format!(
            "accepted; AWS refused it: {}",
            case.message.as_deref().unwrap_or("")
        )),
        (expect, Ok(p)) => {
            let want = expect == "match";
            let got = p.matches(&case.event);
            let again = from_value.map(|p| p.matches(&case.event)).unwrap_or(!got);
            if got != want || again != want {
                Err(format!(
                    "AWS says {expect}, we say {}",
                    if got { "match" } else { "no_match" }
                ))
            } else {
                Ok(None)
            }
        }
        (expect, Err(e)) => Err(format!("AWS says {expect}, we refused: {}", e.message())),
    }
}

#[test]
fn eventbridge_patterns() {
    let cases = load();
    assert!(!cases.is_empty(), "no cases in {}", cases_dir().display());
    let (mut passed, mut failed) = (0, 0);
    let (mut refusals, mut exact) = (0, 0);
    for case in &cases {
        match run(case) {
            Ok(message) => {
                passed += 1;
                if let Some(same) = message {
                    refusals += 1;
                    if same {
                        exact += 1;
                    } else {
                        let ours = Pattern::new(&case.pattern.to_json()).unwrap_err();
                        println!(
                            "wording {}: AWS {:?}, ours {:?}",
                            case.id,
                            case.message.as_deref().unwrap_or(""),
                            ours.message()
                        );
                    }
                }
            }
            Err(diff) => {
                failed += 1;
                println!("FAIL {}: {diff}", case.id);
            }
        }
    }
    println!("eventbridge patterns: {passed} passed, {failed} failed");
    println!("eventbridge patterns: exact messages: {exact} of {refusals} refusals");
    assert_eq!(failed, 0, "{failed} cases differ from AWS");
}
