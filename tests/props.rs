//! Property tests: the parsers and the VM never panic on arbitrary input, and JSON
//! round-trips through `Value`.

use aslx::asl::parse_definition;
use aslx::{parse_json, parse_json_bytes, Handlers, Machine, MachineType, Status};
use proptest::prelude::*;
use serde_json::Value as J;

/// Arbitrary JSON, nesting depth ≤ 6.
fn arb_json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        (-1.0e300f64..1.0e300).prop_map(J::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(J::from),
        ".{0,12}".prop_map(J::String),
        prop::sample::select(vec![
            "$",
            "$.a",
            "$$.Execution.Id",
            "States.Format('{}', $.a)",
            "Pass",
            "Task",
            "Choice",
            "Succeed",
            "Fail",
            "A",
            "B",
            "{% 1 + 1 %}",
            "JSONata",
            "JSONPath",
            "$.a[*]",
        ])
        .prop_map(|s| J::String(s.to_string())),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|kv| J::Object(kv.into_iter().collect())),
        ]
    })
}

/// Keys biased towards ASL field names so that arbitrary definitions get past the first checks.
fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "StartAt",
            "States",
            "Type",
            "Next",
            "End",
            "Resource",
            "Parameters",
            "x.$",
            "ResultPath",
            "InputPath",
            "OutputPath",
            "Choices",
            "Variable",
            "Default",
            "Branches",
            "ItemProcessor",
            "Retry",
            "Catch",
            "ErrorEquals",
            "Seconds",
            "QueryLanguage",
            "A",
            "B",
            "Assign",
            "Output",
            "Arguments",
            "And",
            "Not",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z.$]{0,8}",
    ]
}

/// Arbitrary definitions shaped like `{"StartAt": .., "States": {..}}`.
fn arb_definition() -> impl Strategy<Value = J> {
    (
        prop::sample::select(vec!["A", "B", "C"]),
        prop::collection::vec(
            (
                prop::sample::select(vec!["A", "B", "C"]),
                prop::sample::select(vec![
                    "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
                ]),
                prop::collection::vec((arb_key(), arb_json()), 0..5),
            ),
            0..4,
        ),
    )
        .prop_map(|(start, states)| {
            let mut m = serde_json::Map::new();
            for (name, ty, fields) in states {
                let mut s: serde_json::Map<String, J> = fields.into_iter().collect();
                s.insert("Type".into(), J::String(ty.into()));
                m.insert(name.into(), J::Object(s));
            }
            serde_json::json!({ "StartAt": start, "States": m })
        })
}

fn machine(def: &str) -> Machine {
    Machine::new("props", def, MachineType::Express, &Handlers::new()).expect("valid machine")
}

fn bench(name: &str) -> Machine {
    let text = std::fs::read_to_string(format!("/work/shared/bench/machines/{name}.asl.json"))
        .expect("bench machine");
    machine(&text)
}

const PIPELINE: &str = r#"{
  "StartAt": "P1",
  "States": {
    "P1": {
      "Type": "Pass",
      "InputPath": "$.a",
      "Parameters": {
        "len.$": "States.ArrayLength($.list)",
        "fmt.$": "States.Format('x={} y={}', $.x, $.y)",
        "json.$": "States.JsonToString($)",
        "hash.$": "States.Hash($.s, 'SHA-256')",
        "b64.$": "States.Base64Encode($.s)",
        "sum.$": "States.MathAdd($.n, 1)",
        "arr.$": "States.Array($.x, $.y, 1)",
        "ctx.$": "$$.Execution.Name",
        "lit": [1, "$.notEvaluated"]
      },
      "ResultPath": "$.a.r",
      "Next": "P2"
    },
    "P2": {
      "Type": "Pass",
      "Parameters": { "merged.$": "States.JsonMerge($.a, $.b, false)", "first.$": "States.ArrayGetItem($.a.list, 0)" },
      "ResultPath": "$.m",
      "OutputPath": "$.m",
      "Next": "C"
    },
    "C": {
      "Type": "Choice",
      "Choices": [
        { "Variable": "$.first", "IsNumeric": true, "Next": "Done" },
        { "Variable": "$.first", "StringMatches": "*a*", "Next": "Done" }
      ],
      "Default": "Fail"
    },
    "Fail": { "Type": "Fail", "Error": "Custom", "Cause": "no match" },
    "Done": { "Type": "Succeed" }
  }
}"#;

/// Inputs for the pipeline machine: arbitrary values in the places the paths read.
fn arb_pipeline_input() -> impl Strategy<Value = J> {
    prop_oneof![
        arb_json(),
        (
            arb_json(),
            arb_json(),
            arb_json(),
            arb_json(),
            arb_json(),
            arb_json()
        )
            .prop_map(|(list, x, y, s, n, b)| serde_json::json!({
                "a": {"list": list, "x": x, "y": y, "s": s, "n": n},
                "b": b
            })),
        (
            prop::collection::vec(arb_json(), 0..4),
            ".{0,8}",
            -100i64..100
        )
            .prop_map(|(list, s, n)| serde_json::json!({
                "a": {"list": list, "x": 1, "y": "two", "s": s, "n": n},
                "b": {"k": 1}
            })),
    ]
}

fn assert_clean_end(outcome: &aslx::Outcome, input: &str, allow_custom: bool) {
    match outcome.status {
        Status::Succeeded => assert!(outcome.output.is_some()),
        Status::Failed => {
            let err = outcome.error.as_deref().unwrap_or("");
            assert!(
                err.starts_with("States.") || (allow_custom && err == "Custom"),
                "unexpected error {err:?} ({:?}) for input {input}",
                outcome.cause
            );
        }
        s => panic!("unexpected status {s:?} for input {input}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parse_definition_never_panics_on_arbitrary_json(v in arb_json()) {
        let text = serde_json::to_string(&v).unwrap();
        let _ = parse_definition(&text, MachineType::Express);
        let _ = parse_definition(&text, MachineType::Standard);
    }

    #[test]
    fn parse_definition_never_panics_on_definition_shaped_json(v in arb_definition()) {
        let text = serde_json::to_string(&v).unwrap();
        if let Err(e) = parse_definition(&text, MachineType::Express) {
            prop_assert!(!e.diagnostics().is_empty());
            prop_assert!(e.to_string().starts_with("Invalid State Machine Definition: '"));
        }
    }

    #[test]
    fn parse_json_never_panics_on_arbitrary_strings(s in ".{0,64}") {
        let _ = parse_json(&s);
    }

    #[test]
    fn parse_json_never_panics_on_json_like_strings(s in r#"[\[\]{}":,0-9eE.+\-a-z\\ ]{0,64}"#) {
        let _ = parse_json(&s);
    }

    #[test]
    fn parse_json_bytes_never_panics_on_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_json_bytes(&b);
    }

    #[test]
    fn json_round_trip_is_identity(v in arb_json()) {
        let text = serde_json::to_string(&v).unwrap();
        let parsed = parse_json(&text).expect("serde_json output parses");
        let again = parse_json(&parsed.to_json()).expect("to_json output parses");
        prop_assert_eq!(&parsed, &again);
        // Writing is a fixpoint after one round.
        prop_assert_eq!(parsed.to_json(), again.to_json());
    }

    #[test]
    fn json_round_trip_keeps_integers_and_strings_exact(v in arb_json_no_floats()) {
        let text = serde_json::to_string(&v).unwrap();
        let parsed = parse_json(&text).expect("serde_json output parses");
        let via_serde: J = serde_json::from_str(&parsed.to_json()).unwrap();
        prop_assert_eq!(via_serde, v);
    }
}

/// Arbitrary JSON without floats.
fn arb_json_no_floats() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        ".{0,12}".prop_map(J::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|kv| J::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// DOC-4: numbers follow IEEE-754 double semantics: parsing gives the correctly rounded
    /// double and writing gives text that reads back as the same double.
    #[test]
    fn json_floats_parse_correctly_rounded(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let text = serde_json::to_string(&f).unwrap();
        let parsed = parse_json(&text).unwrap();
        prop_assert_eq!(parsed.as_f64(), Some(f), "text {}", text);
        // std's parser is correctly rounded (serde_json's default one is not).
        let written: f64 = parsed.to_json().parse().unwrap();
        prop_assert_eq!(written, f, "text {} written as {}", text, parsed.to_json());
    }
}

/// Values where serde_json's (non-round-trip) float parser disagrees with the correctly rounded one.
#[test]
fn json_float_parse_regression() {
    for text in [
        "-4.0133520420316004e-73",
        "9.485131783317956e299",
        "9.927795274397344e-241",
        "[9.927795274397344e-241]",
        "{\"a\":9.927795274397344e-241}",
    ] {
        let want: f64 = text
            .trim_matches(|c: char| !c.is_ascii_digit() && c != '-' && c != '.' && c != 'e')
            .parse()
            .unwrap();
        let v = parse_json(text).unwrap();
        let v = match &v {
            aslx::Value::Array(a) => a[0].clone(),
            aslx::Value::Object(_) => v.get("a").unwrap().clone(),
            _ => v,
        };
        assert_eq!(v.as_f64(), Some(want), "parsing {text}");
        let back: f64 = v.to_json().parse().unwrap();
        assert_eq!(back, want, "{text} written as {}", v.to_json());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn bench_pass1_never_panics(v in arb_json()) {
        let m = bench("pass1");
        let text = serde_json::to_string(&v).unwrap();
        let out = m.run_blocking(parse_json(&text).unwrap());
        assert_clean_end(&out, &text, false);
    }

    #[test]
    fn bench_pipeline5_never_panics(v in prop_oneof![
        arb_json(),
        (arb_json(), arb_json(), arb_json()).prop_map(|(id, c, items)| serde_json::json!({
            "order": {"id": id, "customer": c, "items": items}, "meta": {"source": "x"}
        })),
    ]) {
        let m = bench("pipeline5");
        let text = serde_json::to_string(&v).unwrap();
        let out = m.run_blocking(parse_json(&text).unwrap());
        assert_clean_end(&out, &text, false);
    }

    #[test]
    fn bench_choice_loop_never_panics(v in prop_oneof![
        arb_json(),
        (-30i64..30).prop_map(|n| serde_json::json!({"counter": n})),
        (-30.0f64..30.0).prop_map(|n| serde_json::json!({"counter": n})),
        arb_json().prop_map(|c| serde_json::json!({"counter": c})),
    ]) {
        // Keep the loop short: numbers far below 10 would just loop for a long time.
        if let Some(n) = v.get("counter").and_then(J::as_f64) {
            prop_assume!(n > -100.0);
        }
        let m = bench("choice_loop");
        let text = serde_json::to_string(&v).unwrap();
        let out = m.run_blocking(parse_json(&text).unwrap());
        assert_clean_end(&out, &text, false);
        if let Some(n) = v.get("counter").and_then(J::as_i64) {
            prop_assert_eq!(out.status, Status::Succeeded);
            let end = out.output.unwrap().get("counter").and_then(|c| c.as_i64());
            prop_assert_eq!(end, Some((n + 1).max(10)));
        }
    }

    #[test]
    fn pipeline_with_intrinsics_never_panics(v in arb_pipeline_input()) {
        let m = machine(PIPELINE);
        let text = serde_json::to_string(&v).unwrap();
        let out = m.run_blocking(parse_json(&text).unwrap());
        assert_clean_end(&out, &text, true);
    }

    /// The pipeline on a well-formed input succeeds (the property above is not vacuous).
    #[test]
    fn pipeline_with_intrinsics_succeeds_on_well_formed_input(n in -1000i64..1000, s in "[a-z]{0,8}") {
        let m = machine(PIPELINE);
        let input = serde_json::json!({
            "a": {"list": ["xay", 2], "x": 1, "y": "two", "s": s, "n": n},
            "b": {"k": 1}
        });
        let text = serde_json::to_string(&input).unwrap();
        let out = m.run_blocking(parse_json(&text).unwrap());
        prop_assert_eq!(out.status, Status::Succeeded, "{:?} {:?}", out.error, out.cause);
        let o = out.output.unwrap();
        prop_assert_eq!(o.get("first").and_then(|v| v.as_str()), Some("xay"));
        prop_assert_eq!(o.get("merged").and_then(|m| m.get("r")).and_then(|r| r.get("sum")).and_then(|v| v.as_i64()), Some(n + 1));
    }
}
