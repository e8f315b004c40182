//! EventBridge in front of the Engine: schedules and target input (rules and patterns join them).

pub mod schedule;
pub mod transform;
