//! The request of an HTTP Task, built from its parameters as AWS's "Call HTTPS APIs in Step
//! Functions workflows" describes it (see `http_task.rs` for the rules), merged with its
//! connection's `InvocationHttpParameters`. A request the parameters cannot make is
//! `States.Runtime`, before anything is sent.

use super::connections::{Connection, HttpParameters};
use super::url::{pair, parse_url, shown_url, uri_encode};
use crate::value::{write_json, Map, Value};
use crate::vm::TaskError;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use http_body_util::Full;

/// Headers a Task may not set (AWS: "You can't use the following headers in your HTTP Task
/// definition"); also every `x-forwarded-*`, `x-amz-*` and `x-amzn-*`.
pub(crate) const FORBIDDEN: &[&str] = &[
    "a-im",
    "accept-charset",
    "accept-datetime",
    "accept-encoding",
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-md5",
    "date",
    "expect",
    "forwarded",
    "from",
    "host",
    "http2-settings",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "origin",
    "pragma",
    "proxy-authorization",
    "referer",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "warning",
];

/// `States.Runtime` with `cause`: a request the Task's parameters cannot make.
pub(crate) fn runtime(cause: impl Into<String>) -> TaskError {
    TaskError::new("States.Runtime", cause)
}

/// How arrays of a form or query are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArrayFormat {
    Indices,
    Repeat,
    Commas,
    Brackets,
}

/// `Authentication.ConnectionArn` or `InvocationConfig.ConnectionArn`.
pub(crate) fn connection_arn(p: &Map) -> Result<Option<&str>, TaskError> {
    for field in ["InvocationConfig", "Authentication"] {
        if let Some(v) = p.get(field) {
            return match v.get("ConnectionArn") {
                Some(Value::String(s)) => Ok(Some(s)),
                _ => Err(runtime(format!(
                    "The HTTP Task's {field} must be an object with a string ConnectionArn"
                ))),
            };
        }
    }
    Ok(None)
}

/// The request, without the connection's authorisation, and its URL as errors show it.
pub(crate) fn build(
    p: &Map,
    conn: Option<&Connection>,
    region: &str,
) -> Result<(http::Request<Full<Bytes>>, String), TaskError> {
    let endpoint = match p.get("ApiEndpoint") {
        Some(Value::String(s)) => s,
        Some(v) => {
            return Err(runtime(format!(
                "The HTTP Task's ApiEndpoint must be a string, found {}",
                v.type_name()
            )))
        }
        None => return Err(runtime("The HTTP Task has no ApiEndpoint")),
    };
    let uri = parse_url(endpoint).map_err(|e| runtime(format!("ApiEndpoint {e}")))?;
    let method = match p.get("Method").and_then(Value::as_str) {
        Some(m @ ("GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "HEAD")) => m,
        Some(m) => {
            return Err(runtime(format!(
                "The HTTP Task's Method {m:?} is not one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD"
            )))
        }
        None => return Err(runtime("The HTTP Task's Method must be a string")),
    };
    let (url_encoded, arrays) = transform(p.get("Transform"))?;
    let none = HttpParameters::default();
    let extra = conn.map_or(&none, |c| &c.invocation);

    // The query: the endpoint's own, then the Task's, the connection's winning on a clash.
    let mut query = uri.query().unwrap_or_default().to_string();
    let mut pairs = Vec::new();
    match p.get("QueryParameters") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m.iter() {
                if !extra.query.iter().any(|(ck, _)| ck == &**k) {
                    form_pairs(k, v, arrays, &mut pairs);
                }
            }
        }
        Some(Value::String(s)) => {
            for part in s.split('&').filter(|x| !x.is_empty()) {
                let key = part.split('=').next().unwrap_or(part);
                if !extra.query.iter().any(|(ck, _)| ck == key) {
                    push_raw(&mut query, part);
                }
            }
        }
        Some(v) => {
            return Err(runtime(format!(
                "The HTTP Task's QueryParameters must be an object or a query string, found {}",
                v.type_name()
            )))
        }
    }
    pairs.extend(extra.query.iter().map(|(k, v)| pair(k, v)));
    push_raw(&mut query, &pairs.join("&"));
    let scheme = uri.scheme_str().unwrap_or("https");
    let authority = uri.authority().map_or("", |a| a.as_str());
    let full = match query.is_empty() {
        true => format!("{scheme}://{authority}{}", uri.path()),
        false => format!("{scheme}://{authority}{}?{query}", uri.path()),
    };
    let shown = shown_url(&uri);

    let mut headers = HeaderMap::new();
    match p.get("Headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m.iter() {
                let name = header_name(k)?;
                if forbidden(name.as_str()) {
                    return Err(runtime(format!(
                        "The header {k:?} is not allowed in an HTTP Task: Step Functions sets or refuses it (put credentials in the connection)"
                    )));
                }
                let values = match v {
                    Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                for v in values {
                    headers.append(name.clone(), header_value(k, v)?);
                }
            }
        }
        Some(v) => {
            return Err(runtime(format!(
                "The HTTP Task's Headers must be an object, found {}",
                v.type_name()
            )))
        }
    }
    for (k, v) in &extra.headers {
        let name = header_name(k)?;
        headers.insert(name, header_value(k, &Value::string(v))?);
    }

    let body = body(p.get("RequestBody"), &extra.body, url_encoded, arrays, conn)?;
    if body.is_some() && !headers.contains_key(CONTENT_TYPE) {
        let ct = if url_encoded {
            "application/x-www-form-urlencoded"
        } else {
            "application/json; charset=UTF-8"
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    let agent = format!("Amazon|StepFunctions|HttpInvoke|{region}");
    headers.insert(
        http::header::USER_AGENT,
        HeaderValue::from_str(&agent)
            .unwrap_or(HeaderValue::from_static("Amazon|StepFunctions|HttpInvoke")),
    );
    headers.insert(
        http::header::RANGE,
        HeaderValue::from_static("bytes=0-262144"),
    );

    let mut req = http::Request::builder()
        .method(method)
        .uri(&full)
        .body(Full::new(body.unwrap_or_default()))
        .map_err(|e| runtime(format!("The request to {shown} cannot be made: {e}")))?;
    *req.headers_mut() = headers;
    Ok((req, shown))
}

/// `Transform`: whether the body is URL-encoded, and how arrays are written.
fn transform(t: Option<&Value>) -> Result<(bool, ArrayFormat), TaskError> {
    let Some(t) = t else {
        return Ok((false, ArrayFormat::Indices));
    };
    let url_encoded = match t.get("RequestBodyEncoding").and_then(Value::as_str) {
        None | Some("NONE") => false,
        Some("URL_ENCODED") => true,
        Some(other) => {
            return Err(runtime(format!(
                "Transform.RequestBodyEncoding {other:?} is not one of NONE, URL_ENCODED"
            )))
        }
    };
    let format = t
        .get("RequestEncodingOptions")
        .and_then(|o| o.get("ArrayFormat"))
        .and_then(Value::as_str);
    let arrays = match format {
        None | Some("INDICES") => ArrayFormat::Indices,
        Some("REPEAT") => ArrayFormat::Repeat,
        Some("COMMAS") => ArrayFormat::Commas,
        Some("BRACKETS") => ArrayFormat::Brackets,
        Some(other) => {
            return Err(runtime(format!(
                "Transform.RequestEncodingOptions.ArrayFormat {other:?} is not one of INDICES, REPEAT, COMMAS, BRACKETS"
            )))
        }
    };
    Ok((url_encoded, arrays))
}

/// The body: `RequestBody` merged with the connection's body parameters (which win), then
/// serialised.
fn body(
    given: Option<&Value>,
    extra: &[(String, String)],
    url_encoded: bool,
    arrays: ArrayFormat,
    conn: Option<&Connection>,
) -> Result<Option<Bytes>, TaskError> {
    let merged = match (given, extra.is_empty()) {
        (None, true) => return Ok(None),
        (Some(v), true) => v.clone(),
        (None | Some(Value::Null), false) => Value::object(params_map(extra)),
        (Some(Value::Object(m)), false) => {
            let mut m = (**m).clone();
            for (k, v) in extra {
                m.insert(k.as_str().into(), Value::string(v));
            }
            Value::object(m)
        }
        (Some(v), false) => {
            return Err(runtime(format!(
                "The RequestBody is {} and connection {:?} has body parameters: only an object can be merged with them",
                if v.as_str().is_some() { "a string".to_string() } else { format!("of type {}", v.type_name()) },
                conn.map_or("", |c| c.key.as_str())
            )))
        }
    };
    let text = match (&merged, url_encoded) {
        (Value::String(s), _) => s.to_string(),
        (Value::Object(m), true) => {
            let mut pairs = Vec::new();
            for (k, v) in m.iter() {
                form_pairs(k, v, arrays, &mut pairs);
            }
            pairs.join("&")
        }
        (v, true) => {
            return Err(runtime(format!(
                "A URL_ENCODED RequestBody must be an object or a string, found {}",
                v.type_name()
            )))
        }
        (v, false) => {
            let mut s = String::new();
            write_json(v, &mut s);
            s
        }
    };
    Ok(Some(Bytes::from(text)))
}

fn params_map(params: &[(String, String)]) -> Map {
    let mut m = Map::with_capacity(params.len());
    for (k, v) in params {
        m.insert(k.as_str().into(), Value::string(v));
    }
    m
}

/// The `key=value` parts of `v` under `key`, percent-encoded (`%20` for a space, `%5B` for
/// `[`): objects as `key[k]`, arrays by `arrays`, scalars as their text (null as empty).
pub(crate) fn form_pairs(key: &str, v: &Value, arrays: ArrayFormat, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter() {
                form_pairs(&format!("{key}[{k}]"), v, arrays, out);
            }
        }
        Value::Array(items) => {
            let scalars = items
                .iter()
                .all(|x| !matches!(x, Value::Array(_) | Value::Object(_)));
            match arrays {
                // The separating commas stay commas; commas inside a value are encoded.
                ArrayFormat::Commas if scalars => {
                    let joined: Vec<String> = items
                        .iter()
                        .map(|x| uri_encode(&scalar(x), false))
                        .collect();
                    out.push(format!("{}={}", uri_encode(key, false), joined.join(",")));
                }
                ArrayFormat::Repeat => items.iter().for_each(|x| form_pairs(key, x, arrays, out)),
                ArrayFormat::Brackets => items
                    .iter()
                    .for_each(|x| form_pairs(&format!("{key}[]"), x, arrays, out)),
                // Nested arrays or objects cannot be comma-joined: they are indexed.
                ArrayFormat::Indices | ArrayFormat::Commas => {
                    for (i, x) in items.iter().enumerate() {
                        form_pairs(&format!("{key}[{i}]"), x, arrays, out);
                    }
                }
            }
        }
        other => out.push(pair(key, &scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Null => String::new(),
        other => other.to_json(),
    }
}

/// Appends an encoded query part.
fn push_raw(query: &mut String, part: &str) {
    if part.is_empty() {
        return;
    }
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(part);
}

fn forbidden(lower: &str) -> bool {
    FORBIDDEN.contains(&lower)
        || ["x-forwarded-", "x-amz-", "x-amzn-"]
            .iter()
            .any(|p| lower.starts_with(p))
}

fn header_name(k: &str) -> Result<HeaderName, TaskError> {
    HeaderName::from_bytes(k.as_bytes())
        .map_err(|_| runtime(format!("{k:?} is not a valid HTTP header name")))
}

fn header_value(k: &str, v: &Value) -> Result<HeaderValue, TaskError> {
    let text = match v {
        Value::Array(_) | Value::Object(_) => {
            return Err(runtime(format!(
                "The header {k:?} must be a string, a number, a boolean or an array of them"
            )))
        }
        other => scalar(other),
    };
    HeaderValue::from_str(&text)
        .map_err(|_| runtime(format!("The value of header {k:?} is not valid in HTTP")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn form(v: Value, f: ArrayFormat) -> String {
        let mut pairs = Vec::new();
        for (k, v) in v.as_object().unwrap().iter() {
            form_pairs(k, v, f, &mut pairs);
        }
        pairs.join("&")
    }

    #[test]
    fn arrays_are_written_in_each_documented_format() {
        let v = json!({"array": ["a", "b", "c", "d"]});
        assert_eq!(
            form(v.clone(), ArrayFormat::Indices),
            "array%5B0%5D=a&array%5B1%5D=b&array%5B2%5D=c&array%5B3%5D=d"
        );
        assert_eq!(
            form(v.clone(), ArrayFormat::Repeat),
            "array=a&array=b&array=c&array=d"
        );
        assert_eq!(form(v.clone(), ArrayFormat::Commas), "array=a,b,c,d");
        assert_eq!(
            form(v, ArrayFormat::Brackets),
            "array%5B%5D=a&array%5B%5D=b&array%5B%5D=c&array%5B%5D=d"
        );
    }

    #[test]
    fn objects_nest_in_brackets_and_spaces_are_percent_20() {
        // AWS's own example request: `description=Monthly%20subscription&metadata%5Border_details%5D=...`.
        let v = json!({"description": "Monthly subscription",
                       "metadata": {"order_details": "monthly report data"}, "n": 1, "x": null});
        assert_eq!(
            form(v, ArrayFormat::Indices),
            "description=Monthly%20subscription&metadata%5Border_details%5D=monthly%20report%20data&n=1&x="
        );
        assert_eq!(
            form(json!({"a": ["x,y", "z"]}), ArrayFormat::Commas),
            "a=x%2Cy,z"
        );
    }

    #[test]
    fn forbidden_headers_match_names_and_prefixes() {
        for h in [
            "host",
            "authorization",
            "x-amz-date",
            "x-amzn-trace-id",
            "x-forwarded-for",
        ] {
            assert!(forbidden(h), "{h}");
        }
        for h in ["content-type", "accept", "x-api-key", "user-agent"] {
            assert!(!forbidden(h), "{h}");
        }
    }
}
