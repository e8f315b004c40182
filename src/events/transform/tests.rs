//! Target input: the examples of AWS's input-transformation page, the quoting rules, paths that
//! match nothing, and what `PutTargets` refuses.

use super::*;
use crate::json;

/// The user guide's example EC2 event.
fn ec2_event() -> Value {
    json!({
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2015-11-11T21:29:54Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
    })
}

const RULE: RuleContext<'static> = RuleContext {
    rule_arn: "arn:aws:events:us-east-2:123456789012:rule/example",
    rule_name: "example",
    ingestion_time: "2015-11-11T21:29:55Z",
};

/// The user guide's InputPathsMap.
fn guide_paths() -> Vec<(String, String)> {
    [
        ("timestamp", "$.time"),
        ("instance", "$.detail.instance-id"),
        ("state", "$.detail.state"),
        ("resource", "$.resources[0]"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn transformer(paths: Vec<(String, String)>, template: &str) -> InputSettings {
    InputSettings {
        input_transformer: Some(InputTransformer {
            input_paths_map: paths,
            input_template: template.into(),
        }),
        ..InputSettings::default()
    }
}

fn paths(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Compiles `settings` for target `t1` and applies them to `event`.
fn run(settings: &InputSettings, event: &Value) -> Result<Value, ApplyError> {
    let input = TargetInput::compile("t1", 1, settings)
        .unwrap_or_else(|e| panic!("compile: {}", e.message()));
    input.apply(event, &RULE)
}

/// The guide's template applied to its event.
fn guide(template: &str) -> Value {
    run(&transformer(guide_paths(), template), &ec2_event()).unwrap()
}

/// The message `PutTargets` answers for `settings`.
fn refused(settings: &InputSettings) -> String {
    let err = TargetInput::compile("t1", 1, settings).expect_err("should be refused");
    assert_eq!(err.code(), "ValidationException");
    err.message().to_string()
}

#[test]
fn guide_simple_string() {
    assert_eq!(
        guide(r#""instance <instance> is in <state>""#),
        json!("instance i-0123456789 is in RUNNING")
    );
}

#[test]
fn guide_string_with_escaped_quotes() {
    assert_eq!(
        guide(r#""instance \"<instance>\" is in <state>""#),
        json!("instance \"i-0123456789\" is in RUNNING")
    );
}

#[test]
fn guide_simple_json_quotes_string_variables() {
    assert_eq!(
        guide(r#"{"instance" : <instance>, "state": <state>}"#),
        json!({"instance": "i-0123456789", "state": "RUNNING"})
    );
}

#[test]
fn guide_json_with_strings_and_variables() {
    let template = r#"{
 "instance" : <instance>,
 "state": "<state>",
 "instanceStatus": "instance \"<instance>\" is in <state>"
}"#;
    assert_eq!(
        guide(template),
        json!({
            "instance": "i-0123456789",
            "state": "RUNNING",
            "instanceStatus": "instance \"i-0123456789\" is in RUNNING"
        })
    );
}

#[test]
fn guide_json_with_variables_and_static_information() {
    assert_eq!(
        guide(r#"{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}"#),
        json!({"instance": "i-0123456789", "state": [9, "RUNNING", true], "Transformed": "Yes"})
    );
}

#[test]
fn guide_reserved_variables_in_json() {
    let template = r#"{
  "instance" : <instance>,
  "state": <state>,
  "ruleArn" : <aws.events.rule-arn>,
  "ruleName" : <aws.events.rule-name>,
  "originalEvent" : <aws.events.event>
}"#;
    let mut without_detail = ec2_event();
    without_detail.as_object_mut().unwrap().remove("detail");
    assert_eq!(
        guide(template),
        json!({
            "instance": "i-0123456789",
            "state": "RUNNING",
            "ruleArn": "arn:aws:events:us-east-2:123456789012:rule/example",
            "ruleName": "example",
            "originalEvent": without_detail
        })
    );
}

#[test]
fn guide_reserved_variable_in_a_string() {
    assert_eq!(
        guide(r#""<aws.events.rule-name> triggered""#),
        json!("example triggered")
    );
}

#[test]
fn api_reference_template_with_variables_in_quotes_and_out() {
    let paths = paths(&[
        ("instance", "$.detail.instance"),
        ("status", "$.detail.status"),
    ]);
    let event = json!({"detail": {"instance": "i-1", "status": "stopped"}});
    let template =
        r#"{"myInstance": <instance>,"myStatus": "<instance> is in state \"<status>\""}"#;
    assert_eq!(
        run(&transformer(paths.clone(), template), &event).unwrap(),
        json!({"myInstance": "i-1", "myStatus": "i-1 is in state \"stopped\""})
    );
    // The API reference's plain-text template: not JSON, so the input is the text.
    assert_eq!(
        run(
            &transformer(paths, "<instance> is in state <status>"),
            &event
        )
        .unwrap(),
        json!("i-1 is in state stopped")
    );
}

#[test]
fn whole_event_and_ingestion_time() {
    let out = guide(r#"{"e": <aws.events.event.json>, "at": <aws.events.event.ingestion-time>}"#);
    assert_eq!(out, json!({"e": ec2_event(), "at": "2015-11-11T21:29:55Z"}));
}

#[test]
fn numbers_booleans_and_null_go_in_as_json_inside_quotes_or_out() {
    let p = paths(&[
        ("n", "$.detail.n"),
        ("f", "$.detail.f"),
        ("b", "$.detail.b"),
        ("z", "$.detail.z"),
    ]);
    let event = json!({"detail": {"n": 42, "f": 2.5, "b": true, "z": null}});
    let template =
        r#"{"n": <n>, "f": <f>, "b": <b>, "z": <z>, "s": "<n>/<f>/<b>/<z>", "q": "<n>"}"#;
    assert_eq!(
        run(&transformer(p, template), &event).unwrap(),
        json!({"n": 42, "f": 2.5, "b": true, "z": null, "s": "42/2.5/true/null", "q": "42"})
    );
}

#[test]
fn objects_and_arrays_keep_their_shape_as_values_and_lose_their_quotes_in_strings() {
    let p = paths(&[("detail", "$.detail"), ("res", "$.resources")]);
    let template = r#"{"d": <detail>, "r": <res>, "text": "detail is <detail>, resources <res>"}"#;
    assert_eq!(
        run(&transformer(p, template), &ec2_event()).unwrap(),
        json!({
            "d": {"instance-id": "i-0123456789", "state": "RUNNING"},
            "r": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
            "text": "detail is {instance-id:i-0123456789,state:RUNNING}, resources \
                     [arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111]"
        })
    );
}

#[test]
fn a_lone_placeholder_is_its_value() {
    let p = paths(&[("detail", "$.detail"), ("state", "$.detail.state")]);
    assert_eq!(
        run(&transformer(p.clone(), "<detail>"), &ec2_event()).unwrap(),
        json!({"instance-id": "i-0123456789", "state": "RUNNING"})
    );
    assert_eq!(
        run(&transformer(p, " <state> "), &ec2_event()).unwrap(),
        json!("RUNNING")
    );
}

#[test]
fn a_template_without_placeholders_is_constant() {
    assert_eq!(
        guide(r#"{"fixed": [1, "two"]}"#),
        json!({"fixed": [1, "two"]})
    );
    assert_eq!(guide("just text"), json!("just text"));
}

#[test]
fn angle_brackets_that_name_nothing_are_text() {
    assert_eq!(
        guide(r#""1 < 2 and 3 > 2, <br/>, < state>""#),
        json!("1 < 2 and 3 > 2, <br/>, < state>")
    );
}

#[test]
fn missing_path_inside_quotes_is_left_out() {
    let p = paths(&[("missing", "$.detail.nope"), ("state", "$.detail.state")]);
    let template = r#"{"m": "x<missing>y", "s": <state>}"#;
    assert_eq!(
        run(&transformer(p, template), &ec2_event()).unwrap(),
        json!({"m": "xy", "s": "RUNNING"})
    );
}

#[test]
fn missing_path_alone_in_an_array_leaves_it_empty() {
    let p = paths(&[("missing", "$.detail.nope")]);
    assert_eq!(
        run(&transformer(p, r#"{"a": [<missing>]}"#), &ec2_event()).unwrap(),
        json!({"a": []})
    );
}

#[test]
fn missing_path_as_a_json_value_fails_the_event_naming_the_variable() {
    let p = paths(&[
        ("missing", "$.detail.nope"),
        ("alsoMissing", "$.nothing[3]"),
    ]);
    let err = run(
        &transformer(p, r#"{"a": <missing>, "b": "<alsoMissing>"}"#),
        &ec2_event(),
    )
    .unwrap_err();
    assert!(
        err.message()
            .contains("<missing>, <alsoMissing> matched nothing in the event"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains(r#"{"a": , "b": ""}"#),
        "{}",
        err.message()
    );
}

#[test]
fn missing_path_in_plain_text_is_left_out() {
    let p = paths(&[("missing", "$.detail.nope"), ("state", "$.detail.state")]);
    assert_eq!(
        run(
            &transformer(p, "state <state><missing>, done"),
            &ec2_event()
        )
        .unwrap(),
        json!("state RUNNING, done")
    );
}

#[test]
fn strings_go_in_unescaped_so_a_quote_in_a_value_breaks_json() {
    let p = paths(&[("msg", "$.detail.msg")]);
    let event = json!({"detail": {"msg": "say \"hi\""}});
    let err = run(&transformer(p.clone(), r#"{"m": <msg>}"#), &event).unwrap_err();
    assert!(err.message().contains("not JSON"), "{}", err.message());
    assert!(
        !err.message().contains("matched nothing"),
        "{}",
        err.message()
    );
    assert!(run(&transformer(p.clone(), r#"{"m": "<msg>"}"#), &event).is_err());
    // Plain text has no JSON to break.
    assert_eq!(
        run(&transformer(p, "<msg>!"), &event).unwrap(),
        json!("say \"hi\"!")
    );
}

#[test]
fn paths_with_indices_wildcards_and_the_root() {
    let event = json!({
        "detail": {"list": [{"id": 1}, {"id": 2}, {"other": 3}], "m": {"a": 1, "b": "x"}},
        "resources": ["r1", "r2"]
    });
    let p = paths(&[
        ("first", "$.detail.list[0]"),
        ("third", "$.detail.list[2].other"),
        ("ids", "$.detail.list[*].id"),
        ("values", "$.detail.m.*"),
        ("all", "$.resources[*]"),
        ("none", "$.detail.m.a.*"),
        ("root", "$"),
    ]);
    let template = r#"{"first": <first>, "third": <third>, "ids": <ids>, "values": <values>,
                       "all": <all>, "none": <none>, "root": <root>}"#;
    assert_eq!(
        run(&transformer(p, template), &event).unwrap(),
        json!({
            "first": {"id": 1}, "third": 3, "ids": [1, 2], "values": [1, "x"],
            "all": ["r1", "r2"], "none": [], "root": event
        })
    );
}

#[test]
fn out_of_range_index_and_steps_through_scalars_match_nothing() {
    let p = paths(&[
        ("a", "$.resources[1]"),
        ("b", "$.detail.state.deeper"),
        ("c", "$.detail[0]"),
    ]);
    assert_eq!(
        run(&transformer(p, r#""<a>|<b>|<c>""#), &ec2_event()).unwrap(),
        json!("||")
    );
}

#[test]
fn no_setting_passes_the_event() {
    assert_eq!(
        run(&InputSettings::default(), &ec2_event()).unwrap(),
        ec2_event()
    );
}

#[test]
fn constant_input_is_any_json_value() {
    let constant = |text: &str| InputSettings {
        input: Some(text.into()),
        ..InputSettings::default()
    };
    assert_eq!(
        run(&constant(r#"{"env": "dev"}"#), &ec2_event()).unwrap(),
        json!({"env": "dev"})
    );
    assert_eq!(
        run(&constant(r#""hello""#), &ec2_event()).unwrap(),
        json!("hello")
    );
    assert_eq!(run(&constant("12"), &ec2_event()).unwrap(), json!(12));
    let message = refused(&constant("env:dev"));
    assert!(
        message.starts_with("JSON syntax error in input for target t1: [Source: (String)\"env:dev\"; line: 1, column: "),
        "{message}"
    );
}

#[test]
fn input_path_selects_part_of_the_event() {
    let path = |p: &str| InputSettings {
        input_path: Some(p.into()),
        ..InputSettings::default()
    };
    assert_eq!(
        run(&path("$.detail"), &ec2_event()).unwrap(),
        json!({"instance-id": "i-0123456789", "state": "RUNNING"})
    );
    assert_eq!(run(&path("$"), &ec2_event()).unwrap(), ec2_event());
    assert_eq!(
        run(&path("$.resources[0]"), &ec2_event()).unwrap(),
        json!("arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111")
    );
    let err = run(&path("$.detail.nope"), &ec2_event()).unwrap_err();
    assert_eq!(
        err.message(),
        "InputPath $.detail.nope matches nothing in the event"
    );
}

#[test]
fn paths_outside_the_supported_subset_are_refused() {
    // Measured: no leading $, and quoted brackets, are refused for InputPath and InputPathsMap.
    for bad in [
        "detail.state",
        "$.detail['key']",
        "$.detail[\"key\"]",
        "$.",
        "$..state",
        "$.a[-1]",
        "$.a[0:2]",
        "$.a[?(@.x)]",
        "$.a[0",
        "$ .a",
        "",
    ] {
        let as_path = InputSettings {
            input_path: Some(bad.into()),
            ..InputSettings::default()
        };
        assert_eq!(
            refused(&as_path),
            "InputPath for target t1 is invalid.",
            "{bad:?}"
        );
        let in_map = transformer(paths(&[("v", bad)]), r#""<v>""#);
        assert_eq!(
            refused(&in_map),
            "InputPath for target t1 is invalid.",
            "{bad:?}"
        );
    }
}

#[test]
fn only_one_input_setting_may_be_given() {
    let both = InputSettings {
        input: Some("{}".into()),
        input_path: Some("$.detail".into()),
        input_transformer: None,
    };
    assert_eq!(
        refused(&both),
        "Only one of Input, InputPath, or InputTransformer must be provided for target t1"
    );
    let mut all = transformer(vec![], "{}");
    all.input = Some("{}".into());
    assert!(refused(&all).starts_with("Only one of Input"));
}

#[test]
fn undeclared_placeholders_are_refused() {
    assert_eq!(
        refused(&transformer(guide_paths(), r#"{"a": <nope>}"#)),
        "InputTemplate for target t1 contains invalid placeholder nope."
    );
    assert_eq!(
        refused(&transformer(vec![], r#""<aws.events.rule>""#)),
        "InputTemplate for target t1 contains invalid placeholder aws.events.rule."
    );
}

#[test]
fn event_json_needs_a_json_object_template() {
    // Measured: a quoted string and an array are refused; an object is accepted.
    let message =
        "InputTemplate for target t1 contains placeholder aws.events.event.json valid only \
                   for JSON template.";
    assert_eq!(
        refused(&transformer(
            vec![],
            r#""event was <aws.events.event.json> today""#
        )),
        message
    );
    assert_eq!(
        refused(&transformer(vec![], "[<aws.events.event.json>]")),
        message
    );
    assert!(TargetInput::compile(
        "t1",
        1,
        &transformer(vec![], r#"{"e": <aws.events.event.json>}"#)
    )
    .is_ok());
    // Ordinary placeholders inline in a string are fine.
    assert!(TargetInput::compile(
        "t1",
        1,
        &transformer(guide_paths(), r#""event was <state> today""#)
    )
    .is_ok());
}

#[test]
fn placeholders_cannot_be_object_keys() {
    for template in [
        r#"{<state>: 1}"#,
        r#"{"<state>": 1}"#,
        r#"{"a": {"k-<state>": 1}}"#,
    ] {
        assert_eq!(
            refused(&transformer(guide_paths(), template)),
            "InputTemplate for target t1 uses placeholder <state> as an object key; a placeholder \
             can only be a value",
            "{template}"
        );
    }
}

#[test]
fn a_template_that_starts_like_json_must_be_json() {
    for template in [
        r#"{"a": <state>"#,
        r#"{"a": <state>x}"#,
        r#"[1, <state>"#,
        r#"{'a': 1}"#,
    ] {
        let message = refused(&transformer(guide_paths(), template));
        assert!(
            message.starts_with("InputTemplate for target t1 is not valid JSON: "),
            "{message}"
        );
    }
}

#[test]
fn the_request_model_limits_are_aws_validation_errors() {
    let hundred: Vec<(String, String)> = (0..100)
        .map(|i| (format!("v{i}"), "$.detail".into()))
        .collect();
    assert!(TargetInput::compile("t1", 1, &transformer(hundred.clone(), "{}")).is_ok());
    let mut hundred_one = hundred;
    hundred_one.push(("v100".into(), "$.detail".into()));
    let message = TargetInput::compile("t1", 2, &transformer(hundred_one, "{}"))
        .unwrap_err()
        .message()
        .to_string();
    assert!(
        message.starts_with("1 validation error detected: Value '{v0=$.detail, v1=$.detail"),
        "{message}"
    );
    assert!(
        message.ends_with(
            "' at 'targets.2.member.inputTransformer.inputPathsMap' failed to satisfy constraint: \
                           Member must have length less than or equal to 100"
        ),
        "{message}"
    );

    // Measured: a reserved name as a key is refused by the request model; "AWSthing" is fine.
    for key in ["aws.events.rule-name", "", "has space", "é"] {
        let message = refused(&transformer(paths(&[(key, "$.detail")]), "{}"));
        assert!(
            message.contains("Map keys must satisfy constraint"),
            "{key:?}: {message}"
        );
    }
    assert!(TargetInput::compile("t1", 1, &transformer(paths(&[("AWSthing", "$")]), "{}")).is_ok());
    let long_key = "k".repeat(257);
    assert!(refused(&transformer(paths(&[(&long_key, "$")]), "{}")).contains("Map keys"));
    let long_path = format!("$.{}", "a".repeat(255));
    assert!(
        refused(&transformer(paths(&[("k", &long_path)]), "{}")).contains("Map value must satisfy")
    );

    assert_eq!(
        refused(&transformer(vec![], "")),
        "1 validation error detected: Value '' at 'targets.1.member.inputTransformer.inputTemplate' \
         failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let long_template = format!("\"{}\"", "x".repeat(8191));
    assert!(refused(&transformer(vec![], &long_template))
        .ends_with("Member must have length less than or equal to 8192"));
    let long_input = InputSettings {
        input: Some(format!("\"{}\"", "x".repeat(8191))),
        ..InputSettings::default()
    };
    assert!(refused(&long_input).contains("at 'targets.1.member.input' failed"));
    let long_input_path = InputSettings {
        input_path: Some(format!("$.{}", "a".repeat(255))),
        ..InputSettings::default()
    };
    assert!(refused(&long_input_path).contains("at 'targets.1.member.inputPath' failed"));
}

#[test]
fn event_without_detail_is_the_whole_event() {
    let event = json!({"source": "x"});
    assert_eq!(
        run(&transformer(vec![], r#"{"e": <aws.events.event>}"#), &event).unwrap(),
        json!({"e": {"source": "x"}})
    );
}
