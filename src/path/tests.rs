//! Path syntax, evaluation and ResultPath tests. Case ids in names and comments refer to the
//! conformance recordings (`shared/conformance/cases`); `PATH-*`/`IO-*` to the ASL checklist.

use super::*;
use crate::json;
use crate::value::{Map, Str};
use std::sync::Arc;

fn run(path: &str, input: &Value) -> Result<Value, PathError> {
    let p = Path::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    p.eval(&Env::new(input, &Value::Null))
}

fn ok(path: &str, input: &Value) -> Value {
    run(path, input).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn err(path: &str, input: &Value) -> PathError {
    match run(path, input) {
        Ok(v) => panic!("{path} gave {v}"),
        Err(e) => e,
    }
}

struct Vars(Vec<(&'static str, Value)>);

impl VarLookup for Vars {
    fn var(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

// ---- syntax ----

#[test]
fn roots_are_input_context_and_variables() {
    let p = Path::parse("$").unwrap();
    assert_eq!(p.root(), PathRoot::Input);
    assert!(p.is_root() && p.is_reference() && p.is_definite());
    assert_eq!(Path::parse("$$").unwrap().root(), PathRoot::Context);
    assert_eq!(
        Path::parse("$$.Execution.Id").unwrap().root(),
        PathRoot::Context
    );
    let v = Path::parse("$order.items[0]").unwrap();
    assert_eq!(v.root(), PathRoot::Variable(Str::from("order")));
    assert_eq!(v.variable_name(), Some("order"));
    assert_eq!(Path::parse("$x").unwrap().variable_name(), Some("x"));
    assert_eq!(
        Path::parse("$_a1['b']").unwrap().variable_name(),
        Some("_a1")
    );
    assert_eq!(Path::parse("$.x").unwrap().variable_name(), None);
}

#[test]
fn text_is_kept_verbatim() {
    let p = Path::parse("  $.a ").unwrap();
    assert_eq!(p.text(), "  $.a ");
    assert_eq!(p.to_string(), "  $.a ");
}

#[test]
fn definiteness_and_reference_paths() {
    for p in [
        "$",
        "$.a",
        "$.a.b[0]",
        "$['a'][-1]",
        "$$.Map.Item.Value",
        "$v.x",
    ] {
        let path = Path::parse(p).unwrap();
        assert!(path.is_definite() && path.is_reference(), "{p}");
    }
    // A trailing multi-name step gives one object: definite, but not a reference path.
    let multi = Path::parse("$['a','b']").unwrap();
    assert!(multi.is_definite() && !multi.is_reference());
    for p in [
        "$.a[*]",
        "$.*",
        "$[0,1]",
        "$[1:]",
        "$..a",
        "$[?(@.a)]",
        "$.a.length()",
        "$['a','b'].c",
    ] {
        let path = Path::parse(p).unwrap();
        assert!(!path.is_definite() && !path.is_reference(), "{p}");
    }
}

#[test]
fn invalid_paths_are_rejected() {
    for p in [
        "",
        "a",
        "States.Format('x')",
        "$.",
        "$..",
        "$...a",
        "$.a.",
        "$.a..",
        "$$$",
        "$$a",
        "$ .a",
        "$-x",
        "$.a b",
        "$[",
        "$['a'",
        "$[a]",
        "$[1",
        "$[1:2",
        "$[:]",
        "$[1 :2]",
        "$[1,]",
        "$[99999999999]",
        "$[*",
        "$[?(@.a)",
        "$[?(@.a ==)]",
        "$[?(@.a == 1]",
        "$[?(@.a = 1)]",
        "$[?(1)]",
        "$[?(@.a =~ 'x')]",
        "$[?(@.a == /x/)]",
        "$[?(@.a =~ /[/)]",
        "$[?(@.a == $$.b)]",
        "$[?(@.a == $v)]",
        "$.a(1)",
        "$.foo\\",
    ] {
        assert!(Path::parse(p).is_err(), "{p:?} should not parse");
    }
}

#[test]
fn nesting_and_length_are_capped() {
    let deep = format!("$.a{}", "[?(@.a".repeat(10_000));
    assert!(Path::parse(&deep).is_err());
    let parens = format!("$[?({}@.a{})]", "(".repeat(10_000), ")".repeat(10_000));
    assert!(Path::parse(&parens).is_err());
    let nots = format!("$[?({}@.a)]", "!".repeat(10_000));
    assert!(Path::parse(&nots).is_err());
    let long = format!("${}", ".a".repeat(100_000));
    assert!(Path::parse(&long).is_err());
    let fine = format!("${}", ".a".repeat(500));
    assert!(Path::parse(&fine).is_ok());
}

// ---- definite paths ----

#[test]
fn names_in_dot_and_bracket_notation() {
    let doc = json!({"a": {"b": 1}, "a-b": 2, "a_b1": 3, "日本": 4, "foo.bar": 5, "sp ace": 6});
    assert_eq!(ok("$.a.b", &doc), json!(1));
    assert_eq!(ok("$['a']['b']", &doc), json!(1));
    assert_eq!(ok("$[\"a\"][\"b\"]", &doc), json!(1));
    assert_eq!(ok("$.a['b']", &doc), json!(1));
    assert_eq!(ok("$.['a'].b", &doc), json!(1));
    assert_eq!(ok("$[ 'a' ]['b']", &doc), json!(1));
    assert_eq!(ok("$['a']b", &doc), json!(1));
    assert_eq!(ok("$.a-b", &doc), json!(2));
    assert_eq!(ok("$.a_b1", &doc), json!(3));
    assert_eq!(ok("$.日本", &doc), json!(4));
    // PATH-4: an escaped special character is part of the name.
    assert_eq!(ok("$.foo\\.bar", &doc), json!(5));
    assert_eq!(ok("$['foo.bar']", &doc), json!(5));
    assert_eq!(ok("$['sp ace']", &doc), json!(6));
    assert_eq!(ok("$", &doc), doc);
}

#[test]
fn bracket_names_keep_backslashes() {
    // scenarios/base_scenarios.escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]:
    // "$['Test\\\"\"Name\"']" read the member `Test\""Name"`.
    let mut m = Map::new();
    m.insert(Str::from("Test\\\"\"Name\""), Value::from("Value\"\\"));
    let doc = Value::object(m);
    assert_eq!(ok("$['Test\\\"\"Name\"']", &doc), Value::from("Value\"\\"));
}

#[test]
fn indexes_count_from_either_end() {
    // base.json_path_array_access[items_0_e757173f] and [items_10_74f0c4b7]
    let items: Vec<Value> = (0..11).map(|i| json!({ "item_key": i })).collect();
    let mut m = Map::new();
    m.insert(Str::from("items"), Value::array(items));
    let doc = Value::object(m);
    assert_eq!(ok("$.items[0]", &doc), json!({"item_key": 0}));
    assert_eq!(ok("$.items[10]", &doc), json!({"item_key": 10}));
    assert_eq!(ok("$.items[-1].item_key", &doc), json!(10));
    assert_eq!(ok("$.items[-11].item_key", &doc), json!(0));
    assert_eq!(ok("$.items[ 2 ].item_key", &doc), json!(2));
}

#[test]
fn definite_path_returns_a_shared_node() {
    let input = json!({"a": {"big": [1, 2, 3]}});
    let ctx = Value::Null;
    let env = Env::new(&input, &ctx);
    let Some(Value::Array(big)) = input.get("a").and_then(|a| a.get("big")) else {
        panic!("fixture")
    };
    let p = Path::parse("$.a.big").unwrap();
    match p.eval_ref(&env).unwrap() {
        std::borrow::Cow::Borrowed(Value::Array(x)) => assert!(Arc::ptr_eq(x, big)),
        other => panic!("{other:?}"),
    }
    match p.eval(&env).unwrap() {
        Value::Array(x) => assert!(Arc::ptr_eq(&x, big)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_leaf_is_no_results_for_path() {
    // scenarios/base_scenarios.invalid_jsonpath[ST.INVALID_JSONPATH_IN_OUTPUTPATH] (PATH-5)
    let doc = json!({"int-literal": 0});
    let e = err("$.NoSuchOutputPath", &doc);
    assert_eq!(
        e,
        PathError::NotFound {
            at: "$['NoSuchOutputPath']".into()
        }
    );
    assert!(e.is_missing());
    assert_eq!(
        e.invalid_path_cause("$.NoSuchOutputPath"),
        "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"
    );
    let e = err("$.a.b", &json!({"a": {}}));
    assert_eq!(e.to_string(), "No results for path: $['a']['b']");
}

#[test]
fn missing_intermediate_is_missing_property() {
    let e = err("$.a.b.c", &json!({"a": {"x": 1}}));
    assert_eq!(
        e,
        PathError::MissingProperty {
            at: "$['a']['b']".into()
        }
    );
    assert_eq!(e.to_string(), "Missing property in path $['a']['b']");
    assert!(e.is_missing());
}

#[test]
fn index_past_the_end_fails_with_the_whole_path() {
    // PATH-7: Jayway skips an out-of-range index and then finds no result.
    let doc = json!({"a": [1, 2, 3], "o": [{"b": 1}]});
    assert_eq!(
        err("$.a[3]", &doc),
        PathError::NotFound {
            at: "$['a'][3]".into()
        }
    );
    assert_eq!(
        err("$.a[-4]", &doc),
        PathError::NotFound {
            at: "$['a'][-4]".into()
        }
    );
    assert_eq!(
        err("$.o[5].b", &doc),
        PathError::NotFound {
            at: "$['o'][5]['b']".into()
        }
    );
}

#[test]
fn wrong_node_kinds_fail_with_jayway_messages() {
    let doc = json!({"s": "foo", "n": 5, "z": null, "o": {"x": 1}, "a": [1]});
    let e = err("$.s.b", &doc);
    assert!(e.is_missing());
    assert_eq!(
        e.to_string(),
        "Expected to find an object with property ['b'] in path $['s'] but found \
         'java.lang.String'. This is not a json object according to the JsonProvider: \
         'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."
    );
    assert!(err("$.n.b", &doc)
        .to_string()
        .contains("found 'java.lang.Integer'"));
    assert!(err("$.a.b", &doc)
        .to_string()
        .contains("found 'java.util.ArrayList'"));
    assert!(err("$.z.b", &doc)
        .to_string()
        .contains("in path $['z'] but found 'null'"));
    assert_eq!(err("$.z[0]", &doc).to_string(), "The path $['z'] is null");
    assert_eq!(
        err("$.o[0].x", &doc).to_string(),
        "Filter: [0]['x'] can only be applied to arrays. Current context is: {x=1}"
    );
    assert_eq!(
        err("$.s[0]", &doc).to_string(),
        "Filter: [0] can only be applied to arrays. Current context is: foo"
    );
}

#[test]
fn multi_name_leaf_builds_an_object() {
    // Recorded in AWS's console (gist "AWS Step Functions JSONPath Gotchas"): InputPath
    // "$['a', 'b']" gives {"a": ..., "b": ...}; "$['a', 'b'].v" fails.
    let doc = json!({"a": {"v": 1}, "b": {"v": 2}, "c": {"v": 3}});
    assert_eq!(
        ok("$['a', 'b']", &doc),
        json!({"a": {"v": 1}, "b": {"v": 2}})
    );
    assert_eq!(ok("$['a','zz']", &doc), json!({"a": {"v": 1}}));
    let e = err("$['a', 'b'].v", &doc);
    assert_eq!(
        e.invalid_path_cause("$['a', 'b'].v"),
        "Invalid path '$['a', 'b'].v' : Multi properties can only be used as path leafs: $['a', 'b']"
    );
    assert!(!e.is_missing());
}

#[test]
fn functions_fail_when_evaluated() {
    // PATH-1: JsonPath functions parse but are not supported.
    let e = err("$.a.length()", &json!({"a": [1, 2]}));
    assert!(matches!(e, PathError::Invalid { .. }));
    assert!(e.to_string().contains("length()"));
}

// ---- indefinite paths ----

#[test]
fn wildcards_and_slices_over_missing_fields_give_empty_arrays() {
    // base.json_path_array_wildcard_or_slice_with_no_input[*] (input {})
    let doc = json!({});
    for p in [
        "$.item.items[*]",
        "$.items[*].itemValue",
        "$.items[1:]",
        "$.items[1:].itemValue",
        "$.item.items[1:5].itemValue",
        "$.item.items[:1]",
        "$.item.items[1:]",
        "$[*]",
    ] {
        assert_eq!(ok(p, &doc), json!([]), "{p}");
    }
}

#[test]
fn wildcards_take_members_and_elements() {
    let doc = json!({"o": {"x": 1, "y": [2]}, "a": [{"v": 1}, {"w": 2}, {"v": 3}], "s": "str"});
    assert_eq!(ok("$.o.*", &doc), json!([1, [2]]));
    assert_eq!(ok("$.o[*]", &doc), json!([1, [2]]));
    assert_eq!(ok("$.a[*].v", &doc), json!([1, 3]));
    assert_eq!(ok("$.a.*.v", &doc), json!([1, 3]));
    assert_eq!(ok("$.s[*]", &doc), json!([]));
    assert_eq!(ok("$[ * ].x", &doc), json!([1]));
}

#[test]
fn slices_follow_jayway() {
    let doc = json!({"a": [0, 1, 2, 3, 4]});
    assert_eq!(ok("$.a[1:]", &doc), json!([1, 2, 3, 4]));
    assert_eq!(ok("$.a[:2]", &doc), json!([0, 1]));
    assert_eq!(ok("$.a[1:3]", &doc), json!([1, 2]));
    assert_eq!(ok("$.a[-2:]", &doc), json!([3, 4]));
    assert_eq!(ok("$.a[:-1]", &doc), json!([0, 1, 2, 3]));
    assert_eq!(ok("$.a[-3:-1]", &doc), json!([2, 3]));
    assert_eq!(ok("$.a[3:1]", &doc), json!([]));
    assert_eq!(ok("$.a[2:100]", &doc), json!([2, 3, 4]));
    assert_eq!(ok("$.a[10:]", &doc), json!([]));
    // Jayway reads no step: [0:5:2] is [0:5].
    assert_eq!(ok("$.a[0:5:2]", &doc), json!([0, 1, 2, 3, 4]));
    // Jayway's between-slice does not clamp a negative start: [-2:2] visits -2, -1, 0, 1.
    assert_eq!(ok("$.a[-2:2]", &doc), json!([3, 4, 0, 1]));
    assert_eq!(ok("$.a[-2000000000:1]", &doc), json!([0, 1, 2, 3, 4, 0]));
    assert_eq!(ok("$.a[1:]", &json!({"a": []})), json!([]));
}

#[test]
fn index_unions_skip_missing_indexes() {
    let doc = json!({"a": [0, 1, 2]});
    assert_eq!(ok("$.a[0,2]", &doc), json!([0, 2]));
    assert_eq!(ok("$.a[2, 0, 9, -1]", &doc), json!([2, 0, 2]));
}

#[test]
fn deep_scan_visits_in_jayway_order() {
    let doc = json!({"a": {"name": 1, "b": {"name": 2}}, "c": [{"name": 3}], "name": 0});
    assert_eq!(ok("$..name", &doc), json!([0, 1, 2, 3]));
    assert_eq!(ok("$.a..name", &doc), json!([1, 2]));
    assert_eq!(ok("$..['name']", &doc), json!([0, 1, 2, 3]));
    let small = json!({"x": {"y": 1}, "z": [2, {"w": 3}]});
    // Each node's children, then each child's subtree in turn.
    assert_eq!(
        ok("$..*", &small),
        json!([{"y": 1}, [2, {"w": 3}], 1, 2, {"w": 3}, 3])
    );
    assert_eq!(ok("$..[0]", &small), json!([2]));
    assert_eq!(ok("$..[?(@.w)]", &small), json!([{"w": 3}]));
    assert_eq!(ok("$..nothing", &small), json!([]));
    assert_eq!(ok("$..a", &json!(5)), json!([]));
}

#[test]
fn deep_scan_survives_deep_documents() {
    let mut v = json!({"leaf": true});
    for _ in 0..2000 {
        let mut m = Map::new();
        m.insert(Str::from("n"), v);
        v = Value::object(m);
    }
    assert_eq!(ok("$..leaf", &v), json!([true]));
}

#[test]
fn filters_compare_like_jayway() {
    // The AWS developer guide's example.
    let doc = json!({"jar": [{"a": 1}, {"a": 5}, {"a": 2}, {"a": 7}, {"a": 3}]});
    assert_eq!(ok("$.jar[?(@.a >= 5)]", &doc), json!([{"a": 5}, {"a": 7}]));
    assert_eq!(ok("$.jar[?(@.a > 5)]", &doc), json!([{"a": 7}]));
    assert_eq!(ok("$.jar[?(@.a < 2)]", &doc), json!([{"a": 1}]));
    assert_eq!(ok("$.jar[?(@.a <= 2)].a", &doc), json!([1, 2]));
    assert_eq!(ok("$.jar[?(@.a == 3)]", &doc), json!([{"a": 3}]));
    assert_eq!(ok("$.jar[?(@.a != 3)].a", &doc), json!([1, 5, 2, 7]));
    assert_eq!(ok("$.jar[?(@.a==3)]", &doc), json!([{"a": 3}]));
    assert_eq!(ok("$.jar[?(3 == @.a)]", &doc), json!([{"a": 3}]));
    assert_eq!(ok("$.jar[?(@.a > 1 && @.a < 5)].a", &doc), json!([2, 3]));
    assert_eq!(ok("$.jar[?(@.a == 1 || @.a == 7)].a", &doc), json!([1, 7]));
    assert_eq!(
        ok("$.jar[?((@.a == 1 || @.a == 7) && @.a > 3)].a", &doc),
        json!([7])
    );
    assert_eq!(ok("$.jar[?(!(@.a > 2))].a", &doc), json!([1, 2]));
    assert_eq!(ok("$.jar[ ?( @.a == 5 ) ]", &doc), json!([{"a": 5}]));
}

#[test]
fn filter_literals_and_types() {
    let doc = json!({"xs": [
        {"s": "abc", "n": 1.5, "b": true, "z": null, "l": [1, 2]},
        {"s": "b", "n": 2, "b": false, "z": 0, "l": []},
        {"s": "10", "n": 10}
    ]});
    assert_eq!(ok("$.xs[?(@.s == 'abc')].n", &doc), json!([1.5]));
    assert_eq!(ok("$.xs[?(@.s == \"b\")].n", &doc), json!([2]));
    assert_eq!(ok("$.xs[?(@.s < 'b')].s", &doc), json!(["abc", "10"]));
    assert_eq!(ok("$.xs[?(@.b == true)].s", &doc), json!(["abc"]));
    assert_eq!(ok("$.xs[?(@.b == false)].s", &doc), json!(["b"]));
    assert_eq!(ok("$.xs[?(@.z == null)].s", &doc), json!(["abc"]));
    assert_eq!(ok("$.xs[?(@.n == 1.5)].s", &doc), json!(["abc"]));
    assert_eq!(ok("$.xs[?(@.n == 2.0)].s", &doc), json!(["b"]));
    assert_eq!(ok("$.xs[?(@.n > -1e3)].s", &doc), json!(["abc", "b", "10"]));
    // A number equals a string holding the same number (Jayway).
    assert_eq!(ok("$.xs[?(@.s == 10)].n", &doc), json!([10]));
    assert_eq!(ok("$.xs[?(@.l == [1, 2])].s", &doc), json!(["abc"]));
    assert_eq!(ok("$.xs[?(@.l == [])].s", &doc), json!(["b"]));
    assert_eq!(
        ok("$.xs[?(@.s == 'it\\'s')]", &json!({"xs": [{"s": "it's"}]})),
        json!([{"s": "it's"}])
    );
}

#[test]
fn filter_bare_word_compares_as_the_string_it_spells() {
    // The three deployed samples' forms (issue 17): accepted, and the word is a string.
    let labels = json!({"Labels": [{"Name": "Receipt", "C": 1}, {"Name": "Invoice", "C": 2}]});
    assert_eq!(
        ok("$.Labels[?(@.Name==Receipt)]", &labels),
        json!([{"Name": "Receipt", "C": 1}])
    );
    let translated = json!([
        {"TargetLanguageCode": "es", "TranslatedText": "hola"},
        {"TargetLanguageCode": "fr", "TranslatedText": "salut"}
    ]);
    assert_eq!(
        ok("$[?(@.TargetLanguageCode==es)].TranslatedText", &translated),
        json!(["hola"])
    );
    let quality = json!({"Report": {"QualityResults": [
        {"constraint_status": "Failure", "id": 1},
        {"constraint_status": "Success", "id": 2}
    ]}});
    assert_eq!(
        ok(
            "$..QualityResults[?(@.constraint_status==Failure)].id",
            &quality
        ),
        json!([1])
    );
    // Keywords keep their meaning; a word that only starts like one is a word; `!=` and
    // `in` lists of quoted strings are unaffected.
    let doc = json!({"xs": [{"v": "trueish"}, {"v": true}, {"v": "null"}, {"v": null}]});
    assert_eq!(ok("$.xs[?(@.v == trueish)].v", &doc), json!(["trueish"]));
    assert_eq!(ok("$.xs[?(@.v == true)].v", &doc), json!([true]));
    assert_eq!(ok("$.xs[?(@.v == null)].v", &doc), json!([null]));
    assert_eq!(
        ok("$.xs[?(@.v != trueish)].v", &doc),
        json!([true, "null", null])
    );
    assert_eq!(ok("$.xs[?(@.v == en-US.x_1)]", &doc), json!([]));
}

#[test]
fn filter_existence_and_missing_members() {
    let doc = json!({"xs": [{"a": 1}, {"b": 2}, {"a": null}]});
    assert_eq!(ok("$.xs[?(@.a)]", &doc), json!([{"a": 1}, {"a": null}]));
    assert_eq!(ok("$.xs[?(!@.a)]", &doc), json!([{"b": 2}]));
    // A missing member equals nothing, so `!=` holds for it.
    assert_eq!(
        ok("$.xs[?(@.a != 1)]", &doc),
        json!([{"b": 2}, {"a": null}])
    );
    assert_eq!(ok("$.xs[?(@.a == 1)]", &doc), json!([{"a": 1}]));
    assert_eq!(ok("$.xs[?(@.a > 0)]", &doc), json!([{"a": 1}]));
}

#[test]
fn filters_match_objects_only() {
    // AWS: "The @ operator ... does not match scalar values. It only matches objects."
    let doc = json!({"bar": ["a", "b", {"x": "a"}], "one": {"k": 1}, "s": "x"});
    assert_eq!(ok("$.bar[?(@ == 'a')]", &doc), json!([]));
    assert_eq!(ok("$.bar[?(@.x == 'a')]", &doc), json!([{"x": "a"}]));
    // Applied to an object, a filter tests the object itself (Jayway).
    assert_eq!(ok("$.one[?(@.k == 1)]", &doc), json!([{"k": 1}]));
    assert_eq!(ok("$.one[?(@.k == 2)]", &doc), json!([]));
    // Applied to a scalar right after definite steps, it is an error; after a wildcard, not.
    let e = err("$.s[?(@.k)]", &doc);
    assert_eq!(
        e.to_string(),
        "Filter: [?] can not be applied to primitives. Current context is: x"
    );
    assert_eq!(
        ok("$.*[?(@.k)]", &json!({"a": 1, "b": {"k": 1}})),
        json!([{"k": 1}])
    );
    assert_eq!(ok("$.missing[?(@.k)]", &doc), json!([]));
}

#[test]
fn filter_regex_in_and_document_references() {
    let doc = json!({"min": 2, "names": ["ab"], "xs": [
        {"n": "Alice", "v": 1}, {"n": "bob", "v": 2}, {"n": "ALEX", "v": 3}
    ]});
    assert_eq!(ok("$.xs[?(@.n =~ /A.*/)].v", &doc), json!([1, 3]));
    assert_eq!(ok("$.xs[?(@.n =~ /a.*/i)].v", &doc), json!([1, 3]));
    // The whole text must match, as Java's `matches()`.
    assert_eq!(ok("$.xs[?(@.n =~ /li/)].v", &doc), json!([]));
    let lines = json!({"xs": [{"n": "a\nb"}]});
    assert_eq!(ok("$.xs[?(@.n =~ /a/m)]", &lines), json!([]));
    assert_eq!(ok("$.xs[?(@.n =~ /a.b/s)]", &lines), json!([{"n": "a\nb"}]));
    assert_eq!(ok("$.xs[?(@.v =~ /[12]/)].v", &doc), json!([1, 2]));
    assert_eq!(ok("$.xs[?(@.n in ['bob', 'ALEX'])].v", &doc), json!([2, 3]));
    assert_eq!(ok("$.xs[?(@.n nin ['bob', 'ALEX'])].v", &doc), json!([1]));
    assert_eq!(ok("$.xs[?(@.v in [1, \"x\"])].v", &doc), json!([1]));
    assert_eq!(ok("$.xs[?(@.v >= $.min)].v", &doc), json!([2, 3]));
    assert_eq!(ok("$.xs[?(@.n in $.names)].v", &doc), json!([]));
    assert_eq!(
        ok("$.xs[?(@.n =~ /x\\/y/)]", &json!({"xs": [{"n": "x/y"}]})),
        json!([{"n": "x/y"}])
    );
}

#[test]
fn nested_filters_read_the_document_root() {
    let doc = json!({"want": "b", "xs": [{"tags": [{"t": "a"}]}, {"tags": [{"t": "b"}]}]});
    assert_eq!(
        ok("$.xs[?(@.tags[?(@.t == $.want)])]", &doc),
        json!([{"tags": [{"t": "b"}]}])
    );
    assert_eq!(ok("$.xs[*].tags[?(@.t == $.want)].t", &doc), json!(["b"]));
}

// ---- roots ----

#[test]
fn context_and_variable_roots() {
    let input = json!({"a": 1});
    let ctx = json!({"Execution": {"Id": "arn:x", "Input": {"input-value": 0}}});
    let vars = Vars(vec![("order", json!({"items": [10, 20]})), ("n", json!(3))]);
    let env = Env {
        input: &input,
        context: &ctx,
        vars: &vars,
    };
    let eval = |p: &str| Path::parse(p).unwrap().eval(&env);
    assert_eq!(eval("$$.Execution.Id").unwrap(), json!("arn:x"));
    // context_object.variable: a dashed name under $$.
    assert_eq!(eval("$$.Execution.Input.input-value").unwrap(), json!(0));
    assert_eq!(eval("$$").unwrap(), ctx);
    assert_eq!(eval("$order.items[1]").unwrap(), json!(20));
    assert_eq!(eval("$order.items[*]").unwrap(), json!([10, 20]));
    assert_eq!(eval("$n").unwrap(), json!(3));
    assert_eq!(
        eval("$missing.x").unwrap_err(),
        PathError::UndefinedVariable(Str::from("missing"))
    );
    assert_eq!(
        eval("$order.nope").unwrap_err(),
        PathError::NotFound {
            at: "$['nope']".into()
        }
    );
    assert_eq!(eval("$").unwrap(), input);
}

// ---- ResultPath (IO-6) ----

fn set(path: &str, mut target: Value, value: Value) -> Result<Value, PathSetError> {
    Path::parse(path)
        .unwrap()
        .set(&mut target, value)
        .map(|()| target)
}

#[test]
fn result_path_dollar_replaces_the_input() {
    assert_eq!(set("$", json!({"a": 1}), json!([1])).unwrap(), json!([1]));
    assert_eq!(set("$", json!("foo"), json!(2)).unwrap(), json!(2));
}

#[test]
fn result_path_creates_missing_objects() {
    assert_eq!(
        set("$.a.b.c", json!({}), json!(1)).unwrap(),
        json!({"a": {"b": {"c": 1}}})
    );
    assert_eq!(
        set("$.x.y", json!({"x": {"k": 0}}), json!(1)).unwrap(),
        json!({"x": {"k": 0, "y": 1}})
    );
    assert_eq!(
        set("$['a b'].c", json!({}), json!(true)).unwrap(),
        json!({"a b": {"c": true}})
    );
}

#[test]
fn result_path_overwrites_in_place() {
    let out = set("$.b", json!({"a": 1, "b": 2, "c": 3}), json!({"new": true})).unwrap();
    assert_eq!(out.to_json(), r#"{"a":1,"b":{"new":true},"c":3}"#);
    let out = set("$.a[1]", json!({"a": [1, 2, 3]}), json!("x")).unwrap();
    assert_eq!(out, json!({"a": [1, "x", 3]}));
    let out = set("$.a[-1].k", json!({"a": [{"k": 1}, {"k": 2}]}), json!(9)).unwrap();
    assert_eq!(out, json!({"a": [{"k": 1}, {"k": 9}]}));
}

#[test]
fn result_path_copies_only_what_it_writes() {
    let original = json!({"keep": {"big": [1, 2, 3]}, "w": {"x": 1}});
    let out = set("$.w.y", original.clone(), json!(2)).unwrap();
    assert_eq!(original, json!({"keep": {"big": [1, 2, 3]}, "w": {"x": 1}}));
    match (original.get("keep"), out.get("keep")) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => assert!(Arc::ptr_eq(a, b)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn result_path_match_failures() {
    // IO-6: the input "foo" cannot hold $.x.
    for (path, target) in [
        ("$.x", json!("foo")),
        ("$.a.b", json!({"a": 1})),
        ("$.a.b", json!({"a": null})),
        ("$.a.b", json!({"a": [1]})),
        ("$.a[3]", json!({"a": [1]})),
        ("$.a[0]", json!({})),
        ("$.a[0]", json!({"a": {"0": 1}})),
        ("$.a.b[0]", json!({})),
        ("$[0]", json!({})),
    ] {
        let before = target.clone();
        let mut t = target;
        let e = Path::parse(path)
            .unwrap()
            .set(&mut t, json!(1))
            .expect_err(path);
        assert_eq!(t, before, "{path} changed the target");
        assert_eq!(e.path(), path);
    }
    let e = set("$.x", json!("foo"), json!(1)).unwrap_err();
    assert_eq!(
        e.cause(&json!("foo")),
        "Unable to apply ResultPath \"$.x\" to input \"foo\""
    );
    assert_eq!(
        result_path_match_failure_cause("$.a.b", &json!({"a": 1})),
        "Unable to apply ResultPath \"$.a.b\" to input {\"a\":1}"
    );
}

#[test]
fn result_path_accepts_only_input_reference_paths() {
    for p in ["$$.a", "$v.a", "$.a[*]", "$..a", "$['a','b']", "$.a[0:1]"] {
        assert!(set(p, json!({"a": [1]}), json!(1)).is_err(), "{p}");
    }
}

// ---- robustness ----

mod props {
    use super::*;
    use proptest::prelude::*;

    fn doc() -> Value {
        json!({"a": {"b": [1, {"c": "x"}, null]}, "d": [[1, 2], {"e": 1.5}], "s": "str"})
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = Path::parse(&s);
            let _ = Expr::parse(&s);
        }

        #[test]
        fn path_like_text_never_panics(
            s in "\\$[\\$a-e\\.\\[\\]\\*\\?\\(\\)@'\":,0-9 =!<>~&|/-]{0,30}"
        ) {
            if let Ok(p) = Path::parse(&s) {
                let d = doc();
                let _ = p.eval(&Env::new(&d, &d));
                let mut t = d.clone();
                let _ = p.set(&mut t, Value::Null);
            }
        }
    }
}
