//! Every execution tells its whole story: the history events AWS records (API.md,
//! GetExecutionHistory), kept by the engine for STANDARD executions and for executions started
//! with a handle; stops, the execution table, STANDARD name idempotency and task hooks.
//! On tokio's paused clock, so Waits take no real time.

use aslx::engine::{
    Engine, ErrorKind, ExecutionHandle, ExecutionStatus, HistoryEvent, StartRequest, TaskHook,
};
use aslx::vm::{TaskCall, TaskOutcome};
use aslx::{json, Handlers, MachineType, Status, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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

/// Runs `def` as a STANDARD machine on `input` to its end; its history.
async fn history_of(
    handlers: Handlers,
    def: &str,
    input: Value,
) -> (ExecutionHandle, Vec<HistoryEvent>) {
    let e = engine(handlers);
    standard(&e, "m", def);
    let h = e
        .start_with_handle(StartRequest::new("m").input(input))
        .unwrap();
    h.wait().await;
    let events = h.history();
    (h, events)
}

/// `(type, id, previousEventId)` of each event.
fn shape(events: &[HistoryEvent]) -> Vec<(&'static str, u32, u32)> {
    events
        .iter()
        .map(|e| (e.event_type, e.id, e.previous_event_id))
        .collect()
}

fn types(events: &[HistoryEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.event_type).collect()
}

fn details(e: &HistoryEvent) -> String {
    e.details.to_json()
}

fn identity() -> Handlers {
    let mut h = Handlers::new();
    h.function("fn", Ok);
    h
}

#[tokio::test(start_paused = true)]
async fn a_pass_state_is_started_entered_exited_succeeded_with_aws_ids() {
    let def = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": true}}}"#;
    let (h, events) = history_of(Handlers::new(), def, json!({"a": 1})).await;
    assert_eq!(
        shape(&events),
        vec![
            ("ExecutionStarted", 1, 0),
            ("PassStateEntered", 2, 0),
            ("PassStateExited", 3, 2),
            ("ExecutionSucceeded", 4, 3),
        ]
    );
    assert_eq!(
        details(&events[0]),
        r#"{"input":"{\"a\":1}","inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::111111111111:role/aslx"}"#
    );
    assert_eq!(
        details(&events[1]),
        r#"{"name":"P","input":"{\"a\":1}","inputDetails":{"truncated":false}}"#
    );
    assert_eq!(
        details(&events[2]),
        r#"{"name":"P","output":"1","outputDetails":{"truncated":false}}"#
    );
    assert_eq!(
        details(&events[3]),
        r#"{"output":"1","outputDetails":{"truncated":false}}"#
    );
    assert_eq!(h.status(), ExecutionStatus::Ended(Status::Succeeded));
    // The API's shape, with and without execution data.
    let api = events[1].to_api_json(false).to_json();
    assert!(
        api.contains(r#""stateEnteredEventDetails":{"name":"P","inputDetails""#),
        "{api}"
    );
}

#[tokio::test(start_paused = true)]
async fn lambda_invoke_tasks_are_scheduled_started_and_succeeded_with_their_parameters() {
    let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 30,
        "Parameters": {"FunctionName": "fn", "Payload.$": "$"},
        "OutputPath": "$.Payload", "End": true}}}"#;
    let (_, events) = history_of(identity(), def, json!({"x": 1})).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let scheduled = details(&events[2]);
    assert!(
        scheduled.starts_with(
            r#"{"resourceType":"lambda","resource":"invoke","region":"us-east-1","parameters":"{\"FunctionName\":\"fn\",\"Payload\":{\"x\":1}}","timeoutInSeconds":30"#
        ),
        "{scheduled}"
    );
    assert_eq!(
        details(&events[3]),
        r#"{"resourceType":"lambda","resource":"invoke"}"#
    );
    assert!(details(&events[4]).contains(r#""StatusCode\":200"#));
    assert_eq!(
        shape(&events)[1..6],
        [
            ("TaskStateEntered", 2, 0),
            ("TaskScheduled", 3, 2),
            ("TaskStarted", 4, 3),
            ("TaskSucceeded", 5, 4),
            ("TaskStateExited", 6, 5)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn legacy_lambda_arns_get_lambda_function_events() {
    let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:111111111111:function:fn", "End": true}}}"#;
    let (_, events) = history_of(identity(), def, json!({"x": 1})).await;
    assert_eq!(
        types(&events)[2..5],
        [
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded"
        ]
    );
    assert_eq!(
        details(&events[2]),
        r#"{"resource":"arn:aws:lambda:us-east-1:111111111111:function:fn","input":"{\"x\":1}","inputDetails":{"truncated":false}}"#
    );
    assert_eq!(
        events[3]
            .to_api_json(true)
            .get("lambdaFunctionStartedEventDetails"),
        None
    );
}

#[tokio::test(start_paused = true)]
async fn a_retried_then_caught_failure_shows_each_attempt_and_the_catch_exit() {
    let mut h = Handlers::new();
    h.function("boom", |_| Err(aslx::TaskError::new("Boom", "it broke")));
    let def = r#"{"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:boom",
              "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 1}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "F"}],
              "End": true},
        "F": {"Type": "Fail", "Error": "Final", "Cause": "gave up"}}}"#;
    let (handle, events) = history_of(h, def, json!({})).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionFailed",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionFailed",
            "TaskStateExited",
            "FailStateEntered",
            "ExecutionFailed"
        ]
    );
    assert!(details(&events[4]).contains(r#""error":"Boom""#));
    assert!(details(&events[8]).contains(r#"\"err\":{\"Error\":\"Boom\""#));
    assert_eq!(
        details(&events[10]),
        r#"{"error":"Final","cause":"gave up"}"#
    );
    let (o, _) = handle.outcome().unwrap();
    assert_eq!(o.error.as_deref(), Some("Final"));
}

/// ERR-4: the ids in `States.Runtime` causes are the history's ids.
#[tokio::test(start_paused = true)]
async fn the_event_id_a_runtime_cause_quotes_is_the_entered_event_of_the_history() {
    let def = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}"#;
    let (handle, events) = history_of(Handlers::new(), def, json!({})).await;
    let (o, _) = handle.outcome().unwrap();
    let entered_b = events
        .iter()
        .find(|e| e.event_type == "PassStateEntered" && details(e).contains(r#""name":"B""#))
        .unwrap();
    let cause = o.cause.unwrap();
    assert!(
        cause.contains(&format!("entered at the event id #{}", entered_b.id)),
        "{cause} / {:?}",
        shape(&events)
    );
    assert_eq!(events.last().unwrap().event_type, "ExecutionFailed");
}

#[tokio::test(start_paused = true)]
async fn a_map_reports_its_start_each_iteration_and_its_end() {
    let def = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}"#;
    let (_, events) = history_of(Handlers::new(), def, json!([1, 2])).await;
    assert_eq!(
        shape(&events),
        vec![
            ("ExecutionStarted", 1, 0),
            ("MapStateEntered", 2, 0),
            ("MapStateStarted", 3, 2),
            ("MapIterationStarted", 4, 3),
            ("PassStateEntered", 5, 4),
            ("PassStateExited", 6, 5),
            ("MapIterationSucceeded", 7, 6),
            ("MapIterationStarted", 8, 7),
            ("PassStateEntered", 9, 8),
            ("PassStateExited", 10, 9),
            ("MapIterationSucceeded", 11, 10),
            // MapStateSucceeded does not advance the chain (AWS).
            ("MapStateSucceeded", 12, 11),
            ("MapStateExited", 13, 11),
            ("ExecutionSucceeded", 14, 13),
        ]
    );
    assert_eq!(details(&events[2]), r#"{"length":2}"#);
    assert_eq!(details(&events[7]), r#"{"name":"M","index":1}"#);
    assert_eq!(
        events[2]
            .to_api_json(true)
            .get("mapStateStartedEventDetails")
            .map(Value::to_json),
        Some(r#"{"length":2}"#.to_string())
    );
}

#[tokio::test(start_paused = true)]
async fn a_parallel_reports_its_branches_between_started_and_succeeded() {
    let def = r#"{"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true,
        "Branches": [
          {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
          {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}}"#;
    let (_, events) = history_of(Handlers::new(), def, json!({})).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "ParallelStateEntered",
            "ParallelStateStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ParallelStateSucceeded",
            "ParallelStateExited",
            "ExecutionSucceeded"
        ]
    );
    // Each branch follows ParallelStateStarted; ParallelStateSucceeded does not advance the
    // chain, so the exit follows the last branch's last event.
    assert_eq!(events[3].previous_event_id, 3);
    assert_eq!(events[5].previous_event_id, 3);
    assert_eq!(events[7].previous_event_id, 7);
    assert_eq!(events[8].previous_event_id, 7);
}

#[tokio::test(start_paused = true)]
async fn a_failing_iteration_fails_the_map() {
    let def = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}}}}"#;
    let (_, events) = history_of(Handlers::new(), def, json!([1])).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapIterationStarted",
            "FailStateEntered",
            "MapIterationFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
}

/// Iterations that wait run as tasks of their own on a multi-thread pool: their events
/// interleave, yet every id is given once, in order, and follows an earlier event.
#[test]
fn concurrent_iterations_get_distinct_increasing_ids() {
    let e = Engine::builder().worker_threads(2).build().unwrap();
    let def = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 8, "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {
          "W": {"Type": "Wait", "Seconds": 0, "Next": "P"},
          "P": {"Type": "Pass", "End": true}}}}}}"#;
    standard(&e, "m", def);
    let items: Vec<Value> = (0..32).map(Value::Int).collect();
    let h = e
        .start_with_handle(StartRequest::new("m").input(Value::array(items)))
        .unwrap();
    let o = e.handle().block_on(h.wait());
    assert_eq!(o.status, Status::Succeeded);
    let events = h.history();
    for (i, ev) in events.iter().enumerate() {
        assert_eq!(ev.id as usize, i + 1);
        assert!(ev.previous_event_id < ev.id, "{:?}", shape(&events));
    }
    let started = events
        .iter()
        .filter(|e| e.event_type == "MapIterationStarted")
        .count();
    assert_eq!(started, 32);
}

#[tokio::test(start_paused = true)]
async fn stopping_a_waiting_execution_aborts_the_wait_and_the_execution() {
    let e = engine(Handlers::new());
    standard(
        &e,
        "nap",
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}}"#,
    );
    let h = e.start_with_handle(StartRequest::new("nap")).unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(h.status(), ExecutionStatus::Running);
    assert_eq!(e.in_flight(), 1);
    let stop = e
        .stop_execution(h.arn(), Some("Stopped"), Some("by the test"))
        .unwrap();
    assert_eq!(h.status(), ExecutionStatus::Ended(Status::Aborted));
    let (o, at) = h.outcome().unwrap();
    assert_eq!((o.error.as_deref(), at), (Some("Stopped"), stop));
    // AWS records no WaitStateAborted for the execution's own Wait (measured by floci-io/floci:
    // ExecutionAborted is event 3, after WaitStateEntered), and the abort follows nothing.
    assert_eq!(
        shape(&h.history()),
        [
            ("ExecutionStarted", 1, 0),
            ("WaitStateEntered", 2, 0),
            ("ExecutionAborted", 3, 0)
        ]
    );
    assert_eq!(
        details(h.history().last().unwrap()),
        r#"{"error":"Stopped","cause":"by the test"}"#
    );
    // The runner lets go of the execution: its place is free.
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
    assert_eq!(e.in_flight(), 0);
    // A second stop changes nothing.
    assert_eq!(h.stop(Some("Again"), None), stop);
    assert_eq!(h.outcome().unwrap().0.error.as_deref(), Some("Stopped"));
    tokio::time::sleep(std::time::Duration::from_secs(200)).await;
    assert_eq!(h.history().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_standard_timeout_aborts_the_open_state_and_times_the_execution_out() {
    let (h, events) = history_of(
        Handlers::new(),
        r#"{"TimeoutSeconds": 5, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}}"#,
        json!({}),
    )
    .await;
    assert_eq!(h.status(), ExecutionStatus::Ended(Status::TimedOut));
    // As AWS records it (measured by floci-io/floci, StepFunctionsTimeoutSecondsIntegrationTest):
    // no WaitStateAborted for the execution's own Wait, and the timeout follows nothing.
    assert_eq!(
        shape(&events),
        [
            ("ExecutionStarted", 1, 0),
            ("WaitStateEntered", 2, 0),
            ("ExecutionTimedOut", 3, 0)
        ]
    );
    assert_eq!(details(&events[2]), r#"{"error":"States.Timeout"}"#);
}

#[tokio::test(start_paused = true)]
async fn standard_executions_are_listed_newest_first_and_express_ones_never() {
    let e = engine(Handlers::new());
    standard(
        &e,
        "s",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    e.create_machine(
        "x",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
        MachineType::Express,
    )
    .unwrap();
    let a = e.start(StartRequest::new("s").name("first")).unwrap();
    let b = e.start(StartRequest::new("s").name("second")).unwrap();
    let listed = e.list_executions("s").unwrap();
    let names: Vec<&str> = listed.iter().map(|h| h.name()).collect();
    assert_eq!(names, ["second", "first"]);
    assert_eq!(e.execution(a.execution_arn()).unwrap().name(), "first");
    listed[0].wait().await;
    assert_eq!(
        e.execution(b.execution_arn()).unwrap().status(),
        ExecutionStatus::Ended(Status::Succeeded)
    );
    // EXPRESS: not listed, not described (AWS's answers), but a handle still tells.
    let err = e.list_executions("x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StateMachineTypeNotSupported);
    let hx = e.start_with_handle(StartRequest::new("x")).unwrap();
    assert!(hx.arn().contains(":express:"));
    let err = e.execution(hx.arn()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArn);
    assert_eq!(
        err.message(),
        "Invalid Arn: 'Resource type not valid in this context: express'"
    );
    hx.wait().await;
    assert_eq!(types(&hx.history()).len(), 4);
    // Unknown ones.
    let missing = "arn:aws:states:us-east-1:111111111111:execution:s:nope";
    let err = e.execution(missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ExecutionDoesNotExist);
    assert_eq!(
        err.message(),
        format!("Execution Does Not Exist: '{missing}'")
    );
    assert_eq!(
        e.stop_execution("not an arn", None, None)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArn
    );
}

#[tokio::test(start_paused = true)]
async fn a_standard_name_is_idempotent_while_running_with_the_same_input_only() {
    let e = engine(Handlers::new());
    standard(
        &e,
        "nap",
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}}"#,
    );
    let start = |input: &'static str| {
        e.start_with_handle(StartRequest::new("nap").name("once").input_json(input))
    };
    let first = start(r#"{"a": 1}"#).unwrap();
    let again = start(r#"{"a": 1}"#).unwrap();
    assert_eq!(first.arn(), again.arn());
    assert_eq!(e.in_flight(), 1);
    let err = start(r#"{"a": 2}"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ExecutionAlreadyExists);
    assert_eq!(
        err.message(),
        format!("Execution Already Exists: '{}'", first.arn())
    );
    first.wait().await;
    assert_eq!(
        start(r#"{"a": 1}"#).unwrap_err().kind(),
        ErrorKind::ExecutionAlreadyExists
    );
}

/// Answers every call of state `T` with its invocation number, counting across iterations.
#[derive(Debug, Default)]
struct Counting(AtomicUsize);

impl TaskHook for Counting {
    fn answer(&self, state: &str, _call: &TaskCall) -> Option<TaskOutcome> {
        (state == "T").then(|| {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            TaskOutcome::Whole(json!({"n": n as i64}))
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_task_hook_answers_before_the_handler_in_iterations_too() {
    let mut h = Handlers::new();
    h.function("fn", |_| panic!("the hook answers first"));
    h.function("other", |v| Ok(json!({"other": v})));
    let e = engine(h);
    let def = r#"{"StartAt": "M", "States": {
        "M": {"Type": "Map", "MaxConcurrency": 4, "Next": "U",
              "ItemProcessor": {"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 1, "Next": "T"},
                "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "fn"}, "End": true}}}},
        "U": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:other", "End": true}}}"#;
    e.create_machine("m", def, MachineType::Express).unwrap();
    let hook = Arc::new(Counting::default());
    let done = e
        .start_sync(
            StartRequest::new("m")
                .input(json!([1, 2, 3]))
                .task_hook(hook.clone()),
        )
        .await
        .unwrap();
    assert_eq!(done.outcome.status, Status::Succeeded, "{:?}", done.outcome);
    // The hook's answer is the whole Task result: no invoke envelope around it.
    let out = done.outcome.output.unwrap().to_json();
    assert!(out.starts_with(r#"{"other":[{"n":"#), "{out}");
    assert!(!out.contains("StatusCode"), "{out}");
    assert_eq!(hook.0.load(Ordering::SeqCst), 3);
}

/// A `.waitForTaskToken` Task's token is in its `TaskScheduled` parameters, so a worker that
/// reads the history (or the log) can complete it.
#[tokio::test(start_paused = true)]
async fn a_callback_token_in_the_scheduled_parameters_completes_the_task() {
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::sqs:sendMessage", |_| {
        Ok(json!({"MessageId": "m"}))
    });
    let e = engine(h);
    standard(
        &e,
        "cb",
        r#"{"StartAt": "Send", "States": {"Send": {"Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": true}}}"#,
    );
    let handle = e.start_with_handle(StartRequest::new("cb")).unwrap();
    let mut token = None;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        let scheduled = handle
            .history()
            .into_iter()
            .find(|ev| ev.event_type == "TaskScheduled");
        if let Some(ev) = scheduled {
            let params = ev
                .details
                .get("parameters")
                .and_then(Value::as_str)
                .unwrap()
                .to_string();
            let params = aslx::parse_json(&params).unwrap();
            token = params
                .get("MessageBody")
                .and_then(|b| b.get("token"))
                .and_then(Value::as_str)
                .map(str::to_string);
            break;
        }
    }
    let token = token.expect("a TaskScheduled event with the token");
    assert!(details(&handle.history()[2]).contains(r#""resource":"sendMessage.waitForTaskToken""#));
    e.send_task_success(&token, r#"{"done": 1}"#).unwrap();
    let o = handle.wait().await;
    assert_eq!(o.output.unwrap().to_json(), r#"{"done":1}"#);
}

/// Waits (on the paused clock) until the history has an event of type `t`.
async fn until_recorded(h: &ExecutionHandle, t: &str) {
    for _ in 0..1000 {
        if h.history().iter().any(|e| e.event_type == t) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no {t} in {:?}", types(&h.history()));
}

/// The events after the first one of type `t`.
fn after<'a>(events: &'a [HistoryEvent], t: &str) -> &'a [HistoryEvent] {
    let at = events.iter().position(|e| e.event_type == t).unwrap();
    &events[at + 1..]
}

fn activity_machine(e: &Engine, timeout: u64) -> Arc<str> {
    let act = e.create_activity("work").unwrap();
    let def = format!(
        r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Task", "Resource": "{}",
            "TimeoutSeconds": {timeout}, "End": true}}}}}}"#,
        act.arn
    );
    standard(e, "act", &def);
    Arc::from(&*act.arn)
}

/// RES-6: `ActivityStarted` is when a worker takes the task, not when it is scheduled, and
/// names the worker (`activityStartedEventDetails.workerName`, API.md GetActivityTask).
#[tokio::test(start_paused = true)]
async fn activity_started_is_recorded_when_a_worker_takes_the_task_with_its_name() {
    let e = engine(Handlers::new());
    let arn = activity_machine(&e, 600);
    let h = e
        .start_with_handle(StartRequest::new("act").input(json!({"n": 1})))
        .unwrap();
    until_recorded(&h, "ActivityScheduled").await;
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    // Scheduled, and no worker has it yet.
    assert_eq!(
        types(&h.history()),
        ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled"]
    );
    let task = e
        .get_activity_task(&arn, Some("worker-7"), std::time::Duration::from_secs(1))
        .await
        .unwrap()
        .expect("the queued task");
    let events = h.history();
    let started = events.last().unwrap();
    assert_eq!(
        (started.event_type, started.id, started.previous_event_id),
        ("ActivityStarted", 4, 3)
    );
    assert_eq!(details(started), r#"{"workerName":"worker-7"}"#);
    assert_eq!(
        started
            .to_api_json(true)
            .get("activityStartedEventDetails")
            .map(Value::to_json),
        Some(r#"{"workerName":"worker-7"}"#.to_string())
    );
    // Started at hand-out, 5 s after it was scheduled.
    assert!(started.timestamp_ms - events[2].timestamp_ms >= 5_000);
    e.send_task_success(&task.task_token, r#"{"done": true}"#)
        .unwrap();
    h.wait().await;
    assert_eq!(
        shape(&h.history()),
        [
            ("ExecutionStarted", 1, 0),
            ("TaskStateEntered", 2, 0),
            ("ActivityScheduled", 3, 2),
            ("ActivityStarted", 4, 3),
            ("ActivitySucceeded", 5, 4),
            ("TaskStateExited", 6, 5),
            ("ExecutionSucceeded", 7, 6),
        ]
    );
}

/// A worker that gives no name: `ActivityStarted` with empty details.
#[tokio::test(start_paused = true)]
async fn activity_started_without_a_worker_name_has_empty_details() {
    let e = engine(Handlers::new());
    let arn = activity_machine(&e, 600);
    let h = e.start_with_handle(StartRequest::new("act")).unwrap();
    until_recorded(&h, "ActivityScheduled").await;
    let task = e
        .get_activity_task(&arn, None, std::time::Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    let started = h.history().last().cloned().unwrap();
    assert_eq!(started.event_type, "ActivityStarted");
    assert_eq!(details(&started), "{}");
    e.send_task_failure(&task.task_token, Some("Nope"), None)
        .unwrap();
    h.wait().await;
    assert_eq!(
        types(&h.history())[2..5],
        ["ActivityScheduled", "ActivityStarted", "ActivityFailed"]
    );
}

/// An activity task no worker took before its `TimeoutSeconds`: it never started.
#[tokio::test(start_paused = true)]
async fn an_activity_task_no_worker_takes_times_out_without_activity_started() {
    let e = engine(Handlers::new());
    let arn = activity_machine(&e, 3);
    let h = e.start_with_handle(StartRequest::new("act")).unwrap();
    let o = h.wait().await;
    assert_eq!(o.status, Status::Failed);
    assert_eq!(
        shape(&h.history()),
        [
            ("ExecutionStarted", 1, 0),
            ("TaskStateEntered", 2, 0),
            ("ActivityScheduled", 3, 2),
            ("ActivityTimedOut", 4, 3),
            ("ExecutionFailed", 5, 4),
        ]
    );
    // Nothing is left for a worker, and nothing more is recorded.
    let late = e
        .get_activity_task(&arn, Some("late"), std::time::Duration::from_secs(1))
        .await
        .unwrap();
    assert!(late.is_none());
    assert_eq!(h.history().len(), 5);
}

/// An activity Task a task hook answers (a mock test case) starts without a worker.
#[tokio::test(start_paused = true)]
async fn an_activity_task_a_hook_answers_is_started_without_a_worker() {
    #[derive(Debug)]
    struct Answer;
    impl TaskHook for Answer {
        fn answer(&self, _state: &str, _call: &TaskCall) -> Option<TaskOutcome> {
            Some(TaskOutcome::Ok(json!({"mocked": true})))
        }
    }
    let e = engine(Handlers::new());
    activity_machine(&e, 60);
    let h = e
        .start_with_handle(StartRequest::new("act").task_hook(Arc::new(Answer)))
        .unwrap();
    h.wait().await;
    let events = h.history();
    assert_eq!(
        shape(&events)[2..5],
        [
            ("ActivityScheduled", 3, 2),
            ("ActivityStarted", 4, 3),
            ("ActivitySucceeded", 5, 4)
        ]
    );
    assert_eq!(details(&events[3]), "{}");
}

/// RES-4: a `.sync` / `.sync:2` Task records `TaskSubmitted` after `TaskStarted`, in its
/// chain, with the integration's `resourceType` / `resource`; with no `output`, as an
/// in-process job has no start response. The VM counts it, so the ids `States.Runtime`
/// causes quote stay the history's (ERR-4).
#[tokio::test(start_paused = true)]
async fn sync_tasks_record_task_submitted() {
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::states:startExecution.sync:2", |_| {
        Ok(json!({"Status": "SUCCEEDED"}))
    });
    h.resource("arn:aws:states:::glue:startJobRun.sync", |_| {
        Ok(json!({"JobRunState": "SUCCEEDED"}))
    });
    let def = r#"{"StartAt": "Nest", "States": {
        "Nest": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                 "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:child"},
                 "Next": "Glue"},
        "Glue": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                 "Parameters": {"JobName": "j"}, "Next": "Bad"},
        "Bad": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}"#;
    let (handle, events) = history_of(h, def, json!({})).await;
    assert_eq!(
        shape(&events)[..9],
        [
            ("ExecutionStarted", 1, 0),
            ("TaskStateEntered", 2, 0),
            ("TaskScheduled", 3, 2),
            ("TaskStarted", 4, 3),
            ("TaskSubmitted", 5, 4),
            ("TaskSucceeded", 6, 5),
            ("TaskStateExited", 7, 6),
            ("TaskStateEntered", 8, 7),
            ("TaskScheduled", 9, 8),
        ]
    );
    assert_eq!(
        details(&events[4]),
        r#"{"resourceType":"states","resource":"startExecution.sync:2"}"#
    );
    assert_eq!(
        events[4]
            .to_api_json(true)
            .get("taskSubmittedEventDetails")
            .map(Value::to_json),
        Some(r#"{"resourceType":"states","resource":"startExecution.sync:2"}"#.to_string())
    );
    assert_eq!(
        types(&events)[9..12],
        ["TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    );
    assert_eq!(
        details(&events[10]),
        r#"{"resourceType":"glue","resource":"startJobRun.sync"}"#
    );
    let entered_bad = events
        .iter()
        .find(|e| e.event_type == "PassStateEntered")
        .unwrap();
    let cause = handle.outcome().unwrap().0.cause.unwrap();
    assert!(
        cause.contains(&format!("entered at the event id #{}", entered_bad.id)),
        "{cause} / {:?}",
        shape(&events)
    );
}

/// MAP-6: an iteration that fails while another runs cuts it; the history records the cut
/// iteration (`MapIterationAborted`, with the Map's name and its index, like
/// `MapIterationStarted`) and the Wait it was in (`WaitStateAborted`), both following the
/// failing iteration's last event, before `MapIterationFailed` and `MapStateFailed`: the shape
/// AWS records (see `src/engine/history/lane.rs`).
#[tokio::test(start_paused = true)]
async fn iterations_running_when_a_map_fails_are_recorded_aborted() {
    let def = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Route", "States": {
          "Route": {"Type": "Choice", "Default": "Long",
                    "Choices": [{"Variable": "$.kind", "StringEquals": "fail", "Next": "Pause"}]},
          "Long": {"Type": "Wait", "Seconds": 15, "End": true},
          "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Boom"},
          "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "sibling failed"}}}}}}"#;
    let (h, events) = history_of(
        Handlers::new(),
        def,
        json!({"items": [{"kind": "long"}, {"kind": "fail"}]}),
    )
    .await;
    let (o, _) = h.outcome().unwrap();
    assert_eq!(o.error.as_deref(), Some("Boom"));
    let failure = events
        .iter()
        .find(|e| e.event_type == "FailStateEntered")
        .unwrap();
    let tail = after(&events, "FailStateEntered");
    assert_eq!(
        types(tail),
        [
            "MapIterationAborted",
            "WaitStateAborted",
            "MapIterationFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
    for e in &tail[..4] {
        assert_eq!(e.previous_event_id, failure.id, "{}", e.event_type);
    }
    assert_eq!(tail[4].previous_event_id, tail[3].id);
    assert_eq!(details(&tail[0]), r#"{"name":"M","index":0}"#);
    assert_eq!(details(&tail[2]), r#"{"name":"M","index":1}"#);
    assert_eq!(tail[1].details_member(), None);
    // It failed at the failing iteration's pace, not the cut one's.
    assert!(tail[4].timestamp_ms - events[0].timestamp_ms < 15_000);
    // The cut iteration records nothing more, even once its Wait would have ended.
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    assert_eq!(h.history().len(), events.len());
}

/// MAP-9: a failure within `ToleratedFailureCount` cuts nothing.
#[tokio::test(start_paused = true)]
async fn an_iteration_failure_within_tolerance_aborts_nothing() {
    let def = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "Route", "States": {
          "Route": {"Type": "Choice", "Default": "Long",
                    "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Boom"}]},
          "Long": {"Type": "Wait", "Seconds": 5, "End": true},
          "Boom": {"Type": "Fail", "Error": "Boom"}}}}}}"#;
    let (h, events) = history_of(Handlers::new(), def, json!([1, 2])).await;
    assert_eq!(h.status(), ExecutionStatus::Ended(Status::Succeeded));
    assert!(
        !types(&events).iter().any(|t| t.ends_with("Aborted")),
        "{:?}",
        types(&events)
    );
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| **t == "MapIterationFailed")
            .count(),
        1
    );
}

/// PAR-4: a branch that fails while another runs cuts it. AWS has no branch-level event; the
/// state the cut branch is in records `<Type>StateAborted`, following the failing branch's
/// last event, before `ParallelStateFailed` (by analogy with the Map iterations AWS was
/// measured on; see `src/engine/history/lane.rs`).
#[tokio::test(start_paused = true)]
async fn states_running_in_other_branches_of_a_failing_parallel_are_recorded_aborted() {
    let def = r#"{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Branches": [
          {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 60, "End": true}}},
          {"StartAt": "Pause", "States": {
             "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Boom"},
             "Boom": {"Type": "Fail", "Error": "E"}}}]}}}"#;
    let (h, events) = history_of(Handlers::new(), def, json!({})).await;
    assert_eq!(h.outcome().unwrap().0.error.as_deref(), Some("E"));
    let failure = events
        .iter()
        .find(|e| e.event_type == "FailStateEntered")
        .unwrap();
    let tail = after(&events, "FailStateEntered");
    assert_eq!(
        shape(tail),
        [
            ("WaitStateAborted", failure.id + 1, failure.id),
            ("ParallelStateFailed", failure.id + 2, failure.id),
            ("ExecutionFailed", failure.id + 3, failure.id + 2),
        ]
    );
}

/// A stopped execution whose Map runs iterations: the Map state is aborted, then each
/// running iteration (`MapIterationAborted`) and the Wait it is in, before
/// `ExecutionAborted`.
#[tokio::test(start_paused = true)]
async fn stopping_an_execution_in_a_map_aborts_its_running_iterations() {
    let e = engine(Handlers::new());
    standard(
        &e,
        "m",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "W", "States": {
              "W": {"Type": "Wait", "Seconds": 100, "End": true}}}}}}"#,
    );
    let h = e
        .start_with_handle(StartRequest::new("m").input(json!([1, 2])))
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let waits = types(&h.history())
        .iter()
        .filter(|t| **t == "WaitStateEntered")
        .count();
    assert_eq!(waits, 2, "{:?}", types(&h.history()));
    e.stop_execution(h.arn(), None, None).unwrap();
    let events = h.history();
    let tail = after(&events, "MapIterationStarted");
    let tail = &tail[tail.len() - 6..];
    assert_eq!(
        types(tail),
        [
            "MapStateAborted",
            "MapIterationAborted",
            "WaitStateAborted",
            "MapIterationAborted",
            "WaitStateAborted",
            "ExecutionAborted"
        ]
    );
    assert_eq!(details(&tail[1]), r#"{"name":"M","index":0}"#);
    assert_eq!(details(&tail[3]), r#"{"name":"M","index":1}"#);
    // The aborts follow the execution's last event; the abort of the execution, nothing.
    let last_started = events
        .iter()
        .rfind(|e| e.event_type == "MapIterationStarted")
        .unwrap();
    for e in &tail[..5] {
        assert_eq!(e.previous_event_id, last_started.id, "{}", e.event_type);
    }
    assert_eq!(tail[5].previous_event_id, 0);
    tokio::time::sleep(std::time::Duration::from_secs(200)).await;
    assert_eq!(h.history().len(), events.len());
}
