//! TestState: runs one state without creating a machine.
//!
//! The state is placed in a small machine whose transitions lead to stub Pass states that
//! record where the state went, so the real VM evaluates it (paths, templates, Choice rules,
//! catchers). Retriers are not run (a retry would wait): an error a retrier matches with
//! attempts left (after `stateConfiguration.retrierRetryCount`) answers `RETRIABLE`; otherwise
//! the state is run again with its catchers wired to stubs, which gives `CAUGHT_ERROR` with the
//! catcher's output and next state. Wait states do not wait.
//!
//! `variables` (a JSON object) are set before the state runs, and with `inspectionLevel` DEBUG
//! or TRACE `inspectionData` shows each data-flow step the VM reported for the state through
//! the engine's [`StateProbe`]: `input`, then for JSONPath `afterInputPath`,
//! `afterParameters`, `result`, `afterResultSelector`, `afterResultPath` as the state type has
//! them, for JSONata `afterArguments` and `result`, and `variables` (every variable the state
//! sees once its `Assign` is stored), each as JSON text (P-6).
//!
//! A Map or Parallel state runs only with a `mock` (as on AWS): its result is the mock's, which
//! must be an array (for Parallel, one element per branch). The state is checked as written,
//! then run as a Task with its own `InputPath`, `Parameters` / `Arguments` (Parallel),
//! `ResultSelector`, `ResultPath`, `OutputPath`, `Output`, `Assign`, retriers and catchers,
//! whose call the mock answers; `ItemsPath`, `ItemSelector` and the branches do not run.

use super::{OpResult, Service};
use crate::asl::parse_definition;
use crate::asl::{MachineType, MAX_DEFINITION_CHARS};
use crate::engine::{Inspection, MachineSpec, StartRequest, StateProbe};
use crate::serve::mock::{MockAnswer, MockRun, MockedResponse, TestCase};
use crate::serve::protocol::{ApiError, Req};
use crate::value::{parse_json, Str, Value};
use crate::vm::{Outcome, Status};
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;

const SUPPORTED: &str = "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]";
const NEXT_STUB: &str = "__aslx_next_";
/// The Resource of a mocked Map or Parallel state run as a Task: the mock answers its call.
const MOCKED_FORK: &str = "arn:aws:states:::aws-sdk:aslx:mockedResult";
/// What a mocked Map or Parallel state keeps when it runs as a Task.
const FORK_AS_TASK_FIELDS: &[&str] = &[
    "Comment",
    "QueryLanguage",
    "InputPath",
    "ResultSelector",
    "ResultPath",
    "OutputPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
];
const CATCH_STUB: &str = "__aslx_catch_";

/// Where a run of the wrapped state ended.
enum Ended {
    /// At the stub for transition target `n` (or at the end of the machine when `None`).
    Next(Option<String>, Value),
    /// At catcher `i`'s stub.
    Caught(usize, Value),
    /// With an error.
    Failed(Outcome),
}

fn invalid(msg: &str) -> ApiError {
    ApiError::new(
        "InvalidDefinition",
        format!("Invalid State Machine Definition: '{msg}'"),
    )
}

fn stub(params: Json) -> Json {
    json!({"Type": "Pass", "Parameters": params, "End": true})
}

/// The state in a machine: transitions go to stubs; catchers to catch stubs when `catchers`,
/// else they are removed; retriers are removed; Wait states wait 0 s.
fn wrap(name: &str, state: &Map<String, Json>, catchers: bool) -> (Json, Vec<String>) {
    let mut s = state.clone();
    let mut targets: Vec<String> = Vec::new();
    let mut states = Map::new();
    let mut target = |t: &Json, states: &mut Map<String, Json>| -> Json {
        let Some(t) = t.as_str() else {
            return t.clone();
        };
        let i = targets.iter().position(|x| x == t).unwrap_or_else(|| {
            targets.push(t.to_string());
            targets.len() - 1
        });
        let stub_name = format!("{NEXT_STUB}{i}");
        states.insert(stub_name.clone(), stub(json!({"output.$": "$", "next": i})));
        Json::from(stub_name)
    };
    if let Some(n) = s.get("Next").cloned() {
        s.insert("Next".into(), target(&n, &mut states));
    }
    if let Some(d) = s.get("Default").cloned() {
        s.insert("Default".into(), target(&d, &mut states));
    }
    if let Some(Json::Array(choices)) = s.get("Choices").cloned() {
        let rewired: Vec<Json> = choices
            .into_iter()
            .map(|mut c| {
                if let Some(n) = c.get("Next").cloned() {
                    c["Next"] = target(&n, &mut states);
                }
                c
            })
            .collect();
        s.insert("Choices".into(), Json::Array(rewired));
    }
    s.remove("Retry");
    match s.remove("Catch") {
        Some(Json::Array(cs)) if catchers => {
            let rewired: Vec<Json> = cs
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    let stub_name = format!("{CATCH_STUB}{i}");
                    states.insert(
                        stub_name.clone(),
                        stub(json!({"output.$": "$", "catch": i})),
                    );
                    c["Next"] = Json::from(stub_name);
                    c
                })
                .collect();
            s.insert("Catch".into(), Json::Array(rewired));
        }
        _ => {}
    }
    if s.get("Type").and_then(Json::as_str) == Some("Wait") {
        for k in ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"] {
            s.remove(k);
        }
        s.insert("Seconds".into(), Json::from(0));
    }
    states.insert(name.to_string(), Json::Object(s));
    (json!({"StartAt": name, "States": states}), targets)
}

/// Does retrier `r` apply to error `e`? (`States.ALL`; `States.TaskFailed` for errors that are
/// not the engine's own `States.*` errors other than itself.)
fn retrier_matches(r: &Json, e: &str) -> bool {
    let names = r.get("ErrorEquals").and_then(Json::as_array);
    names.is_some_and(|ns| {
        ns.iter().filter_map(Json::as_str).any(|n| {
            n == e
                || (n == "States.ALL" && e != "States.Runtime")
                || (n == "States.TaskFailed"
                    && (e == "States.TaskFailed" || !e.starts_with("States.")))
        })
    })
}

/// A mocked Map or Parallel state as the Task that runs in its place: its own input and output
/// processing, retriers and catchers; its branch input (`Parameters` / `Arguments`) for a
/// Parallel state (a Map's `Parameters` are its item selector, which does not run).
fn fork_as_task(state: &Map<String, Json>, ty: &str) -> Map<String, Json> {
    let mut task = Map::new();
    task.insert("Type".into(), Json::from("Task"));
    task.insert("Resource".into(), Json::from(MOCKED_FORK));
    let branch_input: &[&str] = match ty {
        "Parallel" => &["Parameters", "Arguments"],
        _ => &[],
    };
    for k in FORK_AS_TASK_FIELDS.iter().chain(branch_input) {
        if let Some(v) = state.get(*k) {
            task.insert((*k).to_string(), v.clone());
        }
    }
    task
}

/// The mocked result of a Map or Parallel state must be an array; a Parallel state's must have
/// one element per branch (AWS's messages).
fn check_fork_mock(
    state: &Map<String, Json>,
    ty: &str,
    answer: &MockAnswer,
) -> Result<(), ApiError> {
    let MockAnswer::Return(v) = answer else {
        return Ok(());
    };
    let Some(items) = v.as_array() else {
        return Err(ApiError::validation("Mocked result must be an array."));
    };
    let branches = state
        .get("Branches")
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    if ty == "Parallel" && items.len() != branches {
        return Err(ApiError::validation(
            "Mocked result must contain the same number of items as number of Parallel branches.",
        ));
    }
    Ok(())
}

/// The inspection data: the raw input as given, then each step the state reported, as JSON
/// text.
fn inspection_data(input_text: &str, seen: &Inspection) -> Map<String, Json> {
    let mut data = Map::new();
    data.insert("input".into(), Json::from(input_text));
    for (key, v) in [
        ("afterInputPath", &seen.after_input_path),
        ("afterParameters", &seen.after_parameters),
        ("afterArguments", &seen.after_arguments),
        ("result", &seen.result),
        ("afterResultSelector", &seen.after_result_selector),
        ("afterResultPath", &seen.after_result_path),
        ("variables", &seen.variables),
    ] {
        if let Some(v) = v {
            data.insert(key.into(), Json::from(v.to_json()));
        }
    }
    data
}

/// What one TestState request asks to run.
struct Run<'a> {
    name: &'a str,
    state: &'a Map<String, Json>,
    input: &'a Value,
    variables: Option<&'a Value>,
    case: Option<Arc<TestCase>>,
}

impl Service {
    /// Runs the wrapped state once; `catchers` wires its catchers to stubs.
    async fn run_wrapped(
        &self,
        run: &Run<'_>,
        catchers: bool,
    ) -> Result<(Ended, Inspection), ApiError> {
        let name = run.name;
        let (def, targets) = wrap(name, run.state, catchers);
        let def = def.to_string();
        let spec = MachineSpec::new(name, &def, MachineType::Standard);
        let mut probe = StateProbe::new(name);
        if let Some(v) = run.variables {
            probe = probe.variables(v.clone())?;
        }
        let mut req = StartRequest::new(name)
            .input(run.input.clone())
            .probe(probe.clone());
        if let Some(c) = &run.case {
            req = req.task_hook(Arc::new(MockRun::new(Arc::clone(c))));
        }
        let o = self.backend.engine().run_once(spec, req).await?;
        let ended = match (o.status, o.output) {
            (Status::Succeeded, Some(out)) => {
                let inner = out.get("output").cloned();
                match (
                    out.get("next").and_then(Value::as_i64),
                    out.get("catch").and_then(Value::as_i64),
                    inner,
                ) {
                    (Some(i), _, Some(v)) => Ended::Next(targets.get(i as usize).cloned(), v),
                    (_, Some(i), Some(v)) => Ended::Caught(i as usize, v),
                    (_, _, _) => Ended::Next(None, out),
                }
            }
            (status, output) => Ended::Failed(Outcome {
                status,
                output,
                error: o.error,
                cause: o.cause,
            }),
        };
        Ok((ended, probe.inspection()))
    }

    pub(super) async fn test_state(&self, mut r: Req<'_>) -> OpResult {
        let definition = r.str_req("definition", 1, MAX_DEFINITION_CHARS)?;
        r.str_opt("roleArn", 1, 256)?;
        let input_text = r.bytes_opt("input", 262_144)?;
        let level = r.enum_opt("inspectionLevel", &["INFO", "DEBUG", "TRACE"])?;
        let reveal = r.bool_opt("revealSecrets")?.unwrap_or(false);
        let variables_text = r.bytes_opt("variables", 262_144)?;
        let state_name = r.str_opt("stateName", 1, 80)?;
        let mock = r.obj_opt("mock")?;
        r.bytes_opt("context", 262_144)?;
        let config = r.obj_opt("stateConfiguration")?;
        r.finish()?;
        let doc: Json = serde_json::from_str(definition)
            .map_err(|e| invalid(&format!("INVALID_JSON_DESCRIPTION: {e}")))?;
        let Json::Object(doc) = doc else {
            return Err(invalid(
                "SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object",
            ));
        };
        let (name, mut state) = if doc.contains_key("Type") {
            (state_name.unwrap_or("TestState").to_string(), doc)
        } else {
            let Some(n) = state_name else {
                return Err(ApiError::validation(
                    "stateName is required when the definition is a state machine",
                ));
            };
            match doc.get("States").and_then(|s| s.get(n)) {
                Some(Json::Object(s)) => (n.to_string(), s.clone()),
                _ => {
                    return Err(invalid(&format!(
                        "MISSING_TRANSITION_TARGET: State '{n}' does not exist in the definition"
                    )))
                }
            }
        };
        let ty = state
            .get("Type")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        let fork = matches!(ty.as_str(), "Map" | "Parallel");
        let case = match mock {
            None => {
                if fork {
                    return Err(invalid(SUPPORTED));
                }
                None
            }
            Some(m) => {
                if reveal {
                    return Err(ApiError::validation(
                        "TestState does not support RevealSecrets when a mock is specified.",
                    ));
                }
                if !matches!(ty.as_str(), "Task" | "Map" | "Parallel") {
                    return Err(ApiError::validation(format!(
                        "State type '{ty}' is not supported when a mock is specified"
                    )));
                }
                let answer = match (m.get("result"), m.get("errorOutput")) {
                    (Some(Json::String(res)), None) => MockAnswer::Return(
                        parse_json(res).map_err(|e| {
                            ApiError::validation(format!("Mocked result must be valid JSON: {e}"))
                        })?,
                    ),
                    (None, Some(Json::Object(e))) => MockAnswer::Throw {
                        error: e.get("error").and_then(Json::as_str).unwrap_or("").to_string(),
                        cause: e.get("cause").and_then(Json::as_str).map(str::to_string),
                    },
                    _ => {
                        return Err(ApiError::validation(
                            "A test mock should have only one of the following fields: [result, errorOutput].",
                        ))
                    }
                };
                if fork {
                    // The state as written must be valid before it runs as a Task.
                    let (def, _) = wrap(&name, &state, true);
                    parse_definition(&def.to_string(), MachineType::Standard)
                        .map_err(|e| ApiError::new("InvalidDefinition", e.to_string()))?;
                    check_fork_mock(&state, &ty, &answer)?;
                    state = fork_as_task(&state, &ty);
                }
                let mut tc = TestCase::new();
                tc.insert(
                    Str::from(name.as_str()),
                    Arc::new(MockedResponse::always(answer)),
                );
                Some(Arc::new(tc))
            }
        };
        let input_text = input_text.unwrap_or("{}");
        let input = parse_json(input_text).map_err(|e| ApiError::invalid_input(&e.to_string()))?;
        let variables = match variables_text {
            None => None,
            Some(t) => match parse_json(t) {
                Ok(v @ Value::Object(_)) => Some(v),
                Ok(v) => {
                    return Err(ApiError::validation(format!(
                        "variables must be a JSON object, but was: {}",
                        v.type_name()
                    )))
                }
                Err(e) => {
                    return Err(ApiError::validation(format!(
                        "variables must be a JSON object: {e}"
                    )))
                }
            },
        };
        let retries_done = config
            .and_then(|c| c.get("retrierRetryCount"))
            .and_then(Json::as_u64)
            .unwrap_or(0);
        let run = Run {
            name: &name,
            state: &state,
            input: &input,
            variables: variables.as_ref(),
            case,
        };

        let (ended, mut seen) = self.run_wrapped(&run, false).await?;
        let mut out = Map::new();
        let mut details = Map::new();
        let mut caught: Option<(Option<Str>, Option<String>)> = None;
        let ended = match ended {
            Ended::Failed(o) if o.status == Status::Failed => {
                let e = o.error.as_deref().unwrap_or("");
                let retriers = state.get("Retry").and_then(Json::as_array);
                let hit = retriers
                    .and_then(|rs| rs.iter().enumerate().find(|(_, r)| retrier_matches(r, e)));
                let retriable = hit.filter(|(_, r)| {
                    let max = r.get("MaxAttempts").and_then(Json::as_u64).unwrap_or(3);
                    retries_done < max
                });
                if let Some((i, r)) = retriable {
                    let interval = r
                        .get("IntervalSeconds")
                        .and_then(Json::as_f64)
                        .unwrap_or(1.0);
                    let rate = r.get("BackoffRate").and_then(Json::as_f64).unwrap_or(2.0);
                    let mut delay = interval * rate.powi(retries_done as i32);
                    if let Some(m) = r.get("MaxDelaySeconds").and_then(Json::as_f64) {
                        delay = delay.min(m);
                    }
                    details.insert("retryIndex".into(), Json::from(i));
                    details.insert(
                        "retryBackoffIntervalSeconds".into(),
                        Json::from(delay as u64),
                    );
                    out.insert("status".into(), Json::from("RETRIABLE"));
                    Ended::Failed(o)
                } else if state.get("Catch").is_some() {
                    caught = Some((o.error.clone(), o.cause.clone()));
                    let (ended, with_catch) = self.run_wrapped(&run, true).await?;
                    seen = with_catch;
                    ended
                } else {
                    Ended::Failed(o)
                }
            }
            other => other,
        };
        match ended {
            Ended::Next(next, v) => {
                out.insert("status".into(), Json::from("SUCCEEDED"));
                if let Some(n) = next {
                    out.insert("nextState".into(), Json::from(n));
                }
                out.insert("output".into(), Json::from(v.to_json()));
            }
            Ended::Caught(i, v) => {
                out.insert("status".into(), Json::from("CAUGHT_ERROR"));
                let c = &state["Catch"][i];
                if let Some(n) = c.get("Next").and_then(Json::as_str) {
                    out.insert("nextState".into(), Json::from(n));
                }
                if let Some((e, c)) = caught.take() {
                    if let Some(e) = e {
                        out.insert("error".into(), Json::from(&*e));
                    }
                    if let Some(c) = c {
                        out.insert("cause".into(), Json::from(c));
                    }
                }
                details.insert("catchIndex".into(), Json::from(i));
                out.insert("output".into(), Json::from(v.to_json()));
            }
            Ended::Failed(o) => {
                out.entry("status").or_insert_with(|| Json::from("FAILED"));
                if let Some(e) = &o.error {
                    out.insert("error".into(), Json::from(&**e));
                }
                if let Some(c) = &o.cause {
                    out.insert("cause".into(), Json::from(c.as_str()));
                }
            }
        }
        if matches!(level, Some("DEBUG") | Some("TRACE")) {
            let mut data = inspection_data(input_text, &seen);
            if !details.is_empty() {
                data.insert("errorDetails".into(), Json::Object(details));
            }
            out.insert("inspectionData".into(), Json::Object(data));
        }
        super::json_body(Json::Object(out))
    }
}
