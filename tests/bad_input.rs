//! Hostile and oversized inputs: clear errors, no panics, no stack overflows, no hangs.

use aslx::asl::parse_definition;
use aslx::{
    json, parse_json, parse_json_bytes, Handlers, Machine, MachineType, RunOptions, Status,
};
use std::time::Duration;

fn nested(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 6 + 8);
    for _ in 0..depth {
        s.push_str("{\"a\":");
    }
    s.push('1');
    for _ in 0..depth {
        s.push('}');
    }
    s
}

fn nested_arrays(depth: usize) -> String {
    "[".repeat(depth) + &"]".repeat(depth)
}

fn pass_machine() -> Machine {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
    Machine::new("pass", def, MachineType::Express, &Handlers::new()).unwrap()
}

#[test]
fn deeply_nested_definition_is_rejected_naming_depth() {
    for text in [nested(10_000), nested_arrays(10_000)] {
        let err = parse_definition(&text, MachineType::Express).unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!(d.code().as_str(), "INVALID_JSON_DESCRIPTION", "{err}");
        assert!(d.message().contains("deeper than 1000"), "{}", d.message());
        // The rendered message quotes at most a bounded snippet of the text.
        assert!(err.to_string().len() < 2_000);
    }
}

#[test]
fn deeply_nested_input_is_rejected_naming_depth() {
    for text in [nested(10_000), nested_arrays(10_000)] {
        let err = parse_json(&text).unwrap_err();
        assert!(
            err.message().contains("nested deeper than 1000 levels"),
            "{err}"
        );
        let err = pass_machine().run_json_blocking(&text).unwrap_err();
        assert!(err.to_string().contains("deeper"), "{err}");
    }
}

#[test]
fn nesting_at_the_depth_limit_is_accepted_and_runs() {
    // 999 objects + the scalar stays within the 1000-level limit.
    let text = nested(999);
    let v = parse_json(&text).expect("999 levels parse");
    assert!(v.depth() >= 999);
    let out = pass_machine().run_blocking(v.clone());
    assert_eq!(out.status, Status::Succeeded);
    assert_eq!(out.output.unwrap(), v);
    // Dropping and writing a deep value does not overflow the stack either.
    assert_eq!(parse_json(&text).unwrap().to_json(), text);
}

#[test]
fn definition_over_one_mebibyte_is_rejected() {
    let pad = "x".repeat(1_048_576);
    let text = format!(
        r#"{{"Comment":"{pad}","StartAt":"P","States":{{"P":{{"Type":"Pass","End":true}}}}}}"#
    );
    let err = parse_definition(&text, MachineType::Express).unwrap_err();
    assert_eq!(err.diagnostics().len(), 1);
    let d = &err.diagnostics()[0];
    assert_eq!(d.code().as_str(), "SCHEMA_VALIDATION_FAILED");
    assert_eq!(d.message(), "Definition is longer than 1048576 characters");
    assert!(err.to_string().len() < 500);
    // Machine::new reports the same.
    let e = Machine::new("big", &text, MachineType::Express, &Handlers::new()).unwrap_err();
    assert!(e.to_string().contains("longer than 1048576"), "{e}");
}

#[test]
fn definition_just_under_the_limit_is_accepted() {
    let skeleton = r#"{"Comment":"","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
    let pad = "x".repeat(1_048_576 - skeleton.len());
    let text = format!(
        r#"{{"Comment":"{pad}","StartAt":"P","States":{{"P":{{"Type":"Pass","End":true}}}}}}"#
    );
    assert_eq!(text.chars().count(), 1_048_576);
    parse_definition(&text, MachineType::Express).unwrap();
}

#[test]
fn invalid_utf8_input_is_rejected_naming_utf8() {
    let bytes = b"{\"a\":\"\xff\xfe\"}";
    let err = parse_json_bytes(bytes).unwrap_err();
    assert!(err.message().contains("UTF-8"), "{err}");
    assert_eq!(err.line(), 1);
    // Truncated multi-byte sequence at the end.
    let err = parse_json_bytes(b"\"caf\xc3").unwrap_err();
    assert!(err.message().contains("UTF-8"), "{err}");
}

#[test]
fn huge_float_is_an_error() {
    let err = parse_json("1e400").unwrap_err();
    assert!(err.message().contains("out of range"), "{err}");
    let err = parse_json(r#"{"a":[-1e400]}"#).unwrap_err();
    assert!(err.message().contains("out of range"), "{err}");
}

#[test]
fn huge_integer_is_parsed_as_a_number() {
    let v = parse_json("123456789012345678901234567890").unwrap();
    assert!(v.is_number());
    let f = v.as_f64().unwrap();
    assert!((f - 1.2345678901234568e29).abs() < 1e15, "{f}");
    let v = parse_json(r#"{"n":-123456789012345678901234567890}"#).unwrap();
    assert!(v.get("n").unwrap().as_f64().unwrap() < -1e29);
    // i64 bounds stay exact.
    assert_eq!(
        parse_json("9223372036854775807").unwrap().as_i64(),
        Some(i64::MAX)
    );
    assert_eq!(
        parse_json("-9223372036854775808").unwrap().as_i64(),
        Some(i64::MIN)
    );
}

#[test]
fn state_output_over_256_kib_fails_with_data_limit_exceeded() {
    let big = "y".repeat(300 * 1024);
    let def = format!(
        r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass","Result":{{"big":"{big}"}},"Next":"Q"}},"Q":{{"Type":"Succeed"}}}}}}"#
    );
    let m = Machine::new("big", &def, MachineType::Express, &Handlers::new()).unwrap();
    let out = m.run_blocking(json!({}));
    assert_eq!(out.status, Status::Failed);
    assert_eq!(out.error.as_deref(), Some("States.DataLimitExceeded"));
    assert!(out.output.is_none());
}

#[test]
fn state_output_grown_by_a_loop_fails_with_data_limit_exceeded() {
    // Each round doubles the string; the limit is hit after a few rounds.
    let def = r#"{"StartAt":"Grow","States":{
        "Grow":{"Type":"Pass","Parameters":{"s.$":"States.Format('{}{}', $.s, $.s)"},"Next":"Grow"}}}"#;
    let def = def.replace(
        r#""Next":"Grow"}}}"#,
        r#""Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.s","StringEquals":"never","Next":"D"}],"Default":"Grow"},"D":{"Type":"Succeed"}}}"#,
    );
    let m = Machine::new("grow", &def, MachineType::Express, &Handlers::new()).unwrap();
    let out = m.run_blocking(json!({"s": "0123456789abcdef"}));
    assert_eq!(out.status, Status::Failed, "{:?}", out.cause);
    assert_eq!(out.error.as_deref(), Some("States.DataLimitExceeded"));
}

#[test]
fn task_result_over_256_kib_fails_with_data_limit_exceeded() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:big","End":true}}}"#;
    let mut h = Handlers::new();
    h.function("big", |_| Ok(json!({ "s": "z".repeat(300 * 1024) })));
    let m = Machine::new("big", def, MachineType::Express, &h).unwrap();
    let out = m.run_blocking(json!({}));
    assert_eq!(out.status, Status::Failed);
    assert_eq!(out.error.as_deref(), Some("States.DataLimitExceeded"));
}

// An endless Pass/Choice loop is tested on the real clock only: under tokio's paused test
// clock, time advances only while every task is idle, and a busy loop (which yields to the
// scheduler every STEPS_PER_SLICE transitions but never sleeps) consumes no virtual time,
// so its deadline would never come. That is the paused clock's definition, not a VM fault.
#[test]
fn infinite_pass_loop_times_out_in_real_time() {
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Next":"B"},
        "B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Never"}],"Default":"A"},
        "Never":{"Type":"Succeed"}}}"#;
    let m = Machine::new("loop", def, MachineType::Express, &Handlers::new()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let out = rt.block_on(m.run_with(
        json!({}),
        RunOptions {
            max_duration: Some(Duration::from_millis(200)),
            ..RunOptions::default()
        },
    ));
    assert_eq!(out.status, Status::TimedOut);
    assert_eq!(out.error.as_deref(), Some("States.Timeout"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

fn panicking_machine() -> Machine {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:boom","End":true}}}"#;
    let mut h = Handlers::new();
    h.function("boom", |input| {
        if input.get("panic").and_then(|v| v.as_bool()) == Some(true) {
            panic!("handler exploded");
        }
        Ok(json!({"ok": true}))
    });
    Machine::new("boom", def, MachineType::Express, &h).unwrap()
}

#[test]
fn panicking_task_handler_fails_the_execution_and_machine_stays_usable() {
    let m = panicking_machine();
    let out = m.run_blocking(json!({"panic": true}));
    assert_eq!(out.status, Status::Failed);
    assert_eq!(out.error.as_deref(), Some("States.TaskFailed"));
    assert!(
        out.cause
            .as_deref()
            .unwrap_or("")
            .contains("handler exploded"),
        "{:?}",
        out.cause
    );
    // The machine runs again, both the happy path and another panic.
    let out = m.run_blocking(json!({"panic": false}));
    assert_eq!(out.status, Status::Succeeded);
    assert_eq!(out.output.unwrap(), json!({"ok": true}));
    let out = m.run_blocking(json!({"panic": true}));
    assert_eq!(out.error.as_deref(), Some("States.TaskFailed"));
}

#[test]
fn panicking_task_handler_is_catchable() {
    let def = r#"{"StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:boom",
             "Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"Done"}],"End":true},
        "Done":{"Type":"Succeed"}}}"#;
    let mut h = Handlers::new();
    h.function("boom", |_| -> Result<aslx::Value, aslx::TaskError> {
        panic!("kaboom")
    });
    let m = Machine::new("boom", def, MachineType::Express, &h).unwrap();
    let out = m.run_blocking(json!({"x": 1}));
    assert_eq!(
        out.status,
        Status::Succeeded,
        "{:?} {:?}",
        out.error,
        out.cause
    );
    let o = out.output.unwrap();
    assert_eq!(o.get("x"), Some(&json!(1)));
    assert_eq!(
        o.get("err")
            .and_then(|e| e.get("Error"))
            .and_then(|v| v.as_str()),
        Some("States.TaskFailed")
    );
}

#[test]
fn panicking_async_handler_fails_the_execution() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:boom","End":true}}}"#;
    let mut h = Handlers::new();
    h.function_async("boom", |_| async move {
        tokio::task::yield_now().await;
        if true {
            panic!("async kaboom");
        }
        Ok(json!(null))
    });
    let m = Machine::new("boom", def, MachineType::Express, &h).unwrap();
    for _ in 0..2 {
        let out = m.run_blocking(json!({}));
        assert_eq!(out.status, Status::Failed);
        assert_eq!(out.error.as_deref(), Some("States.TaskFailed"));
    }
}

#[test]
fn odd_but_valid_inputs_run() {
    let m = pass_machine();
    for text in [
        "null",
        "0",
        "\"s\"",
        "[]",
        "true",
        "-0.0",
        "\"\\u0000\"",
        "{\"\":{}}",
    ] {
        let out = m.run_json_blocking(text).unwrap();
        assert_eq!(out.status, Status::Succeeded, "{text}");
        assert_eq!(out.output.unwrap(), parse_json(text).unwrap(), "{text}");
    }
    for text in ["", "   ", "{", "[1,]", "{\"a\":1}x", "nul", "'a'"] {
        assert!(
            m.run_json_blocking(text).is_err(),
            "{text:?} must be rejected"
        );
    }
}
