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

/// [`handlers`] as typed functions (`Handlers::typed`): `identity` takes and returns a
/// `Value` (read and rebuilt through serde), `add` reads `{a, b}` into a struct and returns
/// `{"sum": ...}` from one. What a typed handler costs against a `Value` handler
/// (`aslx-load --typed-handlers`, task3 under load/callgrind.sh).
#[allow(dead_code)] // the criterion benches include this file for `handlers` only
pub fn typed_handlers() -> Handlers {
    // What `#[derive(Deserialize, Serialize)]` generates, written out: the load generator is a
    // binary of the package, which cannot use the derive (a dev-dependency feature).
    struct Operands {
        a: i64,
        b: i64,
    }
    impl<'de> serde::Deserialize<'de> for Operands {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Operands;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("struct Operands")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Operands, A::Error> {
                    let (mut a, mut b) = (None, None);
                    while let Some(k) = m.next_key::<Field>()? {
                        match k {
                            Field::A => a = Some(m.next_value()?),
                            Field::B => b = Some(m.next_value()?),
                            Field::Other => {
                                m.next_value::<serde::de::IgnoredAny>()?;
                            }
                        }
                    }
                    let a = a.ok_or_else(|| serde::de::Error::missing_field("a"))?;
                    let b = b.ok_or_else(|| serde::de::Error::missing_field("b"))?;
                    Ok(Operands { a, b })
                }
            }
            d.deserialize_struct("Operands", &["a", "b"], V)
        }
    }
    enum Field {
        A,
        B,
        Other,
    }
    impl<'de> serde::Deserialize<'de> for Field {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = Field;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a field name")
                }
                fn visit_str<E>(self, k: &str) -> Result<Field, E> {
                    Ok(match k {
                        "a" => Field::A,
                        "b" => Field::B,
                        _ => Field::Other,
                    })
                }
            }
            d.deserialize_identifier(V)
        }
    }
    struct Sum {
        sum: i64,
    }
    impl serde::Serialize for Sum {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let mut st = s.serialize_struct("Sum", 1)?;
            st.serialize_field("sum", &self.sum)?;
            st.end()
        }
    }
    let mut h = Handlers::new();
    h.typed("identity", |v: Value| Ok::<_, TaskError>(v));
    h.typed("add", |o: Operands| {
        Ok::<_, TaskError>(Sum {
            sum: o.a.wrapping_add(o.b),
        })
    });
    h.typed("fail", |_: Value| -> Result<Value, TaskError> {
        Err(TaskError::new("CustomError", "custom failure"))
    });
    h
}
