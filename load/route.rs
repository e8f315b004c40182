//! `--target route:http://HOST:PORT/path`: a route of `aslx serve --route` (API Gateway's
//! Step Functions integration, locally), over HTTP/1.1 keep-alive, one connection per lane.
//!
//! Each execution POSTs the input as the body (`Content-Type: application/json`) and counts a
//! 200 as succeeded; any other answer is a failure, its `{"error", "cause"}` the message. The
//! route decides sync or async: `--mode` only names the run. The route's machine must exist
//! (`--api` creates it first).

use crate::http::{lossy, Endpoint, Lane};
use crate::target::{Client, Target};
use bytes::Bytes;
use hyper::StatusCode;
use serde::Deserialize;

/// A route and the body every execution sends.
pub struct Route {
    endpoint: Endpoint,
    /// Path and query of the URL.
    path: String,
    body: Bytes,
}

impl Route {
    /// `url` is the part after `route:`; `input_text` is valid JSON (checked by the caller).
    pub fn new(url: &str, input_text: &str) -> Result<Route, String> {
        let (endpoint, uri) = Endpoint::parse("--target route:", url)?;
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        Ok(Route {
            endpoint,
            path,
            body: Bytes::from(input_text.to_string()),
        })
    }
}

impl Target for Route {
    type Client = RouteClient;

    async fn client(&'static self) -> Result<RouteClient, String> {
        Ok(RouteClient {
            lane: Lane::open(&self.endpoint).await?,
            route: self,
        })
    }
}

/// A lane of the route target: reconnects after a connection error.
pub struct RouteClient {
    route: &'static Route,
    lane: Lane,
}

impl Client for RouteClient {
    async fn call(&mut self) -> Result<bool, String> {
        let r = self.route;
        let (status, body) = self
            .lane
            .post(&r.path, "application/json", None, r.body.clone())
            .await?;
        if status == StatusCode::OK {
            Ok(true)
        } else {
            Err(route_error(status, &body))
        }
    }
}

/// `HTTP 429 ThrottlingException: Rate exceeded` from a route's `{"error", "cause"}`.
fn route_error(status: StatusCode, body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Error<'a> {
        #[serde(borrow)]
        error: std::borrow::Cow<'a, str>,
        #[serde(borrow)]
        cause: std::borrow::Cow<'a, str>,
    }
    match serde_json::from_slice::<Error>(body) {
        Ok(e) => format!("HTTP {} {}: {}", status.as_u16(), e.error, e.cause),
        Err(_) => format!("HTTP {}: {}", status.as_u16(), lossy(body)),
    }
}
