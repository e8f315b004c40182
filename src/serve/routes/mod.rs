//! HTTP routes that start state machines, as API Gateway's Step Functions integrations do:
//! `aslx serve --routes-bind ADDR --route 'POST /orders=OrderFlow:sync'` answers
//! `POST /orders` with the output of an `OrderFlow` execution. Routes have their own listener,
//! so the user's API and the AWS API never share a path space.
//!
//! - [`spec`]: the route syntax, checked at start-up.
//! - `table`: which route a request takes (API Gateway's precedence), 404 and 405.
//! - `input`: the execution input, as AWS CDK's `StepFunctionsIntegration.startExecution`
//!   request template builds it.
//!
//! A request, in order:
//!
//! 1. No route has its path: 404. A route has the path but not the method: 405 with `Allow`.
//! 2. A `Content-Type` other than `application/json`: 415 (CDK's integration maps no other
//!    type and passes nothing through; no `Content-Type` is JSON, as on API Gateway).
//! 3. A body over the limit (`--max-body-bytes`, at most 256 KiB: no larger input can start an
//!    execution): 413, and the connection is closed. A body that is not JSON: 400.
//! 4. The machine is resolved by the engine now, not at start-up (machines are created through
//!    the API after the server starts): one that does not exist is a 500 naming it
//!    (`StateMachineDoesNotExist`), as is a sync route to a STANDARD machine.
//! 5. The engine starts it ([`Engine::start_sync`] or [`Engine::start`]); a start refused
//!    because `--max-in-flight` executions run is 429 (`ThrottlingException`).
//! 6. The answer, as CDK's integration response renders it: sync — 200 with the output as the
//!    body, or 500 `{"error", "cause"}` for a FAILED or TIMED_OUT execution; async —
//!    200 `{"executionArn", "startDate"}` (seconds since the epoch, as StartExecution answers).
//!
//! Every error answer is `{"error": CODE, "cause": MESSAGE}` with `Content-Type:
//! application/json`; every answer has an `x-amzn-RequestId`.

mod input;
pub mod spec;
mod table;

use super::http::{read_body, serve_connections, BodyError, Limits};
use crate::engine::{Engine, EngineError, ErrorKind, StartRequest};
use crate::value::{parse_json_bytes, Value};
use crate::vm::Status;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
pub use spec::RouteSpec;
use spec::{Mapping, Start};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use table::{Lookup, Table};
use tokio::net::TcpListener;

/// The largest execution input (StartExecution's `input`): a larger body can never start one.
const MAX_INPUT_BYTES: usize = 262_144;

/// A set of routes, checked: no method and path twice, no two paths that differ only in
/// parameter names.
#[derive(Debug)]
pub struct Routes {
    table: Table,
}

impl Routes {
    /// Checks `specs` together.
    ///
    /// # Errors
    ///
    /// A route given twice, or two clashing paths, named.
    pub fn new(specs: Vec<RouteSpec>) -> Result<Routes, String> {
        Ok(Routes {
            table: Table::new(specs)?,
        })
    }

    /// How many routes.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// No routes at all (every request is a 404).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Router {
    routes: Routes,
    engine: Arc<Engine>,
    /// The server's account: `accountId` of the request context.
    account: String,
    body: crate::serve::body::BodyRules,
}

/// The routes listener, bound, not yet running.
pub struct RoutesServer {
    listener: TcpListener,
    router: Arc<Router>,
    limits: Limits,
}

impl std::fmt::Debug for RoutesServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutesServer")
            .field("addr", &self.listener.local_addr().ok())
            .field("routes", &self.router.routes.len())
            .finish()
    }
}

impl RoutesServer {
    /// Binds `addr` (port 0 picks a free port) for `routes`, which start executions on
    /// `engine`; `account` is the `accountId` of request contexts. The connection limits are
    /// the API's; the body limit is `limits.max_body_bytes` or 256 KiB, the smaller.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn bind(
        addr: SocketAddr,
        routes: Routes,
        engine: Arc<Engine>,
        account: &str,
        limits: Limits,
    ) -> std::io::Result<RoutesServer> {
        let listener = TcpListener::bind(addr).await?;
        Ok(RoutesServer {
            listener,
            router: Arc::new(Router {
                routes,
                engine,
                account: account.to_string(),
                body: limits.body_rules(limits.max_body_bytes.min(MAX_INPUT_BYTES)),
            }),
            limits,
        })
    }

    /// The address it listens on.
    ///
    /// # Errors
    ///
    /// As the OS reports it.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting and waits up to the drain
    /// timeout for in-flight requests (sync executions among them).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let router = self.router;
        let handler = move |req, peer| {
            let router = Arc::clone(&router);
            async move { router.handle(req, peer).await }
        };
        serve_connections(self.listener, &self.limits, shutdown, || {}, handler).await;
    }
}

impl Router {
    async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (parts, body) = req.into_parts();
        let path = parts.uri.path();
        let (route, resource, params) = match self.routes.table.find(&parts.method, path) {
            Lookup::Route(r, res, p) => (r, res, p),
            Lookup::WrongMethod(allow) => {
                let mut r = error(
                    405,
                    "MethodNotAllowed",
                    &format!(
                        "{} {path}: this path has routes for {} only",
                        parts.method,
                        allow.join(", ")
                    ),
                    &request_id,
                );
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    r.headers_mut().insert(http::header::ALLOW, v);
                }
                return r;
            }
            Lookup::Nothing => {
                return error(
                    404,
                    "NotFound",
                    &format!("no route for {} {path}", parts.method),
                    &request_id,
                )
            }
        };
        if let Some(ct) = foreign_content_type(&parts.headers) {
            let cause = format!(
                "Content-Type {ct:?}: routes take application/json bodies only (API Gateway's Step Functions integration maps no other type)"
            );
            return error(415, "UnsupportedMediaType", &cause, &request_id);
        }
        let limit = self.body.limit;
        let body = match read_body(&parts.headers, body, &self.body, None).await {
            Ok(b) => b.bytes,
            Err(BodyError::TimedOut) => {
                let mut r = error(
                    408,
                    "RequestTimeout",
                    "the request body did not arrive in time",
                    &request_id,
                );
                r.headers_mut()
                    .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                return r;
            }
            Err(BodyError::TooLarge { .. }) => {
                let mut r = error(
                    413,
                    "RequestTooLarge",
                    &format!("the request body is larger than {limit} bytes"),
                    &request_id,
                );
                // The rest of the body is not read: the connection cannot be reused.
                r.headers_mut()
                    .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                return r;
            }
            Err(BodyError::Unreadable(e)) => {
                let cause = format!("the request body could not be read: {e}");
                return error(400, "BadRequestBody", &cause, &request_id);
            }
        };
        let blank = body.iter().all(u8::is_ascii_whitespace);
        let raw_text;
        let req = StartRequest::new(&route.machine);
        let req = match &route.mapping {
            // The engine parses the text: a body that is not JSON comes back as
            // InvalidExecutionInput (400 below).
            Mapping::Raw => {
                raw_text = match std::str::from_utf8(&body) {
                    Ok(_) if blank => "{}",
                    Ok(t) => t,
                    Err(e) => {
                        let cause = format!("the request body is not UTF-8: {e}");
                        return error(400, "BadRequestBody", &cause, &request_id);
                    }
                };
                req.input_json(raw_text)
            }
            Mapping::Mapped(inc) => {
                let body = if blank {
                    Value::empty_object()
                } else {
                    match parse_json_bytes(&body) {
                        Ok(v) => v,
                        Err(e) => {
                            let cause = format!("the request body is not JSON: {e}");
                            return error(400, "BadRequestBody", &cause, &request_id);
                        }
                    }
                };
                let facts = input::Request {
                    method: parts.method.as_str(),
                    headers: &parts.headers,
                    query: parts.uri.query(),
                    params: &params,
                    peer,
                    request_id: &request_id,
                    account: &self.account,
                    resource_id: &resource.id,
                    resource_path: &resource.template.text,
                };
                req.input(input::mapped(inc, body, &facts))
            }
        };
        match route.start {
            Start::Sync => match self.engine.start_sync(req).await {
                Ok(done) => match (&done.outcome.status, &done.outcome.output) {
                    (Status::Succeeded, Some(out)) => respond(200, out.to_json(), &request_id),
                    _ => {
                        let o = &done.outcome;
                        let body = serde_json::json!({
                            "error": o.error.as_deref().unwrap_or_default(),
                            "cause": o.cause.as_deref().unwrap_or_default(),
                        });
                        respond(500, body.to_string(), &request_id)
                    }
                },
                Err(e) => refused(route, &e, &request_id),
            },
            Start::Async => match self.engine.start(req) {
                Ok(started) => respond(200, started.to_json().to_json(), &request_id),
                Err(e) => refused(route, &e, &request_id),
            },
        }
    }
}

/// A `Content-Type` other than `application/json` (parameters aside), when there is one: CDK's
/// integration has a request template for `application/json` only and passes nothing else
/// through (`passthroughBehavior: NEVER`), so API Gateway answers 415; no header is JSON.
fn foreign_content_type(headers: &http::HeaderMap) -> Option<String> {
    let v = headers.get(http::header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(v.as_bytes());
    let media = text.split(';').next().unwrap_or_default().trim();
    (!media.eq_ignore_ascii_case("application/json")).then(|| text.into_owned())
}

/// An engine refusal: throttled 429, a body that is not JSON 400, an input over the limit 413,
/// shutting down 503; anything else (no such machine, a sync route to a STANDARD machine) is
/// the route's fault, 500, named.
fn refused(route: &RouteSpec, e: &EngineError, request_id: &str) -> Response<Full<Bytes>> {
    match e.kind() {
        ErrorKind::Throttling => error(429, e.code(), e.message(), request_id),
        ErrorKind::ShuttingDown => error(503, e.code(), e.message(), request_id),
        ErrorKind::InvalidExecutionInput => {
            let cause = format!("the request body is not JSON: {}", e.message());
            error(400, "BadRequestBody", &cause, request_id)
        }
        ErrorKind::Validation => error(413, "RequestTooLarge", e.message(), request_id),
        _ => {
            let cause = format!(
                "route {} (state machine {:?}): {}",
                route.key(),
                route.machine,
                e.message()
            );
            error(500, e.code(), &cause, request_id)
        }
    }
}

fn error(status: u16, code: &str, cause: &str, request_id: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "error": code, "cause": cause });
    respond(status, body.to_string(), request_id)
}

fn respond(status: u16, body: String, request_id: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", v);
    }
    r
}
