//! Lambda functions at an endpoint (`--endpoint lambda=URL`, Step Functions Local's
//! `LAMBDA_ENDPOINT`): the Lambda `Invoke` API (REST-JSON,
//! `POST /2015-03-31/functions/{name}/invocations`, SigV4-signed), as `sam local start-lambda`,
//! moto and LocalStack serve it.
//!
//! - A legacy Task (`Resource: arn:aws:lambda:…:function:F[:Q]`) gets the function's result
//!   alone; a function error (`X-Amz-Function-Error`) fails it with the payload's `errorType`.
//! - A `lambda:invoke` Task naming a function no local handler serves gets the invoke response
//!   AWS returns: `ExecutedVersion`, `Payload` (parsed when JSON), `LogResult` (with
//!   `LogType: Tail`), `SdkHttpMetadata`, `SdkResponseMetadata`, `StatusCode` — built from the
//!   endpoint's real answer. `InvocationType`, `Qualifier`, `LogType` and `ClientContext` are
//!   sent as the API takes them.
//! - The service's own errors are `Lambda.<Code>` (`Lambda.ResourceNotFoundException`, ...)
//!   with the SDK's cause text; an endpoint that cannot be reached is
//!   `Lambda.SdkClientException`.
//!
//! Functions are named to the endpoint by their bare name (the last part of an ARN) with the
//! ARN's qualifier as `Qualifier`: local servers know functions by name, not by an account's
//! ARN.

use super::aws::{json_error, sdk_metadata, AwsRequest};
use super::client::Reply;
use super::url::uri_encode;
use super::Integrations;
use crate::runtime::{Handler, HandlerResult};
use crate::value::{parse_json, write_json, Map, Str, Value};
use crate::vm::TaskError;
use bytes::Bytes;
use std::sync::Arc;

/// The service label of Lambda's error causes.
const LABEL: &str = "AWSLambda";

/// One `Invoke` call.
#[derive(Debug)]
struct Invocation {
    function: String,
    qualifier: Option<String>,
    /// `content-type` and the members `Invoke` takes as headers ([`invoke_headers`]).
    headers: Vec<(&'static str, String)>,
    payload: Value,
}

/// The `Invoke` members sent as headers, and their headers.
const INVOKE_HEADERS: [(&str, &str); 3] = [
    ("InvocationType", "x-amz-invocation-type"),
    ("LogType", "x-amz-log-type"),
    ("ClientContext", "x-amz-client-context"),
];

/// `Invoke`'s headers: `content-type` and each member `member` gives a text for.
pub(crate) fn invoke_headers(
    member: impl Fn(&str) -> Option<String>,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![("content-type", "application/json".to_string())];
    for (m, h) in INVOKE_HEADERS {
        if let Some(v) = member(m) {
            headers.push((h, v));
        }
    }
    headers
}

/// `Invoke`'s path for a function's bare name.
pub(crate) fn invocations_path(function: &str) -> String {
    format!(
        "/2015-03-31/functions/{}/invocations",
        uri_encode(function, false)
    )
}

/// Sends a call of Lambda's REST API; the answer as is.
pub(crate) async fn lambda_send(
    i: &Integrations,
    method: &str,
    path: &str,
    query: Vec<(String, String)>,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
) -> Result<Reply, TaskError> {
    i.aws_send(AwsRequest {
        service: "lambda",
        method,
        path,
        query,
        headers,
        body,
        prefix: "Lambda",
    })
    .await
}

/// `name`, `name:qualifier`, a full or partial ARN → the bare name and the qualifier.
fn split_function(s: &str) -> (String, Option<String>) {
    let rest = match s.find(":function:") {
        Some(i) => &s[i + ":function:".len()..],
        None => s,
    };
    match rest.split_once(':') {
        Some((name, q)) if !q.is_empty() => (name.to_string(), Some(q.to_string())),
        Some((name, _)) => (name.to_string(), None),
        None => (rest.to_string(), None),
    }
}

/// The handler of a legacy Lambda ARN Task, when a Lambda endpoint is set.
pub(crate) fn arn_handler(i: &Arc<Integrations>, resource: &str) -> Option<Arc<dyn Handler>> {
    if !i.serves_lambda() {
        return None;
    }
    let (function, qualifier) = split_function(resource);
    Some(Arc::new(ArnHandler {
        integrations: Arc::clone(i),
        function,
        qualifier,
    }))
}

struct ArnHandler {
    integrations: Arc<Integrations>,
    function: String,
    qualifier: Option<String>,
}

impl Handler for ArnHandler {
    fn call(&self, input: Value) -> HandlerResult {
        let i = Arc::clone(&self.integrations);
        let inv = Invocation {
            function: self.function.clone(),
            qualifier: self.qualifier.clone(),
            headers: invoke_headers(|_| None),
            payload: input,
        };
        HandlerResult::Pending(Box::pin(async move {
            let (_, payload) = invoke(&i, inv).await?;
            Ok(payload)
        }))
    }
}

/// A `lambda:invoke` call at the endpoint: `request` is the Task's effective parameters
/// (`FunctionName`, `Qualifier`, `InvocationType`, `LogType`, `ClientContext`), `payload` the
/// function's input. The result is the whole invoke response.
pub(crate) async fn invoke_whole(
    i: Arc<Integrations>,
    function: Str,
    request: Option<Value>,
    payload: Value,
) -> Result<Value, TaskError> {
    let param = |k: &str| {
        request
            .as_ref()
            .and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (name, arn_qualifier) = split_function(&function);
    let inv = Invocation {
        function: name,
        qualifier: param("Qualifier").or(arn_qualifier),
        headers: invoke_headers(param),
        payload,
    };
    let (reply, payload) = invoke(&i, inv).await?;
    let mut out = Map::with_capacity(7);
    if let Some(v) = reply.header("x-amz-executed-version") {
        out.insert("ExecutedVersion".into(), Value::from(v));
    }
    if let Some(v) = reply.header("x-amz-log-result") {
        out.insert("LogResult".into(), Value::from(v));
    }
    out.insert("Payload".into(), payload);
    sdk_metadata(&reply, &mut out);
    out.insert("StatusCode".into(), Value::Int(i64::from(reply.status)));
    Ok(Value::object(out))
}

/// Calls `Invoke`; gives the answer and its payload (parsed when JSON, else the text), or
/// the Task error of a function error, a service error or an unreachable endpoint.
async fn invoke(i: &Integrations, inv: Invocation) -> Result<(Reply, Value), TaskError> {
    let mut body = String::new();
    write_json(&inv.payload, &mut body);
    let query = inv
        .qualifier
        .map(|q| vec![("Qualifier".to_string(), q)])
        .unwrap_or_default();
    let path = invocations_path(&inv.function);
    let reply = lambda_send(i, "POST", &path, query, inv.headers, Bytes::from(body)).await?;
    if !(200..300).contains(&reply.status) {
        return Err(json_error(&reply).task_error("Lambda", LABEL));
    }
    let text = String::from_utf8_lossy(&reply.body);
    let payload = if text.trim().is_empty() {
        Value::string("")
    } else {
        parse_json(&text).unwrap_or_else(|_| Value::from(text.as_ref()))
    };
    if reply.header("x-amz-function-error").is_some() {
        return Err(match payload {
            p @ Value::Object(_) => TaskError::lambda_payload(p),
            other => TaskError::new("Exception", other.as_str().unwrap_or_default()),
        });
    }
    Ok((reply, payload))
}

#[cfg(test)]
mod tests {
    use super::split_function;

    #[test]
    fn functions_are_named_by_their_bare_name_and_qualifier() {
        let s = |x: &str| split_function(x);
        assert_eq!(s("f"), ("f".into(), None));
        assert_eq!(s("f:PROD"), ("f".into(), Some("PROD".into())));
        assert_eq!(
            s("arn:aws:lambda:us-east-1:123456789012:function:f:7"),
            ("f".into(), Some("7".into()))
        );
        assert_eq!(
            s("arn:aws:lambda:us-east-1:123456789012:function:f"),
            ("f".into(), None)
        );
        assert_eq!(s("123456789012:function:f"), ("f".into(), None));
    }
}
