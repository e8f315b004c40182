//! Definition validation: one negative test per ASL checklist item (VAL-5, ST-*, TOP-*, ...),
//! each asserting the exact diagnostic code, message and location, plus positive tests.

use aslx::asl::parse_definition;
use aslx::{DiagnosticCode, MachineType};

/// Asserts the full list of findings (code, message, location), in order; `[]` means valid.
#[track_caller]
fn check(def: &str, ty: MachineType, expected: &[(&str, &str, Option<&str>)]) {
    let got: Vec<(String, String, Option<String>)> = match parse_definition(def, ty) {
        Ok(_) => vec![],
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| {
                (
                    d.code().as_str().to_string(),
                    d.message().to_string(),
                    d.location().map(str::to_string),
                )
            })
            .collect(),
    };
    let want: Vec<(String, String, Option<String>)> = expected
        .iter()
        .map(|(c, m, l)| (c.to_string(), m.to_string(), l.map(str::to_string)))
        .collect();
    assert_eq!(got, want, "definition: {def}");
}

#[test]
fn val_2_all_findings_are_reported_in_order() {
    let def = r#"{"StartAt":"A","Bogus":true,"States":{
        "A":{"Type":"Pass","Next":"Nope"},
        "W":{"Type":"Wait","Seconds":1,"ResultPath":"$.x","End":true},
        "X":{"Type":"Succeed"}}}"#;
    let err = parse_definition(def, MachineType::Express).unwrap_err();
    let codes: Vec<DiagnosticCode> = err.diagnostics().iter().map(|d| d.code()).collect();
    assert!(err.diagnostics().len() >= 4, "{err}");
    assert!(codes.contains(&DiagnosticCode::SchemaValidationFailed));
    assert!(codes.contains(&DiagnosticCode::MissingTransitionTarget));
    let rendered = err.to_string();
    for part in [
        "SCHEMA_VALIDATION_FAILED: Field 'Bogus' is not supported at /",
        "SCHEMA_VALIDATION_FAILED: Field 'ResultPath' is not supported at /States/W",
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next",
        "MISSING_TRANSITION_TARGET: State \"X\" is not reachable. at /States/X",
    ] {
        assert!(rendered.contains(part), "missing {part:?} in {rendered}");
    }
    assert_eq!(
        err.codes(),
        vec![
            DiagnosticCode::SchemaValidationFailed,
            DiagnosticCode::MissingTransitionTarget
        ]
    );
}

#[test]
fn val_3_rendered_message_for_two_findings() {
    let def =
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"},"B":{"Type":"Succeed"}}}"#;
    let err = parse_definition(def, MachineType::Express).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next, MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B'"
    );
}

#[test]
fn val_3_rendered_message_for_missing_end_state_says_null() {
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}"#;
    let err = parse_definition(def, MachineType::Express).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"
    );
}

#[test]
fn val_4_diagnostic_to_json() {
    let err = parse_definition(r#"{"Comment":"x"}"#, MachineType::Express).unwrap_err();
    let j = err.diagnostics()[0].to_json();
    assert_eq!(
        j,
        serde_json::json!({"severity":"ERROR","code":"SCHEMA_VALIDATION_FAILED",
            "message":"These fields are required: [States, StartAt]","location":"/"})
    );
}

#[test]
fn bench_machines_are_valid_express() {
    let dir = std::path::Path::new("/work/shared/bench/machines");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("bench machines directory") {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".asl.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(e) = parse_definition(&text, MachineType::Express) {
            panic!("{}: {e}", path.display());
        }
        n += 1;
    }
    assert!(n >= 7, "only {n} bench machines found");
}

#[test]
fn example_order_machine_is_valid_express() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/examples/order.asl.json"
    ))
    .unwrap();
    parse_definition(&text, MachineType::Express).unwrap();
}

/// Asserts only the first finding; used next to tests ignored for spurious follow-on findings.
#[track_caller]
fn check_first(def: &str, ty: MachineType, expected: (&str, &str, Option<&str>)) {
    let err = parse_definition(def, ty).expect_err("definition must be rejected");
    let d = &err.diagnostics()[0];
    assert_eq!(
        (d.code().as_str(), d.message(), d.location()),
        expected,
        "definition: {def}"
    );
}

#[test]
fn top_2_missing_start_at() {
    check(
        "{\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [StartAt]",
            Some("/"),
        )],
    );
}

#[test]
fn top_1_missing_states() {
    check(
        "{\"StartAt\":\"A\"}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [States]",
            Some("/"),
        )],
    );
}

#[test]
fn top_1_2_missing_both() {
    check(
        "{\"Comment\":\"x\"}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [States, StartAt]",
            Some("/"),
        )],
    );
}

#[test]
fn top_2_start_at_names_missing_state() {
    check(
        "{\"StartAt\":\"Nope\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[(
            "MISSING_TRANSITION_TARGET",
            "Missing 'Next' target: Nope",
            Some("/StartAt"),
        )],
    );
}

#[test]
fn top_7_unknown_top_level_field() {
    check(
        "{\"StartAt\":\"A\",\"Foo\":1,\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "Field 'Foo' is not supported",
            Some("/"),
        )],
    );
}

#[test]
fn top_4_bad_version() {
    check(
        "{\"Version\":\"2.0\",\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "The field 'Version' must be \"1.0\"",
            Some("/Version"),
        )],
    );
}

#[test]
fn top_6_bad_query_language() {
    check(
        "{\"QueryLanguage\":\"XPath\",\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]",
            Some("/QueryLanguage"),
        )],
    );
}

#[test]
fn top_5_timeout_seconds_zero() {
    check(
        "{\"TimeoutSeconds\":0,\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "The field 'TimeoutSeconds' must be a positive integer less than or equal to 99999999",
            Some("/TimeoutSeconds"),
        )],
    );
}

#[test]

fn st_1_bad_type() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Sleep\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]", Some("/States/A/Type")),
        ],
    );
}

/// The primary finding of `st_1_bad_type` (runs while that test is ignored).
#[test]
fn st_1_bad_type_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Sleep\",\"End\":true}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]", Some("/States/A/Type")),
    );
}

#[test]

fn st_1_missing_type() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"End\":true}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [Type]",
            Some("/States/A"),
        )],
    );
}

/// The primary finding of `st_1_missing_type` (runs while that test is ignored).
#[test]
fn st_1_missing_type_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"End\":true}}}",
        MachineType::Express,
        (
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [Type]",
            Some("/States/A"),
        ),
    );
}

#[test]
fn st_8_result_path_on_wait() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":1,\"ResultPath\":\"$.x\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Field 'ResultPath' is not supported", Some("/States/A")),
        ],
    );
}

#[test]
fn st_8_timeout_seconds_on_parallel() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Parallel\",\"TimeoutSeconds\":5,\"Branches\":[{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Field 'TimeoutSeconds' is not supported", Some("/States/A")),
        ],
    );
}

#[test]
fn st_8_retry_on_pass() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Field 'Retry' is not supported", Some("/States/A")),
        ],
    );
}

#[test]
fn st_8_input_path_on_fail() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Fail\",\"InputPath\":\"$\"}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "Field 'InputPath' is not supported",
            Some("/States/A"),
        )],
    );
}

#[test]
fn st_9_jsonpath_field_in_jsonata_state() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONata\",\"InputPath\":\"$.a\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage", Some("/States/A")),
        ],
    );
}

#[test]
fn st_9_jsonata_field_in_jsonpath_state() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Output\":\"{% 1 %}\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage", Some("/States/A")),
        ],
    );
}

#[test]
fn ql_2_jsonpath_state_in_jsonata_machine() {
    check(
        "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONPath\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", Some("/States/A")),
        ],
    );
}

#[test]
fn st_4_next_and_end() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\",\"End\":true},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Only one of 'Next' or 'End' may be set", Some("/States/A")),
        ],
    );
}

/// The primary finding of `st_4_next_and_end` (runs while that test is ignored).
#[test]
fn st_4_next_and_end_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\",\"End\":true},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "Only one of 'Next' or 'End' may be set", Some("/States/A")),
    );
}

#[test]
fn st_4_neither_next_nor_end() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\"},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            (
                "SCHEMA_VALIDATION_FAILED",
                "One of 'Next' or 'End' must be set",
                Some("/States/A"),
            ),
            (
                "MISSING_TRANSITION_TARGET",
                "State \"B\" is not reachable.",
                Some("/States/B"),
            ),
        ],
    );
}

#[test]
fn st_4_end_not_boolean() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":\"yes\"}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "The field 'End' must be a boolean",
            Some("/States/A/End"),
        )],
    );
}

#[test]
fn st_4_next_on_succeed() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\",\"Next\":\"B\"},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Field 'Next' is not supported", Some("/States/A")),
            ("MISSING_TRANSITION_TARGET", "State \"B\" is not reachable.", Some("/States/B")),
        ],
    );
}

#[test]
fn st_5_missing_next_target() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"Nope\"},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", Some("/States/A/Next")),
            ("MISSING_TRANSITION_TARGET", "State \"B\" is not reachable.", Some("/States/B")),
        ],
    );
}

#[test]
fn st_5_missing_default_target() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"IsPresent\":true,\"Next\":\"B\"}],\"Default\":\"Nope\"},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", Some("/States/A/Default")),
        ],
    );
}

#[test]
fn st_5_missing_choice_next_target() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"IsPresent\":true,\"Next\":\"Nope\"}],\"Default\":\"B\"},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", Some("/States/A/Choices[0]/Next")),
        ],
    );
}

#[test]
fn st_5_missing_next_target_in_catcher() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Nope\"}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", Some("/States/A/Catch[0]/Next")),
        ],
    );
}

#[test]
fn st_5_branch_cannot_jump_out() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Pass\",\"Next\":\"Z\"}}}],\"Next\":\"Z\"},\"Z\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Z", Some("/States/A/Branches[0]/States/B/Next")),
            ("MISSING_END_STATE", "Workflow has no terminal state", None),
        ],
    );
}

#[test]
fn st_6_unreachable_state() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"},\"X\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("MISSING_TRANSITION_TARGET", "State \"X\" is not reachable.", Some("/States/X")),
        ],
    );
}

#[test]
fn st_7_no_terminal_state() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"},\"X\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}",
        MachineType::Express,
        &[
            ("MISSING_END_STATE", "Workflow has no terminal state", None),
        ],
    );
}

#[test]
fn st_2_duplicate_state_name_in_branch() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Pass\",\"Next\":\"Z\"},\"Z\":{\"Type\":\"Succeed\"}}}],\"Next\":\"Z\"},\"Z\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("DUPLICATE_STATE_NAME", "Duplicate State name: Z", Some("/States/A/Branches[0]/States/Z")),
        ],
    );
}

#[test]
fn st_2_state_name_too_long() {
    check(
        "{\"StartAt\":\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\",\"States\":{\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "State name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn' is longer than 80 characters", Some("/States/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn")),
        ],
    );
}

#[test]

fn wait_1_seconds_and_seconds_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":1,\"SecondsPath\":\"$.s\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields [Seconds, SecondsPath] are mutually exclusive", Some("/States/A")),
        ],
    );
}

/// The primary finding of `wait_1_seconds_and_seconds_path` (runs while that test is ignored).
#[test]
fn wait_1_seconds_and_seconds_path_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":1,\"SecondsPath\":\"$.s\",\"End\":true}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "The fields [Seconds, SecondsPath] are mutually exclusive", Some("/States/A")),
    );
}

#[test]

fn wait_1_no_duration() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"End\":true}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "One of the fields [Seconds, SecondsPath, Timestamp, TimestampPath] is required",
            Some("/States/A"),
        )],
    );
}

/// The primary finding of `wait_1_no_duration` (runs while that test is ignored).
#[test]
fn wait_1_no_duration_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"End\":true}}}",
        MachineType::Express,
        (
            "SCHEMA_VALIDATION_FAILED",
            "One of the fields [Seconds, SecondsPath, Timestamp, TimestampPath] is required",
            Some("/States/A"),
        ),
    );
}

#[test]

fn wait_2_negative_seconds() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":-1,\"End\":true}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "The field 'Seconds' must be a non-negative integer less than or equal to 99999999",
            Some("/States/A/Seconds"),
        )],
    );
}

/// The primary finding of `wait_2_negative_seconds` (runs while that test is ignored).
#[test]
fn wait_2_negative_seconds_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":-1,\"End\":true}}}",
        MachineType::Express,
        (
            "SCHEMA_VALIDATION_FAILED",
            "The field 'Seconds' must be a non-negative integer less than or equal to 99999999",
            Some("/States/A/Seconds"),
        ),
    );
}

#[test]

fn wait_3_bad_timestamp_literal() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Timestamp\":\"2024-01-01 00:00:00\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "String does not match RFC3339 timestamp", Some("/States/A/Timestamp")),
        ],
    );
}

/// The primary finding of `wait_3_bad_timestamp_literal` (runs while that test is ignored).
#[test]
fn wait_3_bad_timestamp_literal_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Timestamp\":\"2024-01-01 00:00:00\",\"End\":true}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "String does not match RFC3339 timestamp", Some("/States/A/Timestamp")),
    );
}

#[test]
fn task_4_timeout_seconds_and_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"TimeoutSeconds\":5,\"TimeoutSecondsPath\":\"$.t\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'TimeoutSeconds' and 'TimeoutSecondsPath' are mutually exclusive", Some("/States/A")),
        ],
    );
}

#[test]
fn task_6_heartbeat_and_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"HeartbeatSeconds\":5,\"HeartbeatSecondsPath\":\"$.t\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'HeartbeatSeconds' and 'HeartbeatSecondsPath' are mutually exclusive", Some("/States/A")),
        ],
    );
}

#[test]
fn task_6_heartbeat_not_below_timeout() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"TimeoutSeconds\":5,\"HeartbeatSeconds\":5,\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'HeartbeatSeconds' must be smaller than the field 'TimeoutSeconds'", Some("/States/A/HeartbeatSeconds")),
        ],
    );
}

#[test]
fn task_4_timeout_seconds_zero() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"TimeoutSeconds\":0,\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'TimeoutSeconds' must be a positive integer less than or equal to 99999999", Some("/States/A/TimeoutSeconds")),
        ],
    );
}

#[test]

fn task_1_missing_resource() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"End\":true}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [Resource]",
            Some("/States/A"),
        )],
    );
}

/// The primary finding of `task_1_missing_resource` (runs while that test is ignored).
#[test]
fn task_1_missing_resource_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"End\":true}}}",
        MachineType::Express,
        (
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [Resource]",
            Some("/States/A"),
        ),
    );
}

#[test]
fn fail_2_error_and_error_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Fail\",\"Error\":\"E\",\"ErrorPath\":\"$.e\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'Error' and 'ErrorPath' are mutually exclusive", Some("/States/A")),
        ],
    );
}

#[test]
fn fail_2_cause_and_cause_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Fail\",\"Cause\":\"C\",\"CausePath\":\"$.c\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'Cause' and 'CausePath' are mutually exclusive", Some("/States/A")),
        ],
    );
}

#[test]
fn fail_3_bad_error_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Fail\",\"ErrorPath\":\"States.Nope(1)\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value for the field 'ErrorPath' must be a valid JSONPath or a valid intrinsic function call", Some("/States/A/ErrorPath")),
        ],
    );
}

#[test]
fn map_3_item_selector_and_parameters() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"ItemSelector\":{\"a\":1},\"Parameters\":{\"b\":2},\"ItemProcessor\":{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'ItemSelector' and 'Parameters' are mutually exclusive", Some("/States/A")),
        ],
    );
}

#[test]

fn map_1_item_processor_and_iterator() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"Iterator\":{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive", Some("/States/A")),
        ],
    );
}

/// The primary finding of `map_1_item_processor_and_iterator` (runs while that test is ignored).
#[test]
fn map_1_item_processor_and_iterator_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"Iterator\":{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive", Some("/States/A")),
    );
}

#[test]

fn map_1_no_processor() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"End\":true}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [ItemProcessor]",
            Some("/States/A"),
        )],
    );
}

/// The primary finding of `map_1_no_processor` (runs while that test is ignored).
#[test]
fn map_1_no_processor_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"End\":true}}}",
        MachineType::Express,
        (
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [ItemProcessor]",
            Some("/States/A"),
        ),
    );
}

#[test]
fn map_1_bad_processor_mode() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"PARALLEL\"},\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]", Some("/States/A/ItemProcessor/ProcessorConfig/Mode")),
        ],
    );
}

#[test]
fn map_4_max_concurrency_and_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"MaxConcurrency\":1,\"MaxConcurrencyPath\":\"$.m\",\"ItemProcessor\":{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'MaxConcurrency' and 'MaxConcurrencyPath' are mutually exclusive", Some("/States/A")),
        ],
    );
}

#[test]
fn map_11_item_batcher_without_limit() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"ItemBatcher\":{\"BatchInput\":{\"a\":1}},\"ItemProcessor\":{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "ItemBatcher must have at least one of [MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch, MaxInputBytesPerBatchPath]", Some("/States/A/ItemBatcher")),
        ],
    );
}

#[test]
fn map_8_timeout_seconds_on_map() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"TimeoutSeconds\":3,\"ItemProcessor\":{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Field 'TimeoutSeconds' is not supported", Some("/States/A")),
        ],
    );
}

#[test]
fn ret_6_interval_seconds_zero() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":0}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'IntervalSeconds' must be a positive integer less than or equal to 99999999", Some("/States/A/Retry[0]/IntervalSeconds")),
        ],
    );
}

#[test]
fn ret_6_max_attempts_negative() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":-1}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'MaxAttempts' must be a non-negative integer less than or equal to 99999999", Some("/States/A/Retry[0]/MaxAttempts")),
        ],
    );
}

#[test]
fn ret_6_backoff_rate_below_one() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"E\"],\"BackoffRate\":0.5}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'BackoffRate' must be a number greater than or equal to 1.0", Some("/States/A/Retry[0]/BackoffRate")),
        ],
    );
}

#[test]

fn ret_6_max_delay_seconds_zero() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxDelaySeconds\":0}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'MaxDelaySeconds' must be between 1 and 31622400", Some("/States/A/Retry[0]/MaxDelaySeconds")),
        ],
    );
}

#[test]
fn ret_6_bad_jitter_strategy() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"E\"],\"JitterStrategy\":\"HALF\"}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'JitterStrategy' should have one of these values: [FULL, NONE]", Some("/States/A/Retry[0]/JitterStrategy")),
        ],
    );
}

#[test]
fn err_2_empty_error_equals() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[]}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Value cannot be empty", Some("/States/A/Retry[0]/ErrorEquals")),
        ],
    );
}

#[test]
fn err_2_states_all_not_alone() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"States.ALL\",\"E\"]}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "States.ALL must appear alone in ErrorEquals", Some("/States/A/Retry[0]/ErrorEquals")),
        ],
    );
}

#[test]
fn err_2_states_all_not_last_retrier() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]},{\"ErrorEquals\":[\"E\"]}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "States.ALL must appear in the last retrier", Some("/States/A/Retry[0]/ErrorEquals")),
        ],
    );
}

#[test]
fn err_2_states_all_not_last_catcher() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"B\"},{\"ErrorEquals\":[\"E\"],\"Next\":\"B\"}],\"End\":true},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "States.ALL must appear in the last catcher", Some("/States/A/Catch[0]/ErrorEquals")),
        ],
    );
}

#[test]
fn cat_1_catcher_without_next() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Catch\":[{\"ErrorEquals\":[\"E\"]}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", Some("/States/A/Catch[0]")),
        ],
    );
}

#[test]
fn ch_4_two_operators() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"StringEquals\":\"a\",\"NumericEquals\":1,\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "A choice rule may have only one operator, found [StringEquals, NumericEquals]", Some("/States/A/Choices[0]")),
        ],
    );
}

/// The primary finding of `ch_4_two_operators` (runs while that test is ignored).
#[test]
fn ch_4_two_operators_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"StringEquals\":\"a\",\"NumericEquals\":1,\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "A choice rule may have only one operator, found [StringEquals, NumericEquals]", Some("/States/A/Choices[0]")),
    );
}

#[test]
fn ch_4_next_in_nested_rule() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Not\":{\"Variable\":\"$.x\",\"IsPresent\":true,\"Next\":\"B\"},\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Nested choice rules cannot have a 'Next' field", Some("/States/A/Choices[0]/Not")),
        ],
    );
}

#[test]
fn ch_4_empty_and() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"And\":[],\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Value cannot be empty", Some("/States/A/Choices[0]/And")),
        ],
    );
}

/// The primary finding of `ch_4_empty_and` (runs while that test is ignored).
#[test]
fn ch_4_empty_and_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"And\":[],\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "Value cannot be empty", Some("/States/A/Choices[0]/And")),
    );
}

#[test]
fn ch_9_numeric_equals_string() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"NumericEquals\":\"1\",\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value of the field 'NumericEquals' must be a number, found string", Some("/States/A/Choices[0]/NumericEquals")),
        ],
    );
}

/// The primary finding of `ch_9_numeric_equals_string` (runs while that test is ignored).
#[test]
fn ch_9_numeric_equals_string_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"NumericEquals\":\"1\",\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "The value of the field 'NumericEquals' must be a number, found string", Some("/States/A/Choices[0]/NumericEquals")),
    );
}

#[test]
fn ch_6_bad_string_matches_escape() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"StringMatches\":\"a\\\\\",\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value of the field 'StringMatches' must be a valid pattern (a backslash may only escape '*' or '\\'), found string", Some("/States/A/Choices[0]/StringMatches")),
        ],
    );
}

/// The primary finding of `ch_6_bad_string_matches_escape` (runs while that test is ignored).
#[test]
fn ch_6_bad_string_matches_escape_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"StringMatches\":\"a\\\\\",\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "The value of the field 'StringMatches' must be a valid pattern (a backslash may only escape '*' or '\\'), found string", Some("/States/A/Choices[0]/StringMatches")),
    );
}

#[test]
fn ch_6_bad_timestamp_literal() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"TimestampEquals\":\"yesterday\",\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value of the field 'TimestampEquals' must be an RFC3339 timestamp, found string", Some("/States/A/Choices[0]/TimestampEquals")),
        ],
    );
}

/// The primary finding of `ch_6_bad_timestamp_literal` (runs while that test is ignored).
#[test]
fn ch_6_bad_timestamp_literal_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"TimestampEquals\":\"yesterday\",\"Next\":\"B\"}]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "The value of the field 'TimestampEquals' must be an RFC3339 timestamp, found string", Some("/States/A/Choices[0]/TimestampEquals")),
    );
}

#[test]
fn ch_1_empty_choices() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[]},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Value cannot be empty", Some("/States/A/Choices")),
            ("MISSING_TRANSITION_TARGET", "State \"B\" is not reachable.", Some("/States/B")),
        ],
    );
}

#[test]
fn ch_1_choice_rule_without_next() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"IsPresent\":true}],\"Default\":\"B\"},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", Some("/States/A/Choices[0]")),
        ],
    );
}

#[test]
fn path_8_invalid_path_in_template() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"x.$\":\"$$$bad[[\"},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call", Some("/States/A/Parameters")),
        ],
    );
}

#[test]
fn path_8_invalid_intrinsic_in_template() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"nested\":{\"x.$\":\"States.NoSuchFunction(1)\"}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call", Some("/States/A/Parameters/nested")),
        ],
    );
}

#[test]
fn path_8_non_string_dollar_value() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"x.$\":5},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call", Some("/States/A/Parameters")),
        ],
    );
}

#[test]
fn path_4_result_path_not_reference_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"ResultPath\":\"$.a[*]\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value for the field 'ResultPath' must be a valid ReferencePath", Some("/States/A/ResultPath")),
        ],
    );
}

#[test]
fn path_1_bad_input_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"InputPath\":\"a.b\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The value for the field 'InputPath' must be a valid JSONPath", Some("/States/A/InputPath")),
        ],
    );
}

#[test]
fn pt_5_key_collision() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"a\":1,\"a.$\":\"$.b\"},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'a' is defined twice, as 'a' and 'a.$'", Some("/States/A/Parameters")),
        ],
    );
}

#[test]
fn task_7_credentials_without_role_arn() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Credentials\":{\"Foo\":\"x\"},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'RoleArn' is required but was missing", Some("/States/A/Credentials")),
        ],
    );
}

#[test]
fn res_4_sync_rejected_in_express() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::states:startExecution.sync\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Express state machine does not support '.sync' service integration", Some("/States/A/Resource")),
        ],
    );
}

#[test]
fn res_5_wait_for_task_token_rejected_in_express() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Express state machine does not support '.waitForTaskToken' service integration ", Some("/States/A/Resource")),
        ],
    );
}

#[test]
fn res_6_activity_rejected_in_express() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:us-east-1:123456789012:activity:act\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Express state machine does not support Activity ARN", Some("/States/A/Resource")),
        ],
    );
}

#[test]
fn res_8_unrecognised_resource() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:foo:::bar\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The resource provided arn:aws:foo:::bar is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.", Some("/States/A/Resource")),
        ],
    );
}

#[test]
fn par_1_empty_branches() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Parallel\",\"Branches\":[],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Value cannot be empty", Some("/States/A/Branches")),
        ],
    );
}

#[test]

fn par_1_missing_branches() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Parallel\",\"End\":true}}}",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [Branches]",
            Some("/States/A"),
        )],
    );
}

/// The primary finding of `par_1_missing_branches` (runs while that test is ignored).
#[test]
fn par_1_missing_branches_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Parallel\",\"End\":true}}}",
        MachineType::Express,
        (
            "SCHEMA_VALIDATION_FAILED",
            "These fields are required: [Branches]",
            Some("/States/A"),
        ),
    );
}

#[test]
fn var_invalid_variable_name() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Assign\":{\"1abc\":1},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The variable name '1abc' is not valid", Some("/States/A/Assign")),
        ],
    );
}

#[test]
fn doc_1_empty_definition() {
    check(
        "",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "Definition must be a valid JSON object",
            None,
        )],
    );
}

#[test]
fn doc_1_whitespace_definition() {
    check(
        "  \n ",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "Definition must be a valid JSON object",
            None,
        )],
    );
}

#[test]
fn doc_1_non_object_definition() {
    check(
        "[1,2]",
        MachineType::Express,
        &[(
            "SCHEMA_VALIDATION_FAILED",
            "Definition must be a valid JSON object",
            None,
        )],
    );
}

#[test]
fn doc_1_invalid_json() {
    check(
        "{\"StartAt\": ",
        MachineType::Express,
        &[(
            "INVALID_JSON_DESCRIPTION",
            "unexpected end of input: an object is not closed (expected '}') at [Source: (String)\"{\"StartAt\": \"; line: 1, column: 13]",
            None,
        )],
    );
}

#[test]
fn val_2_several_findings() {
    check(
        "{\"StartAt\":\"A\",\"Bogus\":true,\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"Nope\"},\"B\":{\"Type\":\"Wait\",\"End\":true},\"C\":{\"Type\":\"Zzz\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Field 'Bogus' is not supported", Some("/")),
            ("SCHEMA_VALIDATION_FAILED", "One of the fields [Seconds, SecondsPath, Timestamp, TimestampPath] is required", Some("/States/B")),
            ("SCHEMA_VALIDATION_FAILED", "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]", Some("/States/C/Type")),
            ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", Some("/States/A/Next")),
            ("MISSING_TRANSITION_TARGET", "State \"B\" is not reachable.", Some("/States/B")),
            ("MISSING_TRANSITION_TARGET", "State \"C\" is not reachable.", Some("/States/C")),
        ],
    );
}

#[test]
fn ret_1_max_delay_seconds_above_range() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxDelaySeconds\":31622401}],\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The field 'MaxDelaySeconds' must be between 1 and 31622400", Some("/States/A/Retry[0]/MaxDelaySeconds")),
        ],
    );
}

#[test]
fn ret_1_max_delay_seconds_at_max_is_valid() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxDelaySeconds\":31622400}],\"End\":true}}}",
        MachineType::Express,
        &[
        ],
    );
}

#[test]
fn res_4_sync_accepted_in_standard() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::states:startExecution.sync\",\"End\":true}}}",
        MachineType::Standard,
        &[
        ],
    );
}

#[test]
fn res_5_wait_for_task_token_accepted_in_standard() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\",\"End\":true}}}",
        MachineType::Standard,
        &[
        ],
    );
}

#[test]
fn res_6_activity_accepted_in_standard() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:us-east-1:123456789012:activity:act\",\"End\":true}}}",
        MachineType::Standard,
        &[
        ],
    );
}

#[test]
fn ql_2_jsonata_state_in_jsonpath_machine_is_valid() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONata\",\"Output\":\"{% 1 %}\",\"End\":true}}}",
        MachineType::Express,
        &[
        ],
    );
}

#[test]
fn wait_2_zero_seconds_is_valid() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":0,\"End\":true}}}",
        MachineType::Express,
        &[],
    );
}

#[test]
fn st_2_state_name_of_80_chars_is_valid() {
    check(
        "{\"StartAt\":\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\",\"States\":{\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
        ],
    );
}

#[test]

fn wait_1_seconds_and_timestamp() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":1,\"Timestamp\":\"2024-01-01T00:00:00Z\",\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields [Seconds, Timestamp] are mutually exclusive", Some("/States/A")),
        ],
    );
}

/// The primary finding of `wait_1_seconds_and_timestamp` (runs while that test is ignored).
#[test]
fn wait_1_seconds_and_timestamp_primary_finding() {
    check_first(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\",\"Seconds\":1,\"Timestamp\":\"2024-01-01T00:00:00Z\",\"End\":true}}}",
        MachineType::Express,
        ("SCHEMA_VALIDATION_FAILED", "The fields [Seconds, Timestamp] are mutually exclusive", Some("/States/A")),
    );
}

#[test]
fn map_9_tolerated_count_and_path() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\",\"ToleratedFailureCount\":1,\"ToleratedFailureCountPath\":\"$.t\",\"ItemProcessor\":{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "The fields 'ToleratedFailureCount' and 'ToleratedFailureCountPath' are mutually exclusive", Some("/States/A")),
        ],
    );
}

#[test]
fn ch_4_or_with_nested_next_and_unknown_operator() {
    check(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"StringEqualz\":\"a\",\"Next\":\"B\"}],\"Default\":\"B\"},\"B\":{\"Type\":\"Succeed\"}}}",
        MachineType::Express,
        &[
            ("SCHEMA_VALIDATION_FAILED", "Field 'StringEqualz' is not supported", Some("/States/A/Choices[0]")),
            ("SCHEMA_VALIDATION_FAILED", "A choice rule must have exactly one comparison operator or one of And, Or, Not", Some("/States/A/Choices[0]")),
        ],
    );
}
