//! The engine's side of the durability contracts (issue 13), with intakes written here: a
//! start is answered only once recorded, a refused record is `ServiceUnavailable` and runs
//! nothing, an intake hears every end, a delivered start keeps its identity and attempt, sync
//! starts never reach the intake; and the embedded store keeps machines, versions, aliases,
//! tags and activities across a reopen, and runs accepted-but-unfinished starts again.

use aslx::durable::embedded::{EmbeddedStore, Fsync};
use aslx::durable::{AcceptedStart, BoxFuture, DurableError, Intake};
use aslx::engine::{Engine, ExecutionStatus, LogRecord, LogSink, MachineSpec, Route, StartRequest};
use aslx::{MachineType, Status};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Recording {
    refuse: bool,
    /// Acts as a shared queue: accepted starts run where they are delivered.
    queue: bool,
    accepted: Mutex<Vec<AcceptedStart>>,
    finished: Mutex<Vec<(String, ExecutionStatus)>>,
}

impl Intake for Recording {
    fn accept<'a>(&'a self, start: &'a AcceptedStart) -> BoxFuture<'a, Result<(), DurableError>> {
        Box::pin(async move {
            if self.refuse {
                return Err(DurableError::Unavailable("disk full".into()));
            }
            self.accepted.lock().unwrap().push(start.clone());
            Ok(())
        })
    }
    fn runs_on_accept(&self) -> bool {
        !self.queue
    }
    fn finished(&self, arn: &str, status: ExecutionStatus) {
        self.finished
            .lock()
            .unwrap()
            .push((arn.to_string(), status));
    }
    fn deliver(
        self: Arc<Self>,
        _run: Arc<dyn Fn(AcceptedStart) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

const PASS: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;

fn engine_with(intake: Arc<Recording>, sink: Option<LogSink>) -> Engine {
    let b = Engine::builder().worker_threads(1).intake(intake);
    let b = match sink {
        Some(s) => b.log_sink(s).log_level(aslx::engine::LogLevel::All),
        None => b,
    };
    b.build().unwrap()
}

fn wait_for(mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting");
}

#[test]
fn an_async_start_is_recorded_before_it_is_answered_and_its_end_is_reported() {
    let intake = Arc::new(Recording::default());
    let engine = engine_with(intake.clone(), None);
    engine
        .create_machine("p", PASS, MachineType::Express)
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = rt
        .block_on(engine.start_async(StartRequest::new("p").name("n1").input_json(r#"{"a":1}"#)))
        .unwrap();
    let rec = intake.accepted.lock().unwrap()[0].clone();
    assert_eq!(rec.execution_arn, started.execution_arn());
    assert_eq!(rec.name, "n1");
    assert_eq!(rec.input, r#"{"a":1}"#);
    assert_eq!(rec.attempt, 1);
    assert_eq!(
        rec.target_arn,
        "arn:aws:states:us-east-1:111111111111:stateMachine:p"
    );
    wait_for(|| !intake.finished.lock().unwrap().is_empty());
    let (arn, status) = intake.finished.lock().unwrap()[0].clone();
    assert_eq!(arn, started.execution_arn());
    assert_eq!(status, ExecutionStatus::Ended(Status::Succeeded));
    // Sync executions are at-most-once: never recorded.
    engine.start_sync_blocking(StartRequest::new("p")).unwrap();
    assert_eq!(intake.accepted.lock().unwrap().len(), 1);
}

#[test]
fn a_start_the_intake_cannot_record_is_refused_and_never_runs() {
    let intake = Arc::new(Recording {
        refuse: true,
        ..Recording::default()
    });
    let records = Arc::new(Mutex::new(0usize));
    let seen = records.clone();
    let sink = LogSink::callback(move |_: &LogRecord| *seen.lock().unwrap() += 1);
    let engine = engine_with(intake.clone(), Some(sink));
    engine
        .create_machine("p", PASS, MachineType::Express)
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt
        .block_on(engine.start_async(StartRequest::new("p")))
        .unwrap_err();
    assert_eq!(err.code(), "ServiceUnavailable");
    assert!(err.message().contains("disk full"), "{}", err.message());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(*records.lock().unwrap(), 0, "a refused start ran");
    assert_eq!(engine.in_flight(), 0);
}

#[test]
fn a_delivered_start_keeps_its_identity_and_logs_its_attempt() {
    let intake = Arc::new(Recording::default());
    let logged = Arc::new(Mutex::new(Vec::new()));
    let l2 = logged.clone();
    let sink = LogSink::callback(move |r: &LogRecord| {
        l2.lock()
            .unwrap()
            .push((r.event_type, r.execution_arn.to_string(), r.attempt))
    });
    let engine = engine_with(intake.clone(), Some(sink));
    engine
        .create_machine("p", PASS, MachineType::Express)
        .unwrap();
    let arn = "arn:aws:states:us-east-1:111111111111:express:p:kept:0000-1111";
    engine
        .deliver(AcceptedStart {
            execution_arn: arn.into(),
            target_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:p".into(),
            name: "kept".into(),
            input: "{}".into(),
            trace_header: None,
            start_ms: 1_000,
            attempt: 3,
        })
        .unwrap();
    wait_for(|| !intake.finished.lock().unwrap().is_empty());
    let logged = logged.lock().unwrap();
    assert!(
        logged.iter().all(|(_, a, n)| a == arn && *n == 3),
        "{logged:?}"
    );
    assert_eq!(logged.last().unwrap().0, "ExecutionSucceeded");
    assert_eq!(intake.finished.lock().unwrap()[0].0, arn);
    // A delivery whose machine is gone is finished as FAILED, not retried forever.
    let gone = AcceptedStart {
        execution_arn: "arn:x:gone".into(),
        target_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:gone".into(),
        name: "g".into(),
        input: "{}".into(),
        trace_header: None,
        start_ms: 1,
        attempt: 2,
    };
    assert_eq!(
        engine.deliver(gone).unwrap_err().code(),
        "StateMachineDoesNotExist"
    );
    assert_eq!(engine.refused_deliveries(), 1);
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("aslx-{tag}-{}-{}", std::process::id(), rand_u32()))
}

fn rand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.subsec_nanos())
}

#[test]
fn the_embedded_store_keeps_the_catalog_and_runs_unfinished_starts_again() {
    let dir = temp_dir("store");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let wait =
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}"#;
    let arn = {
        let (store, opened) = EmbeddedStore::open(&dir, Fsync::Always).unwrap();
        assert_eq!(opened.pending, 0);
        // Its own runtime: dropping the engine drops the execution with it, as a kill would.
        let engine = Engine::builder()
            .worker_threads(1)
            .intake(store.clone())
            .catalog(store.clone())
            .build()
            .unwrap();
        let mut spec = MachineSpec::new("w", wait, MachineType::Standard);
        spec.publish = true;
        spec.tags = vec![("team".into(), "a".into())];
        let m = engine.create_machine_with(spec).unwrap();
        let v1 = m.version_arn.clone().unwrap();
        engine
            .create_alias(
                "prod",
                Some("live"),
                &[Route {
                    version_arn: v1,
                    weight: 100,
                }],
            )
            .unwrap();
        engine.create_activity("act").unwrap();
        rt.block_on(engine.sync_catalog()).unwrap();
        let started = rt
            .block_on(
                engine.start_async(StartRequest::new(&format!("{}:prod", m.arn)).name("long")),
            )
            .unwrap();
        let arn = started.execution_arn().to_string();
        // The engine and the store go without finishing it (as a kill would leave them).
        drop(engine);
        drop(store);
        arn
    };
    // The writer thread lets go of the lock once the dropped engine's tasks let go of the
    // store (the engine's runtime drops them in the background).
    let mut reopened = EmbeddedStore::open(&dir, Fsync::Batch);
    for _ in 0..100 {
        match &reopened {
            Err(e) if e.contains("in use by another aslx process") => {
                std::thread::sleep(Duration::from_millis(50));
                reopened = EmbeddedStore::open(&dir, Fsync::Batch);
            }
            _ => break,
        }
    }
    let (store, opened) = reopened.unwrap();
    assert_eq!(opened.pending, 1);
    let engine = Engine::builder()
        .runtime(rt.handle().clone())
        .intake(store.clone())
        .catalog(store)
        .build()
        .unwrap();
    let found = rt.block_on(engine.recover()).unwrap();
    assert_eq!((found.machines, found.activities), (1, 1), "{found:?}");
    let m = engine.describe_machine("w").unwrap();
    assert_eq!(m.machine_type, MachineType::Standard);
    assert_eq!(engine.list_versions("w").unwrap().len(), 1);
    let alias = engine.describe_alias(&format!("{}:prod", m.arn)).unwrap();
    assert_eq!(alias.description.as_deref(), Some("live"));
    assert_eq!(engine.list_tags(&m.arn).unwrap()[0].1.as_ref(), "a");
    assert_eq!(engine.list_activities().len(), 1);
    // The accepted STANDARD execution runs again, under its ARN.
    let mut running = None;
    for _ in 0..200 {
        if let Ok(h) = engine.execution(&arn) {
            running = Some(h);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let h = running.expect("the accepted execution runs again");
    assert_eq!(h.name(), "long");
    assert_eq!(h.status(), ExecutionStatus::Running);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

fn start_of(name: &str, machine: &str, start_ms: i64, attempt: u32) -> AcceptedStart {
    AcceptedStart {
        execution_arn: format!(
            "arn:aws:states:us-east-1:111111111111:express:{machine}:{name}:0000"
        ),
        target_arn: format!("arn:aws:states:us-east-1:111111111111:stateMachine:{machine}"),
        name: name.into(),
        input: "{}".into(),
        trace_header: None,
        start_ms,
        attempt,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Issue 13: "a poison execution is delivered at most N times, then recorded as failed".
#[test]
fn a_start_delivered_past_its_attempts_is_recorded_failed_without_running() {
    let intake = Arc::new(Recording::default());
    let logged = Arc::new(Mutex::new(Vec::new()));
    let l2 = logged.clone();
    let sink = LogSink::callback(move |r: &LogRecord| {
        l2.lock()
            .unwrap()
            .push((r.event_type, r.details.to_string(), r.attempt))
    });
    let b = Engine::builder()
        .worker_threads(1)
        .intake(intake.clone())
        .async_attempts(3)
        .log_sink(sink)
        .log_level(aslx::engine::LogLevel::All);
    let engine = b.build().unwrap();
    engine
        .create_machine("p", PASS, MachineType::Express)
        .unwrap();
    engine.deliver(start_of("poison", "p", 1_000, 4)).unwrap();
    wait_for(|| !intake.finished.lock().unwrap().is_empty());
    assert_eq!(
        intake.finished.lock().unwrap()[0].1,
        ExecutionStatus::Ended(Status::Failed)
    );
    let logged = logged.lock().unwrap();
    let types: Vec<_> = logged.iter().map(|(t, _, _)| *t).collect();
    assert_eq!(
        types,
        ["ExecutionStarted", "ExecutionFailed"],
        "it ran: {logged:?}"
    );
    let (_, details, attempt) = &logged[1];
    assert_eq!(*attempt, 4);
    assert!(details.contains("States.Runtime"), "{details}");
    assert!(
        details.contains("attempt 4") && details.contains("at most 3"),
        "{details}"
    );
    // The last attempt allowed still runs.
    drop(logged);
    engine.deliver(start_of("last", "p", 1_000, 3)).unwrap();
    wait_for(|| intake.finished.lock().unwrap().len() == 2);
    assert_eq!(
        intake.finished.lock().unwrap()[1].1,
        ExecutionStatus::Ended(Status::Succeeded)
    );
}

/// A queue delivers a start on a process whose catalog has not yet heard of the machine
/// created on another: it waits for the machine instead of failing at once.
#[test]
fn a_delivered_start_waits_for_a_machine_created_elsewhere_moments_ago() {
    let intake = Arc::new(Recording {
        queue: true,
        ..Recording::default()
    });
    let engine = engine_with(intake.clone(), None);
    engine
        .deliver(start_of("early", "late", now_ms(), 1))
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(intake.finished.lock().unwrap().is_empty());
    engine
        .create_machine("late", PASS, MachineType::Express)
        .unwrap();
    wait_for(|| !intake.finished.lock().unwrap().is_empty());
    assert_eq!(
        intake.finished.lock().unwrap()[0].1,
        ExecutionStatus::Ended(Status::Succeeded)
    );
    assert_eq!(engine.refused_deliveries(), 0);
    // One accepted long ago (a stale redelivery) whose machine is gone is refused at once.
    let err = engine
        .deliver(start_of("stale", "gone", 1_000, 2))
        .unwrap_err();
    assert_eq!(err.code(), "StateMachineDoesNotExist");
    assert_eq!(engine.refused_deliveries(), 1);
}
