//! Running the built `aslx` binary from a test, and writing the files its commands read:
//! shared by the test files that drive the command line.
#![allow(dead_code)] // each test file uses what it needs

use std::process::Command;

/// Runs `aslx ARGS` in the crate's directory: the exit code (-1 when killed by a signal),
/// stdout and stderr.
pub fn aslx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aslx"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run aslx");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `content` to `name` in a directory of this test process (`tag` tells the test
/// files' directories apart) and gives its path.
pub fn temp_file(tag: &str, name: &str, content: impl AsRef<[u8]>) -> String {
    let dir = std::env::temp_dir().join(format!("aslx-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}
