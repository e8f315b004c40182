//! Any `Serialize` type into a [`Value`], without text ([`to_value`]): integers stay
//! [`Value::Int`], struct fields and map entries keep their order.

use super::de::ValueError;
use super::{Map, Str, Value};
use serde::ser::{self, Serialize};

/// Turns `value` into a [`Value`], without going through text.
///
/// Integers stay integers (`u64` past `i64::MAX` becomes a float, as the JSON parser reads
/// such numbers), struct fields and map entries keep their order, enums are externally tagged
/// (`"Unit"`, `{"Variant": ...}`) as with serde_json, and map keys that are numbers or
/// booleans are spelled as strings.
///
/// # Errors
///
/// A map key that is neither a string, a number, a boolean nor a unit variant; an error the
/// type's own `Serialize` reports.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Receipt { id: u64, total: f64, lines: Vec<&'static str> }
/// let v = aslx::to_value(&Receipt { id: 7, total: 12.5, lines: vec!["A-1"] }).unwrap();
/// assert_eq!(v.to_json(), r#"{"id":7,"total":12.5,"lines":["A-1"]}"#);
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
    value.serialize(ValueSerializer)
}

/// A serde `Serializer` whose output is a [`Value`]: what [`to_value`] uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct ValueSerializer;

fn int(n: impl Into<i64>) -> Value {
    Value::Int(n.into())
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = VariantSeq;
    type SerializeMap = MapSer;
    type SerializeStruct = MapSer;
    type SerializeStructVariant = VariantMap;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(int(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(int(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(int(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(int(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(int(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(int(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::string(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::array(
            v.iter().map(|b| Value::Int(*b as i64)).collect(),
        ))
    }
    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, ValueError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::string(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<Value, ValueError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value, ValueError> {
        Ok(tagged(variant, v.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, ValueError> {
        Ok(SeqSer(Vec::with_capacity(len.unwrap_or(0).min(4096))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqSer, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSeq, ValueError> {
        Ok(VariantSeq(variant, self.serialize_seq(Some(len))?))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSer, ValueError> {
        Ok(MapSer {
            map: Map::with_capacity(len.unwrap_or(0).min(4096)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapSer, ValueError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantMap, ValueError> {
        Ok(VariantMap(variant, self.serialize_map(Some(len))?))
    }
}

fn tagged(variant: &str, content: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.push_unique(Str::from(variant), content);
    Value::object(m)
}

/// An array under construction.
#[derive(Debug)]
pub struct SeqSer(Vec<Value>);

impl ser::SerializeSeq for SeqSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.0.push(v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::array(self.0))
    }
}

impl ser::SerializeTuple for SeqSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

/// A tuple variant under construction.
#[derive(Debug)]
pub struct VariantSeq(&'static str, SeqSer);

impl ser::SerializeTupleVariant for VariantSeq {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(&mut self.1, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(tagged(self.0, ser::SerializeSeq::end(self.1)?))
    }
}

/// An object under construction.
#[derive(Debug)]
pub struct MapSer {
    map: Map,
    key: Option<Str>,
}

impl ser::SerializeMap for MapSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.key = Some(match key.serialize(ValueSerializer)? {
            Value::String(s) => s,
            Value::Int(i) => Str::from(i.to_string()),
            Value::Bool(b) => Str::from(b.to_string()),
            Value::Float(f) if f.is_finite() => Str::from(Value::Float(f).to_json()),
            other => {
                return Err(ser::Error::custom(format!(
                    "a map key must be a string, a number or a boolean, not {}",
                    other.type_name()
                )))
            }
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        let Some(key) = self.key.take() else {
            return Err(ser::Error::custom("a map value was given before its key"));
        };
        self.map.insert(key, v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::object(self.map))
    }
}

impl ser::SerializeStruct for MapSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), ValueError> {
        // Field names are unique: no lookup.
        self.map
            .push_unique(Str::from(key), v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::object(self.map))
    }
}

/// A struct variant under construction.
#[derive(Debug)]
pub struct VariantMap(&'static str, MapSer);

impl ser::SerializeStructVariant for VariantMap {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), ValueError> {
        ser::SerializeStruct::serialize_field(&mut self.1, key, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(tagged(self.0, ser::SerializeStruct::end(self.1)?))
    }
}
