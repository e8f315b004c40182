//! PutEvents, schedules and delivery: a matched event starts each target of each rule it
//! matches, at least once.
//!
//! Delivery, as EventBridge does it for a state machine target:
//!
//! 1. Each (event, target) pair is one delivery, owned by one task: a start that the engine
//!    accepted is never repeated, so one event starts a target once.
//! 2. A start the engine refuses for now (`ThrottlingException`, a shutdown) is retried with
//!    exponential backoff and jitter, until the target's [`RetryPolicy`] runs out (EventBridge's
//!    default: 185 attempts or 24 hours).
//! 3. A start that cannot succeed (the machine does not exist, the input is refused) fails at
//!    once. Failures are counted ([`EventStats`]) and reported to the failure sink
//!    ([`EventBridge::on_failure`]), as EventBridge reports them to CloudWatch metrics.
//! 4. A scheduled rule fires its targets at each time its schedule gives (UTC) while it is
//!    enabled, with AWS's `Scheduled Event`.
//! 5. An event for a bus that does not exist is accepted and dropped, as AWS does; the drop
//!    is counted and reported like a failed delivery.

use super::bus::{EventBridge, RuleState};
use super::transform::RuleContext;
use super::EventsError;
use crate::engine::{ErrorKind, StartRequest};
use crate::runtime::machine::wall_clock_ms;
use crate::runtime::sync::{lock, read, AtomicU64, Mutex, Ordering};
use crate::value::{Map, Str, Value};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// How long and how often a refused start is retried (a target's `RetryPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `MaximumRetryAttempts` (0 to 185; default 185).
    pub max_attempts: u32,
    /// `MaximumEventAgeInSeconds` (60 to 86,400; default 86,400).
    pub max_age_seconds: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 185,
            max_age_seconds: 86_400,
        }
    }
}

/// Counters of what PutEvents and schedules did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventStats {
    /// Events accepted by PutEvents (and scheduled firings).
    pub events: u64,
    /// (event, rule) matches.
    pub matched: u64,
    /// Executions started.
    pub started: u64,
    /// Starts retried after a refusal.
    pub retried: u64,
    /// Deliveries given up (rule 3), and events dropped for a bus that does not exist.
    pub failed: u64,
}

/// A failure sink.
type Sink = Box<dyn Fn(&str) + Send + Sync>;

/// The delivery counters and the failure sink.
#[derive(Default)]
pub(super) struct Delivery {
    events: AtomicU64,
    matched: AtomicU64,
    started: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    sink: OnceLock<Sink>,
    /// The first retry's delay; tests shorten it.
    base_delay: Mutex<Option<Duration>>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}

/// One PutEvents entry.
#[derive(Clone, Debug, Default)]
pub struct EventEntry<'a> {
    /// `Source`.
    pub source: Option<&'a str>,
    /// `DetailType`.
    pub detail_type: Option<&'a str>,
    /// `Detail` (JSON object text).
    pub detail: Option<&'a str>,
    /// `Resources`.
    pub resources: Vec<&'a str>,
    /// `Time`, epoch milliseconds (now when `None`).
    pub time_ms: Option<i64>,
    /// `EventBusName` (name or ARN; `default` when `None`).
    pub bus: Option<&'a str>,
}

/// RFC 3339 UTC, seconds: the `time` of an event.
fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl EventBridge {
    /// Where delivery failures are reported (one line each). Set once; later calls are ignored.
    pub fn on_failure(&self, sink: impl Fn(&str) + Send + Sync + 'static) {
        let _ = self.delivery.sink.set(Box::new(sink));
    }

    /// The first retry's delay (default 1 s; doubled each retry, at most 5 minutes).
    pub fn set_retry_delay(&self, d: Duration) {
        *lock(&self.delivery.base_delay) = Some(d);
    }

    /// What PutEvents and schedules did so far.
    pub fn stats(&self) -> EventStats {
        let d = &self.delivery;
        EventStats {
            events: d.events.load(Ordering::Relaxed),
            matched: d.matched.load(Ordering::Relaxed),
            started: d.started.load(Ordering::Relaxed),
            retried: d.retried.load(Ordering::Relaxed),
            failed: d.failed.load(Ordering::Relaxed),
        }
    }

    /// PutEvents: each entry is checked, becomes an event, is matched against its bus's
    /// enabled rules and delivered to their targets. Returns, per entry, its event id or
    /// AWS's error code and message.
    pub fn put_events(
        self: &Arc<Self>,
        entries: &[EventEntry<'_>],
    ) -> Vec<Result<Str, (&'static str, String)>> {
        entries.iter().map(|e| self.put_event(e)).collect()
    }

    fn put_event(self: &Arc<Self>, e: &EventEntry<'_>) -> Result<Str, (&'static str, String)> {
        let required = |v: Option<&str>, name: &str| match v {
            Some(s) if !s.is_empty() => Ok(()),
            _ => Err((
                "InvalidArgument",
                format!("Parameter {name} is not valid. Reason: {name} is a required argument."),
            )),
        };
        required(e.source, "Source")?;
        required(e.detail_type, "DetailType")?;
        required(e.detail, "Detail")?;
        let detail = crate::value::parse_json(e.detail.unwrap_or_default())
            .ok()
            .filter(|d| d.as_object().is_some())
            .ok_or(("MalformedDetail", "Detail is malformed.".to_string()))?;
        let bus = e
            .bus
            .map_or("default", |b| b.rsplit('/').next().unwrap_or(b));
        let id = Str::from(uuid::Uuid::new_v4().to_string());
        // AWS accepts an event for a bus that does not exist, gives it an id and drops it
        // (aws/aws-cli#9186, aws/aws-sdk#186). The answer is AWS's; the drop is reported.
        if !read(&self.buses).contains_key(bus) {
            self.fail(&format!(
                "event {id}: event bus {bus} does not exist; the event was accepted and dropped, as AWS does"
            ));
            return Ok(id);
        }
        let time_ms = e.time_ms.unwrap_or_else(wall_clock_ms);
        let mut m = Map::with_capacity(9);
        m.insert("version".into(), Value::string("0"));
        m.insert("id".into(), Value::String(id.clone()));
        m.insert(
            "detail-type".into(),
            Value::from(e.detail_type.unwrap_or_default()),
        );
        m.insert("source".into(), Value::from(e.source.unwrap_or_default()));
        m.insert("account".into(), Value::String(self.account.clone()));
        m.insert("time".into(), Value::from(rfc3339(time_ms)));
        m.insert("region".into(), Value::String(self.region.clone()));
        let resources: Vec<Value> = e.resources.iter().map(|r| Value::from(*r)).collect();
        m.insert("resources".into(), Value::array(resources));
        m.insert("detail".into(), detail);
        let event = Value::object(m);
        self.delivery.events.fetch_add(1, Ordering::Relaxed);
        self.dispatch(bus, &event, None);
        Ok(id)
    }

    /// Matches `event` on `bus` (or fires only `only`, a scheduled rule) and delivers it to
    /// every target of every rule it matches.
    fn dispatch(self: &Arc<Self>, bus: &str, event: &Value, only: Option<&str>) {
        // Written only once a rule matched: most events on a busy bus match nothing.
        let ingestion = std::cell::OnceCell::new();
        let mut work = Vec::new();
        {
            let buses = read(&self.buses);
            let Some(b) = buses.get(bus) else { return };
            let mut fire = |name: &Str| {
                let Some(r) = b.rules.get(name) else { return };
                if r.info.state != RuleState::Enabled {
                    return;
                }
                self.delivery.matched.fetch_add(1, Ordering::Relaxed);
                let ctx = RuleContext {
                    rule_arn: &r.info.arn,
                    rule_name: &r.info.name,
                    ingestion_time: ingestion.get_or_init(|| rfc3339(wall_clock_ms())),
                };
                for t in &r.targets {
                    match t.spec.input.apply(event, &ctx) {
                        Ok(input) => work.push((t.spec.arn.clone(), input, t.spec.retry)),
                        Err(why) => self.fail(&format!(
                            "rule {}: target {}: input: {why}",
                            r.info.name, t.spec.id
                        )),
                    }
                }
            };
            match only {
                Some(rule) => fire(&Str::from(rule)),
                None => {
                    for name in b.index.matches(event) {
                        fire(&name);
                    }
                }
            }
        }
        for (arn, input, policy) in work {
            self.deliver(arn, input, policy);
        }
    }

    /// One delivery (rules 1–3): start now; on a refusal for now, retry in the background.
    fn deliver(self: &Arc<Self>, arn: Str, input: Value, policy: RetryPolicy) {
        match self.try_start(&arn, &input) {
            Ok(()) => {}
            Err(retry) if retry && policy.max_attempts > 0 => {
                let me = Arc::downgrade(self);
                let base = lock(&self.delivery.base_delay).unwrap_or(Duration::from_secs(1));
                self.engine
                    .handle()
                    .spawn(retry_later(me, arn, input, policy, base));
            }
            Err(_) => {}
        }
    }

    /// Starts `arn` on `input`: `Err(true)` when the refusal may pass, `Err(false)` when it
    /// is final (counted and reported).
    fn try_start(&self, arn: &str, input: &Value) -> Result<(), bool> {
        match self
            .engine
            .start(StartRequest::new(arn).input(input.clone()))
        {
            Ok(_) => {
                self.delivery.started.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::Throttling | ErrorKind::ShuttingDown) => {
                Err(true)
            }
            Err(e) => {
                self.fail(&format!("target {arn}: {}: {}", e.code(), e.message()));
                Err(false)
            }
        }
    }

    fn fail(&self, what: &str) {
        self.delivery.failed.fetch_add(1, Ordering::Relaxed);
        if let Some(sink) = self.delivery.sink.get() {
            sink(what);
        }
    }

    /// The timer of a scheduled, enabled rule (rule 4).
    pub(super) fn arm(
        self: &Arc<Self>,
        rule: &super::bus::Rule,
    ) -> Option<tokio::task::AbortHandle> {
        let schedule = rule.schedule.clone()?;
        if rule.info.state != RuleState::Enabled {
            return None;
        }
        let me = Arc::downgrade(self);
        let (bus, name, arn) = (
            rule.info.bus.clone(),
            rule.info.name.clone(),
            rule.info.arn.clone(),
        );
        let task = self.engine.handle().spawn(async move {
            // The wall clock is read once; fire times are then reached on the runtime's
            // clock, so they do not drift (and a paused test clock drives them).
            let (base_ms, base) = (wall_clock_ms(), tokio::time::Instant::now());
            let mut after = base_ms;
            while let Some(at) = schedule.next_after(after) {
                let due = base + Duration::from_millis((at - base_ms).max(0) as u64);
                tokio::time::sleep_until(due).await;
                let Some(eb) = me.upgrade() else { return };
                eb.fire_scheduled(&bus, &name, &arn, at);
                after = at;
            }
        });
        Some(task.abort_handle())
    }

    fn fire_scheduled(self: &Arc<Self>, bus: &str, name: &str, arn: &str, at_ms: i64) {
        let mut m = Map::with_capacity(9);
        m.insert("version".into(), Value::string("0"));
        m.insert("id".into(), Value::from(uuid::Uuid::new_v4().to_string()));
        m.insert("detail-type".into(), Value::string("Scheduled Event"));
        m.insert("source".into(), Value::string("aws.events"));
        m.insert("account".into(), Value::String(self.account.clone()));
        m.insert("time".into(), Value::from(rfc3339(at_ms)));
        m.insert("region".into(), Value::String(self.region.clone()));
        m.insert("resources".into(), Value::array(vec![Value::from(arn)]));
        m.insert("detail".into(), Value::empty_object());
        self.delivery.events.fetch_add(1, Ordering::Relaxed);
        self.dispatch(bus, &Value::object(m), Some(name));
    }
}

/// Rule 2: retries a refused start with exponential backoff and jitter.
async fn retry_later(
    me: Weak<EventBridge>,
    arn: Str,
    input: Value,
    policy: RetryPolicy,
    base: Duration,
) {
    let until =
        tokio::time::Instant::now() + Duration::from_secs(u64::from(policy.max_age_seconds));
    let mut delay = base;
    for _ in 0..policy.max_attempts {
        let jitter = delay.mul_f64(rand::random::<f64>() * 0.5);
        let at = tokio::time::Instant::now() + delay + jitter;
        if at > until {
            break;
        }
        tokio::time::sleep_until(at).await;
        let Some(eb) = me.upgrade() else { return };
        eb.delivery.retried.fetch_add(1, Ordering::Relaxed);
        match eb.try_start(&arn, &input) {
            Ok(()) | Err(false) => return,
            Err(true) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(300));
    }
    if let Some(eb) = me.upgrade() {
        eb.fail(&format!(
            "target {arn}: gave up after the retry policy ran out (the engine kept refusing the start)"
        ));
    }
}

/// TestEventPattern: whether `event` (JSON text of a whole event) matches `pattern`.
///
/// # Errors
///
/// `InvalidEventPatternException` for a bad pattern; `ValidationException` for an event that
/// is not a JSON object with AWS's required fields.
pub fn test_event_pattern(pattern: &str, event: &str) -> Result<bool, EventsError> {
    let p = super::Pattern::new(pattern).map_err(|e| EventsError::new(e.code(), e.message()))?;
    let ev = crate::value::parse_json(event)
        .ok()
        .filter(|v| v.as_object().is_some())
        .ok_or_else(|| EventsError::validation("Parameter Event is not valid."))?;
    Ok(p.matches(&ev))
}
