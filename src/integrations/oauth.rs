//! The OAuth client-credentials grant of `OAUTH_CLIENT_CREDENTIALS` connections: the token
//! endpoint called as EventBridge does, the token kept until it expires; and the header
//! values that carry secrets.

use super::client::HttpClient;
use super::connections::HttpParameters;
use super::url::{pair, parse_url, shown_url};
use crate::value::{parse_json, Value};
use crate::vm::TaskError;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http_body_util::Full;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An OAuth client-credentials grant, and the token it last gave.
pub(crate) struct OAuth {
    pub endpoint: String,
    pub method: String,
    pub client_id: String,
    pub client_secret: String,
    pub params: HttpParameters,
    /// The token and when it stops being used; one fetch at a time per connection.
    pub token: tokio::sync::Mutex<Option<(Arc<str>, Option<Instant>)>>,
}

/// A header value marked sensitive (hyper then keeps it out of its own debug output).
pub(crate) fn secret_header(v: &str) -> Option<HeaderValue> {
    let mut h = HeaderValue::from_str(v).ok()?;
    h.set_sensitive(true);
    Some(h)
}

/// `Basic base64(user:password)`.
pub(crate) fn basic(user: &str, password: &str) -> HeaderValue {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    secret_header(&format!("Basic {b64}")).unwrap_or(HeaderValue::from_static("Basic"))
}

pub(crate) fn unauthorized(key: &str, why: &str) -> TaskError {
    TaskError::new(
        "Events.ConnectionResource.InvalidConnectionState",
        format!("Connection {key:?} could not be authorized: {why}"),
    )
}

impl OAuth {
    /// The cached token while it lasts, else a new one. The lock makes concurrent calls
    /// wait for one fetch rather than each fetch their own.
    pub(crate) async fn token(
        &self,
        client: &HttpClient,
        key: &str,
    ) -> Result<Arc<str>, TaskError> {
        let mut slot = self.token.lock().await;
        if let Some((t, until)) = &*slot {
            if until.is_none_or(|u| Instant::now() < u) {
                return Ok(Arc::clone(t));
            }
        }
        let (token, ttl) = self.fetch(client, key).await?;
        *slot = Some((Arc::clone(&token), ttl.map(|d| Instant::now() + d)));
        Ok(token)
    }

    /// The client-credentials grant: the client id and secret as Basic authorisation,
    /// `grant_type=client_credentials` and the body parameters as a form (in the query for
    /// GET), the header and query parameters as given. The answer's `access_token`, and
    /// how long to keep it: `expires_in` less a tenth (at most 30 s) so that it is not used
    /// just as it lapses; no `expires_in`, no expiry.
    async fn fetch(
        &self,
        client: &HttpClient,
        key: &str,
    ) -> Result<(Arc<str>, Option<Duration>), TaskError> {
        let uri = parse_url(&self.endpoint).map_err(|e| unauthorized(key, &e))?;
        let shown = shown_url(&uri);
        let mut form = Vec::new();
        if !self.params.body.iter().any(|(k, _)| k == "grant_type") {
            form.push(pair("grant_type", "client_credentials"));
        }
        form.extend(self.params.body.iter().map(|(k, v)| pair(k, v)));
        let mut query: Vec<String> = uri.query().map(str::to_string).into_iter().collect();
        query.extend(self.params.query.iter().map(|(k, v)| pair(k, v)));
        let body = if self.method == "GET" {
            query.append(&mut form);
            Bytes::new()
        } else {
            Bytes::from(form.join("&"))
        };
        let url = match query.is_empty() {
            true => shown.clone(),
            false => format!("{shown}?{}", query.join("&")),
        };
        let mut req = http::Request::builder()
            .method(self.method.as_str())
            .uri(&url)
            .body(Full::new(body))
            .map_err(|e| {
                unauthorized(
                    key,
                    &format!("the token request to {shown} cannot be made: {e}"),
                )
            })?;
        let h = req.headers_mut();
        for (k, v) in &self.params.headers {
            if let (Ok(n), Some(v)) = (HeaderName::from_bytes(k.as_bytes()), secret_header(v)) {
                h.insert(n, v);
            }
        }
        h.insert(AUTHORIZATION, basic(&self.client_id, &self.client_secret));
        h.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if self.method != "GET" {
            h.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        let reply = tokio::time::timeout(Duration::from_secs(60), client.send(req, 64 * 1024))
            .await
            .map_err(|_| {
                unauthorized(
                    key,
                    &format!("the OAuth endpoint {shown} did not answer within 60 seconds"),
                )
            })?
            .map_err(|e| unauthorized(key, &format!("the OAuth endpoint: {e}")))?;
        if !(200..300).contains(&reply.status) {
            return Err(unauthorized(
                key,
                &format!("the OAuth endpoint {shown} answered HTTP {}", reply.status),
            ));
        }
        let answer = std::str::from_utf8(&reply.body)
            .ok()
            .and_then(|t| parse_json(t).ok());
        let token = answer
            .as_ref()
            .and_then(|a| a.get("access_token"))
            .and_then(Value::as_shared_str)
            .cloned()
            .ok_or_else(|| {
                unauthorized(
                    key,
                    &format!(
                        "the OAuth endpoint {shown} answered no JSON object with an access_token"
                    ),
                )
            })?;
        let ttl = answer
            .as_ref()
            .and_then(|a| a.get("expires_in"))
            .and_then(|e| {
                e.as_f64()
                    .or_else(|| e.as_str().and_then(|s| s.trim().parse().ok()))
            });
        let ttl = ttl.filter(|s| *s >= 0.0).map(|s| {
            let margin = (s / 10.0).min(30.0);
            Duration::from_secs_f64((s - margin).min(1e9))
        });
        Ok((token, ttl))
    }
}
