//! Headless Chromium driven over the DevTools protocol through a pipe
//! (`--remote-debugging-pipe`: JSON messages ended by a NUL byte on fds 3 and 4), so no
//! WebSocket client is needed and the browser cannot outlive the test process: when this
//! process ends, the pipe closes and Chromium exits.
//!
//! Chromium is Debian's `chromium` package: `$ASLX_CHROMIUM`, else `chromium` on the PATH;
//! under `CI=true` `tests/browser/chromium.sh` installs it when it is missing.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// A Chromium with one page attached.
pub struct Browser {
    _child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
    next_id: u64,
    session: String,
    _profile: TempDir,
    /// Uncaught page errors and console errors seen so far.
    pub errors: Vec<String>,
}

/// A directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The chromium to run, or why there is none (installed under CI=true).
pub fn find_chromium() -> Result<String, String> {
    if let Ok(p) = std::env::var("ASLX_CHROMIUM") {
        return Ok(p);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/chromium.sh");
    let out = Command::new("bash")
        .arg(script)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running {script}: {e}"))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && !path.is_empty() {
        Ok(path)
    } else {
        Err("chromium is not installed (apt-get install chromium, or run with CI=true)".into())
    }
}

impl Browser {
    /// Starts Chromium with a fresh profile and a page of `width`×`height`.
    pub fn start(chromium: &str, width: u32, height: u32) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "aslx-chromium-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let to = child.stdin.take().unwrap();
        let from = BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
        let mut b = Browser {
            _child: child,
            to,
            from,
            next_id: 0,
            session: String::new(),
            _profile: TempDir(profile),
            errors: Vec::new(),
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let id = target["targetId"].as_str().unwrap().to_string();
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": id, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.call("Runtime.enable", json!({}));
        b.call("Page.enable", json!({}));
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        b
    }

    fn read_message(&mut self) -> Value {
        let mut buf = Vec::new();
        let n = self
            .from
            .read_until(0, &mut buf)
            .expect("read from chromium");
        assert!(n > 0, "chromium closed the pipe");
        buf.pop();
        serde_json::from_slice(&buf).expect("chromium sent JSON")
    }

    /// One DevTools command on the page (or the browser, before a page is attached).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        self.to.flush().unwrap();
        loop {
            let m = self.read_message();
            if m["id"].as_u64() == Some(id) {
                if let Some(e) = m.get("error") {
                    panic!("{method}: {e}");
                }
                return m["result"].clone();
            }
            match m["method"].as_str() {
                Some("Runtime.exceptionThrown") => self
                    .errors
                    .push(m["params"]["exceptionDetails"].to_string()),
                Some("Runtime.consoleAPICalled") if m["params"]["type"] == "error" => {
                    self.errors.push(m["params"]["args"].to_string())
                }
                _ => {}
            }
        }
    }

    /// Evaluates `expr` in the page (promises awaited) and returns its value.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is truthy; its value. Panics after `timeout` with `what`.
    pub fn wait_for(&mut self, expr: &str, timeout: Duration, what: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.eval(expr);
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return v;
            }
            if start.elapsed() >= timeout {
                let page = self.eval("document.body ? document.body.innerText.slice(0, 2000) : ''");
                panic!(
                    "timed out waiting for {what} ({expr}); page errors: {:?}; page: {page}",
                    self.errors
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens `url` and waits for the console to finish drawing the page.
    pub fn open(&mut self, url: &str) {
        self.eval("document.body && delete document.body.dataset.ready");
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for(
            "document.readyState === 'complete' && document.body && document.body.dataset.ready",
            Duration::from_secs(20),
            url,
        );
    }

    /// A PNG of the page.
    pub fn screenshot(&mut self) -> Vec<u8> {
        use base64::Engine as _;
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap()
    }
}
