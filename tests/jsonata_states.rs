//! JSONata states (ASL §4 QL-*, §9 VAR-*, §10 JA-*): behaviour beyond what the conformance
//! recordings show — each typed field's errors, catchers and retries of query errors,
//! `$states.context` in a Map's `ItemSelector`, variables, mixed machines, endless
//! expressions, syntax errors at creation. Spec item ids in test names.
//!
//! Causes are compared whole: the prefix is AWS's ("An error occurred while executing the
//! state 'X' (entered at the event id #N). "), the rest AWS's where recorded and otherwise the
//! engine's documented wording.

#[path = "support/paused.rs"]
mod paused;

use aslx::{
    json, DiagnosticCode, Handlers, Machine, MachineError, MachineType, Outcome, Status, TaskError,
    Value,
};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

const ECHO: &str = "arn:aws:lambda:us-east-1:111111111111:function:echo";
const SLOW: &str = "arn:aws:lambda:us-east-1:111111111111:function:slow";
const BOOM: &str = "arn:aws:lambda:us-east-1:111111111111:function:boom";

fn handlers() -> Handlers {
    let mut h = Handlers::new();
    h.function("echo", Ok);
    h.function_async("slow", |v: Value| async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(v)
    });
    h.function("boom", |_| Err(TaskError::new("Boom", "it broke")));
    h
}

fn machine(def: &str) -> Machine {
    Machine::new("test", def, MachineType::Express, &handlers())
        .unwrap_or_else(|e| panic!("machine not created: {e}"))
}

/// Runs on a paused clock: Wait states and handler sleeps take virtual time.
fn run(def: &str, input: Value) -> Outcome {
    run_timed(def, input).0
}

fn run_timed(def: &str, input: Value) -> (Outcome, Duration) {
    paused::run_paused(&machine(def), input)
}

fn output(o: &Outcome) -> Value {
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    o.output.clone().unwrap()
}

fn failed(o: &Outcome) -> (String, String) {
    assert_eq!(o.status, Status::Failed, "{o:?}");
    (
        o.error.as_deref().unwrap_or_default().to_string(),
        o.cause.clone().unwrap_or_default(),
    )
}

/// `States.QueryEvaluationError` of state `state` entered at event `event`.
fn query_error(state: &str, event: u32, cause: &str) -> (String, String) {
    (
        "States.QueryEvaluationError".to_string(),
        format!(
            "An error occurred while executing the state '{state}' (entered at the event id #{event}). {cause}"
        ),
    )
}

/// A one-state JSONata machine.
fn single(state: &str) -> String {
    format!(r#"{{"QueryLanguage":"JSONata","StartAt":"S","States":{{"S":{state}}}}}"#)
}

// ------------------------------------------------------------------ typed fields (JA-8)

#[test]
fn ja8_task_timeout_seconds_expression_must_be_a_positive_integer() {
    let task = |t: &str| {
        single(&format!(
            r#"{{"Type":"Task","Resource":"{ECHO}","TimeoutSeconds":"{{% {t} %}}","End":true}}"#
        ))
    };
    assert_eq!(
        failed(&run(&task("0"), json!({}))),
        query_error(
            "S",
            2,
            "The TimeoutSeconds field must be a positive integer, but was: 0"
        )
    );
    assert_eq!(
        failed(&run(&task("'10'"), json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression ''10'' specified for the field 'TimeoutSeconds' returned an unexpected result type. Expected 'number', but was 'string' for value: \"10\""
        )
    );
    assert_eq!(
        failed(&run(&task("1.5"), json!({}))),
        query_error(
            "S",
            2,
            "The TimeoutSeconds field cannot be parsed as an integer: 1.5"
        )
    );
    assert_eq!(
        failed(&run(&task("$states.input.none"), json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression '$states.input.none' specified for the field 'TimeoutSeconds' returned nothing (undefined)."
        )
    );
    // An integral result written as a float is an integer (JSONata numbers are doubles).
    assert_eq!(output(&run(&task("2.0"), json!({"a": 1}))), json!({"a": 1}));
}

#[test]
fn ja8_task_timeout_from_an_expression_times_the_task_out() {
    let def = single(&format!(
        r#"{{"Type":"Task","Resource":"{SLOW}","TimeoutSeconds":"{{% $states.input.limit %}}","HeartbeatSeconds":"{{% $states.input.limit - 1 %}}","End":true}}"#
    ));
    let (o, took) = run_timed(&def, json!({"limit": 3}));
    assert_eq!(failed(&o).0, "States.Timeout");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let (o, _) = run_timed(&def, json!({"limit": 30}));
    assert_eq!(output(&o), json!({"limit": 30}));
}

#[test]
fn ja8_wait_seconds_expression_waits_and_checks_its_value() {
    let wait = |s: &str| {
        single(&format!(
            r#"{{"Type":"Wait","Seconds":"{{% {s} %}}","End":true}}"#
        ))
    };
    let (o, took) = run_timed(&wait("$states.input.s * 2"), json!({"s": 5}));
    assert_eq!(output(&o), json!({"s": 5}));
    assert!(took >= Duration::from_secs(10), "took {took:?}");
    assert_eq!(
        failed(&run(&wait("-1"), json!({}))),
        query_error(
            "S",
            2,
            "The Seconds field must be a non-negative integer, but was: -1"
        )
    );
    assert_eq!(
        failed(&run(&wait("[1]"), json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression '[1]' specified for the field 'Seconds' returned an unexpected result type. Expected 'number', but was 'array' for value: [1]"
        )
    );
    // WAIT-6 holds for expressions too.
    assert_eq!(
        failed(&run(&wait("3000000000"), json!({}))),
        (
            "States.Runtime".to_string(),
            "An error occurred while executing the state 'S' (entered at the event id #2). Wait state delay is too long.".to_string()
        )
    );
}

#[test]
fn ja8_wait_timestamp_expression_must_be_a_timestamp_string() {
    let wait = |s: &str| {
        single(&format!(
            r#"{{"Type":"Wait","Timestamp":"{{% {s} %}}","Output":"{{% 'done' %}}","End":true}}"#
        ))
    };
    assert_eq!(
        output(&run(&wait("'2016-03-14T01:59:00Z'"), json!({}))),
        json!("done")
    );
    assert_eq!(
        failed(&run(&wait("12"), json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression '12' specified for the field 'Timestamp' returned an unexpected result type. Expected 'string', but was 'number' for value: 12"
        )
    );
}

#[test]
fn ja8_fail_error_and_cause_expressions_must_be_strings() {
    let fail = |e: &str, c: &str| {
        single(&format!(
            r#"{{"Type":"Fail","Error":"{{% {e} %}}","Cause":"{{% {c} %}}"}}"#
        ))
    };
    assert_eq!(
        failed(&run(
            &fail("'E.' & $states.input.code", "$string($states.input)"),
            json!({"code": 7})
        )),
        ("E.7".to_string(), r#"{"code":7}"#.to_string())
    );
    assert_eq!(
        failed(&run(&fail("'E'", "$states.input.n"), json!({"n": 1}))),
        query_error(
            "S",
            2,
            "The JSONata expression '$states.input.n' specified for the field 'Cause' returned an unexpected result type. Expected 'string', but was 'number' for value: 1"
        )
    );
}

#[test]
fn ch3_condition_must_be_a_boolean() {
    let choice = |c: &str| {
        single(&format!(
            r#"{{"Type":"Choice","Choices":[{{"Condition":{c},"Next":"T"}}],"Default":"T"}},"T":{{"Type":"Succeed"}}"#
        ))
    };
    assert_eq!(
        failed(&run(&choice(r#""{% $states.input.n %}""#), json!({"n": 1}))),
        query_error(
            "S",
            2,
            "The JSONata expression '$states.input.n' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was 'number' for value: 1"
        )
    );
    assert_eq!(
        failed(&run(&choice(r#""{% $states.input.none %}""#), json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression '$states.input.none' specified for the field 'Condition' returned nothing (undefined)."
        )
    );
    // A literal condition.
    assert_eq!(
        output(&run(&choice("true"), json!({"n": 1}))),
        json!({"n": 1})
    );
}

#[test]
fn ch3_chosen_rule_output_and_assign_apply_and_the_state_level_ones_only_on_default() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"C","States":{
        "C":{"Type":"Choice","Choices":[
            {"Condition":"{% $states.input.n > 10 %}","Next":"Big","Output":{"size":"big","n":"{% $states.input.n %}"},"Assign":{"kind":"rule"}},
            {"Condition":"{% $states.input.n > 5 %}","Next":"Big"}],
         "Default":"Small","Output":{"size":"small"},"Assign":{"kind":"default"}},
        "Big":{"Type":"Pass","Output":{"in":"{% $states.input %}","kind":"{% $exists($kind) ? $kind : 'none' %}"},"End":true},
        "Small":{"Type":"Pass","Output":{"in":"{% $states.input %}","kind":"{% $kind %}"},"End":true}}}"#;
    assert_eq!(
        output(&run(def, json!({"n": 11}))),
        json!({"in": {"size": "big", "n": 11}, "kind": "rule"})
    );
    // A chosen rule without Output passes its input on; the state's Assign does not run.
    assert_eq!(
        output(&run(def, json!({"n": 6}))),
        json!({"in": {"n": 6}, "kind": "none"})
    );
    assert_eq!(
        output(&run(def, json!({"n": 1}))),
        json!({"in": {"size": "small"}, "kind": "default"})
    );
}

#[test]
fn ch2_no_rule_and_no_default_is_no_choice_matched() {
    let def = single(
        r#"{"Type":"Choice","Choices":[{"Condition":false,"Next":"E"}]},"E":{"Type":"Succeed"}"#,
    );
    assert_eq!(
        failed(&run(&def, json!({}))),
        (
            "States.NoChoiceMatched".to_string(),
            "No Matches! An error occurred while executing the state 'S' (entered at the event id #2).".to_string()
        )
    );
}

// ------------------------------------------------------------------ errors (JA-9, CAT-3)

#[test]
fn ja9_query_errors_of_a_task_are_caught_with_the_error_output() {
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"T","States":{{
        "T":{{"Type":"Task","Resource":"{ECHO}","Arguments":{{"x":"{{% $states.input.missing %}}"}},"End":true,
             "Catch":[{{"ErrorEquals":["States.QueryEvaluationError"],"Next":"After",
                "Output":{{"err":"{{% $states.errorOutput %}}","in":"{{% $states.input %}}"}},
                "Assign":{{"caught":"{{% $states.errorOutput.Error %}}"}}}}]}},
        "After":{{"Type":"Pass","Output":{{"out":"{{% $states.input %}}","caught":"{{% $caught %}}"}},"End":true}}}}}}"#
    );
    let out = output(&run(&def, json!({"a": 1})));
    assert_eq!(
        out,
        json!({
            "out": {
                "err": {
                    "Error": "States.QueryEvaluationError",
                    "Cause": "An error occurred while executing the state 'T' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Arguments/x' returned nothing (undefined)."
                },
                "in": {"a": 1}
            },
            "caught": "States.QueryEvaluationError"
        })
    );
}

#[test]
fn ja9_query_errors_of_a_task_are_retried_and_retry_count_is_in_the_context() {
    // Arguments fail until the third attempt (RetryCount 2), which calls the handler.
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"T","States":{{
        "T":{{"Type":"Task","Resource":"{ECHO}","End":true,
             "Arguments":{{"attempt":"{{% $states.context.State.RetryCount >= 2 ? $states.context.State.RetryCount : $nope %}}"}},
             "Retry":[{{"ErrorEquals":["States.QueryEvaluationError"],"IntervalSeconds":1,"MaxAttempts":3}}]}}}}}}"#
    );
    assert_eq!(output(&run(&def, json!({}))), json!({"attempt": 2}));
}

#[test]
fn ja9_output_error_of_a_task_is_caught_by_states_all() {
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"T","States":{{
        "T":{{"Type":"Task","Resource":"{ECHO}","Output":"{{% $states.result.a + 'x' %}}","End":true,
             "Catch":[{{"ErrorEquals":["States.ALL"],"Next":"After"}}]}},
        "After":{{"Type":"Succeed"}}}}}}"#
    );
    let out = output(&run(&def, json!({"a": 1})));
    assert_eq!(
        out.get("Error"),
        Some(&json!("States.QueryEvaluationError"))
    );
    assert_eq!(
        out.get("Cause").cloned().unwrap(),
        json!("An error occurred while executing the state 'T' (entered at the event id #2). The JSONata expression '$states.result.a + 'x'' specified for the field 'Output' threw an error during evaluation. T2002: The right side of the \"+\" operator must evaluate to a number")
    );
}

#[test]
fn cat3_catcher_of_a_task_error_sees_input_and_error_output_and_assigns_two_phase() {
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"Init","States":{{
        "Init":{{"Type":"Pass","Assign":{{"n":1}},"Next":"T"}},
        "T":{{"Type":"Task","Resource":"{BOOM}","End":true,
             "Assign":{{"n":100}},
             "Catch":[{{"ErrorEquals":["Boom"],"Next":"After",
                "Assign":{{"n":"{{% $n + 1 %}}","old":"{{% $n %}}"}},
                "Output":{{"cause":"{{% $states.errorOutput.Cause %}}","n":"{{% $n %}}","in":"{{% $states.input %}}"}}}}]}},
        "After":{{"Type":"Pass","Output":{{"from":"{{% $states.input %}}","n":"{{% $n %}}","old":"{{% $old %}}"}},"End":true}}}}}}"#
    );
    assert_eq!(
        output(&run(&def, json!({"k": true}))),
        json!({"from": {"cause": "it broke", "n": 1, "in": {"k": true}}, "n": 2, "old": 1})
    );
}

#[test]
fn cat3_catcher_without_output_passes_the_error_output() {
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"T","States":{{
        "T":{{"Type":"Task","Resource":"{BOOM}","End":true,"Catch":[{{"ErrorEquals":["States.ALL"],"Next":"After"}}]}},
        "After":{{"Type":"Succeed"}}}}}}"#
    );
    assert_eq!(
        output(&run(&def, json!({}))),
        json!({"Error": "Boom", "Cause": "it broke"})
    );
}

#[test]
fn ja5_result_is_not_visible_to_arguments() {
    let def = single(&format!(
        r#"{{"Type":"Task","Resource":"{ECHO}","Arguments":"{{% $states.result %}}","End":true}}"#
    ));
    assert_eq!(
        failed(&run(&def, json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression '$states.result' specified for the field 'Arguments' returned nothing (undefined)."
        )
    );
}

#[test]
fn ja11_a_function_result_is_unsupported() {
    let def = single(r#"{"Type":"Pass","Output":{"f":"{% function($x){$x} %}"},"End":true}"#);
    assert_eq!(
        failed(&run(&def, json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression 'function($x){$x}' specified for the field 'Output/f' returned an unsupported result type."
        )
    );
}

#[test]
fn ja9_an_expression_that_recurses_without_end_is_a_query_error_not_a_crash() {
    let def = single(
        r#"{"Type":"Pass","Output":"{% ($f := function($x){ 1 + $f($x) }; $f(0)) %}","End":true}"#,
    );
    let (error, cause) = failed(&run(&def, json!({})));
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.starts_with("An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '($f := function($x){ 1 + $f($x) }; $f(0))' specified for the field 'Output' threw an error during evaluation. D1011"),
        "{cause}"
    );
}

#[test]
fn ja9_an_expression_that_loops_without_end_is_stopped() {
    // A tail call does not deepen the stack: the step budget (or the time limit) ends it.
    let def = single(
        r#"{"Type":"Pass","Output":"{% ($f := function($x){ $f($x + 1) }; $f(0)) %}","End":true}"#,
    );
    let (error, cause) = failed(&run(&def, json!({})));
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.contains("threw an error during evaluation. U1006") || cause.contains("D1012"),
        "{cause}"
    );
}

#[test]
fn quo2_a_jsonata_output_over_256_kib_is_data_limit_exceeded() {
    let def = single(
        r#"{"Type":"Pass","Output":"{% $join($map([1..300000], function($i){'x'}), '') %}","End":true}"#,
    );
    let (error, _) = failed(&run(&def, json!({})));
    assert_eq!(error, "States.DataLimitExceeded");
}

// ------------------------------------------------------------------ Map and Parallel

#[test]
fn map3_item_selector_reads_the_map_item_context_and_the_state_input() {
    let def = single(
        r#"{"Type":"Map","Items":"{% $states.input.xs %}","End":true,
        "ItemSelector":{"index":"{% $states.context.Map.Item.Index %}","value":"{% $states.context.Map.Item.Value %}","tag":"{% $states.input.tag %}","state":"{% $states.context.State.Name %}"},
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}"#,
    );
    assert_eq!(
        output(&run(&def, json!({"xs": ["a", "b"], "tag": "t"}))),
        json!([
            {"index": 0, "value": "a", "tag": "t", "state": "S"},
            {"index": 1, "value": "b", "tag": "t", "state": "S"}
        ])
    );
}

#[test]
fn map2_items_literal_with_expressions_and_output_with_result() {
    let def = single(
        r#"{"Type":"Map","Items":[1,"{% $states.input.two %}",{"three":"{% 1 + 2 %}"}],"End":true,
        "Output":{"count":"{% $count($states.result) %}","all":"{% $states.result %}"},
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}"#,
    );
    assert_eq!(
        output(&run(&def, json!({"two": 2}))),
        json!({"count": 3, "all": [1, 2, {"three": 3}]})
    );
}

#[test]
fn map2_without_items_the_input_must_be_an_array() {
    let def = single(
        r#"{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}"#,
    );
    assert_eq!(
        failed(&run(&def, json!({"a": 1}))),
        query_error(
            "S",
            2,
            r#"Map state input must be an array but was: {"a":1}"#
        )
    );
}

#[test]
fn map4_map9_limits_from_expressions_are_checked() {
    let map = |field: &str, expr: &str| {
        single(&format!(
            r#"{{"Type":"Map","Items":[1,2],"{field}":"{{% {expr} %}}","End":true,
            "ItemProcessor":{{"StartAt":"P","States":{{"P":{{"Type":"Pass","End":true}}}}}}}}"#
        ))
    };
    assert_eq!(
        output(&run(
            &map("MaxConcurrency", "$states.input.c"),
            json!({"c": 1})
        )),
        json!([1, 2])
    );
    assert_eq!(
        failed(&run(&map("MaxConcurrency", "-1"), json!({}))),
        query_error(
            "S",
            2,
            "The MaxConcurrency field must be a non-negative integer, but was: -1"
        )
    );
    assert_eq!(
        failed(&run(&map("ToleratedFailurePercentage", "101"), json!({}))),
        query_error(
            "S",
            2,
            "ToleratedFailurePercentage must be between 0 and 100."
        )
    );
    assert_eq!(
        failed(&run(&map("ToleratedFailureCount", "-2"), json!({}))),
        query_error("S", 2, "ToleratedFailureCount cannot be negative.")
    );
    assert_eq!(
        failed(&run(&map("ToleratedFailureCount", "'many'"), json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression ''many'' specified for the field 'ToleratedFailureCount' returned an unexpected result type. Expected 'number', but was 'string' for value: \"many\""
        )
    );
}

#[test]
fn map9_tolerated_failures_from_an_expression_keep_the_map_going() {
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"M","States":{{"M":{{"Type":"Map","Items":"{{% $states.input %}}","End":true,
        "ToleratedFailureCount":"{{% 1 %}}",
        "ItemProcessor":{{"StartAt":"C","States":{{
            "C":{{"Type":"Choice","Choices":[{{"Condition":"{{% $states.input = 2 %}}","Next":"F"}}],"Default":"P"}},
            "F":{{"Type":"Task","Resource":"{BOOM}","End":true}},
            "P":{{"Type":"Pass","End":true}}}}}}}}}}}}"#
    );
    assert_eq!(
        output(&run(&def, json!([1, 2, 3]))),
        json!([1, {"Error": "Boom", "Cause": "it broke"}, 3])
    );
}

#[test]
fn ja9_a_map_items_error_is_caught_by_the_map() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}","End":true,
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
        "Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Next":"After","Output":"{% $states.errorOutput.Error %}"}]},
        "After":{"Type":"Succeed"}}}"#;
    assert_eq!(
        output(&run(def, json!({"xs": 5}))),
        json!("States.QueryEvaluationError")
    );
}

#[test]
fn ja6_parallel_arguments_are_each_branch_input_and_output_reads_the_result() {
    let branch = |k: &str| {
        format!(
            r#"{{"StartAt":"B{k}","States":{{"B{k}":{{"Type":"Pass","Output":{{"{k}":"{{% $states.input.v %}}"}},"End":true}}}}}}"#
        )
    };
    let def = single(&format!(
        r#"{{"Type":"Parallel","Arguments":{{"v":"{{% $states.input.x * 10 %}}"}},"End":true,
        "Output":{{"merged":"{{% $merge($states.result) %}}","in":"{{% $states.input %}}"}},
        "Branches":[{},{}]}}"#,
        branch("a"),
        branch("b")
    ));
    assert_eq!(
        output(&run(&def, json!({"x": 4}))),
        json!({"merged": {"a": 40, "b": 40}, "in": {"x": 4}})
    );
}

// ------------------------------------------------------------------ variables (VAR-*)

#[test]
fn var4_var7_assign_is_two_phase_and_output_sees_the_old_values() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{
        "A":{"Type":"Pass","Assign":{"a":1,"nested":{"list":["{% 1 + 1 %}",{"deep":"{% $states.input.k %}"}]}},"Next":"B"},
        "B":{"Type":"Pass","Assign":{"a":"{% $a + 1 %}","b":"{% $a %}"},"Output":{"a":"{% $a %}"},"Next":"C"},
        "C":{"Type":"Pass","Output":{"prev":"{% $states.input %}","a":"{% $a %}","b":"{% $b %}","nested":"{% $nested %}"},"End":true}}}"#;
    assert_eq!(
        output(&run(def, json!({"k": "v"}))),
        json!({"prev": {"a": 1}, "a": 2, "b": 1, "nested": {"list": [2, {"deep": "v"}]}})
    );
}

#[test]
fn var7_task_assign_sees_the_result_and_the_input() {
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"T","States":{{
        "T":{{"Type":"Task","Resource":"{ECHO}","Arguments":{{"r":"{{% $states.input.x + 1 %}}"}},
             "Assign":{{"res":"{{% $states.result.r %}}","inp":"{{% $states.input.x %}}"}},"Next":"P"}},
        "P":{{"Type":"Pass","Output":"{{% [$res, $inp, $states.input.r] %}}","End":true}}}}}}"#
    );
    assert_eq!(output(&run(&def, json!({"x": 1}))), json!([2, 1, 2]));
}

#[test]
fn var8_branches_read_outer_variables_in_jsonata() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"Init","States":{
        "Init":{"Type":"Pass","Assign":{"base":100},"Next":"M"},
        "M":{"Type":"Map","Items":[1,2],"End":true,
            "ItemProcessor":{"StartAt":"P","States":{
                "P":{"Type":"Pass","Assign":{"mine":"{% $states.input + $base %}"},"Next":"Q"},
                "Q":{"Type":"Pass","Output":"{% $mine %}","End":true}}}}}}"#;
    assert_eq!(output(&run(def, json!({}))), json!([101, 102]));
}

#[test]
fn var9_an_undefined_variable_is_a_query_error() {
    let def = single(r#"{"Type":"Pass","Assign":{"x":"{% $nobody %}"},"End":true}"#);
    assert_eq!(
        failed(&run(&def, json!({}))),
        query_error(
            "S",
            2,
            "The JSONata expression '$nobody' specified for the field 'Assign/x' returned nothing (undefined)."
        )
    );
}

#[test]
fn ja4_assignment_inside_an_expression_is_local() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{
        "A":{"Type":"Pass","Assign":{"v":1},"Output":"{% ($v := 5; $v) %}","Next":"B"},
        "B":{"Type":"Pass","Output":"{% [$states.input, $v] %}","End":true}}}"#;
    assert_eq!(output(&run(def, json!({}))), json!([5, 1]));
}

// ------------------------------------------------------------------ mixed machines (QL-*)

#[test]
fn ql1_ql2_jsonpath_and_jsonata_states_share_data_and_variables() {
    let def = format!(
        r#"{{"StartAt":"Path1","States":{{
        "Path1":{{"Type":"Pass","Parameters":{{"n.$":"$.n"}},"Assign":{{"fromPath.$":"$.n"}},"Next":"Ata"}},
        "Ata":{{"Type":"Task","QueryLanguage":"JSONata","Resource":"{ECHO}",
             "Arguments":{{"n":"{{% $states.input.n * 2 %}}","p":"{{% $fromPath %}}"}},
             "Assign":{{"fromAta":"{{% $states.result.n %}}"}},"Next":"Path2"}},
        "Path2":{{"Type":"Pass","Parameters":{{"input.$":"$","a.$":"$fromAta","p.$":"$fromPath"}},"End":true}}}}}}"#
    );
    assert_eq!(
        output(&run(&def, json!({"n": 21}))),
        json!({"input": {"n": 42, "p": 21}, "a": 42, "p": 21})
    );
}

#[test]
fn ql3_states_nested_in_a_jsonata_map_default_to_the_machine_language() {
    // The Map is JSONata by its own field; its processor's states use the machine's JSONPath.
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","QueryLanguage":"JSONata","Items":"{% $states.input.xs %}","End":true,
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}}}}}"#;
    assert_eq!(
        output(&run(def, json!({"xs": [1, 2]}))),
        json!([{"v": 1}, {"v": 2}])
    );
}

#[test]
fn ql2_a_jsonpath_state_in_a_jsonata_machine_is_rejected() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}"#;
    let e = Machine::new("m", def, MachineType::Express, &Handlers::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/A'"
    );
}

#[test]
fn ctx1_context_object_in_jsonata() {
    let def = single(
        r#"{"Type":"Pass","Output":{"input":"{% $states.context.Execution.Input %}","state":"{% $states.context.State.Name %}","machine":"{% $states.context.StateMachine.Name %}"},"End":true}"#,
    );
    assert_eq!(
        output(&run(&def, json!({"q": 1}))),
        json!({"input": {"q": 1}, "state": "S", "machine": "test"})
    );
}

#[test]
fn ja6_lambda_invoke_takes_function_name_and_payload_from_arguments() {
    let def = single(
        r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"{% $states.input.fn %}","Payload":{"v":"{% $states.input.v %}"}},"Output":"{% $states.result.Payload %}","End":true}"#,
    );
    assert_eq!(
        output(&run(&def, json!({"fn": "echo", "v": 3}))),
        json!({"v": 3})
    );
}

// ------------------------------------------------------------------ definitions (JA-10)

fn rejected(def: &str) -> Vec<(DiagnosticCode, String, Option<String>)> {
    match Machine::new("m", def, MachineType::Express, &handlers()) {
        Err(MachineError::Definition(d)) => d
            .diagnostics()
            .iter()
            .map(|d| {
                (
                    d.code(),
                    d.message().to_string(),
                    d.location().map(str::to_string),
                )
            })
            .collect(),
        other => panic!("expected a definition error, got {other:?}"),
    }
}

#[test]
fn ja10_a_syntax_error_is_invalid_definition_naming_state_and_field() {
    let def = single(r#"{"Type":"Pass","Output":{"v":["ok","{% 1 + %}"]},"End":true}"#);
    assert_eq!(
        rejected(&def),
        vec![(
            DiagnosticCode::InvalidJsonataExpression,
            "Unexpected end of expression".to_string(),
            Some("/States/S/Output/v[1]".to_string())
        )]
    );
    let e = Machine::new("m", &def, MachineType::Express, &handlers()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/S/Output/v[1]'"
    );
}

#[test]
fn ja10_every_field_is_checked_and_every_error_reported() {
    let def = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"C","States":{{
        "C":{{"Type":"Choice","Choices":[{{"Condition":"{{% ( %}}","Next":"T"}}],"Default":"T"}},
        "T":{{"Type":"Task","Resource":"{ECHO}","TimeoutSeconds":"{{% ] %}}","End":true,
             "Catch":[{{"ErrorEquals":["States.ALL"],"Next":"C","Assign":{{"x":"{{% $a ?? 1 %}}"}}}}]}}}}}}"#
    );
    let found: Vec<(DiagnosticCode, Option<String>)> =
        rejected(&def).into_iter().map(|(c, _, l)| (c, l)).collect();
    assert_eq!(
        found,
        vec![
            (
                DiagnosticCode::InvalidJsonataExpression,
                Some("/States/C/Choices[0]/Condition".to_string())
            ),
            (
                DiagnosticCode::InvalidJsonataExpression,
                Some("/States/T/TimeoutSeconds".to_string())
            ),
            (
                DiagnosticCode::InvalidJsonataExpression,
                Some("/States/T/Catch[0]/Assign/x".to_string())
            ),
        ]
    );
}

#[test]
fn ja1_jsonata_strings_in_jsonpath_states_are_literals() {
    // PT-3: no compile check and no evaluation outside JSONata states.
    let def =
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"v":"{% 1 + %}"},"End":true}}}"#;
    assert_eq!(output(&run(def, json!({}))), json!({"v": "{% 1 + %}"}));
}

#[test]
fn ja9_output_evaluates_once_per_state_visit() {
    // A handler counting calls: a JSONata Task in a loop calls it once per visit.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let mut h = Handlers::new();
    h.function("count", move |v| {
        c.fetch_add(1, SeqCst);
        Ok(v)
    });
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:count","Arguments":{"i":"{% $states.input.i + 1 %}"},"Next":"C"},
        "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.i < 5 %}","Next":"T"}],"Default":"D"},
        "D":{"Type":"Succeed","Output":"{% $states.input.i %}"}}}"#;
    let m = Machine::new("m", def, MachineType::Express, &h).unwrap();
    let o = m.run_blocking(json!({"i": 0}));
    assert_eq!(output(&o), json!(5));
    assert_eq!(calls.load(SeqCst), 5);
}

#[test]
fn quo2_parallel_arguments_over_256_kib_fail_the_branch_input_check() {
    // The branch input is built by Arguments: its size is checked, not assumed from the state
    // input's.
    let def = single(
        r#"{"Type":"Parallel","Arguments":{"big":"{% $join($map([1..300000], function($i){'x'}), '') %}"},"End":true,
        "Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Output":"small","End":true}}}]}"#,
    );
    let (error, _) = failed(&run(&def, json!({})));
    assert_eq!(error, "States.DataLimitExceeded");
}

// ------------------------------------------------------------------ history events

/// Records `(id, event kind, state or resource, payload JSON)`.
#[derive(Clone, Default)]
struct Recorder(Arc<std::sync::Mutex<Vec<(u32, String)>>>);

impl aslx::vm::Observer for Recorder {
    fn event(&mut self, id: u32, event: aslx::vm::Event<'_>) {
        use aslx::vm::Event as E;
        let line = match event {
            E::StateEntered { state, input, .. } => format!("entered {state} {}", input.to_json()),
            E::StateExited { state, output, .. } => format!("exited {state} {}", output.to_json()),
            E::TaskScheduled { parameters, .. } => format!("scheduled {}", parameters.to_json()),
            E::TaskStarted { .. } => "started".to_string(),
            E::TaskSucceeded { output, .. } => format!("succeeded {}", output.to_json()),
            other => format!("{other:?}"),
        };
        self.0.lock().unwrap().push((id, line));
    }
}

fn events(def: &str, input: Value) -> Vec<(u32, String)> {
    use aslx::vm::{Execution, Step, TaskOutcome};
    use aslx::{ExecutionInfo, HandlerResult};
    let m = machine(def);
    let info = Arc::new(ExecutionInfo::anonymous("test", 0));
    let mut e = Execution::new(Arc::clone(m.program()), info, input);
    let rec = Recorder::default();
    e.set_observer(Box::new(rec.clone()));
    loop {
        match e.step(0) {
            Step::Done(o) => {
                assert_eq!(o.status, Status::Succeeded, "{o:?}");
                break;
            }
            Step::Call(call) => {
                let outcome = match m.handler(&call.target).map(|h| h.call(call.input)) {
                    Some(HandlerResult::Ready(Ok(v))) => TaskOutcome::Ok(v),
                    _ => panic!("the test handlers answer at once"),
                };
                e.resume_task(outcome, 0);
            }
            other => panic!("unexpected step {other:?}"),
        }
    }
    let events = rec.0.lock().unwrap().clone();
    events
}

#[test]
fn err4_jsonata_states_count_and_report_history_events_as_their_jsonpath_twins() {
    let jsonata = format!(
        r#"{{"QueryLanguage":"JSONata","StartAt":"P","States":{{
        "P":{{"Type":"Pass","Output":{{"v":"{{% $states.input.n %}}"}},"Next":"T"}},
        "T":{{"Type":"Task","Resource":"{ECHO}","Arguments":{{"w":"{{% $states.input.v %}}"}},"Output":"{{% $states.result %}}","Next":"C"}},
        "C":{{"Type":"Choice","Choices":[{{"Condition":"{{% $states.input.w = 1 %}}","Next":"W"}}]}},
        "W":{{"Type":"Wait","Seconds":0,"Next":"S"}},
        "S":{{"Type":"Succeed"}}}}}}"#
    );
    let jsonpath = format!(
        r#"{{"StartAt":"P","States":{{
        "P":{{"Type":"Pass","Parameters":{{"v.$":"$.n"}},"Next":"T"}},
        "T":{{"Type":"Task","Resource":"{ECHO}","Parameters":{{"w.$":"$.v"}},"Next":"C"}},
        "C":{{"Type":"Choice","Choices":[{{"Variable":"$.w","NumericEquals":1,"Next":"W"}}]}},
        "W":{{"Type":"Wait","Seconds":0,"Next":"S"}},
        "S":{{"Type":"Succeed"}}}}}}"#
    );
    let a = events(&jsonata, json!({"n": 1}));
    assert_eq!(a, events(&jsonpath, json!({"n": 1})));
    assert_eq!(a.len(), 13, "{a:?}");
    assert_eq!(a[3], (5, r#"scheduled {"w":1}"#.to_string()));
}
