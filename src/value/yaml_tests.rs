use super::*;

fn json(text: &str) -> String {
    parse_yaml(text).unwrap_or_else(|e| panic!("{e}")).to_json()
}

fn err(text: &str) -> YamlError {
    parse_yaml(text).expect_err(text)
}

#[test]
fn block_and_flow_yaml_read_like_the_same_json() {
    let text = "\
# a comment
Comment: Order flow
StartAt: Charge
States:
  Charge:
    Type: Task
    Resource: arn:aws:states:::lambda:invoke
    Parameters: {FunctionName: charge, \"Payload.$\": $}
    Retry:
      - ErrorEquals: [States.ALL]
        MaxAttempts: 2
        BackoffRate: 1.5
    End: true
";
    assert_eq!(
        json(text),
        r#"{"Comment":"Order flow","StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"charge","Payload.$":"$"},"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":2,"BackoffRate":1.5}],"End":true}}}"#
    );
}

#[test]
fn scalars_resolve_by_the_core_schema() {
    assert_eq!(
        json("[~, null, '', true, False, 'true', 12, -7, 0x1F, 0o17, 1.0, 2e3, .5, yes, on, 007, 1_000, \"3\"]"),
        r#"[null,null,"",true,false,"true",12,-7,31,15,1.0,2000.0,0.5,"yes","on",7,"1_000","3"]"#
    );
    assert_eq!(
        json("a: !!str 12\nb: !!int 3\nc: !!float 3"),
        r#"{"a":"12","b":3,"c":3}"#
    );
    assert_eq!(json("1.50: x\ntrue: y"), r#"{"1.50":"x","true":"y"}"#);
    assert_eq!(
        json("big: 123456789012345678901234567890"),
        r#"{"big":1.2345678901234568e29}"#
    );
}

#[test]
fn infinity_and_nan_are_refused() {
    for t in ["a: .inf", "a: -.Inf", "a: .NaN"] {
        let e = err(t);
        assert!(e.message().contains("no JSON form"), "{e}");
        assert_eq!((e.line(), e.column()), (1, 4), "{e}");
    }
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = err("StartAt: A\nStates:\n  A: [1, 2\n");
    assert_eq!(e.line(), 4, "{e}");
    let e = err("a: 1\n b: 2\n");
    assert_eq!(e.line(), 2, "{e}");
    assert!(e.to_string().starts_with("line 2, column "), "{e}");
}

#[test]
fn duplicate_keys_are_refused_naming_both_lines() {
    let e = err("StartAt: A\nStates: {}\nStartAt: B\n");
    assert_eq!(
        e.to_string(),
        "line 3, column 1: duplicate key 'StartAt' (first at line 1): keys must be unique, as AWS requires"
    );
    // The same key in different mappings is fine.
    assert_eq!(json("a: {k: 1}\nb: {k: 2}"), r#"{"a":{"k":1},"b":{"k":2}}"#);
}

#[test]
fn anchors_and_aliases_expand() {
    assert_eq!(
        json("retry: &r [{ErrorEquals: [States.ALL]}]\nA: {Retry: *r}\nB: {Retry: *r}"),
        r#"{"retry":[{"ErrorEquals":["States.ALL"]}],"A":{"Retry":[{"ErrorEquals":["States.ALL"]}]},"B":{"Retry":[{"ErrorEquals":["States.ALL"]}]}}"#
    );
}

#[test]
fn a_yaml_bomb_is_refused_within_the_definition_limit() {
    let mut text = String::from("a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let e = err(&text);
    assert!(
        e.message()
            .contains("aliases expand the definition past its limit of 1048576"),
        "{e}"
    );
    assert!(e.line() >= 5, "{e}");
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn an_alias_inside_its_own_anchor_is_refused() {
    let e = err("a: &x [1, *x]");
    assert!(e.message().contains("recursive alias"), "{e}");
    assert_eq!((e.line(), e.column()), (1, 11), "{e}");
}

#[test]
fn cloudformation_tags_are_refused_core_tags_kept() {
    for (t, tag) in [
        ("Resource: !GetAtt Fn.Arn", "!GetAtt"),
        ("Resource: !Sub '${Fn}'", "!Sub"),
        ("Parameters: !Ref P", "!Ref"),
        ("States: !Custom {a: 1}", "!Custom"),
    ] {
        let e = err(t);
        assert!(
            e.message()
                .starts_with(&format!("YAML tag {tag} is not supported")),
            "{e}"
        );
        assert!(e.message().contains("DefinitionSubstitutions"), "{e}");
        assert_eq!(e.line(), 1);
    }
    assert_eq!(
        json("a: !!seq [1]\nb: !!map {c: !!null ~}"),
        r#"{"a":[1],"b":{"c":null}}"#
    );
    assert!(err("a: !!int abc").message().contains("not a valid !!int"));
}

#[test]
fn complex_keys_several_documents_and_empty_text_are_refused() {
    assert!(err("? [a, b]\n: 1\n")
        .message()
        .contains("key must be a scalar"));
    let e = err("a: 1\n---\nb: 2\n");
    assert!(e.message().contains("second YAML document"), "{e}");
    assert_eq!(e.line(), 2);
    assert!(err("# only a comment\n").message().contains("no document"));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = "[".repeat(5_000) + &"]".repeat(5_000);
    let e = err(&text);
    assert!(e.message().contains("nested too deeply"), "{e}");
    assert_eq!(e.line(), 1, "{e}");
}
