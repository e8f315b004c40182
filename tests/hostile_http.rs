//! `aslx serve` against hostile and careless clients over real HTTP (issue 18): SigV4 checked
//! as AWS checks it, nothing buffered before authentication, body deadlines, 413 answers
//! instead of resets, the DNS-rebinding Host check, answers at shutdown, bounded
//! configuration files.

#[path = "support/aslx_server.rs"]
mod aslx_server;

use aslx_server::{amz_date, authorization, Conn, Server, Signing};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "AKIDHOSTILE";
const SECRET: &str = "s3cr3t";

/// A request for `target` with `body`, signed for `service` in `region` at `date`; the
/// target header signed when `sign_target`.
fn signed(
    c: &mut Conn,
    target: &str,
    body: &str,
    (region, service, date): (&str, &str, &str),
    sign_target: bool,
) -> aslx_server::Resp {
    let mut headers = vec![
        ("content-type", "application/x-amz-json-1.0"),
        ("host", "127.0.0.1"),
    ];
    if sign_target {
        headers.push(("x-amz-target", target));
    }
    let auth = authorization(
        &Signing {
            access: KEY,
            secret: SECRET,
            amz_date: date,
            region,
            service,
            headers: &headers,
        },
        body.as_bytes(),
    );
    c.request(
        target,
        body.as_bytes(),
        &format!("X-Amz-Date: {date}\r\nAuthorization: {auth}\r\n"),
    )
}

const LIST: &str = "AWSStepFunctions.ListStateMachines";

#[test]
fn sigv4_scope_time_and_unsigned_headers_are_checked_as_aws_does() {
    // The secret from the environment, not the command line.
    let s = Server::start_env(&[], &[("ASLX_AUTH", &format!("{KEY}:{SECRET}"))]);
    let now = amz_date(0);
    let mut c = s.conn();
    let r = signed(&mut c, LIST, "{}", ("us-east-1", "states", &now), true);
    assert_eq!(r.status, 200, "{:?}", r.json());
    // Signed in 2015, or 20 minutes ahead.
    let r = signed(
        &mut c,
        LIST,
        "{}",
        ("us-east-1", "states", "20150830T123600Z"),
        true,
    );
    assert_eq!(r.error_type(), "InvalidSignatureException");
    assert!(
        r.message()
            .starts_with("Signature expired: 20150830T123600Z is now earlier than "),
        "{}",
        r.message()
    );
    let ahead = amz_date(20 * 60);
    let r = signed(&mut c, LIST, "{}", ("us-east-1", "states", &ahead), true);
    assert!(
        r.message().starts_with(&format!(
            "Signature not yet current: {ahead} is still later than "
        )),
        "{}",
        r.message()
    );
    // Another region, another service.
    let r = signed(&mut c, LIST, "{}", ("xx-fake-9", "states", &now), true);
    assert_eq!(
        r.message(),
        "Credential should be scoped to a valid region, not 'xx-fake-9'."
    );
    let r = signed(&mut c, LIST, "{}", ("us-east-1", "iam", &now), true);
    assert_eq!(
        r.message(),
        "Credential should be scoped to correct service: 'states'."
    );
    // CloudWatch Logs and EventBridge requests are signed as `logs` and `events`.
    let r = signed(
        &mut c,
        "Logs_20140328.DescribeLogGroups",
        "{}",
        ("us-east-1", "states", &now),
        true,
    );
    assert_eq!(
        r.message(),
        "Credential should be scoped to correct service: 'logs'."
    );
    let r = signed(
        &mut c,
        "AWSEvents.ListRules",
        "{}",
        ("us-east-1", "events", &now),
        true,
    );
    assert_eq!(r.status, 200, "{:?}", r.json());
    // A garbage date.
    let r = c.request(LIST, b"{}", "X-Amz-Date: yesterday\r\nAuthorization: AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00\r\n");
    assert_eq!(r.error_type(), "IncompleteSignatureException");
    // A captured DescribeStateMachine replayed as DeleteStateMachine: with the target
    // unsigned it is refused before anything else; signed, its signature no longer matches.
    let r = signed(
        &mut c,
        "AWSStepFunctions.DeleteStateMachine",
        "{}",
        ("us-east-1", "states", &now),
        false,
    );
    assert_eq!(
        (r.error_type().as_str(), r.message().as_str()),
        (
            "InvalidSignatureException",
            "There were headers present in the request which were not signed: x-amz-target"
        )
    );
}

#[test]
fn unauthenticated_uploads_are_answered_before_their_body() {
    let dir = std::env::temp_dir().join(format!("aslx-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("auth");
    std::fs::write(&key_file, format!("{KEY}:{SECRET}\n")).unwrap();
    let s = Server::start(&[
        "--auth-file",
        key_file.to_str().unwrap(),
        "--body-timeout",
        "0.5",
    ]);
    // No signature, or a signature by another key: 8 MiB announced, nothing sent, and the
    // answer comes at once.
    for auth in ["", "Authorization: AWS4-HMAC-SHA256 Credential=AKIDOTHER/20240101/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\nX-Amz-Date: 20240101T000000Z\r\n"] {
        let mut c = s.conn();
        c.send_raw(format!("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: {LIST}\r\nContent-Length: 8388608\r\n{auth}\r\n").as_bytes()).unwrap();
        let r = c.read_response().expect("answered before the body");
        assert!(r.status == 403 || r.status == 400, "{r:?}");
    }
    // Headers that pass every check but the signature (the key id is not secret): the body
    // is read under the deadline; a stalled one is answered 408.
    let now = amz_date(0);
    let auth = authorization(
        &Signing {
            access: KEY,
            secret: "wrong",
            amz_date: &now,
            region: "us-east-1",
            service: "states",
            headers: &[("host", "127.0.0.1"), ("x-amz-target", LIST)],
        },
        b"{}",
    );
    let mut c = s.conn();
    c.send_raw(format!("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: {LIST}\r\nX-Amz-Date: {now}\r\nAuthorization: {auth}\r\nContent-Length: 8388608\r\n\r\n").as_bytes()).unwrap();
    c.send_raw(&[b' '; 1000]).unwrap();
    let r = c.read_response().expect("a 408");
    assert_eq!(
        (r.status, r.error_type().as_str()),
        (408, "RequestTimeoutException")
    );
    assert!(c.closed());
}

#[test]
fn a_stalled_or_trickling_body_times_out_and_others_are_served() {
    let s = Server::start(&["--body-timeout", "0.5", "--body-min-rate", "1000"]);
    let mut stalled = s.conn();
    stalled.send_raw(format!("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: {LIST}\r\nContent-Length: 100\r\n\r\n{{").as_bytes()).unwrap();
    // A chunk of 2^64-1 bytes announced, a few sent.
    let mut chunked = s.conn();
    chunked.send_raw(format!("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: {LIST}\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc").as_bytes()).unwrap();
    assert_eq!(s.call("ListStateMachines", "{}").status, 200);
    let t = Instant::now();
    for c in [&mut stalled, &mut chunked] {
        let r = c.read_response().expect("a 408");
        assert_eq!(
            (r.status, r.error_type().as_str()),
            (408, "RequestTimeoutException")
        );
        assert_eq!(r.header("connection"), Some("close"));
    }
    assert!(t.elapsed() < Duration::from_secs(20));
}

#[test]
fn an_oversized_body_is_read_and_answered_413_not_reset() {
    let s = Server::start(&["--max-body-bytes", "1048576"]);
    let body = format!(
        r#"{{"name": "big", "roleArn": "arn:aws:iam::111111111111:role/r", "definition": "{}"}}"#,
        "x".repeat(3 << 20)
    );
    let mut c = s.conn();
    // Written whole, as SDKs write it, before reading: no broken pipe.
    let r = c.request("AWSStepFunctions.CreateStateMachine", body.as_bytes(), "");
    assert_eq!(
        (r.status, r.error_type().as_str()),
        (413, "RequestEntityTooLargeException")
    );
    // The body was drained: the connection serves the next request.
    let r = c.request(LIST, b"{}", "");
    assert_eq!(r.status, 200);
}

#[test]
fn without_auth_only_local_host_names_are_answered() {
    let s = Server::start(&["--allow-host", "aslx.test"]);
    let ask = |host: &str| {
        let mut c = s.conn();
        c.send_raw(format!("POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: {LIST}\r\nContent-Length: 2\r\n\r\n{{}}").as_bytes()).unwrap();
        c.read_response().unwrap()
    };
    let port = s.port;
    for ok in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "[::1]".into(),
        "aslx.test:80".into(),
    ] {
        assert_eq!(ask(&ok).status, 200, "{ok}");
    }
    // A rebound name.
    let r = ask(&format!("evil.example:{port}"));
    assert_eq!(
        (r.status, r.error_type().as_str()),
        (403, "AccessDeniedException")
    );
    assert!(r.message().contains("--allow-host"), "{}", r.message());
}

#[test]
fn requests_running_when_the_drain_ends_are_answered_service_unavailable() {
    let mut s = Server::start(&["--drain-timeout", "0.5"]);
    let def = r#"{\"StartAt\": \"W\", \"States\": {\"W\": {\"Type\": \"Wait\", \"Seconds\": 30, \"End\": true}}}"#;
    let r = s.call("CreateStateMachine", &format!(r#"{{"name": "slow", "roleArn": "arn:aws:iam::111111111111:role/r", "type": "EXPRESS", "definition": "{def}"}}"#));
    assert_eq!(r.status, 200, "{:?}", r.json());
    let port = s.port;
    let inflight: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                Conn::new(port).request(
                    "AWSStepFunctions.StartSyncExecution",
                    br#"{"stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:slow"}"#,
                    "",
                )
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap()
        .success());
    for h in inflight {
        let r = h.join().unwrap();
        assert_eq!(
            (r.status, r.error_type().as_str()),
            (503, "ServiceUnavailable")
        );
    }
    assert!(s.child.wait().unwrap().success());
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn a_device_as_mock_config_is_refused_and_a_public_bind_warns() {
    let out = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--in-memory",
            "--mock-config",
            "/dev/zero",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mock config /dev/zero: larger than 64 MiB"),
        "{err}"
    );
    // Listening on every interface without --auth: a warning (the server is stopped at once).
    let mut child = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .args([
            "serve",
            "--bind",
            "0.0.0.0:0",
            "--threads",
            "1",
            "--in-memory",
        ])
        .env_remove("ASLX_AUTH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stderr.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.contains("warning: listening on 0.0.0.0:") && line.contains("without --auth"),
        "{line}"
    );
}

fn create_machine(s: &Server, name: &str, comment: &str) -> aslx_server::Resp {
    let def = format!(
        r#"{{\"Comment\": \"{comment}\", \"StartAt\": \"P\", \"States\": {{\"P\": {{\"Type\": \"Pass\", \"End\": true}}}}}}"#
    );
    s.call(
        "CreateStateMachine",
        &format!(r#"{{"name": "{name}", "roleArn": "arn:aws:iam::111111111111:role/r", "definition": "{def}"}}"#),
    )
}

#[test]
fn stored_machines_activities_and_definition_bytes_have_quotas() {
    let s = Server::start(&[
        "--max-state-machines",
        "2",
        "--max-activities",
        "1",
        "--max-definition-bytes",
        "4000",
    ]);
    assert_eq!(create_machine(&s, "a", "").status, 200);
    assert_eq!(create_machine(&s, "b", "").status, 200);
    let r = create_machine(&s, "c", "");
    assert_eq!(
        (r.status, r.error_type().as_str()),
        (400, "StateMachineLimitExceeded")
    );
    assert!(
        r.message()
            .starts_with("The maximum number of state machines (2) has been reached."),
        "{}",
        r.message()
    );
    // Deleting one makes room.
    let arn = "arn:aws:states:us-east-1:111111111111:stateMachine:a";
    assert_eq!(
        s.call(
            "DeleteStateMachine",
            &format!(r#"{{"stateMachineArn": "{arn}"}}"#)
        )
        .status,
        200
    );
    // A definition that would pass the bytes quota, by create or by update.
    let r = create_machine(&s, "c", &"x".repeat(5000));
    assert_eq!(r.error_type(), "StateMachineLimitExceeded");
    assert!(
        r.message().contains("quota of 4000 bytes"),
        "{}",
        r.message()
    );
    assert_eq!(create_machine(&s, "c", "").status, 200);
    let big = format!(
        r#"{{\"Comment\": \"{}\", \"StartAt\": \"P\", \"States\": {{\"P\": {{\"Type\": \"Pass\", \"End\": true}}}}}}"#,
        "y".repeat(5000)
    );
    let r = s.call("UpdateStateMachine", &format!(r#"{{"stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:c", "definition": "{big}"}}"#));
    assert_eq!(r.error_type(), "StateMachineLimitExceeded");
    // Activities: one; creating it again is no new activity.
    let act = |name: &str| s.call("CreateActivity", &format!(r#"{{"name": "{name}"}}"#));
    assert_eq!(act("w1").status, 200);
    assert_eq!(act("w1").status, 200);
    let r = act("w2");
    assert_eq!(
        (r.status, r.error_type().as_str()),
        (400, "ActivityLimitExceeded")
    );
}

#[test]
fn sigterm_ends_the_process_soon_after_the_drain_whatever_runs() {
    // An evaluation that runs for minutes without yielding (while it is not yet bounded).
    let mut s = Server::start(&["--drain-timeout", "0.5"]);
    let def = r#"{\"QueryLanguage\": \"JSONata\", \"StartAt\": \"P\", \"States\": {\"P\": {\"Type\": \"Pass\", \"Output\": \"{% $distinct([1..1000000]) %}\", \"End\": true}}}"#;
    let r = s.call("CreateStateMachine", &format!(r#"{{"name": "spin", "roleArn": "arn:aws:iam::111111111111:role/r", "type": "EXPRESS", "definition": "{def}"}}"#));
    assert_eq!(r.status, 200, "{:?}", r.json());
    let port = s.port;
    std::thread::spawn(move || {
        let mut c = Conn::new(port);
        let _ = c.send_raw(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.StartSyncExecution\r\nContent-Length: 81\r\n\r\n{\"stateMachineArn\": \"arn:aws:states:us-east-1:111111111111:stateMachine:spin\"}   ");
        let _ = c.read_response();
    });
    std::thread::sleep(Duration::from_millis(800));
    let t = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap()
        .success());
    loop {
        if s.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "still running {:?} after SIGTERM",
            t.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
