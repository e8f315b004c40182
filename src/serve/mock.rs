//! Step Functions Local's mock configuration file (`SFN_MOCK_CONFIG`, `--mock-config`).
//!
//! ```json
//! {"StateMachines": {"<machine name>": {"TestCases": {"<case>": {"<Task state>": "<mocked response>"}}}},
//!  "MockedResponses": {"<mocked response>": {"0": {"Return": <result>}, "1-2": {"Throw": {"Error": "E", "Cause": "c"}}}}}
//! ```
//!
//! An execution uses a test case when it is started with `stateMachineArn` set to
//! `<stateMachineArn>#<TestCaseName>`. Invocation keys count the calls of one state within
//! one execution from 0 (retries included), singly (`"3"`) or as inclusive ranges (`"1-2"`).
//! A mocked state called more often than its response defines fails the execution with
//! `States.Runtime`, as in Step Functions Local; states a test case does not name run their
//! configured handler. A test case that names a state the machine does not have (at any depth:
//! Parallel branches and Map processors included) is refused when an execution is started
//! with it ([`check_case`]): a misspelt state name would otherwise silently call the real
//! handler.

use crate::engine::TaskHook;
use crate::runtime::sync::{lock, Mutex};
use crate::value::{parse_json, Str, Value};
use crate::vm::{TaskCall, TaskError, TaskOutcome};
use std::collections::HashMap;
use std::sync::Arc;

/// One invocation's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum MockAnswer {
    /// `Return`: the task's result.
    Return(Value),
    /// `Throw`: the task's error.
    Throw {
        /// `Error`.
        error: String,
        /// `Cause`.
        cause: Option<String>,
    },
}

/// A named mocked response: answers by invocation number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MockedResponse {
    ranges: Vec<(u32, u32, MockAnswer)>,
}

impl MockedResponse {
    /// The same answer for every invocation.
    pub fn always(answer: MockAnswer) -> MockedResponse {
        MockedResponse {
            ranges: vec![(0, u32::MAX, answer)],
        }
    }

    /// The answer for the `n`-th call (from 0).
    pub fn answer(&self, n: u32) -> Option<&MockAnswer> {
        self.ranges
            .iter()
            .find(|(a, b, _)| (*a..=*b).contains(&n))
            .map(|(_, _, r)| r)
    }
}

/// A test case: Task state name → mocked response.
pub type TestCase = HashMap<Str, Arc<MockedResponse>>;

/// The whole file.
#[derive(Clone, Debug, Default)]
pub struct MockConfig {
    /// machine name → case name → test case.
    machines: HashMap<String, HashMap<String, Arc<TestCase>>>,
}

impl MockConfig {
    /// Parses and checks the file: every test case must name defined mocked responses, every
    /// response must have well-formed invocation keys and exactly one of `Return` / `Throw`.
    ///
    /// # Errors
    ///
    /// What is wrong and where, e.g. `MockedResponses.R."1-x": invalid invocation key`.
    pub fn parse(text: &str) -> Result<MockConfig, String> {
        let doc = parse_json(text).map_err(|e| format!("not JSON: {e}"))?;
        let top = doc.as_object().ok_or("the file must hold a JSON object")?;
        let mut responses: HashMap<&str, Arc<MockedResponse>> = HashMap::new();
        if let Some(rs) = top.get("MockedResponses") {
            let rs = rs.as_object().ok_or("MockedResponses must be an object")?;
            for (name, r) in rs.iter() {
                responses.insert(name, Arc::new(parse_response(name, r)?));
            }
        }
        let mut machines = HashMap::new();
        if let Some(sms) = top.get("StateMachines") {
            let sms = sms.as_object().ok_or("StateMachines must be an object")?;
            for (machine, cfg) in sms.iter() {
                let cases = cfg
                    .get("TestCases")
                    .and_then(Value::as_object)
                    .ok_or_else(|| {
                        format!("StateMachines.{machine}: TestCases must be an object")
                    })?;
                let mut out = HashMap::new();
                for (case, states) in cases.iter() {
                    let states = states.as_object().ok_or_else(|| {
                        format!("StateMachines.{machine}.TestCases.{case} must be an object")
                    })?;
                    let mut tc = TestCase::new();
                    for (state, resp) in states.iter() {
                        let resp = resp.as_str().ok_or_else(|| {
                            format!("StateMachines.{machine}.TestCases.{case}.{state} must name a mocked response")
                        })?;
                        let r = responses.get(resp).ok_or_else(|| {
                            format!("StateMachines.{machine}.TestCases.{case}.{state}: no mocked response named {resp:?} in MockedResponses")
                        })?;
                        tc.insert(Str::from(&**state), Arc::clone(r));
                    }
                    out.insert(case.to_string(), Arc::new(tc));
                }
                machines.insert(machine.to_string(), out);
            }
        }
        Ok(MockConfig { machines })
    }

    /// The test case `case` of machine `machine`.
    pub fn test_case(&self, machine: &str, case: &str) -> Option<&Arc<TestCase>> {
        self.machines.get(machine)?.get(case)
    }
}

/// Refuses test case `case_name` of machine `machine` when it names states that `definition`
/// does not have: the message names them and lists the machine's Task states.
///
/// # Errors
///
/// The explanation, for a `ValidationException`.
pub fn check_case(
    case: &TestCase,
    case_name: &str,
    machine: &str,
    definition: &str,
) -> Result<(), String> {
    let Ok(doc) = parse_json(definition) else {
        return Ok(());
    };
    let mut all = Vec::new();
    let mut tasks = Vec::new();
    collect_states(&doc, &mut all, &mut tasks);
    let mut unknown: Vec<&str> = case
        .keys()
        .map(|k| &**k)
        .filter(|k| !all.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    let quoted = |names: &[&str]| {
        let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        format!("[{}]", q.join(", "))
    };
    Err(format!(
        "Test case '{case_name}' of state machine '{machine}' mocks states that the state machine does not have: {}. Its Task states are: {}",
        quoted(&unknown),
        quoted(&tasks)
    ))
}

/// The names of the states of a `States` scope and of the scopes inside it, and of the Task
/// states among them, in definition order.
fn collect_states<'a>(scope: &'a Value, all: &mut Vec<&'a str>, tasks: &mut Vec<&'a str>) {
    let Some(states) = scope.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states.iter() {
        all.push(name);
        match state.get("Type").and_then(Value::as_str) {
            Some("Task") => tasks.push(name),
            Some("Parallel") => {
                for b in state
                    .get("Branches")
                    .and_then(Value::as_array)
                    .unwrap_or(&[])
                {
                    collect_states(b, all, tasks);
                }
            }
            Some("Map") => {
                if let Some(p) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
                    collect_states(p, all, tasks);
                }
            }
            _ => {}
        }
    }
}

fn parse_response(name: &str, r: &Value) -> Result<MockedResponse, String> {
    let r = r
        .as_object()
        .ok_or_else(|| format!("MockedResponses.{name} must be an object"))?;
    let mut ranges = Vec::new();
    for (key, answer) in r.iter() {
        let where_ = || format!("MockedResponses.{name}.{key:?}");
        let (a, b) = match key.split_once('-') {
            None => {
                let n = key.parse::<u32>().ok();
                (n, n)
            }
            Some((a, b)) => (a.parse::<u32>().ok(), b.parse::<u32>().ok()),
        };
        let (Some(a), Some(b)) = (a, b) else {
            return Err(format!(
                "{}: invalid invocation key; expected a number such as \"0\" or a range such as \"1-2\"",
                where_()
            ));
        };
        if b < a {
            return Err(format!("{}: the range ends before it starts", where_()));
        }
        let obj = answer
            .as_object()
            .ok_or_else(|| format!("{} must be an object", where_()))?;
        let answer = match (obj.get("Return"), obj.get("Throw")) {
            (Some(v), None) => MockAnswer::Return(v.clone()),
            (None, Some(t)) => {
                let error = t
                    .get("Error")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{}.Throw.Error must be a string", where_()))?;
                let cause = match t.get("Cause") {
                    None => None,
                    Some(c) => Some(
                        c.as_str()
                            .ok_or_else(|| format!("{}.Throw.Cause must be a string", where_()))?
                            .to_string(),
                    ),
                };
                MockAnswer::Throw {
                    error: error.to_string(),
                    cause,
                }
            }
            _ => {
                return Err(format!(
                    "{} must have exactly one of Return and Throw",
                    where_()
                ))
            }
        };
        if ranges.iter().any(|(x, y, _)| a <= *y && *x <= b) {
            return Err(format!("{}: overlaps another invocation key", where_()));
        }
        ranges.push((a, b, answer));
    }
    Ok(MockedResponse { ranges })
}

impl MockAnswer {
    /// The Task's outcome this answer stands for: `Return` is the Task's whole result (for
    /// `lambda:invoke`, the invoke response with its `StatusCode` and `Payload`, as Step
    /// Functions Local returns it), `Throw` its error.
    pub fn to_outcome(&self) -> TaskOutcome {
        match self {
            MockAnswer::Return(v) => TaskOutcome::Whole(v.clone()),
            MockAnswer::Throw { error, cause } => TaskOutcome::Err(match cause {
                Some(c) => TaskError::new(error.as_str(), c.as_str()),
                None => TaskError::without_cause(error.as_str()),
            }),
        }
    }
}

/// One execution of a test case: the engine's [`TaskHook`] for it. Invocations count per
/// state within the execution (retries, Map iterations and Parallel branches included).
#[derive(Debug)]
pub struct MockRun {
    case: Arc<TestCase>,
    calls: Mutex<HashMap<Str, u32>>,
}

impl MockRun {
    /// A run of `case` with no invocations yet.
    pub fn new(case: Arc<TestCase>) -> MockRun {
        MockRun {
            case,
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl TaskHook for MockRun {
    fn answer(&self, state: &str, _call: &TaskCall) -> Option<TaskOutcome> {
        let (name, mock) = self.case.get_key_value(state)?;
        let n = {
            let mut calls = lock(&self.calls);
            let n = calls.entry(Arc::clone(name)).or_insert(0);
            *n += 1;
            *n - 1
        };
        Some(match mock.answer(n) {
            Some(a) => a.to_outcome(),
            // Step Functions Local fails the execution (`States.Runtime`) when a mocked state
            // is called once more than its response answers.
            None => TaskOutcome::Err(TaskError::new(
                "States.Runtime",
                format!(
                    "aslx serve: the mocked response for state '{name}' defines no answer for invocation {n}"
                ),
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
      "StateMachines": {"M": {"TestCases": {"Happy": {"L": "Ok"}, "Retry": {"L": "Flaky"}}}},
      "MockedResponses": {
        "Ok": {"0": {"Return": {"StatusCode": 200, "Payload": {"b": 1}}}},
        "Flaky": {"0": {"Throw": {"Error": "E0", "Cause": "c"}},
                  "1-2": {"Throw": {"Error": "E1"}},
                  "3": {"Return": {"v": 3}}}
      }}"#;

    #[test]
    fn invocation_keys_and_ranges() {
        let c = MockConfig::parse(DOC).unwrap();
        let tc = c.test_case("M", "Retry").unwrap();
        let r = &tc[&Str::from("L")];
        assert!(matches!(r.answer(0), Some(MockAnswer::Throw { error, .. }) if error == "E0"));
        assert!(
            matches!(r.answer(2), Some(MockAnswer::Throw { error, cause: None }) if error == "E1")
        );
        assert_eq!(
            r.answer(3),
            Some(&MockAnswer::Return(crate::json!({"v": 3})))
        );
        assert_eq!(r.answer(4), None);
        assert!(c.test_case("M", "Nope").is_none());
    }

    #[test]
    fn a_mocked_return_is_the_whole_task_result() {
        let c = MockConfig::parse(DOC).unwrap();
        let r = &c.test_case("M", "Happy").unwrap()[&Str::from("L")];
        let a = r.answer(0).unwrap();
        assert!(matches!(
            a.to_outcome(),
            TaskOutcome::Whole(v) if v == crate::json!({"StatusCode": 200, "Payload": {"b": 1}})
        ));
    }

    #[test]
    fn a_test_case_naming_unknown_states_is_refused_with_the_task_states() {
        let def = r#"{"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {
                "B": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}],
                "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}},
                "End": true}}}"#;
        let ok = Arc::new(MockedResponse::default());
        let mut case = TestCase::new();
        case.insert(Str::from("B"), Arc::clone(&ok));
        case.insert(Str::from("I"), Arc::clone(&ok));
        assert_eq!(check_case(&case, "Happy", "Mach", def), Ok(()));
        case.insert(Str::from("Typo"), Arc::clone(&ok));
        case.insert(Str::from("Another"), ok);
        let e = check_case(&case, "Happy", "Mach", def).unwrap_err();
        assert_eq!(
            e,
            "Test case 'Happy' of state machine 'Mach' mocks states that the state machine does not have: ['Another', 'Typo']. Its Task states are: ['B', 'I']"
        );
    }

    #[test]
    fn bad_files_are_explained() {
        for (doc, needle) in [
            ("[]", "JSON object"),
            (
                r#"{"MockedResponses": {"R": {"x": {"Return": 1}}}}"#,
                "invalid invocation key",
            ),
            (
                r#"{"MockedResponses": {"R": {"2-1": {"Return": 1}}}}"#,
                "ends before",
            ),
            (
                r#"{"MockedResponses": {"R": {"0": {}}}}"#,
                "exactly one of Return and Throw",
            ),
            (
                r#"{"MockedResponses": {"R": {"0": {"Return": 1}, "0-1": {"Return": 2}}}}"#,
                "overlaps",
            ),
            (
                r#"{"StateMachines": {"M": {"TestCases": {"T": {"S": "Missing"}}}}}"#,
                "no mocked response named",
            ),
        ] {
            let e = MockConfig::parse(doc).unwrap_err();
            assert!(e.contains(needle), "{doc}: {e}");
        }
    }
}
