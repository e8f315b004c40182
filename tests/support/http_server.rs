//! A loopback HTTP/1.1 server (hyper, keep-alive) for the HTTP Task and `http:` handler
//! tests, on its own thread and runtime so that blocking tests (the CLI) cannot stall it.
//! It records every request and answers by path:
//!
//! | path | answer |
//! |---|---|
//! | `/echo` | 200 JSON: `{method, path, query, headers, body}` of the request |
//! | `/text` | 200 `text/plain` `hello, world` |
//! | `/json-as-text` | 200 `text/plain` `{"a": 1}` |
//! | `/binary` | 200 `image/png` bytes |
//! | `/status/NNN` | status NNN, JSON `{"message": "status NNN"}` |
//! | `/flaky` | 503 the first time, then 200 `{"ok": true}` |
//! | `/big/N` | 200 JSON: a string of N `x`s |
//! | `/add` | 200 `{"sum": a + b}` of a JSON `{a, b}` body |
//! | `/lambda-error` | 500 `{"errorType": "PaymentDeclined", "errorMessage": "card declined"}` |
//! | `/garbage` | 200 `text/html` `<html>oops` |
//! | `/token`, `/token-short` | OAuth: `{"access_token": "tok-N", "expires_in": 3600 (0)}` when the Basic credentials are `client-id:client-secret`, else 401 |
//! | `/protected` | 200 `{"ok": true}` when `Authorization: Bearer tok-…`, else 401 |

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    flaky: AtomicUsize,
    tokens: AtomicUsize,
    connections: AtomicUsize,
}

/// The running server.
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl TestServer {
    /// Starts a server on an ephemeral loopback port.
    pub fn start() -> TestServer {
        let state = Arc::new(State::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap()).unwrap();
                loop {
                    let Ok((s, _)) = l.accept().await else {
                        continue;
                    };
                    st.connections.fetch_add(1, Ordering::SeqCst);
                    let st = Arc::clone(&st);
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req| {
                            let st = Arc::clone(&st);
                            async move { Ok::<_, std::convert::Infallible>(answer(&st, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .serve_connection(TokioIo::new(s), svc)
                            .await;
                    });
                }
            });
        });
        TestServer {
            addr: rx.recv().unwrap(),
            state,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// The requests to `path`.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// How many TCP connections were accepted.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-test-server", "aslx")
        .body(Full::new(body.into()))
        .unwrap()
}

fn json(status: u16, v: serde_json::Value) -> Response<Full<Bytes>> {
    reply(status, "application/json", v.to_string())
}

async fn answer(st: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or("?").to_string(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).to_string(),
    };
    st.seen.lock().unwrap().push(seen.clone());
    let echo = || {
        let headers: serde_json::Map<String, serde_json::Value> = seen
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
            .collect();
        serde_json::json!({"method": seen.method, "path": seen.path, "query": seen.query,
                           "headers": headers, "body": seen.body})
    };
    let path = seen.path.as_str();
    if let Some(code) = path.strip_prefix("/status/") {
        let code: u16 = code.parse().unwrap_or(500);
        return json(
            code,
            serde_json::json!({"message": format!("status {code}")}),
        );
    }
    if let Some(n) = path.strip_prefix("/big/") {
        let n: usize = n.parse().unwrap_or(0);
        return reply(200, "application/json", format!("\"{}\"", "x".repeat(n)));
    }
    match path {
        "/echo" => json(200, echo()),
        "/text" => reply(200, "text/plain; charset=utf-8", "hello, world"),
        "/json-as-text" => reply(200, "text/plain", r#"{"a": 1}"#),
        "/binary" => reply(200, "image/png", vec![0x89u8, b'P', b'N', b'G', 0, 0xff]),
        "/flaky" => {
            if st.flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                json(503, serde_json::json!({"message": "try again"}))
            } else {
                json(200, serde_json::json!({"ok": true}))
            }
        }
        "/add" => {
            let v: serde_json::Value = serde_json::from_str(&seen.body).unwrap_or_default();
            let sum = v["a"].as_i64().unwrap_or(0) + v["b"].as_i64().unwrap_or(0);
            json(200, serde_json::json!({"sum": sum}))
        }
        "/lambda-error" => json(
            500,
            serde_json::json!({"errorType": "PaymentDeclined", "errorMessage": "card declined"}),
        ),
        "/garbage" => reply(200, "text/html", "<html>oops"),
        "/token" | "/token-short" => {
            use base64::Engine as _;
            let want = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("client-id:client-secret")
            );
            if seen.header("authorization") != Some(want.as_str()) {
                return json(401, serde_json::json!({"error": "invalid_client"}));
            }
            let n = st.tokens.fetch_add(1, Ordering::SeqCst) + 1;
            let ttl = if path == "/token" { 3600 } else { 0 };
            json(
                200,
                serde_json::json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": ttl}),
            )
        }
        "/protected" => match seen.header("authorization") {
            Some(a) if a.starts_with("Bearer tok-") => json(200, serde_json::json!({"ok": true})),
            _ => json(401, serde_json::json!({"message": "no token"})),
        },
        _ => json(404, serde_json::json!({"message": "no such path"})),
    }
}

/// A TCP server that reads one request and then never answers; reports when the client
/// closed the connection (the request was cancelled).
pub struct SilentServer {
    pub addr: SocketAddr,
    closed: std::sync::mpsc::Receiver<std::time::Instant>,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        use std::io::Read;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut s, _)) = l.accept() else { return };
            let mut buf = [0u8; 4096];
            // Read until the client hangs up: EOF or an error.
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(std::time::Instant::now());
        });
        SilentServer { addr, closed: rx }
    }

    /// When the client closed the connection, waiting at most `limit` without blocking the
    /// runtime (whose tasks may be the ones to close it).
    pub async fn closed_within(&self, limit: std::time::Duration) -> Option<std::time::Instant> {
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if let Ok(t) = self.closed.try_recv() {
                return Some(t);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        None
    }
}

/// A TCP server that answers every connection with bytes that are not HTTP.
pub fn garbage_server() -> SocketAddr {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6 not http at all\r\n\r\n");
        }
    });
    addr
}

/// A loopback port nobody listens on.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
