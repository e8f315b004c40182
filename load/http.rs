//! `--target http://HOST:PORT`: `aslx serve` (or any Step Functions endpoint speaking AWS JSON
//! 1.0) over HTTP/1.1 keep-alive, one connection per lane.
//!
//! Sync mode posts `AWSStepFunctions.StartSyncExecution` and counts an execution as succeeded
//! when the answer's `status` is `SUCCEEDED`; async mode posts `StartExecution` and counts the
//! acceptance (an express execution's end cannot be observed over the API).

use crate::target::{Client, Target};
use crate::Mode;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

const JSON_1_0: &str = "application/x-amz-json-1.0";

/// A Step Functions endpoint and the request every execution sends.
pub struct Http {
    host: String,
    port: u16,
    host_header: HeaderValue,
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
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("--target {url:?}: not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "--target {url:?}: only http://HOST:PORT is supported (no TLS)"
            ));
        }
        let host = uri
            .host()
            .ok_or_else(|| format!("--target {url:?}: no host"))?
            .trim_matches(|c| c == '[' || c == ']')
            .to_string();
        let port = uri.port_u16().unwrap_or(80);
        let authority = uri.authority().map_or(host.as_str(), |a| a.as_str());
        let host_header = HeaderValue::from_str(authority)
            .map_err(|e| format!("--target {url:?}: bad host: {e}"))?;
        let op = HeaderValue::from_static(match mode {
            Mode::Sync => "AWSStepFunctions.StartSyncExecution",
            Mode::Async => "AWSStepFunctions.StartExecution",
        });
        let mut http = Http {
            host,
            port,
            host_header,
            op,
            body: Bytes::new(),
            mode,
            arn: String::new(),
        };
        let arn = match machine.arn {
            Some(arn) => arn,
            None => http.create(&machine).await?,
        };
        http.body = Bytes::from(
            serde_json::to_vec(&serde_json::json!({ "stateMachineArn": arn, "input": input_text }))
                .expect("a JSON object serializes"),
        );
        http.arn = arn;
        Ok(http)
    }

    /// `CreateStateMachine` (EXPRESS); idempotent on AWS for the same name and definition.
    async fn create(&self, m: &Machine<'_>) -> Result<String, String> {
        #[derive(Deserialize)]
        struct Created {
            #[serde(rename = "stateMachineArn")]
            arn: String,
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "name": m.name,
            "definition": m.definition,
            "roleArn": m.role_arn,
            "type": "EXPRESS",
        }))
        .expect("a JSON object serializes");
        let mut conn = self.connect().await?;
        let op = HeaderValue::from_static("AWSStepFunctions.CreateStateMachine");
        let (status, answer) = conn.post(&op, Bytes::from(body)).await?;
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

    async fn connect(&'_ self) -> Result<Conn<'_>, String> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("connect {}:{}: {e}", self.host, self.port))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {}:{}: {e}", self.host, self.port))?;
        tokio::spawn(conn);
        Ok(Conn { http: self, sender })
    }
}

/// One keep-alive connection.
pub struct Conn<'a> {
    http: &'a Http,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn<'_> {
    /// Waits until the connection can take a request; an error means it is gone.
    async fn ready(&mut self) -> Result<(), String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))
    }

    async fn post(&mut self, op: &HeaderValue, body: Bytes) -> Result<(StatusCode, Bytes), String> {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/")
            .header(HOST, self.http.host_header.clone())
            .header(CONTENT_TYPE, JSON_1_0)
            .header("x-amz-target", op.clone())
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

impl Target for Http {
    type Client = HttpClient;

    async fn client(&'static self) -> Result<HttpClient, String> {
        Ok(HttpClient {
            conn: Some(self.connect().await?),
            http: self,
        })
    }
}

/// A lane over HTTP: reconnects after a connection error.
pub struct HttpClient {
    http: &'static Http,
    conn: Option<Conn<'static>>,
}

impl Client for HttpClient {
    async fn call(&mut self) -> Result<bool, String> {
        let http = self.http;
        // A connection the server closed (no keep-alive, idle timeout) is replaced before
        // anything is sent on it, so that is not counted as a failure.
        if let Some(c) = &mut self.conn {
            if c.sender.is_closed() || c.ready().await.is_err() {
                self.conn = None;
            }
        }
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self.conn.insert(http.connect().await?),
        };
        let (status, body) = match conn.post(&http.op, http.body.clone()).await {
            Ok(r) => r,
            Err(e) => {
                self.conn = None;
                return Err(e);
            }
        };
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
fn api_error(status: StatusCode, body: &[u8]) -> String {
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
fn lossy(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.into_owned(),
    }
}
