//! The engine's promises, on tokio's paused clock: the five-minute cap, admission, at-least-once
//! async and at-most-once sync starts, task tokens and heartbeats, activities, cancellation,
//! machine updates while executions run, the execution log, shutdown, and bad input.

use aslx::engine::{
    Engine, EngineBuilder, ErrorKind, LogConfig, LogLevel, LogRecord, LogSink, MachineSpec,
    StartRequest,
};
use aslx::{json, Handlers, MachineType, Status, TaskError, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// An engine on the test's own (paused-clock) runtime.
fn on_test_runtime(handlers: Handlers) -> EngineBuilder {
    Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(handlers)
}

/// A log sink that forwards every record to the test.
fn log_channel() -> (LogSink, mpsc::UnboundedReceiver<LogRecord>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let sink = LogSink::callback(move |r: &LogRecord| {
        let _ = tx.send(r.clone());
    });
    (sink, rx)
}

/// An engine builder whose log records (with execution data) come to the test.
fn logging(
    handlers: Handlers,
    level: LogLevel,
) -> (EngineBuilder, mpsc::UnboundedReceiver<LogRecord>) {
    let (sink, log) = log_channel();
    let builder = on_test_runtime(handlers)
        .log_sink(sink)
        .log_level(level)
        .include_execution_data(true);
    (builder, log)
}

/// The next terminal record (`ExecutionSucceeded`, `ExecutionFailed`, ...).
async fn next_end(rx: &mut mpsc::UnboundedReceiver<LogRecord>) -> LogRecord {
    loop {
        let r = rx.recv().await.expect("log closed");
        if r.event_type.starts_with("Execution") && r.event_type != "ExecutionStarted" {
            return r;
        }
    }
}

fn express(engine: &Engine, name: &str, def: &str) {
    engine
        .create_machine(name, def, MachineType::Express)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

const WAIT_1000: &str = r#"{"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 1000, "Next": "P"},
    "P": {"Type": "Pass", "Result": "done", "End": true}}}"#;

const SLOW_TASK: &str = r#"{"StartAt": "T", "States": {
    "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:receiveMessage", "End": true}}}"#;

/// Counts drops, to see that cancelled work is freed.
struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A handler that never answers and counts how often its future is dropped.
fn never_answers(dropped: &Arc<AtomicUsize>) -> Handlers {
    let mut h = Handlers::new();
    let dropped = Arc::clone(dropped);
    h.resource_async(
        "arn:aws:states:::aws-sdk:sqs:receiveMessage",
        move |_v: Value| {
            let guard = DropCount(Arc::clone(&dropped));
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
                Ok(Value::Null)
            }
        },
    );
    h
}

// ---------------------------------------------------------------------------------------------
// The five-minute cap

#[tokio::test(start_paused = true)]
async fn express_executions_end_timed_out_at_the_cap_and_their_pending_work_is_dropped() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let engine = on_test_runtime(never_answers(&dropped)).build().unwrap();
    express(&engine, "slow", SLOW_TASK);
    express(&engine, "wait", WAIT_1000);
    let t0 = tokio::time::Instant::now();
    let out = engine.start_sync(StartRequest::new("slow")).await.unwrap();
    assert_eq!(out.outcome.status, Status::TimedOut);
    assert_eq!(out.outcome.error.as_deref(), Some("States.Timeout"));
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(300),
        "QUO-1: five minutes"
    );
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the handler's future is dropped"
    );
    let out = engine.start_sync(StartRequest::new("wait")).await.unwrap();
    assert_eq!(out.outcome.status, Status::TimedOut);
    assert_eq!(engine.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_cap_is_configurable_lower_and_timeout_seconds_below_it_wins() {
    let engine = on_test_runtime(Handlers::new())
        .express_cap(Duration::from_secs(10))
        .build()
        .unwrap();
    express(&engine, "wait", WAIT_1000);
    express(
        &engine,
        "short",
        r#"{"TimeoutSeconds": 3, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}}"#,
    );
    let t0 = tokio::time::Instant::now();
    let out = engine.start_sync(StartRequest::new("wait")).await.unwrap();
    assert_eq!(out.outcome.status, Status::TimedOut);
    assert_eq!(t0.elapsed(), Duration::from_secs(10));
    let t0 = tokio::time::Instant::now();
    let out = engine.start_sync(StartRequest::new("short")).await.unwrap();
    assert_eq!(out.outcome.status, Status::TimedOut);
    assert_eq!(t0.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn standard_machines_have_no_cap() {
    let (builder, mut log) = logging(Handlers::new(), LogLevel::All);
    let engine = builder.build().unwrap();
    engine
        .create_machine("std", WAIT_1000, MachineType::Standard)
        .unwrap();
    let started = engine.start(StartRequest::new("std")).unwrap();
    assert!(
        started.execution_arn().contains(":execution:std:"),
        "{}",
        started.execution_arn()
    );
    let end = next_end(&mut log).await;
    assert_eq!(end.event_type, "ExecutionSucceeded");
    assert_eq!(
        end.details.get("output").unwrap().as_str(),
        Some("\"done\"")
    );
}

// ---------------------------------------------------------------------------------------------
// Admission

#[tokio::test(start_paused = true)]
async fn starts_past_the_in_flight_bound_are_refused_at_once() {
    let (sink, mut log) = log_channel();
    let engine = on_test_runtime(Handlers::new())
        .max_in_flight(2)
        .log_sink(sink)
        .log_level(LogLevel::All)
        .build()
        .unwrap();
    express(&engine, "wait", WAIT_1000);
    express(
        &engine,
        "pass",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    engine.start(StartRequest::new("wait")).unwrap();
    engine.start(StartRequest::new("wait")).unwrap();
    assert_eq!(engine.in_flight(), 2);
    let e = engine.start(StartRequest::new("wait")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttling);
    assert_eq!(e.code(), "ThrottlingException");
    let e = engine
        .start_sync(StartRequest::new("pass"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ThrottlingException");
    next_end(&mut log).await;
    next_end(&mut log).await;
    assert_eq!(engine.in_flight(), 0);
    let out = engine.start_sync(StartRequest::new("pass")).await.unwrap();
    assert_eq!(out.outcome.status, Status::Succeeded);
}

// ---------------------------------------------------------------------------------------------
// At-least-once async, at-most-once sync

const FLAKY: &str = r#"{"StartAt": "T", "States": {
    "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:flaky", "End": true}}}"#;

/// A function that panics on its first `panics` calls, and counts calls.
fn flaky(calls: &Arc<AtomicUsize>, panics: usize) -> Handlers {
    let mut h = Handlers::new();
    let calls = Arc::clone(calls);
    h.function("flaky", move |v| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        if n < panics {
            panic!("flaky handler, call {n}");
        }
        Ok(json!({"call": n, "input": v}))
    });
    h
}

#[tokio::test(start_paused = true)]
async fn an_async_execution_whose_handler_panics_is_re_run_and_completes() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (builder, mut log) = logging(flaky(&calls, 1), LogLevel::All);
    let engine = builder.build().unwrap();
    express(&engine, "flaky", FLAKY);
    let started = engine
        .start(StartRequest::new("flaky").input(json!({"k": 1})))
        .unwrap();
    let end = next_end(&mut log).await;
    assert_eq!(end.event_type, "ExecutionSucceeded");
    assert_eq!(end.attempt, 2, "the re-run shows in the record");
    assert_eq!(
        &*end.execution_arn,
        started.execution_arn(),
        "same execution"
    );
    assert!(end.to_json().to_json().contains(r#""attempt":"2""#));
    assert_eq!(
        end.details.get("output").unwrap().as_str(),
        Some(r#"{"call":1,"input":{"k":1}}"#),
        "re-run from its input"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn an_async_execution_whose_handler_always_panics_still_ends() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (builder, mut log) = logging(flaky(&calls, usize::MAX), LogLevel::Fatal);
    let engine = builder.async_attempts(3).build().unwrap();
    express(&engine, "flaky", FLAKY);
    engine.start(StartRequest::new("flaky")).unwrap();
    let end = next_end(&mut log).await;
    assert_eq!(end.event_type, "ExecutionFailed");
    assert_eq!(end.attempt, 3);
    assert_eq!(
        end.details.get("error").unwrap().as_str(),
        Some("States.TaskFailed")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_sync_execution_whose_handler_panics_fails_and_is_never_re_run() {
    let calls = Arc::new(AtomicUsize::new(0));
    let engine = on_test_runtime(flaky(&calls, 1)).build().unwrap();
    express(&engine, "flaky", FLAKY);
    let out = engine.start_sync(StartRequest::new("flaky")).await.unwrap();
    assert_eq!(out.outcome.status, Status::Failed);
    assert_eq!(out.outcome.error.as_deref(), Some("States.TaskFailed"));
    assert!(out.outcome.cause.as_deref().unwrap().contains("panicked"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "at-most-once");
    assert_eq!(engine.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_sync_start_cancels_the_execution_and_frees_its_work() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let (builder, mut log) = logging(never_answers(&dropped), LogLevel::Fatal);
    let engine = builder.build().unwrap();
    express(&engine, "slow", SLOW_TASK);
    let run = engine.start_sync(StartRequest::new("slow"));
    let r = tokio::time::timeout(Duration::from_secs(5), run).await;
    assert!(r.is_err(), "still running when the caller gives up");
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "handler future dropped");
    assert_eq!(engine.in_flight(), 0, "its admission place is free");
    let end = next_end(&mut log).await;
    assert_eq!(end.event_type, "ExecutionAborted");
}

#[tokio::test(start_paused = true)]
async fn dropping_a_sync_start_closes_its_task_token() {
    let (h, mut tokens) = token_collector();
    let engine = on_test_runtime(h)
        .allow_callbacks_in_express(true)
        .build()
        .unwrap();
    express(&engine, "cb", CALLBACK);
    let run = engine.start_sync(StartRequest::new("cb").input(json!({"q": 1})));
    assert!(tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .is_err());
    let token = tokens.recv().await.unwrap();
    assert_eq!(engine.open_tokens(), 0, "the token left the table");
    assert_eq!(engine.in_flight(), 0);
    assert_eq!(
        engine.send_task_success(&token, "{}").unwrap_err().code(),
        "TaskTimedOut"
    );
}

// ---------------------------------------------------------------------------------------------
// Task tokens

const CALLBACK: &str = r#"{"StartAt": "Ask", "States": {
    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"token.$": "$$.Task.Token", "q.$": "$.q"},
            "HeartbeatSeconds": 10, "TimeoutSeconds": 100,
            "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.err", "Next": "Late"}],
            "End": true},
    "Late": {"Type": "Pass", "End": true}}}"#;

/// A `sqs:sendMessage` handler that passes the tokens it is given to the test.
fn token_collector() -> (Handlers, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::sqs:sendMessage", move |v: Value| {
        let t = v.get("token").and_then(Value::as_str).unwrap_or_default();
        let _ = tx.send(t.to_string());
        Ok(json!({"MessageId": "m-1"}))
    });
    (h, rx)
}

/// Creates the STANDARD callback machine, starts it and returns the token its handler saw.
async fn start_callback(engine: &Engine, tokens: &mut mpsc::UnboundedReceiver<String>) -> String {
    engine
        .create_machine("cb", CALLBACK, MachineType::Standard)
        .unwrap();
    engine
        .start(StartRequest::new("cb").input(json!({"q": 1})))
        .unwrap();
    tokens.recv().await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_task_token_completes_once_and_late_or_foreign_tokens_get_aws_errors() {
    let (h, mut tokens) = token_collector();
    let (builder, mut log) = logging(h, LogLevel::All);
    let engine = builder.build().unwrap();
    engine
        .create_machine("cb", CALLBACK, MachineType::Standard)
        .unwrap();
    engine
        .start(StartRequest::new("cb").input(json!({"q": "orders"})))
        .unwrap();
    let token = tokens.recv().await.unwrap();
    assert_eq!(token.len(), 32);
    assert_eq!(engine.open_tokens(), 1);
    engine
        .send_task_success(&token, r#"{"approved": true}"#)
        .unwrap();
    let end = next_end(&mut log).await;
    assert_eq!(end.event_type, "ExecutionSucceeded");
    assert_eq!(
        end.details.get("output").unwrap().as_str(),
        Some(r#"{"approved":true}"#),
        "the callback's result is what SendTaskSuccess sent"
    );
    let again = engine.send_task_success(&token, "{}").unwrap_err();
    assert_eq!(again.code(), "TaskTimedOut");
    assert_eq!(
        again.to_string(),
        "Task Timed Out: 'Provided task does not exist anymore'"
    );
    assert_eq!(
        engine.send_task_heartbeat(&token).unwrap_err().code(),
        "TaskTimedOut"
    );
    assert_eq!(
        engine
            .send_task_failure("garbage", None, None)
            .unwrap_err()
            .code(),
        "InvalidToken"
    );
    let forged = format!("{}AAAA", &token[..28]);
    assert_eq!(
        engine.send_task_success(&forged, "{}").unwrap_err().code(),
        "TaskDoesNotExist"
    );
    assert_eq!(engine.open_tokens(), 0);
}

#[tokio::test(start_paused = true)]
async fn send_task_failure_fails_the_task_and_bad_output_is_refused() {
    let (h, mut tokens) = token_collector();
    let (builder, mut log) = logging(h, LogLevel::Error);
    let engine = builder.build().unwrap();
    engine
        .create_machine("cb", CALLBACK, MachineType::Standard)
        .unwrap();
    // StartSyncExecution is EXPRESS-only.
    let e = engine
        .start_sync(StartRequest::new("cb"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "StateMachineTypeNotSupported");
    engine
        .start(StartRequest::new("cb").input(json!({"q": 1})))
        .unwrap();
    let token = tokens.recv().await.unwrap();
    let bad = engine.send_task_success(&token, "{not json").unwrap_err();
    assert_eq!(bad.code(), "InvalidOutput");
    engine
        .send_task_failure(&token, Some("Rejected"), Some("no stock"))
        .unwrap();
    let failed = log.recv().await.unwrap();
    assert_eq!(failed.event_type, "TaskFailed");
    assert_eq!(
        failed.details.to_json(),
        r#"{"resourceType":"sqs","resource":"sendMessage.waitForTaskToken","error":"Rejected","cause":"no stock"}"#
    );
    let end = next_end(&mut log).await;
    assert_eq!(end.event_type, "ExecutionFailed");
    assert_eq!(
        end.details.to_json(),
        r#"{"error":"Rejected","cause":"no stock"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_callback_alive_and_their_absence_times_it_out() {
    let (h, mut tokens) = token_collector();
    let (builder, mut log) = logging(h, LogLevel::All);
    let engine = builder.build().unwrap();
    let t0 = tokio::time::Instant::now();
    let token = start_callback(&engine, &mut tokens).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(8)).await;
        engine.send_task_heartbeat(&token).unwrap();
    }
    // Beats at 8, 16, 24 s; none after: the heartbeat expires at 34 s.
    let end = next_end(&mut log).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(34));
    assert_eq!(end.event_type, "ExecutionSucceeded", "caught by the Catch");
    let out = end.details.get("output").unwrap().as_str().unwrap();
    assert!(
        out.contains(r#""Error":"States.HeartbeatTimeout""#),
        "{out}"
    );
    assert_eq!(
        engine.send_task_heartbeat(&token).unwrap_err().code(),
        "TaskTimedOut",
        "a heartbeat after the timeout"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_seconds_bounds_a_callback_even_with_heartbeats() {
    let (h, mut tokens) = token_collector();
    let (builder, mut log) = logging(h, LogLevel::Error);
    let engine = builder.build().unwrap();
    let t0 = tokio::time::Instant::now();
    let token = start_callback(&engine, &mut tokens).await;
    let beats = async {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if engine.send_task_heartbeat(&token).is_err() {
                break;
            }
        }
    };
    let (end, ()) = tokio::join!(next_end(&mut log), beats);
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(105),
        "beats stop failing at the next one"
    );
    assert_eq!(end.event_type, "ExecutionFailed");
    assert_eq!(
        end.details.get("error").unwrap().as_str(),
        Some("States.Timeout")
    );
}

// ---------------------------------------------------------------------------------------------
// Activities

#[tokio::test(start_paused = true)]
async fn several_workers_poll_an_activity_and_are_served_in_order() {
    let (builder, mut log) = logging(Handlers::new(), LogLevel::All);
    let engine = Arc::new(builder.build().unwrap());
    let act = engine.create_activity("work").unwrap();
    assert_eq!(
        &*act.arn,
        "arn:aws:states:us-east-1:111111111111:activity:work"
    );
    assert_eq!(engine.create_activity("work").unwrap(), act, "idempotent");
    let def = format!(
        r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Task", "Resource": "{}", "End": true}}}}}}"#,
        act.arn
    );
    engine
        .create_machine("act", &def, MachineType::Standard)
        .unwrap();
    let served = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for w in 0..3 {
        let (engine, arn, served) = (Arc::clone(&engine), act.arn.clone(), Arc::clone(&served));
        workers.push(tokio::spawn(async move {
            loop {
                let task = engine
                    .get_activity_task(&arn, Some("w"), Duration::from_secs(60))
                    .await
                    .unwrap();
                let Some(task) = task else { return };
                let n = task.input.get("n").and_then(Value::as_i64).unwrap();
                served.lock().unwrap().push((w, n));
                tokio::time::sleep(Duration::from_secs(1)).await;
                engine
                    .send_task_success_value(&task.task_token, json!({"n": n, "by": w}))
                    .unwrap();
            }
        }));
        // Let each worker start polling before the next, so their order is known.
        tokio::task::yield_now().await;
    }
    for n in 0..6 {
        engine
            .start(StartRequest::new("act").input(json!({"n": n})))
            .unwrap();
    }
    let mut ended = 0;
    while ended < 6 {
        let r = next_end(&mut log).await;
        assert_eq!(r.event_type, "ExecutionSucceeded");
        ended += 1;
    }
    let served = served.lock().unwrap().clone();
    assert_eq!(served.len(), 6);
    // The three waiting workers got the first three tasks, oldest poller first.
    assert_eq!(&served[..3], &[(0, 0), (1, 1), (2, 2)]);
    let mut per_worker = [0; 3];
    for (w, _) in &served {
        per_worker[*w] += 1;
    }
    assert_eq!(per_worker, [2, 2, 2], "each worker served in turn");
    // An idle poll ends empty after its timeout.
    let idle = engine
        .get_activity_task(&act.arn, None, Duration::from_secs(60))
        .await;
    assert!(matches!(idle, Ok(None)));
    engine.delete_activity(&act.arn).unwrap();
    for w in workers {
        w.abort();
    }
    let gone = engine
        .get_activity_task(&act.arn, None, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), "ActivityDoesNotExist");
    let bad = engine
        .get_activity_task(
            "arn:aws:states:us-east-1:1:stateMachine:x",
            None,
            Duration::ZERO,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code(), "InvalidArn");
}

#[tokio::test(start_paused = true)]
async fn pollers_past_the_limit_are_refused() {
    let engine = Arc::new(on_test_runtime(Handlers::new()).build().unwrap());
    let act = engine.create_activity("busy").unwrap();
    let mut pollers = Vec::new();
    for _ in 0..aslx::engine::MAX_POLLERS {
        let (engine, arn) = (Arc::clone(&engine), act.arn.clone());
        pollers.push(tokio::spawn(async move {
            engine
                .get_activity_task(&arn, None, Duration::from_secs(60))
                .await
        }));
    }
    // Idle only once every poller waits: the paused clock then moves on.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let e = engine
        .get_activity_task(&act.arn, None, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ActivityWorkerLimitExceeded");
    for p in pollers {
        assert!(matches!(p.await.unwrap(), Ok(None)), "each poll ends empty");
    }
    // Their places are free again.
    let none = engine
        .get_activity_task(&act.arn, None, Duration::from_secs(1))
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test(start_paused = true)]
async fn an_activity_task_times_out_when_no_worker_takes_it_and_leaves_no_trace() {
    let (builder, mut log) = logging(Handlers::new(), LogLevel::Error);
    let engine = builder.build().unwrap();
    let act = engine.create_activity("idle").unwrap();
    let def = format!(
        r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Task", "Resource": "{}", "TimeoutSeconds": 30, "End": true}}}}}}"#,
        act.arn
    );
    engine
        .create_machine("act", &def, MachineType::Standard)
        .unwrap();
    engine.start(StartRequest::new("act")).unwrap();
    let end = next_end(&mut log).await;
    assert_eq!(end.event_type, "ExecutionFailed");
    assert_eq!(
        end.details.get("error").unwrap().as_str(),
        Some("States.Timeout")
    );
    assert_eq!(engine.open_tokens(), 0);
    let none = engine
        .get_activity_task(&act.arn, None, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(none.is_none(), "the timed-out task left the queue");
}

// ---------------------------------------------------------------------------------------------
// Machines change while executions run

#[tokio::test(start_paused = true)]
async fn running_executions_keep_the_version_they_started_on() {
    let (builder, mut log) = logging(Handlers::new(), LogLevel::All);
    let engine = builder.build().unwrap();
    let version = |v: &str| {
        format!(
            r#"{{"StartAt": "W", "States": {{"W": {{"Type": "Wait", "Seconds": 10, "Next": "P"}},
                "P": {{"Type": "Pass", "Result": "{v}", "End": true}}}}}}"#
        )
    };
    let info = engine
        .create_machine("m", &version("v1"), MachineType::Express)
        .unwrap();
    let first = engine.start(StartRequest::new("m")).unwrap();
    let updated = engine.update_machine(&info.arn, &version("v2")).unwrap();
    assert_eq!(updated.revision, 2);
    let second = engine.start(StartRequest::new("m")).unwrap();
    engine.delete_machine("m").unwrap();
    let e = engine.start(StartRequest::new("m")).unwrap_err();
    assert_eq!(e.code(), "StateMachineDoesNotExist");
    let mut outputs = std::collections::HashMap::new();
    for _ in 0..2 {
        let end = next_end(&mut log).await;
        assert_eq!(end.event_type, "ExecutionSucceeded");
        let out = end
            .details
            .get("output")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        outputs.insert(end.execution_arn.to_string(), out);
    }
    assert_eq!(outputs[first.execution_arn()], "\"v1\"");
    assert_eq!(outputs[second.execution_arn()], "\"v2\"");
}

// ---------------------------------------------------------------------------------------------
// The execution log

#[tokio::test(start_paused = true)]
async fn log_records_follow_the_cloudwatch_shape_and_levels() {
    let mut h = Handlers::new();
    h.function("fail", |_| Err(TaskError::new("Boom", "it broke")));
    h.function("ok", Ok);
    let def = r#"{"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:ok", "Next": "F"},
        "F": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:fail", "End": true}}}"#;
    for (level, data, expected) in [
        (
            LogLevel::All,
            true,
            &[
                "ExecutionStarted:1:0",
                "PassStateEntered:2:0",
                "PassStateExited:3:2",
                "TaskStateEntered:4:3",
                "LambdaFunctionScheduled:5:4",
                "LambdaFunctionStarted:6:5",
                "LambdaFunctionSucceeded:7:6",
                "TaskStateExited:8:7",
                "TaskStateEntered:9:8",
                "LambdaFunctionScheduled:10:9",
                "LambdaFunctionStarted:11:10",
                "LambdaFunctionFailed:12:11",
                "ExecutionFailed:13:12",
            ][..],
        ),
        (
            LogLevel::Error,
            false,
            &["LambdaFunctionFailed:12:11", "ExecutionFailed:13:12"][..],
        ),
        (LogLevel::Fatal, false, &["ExecutionFailed:13:12"][..]),
        (LogLevel::Off, false, &[][..]),
    ] {
        let (sink, mut log) = log_channel();
        let engine = on_test_runtime(h.clone())
            .log_sink(sink)
            .log_level(level)
            .include_execution_data(data)
            .build()
            .unwrap();
        express(&engine, "m", def);
        let out = engine
            .start_sync(StartRequest::new("m").input(json!({"a": 1})))
            .await
            .unwrap();
        assert_eq!(out.outcome.error.as_deref(), Some("Boom"));
        drop(engine);
        let mut seen = Vec::new();
        let mut records = Vec::new();
        while let Ok(r) = log.try_recv() {
            seen.push(format!("{}:{}:{}", r.event_type, r.id, r.previous_event_id));
            records.push(r);
        }
        assert_eq!(seen, expected, "{level:?}");
        for r in &records {
            let j = r.to_json();
            assert_eq!(
                j.get("execution_arn").unwrap().as_str(),
                Some(out.execution_arn())
            );
            let has_data = j.get("details").unwrap().get("input").is_some()
                || j.get("details").unwrap().get("output").is_some();
            if !data {
                assert!(!has_data, "{level:?}: {}", j.to_json());
            }
        }
        if level == LogLevel::All {
            let started = records[0].to_json().to_json();
            assert!(
                started.contains(r#""details":{"input":"{\"a\":1}","inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::111111111111:role/aslx"}"#),
                "{started}"
            );
            let failed = records.last().unwrap().details.to_json();
            assert_eq!(failed, r#"{"error":"Boom","cause":"it broke"}"#);
        }
    }
}

#[test]
fn json_lines_go_to_a_file_and_are_flushed_at_shutdown() {
    let path = std::env::temp_dir().join(format!("aslx-engine-log-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let engine = Engine::builder()
        .worker_threads(1)
        .log_sink(LogSink::file(&path).unwrap())
        .log_level(LogLevel::All)
        .build()
        .unwrap();
    express(
        &engine,
        "p",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    for _ in 0..3 {
        engine.start_sync_blocking(StartRequest::new("p")).unwrap();
    }
    engine.shutdown(Duration::from_secs(1));
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 12, "{text}");
    for l in &lines {
        let v = aslx::parse_json(l).unwrap();
        assert!(v.get("event_timestamp").and_then(Value::as_str).is_some());
    }
    assert!(lines[3].contains(r#""type":"ExecutionSucceeded""#));
}

// ---------------------------------------------------------------------------------------------
// Shutdown

#[test]
fn shutdown_stops_admitting_and_times_out_what_is_still_running() {
    let (tx, rx) = std::sync::mpsc::channel::<LogRecord>();
    let tx = Mutex::new(tx);
    let engine = Engine::builder()
        .worker_threads(1)
        .log_sink(LogSink::callback(move |r: &LogRecord| {
            let _ = tx.lock().unwrap().send(r.clone());
        }))
        .log_level(LogLevel::Fatal)
        .build()
        .unwrap();
    express(&engine, "wait", WAIT_1000);
    let pass = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
    express(&engine, "pass", pass);
    let long = engine.start(StartRequest::new("wait")).unwrap();
    engine.start(StartRequest::new("pass")).unwrap();
    engine.shutdown(Duration::from_millis(500));
    assert_eq!(engine.in_flight(), 0);
    let records: Vec<LogRecord> = rx.try_iter().collect();
    assert_eq!(
        records.len(),
        1,
        "only the cut-off one logs at FATAL: {records:?}"
    );
    assert_eq!(records[0].event_type, "ExecutionTimedOut");
    assert_eq!(&*records[0].execution_arn, long.execution_arn());
    assert_eq!(
        records[0].details.to_json(),
        r#"{"error":"States.Timeout","cause":"The engine shut down before the execution ended"}"#
    );
    let e = engine.start(StartRequest::new("pass")).unwrap_err();
    assert_eq!(e.code(), "ServiceUnavailable");
}

#[tokio::test(start_paused = true)]
async fn shutdown_async_waits_for_in_flight_executions() {
    let (builder, mut log) = logging(Handlers::new(), LogLevel::All);
    let engine = builder.build().unwrap();
    express(
        &engine,
        "short",
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": true}}}"#,
    );
    engine.start(StartRequest::new("short")).unwrap();
    engine.shutdown_async(Duration::from_secs(5)).await;
    assert_eq!(engine.in_flight(), 0);
    assert_eq!(next_end(&mut log).await.event_type, "ExecutionSucceeded");
    let e = engine.start(StartRequest::new("short")).unwrap_err();
    assert_eq!(e.code(), "ServiceUnavailable");
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[tokio::test(start_paused = true)]
async fn bad_starts_get_aws_errors_and_the_engine_carries_on() {
    let engine = on_test_runtime(Handlers::new()).build().unwrap();
    let pass = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
    express(&engine, "p", pass);
    let err = |r: Result<aslx::engine::SyncExecution, aslx::EngineError>| r.unwrap_err();
    let big = format!("{{\"x\": \"{}\"}}", "y".repeat(262_144));
    let long_name = "n".repeat(81);
    let cases = [
        (
            StartRequest::new("p").input_json(&big),
            "ValidationException",
        ),
        (
            StartRequest::new("p").input_json("{nope"),
            "InvalidExecutionInput",
        ),
        (
            StartRequest::new("p").input_json(""),
            "InvalidExecutionInput",
        ),
        (StartRequest::new("p").name("has space"), "InvalidName"),
        (StartRequest::new("p").name(&long_name), "InvalidName"),
        (StartRequest::new("nope"), "StateMachineDoesNotExist"),
        (
            StartRequest::new("arn:aws:states:us-east-1:111111111111:stateMachine:nope"),
            "StateMachineDoesNotExist",
        ),
        (
            StartRequest::new("arn:aws:states:us-east-1:111111111111:activity:p"),
            "InvalidArn",
        ),
    ];
    for (req, code) in cases {
        assert_eq!(err(engine.start_sync(req.clone()).await).code(), code);
        assert_eq!(engine.start(req).unwrap_err().code(), code);
    }
    let e = engine
        .start_sync(StartRequest::new("nope"))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "State Machine Does Not Exist: 'arn:aws:states:us-east-1:111111111111:stateMachine:nope'"
    );
    let e = engine
        .create_machine("bad name", pass, MachineType::Express)
        .unwrap_err();
    assert_eq!(e.to_string(), "Invalid Name: 'bad name'");
    let e = engine
        .create_machine(
            "p",
            r#"{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}"#,
            MachineType::Express,
        )
        .unwrap_err();
    assert_eq!(e.code(), "StateMachineAlreadyExists");
    assert_eq!(
        engine
            .create_machine("p", pass, MachineType::Express)
            .unwrap()
            .revision,
        1,
        "same definition: idempotent"
    );
    assert_eq!(engine.in_flight(), 0);
    let ok = engine
        .start_sync(
            StartRequest::new("p")
                .name("fine")
                .input_json(r#"{"a": [1, 2]}"#),
        )
        .await
        .unwrap();
    assert_eq!(
        ok.outcome.output.as_ref().unwrap().to_json(),
        r#"{"a":[1,2]}"#
    );
    assert_eq!(ok.name(), "fine");
}

#[tokio::test(start_paused = true)]
async fn callbacks_in_express_machines_need_the_opt_in() {
    let (h, mut tokens) = token_collector();
    let strict = on_test_runtime(h.clone()).build().unwrap();
    let e = strict
        .create_machine("cb", CALLBACK, MachineType::Express)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidDefinition");
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/Ask/Resource'"
    );
    assert!(e.definition_error().is_some());
    let e = strict
        .create_machine(
            "act",
            r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:111111111111:activity:a", "End": true}}}"#,
            MachineType::Express,
        )
        .unwrap_err();
    assert!(e
        .to_string()
        .contains("Express state machine does not support Activity ARN"));

    let open = Arc::new(
        on_test_runtime(h)
            .allow_callbacks_in_express(true)
            .build()
            .unwrap(),
    );
    express(&open, "cb", CALLBACK);
    // Other findings still stand.
    let e = open
        .create_machine(
            "sync",
            r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "End": true}}}"#,
            MachineType::Express,
        )
        .unwrap_err();
    assert!(e.to_string().contains("'.sync'"), "{e}");
    let worker = {
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            let t = tokens.recv().await.unwrap();
            open.send_task_success(&t, r#""yes""#).unwrap();
        })
    };
    let out = open
        .start_sync(StartRequest::new("cb").input(json!({"q": 1})))
        .await
        .unwrap();
    worker.await.unwrap();
    assert_eq!(out.outcome.status, Status::Succeeded);
    assert_eq!(out.outcome.output.unwrap().to_json(), r#""yes""#);
}

#[test]
fn sync_results_are_shaped_as_start_sync_execution_responses() {
    let engine = Engine::builder()
        .worker_threads(1)
        .identity("eu-west-1", "123456789012")
        .build()
        .unwrap();
    engine
        .create_machine_with(MachineSpec {
            role_arn: Some("arn:aws:iam::123456789012:role/r"),
            logging: Some(LogConfig::default()),
            ..MachineSpec::new(
                "m",
                r#"{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}"#,
                MachineType::Express,
            )
        })
        .unwrap();
    let out = engine
        .start_sync_blocking(StartRequest::new("m").name("n1").trace_header("Root=1"))
        .unwrap();
    assert!(out
        .execution_arn()
        .starts_with("arn:aws:states:eu-west-1:123456789012:express:m:n1:"));
    let j = out.to_json();
    assert_eq!(j.get("status").unwrap().as_str(), Some("FAILED"));
    assert_eq!(j.get("error").unwrap().as_str(), Some("E"));
    assert_eq!(j.get("cause").unwrap().as_str(), Some("C"));
    assert!(j.get("output").is_none());
    assert_eq!(j.get("input").unwrap().as_str(), Some("{}"));
    assert_eq!(j.get("traceHeader").unwrap().as_str(), Some("Root=1"));
    assert_eq!(
        j.get("stateMachineArn").unwrap().as_str(),
        Some("arn:aws:states:eu-west-1:123456789012:stateMachine:m")
    );
    let billing = j.get("billingDetails").unwrap().to_json();
    assert_eq!(
        billing,
        r#"{"billedMemoryUsedInMB":64,"billedDurationInMilliseconds":100}"#
    );
    assert!(j.get("startDate").unwrap().as_f64().unwrap() > 1.7e9);
}
