//! The HTTP side: HTTP/1.1 with keep-alive and HTTP/2 (prior knowledge, h2c) on one port,
//! limits against hostile clients, AWS JSON 1.0 framing, graceful shutdown.

use super::ops::Service;
use super::protocol::ApiError;
use super::sigv4::{self, Credentials};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
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
    /// How long shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
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
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                service,
                limits,
                console: crate::console::Console::new(auth.as_ref()),
                auth,
                http: Default::default(),
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
        let svc = hyper::service::service_fn(move |req| {
            let guard = InFlight::new(&in_service);
            let answer = handler(req, peer);
            async move {
                let r = answer.await;
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
    let _ = tokio::time::timeout(limits.drain_timeout, graceful.shutdown()).await;
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

/// Why a request body was not read.
pub(crate) enum BodyError {
    /// Over the limit (declared or sent): answer 413 and close the connection.
    TooLarge,
    /// The connection failed or the body was malformed.
    Unreadable(String),
}

/// Reads a request body of at most `limit` bytes; a declared length over it is refused before
/// anything is read.
pub(crate) async fn read_body(
    headers: &http::HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(BodyError::TooLarge)
        }
        Err(e) => Err(BodyError::Unreadable(e.to_string())),
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if crate::console::claims(req.method(), req.uri().path()) {
        let limit = shared.limits.max_body_bytes;
        return crate::console::handle(&shared.console, &shared.service, limit, req).await;
    }
    let (parts, body) = req.into_parts();
    let limit = shared.limits.max_body_bytes;
    let body = match read_body(&parts.headers, body, limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(limit),
        Err(BodyError::Unreadable(e)) => {
            return error_response(&ApiError::serialization(format!(
                "The request body could not be read: {e}"
            )))
        }
    };
    if let Some(creds) = &shared.auth {
        let host = parts.uri.authority().map(|a| a.as_str());
        if let Err(e) = sigv4::verify(
            creds,
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query().unwrap_or(""),
            &parts.headers,
            host,
            &body,
        ) {
            let status = if e.code == "MissingAuthenticationTokenException" {
                403
            } else {
                400
            };
            return error_response(&ApiError { status, ..e });
        }
    }
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
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

fn too_large(limit: usize) -> Response<Full<Bytes>> {
    let e = ApiError {
        status: 413,
        ..ApiError::new(
            "RequestEntityTooLargeException",
            format!("Request body is larger than {limit} bytes"),
        )
    };
    let mut r = error_response(&e);
    // The rest of the body is not read: the connection cannot be reused.
    r.headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    r
}
