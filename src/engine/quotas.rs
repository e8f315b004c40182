//! Per-account quotas on what is stored: state machines, activities, and the bytes of their
//! definitions, so that a client cannot fill the server's memory with records.
//!
//! AWS's defaults (Step Functions service quotas, "Quotas related to accounts"): 100,000
//! registered state machines and 100,000 registered activities per account and region, past
//! which CreateStateMachine answers `StateMachineLimitExceeded` and CreateActivity
//! `ActivityLimitExceeded`. AWS has no quota on the sum of definition bytes (each definition
//! is at most 1 MB, the whole 100 GB); aslx keeps records in memory and adds one, with the
//! same error as the machine count. Versions count with their own definition when it is not
//! the machine's current one.

use super::error::{EngineError, ErrorKind};
use super::machines::Machines;
use std::sync::Arc;

/// AWS's default quota of registered state machines.
pub const DEFAULT_MAX_MACHINES: usize = 100_000;
/// AWS's default quota of registered activities.
pub const DEFAULT_MAX_ACTIVITIES: usize = 100_000;
/// aslx's default quota of definition bytes held by machines and versions.
pub const DEFAULT_MAX_DEFINITION_BYTES: usize = 512 << 20;

/// Quotas of an engine; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// State machines at most.
    pub max_machines: usize,
    /// Activities at most.
    pub max_activities: usize,
    /// Bytes of definitions held at most.
    pub max_definition_bytes: usize,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            max_machines: DEFAULT_MAX_MACHINES,
            max_activities: DEFAULT_MAX_ACTIVITIES,
            max_definition_bytes: DEFAULT_MAX_DEFINITION_BYTES,
        }
    }
}

/// Bytes of the definitions `machines` hold: each current definition, and each version's
/// when it is not the current one.
fn definition_bytes(machines: &Machines) -> usize {
    machines
        .values()
        .map(|e| {
            let current = &e.current.info.definition;
            let versions: usize = e
                .versions
                .values()
                .map(|v| &v.info.definition)
                .filter(|d| !Arc::ptr_eq(d, current))
                .map(|d| d.len())
                .sum();
            current.len() + versions
        })
        .sum()
}

impl Quotas {
    /// Whether one more machine (`new_machine`) and `added` definition bytes fit.
    ///
    /// # Errors
    ///
    /// `StateMachineLimitExceeded`.
    pub(super) fn check_machines(
        &self,
        machines: &Machines,
        new_machine: bool,
        added: usize,
    ) -> Result<(), EngineError> {
        if new_machine && machines.len() >= self.max_machines {
            return Err(EngineError::new(
                ErrorKind::StateMachineLimitExceeded,
                format!(
                    "The maximum number of state machines ({}) has been reached. Existing state machines must be deleted before a new state machine can be created.",
                    self.max_machines
                ),
            ));
        }
        let held = definition_bytes(machines);
        if held.saturating_add(added) > self.max_definition_bytes {
            return Err(EngineError::new(
                ErrorKind::StateMachineLimitExceeded,
                format!(
                    "The state machines' definitions hold {held} bytes: {added} more would pass the quota of {} bytes. Existing state machines or versions must be deleted first.",
                    self.max_definition_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Whether one more activity fits beside `count`.
    ///
    /// # Errors
    ///
    /// `ActivityLimitExceeded`.
    pub(super) fn check_activities(&self, count: usize) -> Result<(), EngineError> {
        if count >= self.max_activities {
            return Err(EngineError::new(
                ErrorKind::ActivityLimitExceeded,
                format!(
                    "The maximum number of activities ({}) has been reached. Existing activities must be deleted before a new activity can be created.",
                    self.max_activities
                ),
            ));
        }
        Ok(())
    }
}
