//! `tests/servers/lambda_server.py` as a child process: a Lambda Invoke endpoint on loopback
//! whose functions the test sets. Killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

pub struct LambdaServer {
    child: Child,
    pub url: String,
}

impl LambdaServer {
    /// Starts the server (python3 from PATH, or `$PYTHON`).
    pub fn start() -> LambdaServer {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/servers/lambda_server.py"
        );
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
        let mut child = Command::new(python)
            .arg(script)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs tests/servers/lambda_server.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("lambda_server.py printed {line:?}"))
            .to_string();
        LambdaServer { child, url }
    }

    /// Replaces the function table: `(name, behaviour)` pairs.
    pub fn set_functions(&self, functions: &[(&str, &str)]) {
        let table: serde_json::Map<String, serde_json::Value> = functions
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        self.request(
            "PUT",
            "/_test/functions",
            &serde_json::Value::Object(table).to_string(),
        );
    }

    /// The invocations so far.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        let body = self.request("GET", "/_test/calls", "");
        serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap()
    }

    fn request(&self, method: &str, path: &str, body: &str) -> String {
        let host = self.url.trim_start_matches("http://");
        let mut s = TcpStream::connect(host).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        body.to_string()
    }
}

impl Drop for LambdaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
