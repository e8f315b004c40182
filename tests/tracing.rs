//! `tracing` spans and events of executions (issue 19, item 4), recorded by a small
//! subscriber of the test's own (no tracing-subscriber dependency).

use aslx::engine::{Engine, StartRequest};
use aslx::{json, Handlers, Machine, MachineType, Status, TaskError, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(Clone, Debug)]
struct SpanRec {
    name: &'static str,
    parent: Option<u64>,
    fields: HashMap<String, String>,
}

#[derive(Clone, Debug)]
struct EventRec {
    level: tracing::Level,
    parent: Option<u64>,
    fields: HashMap<String, String>,
}

#[derive(Default)]
struct Recorded {
    spans: Mutex<HashMap<u64, SpanRec>>,
    events: Mutex<Vec<EventRec>>,
    /// Entered spans, innermost last (one thread: the tests run on current-thread runtimes).
    stack: Mutex<Vec<u64>>,
    next: AtomicU64,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Recorded>);

struct Fields<'a>(&'a mut HashMap<String, String>);
impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Recorder {
    fn parent_of(&self, explicit: Option<&Id>, contextual: bool) -> Option<u64> {
        match explicit {
            Some(p) => Some(p.into_u64()),
            None if contextual => self.0.stack.lock().unwrap().last().copied(),
            None => None,
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.0.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        let rec = SpanRec {
            name: attrs.metadata().name(),
            parent: self.parent_of(attrs.parent(), attrs.is_contextual()),
            fields,
        };
        self.0.spans.lock().unwrap().insert(id, rec);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(s) = self.0.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut s.fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let rec = EventRec {
            level: *event.metadata().level(),
            parent: self.parent_of(event.parent(), event.is_contextual()),
            fields,
        };
        self.0.events.lock().unwrap().push(rec);
    }
    fn enter(&self, span: &Id) {
        self.0.stack.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, span: &Id) {
        let mut s = self.0.stack.lock().unwrap();
        if let Some(i) = s.iter().rposition(|x| *x == span.into_u64()) {
            s.remove(i);
        }
    }
}

impl Recorder {
    fn spans(&self, name: &str) -> Vec<(u64, SpanRec)> {
        let mut v: Vec<(u64, SpanRec)> = self
            .0
            .spans
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, s)| s.name == name)
            .map(|(id, s)| (*id, s.clone()))
            .collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }
    fn span(&self, id: u64) -> SpanRec {
        self.0.spans.lock().unwrap()[&id].clone()
    }
    fn events(&self) -> Vec<EventRec> {
        self.0.events.lock().unwrap().clone()
    }
}

const ORDER: &str = r#"{"StartAt": "Check", "States": {
    "Check": {"Type": "Pass", "Next": "Charge"},
    "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "Next": "Ship",
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 2}]},
    "Ship": {"Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "Pack", "States": {"Pack": {"Type": "Pass", "End": true}}}}
}}"#;

fn handlers() -> Handlers {
    let calls = Arc::new(AtomicU32::new(0));
    let mut h = Handlers::new();
    h.function("charge", move |v: Value| {
        tracing::info!(inside = "handler", "charging");
        match calls.fetch_add(1, Ordering::SeqCst) {
            0 => Err(TaskError::new("Busy", "try again")),
            _ => Ok(v),
        }
    });
    h
}

#[tokio::test(start_paused = true)]
async fn spans_nest_execution_state_task_and_handler_events_land_in_the_task() {
    use tracing::Instrument;
    let rec = Recorder::default();
    let _guard = tracing::subscriber::set_default(rec.clone());
    let m = Machine::new("order", ORDER, MachineType::Express, &handlers()).unwrap();
    let outer = tracing::info_span!("request");
    let out = m.run(json!({"items": [1, 2]})).instrument(outer).await;
    assert_eq!(out.status, Status::Succeeded, "{out:?}");

    let execs = rec.spans("execution");
    assert_eq!(execs.len(), 1);
    let (exec_id, exec) = &execs[0];
    assert_eq!(exec.fields["machine"], "order");
    assert_eq!(exec.fields["type"], "EXPRESS");
    assert!(exec.fields["execution_arn"].starts_with("arn:aws:states:us-east-1:"));
    assert_eq!(exec.fields["status"], "SUCCEEDED");
    let request = rec.spans("request")[0].0;
    assert_eq!(exec.parent, Some(request), "a child of the caller's span");

    let states = rec.spans("state");
    let top: Vec<&str> = states
        .iter()
        .filter(|(_, s)| s.parent == Some(*exec_id))
        .map(|(_, s)| s.fields["state"].as_str())
        .collect();
    assert_eq!(top, ["Check", "Charge", "Ship"]);
    let charge = states
        .iter()
        .find(|(_, s)| s.fields["state"] == "Charge")
        .unwrap();
    assert_eq!(charge.1.fields["type"], "Task");

    let tasks = rec.spans("task");
    assert_eq!(tasks.len(), 2, "one span per call, the retry included");
    for (n, (_, t)) in tasks.iter().enumerate() {
        assert_eq!(t.parent, Some(charge.0));
        assert_eq!(
            t.fields["resource"],
            "arn:aws:lambda:us-east-1:123456789012:function:charge"
        );
        assert_eq!(t.fields["attempt"], (n + 1).to_string());
    }

    let events = rec.events();
    let in_handler: Vec<&EventRec> = events
        .iter()
        .filter(|e| e.fields.get("inside").map(String::as_str) == Some("handler"))
        .collect();
    assert_eq!(in_handler.len(), 2);
    assert_eq!(in_handler[0].parent, Some(tasks[0].0));
    assert_eq!(in_handler[1].parent, Some(tasks[1].0));
    let failed = events
        .iter()
        .find(|e| e.fields.get("message").map(String::as_str) == Some("task failed"))
        .expect("the failed attempt is an event");
    assert_eq!(failed.level, tracing::Level::WARN);
    assert_eq!(failed.parent, Some(tasks[0].0));
    assert_eq!(failed.fields["error"], "Busy");
    assert_eq!(failed.fields["cause"], "try again");

    // Map iterations: a branch span each under the Map state, their states under them.
    let ship = states
        .iter()
        .find(|(_, s)| s.fields["state"] == "Ship")
        .unwrap();
    let branches = rec.spans("branch");
    assert_eq!(branches.len(), 2);
    for (id, b) in &branches {
        assert_eq!(b.parent, Some(ship.0));
        let packs = states.iter().filter(|(_, s)| s.parent == Some(*id)).count();
        assert_eq!(packs, 1);
        assert_eq!(rec.span(*id).name, "branch");
    }
}

#[tokio::test]
async fn an_engine_execution_that_fails_ends_with_an_error_event() {
    let rec = Recorder::default();
    let _guard = tracing::subscriber::set_default(rec.clone());
    let mut h = Handlers::new();
    h.function("charge", |_| {
        Err(TaskError::new("Card.Declined", "insufficient funds"))
    });
    let engine = Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(h)
        .build()
        .unwrap();
    let def = r#"{"StartAt": "Charge", "States": {"Charge": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": true}}}"#;
    engine
        .create_machine("pay", def, MachineType::Express)
        .unwrap();
    let done = engine.start_sync(StartRequest::new("pay")).await.unwrap();
    assert_eq!(done.outcome.status, Status::Failed);

    let execs = rec.spans("execution");
    assert_eq!(execs.len(), 1);
    let (exec_id, exec) = &execs[0];
    assert_eq!(exec.fields["execution_arn"], done.execution_arn());
    assert_eq!(exec.fields["status"], "FAILED");
    let ended = rec
        .events()
        .into_iter()
        .find(|e| e.parent == Some(*exec_id) && e.level == tracing::Level::ERROR)
        .expect("an error event on the execution");
    assert_eq!(ended.fields["error"], "Card.Declined");
    assert_eq!(ended.fields["cause"], "insufficient funds");
}

#[tokio::test(start_paused = true)]
async fn without_a_subscriber_nothing_is_traced_and_executions_run_as_before() {
    let m = Machine::new("order", ORDER, MachineType::Express, &handlers()).unwrap();
    let out = m.run(json!({"items": [1]})).await;
    assert_eq!(out.status, Status::Succeeded);
}
