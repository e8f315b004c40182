//! Parallel, Map and workflow variables (ASL §9, §16, §17): behaviour beyond what the
//! conformance recordings show — concurrency, cancellation, limits, scopes. Spec item ids in
//! test names and comments.
//!
//! Time-dependent tests run on tokio's paused clock: a Wait or a handler's sleep takes virtual
//! time, so "the branches ran at once" is checked as "the execution took max, not sum".

#[path = "support/paused.rs"]
mod paused;
use paused::run_paused;

use aslx::{
    json, Handlers, Machine, MachineError, MachineType, Outcome, RunOptions, Status, Value,
};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

fn machine(def: &str, handlers: &Handlers) -> Machine {
    Machine::new("test", def, MachineType::Express, handlers)
        .unwrap_or_else(|e| panic!("machine not created: {e}"))
}

fn output(o: &Outcome) -> String {
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    o.output.as_ref().unwrap().to_json()
}

fn failed(o: &Outcome) -> (String, String) {
    assert_eq!(o.status, Status::Failed, "{o:?}");
    (
        o.error.as_deref().unwrap_or_default().to_string(),
        o.cause.clone().unwrap_or_default(),
    )
}

/// A handler that sleeps `$.sleep` seconds (virtual) and returns its input, counting calls
/// and the largest number in flight at once.
#[derive(Clone, Default)]
struct Probe {
    calls: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl Probe {
    fn handlers(&self) -> Handlers {
        let p = self.clone();
        let mut h = Handlers::new();
        h.function_async("probe", move |input: Value| {
            let p = p.clone();
            async move {
                p.calls.fetch_add(1, SeqCst);
                let now = p.in_flight.fetch_add(1, SeqCst) + 1;
                p.max_in_flight.fetch_max(now, SeqCst);
                // Decremented on completion and on cancellation alike.
                let _guard = InFlight(Arc::clone(&p.in_flight));
                let secs = input.get("sleep").and_then(Value::as_f64).unwrap_or(1.0);
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                Ok(input)
            }
        });
        h
    }
}

const PROBE: &str = "arn:aws:lambda:us-east-1:111111111111:function:probe";

// ---------------------------------------------------------------- Parallel

#[test]
fn par2_par3_branches_share_input_and_results_keep_branch_order() {
    // Branch 0 waits longest, so it finishes last; its output still comes first.
    let branch = |b: u32, secs: u32| {
        format!(
            r#"{{"StartAt":"W{b}","States":{{"W{b}":{{"Type":"Wait","Seconds":{secs},"Next":"A{b}"}},
            "A{b}":{{"Type":"Pass","Parameters":{{"b":{b},"x.$":"$.x"}},"End":true}}}}}}"#
        )
    };
    let def = format!(
        r#"{{"StartAt":"P","States":{{"P":{{"Type":"Parallel","End":true,"Branches":[{},{},{}]}}}}}}"#,
        branch(0, 3),
        branch(1, 2),
        branch(2, 1)
    );
    let m = machine(&def, &Handlers::new());
    let (o, took) = run_paused(&m, json!({"x": 7}));
    assert_eq!(output(&o), r#"[{"b":0,"x":7},{"b":1,"x":7},{"b":2,"x":7}]"#);
    // Concurrent: the longest branch, not the sum of all three.
    assert!(took < Duration::from_millis(3500), "took {took:?}");
}

#[test]
fn par4_failing_branch_fails_the_state_with_its_own_error_and_cancels_the_others() {
    let probe = Probe::default();
    let def = format!(
        r#"{{"StartAt":"P","States":{{"P":{{"Type":"Parallel","End":true,"Branches":[
        {{"StartAt":"Slow","States":{{"Slow":{{"Type":"Task","Resource":"{PROBE}","Parameters":{{"sleep":100}},"End":true}}}}}},
        {{"StartAt":"W","States":{{"W":{{"Type":"Wait","Seconds":1,"Next":"F"}},
            "F":{{"Type":"Fail","Error":"Boom","Cause":"branch 1 broke"}}}}}}]}}}}}}"#
    );
    let m = machine(&def, &probe.handlers());
    let (o, took) = run_paused(&m, json!({}));
    assert_eq!(failed(&o), ("Boom".into(), "branch 1 broke".into()));
    assert!(
        took < Duration::from_secs(5),
        "the slow branch was not cancelled: {took:?}"
    );
    assert_eq!(probe.calls.load(SeqCst), 1);
    assert_eq!(
        probe.in_flight.load(SeqCst),
        0,
        "the slow handler's future was not dropped"
    );
}

#[test]
fn par4_retry_reruns_every_branch_and_catch_sees_the_branch_error() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let a = Arc::clone(&attempts);
    let mut h = Handlers::new();
    h.function("flaky", move |v| {
        if a.fetch_add(1, SeqCst) == 0 {
            Err(aslx::TaskError::new("Flaky", "first call fails"))
        } else {
            Ok(v)
        }
    });
    let count = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&count);
    h.function("count", move |v| {
        c.fetch_add(1, SeqCst);
        Ok(v)
    });
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done",
        "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":1}],
        "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],
        "ResultSelector":{"first.$":"$[0]"},"ResultPath":"$.r",
        "Branches":[
        {"StartAt":"FW","States":{"FW":{"Type":"Wait","Seconds":1,"Next":"F"},
            "F":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:flaky","End":true}}},
        {"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:count","End":true}}}]},
        "Caught":{"Type":"Pass","End":true},"Done":{"Type":"Pass","End":true}}}"#;
    let m = machine(def, &h);
    let (o, _) = run_paused(&m, json!({"v": 1}));
    assert_eq!(output(&o), r#"{"v":1,"r":{"first":{"v":1}}}"#);
    assert_eq!(attempts.load(SeqCst), 2);
    assert_eq!(
        count.load(SeqCst),
        2,
        "a retry re-runs every branch (PAR-4)"
    );

    // (The flaky branch waits first, so the other branch has run when it fails.)
    // Without the retrier the catcher gets the branch's own error, not States.BranchFailed.
    let def = def.replace(
        r#""Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":1}],"#,
        "",
    );
    attempts.store(0, SeqCst);
    let (o, _) = run_paused(&machine(&def, &h), json!({"v": 1}));
    assert_eq!(
        output(&o),
        r#"{"v":1,"err":{"Error":"Flaky","Cause":"first call fails"}}"#
    );
}

#[test]
fn par6_succeed_ends_only_its_branch() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"After","Branches":[
        {"StartAt":"S","States":{"S":{"Type":"Succeed"}}},
        {"StartAt":"Q","States":{"Q":{"Type":"Pass","Result":2,"End":true}}}]},
        "After":{"Type":"Pass","Parameters":{"got.$":"$"},"End":true}}}"#;
    let (o, _) = run_paused(&machine(def, &Handlers::new()), json!(1));
    assert_eq!(output(&o), r#"{"got":[1,2]}"#);
}

// ---------------------------------------------------------------- Map

fn map_def(extra: &str, processor: &str) -> String {
    format!(
        r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","End":true,{extra}
        "ItemProcessor":{{"ProcessorConfig":{{"Mode":"INLINE"}},"StartAt":"T","States":{processor}}}}}}}}}"#
    )
}

fn probe_processor() -> String {
    format!(r#"{{"T":{{"Type":"Task","Resource":"{PROBE}","End":true}}}}"#)
}

#[test]
fn map5_results_keep_item_order_when_iterations_finish_out_of_order() {
    let probe = Probe::default();
    let m = machine(&map_def("", &probe_processor()), &probe.handlers());
    let items: Vec<Value> = (0..10).map(|i| json!({"i": i, "sleep": 10 - i})).collect();
    let (o, took) = run_paused(&m, Value::array(items.clone()));
    assert_eq!(output(&o), Value::array(items).to_json());
    assert!(
        took <= Duration::from_secs(11),
        "iterations did not overlap: {took:?}"
    );
    assert_eq!(probe.max_in_flight.load(SeqCst), 10);
}

#[test]
fn map4_max_concurrency_bounds_iterations_in_flight() {
    let probe = Probe::default();
    let m = machine(
        &map_def(r#""MaxConcurrency":3,"#, &probe_processor()),
        &probe.handlers(),
    );
    let items: Vec<Value> = (0..10).map(|i| json!({"i": i, "sleep": 1})).collect();
    let (o, took) = run_paused(&m, Value::array(items));
    assert_eq!(o.status, Status::Succeeded);
    assert_eq!(probe.max_in_flight.load(SeqCst), 3);
    // ceil(10 / 3) rounds of one second.
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn map4_max_concurrency_one_is_strictly_sequential_in_item_order() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let o2 = Arc::clone(&order);
    let mut h = Handlers::new();
    h.function_async("rec", move |v: Value| {
        let o2 = Arc::clone(&o2);
        async move {
            o2.lock().unwrap().push(v.as_i64().unwrap());
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(v)
        }
    });
    let proc_ = r#"{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:rec","End":true}}"#;
    let m = machine(&map_def(r#""MaxConcurrency":1,"#, proc_), &h);
    let (o, _) = run_paused(&m, json!([5, 4, 3, 2, 1]));
    assert_eq!(output(&o), "[5,4,3,2,1]");
    assert_eq!(*order.lock().unwrap(), vec![5, 4, 3, 2, 1]);
}

#[test]
fn map4_unlimited_inline_map_runs_at_most_40_iterations_at_once() {
    let probe = Probe::default();
    let m = machine(&map_def("", &probe_processor()), &probe.handlers());
    let items: Vec<Value> = (0..200).map(|i| json!({"i": i, "sleep": 1})).collect();
    let (o, _) = run_paused(&m, Value::array(items));
    assert_eq!(o.status, Status::Succeeded);
    assert_eq!(
        probe.max_in_flight.load(SeqCst),
        aslx::vm::INLINE_MAP_CONCURRENCY
    );
}

#[test]
fn map_of_10000_items_never_has_more_iterations_in_flight_than_its_limit() {
    let probe = Probe::default();
    let m = machine(
        &map_def(r#""MaxConcurrency":25,"#, &probe_processor()),
        &probe.handlers(),
    );
    let items: Vec<Value> = (0..10_000)
        .map(|i| json!({"i": i, "sleep": 0.01}))
        .collect();
    let (o, _) = run_paused(&m, Value::array(items));
    let out = o.output.as_ref().expect("succeeded");
    assert_eq!(out.as_array().unwrap().len(), 10_000);
    assert_eq!(out.as_array().unwrap()[9_999].get("i"), Some(&json!(9_999)));
    assert_eq!(probe.max_in_flight.load(SeqCst), 25);
    assert_eq!(probe.calls.load(SeqCst), 10_000);
}

#[test]
fn map_runs_on_the_multi_thread_runtime() {
    let probe = Probe::default();
    let m = machine(
        &map_def(r#""MaxConcurrency":8,"#, &probe_processor()),
        &probe.handlers(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let items: Vec<Value> = (0..64).map(|i| json!({"i": i, "sleep": 0.001})).collect();
    let o = rt.block_on(m.run(Value::array(items.clone())));
    assert_eq!(output(&o), Value::array(items).to_json());
    assert!(probe.max_in_flight.load(SeqCst) <= 8);
}

#[test]
fn map3_item_selector_sees_index_value_and_the_effective_input() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"InputPath":"$.in",
        "ItemsPath":"$.xs","ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","k.$":"$.k"},
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#;
    let (o, _) = run_paused(
        &machine(def, &Handlers::new()),
        json!({"in": {"xs": ["a", "b"], "k": 1}}),
    );
    assert_eq!(
        output(&o),
        r#"[{"i":0,"v":"a","k":1},{"i":1,"v":"b","k":1}]"#
    );
}

#[test]
fn map5_empty_items_give_an_empty_result() {
    let def = map_def("", r#"{"T":{"Type":"Pass","End":true}}"#);
    let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!([]));
    assert_eq!(output(&o), "[]");
}

#[test]
fn map11_item_batcher_groups_items_with_batch_input() {
    let def = map_def(
        r#""ItemBatcher":{"MaxItemsPerBatch":3,"BatchInput":{"tag.$":"$[0]"}},"#,
        r#"{"T":{"Type":"Pass","End":true}}"#,
    );
    let (o, _) = run_paused(
        &machine(&def, &Handlers::new()),
        json!([1, 2, 3, 4, 5, 6, 7]),
    );
    assert_eq!(
        output(&o),
        r#"[{"BatchInput":{"tag":1},"Items":[1,2,3]},{"BatchInput":{"tag":1},"Items":[4,5,6]},{"BatchInput":{"tag":1},"Items":[7]}]"#
    );
}

#[test]
fn map11_item_batcher_by_bytes() {
    let def = map_def(
        r#""ItemBatcher":{"MaxInputBytesPerBatch":13},"#,
        r#"{"T":{"Type":"Pass","End":true}}"#,
    );
    let (o, _) = run_paused(
        &machine(&def, &Handlers::new()),
        json!(["aaa", "bbb", "ccc"]),
    );
    // ["aaa","bbb"] is 13 bytes; a third item would not fit.
    assert_eq!(output(&o), r#"[{"Items":["aaa","bbb"]},{"Items":["ccc"]}]"#);
}

fn failing_items_def(tolerance: &str) -> String {
    map_def(
        tolerance,
        r#"{"T":{"Type":"Choice","Choices":[{"Variable":"$","NumericLessThan":0,"Next":"F"}],"Default":"OK"},
            "F":{"Type":"Fail","Error":"Negative","Cause":"below zero"},
            "OK":{"Type":"Pass","End":true}}"#,
    )
}

#[test]
fn map9_failures_within_tolerance_keep_the_map_running() {
    let def = failing_items_def(r#""ToleratedFailureCount":2,"#);
    let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!([1, -1, 2, -2, 3]));
    assert_eq!(
        output(&o),
        r#"[1,{"Error":"Negative","Cause":"below zero"},2,{"Error":"Negative","Cause":"below zero"},3]"#
    );
    let def = failing_items_def(r#""ToleratedFailurePercentage":40,"#);
    let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!([1, -1, 2, -2, 3]));
    assert_eq!(o.status, Status::Succeeded);
}

#[test]
fn map9_failures_beyond_tolerance_are_exceed_tolerated_failure_threshold() {
    for tolerance in [
        r#""ToleratedFailureCount":1,"#,
        r#""ToleratedFailurePercentage":20,"#,
        r#""ToleratedFailureCount":5,"ToleratedFailurePercentage":20,"#,
    ] {
        let def = failing_items_def(tolerance);
        let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!([1, -1, 2, -2, 3]));
        assert_eq!(
            failed(&o).0,
            "States.ExceedToleratedFailureThreshold",
            "{tolerance}"
        );
    }
}

#[test]
fn map6_without_tolerance_the_first_failure_fails_the_map_with_its_own_error() {
    let def = failing_items_def("");
    let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!([1, -1, 2]));
    assert_eq!(failed(&o), ("Negative".into(), "below zero".into()));
}

#[test]
fn distributed_map_runs_in_process_like_an_inline_map() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"Label":"L1",
        "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"d.$":"$"},"End":true}}}}}}"#;
    let (o, _) = run_paused(&machine(def, &Handlers::new()), json!([1, 2]));
    assert_eq!(output(&o), r#"[{"d":1},{"d":2}]"#);
}

#[test]
fn map10_map12_s3_item_reader_and_result_writer_without_an_s3_backend_are_refused_at_creation() {
    let reader = r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
        "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},
            "Parameters":{"Bucket":"b","Key":"k"}},
        "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#;
    let err = Machine::new("m", reader, MachineType::Express, &Handlers::new()).unwrap_err();
    assert!(matches!(err, MachineError::NoS3Backend { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("\"M\"") && text.contains("--s3-dir") && text.contains("--endpoint s3="),
        "{text}"
    );

    let writer = r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
        "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},
        "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#;
    let err = Machine::new("m", writer, MachineType::Express, &Handlers::new()).unwrap_err();
    assert!(matches!(err, MachineError::NoS3Backend { .. }), "{err:?}");
}

// ---------------------------------------------------------------- bad input

#[test]
fn map2_items_that_are_not_an_array_fail_with_states_runtime() {
    let def = map_def(
        r#""ItemsPath":"$.xs","#,
        r#"{"T":{"Type":"Pass","End":true}}"#,
    );
    let m = machine(&def, &Handlers::new());
    for (input, shown) in [
        (json!({"xs": 1}), "1"),
        (json!({"xs": "abc"}), "\"abc\""),
        (json!({"xs": {"a": 1}}), "{\"a\":1}"),
        (json!({"xs": null}), "null"),
    ] {
        let (o, _) = run_paused(&m, input);
        let (error, cause) = failed(&o);
        assert_eq!(error, "States.Runtime");
        assert_eq!(
            cause,
            format!("An error occurred while executing the state 'M' (entered at the event id #2). Map state input must be an array but was: {shown}")
        );
    }
}

#[test]
fn map2_items_path_that_points_nowhere_fails_with_states_runtime() {
    let def = map_def(
        r#""ItemsPath":"$.missing","#,
        r#"{"T":{"Type":"Pass","End":true}}"#,
    );
    let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!({"xs": []}));
    let (error, cause) = failed(&o);
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("'$.missing'") && cause.contains("ItemsPath"),
        "{cause}"
    );
}

#[test]
fn map4_max_concurrency_path_negative_or_fractional_fails_with_states_runtime() {
    let def = map_def(
        r#""MaxConcurrencyPath":"$.mc","ItemsPath":"$.xs","#,
        r#"{"T":{"Type":"Pass","End":true}}"#,
    );
    let m = machine(&def, &Handlers::new());
    for (mc, shown) in [
        (json!(-1), "-1"),
        (json!(1.5), "1.5"),
        (json!(true), "true"),
    ] {
        let (o, _) = run_paused(&m, json!({"mc": mc, "xs": [1]}));
        let (error, cause) = failed(&o);
        assert_eq!(error, "States.Runtime");
        assert!(
            cause.ends_with(&format!(
                "The MaxConcurrencyPath field refers to value \"{shown}\" which is not a valid integer: $.mc"
            )),
            "{cause}"
        );
    }
}

#[test]
fn branch_output_over_256_kib_is_data_limit_exceeded() {
    let big = "x".repeat(200_000);
    let def = format!(
        r#"{{"StartAt":"P","States":{{"P":{{"Type":"Parallel","End":true,"Branches":[
        {{"StartAt":"A","States":{{"A":{{"Type":"Pass","Result":"{big}","End":true}}}}}},
        {{"StartAt":"B","States":{{"B":{{"Type":"Pass","Result":"{big}","End":true}}}}}}]}}}}}}"#
    );
    let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!({}));
    let (error, cause) = failed(&o);
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(cause.contains("'P'"), "{cause}");

    // One iteration alone over the limit fails in the iteration.
    let huge = "y".repeat(300_000);
    let def = map_def(
        "",
        &format!(r#"{{"T":{{"Type":"Pass","Result":"{huge}","End":true}}}}"#),
    );
    let (o, _) = run_paused(&machine(&def, &Handlers::new()), json!([1]));
    assert_eq!(failed(&o).0, "States.DataLimitExceeded");
}

#[test]
fn endless_loop_inside_an_iteration_times_out_instead_of_hanging() {
    // The loop never waits; the runtime's deadline still ends it (the VM yields every slice).
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
        "ItemProcessor":{"StartAt":"L","States":{
          "L":{"Type":"Choice","Choices":[{"Variable":"$","IsNull":true,"Next":"E"}],"Default":"L"},
          "E":{"Type":"Succeed"}}}}}}"#;
    let m = machine(def, &Handlers::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let opts = RunOptions {
        max_duration: Some(Duration::from_millis(200)),
        ..RunOptions::default()
    };
    let o = rt.block_on(m.run_with(json!([1, 2]), opts));
    assert_eq!(o.status, Status::TimedOut);
    assert_eq!(o.error.as_deref(), Some("States.Timeout"));
}

#[test]
fn timeout_cancels_every_running_iteration() {
    let probe = Probe::default();
    let def = format!(
        r#"{{"TimeoutSeconds":5,"StartAt":"M","States":{{"M":{{"Type":"Map","End":true,
        "ItemProcessor":{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{PROBE}","End":true}}}}}}}}}}}}"#
    );
    let m = machine(&def, &probe.handlers());
    let items: Vec<Value> = (0..20).map(|i| json!({"i": i, "sleep": 60})).collect();
    let (o, took) = run_paused(&m, Value::array(items));
    assert_eq!(o.status, Status::TimedOut);
    assert!(took < Duration::from_secs(6), "{took:?}");
    assert_eq!(probe.calls.load(SeqCst), 20);
    // Every handler future was dropped with its iteration task.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(tokio::task::yield_now());
    assert_eq!(probe.in_flight.load(SeqCst), 0);
}

#[test]
fn nested_fork_under_a_sequential_map_still_runs_its_branches_concurrently() {
    // Map with MaxConcurrency 1 runs its iterations inline; each iteration's Parallel hands
    // its fork to the driver, whose branches overlap.
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"MaxConcurrency":1,
        "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
          {"StartAt":"W1","States":{"W1":{"Type":"Wait","Seconds":10,"End":true}}},
          {"StartAt":"W2","States":{"W2":{"Type":"Wait","Seconds":10,"End":true}}}]}}}}}}"#;
    let (o, took) = run_paused(&machine(def, &Handlers::new()), json!([1, 2]));
    assert_eq!(output(&o), "[[1,1],[2,2]]");
    assert!(
        took >= Duration::from_secs(20) && took < Duration::from_secs(25),
        "{took:?}"
    );
}

// ---------------------------------------------------------------- variables

#[test]
fn var8_branches_read_outer_variables_and_their_own_vanish_with_them() {
    let def = |after: &str| {
        format!(
            r#"{{"StartAt":"Set","States":{{
        "Set":{{"Type":"Pass","Assign":{{"x":1}},"Next":"P"}},
        "P":{{"Type":"Parallel","Next":"After","Branches":[
          {{"StartAt":"B","States":{{"B":{{"Type":"Pass","Assign":{{"inner.$":"$x"}},"Next":"B2"}},
             "B2":{{"Type":"Pass","Parameters":{{"x.$":"$x","inner.$":"$inner"}},"End":true}}}}}}]}},
        "After":{{"Type":"Pass","Parameters":{after},"End":true}}}}}}"#
        )
    };
    let ok = def(r#"{"r.$":"$","x.$":"$x"}"#);
    let (o, _) = run_paused(&machine(&ok, &Handlers::new()), json!({}));
    assert_eq!(output(&o), r#"{"r":[{"x":1,"inner":1}],"x":1}"#);
    // The branch's own variable is gone once the Parallel ends.
    let leak = def(r#"{"inner.$":"$inner"}"#);
    let (o, _) = run_paused(&machine(&leak, &Handlers::new()), json!({}));
    let (error, cause) = failed(&o);
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("'After'") && cause.contains("inner"),
        "{cause}"
    );
}

#[test]
fn var8_assigning_an_outer_variable_inside_a_branch_is_a_definition_error() {
    let def = r#"{"StartAt":"Set","States":{
        "Set":{"Type":"Pass","Assign":{"x":1},"Next":"P"},
        "P":{"Type":"Parallel","End":true,"Branches":[
          {"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"x":2},"End":true}}}]}}}"#;
    let err = Machine::new("m", def, MachineType::Express, &Handlers::new()).unwrap_err();
    let MachineError::Definition(d) = err else {
        panic!("{err:?}")
    };
    let diag = &d.diagnostics()[0];
    assert_eq!(diag.code().as_str(), "SCHEMA_VALIDATION_FAILED");
    assert!(diag.message().contains("'x'"), "{}", diag.message());
    assert_eq!(
        diag.location(),
        Some("/States/P/Branches[0]/States/B/Assign")
    );
}

#[test]
fn var8_distributed_map_iterations_see_no_outer_variables() {
    let def = r#"{"StartAt":"Set","States":{
        "Set":{"Type":"Pass","Assign":{"x":1},"Next":"M"},
        "M":{"Type":"Map","End":true,
          "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
          "StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"$x"},"End":true}}}}}}"#;
    let (o, _) = run_paused(&machine(def, &Handlers::new()), json!([1]));
    assert_eq!(failed(&o).0, "States.Runtime");
    let inline = def.replace(
        r#""ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"#,
        "",
    );
    let (o, _) = run_paused(&machine(&inline, &Handlers::new()), json!([1]));
    assert_eq!(output(&o), r#"[{"x":1}]"#);
}

#[test]
fn var5_choice_assigns_from_the_matched_rule_or_else_the_state() {
    let def = r#"{"StartAt":"C","States":{
        "C":{"Type":"Choice","Assign":{"who":"default"},
          "Choices":[{"Variable":"$.n","NumericEquals":1,"Assign":{"who":"rule","n.$":"$.n"},"Next":"Out"}],
          "Default":"Out"},
        "Out":{"Type":"Pass","Parameters":{"who.$":"$who"},"End":true}}}"#;
    let m = machine(def, &Handlers::new());
    assert_eq!(
        output(&run_paused(&m, json!({"n": 1})).0),
        r#"{"who":"rule"}"#
    );
    assert_eq!(
        output(&run_paused(&m, json!({"n": 2})).0),
        r#"{"who":"default"}"#
    );
}

#[test]
fn var5_a_caught_error_runs_only_the_catchers_assign() {
    let def = r#"{"StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:boom",
          "Assign":{"where":"state"},
          "Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"where":"catcher","err.$":"$.Error"},"Next":"Out"}],
          "End":true},
        "Out":{"Type":"Pass","Parameters":{"where.$":"$where","err.$":"$err"},"End":true}}}"#;
    let mut h = Handlers::new();
    h.function("boom", |_| Err(aslx::TaskError::new("Boom", "x")));
    let (o, _) = run_paused(&machine(def, &h), json!({}));
    assert_eq!(output(&o), r#"{"where":"catcher","err":"Boom"}"#);
}

#[test]
fn var6_map_and_parallel_assign_sees_the_result_array() {
    let def = r#"{"StartAt":"M","States":{
        "M":{"Type":"Map","Assign":{"first.$":"$[0]"},"ResultPath":null,"Next":"Out",
          "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"d.$":"$"},"End":true}}}},
        "Out":{"Type":"Pass","Parameters":{"first.$":"$first"},"End":true}}}"#;
    let (o, _) = run_paused(&machine(def, &Handlers::new()), json!([7, 8]));
    assert_eq!(output(&o), r#"{"first":{"d":7}}"#);
}

#[test]
fn var10_an_assign_over_256_kib_is_data_limit_exceeded() {
    let def =
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"big.$":"$.s"},"End":true}}}"#;
    let m = machine(def, &Handlers::new());
    let (o, _) = run_paused(&m, json!({"s": "z".repeat(200_000)}));
    assert_eq!(o.status, Status::Succeeded);
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"a.$":"$.s","b.$":"$.s"},"End":true}}}"#;
    let (o, _) = run_paused(
        &machine(def, &Handlers::new()),
        json!({"s": "z".repeat(200_000)}),
    );
    let (error, cause) = failed(&o);
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(cause.contains("'A'"), "{cause}");
}

#[test]
fn var4_fields_of_the_assigning_state_see_the_old_values() {
    let def = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","Assign":{"n":1},"Next":"B"},
        "B":{"Type":"Pass","Assign":{"n":2,"old.$":"$n"},"Parameters":{"seen.$":"$n"},"Next":"C"},
        "C":{"Type":"Pass","Parameters":{"n.$":"$n","old.$":"$old","prev.$":"$"},"End":true}}}"#;
    let (o, _) = run_paused(&machine(def, &Handlers::new()), json!({}));
    assert_eq!(output(&o), r#"{"n":2,"old":1,"prev":{"seen":1}}"#);
}

#[test]
fn variables_are_usable_in_task_timeouts_and_map_concurrency_paths() {
    let probe = Probe::default();
    let def = format!(
        r#"{{"StartAt":"Set","States":{{
        "Set":{{"Type":"Pass","Assign":{{"mc":2,"t":1}},"Next":"M"}},
        "M":{{"Type":"Map","End":true,"MaxConcurrencyPath":"$mc",
          "ItemProcessor":{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{PROBE}","TimeoutSecondsPath":"$t","End":true}}}}}}}}}}}}"#
    );
    let m = machine(&def, &probe.handlers());
    let (o, _) = run_paused(&m, json!([{"sleep": 0.5}, {"sleep": 0.5}, {"sleep": 5}]));
    assert_eq!(failed(&o).0, "States.Timeout");
    assert_eq!(probe.max_in_flight.load(SeqCst), 2);
}

#[test]
fn inside_an_engine_waiting_iterations_run_as_tasks_of_their_own() {
    // Each iteration's handler call records the tokio task it runs on: one task per
    // iteration, none of them the execution's own.
    use aslx::engine::{Engine, StartRequest};
    let ids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&ids);
    let mut h = Handlers::new();
    h.function_async("where", move |v: Value| {
        let seen = Arc::clone(&seen);
        async move {
            seen.lock().unwrap().push(tokio::task::try_id());
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(v)
        }
    });
    let engine = Engine::builder()
        .handlers(h)
        .worker_threads(2)
        .build()
        .unwrap();
    let def = map_def(
        r#""MaxConcurrency":4,"#,
        r#"{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:where","End":true}}"#,
    );
    engine
        .create_machine("m", &def, MachineType::Express)
        .unwrap();
    let done = engine
        .start_sync_blocking(StartRequest::new("m").input(json!([1, 2, 3, 4, 5, 6, 7, 8])))
        .unwrap();
    assert_eq!(output(&done.outcome), "[1,2,3,4,5,6,7,8]");
    let ids = ids.lock().unwrap();
    assert_eq!(ids.len(), 8);
    assert!(ids.iter().all(Option::is_some), "{ids:?}");
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 8, "one task per iteration: {ids:?}");
}
