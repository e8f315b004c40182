//! moto's server (`moto[server]` from `tests/python/requirements.txt`), one per test process,
//! for the tests of integrations at endpoints: installed by `tests/python/venv.sh` into
//! `<target>/pyvenv` on first use. Where it cannot run, the tests that need it fail under
//! `CI=true` and say so and pass elsewhere.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// A moto server for this test process; it stops when the process ends (its wrapper exits
/// when its stdin, held here, closes).
pub struct Moto {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _wrapper: Mutex<(Child, ChildStdin)>,
}

/// `<target>/pyvenv`: the test binary is `<target>/debug/deps/integrations_aws-<hash>`.
fn venv() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().join("pyvenv")
}

fn start_moto() -> Result<Moto, String> {
    let mut venv = venv();
    if !venv.join("bin/moto_server").exists() {
        let target = venv.parent().unwrap().to_path_buf();
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
    let python = venv.join("bin/python");
    let server = venv.join("bin/moto_server");
    if !server.exists() {
        return Err(format!("{} is missing", server.display()));
    }
    // The wrapper passes moto's output on and ends moto when its stdin closes: the server
    // cannot outlive this process, however it ends.
    const WRAPPER: &str = r#"
import subprocess, sys, threading
p = subprocess.Popen([sys.argv[1], "-H", "127.0.0.1", "-p", "0"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
def pump():
    for line in p.stdout:
        sys.stdout.write(line); sys.stdout.flush()
threading.Thread(target=pump, daemon=True).start()
sys.stdin.read()
p.terminate()
p.wait(5)
"#;
    let mut child = Command::new(python)
        .args(["-c", WRAPPER])
        .arg(&server)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting moto: {e}"))?;
    let stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .ok_or("moto exited before listening")?
            .map_err(|e| e.to_string())?;
        if let Some(i) = line.find("http://127.0.0.1:") {
            break line[i..].trim().to_string();
        }
    };
    // Keep reading moto's request log, or its pipe fills and it stops answering.
    std::thread::spawn(move || for _ in lines {});
    Ok(Moto {
        url,
        _wrapper: Mutex::new((child, stdin)),
    })
}

/// The shared moto server; `None` (after saying why) where it cannot run outside CI.
pub fn moto() -> Option<&'static Moto> {
    static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();
    match MOTO.get_or_init(start_moto) {
        Ok(m) => Some(m),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("moto is required under CI: {e}")
        }
        Err(e) => {
            eprintln!("moto tests not run: {e}");
            None
        }
    }
}

impl Moto {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap()
    }
}
