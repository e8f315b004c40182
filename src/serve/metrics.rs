//! `GET /metrics` and `GET /health` on the API's listener, and the HTTP request counters.
//!
//! - `GET /metrics`: the engine's counters ([`EngineMetrics`](crate::engine::EngineMetrics),
//!   per machine) and the API requests answered, by API, operation and status code, in
//!   Prometheus' text format. Neither is behind `--auth` (a scraper cannot sign SigV4): bind
//!   to loopback, the default, where that matters.
//! - `GET /health`: `200 {"status":"ok",...}` while the server serves, `503` with
//!   `"status":"shutting down"` once a shutdown began (so a load balancer stops sending).
//!
//! The request counters are a fixed table of atomics, one row per operation the server knows
//! (plus one for the rest) and one column per common status code (plus one for the rest): one
//! relaxed add per request, no lock, and a label set that cannot grow with what clients send.

use super::ops::{EVENT_OPERATIONS, LOG_OPERATIONS, OPERATIONS};
use crate::engine::Engine;
use crate::runtime::sync::{AtomicU64, Ordering};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use std::fmt::Write;

/// Status codes counted by themselves; the others are counted together as `other`.
const STATUSES: [u16; 12] = [200, 400, 403, 404, 405, 408, 409, 413, 429, 500, 503, 504];

/// The APIs and their `X-Amz-Target` prefixes, in table order.
const APIS: [(&str, &str, &[&str]); 3] = [
    ("states", "AWSStepFunctions.", OPERATIONS),
    ("logs", "Logs_20140328.", LOG_OPERATIONS),
    ("events", "AWSEvents.", EVENT_OPERATIONS),
];

/// Rows after the operations': the two paths answered here, then everything else.
const EXTRA: [(&str, &str); 3] = [
    ("http", "GetMetrics"),
    ("http", "GetHealth"),
    ("unknown", "unknown"),
];

/// A row of the request table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operation(usize);

/// Requests answered, by operation and status code.
#[derive(Debug)]
pub(crate) struct HttpCounters {
    rows: Box<[[AtomicU64; STATUSES.len() + 1]]>,
}

impl Default for HttpCounters {
    fn default() -> Self {
        let n = APIS.iter().map(|a| a.2.len()).sum::<usize>() + EXTRA.len();
        HttpCounters {
            rows: (0..n).map(|_| Default::default()).collect(),
        }
    }
}

impl HttpCounters {
    /// The operation a request's `X-Amz-Target` names (unknown ones share a row).
    pub(crate) fn operation<B>(&self, req: &Request<B>) -> Operation {
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut base = 0;
        for (_, prefix, ops) in APIS {
            if let Some(op) = target.strip_prefix(prefix) {
                if let Some(i) = ops.iter().position(|o| *o == op) {
                    return Operation(base + i);
                }
            }
            base += ops.len();
        }
        Operation(self.rows.len() - 1)
    }

    /// One request of `op` answered with `status`.
    pub(crate) fn count(&self, op: Operation, status: StatusCode) {
        let s = status.as_u16();
        let col = STATUSES
            .iter()
            .position(|c| *c == s)
            .unwrap_or(STATUSES.len());
        if let Some(row) = self.rows.get(op.0) {
            row[col].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `(api, operation)` of each row, in order.
    fn names(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        APIS.iter()
            .flat_map(|(api, _, ops)| ops.iter().map(move |o| (*api, *o)))
            .chain(EXTRA)
    }

    fn write_prometheus(&self, out: &mut String) {
        out.push_str("# HELP aslx_http_requests_total API requests answered, by API, operation and status code.\n# TYPE aslx_http_requests_total counter\n");
        for ((api, op), row) in self.names().zip(self.rows.iter()) {
            for (col, n) in row.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                let code = match STATUSES.get(col) {
                    Some(c) => c.to_string(),
                    None => "other".to_string(),
                };
                let _ = writeln!(
                    out,
                    "aslx_http_requests_total{{api=\"{api}\",operation=\"{op}\",code=\"{code}\"}} {n}"
                );
            }
        }
    }
}

/// The answer to `GET /metrics` or `GET /health` (`HEAD` too), or `None` for any other
/// request.
pub(crate) fn answer<B>(
    req: &Request<B>,
    engine: &Engine,
    http: &HttpCounters,
) -> Option<Response<Full<Bytes>>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return None;
    }
    let (row, response) = match req.uri().path() {
        "/metrics" => {
            let mut body = engine.metrics().to_prometheus();
            http.write_prometheus(&mut body);
            (
                0,
                text(
                    StatusCode::OK,
                    body,
                    "text/plain; version=0.0.4; charset=utf-8",
                ),
            )
        }
        "/health" => {
            let (status, word) = match engine.is_shutting_down() {
                false => (StatusCode::OK, "ok"),
                true => (StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
            };
            let body = format!(
                "{{\"status\":\"{word}\",\"inFlight\":{},\"openTaskTokens\":{}}}",
                engine.in_flight(),
                engine.open_tokens()
            );
            (1, text(status, body, "application/json"))
        }
        _ => return None,
    };
    let ops: usize = APIS.iter().map(|a| a.2.len()).sum();
    http.count(Operation(ops + row), response.status());
    Some(response)
}

fn text(status: StatusCode, body: String, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    r
}
