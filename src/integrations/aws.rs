//! What every call to an AWS service endpoint shares: the signed request, the error an
//! endpoint answers with (JSON `__type`/`message`, or the `x-amzn-ErrorType` header), the
//! error a Task then fails with (`<Prefix>.<Code>`, and the Java SDK's cause text that Step
//! Functions shows), and the `SdkHttpMetadata` / `SdkResponseMetadata` optimised integrations
//! add to their results.

use super::client::{CallError, Reply};
use super::endpoints::signing_name;
use super::sign::{canonical_query, sign, ToSign};
use super::Integrations;
use crate::value::{parse_json, Map, Value};
use crate::vm::{insert_sdk_metadata, TaskError};
use bytes::Bytes;
use http_body_util::Full;
use std::sync::Arc;

/// Results larger than 256 KiB are refused by the VM (`States.DataLimitExceeded`); a little
/// more is read so that the VM checks the result as the integration shapes it, and an answer
/// past this is refused unread, with the same error.
pub(crate) const MAX_RESULT_BODY: usize = 512 * 1024;

/// One request to a service endpoint.
pub(crate) struct AwsRequest<'a> {
    /// The `--endpoint` name (`lambda`, `dynamodb`, ...).
    pub service: &'a str,
    pub method: &'a str,
    /// The path below the endpoint's, each segment already percent-encoded.
    pub path: &'a str,
    pub query: Vec<(String, String)>,
    /// Extra headers (`content-type`, `x-amz-target`, ...).
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
    /// The error prefix of the integration (`Lambda`, `DynamoDB`, `SQS`, ...) for transport
    /// failures.
    pub prefix: &'a str,
}

/// An error answer of a service.
#[derive(Debug, Clone)]
pub(crate) struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: String,
}

impl AwsError {
    /// The cause as Step Functions shows it (the Java SDK's exception text).
    pub(crate) fn cause(&self, service_label: &str) -> String {
        format!(
            "{} (Service: {service_label}; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
            self.message, self.status, self.code, self.request_id
        )
    }

    /// `<prefix>.<Code>` with that cause.
    pub(crate) fn task_error(&self, prefix: &str, service_label: &str) -> TaskError {
        TaskError::new(format!("{prefix}.{}", self.code), self.cause(service_label))
    }
}

/// The request id a service answered with.
pub(crate) fn request_id(reply: &Reply) -> String {
    reply
        .header("x-amzn-requestid")
        .or_else(|| reply.header("x-amz-request-id"))
        .unwrap_or_default()
        .to_string()
}

/// The error of a non-2xx JSON-protocol or REST-JSON answer: the code from `__type` (after
/// any `#` namespace) or `x-amzn-ErrorType` (before any `:`), the message from `message` /
/// `Message` / `errorMessage`.
pub(crate) fn json_error(reply: &Reply) -> AwsError {
    let body = parse_json(std::str::from_utf8(&reply.body).unwrap_or("")).ok();
    let field = |k: &str| body.as_ref()?.get(k)?.as_str().map(str::to_string);
    let code = reply
        .header("x-amzn-errortype")
        .map(|t| t.split(':').next().unwrap_or(t).to_string())
        .or_else(|| {
            field("__type")
                .or_else(|| field("code"))
                .or_else(|| field("Code"))
        })
        .map(|t| t.rsplit('#').next().unwrap_or(&t).to_string())
        .unwrap_or_else(|| format!("Http{}", reply.status));
    let message = field("message")
        .or_else(|| field("Message"))
        .or_else(|| field("errorMessage"))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&reply.body)
                .chars()
                .take(512)
                .collect()
        });
    AwsError {
        status: reply.status,
        code,
        message,
        request_id: request_id(reply),
    }
}

/// The `SdkHttpMetadata` and `SdkResponseMetadata` of an answer, as optimised integrations
/// return them: every header by its name as sent (single values under `HttpHeaders`, lists
/// under `AllHttpHeaders`), the status, the request id.
pub(crate) fn sdk_metadata(reply: &Reply, out: &mut Map) {
    let headers = reply.header_lists(header_case);
    let request_id = Value::from(request_id(reply));
    insert_sdk_metadata(out, headers, reply.status, request_id);
}

/// `x-amzn-requestid` → `x-amzn-RequestId`, `content-type` → `Content-Type`: the spelling
/// AWS's services send (hyper hands headers over in lower case).
fn header_case(name: &str) -> String {
    const KNOWN: &[&str] = &[
        "x-amzn-RequestId",
        "x-amz-crc32",
        "x-amz-request-id",
        "x-amz-id-2",
        "X-Amzn-Trace-Id",
        "X-Amz-Executed-Version",
        "X-Amz-Function-Error",
        "X-Amz-Log-Result",
        "x-amzn-Remapped-Content-Length",
    ];
    match KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(k) => k.to_string(),
        None => super::client::title_case(name),
    }
}

/// How an optimised integration names a service's errors: the Java SDK v1 exception class
/// (`DynamoDB.ConditionalCheckFailedException`; an error code with no class of its own is the
/// service's base class, `DynamoDB.AmazonDynamoDBException`), and the service label of the
/// cause text (`AmazonDynamoDBv2`).
pub(crate) struct Naming {
    /// `DynamoDB`, `SQS`, `SNS`: the error's prefix.
    pub prefix: &'static str,
    /// `AmazonDynamoDBv2`, `AmazonSQS`, `AmazonSNS`: the cause's `Service:`.
    pub label: &'static str,
    /// The exception classes the SDK models for the integration's actions.
    pub modeled: &'static [&'static str],
    /// The class of every other error code.
    pub fallback: &'static str,
}

impl Naming {
    /// The Task error of `err`: `<prefix>.<class>` with the SDK v1 cause text.
    pub(crate) fn task_error(&self, err: &AwsError) -> TaskError {
        let class = exception_name(&err.code);
        let class = if self.modeled.contains(&class.as_str()) {
            class
        } else {
            self.fallback.to_string()
        };
        TaskError::new(format!("{}.{class}", self.prefix), err.cause(self.label))
    }
}

/// `QueueDoesNotExist` → `QueueDoesNotExistException`: the name of an error code's exception
/// class, which Step Functions' error names use ("add the Exception suffix even if it is not
/// part of the service's error name", AWS's aws-sdk integration guide).
pub(crate) fn exception_name(code: &str) -> String {
    if code.ends_with("Exception") {
        code.to_string()
    } else {
        format!("{code}Exception")
    }
}

/// The Task error of an aws-sdk integration's service error: `<ServiceId>.<Exception>`
/// (`DynamoDb.ResourceNotFoundException`, `Sqs.QueueDoesNotExistException`) with the Java
/// SDK v2 cause text (`msg (Service: DynamoDb, Status Code: 400, Request ID: R)`). An answer
/// with no error code (a bare 5xx page) is the service's base exception (`DynamoDb.DynamoDbException`).
pub(crate) fn sdk_task_error(err: &AwsError, service_id: &str) -> TaskError {
    let class = if err.code.starts_with("Http") && err.code[4..].bytes().all(|b| b.is_ascii_digit())
    {
        format!("{service_id}Exception")
    } else {
        exception_name(&err.code)
    };
    TaskError::new(
        format!("{service_id}.{class}"),
        format!(
            "{} (Service: {service_id}, Status Code: {}, Request ID: {})",
            err.message, err.status, err.request_id
        ),
    )
}

/// The error of a 2xx answer whose body is not what the protocol promises: the SDKs' "Unable
/// to unmarshall response", as `<prefix>.SdkClientException`.
pub(crate) fn unmarshall_error(prefix: &str, reply: &Reply, why: &str) -> TaskError {
    let shown: String = String::from_utf8_lossy(&reply.body)
        .chars()
        .take(200)
        .collect();
    TaskError::new(
        format!("{prefix}.SdkClientException"),
        format!(
            "Unable to unmarshall response ({why}). Response Code: {}, Response Text: {shown}",
            reply.status
        ),
    )
}

/// The JSON object of a 2xx JSON-protocol answer (an empty body is `{}`).
pub(crate) fn json_body(reply: &Reply, prefix: &str) -> Result<Map, TaskError> {
    let text = std::str::from_utf8(&reply.body)
        .map_err(|_| unmarshall_error(prefix, reply, "the body is not UTF-8"))?;
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match parse_json(text) {
        Ok(Value::Object(m)) => Ok(Arc::unwrap_or_clone(m)),
        Ok(other) => Err(unmarshall_error(
            prefix,
            reply,
            &format!("expected a JSON object, got {}", other.type_name()),
        )),
        Err(e) => Err(unmarshall_error(prefix, reply, &e.to_string())),
    }
}

/// A call in one of the JSON protocols (`awsJson1_0` / `awsJson1_1`): `POST /` with
/// `X-Amz-Target: <target>` and the request as a JSON object.
pub(crate) struct JsonCall<'a> {
    /// The `--endpoint` name.
    pub service: &'a str,
    /// `DynamoDB_20120810.PutItem`, `AmazonSQS.SendMessage`, ...
    pub target: String,
    /// `1.0` or `1.1`.
    pub version: &'static str,
    /// The error prefix for transport failures.
    pub prefix: &'a str,
}

impl Integrations {
    /// Sends a JSON-protocol request; the answer as is (non-2xx included).
    pub(crate) async fn json_send(
        &self,
        call: JsonCall<'_>,
        body: &Value,
    ) -> Result<Reply, TaskError> {
        let mut text = String::new();
        crate::value::write_json(body, &mut text);
        self.aws_send(AwsRequest {
            service: call.service,
            method: "POST",
            path: "/",
            query: Vec::new(),
            headers: vec![
                (
                    "content-type",
                    format!("application/x-amz-json-{}", call.version),
                ),
                ("x-amz-target", call.target),
            ],
            body: Bytes::from(text),
            prefix: call.prefix,
        })
        .await
    }

    /// A JSON-protocol call answered with a JSON object: the object, and the answer for its
    /// metadata. A non-2xx answer is the Task error `error` makes of it.
    pub(crate) async fn json_call(
        &self,
        call: JsonCall<'_>,
        body: &Value,
        error: impl FnOnce(&Reply) -> TaskError,
    ) -> Result<(Map, Reply), TaskError> {
        let prefix = call.prefix;
        let reply = self.json_send(call, body).await?;
        if !(200..300).contains(&reply.status) {
            return Err(error(&reply));
        }
        Ok((json_body(&reply, prefix)?, reply))
    }

    /// Signs and sends `req` to the service's endpoint; a transport failure is the Task error
    /// `<prefix>.SdkClientException`. A non-2xx answer is returned as is.
    pub(crate) async fn aws_send(&self, req: AwsRequest<'_>) -> Result<Reply, TaskError> {
        self.aws_send_limited(req, MAX_RESULT_BODY).await
    }

    /// [`Integrations::aws_send`], reading at most `max_body` bytes of the answer (S3
    /// objects are larger than any Task result).
    pub(crate) async fn aws_send_limited(
        &self,
        req: AwsRequest<'_>,
        max_body: usize,
    ) -> Result<Reply, TaskError> {
        let Some(ep) = self.endpoints().get(req.service) else {
            return Err(TaskError::new(
                format!("{}.SdkClientException", req.prefix),
                format!("no endpoint is set for {}", req.service),
            ));
        };
        let query = canonical_query(&req.query);
        let url = if query.is_empty() {
            format!("{}{}", ep.url(), req.path)
        } else {
            format!("{}{}?{query}", ep.url(), req.path)
        };
        let base_path = ep
            .url()
            .split_once("://")
            .map_or("", |(_, r)| r.find('/').map_or("", |i| &r[i..]));
        let full_path = format!("{base_path}{}", req.path);
        let mut headers = http::HeaderMap::new();
        let bad = |reason: String| {
            TaskError::new(
                format!("{}.SdkClientException", req.prefix),
                format!("Unable to execute HTTP request: {reason}"),
            )
        };
        headers.insert(
            http::header::HOST,
            http::HeaderValue::from_str(ep.authority()).map_err(|e| bad(e.to_string()))?,
        );
        for (k, v) in &req.headers {
            let v = http::HeaderValue::from_str(v)
                .map_err(|_| bad(format!("header {k} holds a character HTTP forbids")))?;
            headers.insert(*k, v);
        }
        let to_sign = ToSign {
            method: req.method,
            path: &full_path,
            query: &req.query,
            body: &req.body,
            service: signing_name(req.service),
        };
        sign(&to_sign, &mut headers, self.credentials(), unix_now());
        let mut builder = http::Request::builder().method(req.method).uri(&url);
        if let Some(h) = builder.headers_mut() {
            *h = headers;
        }
        let request = builder
            .body(Full::new(req.body))
            .map_err(|e| bad(e.to_string()))?;
        match self.client().send(request, max_body).await {
            Ok(reply) => Ok(reply),
            Err(CallError::TooLarge { .. }) => Err(super::too_large()),
            Err(e) => Err(bad(e.to_string())),
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut h = http::HeaderMap::new();
        for (k, v) in headers {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Reply {
            status,
            headers: h,
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn json_errors_take_the_code_after_the_namespace() {
        let r = reply(
            400,
            &[("x-amzn-requestid", "R1")],
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#,
        );
        let e = json_error(&r);
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(
            e.task_error("DynamoDB", "AmazonDynamoDBv2").cause(),
            Some("Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: R1; Proxy: null)")
        );
    }

    #[test]
    fn the_error_type_header_wins_and_garbage_still_gives_a_code() {
        let r = reply(
            404,
            &[(
                "x-amzn-errortype",
                "ResourceNotFoundException:http://internal",
            )],
            r#"{"Message":"Function not found"}"#,
        );
        let e = json_error(&r);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ResourceNotFoundException", "Function not found")
        );
        let e = json_error(&reply(502, &[], "<html>bad gateway</html>"));
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("Http502", "<html>bad gateway</html>")
        );
    }

    #[test]
    fn metadata_spells_headers_as_aws_sends_them() {
        let r = reply(
            200,
            &[
                ("x-amzn-requestid", "R2"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            "{}",
        );
        let mut m = Map::new();
        sdk_metadata(&r, &mut m);
        let v = Value::object(m);
        assert_eq!(
            v.get("SdkResponseMetadata").unwrap().to_json(),
            r#"{"RequestId":"R2"}"#
        );
        let http = v.get("SdkHttpMetadata").unwrap();
        assert_eq!(http.get("HttpStatusCode"), Some(&Value::Int(200)));
        assert_eq!(
            http.get("HttpHeaders").unwrap().get("x-amzn-RequestId"),
            Some(&Value::from("R2"))
        );
        assert_eq!(
            http.get("AllHttpHeaders")
                .unwrap()
                .get("Content-Type")
                .unwrap()
                .to_json(),
            r#"["application/x-amz-json-1.0"]"#
        );
    }
}
