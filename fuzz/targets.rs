//! The fuzz targets: one function per parser or interpreter, taking arbitrary bytes and
//! returning normally whatever they are. A panic, an abort or a hang is a finding.
//!
//! Shared by the AFL binaries (`fuzz/src/bin/*.rs`) and by `tests/fuzz_smoke.rs`, which runs
//! every target over its seeds in `cargo test`, so the harnesses keep building without a
//! fuzzer installed. Inputs with two parts split them at the first NUL byte
//! (`expression \0 JSON document`); a missing or unreadable document is `{}`.

#![allow(dead_code)]

use aslx::jsonata::{Expression, Limits, StatesBindings};
use aslx::path::{Env, Intrinsic, Path};
use aslx::{MachineType, Value};
use std::time::Duration;

/// A target: arbitrary bytes in, nothing out.
pub type Target = fn(&[u8]);

/// Every target, by name (the AFL binary's name and the corpus directory's).
pub const TARGETS: &[(&str, Target)] = &[
    ("definition", definition),
    ("jsonpath", jsonpath),
    ("intrinsic", intrinsic),
    ("jsonata", jsonata),
    ("request", request),
    ("sigv4", sigv4),
    ("mock_config", mock_config),
    ("event_pattern", event_pattern),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `head \0 document`: the head as text, the document as JSON (`{}` when absent or invalid).
fn split(data: &[u8]) -> Option<(&str, Value)> {
    let (head, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let doc = text(rest)
        .and_then(|t| aslx::parse_json(t).ok())
        .unwrap_or_else(|| Value::from(aslx::Map::new()));
    Some((text(head)?, doc))
}

/// A definition (first byte odd: EXPRESS, else STANDARD): parse, validate, compile.
pub fn definition(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Some(t) = text(rest) else { return };
    let ty = if kind & 1 == 1 {
        MachineType::Express
    } else {
        MachineType::Standard
    };
    if let Ok(model) = aslx::asl::parse_definition(t, ty) {
        let _ = aslx::compile::compile(&model);
    }
}

/// A JSONPath or reference path, evaluated against the document and used as a ResultPath
/// into it.
pub fn jsonpath(data: &[u8]) {
    let Some((p, doc)) = split(data) else { return };
    let Ok(path) = Path::parse(p) else { return };
    let ctx = Value::from(aslx::Map::new());
    let _ = path.eval(&Env::new(&doc, &ctx));
    let mut target = doc.clone();
    let _ = path.set(&mut target, Value::from("result"));
}

/// An intrinsic function call, evaluated against the document (also as `$$`).
pub fn intrinsic(data: &[u8]) {
    let Some((call, doc)) = split(data) else {
        return;
    };
    if let Ok(f) = Intrinsic::parse(call) {
        let _ = f.eval(&Env::new(&doc, &doc));
    }
}

/// A JSONata expression, compiled and evaluated with the document as input and
/// `$states.input`, under small limits (a slow builtin shows as a hang).
pub fn jsonata(data: &[u8]) {
    let Some((src, doc)) = split(data) else {
        return;
    };
    let Ok(e) = Expression::compile(src) else {
        return;
    };
    let bindings = StatesBindings {
        input: Some(&doc),
        result: None,
        error_output: None,
        context: Some(&doc),
        variables: None,
    };
    let limits = Limits {
        max_steps: Some(100_000),
        timeout: Some(Duration::from_secs(1)),
        ..Limits::default()
    };
    let _ = e.evaluate_with(Some(&doc), &bindings, &limits);
}

/// `Operation \0 body`: one Step Functions API request, decoded, checked and answered by a
/// server of its own (operations that wait, long polls and sync executions, are left out).
pub fn request(data: &[u8]) {
    let (op, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Some(op) = text(op) else { return };
    if matches!(op, "GetActivityTask" | "StartSyncExecution" | "TestState") {
        return;
    }
    request_server::with(|rt, service| {
        let _ = rt.block_on(service.call(op, body, None));
    });
}

mod request_server {
    use aslx::serve::backend::Backend;
    use aslx::serve::ops::{Identity, Service};
    use std::sync::OnceLock;

    struct Held {
        rt: tokio::runtime::Runtime,
        service: Service,
    }

    /// One server for the process: the fuzzer runs many inputs in one process.
    pub(super) fn with(f: impl FnOnce(&tokio::runtime::Runtime, &Service)) {
        static HELD: OnceLock<Option<Held>> = OnceLock::new();
        let held = HELD.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            let id = Identity {
                partition: "aws".into(),
                region: "us-east-1".into(),
                account: "111111111111".into(),
            };
            let backend =
                Backend::new(aslx::Handlers::new(), &id, 1000, rt.handle().clone()).ok()?;
            let service = Service::new(id, backend, None);
            Some(Held { rt, service })
        });
        if let Some(h) = held {
            f(&h.rt, &h.service);
        }
    }
}

/// Header lines (`name: value`), checked as `aslx serve --auth` checks a request's headers,
/// at the time of AWS's published example; the signature then over an empty body.
pub fn sigv4(data: &[u8]) {
    use aslx::serve::sigv4::{check_headers, Credentials, Request, Scope};
    let Some(t) = text(data) else { return };
    let mut headers = http::HeaderMap::new();
    for line in t.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.trim().as_bytes()),
            http::HeaderValue::from_str(v.trim()),
        ) {
            headers.append(k, v);
        }
    }
    let creds = Credentials {
        access_key: "AKIDEXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
    };
    let scope = Scope {
        region: "us-east-1",
        service: "iam",
    };
    if let Ok(p) = check_headers(&creds, scope, &headers, 1_440_938_160) {
        let req = Request {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            host: None,
        };
        let _ = p.verify(&creds, &req, b"");
    }
}

/// A Step Functions Local mock configuration file.
pub fn mock_config(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = aslx::serve::mock::MockConfig::parse(t);
    }
}

/// `pattern \0 event`: an EventBridge event pattern, compiled and matched.
pub fn event_pattern(data: &[u8]) {
    let Some((p, event)) = split(data) else {
        return;
    };
    if let Ok(pattern) = aslx::events::Pattern::new(p) {
        let _ = pattern.matches(&event);
    }
}
