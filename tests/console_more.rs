//! More of the web console in a real headless Chromium (tests/support/browser.rs), against
//! in-process servers on loopback (tests/support/console_harness.rs): EXPRESS executions read
//! back from the execution log of `--log-dir`, the Activities page acting as a worker, and
//! the login form of `--auth`.
//!
//! Like tests/console.rs: one Chromium, one test at a time; where Chromium is missing the
//! tests say so and pass, except under `CI=true`.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/console_harness.rs"]
mod console_harness;

use aslx::serve::http::Limits;
use aslx::serve::sigv4::Credentials;
use console_harness::*;
use serde_json::{json as sjson, Value as Json};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The shared browser and a server (no --auth) writing log groups under a temporary
/// `--log-dir`; `None` (and why) when there is no Chromium.
fn harness() -> Option<MutexGuard<'static, (Harness, String)>> {
    static H: OnceLock<Option<Mutex<(Harness, String)>>> = OnceLock::new();
    let h = H.get_or_init(|| {
        let chromium = chromium()?;
        // Under target/tmp, emptied by each run (statics are never dropped, so it is not
        // removed at the end); a few kilobytes of log records.
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console_more-log-dir");
        let _ = std::fs::remove_dir_all(&dir);
        let (addr, _) = serve_with_log_dir(None, Limits::default(), Some(dir));
        Some(Mutex::new((harness_at(&chromium, addr), chromium)))
    });
    h.as_ref()
        .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// Navigates to `url` (any server) and waits until `ready` is truthy.
fn open_url(h: &mut Harness, url: &str, ready: &str) {
    h.browser
        .call("Page.navigate", sjson!({"url": "about:blank"}));
    h.wait("location.href === 'about:blank'", "a blank page");
    h.browser.call("Page.navigate", sjson!({"url": url}));
    h.wait(ready, url);
}

#[test]
fn an_express_execution_is_listed_from_the_log_and_its_view_is_coloured() {
    let Some(mut g) = harness() else { return };
    let h = &mut g.0;
    let def = sjson!({"StartAt": "Receive", "States": {
        "Receive": {"Type": "Pass", "Result": {"accepted": true}, "ResultPath": "$.receipt", "Next": "Price"},
        "Price": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:ok", "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let logging = sjson!({"level": "ALL", "includeExecutionData": true, "destinations": [
        {"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:111111111111:log-group:express-orders:*"}}]});
    let r = api(
        h.addr,
        "CreateStateMachine",
        sjson!({"name": "express-orders", "definition": def.to_string(), "roleArn": ROLE,
                "type": "EXPRESS", "loggingConfiguration": logging}),
    );
    let m = r["stateMachineArn"].as_str().unwrap().to_string();
    let x = start(h.addr, &m, sjson!({"order": 99}));
    assert!(x.contains(":express:"), "an EXPRESS execution ARN: {x}");

    // The machine page lists EXPRESS executions from the log (read when the page loads):
    // reload until the execution has ended there.
    let deadline = Instant::now() + SECONDS;
    let row = loop {
        h.open(&format!("#/machine/{m}"));
        let row = h.eval(&format!(
            "(() => {{ const a = [...document.querySelectorAll('#execution-list tbody tr a')].find(a => decodeURIComponent(a.getAttribute('href')) === {}); \
             return a && [a.textContent, a.closest('tr').querySelector('.badge').textContent]; }})()",
            sjson!(format!("#/execution/{x}"))
        ));
        if row[1] == "SUCCEEDED" || Instant::now() >= deadline {
            break row;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // arn:aws:states:REGION:ACCOUNT:express:MACHINE:NAME:ID, listed by its name.
    let name = x.split(':').nth(7).unwrap();
    assert_eq!(row, sjson!([name, "SUCCEEDED"]), "the listed execution");
    h.shot("express-executions");

    let href = h.eval(&format!(
        "'#/execution/' + encodeURIComponent({})",
        sjson!(x)
    ));
    h.click(&format!("#execution-list a[href={href}]"));
    h.wait(
        "document.body.dataset.page === 'execution' && document.body.dataset.executionStatus === 'SUCCEEDED'",
        "the EXPRESS execution's view",
    );
    assert_eq!(
        h.statuses(),
        sjson!({"Receive": "succeeded", "Price": "succeeded", "Done": "succeeded"})
    );
    let stroke = h.eval(
        "getComputedStyle(document.querySelector('#graph .node[data-state=\"Price\"] rect')).stroke",
    );
    assert_eq!(stroke, "rgb(43, 214, 46)", "AWS's succeeded colour #2BD62E");
    let out = h.eval("document.querySelector('#exec-output').textContent");
    let out: Json = serde_json::from_str(out.as_str().unwrap()).unwrap();
    assert_eq!(out, sjson!({"order": 99, "receipt": {"accepted": true}}));
    assert!(
        h.eval("document.querySelector('#stop')").is_null(),
        "an EXPRESS execution has no Stop button"
    );
    h.shot("express-execution");
    assert!(
        h.browser.errors.is_empty(),
        "page errors: {:?}",
        h.browser.errors
    );
}

#[test]
fn an_activity_task_is_taken_and_answered_from_the_activities_page() {
    let Some(mut g) = harness() else { return };
    let h = &mut g.0;
    h.open("#/activities");
    h.type_into("#activity-name", "review-order");
    h.click("form.panel button[type=submit]");
    h.wait(
        "[...document.querySelectorAll('main td')].some(td => td.textContent === 'review-order')",
        "the new activity listed",
    );
    let list = api(h.addr, "ListActivities", sjson!({}));
    let activity = list["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "review-order")
        .expect("the activity created from the page")["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    let def = sjson!({"StartAt": "Review", "States": {
        "Review": {"Type": "Task", "Resource": activity, "ResultPath": "$.review", "End": true}}});
    let m = create(h.addr, "reviews", "STANDARD", &def);
    let x = start(h.addr, &m, sjson!({"order": 12}));

    // The execution's view says what it waits for.
    h.open(&format!("#/execution/{x}"));
    h.wait(
        "document.querySelector('#tokens') && document.querySelector('#tokens').textContent.includes('waits for a worker')",
        "the waiting activity",
    );

    h.open("#/activities");
    let clicked = h.eval(
        "(() => { const tr = [...document.querySelectorAll('main tbody tr')].find(r => r.cells[0].textContent === 'review-order'); \
         const b = tr && [...tr.querySelectorAll('button')].find(b => b.textContent === 'Get task'); if (!b) return false; b.click(); return true; })()",
    );
    assert_eq!(clicked, sjson!(true), "a Get task button");
    let input = h.wait(
        "document.querySelector('#activity-task .send-success') && document.querySelector('#activity-task pre').textContent",
        "the activity task",
    );
    let input: Json = serde_json::from_str(input.as_str().unwrap()).unwrap();
    assert_eq!(input, sjson!({"order": 12}));
    h.shot("activity-task");
    h.type_into("#activity-task textarea", "{\"approved\": \"yes\"}");
    h.click("#activity-task .send-success");
    h.wait(
        "document.querySelector('#activity-task').textContent.includes('Success sent.')",
        "the success sent",
    );

    let deadline = Instant::now() + SECONDS;
    let desc = loop {
        let d = api(h.addr, "DescribeExecution", sjson!({"executionArn": x}));
        if d["status"] != "RUNNING" || Instant::now() >= deadline {
            break d;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(desc["status"], "SUCCEEDED", "{desc}");
    let output: Json = serde_json::from_str(desc["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, sjson!({"order": 12, "review": {"approved": "yes"}}));
    h.open(&format!("#/execution/{x}"));
    h.wait(
        "document.body.dataset.executionStatus === 'SUCCEEDED'",
        "the answered execution's view",
    );
    assert_eq!(h.statuses()["Review"], "succeeded");
    assert!(
        h.browser.errors.is_empty(),
        "page errors: {:?}",
        h.browser.errors
    );
}

/// `CreateActivity` from the page's own origin with `csrf`: the HTTP status.
fn create_activity_from_page(h: &mut Harness, name: &str, csrf: &str) -> u64 {
    let js = format!(
        "fetch('/console/api', {{method: 'POST', credentials: 'same-origin', headers: {{'Content-Type': 'application/x-amz-json-1.0', \
         'X-Amz-Target': 'AWSStepFunctions.CreateActivity', 'X-Aslx-Csrf': {csrf}}}, body: JSON.stringify({{name: {name}}})}}).then(r => r.status)",
        csrf = sjson!(csrf),
        name = sjson!(name)
    );
    h.eval(&js).as_u64().unwrap()
}

#[test]
fn with_auth_the_login_form_lets_the_page_change_state_and_nothing_else_does() {
    let Some(mut g) = harness() else { return };
    let h = &mut g.0;
    let creds = Credentials {
        access_key: "AKIDFORM".into(),
        secret_key: "form/s3cret+key".into(),
    };
    let (addr, _) = serve(Some(creds), Limits::default());
    let url = format!("http://{addr}/");

    // Not logged in: the login form, and a state-changing call from the page refused.
    open_url(
        h,
        &url,
        "document.readyState === 'complete' && document.querySelector('#akid')",
    );
    assert_eq!(create_activity_from_page(h, "sneaked-in", ""), 401);

    // A wrong secret: the form again, with an error.
    h.type_into("#akid", "AKIDFORM");
    h.type_into("#secret", "wrong");
    h.click("form button[type=submit]");
    let error = h.wait(
        "document.readyState === 'complete' && document.querySelector('#akid') && document.querySelector('p.error[role=alert]') && document.querySelector('p.error').textContent",
        "the login form again, with its error",
    );
    assert!(!error.as_str().unwrap().is_empty(), "{error}");
    assert_eq!(
        h.eval("!!document.querySelector('meta[name=aslx-csrf]')"),
        sjson!(false)
    );

    // The key pair (a '/' and a '+' in the secret, form-encoded by the browser) logs in.
    h.type_into("#akid", "AKIDFORM");
    h.type_into("#secret", "form/s3cret+key");
    h.click("form button[type=submit]");
    h.wait(
        "document.readyState === 'complete' && document.body.dataset.ready && document.body.dataset.page === 'machines'",
        "the console after logging in",
    );
    assert_eq!(h.eval("location.pathname"), "/");
    assert_eq!(
        h.eval("document.getElementById('logout').hidden"),
        sjson!(false)
    );

    // A state-changing action through the page works.
    h.browser.eval("location.hash = '#/activities'");
    h.wait(
        "document.body.dataset.page === 'activities' && document.querySelector('#activity-name')",
        "the Activities page",
    );
    h.type_into("#activity-name", "signed-in");
    h.click("form.panel button[type=submit]");
    let names = h.wait(
        "(() => { const n = [...document.querySelectorAll('main tbody td:first-child')].map(td => td.textContent); return n.includes('signed-in') && n; })()",
        "the activity created after logging in",
    );
    assert_eq!(names, sjson!(["signed-in"]), "nothing sneaked in before");
    // The page's own calls carry the CSRF token; the same call without it is refused.
    assert_eq!(create_activity_from_page(h, "no-csrf", "guess"), 403);
    let csrf = h.eval("document.querySelector('meta[name=aslx-csrf]').content");
    let csrf = csrf.as_str().unwrap().to_string();
    assert_eq!(create_activity_from_page(h, "with-csrf", &csrf), 200);

    // Logging out ends it: the same call is refused and the page is the login form.
    h.click("#logout");
    h.wait(
        "document.readyState === 'complete' && document.querySelector('#akid')",
        "the login form after logging out",
    );
    assert_eq!(create_activity_from_page(h, "after-logout", &csrf), 401);
    assert!(
        h.browser
            .errors
            .iter()
            .all(|e| e.contains("401") || e.contains("403")),
        "page errors other than the refused calls: {:?}",
        h.browser.errors
    );
    h.browser.errors.clear();
}

/// The names of the executions the machine page of `m` lists, once `n` are listed.
fn listed_executions(h: &mut Harness, m: &str, n: usize) -> Json {
    let deadline = Instant::now() + SECONDS;
    loop {
        h.open(&format!("#/machine/{m}"));
        let names = h.eval(
            "[...document.querySelectorAll('#execution-list tbody tr a')].map(a => a.textContent).sort()",
        );
        if names.as_array().is_some_and(|a| a.len() >= n) || Instant::now() >= deadline {
            return names;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn express_executions_of_another_machine_in_the_same_log_group_are_not_listed() {
    let Some(mut g) = harness() else { return };
    let h = &mut g.0;
    let logging = sjson!({"level": "ALL", "includeExecutionData": true, "destinations": [
        {"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:111111111111:log-group:shared-group:*"}}]});
    let def = sjson!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    let mut machines = Vec::new();
    // "billing" and "billing-v2": one name a prefix of the other.
    for name in ["billing", "billing-v2"] {
        let r = api(
            h.addr,
            "CreateStateMachine",
            sjson!({"name": name, "definition": def, "roleArn": ROLE, "type": "EXPRESS", "loggingConfiguration": logging}),
        );
        machines.push(r["stateMachineArn"].as_str().unwrap().to_string());
    }
    let mut names = Vec::new();
    for (i, m) in machines.iter().enumerate() {
        let r = api(
            h.addr,
            "StartExecution",
            sjson!({"stateMachineArn": m, "name": format!("run-{i}"), "input": "{}"}),
        );
        assert!(r["executionArn"].as_str().unwrap().contains(":express:"));
        names.push(format!("run-{i}"));
    }
    // Both executions are in the group: wait for the second machine's, then look at each.
    assert_eq!(listed_executions(h, &machines[1], 1), sjson!(["run-1"]));
    assert_eq!(listed_executions(h, &machines[0], 1), sjson!(["run-0"]));
}

#[test]
fn a_failed_express_execution_from_the_log_shows_its_error_and_map_iterations() {
    let Some(mut g) = harness() else { return };
    let h = &mut g.0;
    let logging = sjson!({"level": "ALL", "includeExecutionData": true, "destinations": [
        {"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:111111111111:log-group:express-failures:*"}}]});
    let def = sjson!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "Next": "Charge",
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Price",
                "States": {"Price": {"Type": "Pass", "End": true}}}},
        "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:boom", "End": true}}});
    let r = api(
        h.addr,
        "CreateStateMachine",
        sjson!({"name": "express-failures", "definition": def.to_string(), "roleArn": ROLE,
                "type": "EXPRESS", "loggingConfiguration": logging}),
    );
    let m = r["stateMachineArn"].as_str().unwrap().to_string();
    let x = start(h.addr, &m, sjson!({"items": [1, 2, 3]}));
    let name = x.split(':').nth(7).unwrap().to_string();
    assert_eq!(listed_executions(h, &m, 1), sjson!([name]));
    let deadline = Instant::now() + SECONDS;
    loop {
        h.open(&format!("#/execution/{x}"));
        let status = h.eval("document.body.dataset.executionStatus");
        if status == "FAILED" || Instant::now() >= deadline {
            assert_eq!(status, "FAILED", "the EXPRESS execution's view");
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        h.statuses(),
        sjson!({"Each": "succeeded", "Price": "succeeded", "Charge": "failed"})
    );
    let stroke = h.eval(
        "getComputedStyle(document.querySelector('#graph .node[data-state=\"Charge\"] rect')).stroke",
    );
    assert_eq!(stroke, "rgb(222, 50, 47)", "failed: #DE322F");
    let banner = h.eval("document.querySelector('#error-banner').textContent");
    let banner = banner.as_str().unwrap();
    assert!(
        banner.contains("Boom") && banner.contains("the payment service said no"),
        "{banner}"
    );
    let options = h.eval(
        "[...document.querySelectorAll('#iterations select option')].map(o => o.textContent)",
    );
    assert_eq!(
        options,
        sjson!(["Iteration #0", "Iteration #1", "Iteration #2"])
    );
    assert!(
        h.browser.errors.is_empty(),
        "page errors: {:?}",
        h.browser.errors
    );
}
