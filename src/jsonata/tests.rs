use super::*;
use crate::json;

fn eval(src: &str) -> Result<Option<Value>, JsonataError> {
    Expression::compile(src)?.evaluate(None, &NoBindings)
}

fn value(src: &str) -> Value {
    match eval(src) {
        Ok(Some(v)) => v,
        other => panic!("{src}: {other:?}"),
    }
}

fn error(src: &str) -> JsonataError {
    match eval(src) {
        Err(e) => e,
        other => panic!("{src}: expected an error, got {other:?}"),
    }
}

// ---- AWS functions (JA-3), against what AWS recorded ----

#[test]
fn partition_as_aws_recorded() {
    // intrinsic_functions/array_jsonata.array_partition#exec_hist_resp_*
    for (arr, size, expected) in [
        (json!([0]), 2, json!([[0]])),
        (json!([0]), 5, json!([[0]])),
        (json!([0, 1]), 1, json!([[0], [1]])),
        (json!([0, 1]), 2, json!([[0, 1]])),
        (json!([0, 1, 2]), 2, json!([[0, 1], [2]])),
        (json!([0, 1, 2]), 3, json!([[0, 1, 2]])),
        (json!([0, 1, 2]), 4, json!([[0, 1, 2]])),
        (json!([0, 1, 2, 3]), 3, json!([[0, 1, 2], [3]])),
    ] {
        let src = format!("$partition({arr}, {size})");
        assert_eq!(value(&src), expected, "{src}");
    }
    assert_eq!(value("$partition([], 2)"), json!([]));
}

#[test]
fn partition_rejects_bad_sizes() {
    for src in [
        "$partition([1], 0)",
        "$partition([1], -1)",
        "$partition([1], 1.5)",
    ] {
        let e = error(src);
        assert_eq!(e.code(), "D3137", "{src}");
        assert!(e.message().contains("positive integer"), "{src}: {e}");
    }
    assert_eq!(error("$partition([1], 'x')").code(), "T0410");
}

#[test]
fn range_as_aws_recorded() {
    // intrinsic_functions/array_jsonata.array_range#exec_hist_resp_*
    assert_eq!(value("$range(0, 9, 3)"), json!([0, 3, 6, 9]));
    assert_eq!(value("$range(1, 9, 2)"), json!([1, 3, 5, 7, 9]));
    // A range of one number is the number.
    assert_eq!(value("$range(1, 9, 9)"), json!(1));
    assert_eq!(value("$range(5, 1, -2)"), json!([5, 3, 1]));
    assert_eq!(value("$range(1, 5, -1)"), json!([]));
    assert_eq!(error("$range(1, 5, 0)").code(), "D3137");
    assert_eq!(error("$range(0, 1e12, 1)").code(), "D3137");
}

#[test]
fn hash_algorithms() {
    let cases = [
        ("MD5", "5d41402abc4b2a76b9719d911017c592"),
        ("SHA-1", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        (
            "SHA-256",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
    ];
    for (algo, hex) in cases {
        assert_eq!(value(&format!("$hash('hello', '{algo}')")), json!(hex));
    }
    assert_eq!(
        value("$hash('hello', 'SHA-384')").as_str().unwrap().len(),
        96
    );
    assert_eq!(
        value("$hash('hello', 'SHA-512')").as_str().unwrap().len(),
        128
    );
    let e = error("$hash('hello', 'SHA-3')");
    assert_eq!(e.code(), "D3137");
    assert!(e.message().contains("'SHA-3'"), "{e}");
}

#[test]
fn random_is_in_range_and_seeded_is_deterministic() {
    for _ in 0..100 {
        let x = value("$random()").as_f64().unwrap();
        assert!((0.0..1.0).contains(&x), "{x}");
    }
    let a = value("$random(42)");
    assert_eq!(a, value("$random(42)"));
    assert_eq!(a, value("$random(42.0)"));
    assert_ne!(a, value("$random(43)"));
    assert!((0.0..1.0).contains(&a.as_f64().unwrap()));
}

#[test]
fn uuid_is_v4() {
    let u = value("$uuid()");
    let s = u.as_str().unwrap();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4");
    assert_ne!(u, value("$uuid()"));
}

#[test]
fn parse_as_aws_recorded() {
    // intrinsic_functions/json_manipulation_jsonata.parse#exec_hist_resp_*
    assert_eq!(value("$parse('1.1')"), json!(1.1));
    assert_eq!(value("$parse('true')"), json!(true));
    assert_eq!(value(r#"$parse('"HelloWorld"')"#), json!("HelloWorld"));
    assert_eq!(
        value(r#"$parse('[1, 2, "HelloWorld"]')"#),
        json!([1, 2, "HelloWorld"])
    );
    assert_eq!(
        value(r#"$parse('{"Arg1": 1, "Arg2": []}')"#),
        json!({"Arg1": 1, "Arg2": []})
    );
    assert_eq!(error("$parse('{')").code(), "D3137");
}

#[test]
fn random_seeded_is_not_a_function() {
    // intrinsic_functions/math_operations_jsonata.math_random_seeded: AWS's cause ends with
    // "threw an error during evaluation. T1006: Attempted to invoke a non-function".
    let input = json!({"FunctionInput": "fst"});
    let b = StatesBindings {
        input: Some(&input),
        ..Default::default()
    };
    let src = "$randomSeeded($states.input.FunctionInput.fst)";
    let e = Expression::compile(src)
        .unwrap()
        .evaluate(None, &b)
        .unwrap_err();
    assert_eq!(
        e.aws_cause(src, "Output/FunctionResult"),
        "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for \
         the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to \
         invoke a non-function"
    );
}

// ---- what AWS does not run (JA-2) ----

#[test]
fn later_operators_are_rejected_as_2_0_6_does() {
    let e = Expression::compile("$a ?? 1").unwrap_err();
    assert_eq!((e.code(), e.kind()), ("S0211", ErrorKind::Syntax));
    assert_eq!(
        e.message(),
        "The symbol ? cannot be used as a unary operator"
    );
    assert_eq!(e.position(), Some(5));
    let e = Expression::compile("$a ?: 1").unwrap_err();
    assert_eq!(e.code(), "S0211");
    assert_eq!(
        e.message(),
        "The symbol : cannot be used as a unary operator"
    );
    // Nested anywhere.
    assert_eq!(
        Expression::compile("[1, {'a': ($x ?? 2)}]")
            .unwrap_err()
            .code(),
        "S0211"
    );
    // The conditional operator itself is fine.
    assert_eq!(value("true ? 1 : 2"), json!(1));
    assert_eq!(value("'a?:b' & \"??\""), json!("a?:b??"));
}

#[test]
fn eval_is_rejected() {
    let e = Expression::compile("$eval('1 + 1')").unwrap_err();
    assert_eq!((e.code(), e.kind()), ("T1006", ErrorKind::Syntax));
    assert!(e.message().contains("$eval"), "{e}");
    assert!(Expression::compile("$map([1], $eval)").is_err());
    // A local of that name is the user's own.
    assert_eq!(value("($eval := function($x){$x * 2}; $eval(2))"), json!(4));
}

#[test]
fn syntax_errors_have_code_and_position() {
    let e = Expression::compile("$states.input.[").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert!(e.code().starts_with('S'), "{e}");
    assert!(e.position().is_some());
    assert!(e.to_string().contains("at position"), "{e}");
}

// ---- bindings ----

#[test]
fn states_and_variables_are_read_by_name() {
    let input = json!({"a": {"b": [1, 2, 3]}, "big": "unused"});
    let context = json!({"Execution": {"Id": "x"}});
    let vars: Map = [("k".into(), json!(10)), ("count".into(), json!(7))]
        .into_iter()
        .collect();
    let b = StatesBindings {
        input: Some(&input),
        context: Some(&context),
        variables: Some(&vars),
        ..Default::default()
    };
    let run = |src: &str| {
        Expression::compile(src)
            .unwrap()
            .evaluate(None, &b)
            .unwrap()
    };
    assert_eq!(run("$sum($states.input.a.b) + $k"), Some(json!(16)));
    assert_eq!(run("$states.context.Execution.Id"), Some(json!("x")));
    assert_eq!(run("$states.result"), None);
    assert_eq!(run("$nope"), None);
    // A variable named like a built-in hides it, as bindings do in jsonata-js.
    assert_eq!(run("$count"), Some(json!(7)));
    // Local assignment stays local (JA-4).
    assert_eq!(run("($k := 1; $k)"), Some(json!(1)));
    assert_eq!(run("$k"), Some(json!(10)));
    // `$states` whole has its members in order.
    assert_eq!(run("$keys($states)"), Some(json!(["input", "context"])));
}

#[test]
fn input_document_is_read_in_place() {
    let doc = json!({"Account": {"Order": [{"Product": [{"Price": 2.5, "Quantity": 2}]}]}});
    let e = Expression::compile("$sum(Account.Order.Product.(Price * Quantity))").unwrap();
    assert_eq!(e.evaluate(Some(&doc), &NoBindings).unwrap(), Some(json!(5)));
    // Integral results are integers.
    assert_eq!(value("2 * 1.5").to_json(), "3");
    assert_eq!(value("0.5 + 0.25").to_json(), "0.75");
}

#[test]
fn function_results_are_unsupported() {
    let src = "$fn := function($x){$x}";
    let e = eval(src).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedResult);
    // items eval fail [function] in the conformance corpus.
    assert_eq!(
        e.aws_cause(src, "Items"),
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' \
         returned an unsupported result type."
    );
    assert_eq!(
        eval("$sum").unwrap_err().kind(),
        ErrorKind::UnsupportedResult
    );
    assert_eq!(eval("$nothing").unwrap(), None);
}

#[test]
fn causes_match_aws_text() {
    assert_eq!(
        undefined_cause("$doesNotExist", "Output/result"),
        "The JSONata expression '$doesNotExist' specified for the field 'Output/result' \
         returned nothing (undefined)."
    );
    assert_eq!(
        unexpected_type_cause("{'foo': 'bar'}", "Items", "array", &json!({"foo": "bar"})),
        "The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an \
         unexpected result type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"
    );
    assert_eq!(
        unexpected_type_cause("'string'", "Items", "array", &json!("string")),
        "The JSONata expression ''string'' specified for the field 'Items' returned an \
         unexpected result type. Expected 'array', but was 'string' for value: \"string\""
    );
}

#[test]
fn template_strings() {
    assert_eq!(parse_template_string("{% $x %}"), Some("$x"));
    assert_eq!(parse_template_string("{%$x%}"), Some("$x"));
    assert_eq!(parse_template_string("{%\n $x\n%}"), Some("$x"));
    assert_eq!(parse_template_string("{% %}"), Some(""));
    assert_eq!(parse_template_string("{%%}"), Some(""));
    // arguments.base_cases[BASE_LAMBDA_LITERALS]: whitespace outside is a literal.
    assert_eq!(parse_template_string(" {% states.input %} "), None);
    assert_eq!(parse_template_string("{% x %} "), None);
    assert_eq!(parse_template_string("$states.input"), None);
    assert_eq!(parse_template_string("{%}"), None);
    assert_eq!(parse_template_string("{% x"), None);
    assert!(Expression::compile("").is_err());
}

// ---- limits ----

#[test]
fn endless_recursion_stops() {
    let e = error("($f := function($n){ $n + $f($n + 1) }; $f(0))");
    assert_eq!(e.code(), "D1011", "{e}");
}

#[test]
fn endless_tail_recursion_stops_on_the_step_budget() {
    let limits = Limits {
        max_steps: Some(100_000),
        ..Limits::default()
    };
    let e = Expression::compile("($f := function($n){ $f($n + 1) }; $f(0))")
        .unwrap()
        .evaluate_with(None, &NoBindings, &limits)
        .unwrap_err();
    assert_eq!(e.code(), "U1006", "{e}");
}

#[test]
fn endless_loop_stops_on_the_timeout() {
    let limits = Limits {
        max_steps: None,
        timeout: Some(Duration::from_millis(50)),
        ..Limits::default()
    };
    let e = Expression::compile("($f := function($n){ $f($n + 1) }; $f(0))")
        .unwrap()
        .evaluate_with(None, &NoBindings, &limits)
        .unwrap_err();
    assert_eq!(e.code(), "D1012", "{e}");
}

fn nested(depth: usize) -> Value {
    let mut v = json!({"leaf": 1});
    for _ in 0..depth {
        v = Value::array(vec![v]);
    }
    v
}

#[test]
fn deep_input_does_not_overflow() {
    // Half the stack of a tokio worker thread. (Dropping such a value takes a few hundred kB
    // of stack in a debug build by itself.)
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let doc = nested(998);
            let input = Value::object([("doc".into(), doc.clone())].into_iter().collect());
            let b = StatesBindings {
                input: Some(&input),
                ..Default::default()
            };
            let whole = Expression::compile("$states.input.doc").unwrap();
            assert_eq!(whole.evaluate(None, &b).unwrap().unwrap().depth(), 999);
            let leaf = Expression::compile("$states.input.**.leaf").unwrap();
            assert_eq!(leaf.evaluate(None, &b).unwrap(), Some(json!(1)));
            let e = Expression::compile("$").unwrap();
            assert_eq!(
                e.evaluate(Some(&doc), &NoBindings)
                    .unwrap()
                    .unwrap()
                    .depth(),
                999
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn expression_is_send_sync_and_shared() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Expression>();
    let e = Expression::compile("$x * 2").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let e = e.clone();
            std::thread::spawn(move || {
                let vars: Map = [("x".into(), json!(i))].into_iter().collect();
                let b = StatesBindings {
                    variables: Some(&vars),
                    ..Default::default()
                };
                e.evaluate(None, &b).unwrap()
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), Some(json!(i as i64 * 2)));
    }
}

#[test]
fn cut_bindings_give_the_same_results_as_whole_ones() {
    let input = json!({
        "a": {"b": {"c": 1, "d": [1, 2, {"e": 3}]}, "f": "x"},
        "items": [{"k": "p", "v": 1, "w": {"z": 9}}, {"k": "q", "v": 2, "w": {"z": 8}}],
        "n": 5,
        "s": "text"
    });
    let context = json!({"Execution": {"Id": "id-1", "Input": {"q": 1}}, "State": {"Name": "S"}});
    let vars: Map = [
        ("v".into(), input.clone()),
        ("w".into(), json!([{"a": 1}, {"a": [2, 3]}])),
    ]
    .into_iter()
    .collect();
    let b = StatesBindings {
        input: Some(&input),
        context: Some(&context),
        variables: Some(&vars),
        ..Default::default()
    };
    let limits = Limits::default();
    for src in [
        "$states.input.a.b.c",
        "$states.input.a.b.%.f",
        "$states.input.items[v > 1].w.z",
        "$states.input.items.{k: v}",
        "$states.input.items#$i.($i & k)",
        "$states.input.items@$it.$it.w",
        "$states.input.a.*",
        "$states.input.**.e",
        "$keys($states.input)",
        "$lookup($states.input.a, 'f')",
        "$each($states.input.a.b, function($v, $k){$k})",
        "$sift($states.input, function($v){$v = 5})",
        "$string($states.input.a)",
        "$states.input ~> |a.b|{'c': 2}|",
        "$merge([$states.input.a.b, {'x': 1}])",
        "($s := $states.input; $s.a.f & $s.n)",
        "($f := function($o){$o.a.b.d}; $f($states.input))",
        "$map($states.input.items, function($i){$i.w})",
        "$states.context.Execution.Input.q & $states.context.State.Name",
        "$states",
        "$keys($states)",
        "$v.a.b.d[2].e",
        "$v.items^(>v).k",
        "$w.a",
        "$w[1].a[0]",
        "$states.input.items{k: $sum(v)}",
        "$spread($states.input.a.b)",
        "$states.input.a.b.d[$ = 2]",
        "$partition($states.input.items, 1)",
        "$partition($states.input.items.w, 1)",
        "$hash($states.input.a, 'MD5')",
        "$parse($string($states.input.a.b))",
        "$states.input.items.$partition([k, v], 1)",
    ] {
        let cut = Compiled::new(src).unwrap().run(None, &b, &limits);
        let whole = Compiled::uncut(src).run(None, &b, &limits);
        assert_eq!(cut, whole, "{src}");
        assert!(matches!(whole, Ok(Some(_))), "{src}: {whole:?}");
    }
}

#[test]
fn direct_path_equals_engine() {
    let input = json!({
        "a": {"b": [5], "c": [[1, 2]], "d": [], "e": {"f": [1, [2.0]]}, "g": 2.5, "h": 3.0},
        "big": 9007199254740993i64,
        "floats": {"x": [1.0, 2.0, {"y": -0.0}], "z": "s"},
        "arr": [{"k": 1}, {"k": 2}],
        "s": "text",
        "n": null
    });
    let vars: Map = [
        ("v".into(), input.clone()),
        ("one".into(), json!([5])),
        ("f".into(), json!(1.0)),
        ("count".into(), json!(3)),
    ]
    .into_iter()
    .collect();
    let b = StatesBindings {
        input: Some(&input),
        variables: Some(&vars),
        ..Default::default()
    };
    let limits = Limits::default();
    for src in [
        "$states.input",
        "$states.input.a",
        "$states.input.a.b",
        "$states.input.a.c",
        "$states.input.a.d",
        "$states.input.a.e.f",
        "$states.input.a.g",
        "$states.input.a.h",
        "$states.input.big",
        "$states.input.floats",
        "$states.input.s",
        "$states.input.n",
        "$v.a.e",
        "$one",
        "$f",
        "$count",
        "$v",
    ] {
        let c = Compiled::new(src).unwrap();
        assert!(c.direct.is_some(), "{src} should take the direct path");
        let direct = c.direct(&b);
        let engine = c.run(None, &b, &limits).unwrap();
        assert!(direct.is_some(), "{src}");
        // Same values, and the same text (integers stay integers).
        assert_eq!(direct, engine, "{src}");
        assert_eq!(
            direct.map(|v| v.to_json()),
            engine.map(|v| v.to_json()),
            "{src}"
        );
    }
    // Not direct: decorated steps, arrays on the way, missing values.
    for src in [
        "$states.input.arr.k",
        "$states.input.missing",
        "$nope",
        "$states.input.s.x",
    ] {
        let c = Compiled::new(src).unwrap();
        assert_eq!(c.direct(&b), None, "{src}");
    }
    for src in [
        "$states.input.a[0]",
        "$states.input.a.b[]",
        "$",
        "$$",
        "$states.input.(a)",
    ] {
        assert!(Compiled::new(src).unwrap().direct.is_none(), "{src}");
    }
}

// ---- templates ----

#[test]
fn template_evaluates_nested_expressions_and_shares_literals() {
    let field = json!({
        "constant": {"x": [1, " {% states.input %} ", "$states.input"]},
        "value": "{% $states.input.n * 2 %}",
        "list": [1, "{% $number('2') %}", 3],
        "deep": {"a": {"b": "{% $v %}"}}
    });
    let t = Template::compile("Arguments", &field).unwrap();
    assert!(!t.is_literal());
    let input = json!({"n": 21});
    let vars: Map = [("v".into(), json!("var"))].into_iter().collect();
    let b = StatesBindings {
        input: Some(&input),
        variables: Some(&vars),
        ..Default::default()
    };
    assert_eq!(
        t.evaluate(&b).unwrap().to_json(),
        r#"{"constant":{"x":[1," {% states.input %} ","$states.input"]},"value":42,"list":[1,2,3],"deep":{"a":{"b":"var"}}}"#
    );
    let literal = json!({"a": [1, "x"]});
    let t = Template::compile("Output", &literal).unwrap();
    assert!(t.is_literal());
    assert_eq!(t.evaluate(&NoBindings).unwrap(), literal);
}

#[test]
fn template_errors_name_the_location_as_aws_does() {
    // assign_reference_variables.undefined_reference[BASE_UNDEFINED_OUTPUT_MULTIPLE_STATES]
    let t = Template::compile("Output", &json!({"result": "{% $doesNotExist %}"})).unwrap();
    let e = t.evaluate(&NoBindings).unwrap_err();
    assert_eq!(e.location, "Output/result");
    assert_eq!(
        e.aws_cause(),
        "The JSONata expression '$doesNotExist' specified for the field 'Output/result' \
         returned nothing (undefined)."
    );
    // A whole-field expression has the field alone as its location.
    let t = Template::compile("Items", &json!("{% $fn := function($x){$x} %}")).unwrap();
    assert_eq!(
        t.evaluate(&NoBindings).unwrap_err().aws_cause(),
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' \
         returned an unsupported result type."
    );
    let t = Template::compile(
        "Output",
        &json!({"FunctionResult": "{% $randomSeeded(1) %}"}),
    )
    .unwrap();
    let e = t.evaluate(&NoBindings).unwrap_err();
    assert!(
        e.aws_cause().ends_with(
            "specified for the field 'Output/FunctionResult' threw an error during evaluation. \
             T1006: Attempted to invoke a non-function"
        ),
        "{e}"
    );
    // Syntax errors are found at compile time, with their location.
    let e = Template::compile("Assign", &json!({"x": [0, "{% $a ?? 1 %}"]})).unwrap_err();
    assert_eq!(e.location, "Assign/x/1");
    assert_eq!(e.expression, "$a ?? 1");
    assert!(matches!(&e.failure, TemplateFailure::Syntax(j) if j.code() == "S0211"));
}

// ---- what an expression can read of `$states` (the VM builds the Context object on it) ----

#[test]
fn reads_state_says_which_members_of_states_are_read() {
    let reads = |src: &str, field: &str| Expression::compile(src).unwrap().reads_state(field);
    assert!(reads("$states.context.Execution.Id", "context"));
    assert!(!reads("$states.input.a", "context"));
    assert!(reads("$states.input.a", "input"));
    assert!(!reads("$x.context", "context"));
    // Whole `$states`, or a dynamic member, reads everything.
    assert!(reads("$states", "context"));
    assert!(reads("$lookup($states, 'context')", "context"));
    assert!(reads("$states.input ~> $keys()", "input"));
    let t = Template::compile(
        "Output",
        &json!({"a": [1, "{% $states.context.State.Name %}"], "b": "{% $states.input %}"}),
    )
    .unwrap();
    assert!(t.reads_state("context") && t.reads_state("input") && !t.reads_state("result"));
    assert!(t.expression().is_none());
    let whole = Template::compile("Items", &json!("{% $states.input.xs %}")).unwrap();
    assert_eq!(
        whole.expression().map(Expression::source),
        Some("$states.input.xs")
    );
}
