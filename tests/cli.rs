//! The `aslx` binary end to end: exit codes and output shapes of validate, compile and run.

use std::process::Command;

fn aslx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run aslx");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, content: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("aslx-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
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
