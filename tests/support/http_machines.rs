//! Machines with one HTTP Task, and the connections the HTTP Task tests use, bound to a
//! `TestServer` (`http_server.rs`). Included by `tests/http_task.rs` and
//! `tests/http_connections.rs`.

#![allow(dead_code)]

use super::http_server::TestServer;
use aslx::integrations::{AwsCredentials, Connections, Endpoints, Integrations};
use aslx::{json, Handlers, Machine, MachineType, Outcome, Status, Value};

pub const API_KEY_CONN: &str = "arn:aws:events:us-east-1:123456789012:connection/apikey/81210c42";

/// The connections of these tests: the secrets are `sk-secret-1`, `hunter2` and
/// `client-secret`; `oauth` and `oauth-short` take tokens from `server`.
pub fn connections(server: &TestServer) -> Connections {
    Connections::parse(&format!(
        r#"{{
      "{API_KEY_CONN}": {{"AuthorizationType": "API_KEY", "AuthParameters": {{
        "ApiKeyAuthParameters": {{"ApiKeyName": "ApiKey", "ApiKeyValue": "sk-secret-1"}},
        "InvocationHttpParameters": {{
          "BodyParameters": [{{"Key": "BodyParam", "Value": "connection_body_param"}}],
          "HeaderParameters": [{{"Key": "Header-Param", "Value": "connection_header_param"}}],
          "QueryStringParameters": [{{"Key": "QueryParam", "Value": "connection_query_param"}}]}}}}}},
      "basic": {{"AuthorizationType": "BASIC", "AuthParameters": {{
        "BasicAuthParameters": {{"Username": "alice", "Password": "hunter2"}}}}}},
      "oauth": {{"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {{"OAuthParameters": {{
        "AuthorizationEndpoint": "{token}", "HttpMethod": "POST",
        "ClientParameters": {{"ClientID": "client-id", "ClientSecret": "client-secret"}},
        "OAuthHttpParameters": {{"BodyParameters": [{{"Key": "scope", "Value": "read write"}}]}}}}}}}},
      "oauth-short": {{"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {{"OAuthParameters": {{
        "AuthorizationEndpoint": "{short}",
        "ClientParameters": {{"ClientID": "client-id", "ClientSecret": "client-secret"}}}}}}}},
      "oauth-wrong": {{"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {{"OAuthParameters": {{
        "AuthorizationEndpoint": "{token}",
        "ClientParameters": {{"ClientID": "client-id", "ClientSecret": "not-the-secret"}}}}}}}}
    }}"#,
        token = server.url("/token"),
        short = server.url("/token-short"),
    ))
    .unwrap()
}

pub fn handlers(server: &TestServer) -> Handlers {
    let i = Integrations::new(
        Endpoints::new(),
        AwsCredentials::new("AKIDEXAMPLE", "aws-secret", "eu-west-1"),
    )
    .with_connections(connections(server));
    let mut h = Handlers::new();
    h.integrations(i);
    h
}

/// A one-Task machine; `extra` adds fields to the Task (`"Retry": [...]`, ...).
pub fn definition(params: &Value, extra: &str) -> String {
    format!(
        r#"{{"StartAt": "Call", "States": {{"Call": {{"Type": "Task",
            "Resource": "arn:aws:states:::http:invoke", "Parameters": {} {extra}, "End": true}}}}}}"#,
        params.to_json()
    )
}

pub async fn run_def(h: &Handlers, def: &str) -> Outcome {
    let m =
        Machine::new("http", def, MachineType::Express, h).unwrap_or_else(|e| panic!("{e}\n{def}"));
    m.run(json!({})).await
}

pub async fn run_with(server: &TestServer, params: Value, extra: &str) -> Outcome {
    run_def(&handlers(server), &definition(&params, extra)).await
}

pub async fn run(server: &TestServer, params: Value) -> Outcome {
    run_with(server, params, "").await
}

pub fn output(o: &Outcome) -> &Value {
    assert_eq!(o.status, Status::Succeeded, "{:?} {:?}", o.error, o.cause);
    o.output.as_ref().unwrap()
}

pub fn failure(o: &Outcome) -> (&str, &str) {
    assert_eq!(o.status, Status::Failed, "{:?}", o.output);
    (
        o.error.as_deref().unwrap_or(""),
        o.cause.as_deref().unwrap_or(""),
    )
}

pub fn oauth_call(s: &TestServer, conn: &str) -> Value {
    json!({"Authentication": {"ConnectionArn": format!("arn:aws:events:us-east-1:1:connection/{conn}/x")},
           "ApiEndpoint": s.url("/protected"), "Method": "GET"})
}
