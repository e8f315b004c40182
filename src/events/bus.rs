//! Event buses, rules and targets: what PutRule, PutTargets and their readers store, and
//! the one place events are matched against rules.
//!
//! Rules, as EventBridge keeps them:
//!
//! 1. A bus holds rules by name; `default` always exists, custom buses are created by name.
//! 2. A rule has an event pattern or a schedule (schedules only on the default bus), a state
//!    (`ENABLED` / `DISABLED`) and up to [`MAX_TARGETS`] targets. Patterns and schedules are
//!    compiled when the rule is put, never per event.
//! 3. Each bus keeps an index of its enabled pattern rules, rebuilt when a rule changes, so an
//!    event is checked against the rules its own fields select (see `pattern`).
//! 4. Targets are this engine's state machines; each target's input (`Input`, `InputPath`,
//!    `InputTransformer` or the whole event) is compiled when the target is put.
//! 5. A rule with targets cannot be deleted unless forced; a bus with rules cannot be deleted.

use super::deliver::{Delivery, RetryPolicy};
use super::schedule::Schedule;
use super::transform::{InputSettings, TargetInput};
use super::{EventsError, Pattern, RuleIndex};
use crate::engine::Engine;
use crate::runtime::sync::{read, write, AtomicUsize, Ordering, RwLock};
use crate::value::Str;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Most targets on one rule (EventBridge's quota).
pub const MAX_TARGETS: usize = 5;
/// Most rules on one bus (EventBridge's default quota).
pub const MAX_RULES: usize = 300;

/// `ENABLED` or `DISABLED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleState {
    /// Matches events and fires on schedule.
    Enabled,
    /// Kept, but neither matches nor fires.
    Disabled,
}

impl RuleState {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Enabled => "ENABLED",
            RuleState::Disabled => "DISABLED",
        }
    }
}

/// A rule to put ([`EventBridge::put_rule`]).
#[derive(Clone, Debug, Default)]
pub struct RuleSpec<'a> {
    /// `Name`.
    pub name: &'a str,
    /// `EventBusName` (`default` when `None`).
    pub bus: Option<&'a str>,
    /// `EventPattern` (JSON text).
    pub pattern: Option<&'a str>,
    /// `ScheduleExpression`.
    pub schedule: Option<&'a str>,
    /// `State` (`ENABLED` when `None`).
    pub state: Option<RuleState>,
    /// `Description`.
    pub description: Option<&'a str>,
    /// `RoleArn`.
    pub role_arn: Option<&'a str>,
}

/// A rule as DescribeRule shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// `arn:aws:events:<region>:<account>:rule/[<bus>/]<name>`.
    pub arn: Str,
    /// Name.
    pub name: Str,
    /// The bus's name.
    pub bus: Str,
    /// `EventPattern`, as given.
    pub pattern: Option<Str>,
    /// `ScheduleExpression`, as given.
    pub schedule: Option<Str>,
    /// State.
    pub state: RuleState,
    /// Description.
    pub description: Option<Str>,
    /// Role ARN.
    pub role_arn: Option<Str>,
}

/// A target to put ([`EventBridge::put_targets`]).
#[derive(Clone, Debug)]
pub struct TargetSpec {
    /// `Id` (1 to 64 of `[.\-_A-Za-z0-9]`).
    pub id: Str,
    /// `Arn`: a state machine of this engine (unqualified, version or alias ARN).
    pub arn: Str,
    /// `RoleArn`.
    pub role_arn: Option<Str>,
    /// The input settings, compiled.
    pub input: TargetInput,
    /// The input settings as given (ListTargetsByRule shows them).
    pub settings: InputSettings,
    /// `RetryPolicy`.
    pub retry: RetryPolicy,
}

/// One target of a rule.
#[derive(Clone, Debug)]
pub(super) struct Target {
    pub(super) spec: TargetSpec,
}

/// One rule, compiled.
#[derive(Debug)]
pub(super) struct Rule {
    pub(super) info: RuleInfo,
    pub(super) pattern: Option<Pattern>,
    pub(super) schedule: Option<Schedule>,
    pub(super) targets: Vec<Target>,
    /// The task that fires a scheduled rule; aborted when the rule changes or goes.
    pub(super) timer: Option<tokio::task::AbortHandle>,
}

impl Drop for Rule {
    fn drop(&mut self) {
        if let Some(t) = self.timer.take() {
            t.abort();
        }
    }
}

/// One bus: its rules and the index of the enabled pattern rules (rule 3).
#[derive(Debug)]
pub(super) struct Bus {
    pub(super) arn: Str,
    pub(super) rules: BTreeMap<Str, Rule>,
    /// The enabled pattern rules, by name.
    pub(super) index: RuleIndex<Str>,
}

/// EventBridge over one engine: buses, rules, targets, PutEvents and schedules. Cheap to share
/// (`Arc`); background work (retries, schedules) runs on the engine's runtime.
pub struct EventBridge {
    pub(super) engine: Arc<Engine>,
    pub(super) region: Str,
    pub(super) account: Str,
    pub(super) buses: RwLock<HashMap<Str, Bus>>,
    pub(super) delivery: Delivery,
    /// Most rules on one bus ([`EventBridge::set_max_rules`]).
    max_rules: AtomicUsize,
}

impl std::fmt::Debug for EventBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBridge")
            .field("buses", &read(&self.buses).len())
            .finish_non_exhaustive()
    }
}

/// `[.\-_A-Za-z0-9]{1,64}`: rule names, target ids.
pub(super) fn valid_name(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl EventBridge {
    /// EventBridge for `engine`, with the `default` bus, in `region` and `account` (the
    /// ARNs of rules and buses).
    pub fn new(engine: Arc<Engine>, region: &str, account: &str) -> Arc<EventBridge> {
        let eb = Arc::new(EventBridge {
            engine,
            region: Str::from(region),
            account: Str::from(account),
            buses: RwLock::new(HashMap::new()),
            delivery: Delivery::default(),
            max_rules: AtomicUsize::new(MAX_RULES),
        });
        let default = eb.bus_arn("default");
        write(&eb.buses).insert(Str::from("default"), Bus::new(default));
        eb
    }

    /// Most rules on one bus: AWS's quota is [`MAX_RULES`] by default and raised on request;
    /// so is this one (a load test with a thousand rules on one bus).
    pub fn set_max_rules(&self, n: usize) {
        self.max_rules.store(n, Ordering::Relaxed);
    }

    /// The engine targets start executions on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn bus_arn(&self, name: &str) -> Str {
        Str::from(format!(
            "arn:aws:events:{}:{}:event-bus/{name}",
            self.region, self.account
        ))
    }

    fn rule_arn(&self, bus: &str, name: &str) -> Str {
        let path = if bus == "default" {
            name.to_string()
        } else {
            format!("{bus}/{name}")
        };
        Str::from(format!(
            "arn:aws:events:{}:{}:rule/{path}",
            self.region, self.account
        ))
    }

    /// CreateEventBus.
    ///
    /// # Errors
    ///
    /// `ValidationException` for a bad name (or `default`), `ResourceAlreadyExistsException`.
    pub fn create_bus(&self, name: &str) -> Result<Str, EventsError> {
        // `/` is for partner event buses only ("Custom event bus names can't contain the /
        // character", CreateEventBus), which this server does not have.
        let ok = (1..=256).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            && name != "default";
        if !ok {
            return Err(EventsError::validation(format!(
                "Event bus name '{name}' is not valid: 1 to 256 of [.-_A-Za-z0-9], not 'default'"
            )));
        }
        let mut buses = write(&self.buses);
        if buses.contains_key(name) {
            return Err(EventsError::new(
                "ResourceAlreadyExistsException",
                format!("Event bus {name} already exists."),
            ));
        }
        let arn = self.bus_arn(name);
        buses.insert(Str::from(name), Bus::new(arn.clone()));
        Ok(arn)
    }

    /// DeleteEventBus. Deleting a bus that does not exist succeeds, as on AWS.
    ///
    /// # Errors
    ///
    /// `ValidationException` for `default` or a bus that still has rules.
    pub fn delete_bus(&self, name: &str) -> Result<(), EventsError> {
        if name == "default" {
            return Err(EventsError::validation("Cannot delete event bus default."));
        }
        let mut buses = write(&self.buses);
        if buses.get(name).is_some_and(|b| !b.rules.is_empty()) {
            return Err(EventsError::validation(format!(
                "Cannot delete event bus {name}: it still has rules."
            )));
        }
        buses.remove(name);
        Ok(())
    }

    /// The buses, by name, with their ARNs.
    pub fn list_buses(&self) -> Vec<(Str, Str)> {
        let mut v: Vec<(Str, Str)> = read(&self.buses)
            .iter()
            .map(|(n, b)| (n.clone(), b.arn.clone()))
            .collect();
        v.sort();
        v
    }

    /// PutRule: creates or replaces a rule (its targets stay).
    ///
    /// # Errors
    ///
    /// `ValidationException` (bad name, neither or a bad schedule, a schedule on a custom
    /// bus), `InvalidEventPatternException`, `ResourceNotFoundException` for an unknown bus,
    /// `LimitExceededException` past the rule quota ([`EventBridge::set_max_rules`]).
    pub fn put_rule(self: &Arc<Self>, spec: RuleSpec<'_>) -> Result<RuleInfo, EventsError> {
        if !valid_name(spec.name, 64) {
            return Err(EventsError::validation(format!(
                "1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
                spec.name
            )));
        }
        let bus = spec.bus.unwrap_or("default");
        if spec.pattern.is_none() && spec.schedule.is_none() {
            return Err(EventsError::validation(
                "Parameter(s) EventPattern or ScheduleExpression must be specified.",
            ));
        }
        if spec.schedule.is_some() && bus != "default" {
            return Err(EventsError::validation(
                "ScheduleExpression is supported only on the default event bus.",
            ));
        }
        let pattern = spec
            .pattern
            .map(Pattern::new)
            .transpose()
            .map_err(|e| EventsError::new(e.code(), e.message()))?;
        let schedule = spec
            .schedule
            .map(Schedule::parse)
            .transpose()
            .map_err(|e| EventsError::new(e.code(), e.message()))?
            .map(|s| s.anchored_at(crate::runtime::machine::wall_clock_ms()));
        // A schedule that can never fire again (February 30th, a past year) is refused with
        // AWS's words for a bad expression: a rule that silently never runs helps no one.
        if let Some(s) = &schedule {
            if s.next_after(crate::runtime::machine::wall_clock_ms())
                .is_none()
            {
                return Err(EventsError::validation(
                    "Parameter ScheduleExpression is not valid.",
                ));
            }
        }
        let info = RuleInfo {
            arn: self.rule_arn(bus, spec.name),
            name: Str::from(spec.name),
            bus: Str::from(bus),
            pattern: spec.pattern.map(Str::from),
            schedule: spec.schedule.map(Str::from),
            state: spec.state.unwrap_or(RuleState::Enabled),
            description: spec.description.map(Str::from),
            role_arn: spec.role_arn.map(Str::from),
        };
        let mut buses = write(&self.buses);
        let b = buses
            .get_mut(bus)
            .ok_or_else(|| EventsError::bus_missing(bus))?;
        let max = self.max_rules.load(Ordering::Relaxed);
        let targets = match b.rules.remove(spec.name) {
            Some(mut old) => std::mem::take(&mut old.targets),
            None if b.rules.len() >= max => {
                return Err(EventsError::new(
                    "LimitExceededException",
                    format!("The requested resource exceeds the maximum number allowed: {max} rules on event bus {bus}."),
                ))
            }
            None => Vec::new(),
        };
        let mut rule = Rule {
            info: info.clone(),
            pattern,
            schedule,
            targets,
            timer: None,
        };
        rule.timer = self.arm(&rule);
        b.rules.insert(info.name.clone(), rule);
        b.reindex();
        Ok(info)
    }

    /// DescribeRule.
    ///
    /// # Errors
    ///
    /// `ResourceNotFoundException`.
    pub fn describe_rule(&self, bus: Option<&str>, name: &str) -> Result<RuleInfo, EventsError> {
        self.with_rule(bus, name, |r| Ok(r.info.clone()))
    }

    /// ListRules of a bus, by name, optionally only those starting with `prefix`.
    ///
    /// # Errors
    ///
    /// `ResourceNotFoundException` for an unknown bus.
    pub fn list_rules(
        &self,
        bus: Option<&str>,
        prefix: &str,
    ) -> Result<Vec<RuleInfo>, EventsError> {
        let bus = bus.unwrap_or("default");
        let buses = read(&self.buses);
        let b = buses
            .get(bus)
            .ok_or_else(|| EventsError::bus_missing(bus))?;
        Ok(b.rules
            .values()
            .filter(|r| r.info.name.starts_with(prefix))
            .map(|r| r.info.clone())
            .collect())
    }

    /// DeleteRule. Deleting a rule that does not exist succeeds.
    ///
    /// # Errors
    ///
    /// `ValidationException` for a rule with targets unless `force`; `ResourceNotFoundException`
    /// for an unknown bus.
    pub fn delete_rule(
        &self,
        bus: Option<&str>,
        name: &str,
        force: bool,
    ) -> Result<(), EventsError> {
        let bus = bus.unwrap_or("default");
        let mut buses = write(&self.buses);
        let b = buses
            .get_mut(bus)
            .ok_or_else(|| EventsError::bus_missing(bus))?;
        if let Some(r) = b.rules.get(name) {
            if !r.targets.is_empty() && !force {
                return Err(EventsError::validation(
                    "Rule can't be deleted since it has targets.",
                ));
            }
            b.rules.remove(name);
            b.reindex();
        }
        Ok(())
    }

    /// EnableRule / DisableRule.
    ///
    /// # Errors
    ///
    /// `ResourceNotFoundException`.
    pub fn set_rule_state(
        self: &Arc<Self>,
        bus: Option<&str>,
        name: &str,
        state: RuleState,
    ) -> Result<(), EventsError> {
        self.with_rule_mut(bus, name, |b, name| {
            let Some(r) = b.rules.get_mut(name) else {
                return Ok(());
            };
            r.info.state = state;
            if let Some(t) = r.timer.take() {
                t.abort();
            }
            r.timer = self.arm(r);
            b.reindex();
            Ok(())
        })
    }

    /// PutTargets: adds or replaces targets by id. Returns the entries that failed, with
    /// their id, error code and message (the others are in place).
    ///
    /// # Errors
    ///
    /// `ResourceNotFoundException` for an unknown bus or rule; `LimitExceededException` past
    /// [`MAX_TARGETS`].
    pub fn put_targets(
        &self,
        bus: Option<&str>,
        rule: &str,
        targets: Vec<Result<TargetSpec, (Str, String)>>,
    ) -> Result<Vec<(Str, &'static str, String)>, EventsError> {
        self.with_rule_mut(bus, rule, |b, rule| {
            let Some(r) = b.rules.get_mut(rule) else {
                return Ok(Vec::new());
            };
            self.replace_targets(r, targets)
        })
    }

    /// PutTargets on one rule: all targets in place, or none past [`MAX_TARGETS`].
    fn replace_targets(
        &self,
        r: &mut Rule,
        targets: Vec<Result<TargetSpec, (Str, String)>>,
    ) -> Result<Vec<(Str, &'static str, String)>, EventsError> {
        let mut failed = Vec::new();
        let mut next = r.targets.clone();
        for t in targets {
            let spec = match t {
                Ok(s) => s,
                Err((id, why)) => {
                    failed.push((id, "ValidationException", why));
                    continue;
                }
            };
            if let Err(why) = self.check_target(&spec.arn) {
                failed.push((spec.id.clone(), "ValidationException", why));
                continue;
            }
            match next.iter_mut().find(|t| t.spec.id == spec.id) {
                Some(t) => t.spec = spec,
                None => next.push(Target { spec }),
            }
        }
        if next.len() > MAX_TARGETS {
            return Err(EventsError::new(
                "LimitExceededException",
                format!(
                    "The requested resource exceeds the maximum number allowed: {MAX_TARGETS} targets on rule {}.",
                    r.info.name
                ),
            ));
        }
        r.targets = next;
        Ok(failed)
    }

    /// RemoveTargets by id; ids that are not there are no error.
    ///
    /// # Errors
    ///
    /// `ResourceNotFoundException` for an unknown bus or rule.
    pub fn remove_targets(
        &self,
        bus: Option<&str>,
        rule: &str,
        ids: &[&str],
    ) -> Result<(), EventsError> {
        self.with_rule_mut(bus, rule, |b, rule| {
            if let Some(r) = b.rules.get_mut(rule) {
                r.targets.retain(|t| !ids.contains(&&*t.spec.id));
            }
            Ok(())
        })
    }

    /// ListTargetsByRule.
    ///
    /// # Errors
    ///
    /// `ResourceNotFoundException`.
    pub fn list_targets(
        &self,
        bus: Option<&str>,
        rule: &str,
    ) -> Result<Vec<TargetSpec>, EventsError> {
        self.with_rule(bus, rule, |r| {
            Ok(r.targets.iter().map(|t| t.spec.clone()).collect())
        })
    }

    /// Runs `f` on the bus of rule `name`, which exists (`f` finds it by name there).
    fn with_rule_mut<T>(
        &self,
        bus: Option<&str>,
        name: &str,
        f: impl FnOnce(&mut Bus, &str) -> Result<T, EventsError>,
    ) -> Result<T, EventsError> {
        let bus = bus.unwrap_or("default");
        let mut buses = write(&self.buses);
        let b = buses
            .get_mut(bus)
            .ok_or_else(|| EventsError::bus_missing(bus))?;
        if !b.rules.contains_key(name) {
            return Err(EventsError::rule_missing(name, bus));
        }
        f(b, name)
    }

    fn with_rule<T>(
        &self,
        bus: Option<&str>,
        name: &str,
        f: impl FnOnce(&Rule) -> Result<T, EventsError>,
    ) -> Result<T, EventsError> {
        let bus = bus.unwrap_or("default");
        let buses = read(&self.buses);
        let b = buses
            .get(bus)
            .ok_or_else(|| EventsError::bus_missing(bus))?;
        let r = b
            .rules
            .get(name)
            .ok_or_else(|| EventsError::rule_missing(name, bus))?;
        f(r)
    }

    /// A target must be a state machine of this engine (it may be created later: only the
    /// ARN's form is checked here; a start of a machine that does not exist fails then).
    fn check_target(&self, arn: &str) -> Result<(), String> {
        let prefix = format!(
            "arn:aws:states:{}:{}:stateMachine:",
            self.region, self.account
        );
        match arn.strip_prefix(&prefix) {
            Some(rest) if !rest.is_empty() => Ok(()),
            _ => Err(format!(
                "Target {arn} is not supported: targets are this server's state machines ({prefix}<name>)"
            )),
        }
    }
}

impl Bus {
    fn new(arn: Str) -> Bus {
        Bus {
            arn,
            rules: BTreeMap::new(),
            index: RuleIndex::new(),
        }
    }

    /// Rebuilds the index of enabled pattern rules (rule 3).
    fn reindex(&mut self) {
        let mut index = RuleIndex::new();
        for r in self.rules.values() {
            if let (Some(p), RuleState::Enabled) = (&r.pattern, r.info.state) {
                index.insert(r.info.name.clone(), p.clone());
            }
        }
        self.index = index;
    }
}
