//! The engine's JSON value: cheap to clone, copy-on-write.
//!
//! Every state hands its data to the next through InputPath, Parameters, ResultSelector,
//! ResultPath and OutputPath. Deep-copying the document at each of those steps would cost more
//! than everything else an execution does, so containers and strings sit behind `Arc`: a clone
//! is a reference-count bump, and a write (ResultPath merging a result into the input) copies
//! only the containers on the path it writes through (`Arc::make_mut`).
//!
//! Integers and floats stay apart ([`Value::Int`], [`Value::Float`]) so that `1` prints as `1`
//! and `1.0` as `1.0`, as AWS does (ASL DOC-4). Equality compares numbers by value.
//!
//! Objects keep insertion order (AWS echoes documents in the order it read them). Small objects
//! are a vector searched linearly; past `INDEX_THRESHOLD` (24) keys a hash index is added so
//! that a 100,000-key input neither parses nor looks up in quadratic time.

mod de;
mod map;
mod parse;
mod ser;
mod syntax;
mod to;
mod yaml;

pub use de::{from_value, ValueError};
pub use map::Map;
pub use parse::{
    parse_json, parse_json_bytes, parse_json_reporting_duplicates, JsonError, MAX_DEPTH,
};
pub use ser::{serialized_len_at_most, to_json_string, write_json, write_json_python};
pub use to::{to_value, MapSer, SeqSer, ValueSerializer, VariantMap, VariantSeq};
pub use yaml::{parse_yaml, YamlError};

use std::fmt;
use std::sync::Arc;

/// A shared, immutable string.
pub type Str = Arc<str>;

/// A JSON value.
///
/// Cloning is cheap: strings, arrays and objects are reference counted. Mutation goes through
/// [`Value::as_array_mut`] / [`Value::as_object_mut`], which copy a shared container first.
#[derive(Clone, Default)]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number written without fraction or exponent that fits in an `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    String(Str),
    /// An array.
    Array(Arc<Vec<Value>>),
    /// An object, in insertion order.
    Object(Arc<Map>),
}

const _: () = assert!(std::mem::size_of::<Value>() <= 24);
const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Value>();
};

impl Value {
    /// A string value.
    pub fn string(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    /// An empty object.
    pub fn empty_object() -> Value {
        Value::Object(Arc::new(Map::new()))
    }

    /// An array value from a vector.
    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    /// An object value from a map.
    pub fn object(map: Map) -> Value {
        Value::Object(Arc::new(map))
    }

    /// The JSON type name as AWS error messages spell it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// `true` for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The shared string, if this is one.
    pub fn as_shared_str(&self) -> Option<&Str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The number as `i64` when it is an integer value (`3` or `3.0`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
            _ => None,
        }
    }

    /// `true` for numbers.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_))
    }

    /// The array elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Mutable access to the array, copying it first if it is shared.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(Arc::make_mut(a)),
            _ => None,
        }
    }

    /// Mutable access to the object, copying it first if it is shared.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(o) => Some(Arc::make_mut(o)),
            _ => None,
        }
    }

    /// Member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        to_json_string(self)
    }

    /// Nesting depth: 0 for scalars, 1 for `[]` or `{}`, and so on.
    ///
    /// Iterative, so it is safe on any document.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack: Vec<(&Value, usize)> = vec![(self, 0)];
        while let Some((v, d)) = stack.pop() {
            match v {
                Value::Array(a) => {
                    max = max.max(d + 1);
                    stack.extend(a.iter().map(|c| (c, d + 1)));
                }
                Value::Object(o) => {
                    max = max.max(d + 1);
                    stack.extend(o.values().map(|c| (c, d + 1)));
                }
                _ => {}
            }
        }
        max
    }
}

impl PartialEq for Value {
    /// JSON equality: numbers by mathematical value, objects ignoring key order.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.as_f64() == other.as_f64()
            }
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => Arc::ptr_eq(a, b) || a[..] == b[..],
            (Value::Object(a), Value::Object(b)) => {
                Arc::ptr_eq(a, b)
                    || (a.len() == b.len()
                        && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w)))
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_json_string(self))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_json_string(self))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::array(v)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::object(m)
    }
}

impl std::str::FromStr for Value {
    type Err = JsonError;
    fn from_str(s: &str) -> Result<Value, JsonError> {
        parse_json(s)
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::string(s),
            serde_json::Value::Array(a) => Value::array(a.iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => {
                let mut m = Map::with_capacity(o.len());
                for (k, v) in o {
                    m.insert(Arc::from(k.as_str()), Value::from(v));
                }
                Value::object(m)
            }
        }
    }
}

impl From<&Value> for serde_json::Value {
    fn from(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Into::into).collect()),
            Value::Object(o) => serde_json::Value::Object(
                o.iter().map(|(k, v)| (k.to_string(), v.into())).collect(),
            ),
        }
    }
}

/// Builds a [`Value`] from JSON-like syntax, for tests and examples.
///
/// ```
/// let v = aslx::json!({"a": [1, 2.5, "x", null, true]});
/// assert_eq!(v.to_json(), r#"{"a":[1,2.5,"x",null,true]}"#);
/// ```
#[macro_export]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::Value::from(&::serde_json::json!($($t)+))
    };
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::String(v) => s.serialize_str(v),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a.iter() {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o.iter() {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Value::Int(1), Value::Float(1.0));
        assert_ne!(Value::Int(1), Value::Float(1.5));
    }

    #[test]
    fn objects_compare_without_order() {
        assert_eq!(json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1}));
        assert_ne!(json!({"a": 1}), json!({"a": 1, "b": 2}));
    }

    #[test]
    fn clone_then_write_leaves_original() {
        let a = json!({"x": {"y": 1}});
        let mut b = a.clone();
        b.as_object_mut().unwrap().insert("z".into(), Value::Int(2));
        assert_eq!(a.to_json(), r#"{"x":{"y":1}}"#);
        assert_eq!(b.to_json(), r#"{"x":{"y":1},"z":2}"#);
    }
}
