//! EventBridge in front of the Engine: event buses, rules, targets, PutEvents and schedules.
//!
//! Events reach state machines the way EventBridge delivers them: a rule's event pattern
//! selects the events that start its targets, or its schedule fires them. This stage sits in
//! front of the engine: it decides *which* targets an event starts and with what input; the
//! engine starts the executions (the one door).
//!
//! - [`Pattern`]: one event pattern, checked as AWS checks it (`InvalidEventPatternException`
//!   with AWS's reason, [`PatternError`]) and compiled once; [`Pattern::matches`] tests one
//!   event.
//! - [`RuleIndex`]: many patterns, indexed so that matching an event costs in proportion to
//!   the fields it carries rather than to the number of rules.
//! - [`transform`]: a target's input (`Input`, `InputPath`, `InputTransformer`), compiled
//!   when the target is put. [`schedule`]: `rate()` and `cron()` expressions.
//! - [`EventBridge`]: buses, rules and targets over one [`Engine`](crate::engine::Engine);
//!   PutEvents matches and delivers at least once, schedules fire on time.
//!
//! ```
//! use aslx::events::{Pattern, RuleIndex};
//!
//! let p = Pattern::new(r#"{"detail-type": [{"prefix": "Order "}]}"#).unwrap();
//! let event = aslx::json!({"source": "shop", "detail-type": "Order Placed"});
//! assert!(p.matches(&event));
//!
//! let mut rules = RuleIndex::new();
//! rules.insert("orders", p);
//! rules.insert("other", Pattern::new(r#"{"source": ["billing"]}"#).unwrap());
//! assert_eq!(rules.matches(&event), vec!["orders"]);
//! ```
//!
//! # The pattern language
//!
//! - **Fields.** Nested pattern objects become dotted paths (`detail.state`); event objects are
//!   flattened the same way, so `{"a": {"b": ..}}` and `{"a.b": ..}` address the same field on
//!   either side (AWS's documented caveat). Arrays in the event are "crushed": every element
//!   is a value of the field that holds the array, and the fields of objects inside arrays keep
//!   their path (`employees.firstName`).
//! - **Values.** A field's pattern is an array of conditions, any of which may match any of
//!   the event's values at that path. Strings, booleans and `null` match exactly (a string
//!   that reads as an IP address matches the same address however it is written); numbers
//!   match numerically (`300` matches `300.0`), as 64-bit floats where AWS keeps six decimal
//!   places. `""` and `null` are different values.
//! - **Operators.** `prefix`, `suffix` (both also with `{"equals-ignore-case": ..}`),
//!   `equals-ignore-case`, `wildcard` (`*` any run of characters, `\*` and `\\` escapes),
//!   `anything-but` (a string, a number, a list of either, or `prefix`, `suffix`, `wildcard`,
//!   `equals-ignore-case` with a string or a list), `numeric` (`=`, `<`, `<=`, `>`, `>=`, and
//!   a lower bound with an upper one, between -5e9 and 5e9), `cidr` (IPv4 and IPv6), `exists`.
//!   `anything-but` needs the field to be present; `null` and non-string values are "anything
//!   but" a string. `exists` looks at leaves only: a field holding an object does not exist.
//! - **`$or`.** An array of two or more objects, each an alternative set of fields; the
//!   pattern is expanded into its alternatives (disjunctive normal form) at compile time.
//! - **Arrays of objects.** Fields matched inside objects of one event array must all come
//!   from the same element (AWS's "array-consistent" matching): `{"items": {"sku": ["a"],
//!   "qty": [1]}}` does not match an order whose first item is `a` and whose second has
//!   quantity 1.
//!
//! What AWS refuses, and the reason it gives, follows AWS's rule compiler (the open-source
//! `aws/event-ruler`, which EventBridge runs), checked against the recorded corpus
//! `../shared/eventbridge/cases` (`tests/eventbridge_patterns.rs`).
//!
//! # Many rules
//!
//! An event bus holds hundreds of rules, and nearly all of them say `"source": ["..."]` or
//! `"detail-type": ["..."]`: most rules cannot match a given event because one of their
//! exact values is not in it. [`RuleIndex`] exploits that.
//!
//! ## The scheme
//!
//! 1. Each alternative of each pattern is *keyed* by one of its fields whose conditions are
//!    all exact values (strings, numbers, booleans, `null`) or case-sensitive non-empty
//!    prefixes (no `exists`): under the (path, value) pair of each exact value, and the
//!    (path, first byte) pair of each prefix. The field chosen is the one whose buckets are
//!    emptiest when the rule is inserted, so rules sharing `"source": ["aws.ec2"]` but
//!    differing in `detail-type` spread over the `detail-type` buckets.
//! 2. An alternative with no such field (only ranges, `anything-but`, suffixes, `exists`, ...)
//!    is *unkeyed*.
//! 3. To match an event, it is flattened once into (path, value) leaves, and only where some
//!    rule reads: a subtree whose path is neither a rule's path nor a dotted prefix of one is
//!    skipped. Each leaf's pair is looked up (one hash of the path and value; for a string,
//!    also of its first byte when some rule is keyed by a prefix). The alternatives found
//!    there, plus the unkeyed ones, are the only candidates, and each is checked in full (all
//!    its fields, array consistency) against the flattened event. A rule matches when one of
//!    its alternatives does; each rule is reported once, in slot order.
//!
//! The cost of an event is therefore one flattening and one lookup per leaf (proportional to
//! the fields the event carries), plus a full check of the candidates its own values select
//! and of the unkeyed alternatives. Rules keyed on values the event does not carry cost
//! nothing. Keys are 64-bit hashes, so a collision can only add a candidate, which the full
//! check then rejects.
//!
//! The flattened event and the candidate lists live in thread-local buffers that are reset,
//! not rebuilt: matching allocates only the `Vec` of results (none with
//! [`RuleIndex::matches_into`] and a reused vector). `benches/events.rs` measures it
//! (BENCHMARKS.md, "EventBridge matching").

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
