//! HTTP Tasks with connections from a connections file (`--connections`), against a real
//! loopback server: API key, Basic and OAuth client-credentials authorisation, the
//! connection's parameters merged as AWS documents, tokens cached until they expire, unknown
//! connections, and credentials kept out of errors and history.

#[path = "support/http_machines.rs"]
mod http_machines;
#[path = "support/http_server.rs"]
mod http_server;

use aslx::engine::{Engine, StartRequest};
use aslx::{json, Machine, MachineType};
use http_machines::*;
use http_server::TestServer;

#[tokio::test]
async fn api_key_connection_merges_as_aws_documents_the_connection_winning() {
    // AWS's "Merging EventBridge connection and HTTP Task definition data" example.
    let s = TestServer::start();
    let o = run(
        &s,
        json!({"Authentication": {"ConnectionArn": API_KEY_CONN},
               "ApiEndpoint": s.url("/echo"), "Method": "POST",
               "Headers": {"Request-Id": "my_request_id", "Header-Param": "state_machine_header_param"},
               "RequestBody": {"Job": "Software Engineer", "Company": "AnyCompany",
                               "BodyParam": "state_machine_body_param"},
               "QueryParameters": {"QueryParam": "state_machine_query_param"}}),
    )
    .await;
    output(&o);
    let seen = s.seen().pop().unwrap();
    assert_eq!(seen.query, "QueryParam=connection_query_param");
    assert_eq!(seen.header("apikey"), Some("sk-secret-1"));
    assert_eq!(seen.header("header-param"), Some("connection_header_param"));
    assert_eq!(seen.header("request-id"), Some("my_request_id"));
    assert_eq!(
        seen.body,
        r#"{"Job":"Software Engineer","Company":"AnyCompany","BodyParam":"connection_body_param"}"#
    );
    // InvocationConfig names a connection as Authentication does; a body-less Task gets the
    // connection's body parameters as its body.
    let o = run(
        &s,
        json!({"InvocationConfig": {"ConnectionArn": API_KEY_CONN},
               "ApiEndpoint": s.url("/echo"), "Method": "POST"}),
    )
    .await;
    output(&o);
    assert_eq!(
        s.seen().pop().unwrap().body,
        r#"{"BodyParam":"connection_body_param"}"#
    );
}

#[tokio::test]
async fn basic_connection_sends_basic_authorization_found_by_connection_name() {
    let s = TestServer::start();
    let arn = "arn:aws:events:eu-west-1:999999999999:connection/basic/0000";
    let o = run(
        &s,
        json!({"Authentication": {"ConnectionArn": arn}, "ApiEndpoint": s.url("/echo"), "Method": "GET"}),
    )
    .await;
    output(&o);
    // base64("alice:hunter2")
    assert_eq!(
        s.seen().pop().unwrap().header("authorization"),
        Some("Basic YWxpY2U6aHVudGVyMg==")
    );
}

#[tokio::test]
async fn oauth_connection_fetches_a_token_once_and_reuses_it_until_it_expires() {
    let s = TestServer::start();
    let h = handlers(&s);
    let def = definition(&oauth_call(&s, "oauth"), "");
    let m = Machine::new("oauth", &def, MachineType::Express, &h).unwrap();
    for _ in 0..3 {
        let o = m.run(json!({})).await;
        output(&o);
    }
    let tokens = s.seen_at("/token");
    assert_eq!(tokens.len(), 1, "the token is cached across calls");
    let t = &tokens[0];
    assert_eq!(t.method, "POST");
    assert_eq!(t.body, "grant_type=client_credentials&scope=read%20write");
    assert_eq!(
        t.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let api = s.seen_at("/protected");
    assert_eq!(api.len(), 3);
    assert!(api
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer tok-1")));
    // A token given for 0 seconds is fetched again for each call.
    let def = definition(&oauth_call(&s, "oauth-short"), "");
    let m = Machine::new("short", &def, MachineType::Express, &h).unwrap();
    output(&m.run(json!({})).await);
    output(&m.run(json!({})).await);
    assert_eq!(s.seen_at("/token-short").len(), 2);
}

#[tokio::test]
async fn oauth_failure_is_invalid_connection_state_and_no_secret_is_shown() {
    let s = TestServer::start();
    let o = run(&s, oauth_call(&s, "oauth-wrong")).await;
    let (e, c) = failure(&o);
    assert_eq!(e, "Events.ConnectionResource.InvalidConnectionState");
    assert!(c.contains("\"oauth-wrong\"") && c.contains("401"), "{c}");
    assert!(
        !c.contains("not-the-secret") && !c.contains("client-id"),
        "{c}"
    );
    assert!(s.seen_at("/protected").is_empty());
}

#[tokio::test]
async fn an_unknown_connection_is_resource_not_found() {
    let s = TestServer::start();
    let arn = "arn:aws:events:us-east-1:123456789012:connection/nope/1";
    let o = run(
        &s,
        json!({"Authentication": {"ConnectionArn": arn}, "ApiEndpoint": s.url("/echo"), "Method": "GET"}),
    )
    .await;
    let (e, c) = failure(&o);
    assert_eq!(e, "Events.ConnectionResource.ResourceNotFound");
    assert!(c.contains(arn), "{c}");
    assert!(s.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_appear_in_the_history() {
    let s = TestServer::start();
    let engine = Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(handlers(&s))
        .build()
        .unwrap();
    let def = format!(
        r#"{{"StartAt": "Key", "States": {{
          "Key": {{"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": {}, "ResultPath": null, "Next": "Basic"}},
          "Basic": {{"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": {}, "ResultPath": null, "Next": "OAuth"}},
          "OAuth": {{"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": {}, "ResultPath": null, "Next": "Bad"}},
          "Bad": {{"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": {}, "End": true}}}}}}"#,
        json!({"Authentication": {"ConnectionArn": API_KEY_CONN}, "ApiEndpoint": s.url("/text"), "Method": "GET"}).to_json(),
        json!({"Authentication": {"ConnectionArn": "basic"}, "ApiEndpoint": s.url("/text"), "Method": "GET"}).to_json(),
        oauth_call(&s, "oauth").to_json(),
        oauth_call(&s, "oauth-wrong").to_json(),
    );
    engine
        .create_machine("m", &def, MachineType::Standard)
        .unwrap();
    let h = engine
        .start_with_handle(StartRequest::new("m").input(json!({})))
        .unwrap();
    h.wait().await;
    let history: Vec<String> = h.history().iter().map(|e| e.details.to_json()).collect();
    let all = history.join("\n");
    assert!(
        all.contains("Events.ConnectionResource.InvalidConnectionState"),
        "{all}"
    );
    for secret in [
        "sk-secret-1",
        "hunter2",
        "YWxpY2U6aHVudGVyMg",
        "client-secret",
        "not-the-secret",
        "tok-1",
    ] {
        assert!(!all.contains(secret), "{secret} in the history:\n{all}");
    }
    // The requests did carry them.
    assert_eq!(s.seen_at("/text").len(), 2);
}
