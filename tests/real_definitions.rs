//! Definitions as deployed AWS samples write them, and what AWS does with them (issue 17,
//! items 1–5): integration ARNs with a region and an account, bare words in JSONPath
//! filters, an array as a Pass state's `Parameters`, AWS's words for a missing intrinsic
//! argument and a missing function, timeouts read from the state input, heartbeat expiry
//! under `States.Timeout`, and the 25,000-event history quota of STANDARD executions.
//! The definitions in `tests/real_definitions/` are a small corpus in those styles.
//! On tokio's paused clock, so timeouts take no real time.

use aslx::engine::{Engine, ExecutionHandle, HistoryEvent, StartRequest};
use aslx::vm::Outcome;
use aslx::{json, Handlers, Machine, MachineType, Status, Value};
use std::time::Duration;

fn engine(handlers: Handlers) -> Engine {
    Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(handlers)
        .build()
        .unwrap()
}

/// Runs `def` as a STANDARD machine on `input` to its end: its outcome and history.
async fn run_standard(
    handlers: Handlers,
    def: &str,
    input: Value,
) -> (Outcome, Vec<HistoryEvent>, ExecutionHandle) {
    let e = engine(handlers);
    e.create_machine("m", def, MachineType::Standard)
        .unwrap_or_else(|err| panic!("{err}"));
    let h = e
        .start_with_handle(StartRequest::new("m").input(input))
        .unwrap();
    h.wait().await;
    let (outcome, _) = h.outcome().expect("ended");
    let events = h.history();
    (outcome, events, h)
}

fn corpus(name: &str) -> String {
    let path = format!(
        "{}/tests/real_definitions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn scheduled(events: &[HistoryEvent]) -> Value {
    events
        .iter()
        .find(|e| e.event_type == "TaskScheduled")
        .expect("a TaskScheduled event")
        .details
        .clone()
}

// ---- item 1: what AWS accepts ----

#[tokio::test(start_paused = true)]
async fn res_2_integration_arns_with_region_and_account_run_on_the_bare_form_handlers() {
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::sns:publish", |v: Value| {
        Ok(json!({"MessageId": "m-1", "Echo": v.get("Message").cloned()}))
    });
    h.resource("arn:aws:states:::aws-sdk:s3:getObject", |_| {
        Ok(json!({"Body": "hello", "ContentLength": 5}))
    });
    h.resource("arn:aws:states:::athena:startQueryExecution.sync", |_| {
        Ok(json!({"QueryExecution": {"Status": {"State": "SUCCEEDED"}}}))
    });
    h.function("summarize", |v: Value| {
        Ok(json!({"key": v.get("key").cloned(), "body": v.get("object").cloned()}))
    });
    let def = corpus("region_account_integrations.asl.json");
    let (o, events, _) = run_standard(h, &def, json!({"message": "hi", "key": "k"})).await;
    assert_eq!(o.status, Status::Succeeded, "{:?} {:?}", o.error, o.cause);
    assert_eq!(
        o.output.unwrap(),
        json!({"key": "k", "body": {"Body": "hello"}})
    );
    // The history names the integration as AWS does, region or not.
    let s = scheduled(&events);
    assert_eq!(s.get("resourceType"), Some(&json!("sns")));
    assert_eq!(s.get("resource"), Some(&json!("publish")));
}

#[test]
fn every_definition_of_the_corpus_is_accepted_as_standard() {
    let dir = format!("{}/tests/real_definitions", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let def = std::fs::read_to_string(&path).unwrap();
        let mut h = Handlers::new();
        h.unbound(|_, v| Ok(v));
        Machine::new("m", &def, MachineType::Standard, &h)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn an_unknown_action_with_region_and_account_is_still_refused() {
    let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:us-east-1:123456789012:dynamodb:query", "End": true}}}"#;
    let e = Machine::new("m", def, MachineType::Standard, &Handlers::new()).unwrap_err();
    assert!(e.to_string().contains("dynamodb:query"), "{e}");
}

#[test]
fn path_filter_bare_words_select_by_the_string_they_spell() {
    let def = corpus("bare_filter_words.asl.json");
    let m = Machine::new("m", &def, MachineType::Express, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({
        "Labels": [{"Name": "Receipt", "Confidence": 99}, {"Name": "Person"}],
        "Translations": [
            {"TargetLanguageCode": "es", "TranslatedText": "hola"},
            {"TargetLanguageCode": "de", "TranslatedText": "hallo"}
        ],
        "Report": {"QualityResults": [
            {"constraint_status": "Failure", "check": "a"},
            {"constraint_status": "Success", "check": "b"}
        ]}
    }));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(
        o.output.unwrap(),
        json!({
            "receipts": [{"Name": "Receipt", "Confidence": 99}],
            "spanish": ["hola"],
            "failures": [{"constraint_status": "Failure", "check": "a"}]
        })
    );
}

#[test]
fn pt_1_a_pass_state_parameters_array_is_a_template_of_templates() {
    let def = corpus("pass_parameters_array.asl.json");
    let m = Machine::new("m", &def, MachineType::Express, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({"first": "a", "second": 2}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(
        o.output.unwrap(),
        json!([
            {"Prop1": "a", "Prop2": "Value2"},
            {"Prop1": "Value3", "Prop2": "a-2"},
            "literal",
            7
        ])
    );
}

#[test]
fn pt_1_parameters_arrays_stay_refused_outside_pass_states_and_scalars_everywhere() {
    for def in [
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::sns:publish", "Parameters": [1], "End": true}}}"#,
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": "x", "End": true}}}"#,
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "ResultSelector": [1], "End": true}}}"#,
    ] {
        let mut h = Handlers::new();
        h.unbound(|_, v| Ok(v));
        let e = Machine::new("m", def, MachineType::Standard, &h).unwrap_err();
        assert!(e.to_string().contains("must be a JSON object"), "{e}");
    }
}

// ---- item 2: AWS's words ----

#[test]
fn int_0_6_a_missing_intrinsic_argument_is_reported_in_aws_words() {
    let def = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"a.$": "States.Array($.x)"}, "End": true}}}"#;
    let m = Machine::new("m", def, MachineType::Express, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({"y": 1}));
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        o.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'P' (entered at the event id #2). \
             The function 'States.Array($.x)' had the following error: The JsonPath argument \
             for the field '$.x' could not be found in the input '{\"y\":1}'"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn task_6_a_heartbeat_expiry_is_caught_by_a_states_timeout_catcher() {
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::sqs:sendMessage", |_| {
        Ok(json!({"MessageId": "m"}))
    });
    // HeartbeatSecondsPath reads the state input, which Parameters do not carry on.
    let def = r#"{"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"token.$": "$$.Task.Token"},
                "HeartbeatSecondsPath": "$.beat", "TimeoutSeconds": 100,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Late"}], "End": true},
        "Late": {"Type": "Pass", "End": true}}}"#;
    let t0 = tokio::time::Instant::now();
    let (o, events, _) = run_standard(h, def, json!({"beat": 3})).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(3));
    assert_eq!(o.status, Status::Succeeded, "{:?} {:?}", o.error, o.cause);
    assert_eq!(
        o.output.unwrap().get("Error"),
        Some(&json!("States.HeartbeatTimeout"))
    );
    assert_eq!(
        scheduled(&events).get("heartbeatInSeconds"),
        Some(&json!(3))
    );
}

#[tokio::test(start_paused = true)]
async fn res_2_lambda_invoke_of_a_missing_function_fails_as_the_optimized_integration() {
    let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "nope", "Payload": {}},
        "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}], "End": true},
        "C": {"Type": "Pass", "End": true}}}"#;
    let (o, events, h) = run_standard(Handlers::new(), def, json!({})).await;
    let out = o.output.unwrap();
    assert_eq!(
        out.get("Error"),
        Some(&json!("Lambda.ResourceNotFoundException"))
    );
    let cause = out
        .get("Cause")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    // The function is qualified with $LATEST in the machine's own region and account.
    let (region, account) = {
        let p: Vec<&str> = h.machine().arn.split(':').collect();
        (p[3].to_string(), p[4].to_string())
    };
    let head = format!(
        "Function not found: arn:aws:lambda:{region}:{account}:function:nope:$LATEST \
         (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "
    );
    assert!(cause.starts_with(&head), "{cause}");
    assert!(cause.ends_with("; Proxy: null)"), "{cause}");
    let rid = &cause[head.len()..cause.len() - "; Proxy: null)".len()];
    assert_eq!(rid.len(), 36, "a request id: {rid}");
    // The history's TaskFailed carries the same cause.
    let failed = events
        .iter()
        .find(|e| e.event_type == "TaskFailed")
        .unwrap();
    assert_eq!(failed.details.get("cause"), Some(&json!(cause)));
}

// ---- item 3: *Path fields read the state input ----

#[tokio::test(start_paused = true)]
async fn task_5_timeout_seconds_path_reads_the_state_input_not_the_parameters() {
    let mut h = Handlers::new();
    h.resource_async(
        "arn:aws:states:::aws-sdk:sqs:receiveMessage",
        |_v: Value| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(json!("late"))
        },
    );
    let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:sqs:receiveMessage",
        "InputPath": "$.job", "Parameters": {"QueueUrl": "q"},
        "TimeoutSecondsPath": "$.limit", "End": true}}}"#;
    let t0 = tokio::time::Instant::now();
    let (o, events, _) = run_standard(h, def, json!({"job": {"limit": 5}})).await;
    assert_eq!(o.error.as_deref(), Some("States.Timeout"));
    assert_eq!(t0.elapsed(), Duration::from_secs(5));
    assert_eq!(scheduled(&events).get("timeoutInSeconds"), Some(&json!(5)));
}

#[tokio::test(start_paused = true)]
async fn task_5_a_timeout_path_missing_from_the_state_input_is_a_runtime_error() {
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::sns:publish", |_| Ok(json!({})));
    // The field is in the Parameters' output only: not where AWS reads it.
    let def = r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::sns:publish", "Parameters": {"limit": 5},
        "TimeoutSecondsPath": "$.limit", "End": true}}}"#;
    let (o, _, _) = run_standard(h, def, json!({})).await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert!(
        o.cause.as_deref().unwrap().ends_with(
            "The TimeoutSecondsPath parameter does not reference an input value: $.limit"
        ),
        "{:?}",
        o.cause
    );
}

#[test]
fn map_2_4_9_map_path_fields_read_the_input_after_input_path() {
    let def = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "InputPath": "$.job",
        "ItemsPath": "$.items", "MaxConcurrencyPath": "$.max",
        "ToleratedFailureCountPath": "$.count", "ToleratedFailurePercentagePath": "$.pct",
        "ItemSelector": {"v.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}}}"#;
    let m = Machine::new("m", def, MachineType::Standard, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({"job": {"items": [1, 2], "max": 1, "count": 0, "pct": 0}}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(o.output.unwrap(), json!([{"v": 1}, {"v": 2}]));
    // Not the raw input: the same fields at its top level are not seen.
    let o = m.run_blocking(json!({"items": [1], "max": 1, "job": {}}));
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert!(o.cause.unwrap().contains("'ItemsPath'"));
}

#[tokio::test(start_paused = true)]
async fn wait_2_seconds_and_timestamp_paths_read_the_input_after_input_path() {
    let def = r#"{"StartAt": "W", "States": {
        "W": {"Type": "Wait", "InputPath": "$.w", "SecondsPath": "$.s", "Next": "U"},
        "U": {"Type": "Wait", "InputPath": "$.u", "TimestampPath": "$.t", "End": true}}}"#;
    let t0 = tokio::time::Instant::now();
    let (o, _, _) = run_standard(
        Handlers::new(),
        def,
        json!({"w": {"s": 7, "u": {"t": "2000-01-01T00:00:00Z"}}}),
    )
    .await;
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(t0.elapsed(), Duration::from_secs(7));
}

#[test]
fn fail_3_error_and_cause_paths_read_the_raw_state_input() {
    let def = r#"{"StartAt": "F", "States": {"F": {"Type": "Fail",
        "ErrorPath": "$.e", "CausePath": "States.Format('at {}', $.where)"}}}"#;
    let m = Machine::new("m", def, MachineType::Express, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({"e": "Custom", "where": "home"}));
    assert_eq!(o.error.as_deref(), Some("Custom"));
    assert_eq!(o.cause.as_deref(), Some("at home"));
}

// ---- item 5: the STANDARD history quota ----

const ENDLESS: &str = r#"{"StartAt": "Spin", "States": {
    "Spin": {"Type": "Pass", "Next": "Check"},
    "Check": {"Type": "Choice",
              "Choices": [{"Variable": "$.spin", "BooleanEquals": true, "Next": "Spin"}],
              "Default": "Done"},
    "Done": {"Type": "Succeed"}}}"#;

#[tokio::test(start_paused = true)]
async fn quo_an_endless_standard_loop_fails_at_history_event_25000_as_aws_ends_it() {
    let (o, events, _) = run_standard(Handlers::new(), ENDLESS, json!({"spin": true})).await;
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        o.cause.as_deref(),
        Some("The execution reached the maximum number of history events (25000).")
    );
    let last = events.last().unwrap();
    assert_eq!(
        (last.event_type, last.id, last.previous_event_id),
        ("ExecutionFailed", 25_000, 24_999)
    );
    // Spin is entered as #2 + 4k and Check as #4 + 4k: #24,999 is Spin's exit, the last
    // real event; Check's entry would be #25,000.
    let before = &events[events.len() - 2];
    assert_eq!((before.event_type, before.id), ("PassStateExited", 24_999));
}

#[tokio::test(start_paused = true)]
async fn quo_a_state_entered_as_event_24999_is_recorded_before_the_cut() {
    // Started #1, a Task's five events #2..#6, then Spin entered as #7 + 4k: its 6,249th
    // entry is #24,999, recorded; its exit would be #25,000.
    let def = r#"{"StartAt": "First", "States": {
        "First": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                  "ResultPath": null, "Next": "Spin"},
        "Spin": {"Type": "Pass", "Next": "Check"},
        "Check": {"Type": "Choice",
                  "Choices": [{"Variable": "$.spin", "BooleanEquals": true, "Next": "Spin"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"}}}"#;
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::sns:publish", |_| Ok(json!({})));
    let (o, events, _) = run_standard(h, def, json!({"spin": true})).await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    let n = events.len();
    assert_eq!(
        (events[n - 2].event_type, events[n - 2].id),
        ("PassStateEntered", 24_999)
    );
    assert_eq!(
        (events[n - 1].event_type, events[n - 1].id),
        ("ExecutionFailed", 25_000)
    );
}

/// A STANDARD loop of a Task (five events) and a Choice (two), after `lead` Pass states:
/// the event types of #24,999 and #25,000.
async fn task_loop_cut(lead: usize) -> (&'static str, &'static str, Outcome) {
    let mut states = String::new();
    for i in 0..lead {
        states.push_str(&format!(
            r#""L{i}": {{"Type": "Pass", "Next": "L{}"}},"#,
            i + 1
        ));
    }
    let def = format!(
        r#"{{"StartAt": "L0", "States": {{{states}
        "L{lead}": {{"Type": "Pass", "Next": "T"}},
        "T": {{"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
               "ResultPath": null, "Next": "Check"}},
        "Check": {{"Type": "Choice",
                  "Choices": [{{"Variable": "$.spin", "BooleanEquals": true, "Next": "T"}}],
                  "Default": "Done"}},
        "Done": {{"Type": "Succeed"}}}}}}"#
    );
    let mut h = Handlers::new();
    h.resource("arn:aws:states:::sns:publish", |_| Ok(json!({})));
    let (o, events, _) = run_standard(h, &def, json!({"spin": true})).await;
    let n = events.len();
    assert_eq!(events[n - 1].id, 25_000);
    assert_eq!(events[n - 2].id, 24_999);
    (events[n - 2].event_type, events[n - 1].event_type, o)
}

#[tokio::test(start_paused = true)]
async fn quo_a_task_loop_is_cut_at_event_25000_wherever_it_falls_in_the_task() {
    // The Task is entered as #(4 + 2 * lead) + 7k, then Scheduled, Started, Succeeded,
    // Exited, the Choice's Entered and Exited: #24,999 falls on
    for (lead, last) in [
        (0, "ChoiceStateEntered"),
        (1, "TaskSucceeded"),
        (2, "TaskScheduled"),
        (3, "ChoiceStateExited"),
        (4, "TaskStateExited"),
        (5, "TaskStarted"),
        (6, "TaskStateEntered"),
    ] {
        let (before, cut, o) = task_loop_cut(lead).await;
        assert_eq!((before, cut), (last, "ExecutionFailed"), "lead {lead}");
        assert_eq!(
            o.cause.as_deref(),
            Some("The execution reached the maximum number of history events (25000).")
        );
    }
}

#[test]
fn quo_a_standard_execution_whose_25000th_event_is_its_success_succeeds() {
    // ExecutionStarted #1; a chain of 12,499 Pass states of two events each (#2..#24,999);
    // ExecutionSucceeded #25,000.
    let mut states = String::new();
    let total = 12_499;
    for i in 0..total {
        let next = if i + 1 == total {
            r#""End": true"#.to_string()
        } else {
            format!(r#""Next": "S{}""#, i + 1)
        };
        if i > 0 {
            states.push(',');
        }
        states.push_str(&format!(r#""S{i}": {{"Type": "Pass", {next}}}"#));
    }
    let chain = format!(r#"{{"StartAt": "S0", "States": {{{states}}}}}"#);
    let m = Machine::new("m", &chain, MachineType::Standard, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    // One state more and the 25,000th event would be a PassStateExited.
    let longer = chain.replace(
        &format!(r#""S{}": {{"Type": "Pass", "End": true}}"#, total - 1),
        &format!(
            r#""S{}": {{"Type": "Pass", "Next": "S{total}"}}, "S{total}": {{"Type": "Pass", "End": true}}"#,
            total - 1
        ),
    );
    let m = Machine::new("m", &longer, MachineType::Standard, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({}));
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
}

#[test]
fn quo_express_executions_have_no_history_quota() {
    // 15,000 rounds of Pass + Choice: 60,000 events' worth, far past 25,000.
    let def = r#"{"StartAt": "Step", "States": {
        "Step": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, -1)"}, "Next": "More"},
        "More": {"Type": "Choice",
                 "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Step"}],
                 "Default": "Last"},
        "Last": {"Type": "Succeed"}}}"#;
    let m = Machine::new("m", def, MachineType::Express, &Handlers::new()).unwrap();
    let o = m.run_blocking(json!({"n": 15_000}));
    assert_eq!(o.status, Status::Succeeded, "{:?}", o.cause);
    assert_eq!(o.output.unwrap(), json!({"n": 0}));
}
