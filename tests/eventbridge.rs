//! EventBridge in front of the engine, in-process on tokio's paused clock: PutEvents starts
//! each target of each matching rule once with its input, refused starts are retried as the
//! retry policy says, starts that cannot succeed fail at once and are reported, scheduled
//! rules fire on time (issue 15).

use aslx::engine::{Engine, StartRequest};
use aslx::events::{
    EventBridge, EventEntry, InputSettings, InputTransformer, RetryPolicy, RuleSpec, RuleState,
    TargetInput, TargetSpec,
};
use aslx::value::Str;
use aslx::{MachineType, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "111111111111";

fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
}

const PASS: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
const WAIT_10: &str =
    r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}}"#;

/// An engine on the test's paused runtime with STANDARD machine `name`, and EventBridge over it.
fn setup(name: &str, definition: &str, max_in_flight: usize) -> (Arc<Engine>, Arc<EventBridge>) {
    let engine = Arc::new(
        Engine::builder()
            .runtime(tokio::runtime::Handle::current())
            .identity(REGION, ACCOUNT)
            .max_in_flight(max_in_flight)
            .build()
            .unwrap(),
    );
    engine
        .create_machine(name, definition, MachineType::Standard)
        .unwrap();
    let eb = EventBridge::new(Arc::clone(&engine), REGION, ACCOUNT);
    eb.set_retry_delay(Duration::from_millis(100));
    (engine, eb)
}

fn target(id: &str, machine: &str, settings: InputSettings) -> TargetSpec {
    TargetSpec {
        id: Str::from(id),
        arn: Str::from(machine_arn(machine)),
        role_arn: None,
        input: TargetInput::compile(id, 1, &settings).unwrap(),
        settings,
        retry: RetryPolicy::default(),
    }
}

fn order_rule(eb: &Arc<EventBridge>) {
    eb.put_rule(RuleSpec {
        name: "orders",
        pattern: Some(r#"{"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}}"#),
        ..RuleSpec::default()
    })
    .unwrap();
}

fn order(total: i64) -> String {
    format!(r#"{{"id": "o-{total}", "total": {total}}}"#)
}

fn entry(detail: &str) -> EventEntry<'_> {
    EventEntry {
        source: Some("shop"),
        detail_type: Some("Order Placed"),
        detail: Some(detail),
        ..EventEntry::default()
    }
}

/// The inputs of `machine`'s executions, once `n` have ended (bounded virtual wait).
async fn inputs(engine: &Engine, machine: &str, n: usize) -> Vec<Value> {
    for _ in 0..10_000 {
        let list = engine.list_executions(machine).unwrap();
        if list.len() >= n && list.iter().all(|h| h.outcome().is_some()) {
            return list.iter().map(|h| h.input().clone()).collect();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{machine}: fewer than {n} ended executions");
}

#[tokio::test(start_paused = true)]
async fn a_matching_event_starts_each_target_once_with_its_input() {
    let (engine, eb) = setup("whole", PASS, 100);
    engine
        .create_machine("shaped", PASS, MachineType::Standard)
        .unwrap();
    order_rule(&eb);
    let transformer = InputSettings {
        input_transformer: Some(InputTransformer {
            input_paths_map: vec![
                ("id".into(), "$.detail.id".into()),
                ("total".into(), "$.detail.total".into()),
            ],
            input_template:
                r#"{"order": <id>, "note": "total <total>", "rule": <aws.events.rule-name>}"#.into(),
        }),
        ..InputSettings::default()
    };
    let failed = eb
        .put_targets(
            None,
            "orders",
            vec![
                Ok(target("t1", "whole", InputSettings::default())),
                Ok(target("t2", "shaped", transformer)),
            ],
        )
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let small = order(5);
    let big = order(250);
    let ids = eb.put_events(&[entry(&small), entry(&big)]);
    assert!(ids.iter().all(Result::is_ok), "{ids:?}");

    let whole = inputs(&engine, "whole", 1).await;
    assert_eq!(
        whole.len(),
        1,
        "the event under the threshold matched nothing"
    );
    let event = &whole[0];
    assert_eq!(event.get("source").unwrap().to_json(), r#""shop""#);
    assert_eq!(
        event.get("detail-type").unwrap().to_json(),
        r#""Order Placed""#
    );
    assert_eq!(
        event.get("detail").unwrap().to_json(),
        r#"{"id":"o-250","total":250}"#
    );
    assert_eq!(
        event.get("account").unwrap().to_json(),
        format!(r#""{ACCOUNT}""#)
    );
    assert_eq!(
        event.get("id").unwrap().to_json(),
        format!(r#""{}""#, ids[1].as_ref().unwrap())
    );
    let shaped = inputs(&engine, "shaped", 1).await;
    assert_eq!(
        shaped[0].to_json(),
        r#"{"order":"o-250","note":"total 250","rule":"orders"}"#
    );
    // Nothing more arrives later: each (event, target) started once.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(engine.list_executions("whole").unwrap().len(), 1);
    assert_eq!(engine.list_executions("shaped").unwrap().len(), 1);
    let stats = eb.stats();
    assert_eq!((stats.events, stats.matched, stats.started), (2, 1, 2));
}

#[tokio::test(start_paused = true)]
async fn a_disabled_rule_starts_nothing_until_enabled() {
    let (engine, eb) = setup("m", PASS, 100);
    order_rule(&eb);
    eb.put_targets(
        None,
        "orders",
        vec![Ok(target("t", "m", InputSettings::default()))],
    )
    .unwrap();
    eb.set_rule_state(None, "orders", RuleState::Disabled)
        .unwrap();
    let big = order(500);
    eb.put_events(&[entry(&big)]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(engine.list_executions("m").unwrap().is_empty());
    eb.set_rule_state(None, "orders", RuleState::Enabled)
        .unwrap();
    eb.put_events(&[entry(&big)]);
    assert_eq!(inputs(&engine, "m", 1).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_start_is_retried_until_the_engine_admits_it() {
    // One execution at a time: the second event's start is refused while the first waits.
    let (engine, eb) = setup("slow", WAIT_10, 1);
    order_rule(&eb);
    eb.put_targets(
        None,
        "orders",
        vec![Ok(target("t", "slow", InputSettings::default()))],
    )
    .unwrap();
    let (a, b) = (order(101), order(102));
    eb.put_events(&[entry(&a), entry(&b)]);
    let all = inputs(&engine, "slow", 2).await;
    assert_eq!(all.len(), 2);
    let stats = eb.stats();
    assert_eq!(stats.started, 2);
    assert!(stats.retried >= 1, "{stats:?}");
    assert_eq!(stats.failed, 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_start_gives_up_when_the_retry_policy_runs_out_and_reports_it() {
    let (engine, eb) = setup("slow", WAIT_10, 1);
    let reported = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&reported);
    eb.on_failure(move |line| sink.lock().unwrap().push(line.to_string()));
    order_rule(&eb);
    let mut t = target("t", "slow", InputSettings::default());
    t.retry = RetryPolicy {
        max_attempts: 2,
        max_age_seconds: 60,
    };
    eb.put_targets(None, "orders", vec![Ok(t)]).unwrap();
    // Hold the only place for longer than the two retries take.
    let _busy = engine
        .start(StartRequest::new("slow"))
        .expect("the first start is admitted");
    let big = order(300);
    eb.put_events(&[entry(&big)]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let stats = eb.stats();
    assert_eq!((stats.started, stats.retried, stats.failed), (0, 2, 1));
    let lines = reported.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&machine_arn("slow")), "{}", lines[0]);
}

#[tokio::test(start_paused = true)]
async fn a_start_that_cannot_succeed_fails_at_once_and_is_reported() {
    let (_engine, eb) = setup("m", PASS, 100);
    let reported = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&reported);
    eb.on_failure(move |line| sink.lock().unwrap().push(line.to_string()));
    order_rule(&eb);
    eb.put_targets(
        None,
        "orders",
        vec![Ok(target("t", "gone", InputSettings::default()))],
    )
    .unwrap();
    let big = order(300);
    eb.put_events(&[entry(&big)]);
    let stats = eb.stats();
    assert_eq!((stats.started, stats.retried, stats.failed), (0, 0, 1));
    let lines = reported.lock().unwrap().clone();
    assert!(lines[0].contains("StateMachineDoesNotExist"), "{lines:?}");
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_rule_fires_on_time_and_stops_when_disabled() {
    let (engine, eb) = setup("tick", PASS, 100);
    eb.put_rule(RuleSpec {
        name: "every-minute",
        schedule: Some("rate(1 minute)"),
        ..RuleSpec::default()
    })
    .unwrap();
    eb.put_targets(
        None,
        "every-minute",
        vec![Ok(target("t", "tick", InputSettings::default()))],
    )
    .unwrap();
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert!(
        engine.list_executions("tick").unwrap().is_empty(),
        "not before a minute"
    );
    tokio::time::sleep(Duration::from_secs(3 * 60)).await;
    let fired = inputs(&engine, "tick", 3).await;
    assert_eq!(fired.len(), 3, "one start a minute");
    let e = &fired[0];
    assert_eq!(
        e.get("detail-type").unwrap().to_json(),
        r#""Scheduled Event""#
    );
    assert_eq!(e.get("source").unwrap().to_json(), r#""aws.events""#);
    assert!(e
        .get("resources")
        .unwrap()
        .to_json()
        .contains("rule/every-minute"));
    eb.set_rule_state(None, "every-minute", RuleState::Disabled)
        .unwrap();
    tokio::time::sleep(Duration::from_secs(10 * 60)).await;
    assert_eq!(engine.list_executions("tick").unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn bad_rules_and_targets_get_aws_errors() {
    let (_engine, eb) = setup("m", PASS, 100);
    let err = |spec: RuleSpec<'_>| eb.put_rule(spec).unwrap_err();
    let e = err(RuleSpec {
        name: "r",
        ..RuleSpec::default()
    });
    assert_eq!(e.code(), "ValidationException");
    let e = err(RuleSpec {
        name: "r",
        pattern: Some(r#"{"source": "not-a-list"}"#),
        ..RuleSpec::default()
    });
    assert_eq!(e.code(), "InvalidEventPatternException");
    let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let e = err(RuleSpec {
        name: "r",
        pattern: Some(&deep),
        ..RuleSpec::default()
    });
    assert_eq!(e.code(), "InvalidEventPatternException");
    for never in [
        "cron(0 0 30 2 ? *)",
        "cron(0 0 1 1 ? 1999)",
        "rate(1 minutes)",
    ] {
        let e = err(RuleSpec {
            name: "r",
            schedule: Some(never),
            ..RuleSpec::default()
        });
        assert_eq!(e.code(), "ValidationException", "{never}");
        assert_eq!(e.message(), "Parameter ScheduleExpression is not valid.");
    }
    let e = err(RuleSpec {
        name: "r",
        bus: Some("nope"),
        pattern: Some(r#"{"source": ["x"]}"#),
        ..RuleSpec::default()
    });
    assert_eq!(e.code(), "ResourceNotFoundException");
    order_rule(&eb);
    let failed = eb
        .put_targets(
            None,
            "orders",
            vec![Ok(TargetSpec {
                arn: Str::from("arn:aws:lambda:us-east-1:111111111111:function:f"),
                ..target("lambda", "m", InputSettings::default())
            })],
        )
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(&*failed[0].0, "lambda");
    eb.put_targets(
        None,
        "orders",
        vec![Ok(target("t", "m", InputSettings::default()))],
    )
    .unwrap();
    let e = eb.delete_rule(None, "orders", false).unwrap_err();
    assert_eq!(e.message(), "Rule can't be deleted since it has targets.");
    eb.delete_rule(None, "orders", true).unwrap();
    assert_eq!(
        eb.describe_rule(None, "orders").unwrap_err().code(),
        "ResourceNotFoundException"
    );
}
