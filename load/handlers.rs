//! The bench handlers of `../shared/bench/README.md`, bound to Task resources by Lambda
//! function name: `identity`, `add` and `fail`.
//!
//! Shared by the load generator and the criterion benches (`#[path]`-included by both), so
//! that both drive the same work.

use aslx::{Handlers, Map, TaskError, Value};

/// `identity` returns its input; `add` returns `{"sum": a + b}`; `fail` fails with
/// `CustomError` / `custom failure`.
pub fn handlers() -> Handlers {
    let mut h = Handlers::new();
    h.function("identity", Ok);
    h.function("add", add);
    h.function("fail", |_| {
        Err(TaskError::new("CustomError", "custom failure"))
    });
    h
}

/// `{"sum": a + b}`, an integer when both are integers (as a Lambda in JavaScript or Python
/// would print it). Built directly as a [`Value`]: one object, one key.
fn add(v: Value) -> Result<Value, TaskError> {
    let int = |k| v.get(k).and_then(Value::as_i64);
    let sum = match (int("a"), int("b")) {
        (Some(a), Some(b)) if a.checked_add(b).is_some() => Value::Int(a + b),
        _ => {
            let num = |k| v.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            Value::Float(num("a") + num("b"))
        }
    };
    let mut m = Map::with_capacity(1);
    m.insert("sum".into(), sum);
    Ok(Value::object(m))
}
