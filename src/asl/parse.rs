//! Definition text → [`StateMachine`], checking the schema as it descends.
//!
//! The parser never stops at the first problem: each finding becomes a [`Diagnostic`] with
//! AWS's code and location, and parsing goes on with what it could read, so the user sees
//! every mistake at once (VAL-2). Whole-machine checks (targets, reachability, terminals,
//! duplicate names) follow in [`super::validate`].

use super::error::{Diagnostic, DiagnosticCode};
use super::fields::{allowed, is_jsonata_only, is_jsonpath_only, FIELDS_TOP};
use super::model::*;
use super::timestamp::parse_timestamp;
use crate::path::{Expr, Path};
use crate::value::{Map, Str, Value};

/// State fields whose values are never objects: a key among the states with one of these
/// names and a non-object value is a state's field written outside its state.
const FIELDS_MISPLACED: &[&str] = &["Type", "Next", "End", "Resource", "Default", "Seconds"];

/// Largest value of the numeric fields (QUO-7).
pub const MAX_SECONDS: u64 = 99_999_999;
/// Largest `MaxDelaySeconds` (RET-1).
pub const MAX_DELAY_SECONDS: u64 = 31_622_400;
/// Longest state name (ST-2).
pub const MAX_STATE_NAME: usize = 80;

pub(crate) struct Parser {
    pub diags: Vec<Diagnostic>,
    pub machine_type: MachineType,
    top_ql: QueryLanguage,
}

/// `{% ... %}`: a JSONata expression (JA-1).
pub fn is_jsonata_expr(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

impl Parser {
    pub fn new(machine_type: MachineType) -> Parser {
        Parser {
            diags: Vec::new(),
            machine_type,
            top_ql: QueryLanguage::JsonPath,
        }
    }

    fn err(&mut self, message: impl Into<String>, location: &str) {
        self.diags.push(Diagnostic::schema(message, location));
    }

    /// Parses the top-level object.
    pub fn machine(&mut self, top: &Map) -> Option<StateMachine> {
        for k in top.keys() {
            if !FIELDS_TOP.contains(&&**k) {
                self.err(format!("Field '{k}' is not supported"), "/");
            }
        }
        self.top_ql = match top.get("QueryLanguage") {
            None => QueryLanguage::JsonPath,
            Some(v) => self.query_language(v, "/QueryLanguage")?,
        };
        if let Some(v) = top.get("Version") {
            if v.as_str() != Some("1.0") {
                self.err("The field 'Version' must be \"1.0\"", "/Version");
            }
        }
        if let Some(v) = top.get("Comment") {
            self.expect_string(v, "/Comment");
        }
        let timeout_seconds = top
            .get("TimeoutSeconds")
            .and_then(|v| self.seconds(v, "/TimeoutSeconds", 1));
        let scope = self.scope(top, "", true)?;
        Some(StateMachine {
            scope,
            timeout_seconds,
            query_language: self.top_ql,
        })
    }

    fn query_language(&mut self, v: &Value, loc: &str) -> Option<QueryLanguage> {
        match v.as_str() {
            Some("JSONPath") => Some(QueryLanguage::JsonPath),
            Some("JSONata") => Some(QueryLanguage::Jsonata),
            _ => {
                self.err(
                    "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]",
                    loc,
                );
                None
            }
        }
    }

    /// A `StartAt` + `States` object: the top level, a branch or a processor.
    fn scope(&mut self, obj: &Map, loc: &str, top: bool) -> Option<Scope> {
        let start = obj.get("StartAt");
        let states = obj.get("States");
        let mut missing = Vec::new();
        if states.is_none() {
            missing.push("States");
        }
        if start.is_none() {
            missing.push("StartAt");
        }
        if !missing.is_empty() {
            self.err(
                format!("These fields are required: [{}]", missing.join(", ")),
                loc,
            );
        }
        if !top {
            for k in obj.keys() {
                if !matches!(&**k, "StartAt" | "States" | "Comment" | "ProcessorConfig") {
                    self.err(format!("Field '{k}' is not supported"), loc);
                }
            }
        }
        let start_at: Str = match start {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.err(
                    "The field 'StartAt' must be a string",
                    &format!("{loc}/StartAt"),
                );
                Str::from("")
            }
            None => Str::from(""),
        };
        let mut out = Vec::new();
        match states {
            Some(Value::Object(m)) => {
                if m.is_empty() {
                    self.err("Value cannot be empty", &format!("{loc}/States"));
                }
                for (name, def) in m.iter() {
                    let sloc = format!("{loc}/States/{name}");
                    if name.chars().count() > MAX_STATE_NAME {
                        self.err(
                            format!(
                                "State name '{name}' is longer than {MAX_STATE_NAME} characters"
                            ),
                            &sloc,
                        );
                    }
                    match def {
                        Value::Object(sm) => {
                            if let Some(s) = self.state(name, sm, &sloc) {
                                out.push(s);
                            }
                        }
                        _ => self.not_a_state(name, &sloc),
                    }
                }
            }
            Some(_) => self.err(
                "The field 'States' must be an object",
                &format!("{loc}/States"),
            ),
            None => {}
        }
        if missing.is_empty() && states.is_some_and(|s| s.as_object().is_some()) {
            Some(Scope {
                start_at,
                states: out,
                location: loc.to_string(),
            })
        } else {
            None
        }
    }

    fn state(&mut self, name: &Str, m: &Map, loc: &str) -> Option<State> {
        const TYPES: &str = "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]";
        let ty = match m.get("Type") {
            None => {
                self.err("These fields are required: [Type]", loc);
                return Some(placeholder(name, loc, m));
            }
            Some(Value::String(t))
                if matches!(
                    &**t,
                    "Task" | "Wait" | "Pass" | "Succeed" | "Fail" | "Choice" | "Parallel" | "Map"
                ) =>
            {
                t.clone()
            }
            Some(_) => {
                self.err(
                    format!("The field 'Type' should have one of these values: {TYPES}"),
                    &format!("{loc}/Type"),
                );
                return Some(placeholder(name, loc, m));
            }
        };
        let ql = match m.get("QueryLanguage") {
            None => self.top_ql,
            Some(v) => {
                let ql = self.query_language(v, &format!("{loc}/QueryLanguage"))?;
                if ql == QueryLanguage::JsonPath && self.top_ql == QueryLanguage::Jsonata {
                    // QL-2: the downgrade AWS refuses.
                    self.err(
                        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                        loc,
                    );
                }
                ql
            }
        };
        for k in m.keys() {
            if allowed(&ty, ql, k) {
                continue;
            }
            if ql == QueryLanguage::Jsonata && is_jsonpath_only(k) {
                self.err(
                    format!("The QueryLanguage is set to 'JSONata', but field '{k}' is only supported for the 'JSONPath' QueryLanguage"),
                    loc,
                );
            } else if ql == QueryLanguage::JsonPath && is_jsonata_only(k) {
                self.err(
                    format!("The QueryLanguage is set to 'JSONPath', but field '{k}' is only supported for the 'JSONata' QueryLanguage"),
                    loc,
                );
            } else {
                self.err(format!("Field '{k}' is not supported"), loc);
            }
        }
        if let Some(c) = m.get("Comment") {
            self.expect_string(c, &format!("{loc}/Comment"));
        }
        if ql == QueryLanguage::Jsonata {
            super::jsonata_fields::check_expressions(self, m, loc);
        }
        let io = self.io(m, loc, ql);
        let transition = self.transition(&ty, m, loc);
        let kind = match &*ty {
            "Pass" => Some(StateKind::Pass {
                result: m.get("Result").cloned(),
            }),
            "Task" => self.task(m, loc, ql).map(|t| StateKind::Task(Box::new(t))),
            "Choice" => self
                .choice(m, loc, ql)
                .map(|c| StateKind::Choice(Box::new(c))),
            "Wait" => self.wait(m, loc, ql).map(StateKind::Wait),
            "Succeed" => Some(StateKind::Succeed),
            "Fail" => Some(StateKind::Fail(Box::new(self.fail(m, loc, ql)))),
            "Parallel" => self
                .parallel(m, loc)
                .map(|p| StateKind::Parallel(Box::new(p))),
            "Map" => self.map(m, loc, ql).map(|p| StateKind::Map(Box::new(p))),
            _ => None,
        };
        // A state whose own fields are wrong (already reported) still takes part in the
        // graph checks with its transitions, so it causes no spurious findings there.
        let Some(kind) = kind else {
            let mut p = placeholder(name, loc, m);
            p.transition = transition;
            p.io = io;
            return Some(p);
        };
        Some(State {
            name: name.clone(),
            location: loc.to_string(),
            query_language: ql,
            io,
            transition,
            kind,
        })
    }

    fn transition(&mut self, ty: &str, m: &Map, loc: &str) -> Transition {
        if matches!(ty, "Choice" | "Succeed" | "Fail") {
            return Transition::None;
        }
        let next = m.get("Next");
        let end = m.get("End");
        match (next, end) {
            (Some(Value::String(n)), None) => Transition::Next(n.clone()),
            (None, Some(Value::Bool(true))) => Transition::End,
            (Some(n), Some(_)) => {
                self.err("Only one of 'Next' or 'End' may be set", loc);
                match n {
                    Value::String(n) => Transition::Next(n.clone()),
                    _ => Transition::End,
                }
            }
            (Some(_), None) => {
                self.err("The field 'Next' must be a string", &format!("{loc}/Next"));
                Transition::End
            }
            (None, Some(Value::Bool(false))) | (None, None) => {
                // Wording unconfirmed: no AWS diagnostic for this case was found (issue 17).
                self.err("One of 'Next' or 'End' must be set", loc);
                Transition::End
            }
            (None, Some(_)) => {
                self.err("The field 'End' must be a boolean", &format!("{loc}/End"));
                Transition::End
            }
        }
    }

    fn io(&mut self, m: &Map, loc: &str, ql: QueryLanguage) -> Io {
        let mut io = Io {
            input_path: self.path_field(m, "InputPath", loc, false),
            output_path: self.path_field(m, "OutputPath", loc, false),
            result_path: self.path_field(m, "ResultPath", loc, true),
            ..Io::default()
        };
        // A Pass state's Parameters may be an array (its elements are templates in turn): the
        // service accepts it, and AWS's toolkit schema was changed "to match the constraints
        // applied in the service" (aws/aws-toolkit-vscode#2459, a Pass with an array of
        // objects); ASL's own spec text says object. Other states keep the object rule.
        let pass = m.get("Type").and_then(Value::as_str) == Some("Pass");
        for (field, slot) in [
            ("Parameters", &mut io.parameters),
            ("ResultSelector", &mut io.result_selector),
        ] {
            if let Some(v) = m.get(field) {
                let floc = format!("{loc}/{field}");
                let array_ok = pass && field == "Parameters" && v.as_array().is_some();
                if v.as_object().is_none() && !array_ok {
                    self.err(format!("The field '{field}' must be a JSON object"), &floc);
                } else {
                    self.template(v, &floc);
                }
                *slot = Some(v.clone());
            }
        }
        if let Some(v) = m.get("Assign") {
            self.assign(v, &format!("{loc}/Assign"), ql);
            io.assign = Some(v.clone());
        }
        io.arguments = m.get("Arguments").cloned();
        io.output = m.get("Output").cloned();
        if let Some(v) = m.get("Retry") {
            io.retry = self.retriers(v, &format!("{loc}/Retry"));
        }
        if let Some(v) = m.get("Catch") {
            io.catch = self.catchers(v, &format!("{loc}/Catch"), ql);
        }
        io
    }

    /// InputPath / OutputPath / ResultPath: a path or `null` (IO-5, IO-6).
    fn path_field(&mut self, m: &Map, field: &str, loc: &str, result: bool) -> PathField {
        match m.get(field) {
            None => PathField::Absent,
            Some(Value::Null) => PathField::Null,
            Some(Value::String(s)) => {
                if self.check_path(s, &format!("{loc}/{field}"), field, result) {
                    PathField::Path(s.to_string())
                } else {
                    PathField::Absent
                }
            }
            Some(_) => {
                self.err(
                    format!("The value for the field '{field}' must be a valid JSONPath"),
                    &format!("{loc}/{field}"),
                );
                PathField::Absent
            }
        }
    }

    /// Checks a path field's syntax; `reference` for fields that need one node (PATH-4).
    fn check_path(&mut self, s: &str, floc: &str, field: &str, result_path: bool) -> bool {
        match Path::parse(s) {
            Ok(p) => {
                if result_path
                    && (!p.is_reference() || s.starts_with("$$") || p.variable_name().is_some())
                {
                    self.err(
                        format!("The value for the field '{field}' must be a valid ReferencePath"),
                        floc,
                    );
                    return false;
                }
                true
            }
            Err(_) => {
                self.err(
                    format!("The value for the field '{field}' must be a valid JSONPath"),
                    floc,
                );
                false
            }
        }
    }

    /// A reference path field (`ItemsPath`, `*SecondsPath`, ...) — PATH-4.
    fn reference_path(&mut self, v: &Value, field: &str, floc: &str) -> Option<String> {
        let ok = v
            .as_str()
            .and_then(|s| Path::parse(s).ok())
            .is_some_and(|p| p.is_reference());
        if ok {
            v.as_str().map(str::to_string)
        } else {
            self.err(
                format!("The value for the field '{field}' must be a valid ReferencePath"),
                floc,
            );
            None
        }
    }

    /// Checks every `.$` key of a payload template (PT-2, PT-5, PATH-8).
    pub(crate) fn template(&mut self, v: &Value, loc: &str) {
        // Explicit stack: templates may nest as deep as the JSON parser allows.
        let mut stack: Vec<(&Value, String)> = vec![(v, loc.to_string())];
        while let Some((v, loc)) = stack.pop() {
            match v {
                Value::Object(o) => {
                    for (k, item) in o.iter() {
                        if let Some(base) = k.strip_suffix(".$") {
                            if o.contains_key(base) {
                                self.err(
                                    format!("The field '{base}' is defined twice, as '{base}' and '{k}'"),
                                    &loc,
                                );
                            }
                            let why = match item.as_str().map(Expr::parse) {
                                Some(Ok(_)) => None,
                                Some(Err(why)) => Some(why),
                                None => Some("the value is not a string".to_string()),
                            };
                            if let Some(why) = why {
                                self.diags.push(
                                    Diagnostic::schema(
                                        format!("The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"),
                                        &loc,
                                    )
                                    .with_why(why),
                                );
                            }
                        } else {
                            stack.push((item, format!("{loc}/{k}")));
                        }
                    }
                }
                Value::Array(a) => {
                    for (i, item) in a.iter().enumerate() {
                        stack.push((item, format!("{loc}[{i}]")));
                    }
                }
                _ => {}
            }
        }
    }

    fn assign(&mut self, v: &Value, loc: &str, ql: QueryLanguage) {
        let Some(o) = v.as_object() else {
            self.err("The field 'Assign' must be a JSON object", loc);
            return;
        };
        for k in o.keys() {
            let name = if ql == QueryLanguage::JsonPath {
                k.strip_suffix(".$").unwrap_or(k)
            } else {
                k
            };
            if !is_variable_name(name) {
                self.err(format!("The variable name '{name}' is not valid"), loc);
            } else if name == "states" {
                self.err("The variable name 'states' is reserved", loc);
            }
        }
        if ql == QueryLanguage::JsonPath {
            self.template(v, loc);
        }
    }

    fn retriers(&mut self, v: &Value, loc: &str) -> Vec<Retrier> {
        let Some(a) = v.as_array() else {
            self.err("The field 'Retry' must be an array", loc);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in a.iter().enumerate() {
            let rloc = format!("{loc}[{i}]");
            let Some(o) = r.as_object() else {
                self.err("A retrier must be a JSON object", &rloc);
                continue;
            };
            for k in o.keys() {
                if !matches!(
                    &**k,
                    "ErrorEquals"
                        | "IntervalSeconds"
                        | "MaxAttempts"
                        | "BackoffRate"
                        | "MaxDelaySeconds"
                        | "JitterStrategy"
                        | "Comment"
                ) {
                    self.err(format!("Field '{k}' is not supported"), &rloc);
                }
            }
            let error_equals = self.error_equals(o, &rloc, i + 1 == a.len(), "retrier");
            let interval_seconds = match o.get("IntervalSeconds") {
                Some(v) => self
                    .seconds(v, &format!("{rloc}/IntervalSeconds"), 1)
                    .unwrap_or(1),
                None => 1,
            };
            let max_attempts = match o.get("MaxAttempts") {
                Some(v) => self
                    .seconds(v, &format!("{rloc}/MaxAttempts"), 0)
                    .unwrap_or(3),
                None => 3,
            };
            let backoff_rate = match o.get("BackoffRate") {
                Some(v) => match v.as_f64() {
                    Some(f) if f >= 1.0 => f,
                    _ => {
                        self.err(
                            "The field 'BackoffRate' must be a number greater than or equal to 1.0",
                            &format!("{rloc}/BackoffRate"),
                        );
                        2.0
                    }
                },
                None => 2.0,
            };
            let max_delay_seconds = o.get("MaxDelaySeconds").and_then(|v| {
                let d = v
                    .as_i64()
                    .filter(|d| (1..=MAX_DELAY_SECONDS as i64).contains(d));
                if d.is_none() || !matches!(v, Value::Int(_)) {
                    self.err(
                        format!(
                            "The field 'MaxDelaySeconds' must be between 1 and {MAX_DELAY_SECONDS}"
                        ),
                        &format!("{rloc}/MaxDelaySeconds"),
                    );
                    return None;
                }
                d.map(|d| d as u64)
            });
            let full_jitter = match o.get("JitterStrategy") {
                None => false,
                Some(v) => match v.as_str() {
                    Some("FULL") => true,
                    Some("NONE") => false,
                    _ => {
                        self.err(
                            "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
                            &format!("{rloc}/JitterStrategy"),
                        );
                        false
                    }
                },
            };
            out.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts,
                backoff_rate,
                max_delay_seconds,
                full_jitter,
            });
        }
        out
    }

    fn catchers(&mut self, v: &Value, loc: &str, ql: QueryLanguage) -> Vec<Catcher> {
        let Some(a) = v.as_array() else {
            self.err("The field 'Catch' must be an array", loc);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in a.iter().enumerate() {
            let cloc = format!("{loc}[{i}]");
            let Some(o) = c.as_object() else {
                self.err("A catcher must be a JSON object", &cloc);
                continue;
            };
            for k in o.keys() {
                let ok = match &**k {
                    "ErrorEquals" | "Next" | "Comment" | "Assign" => true,
                    "ResultPath" => ql == QueryLanguage::JsonPath,
                    "Output" => ql == QueryLanguage::Jsonata,
                    _ => false,
                };
                if !ok {
                    self.err(format!("Field '{k}' is not supported"), &cloc);
                }
            }
            let error_equals = self.error_equals(o, &cloc, i + 1 == a.len(), "catcher");
            let next = match o.get("Next") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    self.err("These fields are required: [Next]", &cloc);
                    continue;
                }
            };
            let result_path = self.path_field(o, "ResultPath", &cloc, true);
            let assign = o.get("Assign").cloned();
            if let Some(v) = &assign {
                self.assign(v, &format!("{cloc}/Assign"), ql);
            }
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                assign,
                output: o.get("Output").cloned(),
                location: cloc,
            });
        }
        out
    }

    /// `ErrorEquals`: non-empty strings; `States.ALL` alone and only in the last entry (ERR-2).
    fn error_equals(&mut self, o: &Map, loc: &str, last: bool, what: &str) -> Vec<Str> {
        let Some(v) = o.get("ErrorEquals") else {
            self.err("These fields are required: [ErrorEquals]", loc);
            return Vec::new();
        };
        let floc = format!("{loc}/ErrorEquals");
        let Some(a) = v.as_array() else {
            self.err("The field 'ErrorEquals' must be an array of strings", &floc);
            return Vec::new();
        };
        if a.is_empty() {
            self.err("Value cannot be empty", &floc);
        }
        let names: Vec<Str> = a
            .iter()
            .filter_map(|e| e.as_shared_str().cloned())
            .collect();
        if names.len() != a.len() {
            self.err("The field 'ErrorEquals' must be an array of strings", &floc);
        }
        if names.iter().any(|n| &**n == "States.ALL") {
            if names.len() > 1 {
                self.err("States.ALL must appear alone in ErrorEquals", &floc);
            } else if !last {
                self.err(format!("States.ALL must appear in the last {what}"), &floc);
            }
        }
        names
    }

    /// A non-negative integer ≤ 99,999,999 that must be at least `min` (QUO-7).
    pub(crate) fn seconds(&mut self, v: &Value, loc: &str, min: u64) -> Option<u64> {
        let field = loc.rsplit('/').next().unwrap_or(loc).to_string();
        match v {
            Value::Int(i) if *i >= min as i64 && *i <= MAX_SECONDS as i64 => Some(*i as u64),
            _ => {
                let what = if min == 0 { "non-negative" } else { "positive" };
                self.err(
                    format!("The field '{field}' must be a {what} integer less than or equal to {MAX_SECONDS}"),
                    loc,
                );
                None
            }
        }
    }

    /// A field with a literal form and a `...Path` form, at most one present (VAL-5 pairs).
    fn dynamic_seconds(
        &mut self,
        m: &Map,
        field: &str,
        loc: &str,
        min: u64,
        ql: QueryLanguage,
    ) -> Option<Dynamic<u64>> {
        let path_field = format!("{field}Path");
        let lit = m.get(field);
        let path = m.get(path_field.as_str());
        if lit.is_some() && path.is_some() {
            self.err(
                format!("The fields '{field}' and '{path_field}' are mutually exclusive"),
                loc,
            );
            return None;
        }
        if let Some(v) = lit {
            if let (QueryLanguage::Jsonata, Some(s)) = (ql, v.as_str()) {
                if is_jsonata_expr(s) {
                    return Some(Dynamic::Jsonata(s.to_string()));
                }
            }
            return self
                .seconds(v, &format!("{loc}/{field}"), min)
                .map(Dynamic::Value);
        }
        let v = path?;
        self.reference_path(v, &path_field, &format!("{loc}/{path_field}"))
            .map(Dynamic::Path)
    }

    fn task(&mut self, m: &Map, loc: &str, ql: QueryLanguage) -> Option<TaskState> {
        let resource = match m.get("Resource") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.err(
                    "The field 'Resource' must be a string",
                    &format!("{loc}/Resource"),
                );
                return None;
            }
            None => {
                self.err("These fields are required: [Resource]", loc);
                return None;
            }
        };
        self.check_resource(&resource, &format!("{loc}/Resource"));
        let timeout = self.dynamic_seconds(m, "TimeoutSeconds", loc, 1, ql);
        let heartbeat = self.dynamic_seconds(m, "HeartbeatSeconds", loc, 1, ql);
        if let (Some(Dynamic::Value(t)), Some(Dynamic::Value(h))) = (&timeout, &heartbeat) {
            if h >= t {
                self.err(
                    "The field 'HeartbeatSeconds' must be smaller than the field 'TimeoutSeconds'",
                    &format!("{loc}/HeartbeatSeconds"),
                );
            }
        }
        let credentials = m.get("Credentials").cloned();
        if let Some(c) = &credentials {
            let cloc = format!("{loc}/Credentials");
            match c.as_object() {
                Some(o) if o.contains_key("RoleArn") || o.contains_key("RoleArn.$") => {
                    if ql == QueryLanguage::JsonPath {
                        self.template(c, &cloc);
                    }
                }
                Some(_) => self.err("The field 'RoleArn' is required but was missing", &cloc),
                None => self.err("The field 'Credentials' must be a JSON object", &cloc),
            }
        }
        Some(TaskState {
            resource,
            timeout,
            heartbeat,
            credentials,
        })
    }

    /// RES-4..6 and RES-8: recognised resources, and what EXPRESS machines refuse.
    fn check_resource(&mut self, r: &str, loc: &str) {
        use crate::compile::resource::{classify, ResourceKind};
        match classify(r) {
            ResourceKind::Unrecognized => self.err(
                format!("The resource provided {r} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."),
                loc,
            ),
            ResourceKind::Service { pattern, .. } if self.machine_type == MachineType::Express => {
                match pattern {
                    crate::compile::resource::Pattern::Sync => self.err(
                        "Express state machine does not support '.sync' service integration",
                        loc,
                    ),
                    crate::compile::resource::Pattern::WaitForTaskToken => self.err(
                        // AWS's message really ends with a space before " at".
                        "Express state machine does not support '.waitForTaskToken' service integration ",
                        loc,
                    ),
                    crate::compile::resource::Pattern::RequestResponse => {}
                }
            }
            ResourceKind::Activity if self.machine_type == MachineType::Express => {
                self.err("Express state machine does not support Activity ARN", loc)
            }
            _ => {}
        }
    }

    fn choice(&mut self, m: &Map, loc: &str, ql: QueryLanguage) -> Option<ChoiceState> {
        let default = match m.get("Default") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err(
                    "The field 'Default' must be a string",
                    &format!("{loc}/Default"),
                );
                None
            }
        };
        let Some(v) = m.get("Choices") else {
            self.err("These fields are required: [Choices]", loc);
            return None;
        };
        let cloc = format!("{loc}/Choices");
        let Some(a) = v.as_array() else {
            self.err("The field 'Choices' must be an array", &cloc);
            return None;
        };
        if a.is_empty() {
            self.err("Value cannot be empty", &cloc);
        }
        let mut choices = Vec::new();
        for (i, rule) in a.iter().enumerate() {
            let rloc = format!("{cloc}[{i}]");
            let Some(o) = rule.as_object() else {
                self.err("A choice rule must be a JSON object", &rloc);
                continue;
            };
            let next = match o.get("Next") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    self.err("These fields are required: [Next]", &rloc);
                    continue;
                }
            };
            let assign = o.get("Assign").cloned();
            if let Some(v) = &assign {
                self.assign(v, &format!("{rloc}/Assign"), ql);
            }
            let output = o.get("Output").cloned();
            if output.is_some() && ql == QueryLanguage::JsonPath {
                self.err(
                    "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage",
                    &rloc,
                );
            }
            let condition = if ql == QueryLanguage::Jsonata {
                self.jsonata_condition(o, &rloc)
            } else {
                self.condition(o, &rloc, true)
            };
            // A malformed rule (reported) keeps its target for the graph checks.
            let condition = condition.unwrap_or(Condition::And(Vec::new()));
            choices.push(ChoiceRule {
                condition,
                next,
                assign,
                output,
                location: rloc,
            });
        }
        Some(ChoiceState { choices, default })
    }

    fn jsonata_condition(&mut self, o: &Map, loc: &str) -> Option<Condition> {
        for k in o.keys() {
            if !matches!(&**k, "Condition" | "Next" | "Assign" | "Output" | "Comment") {
                self.err(
                    format!("The QueryLanguage is set to 'JSONata', but field '{k}' is only supported for the 'JSONPath' QueryLanguage"),
                    loc,
                );
            }
        }
        match o.get("Condition") {
            Some(v @ Value::Bool(_)) => Some(Condition::Jsonata(v.clone())),
            Some(v @ Value::String(s)) if is_jsonata_expr(s) => Some(Condition::Jsonata(v.clone())),
            Some(_) => {
                self.err(
                    "The field 'Condition' must be a boolean or a JSONata expression",
                    &format!("{loc}/Condition"),
                );
                None
            }
            None => {
                self.err("These fields are required: [Condition]", loc);
                None
            }
        }
    }

    /// A JSONPath choice rule (CH-4): one of And / Or / Not / Variable + operator.
    fn condition(&mut self, o: &Map, loc: &str, top: bool) -> Option<Condition> {
        super::choice_rules::parse_condition(self, o, loc, top, 0)
    }

    pub(crate) fn err_at(&mut self, message: impl Into<String>, location: &str) {
        self.err(message, location);
    }

    fn wait(&mut self, m: &Map, loc: &str, ql: QueryLanguage) -> Option<WaitFor> {
        let present: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|f| m.contains_key(f))
            .collect();
        if present.len() != 1 {
            let msg = if present.is_empty() {
                "One of the fields [Seconds, SecondsPath, Timestamp, TimestampPath] is required"
                    .to_string()
            } else {
                format!("The fields [{}] are mutually exclusive", present.join(", "))
            };
            self.err(msg, loc);
            return None;
        }
        let field = present[0];
        let floc = format!("{loc}/{field}");
        let v = m.get(field)?;
        match field {
            "Seconds" => match (ql, v.as_str()) {
                (QueryLanguage::Jsonata, Some(s)) if is_jsonata_expr(s) => {
                    Some(WaitFor::Seconds(Dynamic::Jsonata(s.to_string())))
                }
                _ => self
                    .seconds(v, &floc, 0)
                    .map(|s| WaitFor::Seconds(Dynamic::Value(s))),
            },
            "SecondsPath" => self
                .reference_path(v, field, &floc)
                .map(|p| WaitFor::Seconds(Dynamic::Path(p))),
            "Timestamp" => match v.as_str() {
                Some(s) if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) => {
                    Some(WaitFor::Timestamp(Dynamic::Jsonata(s.to_string())))
                }
                Some(s) => match parse_timestamp(s) {
                    Some(ns) => Some(WaitFor::Timestamp(Dynamic::Value(
                        (ns / 1_000_000).clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                    ))),
                    None => {
                        self.err("String does not match RFC3339 timestamp", &floc);
                        None
                    }
                },
                None => {
                    self.err("String does not match RFC3339 timestamp", &floc);
                    None
                }
            },
            _ => self
                .reference_path(v, field, &floc)
                .map(|p| WaitFor::Timestamp(Dynamic::Path(p))),
        }
    }

    fn fail(&mut self, m: &Map, loc: &str, ql: QueryLanguage) -> FailState {
        let mut out = FailState::default();
        for (field, slot) in [("Error", &mut out.error), ("Cause", &mut out.cause)] {
            let path_field = format!("{field}Path");
            match (m.get(field), m.get(path_field.as_str())) {
                (Some(_), Some(_)) => self.err(
                    format!("The fields '{field}' and '{path_field}' are mutually exclusive"),
                    loc,
                ),
                (Some(Value::String(s)), None) => {
                    *slot = Some(if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) {
                        Dynamic::Jsonata(s.to_string())
                    } else {
                        Dynamic::Value(s.clone())
                    })
                }
                (Some(_), None) => self.err(
                    format!("The field '{field}' must be a string"),
                    &format!("{loc}/{field}"),
                ),
                (None, Some(Value::String(p))) => {
                    // FAIL-3: a reference path or a string-returning intrinsic.
                    match Expr::parse(p) {
                        Ok(_) => *slot = Some(Dynamic::Path(p.to_string())),
                        Err(why) => self.diags.push(
                            Diagnostic::schema(
                                format!("The value for the field '{path_field}' must be a valid JSONPath or a valid intrinsic function call"),
                                &format!("{loc}/{path_field}"),
                            )
                            .with_why(why),
                        ),
                    }
                }
                (None, Some(_)) => self.err(
                    format!("The value for the field '{path_field}' must be a valid JSONPath or a valid intrinsic function call"),
                    &format!("{loc}/{path_field}"),
                ),
                (None, None) => {}
            }
        }
        out
    }

    fn parallel(&mut self, m: &Map, loc: &str) -> Option<ParallelState> {
        let bloc = format!("{loc}/Branches");
        let Some(v) = m.get("Branches") else {
            self.err("These fields are required: [Branches]", loc);
            return None;
        };
        let Some(a) = v.as_array() else {
            self.err("The field 'Branches' must be an array", &bloc);
            return None;
        };
        if a.is_empty() {
            self.err("Value cannot be empty", &bloc);
        }
        let mut branches = Vec::new();
        for (i, b) in a.iter().enumerate() {
            let l = format!("{bloc}[{i}]");
            match b.as_object() {
                Some(o) => branches.extend(self.scope(o, &l, false)),
                None => self.err("A branch must be a JSON object", &l),
            }
        }
        Some(ParallelState { branches })
    }

    fn map(&mut self, m: &Map, loc: &str, ql: QueryLanguage) -> Option<MapState> {
        super::map_fields::parse_map(self, m, loc, ql)
    }

    pub(crate) fn scope_of(&mut self, obj: &Map, loc: &str) -> Option<Scope> {
        self.scope(obj, loc, false)
    }

    pub(crate) fn reference_path_of(
        &mut self,
        v: &Value,
        field: &str,
        loc: &str,
    ) -> Option<String> {
        self.reference_path(v, field, loc)
    }

    pub(crate) fn expect_string(&mut self, v: &Value, loc: &str) {
        if v.as_str().is_none() {
            let field = loc.rsplit('/').next().unwrap_or(loc).to_string();
            self.err(format!("The field '{field}' must be a string"), loc);
        }
    }

    /// A non-object among the states. When its name is a field of a machine (`QueryLanguage`,
    /// `TimeoutSeconds`, ...) or of a state (`Type`, `Next`, ...), it was most likely written
    /// at the wrong level, and the findings after it (a JSONata field refused under JSONPath)
    /// follow from that: say so, and mark it to be read first.
    fn not_a_state(&mut self, name: &str, loc: &str) {
        let d = Diagnostic::schema("A state must be a JSON object", loc);
        let d = if FIELDS_TOP.contains(&name) {
            d.with_why(format!(
                "'{name}' is a field, not a state: it is inside 'States', which holds only states; move it up one level, beside 'States'"
            ))
            .leading()
        } else if FIELDS_MISPLACED.contains(&name) {
            d.with_why(format!(
                "'{name}' is a state's field, not a state: it is directly inside 'States', which holds only states; move it into the state it belongs to"
            ))
            .leading()
        } else {
            d
        };
        self.diags.push(d);
    }

    pub(crate) fn diag(&mut self, code: DiagnosticCode, message: String, location: Option<String>) {
        self.diags.push(Diagnostic::new(code, message, location));
    }
}

/// Stand-in for a state whose type-specific fields could not be read: terminal, so that the
/// graph checks add nothing to the schema findings already reported. Never compiled: a
/// definition with findings is rejected.
fn placeholder(name: &Str, loc: &str, m: &Map) -> State {
    State {
        name: name.clone(),
        location: loc.to_string(),
        query_language: QueryLanguage::JsonPath,
        io: Io::default(),
        transition: match m.get("Next") {
            Some(Value::String(n)) => Transition::Next(n.clone()),
            _ => Transition::None,
        },
        kind: StateKind::Succeed,
    }
}

/// VAR-2: ID_Start then ID_Continue characters, at most 80.
pub fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    s.chars().count() <= 80 && chars.all(|c| c.is_alphanumeric() || c == '_')
}
