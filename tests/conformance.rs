//! The AWS-recorded conformance corpus as a test: every case under `../shared/conformance/cases`
//! (or `$ASLX_CONFORMANCE_DIR`) runs through the real engine — parse, validate, compile, link,
//! and the tokio driver on a paused clock, so Wait states, retry intervals and task timeouts
//! take virtual time with the same outcome.
//!
//! The checked-in list `tests/conformance/known_failures.txt` holds the ids expected to fail.
//! The test fails when a case off the list fails, and when a case on the list passes, so the
//! list only shrinks. `ASLX_CONFORMANCE_FILTER=substring` runs a subset;
//! `ASLX_CONFORMANCE_WRITE_KNOWN=1` rewrites the list from the current run.

#[path = "support/corpus.rs"]
mod corpus;

use aslx::path::{Env, NoVars, Path};
use aslx::{
    ExecutionInfo, Handlers, Machine, MachineError, MachineType, RunOptions, TaskError, Value,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn cases_dir() -> PathBuf {
    match std::env::var_os("ASLX_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases"),
    }
}

fn known_failures_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/known_failures.txt")
}

fn load_cases() -> Vec<(String, serde_json::Value)> {
    let files = corpus::json_files(&cases_dir());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let case: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let id = case["id"].as_str().unwrap_or_default().to_string();
            (id, case)
        })
        .collect()
}

/// The handler behaviours of the corpus README.
fn behaviour(word: &str) -> Arc<dyn Fn(Value) -> aslx::HandlerResult + Send + Sync> {
    use aslx::HandlerResult::{Pending, Ready};
    if word == "identity" {
        return Arc::new(|v| Ready(Ok(v)));
    }
    if let Some(json) = word.strip_prefix("return:") {
        let v = aslx::parse_json(json).expect("return: JSON");
        return Arc::new(move |_| Ready(Ok(v.clone())));
    }
    if let Some(rest) = word.strip_prefix("raise:") {
        let (ty, msg) = rest.split_once(':').unwrap_or((rest, ""));
        let (ty, msg) = (ty.to_string(), msg.to_string());
        return Arc::new(move |_| {
            let payload = aslx::json!({
                "errorMessage": msg,
                "errorType": ty,
                // The recordings normalise request ids to this placeholder; the README lists
                // them as ignored, but some causes embed them in text.
                "requestId": "<request-id>",
                "stackTrace": [format!("  File \"/var/task/handler.py\", line 2, in handler\n    raise {ty}(\"{msg}\")\n")]
            });
            Ready(Err(TaskError::lambda_payload(payload)))
        });
    }
    if let Some(secs) = word.strip_prefix("sleep_then_identity:") {
        let secs: f64 = secs.parse().expect("seconds");
        return Arc::new(move |v| {
            Pending(Box::pin(async move {
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                Ok(v)
            }))
        });
    }
    if let Some(n) = word.strip_prefix("oversized_raw_payload:") {
        let n: usize = n.parse().expect("size");
        return Arc::new(move |_| Ready(Ok(Value::from("a".repeat(n)))));
    }
    if let Some(prefix) = word.strip_prefix("python_str_with_prefix:") {
        let prefix = prefix.to_string();
        return Arc::new(move |v| Ready(Ok(Value::from(format!("{prefix}{}", v.to_json())))));
    }
    panic!("unknown handler behaviour {word:?}")
}

struct Fn_(Arc<dyn Fn(Value) -> aslx::HandlerResult + Send + Sync>);
impl aslx::Handler for Fn_ {
    fn call(&self, input: Value) -> aslx::HandlerResult {
        (self.0)(input)
    }
}

fn handlers(case: &serde_json::Value) -> Handlers {
    let mut h = Handlers::new();
    if let Some(map) = case["handlers"].as_object() {
        for (name, word) in map {
            let word = word.as_str().unwrap_or("identity");
            if word == "not_found" {
                continue;
            }
            let f = behaviour(word);
            if name.starts_with("arn:") {
                h.resource_handler(name, Fn_(f.clone()));
            }
            h.function_handler(name, Fn_(f));
        }
    }
    h
}

fn info(case: &serde_json::Value, id: &str) -> ExecutionInfo {
    let mut info = ExecutionInfo::anonymous("StateMachine-1", 1_700_000_000_000);
    let ctx = &case["context"];
    let s = |v: &serde_json::Value| v.as_str().map(Arc::from);
    if let Some(v) = s(&ctx["Execution"]["Id"]) {
        info.set_id(v);
    }
    if let Some(v) = s(&ctx["Execution"]["Name"]) {
        info.set_name(v);
    }
    if let Some(v) = s(&ctx["Execution"]["RoleArn"]) {
        info.role_arn = v;
    }
    if let Some(v) = s(&ctx["StateMachine"]["Id"]) {
        info.machine_id = v;
    }
    if let Some(v) = s(&ctx["StateMachine"]["Name"]) {
        info.machine_name = v;
    }
    // CTX-2: sync express executions have no RedriveCount; the others have 0.
    info.redrive_count = if id.contains("express_sync") || id.contains("sync_execution") {
        None
    } else {
        Some(0)
    };
    info
}

/// Runs one case; `Err` holds a one-line difference.
fn run_case(id: &str, case: &serde_json::Value) -> Result<(), String> {
    let expected = &case["expected"];
    let status = expected["status"].as_str().unwrap_or_default();
    let machine_type = match case["state_machine_type"].as_str() {
        Some("EXPRESS") => MachineType::Express,
        _ => MachineType::Standard,
    };
    let definition = match &case["definition"] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let machine = Machine::new("StateMachine-1", &definition, machine_type, &handlers(case));
    let machine = match (machine, status) {
        (Err(MachineError::Definition(_)), "INVALID_DEFINITION") => return Ok(()),
        (Err(e), _) => return Err(format!("machine not created: {e}")),
        (Ok(_), "INVALID_DEFINITION") => return Err("definition accepted; AWS rejected it".into()),
        (Ok(m), _) => m,
    };
    let input: Value = Value::from(&case["input"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let opts = RunOptions {
        info: Some(info(case, id)),
        max_duration: None,
    };
    let outcome = rt.block_on(machine.run_with(input, opts));
    let mut actual: serde_json::Value = (&outcome.to_json()).into();
    let mut expected = expected.clone();
    if let Some(obj) = expected.as_object_mut() {
        for k in ["diagnostic_codes", "diagnostics"] {
            obj.remove(k);
        }
    }
    // cause_json: compare the actual cause parsed as JSON.
    if expected.get("cause_json").is_some() {
        if let Some(c) = actual
            .get("cause")
            .and_then(|c| c.as_str())
            .map(str::to_string)
        {
            let parsed: serde_json::Value =
                serde_json::from_str(&c).map_err(|_| format!("cause is not JSON: {c}"))?;
            let o = actual.as_object_mut().unwrap();
            o.remove("cause");
            o.insert("cause_json".into(), parsed);
        }
    }
    let pattern = expected
        .as_object_mut()
        .and_then(|o| o.remove("cause_pattern"));
    let mut paths: Vec<&str> = Vec::new();
    for key in ["ignore_paths", "informative_paths"] {
        if let Some(a) = case[key].as_array() {
            paths.extend(a.iter().filter_map(|p| p.as_str()));
        }
    }
    let mut act = Value::from(&actual);
    let mut exp = Value::from(&expected);
    for p in paths {
        null_out(&mut exp, p);
        null_out(&mut act, p);
    }
    if let Some(pat) = pattern {
        let pat = pat.as_str().unwrap_or_default();
        let re =
            regex::Regex::new(&format!("^(?:{pat})$")).map_err(|e| format!("bad pattern: {e}"))?;
        let cause = act
            .get("cause")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !re.is_match(&cause) {
            return Err(format!("cause {cause:?} does not match {pat:?}"));
        }
        if let Some(o) = act.as_object_mut() {
            o.remove("cause");
        }
    }
    if act != exp {
        return Err(first_difference(&exp, &act, "$"));
    }
    Ok(())
}

fn null_out(doc: &mut Value, path: &str) {
    let Ok(p) = Path::parse(path) else { return };
    let env = Env {
        input: doc,
        context: &Value::Null,
        vars: &NoVars,
    };
    if p.eval(&env).is_ok() {
        let _ = p.set(doc, Value::Null);
    }
}

fn first_difference(exp: &Value, act: &Value, at: &str) -> String {
    match (exp, act) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a.iter() {
                match b.get(k) {
                    None => return format!("{at}.{k}: missing, expected {}", clip(v)),
                    Some(w) if v != w => return first_difference(v, w, &format!("{at}.{k}")),
                    _ => {}
                }
            }
            for (k, w) in b.iter() {
                if !a.contains_key(k) {
                    return format!("{at}.{k}: unexpected {}", clip(w));
                }
            }
            format!("{at}: differs")
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b.iter()).enumerate() {
                if v != w {
                    return first_difference(v, w, &format!("{at}[{i}]"));
                }
            }
            format!("{at}: differs")
        }
        _ => format!("{at}: expected {}, got {}", clip(exp), clip(act)),
    }
}

fn clip(v: &Value) -> String {
    let s = v.to_json();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

#[test]
fn conformance() {
    let filter = std::env::var("ASLX_CONFORMANCE_FILTER").ok();
    let mut tally = corpus::Tally::new(
        "conformance",
        known_failures_file(),
        "ASLX_CONFORMANCE_WRITE_KNOWN",
        "# Conformance cases expected to fail, one id a line (text after # is the difference seen).\n# The conformance test fails when a case here passes: remove it.\n",
    );
    for (id, case) in load_cases() {
        if filter.as_deref().is_some_and(|f| !id.contains(f)) {
            continue;
        }
        let result = std::panic::catch_unwind(|| run_case(&id, &case))
            .unwrap_or_else(|_| Err("panicked".to_string()));
        tally.record(id, result);
    }
    tally.finish(0, "");
}
