//! The console tests' harness: an in-process `aslx serve` on loopback, raw HTTP and API
//! calls to it, and a headless Chromium page on its console (tests/support/browser.rs).
#![allow(dead_code)] // each console test file uses what it needs

use crate::browser::{self, Browser};
use aslx::engine::LogSink;
use aslx::serve::backend::Backend;
use aslx::serve::http::{Limits, Server};
use aslx::serve::ops::{Identity, Service};
use aslx::serve::sigv4::Credentials;
use aslx::{json, Handlers};
use serde_json::{json as sjson, Value as Json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const ROLE: &str = "arn:aws:iam::111111111111:role/aslx";
pub const SECONDS: Duration = Duration::from_secs(30);

/// An `aslx serve` on its own thread and runtime; its address and console login token.
pub fn serve(auth: Option<Credentials>, limits: Limits) -> (SocketAddr, Option<String>) {
    serve_with_log_dir(auth, limits, None)
}

/// [`serve`], with `aslx serve --log-dir DIR`'s log groups when `log_dir` is given.
pub fn serve_with_log_dir(
    auth: Option<Credentials>,
    limits: Limits,
    log_dir: Option<std::path::PathBuf>,
) -> (SocketAddr, Option<String>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut handlers = Handlers::new();
        handlers.function("ok", |v| Ok(v.clone()));
        handlers.function("boom", |_| {
            Err(aslx::TaskError::new("Boom", "the payment service said no"))
        });
        handlers.resource("arn:aws:states:::sqs:sendMessage", |_| {
            Ok(json!({"MessageId": "m-1"}))
        });
        let id = Identity {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "111111111111".into(),
        };
        let sink = log_dir
            .as_ref()
            .map(|d| LogSink::directory(d).expect("a writable --log-dir"));
        let backend = Backend::with_engine(handlers, &id, rt.handle().clone(), |b| {
            let b = b.max_in_flight(1000);
            match sink {
                Some(s) => b.log_sink(s),
                None => b,
            }
        })
        .unwrap();
        let mut service = Service::new(id, backend, None);
        if let Some(d) = &log_dir {
            service = service.with_log_dir(d);
        }
        let server = rt
            .block_on(Server::bind(
                "127.0.0.1:0".parse().unwrap(),
                service,
                limits,
                auth,
            ))
            .unwrap();
        let token = server.console_login_token().map(str::to_string);
        tx.send((server.local_addr().unwrap(), token)).unwrap();
        rt.block_on(server.run(std::future::pending()));
    });
    rx.recv().unwrap()
}

/// A raw HTTP/1.1 exchange on a fresh connection: status, headers (lower-case) and body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head[9..12].parse().unwrap();
    let hs = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, hs, rest.to_string())
}

pub fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// An API call at `POST /` (no --auth): its JSON answer, which must be a 200.
pub fn api(addr: SocketAddr, op: &str, body: Json) -> Json {
    let target = format!("AWSStepFunctions.{op}");
    let (status, _, text) = http(
        addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", &target),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        &body.to_string(),
    );
    let body = &text[text.find('{').unwrap_or(0)..text.rfind('}').map_or(0, |i| i + 1)];
    assert_eq!(status, 200, "{op}: {text}");
    serde_json::from_str(body).unwrap()
}

pub fn create(addr: SocketAddr, name: &str, ty: &str, def: &Json) -> String {
    let r = api(
        addr,
        "CreateStateMachine",
        sjson!({"name": name, "definition": def.to_string(), "roleArn": ROLE, "type": ty}),
    );
    r["stateMachineArn"].as_str().unwrap().to_string()
}

pub fn start(addr: SocketAddr, machine: &str, input: Json) -> String {
    let r = api(
        addr,
        "StartExecution",
        sjson!({"stateMachineArn": machine, "input": input.to_string()}),
    );
    r["executionArn"].as_str().unwrap().to_string()
}

pub struct Harness {
    pub browser: Browser,
    pub addr: SocketAddr,
    pub shots: Option<std::path::PathBuf>,
}

impl Harness {
    pub fn url(&self, hash: &str) -> String {
        format!("http://{}/{hash}", self.addr)
    }

    /// Loads the console afresh at `hash` (a new document, not a hash change).
    pub fn open(&mut self, hash: &str) {
        self.browser
            .call("Page.navigate", sjson!({"url": "about:blank"}));
        self.browser
            .wait_for("location.href === 'about:blank'", SECONDS, "a blank page");
        let url = self.url(hash);
        self.browser.open(&url);
    }

    pub fn shot(&mut self, name: &str) {
        if let Some(dir) = self.shots.clone() {
            std::fs::create_dir_all(&dir).unwrap();
            let png = self.browser.screenshot();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    pub fn eval(&mut self, js: &str) -> Json {
        self.browser.eval(js)
    }

    pub fn wait(&mut self, js: &str, what: &str) -> Json {
        self.browser.wait_for(js, SECONDS, what)
    }

    /// Sets an input's value as typing would (the page's input listeners run).
    pub fn type_into(&mut self, selector: &str, text: &str) {
        let js = format!(
            "(() => {{ const e = document.querySelector({sel}); e.value = {text}; e.dispatchEvent(new Event('input', {{bubbles: true}})); return true; }})()",
            sel = sjson!(selector),
            text = sjson!(text)
        );
        assert_eq!(self.eval(&js), sjson!(true), "no {selector}");
    }

    pub fn click(&mut self, selector: &str) {
        let js = format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false; e.dispatchEvent(new MouseEvent('click', {{bubbles: true, cancelable: true}})); return true; }})()",
            sjson!(selector)
        );
        assert_eq!(
            self.eval(&js),
            sjson!(true),
            "nothing to click at {selector}"
        );
    }

    /// `{state name: status}` of the drawn graph.
    pub fn statuses(&mut self) -> Json {
        self.eval("Object.fromEntries([...document.querySelectorAll('#graph .node')].map(n => [n.dataset.state, n.dataset.status]))")
    }
}

/// The chromium to drive, or `None` (and why, on stderr) where there is none; under
/// `CI=true` a missing one is a failure.
pub fn chromium() -> Option<String> {
    match browser::find_chromium() {
        Ok(c) => Some(c),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("CI=true but {e}"),
        Err(e) => {
            eprintln!("console browser tests not run: {e}");
            None
        }
    }
}

/// A browser of 1400×900 on the console at `addr` (screenshots as `ASLX_CONSOLE_SCREENSHOTS` says).
pub fn harness_at(chromium: &str, addr: SocketAddr) -> Harness {
    Harness {
        browser: Browser::start(chromium, 1400, 900),
        addr,
        shots: std::env::var_os("ASLX_CONSOLE_SCREENSHOTS").map(Into::into),
    }
}
