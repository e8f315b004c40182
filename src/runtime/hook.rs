//! Answering a Task from elsewhere than its handler: mock test cases (Step Functions Local's
//! `SFN_MOCK_CONFIG`), TestState's mocked results, tests that script a Task's answers.
//!
//! A hook belongs to one execution (`StartRequest::task_hook`) and is consulted by the one
//! driver before it calls a handler, for every Task call of the execution: its own, and those
//! of its Parallel branches and Map iterations, wherever they run. What the hook answers is
//! the Task's whole result ([`TaskOutcome::Whole`]: no `lambda:invoke` envelope is added) or
//! its failure; `None` lets the handler (or the task token, or the activity) answer as usual.

use crate::vm::{TaskCall, TaskOutcome};

/// Answers Task calls of one execution before their handlers do. See the module docs.
///
/// ```
/// use aslx::engine::TaskHook;
/// use aslx::vm::{TaskCall, TaskOutcome};
/// use aslx::json;
///
/// /// Every call of the state `Charge` answers `{"charged": true}`.
/// #[derive(Debug)]
/// struct ChargeOk;
/// impl TaskHook for ChargeOk {
///     fn answer(&self, state: &str, _call: &TaskCall) -> Option<TaskOutcome> {
///         (state == "Charge").then(|| TaskOutcome::Whole(json!({"charged": true})))
///     }
/// }
/// # let _ = ChargeOk;
/// ```
pub trait TaskHook: Send + Sync + std::fmt::Debug {
    /// The answer to `call`, made by the Task state named `state`; `None` to let the
    /// handler answer. Called on the worker thread driving the execution: answer at once.
    fn answer(&self, state: &str, call: &TaskCall) -> Option<TaskOutcome>;
}
