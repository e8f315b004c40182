//! The HTTP side: HTTP/1.1 with keep-alive and HTTP/2 (prior knowledge, h2c) on one port,
//! limits against hostile clients, AWS JSON 1.0 framing, graceful shutdown.

pub(crate) use super::body::BodyRules;
use super::body::{self, Budget};
pub(crate) use super::body::{read_body, BodyError};
use super::host::AllowedHosts;
use super::ops::Service;
use super::protocol::ApiError;
use super::sigv4::{self, Credentials};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Limits that keep one client from starving the others.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted; larger ones get HTTP 413 and the connection is closed.
    pub max_body_bytes: usize,
    /// A client must send a request's headers within this time (also closes idle
    /// keep-alive connections).
    pub header_read_timeout: Duration,
    /// Open connections at most; connections past it are closed at once.
    pub max_connections: usize,
    /// A connection with no request in flight and no bytes moving for this long is closed.
    pub idle_timeout: Duration,
    /// How long shutdown waits for in-flight requests; those still running then are answered
    /// `ServiceUnavailable` (503).
    pub drain_timeout: Duration,
    /// Time a request body's first bytes may take after its headers; the body must then keep
    /// up [`Limits::body_min_rate`], or it is answered 408 and the connection closed.
    pub body_timeout: Duration,
    /// Bytes per second a request body must arrive at, after [`Limits::body_timeout`].
    pub body_min_rate: u64,
    /// With `--auth`: bytes of request bodies not yet authenticated held at once, across all
    /// connections (at least one whole body); past it, reads wait.
    pub max_unauthenticated_bytes: usize,
    /// Names besides IP addresses and `localhost` that requests may carry as `Host` when the
    /// server has no `--auth` (the DNS-rebinding defence, see [`AllowedHosts`]).
    pub allowed_hosts: AllowedHosts,
}

impl Limits {
    /// How bodies of at most `limit` bytes are read.
    pub(crate) fn body_rules(&self, limit: usize) -> BodyRules {
        BodyRules {
            limit,
            timeout: self.body_timeout,
            min_rate: self.body_min_rate,
            // Draining costs bandwidth, not memory: a client that sends a body somewhat over
            // the limit reads its 413.
            discard_cap: (limit as u64).saturating_add(64 << 20),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            // A 1 MiB-character definition can be 4 MiB of UTF-8, then JSON-escaped.
            max_body_bytes: 8 << 20,
            header_read_timeout: Duration::from_secs(30),
            max_connections: 4096,
            idle_timeout: Duration::from_secs(60),
            drain_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            // A slow uplink still moves 16 KiB/s; the largest body then has ~9 minutes.
            body_min_rate: 16 << 10,
            max_unauthenticated_bytes: 32 << 20,
            allowed_hosts: AllowedHosts::default(),
        }
    }
}

struct Shared {
    service: Service,
    limits: Limits,
    auth: Option<Credentials>,
    /// The web console at `GET /` (its sessions under `--auth`).
    console: crate::console::Console,
    /// Requests answered, for `GET /metrics`.
    http: super::metrics::HttpCounters,
    /// The region requests must be signed for.
    region: String,
    body: BodyRules,
    /// Bytes of bodies not yet authenticated (with `auth`).
    budget: Budget,
}

const TARGET_PREFIX: &str = "AWSStepFunctions.";
/// CloudWatch Logs (AWS JSON 1.1): the execution log's log groups, read back.
const LOGS_PREFIX: &str = "Logs_20140328.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// CloudWatch Logs speaks AWS JSON 1.1.
const LOGS_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// EventBridge (AWS JSON 1.1): rules, targets, PutEvents.
const EVENTS_PREFIX: &str = "AWSEvents.";

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.listener.local_addr().ok())
            .field("limits", &self.shared.limits)
            .finish()
    }
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn bind(
        addr: SocketAddr,
        service: Service,
        limits: Limits,
        auth: Option<Credentials>,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let region = service.identity().region.clone();
        let body = limits.body_rules(limits.max_body_bytes);
        let budget = body::budget(limits.max_unauthenticated_bytes, limits.max_body_bytes);
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                service,
                limits,
                console: crate::console::Console::new(auth.as_ref()),
                auth,
                http: Default::default(),
                region,
                body,
                budget,
            }),
        })
    }

    /// The address the server listens on.
    ///
    /// # Errors
    ///
    /// As the OS reports it.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The web console's login token (`http://ADDR/?token=…`), printed at start-up when
    /// `--auth` is set.
    pub fn console_login_token(&self) -> Option<&str> {
        self.shared.console.login_token()
    }

    /// Serves until `shutdown` resolves, then stops accepting, wakes long polls, and waits up
    /// to the drain timeout for in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let shared = self.shared;
        let limits = shared.limits.clone();
        let stopping = Arc::clone(&shared);
        let on_stop = move || stopping.service.backend().shutdown();
        let handler = move |req, _peer| {
            let shared = Arc::clone(&shared);
            async move {
                let engine = shared.service.backend().engine();
                if let Some(r) = super::metrics::answer(&req, engine, &shared.http) {
                    return r;
                }
                let op = shared.http.operation(&req);
                let r = handle(&shared, req).await;
                shared.http.count(op, r.status());
                r
            }
        };
        serve_connections(self.listener, &limits, shutdown, on_stop, handler).await;
    }
}

/// The accept loop every listener shares (the API's, the routes'): the connection cap,
/// HTTP/1.1 keep-alive and HTTP/2 (h2c), header and idle timeouts. `handler` answers each
/// request, given the peer's address. Once `shutdown` resolves it stops accepting, calls
/// `on_stop`, and waits up to the drain timeout for in-flight requests.
pub(crate) async fn serve_connections<H, F>(
    listener: TcpListener,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
    on_stop: impl FnOnce(),
    handler: H,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .max_buf_size(64 << 10);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 << 10);
    let graceful = GracefulShutdown::new();
    // Raised when the drain timeout passes: requests still running are answered then.
    let (expire, expired) = tokio::sync::watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream); // over the connection cap
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let activity = Arc::new(Activity::default());
        let in_service = Arc::clone(&activity);
        let expired = expired.clone();
        let svc = hyper::service::service_fn(move |req| {
            let guard = InFlight::new(&in_service);
            let answer = handler(req, peer);
            let mut expired = expired.clone();
            async move {
                let r = tokio::select! {
                    r = answer => r,
                    _ = expired.wait_for(|e| *e) => drain_expired(),
                };
                drop(guard);
                Ok::<_, Infallible>(r)
            }
        });
        let io = Tracked {
            inner: stream,
            activity: Arc::clone(&activity),
        };
        let conn = builder.serve_connection(TokioIo::new(io), svc).into_owned();
        let conn = graceful.watch(conn);
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            tokio::pin!(conn);
            let tick = (idle / 2).max(Duration::from_millis(50));
            loop {
                tokio::select! {
                    _ = &mut conn => break,
                    _ = tokio::time::sleep(tick) => {
                        if activity.idle_for() >= idle {
                            break; // dropping the connection closes the socket
                        }
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    on_stop();
    let drained = graceful.shutdown();
    tokio::pin!(drained);
    if tokio::time::timeout(limits.drain_timeout, &mut drained)
        .await
        .is_err()
    {
        // Answer what is still running rather than drop it, and give the answers a moment
        // to be written.
        expire.send_replace(true);
        let _ = tokio::time::timeout(DRAIN_ANSWER_GRACE, &mut drained).await;
    }
}

/// How long the answers to requests cut off by the drain timeout have to be written.
const DRAIN_ANSWER_GRACE: Duration = Duration::from_secs(1);

/// The answer to a request still running when the drain timeout passes.
fn drain_expired() -> Response<Full<Bytes>> {
    let e = ApiError {
        status: 503,
        ..ApiError::new(
            "ServiceUnavailable",
            "The server is shutting down: the request did not finish within the drain timeout.",
        )
    };
    let mut r = error_response(&e);
    r.headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// When a connection last moved bytes, and how many of its requests are in flight.
#[derive(Debug)]
struct Activity {
    since: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Default for Activity {
    fn default() -> Activity {
        Activity {
            since: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }
}

impl Activity {
    fn touch(&self) {
        self.last_ms
            .store(self.since.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long nothing has happened; zero while a request is in flight.
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Duration::ZERO;
        }
        let now = self.since.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: &Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(a))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket that records when bytes last moved.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn respond(status: u16, body: Vec<u8>, error: Option<&'static str>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("x-amzn-RequestId", v);
    }
    if let Some(e) = error {
        h.insert("X-Amzn-ErrorType", HeaderValue::from_static(e));
    }
    r
}

fn error_response(e: &ApiError) -> Response<Full<Bytes>> {
    respond(e.status, e.body(), Some(e.code))
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if crate::console::claims(req.method(), req.uri().path()) {
        return crate::console::handle(&shared.console, &shared.service, &shared.body, req).await;
    }
    let (parts, body) = req.into_parts();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Authentication first, from the headers alone: a request that cannot be genuine is
    // answered before its body is read.
    let pending = match &shared.auth {
        None => {
            let host = parts
                .headers
                .get(http::header::HOST)
                .map(|h| h.to_str().unwrap_or("?"))
                .or_else(|| parts.uri.authority().map(|a| a.as_str()));
            if let Err(e) = shared.limits.allowed_hosts.check(host) {
                return error_response(&e);
            }
            None
        }
        Some(creds) => {
            let scope = sigv4::Scope {
                region: &shared.region,
                service: signing_service(target),
            };
            match sigv4::check_headers(creds, scope, &parts.headers, unix_now()) {
                Ok(p) => Some((creds, p)),
                Err(e) => {
                    // A small body is read and dropped so the connection can be reused; a
                    // large one is not read at all.
                    let mut r = error_response(&e);
                    if !body::discard(&parts.headers, body, &shared.body, REFUSED_BODY_READ).await {
                        r.headers_mut()
                            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    return r;
                }
            }
        }
    };
    let budget = pending.as_ref().map(|_| &shared.budget);
    let body = match read_body(&parts.headers, body, &shared.body, budget).await {
        Ok(b) => b,
        Err(e) => return body_error(&e, shared.body.limit),
    };
    if let Some((creds, pending)) = &pending {
        let request = sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            host: parts.uri.authority().map(|a| a.as_str()),
        };
        if let Err(e) = pending.verify(creds, &request, &body.bytes) {
            return error_response(&e);
        }
    }
    // Authenticated (or open): the budget is given back; the body is the request's now.
    let body = body.bytes;
    let json_1_1 = match (target, parts.method == http::Method::POST) {
        (t, true) if t.starts_with(LOGS_PREFIX) || t.starts_with(EVENTS_PREFIX) => Some(t),
        _ => None,
    };
    if let Some(t) = json_1_1 {
        let answer = match t.strip_prefix(LOGS_PREFIX) {
            Some(op) => shared.service.call_logs(op, &body).await,
            None => {
                let op = t.strip_prefix(EVENTS_PREFIX).unwrap_or(t);
                shared.service.call_events(op, &body).await
            }
        };
        let mut r = match answer {
            Ok(b) => respond(200, b, None),
            Err(e) => error_response(&e),
        };
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(LOGS_CONTENT_TYPE),
        );
        return r;
    }
    let op = match target.strip_prefix(TARGET_PREFIX) {
        Some(op) if parts.method == http::Method::POST => op,
        _ => return error_response(&ApiError::unknown_operation(target)),
    };
    let trace = parts
        .headers
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok());
    match shared.service.call(op, &body, trace).await {
        Ok(b) => respond(200, b, None),
        Err(e) => error_response(&e),
    }
}

/// Bytes of a request refused before its body that are still read (and dropped), so that
/// its connection serves the next request.
const REFUSED_BODY_READ: u64 = 64 << 10;

/// The SigV4 service name of the API a target belongs to.
fn signing_service(target: &str) -> &'static str {
    if target.starts_with(LOGS_PREFIX) {
        "logs"
    } else if target.starts_with(EVENTS_PREFIX) {
        "events"
    } else {
        "states"
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The answer to a body that was not read: 413, 408 or 400, AWS's common errors.
pub(crate) fn body_error(e: &BodyError, limit: usize) -> Response<Full<Bytes>> {
    let (err, close) = match e {
        BodyError::TooLarge { drained } => (
            ApiError {
                status: 413,
                ..ApiError::new(
                    "RequestEntityTooLargeException",
                    format!("Request body is larger than {limit} bytes"),
                )
            },
            !drained,
        ),
        BodyError::TimedOut => (
            ApiError {
                status: 408,
                ..ApiError::new(
                    "RequestTimeoutException",
                    "Problems with the request at the HTTP level. Reading the Request timed out.",
                )
            },
            true,
        ),
        BodyError::Unreadable(e) => (
            ApiError::serialization(format!("The request body could not be read: {e}")),
            true,
        ),
    };
    let mut r = error_response(&err);
    if close {
        // The rest of the body is not read: the connection cannot be reused.
        r.headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}
