//! Typed handlers and typed starts (issue 19, item 2), on tokio's paused clock.

use aslx::engine::{Engine, EngineBuilder, StartRequest, StartSyncErrorKind};
use aslx::{json, Handlers, Machine, MachineType, Status, TaskContext, TaskError, Typed, Value};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Order {
    id: u64,
    lines: Vec<Line>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Line {
    sku: String,
    qty: u32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Receipt {
    order: u64,
    items: u32,
}

fn on_test_runtime(handlers: Handlers) -> EngineBuilder {
    Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(handlers)
}

fn charge(o: Order) -> Result<Receipt, TaskError> {
    Ok(Receipt {
        order: o.id,
        items: o.lines.iter().map(|l| l.qty).sum(),
    })
}

/// One Task calling `resource`, with a Catch of everything into `$.caught`.
fn one_task(resource: &str) -> String {
    format!(
        r#"{{"StartAt": "Charge", "States": {{
            "Charge": {{"Type": "Task", "Resource": "{resource}", "End": true,
                "Catch": [{{"ErrorEquals": ["Order.Invalid"], "ResultPath": "$.caught", "Next": "Caught"}}]}},
            "Caught": {{"Type": "Pass", "End": true}}}}}}"#
    )
}

fn order() -> Order {
    Order {
        id: 7,
        lines: vec![
            Line {
                sku: "A".into(),
                qty: 2,
            },
            Line {
                sku: "B".into(),
                qty: 3,
            },
        ],
    }
}

#[tokio::test]
async fn sync_and_async_typed_handlers_answer_with_their_types() {
    let mut h = Handlers::new();
    h.typed("charge", charge);
    h.typed("charge_later", |o: Order| async move {
        tokio::task::yield_now().await;
        charge(o)
    });
    for resource in [
        "arn:aws:lambda:us-east-1:123456789012:function:charge",
        "arn:aws:lambda:us-east-1:123456789012:function:charge_later",
    ] {
        let m = Machine::new("m", &one_task(resource), MachineType::Express, &h).unwrap();
        let out = m.run(aslx::to_value(&order()).unwrap()).await;
        assert_eq!(out.status, Status::Succeeded, "{out:?}");
        assert_eq!(out.output.unwrap().to_json(), r#"{"order":7,"items":5}"#);
    }
}

#[tokio::test]
async fn an_input_that_does_not_fit_fails_the_task_naming_the_field_and_type() {
    let mut h = Handlers::new();
    h.typed("charge", charge);
    let m = Machine::new(
        "m",
        &one_task("arn:aws:lambda:us-east-1:123456789012:function:charge"),
        MachineType::Express,
        &h,
    )
    .unwrap();
    let out = m
        .run(json!({"id": 7, "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": "many"}]}))
        .await;
    assert_eq!(out.status, Status::Failed);
    assert_eq!(out.error.as_deref(), Some("States.TaskFailed"));
    assert_eq!(
        out.cause.as_deref(),
        Some(
            r#"the Task's input does not fit typed::Order: at $.lines[1].qty: invalid type: string "many", expected u32"#
        )
    );
    let missing = m.run(json!({"lines": []})).await;
    assert_eq!(
        missing.cause.as_deref(),
        Some("the Task's input does not fit typed::Order: missing field `id`")
    );
}

#[tokio::test]
async fn a_named_input_error_can_be_caught() {
    let mut h = Handlers::new();
    h.function_handler("charge", Typed::new(charge).input_error("Order.Invalid"));
    let m = Machine::new(
        "m",
        &one_task("arn:aws:lambda:us-east-1:123456789012:function:charge"),
        MachineType::Express,
        &h,
    )
    .unwrap();
    let out = m.run(json!({"id": "seven", "lines": []})).await;
    assert_eq!(out.status, Status::Succeeded, "{out:?}");
    let caught = out.output.unwrap();
    assert_eq!(
        caught.get("caught").and_then(|c| c.get("Error")),
        Some(&json!("Order.Invalid"))
    );
}

#[tokio::test]
async fn a_typed_handler_that_panics_fails_its_task() {
    let mut h = Handlers::new();
    h.typed("charge", |_: Order| -> Result<Receipt, TaskError> {
        panic!("card reader on fire")
    });
    let m = Machine::new(
        "m",
        &one_task("arn:aws:lambda:us-east-1:123456789012:function:charge"),
        MachineType::Express,
        &h,
    )
    .unwrap();
    let out = m.run(aslx::to_value(&order()).unwrap()).await;
    assert_eq!(out.status, Status::Failed);
    assert_eq!(out.error.as_deref(), Some("States.TaskFailed"));
    assert_eq!(
        out.cause.as_deref(),
        Some("the task handler panicked: card reader on fire")
    );
}

#[tokio::test(start_paused = true)]
async fn the_context_names_execution_state_and_attempt() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicU32::new(0));
    let mut h = Handlers::new();
    let (s, c) = (Arc::clone(&seen), Arc::clone(&calls));
    h.typed("flaky", move |_: Value, ctx: TaskContext| {
        s.lock().unwrap().push((
            ctx.execution_arn().to_string(),
            ctx.state_name().to_string(),
            ctx.attempt(),
            ctx.task_token().map(str::to_string),
        ));
        match c.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Err(TaskError::new("Flaky", "not yet")),
            _ => Ok::<_, TaskError>(json!("done")),
        }
    });
    let engine = on_test_runtime(h).build().unwrap();
    let def = r#"{"StartAt": "Try", "States": {"Try": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3}], "End": true}}}"#;
    engine
        .create_machine("m", def, MachineType::Express)
        .unwrap();
    let done = engine.start_sync(StartRequest::new("m")).await.unwrap();
    assert_eq!(done.outcome.status, Status::Succeeded);
    let seen = seen.lock().unwrap();
    let attempts: Vec<u32> = seen.iter().map(|s| s.2).collect();
    assert_eq!(attempts, [1, 2, 3]);
    for (arn, state, _, token) in seen.iter() {
        assert_eq!(arn, done.execution_arn());
        assert_eq!(state, "Try");
        assert_eq!(token, &None);
    }
}

#[tokio::test(start_paused = true)]
async fn a_callback_handler_gets_its_task_token() {
    let (tx, rx) = oneshot::channel::<String>();
    let tx = Mutex::new(Some(tx));
    let mut h = Handlers::new();
    h.typed(
        "arn:aws:states:::sqs:sendMessage",
        move |_: Value, ctx: TaskContext| {
            if let (Some(tx), Some(t)) = (tx.lock().unwrap().take(), ctx.task_token()) {
                let _ = tx.send(t.to_string());
            }
            Ok::<_, TaskError>(())
        },
    );
    let engine = Arc::new(on_test_runtime(h).build().unwrap());
    let def = r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "End": true}}}"#;
    engine
        .create_machine("m", def, MachineType::Standard)
        .unwrap();
    let handle = engine.start_with_handle(StartRequest::new("m")).unwrap();
    let token = rx.await.unwrap();
    engine.send_task_success(&token, r#"{"ok": true}"#).unwrap();
    let outcome = handle.wait().await;
    assert_eq!(outcome.status, Status::Succeeded);
    assert_eq!(outcome.output.unwrap(), json!({"ok": true}));
}

/// An async handler that hands its work to a spawned task, which reports whether the
/// context's cancellation fired.
fn slow_with_watcher(fired: oneshot::Sender<bool>) -> Handlers {
    let fired = Mutex::new(Some(fired));
    let mut h = Handlers::new();
    h.typed("slow", move |_: Value, ctx: TaskContext| {
        let fired = fired.lock().unwrap().take();
        async move {
            let watcher = ctx.clone();
            tokio::spawn(async move {
                let cancelled = tokio::select! {
                    _ = watcher.cancelled() => true,
                    _ = tokio::time::sleep(Duration::from_secs(3600)) => false,
                };
                if let Some(f) = fired {
                    let _ = f.send(cancelled && watcher.is_cancelled());
                }
            });
            tokio::time::sleep(Duration::from_secs(600)).await;
            Ok::<_, TaskError>(())
        }
    });
    h
}

#[tokio::test(start_paused = true)]
async fn the_cancellation_fires_when_the_task_times_out() {
    let (tx, rx) = oneshot::channel();
    let engine = on_test_runtime(slow_with_watcher(tx)).build().unwrap();
    let def = r#"{"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow",
        "TimeoutSeconds": 5, "End": true}}}"#;
    engine
        .create_machine("m", def, MachineType::Express)
        .unwrap();
    let done = engine.start_sync(StartRequest::new("m")).await.unwrap();
    assert_eq!(done.outcome.error.as_deref(), Some("States.Timeout"));
    assert!(rx.await.unwrap(), "the watcher saw the cancellation");
}

#[tokio::test(start_paused = true)]
async fn the_cancellation_fires_when_the_sync_caller_goes_away() {
    let (tx, rx) = oneshot::channel();
    let engine = on_test_runtime(slow_with_watcher(tx)).build().unwrap();
    let def = r#"{"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow", "End": true}}}"#;
    engine
        .create_machine("m", def, MachineType::Express)
        .unwrap();
    let start = engine.start_sync(StartRequest::new("m"));
    let gave_up = tokio::time::timeout(Duration::from_secs(10), start).await;
    assert!(gave_up.is_err(), "the caller gave up first");
    assert!(rx.await.unwrap(), "the watcher saw the cancellation");
}

#[tokio::test(start_paused = true)]
async fn a_call_that_answered_is_not_cancelled() {
    let (tx, rx) = oneshot::channel::<TaskContext>();
    let tx = Mutex::new(Some(tx));
    let mut h = Handlers::new();
    h.typed("quick", move |_: Value, ctx: TaskContext| {
        let tx = tx.lock().unwrap().take();
        async move {
            if let Some(tx) = tx {
                let _ = tx.send(ctx);
            }
            Ok::<_, TaskError>(1)
        }
    });
    let engine = on_test_runtime(h).build().unwrap();
    let def = r#"{"StartAt": "Q", "States": {"Q": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:quick", "End": true}}}"#;
    engine
        .create_machine("m", def, MachineType::Express)
        .unwrap();
    let done = engine.start_sync(StartRequest::new("m")).await.unwrap();
    assert_eq!(done.outcome.output, Some(json!(1)));
    let ctx = rx.await.unwrap();
    assert!(!ctx.is_cancelled());
    let fired = tokio::time::timeout(Duration::from_secs(60), ctx.cancelled()).await;
    assert!(fired.is_err(), "never fires for a call that answered");
}

#[tokio::test(start_paused = true)]
async fn lambda_invoke_tasks_give_typed_functions_their_context() {
    let mut h = Handlers::new();
    h.typed("greet", |name: String, ctx: TaskContext| {
        Ok::<_, TaskError>(format!("{name} from {}", ctx.state_name()))
    });
    let engine = on_test_runtime(h).build().unwrap();
    let def = r#"{"StartAt": "Greet", "States": {"Greet": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "greet", "Payload.$": "$.name"},
        "OutputPath": "$.Payload", "End": true}}}"#;
    engine
        .create_machine("m", def, MachineType::Express)
        .unwrap();
    let out: String = engine
        .start_sync_typed("m", &json!({"name": "ada"}))
        .await
        .unwrap();
    assert_eq!(out, "ada from Greet");
}

#[tokio::test(start_paused = true)]
async fn typed_starts_return_the_output_or_say_why_not() {
    let mut h = Handlers::new();
    h.typed("charge", |o: Order| {
        if o.lines.is_empty() {
            return Err(TaskError::new("Order.Empty", "no lines"));
        }
        charge(o)
    });
    let engine = on_test_runtime(h).build().unwrap();
    let def = r#"{"StartAt": "Charge", "States": {"Charge": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": true}}}"#;
    engine
        .create_machine("checkout", def, MachineType::Express)
        .unwrap();

    let r: Receipt = engine.start_sync_typed("checkout", &order()).await.unwrap();
    assert_eq!(r, Receipt { order: 7, items: 5 });

    let empty = Order {
        id: 1,
        lines: vec![],
    };
    let e = engine
        .start_sync_typed::<_, Receipt>("checkout", &empty)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), StartSyncErrorKind::Failed);
    assert_eq!(e.error(), Some("Order.Empty"));
    assert_eq!(e.cause(), Some("no lines"));
    assert!(
        e.to_string()
            .ends_with("ended FAILED: Order.Empty: no lines"),
        "{e}"
    );

    // The output does not fit: the error carries it whole.
    let e = engine
        .start_sync_typed::<_, Vec<String>>("checkout", &order())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), StartSyncErrorKind::Output);
    assert_eq!(e.raw_output(), Some(&json!({"order": 7, "items": 5})));
    assert!(
        e.to_string()
            .contains("invalid type: map, expected a sequence"),
        "{e}"
    );

    let e = engine
        .start_sync_typed::<_, Receipt>("nope", &order())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), StartSyncErrorKind::Refused);
    assert!(e.engine_error().is_some());
}

#[tokio::test(start_paused = true)]
async fn a_typed_start_that_times_out_says_so() {
    let (tx, _rx) = oneshot::channel();
    let engine = on_test_runtime(slow_with_watcher(tx)).build().unwrap();
    let def = r#"{"StartAt": "S", "TimeoutSeconds": 2, "States": {"S": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow", "End": true}}}"#;
    engine
        .create_machine("m", def, MachineType::Express)
        .unwrap();
    let e = engine
        .start_sync_typed::<_, Value>("m", &())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), StartSyncErrorKind::TimedOut);
    assert_eq!(e.error(), Some("States.Timeout"));
}

#[tokio::test(start_paused = true)]
async fn engine_clones_are_one_engine_and_the_last_one_stops_it() {
    let mut h = Handlers::new();
    h.typed("charge", charge);
    let engine = on_test_runtime(h).max_in_flight(1).build().unwrap();
    let other = engine.clone();
    let def = r#"{"StartAt": "Charge", "States": {"Charge": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": true}}}"#;
    engine
        .create_machine("checkout", def, MachineType::Express)
        .unwrap();
    // A machine created through one clone is started through the other.
    let r: Receipt = other.start_sync_typed("checkout", &order()).await.unwrap();
    assert_eq!(r.items, 5);
    drop(engine);
    let r: Receipt = other.start_sync_typed("checkout", &order()).await.unwrap();
    assert_eq!(r.order, 7);
    // Shared from many tasks: the admission bound is the engine's, not the clone's.
    let shared = Arc::new(other);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let e = Arc::clone(&shared);
            tokio::spawn(
                async move { e.start_sync_typed::<_, Receipt>("checkout", &order()).await },
            )
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap().is_ok());
    }
}
