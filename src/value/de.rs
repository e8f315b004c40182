//! serde into and out of [`Value`] without text: [`from_value`] reads any `Deserialize` type
//! straight from a value (a Task's input into a handler's struct), and `Value` itself
//! implements `Deserialize`, so it can be read by any serde format or be a field of a
//! deserialized struct.
//!
//! Errors say where: [`ValueError::path`] is the JSONPath of the member that did not fit
//! (`$.items[2].qty`), and the message what was expected and what was found. Integral floats
//! (`3.0`, what arithmetic in a state machine can produce) are accepted for integer fields.

use super::{Map, Str, Value};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use std::fmt;
use std::sync::Arc;

/// Why a value did not convert to or from a Rust type ([`from_value`], [`to_value`]).
///
/// [`to_value`]: super::to_value
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// Innermost segment last.
    path: Vec<Segment>,
    message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(Str),
    Index(usize),
}

impl ValueError {
    /// The message, without the path (`invalid type: string "x", expected u32`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the value the error is, as a JSONPath (`$`, `$.order.items[2]`).
    pub fn path(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.path {
            match seg {
                Segment::Key(k) if is_plain_key(k) => {
                    s.push('.');
                    s.push_str(k);
                }
                Segment::Key(k) => {
                    s.push_str("['");
                    s.push_str(&k.replace('\'', "\\'"));
                    s.push_str("']");
                }
                Segment::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        s
    }

    #[cold]
    fn within(mut self, seg: Segment) -> ValueError {
        self.path.insert(0, seg);
        self
    }
}

fn is_plain_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at {}: {}", self.path(), self.message)
        }
    }
}

impl std::error::Error for ValueError {}

impl de::Error for ValueError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError {
            path: Vec::new(),
            message: msg.to_string(),
        }
    }
}

impl serde::ser::Error for ValueError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        <ValueError as de::Error>::custom(msg)
    }
}

/// Reads a `T` from `value`, without going through text.
///
/// # Errors
///
/// When `value` does not have `T`'s shape; the error names the member ([`ValueError::path`]).
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Line { sku: String, qty: u32 }
/// let line: Line = aslx::from_value(aslx::json!({"sku": "A-1", "qty": 2})).unwrap();
/// assert_eq!(line, Line { sku: "A-1".into(), qty: 2 });
///
/// let err = aslx::from_value::<Vec<Line>>(aslx::json!([{"sku": "A-1", "qty": "two"}])).unwrap_err();
/// assert_eq!(err.to_string(), r#"at $[0].qty: invalid type: string "two", expected u32"#);
/// ```
pub fn from_value<T: de::DeserializeOwned>(value: Value) -> Result<T, ValueError> {
    T::deserialize(value)
}

// ---------------------------------------------------------------------------------------------
// Value: Deserialize

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        // Past i64, a number is a float, as the parser reads it (big-int-as-float).
        Ok(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Value, E> {
        Ok(i64::try_from(i).map_or(Value::Float(i as f64), Value::Int))
    }
    fn visit_u128<E>(self, u: u128) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::string(s))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::from(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value()?;
            m.insert(Str::from(k), v);
        }
        Ok(Value::object(m))
    }
}

// ---------------------------------------------------------------------------------------------
// Value: Deserializer

impl IntoDeserializer<'_, ValueError> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

impl Value {
    #[cold]
    fn invalid(&self, exp: &dyn de::Expected) -> ValueError {
        let unexp = match self {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::String(s) => de::Unexpected::Str(s),
            Value::Array(_) => de::Unexpected::Seq,
            Value::Object(_) => de::Unexpected::Map,
        };
        de::Error::invalid_type(unexp, exp)
    }
}

/// An integer request: an integral float reads as the integer it holds.
macro_rules! integer {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
            match self {
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => v.visit_i64(f as i64),
                other => other.deserialize_any(v),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Value {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(b),
            Value::Int(i) => v.visit_i64(i),
            Value::Float(f) => v.visit_f64(f),
            Value::String(s) => v.visit_str(&s),
            Value::Array(a) => {
                let len = a.len();
                let mut seq = SeqDe {
                    items: unshare(a).into_iter(),
                    index: 0,
                };
                let out = v.visit_seq(&mut seq)?;
                match seq.items.len() {
                    0 => Ok(out),
                    _ => Err(de::Error::invalid_length(len, &"fewer elements in array")),
                }
            }
            Value::Object(o) => v.visit_map(MapDe {
                entries: unshare_map(o).into_iter(),
                pending: None,
            }),
        }
    }

    integer!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => v.visit_none(),
            other => v.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, ValueError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ValueError> {
        match self {
            Value::String(s) => v.visit_enum(EnumDe {
                variant: s,
                content: None,
            }),
            Value::Object(o) if o.len() == 1 => {
                let mut entries = unshare_map(o).into_iter();
                match entries.next() {
                    Some((k, c)) => v.visit_enum(EnumDe {
                        variant: k,
                        content: Some(c),
                    }),
                    None => Err(de::Error::custom("an enum object needs one key")),
                }
            }
            other => Err(other.invalid(&"a string or an object with one key (an enum)")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool f32 f64 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct
        map struct identifier
    }
}

/// The elements of a shared array: moved out when this is the only reference, cloned (cheap:
/// reference counts) otherwise.
fn unshare(a: Arc<Vec<Value>>) -> Vec<Value> {
    Arc::try_unwrap(a).unwrap_or_else(|a| (*a).clone())
}

fn unshare_map(o: Arc<Map>) -> Vec<(Str, Value)> {
    match Arc::try_unwrap(o) {
        Ok(m) => m.into_entries(),
        Err(o) => o.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

struct SeqDe {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for SeqDe {
    type Error = ValueError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let i = self.index;
        self.index += 1;
        seed.deserialize(item)
            .map(Some)
            .map_err(|e| e.within(Segment::Index(i)))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe {
    entries: std::vec::IntoIter<(Str, Value)>,
    pending: Option<(Str, Value)>,
}

impl<'de> MapAccess<'de> for MapDe {
    type Error = ValueError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        let Some((k, v)) = self.entries.next() else {
            return Ok(None);
        };
        let key = seed.deserialize(KeyDe(k.clone()))?;
        self.pending = Some((k, v));
        Ok(Some(key))
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        match self.pending.take() {
            Some((k, v)) => seed.deserialize(v).map_err(|e| e.within(Segment::Key(k))),
            None => Err(de::Error::custom(
                "a map value was asked for before its key",
            )),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An object key: a string, or a number or boolean spelled as one (`HashMap<u32, _>` keys).
struct KeyDe(Str);

impl<'de> Deserializer<'de> for KeyDe {
    type Error = ValueError;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        v.visit_str(&self.0)
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match &*self.0 {
            "true" => v.visit_bool(true),
            "false" => v.visit_bool(false),
            _ => v.visit_str(&self.0),
        }
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0.parse::<i64>() {
            Ok(i) => v.visit_i64(i),
            Err(_) => v.visit_str(&self.0),
        }
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0.parse::<u64>() {
            Ok(u) => v.visit_u64(u),
            Err(_) => v.visit_str(&self.0),
        }
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(v)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(v)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(v)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        self.deserialize_u64(v)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        self.deserialize_u64(v)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        self.deserialize_u64(v)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, ValueError> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ValueError> {
        v.visit_enum(EnumDe {
            variant: self.0,
            content: None,
        })
    }
    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct EnumDe {
    variant: Str,
    content: Option<Value>,
}

impl<'de> EnumAccess<'de> for EnumDe {
    type Error = ValueError;
    type Variant = VariantDe;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe), ValueError> {
        let v = seed.deserialize(KeyDe(self.variant.clone()))?;
        Ok((
            v,
            VariantDe {
                variant: self.variant,
                content: self.content,
            },
        ))
    }
}

struct VariantDe {
    variant: Str,
    content: Option<Value>,
}

impl VariantDe {
    fn content(self, what: &str) -> Result<Value, ValueError> {
        match self.content {
            Some(c) => Ok(c),
            None => Err(de::Error::custom(format!(
                "enum variant {:?} is {what}: it needs an object {{{:?}: ...}}",
                self.variant, self.variant
            ))),
        }
    }
}

impl<'de> VariantAccess<'de> for VariantDe {
    type Error = ValueError;
    fn unit_variant(self) -> Result<(), ValueError> {
        match self.content {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(other.invalid(&"a unit variant")),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        let key = Segment::Key(self.variant.clone());
        let c = self.content("a newtype variant")?;
        seed.deserialize(c).map_err(|e| e.within(key))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, ValueError> {
        let key = Segment::Key(self.variant.clone());
        let c = self.content("a tuple variant")?;
        Deserializer::deserialize_seq(c, v).map_err(|e| e.within(key))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ValueError> {
        let key = Segment::Key(self.variant.clone());
        let c = self.content("a struct variant")?;
        Deserializer::deserialize_map(c, v).map_err(|e| e.within(key))
    }
}
