//! The execution input of a mapped route, as AWS CDK's `StepFunctionsIntegration.startExecution`
//! builds it: its request template (`stepfunctions.vtl`) writes, in this order,
//!
//! ```text
//! {"body": <the body>, "header": {...}, "querystring": {...}, "path": {...},
//!  "authorizer": {...}, "requestContext": {...}}
//! ```
//!
//! with `body` always, `querystring` and `path` unless turned off, the others when asked. Every
//! parameter value is a string; a name given twice keeps its last value. Locally:
//!
//! - the body is the JSON the client sent (`{}` when it sent none);
//! - header names are lower-case (HTTP/2 requires it, and HTTP/1.1 names are read so);
//! - query and path values are percent-decoded; a greedy `{proxy+}` value is the rest of the
//!   path, `/`-separated;
//! - `authorizer` is `{}`: no authorizer runs in front of a local route;
//! - `requestContext` holds the fields asked for, as strings: `accountId` is the server's
//!   account, `apiId` `aslx`, `stage` `local`, `httpMethod`, `sourceIp` (the peer),
//!   `userAgent`, `apiKey` (the `x-api-key` header), `requestId` (also the answer's
//!   `x-amzn-RequestId`), `resourceId` (stable per route path), `resourcePath` (the route's
//!   path template); identity fields no local request has (`caller`, `user`, `userArn`,
//!   `authorizerPrincipalId`, the Cognito ones) are empty strings.

use super::spec::{Headers, Includes};
use crate::value::{Map, Str, Value};
use http::HeaderMap;
use std::borrow::Cow;
use std::net::SocketAddr;

/// The fields of CDK's `RequestContext`, in the order its template writes them.
pub(crate) const CONTEXT_FIELDS: [&str; 18] = [
    "accountId",
    "apiId",
    "apiKey",
    "authorizerPrincipalId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "httpMethod",
    "stage",
    "sourceIp",
    "user",
    "userAgent",
    "userArn",
    "requestId",
    "resourceId",
    "resourcePath",
];

/// `apiId` of the request context.
const API_ID: &str = "aslx";
/// `stage` of the request context.
const STAGE: &str = "local";

/// What one request brings to its input.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    /// Path parameters, decoded, in template order.
    pub params: &'a [(&'a str, String)],
    pub peer: SocketAddr,
    pub request_id: &'a str,
    pub account: &'a str,
    pub resource_id: &'a str,
    pub resource_path: &'a str,
}

/// The execution input of a mapped route (see the module docs).
pub(crate) fn mapped(inc: &Includes, body: Value, r: &Request<'_>) -> Value {
    let mut m = Map::with_capacity(6);
    m.push_unique("body".into(), body);
    if let Some(h) = &inc.headers {
        m.push_unique("header".into(), Value::object(headers(r.headers, h)));
    }
    if inc.querystring {
        m.push_unique("querystring".into(), Value::object(query(r.query)));
    }
    if inc.path {
        let mut p = Map::with_capacity(r.params.len());
        for (k, v) in r.params {
            p.insert(Str::from(*k), Value::string(v));
        }
        m.push_unique("path".into(), Value::object(p));
    }
    if inc.authorizer {
        m.push_unique("authorizer".into(), Value::empty_object());
    }
    if inc.request_context != 0 {
        m.push_unique(
            "requestContext".into(),
            Value::object(context(inc.request_context, r)),
        );
    }
    Value::object(m)
}

fn headers(all: &HeaderMap, which: &Headers) -> Map {
    let mut m = Map::with_capacity(all.keys_len());
    for (name, value) in all {
        let name = name.as_str();
        if let Headers::Named(names) = which {
            if !names.iter().any(|n| n == name) {
                continue;
            }
        }
        let v = String::from_utf8_lossy(value.as_bytes());
        m.insert(Str::from(name), Value::string(&v));
    }
    m
}

/// `a=1&b=x%20y&c` → `{"a": "1", "b": "x y", "c": ""}`.
fn query(q: Option<&str>) -> Map {
    let mut m = Map::new();
    for pair in q.unwrap_or_default().split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k);
        if !k.is_empty() {
            m.insert(Str::from(&*k), Value::string(&percent_decode(v)));
        }
    }
    m
}

fn context(fields: u32, r: &Request<'_>) -> Map {
    let mut m = Map::with_capacity(fields.count_ones() as usize);
    let header = |n: &str| {
        r.headers
            .get(n)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    for (i, name) in CONTEXT_FIELDS.iter().enumerate() {
        if fields & (1 << i) == 0 {
            continue;
        }
        let v = match *name {
            "accountId" => r.account.to_string(),
            "apiId" => API_ID.to_string(),
            "apiKey" => header("x-api-key"),
            "httpMethod" => r.method.to_string(),
            "stage" => STAGE.to_string(),
            "sourceIp" => r.peer.ip().to_string(),
            "userAgent" => header("user-agent"),
            "requestId" => r.request_id.to_string(),
            "resourceId" => r.resource_id.to_string(),
            "resourcePath" => r.resource_path.to_string(),
            // Identities no local request carries.
            _ => String::new(),
        };
        m.push_unique(Str::from(*name), Value::string(&v));
    }
    m
}

/// `%XX` sequences decoded (others kept as written); bytes that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
        assert_eq!(percent_decode("a+b"), "a+b");
    }

    #[test]
    fn a_query_keeps_first_seen_order_and_last_value() {
        let m = query(Some("b=2&a=1&b=3&flag&&=x&c%20d=e%26f"));
        assert_eq!(
            Value::object(m).to_json(),
            r#"{"b":"3","a":"1","flag":"","c d":"e&f"}"#
        );
        assert_eq!(Value::object(query(None)).to_json(), "{}");
    }
}
