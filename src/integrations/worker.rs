//! `RESOURCE=worker:PROGRAM ARGS...`: one long-lived process per handler, spoken to in JSON
//! lines, so that a Python or Node function is not started once per call.
//!
//! The protocol:
//!
//! - aslx starts the program on the handler's first call (directly, no shell; aslx's
//!   environment plus `ASLX_RESOURCE`; in a process group of its own).
//! - For each call aslx writes one line to the worker's stdin:
//!   `{"id": N, "input": INPUT}` (`N` a non-negative integer, unique per handler).
//! - The worker answers each with one line on stdout, in any order, either
//!   `{"id": N, "output": RESULT}` or
//!   `{"id": N, "error": {"errorType": "...", "errorMessage": "..."}}`; the error fails the
//!   Task as a Lambda function error does (see the `command` module). Several calls may be in
//!   flight at once: a worker may answer them concurrently.
//! - Anything the worker writes to stderr is copied to aslx's stderr, each line prefixed with
//!   `[RESOURCE]`.
//! - A stdout line that is not JSON, or names no call in flight, is reported on aslx's stderr
//!   and ignored. An answer for a call that was abandoned (its Task timed out) is dropped
//!   quietly. An answer line over 256 KiB (plus 8 KiB for the envelope) fails its call with
//!   `States.DataLimitExceeded`.
//! - When the worker exits, the calls in flight fail with `States.TaskFailed` naming its exit
//!   status; the next call starts it again, after a delay that doubles from 100 ms up to 5 s
//!   while it keeps dying young.
//! - The worker should exit when its stdin ends: aslx closes it when the handler is dropped
//!   (and then kills the process group) or when aslx exits.
//!
//! A call abandoned by its Task's timeout does not stop the worker: other calls may be in
//! flight on it.

use super::command::{describe_exit, kill_group, lambda_error, runtime, snippet, Program};
use super::too_large;
use crate::runtime::{Handler, HandlerResult};
use crate::value::{parse_json_bytes, write_json, Value};
use crate::vm::{TaskError, MAX_PAYLOAD_BYTES};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdout};
use tokio::sync::{mpsc, oneshot};

/// The longest answer line read: the payload limit and room for `{"id": N, "output": ...}`.
const MAX_LINE: usize = MAX_PAYLOAD_BYTES + 8 * 1024;
/// The longest stderr line copied whole.
const MAX_STDERR_LINE: usize = 16 * 1024;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A worker that lived this long before dying is restarted without delay.
const HEALTHY_LIFE: Duration = Duration::from_secs(10);

type Reply = oneshot::Sender<Result<Value, TaskError>>;

/// A `worker:` handler.
pub(crate) struct WorkerHandler(Arc<Inner>);

struct Inner {
    program: Arc<Program>,
    shared: Arc<Shared>,
}

/// What the handler and its process's tasks share.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// Calls in flight: their process generation and where their answer goes.
    pending: HashMap<u64, (u64, Reply)>,
    live: Option<Live>,
    generation: u64,
    /// No start before this (the restart backoff).
    not_before: Option<Instant>,
    backoff: Duration,
    /// The handler is gone: its process was killed on purpose.
    closing: bool,
}

/// The running process.
struct Live {
    generation: u64,
    pid: u32,
    lines: mpsc::UnboundedSender<Vec<u8>>,
}

impl WorkerHandler {
    pub(crate) fn new(resource: &str, program: &str, args: Vec<String>) -> WorkerHandler {
        WorkerHandler(Arc::new(Inner {
            program: Arc::new(Program::new(resource, program, args)),
            shared: Arc::default(),
        }))
    }
}

impl Handler for WorkerHandler {
    fn call(&self, input: Value) -> HandlerResult {
        let inner = Arc::clone(&self.0);
        HandlerResult::Pending(Box::pin(async move { inner.call(input).await }))
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let live = self.shared.state.lock().ok().and_then(|mut s| {
            s.closing = true;
            s.live.take()
        });
        if let Some(live) = live {
            // Closing stdin asks it to exit; the group kill makes sure.
            drop(live.lines);
            kill_group(live.pid);
        }
    }
}

/// Removes an abandoned call from the table (its Task timed out or its execution ended).
struct Abandon<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.shared.state.lock() {
            s.pending.remove(&self.id);
        }
    }
}

impl Inner {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        // Serialized before the state is locked: other calls need not wait for it.
        let mut input_json = String::new();
        write_json(&input, &mut input_json);
        drop(input);
        let (id, rx) = loop {
            let until = {
                let mut s = self
                    .shared
                    .state
                    .lock()
                    .map_err(|_| self.failed("poisoned"))?;
                let startable = match s.not_before {
                    Some(t) => t <= Instant::now(),
                    None => true,
                };
                if s.live.is_none() && startable {
                    self.start(&mut s)?;
                }
                if s.live.is_some() {
                    break send(&mut s, &input_json);
                }
                s.not_before.unwrap_or_else(Instant::now)
            };
            // On the process runtime's clock: the caller's runtime may have no timers.
            let backoff = tokio::time::sleep(until.saturating_duration_since(Instant::now()));
            let _ = runtime()?.spawn(backoff).await;
        };
        let _abandon = Abandon {
            shared: &self.shared,
            id,
        };
        rx.await
            .unwrap_or_else(|_| Err(self.failed("the call was dropped")))
    }

    fn failed(&self, why: &str) -> TaskError {
        TaskError::new(
            "States.TaskFailed",
            format!("worker {}: {why}", self.program.shown),
        )
    }

    /// Starts a process (the caller holds the state lock) and the tasks that serve it.
    fn start(&self, s: &mut State) -> Result<(), TaskError> {
        let rt = runtime()?;
        let _in_rt = rt.enter();
        let mut child = match self.program.spawn() {
            Ok(c) => c,
            Err(e) => {
                s.backoff = next_backoff(s.backoff);
                s.not_before = Some(Instant::now() + s.backoff);
                return Err(e);
            }
        };
        let (stdin, stdout, stderr) = self.program.pipes(&mut child)?;
        s.generation += 1;
        let pid = child.id().unwrap_or(0);
        let (tx, rx) = mpsc::unbounded_channel();
        s.live = Some(Live {
            generation: s.generation,
            pid,
            lines: tx,
        });
        rt.spawn(write_lines(stdin, rx));
        rt.spawn(forward_stderr(
            BufReader::new(stderr),
            Arc::clone(&self.program),
        ));
        rt.spawn(supervise(
            Arc::clone(&self.shared),
            Arc::clone(&self.program),
            s.generation,
            child,
            stdout,
        ));
        Ok(())
    }
}

/// Writes the call's line to the live process and records it as in flight.
fn send(s: &mut State, input_json: &str) -> (u64, oneshot::Receiver<Result<Value, TaskError>>) {
    let id = s.next_id;
    s.next_id += 1;
    let (tx, rx) = oneshot::channel();
    let mut line = Vec::with_capacity(input_json.len() + 32);
    line.extend_from_slice(format!("{{\"id\":{id},\"input\":").as_bytes());
    line.extend_from_slice(input_json.as_bytes());
    line.extend_from_slice(b"}\n");
    if let Some(live) = &s.live {
        // A closed channel means the process is ending: the supervisor fails this call with
        // the others in flight once it has the exit status.
        let _ = live.lines.send(line);
        let generation = live.generation;
        s.pending.insert(id, (generation, tx));
    }
    (id, rx)
}

fn next_backoff(d: Duration) -> Duration {
    if d.is_zero() {
        FIRST_BACKOFF
    } else {
        (d * 2).min(MAX_BACKOFF)
    }
}

/// Writes call lines as they come, flushing when none are waiting.
async fn write_lines(stdin: tokio::process::ChildStdin, mut rx: mpsc::UnboundedReceiver<Vec<u8>>) {
    let mut w = tokio::io::BufWriter::new(stdin);
    while let Some(line) = rx.recv().await {
        if w.write_all(&line).await.is_err() {
            return;
        }
        while let Ok(line) = rx.try_recv() {
            if w.write_all(&line).await.is_err() {
                return;
            }
        }
        if w.flush().await.is_err() {
            return;
        }
    }
}

/// Copies the worker's stderr to aslx's, a line at a time, prefixed with the resource.
async fn forward_stderr<R: AsyncBufRead + Unpin>(mut r: R, program: Arc<Program>) {
    let mut buf = Vec::new();
    while let Ok(Some(_)) = read_line(&mut r, &mut buf, MAX_STDERR_LINE).await {
        eprintln!(
            "[{}] {}",
            program.resource,
            String::from_utf8_lossy(&buf).trim_end()
        );
    }
}

/// Reads one line into `buf` (without its newline), keeping at most `max` bytes of it and
/// consuming the rest. `Ok(None)` at the end; `Ok(Some(true))` when the line was cut.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut cut = false;
    let mut any = false;
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            return Ok(any.then_some(cut));
        }
        any = true;
        let (take, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        cut |= take > room;
        buf.extend_from_slice(&avail[..take.min(room)]);
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(Some(cut));
        }
    }
}

/// Reads answers until stdout ends, waits for the exit, fails what is still in flight and
/// schedules the restart.
async fn supervise(
    shared: Arc<Shared>,
    program: Arc<Program>,
    generation: u64,
    mut child: Child,
    stdout: ChildStdout,
) {
    let started = Instant::now();
    let pid = child.id().unwrap_or(0);
    let mut answers = std::pin::pin!(read_answers(&shared, &program, stdout));
    let status = tokio::select! {
        status = child.wait() => {
            // Answers written just before the exit are still in the pipe.
            let _ = tokio::time::timeout(Duration::from_millis(200), answers).await;
            status
        }
        () = &mut answers => {
            // It closed stdout: it cannot answer any more.
            kill_group(pid);
            child.wait().await
        }
    };
    let how = match status {
        Ok(s) => describe_exit(s),
        Err(e) => format!("could not be waited for ({e})"),
    };
    let (orphans, closing): (Vec<Reply>, bool) = {
        let Ok(mut s) = shared.state.lock() else {
            return;
        };
        if s.live.as_ref().is_some_and(|l| l.generation == generation) {
            s.live = None;
        }
        s.backoff = if started.elapsed() >= HEALTHY_LIFE {
            Duration::ZERO
        } else {
            next_backoff(s.backoff)
        };
        s.not_before = Some(Instant::now() + s.backoff);
        let ids: Vec<u64> = s
            .pending
            .iter()
            .filter(|(_, (g, _))| *g == generation)
            .map(|(id, _)| *id)
            .collect();
        let orphans = ids
            .into_iter()
            .filter_map(|id| s.pending.remove(&id).map(|(_, r)| r))
            .collect();
        (orphans, s.closing)
    };
    let message = format!(
        "worker {} (pid {pid}) {how} while the call was in flight",
        program.shown
    );
    if !closing && (!orphans.is_empty() || !how.ends_with("status 0")) {
        eprintln!(
            "aslx: [{}] worker {} (pid {pid}) {how} with {} call(s) in flight; it is restarted on the next call",
            program.resource,
            program.shown,
            orphans.len()
        );
    }
    for r in orphans {
        let _ = r.send(Err(TaskError::new("States.TaskFailed", message.clone())));
    }
}

/// Delivers each answer line to its call.
async fn read_answers(shared: &Shared, program: &Program, stdout: ChildStdout) {
    let mut r = BufReader::with_capacity(64 * 1024, stdout);
    let mut buf = Vec::new();
    while let Ok(Some(cut)) = read_line(&mut r, &mut buf, MAX_LINE).await {
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (id, answer) = if cut {
            match leading_id(&buf) {
                Some(id) => (id, Err(Some(too_large()))),
                None => {
                    report(
                        program,
                        "an answer line over 256 KiB with no leading \"id\"",
                        &buf,
                    );
                    continue;
                }
            }
        } else {
            match parse_answer(&buf) {
                Ok(a) => a,
                Err(why) => {
                    report(program, why, &buf);
                    continue;
                }
            }
        };
        let reply = match shared.state.lock() {
            Ok(mut s) => match s.pending.remove(&id) {
                Some((_, reply)) => reply,
                // A late answer to an abandoned call.
                None if id < s.next_id => continue,
                None => {
                    drop(s);
                    report(program, "an answer for no call", &buf);
                    continue;
                }
            },
            Err(_) => return,
        };
        let answer = answer.map_err(|e| {
            e.unwrap_or_else(|| {
                TaskError::new(
                    "States.TaskFailed",
                    format!(
                        "worker {} answered with an \"error\" that has no string \"errorType\": {}",
                        program.shown,
                        snippet(&buf, 256, false)
                    ),
                )
            })
        });
        let _ = reply.send(answer);
    }
}

/// An answer line: its id, and the output or the error (`None`: not a Lambda-style error).
#[allow(clippy::type_complexity)]
fn parse_answer(line: &[u8]) -> Result<(u64, Result<Value, Option<TaskError>>), &'static str> {
    let v = parse_json_bytes(line).map_err(|_| "a line that is not JSON")?;
    let id = v
        .get("id")
        .and_then(Value::as_i64)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or("a line with no integer \"id\"")?;
    if let Some(out) = v.get("output") {
        return Ok((id, Ok(out.clone())));
    }
    match v.get("error") {
        Some(e) => Ok((id, Err(lambda_error(e)))),
        None => Err("an answer with neither \"output\" nor \"error\""),
    }
}

/// The `"id"` a cut line starts with (`{"id": 12, ...`), as Python's `json.dumps` and
/// JavaScript's `JSON.stringify` of `{"id": ..., "output": ...}` write it.
fn leading_id(line: &[u8]) -> Option<u64> {
    let head = std::str::from_utf8(&line[..line.len().min(64)]).ok()?;
    let rest = head.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest
        .strip_prefix("\"id\"")?
        .trim_start()
        .strip_prefix(':')?;
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn report(program: &Program, what: &str, line: &[u8]) {
    eprintln!(
        "aslx: [{}] worker {} wrote {what}; ignored: {}",
        program.resource,
        program.shown,
        snippet(line, 200, false)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_read_whole_or_cut_and_consumed() {
        let mut r = BufReader::new(&b"short\nthis one is long\n\nlast"[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), Some(false));
        assert_eq!(buf, b"short");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), Some(true));
        assert_eq!(buf, b"this one");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), Some(false));
        assert_eq!(buf, b"");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), Some(false));
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), None);
    }

    #[test]
    fn answers_parse_or_say_why_not() {
        let (id, out) = parse_answer(br#"{"id": 3, "output": {"a": 1}}"#).unwrap();
        assert_eq!((id, out.unwrap()), (3, crate::json!({"a": 1})));
        let (_, err) =
            parse_answer(br#"{"id":4,"error":{"errorType":"E","errorMessage":"m"}}"#).unwrap();
        assert_eq!(err.unwrap_err().unwrap().error(), "E");
        assert!(parse_answer(br#"{"id":4,"error":"x"}"#)
            .unwrap()
            .1
            .unwrap_err()
            .is_none());
        assert!(parse_answer(b"hello").is_err());
        assert!(parse_answer(br#"{"id": -1, "output": 1}"#).is_err());
        assert!(parse_answer(br#"{"id": 1}"#).is_err());
    }

    #[test]
    fn cut_lines_still_name_their_call() {
        assert_eq!(leading_id(br#"{"id": 17, "output": "xxxx"#), Some(17));
        assert_eq!(leading_id(br#"{"id":5,"output""#), Some(5));
        assert_eq!(leading_id(br#"{"output": 1, "id": 5"#), None);
    }

    #[test]
    fn restart_delay_doubles_to_a_cap() {
        assert_eq!(next_backoff(Duration::ZERO), FIRST_BACKOFF);
        assert_eq!(next_backoff(FIRST_BACKOFF), FIRST_BACKOFF * 2);
        assert_eq!(next_backoff(MAX_BACKOFF), MAX_BACKOFF);
    }
}
