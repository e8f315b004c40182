//! Intrinsic function tests. `RECORDED` holds every `intrinsic_functions/*` conformance case
//! (JSONPath, not JSONata) whose result is deterministic: the `FunctionResult.$` expression,
//! the execution input and the value AWS produced. `INT-*` ids refer to the ASL checklist.

use super::*;
use crate::json;
use crate::value::parse_json;

/// The Context Object the `generic.*` recordings ran with (their `context` field).
fn context(input: &Value) -> Value {
    let mut ctx = json!({
        "Execution": {
            "Id": "arn:aws:states:us-east-1:111111111111:execution:statemachine_00000001:Execution-1",
            "Name": "Execution-1",
            "RoleArn": "arn:aws:iam::111111111111:role/conformance-sfn-role"
        },
        "StateMachine": {
            "Id": "arn:aws:states:us-east-1:111111111111:stateMachine:statemachine_00000001",
            "Name": "statemachine_00000001"
        }
    });
    if let Some(exec) = ctx.as_object_mut().and_then(|o| o.get_mut("Execution")) {
        if let Some(e) = exec.as_object_mut() {
            e.insert("Input".into(), input.clone());
        }
    }
    ctx
}

fn eval_with(text: &str, input: &Value) -> Result<Value, IntrinsicError> {
    let call = Intrinsic::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let ctx = context(input);
    call.eval(&Env::new(input, &ctx))
}

fn ok(text: &str, input: Value) -> Value {
    eval_with(text, &input).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn fails(text: &str, input: Value) -> String {
    match eval_with(text, &input) {
        Err(IntrinsicError::Failure(m)) => m,
        other => panic!("{text}: expected an intrinsic failure, got {other:?}"),
    }
}

#[test]
fn recorded_results() {
    for (id, expr, input, expected) in RECORDED {
        let input = parse_json(input).unwrap();
        let expected = parse_json(expected).unwrap();
        let got = Expr::parse(expr)
            .unwrap_or_else(|e| panic!("{id}: {e}"))
            .eval(&Env::new(&input, &context(&input)))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(got, expected, "{id}");
        // Numbers keep their kind: MathAdd and ArrayLength results are integers, `1.1` a float.
        if !matches!(expected, Value::Array(_) | Value::Object(_)) {
            assert_eq!(got.to_json(), expected.to_json(), "{id}");
        }
    }
}

const RECORDED: &[(&str, &str, &str, &str)] = &[
    (
        "array.array_0#exec_hist_resp_0",
        r#"States.Array()"#,
        r#"{"FunctionInput": "HelloWorld"}"#,
        r#"[]"#,
    ),
    (
        "array.array_2#exec_hist_resp_0",
        r#"States.Array($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "", "snd": ""}}"#,
        r#"["", ""]"#,
    ),
    (
        "array.array_2#exec_hist_resp_2",
        r#"States.Array($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "HelloWorld", "snd": "HelloWorld"}}"#,
        r#"["HelloWorld", "HelloWorld"]"#,
    ),
    (
        "array.array_2#exec_hist_resp_5",
        r#"States.Array($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 1.1, "snd": 1.1}}"#,
        r#"[1.1, 1.1]"#,
    ),
    (
        "array.array_2#exec_hist_resp_7",
        r#"States.Array($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}}}"#,
        r#"[{"Arg1": 1, "Arg2": []}, {"Arg1": 1, "Arg2": []}]"#,
    ),
    (
        "array.array_contains#exec_hist_resp_0",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": null}}"#,
        r#"false"#,
    ),
    (
        "array.array_contains#exec_hist_resp_1",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": []}}"#,
        r#"false"#,
    ),
    (
        "array.array_contains#exec_hist_resp_2",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": 1}}"#,
        r#"false"#,
    ),
    (
        "array.array_contains#exec_hist_resp_4",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [[1, 2, 3], 2], "snd": [1, 2, 3]}}"#,
        r#"true"#,
    ),
    (
        "array.array_contains#exec_hist_resp_5",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [{"1": 2, "2": []}], "snd": []}}"#,
        r#"false"#,
    ),
    (
        "array.array_contains#exec_hist_resp_6",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [{"1": 2, "2": []}], "snd": {"1": 2, "2": []}}}"#,
        r#"true"#,
    ),
    (
        "array.array_contains#exec_hist_resp_7",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [true, false], "snd": true}}"#,
        r#"true"#,
    ),
    (
        "array.array_contains#exec_hist_resp_8",
        r#"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [true, false], "snd": false}}"#,
        r#"true"#,
    ),
    (
        "array.array_get_item#exec_hist_resp_0",
        r#"States.ArrayGetItem($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [1, 2, 3, 4, 5, 6, 7, 8, 9], "snd": 5}}"#,
        r#"6"#,
    ),
    (
        "array.array_length#exec_hist_resp_0",
        r#"States.ArrayLength($.FunctionInput)"#,
        r#"{"FunctionInput": [1, 2, 3, 4, 5, 6, 7, 8, 9]}"#,
        r#"9"#,
    ),
    (
        "array.array_partition#exec_hist_resp_0",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": 1}}"#,
        r#"[]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_1",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": 2}}"#,
        r#"[]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_10",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0, 1], "snd": 1}}"#,
        r#"[[0], [1]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_12",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0, 1], "snd": 3}}"#,
        r#"[[0, 1]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_13",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0, 1], "snd": 4}}"#,
        r#"[[0, 1]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_14",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0, 1], "snd": 5}}"#,
        r#"[[0, 1]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_15",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0, 1, 2], "snd": 1}}"#,
        r#"[[0], [1], [2]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_16",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0, 1, 2], "snd": 2}}"#,
        r#"[[0, 1], [2]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_19",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0, 1, 2], "snd": 5}}"#,
        r#"[[0, 1, 2]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_2",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": 3}}"#,
        r#"[]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_3",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": 4}}"#,
        r#"[]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_4",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [], "snd": 5}}"#,
        r#"[]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_5",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0], "snd": 1}}"#,
        r#"[[0]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_8",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0], "snd": 4}}"#,
        r#"[[0]]"#,
    ),
    (
        "array.array_partition#exec_hist_resp_9",
        r#"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": [0], "snd": 5}}"#,
        r#"[[0]]"#,
    ),
    (
        "array.array_range#exec_hist_resp_0",
        r#"States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)"#,
        r#"{"FunctionInput": {"fst": 0, "snd": 9, "trd": 3}}"#,
        r#"[0, 3, 6, 9]"#,
    ),
    (
        "array.array_range#exec_hist_resp_1",
        r#"States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)"#,
        r#"{"FunctionInput": {"fst": 0, "snd": 10, "trd": 3}}"#,
        r#"[0, 3, 6, 9]"#,
    ),
    (
        "encode_decode.base_64_decode#exec_hist_resp_0",
        r#"States.Base64Decode($.FunctionInput)"#,
        r#"{"FunctionInput": ""}"#,
        r#""""#,
    ),
    (
        "encode_decode.base_64_encode#exec_hist_resp_0",
        r#"States.Base64Encode($.FunctionInput)"#,
        r#"{"FunctionInput": ""}"#,
        r#""""#,
    ),
    (
        "generic.context_json_path#exec_hist_resp_0",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)"#,
        r#"{"FunctionInput": null}"#,
        r#""Formatting arguments fst=Execution-1 and snd={Id=arn:aws:states:us-east-1:111111111111:stateMachine:statemachine_00000001, Name=statemachine_00000001}.""#,
    ),
    (
        "generic.escape_sequence#exec_hist_resp_0",
        r#"States.StringSplit('Hello
World', '
')"#,
        r#"{"FunctionInput": null}"#,
        r#"["Hello", "World"]"#,
    ),
    (
        "generic.format_1#exec_hist_resp_0",
        r#"States.Format('Formatting argument {}.', $.FunctionInput)"#,
        r#"{"FunctionInput": ""}"#,
        r#""Formatting argument .""#,
    ),
    (
        "generic.format_1#exec_hist_resp_1",
        r#"States.Format('Formatting argument {}.', $.FunctionInput)"#,
        r#"{"FunctionInput": " "}"#,
        r#""Formatting argument  .""#,
    ),
    (
        "generic.format_1#exec_hist_resp_2",
        r#"States.Format('Formatting argument {}.', $.FunctionInput)"#,
        r#"{"FunctionInput": "HelloWorld"}"#,
        r#""Formatting argument HelloWorld.""#,
    ),
    (
        "generic.format_1#exec_hist_resp_4",
        r#"States.Format('Formatting argument {}.', $.FunctionInput)"#,
        r#"{"FunctionInput": 1}"#,
        r#""Formatting argument 1.""#,
    ),
    (
        "generic.format_1#exec_hist_resp_5",
        r#"States.Format('Formatting argument {}.', $.FunctionInput)"#,
        r#"{"FunctionInput": 1.1}"#,
        r#""Formatting argument 1.1.""#,
    ),
    (
        "generic.format_1#exec_hist_resp_6",
        r#"States.Format('Formatting argument {}.', $.FunctionInput)"#,
        r#"{"FunctionInput": "{\"Arg1\": 1, \"Arg2\": []}"}"#,
        r#""Formatting argument {\"Arg1\": 1, \"Arg2\": []}.""#,
    ),
    (
        "generic.format_2#exec_hist_resp_0",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "", "snd": ""}}"#,
        r#""Formatting arguments fst= and snd=.""#,
    ),
    (
        "generic.format_2#exec_hist_resp_1",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": " ", "snd": " "}}"#,
        r#""Formatting arguments fst=  and snd= .""#,
    ),
    (
        "generic.format_2#exec_hist_resp_3",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": null, "snd": null}}"#,
        r#""Formatting arguments fst=null and snd=null.""#,
    ),
    (
        "generic.format_2#exec_hist_resp_4",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 1, "snd": 1}}"#,
        r#""Formatting arguments fst=1 and snd=1.""#,
    ),
    (
        "generic.format_2#exec_hist_resp_5",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 1.1, "snd": 1.1}}"#,
        r#""Formatting arguments fst=1.1 and snd=1.1.""#,
    ),
    (
        "generic.format_2#exec_hist_resp_6",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "{\"Arg1\": 1, \"Arg2\": []}", "snd": "{\"Arg1\": 1, \"Arg2\": []}"}}"#,
        r#""Formatting arguments fst={\"Arg1\": 1, \"Arg2\": []} and snd={\"Arg1\": 1, \"Arg2\": []}.""#,
    ),
    (
        "generic.format_2#exec_hist_resp_7",
        r#"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}}}"#,
        r#""Formatting arguments fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.""#,
    ),
    (
        "generic.nested_calls_1#exec_hist_resp_0",
        r#"States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)"#,
        r#"{"FunctionInput": null}"#,
        r#""statemachine_00000001""#,
    ),
    (
        "generic.nested_calls_2#exec_hist_resp_0",
        r#"States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))"#,
        r#"{"FunctionInput": null}"#,
        r#""statemachine_00000001""#,
    ),
    (
        "hash_calculations.hash#exec_hist_resp_0",
        r#"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "input data", "snd": "MD5"}}"#,
        r#""812f45842bc6d66ee14572ce20db8e86""#,
    ),
    (
        "hash_calculations.hash#exec_hist_resp_1",
        r#"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "input data", "snd": "SHA-1"}}"#,
        r#""aaff4a450a104cd177d28d18d74485e8cae074b7""#,
    ),
    (
        "hash_calculations.hash#exec_hist_resp_3",
        r#"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "input data", "snd": "SHA-384"}}"#,
        r#""d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562""#,
    ),
    (
        "hash_calculations.hash#exec_hist_resp_4",
        r#"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "input data", "snd": "SHA-512"}}"#,
        r#""6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4""#,
    ),
    (
        "json_manipulation.json_merge#exec_hist_resp_0",
        r#"States.JsonMerge($.FunctionInput.fst, $.FunctionInput.snd, false)"#,
        r#"{"FunctionInput": {"fst": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "snd": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}}}"#,
        r#"{"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4}"#,
    ),
    (
        "json_manipulation.json_to_string#exec_hist_resp_1",
        r#"States.JsonToString($.FunctionInput)"#,
        r#"{"FunctionInput": 0}"#,
        r#""0""#,
    ),
    (
        "json_manipulation.json_to_string#exec_hist_resp_3",
        r#"States.JsonToString($.FunctionInput)"#,
        r#"{"FunctionInput": 1.1}"#,
        r#""1.1""#,
    ),
    (
        "json_manipulation.json_to_string#exec_hist_resp_4",
        r#"States.JsonToString($.FunctionInput)"#,
        r#"{"FunctionInput": true}"#,
        r#""true""#,
    ),
    (
        "json_manipulation.json_to_string#exec_hist_resp_5",
        r#"States.JsonToString($.FunctionInput)"#,
        r#"{"FunctionInput": "HelloWorld"}"#,
        r#""\"HelloWorld\"""#,
    ),
    (
        "json_manipulation.json_to_string#exec_hist_resp_6",
        r#"States.JsonToString($.FunctionInput)"#,
        r#"{"FunctionInput": [1, 2, "HelloWorld"]}"#,
        r#""[1,2,\"HelloWorld\"]""#,
    ),
    (
        "json_manipulation.json_to_string#exec_hist_resp_7",
        r#"States.JsonToString($.FunctionInput)"#,
        r#"{"FunctionInput": {"Arg1": 1, "Arg2": []}}"#,
        r#""{\"Arg1\":1,\"Arg2\":[]}""#,
    ),
    (
        "json_manipulation.string_to_json#exec_hist_resp_0",
        r#"States.StringToJson($.FunctionInput)"#,
        r#"{"FunctionInput": ""}"#,
        r#"null"#,
    ),
    (
        "json_manipulation.string_to_json#exec_hist_resp_1",
        r#"States.StringToJson($.FunctionInput)"#,
        r#"{"FunctionInput": " "}"#,
        r#"null"#,
    ),
    (
        "json_manipulation.string_to_json#exec_hist_resp_2",
        r#"States.StringToJson($.FunctionInput)"#,
        r#"{"FunctionInput": "null"}"#,
        r#"null"#,
    ),
    (
        "json_manipulation.string_to_json#exec_hist_resp_3",
        r#"States.StringToJson($.FunctionInput)"#,
        r#"{"FunctionInput": "-0"}"#,
        r#"0"#,
    ),
    (
        "json_manipulation.string_to_json#exec_hist_resp_6",
        r#"States.StringToJson($.FunctionInput)"#,
        r#"{"FunctionInput": "true"}"#,
        r#"true"#,
    ),
    (
        "json_manipulation.string_to_json#exec_hist_resp_8",
        r#"States.StringToJson($.FunctionInput)"#,
        r#"{"FunctionInput": "[1, 2, \"HelloWorld\"]"}"#,
        r#"[1, 2, "HelloWorld"]"#,
    ),
    (
        "json_manipulation.string_to_json#exec_hist_resp_9",
        r#"States.StringToJson($.FunctionInput)"#,
        r#"{"FunctionInput": "{\"Arg1\": 1, \"Arg2\": []}"}"#,
        r#"{"Arg1": 1, "Arg2": []}"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_0",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -9, "snd": 3}}"#,
        r#"-6"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_1",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 1.49, "snd": 1.5}}"#,
        r#"3"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_11",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -1.51, "snd": 0}}"#,
        r#"-2"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_14",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 2.5, "snd": 0}}"#,
        r#"3"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_15",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 3.5, "snd": 0}}"#,
        r#"4"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_16",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -0.5, "snd": 0.5}}"#,
        r#"1"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_17",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -0.5, "snd": 0}}"#,
        r#"0"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_19",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -2.5, "snd": 0}}"#,
        r#"-2"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_2",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 1.5, "snd": 1.51}}"#,
        r#"4"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_20",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -3.5, "snd": 0}}"#,
        r#"-3"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_3",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -1.49, "snd": -1.5}}"#,
        r#"-2"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_4",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": -1.5, "snd": -1.51}}"#,
        r#"-3"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_5",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 1.49, "snd": 0}}"#,
        r#"1"#,
    ),
    (
        "math_operations.math_add#exec_hist_resp_6",
        r#"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": 1.49, "snd": -1.49}}"#,
        r#"0"#,
    ),
    (
        "string_operations.string_split#exec_hist_resp_0",
        r#"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": " ", "snd": ","}}"#,
        r#"[" "]"#,
    ),
    (
        "string_operations.string_split#exec_hist_resp_4",
        r#"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "1,2,3,4,5", "snd": ","}}"#,
        r#"["1", "2", "3", "4", "5"]"#,
    ),
    (
        "string_operations.string_split#exec_hist_resp_5",
        r#"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "This.is+a,test=string", "snd": ".+,="}}"#,
        r#"["This", "is", "a", "test", "string"]"#,
    ),
    (
        "string_operations.string_split#exec_hist_resp_6",
        r#"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)"#,
        r#"{"FunctionInput": {"fst": "split on T and \nnew line", "snd": "T\n"}}"#,
        r#"["split on ", " and ", "new line"]"#,
    ),
    (
        "string_operations.string_split_context_object#exec_hist_resp_0",
        r#"States.StringSplit($$.Execution.Input.FunctionInput, ',')"#,
        r#"{"FunctionInput": "Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"}"#,
        r#"["Value1", "Value2", "Value3\nValue4", "Value5", "Value6\n", "\ntrue", "1", "'HelloWorld'\nNull", "None", "\n   \n"]"#,
    ),
];

// ---- syntax (INT-0.*) ----

#[test]
fn names_and_argument_counts_are_checked_when_parsing() {
    for bad in [
        "States.Nope()",
        "States.format('x')",
        "Format('x')",
        "States.Array",
        "States.Array(",
        "States.Array(1,)",
        "States.Array(,1)",
        "States.Array(1 2)",
        "States.Array() x",
        "States.UUID(1)",
        "States.Format()",
        "States.StringToJson()",
        "States.StringToJson('a', 'b')",
        "States.ArrayRange(1, 2)",
        "States.MathRandom(1)",
        "States.MathRandom(1, 2, 3, 4)",
        "States.JsonMerge($.a, $.b)",
        "States.Hash('a')",
        "States.Array(foo)",
        "States.Array(-)",
        "States.Array(1.)",
        "States.Array(1e)",
        "States.Array('unterminated)",
        "States.Array($.a b)",
        "States.Array($.)",
        "States.Array(truex)",
        "",
        "   ",
    ] {
        assert!(Intrinsic::parse(bad).is_err(), "{bad:?} should not parse");
    }
    for good in [
        "States.UUID()",
        "States.Array()",
        "States.Array( )",
        "  States.Array( 1 , 'a' ,true,false , null, -2.5, 1e3, $, $$, $v )  ",
        "States.MathRandom(1, 2)",
        "States.MathRandom(1, 2, 3)",
        "States.Format('{} {}', $.a[?(@.b == 'x,y')], $.c[0,1])",
        "States.Array($['a)b'], $.a.length())",
    ] {
        assert!(Intrinsic::parse(good).is_ok(), "{good:?} should parse");
    }
}

#[test]
fn arguments_of_every_kind() {
    let v = ok(
        "States.Array('s', 1, -2, 2.5, -1e2, true, false, null, $.a, $$.StateMachine.Name, States.Array())",
        json!({"a": {"b": [1]}}),
    );
    assert_eq!(
        v,
        json!(["s", 1, -2, 2.5, -100.0, true, false, null, {"b": [1]}, "statemachine_00000001", []])
    );
    assert_eq!(
        v.to_json(),
        r#"["s",1,-2,2.5,-100.0,true,false,null,{"b":[1]},"statemachine_00000001",[]]"#
    );
}

#[test]
fn variables_as_arguments() {
    // assign_reference_variables.reference_assign[BASE_REFERENCE_IN_INTRINSIC_FUNCTION]
    struct V;
    impl VarLookup for V {
        fn var(&self, name: &str) -> Option<&Value> {
            static NAME: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
            static TEMPLATE: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
            match name {
                "name" => Some(NAME.get_or_init(|| json!("John"))),
                "tpl" => Some(TEMPLATE.get_or_init(|| json!("It's {}!"))),
                _ => None,
            }
        }
    }
    let input = json!({});
    let ctx = json!({});
    let env = Env {
        input: &input,
        context: &ctx,
        vars: &V,
    };
    let call = Intrinsic::parse("States.Format('Hello {}', $name)").unwrap();
    assert_eq!(call.eval(&env).unwrap(), json!("Hello John"));
    // reference_in_map_state[MAP_STATE_REFERENCE_IN_INTRINSIC_FUNCTION]: template from a variable.
    let call = Intrinsic::parse("States.Format($tpl, 'Pikachu')").unwrap();
    assert_eq!(call.eval(&env).unwrap(), json!("It's Pikachu!"));
    let call = Intrinsic::parse("States.Array($nope)").unwrap();
    assert_eq!(
        call.eval(&env).unwrap_err(),
        IntrinsicError::Path {
            path: "$nope".into(),
            error: PathError::UndefinedVariable("nope".into())
        }
    );
}

#[test]
fn escapes_in_string_literals() {
    // INT-0.3: \' \{ \} \\ are the only escapes.
    assert_eq!(
        ok(r"States.Array('it\'s', '\{\}', 'a\\b')", json!({})),
        json!(["it's", "{}", "a\\b"])
    );
    // generic.escape_sequence: a real newline inside a literal is kept.
    assert_eq!(
        ok("States.StringSplit('Hello\nWorld', '\n')", json!({})),
        json!(["Hello", "World"])
    );
    // json_manipulation.json_merge_escaped_argument: unescaped braces are plain text.
    assert_eq!(
        ok(
            r#"States.StringToJson('{"constant_in_literal": "false"}')"#,
            json!({})
        ),
        json!({"constant_in_literal": "false"})
    );
    // scenarios/base_scenarios.illegal_escapes[ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION]
    assert!(Intrinsic::parse(
        r#"States.StringToJson('{"text":"An \"escaped double quote\" here"}')"#
    )
    .is_err());
    // ...[ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION_2]
    assert!(
        Intrinsic::parse(r#"States.Format('He said, \"Hello, {}!\"', 'Test \"Name\" Here')"#)
            .is_err()
    );
    for bad in [
        r"States.Array('\n')",
        r"States.Array('\')",
        r"States.Array('a\')",
    ] {
        assert!(Intrinsic::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn nesting_is_limited_to_ten() {
    let nest = |n: usize| format!("{}1{}", "States.Array(".repeat(n), ")".repeat(n));
    assert!(Intrinsic::parse(&nest(10)).is_ok());
    assert!(Intrinsic::parse(&nest(11)).is_err());
    assert!(Intrinsic::parse(&nest(100_000)).is_err());
    assert_eq!(ok(&nest(3), json!({})), json!([[[1]]]));
}

#[test]
fn expr_dispatches_on_the_first_character() {
    assert!(matches!(Expr::parse("$.a").unwrap(), Expr::Path(_)));
    assert!(matches!(Expr::parse(" $$.a").unwrap(), Expr::Path(_)));
    assert!(matches!(Expr::parse("$v").unwrap(), Expr::Path(_)));
    assert!(matches!(
        Expr::parse("States.UUID()").unwrap(),
        Expr::Intrinsic(_)
    ));
    assert!(Expr::parse("not a path").is_err());
    assert_eq!(
        Expr::parse("States.UUID()").unwrap().text(),
        "States.UUID()"
    );
    assert_eq!(
        Intrinsic::parse("States.Hash('a', 'MD5')").unwrap().name(),
        "States.Hash"
    );
}

#[test]
fn missing_path_argument_is_a_path_error() {
    // INT-0.6: a path argument that does not resolve -> States.Runtime.
    let e = eval_with("States.Array($.nope)", &json!({})).unwrap_err();
    assert_eq!(
        e,
        IntrinsicError::Path {
            path: "$.nope".into(),
            error: PathError::NotFound {
                at: "$['nope']".into()
            }
        }
    );
    let e = Expr::parse("States.Format($.nope, 1)").unwrap();
    let input = json!({"other": 1});
    assert!(matches!(
        e.eval(&Env::new(&input, &Value::Null)),
        Err(EvalError::Intrinsic(IntrinsicError::Path { .. }))
    ));
}

// ---- States.Format ----

#[test]
fn format_renders_values_as_aws_prints_them() {
    let input = json!({"s": "x", "i": 7, "f": 1.5, "whole": 2.0, "big": 1e20, "b": true, "n": null,
        "o": {"k": "v", "l": [1, "two", null, {"z": 0.5}]}, "a": []});
    assert_eq!(
        ok(
            "States.Format('{}|{}|{}|{}|{}|{}|{}', $.s, $.i, $.f, $.whole, $.big, $.b, $.n)",
            input.clone()
        ),
        json!("x|7|1.5|2.0|1.0E20|true|null")
    );
    assert_eq!(
        ok("States.Format('{} {}', $.o, $.a)", input),
        json!("{k=v, l=[1, two, null, {z=0.5}]} []")
    );
}

#[test]
fn format_placeholders_and_escaped_braces() {
    assert_eq!(
        ok(r"States.Format('\{} is not {}', 'x')", json!({})),
        json!("{} is not x")
    );
    assert_eq!(ok(r"States.Format('\{{}\}', 'x')", json!({})), json!("{x}"));
    assert_eq!(
        ok("States.Format('no placeholders')", json!({})),
        json!("no placeholders")
    );
    assert_eq!(ok("States.Format('{}{}', 1, 2)", json!({})), json!("12"));
    assert_eq!(
        ok("States.Format('a { b } c')", json!({})),
        json!("a { b } c")
    );
    assert_eq!(
        ok("States.Format($.t, 'y')", json!({"t": "x{}z"})),
        json!("xyz")
    );
    let m = fails("States.Format('{} {}', 1)", json!({}));
    assert!(
        m.contains("States.Format") && m.contains("2 placeholder"),
        "{m}"
    );
    fails("States.Format('{}')", json!({}));
    fails("States.Format('x', 1)", json!({}));
    fails("States.Format($.t)", json!({"t": 5}));
}

// ---- JSON ----

#[test]
fn string_to_json_and_back() {
    assert_eq!(ok("States.StringToJson(' \n ')", json!({})), Value::Null);
    assert_eq!(
        ok("States.StringToJson(' [1, {\"a\": 2.5}] ')", json!({})),
        json!([1, {"a": 2.5}])
    );
    let m = fails("States.StringToJson('{')", json!({}));
    assert!(m.contains("States.StringToJson"), "{m}");
    fails("States.StringToJson($.x)", json!({"x": 1}));
    fails("States.StringToJson('[1] x')", json!({}));
    assert_eq!(
        ok("States.JsonToString($.x)", json!({"x": "s"})),
        json!("\"s\"")
    );
    assert_eq!(
        ok("States.JsonToString($)", json!({"a": null, "b": [1.0]})),
        json!("{\"a\":null,\"b\":[1.0]}")
    );
    assert_eq!(
        ok("States.JsonToString('lit')", json!({})),
        json!("\"lit\"")
    );
}

#[test]
fn json_merge_is_shallow() {
    assert_eq!(
        ok(
            "States.JsonMerge($.a, $.b, false)",
            json!({"a": {"x": {"p": 1}, "y": 1}, "b": {"x": {"q": 2}}})
        ),
        json!({"x": {"q": 2}, "y": 1})
    );
    let m = fails(
        "States.JsonMerge($.a, $.b, true)",
        json!({"a": {}, "b": {}}),
    );
    assert!(m.contains("deep"), "{m}");
    fails(
        "States.JsonMerge($.a, $.b, 'false')",
        json!({"a": {}, "b": {}}),
    );
    fails(
        "States.JsonMerge($.a, $.b, false)",
        json!({"a": [], "b": {}}),
    );
    fails(
        "States.JsonMerge($.a, $.b, false)",
        json!({"a": {}, "b": 1}),
    );
}

// ---- arrays ----

#[test]
fn array_functions() {
    let input = json!({"xs": [1, 2, 3, 4, 5], "dup": [1, 1.0, "1", [1], [1], {"a": 1, "b": 2}, {"b": 2, "a": 1}, null, null]});
    assert_eq!(
        ok("States.ArrayPartition($.xs, 2)", input.clone()),
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(
        ok("States.ArrayPartition($.xs, 2.0)", input.clone()),
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(
        ok("States.ArrayContains($.xs, 3)", input.clone()),
        json!(true)
    );
    assert_eq!(
        ok("States.ArrayContains($.xs, 3.0)", input.clone()),
        json!(true)
    );
    assert_eq!(
        ok("States.ArrayContains($.xs, '3')", input.clone()),
        json!(false)
    );
    assert_eq!(ok("States.ArrayGetItem($.xs, 0)", input.clone()), json!(1));
    assert_eq!(ok("States.ArrayGetItem($.xs, 4)", input.clone()), json!(5));
    assert_eq!(ok("States.ArrayLength($.xs)", input.clone()), json!(5));
    assert_eq!(
        ok("States.ArrayUnique($.dup)", input),
        json!([1, "1", [1], {"a": 1, "b": 2}, null])
    );
    assert_eq!(
        ok("States.ArrayUnique(States.Array())", json!({})),
        json!([])
    );
}

#[test]
fn array_unique_is_fast_on_large_arrays() {
    let items: Vec<Value> = (0..50_000).map(|i| Value::Int(i % 1000)).collect();
    let input = Value::object(std::iter::once(("xs".into(), Value::array(items))).collect());
    let out = ok("States.ArrayUnique($.xs)", input);
    assert_eq!(out.as_array().map(<[Value]>::len), Some(1000));
}

#[test]
fn array_function_failures() {
    let input = json!({"xs": [1, 2, 3], "o": {}, "s": "str"});
    for (expr, needle) in [
        ("States.ArrayPartition($.xs, 0)", "positive"),
        ("States.ArrayPartition($.xs, -1)", "positive"),
        ("States.ArrayPartition($.xs, 1.5)", "integer"),
        ("States.ArrayPartition($.o, 1)", "array"),
        ("States.ArrayContains($.s, 1)", "array"),
        ("States.ArrayGetItem($.xs, 3)", "out of bounds"),
        ("States.ArrayGetItem($.xs, -1)", "out of bounds"),
        ("States.ArrayGetItem($.xs, '1')", "integer"),
        ("States.ArrayGetItem($.o, 0)", "array"),
        ("States.ArrayLength($.s)", "array"),
        ("States.ArrayUnique($.o)", "array"),
        ("States.ArrayRange(0, 10, 0)", "step"),
        ("States.ArrayRange(0, 1000, 1)", "1001"),
        ("States.ArrayRange(0.5, 10, 1)", "integer"),
        ("States.ArrayRange('0', 10, 1)", "integer"),
    ] {
        let m = fails(expr, input.clone());
        assert!(m.contains(needle), "{expr}: {m}");
        assert!(m.starts_with("Invalid arguments in States."), "{expr}: {m}");
    }
}

#[test]
fn array_range_bounds() {
    // array.array_range: (0, 9, 3) and (0, 10, 3) both give [0, 3, 6, 9].
    assert_eq!(
        ok("States.ArrayRange(0, 999, 1)", json!({}))
            .as_array()
            .map(<[Value]>::len),
        Some(1000)
    );
    assert_eq!(
        ok("States.ArrayRange(5, 1, -2)", json!({})),
        json!([5, 3, 1])
    );
    assert_eq!(ok("States.ArrayRange(1, 5, -1)", json!({})), json!([]));
    assert_eq!(ok("States.ArrayRange(5, 1, 1)", json!({})), json!([]));
    assert_eq!(ok("States.ArrayRange(3, 3, 7)", json!({})), json!([3]));
    assert_eq!(
        ok("States.ArrayRange(1, 10, 2)", json!({})),
        json!([1, 3, 5, 7, 9])
    );
    fails(
        "States.ArrayRange(-9223372036854775807, 9223372036854775807, 1)",
        json!({}),
    );
}

// ---- encoding and hashing ----

#[test]
fn base64_round_trip() {
    // assign_reference_variables.assign_from_value[BASE_ASSIGN_FROM_INTRINSIC_FUNCTION]
    assert_eq!(
        ok("States.Base64Encode('Hello World')", json!({})),
        json!("SGVsbG8gV29ybGQ=")
    );
    assert_eq!(
        ok("States.Base64Decode('SGVsbG8gV29ybGQ=')", json!({})),
        json!("Hello World")
    );
    assert_eq!(
        ok("States.Base64Decode('SGVsbG8gV29ybGQ')", json!({})),
        json!("Hello World")
    );
    assert_eq!(
        ok("States.Base64Encode('日本')", json!({})),
        json!("5pel5pys")
    );
    assert_eq!(
        ok("States.Base64Decode(States.Base64Encode('ü'))", json!({})),
        json!("ü")
    );
    fails("States.Base64Decode('***')", json!({}));
    fails("States.Base64Encode(1)", json!({}));
    fails("States.Base64Decode($.x)", json!({"x": null}));
}

#[test]
fn text_inputs_are_limited_to_10000_characters() {
    let at_limit = Value::from("a".repeat(10_000));
    let over = Value::from("a".repeat(10_001));
    let input = |v: &Value| Value::object(std::iter::once(("s".into(), v.clone())).collect());
    ok("States.Base64Encode($.s)", input(&at_limit));
    ok("States.Hash($.s, 'MD5')", input(&at_limit));
    for f in [
        "States.Base64Encode($.s)",
        "States.Base64Decode($.s)",
        "States.Hash($.s, 'MD5')",
    ] {
        let m = fails(f, input(&over));
        assert!(m.contains("10000"), "{f}: {m}");
    }
    // Characters, not bytes: 10,000 three-byte characters are within the limit.
    ok(
        "States.Hash($.s, 'SHA-1')",
        input(&Value::from("日".repeat(10_000))),
    );
}

#[test]
fn hash_algorithms() {
    // hash_calculations.hash cover MD5, SHA-1, SHA-384, SHA-512; SHA-256 from
    // assign_reference_variables.reference_assign[BASE_REFERENCE_IN_INTRINSIC_FUNCTION].
    assert_eq!(
        ok("States.Hash('Hash this string', 'SHA-256')", json!({})),
        json!("1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e")
    );
    let m = fails("States.Hash('x', 'SHA-3')", json!({}));
    assert!(m.contains("SHA-3"), "{m}");
    fails("States.Hash('x', 'md5')", json!({}));
    fails("States.Hash('x', 5)", json!({}));
    // Non-string data is hashed as its JSON text.
    assert_eq!(
        ok("States.Hash($.o, 'MD5')", json!({"o": {"a": 1}})),
        ok("States.Hash('{\"a\":1}', 'MD5')", json!({}))
    );
}

// ---- math ----

#[test]
fn math_add_rounds_half_up() {
    // math_operations.math_add* and the README's notes.
    for (a, b, sum) in [
        (1.49, 1.5, 3),
        (-0.5, 0.0, 0),
        (2.5, 0.0, 3),
        (-2.5, 0.0, -2),
        (-1.5, -1.51, -3),
        (0.49999999999999994, 0.0, 0),
    ] {
        let input = json!({"a": a, "b": b});
        assert_eq!(
            ok("States.MathAdd($.a, $.b)", input).to_json(),
            sum.to_string(),
            "{a} + {b}"
        );
    }
    assert_eq!(ok("States.MathAdd(1, -1)", json!({})), json!(0));
    // scenarios/base_scenarios.map_state_legacy_reentrant
    assert_eq!(
        ok("States.MathAdd($.Iterations, -1)", json!({"Iterations": 3})),
        json!(2)
    );
    fails("States.MathAdd('1', 2)", json!({}));
    fails("States.MathAdd(null, 2)", json!({}));
    fails("States.MathAdd(9223372036854775807, 1)", json!({}));
    fails("States.MathAdd(1e300, 1)", json!({}));
}

#[test]
fn math_random_ranges_and_seeds() {
    for _ in 0..200 {
        let v = ok("States.MathRandom(1, 3)", json!({})).as_i64().unwrap();
        assert!((1..3).contains(&v), "{v}");
    }
    // math_operations.math_random: non-integer and negative bounds are accepted.
    let v = ok(
        "States.MathRandom($.a, $.b)",
        json!({"a": 12.5, "b": 44.51}),
    )
    .as_i64()
    .unwrap();
    assert!((13..45).contains(&v), "{v}");
    let v = ok("States.MathRandom(-99999, -9999)", json!({}))
        .as_i64()
        .unwrap();
    assert!((-99999..-9999).contains(&v), "{v}");
    // math_operations.math_random_seeded: the same seed gives the same number.
    let a = ok("States.MathRandom(0, 999, 3)", json!({}));
    assert_eq!(a, ok("States.MathRandom(0, 999, 3)", json!({})));
    assert!(matches!(a, Value::Int(0..=998)));
    fails("States.MathRandom(5, 5)", json!({}));
    fails("States.MathRandom(6, 5)", json!({}));
    fails("States.MathRandom('1', 5)", json!({}));
}

// ---- strings and UUID ----

#[test]
fn string_split_on_any_delimiter_character() {
    assert_eq!(ok("States.StringSplit(',,,', ',')", json!({})), json!([]));
    assert_eq!(
        ok("States.StringSplit(' , ', ',')", json!({})),
        json!([" ", " "])
    );
    assert_eq!(
        ok("States.StringSplit('abc', '')", json!({})),
        json!(["abc"])
    );
    assert_eq!(ok("States.StringSplit('', ',')", json!({})), json!([]));
    assert_eq!(
        ok("States.StringSplit('a日b', '日')", json!({})),
        json!(["a", "b"])
    );
    fails("States.StringSplit(1, ',')", json!({}));
    fails("States.StringSplit('a', 1)", json!({}));
}

#[test]
fn uuid_is_a_random_v4() {
    let a = ok("States.UUID()", json!({}));
    let b = ok("States.UUID()", json!({}));
    assert_ne!(a, b);
    let s = a.as_str().unwrap();
    let parsed = uuid::Uuid::parse_str(s).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
    assert_eq!(s, s.to_lowercase());
    assert_eq!(s.len(), 36);
}

// ---- robustness ----

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_calls_never_panic(
            name in prop::sample::select(vec![
                "Format", "StringToJson", "JsonToString", "Array", "ArrayPartition",
                "ArrayContains", "ArrayRange", "ArrayGetItem", "ArrayLength", "ArrayUnique",
                "Base64Encode", "Base64Decode", "Hash", "JsonMerge", "MathRandom", "MathAdd",
                "StringSplit", "UUID",
            ]),
            args in prop::collection::vec(
                prop::sample::select(vec![
                    "$.s", "$.n", "$.f", "$.a", "$.o", "$.z", "$.b", "$.big", "'{}'", "'MD5'",
                    "-1", "0", "2", "1000000", "2.5", "true", "false", "null", "$.missing",
                    "States.Array(1, 2)", "'a,b'", "''",
                ]),
                0..4,
            ),
        ) {
            let text = format!("States.{name}({})", args.join(", "));
            if let Ok(call) = Intrinsic::parse(&text) {
                let input = json!({"s": "x,y", "n": 3, "f": -1.5, "a": [1, [2], {"k": 1}],
                    "o": {"k": [1]}, "z": null, "b": true, "big": 1e300});
                let _ = call.eval(&Env::new(&input, &input));
            }
        }

        #[test]
        fn arbitrary_text_never_panics(s in "States\\.[A-Za-z]{0,12}\\(\\PC{0,30}") {
            if let Ok(call) = Intrinsic::parse(&s) {
                let input = json!({});
                let _ = call.eval(&Env::new(&input, &input));
            }
        }
    }
}
