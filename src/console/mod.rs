//! The web console: what a Step Functions user looks at, served by `aslx serve` itself at
//! `GET /` (the API stays `POST /`), with nothing fetched from the internet.
//!
//! It is static assets plus the same JSON APIs (DESIGN.md, "protocols are thin"): the page
//! calls the Step Functions and CloudWatch Logs operations through `POST /console/api`, which
//! takes the operation in `X-Amz-Target` exactly as `POST /` does, but authenticates the
//! browser by session cookie and CSRF header instead of SigV4 (see [`auth`]). Nothing here
//! holds execution state; what the console shows is what the engine records (machines,
//! STANDARD executions and their history, the EXPRESS execution log under `--log-dir`).
//!
//! | path | what |
//! |---|---|
//! | `GET /` | the console (or the login page under `--auth`); `?token=` logs in |
//! | `GET /console/assets/NAME` | the embedded scripts, styles and the layout library's licence |
//! | `POST /console/login`, `POST /console/logout` | sessions under `--auth` |
//! | `POST /console/api` | one API operation, as `POST /` |
//!
//! The graph is computed in the browser from the definition (`assets/graph.js`: states, the
//! Next/Default/Choice/Catch edges, Parallel branches and Map processors as nested
//! containers) and laid out by **dagre** (`@dagrejs/dagre` 3.1.4, MIT, vendored minified in
//! `assets/dagre.min.js` with its licence). Why dagre and not elkjs: dagre is the layered
//! (Sugiyama) layout AWS's own graph resembles, 49 KB minified with no dependency, and
//! synchronous; elkjs is about 1.5 MB and built around a web worker. dagre's compound-graph
//! mode cannot route edges to a cluster, so containers are laid out bottom-up instead: each
//! branch or processor is a graph of its own, and the container becomes one node of fixed
//! size in its parent's graph, which nests to any depth.
//!
//! [`graph_page`] renders one definition as a standalone page with the same renderer inlined
//! (for `aslx graph --format html`).

mod assets;
pub(crate) mod auth;

use crate::serve::http::{body_error, read_body, BodyRules};
use crate::serve::ops::Service;
use crate::serve::protocol::ApiError;
use crate::serve::sigv4::Credentials;
use auth::{Caller, Gate};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

pub use assets::graph_page;

/// Largest login form accepted.
const LOGIN_BODY_LIMIT: usize = 16 << 10;

/// The console of one server: its login secrets and sessions.
#[derive(Debug)]
pub struct Console {
    gate: Gate,
}

impl Console {
    /// A console; with `auth`, every use needs a login (see [`auth`]).
    pub fn new(auth: Option<&Credentials>) -> Console {
        Console {
            gate: Gate::new(auth),
        }
    }

    /// The login token to print at start-up (`http://ADDR/?token=…`), when `--auth` is set.
    pub fn login_token(&self) -> Option<&str> {
        self.gate.login_token()
    }
}

/// Whether a request is the console's rather than the API's: every `GET`/`HEAD` (the API is
/// `POST /` only) and `POST /console/…`.
pub fn claims(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => true,
        Method::POST => path.starts_with("/console/"),
        _ => false,
    }
}

type Answer = Response<Full<Bytes>>;

fn answer(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Answer {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    r
}

/// An HTML page: only our own scripts run (the CSP), and it is never framed.
fn page(status: u16, html: String) -> Answer {
    let mut r = answer(status, "text/html; charset=utf-8", html);
    r.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    r.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("DENY"));
    r
}

fn redirect_home(cookie: Option<String>) -> Answer {
    let mut r = answer(303, "text/plain; charset=utf-8", "");
    let h = r.headers_mut();
    h.insert(http::header::LOCATION, HeaderValue::from_static("/"));
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(http::header::SET_COOKIE, c);
    }
    r
}

fn api_error(e: &ApiError) -> Answer {
    let mut r = answer(e.status, "application/x-amz-json-1.0", e.body());
    if let Ok(v) = HeaderValue::from_str(e.code) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

fn refused(status: u16, code: &'static str, message: &str) -> Answer {
    api_error(&ApiError {
        status,
        ..ApiError::new(code, message)
    })
}

/// `application/x-www-form-urlencoded`: the value of `key`, decoded.
fn form_value(form: &str, key: &str) -> Option<String> {
    let raw = form
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)?
        .1;
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    form_value(query?, key)
}

/// Answers a request [`claims`] gave to the console; `rules` are the API's body limit and
/// deadline.
pub(crate) async fn handle(
    console: &Console,
    service: &Service,
    rules: &BodyRules,
    req: Request<Incoming>,
) -> Answer {
    let (parts, body) = req.into_parts();
    let gate = &console.gate;
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !gate.requires_login() && !auth::host_is_literal(host) {
        return page(
            421,
            assets::message_page(
                "Console refused",
                &format!(
                    "This server has no --auth, so its console answers only at an IP address or localhost, not at {host:?} (a guard against DNS rebinding). Open it by address, or start aslx serve with --auth."
                ),
            ),
        );
    }
    let path = parts.uri.path();
    let is_get = parts.method == Method::GET || parts.method == Method::HEAD;
    if is_get {
        return match path {
            "/" | "/index.html" => home(gate, &parts),
            "/console/login" => page(200, assets::login_page(None)),
            _ => match path
                .strip_prefix("/console/assets/")
                .and_then(assets::asset)
            {
                Some((body, content_type)) => {
                    let mut r = answer(200, content_type, Bytes::from_static(body));
                    r.headers_mut().insert(
                        http::header::CACHE_CONTROL,
                        HeaderValue::from_static("no-cache"),
                    );
                    r
                }
                None => page(
                    404,
                    assets::message_page(
                        "Not found",
                        &format!("The console has no page at {path}."),
                    ),
                ),
            },
        };
    }
    // The console's requests are small JSON: read under the API's limit and deadline, and
    // refused with the API's answers (413, 408, 400).
    let body = match read_body(&parts.headers, body, rules, None).await {
        Ok(b) => b.bytes,
        Err(e) => return body_error(&e, rules.limit),
    };
    match path {
        "/console/login" => login(gate, &parts.headers, &body),
        "/console/logout" => {
            if let Caller::Allowed { csrf } = gate.caller(&parts.headers) {
                if let Some(why) = auth::csrf_refusal(&parts.headers, &csrf) {
                    return refused(403, "AccessDeniedException", why);
                }
            }
            gate.logout(&parts.headers);
            let mut r = answer(204, "text/plain; charset=utf-8", "");
            if let Ok(v) = HeaderValue::from_str(&auth::session_clear_cookie()) {
                r.headers_mut().insert(http::header::SET_COOKIE, v);
            }
            r
        }
        "/console/api" => {
            let csrf = match gate.caller(&parts.headers) {
                Caller::Allowed { csrf } => csrf,
                Caller::LoginNeeded => {
                    return refused(
                        401,
                        "MissingAuthenticationTokenException",
                        "Log in to the console first (the session is missing or has expired)",
                    )
                }
            };
            if let Some(why) = auth::csrf_refusal(&parts.headers, &csrf) {
                return refused(403, "AccessDeniedException", why);
            }
            call(service, &parts.headers, &body).await
        }
        _ => refused(
            404,
            "UnknownOperationException",
            &format!("The console has nothing at POST {path}"),
        ),
    }
}

/// `GET /`: the console, the login page, or a login by `?token=`.
fn home(gate: &Gate, parts: &http::request::Parts) -> Answer {
    match gate.caller(&parts.headers) {
        Caller::Allowed { csrf } => page(200, assets::index_page(&csrf, gate.requires_login())),
        Caller::LoginNeeded => match query_value(parts.uri.query(), "token") {
            Some(t) => match gate.login(Some(&t), None) {
                // Redirected, so the token leaves the address bar and the history.
                Some(id) => redirect_home(Some(auth::session_set_cookie(&id))),
                None => page(
                    401,
                    assets::login_page(Some(
                        "That login link's token is not valid for this server.",
                    )),
                ),
            },
            None => page(200, assets::login_page(None)),
        },
    }
}

/// `POST /console/login`: the start-up token or the key pair, as a form.
fn login(gate: &Gate, headers: &http::HeaderMap, body: &[u8]) -> Answer {
    if !gate.requires_login() {
        return redirect_home(None);
    }
    if body.len() > LOGIN_BODY_LIMIT {
        return page(
            413,
            assets::login_page(Some("The login form is too large.")),
        );
    }
    if let Some(origin) = headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let host = headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let own = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        if origin != "null" && own != Some(host) {
            return page(
                403,
                assets::login_page(Some("That login form was not this server's.")),
            );
        }
    }
    let form = String::from_utf8_lossy(body);
    let token = form_value(&form, "token").filter(|t| !t.is_empty());
    let key = form_value(&form, "access_key_id").unwrap_or_default();
    let secret = form_value(&form, "secret_access_key").unwrap_or_default();
    let pair = (!key.is_empty()).then_some((key.as_str(), secret.as_str()));
    match gate.login(token.as_deref(), pair) {
        Some(id) => redirect_home(Some(auth::session_set_cookie(&id))),
        None => page(
            401,
            assets::login_page(Some("Wrong token or key pair: use the login token aslx serve printed at start-up, or the --auth key pair.")),
        ),
    }
}

const SFN_PREFIX: &str = "AWSStepFunctions.";
const LOGS_PREFIX: &str = "Logs_20140328.";

/// One API operation, as `POST /` answers it.
async fn call(service: &Service, headers: &http::HeaderMap, body: &[u8]) -> Answer {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (result, content_type) = if let Some(op) = target.strip_prefix(SFN_PREFIX) {
        (
            service.call(op, body, None).await,
            "application/x-amz-json-1.0",
        )
    } else if let Some(op) = target.strip_prefix(LOGS_PREFIX) {
        (
            service.call_logs(op, body).await,
            "application/x-amz-json-1.1",
        )
    } else {
        return api_error(&ApiError::unknown_operation(target));
    };
    match result {
        Ok(b) => answer(200, content_type, b),
        Err(e) => api_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_decoded() {
        let f = "token=a%2Bb&access_key_id=AK+1&x=%zz&y=%4";
        assert_eq!(form_value(f, "token").as_deref(), Some("a+b"));
        assert_eq!(form_value(f, "access_key_id").as_deref(), Some("AK 1"));
        assert_eq!(form_value(f, "x").as_deref(), Some("%zz"));
        assert_eq!(form_value(f, "y").as_deref(), Some("%4"));
        assert_eq!(form_value(f, "missing"), None);
    }

    #[test]
    fn the_console_claims_gets_and_its_own_posts_only() {
        assert!(claims(&Method::GET, "/"));
        assert!(claims(&Method::POST, "/console/api"));
        assert!(!claims(&Method::POST, "/"));
        assert!(!claims(&Method::PUT, "/console/api"));
    }
}
