//! `--target http://HOST:PORT`: `aslx serve` (or any Step Functions endpoint speaking AWS JSON
//! 1.0) over HTTP/1.1 keep-alive, one connection per lane.
//!
//! Sync mode posts `AWSStepFunctions.StartSyncExecution` and counts an execution as succeeded
//! when the answer's `status` is `SUCCEEDED`; async mode posts `StartExecution` and counts the
//! acceptance (an express execution's end cannot be observed over the API).
//!
//! [`Endpoint`] (connect, CreateStateMachine), [`Conn::call`] (one AWS JSON request) and
//! [`Lane`] (a connection replaced when the server closed it) are shared with the `route:` and
//! `events:` targets.

use crate::target::{Client, Target};
use crate::Mode;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

/// Step Functions' content type.
pub const JSON_1_0: &str = "application/x-amz-json-1.0";

/// Where requests go: a host and port, over HTTP/1.1 keep-alive (shared with `route:`).
pub struct Endpoint {
    host: String,
    port: u16,
    host_header: HeaderValue,
}

impl Endpoint {
    /// The endpoint of `url` (`http://HOST[:PORT]...`); `flag` names it in errors.
    pub fn parse(flag: &str, url: &str) -> Result<(Endpoint, Uri), String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("{flag} {url:?}: not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "{flag} {url:?}: only http://HOST:PORT is supported (no TLS)"
            ));
        }
        let host = uri
            .host()
            .ok_or_else(|| format!("{flag} {url:?}: no host"))?
            .trim_matches(|c| c == '[' || c == ']')
            .to_string();
        let port = uri.port_u16().unwrap_or(80);
        let authority = uri.authority().map_or(host.as_str(), |a| a.as_str());
        let host_header = HeaderValue::from_str(authority)
            .map_err(|e| format!("{flag} {url:?}: bad host: {e}"))?;
        Ok((
            Endpoint {
                host,
                port,
                host_header,
            },
            uri,
        ))
    }

    /// A new keep-alive connection.
    pub async fn connect(&'_ self) -> Result<Conn<'_>, String> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("connect {}:{}: {e}", self.host, self.port))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {}:{}: {e}", self.host, self.port))?;
        tokio::spawn(conn);
        Ok(Conn {
            endpoint: self,
            sender,
        })
    }

    /// `CreateStateMachine` (EXPRESS); idempotent on AWS for the same name and definition.
    pub async fn create_machine(&self, m: &Machine<'_>) -> Result<String, String> {
        self.create_machine_of_type(m, "EXPRESS").await
    }

    /// `CreateStateMachine` of `kind` (`EXPRESS` or `STANDARD`).
    pub async fn create_machine_of_type(
        &self,
        m: &Machine<'_>,
        kind: &str,
    ) -> Result<String, String> {
        #[derive(Deserialize)]
        struct Created {
            #[serde(rename = "stateMachineArn")]
            arn: String,
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "name": m.name,
            "definition": m.definition,
            "roleArn": m.role_arn,
            "type": kind,
        }))
        .expect("a JSON object serializes");
        let mut conn = self.connect().await?;
        let op = HeaderValue::from_static("AWSStepFunctions.CreateStateMachine");
        let (status, answer) = conn
            .post("/", JSON_1_0, Some(&op), Bytes::from(body))
            .await?;
        if status != StatusCode::OK {
            return Err(format!(
                "CreateStateMachine {:?}: {}",
                m.name,
                api_error(status, &answer)
            ));
        }
        serde_json::from_slice::<Created>(&answer)
            .map(|c| c.arn)
            .map_err(|e| {
                format!(
                    "CreateStateMachine: unexpected answer ({e}): {}",
                    lossy(&answer)
                )
            })
    }
}

/// A Step Functions endpoint and the request every execution sends.
pub struct Http {
    endpoint: Endpoint,
    op: HeaderValue,
    /// `{"stateMachineArn": ..., "input": ...}`, built once.
    body: Bytes,
    mode: Mode,
    /// The state machine the executions start.
    pub arn: String,
}

/// How to find or make the state machine on the server.
pub struct Machine<'a> {
    /// Use this ARN (`--state-machine-arn`); otherwise create the machine.
    pub arn: Option<String>,
    /// Name for CreateStateMachine.
    pub name: &'a str,
    /// Definition for CreateStateMachine.
    pub definition: &'a str,
    /// Role ARN for CreateStateMachine.
    pub role_arn: &'a str,
}

impl Http {
    /// Parses `url`, checks the server answers and creates the machine unless its ARN is given.
    pub async fn new(
        url: &str,
        mode: Mode,
        machine: Machine<'_>,
        input_text: &str,
    ) -> Result<Http, String> {
        let (endpoint, _) = Endpoint::parse("--target", url)?;
        let op = HeaderValue::from_static(match mode {
            Mode::Sync => "AWSStepFunctions.StartSyncExecution",
            Mode::Async => "AWSStepFunctions.StartExecution",
        });
        let mut http = Http {
            endpoint,
            op,
            body: Bytes::new(),
            mode,
            arn: String::new(),
        };
        let arn = match machine.arn {
            Some(arn) => arn,
            None => http.endpoint.create_machine(&machine).await?,
        };
        http.body = Bytes::from(
            serde_json::to_vec(&serde_json::json!({ "stateMachineArn": arn, "input": input_text }))
                .expect("a JSON object serializes"),
        );
        http.arn = arn;
        Ok(http)
    }
}

/// One keep-alive connection.
pub struct Conn<'a> {
    endpoint: &'a Endpoint,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn<'_> {
    /// One AWS JSON request (`X-Amz-Target: target`): the answer's JSON, or the error it is.
    pub async fn call(
        &mut self,
        content_type: &'static str,
        target: &'static str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let op = HeaderValue::from_static(target);
        let body = Bytes::from(serde_json::to_vec(body).expect("a JSON value serializes"));
        let (status, answer) = self.post("/", content_type, Some(&op), body).await?;
        if status != StatusCode::OK {
            return Err(format!("{target}: {}", api_error(status, &answer)));
        }
        serde_json::from_slice(&answer)
            .map_err(|e| format!("{target}: unexpected answer ({e}): {}", lossy(&answer)))
    }

    /// Waits until the connection can take a request; an error means it is gone.
    async fn ready(&mut self) -> Result<(), String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))
    }

    /// POSTs `body` to `path`, with an `X-Amz-Target` when one is given.
    async fn post(
        &mut self,
        path: &str,
        content_type: &'static str,
        target: Option<&HeaderValue>,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), String> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.endpoint.host_header.clone())
            .header(CONTENT_TYPE, content_type);
        if let Some(t) = target {
            req = req.header("x-amz-target", t.clone());
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;
        self.ready().await?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("response body: {e}"))?
            .to_bytes();
        Ok((status, body))
    }
}

/// A lane's connection: replaced when the server closed it (no keep-alive, idle timeout)
/// before anything is sent on it, so that is not counted as a failure.
pub struct Lane {
    endpoint: &'static Endpoint,
    conn: Option<Conn<'static>>,
}

impl Lane {
    /// A lane with its connection open.
    pub async fn open(endpoint: &'static Endpoint) -> Result<Lane, String> {
        Ok(Lane {
            conn: Some(endpoint.connect().await?),
            endpoint,
        })
    }

    /// POSTs `body` to `path` (see [`Conn::post`]); a failed connection is dropped.
    pub async fn post(
        &mut self,
        path: &str,
        content_type: &'static str,
        target: Option<&HeaderValue>,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), String> {
        if let Some(c) = &mut self.conn {
            if c.sender.is_closed() || c.ready().await.is_err() {
                self.conn = None;
            }
        }
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self.conn.insert(self.endpoint.connect().await?),
        };
        let r = conn.post(path, content_type, target, body).await;
        if r.is_err() {
            self.conn = None;
        }
        r
    }
}

impl Target for Http {
    type Client = HttpClient;

    async fn client(&'static self) -> Result<HttpClient, String> {
        Ok(HttpClient {
            lane: Lane::open(&self.endpoint).await?,
            http: self,
        })
    }
}

/// A lane over HTTP: reconnects after a connection error.
pub struct HttpClient {
    http: &'static Http,
    lane: Lane,
}

impl Client for HttpClient {
    async fn call(&mut self) -> Result<bool, String> {
        let http = self.http;
        let (status, body) = self
            .lane
            .post("/", JSON_1_0, Some(&http.op), http.body.clone())
            .await?;
        if status != StatusCode::OK {
            return Err(api_error(status, &body));
        }
        match http.mode {
            Mode::Async => Ok(true),
            Mode::Sync => {
                #[derive(Deserialize)]
                struct Answer<'a> {
                    #[serde(borrow)]
                    status: Option<&'a str>,
                }
                match serde_json::from_slice::<Answer>(&body) {
                    Ok(a) => Ok(a.status == Some("SUCCEEDED")),
                    Err(e) => Err(format!(
                        "StartSyncExecution: unexpected answer ({e}): {}",
                        lossy(&body)
                    )),
                }
            }
        }
    }
}

/// `HTTP 400 ThrottlingException: message` from an AWS JSON error answer.
pub fn api_error(status: StatusCode, body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Error<'a> {
        #[serde(rename = "__type", borrow)]
        kind: Option<&'a str>,
        #[serde(alias = "Message", borrow)]
        message: Option<std::borrow::Cow<'a, str>>,
    }
    match serde_json::from_slice::<Error>(body) {
        Ok(Error {
            kind: Some(k),
            message,
        }) => format!(
            "HTTP {} {}: {}",
            status.as_u16(),
            k.rsplit('#').next().unwrap_or(k),
            message.as_deref().unwrap_or("")
        ),
        _ => format!("HTTP {}: {}", status.as_u16(), lossy(body)),
    }
}

/// At most 200 characters of an answer, for messages.
pub fn lossy(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.into_owned(),
    }
}
