//! Lanes: the lines of execution whose events a story records, and how they chain.
//!
//! One [`Lane`] ([`Observer`]) for the execution and one for each Parallel branch and Map
//! iteration, made when it starts ([`Observer::child`]). What the story must know of a lane
//! beyond its own events, its [`LaneState`], lives in the story under its lock: the event
//! its next one follows (`previousEventId`), the state it is in, and the branches or
//! iterations it runs. Three parties act on it: the lane itself; its parent, which cuts it
//! when the Parallel or Map fails; and a worker taking its activity task (GetActivityTask),
//! which records the Task's `ActivityStarted`.
//!
//! What runs when it is cut, or when the execution is stopped or times out, is aborted:
//!
//! - a Map iteration records `MapIterationAborted` (its Map's name and its index);
//! - the state it is in records `<Type>StateAborted` ([`aborted_event`]);
//! - then, inside that state, its own branches and iterations, in the order they started;
//!
//! each following the event that ended them (the failing child's last event, or the
//! execution's last). What AWS records for a Map iteration that fails while others run was
//! measured (floci-io/floci, `StepFunctionsMapIterationFailureIntegrationTest`, ap-northeast-1):
//! `MapIterationAborted` then `WaitStateAborted` for the iteration cut in its Wait, both
//! following the failing iteration's `FailStateEntered`, then `MapIterationFailed` and
//! `MapStateFailed`. For the branches of a failing Parallel no recording or document says
//! what AWS records; they are treated as Map iterations are (the state each is in records
//! `<Type>StateAborted`), as AWS has no branch-level event. The order for a stopped
//! execution (the open state's aborted event before what runs inside it) follows the same
//! measurement, outer before inner; it is not measured itself.

use super::details::{describe, Described};
use super::{Inner, Story};
use crate::engine::log::{LogLevel, LogRecord};
use crate::runtime::sync::lock;
use crate::value::{Map, Str, Value};
use crate::vm::{Event, Handout, Observer, Submission};
use std::collections::BTreeSet;
use std::sync::Arc;

/// What the story knows of a running lane (see the module docs).
#[derive(Default)]
pub(super) struct LaneState {
    /// The lane it is a branch or iteration of; `None` for the execution's own.
    parent: Option<u32>,
    /// A Map iteration's index.
    index: Option<usize>,
    /// Its last event: the next one follows it.
    last: u32,
    /// Type of the state entered and not yet exited (`Task`, `Wait`, `Map`, ...).
    open: Option<&'static str>,
    /// Its branches and iterations running now, oldest first.
    children: BTreeSet<u32>,
    /// The name of the Map state it runs iterations of (for their `MapIterationAborted`).
    map: Option<Str>,
    /// The index of the iteration started last: the next child made is that iteration.
    next_index: Option<usize>,
    /// An activity Task waits for a worker: its `ActivityStarted` comes at hand-out.
    awaiting_worker: bool,
}

/// The event that records a stop in a state of `state_type`, for the execution's own
/// state (`top`) or one inside a branch or iteration.
///
/// A Wait of the execution's own records none: AWS's history of an execution stopped or
/// timed out in a Wait goes from `WaitStateEntered` to `ExecutionAborted` /
/// `ExecutionTimedOut` (measured against AWS: floci-io/floci issue #2965, `ExecutionAborted`
/// is event 3 after a `StopExecution`; `StepFunctionsTimeoutSecondsIntegrationTest`,
/// `ExecutionStarted, WaitStateEntered, ExecutionTimedOut`). A Wait cut inside a Map
/// iteration records `WaitStateAborted` (measured: see the module docs).
pub(super) fn aborted_event(state_type: &str, top: bool) -> Option<&'static str> {
    match state_type {
        "Task" => Some("TaskStateAborted"),
        "Map" => Some("MapStateAborted"),
        "Parallel" => Some("ParallelStateAborted"),
        "Wait" if !top => Some("WaitStateAborted"),
        _ => None,
    }
}

impl Story {
    /// Records what the VM reported on lane `lane`; returns its id (0 when not recorded:
    /// the lane was cut, or the story ended). `advances`: later events of the lane follow
    /// this one.
    fn record_vm(&self, lane: u32, top: bool, advances: bool, event: Event<'_>) -> u32 {
        // What the lane's state learns from the event.
        let update = match &event {
            Event::StateEntered { state_type, .. } => Update::Enter(state_type),
            Event::StateExited { .. } => Update::Exit,
            Event::ForkStarted { .. } => Update::Fork,
            Event::IterationStarted { state, index } => Update::Iteration(state, *index),
            Event::TaskSucceeded { .. } | Event::TaskFailed { .. } | Event::TaskTimedOut { .. } => {
                Update::TaskEnded
            }
            _ => Update::None,
        };
        let (keep, log_all) = self.wants(LogLevel::All);
        let (_, log_error) = self.wants(LogLevel::Error);
        let build = keep || log_all || log_error;
        let Some(Described {
            event_type,
            details,
            level,
        }) = describe(event, build, self.with_data(), &self.region)
        else {
            return 0;
        };
        let mut i = lock(&self.inner);
        let Some(l) = i.lanes.get_mut(&lane) else {
            return 0;
        };
        // The first state entered follows ExecutionStarted with previous id 0, as AWS records.
        let previous = if l.last <= 1 { 0 } else { l.last };
        match update {
            Update::Enter(t) => l.open = Some(t),
            Update::Exit => l.open = None,
            Update::Fork => l.next_index = None,
            Update::Iteration(name, index) => {
                if l.map.as_deref() != Some(name) {
                    l.map = Some(Str::from(name));
                }
                l.next_index = Some(index);
            }
            Update::TaskEnded => l.awaiting_worker = false,
            Update::None => {}
        }
        let (id, logged) = self.record_locked(
            &mut i,
            Some(previous),
            top && advances,
            event_type,
            details,
            level,
        );
        if let (Some(l), true) = (i.lanes.get_mut(&lane), id != 0 && advances) {
            l.last = id;
        }
        drop(i);
        self.emit(logged);
        id
    }

    /// A worker (named `worker`, if it said) took the activity task lane `lane` waits for:
    /// `ActivityStarted`, unless the Task ended or was cut meanwhile.
    fn activity_started(&self, lane: u32, worker: Option<&str>) {
        let mut i = lock(&self.inner);
        let Some(l) = i.lanes.get_mut(&lane).filter(|l| l.awaiting_worker) else {
            return;
        };
        l.awaiting_worker = false;
        let (previous, top) = (l.last, l.parent.is_none());
        let mut d = Map::with_capacity(1);
        if let Some(w) = worker {
            d.insert("workerName".into(), Value::string(w));
        }
        let (id, logged) = self.record_locked(
            &mut i,
            Some(previous),
            top,
            "ActivityStarted",
            d,
            LogLevel::All,
        );
        if let (Some(l), true) = (i.lanes.get_mut(&lane), id != 0) {
            l.last = id;
        }
        drop(i);
        self.emit(logged);
    }

    /// Lane `lane`'s Parallel or Map failed: the branches or iterations it still runs are
    /// aborted, following its last event (the failing child's).
    fn abort_children(&self, lane: u32) {
        let mut i = lock(&self.inner);
        let Some(l) = i.lanes.get_mut(&lane) else {
            return;
        };
        let previous = l.last;
        let children = std::mem::take(&mut l.children);
        let map = l.map.clone();
        let mut logged = Vec::new();
        for c in children {
            self.abort_lane(&mut i, c, previous, map.as_ref(), &mut logged);
        }
        drop(i);
        for r in logged {
            self.emit(Some(r));
        }
    }

    /// The execution is stopped or timed out: the state it is in, and what runs inside it,
    /// are aborted (before its terminal event, which the caller records).
    pub(super) fn abort_running(&self, i: &mut Inner, logged: &mut Vec<LogRecord>) {
        let Some(root) = i.root.and_then(|r| i.lanes.remove(&r)) else {
            return;
        };
        let previous = i.last_top;
        if let Some(t) = root.open.and_then(|t| aborted_event(t, true)) {
            let (_, r) = self.record_locked(i, None, false, t, Map::new(), LogLevel::Error);
            logged.extend(r);
        }
        for c in root.children {
            self.abort_lane(i, c, previous, root.map.as_ref(), logged);
        }
    }

    /// Aborts lane `lane` (a child of a Map named `map`, or of a Parallel): see the module
    /// docs. It is forgotten: what it reports later is not recorded.
    fn abort_lane(
        &self,
        i: &mut Inner,
        lane: u32,
        previous: u32,
        map: Option<&Str>,
        logged: &mut Vec<LogRecord>,
    ) {
        let Some(l) = i.lanes.remove(&lane) else {
            return;
        };
        if let (Some(index), Some(name)) = (l.index, map) {
            let mut d = Map::with_capacity(2);
            d.insert("name".into(), Value::String(name.clone()));
            d.insert("index".into(), Value::Int(index as i64));
            let (_, r) = self.record_locked(
                i,
                Some(previous),
                false,
                "MapIterationAborted",
                d,
                LogLevel::Error,
            );
            logged.extend(r);
        }
        if let Some(t) = l.open.and_then(|t| aborted_event(t, false)) {
            let (_, r) =
                self.record_locked(i, Some(previous), false, t, Map::new(), LogLevel::Error);
            logged.extend(r);
        }
        for c in l.children {
            self.abort_lane(i, c, previous, l.map.as_ref(), logged);
        }
    }
}

/// What an event tells the lane's state.
enum Update<'a> {
    None,
    Enter(&'static str),
    Exit,
    /// A Parallel or Map state starts its branches or iterations.
    Fork,
    /// A Map iteration started: the Map's name, the iteration's index.
    Iteration(&'a str, usize),
    /// A Task's call ended (succeeded, failed, timed out).
    TaskEnded,
}

/// A line of execution: the execution itself, or one branch or iteration.
pub(super) struct Lane {
    story: Arc<Story>,
    /// Its state's key in the story.
    id: u32,
    /// The execution's own lane.
    top: bool,
    /// The `ParallelStateStarted` this lane recorded last: each branch follows it.
    parallel_started: u32,
}

impl Lane {
    /// The execution's own lane, whose state the story keeps under `id`.
    pub(super) fn root(story: Arc<Story>, id: u32) -> Lane {
        Lane {
            story,
            id,
            top: true,
            parallel_started: 0,
        }
    }
}

impl Observer for Lane {
    fn event(&mut self, _vm_id: u32, event: Event<'_>) {
        if let Event::ChildrenAborted { .. } = event {
            self.story.abort_children(self.id);
            return;
        }
        // AWS chains `MapStateSucceeded`, `ParallelStateSucceeded` and `MapIterationFailed`
        // to the event before them, but the next event to the one before them too: they do
        // not advance their line.
        let advances = !matches!(
            event,
            Event::ForkEnded {
                succeeded: true,
                ..
            } | Event::IterationEnded {
                succeeded: false,
                ..
            }
        );
        let parallel = matches!(event, Event::ForkStarted { map: false, .. });
        let map = matches!(event, Event::ForkStarted { map: true, .. });
        let id = self.story.record_vm(self.id, self.top, advances, event);
        if parallel {
            self.parallel_started = id;
        } else if map {
            self.parallel_started = 0;
        }
    }

    /// A Map iteration follows its `MapIterationStarted` (this lane's last event); a Parallel
    /// branch follows `ParallelStateStarted`. `None` once this lane was cut: its children
    /// are not recorded either.
    fn child(&self) -> Option<Box<dyn Observer>> {
        let mut i = lock(&self.story.inner);
        let parent = i.lanes.get_mut(&self.id)?;
        let last = match self.parallel_started {
            0 => parent.last,
            started => started,
        };
        let index = parent.next_index.take();
        let id = i.new_lane(LaneState {
            parent: Some(self.id),
            index,
            last,
            ..LaneState::default()
        });
        if let Some(parent) = i.lanes.get_mut(&self.id) {
            parent.children.insert(id);
        }
        drop(i);
        Some(Box::new(Lane {
            story: Arc::clone(&self.story),
            id,
            top: false,
            parallel_started: 0,
        }))
    }

    fn last_event(&self) -> u32 {
        lock(&self.story.inner)
            .lanes
            .get(&self.id)
            .map_or(0, |l| l.last)
    }

    fn follow(&mut self, last: u32) {
        let mut i = lock(&self.story.inner);
        if let Some(l) = i.lanes.get_mut(&self.id) {
            l.last = last;
        }
        if self.top {
            i.last_top = last;
        }
    }

    /// No longer one of its parent's running children: nothing aborts it now.
    fn ended(&self) {
        let mut i = lock(&self.story.inner);
        let Some(parent) = i.lanes.get(&self.id).and_then(|l| l.parent) else {
            return;
        };
        if let Some(p) = i.lanes.get_mut(&parent) {
            p.children.remove(&self.id);
        }
    }

    /// `ActivityStarted` is recorded when a worker takes the task
    /// ([`Engine::get_activity_task`](crate::engine::Engine::get_activity_task)).
    fn defer_task_started(&mut self) -> Option<Handout> {
        let mut i = lock(&self.story.inner);
        i.lanes.get_mut(&self.id)?.awaiting_worker = true;
        drop(i);
        let (story, lane) = (Arc::clone(&self.story), self.id);
        Some(Handout::new(move |worker| {
            story.activity_started(lane, worker)
        }))
    }

    /// `TaskSubmitted` is recorded when the job was started, with the start response
    /// ([`HandlerResult::Submitted`](crate::runtime::HandlerResult::Submitted)).
    fn defer_task_submitted(&mut self, resource: &str) -> Option<Submission> {
        let (story, lane, top) = (Arc::clone(&self.story), self.id, self.top);
        let resource = Str::from(resource);
        Some(Submission::new(move |output| {
            let resource = &resource;
            story.record_vm(lane, top, true, Event::TaskSubmitted { resource, output });
        }))
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        let mut i = lock(&self.story.inner);
        let Some(l) = i.lanes.remove(&self.id) else {
            return;
        };
        if let Some(p) = l.parent.and_then(|p| i.lanes.get_mut(&p)) {
            p.children.remove(&self.id);
        }
    }
}
