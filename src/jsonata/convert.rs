//! Crossing between the crate's [`Value`] and the engine's representations.
//!
//! - The input document is read by the engine lazily, one level at a time, straight from our
//!   `Value` ([`Root`] implements the engine's `Source`): nothing of it is copied that the
//!   expression does not reach, and an object field is found with our map's own lookup.
//! - Bindings (`$states`, workflow variables) cross as `serde_json` values, which is all the
//!   engine accepts for them; only the part the expression can read is converted
//!   ([`to_json_cut`] with the engine's read analysis), so `$states.input.id` copies one string
//!   whatever the size of the input.
//! - The result is built straight into our `Value` ([`ValueBuilder`]).
//!
//! PERF: conversions recurse through [`nested`], which grows the stack when little is left, so
//! a document nested 1,000 levels deep (the parser's limit) cannot overflow a small thread
//! stack.

use crate::value::{Map, Value};
use jlens_core::input::{Sink, Source};
use jlens_core::output::Builder;
use jlens_core::reads::Read;
use serde_json::Value as Json;
use std::sync::Arc;

/// The input document as the engine reads it: the only value of its level, or nothing.
pub(super) struct Root<'v>(pub Option<&'v Value>);

struct ArraySource<'v>(&'v [Value]);
struct ObjectSource<'v>(&'v Map);

fn write<'v>(value: &'v Value, sink: &mut Sink<'_, 'v>) {
    match value {
        Value::Null => sink.null(),
        Value::Bool(b) => sink.bool(*b),
        Value::Int(i) => sink.number(*i as f64),
        Value::Float(f) => sink.number(*f),
        Value::String(s) => sink.string(s),
        Value::Array(a) => sink.array(ArraySource(a)),
        Value::Object(o) => sink.object(ObjectSource(o)),
    }
}

impl<'v> Source<'v> for Root<'v> {
    fn read(&self, sink: &mut Sink<'_, 'v>) -> Result<(), String> {
        if let Some(v) = self.0 {
            write(v, sink);
        }
        Ok(())
    }
}

impl<'v> Source<'v> for ArraySource<'v> {
    fn read(&self, sink: &mut Sink<'_, 'v>) -> Result<(), String> {
        sink.reserve(self.0.len());
        for item in self.0 {
            write(item, sink);
        }
        Ok(())
    }

    fn length(&self) -> Option<usize> {
        Some(self.0.len())
    }

    fn read_item(&self, index: usize, sink: &mut Sink<'_, 'v>) -> Result<bool, String> {
        if let Some(item) = self.0.get(index) {
            write(item, sink);
        }
        Ok(true)
    }
}

impl<'v> Source<'v> for ObjectSource<'v> {
    fn read(&self, sink: &mut Sink<'_, 'v>) -> Result<(), String> {
        sink.reserve(self.0.len());
        for (k, v) in self.0.iter() {
            sink.key(k);
            write(v, sink);
        }
        Ok(())
    }

    fn read_field(&self, key: &str, sink: &mut Sink<'_, 'v>) -> Result<bool, String> {
        if let Some(v) = self.0.get(key) {
            write(v, sink);
        }
        Ok(true)
    }
}

/// Runs `f` at recursion depth `depth`, first growing the stack if little of it is left.
///
/// PERF: checks every 16 levels only: checking at each level (a thread-local read) cost more
/// than the rest of a scan over a 1,000-item document.
pub(super) fn nested<R>(depth: usize, f: impl FnOnce() -> R) -> R {
    if depth.is_multiple_of(16) {
        jlens_core::stack::grow(f)
    } else {
        f()
    }
}

fn number_to_json(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

/// `value` as JSON, keeping only what `read` says the expression can read (`None`: all of it).
pub(super) fn to_json_cut(value: &Value, read: Option<&Read>) -> Json {
    cut_at(value, read, 0)
}

fn cut_at(value: &Value, read: Option<&Read>, depth: usize) -> Json {
    nested(depth, || {
        let fields = read.and_then(Read::fields);
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::Number((*i).into()),
            Value::Float(f) => number_to_json(*f),
            Value::String(s) => Json::String(s.to_string()),
            Value::Array(a) => Json::Array(a.iter().map(|v| cut_at(v, read, depth + 1)).collect()),
            Value::Object(o) => Json::Object(match fields {
                None => o
                    .iter()
                    .map(|(k, v)| (k.to_string(), cut_at(v, None, depth + 1)))
                    .collect(),
                Some(fields) => fields
                    .iter()
                    .filter_map(|(k, r)| {
                        o.get(k).map(|v| (k.clone(), cut_at(v, Some(r), depth + 1)))
                    })
                    .collect(),
            }),
        }
    })
}

/// A number from the engine (always an `f64`, as in JavaScript) as our value: integral numbers
/// become [`Value::Int`], so that `2 * 1.5` prints `3` as JSONata does, not `3.0`.
pub(super) fn number(f: f64) -> Value {
    // 2^63: every integral f64 below it in magnitude is an exact i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && f.abs() < LIMIT {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

/// `serde_json` → our value (for host-function arguments and results).
pub(super) fn from_json(json: &Json) -> Value {
    from_json_at(json, 0)
}

fn from_json_at(json: &Json, depth: usize) -> Value {
    nested(depth, || match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::string(s),
        Json::Array(a) => Value::array(a.iter().map(|v| from_json_at(v, depth + 1)).collect()),
        Json::Object(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, v) in o {
                // A JSON object's keys are distinct.
                m.push_unique(Arc::from(k.as_str()), from_json_at(v, depth + 1));
            }
            Value::object(m)
        }
    })
}

/// Builds the engine's result as our [`Value`].
pub(super) struct ValueBuilder;

impl Builder for ValueBuilder {
    type Value = Value;
    type Array = Vec<Value>;
    type Object = Map;

    fn null(&mut self) -> Value {
        Value::Null
    }
    fn bool(&mut self, value: bool) -> Value {
        Value::Bool(value)
    }
    fn number(&mut self, value: f64) -> Value {
        number(value)
    }
    fn string(&mut self, value: &str) -> Value {
        Value::string(value)
    }
    fn array(&mut self, len: usize) -> Vec<Value> {
        Vec::with_capacity(len)
    }
    fn push(&mut self, array: &mut Vec<Value>, item: Value) {
        array.push(item);
    }
    fn end_array(&mut self, array: Vec<Value>) -> Value {
        Value::array(array)
    }
    fn object(&mut self, len: usize) -> Map {
        Map::with_capacity(len)
    }
    fn insert(&mut self, object: &mut Map, key: &str, value: Value) {
        // The engine gives distinct keys.
        object.push_unique(Arc::from(key), value);
    }
    fn end_object(&mut self, object: Map) -> Value {
        Value::object(object)
    }
}
