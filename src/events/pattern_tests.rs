//! Behaviour of compiled patterns beyond the recorded corpus: the documented matching rules,
//! AWS's refusals (reason texts from its rule compiler), and bad input.

use super::pattern::Pattern;
use crate::value::{parse_json, Map, Value};

fn pattern(text: &str) -> Pattern {
    Pattern::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn matches(p: &str, event: &str) -> bool {
    pattern(p).matches(&parse_json(event).unwrap())
}

fn reason(p: &str) -> String {
    match Pattern::new(p) {
        Ok(_) => panic!("{p}: accepted"),
        Err(e) => {
            assert_eq!(e.code(), "InvalidEventPatternException");
            assert_eq!(
                e.message(),
                format!("Event pattern is not valid. Reason: {}", e.reason())
            );
            e.reason().to_string()
        }
    }
}

#[test]
fn exact_values_match_by_type_and_numbers_by_value() {
    assert!(matches(r#"{"n": [300]}"#, r#"{"n": 3.0e2}"#));
    assert!(!matches(r#"{"n": [300]}"#, r#"{"n": "300"}"#));
    assert!(!matches(r#"{"n": ["300"]}"#, r#"{"n": 300}"#));
    assert!(matches(r#"{"b": [true]}"#, r#"{"b": true}"#));
    assert!(!matches(r#"{"b": [true]}"#, r#"{"b": "true"}"#));
    // null and "" are different values, and neither is a missing field.
    assert!(matches(r#"{"v": [null]}"#, r#"{"v": null}"#));
    assert!(!matches(r#"{"v": [null]}"#, r#"{"v": ""}"#));
    assert!(!matches(r#"{"v": [""]}"#, r#"{"v": null}"#));
    assert!(!matches(r#"{"v": [null]}"#, r#"{"w": null}"#));
    // Keys are case-sensitive; fields the pattern does not name are ignored.
    assert!(!matches(r#"{"Source": ["a"]}"#, r#"{"source": "a"}"#));
    assert!(matches(
        r#"{"source": ["a"]}"#,
        r#"{"source": "a", "other": [1, {"x": 2}]}"#
    ));
}

#[test]
fn an_event_array_matches_when_any_element_does() {
    let p = r#"{"resources": ["arn:1", "arn:2"]}"#;
    assert!(matches(p, r#"{"resources": ["arn:0", "arn:2"]}"#));
    assert!(!matches(p, r#"{"resources": ["arn:0", "arn:3"]}"#));
    assert!(!matches(p, r#"{"resources": []}"#));
    // Nested arrays are crushed too.
    assert!(matches(p, r#"{"resources": [["arn:0"], ["arn:1"]]}"#));
}

#[test]
fn fields_inside_an_array_of_objects_must_come_from_one_element() {
    let p = r#"{"items": {"sku": ["a"], "qty": [1]}}"#;
    assert!(matches(
        p,
        r#"{"items": [{"sku": "b", "qty": 2}, {"sku": "a", "qty": 1}]}"#
    ));
    assert!(!matches(
        p,
        r#"{"items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]}"#
    ));
    // One field alone may come from any element.
    assert!(matches(
        r#"{"items": {"qty": [1]}}"#,
        r#"{"items": [{"qty": 2}, {"qty": 1}]}"#
    ));
    // Fields in different arrays do not constrain each other.
    let p2 = r#"{"a": {"x": [1]}, "b": {"y": [2]}}"#;
    assert!(matches(
        p2,
        r#"{"a": [{"x": 0}, {"x": 1}], "b": [{"y": 2}, {"y": 0}]}"#
    ));
    // Two levels: the outer element must be shared, then the inner one.
    let p3 = r#"{"o": {"k": ["k1"], "i": {"x": [1], "y": [2]}}}"#;
    let shared = r#"{"o": [{"k": "k0", "i": [{"x": 1, "y": 2}]},
                           {"k": "k1", "i": [{"x": 1, "y": 0}, {"x": 0, "y": 2}]},
                           {"k": "k1", "i": [{"x": 0}, {"x": 1, "y": 2}]}]}"#;
    assert!(matches(p3, shared));
    let split = r#"{"o": [{"k": "k0", "i": [{"x": 1, "y": 2}]},
                          {"k": "k1", "i": [{"x": 1, "y": 0}, {"x": 0, "y": 2}]}]}"#;
    assert!(!matches(p3, split));
    // A value outside the array conflicts with nothing.
    let p4 = r#"{"items": {"sku": ["a"]}, "total": [5]}"#;
    assert!(matches(p4, r#"{"items": [{"sku": "a"}], "total": 5}"#));
}

#[test]
fn dotted_keys_and_nested_objects_address_the_same_field() {
    assert!(matches(r#"{"a": {"b": ["x"]}}"#, r#"{"a.b": "x"}"#));
    assert!(matches(r#"{"a.b": ["x"]}"#, r#"{"a": {"b": "x"}}"#));
    assert!(!matches(r#"{"a": {"b": ["x"]}}"#, r#"{"a.b": {"b": "x"}}"#));
}

#[test]
fn array_consistency_holds_when_dotted_keys_reach_one_path_through_two_arrays() {
    let p = r#"{"a.b.c": [2], "a.b.d": [3], "a.b.e": [5]}"#;
    // c is in both arrays; either choice conflicts with d or with e.
    let split = r#"{"a.b": [{"c": 2}, {"e": 5}], "a": {"b": [{"c": 2}, {"d": 3}]}}"#;
    assert!(!matches(p, split));
    // Taking c from the second array, beside d, leaves e alone in the first: consistent.
    let fits = r#"{"a.b": [{"c": 2}, {"e": 5}], "a": {"b": [{"c": 2, "d": 3}]}}"#;
    assert!(matches(p, fits));
}

#[test]
fn exists_looks_at_leaves_only() {
    let yes = r#"{"d": {"c": [{"exists": true}]}}"#;
    let no = r#"{"d": {"c": [{"exists": false}]}}"#;
    assert!(matches(yes, r#"{"d": {"c": null}}"#));
    assert!(matches(yes, r#"{"d": {"c": [0]}}"#));
    for absent in [
        r#"{"d": {}}"#,
        r#"{"d": {"c": {"c1": 1}}}"#,
        r#"{"d": {"c": []}}"#,
        r#"{}"#,
    ] {
        assert!(!matches(yes, absent), "{absent}");
        assert!(matches(no, absent), "{absent}");
    }
    assert!(!matches(no, r#"{"d": {"c": 1}}"#));
    // Absence or a value: either satisfies a field that lists both.
    let either = r#"{"s": [{"exists": false}, "on"]}"#;
    assert!(matches(either, "{}"));
    assert!(matches(either, r#"{"s": "on"}"#));
    assert!(!matches(either, r#"{"s": "off"}"#));
}

#[test]
fn anything_but_needs_a_value_and_takes_values_of_other_types() {
    let p = r#"{"s": [{"anything-but": ["a", "b"]}]}"#;
    assert!(!matches(p, r#"{"s": "a"}"#));
    assert!(matches(p, r#"{"s": "c"}"#));
    assert!(matches(p, r#"{"s": 1}"#));
    assert!(matches(p, r#"{"s": null}"#));
    assert!(!matches(p, "{}"));
    // An array passes when any element is not excluded.
    assert!(matches(p, r#"{"s": ["a", "z"]}"#));
    assert!(!matches(p, r#"{"s": ["a", "b"]}"#));
    let nums = r#"{"n": [{"anything-but": [100, 200]}]}"#;
    assert!(!matches(nums, r#"{"n": 100.0}"#));
    assert!(matches(nums, r#"{"n": "100"}"#));
    let pre = r#"{"s": [{"anything-but": {"prefix": ["in", "te"]}}]}"#;
    assert!(!matches(pre, r#"{"s": "test"}"#));
    assert!(matches(pre, r#"{"s": "post"}"#));
    let suf = r#"{"s": [{"anything-but": {"suffix": ".png"}}]}"#;
    assert!(!matches(suf, r#"{"s": "a.png"}"#));
    let ic = r#"{"s": [{"anything-but": {"equals-ignore-case": ["Stopped"]}}]}"#;
    assert!(!matches(ic, r#"{"s": "STOPPED"}"#));
    assert!(matches(ic, r#"{"s": "stopping"}"#));
    let wc = r#"{"s": [{"anything-but": {"wildcard": "*/lib/*"}}]}"#;
    assert!(!matches(wc, r#"{"s": "/usr/lib/x"}"#));
    assert!(matches(wc, r#"{"s": "/usr/bin/x"}"#));
}

#[test]
fn prefix_suffix_and_equals_ignore_case_fold_case_as_asked() {
    assert!(matches(r#"{"s": [{"prefix": "ab"}]}"#, r#"{"s": "abc"}"#));
    assert!(!matches(r#"{"s": [{"prefix": "ab"}]}"#, r#"{"s": "ABc"}"#));
    assert!(!matches(r#"{"s": [{"prefix": "1"}]}"#, r#"{"s": 12}"#));
    assert!(matches(r#"{"s": [{"prefix": ""}]}"#, r#"{"s": ""}"#));
    assert!(matches(
        r#"{"s": [{"prefix": {"equals-ignore-case": "ÉCO"}}]}"#,
        r#"{"s": "école"}"#
    ));
    assert!(matches(
        r#"{"s": [{"suffix": {"equals-ignore-case": ".PNG"}}]}"#,
        r#"{"s": "a.png"}"#
    ));
    assert!(matches(
        r#"{"s": [{"suffix": {"equals-ignore-case": "LE"}}]}"#,
        r#"{"s": "ÉCOle"}"#
    ));
    assert!(!matches(
        r#"{"s": [{"suffix": ".png"}]}"#,
        r#"{"s": "a.PNG"}"#
    ));
    assert!(matches(
        r#"{"s": [{"equals-ignore-case": "ÄRGER"}]}"#,
        r#"{"s": "ärger"}"#
    ));
    assert!(!matches(
        r#"{"s": [{"equals-ignore-case": "ärger"}]}"#,
        r#"{"s": "ärgern"}"#
    ));
}

#[test]
fn numeric_ranges_compare_numbers_inside_the_comparable_range() {
    let p = r#"{"n": [{"numeric": [">", 0, "<=", 5]}]}"#;
    assert!(!matches(p, r#"{"n": 0}"#));
    assert!(matches(p, r#"{"n": 0.000001}"#));
    assert!(matches(p, r#"{"n": 5}"#));
    assert!(!matches(p, r#"{"n": 5.5}"#));
    assert!(!matches(p, r#"{"n": "3"}"#));
    assert!(matches(
        r#"{"n": [{"numeric": ["=", 301.8]}]}"#,
        r#"{"n": 3.018e2}"#
    ));
    assert!(matches(
        r#"{"n": [{"numeric": ["<", 0]}]}"#,
        r#"{"n": -5e9}"#
    ));
    // Beyond ±5e9 an event number has no comparable form at AWS.
    assert!(!matches(
        r#"{"n": [{"numeric": ["<", 0]}]}"#,
        r#"{"n": -6e9}"#
    ));
    assert!(!matches(
        r#"{"n": [{"numeric": [">=", 0]}]}"#,
        r#"{"n": 1e10}"#
    ));
}

#[test]
fn cidr_and_address_strings_match_addresses() {
    let v4 = r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#;
    assert!(matches(v4, r#"{"ip": "10.0.0.255"}"#));
    assert!(!matches(v4, r#"{"ip": "10.0.1.0"}"#));
    assert!(!matches(v4, r#"{"ip": "not an address"}"#));
    assert!(!matches(v4, r#"{"ip": "::ffff:10.0.0.1"}"#));
    let v6 = r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#;
    assert!(matches(v6, r#"{"ip": "2001:0DB8:ffff::1"}"#));
    assert!(!matches(v6, r#"{"ip": "2001:db9::1"}"#));
    // An exact string that reads as an address matches it however it is written.
    assert!(matches(
        r#"{"ip": ["2001:db8::1"]}"#,
        r#"{"ip": "2001:0db8:0:0:0:0:0:1"}"#
    ));
    assert!(matches(r#"{"ip": ["10.0.0.1"]}"#, r#"{"ip": "10.0.0.1"}"#));
    // AWS keeps the host bits of the address it is given: the range starts there.
    let from5 = r#"{"ip": [{"cidr": "10.0.0.5/24"}]}"#;
    assert!(!matches(from5, r#"{"ip": "10.0.0.4"}"#));
    assert!(matches(from5, r#"{"ip": "10.0.0.200"}"#));
}

#[test]
fn or_matches_when_any_alternative_does() {
    let p =
        r#"{"source": ["s"], "$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"d": [4]}]}]}"#;
    assert!(matches(p, r#"{"source": "s", "a": 1}"#));
    assert!(matches(p, r#"{"source": "s", "b": 2, "d": 4}"#));
    assert!(!matches(p, r#"{"source": "s", "b": 2}"#));
    assert!(!matches(p, r#"{"source": "t", "a": 1}"#));
    let nested = r#"{"detail": {"$or": [{"x": [1]}, {"y": [{"exists": false}]}]}}"#;
    assert!(matches(nested, r#"{"detail": {"x": 1, "y": 0}}"#));
    assert!(matches(nested, r#"{"detail": {}}"#));
    assert!(!matches(nested, r#"{"detail": {"y": 0}}"#));
}

#[test]
fn a_path_written_twice_keeps_the_last_value() {
    let p = r#"{"a": {"b": [1]}, "a.b": [2]}"#;
    assert!(matches(p, r#"{"a": {"b": 2}}"#));
    assert!(!matches(p, r#"{"a": {"b": 1}}"#));
}

#[test]
fn events_that_are_not_objects_have_no_fields() {
    assert!(!matches(r#"{"a": [1]}"#, "[1]"));
    assert!(matches(r#"{"a": [{"exists": false}]}"#, r#""text""#));
}

#[test]
fn refusals_give_aws_reasons() {
    let cases: &[(&str, &str)] = &[
        ("[]", "Filter is not an object"),
        (r#""x""#, "Filter is not an object"),
        ("{}", "Empty objects are not allowed"),
        (r#"{"a": {}}"#, "Empty objects are not allowed"),
        (r#"{"a": []}"#, "Empty arrays are not allowed"),
        (r#"{"a": 1}"#, r#""a" must be an object or an array"#),
        (r#"{"a": null}"#, r#""a" must be an object or an array"#),
        (r#"{"a": [[1]]}"#, "Match value must be String, number, true, false, or null"),
        (r#"{"a": [{}]}"#, "Match expression name not found"),
        (r#"{"a": [{"regex": "x"}]}"#, "Unrecognized match type regex"),
        (r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#, "Only one key allowed in match expression"),
        (r#"{"a": [{"prefix": 1}]}"#, "prefix match pattern must be a string"),
        (r#"{"a": [{"prefix": {}}]}"#, "Prefix expression name not found"),
        (r#"{"a": [{"prefix": {"x": "y"}}]}"#, "Unsupported prefix pattern: x"),
        (r#"{"a": [{"suffix": {"equals-ignore-case": 1}}]}"#, "equals-ignore-case match pattern must be a string"),
        (r#"{"a": [{"suffix": {"equals-ignore-case": "x", "y": 1}}]}"#, "Only one key allowed in match expression"),
        (r#"{"a": [{"exists": "yes"}]}"#, "exists match pattern must be either true or false."),
        (r#"{"a": [{"exists": true, "prefix": "x"}]}"#, "Only one key allowed in match expression"),
        (r#"{"a": [{"wildcard": "a**"}]}"#, "Consecutive wildcard characters at pos 2"),
        (r#"{"a": [{"wildcard": "a\\b"}]}"#, "Invalid escape character at pos 2"),
        (r#"{"a": [{"numeric": 5}]}"#, "Value of numeric must be an array."),
        (r#"{"a": [{"numeric": []}]}"#, "Invalid member in numeric match: ]"),
        (r#"{"a": [{"numeric": [5]}]}"#, "Invalid member in numeric match: 5"),
        (r#"{"a": [{"numeric": ["!=", 5]}]}"#, "Unrecognized numeric range operator: !="),
        (r#"{"a": [{"numeric": ["=", "5"]}]}"#, "Value of equals must be numeric"),
        (r#"{"a": [{"numeric": [">="]}]}"#, "Value of >= must be numeric"),
        (r#"{"a": [{"numeric": ["<", 1, 2]}]}"#, "Too many elements in numeric expression"),
        (r#"{"a": [{"numeric": [">", 1, 2]}]}"#, "Bad value in numeric range: 2"),
        (r#"{"a": [{"numeric": [">", 1, ">=", 2]}]}"#, "Bad numeric range operator: >="),
        (r#"{"a": [{"numeric": [">", 1, "<", 2, 3]}]}"#, "Too many terms in numeric range expression"),
        (r#"{"a": [{"numeric": [">", 2, "<", 1]}]}"#, "Bottom must be less than top"),
        (r#"{"a": [{"numeric": ["<", 6e9]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        (r#"{"a": [{"numeric": ["<", 1], "x": 1}]}"#, "Too many elements in numeric expression"),
        (r#"{"a": [{"anything-but": null}]}"#, "Value of anything-but must be an array or single string/number value."),
        (r#"{"a": [{"anything-but": [true]}]}"#, "Inside anything but list, start|null|boolean is not supported."),
        (r#"{"a": [{"anything-but": ["x", 1]}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        (r#"{"a": [{"anything-but": []}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        (r#"{"a": [{"anything-but": {}}]}"#, "Anything-But expression name not found"),
        (r#"{"a": [{"anything-but": {"numeric": [">", 1]}}]}"#, "Unsupported anything-but pattern: numeric"),
        (r#"{"a": [{"anything-but": {"prefix": ""}}]}"#, "Null prefix/suffix not allowed"),
        (r#"{"a": [{"anything-but": {"wildcard": ["a**"]}}]}"#, "Consecutive wildcard characters at pos 2"),
        (r#"{"a": [{"anything-but": "x", "y": 1}]}"#, "Too many elements in numeric expression"),
        (r#"{"a": [{"anything-but": {"prefix": "x", "y": 1}}]}"#, "Too many elements in numeric expression"),
        (r#"{"a": [{"anything-but": [6e9]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        (r#"{"a": [{"cidr": "10.0.0.0/x"}]}"#, "Malformed CIDR, mask bits must be an integer"),
        (r#"{"a": [{"cidr": "10.0.0.0/-1"}]}"#, "Malformed CIDR, mask bits must not be negative"),
        (r#"{"a": [{"cidr": "10.0.0.0/"}]}"#, "Malformed CIDR, one '/' required"),
        (r#"{"a": [{"cidr": "10.0.0.0/32"}]}"#, "IPv4 mask bits must be < 32"),
        (r#"{"a": [{"cidr": "::/128"}]}"#, "IPv6 mask bits must be < 128"),
        (r#"{"a": [{"cidr": "host.example/8"}]}"#, "Nonstandard IP address: host.example"),
        (r#"{"a": [{"cidr": "300.0.0.0/8"}]}"#, "Invalid IP address: 300.0.0.0"),
        (r#"{"$or": {"a": [1]}}"#, "It must be an Array followed with $or."),
        (r#"{"$or": [{"a": [1]}, 2]}"#, "Only JSON object is allowed in array of $or relationship."),
        (r#"{"$or": [{"a": [1]}]}"#, "There must have at least 2 Objects in $or relationship."),
        (r#"{"$or": [{"a": [1]}, {"numeric": [1]}]}"#, "numeric is Ruler reserved fieldName which cannot be used inside $or."),
        (r#"{"a": ["x"], "b": 1, "c": []}"#, r#""b" must be an object or an array"#),
    ];
    for (p, want) in cases {
        assert_eq!(reason(p), *want, "{p}");
    }
    // Outside `$or`, operator names are ordinary field names.
    assert!(matches(r#"{"prefix": ["x"]}"#, r#"{"prefix": "x"}"#));
}

#[test]
fn text_that_is_not_json_is_an_invalid_pattern() {
    let r = reason(r#"{"a": [1"#);
    assert!(!r.is_empty());
    assert!(Pattern::new("").is_err());
}

#[test]
fn a_pattern_nested_10000_levels_deep_is_refused_without_overflowing() {
    let text = format!("{}[1]{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    assert_eq!(reason(&text), "document nested deeper than 1000 levels");
    // The same refusal for a document built in memory (past the parser's limit).
    let mut v = parse_json("[1]").unwrap();
    for _ in 0..1500 {
        let mut m = Map::new();
        m.insert("a".into(), v);
        v = Value::object(m);
    }
    let e = Pattern::from_value(&v).unwrap_err();
    assert_eq!(e.reason(), "document nested deeper than 1000 levels");
}

#[test]
fn a_one_megabyte_pattern_compiles_and_matches() {
    // 40,000 fields with 3 values each: well past AWS's 4096-character quota, still handled.
    let mut text = String::from("{");
    let mut i = 0;
    while text.len() < 1 << 20 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#""field{i}": ["a{i}", {{"prefix": "b"}}, {{"numeric": [">", {i}]}}]"#
        ));
        i += 1;
    }
    text.push('}');
    let p = pattern(&text);
    let mut event = Map::new();
    for j in 0..i {
        event.insert(format!("field{j}").into(), Value::string(&format!("a{j}")));
    }
    let event = Value::object(event);
    assert!(p.matches(&event));
    let mut missing = event.clone();
    missing.as_object_mut().unwrap().remove("field7");
    assert!(!p.matches(&missing));
}

#[test]
fn a_one_megabyte_pattern_of_or_is_refused_before_it_multiplies() {
    let or = r#"{"$or": [{"a": [1]}, {"b": [2]}]}"#;
    let mut text = String::from("{");
    let mut i = 0;
    while text.len() < 1 << 20 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(r#""f{i}": {or}"#));
        i += 1;
    }
    text.push('}');
    let start = std::time::Instant::now();
    assert_eq!(
        reason(&text),
        "$or expands the pattern into more than 1024 alternatives"
    );
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn a_deep_event_is_matched_without_overflowing() {
    let depth = 999;
    let event = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let path = vec!["a"; depth].join(".");
    let p = Pattern::new(&format!(r#"{{"{path}": [1]}}"#)).unwrap();
    assert!(p.matches(&parse_json(&event).unwrap()));
}

#[test]
fn the_pattern_text_is_kept() {
    let text = r#"{"source": ["a"]}"#;
    assert_eq!(pattern(text).as_str(), text);
}
