//! The one HTTP client every integration sends through: keep-alive pooled connections per
//! host (hyper's pooling client), TLS by rustls with the Mozilla roots compiled in, a connect
//! timeout, and response bodies read only up to a limit.
//!
//! Timeouts of the call as a whole are not set here: the driver drops a call at the Task's
//! `TimeoutSeconds`, the execution's deadline or a stop, and dropping cancels the request.

use super::url::shown_url;
use crate::value::{Str, Value};
use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer, whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// A header's value as text, if present and printable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Each header once, named by `case` (hyper hands names over in lower case), with all
    /// its values in order: how results show an answer's headers.
    pub(crate) fn header_lists(
        &self,
        case: fn(&str) -> String,
    ) -> impl ExactSizeIterator<Item = (Str, Vec<Value>)> + '_ {
        self.headers.keys().map(move |name| {
            let values = self
                .headers
                .get_all(name)
                .iter()
                .map(|v| Value::from(String::from_utf8_lossy(v.as_bytes()).as_ref()))
                .collect();
            (Str::from(case(name.as_str())), values)
        })
    }
}

/// `content-type` → `Content-Type`: each word of a header name capitalised.
pub(crate) fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

/// Why a request got no answer. The messages name the endpoint, never credentials.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallError {
    /// The connection could not be opened or broke.
    #[error("could not reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The body was longer than the caller allows.
    #[error("the response from {url} is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
}

/// The pooled client.
pub(crate) struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

impl HttpClient {
    pub(crate) fn new() -> HttpClient {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        HttpClient { inner }
    }

    /// Sends `req` and reads the answer, failing when its body passes `max_body` bytes.
    pub(crate) async fn send(
        &self,
        req: Request<Full<Bytes>>,
        max_body: usize,
    ) -> Result<Reply, CallError> {
        let url = shown_url(req.uri());
        let resp = self
            .inner
            .request(req)
            .await
            .map_err(|e| CallError::Unreachable {
                url: url.clone(),
                reason: error_chain(&e),
            })?;
        let (parts, body) = resp.into_parts();
        let body = Limited::new(body, max_body)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    CallError::TooLarge {
                        url: url.clone(),
                        limit: max_body,
                    }
                } else {
                    CallError::Unreachable {
                        url: url.clone(),
                        reason: e.to_string(),
                    }
                }
            })?
            .to_bytes();
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}

/// An error and its sources, `: `-joined ("client error (Connect): tcp connect error:
/// Connection refused (os error 111)").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_shown_in_canonical_case() {
        assert_eq!(title_case("x-amzn-requestid"), "X-Amzn-Requestid");
        assert_eq!(title_case("content-type"), "Content-Type");
    }

    #[tokio::test]
    async fn a_refused_connection_names_the_endpoint() {
        // A port nobody listens on: bind, note the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let req = Request::post(format!("http://127.0.0.1:{port}/x?key=secret"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let err = HttpClient::new().send(req, 1024).await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("could not reach http://127.0.0.1:{port}/x: ")),
            "{msg}"
        );
        assert!(msg.contains("refused"), "{msg}");
        assert!(!msg.contains("secret"), "{msg}");
    }

    #[tokio::test]
    async fn bodies_past_the_limit_are_refused() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let body = "x".repeat(5000);
            let resp = format!("HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n{body}");
            let _ = s.write_all(resp.as_bytes()).await;
        });
        let req = Request::get(format!("http://{addr}/big"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let err = HttpClient::new().send(req, 4096).await.unwrap_err();
        assert!(
            matches!(err, CallError::TooLarge { limit: 4096, .. }),
            "{err}"
        );
    }
}
