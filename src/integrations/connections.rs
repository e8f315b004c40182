//! EventBridge connections for the HTTP Task, read from a local file (`--connections FILE`),
//! since there is no EventBridge connection store to ask.
//!
//! The file is one JSON object: each key a connection ARN or a connection name, each value
//! the connection as EventBridge's `CreateConnection` takes it (so the input of
//! `aws events create-connection --cli-input-json` can be pasted in):
//!
//! ```json
//! {
//!   "arn:aws:events:us-east-1:123456789012:connection/stripe/81210c42": {
//!     "AuthorizationType": "API_KEY",
//!     "AuthParameters": {
//!       "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "sk_test_1"},
//!       "InvocationHttpParameters": {
//!         "HeaderParameters": [{"Key": "X-Team", "Value": "payments"}],
//!         "QueryStringParameters": [{"Key": "region", "Value": "eu"}],
//!         "BodyParameters": [{"Key": "source", "Value": "aslx"}]
//!       }
//!     }
//!   },
//!   "billing": {
//!     "AuthorizationType": "BASIC",
//!     "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}}
//!   },
//!   "crm": {
//!     "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
//!     "AuthParameters": {"OAuthParameters": {
//!       "AuthorizationEndpoint": "https://auth.example.com/oauth/token",
//!       "HttpMethod": "POST",
//!       "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
//!       "OAuthHttpParameters": {"BodyParameters": [{"Key": "scope", "Value": "read"}]}
//!     }}
//!   }
//! }
//! ```
//!
//! A Task's `ConnectionArn` finds its connection by the whole ARN first, then by the
//! connection's name (`arn:aws:events:<region>:<account>:connection/<name>/<id>`), so a file
//! keyed by name serves every region and account.
//!
//! The secrets stay in this module and in the requests they authorise: `Debug` shows names
//! and types only, and no error message quotes a value.

use super::client::HttpClient;
use super::oauth::OAuth;
use super::oauth::{basic, secret_header, unauthorized};
use super::url::parse_url;
use crate::value::{parse_json, Map, Value};
use crate::vm::TaskError;
use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use std::collections::HashMap;
use std::sync::Arc;

/// One `{Key, Value}` of `HeaderParameters`, `QueryStringParameters` or `BodyParameters`.
pub(crate) type Param = (String, String);

/// The extra parameters a connection adds to every request (EventBridge's
/// `ConnectionHttpParameters`).
#[derive(Clone, Default)]
pub(crate) struct HttpParameters {
    pub headers: Vec<Param>,
    pub query: Vec<Param>,
    pub body: Vec<Param>,
}

/// How a connection authorises requests.
pub(crate) enum Auth {
    /// A header named `name` with value `value`.
    ApiKey {
        name: HeaderName,
        value: HeaderValue,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic { username: String, password: String },
    /// `Authorization: Bearer <token>`, the token from the client-credentials grant.
    OAuth(OAuth),
}

/// One connection.
pub(crate) struct Connection {
    /// The file's key: how errors name it.
    pub key: String,
    pub auth: Auth,
    pub invocation: HttpParameters,
}

/// The connections of a file.
#[derive(Default, Clone)]
pub struct Connections {
    by_key: HashMap<String, Arc<Connection>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, c) in &self.by_key {
            m.entry(k, &c.auth.type_name());
        }
        m.finish()
    }
}

impl Auth {
    fn type_name(&self) -> &'static str {
        match self {
            Auth::ApiKey { .. } => "API_KEY",
            Auth::Basic { .. } => "BASIC",
            Auth::OAuth(_) => "OAUTH_CLIENT_CREDENTIALS",
        }
    }
}

impl Connections {
    /// No connections.
    pub fn new() -> Connections {
        Connections::default()
    }

    /// Reads a connections file (format in the module documentation).
    ///
    /// # Errors
    ///
    /// A message naming the file, and the connection and field at fault.
    pub fn from_file(path: &str) -> Result<Connections, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("connections file {path}: cannot read it: {e}"))?;
        Connections::parse(&text).map_err(|e| format!("connections file {path}: {e}"))
    }

    /// Parses the text of a connections file.
    ///
    /// # Errors
    ///
    /// A message naming the connection and the field at fault, or the JSON error's line and
    /// column. Secret values are never quoted.
    ///
    /// ```
    /// use aslx::integrations::Connections;
    /// let err = Connections::parse(r#"{"c": {"AuthorizationType": "DIGEST"}}"#).unwrap_err();
    /// assert!(err.contains("connection \"c\": AuthorizationType \"DIGEST\""), "{err}");
    /// ```
    pub fn parse(text: &str) -> Result<Connections, String> {
        let v = parse_json(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let Some(top) = v.as_object() else {
            return Err(format!(
                "expected an object of connections keyed by ARN or name, found {}",
                v.type_name()
            ));
        };
        let mut by_key = HashMap::with_capacity(top.len());
        for (key, c) in top.iter() {
            let conn = connection(key, c).map_err(|e| format!("connection {key:?}: {e}"))?;
            by_key.insert(key.to_string(), Arc::new(conn));
        }
        Ok(Connections { by_key })
    }

    /// How many connections there are.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The connection an ARN (or name) names: the whole string first, then the connection's
    /// name inside an ARN.
    pub(crate) fn find(&self, arn: &str) -> Option<&Arc<Connection>> {
        self.by_key.get(arn).or_else(|| {
            let rest = arn.split_once(":connection/")?.1;
            self.by_key.get(rest.split('/').next()?)
        })
    }
}

/// Reads one connection.
fn connection(key: &str, c: &Value) -> Result<Connection, String> {
    let c = c
        .as_object()
        .ok_or_else(|| format!("expected an object, found {}", c.type_name()))?;
    let kind = c
        .get("AuthorizationType")
        .ok_or("AuthorizationType is missing")?;
    let kind = kind.as_str().ok_or_else(|| {
        format!(
            "AuthorizationType must be a string, found {}",
            kind.type_name()
        )
    })?;
    let empty = Map::new();
    let params = match c.get("AuthParameters") {
        None => &empty,
        Some(p) => p
            .as_object()
            .ok_or_else(|| format!("AuthParameters must be an object, found {}", p.type_name()))?,
    };
    let invocation = http_parameters(params, "InvocationHttpParameters")?;
    let auth = match kind {
        "API_KEY" => {
            let p = section(params, "ApiKeyAuthParameters")?;
            let name = text(p, "ApiKeyAuthParameters", "ApiKeyName")?;
            let value = text(p, "ApiKeyAuthParameters", "ApiKeyValue")?;
            Auth::ApiKey {
                name: HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    format!(
                        "ApiKeyAuthParameters.ApiKeyName {name:?} is not a valid HTTP header name"
                    )
                })?,
                value: secret_header(&value)
                    .ok_or("ApiKeyAuthParameters.ApiKeyValue is not a valid HTTP header value")?,
            }
        }
        "BASIC" => {
            let p = section(params, "BasicAuthParameters")?;
            Auth::Basic {
                username: text(p, "BasicAuthParameters", "Username")?,
                password: text(p, "BasicAuthParameters", "Password")?,
            }
        }
        "OAUTH_CLIENT_CREDENTIALS" => {
            let p = section(params, "OAuthParameters")?;
            let endpoint = text(p, "OAuthParameters", "AuthorizationEndpoint")?;
            parse_url(&endpoint)
                .map_err(|e| format!("OAuthParameters.AuthorizationEndpoint {e}"))?;
            let method = match p.get("HttpMethod") {
                None => "POST".to_string(),
                Some(_) => text(p, "OAuthParameters", "HttpMethod")?,
            };
            if !matches!(method.as_str(), "GET" | "POST" | "PUT") {
                return Err(format!(
                    "OAuthParameters.HttpMethod {method:?} is not one of GET, POST, PUT"
                ));
            }
            let client = p
                .get("ClientParameters")
                .and_then(Value::as_object)
                .ok_or("OAuthParameters.ClientParameters is missing")?;
            let field = "OAuthParameters.ClientParameters";
            Auth::OAuth(OAuth {
                endpoint,
                method,
                client_id: text(client, field, "ClientID")?,
                client_secret: text(client, field, "ClientSecret")?,
                params: http_parameters(p, "OAuthHttpParameters")
                    .map_err(|e| format!("OAuthParameters.{e}"))?,
                token: tokio::sync::Mutex::new(None),
            })
        }
        other => {
            return Err(format!(
                "AuthorizationType {other:?} is not one of API_KEY, BASIC, OAUTH_CLIENT_CREDENTIALS"
            ))
        }
    };
    Ok(Connection {
        key: key.to_string(),
        auth,
        invocation,
    })
}

impl Connection {
    /// Adds the connection's authorisation to a request's headers: its API key header, or
    /// `Authorization` (Basic, or Bearer with an OAuth token fetched now or cached).
    ///
    /// # Errors
    ///
    /// `Events.ConnectionResource.InvalidConnectionState` when no OAuth token can be had.
    pub(crate) async fn authorize(
        &self,
        client: &HttpClient,
        headers: &mut HeaderMap,
    ) -> Result<(), TaskError> {
        let (name, value) = match &self.auth {
            Auth::ApiKey { name, value } => (name.clone(), value.clone()),
            Auth::Basic { username, password } => (AUTHORIZATION, basic(username, password)),
            Auth::OAuth(o) => {
                let token = o.token(client, &self.key).await?;
                let value = secret_header(&format!("Bearer {token}")).ok_or_else(|| {
                    unauthorized(
                        &self.key,
                        "the OAuth token is not a valid HTTP header value",
                    )
                })?;
                (AUTHORIZATION, value)
            }
        };
        headers.insert(name, value);
        Ok(())
    }

    /// Drops a cached OAuth token (the API answered 401).
    pub(crate) fn forget_token(&self) {
        if let Auth::OAuth(o) = &self.auth {
            if let Ok(mut t) = o.token.try_lock() {
                *t = None;
            }
        }
    }
}

/// `AuthParameters.<name>`, which must be there.
fn section<'a>(params: &'a Map, name: &str) -> Result<&'a Map, String> {
    match params.get(name) {
        None => Err(format!("AuthParameters.{name} is missing")),
        Some(v) => v
            .as_object()
            .ok_or_else(|| format!("AuthParameters.{name} must be an object")),
    }
}

/// A string field, which must be there. Only its name is ever quoted.
fn text(m: &Map, within: &str, name: &str) -> Result<String, String> {
    match m.get(name) {
        None => Err(format!("{within}.{name} is missing")),
        Some(Value::String(s)) => Ok(s.to_string()),
        Some(v) => Err(format!(
            "{within}.{name} must be a string, found {}",
            v.type_name()
        )),
    }
}

/// `{HeaderParameters, QueryStringParameters, BodyParameters}` under `name`, if present.
fn http_parameters(m: &Map, name: &str) -> Result<HttpParameters, String> {
    let Some(v) = m.get(name) else {
        return Ok(HttpParameters::default());
    };
    let p = v
        .as_object()
        .ok_or_else(|| format!("{name} must be an object"))?;
    let list = |field: &str| -> Result<Vec<Param>, String> {
        let Some(items) = p.get(field) else {
            return Ok(Vec::new());
        };
        let items = items
            .as_array()
            .ok_or_else(|| format!("{name}.{field} must be an array of {{Key, Value}}"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let at = format!("{name}.{field}[{i}]");
                let item = item
                    .as_object()
                    .ok_or_else(|| format!("{at} must be an object {{Key, Value}}"))?;
                let value = match item.get("Value") {
                    Some(Value::String(s)) => s.to_string(),
                    Some(v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_))) => v.to_json(),
                    Some(_) => return Err(format!("{at}.Value must be a string")),
                    None => return Err(format!("{at}.Value is missing")),
                };
                Ok((text(item, &at, "Key")?, value))
            })
            .collect()
    };
    Ok(HttpParameters {
        headers: list("HeaderParameters")?,
        query: list("QueryStringParameters")?,
        body: list("BodyParameters")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_auth_type_reads_and_connections_are_found_by_arn_or_name() {
        let c = Connections::parse(
            r#"{
              "arn:aws:events:us-east-1:1:connection/k/1": {"AuthorizationType": "API_KEY",
                "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "v"},
                  "InvocationHttpParameters": {"HeaderParameters": [{"Key": "h", "Value": "1"}]}}},
              "b": {"AuthorizationType": "BASIC",
                "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}}},
              "o": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
                "AuthParameters": {"OAuthParameters": {"AuthorizationEndpoint": "http://127.0.0.1:1/t",
                  "ClientParameters": {"ClientID": "i", "ClientSecret": "s"}}}}
            }"#,
        )
        .unwrap();
        assert_eq!(c.len(), 3);
        let k = c.find("arn:aws:events:us-east-1:1:connection/k/1").unwrap();
        assert_eq!(k.invocation.headers, vec![("h".into(), "1".into())]);
        assert!(c
            .find("arn:aws:events:eu-west-1:2:connection/b/xyz")
            .is_some());
        assert!(c
            .find("arn:aws:events:eu-west-1:2:connection/k/2")
            .is_none());
        match &c.find("o").unwrap().auth {
            Auth::OAuth(o) => assert_eq!(o.method, "POST"),
            _ => panic!("not OAuth"),
        }
    }

    #[test]
    fn bad_files_name_the_connection_and_field_but_never_a_secret() {
        let e = |t: &str| Connections::parse(t).unwrap_err();
        assert!(e("[]").contains("expected an object"));
        assert!(e("{").starts_with("not valid JSON: line 1"), "{}", e("{"));
        let m = e(r#"{"c": {"AuthorizationType": "API_KEY", "AuthParameters": {}}}"#);
        assert_eq!(
            m,
            "connection \"c\": AuthParameters.ApiKeyAuthParameters is missing"
        );
        let m = e(r#"{"c": {"AuthorizationType": "BASIC", "AuthParameters":
            {"BasicAuthParameters": {"Username": "u", "Password": 12345}}}}"#);
        assert!(
            m.contains("BasicAuthParameters.Password must be a string"),
            "{m}"
        );
        assert!(!m.contains("12345"), "{m}");
        let m = e(
            r#"{"c": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters":
            {"OAuthParameters": {"AuthorizationEndpoint": "ftp://x",
             "ClientParameters": {"ClientID": "i", "ClientSecret": "s"}}}}}"#,
        );
        assert!(m.contains("AuthorizationEndpoint"), "{m}");
        let m = e(
            r#"{"c": {"AuthorizationType": "API_KEY", "AuthParameters": {
            "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"},
            "InvocationHttpParameters": {"QueryStringParameters": [{"Value": "x"}]}}}}"#,
        );
        assert!(
            m.contains("InvocationHttpParameters.QueryStringParameters[0].Key is missing"),
            "{m}"
        );
    }

    #[test]
    fn debug_shows_types_not_secrets() {
        let c = Connections::parse(
            r#"{"b": {"AuthorizationType": "BASIC",
                "AuthParameters": {"BasicAuthParameters": {"Username": "alice", "Password": "hunter2"}}}}"#,
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(
            d.contains("BASIC") && !d.contains("hunter2") && !d.contains("alice"),
            "{d}"
        );
    }
}
