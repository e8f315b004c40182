//! The `http:URL` handler (`--handler 'RESOURCE=http:URL'`, [`Handlers::http`]): each call
//! POSTs the Task's input as JSON to URL and the JSON answer is the Task's result — a
//! function served by any web framework, in any language, without Lambda's API.
//!
//! - A 2xx answer must be JSON (an empty body is `null`); anything else fails the Task with
//!   `States.TaskFailed`, saying so.
//! - Any other status fails the Task: with the answer's `errorType` and `errorMessage` when it
//!   is a Lambda-style `{"errorType", "errorMessage"}` object, else with `States.TaskFailed`
//!   and a cause that names the status (`POST http://…/charge answered HTTP 503 Service
//!   Unavailable: <body>`).
//! - An endpoint that cannot be reached is `States.TaskFailed` with the reason; an answer
//!   larger than the VM could take is `States.DataLimitExceeded`. The Task's `TimeoutSeconds`
//!   cancels the request.
//!
//! All `http:` handlers share one pooled keep-alive client.

use super::client::{CallError, HttpClient};
use super::url::{parse_url, shown_url};
use crate::runtime::{Handler, HandlerResult, Handlers};
use crate::value::{parse_json, write_json, Value};
use crate::vm::TaskError;
use bytes::Bytes;
use http::Uri;
use http_body_util::Full;
use std::sync::{Arc, OnceLock};

/// The client every `http:` handler sends through.
fn client() -> &'static HttpClient {
    static CLIENT: OnceLock<HttpClient> = OnceLock::new();
    CLIENT.get_or_init(HttpClient::new)
}

/// How much of a failing answer's body a cause quotes.
const CAUSE_BODY: usize = 1024;

/// A handler that POSTs its input to a URL.
#[derive(Clone)]
pub(crate) struct HttpHandler(Arc<Inner>);

struct Inner {
    uri: Uri,
    /// The URL without its query, as causes show it.
    shown: String,
}

impl HttpHandler {
    /// A handler that POSTs to `url`.
    ///
    /// # Errors
    ///
    /// A URL that is not `http://` or `https://` with a host.
    pub(crate) fn new(url: &str) -> Result<HttpHandler, String> {
        let uri = parse_url(url)?;
        Ok(HttpHandler(Arc::new(Inner {
            shown: shown_url(&uri),
            uri,
        })))
    }
}

impl Handler for HttpHandler {
    fn call(&self, input: Value) -> HandlerResult {
        let inner = Arc::clone(&self.0);
        HandlerResult::Pending(Box::pin(async move { post(&inner, &input).await }))
    }
}

fn failed(cause: String) -> TaskError {
    TaskError::new("States.TaskFailed", cause)
}

async fn post(h: &Inner, input: &Value) -> Result<Value, TaskError> {
    let mut body = String::new();
    write_json(input, &mut body);
    let req = http::Request::post(h.uri.clone())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| failed(format!("the request to {} cannot be made: {e}", h.shown)))?;
    let reply = match client().send(req, super::aws::MAX_RESULT_BODY).await {
        Ok(r) => r,
        Err(CallError::TooLarge { .. }) => return Err(super::too_large()),
        Err(e) => return Err(failed(e.to_string())),
    };
    let text = String::from_utf8_lossy(&reply.body);
    let parsed = if text.trim().is_empty() {
        Ok(Value::Null)
    } else {
        parse_json(&text)
    };
    if (200..300).contains(&reply.status) {
        return parsed.map_err(|e| {
            failed(format!(
                "POST {} answered HTTP {} with a body that is not JSON ({e}): {}",
                h.shown,
                reply.status,
                excerpt(&text)
            ))
        });
    }
    if let Ok(v) = &parsed {
        if let (Some(t), Some(m)) = (
            v.get("errorType").and_then(Value::as_str),
            v.get("errorMessage").and_then(Value::as_str),
        ) {
            return Err(TaskError::new(t, m));
        }
    }
    let reason = http::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    Err(failed(format!(
        "POST {} answered HTTP {}{reason}: {}",
        h.shown,
        reply.status,
        excerpt(&text)
    )))
}

/// The first `CAUSE_BODY` bytes of a body, cut on a character boundary.
fn excerpt(text: &str) -> &str {
    if text.len() <= CAUSE_BODY {
        return text;
    }
    let mut end = CAUSE_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Handlers {
    /// Serves `resource` (a Task's `Resource`, or a Lambda function's name, as
    /// [`Handlers::function`] takes it) by POSTing each input as JSON to `url`; the JSON
    /// answer is the result. See the `http:URL` handler spec for how failures map.
    ///
    /// # Errors
    ///
    /// A URL that is not `http://` or `https://` with a host.
    ///
    /// ```
    /// use aslx::Handlers;
    /// let mut h = Handlers::new();
    /// h.http("charge", "http://127.0.0.1:8080/charge").unwrap();
    /// assert!(h.http("charge", "ftp://example.com").is_err());
    /// ```
    pub fn http(&mut self, resource: &str, url: &str) -> Result<&mut Self, String> {
        let h = HttpHandler::new(url)?;
        self.resource_handler(resource, h.clone());
        self.function_handler(resource, h);
        self.uses_sockets();
        Ok(self)
    }
}
