//! The HTTP Task (`arn:aws:states:::http:invoke`): a real request built from the Task's
//! parameters as AWS's "Call HTTPS APIs in Step Functions workflows" describes it.
//!
//! - `ApiEndpoint` (http or https), `Method` (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD).
//! - `Headers`: an object; a value may be an array (one header line each). The headers AWS
//!   refuses (`Host`, `Authorization`, `x-amz-*`, ... see [`FORBIDDEN`]) fail the Task with
//!   `States.Runtime`. Step Functions' own `User-Agent: Amazon|StepFunctions|HttpInvoke|<region>`
//!   and `Range: bytes=0-262144` are always sent.
//! - `QueryParameters`: an object (encoded, arrays by `ArrayFormat`) or a query string.
//! - `RequestBody`: JSON (`Content-Type: application/json; charset=UTF-8` unless given), or
//!   with `Transform.RequestBodyEncoding: URL_ENCODED` form data
//!   (`application/x-www-form-urlencoded` unless given), arrays by
//!   `RequestEncodingOptions.ArrayFormat`: `INDICES` (default, `a[0]=x`), `REPEAT` (`a=x`),
//!   `COMMAS` (`a=x,y`), `BRACKETS` (`a[]=x`); objects as `o[k]=v`. A string body is sent as is.
//! - `Authentication.ConnectionArn` / `InvocationConfig.ConnectionArn`: a connection of the
//!   connections file (`connections.rs`); its header, query and body parameters win over the
//!   Task's. Without one the request goes out unauthorised (AWS requires a connection; a local
//!   API often needs none).
//!
//! The result is `{Headers, ResponseBody, StatusCode, StatusText}`: headers in canonical case
//! with a list of values each, the body parsed when it is JSON (whatever its content-type
//! says) and the text otherwise, the status as a number, its standard reason phrase — the
//! shape Step Functions gives the API Gateway integration's results [unverified for the HTTP
//! Task beyond `ResponseBody`]. A status outside 2xx fails the Task with
//! `States.Http.StatusCode.<NNN>` and that result, as JSON, for cause [unverified: AWS's cause
//! text is not documented]. A binary answer (`application/octet-stream`, `image/*`, `video/*`,
//! `audio/*`, or not UTF-8) is `States.Runtime`; an endpoint that cannot be reached, or takes
//! longer than the 60 seconds AWS allows a request, is `States.Http.Socket`; an unknown
//! connection is `Events.ConnectionResource.ResourceNotFound`. The Task's `TimeoutSeconds`
//! cancels the request (the driver drops it).

use super::client::{title_case, CallError, Reply};
use super::http_request::{build, connection_arn, runtime};
use super::Integrations;
use crate::runtime::{Handler, HandlerResult};
use crate::value::{parse_json, write_json, Map, Value};
use crate::vm::TaskError;
use std::sync::Arc;
use std::time::Duration;

/// AWS ends an HTTP Task's request after 60 seconds ("Timeouts for connections").
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The handler of every `http:invoke` Task.
pub(crate) fn handler(i: &Arc<Integrations>) -> Arc<dyn Handler> {
    Arc::new(HttpTask(Arc::clone(i)))
}

struct HttpTask(Arc<Integrations>);

impl Handler for HttpTask {
    fn call(&self, input: Value) -> HandlerResult {
        let i = Arc::clone(&self.0);
        HandlerResult::Pending(Box::pin(async move { invoke(&i, &input).await }))
    }
}

/// Sends the request the parameters describe and builds the Task's result.
async fn invoke(i: &Integrations, p: &Value) -> Result<Value, TaskError> {
    let p = p
        .as_object()
        .ok_or_else(|| runtime("The HTTP Task's Parameters must be an object"))?;
    let conn = match connection_arn(p)? {
        None => None,
        Some(arn) => Some(Arc::clone(i.connections().find(arn).ok_or_else(|| {
            TaskError::new(
                "Events.ConnectionResource.ResourceNotFound",
                format!(
                    "Connection {arn:?} was not found: {}",
                    if i.connections().is_empty() {
                        "no connections file was given (--connections FILE)".to_string()
                    } else {
                        "the connections file (--connections) has no entry keyed by that ARN or its connection name".to_string()
                    }
                ),
            )
        })?)),
    };
    let (mut req, url) = build(p, conn.as_deref(), i.credentials().region())?;
    if let Some(c) = &conn {
        c.authorize(i.client(), req.headers_mut()).await?;
    }
    let sent = tokio::time::timeout(
        REQUEST_TIMEOUT,
        i.client().send(req, super::aws::MAX_RESULT_BODY),
    )
    .await;
    let reply = match sent {
        Err(_) => {
            return Err(TaskError::new(
                "States.Http.Socket",
                format!("The request to {url} timed out after 60 seconds"),
            ))
        }
        Ok(Err(CallError::TooLarge { .. })) => return Err(super::too_large()),
        Ok(Err(e)) => return Err(TaskError::new("States.Http.Socket", e.to_string())),
        Ok(Ok(r)) => r,
    };
    if reply.status == 401 {
        if let Some(c) = &conn {
            // A token the API no longer takes: the next call (a Retry) fetches a new one.
            c.forget_token();
        }
    }
    let result = response(&reply)?;
    if (200..300).contains(&reply.status) {
        Ok(result)
    } else {
        let mut cause = String::new();
        write_json(&result, &mut cause);
        Err(TaskError::new(
            format!("States.Http.StatusCode.{}", reply.status),
            cause,
        ))
    }
}

/// `{Headers, ResponseBody, StatusCode, StatusText}` of an answer; `States.Runtime` for a
/// body that is not text.
fn response(reply: &Reply) -> Result<Value, TaskError> {
    if let Some(ct) = reply.header("content-type") {
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media == "application/octet-stream"
            || ["image/", "video/", "audio/"]
                .iter()
                .any(|p| media.starts_with(p))
        {
            return Err(runtime(format!(
                "The HTTP Task cannot read a response of content-type {media:?}: only text and JSON answers are supported"
            )));
        }
    }
    let text = std::str::from_utf8(&reply.body)
        .map_err(|_| runtime("The HTTP response body is not valid UTF-8 text"))?;
    // Headers as Step Functions shows them: `Content-Type`, a list of values each.
    let headers: Map = reply
        .header_lists(title_case)
        .map(|(name, values)| (name, Value::array(values)))
        .collect();
    let body = match parse_json(text) {
        Ok(v) if !text.trim().is_empty() => v,
        _ => Value::string(text),
    };
    let reason = http::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut out = Map::with_capacity(4);
    out.insert("Headers".into(), Value::object(headers));
    out.insert("ResponseBody".into(), body);
    out.insert("StatusCode".into(), Value::Int(i64::from(reply.status)));
    out.insert("StatusText".into(), Value::string(reason));
    Ok(Value::object(out))
}
