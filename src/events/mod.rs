//! EventBridge: event patterns, and (with the rest of issue 15) rules, targets and schedules.
//!
//! Events reach state machines the way EventBridge delivers them: a rule's event pattern
//! selects the events that start its targets. This stage sits beside the engine: it decides
//! *which* rules an event matches; the engine starts the executions.
//!
//! - [`Pattern`]: one event pattern, checked as AWS checks it (`InvalidEventPatternException`
//!   with AWS's reason) and compiled once; [`Pattern::matches`] tests one event.
//! - [`RuleIndex`]: many patterns, indexed so that matching an event costs in proportion to
//!   the fields it carries rather than to the number of rules.
//!
//! ```
//! use aslx::events::Pattern;
//!
//! let p = Pattern::new(r#"{"detail-type": [{"prefix": "Order "}]}"#).unwrap();
//! assert!(p.matches(&aslx::json!({"detail-type": "Order Placed"})));
//! ```

mod pattern;
mod pattern_flat;
mod pattern_index;
mod pattern_parse;
mod pattern_wildcard;

pub use pattern::{Pattern, PatternError};
pub use pattern_index::RuleIndex;

#[cfg(test)]
mod pattern_props;
#[cfg(test)]
mod pattern_tests;
