//! Nested executions through the Engine: `arn:aws:states:::states:startExecution` in its four
//! patterns (RES-2 optimised integration; RES-3 request-response, RES-4 `.sync` / `.sync:2`,
//! RES-5 `.waitForTaskToken`) starts a machine of the same engine, on tokio's paused clock.

use aslx::engine::{Engine, ExecutionHandle, ExecutionStatus, Route, StartRequest};
use aslx::{json, Handlers, MachineType, Status, Value};
use std::time::Duration;
use tokio::sync::mpsc;

const CHILD_ARN: &str = "arn:aws:states:us-east-1:111111111111:stateMachine:child";

/// An engine on the test's own (paused-clock) runtime.
fn engine(handlers: Handlers) -> Engine {
    Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(handlers)
        .build()
        .unwrap()
}

fn standard(engine: &Engine, name: &str, def: &str) {
    engine
        .create_machine(name, def, MachineType::Standard)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// A parent whose one Task starts `CHILD_ARN` with `resource` as execution `kid`, passing
/// its `n` and the parent's execution ID; `task_extra` adds members to the Task.
fn parent_def(resource: &str, task_extra: &str) -> String {
    parent_def_named(resource, task_extra, r#""Name": "kid","#)
}

fn parent_def_named(resource: &str, task_extra: &str, name: &str) -> String {
    let caught = match task_extra.contains("\"Caught\"") {
        true => r#", "Caught": {"Type": "Pass", "End": true}"#,
        false => "",
    };
    format!(
        r#"{{"StartAt": "Nest", "States": {{
        "Nest": {{"Type": "Task", "Resource": "{resource}", {task_extra}
            "Parameters": {{"StateMachineArn": "{CHILD_ARN}", {name}
                "Input": {{"n.$": "$.n", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}}}},
            "End": true}}{caught}}}}}"#
    )
}

/// Fails with an error and a cause.
const FAILING: &str = r#"{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "custom cause"}}}"#;

/// Doubles `n`.
const DOUBLER: &str = r#"{"StartAt": "D", "States": {"D": {"Type": "Pass",
    "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": true}}}"#;

async fn run_parent(engine: &Engine, input: Value) -> (ExecutionHandle, aslx::Outcome) {
    let parent = engine
        .start_with_handle(StartRequest::new("parent").input(input))
        .unwrap();
    let outcome = parent.wait().await;
    (parent, outcome)
}

fn output(outcome: &aslx::Outcome) -> Value {
    outcome
        .output
        .clone()
        .unwrap_or_else(|| panic!("no output: {outcome:?}"))
}

fn keys(v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) => m.keys().map(|k| k.to_string()).collect(),
        other => panic!("not an object: {}", other.to_json()),
    }
}

fn parse(text: &str) -> Value {
    aslx::value::parse_json(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[tokio::test(start_paused = true)]
async fn res_3_request_response_returns_the_child_arn_and_start_date_with_sdk_metadata() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", DOUBLER);
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution", ""),
    );
    let (parent, outcome) = run_parent(&engine, json!({"n": 21})).await;
    assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
    let out = output(&outcome);
    assert_eq!(
        keys(&out),
        [
            "ExecutionArn",
            "SdkHttpMetadata",
            "SdkResponseMetadata",
            "StartDate"
        ]
    );
    let arn = out.get("ExecutionArn").and_then(Value::as_str).unwrap();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:111111111111:execution:child:kid"
    );
    let child = engine.execution(arn).unwrap();
    assert_eq!(
        out.get("StartDate").and_then(Value::as_i64),
        Some(child.start_ms())
    );
    let meta = out.get("SdkHttpMetadata").unwrap();
    assert_eq!(
        meta.get("HttpStatusCode").and_then(Value::as_i64),
        Some(200)
    );
    let request_id = out
        .get("SdkResponseMetadata")
        .and_then(|m| m.get("RequestId"))
        .and_then(Value::as_str)
        .unwrap();
    let header = meta
        .get("HttpHeaders")
        .and_then(|h| h.get("x-amzn-RequestId"))
        .and_then(Value::as_str);
    assert_eq!(header, Some(request_id));
    // The parent did not wait; the child runs on as an ordinary execution, linked to its
    // parent through its input only (as on AWS).
    assert_eq!(child.wait().await.status, Status::Succeeded);
    assert_eq!(
        child.input_text(),
        format!(
            r#"{{"n":21,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"{}"}}"#,
            parent.arn()
        )
    );
    assert_eq!(engine.list_executions("child").unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn res_4_sync_returns_the_child_description_with_input_and_output_as_json_text() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", DOUBLER);
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution.sync", ""),
    );
    let (parent, outcome) = run_parent(&engine, json!({"n": 21})).await;
    assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
    let out = output(&outcome);
    assert_eq!(
        keys(&out),
        [
            "ExecutionArn",
            "Input",
            "InputDetails",
            "Name",
            "Output",
            "OutputDetails",
            "RedriveCount",
            "RedriveStatus",
            "RedriveStatusReason",
            "StartDate",
            "StateMachineArn",
            "Status",
            "StopDate"
        ]
    );
    let child = engine
        .execution("arn:aws:states:us-east-1:111111111111:execution:child:kid")
        .unwrap();
    let (_, stop_ms) = child.outcome().unwrap();
    let expected_input = format!(
        r#"{{"n":21,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"{}"}}"#,
        parent.arn()
    );
    let expected = json!({
        "ExecutionArn": child.arn(),
        "Input": expected_input,
        "InputDetails": {"Included": true},
        "Name": "kid",
        "Output": r#"{"n":42}"#,
        "OutputDetails": {"Included": true},
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
        "StartDate": child.start_ms(),
        "StateMachineArn": CHILD_ARN,
        "Status": "SUCCEEDED",
        "StopDate": stop_ms
    });
    assert_eq!(out.to_json(), expected.to_json());
    // The parent's history: a `.sync` Task is scheduled, started, submitted, then succeeds
    // with the description as its output.
    let tasks: Vec<_> = parent
        .history()
        .into_iter()
        .filter(|e| e.event_type.starts_with("Task") && !e.event_type.starts_with("TaskState"))
        .collect();
    let types: Vec<_> = tasks.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded"
        ]
    );
    // TaskSubmitted records the StartExecution response, as AWS does.
    let submitted = parse(
        tasks[2]
            .details
            .get("output")
            .and_then(Value::as_str)
            .unwrap(),
    );
    assert_eq!(
        keys(&submitted),
        [
            "ExecutionArn",
            "SdkHttpMetadata",
            "SdkResponseMetadata",
            "StartDate"
        ]
    );
    assert_eq!(
        submitted.get("ExecutionArn").and_then(Value::as_str),
        Some(child.arn())
    );
    assert_eq!(
        submitted.get("StartDate").and_then(Value::as_i64),
        Some(child.start_ms())
    );
    assert_eq!(
        tasks[2].details.get("resourceType").and_then(Value::as_str),
        Some("states")
    );
    let succeeded = &tasks[3].details;
    assert_eq!(
        succeeded.get("resource").and_then(Value::as_str),
        Some("startExecution.sync")
    );
    assert_eq!(
        succeeded.get("output").and_then(Value::as_str),
        Some(out.to_json().as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn res_4_sync_2_returns_input_and_output_parsed() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", DOUBLER);
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution.sync:2", ""),
    );
    let (parent, outcome) = run_parent(&engine, json!({"n": 4})).await;
    assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
    let out = output(&outcome);
    assert_eq!(out.get("Output").unwrap().to_json(), r#"{"n":8}"#);
    let input = out.get("Input").unwrap();
    assert_eq!(input.get("n").and_then(Value::as_i64), Some(4));
    assert_eq!(
        input
            .get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID")
            .and_then(Value::as_str),
        Some(parent.arn())
    );
    assert_eq!(out.get("Status").and_then(Value::as_str), Some("SUCCEEDED"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_sync_child_fails_the_task_with_states_task_failed_and_its_description() {
    // The child's own error name does not reach the parent's Catch: only States.TaskFailed.
    let catch = r#""Catch": [{"ErrorEquals": ["Boom"], "Next": "Caught", "ResultPath": "$.byName"},
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Caught", "ResultPath": "$.err"}],"#;
    for resource in [
        "arn:aws:states:::states:startExecution.sync",
        "arn:aws:states:::states:startExecution.sync:2",
    ] {
        let engine = engine(Handlers::new());
        standard(&engine, "child", FAILING);
        standard(&engine, "parent", &parent_def(resource, catch));
        let (_, outcome) = run_parent(&engine, json!({"n": 1})).await;
        assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
        let out = output(&outcome);
        assert!(out.get("byName").is_none(), "{}", out.to_json());
        let err = out.get("err").unwrap();
        assert_eq!(
            err.get("Error").and_then(Value::as_str),
            Some("States.TaskFailed")
        );
        let cause = parse(err.get("Cause").and_then(Value::as_str).unwrap());
        assert_eq!(
            keys(&cause),
            [
                "Cause",
                "Error",
                "ExecutionArn",
                "Input",
                "InputDetails",
                "Name",
                "RedriveCount",
                "RedriveStatus",
                "StartDate",
                "StateMachineArn",
                "Status",
                "StopDate"
            ],
            "{resource}"
        );
        assert_eq!(cause.get("Status").and_then(Value::as_str), Some("FAILED"));
        assert_eq!(cause.get("Error").and_then(Value::as_str), Some("Boom"));
        assert_eq!(
            cause.get("Cause").and_then(Value::as_str),
            Some("custom cause")
        );
        assert_eq!(
            cause.get("RedriveStatus").and_then(Value::as_str),
            Some("REDRIVABLE")
        );
        // `Input` is JSON text in the cause for both versions (DescribeExecution's shape).
        assert!(cause.get("Input").unwrap().as_str().is_some(), "{resource}");
    }
}

/// Waits (on the paused clock) until `arn` is an execution of the engine that runs.
async fn running(engine: &Engine, arn: &str) -> ExecutionHandle {
    for _ in 0..100 {
        if let Ok(e) = engine.execution(arn) {
            if e.status() == ExecutionStatus::Running {
                return e;
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("{arn} never ran")
}

const KID: &str = "arn:aws:states:us-east-1:111111111111:execution:child:kid";

const NAP: &str =
    r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1000, "End": true}}}"#;

#[tokio::test(start_paused = true)]
async fn stopping_the_parent_aborts_its_sync_child() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", NAP);
    for (n, resource) in [
        "arn:aws:states:::states:startExecution.sync",
        "arn:aws:states:::states:startExecution.sync:2",
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!(r#""Name": "kid{n}","#);
        let parent_name = format!("parent{n}");
        standard(
            &engine,
            &parent_name,
            &parent_def_named(resource, "", &name),
        );
        let parent = engine
            .start_with_handle(StartRequest::new(&parent_name).input(json!({"n": 1})))
            .unwrap();
        let child = running(&engine, &format!("{KID}{n}")).await;
        parent.stop(Some("Halt"), Some("by the test"));
        let ended = tokio::time::timeout(Duration::from_secs(1), child.wait())
            .await
            .expect("the child was not stopped");
        assert_eq!(ended.status, Status::Aborted, "{resource}");
        assert_eq!(
            child.history().last().map(|e| e.event_type),
            Some("ExecutionAborted")
        );
        assert_eq!(parent.status(), ExecutionStatus::Ended(Status::Aborted));
    }
}

#[tokio::test(start_paused = true)]
async fn a_task_timeout_stops_the_sync_child() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", NAP);
    standard(
        &engine,
        "parent",
        &parent_def(
            "arn:aws:states:::states:startExecution.sync",
            r#""TimeoutSeconds": 5,"#,
        ),
    );
    let started = tokio::time::Instant::now();
    let (_, outcome) = run_parent(&engine, json!({"n": 1})).await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.error.as_deref(), Some("States.Timeout"));
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let child = engine.execution(KID).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(1), child.wait())
        .await
        .expect("the child was not stopped");
    assert_eq!(ended.status, Status::Aborted);
}

#[tokio::test(start_paused = true)]
async fn a_parent_timeout_stops_the_sync_child() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", NAP);
    let def = parent_def("arn:aws:states:::states:startExecution.sync", "").replacen(
        "{",
        r#"{"TimeoutSeconds": 7, "#,
        1,
    );
    standard(&engine, "parent", &def);
    let (_, outcome) = run_parent(&engine, json!({"n": 1})).await;
    assert_eq!(outcome.status, Status::TimedOut);
    let child = engine.execution(KID).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(1), child.wait())
        .await
        .expect("the child was not stopped");
    assert_eq!(ended.status, Status::Aborted);
}

#[tokio::test(start_paused = true)]
async fn version_and_alias_arns_start_the_version_they_name() {
    let engine = engine(Handlers::new());
    let v1 = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v1", "End": true}}}"#;
    let v2 = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": true}}}"#;
    standard(&engine, "child", v1);
    let version = engine.publish_version("child", None, None).unwrap();
    let version_arn = version.version_arn.clone().unwrap();
    engine.update_machine("child", v2).unwrap();
    let alias = engine
        .create_alias(
            "live",
            None,
            &[Route {
                version_arn: version_arn.clone(),
                weight: 100,
            }],
        )
        .unwrap();
    let cases = [
        (&*version_arn, "v1", Some(&*version_arn), None),
        (&*alias.arn, "v1", Some(&*version_arn), Some(&*alias.arn)),
        (CHILD_ARN, "v2", None, None),
    ];
    for (n, (target, result, version, alias)) in cases.into_iter().enumerate() {
        let def = format!(
            r#"{{"StartAt": "Nest", "States": {{"Nest": {{"Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {{"StateMachineArn": "{target}"}}, "End": true}}}}}}"#
        );
        let name = format!("parent{n}");
        standard(&engine, &name, &def);
        let p = engine.start_with_handle(StartRequest::new(&name)).unwrap();
        let outcome = p.wait().await;
        assert_eq!(outcome.status, Status::Succeeded, "{target}: {outcome:?}");
        let out = output(&outcome);
        assert_eq!(
            out.get("Output").and_then(Value::as_str),
            Some(result),
            "{target}"
        );
        let member = |k: &str| out.get(k).and_then(Value::as_str).map(str::to_string);
        assert_eq!(member("StateMachineArn").as_deref(), Some(CHILD_ARN));
        assert_eq!(member("StateMachineVersionArn").as_deref(), version);
        assert_eq!(member("StateMachineAliasArn").as_deref(), alias);
    }
}

#[tokio::test(start_paused = true)]
async fn refused_starts_are_step_functions_exceptions_with_the_sdk_cause() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", DOUBLER);
    let missing = "arn:aws:states:us-east-1:111111111111:stateMachine:nobody";
    for resource in [
        "arn:aws:states:::states:startExecution",
        "arn:aws:states:::states:startExecution.sync",
        "arn:aws:states:::states:startExecution.sync:2",
    ] {
        let engine = self::engine(Handlers::new());
        standard(&engine, "child", DOUBLER);
        let def = parent_def(resource, "").replace(CHILD_ARN, missing);
        standard(&engine, "parent", &def);
        let (_, outcome) = run_parent(&engine, json!({"n": 1})).await;
        assert_eq!(outcome.status, Status::Failed);
        assert_eq!(
            outcome.error.as_deref(),
            Some("StepFunctions.StateMachineDoesNotExistException"),
            "{resource}"
        );
        let cause = outcome.cause.unwrap();
        let head = format!("State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ");
        assert!(cause.starts_with(&head), "{cause}");
        assert!(cause.ends_with("; Proxy: null)"), "{cause}");
    }
    // A taken name: the first child ended, so a second start of `kid` is refused.
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution.sync", ""),
    );
    let (_, first) = run_parent(&engine, json!({"n": 1})).await;
    assert_eq!(first.status, Status::Succeeded);
    let (_, second) = run_parent(&engine, json!({"n": 1})).await;
    assert_eq!(
        second.error.as_deref(),
        Some("StepFunctions.ExecutionAlreadyExistsException")
    );
    assert!(second.cause.unwrap().starts_with(&format!(
        "Execution Already Exists: '{KID}' (Service: AWSStepFunctions;"
    )));
    // Not an ARN, and no ARN at all.
    for (params, error, text) in [
        (
            r#"{"StateMachineArn": "child"}"#,
            "StepFunctions.InvalidArnException",
            "Invalid Arn: 'Invalid ARN prefix: child'",
        ),
        (
            r#"{"Input": {}}"#,
            "StepFunctions.ValidationException",
            "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null",
        ),
    ] {
        let def = format!(
            r#"{{"StartAt": "Nest", "States": {{"Nest": {{"Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution", "Parameters": {params}, "End": true}}}}}}"#
        );
        engine.update_machine("parent", &def).unwrap();
        let (_, outcome) = run_parent(&engine, json!({})).await;
        assert_eq!(outcome.error.as_deref(), Some(error), "{params}");
        assert!(outcome.cause.unwrap().starts_with(text), "{params}");
    }
}

#[tokio::test(start_paused = true)]
async fn res_5_wait_for_task_token_completes_when_the_child_calls_back() {
    // The child's Task hands the token it got in its input to a worker (the test), which
    // answers SendTaskSuccess through the engine.
    let (tx, mut tokens) = mpsc::unbounded_channel::<String>();
    let mut h = Handlers::new();
    h.function("report", move |v| {
        let token = v.get("token").and_then(Value::as_str).unwrap_or_default();
        tx.send(token.to_string()).unwrap();
        Ok(json!({}))
    });
    let engine = std::sync::Arc::new(engine(h));
    standard(
        &engine,
        "child",
        r#"{"StartAt": "R", "States": {"R": {"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:111111111111:function:report", "End": true}}}"#,
    );
    let def = format!(
        r#"{{"StartAt": "Nest", "States": {{"Nest": {{"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
            "Parameters": {{"StateMachineArn": "{CHILD_ARN}", "Name": "kid",
                "Input": {{"token.$": "$$.Task.Token"}}}}, "End": true}}}}}}"#
    );
    standard(&engine, "parent", &def);
    let worker = {
        let engine = std::sync::Arc::clone(&engine);
        tokio::spawn(async move {
            let token = tokens.recv().await.unwrap();
            engine
                .send_task_success(&token, r#"{"answer": 42}"#)
                .unwrap();
        })
    };
    let (parent, outcome) = run_parent(&engine, json!({})).await;
    worker.await.unwrap();
    assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
    assert_eq!(output(&outcome).to_json(), r#"{"answer":42}"#);
    assert_eq!(
        engine.execution(KID).unwrap().wait().await.status,
        Status::Succeeded
    );
    // The Task's result is what SendTaskSuccess sent, not the start response.
    let succeeded = parent
        .history()
        .into_iter()
        .find(|e| e.event_type == "TaskSucceeded")
        .unwrap();
    assert_eq!(
        succeeded.details.get("output").and_then(Value::as_str),
        Some(r#"{"answer":42}"#)
    );
}

#[tokio::test(start_paused = true)]
async fn the_users_own_handler_wins_over_the_nested_integration() {
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::states:startExecution.sync", |_| {
        Ok(json!({"mine": true}))
    });
    let engine = engine(h);
    standard(&engine, "child", DOUBLER);
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution.sync", ""),
    );
    let (parent, outcome) = run_parent(&engine, json!({"n": 1})).await;
    assert_eq!(output(&outcome).to_json(), r#"{"mine":true}"#);
    // A handler that answers the whole job at once gives no start response to record.
    let submitted = parent
        .history()
        .into_iter()
        .find(|e| e.event_type == "TaskSubmitted")
        .unwrap();
    assert!(submitted.details.get("output").is_none());
    assert!(engine.list_executions("child").unwrap().is_empty());
    // The patterns the user left unbound are still the engine's.
    standard(
        &engine,
        "other",
        &parent_def("arn:aws:states:::states:startExecution.sync:2", ""),
    );
    let p = engine
        .start_with_handle(StartRequest::new("other").input(json!({"n": 2})))
        .unwrap();
    let out = output(&p.wait().await);
    assert_eq!(out.get("Output").unwrap().to_json(), r#"{"n":4}"#);
}

#[test]
fn dropping_the_engine_frees_it_although_its_machines_link_the_nested_integration() {
    // The integration holds the engine weakly: a strong reference would be a cycle (engine →
    // machines → handlers → engine) and the engine, its handlers with it, would never be freed.
    let marker = std::sync::Arc::new(());
    let held = std::sync::Arc::clone(&marker);
    let mut h = Handlers::new();
    h.function("keep", move |v| {
        let _ = &held;
        Ok(v)
    });
    let engine = Engine::builder()
        .worker_threads(1)
        .handlers(h)
        .build()
        .unwrap();
    standard(&engine, "child", DOUBLER);
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution.sync", ""),
    );
    assert_eq!(std::sync::Arc::strong_count(&marker), 2);
    drop(engine);
    assert_eq!(std::sync::Arc::strong_count(&marker), 1);
}

#[tokio::test(start_paused = true)]
async fn exp_4_an_express_parent_starts_a_child_request_response() {
    // EXPRESS machines may start executions only request-response (`.sync` is refused).
    let engine = engine(Handlers::new());
    standard(&engine, "child", DOUBLER);
    engine
        .create_machine(
            "parent",
            &parent_def("arn:aws:states:::states:startExecution", ""),
            MachineType::Express,
        )
        .unwrap();
    let done = engine
        .start_sync(StartRequest::new("parent").input(json!({"n": 5})))
        .await
        .unwrap();
    assert_eq!(done.outcome.status, Status::Succeeded, "{:?}", done.outcome);
    let child = engine.execution(KID).unwrap();
    assert_eq!(child.wait().await.status, Status::Succeeded);
    assert_eq!(
        child
            .input()
            .get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"),
        Some(&Value::string(done.execution_arn()))
    );
    let refused = engine
        .create_machine(
            "sync-parent",
            &parent_def("arn:aws:states:::states:startExecution.sync", ""),
            MachineType::Express,
        )
        .unwrap_err();
    assert!(refused.to_string().contains("'.sync'"), "{refused}");
}

#[tokio::test(start_paused = true)]
async fn an_express_child_runs_under_sync_without_redrive_members() {
    // Redrive is a STANDARD feature: an EXPRESS child's description has no Redrive* members.
    let engine = engine(Handlers::new());
    engine
        .create_machine("child", DOUBLER, MachineType::Express)
        .unwrap();
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution.sync:2", ""),
    );
    let (_, outcome) = run_parent(&engine, json!({"n": 3})).await;
    assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
    let out = output(&outcome);
    assert_eq!(out.get("Output").unwrap().to_json(), r#"{"n":6}"#);
    let arn = out.get("ExecutionArn").and_then(Value::as_str).unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:111111111111:express:child:kid:"),
        "{arn}"
    );
    assert!(
        keys(&out).iter().all(|k| !k.starts_with("Redrive")),
        "{}",
        out.to_json()
    );
    // EXPRESS executions are not listed, as on AWS.
    assert!(engine.execution(arn).is_err());
}

/// Answers every Task with `{"mocked": true}` (a mock test case).
#[derive(Debug)]
struct Mocked;

impl aslx::engine::TaskHook for Mocked {
    fn answer(&self, _state: &str, _call: &aslx::vm::TaskCall) -> Option<aslx::vm::TaskOutcome> {
        Some(aslx::vm::TaskOutcome::Whole(json!({"mocked": true})))
    }
}

#[tokio::test(start_paused = true)]
async fn a_mocked_sync_task_starts_no_child_and_records_task_submitted_without_output() {
    let engine = engine(Handlers::new());
    standard(&engine, "child", DOUBLER);
    standard(
        &engine,
        "parent",
        &parent_def("arn:aws:states:::states:startExecution.sync", ""),
    );
    let parent = engine
        .start_with_handle(
            StartRequest::new("parent")
                .input(json!({"n": 1}))
                .task_hook(std::sync::Arc::new(Mocked)),
        )
        .unwrap();
    let outcome = parent.wait().await;
    assert_eq!(output(&outcome).to_json(), r#"{"mocked":true}"#);
    assert!(engine.list_executions("child").unwrap().is_empty());
    let events: Vec<_> = parent
        .history()
        .into_iter()
        .filter(|e| e.event_type.starts_with("Task") && !e.event_type.starts_with("TaskState"))
        .collect();
    let types: Vec<_> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded"
        ]
    );
    assert!(events[2].details.get("output").is_none());
    // Each follows the one before it.
    for pair in events.windows(2) {
        assert_eq!(pair[1].previous_event_id, pair[0].id);
    }
}
