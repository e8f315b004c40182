//! `RESOURCE=command:PROGRAM ARGS...`: a local program run once per Task call.
//!
//! The protocol, the same one a Lambda function's runtime follows in spirit:
//!
//! - The program is started directly (no shell) with the spec's arguments, aslx's environment
//!   plus `ASLX_RESOURCE` (the resource the handler is bound to), in a process group of its
//!   own.
//! - The Task's input is written to its stdin as one JSON document, then stdin is closed.
//! - Exit status 0: stdout is the result, one JSON document (surrounding whitespace ignored;
//!   empty stdout is `null`, as a Lambda function that returns nothing). Anything else on
//!   stdout is a `States.TaskFailed` naming the program and quoting what it printed.
//! - Non-zero exit: when stdout is a JSON object with a string `errorType` (the Lambda
//!   convention, `{"errorType": ..., "errorMessage": ...}`), the Task fails as a Lambda
//!   function does on AWS: the error is `errorType` and the cause is the error payload as JSON
//!   text, `{"errorMessage", "errorType", "requestId", "stackTrace"}` (a `States.StringToJson`
//!   of `$.Cause` gives the message back). Otherwise the Task fails with `States.TaskFailed`
//!   and a cause naming the program, its exit status and the last KiB of its stderr.
//! - More than 256 KiB on stdout fails the Task with `States.DataLimitExceeded` (the limit of
//!   every Step Functions payload); aslx stops reading there and kills the process group.
//! - When the call is abandoned (the Task's `TimeoutSeconds` or `HeartbeatSeconds`, the
//!   execution stopped or timed out) the whole process group is killed with `SIGKILL`, so
//!   a program's own children die with it. (aslx reads stdout and stderr to their end: a
//!   background child that keeps them open keeps the call open until the Task's timeout.)
//!
//! Processes live on a small runtime of their own ([`runtime`]), so handlers work under any
//! caller: the engine's runtime has no I/O driver, and `Machine::run_blocking` none either.

use super::too_large;
use crate::runtime::{Handler, HandlerResult};
use crate::value::{parse_json_bytes, write_json, Map, Str, Value};
use crate::vm::{TaskError, MAX_PAYLOAD_BYTES};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::task::AbortHandle;

/// How much of a failed program's stderr its cause quotes (one byte more is kept, to know
/// whether it was cut).
const STDERR_TAIL: usize = 1024;

/// How much of a non-JSON stdout a cause quotes.
const STDOUT_SNIPPET: usize = 256;

/// The runtime that owns every child process and its pipes: one thread, with the I/O and
/// signal drivers `tokio::process` needs, started on the first call.
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime, TaskError> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("aslx-process")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        TaskError::new(
            "States.TaskFailed",
            format!("cannot start the process runtime: {e}"),
        )
    })
}

/// Where `program` is: a path (with a `/`) as given, else the first executable of that name on
/// `PATH`.
///
/// # Errors
///
/// A message saying the program was not found, is a directory or is not executable.
pub(crate) fn resolve_program(program: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    if program.is_empty() {
        return Err("the program is empty".into());
    }
    let executable = |p: &Path| -> Result<(), String> {
        let m = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if m.is_dir() {
            Err(format!("{} is a directory, not a program", p.display()))
        } else if m.permissions().mode() & 0o111 == 0 {
            Err(format!(
                "{} is not executable (chmod +x it, or name its interpreter first)",
                p.display()
            ))
        } else {
            Ok(())
        }
    };
    if program.contains('/') {
        let p = Path::new(program);
        executable(p)?;
        return Ok(std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut refused = None;
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(program);
        if candidate.exists() {
            match executable(&candidate) {
                Ok(()) => return Ok(candidate),
                Err(e) => refused = refused.or(Some(e)),
            }
        }
    }
    Err(refused.unwrap_or_else(|| format!("program {program:?} was not found on PATH")))
}

/// Kills process group `pgid` with `SIGKILL`. The crate forbids `unsafe`, so there is no
/// `killpg` call to make: the system's `kill` program sends the signal. Process group ids
/// 0 and 1 (aslx's own group, every process) are never signalled.
///
/// `kill` is started, not waited for: callers are often on an async thread (a call dropped
/// by a timeout), which must not block on a child. It signals on its own once started
/// (`spawn` returns after the exec), even if aslx exits first; the process runtime reaps it.
pub(crate) fn kill_group(pgid: u32) {
    if pgid <= 1 {
        return;
    }
    let kill = if Path::new("/bin/kill").exists() {
        "/bin/kill"
    } else {
        "kill"
    };
    let group = format!("-{pgid}");
    let args = ["-s", "KILL", "--", group.as_str()];
    match runtime() {
        Ok(rt) => {
            let _in_rt = rt.enter();
            let _ = tokio::process::Command::new(kill)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
        }
        // No runtime to reap it: wait for it here.
        Err(_) => {
            let _ = std::process::Command::new(kill)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The Task error for a Lambda-convention error object (`errorType` a string), in the shape
/// a Lambda function error has on AWS: the error is `errorType`, the cause the payload
/// `{"errorMessage", "errorType", "requestId", "stackTrace"}`.
pub(crate) fn lambda_error(v: &Value) -> Option<TaskError> {
    let error_type = v.get("errorType")?.as_str()?;
    let mut m = Map::with_capacity(4);
    if let Some(msg) = v.get("errorMessage") {
        m.insert("errorMessage".into(), msg.clone());
    }
    m.insert("errorType".into(), Value::string(error_type));
    let request_id = match v.get("requestId") {
        Some(r) if r.as_str().is_some() => r.clone(),
        _ => Value::from(uuid::Uuid::new_v4().to_string()),
    };
    m.insert("requestId".into(), request_id);
    let trace = match v.get("stackTrace") {
        Some(t) if t.as_array().is_some() => t.clone(),
        _ => Value::array(Vec::new()),
    };
    m.insert("stackTrace".into(), trace);
    Some(TaskError::lambda_payload(Value::object(m)))
}

/// `exited with status 3`, `was killed by signal 9`.
pub(crate) fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("was killed by signal {s}"),
        (None, None) => format!("ended ({status})"),
    }
}

/// At most `max` bytes of `b` as text, the start (`from_end` false) or the end; marked `...`
/// where cut.
pub(crate) fn snippet(b: &[u8], max: usize, from_end: bool) -> String {
    let text = String::from_utf8_lossy(b);
    if text.len() <= max {
        return text.trim().to_string();
    }
    if from_end {
        let mut i = text.len() - max;
        while !text.is_char_boundary(i) {
            i += 1;
        }
        format!("...{}", text[i..].trim())
    } else {
        let mut i = max;
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        format!("{}...", text[..i].trim())
    }
}

/// A program bound to a resource: what `command:` and `worker:` start.
#[derive(Debug)]
pub(crate) struct Program {
    /// The resource (or function name) the handler is bound to: `ASLX_RESOURCE`.
    pub(crate) resource: Str,
    /// The program as written in the spec, for messages.
    pub(crate) shown: String,
    /// Where it is; as written when it could not be resolved (the call then fails).
    path: PathBuf,
    args: Vec<String>,
}

impl Program {
    pub(crate) fn new(resource: &str, program: &str, args: Vec<String>) -> Program {
        Program {
            resource: Str::from(resource),
            shown: program.to_string(),
            path: resolve_program(program).unwrap_or_else(|_| PathBuf::from(program)),
            args,
        }
    }

    /// Starts the program with piped stdio in a process group of its own; inside the
    /// process [`runtime`].
    pub(crate) fn spawn(&self) -> Result<tokio::process::Child, TaskError> {
        tokio::process::Command::new(&self.path)
            .args(&self.args)
            .env("ASLX_RESOURCE", &*self.resource)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                TaskError::new(
                    "States.TaskFailed",
                    format!("command {} could not be started: {e}", self.shown),
                )
            })
    }
}

impl Program {
    /// The child's stdin, stdout and stderr, which [`Program::spawn`] pipes: an error, not a
    /// panic, should tokio ever hand one over unpiped.
    pub(crate) fn pipes(
        &self,
        child: &mut tokio::process::Child,
    ) -> Result<
        (
            tokio::process::ChildStdin,
            tokio::process::ChildStdout,
            tokio::process::ChildStderr,
        ),
        TaskError,
    > {
        match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(i), Some(o), Some(e)) => Ok((i, o, e)),
            _ => Err(TaskError::new(
                "States.TaskFailed",
                format!("{} was started without its pipes", self.shown),
            )),
        }
    }
}

/// The last `keep` bytes `r` gives before its end, in bounded memory.
pub(crate) async fn tail<R: AsyncRead + Unpin>(mut r: R, keep: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 2 * keep {
                    buf.drain(..buf.len() - keep);
                }
            }
        }
    }
    if buf.len() > keep {
        buf.drain(..buf.len() - keep);
    }
    buf
}

/// A `command:` handler.
pub(crate) struct CommandHandler(Arc<Program>);

impl CommandHandler {
    pub(crate) fn new(resource: &str, program: &str, args: Vec<String>) -> CommandHandler {
        CommandHandler(Arc::new(Program::new(resource, program, args)))
    }
}

impl Handler for CommandHandler {
    fn call(&self, input: Value) -> HandlerResult {
        let program = Arc::clone(&self.0);
        HandlerResult::Pending(Box::pin(async move {
            let rt = runtime()?;
            let group = Arc::new(AtomicU32::new(0));
            let task = rt.spawn(run(Arc::clone(&program), input, Arc::clone(&group)));
            let _abandon = KillOnDrop {
                group,
                task: task.abort_handle(),
            };
            task.await.unwrap_or_else(|e| {
                Err(TaskError::new(
                    "States.TaskFailed",
                    format!("command {}: {e}", program.shown),
                ))
            })
        }))
    }
}

/// Held by the caller's side of a call: when the call is dropped before the program was
/// waited for, kills its process group at once (not when the process runtime gets to the
/// aborted task: `aslx run` may be exiting by then).
struct KillOnDrop {
    /// The running program's process group; 0 once it has been waited for.
    group: Arc<AtomicU32>,
    task: AbortHandle,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.task.abort();
        kill_group(self.group.swap(0, Ordering::SeqCst));
    }
}

/// One call: start, feed stdin, read stdout (bounded) and stderr's tail, wait, interpret.
async fn run(
    program: Arc<Program>,
    input: Value,
    group: Arc<AtomicU32>,
) -> Result<Value, TaskError> {
    let mut json = String::new();
    write_json(&input, &mut json);
    drop(input);
    let mut child = program.spawn()?;
    group.store(child.id().unwrap_or(0), Ordering::SeqCst);
    let (mut stdin, stdout, stderr) = program.pipes(&mut child)?;
    let write = async move {
        // A program that does not read its input closes the pipe: not an error.
        let _ = stdin.write_all(json.as_bytes()).await;
    };
    let read = async {
        let mut out = Vec::new();
        let _ = stdout
            .take(MAX_PAYLOAD_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .await;
        if out.len() > MAX_PAYLOAD_BYTES {
            // Stop it now rather than read (and buffer) what it still has to say.
            kill_group(group.swap(0, Ordering::SeqCst));
        }
        out
    };
    let ((), out, err) = tokio::join!(write, read, tail(stderr, STDERR_TAIL + 1));
    let status = child.wait().await;
    group.store(0, Ordering::SeqCst);
    if out.len() > MAX_PAYLOAD_BYTES {
        return Err(too_large());
    }
    let status = status.map_err(|e| {
        TaskError::new(
            "States.TaskFailed",
            format!("command {}: cannot wait for it: {e}", program.shown),
        )
    })?;
    let parsed = if out.iter().all(u8::is_ascii_whitespace) {
        Ok(Value::Null)
    } else {
        parse_json_bytes(&out)
    };
    if status.success() {
        return parsed.map_err(|e| {
            TaskError::new(
                "States.TaskFailed",
                format!(
                    "command {} exited with status 0 but its stdout is not JSON ({e}): {}",
                    program.shown,
                    snippet(&out, STDOUT_SNIPPET, false)
                ),
            )
        });
    }
    if let Some(e) = parsed.ok().as_ref().and_then(lambda_error) {
        return Err(e);
    }
    let stderr = if err.iter().all(u8::is_ascii_whitespace) {
        "its stderr was empty".to_string()
    } else {
        format!("stderr: {}", snippet(&err, STDERR_TAIL, true))
    };
    Err(TaskError::new(
        "States.TaskFailed",
        format!(
            "command {} {}; {stderr}",
            program.shown,
            describe_exit(status)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_programs_on_path_and_refuses_the_rest() {
        assert!(resolve_program("sh").unwrap().is_absolute());
        assert!(resolve_program("/bin/sh").is_ok());
        let e = resolve_program("aslx-no-such-program").unwrap_err();
        assert!(e.contains("not found on PATH"), "{e}");
        let e = resolve_program("/").unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
        let e = resolve_program("./Cargo.toml").unwrap_err();
        assert!(e.contains("is not executable"), "{e}");
        assert!(resolve_program("").is_err());
    }

    #[test]
    fn lambda_errors_take_aws_shape() {
        let v = crate::json!({"errorMessage": "bad", "errorType": "ValueError", "extra": 1});
        let e = lambda_error(&v).unwrap();
        assert_eq!(e.error(), "ValueError");
        let cause = e.rendered_cause(true).unwrap();
        assert!(
            cause.starts_with(r#"{"errorMessage":"bad","errorType":"ValueError","requestId":""#),
            "{cause}"
        );
        assert!(cause.ends_with(r#","stackTrace":[]}"#), "{cause}");
        assert!(lambda_error(&crate::json!({"errorMessage": "x"})).is_none());
        assert!(lambda_error(&crate::json!({"errorType": 3})).is_none());
    }

    #[test]
    fn snippets_cut_at_char_boundaries() {
        assert_eq!(snippet(b"  abc \n", 10, false), "abc");
        assert_eq!(snippet("ééé".as_bytes(), 3, false), "é...");
        assert_eq!(snippet("ééé".as_bytes(), 3, true), "...é");
    }
}
