//! Shared bench fixtures: the machines of `../shared/bench/machines/` and their handlers.
#![allow(dead_code)]

use aslx::vm::{Execution, Step, TaskOutcome};
use aslx::{HandlerResult, Machine, Outcome, Value};
use std::path::PathBuf;

#[path = "../load/handlers.rs"]
mod handlers;
/// The bench handlers of `../shared/bench/README.md`: identity, add, fail (shared with
/// `aslx-load`).
pub use handlers::handlers;

/// The shared bench machines, in the order of `../shared/bench/README.md`.
pub const MACHINES: [&str; 7] = [
    "pass1",
    "pipeline5",
    "choice_loop",
    "map10",
    "parallel3",
    "task3",
    "catch_fail",
];

pub fn machines_dir() -> PathBuf {
    std::env::var_os("ASLX_BENCH_MACHINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/machines")
        })
}

/// `(definition, input)` of a shared bench machine.
pub fn machine(name: &str) -> (String, Value) {
    let dir = machines_dir();
    let def = std::fs::read_to_string(dir.join(format!("{name}.asl.json"))).expect("definition");
    let input = std::fs::read_to_string(dir.join(format!("{name}.input.json"))).expect("input");
    (def, aslx::parse_json(&input).expect("input JSON"))
}

/// Drives an execution whose handlers answer at once and which never sleeps.
pub fn run_inline(m: &Machine, exec: &mut Execution) -> Outcome {
    loop {
        match exec.step(0) {
            Step::Done(o) => return o,
            Step::Yield => {}
            Step::Fork => exec.run_fork_inline(),
            Step::Sleep { .. } => panic!("bench machines do not sleep"),
            Step::MapIo(_) => panic!("bench machines do not read S3"),
            Step::Call(call) => {
                let outcome = match m.handler(&call.target).map(|h| h.call(call.input)) {
                    Some(HandlerResult::Ready(Ok(v))) => TaskOutcome::Ok(v),
                    Some(HandlerResult::Ready(Err(e))) => TaskOutcome::Err(e),
                    _ => panic!("bench handlers answer at once"),
                };
                exec.resume_task(outcome, 0);
            }
        }
    }
}
