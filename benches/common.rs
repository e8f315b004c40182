//! Shared bench fixtures: the machines of `../shared/bench/machines/` and their handlers.
#![allow(dead_code)]

use aslx::vm::{Execution, Step, TaskOutcome};
use aslx::{json, HandlerResult, Handlers, Machine, Outcome, TaskError, Value};
use std::path::PathBuf;

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

/// The bench handlers of `../shared/bench/README.md`: identity, add, fail.
pub fn handlers() -> Handlers {
    let mut h = Handlers::new();
    h.function("identity", Ok);
    h.function("add", |v: Value| {
        let a = v.get("a").and_then(Value::as_f64).unwrap_or(0.0);
        let b = v.get("b").and_then(Value::as_f64).unwrap_or(0.0);
        let sum = a + b;
        Ok(if sum.fract() == 0.0 && sum.abs() < 9e15 {
            json!({"sum": sum as i64})
        } else {
            json!({"sum": sum})
        })
    });
    h.function("fail", |_| {
        Err(TaskError::new("CustomError", "custom failure"))
    });
    h
}

/// Drives an execution whose handlers answer at once and which never sleeps.
pub fn run_inline(m: &Machine, exec: &mut Execution) -> Outcome {
    loop {
        match exec.step(0) {
            Step::Done(o) => return o,
            Step::Yield => {}
            Step::Fork => exec.run_fork_inline(),
            Step::Sleep { .. } => panic!("bench machines do not sleep"),
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
