//! The HTTP Task (`arn:aws:states:::http:invoke`) against a real loopback HTTP server
//! (`support/http_server.rs`): requests as AWS's "Call HTTPS APIs in Step Functions
//! workflows" describes them, results and errors, Retry and TimeoutSeconds, and bad input.
//! Connections are in `http_connections.rs`; the `http:` handler spec in `http_handler.rs`.

#[path = "support/http_machines.rs"]
mod http_machines;
#[path = "support/http_server.rs"]
mod http_server;

use aslx::{json, parse_json, Value};
use http_machines::*;
use http_server::{closed_port, garbage_server, SilentServer, TestServer};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_post_sends_headers_query_and_json_body_and_returns_aws_result_shape() {
    let s = TestServer::start();
    let o = run(
        &s,
        json!({"ApiEndpoint": s.url("/echo"), "Method": "POST",
               "Headers": {"X-Custom": "one", "Accept": ["application/json", "text/plain"], "X-Num": 7},
               "QueryParameters": {"q": "a b", "n": 3},
               "RequestBody": {"Card": {"Number": "1234"}, "ok": true}}),
    )
    .await;
    let out = output(&o);
    let seen = &s.seen_at("/echo")[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.query, "q=a%20b&n=3");
    assert_eq!(seen.body, r#"{"Card":{"Number":"1234"},"ok":true}"#);
    // Step Functions' defaults and its own headers (User-Agent with the region, Range).
    assert_eq!(
        seen.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(
        seen.header("user-agent"),
        Some("Amazon|StepFunctions|HttpInvoke|eu-west-1")
    );
    assert_eq!(seen.header("range"), Some("bytes=0-262144"));
    assert_eq!(seen.header("x-custom"), Some("one"));
    assert_eq!(seen.header("x-num"), Some("7"));
    let accepts: Vec<_> = seen.headers.iter().filter(|(k, _)| k == "accept").collect();
    assert_eq!(accepts.len(), 2, "an array is one header line per value");
    // {Headers, ResponseBody, StatusCode, StatusText}; headers in canonical case, as lists.
    assert_eq!(out.get("StatusCode"), Some(&json!(200)));
    assert_eq!(out.get("StatusText"), Some(&json!("OK")));
    let headers = out.get("Headers").unwrap();
    assert_eq!(
        headers.get("Content-Type"),
        Some(&json!(["application/json"]))
    );
    assert_eq!(headers.get("X-Test-Server"), Some(&json!(["aslx"])));
    let body = out.get("ResponseBody").unwrap();
    assert_eq!(body.get("method"), Some(&json!("POST")));
    assert_eq!(body.get("path"), Some(&json!("/echo")));
}

#[tokio::test]
async fn every_method_aws_allows_is_sent_as_is() {
    let s = TestServer::start();
    let h = handlers(&s);
    for m in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
        let params = json!({"ApiEndpoint": s.url("/echo"), "Method": m});
        let o = run_def(&h, &definition(&params, "")).await;
        let out = output(&o);
        assert_eq!(s.seen().last().unwrap().method, m);
        if m == "HEAD" {
            // No body comes back from a HEAD: the ResponseBody is empty text.
            assert_eq!(out.get("ResponseBody"), Some(&json!("")));
        } else {
            assert_eq!(
                out.get("ResponseBody").unwrap().get("method"),
                Some(&json!(m))
            );
        }
        // No RequestBody: no body and no content-type.
        assert_eq!(s.seen().last().unwrap().header("content-type"), None);
    }
    // The keep-alive pool of one set of integrations: six requests, one connection.
    assert_eq!(s.connections(), 1);
}

#[tokio::test]
async fn query_parameters_keep_the_endpoints_query_and_follow_each_array_format() {
    let s = TestServer::start();
    let cases = [
        ("INDICES", "v=1&tag%5B0%5D=a&tag%5B1%5D=b%20c&o%5Bk%5D=x"),
        ("REPEAT", "v=1&tag=a&tag=b%20c&o%5Bk%5D=x"),
        ("COMMAS", "v=1&tag=a,b%20c&o%5Bk%5D=x"),
        ("BRACKETS", "v=1&tag%5B%5D=a&tag%5B%5D=b%20c&o%5Bk%5D=x"),
    ];
    for (format, want) in cases {
        let o = run(
            &s,
            json!({"ApiEndpoint": s.url("/echo?v=1"), "Method": "GET",
                   "QueryParameters": {"tag": ["a", "b c"], "o": {"k": "x"}},
                   "Transform": {"RequestEncodingOptions": {"ArrayFormat": format}}}),
        )
        .await;
        output(&o);
        assert_eq!(s.seen().last().unwrap().query, want, "{format}");
    }
    // A query string is appended as given.
    let o = run(
        &s,
        json!({"ApiEndpoint": s.url("/echo"), "Method": "GET",
                           "QueryParameters": "a=1&b=x%2Fy"}),
    )
    .await;
    output(&o);
    assert_eq!(s.seen().last().unwrap().query, "a=1&b=x%2Fy");
}

#[tokio::test]
async fn url_encoded_bodies_follow_each_array_format_and_default_their_content_type() {
    let s = TestServer::start();
    let body = json!({"array": ["a", "b", "c", "d"], "description": "Monthly subscription",
                      "metadata": {"order_details": "monthly report data"}});
    let tail =
        "description=Monthly%20subscription&metadata%5Border_details%5D=monthly%20report%20data";
    let cases = [
        (
            "INDICES",
            "array%5B0%5D=a&array%5B1%5D=b&array%5B2%5D=c&array%5B3%5D=d",
        ),
        ("REPEAT", "array=a&array=b&array=c&array=d"),
        ("COMMAS", "array=a,b,c,d"),
        (
            "BRACKETS",
            "array%5B%5D=a&array%5B%5D=b&array%5B%5D=c&array%5B%5D=d",
        ),
    ];
    for (format, arrays) in cases {
        let o = run(
            &s,
            json!({"ApiEndpoint": s.url("/echo"), "Method": "POST", "RequestBody": body.clone(),
                   "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                                 "RequestEncodingOptions": {"ArrayFormat": format}}}),
        )
        .await;
        output(&o);
        let seen = s.seen().pop().unwrap();
        assert_eq!(seen.body, format!("{arrays}&{tail}"), "{format}");
        assert_eq!(
            seen.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }
    // INDICES is the default; a content-type the Task gives is kept.
    let o = run(
        &s,
        json!({"ApiEndpoint": s.url("/echo"), "Method": "POST", "RequestBody": {"a": [1, 2]},
               "Headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
               "Transform": {"RequestBodyEncoding": "URL_ENCODED"}}),
    )
    .await;
    output(&o);
    let seen = s.seen().pop().unwrap();
    assert_eq!(seen.body, "a%5B0%5D=1&a%5B1%5D=2");
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    // A string RequestBody is sent as it is.
    let o = run(
        &s,
        json!({"ApiEndpoint": s.url("/echo"), "Method": "PUT",
                           "Headers": {"Content-Type": "text/xml"}, "RequestBody": "<a>1</a>"}),
    )
    .await;
    output(&o);
    assert_eq!(s.seen().pop().unwrap().body, "<a>1</a>");
}

#[tokio::test]
async fn response_bodies_are_parsed_when_json_and_text_otherwise() {
    let s = TestServer::start();
    let text = run(&s, json!({"ApiEndpoint": s.url("/text"), "Method": "GET"})).await;
    assert_eq!(
        output(&text).get("ResponseBody"),
        Some(&json!("hello, world"))
    );
    // JSON is parsed whatever the content-type says.
    let j = run(
        &s,
        json!({"ApiEndpoint": s.url("/json-as-text"), "Method": "GET"}),
    )
    .await;
    assert_eq!(output(&j).get("ResponseBody"), Some(&json!({"a": 1})));
    // A binary answer is not supported: States.Runtime.
    let b = run(
        &s,
        json!({"ApiEndpoint": s.url("/binary"), "Method": "GET"}),
    )
    .await;
    let (e, c) = failure(&b);
    assert_eq!(e, "States.Runtime");
    assert!(c.contains("image/png"), "{c}");
}

#[tokio::test]
async fn non_2xx_fails_with_states_http_status_code_and_the_response_as_cause() {
    let s = TestServer::start();
    for code in [400u16, 404, 429, 500, 503] {
        let o = run(
            &s,
            json!({"ApiEndpoint": s.url(&format!("/status/{code}")), "Method": "GET"}),
        )
        .await;
        let (e, c) = failure(&o);
        assert_eq!(e, format!("States.Http.StatusCode.{code}"));
        let cause = parse_json(c).unwrap();
        assert_eq!(cause.get("StatusCode"), Some(&json!(code as i64)));
        assert_eq!(
            cause.get("ResponseBody"),
            Some(&json!({"message": format!("status {code}")}))
        );
        assert!(cause
            .get("StatusText")
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty()));
    }
    // A Catch on the status' error name sees it.
    let def = format!(
        r#"{{"StartAt": "Call", "States": {{
          "Call": {{"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
            "Parameters": {{"ApiEndpoint": "{}", "Method": "GET"}},
            "Catch": [{{"ErrorEquals": ["States.Http.StatusCode.404"], "Next": "Missing",
                        "ResultPath": "$.err"}}], "End": true}},
          "Missing": {{"Type": "Pass", "End": true}}}}}}"#,
        s.url("/status/404")
    );
    let o = run_def(&handlers(&s), &def).await;
    let err = output(&o).get("err").unwrap();
    assert_eq!(err.get("Error"), Some(&json!("States.Http.StatusCode.404")));
}

#[tokio::test]
async fn a_5xx_is_retried_by_the_machines_retry_and_the_second_attempt_succeeds() {
    let s = TestServer::start();
    let o = run_with(
        &s,
        json!({"ApiEndpoint": s.url("/flaky"), "Method": "POST", "RequestBody": {"n": 1}}),
        r#", "Retry": [{"ErrorEquals": ["States.Http.StatusCode.503"], "IntervalSeconds": 1,
             "MaxAttempts": 2}]"#,
    )
    .await;
    assert_eq!(output(&o).get("ResponseBody"), Some(&json!({"ok": true})));
    assert_eq!(s.seen_at("/flaky").len(), 2);
}

#[tokio::test]
async fn timeout_seconds_cancels_a_request_that_is_never_answered() {
    let silent = SilentServer::start();
    let s = TestServer::start();
    let started = Instant::now();
    let o = run_with(
        &s,
        json!({"ApiEndpoint": format!("http://{}/slow", silent.addr), "Method": "GET"}),
        r#", "TimeoutSeconds": 1"#,
    )
    .await;
    assert_eq!(failure(&o).0, "States.Timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The request was dropped, not left running: the server saw the connection close.
    let closed = silent.closed_within(Duration::from_secs(5)).await;
    let closed = closed.expect("the connection was never closed");
    assert!(closed - started < Duration::from_secs(3), "closed late");
}

#[tokio::test]
async fn unreachable_and_garbage_endpoints_fail_with_states_http_socket_and_a_clear_cause() {
    let s = TestServer::start();
    let port = closed_port();
    let o = run(
        &s,
        json!({"ApiEndpoint": format!("http://127.0.0.1:{port}/x"), "Method": "GET",
               "QueryParameters": {"key": "secret-in-query"}}),
    )
    .await;
    let (e, c) = failure(&o);
    assert_eq!(e, "States.Http.Socket");
    assert!(
        c.contains(&format!("127.0.0.1:{port}/x")) && c.contains("refused"),
        "{c}"
    );
    assert!(!c.contains("secret-in-query"), "{c}");
    let g = garbage_server();
    let o = run(
        &s,
        json!({"ApiEndpoint": format!("http://{g}/"), "Method": "GET"}),
    )
    .await;
    let (e, c) = failure(&o);
    assert_eq!(e, "States.Http.Socket");
    assert!(c.contains(&format!("could not reach http://{g}/")), "{c}");
    // Retried like any Task error: two attempts, then the same failure.
    let o = run_with(
        &s,
        json!({"ApiEndpoint": format!("http://127.0.0.1:{port}/x"), "Method": "GET"}),
        r#", "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1,
             "BackoffRate": 1}]"#,
    )
    .await;
    assert_eq!(failure(&o).0, "States.Http.Socket");
}

#[tokio::test]
async fn oversized_responses_fail_with_states_data_limit_exceeded() {
    let s = TestServer::start();
    // Past 256 KiB as a result: the VM's check.
    for n in [300 * 1024, 600 * 1024] {
        let o = run(
            &s,
            json!({"ApiEndpoint": s.url(&format!("/big/{n}")), "Method": "GET"}),
        )
        .await;
        let (e, c) = failure(&o);
        assert_eq!(e, "States.DataLimitExceeded", "{n}: {c}");
        assert!(c.contains("'http'"), "{c}");
    }
    // Just under: fine.
    let o = run(
        &s,
        json!({"ApiEndpoint": s.url("/big/200000"), "Method": "GET"}),
    )
    .await;
    output(&o);
}

#[tokio::test]
async fn headers_aws_refuses_and_bad_parameters_fail_with_states_runtime_before_sending() {
    let s = TestServer::start();
    let bad = [
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "GET", "Headers": {"Host": "x"}}),
            "\"Host\"",
        ),
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "GET", "Headers": {"Authorization": "Bearer x"}}),
            "\"Authorization\"",
        ),
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "GET", "Headers": {"X-Amz-Date": "x"}}),
            "\"X-Amz-Date\"",
        ),
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "GET", "Headers": {"x-forwarded-for": "x"}}),
            "x-forwarded-for",
        ),
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "FETCH"}),
            "Method \"FETCH\"",
        ),
        (
            json!({"ApiEndpoint": "ftp://example.com/x", "Method": "GET"}),
            "http:// or https://",
        ),
        (json!({"Method": "GET"}), "no ApiEndpoint"),
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "GET",
                "Transform": {"RequestEncodingOptions": {"ArrayFormat": "SEMICOLONS"}}}),
            "ArrayFormat \"SEMICOLONS\"",
        ),
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "POST", "RequestBody": [1],
                "Transform": {"RequestBodyEncoding": "URL_ENCODED"}}),
            "URL_ENCODED",
        ),
        // AWS: a string body cannot be merged with the connection's body parameters.
        (
            json!({"ApiEndpoint": s.url("/echo"), "Method": "POST", "RequestBody": "raw",
                "Authentication": {"ConnectionArn": API_KEY_CONN}}),
            "a string",
        ),
    ];
    for (params, says) in bad {
        let o = run(&s, params.clone()).await;
        let (e, c) = failure(&o);
        assert_eq!(e, "States.Runtime", "{}", params.to_json());
        assert!(c.contains(says), "{c} should say {says}");
    }
    assert!(s.seen().is_empty(), "nothing was sent");
}
