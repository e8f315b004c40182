//! A rule target's input: the matched event, `Input`, `InputPath` or `InputTransformer`.
//!
//! When a rule matches, each target is started with an input built from the event. `PutTargets`
//! says how, with at most one of three settings ([`InputSettings`]); [`TargetInput::compile`]
//! checks them once, when the target is put, and [`TargetInput::apply`] builds one execution
//! input per event: path walks over the event, one string built and, for a JSON template, one
//! JSON parse.
//!
//! - No setting: the event itself. `Input`: constant JSON text, parsed once. `InputPath`: the
//!   part of the event a path selects.
//! - `InputTransformer`: `InputPathsMap` names up to 100 variables, each a path into the event;
//!   `InputTemplate` uses them as `<name>`, with the reserved variables `aws.events.rule-arn`,
//!   `aws.events.rule-name`, `aws.events.event.ingestion-time` (from the [`RuleContext`]),
//!   `aws.events.event` (the event without `detail`) and `aws.events.event.json` (the whole
//!   event).
//!
//! # What AWS documents, and what this module does with it
//!
//! Sources: the user guide's "Amazon EventBridge input transformation" page
//! (`eb-transform-target-input`, its "Common issues" list) and its EventBridge Pipes twin
//! (`eb-pipes-input-transformation`), the API reference (`API_InputTransformer`, `API_Target`),
//! and `PutTargets` answers measured in us-east-1 on 2026-09-07 (recorded in the cdk-preflight
//! project's `pf-events-input-*` and `pf-events-target-input-*` rules).
//!
//! - **Paths**: dot notation from `$`, array indices, `*` wildcards ("EventBridge does not
//!   support all JSON Path syntax"); a path without the leading `$`, or with bracket notation
//!   holding a quote (`$.detail['key']`), is refused with `InputPath for target <id> is
//!   invalid.` (measured, for `InputPath` and `InputPathsMap` alike; `$` and `$.a[0]` pass).
//!   Other bracket forms (slices, filters, negative indices) are refused the same way here.
//! - **Variable names** match `[A-Za-z0-9\_\-]+`, 1 to 256 characters, so a reserved
//!   `aws.events.*` name cannot be declared (measured: the request model refuses it); paths are
//!   at most 256 characters, the template 1 to 8192, `Input` at most 8192. These are the
//!   request model's checks, answered as `1 validation error detected: Value '...' at
//!   'targets.<n>.member...' failed to satisfy constraint: ...`.
//! - **Placeholders** must be declared or reserved: `InputTemplate for target <id> contains
//!   invalid placeholder <name>.`; `<aws.events.event.json>` needs a template that is a JSON
//!   object: `InputTemplate for target <id> contains placeholder aws.events.event.json valid
//!   only for JSON template.` (both measured). "The placeholder cannot be used as an object
//!   key" (API reference) and a template that starts like JSON (`{`, `[`) but is not are
//!   refused too, in our words: AWS's are not recorded.
//! - **Quoting**, in a JSON template: "Quotes are not required for variables that represent
//!   strings. They are permitted, but EventBridge automatically adds quotes to string variable
//!   values" — a string placed outside quotes gets quotes, one inside quotes goes in as it is;
//!   numbers, booleans, null, objects and arrays go in as JSON. Inside quotes, "if a JSON path
//!   references a JSON object or array ... EventBridge removes any internal quotes to ensure a
//!   valid string" (the Pipes page's example: `{"key": "value"}` becomes `{key: value}`).
//!   "EventBridge doesn't escape values extracted by Input Path": a string holding `"` or `\`
//!   goes in raw, and the result may then not be JSON (below).
//! - **The result**: a template that is JSON once its placeholders are filled (an object, an
//!   array, a quoted string like `"instance <i> is in <s>"`, a lone `<var>`) gives that JSON.
//!   Any other template is plain text (the API reference's `<instance> is in state <status>`):
//!   its variables go in unquoted and the input is the text as a JSON string, the form a
//!   state machine can take.
//! - **A path that matches nothing**: "If you specify a variable to match a JSON path that
//!   doesn't exist in the event, that variable isn't created and won't appear in the output"
//!   (the "Common issues" list, on both pages). Its placeholder is replaced by nothing: inside
//!   quotes that leaves the rest of the string, `[<missing>]` becomes `[]`, and as a JSON value
//!   (`{"a": <missing>}`) it leaves text that is not JSON. The target cannot be started with
//!   text that is not JSON (Step Functions refuses it), so [`TargetInput::apply`] fails with an
//!   [`ApplyError`] naming the variables that matched nothing; the caller logs it and counts a
//!   failed invocation. An `InputPath` that matches nothing fails the same way (AWS does not
//!   document that case).
//!
//! # Example
//!
//! ```
//! use aslx::events::transform::{InputSettings, InputTransformer, RuleContext, TargetInput};
//!
//! let settings = InputSettings {
//!     input_transformer: Some(InputTransformer {
//!         input_paths_map: vec![
//!             ("instance".into(), "$.detail.instance-id".into()),
//!             ("state".into(), "$.detail.state".into()),
//!         ],
//!         input_template: r#"{"instance": <instance>, "status": "<instance> is <state>",
//!                             "rule": <aws.events.rule-name>}"#.into(),
//!     }),
//!     ..InputSettings::default()
//! };
//! let input = TargetInput::compile("t1", 1, &settings).unwrap();
//! let event = aslx::json!({"detail": {"instance-id": "i-0123", "state": "RUNNING"}});
//! let rule = RuleContext {
//!     rule_arn: "arn:aws:events:us-east-1:123456789012:rule/example",
//!     rule_name: "example",
//!     ingestion_time: "2015-11-11T21:29:54Z",
//! };
//! assert_eq!(
//!     input.apply(&event, &rule).unwrap(),
//!     aslx::json!({"instance": "i-0123", "status": "i-0123 is RUNNING", "rule": "example"})
//! );
//! ```

mod template;

use crate::value::{parse_json, Value};
use std::fmt;
use template::Transformer;

/// Most variables an `InputPathsMap` may name.
pub const MAX_INPUT_PATHS: usize = 100;
const MAX_TEMPLATE_CHARS: usize = 8192;
const MAX_INPUT_CHARS: usize = 8192;
const MAX_PATH_CHARS: usize = 256;
const MAX_NAME_CHARS: usize = 256;
/// A target's input settings as `PutTargets` receives them; at most one may be set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputSettings {
    /// `Input`: constant JSON text.
    pub input: Option<String>,
    /// `InputPath`: the part of the event to pass.
    pub input_path: Option<String>,
    /// `InputTransformer`.
    pub input_transformer: Option<InputTransformer>,
}

/// `InputTransformer`: variables from the event, and a template that uses them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputTransformer {
    /// `InputPathsMap`: variable name and path, in request order.
    pub input_paths_map: Vec<(String, String)>,
    /// `InputTemplate`.
    pub input_template: String,
}

/// What the reserved variables say about the rule and the event's arrival.
#[derive(Clone, Copy, Debug)]
pub struct RuleContext<'a> {
    /// `aws.events.rule-arn`.
    pub rule_arn: &'a str,
    /// `aws.events.rule-name`.
    pub rule_name: &'a str,
    /// `aws.events.event.ingestion-time`: when the event was received, ISO 8601
    /// (`2015-11-11T21:29:54Z`).
    pub ingestion_time: &'a str,
}

/// A target's input settings, checked and compiled; [`TargetInput::apply`] builds an input.
#[derive(Clone, Debug)]
pub struct TargetInput {
    kind: Kind,
}

// Rules are shared between the API handlers and the delivery tasks.
const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<TargetInput>();
};

#[derive(Clone, Debug)]
enum Kind {
    Event,
    Constant(Value),
    Path(EventPath),
    Transformer(Box<Transformer>),
}

impl TargetInput {
    /// Checks a target's input settings as `PutTargets` does. `target_id` is the target's
    /// `Id` and `member` its 1-based position in the request's `Targets`, which AWS's messages
    /// name.
    ///
    /// # Errors
    ///
    /// An [`InputError`] (`ValidationException`) with AWS's message: a setting over its
    /// length limit, more than one setting, `Input` that is not JSON, a path AWS does not
    /// accept, a variable name outside `[A-Za-z0-9_-]+`, a placeholder that names no variable,
    /// `<aws.events.event.json>` outside a JSON object template, a placeholder used as an
    /// object key, a template that starts like JSON but is not.
    pub fn compile(
        target_id: &str,
        member: usize,
        settings: &InputSettings,
    ) -> Result<TargetInput, InputError> {
        check_model(member, settings)?;
        let kind = match settings {
            InputSettings {
                input: None,
                input_path: None,
                input_transformer: None,
            } => Kind::Event,
            InputSettings {
                input: Some(text),
                input_path: None,
                input_transformer: None,
            } => Kind::Constant(parse_json(text).map_err(|e| {
                InputError::new(format!(
                    "JSON syntax error in input for target {target_id}: {}",
                    jackson_position(text, e.line(), e.column())
                ))
            })?),
            InputSettings {
                input: None,
                input_path: Some(path),
                input_transformer: None,
            } => Kind::Path(EventPath::parse(path).ok_or_else(|| invalid_path(target_id))?),
            InputSettings {
                input: None,
                input_path: None,
                input_transformer: Some(t),
            } => Kind::Transformer(Box::new(Transformer::compile(target_id, t)?)),
            _ => {
                return Err(InputError::new(format!(
                    "Only one of Input, InputPath, or InputTransformer must be provided for \
                     target {target_id}"
                )))
            }
        };
        Ok(TargetInput { kind })
    }

    /// The execution input for one matched event.
    ///
    /// # Errors
    ///
    /// An [`ApplyError`] when the event cannot give an input: an `InputPath` that matches
    /// nothing, or a transformer whose output is not JSON (a variable that matched nothing
    /// left a hole, or a string with a quote went in unescaped, as AWS puts it in).
    pub fn apply(&self, event: &Value, rule: &RuleContext<'_>) -> Result<Value, ApplyError> {
        match &self.kind {
            Kind::Event => Ok(event.clone()),
            Kind::Constant(v) => Ok(v.clone()),
            Kind::Path(path) => path.eval(event).ok_or_else(|| {
                ApplyError::new(format!(
                    "InputPath {} matches nothing in the event",
                    path.text
                ))
            }),
            Kind::Transformer(t) => t.apply(event, rule),
        }
    }
}

/// The request model's length and pattern checks, which AWS runs before anything else.
fn check_model(member: usize, s: &InputSettings) -> Result<(), InputError> {
    let at = |field: &str| format!("targets.{member}.member.{field}");
    if let Some(input) = &s.input {
        max_len(input, MAX_INPUT_CHARS, &at("input"))?;
    }
    if let Some(path) = &s.input_path {
        max_len(path, MAX_PATH_CHARS, &at("inputPath"))?;
    }
    let Some(t) = &s.input_transformer else {
        return Ok(());
    };
    let template_at = at("inputTransformer.inputTemplate");
    if t.input_template.is_empty() {
        return Err(constraint(
            "",
            &template_at,
            "Member must have length greater than or equal to 1",
        ));
    }
    max_len(&t.input_template, MAX_TEMPLATE_CHARS, &template_at)?;
    let map_at = at("inputTransformer.inputPathsMap");
    let shown = || {
        let entries: Vec<String> = t
            .input_paths_map
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{{{}}}", entries.join(", "))
    };
    if t.input_paths_map.len() > MAX_INPUT_PATHS {
        return Err(constraint(
            &shown(),
            &map_at,
            "Member must have length less than or equal to 100",
        ));
    }
    for (name, path) in &t.input_paths_map {
        let n = name.chars().count();
        let name_ok = (1..=MAX_NAME_CHARS).contains(&n)
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(constraint(
                &shown(),
                &map_at,
                "Map keys must satisfy constraint: [Member must have length less than or equal \
                 to 256, Member must have length greater than or equal to 1, Member must \
                 satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]",
            ));
        }
        if path.chars().count() > MAX_PATH_CHARS {
            return Err(constraint(
                &shown(),
                &map_at,
                "Map value must satisfy constraint: [Member must have length less than or \
                 equal to 256]",
            ));
        }
    }
    Ok(())
}

fn max_len(value: &str, max: usize, at: &str) -> Result<(), InputError> {
    if value.chars().count() > max {
        return Err(constraint(
            value,
            at,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

#[cold]
fn constraint(value: &str, at: &str, rule: &str) -> InputError {
    InputError::new(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: \
         {rule}"
    ))
}

#[cold]
fn invalid_path(target_id: &str) -> InputError {
    InputError::new(format!("InputPath for target {target_id} is invalid."))
}

/// Jackson's description of where JSON text failed, which AWS quotes: the text (cut at 500
/// characters, as Jackson cuts it) and the line and column.
fn jackson_position(text: &str, line: usize, column: usize) -> String {
    let shown: String = text.chars().take(500).collect();
    let cut = text.chars().count().saturating_sub(500);
    let more = if cut > 0 {
        format!("[truncated {cut} chars]")
    } else {
        String::new()
    };
    format!("[Source: (String)\"{shown}\"{more}; line: {line}, column: {column}]")
}

/// A path into the event, in the subset EventBridge supports: `$`, `.name`, `.*`, `[n]`, `[*]`.
#[derive(Clone, Debug)]
struct EventPath {
    text: Box<str>,
    steps: Box<[Step]>,
    /// Without wildcards: one value or nothing.
    definite: bool,
}

#[derive(Clone, Debug)]
enum Step {
    Key(Box<str>),
    Index(usize),
    Wildcard,
}

impl EventPath {
    /// `None` for anything outside the subset.
    fn parse(text: &str) -> Option<EventPath> {
        let mut rest = text.strip_prefix('$')?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after
                    .find(|c: char| matches!(c, '.' | '[' | ']' | '\'' | '"') || c.is_whitespace())
                    .unwrap_or(after.len());
                let name = &after[..end];
                steps.push(match name {
                    "" => return None,
                    "*" => Step::Wildcard,
                    _ => Step::Key(name.into()),
                });
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let (inside, tail) = after.split_once(']')?;
                steps.push(match inside {
                    "*" => Step::Wildcard,
                    _ if !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_digit()) => {
                        Step::Index(inside.parse().ok()?)
                    }
                    _ => return None,
                });
                rest = tail;
            } else {
                return None;
            }
        }
        let definite = !steps.iter().any(|s| matches!(s, Step::Wildcard));
        Some(EventPath {
            text: text.into(),
            steps: steps.into_boxed_slice(),
            definite,
        })
    }

    /// The value the path selects; with wildcards, the array of every match.
    fn eval(&self, event: &Value) -> Option<Value> {
        if self.definite {
            let mut at = event;
            for step in self.steps.iter() {
                at = match step {
                    Step::Key(k) => at.get(k)?,
                    Step::Index(i) => at.as_array()?.get(*i)?,
                    Step::Wildcard => return None, // not in a definite path
                };
            }
            return Some(at.clone());
        }
        let mut frontier = vec![event];
        for step in self.steps.iter() {
            let mut next = Vec::new();
            for v in frontier {
                match (step, v) {
                    (Step::Key(k), _) => next.extend(v.get(k)),
                    (Step::Index(i), _) => next.extend(v.as_array().and_then(|a| a.get(*i))),
                    (Step::Wildcard, Value::Array(a)) => next.extend(a.iter()),
                    (Step::Wildcard, Value::Object(o)) => next.extend(o.values()),
                    (Step::Wildcard, _) => {}
                }
            }
            frontier = next;
        }
        Some(Value::array(frontier.into_iter().cloned().collect()))
    }
}

/// Target input settings `PutTargets` refuses: a `ValidationException` with AWS's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    message: String,
}

impl InputError {
    #[cold]
    fn new(message: String) -> InputError {
        InputError { message }
    }

    /// The AWS error code: `ValidationException`.
    pub fn code(&self) -> &'static str {
        "ValidationException"
    }

    /// The message, in AWS's words where they are known (see the module docs).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}

/// An event that cannot give a target its input; the target is not started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyError {
    message: String,
}

impl ApplyError {
    #[cold]
    fn new(message: String) -> ApplyError {
        ApplyError { message }
    }

    /// What went wrong, for the log.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApplyError {}

#[cfg(test)]
mod tests;
