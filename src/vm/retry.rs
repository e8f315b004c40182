//! Retry and Catch matching, and backoff arithmetic (RET-*, CAT-*, ERR-2, ERR-3).

use super::error::{ErrorClass, ExecError};
use crate::compile::program::{ErrorSet, Retrier};

/// Does `set` match `e`? Shared by retriers and catchers.
fn matches(set: &ErrorSet, e: &ExecError) -> bool {
    if e.class() == ErrorClass::Fatal {
        return false;
    }
    let name = e.error();
    if set.names.iter().any(|n| &**n == name) {
        return true;
    }
    // A heartbeat expiry is reported as `States.HeartbeatTimeout` ("A Task state failed to
    // send a heartbeat for a period longer than the HeartbeatSeconds value"), and AWS's error
    // table defines `States.Timeout` as covering it too: "A Task state either ran longer than
    // the TimeoutSeconds value, or failed to send a heartbeat for a period longer than the
    // HeartbeatSeconds value" (Step Functions developer guide, "Handling errors in Step
    // Functions workflows", Error names). So a retrier or catcher naming either matches it.
    if (set.heartbeat || set.timeout) && name == "States.HeartbeatTimeout" {
        return true;
    }
    // ERR-3: States.TaskFailed covers the task's own failures, but not its timeout.
    if set.task_failed
        && e.class() == ErrorClass::Task
        && !matches!(name, "States.Timeout" | "States.HeartbeatTimeout")
    {
        return true;
    }
    set.all
}

/// Whether a retrier applies to `e` (`States.Runtime` is never retried, RET-5).
pub(crate) fn retries(set: &ErrorSet, e: &ExecError) -> bool {
    matches(set, e)
}

/// Whether a catcher applies to `e`.
pub(crate) fn catches(set: &ErrorSet, e: &ExecError) -> bool {
    matches(set, e)
}

/// Delay before retry number `attempt` (1-based) of `r` (RET-3), in milliseconds.
pub(crate) fn backoff_ms(r: &Retrier, attempt: u32) -> u64 {
    let mut delay = r.interval_ms as f64 * r.backoff_rate.powi(attempt.saturating_sub(1) as i32);
    if let Some(max) = r.max_delay_ms {
        delay = delay.min(max as f64);
    }
    // Cap at the largest wait AWS could express, so the arithmetic never overflows.
    delay = delay.min(99_999_999_000.0);
    if r.full_jitter {
        delay *= rand::random::<f64>();
    }
    delay as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retrier(interval_ms: u64, rate: f64, max: Option<u64>) -> Retrier {
        Retrier {
            errors: ErrorSet::default(),
            interval_ms,
            max_attempts: 10,
            backoff_rate: rate,
            max_delay_ms: max,
            full_jitter: false,
        }
    }

    #[test]
    fn ret_3_backoff_grows_and_caps() {
        let r = retrier(1000, 2.0, None);
        assert_eq!(backoff_ms(&r, 1), 1000);
        assert_eq!(backoff_ms(&r, 2), 2000);
        assert_eq!(backoff_ms(&r, 4), 8000);
        let r = retrier(1000, 2.0, Some(3000));
        assert_eq!(backoff_ms(&r, 4), 3000);
        let r = retrier(3000, 1.0, None);
        assert_eq!(backoff_ms(&r, 5), 3000);
    }

    #[test]
    fn ret_3_full_jitter_stays_below_the_delay() {
        let mut r = retrier(1000, 2.0, None);
        r.full_jitter = true;
        for _ in 0..100 {
            assert!(backoff_ms(&r, 3) <= 4000);
        }
    }
}
