//! serde both ways on `Value`, without text (issue 19, item 1).

use aslx::{from_value, json, to_value, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Order {
    id: u64,
    customer: String,
    lines: Vec<Line>,
    coupon: Option<String>,
    status: Status,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Line {
    sku: String,
    qty: u32,
    price: f64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Status {
    New,
    Paid { amount: i64 },
    Refunded(i64),
}

fn order() -> Order {
    Order {
        id: 42,
        customer: "ada".into(),
        lines: vec![Line {
            sku: "A-1".into(),
            qty: 2,
            price: 9.5,
        }],
        coupon: None,
        status: Status::Paid { amount: 19 },
        tags: vec!["vip".into()],
    }
}

#[test]
fn a_struct_goes_to_a_value_in_field_order_with_integers_kept() {
    let v = to_value(&order()).unwrap();
    assert_eq!(
        v.to_json(),
        r#"{"id":42,"customer":"ada","lines":[{"sku":"A-1","qty":2,"price":9.5}],"coupon":null,"status":{"Paid":{"amount":19}},"tags":["vip"]}"#
    );
    assert!(matches!(v.get("id"), Some(Value::Int(42))));
}

#[test]
fn a_value_comes_back_as_the_struct() {
    let back: Order = from_value(to_value(&order()).unwrap()).unwrap();
    assert_eq!(back, order());
}

#[test]
fn a_missing_field_is_named() {
    let err = from_value::<Order>(json!({"id": 1, "customer": "x", "lines": []})).unwrap_err();
    assert_eq!(err.to_string(), "missing field `status`");
    assert_eq!(err.path(), "$");
}

#[test]
fn a_field_of_the_wrong_type_is_named_with_its_path() {
    let mut v = to_value(&order()).unwrap();
    v.as_object_mut().unwrap().insert(
        "lines".into(),
        json!([{"sku": "A-1", "qty": 1, "price": 1}, {"sku": "B", "qty": -3, "price": 1}]),
    );
    let err = from_value::<Order>(v).unwrap_err();
    assert_eq!(err.path(), "$.lines[1].qty");
    assert_eq!(
        err.to_string(),
        "at $.lines[1].qty: invalid value: integer `-3`, expected u32"
    );
}

#[test]
fn odd_keys_are_quoted_in_the_path() {
    let err = from_value::<HashMap<String, u8>>(json!({"a b": "x"})).unwrap_err();
    assert_eq!(err.path(), "$['a b']");
}

#[test]
fn integral_floats_fit_integer_fields_and_integers_fit_floats() {
    let line: Line = from_value(json!({"sku": "s", "qty": 3.0, "price": 4})).unwrap();
    assert_eq!(line.qty, 3);
    assert_eq!(line.price, 4.0);
    let err = from_value::<Line>(json!({"sku": "s", "qty": 3.5, "price": 4})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at $.qty: invalid type: floating point `3.5`, expected u32"
    );
}

#[test]
fn enums_are_externally_tagged_both_ways() {
    assert_eq!(to_value(&Status::New).unwrap(), json!("New"));
    assert_eq!(
        to_value(&Status::Refunded(5)).unwrap(),
        json!({"Refunded": 5})
    );
    assert_eq!(
        from_value::<Status>(json!({"Refunded": 5})).unwrap(),
        Status::Refunded(5)
    );
    assert_eq!(from_value::<Status>(json!("New")).unwrap(), Status::New);
    let err = from_value::<Status>(json!("Lost")).unwrap_err();
    assert!(err.to_string().contains("unknown variant `Lost`"), "{err}");
}

#[test]
fn map_order_is_kept_and_number_keys_are_strings() {
    let mut m = BTreeMap::new();
    m.insert(2u32, "b");
    m.insert(1u32, "a");
    assert_eq!(to_value(&m).unwrap().to_json(), r#"{"1":"a","2":"b"}"#);
    let back: BTreeMap<u32, String> = from_value(json!({"7": "x"})).unwrap();
    assert_eq!(back.get(&7).map(String::as_str), Some("x"));
    // A Value read back keeps its keys in document order.
    let v: Value = from_value(json!({"z": 1, "a": 2, "m": 3})).unwrap();
    assert_eq!(v.to_json(), r#"{"z":1,"a":2,"m":3}"#);
}

#[test]
fn value_deserializes_from_serde_json_and_as_a_field() {
    #[derive(Deserialize)]
    struct Envelope {
        name: String,
        payload: Value,
    }
    let e: Envelope =
        serde_json::from_str(r#"{"name": "n", "payload": {"b": [1, 2.5, true, null], "a": "x"}}"#)
            .unwrap();
    assert_eq!(e.name, "n");
    assert_eq!(e.payload.to_json(), r#"{"b":[1,2.5,true,null],"a":"x"}"#);
    assert!(matches!(
        e.payload.get("b").unwrap().as_array().unwrap()[0],
        Value::Int(1)
    ));
    // Past i64: a float, as the JSON parser reads it.
    let big: Value = serde_json::from_str("18446744073709551615").unwrap();
    assert!(matches!(big, Value::Float(_)));
    assert_eq!(to_value(&u64::MAX).unwrap(), big);
}

#[test]
fn a_value_is_its_own_round_trip() {
    let v = json!({"a": [1, -2, 3.25, "s", null, {"k": false}], "b": {}});
    let again: Value = from_value(v.clone()).unwrap();
    assert_eq!(again.to_json(), v.to_json());
    assert_eq!(to_value(&v).unwrap().to_json(), v.to_json());
}

#[test]
fn unsupported_map_keys_are_an_error_not_a_panic() {
    let mut m = HashMap::new();
    m.insert(vec![1], 1);
    let err = to_value(&m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a map key must be a string, a number or a boolean, not array"
    );
}

#[test]
fn too_many_elements_for_a_tuple_is_an_error() {
    let err = from_value::<(i32, i32)>(json!([1, 2, 3])).unwrap_err();
    assert!(err.to_string().contains("invalid length"), "{err}");
}
