//! EventBridge in front of the Engine: event buses, rules, targets, PutEvents and schedules.
//!
//! Events reach state machines the way EventBridge delivers them: a rule's event pattern
//! selects the events that start its targets, or its schedule fires them. This stage sits in
//! front of the engine: it decides *which* targets an event starts and with what input; the
//! engine starts the executions (the one door).
//!
//! - [`Pattern`]: one event pattern, checked as AWS checks it (`InvalidEventPatternException`
//!   with AWS's reason) and compiled once; [`Pattern::matches`] tests one event.
//! - [`RuleIndex`]: many patterns, indexed so that matching an event costs in proportion to
//!   the fields it carries rather than to the number of rules.
//! - [`transform`]: a target's input (`Input`, `InputPath`, `InputTransformer`), compiled
//!   when the target is put. [`schedule`]: `rate()` and `cron()` expressions.
//! - [`EventBridge`]: buses, rules and targets over one [`Engine`](crate::engine::Engine);
//!   PutEvents matches and delivers at least once, schedules fire on time.
//!
//! ```
//! use aslx::events::Pattern;
//!
//! let p = Pattern::new(r#"{"detail-type": [{"prefix": "Order "}]}"#).unwrap();
//! assert!(p.matches(&aslx::json!({"detail-type": "Order Placed"})));
//! ```

mod bus;
mod deliver;
mod error;
mod pattern;
mod pattern_flat;
mod pattern_index;
mod pattern_operators;
mod pattern_parse;
mod pattern_wildcard;
pub mod schedule;
pub mod transform;

pub use bus::{EventBridge, RuleInfo, RuleSpec, RuleState, TargetSpec, MAX_RULES, MAX_TARGETS};
pub use deliver::{test_event_pattern, EventEntry, EventStats, RetryPolicy};
pub use error::EventsError;
pub use pattern::{Pattern, PatternError};
pub use pattern_index::RuleIndex;
pub use transform::{InputSettings, InputTransformer, TargetInput};

// Rules are compiled once and shared by the threads that match events.
const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Pattern>();
    is_send_sync::<RuleIndex<std::sync::Arc<str>>>();
};

#[cfg(test)]
mod pattern_props;
#[cfg(test)]
mod pattern_tests;
