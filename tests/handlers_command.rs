//! `command:` and `worker:` handlers against real Python and Node processes (issue 12,
//! item 1): through `Machine`, through the `Engine`, and through `aslx run --handler`.

use aslx::engine::Engine;
use aslx::{json, Handlers, Machine, MachineError, MachineType, Outcome, Status, Value};
use std::process::Command;
use std::time::{Duration, Instant};

fn fixture(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn lambda(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

/// One Task calling function `f`, its errors caught into `$.caught`.
fn one_task(extra: &str) -> String {
    format!(
        r#"{{"StartAt": "T", "States": {{
            "T": {{"Type": "Task", "Resource": "{}", {extra}
                  "Catch": [{{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}}],
                  "End": true}},
            "Caught": {{"Type": "Pass", "End": true}}}}}}"#,
        lambda("f")
    )
}

fn run(h: &Handlers, def: &str, input: Value) -> Outcome {
    Machine::new("m", def, MachineType::Express, h)
        .unwrap()
        .run_blocking(input)
}

/// The error and cause a Catch put in `$.caught`.
fn caught(o: &Outcome) -> (String, String) {
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    let out = o.output.as_ref().unwrap();
    let c = out
        .get("caught")
        .unwrap_or_else(|| panic!("nothing caught: {out:?}"));
    let s = |k| c.get(k).and_then(Value::as_str).unwrap().to_string();
    (s("Error"), s("Cause"))
}

fn python_command(h: &mut Handlers) {
    h.command("f", "python3", [fixture("tests/handlers/command.py")])
        .unwrap();
}

#[test]
fn command_result_is_its_stdout_json_with_aslx_resource_set() {
    let mut h = Handlers::new();
    python_command(&mut h);
    let o = run(&h, &one_task(""), json!({"mode": "ok", "n": 21}));
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    assert_eq!(o.output.unwrap(), json!({"doubled": 42, "resource": "f"}));
}

#[test]
fn command_in_node_runs_and_its_lambda_style_error_is_caught_as_aws_reports_it() {
    // ERR-5: a Lambda function's error is its errorType; the cause is the error payload.
    let mut h = Handlers::new();
    h.command("f", "node", [fixture("tests/handlers/command.js")])
        .unwrap();
    let o = run(&h, &one_task(""), json!({"n": 5}));
    assert_eq!(o.output.unwrap(), json!({"tripled": 15}));
    let o = run(&h, &one_task(""), json!({"mode": "lambda_error", "n": 5}));
    let (error, cause) = caught(&o);
    assert_eq!(error, "RangeError");
    let payload = aslx::parse_json(&cause).unwrap();
    assert_eq!(payload.get("errorMessage"), Some(&json!("too big: 5")));
    assert_eq!(payload.get("errorType"), Some(&json!("RangeError")));
    assert!(payload.get("requestId").and_then(Value::as_str).is_some());
    assert_eq!(payload.get("stackTrace"), Some(&json!([])));
    // Spaced as AWS prints it for a function ARN Task (Python's json.dumps).
    assert!(
        cause.starts_with(r#"{"errorMessage": "too big: 5", "errorType": "RangeError""#),
        "{cause}"
    );
}

#[test]
fn command_lambda_error_in_python_is_caught_by_its_error_type() {
    let mut h = Handlers::new();
    python_command(&mut h);
    let def = r#"{"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
              "Catch": [{"ErrorEquals": ["ValueError"], "Next": "V"}], "End": true},
        "V": {"Type": "Pass", "Parameters": {"msg.$": "States.StringToJson($.Cause)"}, "End": true}}}"#;
    let o = run(&h, def, json!({"mode": "lambda_error"}));
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    let msg = o.output.unwrap();
    assert_eq!(
        msg.get("msg").unwrap().get("errorMessage"),
        Some(&json!("n must be positive"))
    );
}

#[test]
fn command_stdout_that_is_not_json_fails_the_task_naming_program_and_output() {
    let mut h = Handlers::new();
    python_command(&mut h);
    let (error, cause) = caught(&run(&h, &one_task(""), json!({"mode": "not_json"})));
    assert_eq!(error, "States.TaskFailed");
    assert!(
        cause.starts_with("command python3 exited with status 0 but its stdout is not JSON"),
        "{cause}"
    );
    assert!(cause.ends_with(": hello, this is not JSON"), "{cause}");
}

#[test]
fn command_nonzero_exit_fails_with_status_and_the_tail_of_stderr() {
    let mut h = Handlers::new();
    python_command(&mut h);
    let (error, cause) = caught(&run(&h, &one_task(""), json!({"mode": "exit"})));
    assert_eq!(error, "States.TaskFailed");
    assert!(
        cause.starts_with("command python3 exited with status 3; stderr: ..."),
        "{cause}"
    );
    assert!(cause.ends_with("Traceback: the end of stderr"), "{cause}");
    // The tail only: stderr had 3.6 KB.
    assert!(cause.len() < 1200, "{} bytes", cause.len());
}

#[test]
fn command_output_over_256_kib_is_data_limit_exceeded_and_the_program_is_killed() {
    // QUO-2 / ERR-DLE: the program prints 1 MiB and then sleeps a minute; aslx stops
    // reading at the limit and kills it, so the Task ends at once.
    let mut h = Handlers::new();
    python_command(&mut h);
    let t = Instant::now();
    let (error, cause) = caught(&run(
        &h,
        &one_task(r#""TimeoutSeconds": 50,"#),
        json!({"mode": "big"}),
    ));
    assert_eq!(error, "States.DataLimitExceeded");
    assert_eq!(
        cause,
        "The state/task 'arn:aws:lambda:us-east-1:123456789012:function:f' returned a result with a size exceeding the maximum number of bytes service limit."
    );
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
}

#[test]
fn command_missing_program_is_refused_at_registration_and_fails_the_task_if_gone_later() {
    let mut h = Handlers::new();
    let e = h.command("f", "aslx-no-such-program", ["x"]).unwrap_err();
    assert!(
        e.contains("\"aslx-no-such-program\" was not found on PATH"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("aslx-cmd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("vanishing.sh");
    std::fs::write(&prog, "#!/bin/sh\necho '{}'\n").unwrap();
    let e = h
        .command("f", prog.to_str().unwrap(), Vec::<String>::new())
        .unwrap_err();
    assert!(e.contains("is not executable"), "{e}");
    Command::new("chmod").arg("+x").arg(&prog).status().unwrap();
    h.command("f", prog.to_str().unwrap(), Vec::<String>::new())
        .unwrap();
    std::fs::remove_file(&prog).unwrap();
    let (error, cause) = caught(&run(&h, &one_task(""), json!({})));
    assert_eq!(error, "States.TaskFailed");
    assert!(
        cause.contains("vanishing.sh could not be started: No such file or directory"),
        "{cause}"
    );
}

/// Whether `pid` has ended (gone, or a zombie waiting for a reaper).
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn wait_ended(pid: u32) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        if ended(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn command_task_timeout_kills_the_whole_process_group() {
    // TASK-5: TimeoutSeconds abandons the call; the program and its `sleep` child both die.
    let mut h = Handlers::new();
    python_command(&mut h);
    let pidfile = std::env::temp_dir().join(format!("aslx-hang-{}.pids", std::process::id()));
    let _ = std::fs::remove_file(&pidfile);
    let t = Instant::now();
    let (error, _) = caught(&run(
        &h,
        &one_task(r#""TimeoutSeconds": 2,"#),
        json!({"mode": "hang", "pidfile": pidfile.to_str().unwrap()}),
    ));
    assert_eq!(error, "States.Timeout");
    assert!(t.elapsed() < Duration::from_secs(10));
    let pids = std::fs::read_to_string(&pidfile).unwrap();
    let pids: Vec<u32> = pids.split(' ').map(|p| p.parse().unwrap()).collect();
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(wait_ended(pid), "process {pid} outlived the Task's timeout");
    }
}

const MAP_50: &str = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
    "MaxConcurrency": 10,
    "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo",
              "End": true}}},
    "End": true}}}"#;

#[test]
fn worker_serves_a_map_of_50_concurrently_from_one_process_in_the_engine() {
    // MAP-5: ten iterations in flight at a time through one Node process, whose answers
    // come back out of order (later items answer sooner); each reaches its own call.
    let mut h = Handlers::new();
    h.worker("echo", "node", [fixture("examples/workers/echo_worker.js")])
        .unwrap();
    let engine = Engine::builder().handlers(h).build().unwrap();
    engine
        .create_machine("map50", MAP_50, MachineType::Express)
        .unwrap();
    let items: Vec<Value> = (0..50)
        .map(|i| json!({"i": i, "delayMs": 20 * (10 - i % 10)}))
        .collect();
    let t = Instant::now();
    let run = engine
        .start_sync_blocking(
            aslx::StartRequest::new("map50").input(json!({"items": Value::array(items.clone())})),
        )
        .unwrap();
    let elapsed = t.elapsed();
    assert_eq!(run.outcome.status, Status::Succeeded, "{:?}", run.outcome);
    let out = run.outcome.output.unwrap();
    let out = out.as_array().unwrap();
    assert_eq!(out.len(), 50);
    let pid = out[0].get("pid").unwrap().clone();
    for (item, answer) in items.iter().zip(out) {
        assert_eq!(answer.get("input"), Some(item));
        assert_eq!(
            answer.get("pid"),
            Some(&pid),
            "one process serves every call"
        );
    }
    // One at a time, the delays add up to 5.5 s; ten at a time, to about 0.6 s.
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[test]
fn worker_in_python_answers_and_its_errors_are_lambda_errors() {
    let mut h = Handlers::new();
    h.worker("f", "python3", [fixture("examples/workers/echo_worker.py")])
        .unwrap();
    let m = Machine::new("m", &one_task(""), MachineType::Express, &h).unwrap();
    let a = m.run_blocking(json!({"x": 1}));
    let b = m.run_blocking(json!({"x": 2}));
    let (a, b) = (a.output.unwrap(), b.output.unwrap());
    assert_eq!(a.get("input"), Some(&json!({"x": 1})));
    assert_eq!(
        a.get("pid"),
        b.get("pid"),
        "the worker lives across executions"
    );
    let (error, cause) = caught(&m.run_blocking(json!({"fail": "not today"})));
    assert_eq!(error, "ValueError");
    assert!(
        cause.starts_with(r#"{"errorMessage": "not today", "errorType": "ValueError""#),
        "{cause}"
    );
}

#[test]
fn worker_that_dies_mid_call_fails_that_call_and_is_restarted() {
    let mut h = Handlers::new();
    h.worker("f", "python3", [fixture("tests/handlers/flaky_worker.py")])
        .unwrap();
    let m = Machine::new("m", &one_task(""), MachineType::Express, &h).unwrap();
    let first = m.run_blocking(json!({})).output.unwrap();
    let first_pid = first.get("pid").and_then(Value::as_i64).unwrap();
    let (error, cause) = caught(&m.run_blocking(json!({"crash": true})));
    assert_eq!(error, "States.TaskFailed");
    assert_eq!(
        cause,
        format!(
            "worker python3 (pid {first_pid}) exited with status 3 while the call was in flight"
        )
    );
    assert!(wait_ended(first_pid as u32));
    let again = m.run_blocking(json!({})).output.unwrap();
    let pid = again.get("pid").and_then(Value::as_i64).unwrap();
    assert_ne!(pid, first_pid, "a new process answered");
}

#[test]
fn worker_is_killed_when_its_handlers_are_dropped() {
    let mut h = Handlers::new();
    h.worker("f", "python3", [fixture("tests/handlers/flaky_worker.py")])
        .unwrap();
    let m = Machine::new("m", &one_task(""), MachineType::Express, &h).unwrap();
    let pid = m.run_blocking(json!({})).output.unwrap();
    let pid = pid.get("pid").and_then(Value::as_i64).unwrap() as u32;
    assert!(!ended(pid));
    drop(m);
    drop(h);
    assert!(wait_ended(pid), "worker {pid} outlived its handlers");
}

#[test]
fn every_unbound_resource_is_reported_at_once() {
    let def = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Next": "C"},
        "C": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:bound", "End": true}}}"#;
    let mut h = Handlers::new();
    h.function("bound", Ok);
    let e = Machine::new("m", def, MachineType::Express, &h).unwrap_err();
    let MachineError::UnknownResource(unbound) = &e else {
        panic!("{e}")
    };
    let states: Vec<&str> = unbound.iter().map(|t| t.state.as_str()).collect();
    assert_eq!(states, ["A", "B", "C"]);
    assert_eq!(
        e.to_string(),
        concat!(
            r#"no handler is registered for 2 resources: "arn:aws:states:::sqs:sendMessage" (state "A", "C"; "#,
            r#"bind it with --endpoint sqs=URL (or SQS_ENDPOINT / AWS_ENDPOINT_URL_SQS)); "#,
            r#""arn:aws:lambda:us-east-1:1:function:f" (state "B"; "#,
            r#"bind it with --endpoint lambda=URL (or LAMBDA_ENDPOINT / AWS_ENDPOINT_URL_LAMBDA))"#
        )
    );
}

// ---- `aslx run --handler` ----

#[path = "support/run_aslx.rs"]
mod run_aslx;

use run_aslx::aslx;

fn definition_file(name: &str, def: &str) -> String {
    run_aslx::temp_file("handlers", name, def)
}

#[test]
fn cli_run_with_command_and_worker_handlers() {
    let def = definition_file(
        "two.asl.json",
        r#"{"StartAt": "Double", "States": {
            "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:double",
                       "ResultPath": "$.d", "Next": "Echo"},
            "Echo": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"n.$": "$.d.doubled"}, "ResultSelector": {"n.$": "$.pid"},
                     "End": true}}}"#,
    );
    let (code, out, err) = aslx(&[
        "run",
        &def,
        "--input",
        r#"{"mode": "ok", "n": 4}"#,
        "--handler",
        "double=command:python3 tests/handlers/command.py",
        "--handler",
        "arn:aws:states:::sqs:sendMessage=worker:python3 'tests/handlers/flaky_worker.py'",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let out = aslx::parse_json(&out).unwrap();
    assert_eq!(out.get("status"), Some(&json!("SUCCEEDED")), "{out:?}");
    // The worker's stderr is aslx's, prefixed with the resource it serves.
    assert!(
        err.contains("[arn:aws:states:::sqs:sendMessage] flaky worker "),
        "{err}"
    );
}

#[test]
fn cli_refuses_a_lambda_invoke_handler_saying_to_bind_the_function_name() {
    let def = definition_file("x.asl.json", &one_task(""));
    let (code, _, err) = aslx(&[
        "run",
        &def,
        "--handler",
        "arn:aws:states:::lambda:invoke=identity",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("its handler is bound by function name"),
        "{err}"
    );
    let (code, _, err) = aslx(&["run", &def, "--handler", "f=command:aslx-no-such-program"]);
    assert_eq!(code, 2);
    assert!(err.contains("was not found on PATH"), "{err}");
}

#[test]
fn cli_lists_every_unbound_resource_with_the_flag_for_each() {
    let def = definition_file(
        "unbound.asl.json",
        r#"{"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": "C"},
            "C": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}"#,
    );
    let (code, _, err) = aslx(&["run", &def]);
    assert_eq!(code, 2);
    assert!(err.contains("2 Task resources have no handler"), "{err}");
    assert!(
        err.contains(
            r#"--handler 'arn:aws:states:::sqs:sendMessage=BEHAVIOUR' or --endpoint sqs=URL (or SQS_ENDPOINT / AWS_ENDPOINT_URL_SQS)   (state "A", "C")"#
        ),
        "{err}"
    );
    assert!(
        err.contains(r#"--handler 'arn:aws:states:::sns:publish=BEHAVIOUR' or --endpoint sns=URL (or SNS_ENDPOINT / AWS_ENDPOINT_URL_SNS)   (state "B")"#),
        "{err}"
    );
}

#[test]
fn worker_bound_by_function_name_serves_lambda_invoke_tasks_in_the_invoke_envelope() {
    // RES-2: `lambda:invoke` picks its function by Parameters.FunctionName.
    let mut h = Handlers::new();
    h.worker("f", "python3", [fixture("examples/workers/echo_worker.py")])
        .unwrap();
    let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
                       "Payload.$": "$"},
        "End": true}}}"#;
    let o = run(&h, def, json!({"k": "v"}));
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    let out = o.output.unwrap();
    assert_eq!(out.get("StatusCode"), Some(&json!(200)));
    let payload = out.get("Payload").unwrap();
    assert_eq!(payload.get("input"), Some(&json!({"k": "v"})));
}

#[test]
fn cli_serve_refuses_handlers_it_could_never_call() {
    for (spec, says) in [
        (
            "arn:aws:states:us-east-1:111111111111:activity:a=identity",
            "worked by GetActivityTask/SendTaskSuccess pollers",
        ),
        (
            "arn:aws:states:::lambda:invoke=worker:python3 x.py",
            "bound by function name",
        ),
        ("f=worker:aslx-no-such-program", "was not found on PATH"),
    ] {
        // A serve that wrongly starts is killed after 10 s (and the test fails).
        let mut child = Command::new(env!("CARGO_BIN_EXE_aslx"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--in-memory",
                "--handler",
                spec,
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while child.try_wait().unwrap().is_none() && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let (code, err) = (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(code, 2, "{spec}: {err}");
        assert!(err.contains(says), "{spec}: {err}");
    }
}

#[test]
fn worker_lines_that_are_not_answers_are_ignored_and_an_oversized_answer_is_data_limit_exceeded() {
    let mut h = Handlers::new();
    h.worker("f", "python3", [fixture("tests/handlers/odd_worker.py")])
        .unwrap();
    let m = Machine::new("m", &one_task(""), MachineType::Express, &h).unwrap();
    let o = m.run_blocking(json!({}));
    assert_eq!(o.output, Some(json!({"ok": true})), "{o:?}");
    let (error, cause) = caught(&m.run_blocking(json!({"big": true})));
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(
        cause.starts_with(
            "The state/task 'arn:aws:lambda:us-east-1:123456789012:function:f' returned a result"
        ),
        "{cause}"
    );
    // The worker is still the one serving.
    let o = m.run_blocking(json!({}));
    assert_eq!(o.output, Some(json!({"ok": true})), "{o:?}");
}

#[test]
fn cli_run_task_timeout_kills_the_process_group() {
    let def = definition_file("hang.asl.json", &one_task(r#""TimeoutSeconds": 1,"#));
    let pidfile = std::env::temp_dir().join(format!("aslx-cli-hang-{}.pids", std::process::id()));
    let _ = std::fs::remove_file(&pidfile);
    let input = json!({"mode": "hang", "pidfile": pidfile.to_str().unwrap()}).to_json();
    let (code, out, err) = aslx(&[
        "run",
        &def,
        "--input",
        &input,
        "--handler",
        "f=command:python3 tests/handlers/command.py",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(r#""Error":"States.Timeout""#), "{out}");
    let pids = std::fs::read_to_string(&pidfile).unwrap();
    for pid in pids.split(' ').map(|p| p.parse::<u32>().unwrap()) {
        assert!(wait_ended(pid), "process {pid} outlived aslx run");
    }
}
