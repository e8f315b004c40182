//! The `aslx` binary end to end: exit codes and output shapes of validate, compile and run.

#[path = "support/run_aslx.rs"]
mod run_aslx;

use run_aslx::aslx;

fn temp_file(name: &str, content: &[u8]) -> String {
    run_aslx::temp_file("cli", name, content)
}

#[test]
fn validate_valid_definition_exits_0() {
    let (code, out, _) = aslx(&["validate", "tests/examples/order.asl.json"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "OK");
}

#[test]
fn validate_invalid_definition_prints_aws_diagnostics_and_exits_1() {
    let f = temp_file(
        "bad.json",
        br#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#,
    );
    let (code, out, _) = aslx(&["validate", &f]);
    assert_eq!(code, 1);
    assert!(
        out.contains("MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next"),
        "{out}"
    );
    let (code, out, _) = aslx(&["validate", "--json", &f]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["diagnostics"][0]["code"], "MISSING_TRANSITION_TARGET");
    assert_eq!(v["diagnostics"][0]["location"], "/States/A/Next");
}

#[test]
fn res_5_validate_type_decides_callback_support() {
    let f = temp_file(
        "cb.json",
        br#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}}"#,
    );
    let (code, out, _) = aslx(&["validate", "--type", "EXPRESS", &f]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Express state machine does not support '.waitForTaskToken' service integration  at /States/T/Resource"), "{out}");
    let (code, _, _) = aslx(&["validate", "--type", "STANDARD", &f]);
    assert_eq!(code, 0);
}

#[test]
fn validate_reports_invalid_utf8_file_clearly() {
    let f = temp_file("utf8.json", b"{\"StartAt\": \"\xff\"}");
    let (code, _, err) = aslx(&["validate", &f]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid UTF-8 at byte 13"), "{err}");
}

#[test]
fn run_prints_status_and_output() {
    let (code, out, _) = aslx(&[
        "run",
        "tests/examples/order.asl.json",
        "--input",
        "@tests/examples/order.input.json",
        "--handler",
        r#"charge=return:{"id":"ch_9","status":"ok"}"#,
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "SUCCEEDED", "output": {"orderId": "o-1001", "chargeId": "ch_9", "status": "CONFIRMED"}})
    );
}

#[test]
fn run_reports_a_raised_error_through_the_catcher() {
    let (code, out, _) = aslx(&[
        "run",
        "tests/examples/order.asl.json",
        "--input",
        "@tests/examples/order.input.json",
        "--handler",
        "charge=raise:Payments.Declined:card declined",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "FAILED", "error": "Payments.Declined", "cause": "card declined"})
    );
}

#[test]
fn run_without_a_handler_names_the_missing_resource() {
    let (code, _, err) = aslx(&["run", "tests/examples/order.asl.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("arn:aws:lambda:us-east-1:123456789012:function:charge"),
        "{err}"
    );
    assert!(err.contains("--handler"), "{err}");
}

#[test]
fn run_rejects_malformed_input_with_line_and_column() {
    let (code, _, err) = aslx(&[
        "run",
        "tests/examples/order.asl.json",
        "--input",
        "{\"a\": }",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--input") && err.contains("line 1"), "{err}");
}

#[test]
fn compile_dump_prints_the_program() {
    let (code, out, _) = aslx(&["compile", "--dump", "tests/examples/order.asl.json"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("program states=5 start=#0"), "{out}");
    assert!(
        out.contains("catch [States.ALL] result_path=$.error -> #3"),
        "{out}"
    );
}

// ---- Issue 17, item 6: the CLI for people who write SAM templates ----

const SYNC_TASK: &[u8] = br#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"}, "End": true}}}"#;

#[test]
fn the_cli_defaults_to_standard_as_aws_does() {
    // A `.sync` integration and a callback are STANDARD-only (RES-5): without --type they
    // are accepted, as CreateStateMachine and ValidateStateMachineDefinition accept them.
    let sync = temp_file("std-sync.json", SYNC_TASK);
    let cb = temp_file(
        "std-cb.json",
        br#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}}"#,
    );
    for f in [&sync, &cb] {
        let (code, out, _) = aslx(&["validate", f]);
        assert_eq!((code, out.trim()), (0, "OK"), "{f}");
        let (code, out, err) = aslx(&["compile", f]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, _) = aslx(&["validate", "--type", "EXPRESS", f]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("Express state machine does not support"),
            "{out}"
        );
        let (code, _, err) = aslx(&["compile", "--type", "EXPRESS", f]);
        assert_eq!(code, 2);
        assert!(
            err.contains("Express state machine does not support"),
            "{err}"
        );
    }
    // `run` too: the STANDARD machine gets as far as asking for a handler.
    let (code, _, err) = aslx(&["run", &sync]);
    assert_eq!(code, 2);
    assert!(err.contains("which has no handler"), "{err}");
    let (code, _, err) = aslx(&["run", "--type", "EXPRESS", &sync]);
    assert_eq!(code, 2);
    assert!(err.contains("does not support '.sync'"), "{err}");
    // The lower-case spelling is accepted too.
    let (code, _, _) = aslx(&["validate", "--type", "standard", &sync]);
    assert_eq!(code, 0);
}

#[test]
fn validate_words_json_syntax_errors_with_line_and_column() {
    let cases: &[(&str, &str)] = &[
        (
            "{\n  \"StartAt\": \"P\",\n  \"States\": {\"P\": {\"Type\": \"Pass\" \"End\": true}}\n}\n",
            "line 3, column 35: expected ',' or '}' after an object member, found '\"'",
        ),
        (
            "{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\": \"Pass\", \"End\": tru}}}",
            "line 1, column 58: unrecognised word 'tru'",
        ),
        (
            "{\"StartAt\": \"P\",\n \"States\": {\"P\": {\"Type\": \"Pass\", \"End\": true,}}}",
            "line 2, column 47: expected an object key after ',', found '}' (trailing comma)",
        ),
        ("{\"StartAt\": ", "line 1, column 13: unexpected end of input"),
        ("{\"StartAt\": null} {}", "line 1, column 19: unexpected '{' after the JSON value"),
    ];
    for (i, (text, words)) in cases.iter().enumerate() {
        let f = temp_file(&format!("syntax{i}.json"), text.as_bytes());
        let (code, out, _) = aslx(&["validate", &f]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.starts_with(&format!("INVALID_JSON_DESCRIPTION: {words}")),
            "{text:?}: {out}"
        );
        let (code, _, err) = aslx(&["compile", &f]);
        assert_eq!(code, 2);
        assert!(err.contains(words), "{err}");
        for name in [
            "InternalError",
            "ExpectedNull",
            "Syntax",
            "ExpectedObjectContent",
            "Eof",
        ] {
            assert!(!out.contains(name) && !err.contains(name), "{out}{err}");
        }
    }
}

#[test]
fn validate_names_an_unknown_intrinsic_in_a_why_line() {
    let f = temp_file(
        "intrinsic.json",
        br#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "States.Default($.a, 1)"}, "End": true}}}"#,
    );
    let (code, out, _) = aslx(&["validate", &f]);
    assert_eq!(code, 1);
    // AWS's words first, unchanged; then why.
    assert_eq!(
        out,
        "SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call at /States/P/Parameters\n  why: unknown intrinsic function States.Default\n"
    );
    // The structured form stays AWS's.
    let (_, out, _) = aslx(&["validate", "--json", &f]);
    assert!(
        !out.contains("why") && !out.contains("unknown intrinsic"),
        "{out}"
    );
}

#[test]
fn validate_leads_with_a_field_misplaced_inside_states() {
    // QueryLanguage written inside States, after the JSONata state it was meant for: the
    // JSONata field is then refused under JSONPath, but the misplaced field comes first.
    let f = temp_file(
        "misplaced.json",
        br#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input %}", "End": true}, "QueryLanguage": "JSONata"}}"#,
    );
    let (code, out, _) = aslx(&["validate", &f]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "SCHEMA_VALIDATION_FAILED: A state must be a JSON object at /States/QueryLanguage"
    );
    assert!(
        lines[1].starts_with("  why: 'QueryLanguage' is a field, not a state"),
        "{out}"
    );
    assert!(
        lines[2].contains("field 'Output' is only supported"),
        "{out}"
    );
    // A state's field written directly inside States: the same, pointing into a state.
    let f = temp_file(
        "misplaced-end.json",
        br#"{"StartAt": "P", "States": {"P": {"Type": "Pass"}, "End": true}}"#,
    );
    let (code, out, _) = aslx(&["validate", &f]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "SCHEMA_VALIDATION_FAILED: A state must be a JSON object at /States/End",
            "  why: 'End' is a state's field, not a state: it is directly inside 'States', which holds only states; move it into the state it belongs to",
        ],
        "{out}"
    );
}

const SAM_YAML: &str = "tests/examples/sam/order.asl.yaml";
const SAM_SUBS: &str = "tests/examples/sam/order.subs.json";

#[test]
fn yaml_definitions_with_substitutions_validate_compile_and_run_like_json() {
    let (code, out, err) = aslx(&["validate", "--subs-file", SAM_SUBS, SAM_YAML]);
    assert_eq!((code, out.trim()), (0, "OK"), "{err}");
    assert_eq!(err, "", "every placeholder was substituted");
    let (code, out, _) = aslx(&["compile", "--subs-file", SAM_SUBS, SAM_YAML]);
    assert_eq!((code, out.trim()), (0, "OK: 3 states, 2 task sites"));
    // --sub wins over the file; substituted values are text, as CloudFormation inserts them.
    let (code, out, err) = aslx(&[
        "run",
        "--subs-file",
        SAM_SUBS,
        "--sub",
        "OrdersTable=orders-dev",
        SAM_YAML,
        "--input",
        "@tests/examples/order.input.json",
        "--handler",
        r#"charge=return:{"id":"ch_1"}"#,
        "--handler",
        "arn:aws:states:::dynamodb:putItem=identity",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "SUCCEEDED", "output": {"orderId": "o-1001", "chargeId": "ch_1", "table": "orders-dev", "attempts": "3"}})
    );
}

#[test]
fn an_unreplaced_placeholder_in_a_resource_is_named() {
    // YAML without its substitutions.
    let (code, out, err) = aslx(&["validate", SAM_YAML]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim(),
        "tests/examples/sam/order.asl.yaml: ${ChargeFunctionArn} at /States/Charge/Resource was not substituted: pass --sub ChargeFunctionArn=VALUE (or --subs-file FILE)"
    );
    // Placeholders elsewhere are warned about, not refused.
    assert!(err.contains("warning: tests/examples/sam/order.asl.yaml: ${OrdersTable} at /States/Record/Parameters/TableName was not substituted"), "{err}");
    // JSON the same way; with the substitutions it is valid.
    let notify = "tests/examples/sam/notify.asl.json";
    let (code, out, _) = aslx(&["validate", notify]);
    assert_eq!(code, 1);
    assert!(
        out.contains("${NotifyFunctionArn} at /States/Notify/Resource was not substituted"),
        "{out}"
    );
    let (code, _, err) = aslx(&["run", notify]);
    assert_eq!(code, 2);
    assert!(
        err.contains("${NotifyFunctionArn} at /States/Notify/Resource"),
        "{err}"
    );
    let (code, out, err) = aslx(&[
        "run",
        notify,
        "--sub",
        "NotifyFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:notify",
        "--sub",
        "TopicArn=arn:aws:sns:us-east-1:123456789012:orders",
        "--input",
        r#"{"message": "hi"}"#,
        "--handler",
        "notify=identity",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(err, "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["output"],
        serde_json::json!({"topic": "arn:aws:sns:us-east-1:123456789012:orders", "message": "hi"})
    );
}

#[test]
fn bad_substitutions_are_clear_errors() {
    let notify = "tests/examples/sam/notify.asl.json";
    for (args, words) in [
        (
            vec!["--sub", "TopicArn"],
            r#"--sub "TopicArn": expected NAME=VALUE"#,
        ),
        (
            vec!["--sub", "=x"],
            r#"--sub "=x": the substitution name is empty"#,
        ),
        (
            vec!["--sub", "a b=x"],
            r#"the substitution name "a b" has ' '"#,
        ),
        (
            vec!["--subs-file", "/nonexistent/subs.json"],
            "--subs-file /nonexistent/subs.json: ",
        ),
    ] {
        let mut all = vec!["validate"];
        all.extend(args);
        all.push(notify);
        let (code, _, err) = aslx(&all);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(words), "{words}: {err}");
    }
    let f = temp_file("subs-array.json", b"[1]");
    let (code, _, err) = aslx(&["validate", "--subs-file", &f, notify]);
    assert_eq!(code, 2);
    assert!(
        err.contains("expected a JSON object of substitutions"),
        "{err}"
    );
    let f = temp_file("subs-nested.json", br#"{"TopicArn": {"a": 1}}"#);
    let (_, _, err) = aslx(&["validate", "--subs-file", &f, notify]);
    assert!(
        err.contains(r#"the value of "TopicArn" must be a string, a number or a boolean"#),
        "{err}"
    );
    let f = temp_file("subs-bad.json", b"{\"TopicArn\": \"x\",}");
    let (_, _, err) = aslx(&["validate", "--subs-file", &f, notify]);
    assert!(
        err.contains("line 1, column 18: expected an object key"),
        "{err}"
    );
}

#[test]
fn substitutions_past_one_mib_are_refused_with_the_definition_size_error() {
    // Ten placeholders of 10 MB each would be 100 MB; the definition limit stops it.
    let big = "x".repeat(10 * 1024 * 1024);
    let subs = temp_file(
        "big-subs.json",
        format!("{{\"Big\": \"{big}\"}}").as_bytes(),
    );
    let def = temp_file(
        "big.json",
        format!(
            r#"{{"StartAt": "P", "States": {{"P": {{"Type": "Pass", "Result": "{}", "End": true}}}}}}"#,
            "${Big}".repeat(10)
        )
        .as_bytes(),
    );
    let (code, out, _) = aslx(&["validate", "--subs-file", &subs, &def]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim(),
        "SCHEMA_VALIDATION_FAILED: Definition is longer than 1048576 characters at null"
    );
}

#[test]
fn yaml_errors_are_located_by_line_and_column() {
    let cases: &[(&str, &str)] = &[
        (
            "StartAt: P\nStates:\n  P: {Type: Pass, End: true\n",
            "line 4, column 1: while parsing a flow mapping, did not find expected ',' or '}'",
        ),
        (
            "StartAt: P\nStates:\n  P: {Type: Pass, End: true}\n  P: {Type: Succeed}\n",
            "line 4, column 3: duplicate key 'P' (first at line 3)",
        ),
        (
            "StartAt: P\nStates:\n  P:\n    Type: Task\n    Resource: !GetAtt Fn.Arn\n    End: true\n",
            "line 5, column 15: YAML tag !GetAtt is not supported",
        ),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            "aliases expand the definition past its limit of 1048576 characters",
        ),
    ];
    for (i, (text, words)) in cases.iter().enumerate() {
        let f = temp_file(&format!("bad{i}.asl.yaml"), text.as_bytes());
        let (code, out, _) = aslx(&["validate", &f]);
        assert_eq!(code, 1, "{out}");
        assert!(out.starts_with(&format!("{f}: YAML line ")), "{out}");
        assert!(out.contains(words), "{words}: {out}");
        let (code, _, err) = aslx(&["run", &f]);
        assert_eq!(code, 2);
        assert!(err.contains(words), "{err}");
    }
    // A well-formed YAML file that is not a valid definition gets AWS's findings.
    let f = temp_file(
        "nostart.asl.yml",
        b"States:\n  P: {Type: Pass, End: true}\n",
    );
    let (code, out, _) = aslx(&["validate", &f]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim(),
        "SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /"
    );
}

#[test]
fn a_jsonata_yaml_definition_with_block_scalars_runs_with_its_substitutions() {
    let greet = "tests/examples/sam/greet.asl.yaml";
    let (code, out, err) = aslx(&[
        "run",
        greet,
        "--sub",
        "GreetFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:greet",
        "--sub",
        "Stage=prod",
        "--input",
        r#"{"name": "Ana"}"#,
        "--handler",
        "greet=identity",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(err, "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "SUCCEEDED", "output": {"greeting": "Hello, Ana!", "stage": "prod"}})
    );
    // A value holding a quote breaks the JSON, as on AWS; the position says where it counts.
    let (code, out, _) = aslx(&["validate", greet, "--sub", "Stage=a\"b"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("INVALID_JSON_DESCRIPTION: line 1, column ")
            && out
                .trim_end()
                .ends_with("(in the JSON the YAML file becomes, after substitutions)"),
        "{out}"
    );
    // Problems found before validation are listed under "errors" in the JSON form.
    let (code, out, _) = aslx(&["validate", "--json", "tests/examples/sam/notify.asl.json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "FAIL");
    assert!(v["errors"][0]
        .as_str()
        .unwrap()
        .contains("${NotifyFunctionArn} at /States/Notify/Resource"));
}

/// A distributed Map reading a CSV object from `--s3-dir DIR/in` and writing its results to
/// `DIR/out` (MAP-10, MAP-12).
const S3_MAP: &str = r#"{"StartAt":"M","States":{"M":{"Type":"Map",
  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
    "ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},
    "Parameters":{"Bucket":"in","Key":"people.csv"}},
  "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"}},
  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
    "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;

#[test]
fn map10_run_with_s3_dir_reads_items_and_writes_results_there() {
    let def = temp_file("s3map.json", S3_MAP.as_bytes());
    let dir = std::env::temp_dir().join(format!("aslx-cli-s3-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("in")).unwrap();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    std::fs::write(dir.join("in/people.csv"), "name\nann\nbob\n").unwrap();
    let dir_arg = dir.to_string_lossy().into_owned();
    let (code, out, err) = aslx(&["run", &def, "--s3-dir", &dir_arg]);
    assert_eq!(code, 0, "{err}");
    let v = aslx::parse_json(out.trim()).unwrap();
    let key = v
        .get("output")
        .and_then(|o| o.get("ResultWriterDetails"))
        .and_then(|d| d.get("Key"))
        .and_then(aslx::Value::as_str)
        .unwrap()
        .to_string();
    assert!(
        key.starts_with("runs/") && key.ends_with("/manifest.json"),
        "{key}"
    );
    assert!(dir.join("out").join(&key).is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn map10_run_without_an_s3_backend_names_the_flags_and_a_missing_s3_dir_is_refused() {
    let def = temp_file("s3map2.json", S3_MAP.as_bytes());
    let (code, _, err) = aslx(&["run", &def]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--s3-dir") && err.contains("--endpoint s3=URL"),
        "{err}"
    );
    let (code, _, err) = aslx(&["run", &def, "--s3-dir", "/no/such/dir"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("--s3-dir /no/such/dir: not a directory"),
        "{err}"
    );
}
