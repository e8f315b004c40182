//! The web console (`GET /` of `aslx serve`) in a real headless Chromium, driven over the
//! DevTools protocol (tests/support/browser.rs), against an in-process server on loopback;
//! and the console's door (login, sessions, CSRF, limits) over raw HTTP.
//!
//! The browser tests share one Chromium and one server, one test at a time. Where Chromium
//! is missing they say so and pass, except under `CI=true`, where tests/browser/chromium.sh
//! installs it. `ASLX_CONSOLE_SCREENSHOTS=DIR` also writes the README's screenshots there
//! (scripts/console-screenshots.sh).

#[path = "support/browser.rs"]
mod browser;
#[path = "support/console_harness.rs"]
mod console_harness;

use aslx::serve::http::Limits;
use aslx::serve::sigv4::Credentials;
use console_harness::*;
use serde_json::{json as sjson, Value as Json};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// The shared browser and server, or `None` (and why) when there is no Chromium.
fn harness() -> Option<MutexGuard<'static, Harness>> {
    static H: OnceLock<Option<Mutex<Harness>>> = OnceLock::new();
    let h = H.get_or_init(|| {
        let chromium = chromium()?;
        let (addr, _) = serve(None, Limits::default());
        Some(Mutex::new(harness_at(&chromium, addr)))
    });
    h.as_ref()
        .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

fn map_and_parallel() -> Json {
    sjson!({"Comment": "an order: a Parallel holding a Map", "StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"items": [1, 2, 3]}, "Next": "Fan out"},
        "Fan out": {"Type": "Parallel", "Next": "Pause", "Branches": [
            {"StartAt": "Check stock", "States": {"Check stock": {"Type": "Pass", "End": true}}},
            {"StartAt": "Each item", "States": {"Each item": {"Type": "Map", "ItemsPath": "$.items",
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Price",
                    "States": {"Price": {"Type": "Pass", "End": true}}},
                "End": true}}}]},
        "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
        "Done": {"Type": "Succeed"}}})
}

#[test]
fn a_machine_with_a_map_and_a_parallel_is_created_drawn_and_run_from_the_page() {
    let Some(mut h) = harness() else { return };
    h.open("#/create");
    h.type_into("#sm-name", "order-flow");
    h.type_into(
        "#sm-definition",
        &serde_json::to_string_pretty(&map_and_parallel()).unwrap(),
    );
    h.wait(
        "document.querySelectorAll('#preview .node').length === 7",
        "the preview",
    );
    h.shot("create");
    h.click("#save");
    h.wait(
        "document.body.dataset.page === 'machine' && document.querySelector('#executions')",
        "the machine page",
    );
    h.click("#tab-graph-and-definition");
    let counts = h.wait(
        "(() => { const n = document.querySelectorAll('#graph .node').length; return n && [n, document.querySelectorAll('#graph .node.container').length, document.querySelectorAll('#graph .marker').length]; })()",
        "the graph",
    );
    // Prepare, Fan out, Check stock, Each item, Price, Pause, Done; Fan out and Each item
    // are containers, Each item inside Fan out; a Start and an End marker.
    assert_eq!(counts, sjson!([7, 2, 2]));
    let nested = h.eval("!!document.querySelector('#graph .node.container[data-state=\"Fan out\"] .node.container[data-state=\"Each item\"] .node[data-state=\"Price\"]')");
    assert_eq!(
        nested,
        sjson!(true),
        "the Map sits in the Parallel, Price in the Map"
    );
    h.shot("definition-graph");

    h.click("#start");
    h.type_into("#exec-input", "{\"order\": 42}");
    h.click("#exec-go");
    h.wait(
        "document.body.dataset.page === 'execution' && document.body.dataset.executionStatus",
        "the execution page",
    );
    // While it waits in Pause, Pause is in progress and what ran before it is green.
    let running = h.wait("(() => { const s = document.querySelector('#graph .node[data-state=\"Pause\"]'); return s && s.dataset.status === 'inprogress' && document.body.dataset.executionStatus === 'RUNNING'; })()", "Pause in progress");
    assert_eq!(running, sjson!(true));
    assert_eq!(h.statuses()["Prepare"], "succeeded");
    h.wait(
        "document.body.dataset.executionStatus === 'SUCCEEDED'",
        "the execution to succeed (live)",
    );
    let s = h.statuses();
    for name in [
        "Prepare",
        "Fan out",
        "Check stock",
        "Each item",
        "Price",
        "Pause",
        "Done",
    ] {
        assert_eq!(s[name], "succeeded", "{name}: {s}");
    }
    let green = h.eval(
        "getComputedStyle(document.querySelector('#graph .node[data-state=\"Done\"] rect')).stroke",
    );
    assert_eq!(green, "rgb(43, 214, 46)", "AWS's succeeded colour #2BD62E");
    assert!(h
        .eval("document.querySelector('#exec-input-view').textContent")
        .as_str()
        .unwrap()
        .contains("\"order\": 42"));
    h.shot("execution-graph");
    h.click("#tab-table-view");
    let rows = h.eval("document.querySelectorAll('#table-view tbody tr').length");
    assert_eq!(
        rows,
        sjson!(7),
        "one row per state entered (Price once: iteration #0 picked)"
    );
    h.shot("execution-table");
    assert!(
        h.browser.errors.is_empty(),
        "page errors: {:?}",
        h.browser.errors
    );
}

#[test]
fn a_failed_task_is_red_and_a_caught_error_orange() {
    let Some(mut h) = harness() else { return };
    let def = sjson!({"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:boom",
            "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Apologise"}], "Next": "Ship"},
        "Ship": {"Type": "Pass", "End": true},
        "Apologise": {"Type": "Pass", "Next": "Charge again"},
        "Charge again": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:boom", "End": true}}});
    let m = create(h.addr, "payments", "STANDARD", &def);
    let x = start(h.addr, &m, sjson!({}));
    h.open(&format!("#/execution/{x}"));
    h.wait(
        "document.body.dataset.executionStatus === 'FAILED'",
        "a failed execution",
    );
    let s = h.statuses();
    assert_eq!(
        s,
        sjson!({"Charge": "caught", "Apologise": "succeeded", "Charge again": "failed", "Ship": "notreached"})
    );
    let fill = |h: &mut Harness, name: &str| {
        h.eval(&format!(
            "getComputedStyle(document.querySelector('#graph .node[data-state=\"{name}\"] rect')).stroke"
        ))
    };
    assert_eq!(
        fill(&mut h, "Charge again"),
        "rgb(222, 50, 47)",
        "failed: #DE322F"
    );
    assert_eq!(
        fill(&mut h, "Charge"),
        "rgb(255, 165, 0)",
        "caught: #FFA500"
    );
    let banner = h.eval("document.querySelector('#error-banner').textContent");
    assert!(
        banner.as_str().unwrap().contains("Boom")
            && banner
                .as_str()
                .unwrap()
                .contains("the payment service said no"),
        "{banner}"
    );
    let catch_edges = h.eval("document.querySelectorAll('#graph path.edge.catch').length");
    assert_eq!(catch_edges, sjson!(1));
    h.click("#graph .node[data-state=\"Charge\"]");
    let details = h.eval("document.querySelector('#step-details').textContent");
    assert!(
        details.as_str().unwrap().contains("Boom"),
        "the step's error: {details}"
    );
    h.shot("execution-failed");
    h.click("#tab-events");
    h.type_into("#event-search", "Boom");
    let n = h
        .eval("document.querySelectorAll('#events-view tbody tr').length")
        .as_u64()
        .unwrap();
    assert!(n >= 2, "the failure events filtered: {n}");
}

#[test]
fn a_task_token_is_sent_from_the_page() {
    let Some(mut h) = harness() else { return };
    let def = sjson!({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/approvals",
                       "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "End": true}}});
    let m = create(h.addr, "approval", "STANDARD", &def);
    let x = start(h.addr, &m, sjson!({"order": 7}));
    h.open(&format!("#/execution/{x}"));
    h.wait(
        "document.querySelector('#tokens .send-success')",
        "the waiting token",
    );
    h.shot("task-token");
    let token = h.eval("document.querySelector('#tokens .token').dataset.token");
    assert_eq!(token.as_str().unwrap().len(), 32);
    h.type_into("#tokens textarea", "{\"approved\": true}");
    h.click("#tokens .send-success");
    h.wait(
        "document.body.dataset.executionStatus === 'SUCCEEDED'",
        "the approved execution",
    );
    let out = h.eval("document.querySelector('#exec-output').textContent");
    assert!(
        out.as_str().unwrap().contains("\"approved\": true"),
        "{out}"
    );
    assert_eq!(h.statuses()["Approve"], "succeeded");
}

#[test]
fn a_thousand_state_graph_renders_in_under_two_seconds() {
    let Some(mut h) = harness() else { return };
    let mut states = serde_json::Map::new();
    for i in 0..1000 {
        let name = format!("Step {i:04}");
        let next = format!("Step {:04}", i + 1);
        let s = if i == 999 {
            sjson!({"Type": "Succeed"})
        } else if i % 50 == 10 {
            sjson!({"Type": "Choice", "Choices": [{"Variable": "$.skip", "BooleanEquals": true, "Next": format!("Step {:04}", (i + 20).min(999))}], "Default": next})
        } else {
            sjson!({"Type": "Pass", "Next": next})
        };
        states.insert(name, s);
    }
    let def = sjson!({"StartAt": "Step 0000", "States": states});
    let m = create(h.addr, "thousand", "STANDARD", &def);
    h.open(&format!("#/machine/{m}"));
    let ms = h.eval(
        "(async () => { const t0 = performance.now(); document.querySelector('#tab-graph-and-definition').click(); \
         await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); \
         const n = document.querySelectorAll('#graph .node').length; return [performance.now() - t0, n, window.aslxView.timings.layoutMs, window.aslxView.timings.drawMs]; })()",
    );
    let (total, nodes, layout) = (
        ms[0].as_f64().unwrap(),
        ms[1].as_u64().unwrap(),
        ms[2].as_f64().unwrap(),
    );
    let draw = ms[3].as_f64().unwrap();
    eprintln!("console: 1,000-state graph: layout {layout:.0} ms, SVG built in {draw:.0} ms, on screen (two frames) after {total:.0} ms");
    assert_eq!(nodes, 1000);
    // Issue 14's bound, on the page's own work (layout and building the SVG). The two frames
    // after it wait on Chromium's compositor, which a loaded machine delays by seconds (2.1 s
    // at a load average of 12 on two cores, with layout and SVG at 0.45 s): that part is
    // printed above, not asserted, so that the test fails on a slow renderer, not a busy box.
    assert!(
        layout + draw < 2000.0,
        "1,000 states: layout {layout:.0} ms + SVG {draw:.0} ms (issue 14: under 2 s)"
    );
}

#[test]
fn a_state_named_script_renders_as_text() {
    let Some(mut h) = harness() else { return };
    let evil = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
    let def = sjson!({"StartAt": evil, "Comment": evil, "States": {evil: {"Type": "Pass", "Result": evil, "End": true}}});
    let m = create(h.addr, "escaping", "STANDARD", &def);
    let x = start(h.addr, &m, sjson!({"note": evil}));
    h.open(&format!("#/machine/{m}"));
    h.click("#tab-graph-and-definition");
    h.wait("document.querySelector('#graph .node')", "the graph");
    let label = h.eval("document.querySelector('#graph .node .st-name').textContent");
    assert_eq!(label, sjson!(evil));
    h.open(&format!("#/execution/{x}"));
    h.wait(
        "document.body.dataset.executionStatus === 'SUCCEEDED'",
        "the execution",
    );
    assert!(h
        .eval("document.querySelector('#exec-input-view').textContent")
        .as_str()
        .unwrap()
        .contains("<script>"));
    assert_eq!(
        h.eval(
            "window.pwned === undefined && document.querySelectorAll('img[src=x]').length === 0"
        ),
        sjson!(true)
    );
}

#[test]
fn bad_input_shows_findings_a_clear_page_and_reconnects() {
    let Some(mut h) = harness() else { return };
    // A definition that does not parse: the finding shown, nothing created.
    h.open("#/create");
    h.type_into("#sm-name", "broken");
    h.type_into(
        "#sm-definition",
        "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"}",
    );
    h.click("#save");
    let f = h.wait("document.querySelector('#findings .banner.err') && document.querySelector('#findings').textContent", "the findings");
    assert!(f.as_str().unwrap().contains("not JSON"), "{f}");
    h.type_into(
        "#sm-definition",
        "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"}}}",
    );
    h.click("#save");
    let f = h.wait("(() => { const t = document.querySelector('#findings').textContent; return t.includes('/States/A/Next') && t; })()", "the validation finding");
    assert!(
        f.as_str().unwrap().contains("/States/A/Next"),
        "the finding's location: {f}"
    );
    h.shot("create-findings");
    let list = api(h.addr, "ListStateMachines", sjson!({}));
    assert!(
        !list.to_string().contains("\"broken\""),
        "nothing created: {list}"
    );

    // An execution that does not exist: a clear page.
    h.open("#/execution/arn:aws:states:us-east-1:111111111111:execution:nope:missing");
    let text = h.eval("document.querySelector('main').textContent");
    let text = text.as_str().unwrap();
    assert!(
        text.contains("Execution not found") && text.contains("nope:missing"),
        "{text}"
    );

    // The live view survives a dropped connection.
    let m = create(
        h.addr,
        "slow",
        "STANDARD",
        &sjson!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3, "End": true}}}),
    );
    let x = start(h.addr, &m, sjson!({}));
    h.open(&format!("#/execution/{x}"));
    assert_eq!(h.eval("document.body.dataset.executionStatus"), "RUNNING");
    h.browser.call("Network.enable", sjson!({}));
    let offline = |on: bool| sjson!({"offline": on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1});
    h.browser
        .call("Network.emulateNetworkConditions", offline(true));
    h.wait("document.getElementById('live').dataset.state === 'reconnecting' && !document.getElementById('live').hidden", "the reconnecting notice");
    std::thread::sleep(Duration::from_millis(3500));
    h.browser
        .call("Network.emulateNetworkConditions", offline(false));
    h.wait("document.body.dataset.executionStatus === 'SUCCEEDED' && document.getElementById('live').hidden", "the reconnected live view");
    assert_eq!(h.statuses()["W"], "succeeded");
}

// --- the console's door, over raw HTTP (no browser needed) -----------------------------------

fn csrf_of(page: &str) -> String {
    let i = page
        .find("name=\"aslx-csrf\" content=\"")
        .expect("a CSRF meta tag")
        + 26;
    page[i..i + page[i..].find('"').unwrap()].to_string()
}

fn console_call(addr: SocketAddr, op: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let target = format!("AWSStepFunctions.{op}");
    let mut hs = vec![("X-Amz-Target", target.as_str())];
    hs.extend_from_slice(extra);
    let (status, _, body) = http(addr, "POST", "/console/api", &hs, "{}");
    (status, body)
}

#[test]
fn with_auth_the_console_needs_a_login_and_a_csrf_header() {
    let creds = Credentials {
        access_key: "AKIDCONSOLE".into(),
        secret_key: "s3cret/key".into(),
    };
    let limits = Limits {
        max_body_bytes: 4096,
        ..Limits::default()
    };
    let (addr, token) = serve(Some(creds), limits);
    let token = token.expect("a login token with --auth");

    // Not logged in: the login page, and the API refused.
    let (status, _, page) = http(addr, "GET", "/", &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("Log in to the console") && !page.contains("aslx-csrf"));
    assert_eq!(console_call(addr, "ListStateMachines", &[]).0, 401);
    // Unsigned API calls are still refused as before.
    let (status, _, _) = http(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "AWSStepFunctions.ListStateMachines")],
        "{}",
    );
    assert_eq!(status, 403);

    // Wrong secrets: 401 and no cookie.
    let (status, hs, _) = http(
        addr,
        "POST",
        "/console/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "access_key_id=AKIDCONSOLE&secret_access_key=wrong",
    );
    assert_eq!(status, 401);
    assert!(header(&hs, "set-cookie").is_none());
    let (status, _, _) = http(addr, "GET", "/?token=not-the-token", &[], "");
    assert_eq!(status, 401);
    // A form from another site is refused.
    let (status, _, _) = http(
        addr,
        "POST",
        "/console/login",
        &[("Origin", "http://evil.example")],
        &format!("token={token}"),
    );
    assert_eq!(status, 403);

    // The key pair logs in (form-encoded: '/' as %2F); so does the start-up link.
    let (status, hs, _) = http(
        addr,
        "POST",
        "/console/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "access_key_id=AKIDCONSOLE&secret_access_key=s3cret%2Fkey",
    );
    assert_eq!(status, 303);
    let cookie = header(&hs, "set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let (status, hs2, _) = http(addr, "GET", &format!("/?token={token}"), &[], "");
    assert_eq!((status, header(&hs2, "location")), (303, Some("/")));
    let session = cookie.split(';').next().unwrap().to_string();

    let (status, hs, page) = http(addr, "GET", "/", &[("Cookie", &session)], "");
    assert_eq!(status, 200);
    assert!(header(&hs, "content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    let csrf = csrf_of(&page);

    // Logged in, but without the CSRF header, with a wrong one, or from another origin: 403.
    assert_eq!(
        console_call(addr, "ListStateMachines", &[("Cookie", &session)]).0,
        403
    );
    assert_eq!(
        console_call(
            addr,
            "ListStateMachines",
            &[("Cookie", &session), ("X-Aslx-Csrf", "guess")]
        )
        .0,
        403
    );
    let cross = [
        ("Cookie", session.as_str()),
        ("X-Aslx-Csrf", csrf.as_str()),
        ("Origin", "http://evil.example"),
    ];
    assert_eq!(console_call(addr, "ListStateMachines", &cross).0, 403);
    let (status, body) = console_call(
        addr,
        "ListStateMachines",
        &[("Cookie", &session), ("X-Aslx-Csrf", &csrf)],
    );
    assert_eq!((status, body.as_str()), (200, "{\"stateMachines\":[]}"));

    // Bodies are limited as the API's are.
    let big = "x".repeat(5000);
    let (status, _, _) = http(
        addr,
        "POST",
        "/console/api",
        &[
            ("Cookie", &session),
            ("X-Aslx-Csrf", &csrf),
            ("X-Amz-Target", "AWSStepFunctions.ListStateMachines"),
        ],
        &big,
    );
    assert_eq!(status, 413);

    // Logout ends the session.
    let (status, _, _) = http(
        addr,
        "POST",
        "/console/logout",
        &[("Cookie", &session), ("X-Aslx-Csrf", &csrf)],
        "",
    );
    assert_eq!(status, 204);
    assert_eq!(
        console_call(
            addr,
            "ListStateMachines",
            &[("Cookie", &session), ("X-Aslx-Csrf", &csrf)]
        )
        .0,
        401
    );
}

#[test]
fn without_auth_the_console_answers_by_address_only_and_still_checks_csrf() {
    let (addr, token) = serve(None, Limits::default());
    assert!(token.is_none());
    let (status, _, page) = http(addr, "GET", "/", &[], "");
    assert_eq!(status, 200);
    let csrf = csrf_of(&page);
    let (status, _, page) = http(
        addr,
        "GET",
        "/",
        &[("Host", "rebound.evil.example:8083")],
        "",
    );
    assert_eq!(status, 421, "DNS rebinding guard: {page}");
    assert_eq!(console_call(addr, "ListStateMachines", &[]).0, 403);
    assert_eq!(
        console_call(addr, "ListStateMachines", &[("X-Aslx-Csrf", &csrf)]).0,
        200
    );
    // The assets, the licence of the layout library, and a clear 404.
    for (path, kind) in [
        ("/console/assets/app.js", "javascript"),
        ("/console/assets/dagre.min.js", "javascript"),
        ("/console/assets/dagre.LICENSE.txt", "text/plain"),
    ] {
        let (status, hs, _) = http(addr, "GET", path, &[], "");
        assert_eq!(status, 200, "{path}");
        assert!(
            header(&hs, "content-type").unwrap().contains(kind),
            "{path}"
        );
    }
    let (status, _, page) = http(addr, "GET", "/nothing/here", &[], "");
    assert_eq!(status, 404);
    assert!(
        page.contains("The console has no page at /nothing/here"),
        "{page}"
    );
    // The API is untouched: POST / with a target still answers.
    assert_eq!(
        api(addr, "ListStateMachines", sjson!({})),
        sjson!({"stateMachines": []})
    );
}

#[test]
fn the_standalone_graph_page_draws_a_definition_with_nothing_fetched() {
    let Some(mut h) = harness() else { return };
    let page = aslx::console::graph_page(&map_and_parallel().to_string(), "order </title> flow");
    let dir = browser::TempDir(
        std::env::temp_dir().join(format!("aslx-graph-page-{}", std::process::id())),
    );
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("graph.html");
    std::fs::write(&file, page).unwrap();
    h.browser
        .call("Page.navigate", sjson!({"url": "about:blank"}));
    h.wait("location.href === 'about:blank'", "a blank page");
    h.browser.call(
        "Page.navigate",
        sjson!({"url": format!("file://{}", file.display())}),
    );
    let counts = h.wait(
        "window.aslxView && [document.querySelectorAll('.node').length, document.querySelectorAll('.node.container').length, document.title]",
        "the standalone graph",
    );
    assert_eq!(counts, sjson!([7, 2, "order </title> flow"]));
    // Text that is not JSON: the page says so.
    std::fs::write(&file, aslx::console::graph_page("{\"StartAt\": ", "broken")).unwrap();
    h.browser.call(
        "Page.navigate",
        sjson!({"url": format!("file://{}", file.display())}),
    );
    let error = h.wait(
        "(() => { const e = document.getElementById('error'); return e && !e.hidden && e.textContent; })()",
        "the error",
    );
    assert!(error.as_str().unwrap().contains("not JSON"), "{error}");
}
