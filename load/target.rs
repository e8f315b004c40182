//! What the generator drives: the engine in this process, or `aslx serve` over HTTP.
//!
//! Two ways to run an execution:
//!
//! - [`Client::call`]: a future that resolves when the target answers — the execution's end
//!   for a sync start, the acceptance for an async start over HTTP (an express execution's end
//!   cannot be observed over the API). The generator awaits it on a lane task.
//! - [`Spawner::spawn`]: start an execution and be told when it ends ([`Done`]), without
//!   waiting for it — in-process async mode, where the completion is observable. This is "fire
//!   and count": one spawned task per execution, no join.
//!
//! Two in-process targets: [`InProc`] runs a bare [`Machine`] on the generator's runtime (sync
//! and async, each execution's end observed), [`EngineTarget`] goes through the
//! [`Engine`] — admission, execution identity, log checks — whose async
//! start reports its end only to the execution log, so there the acceptance is counted while
//! the number in flight is held at the concurrency.

use crate::{Io, Mode};
use aslx::engine::{Engine, StartRequest};
use aslx::{Machine, Status, Value};
use std::cell::OnceCell;
use std::future::Future;

/// Something that answers executions, one client per lane.
pub trait Target: Send + Sync + 'static {
    /// One lane's handle on the target (over HTTP: one keep-alive connection).
    type Client: Client;

    /// A new client.
    fn client(&'static self) -> impl Future<Output = Result<Self::Client, String>> + Send;

    /// The target's in-process spawner, when it can start executions and report their end.
    fn spawner(&'static self) -> Option<&'static InProc> {
        None
    }
}

/// Runs executions one at a time.
pub trait Client: Send + 'static {
    /// Runs (sync) or starts (async) one execution; `Ok(true)` when it succeeded.
    fn call(&mut self) -> impl Future<Output = Result<bool, String>> + Send;
}

/// Told when a fired execution ends.
pub trait Done: Send + 'static {
    /// The execution ended; `ok` when it SUCCEEDED.
    fn done(self, ok: bool);
}

/// Starts executions without waiting for them.
pub trait Spawner: Send + Sync + 'static {
    /// Starts one execution; `done` is called on whichever thread finishes it.
    fn spawn<D: Done>(&'static self, done: D);
}

/// The engine in this process: a [`Machine`] run on the generator's tokio runtime.
pub struct InProc {
    machine: Machine,
    /// The input as JSON text; with [`Io::Value`] each thread parses its own copy once (see
    /// `InProc::input`), with [`Io::Text`] every execution parses it.
    input_text: String,
    mode: Mode,
    io: Io,
}

thread_local! {
    /// This thread's copy of the input.
    static INPUT: OnceCell<Value> = const { OnceCell::new() };
}

/// The input for one execution: a clone of this thread's own parsed copy of `text` (one run,
/// one input, per process).
///
/// PERF: one shared `Value` would put its reference count on a cache line that every core
/// writes twice per execution (clone, drop); a copy per thread keeps that traffic local, as a
/// server parsing each request's own input would.
#[inline]
fn input(text: &str) -> Value {
    INPUT.with(|c| {
        c.get_or_init(|| aslx::parse_json(text).expect("input was checked at start-up"))
            .clone()
    })
}

impl InProc {
    /// `input_text` must be valid JSON (checked by the caller).
    pub fn new(machine: Machine, input_text: String, mode: Mode, io: Io) -> InProc {
        InProc {
            machine,
            input_text,
            mode,
            io,
        }
    }

    async fn run(&self) -> bool {
        match self.io {
            Io::Value => {
                self.machine.run(input(&self.input_text)).await.status == Status::Succeeded
            }
            Io::Text => {
                let Ok(value) = aslx::parse_json(&self.input_text) else {
                    return false;
                };
                let outcome = self.machine.run(value).await;
                emit_text(outcome.output.as_ref());
                outcome.status == Status::Succeeded
            }
        }
    }
}

impl Target for InProc {
    type Client = InProcClient;

    async fn client(&'static self) -> Result<InProcClient, String> {
        Ok(InProcClient(self))
    }

    fn spawner(&'static self) -> Option<&'static InProc> {
        (self.mode == Mode::Async).then_some(self)
    }
}

/// A lane of the in-process target: runs each execution to its end on the lane's own task.
pub struct InProcClient(&'static InProc);

impl Client for InProcClient {
    async fn call(&mut self) -> Result<bool, String> {
        Ok(self.0.run().await)
    }
}

impl Spawner for InProc {
    /// PERF: the execution's future (about 1.2 KiB today: the `Execution`, its info, the
    /// driver and timeout state) is boxed once, so the task tokio allocates holds a pointer.
    /// Unboxed, tokio copies the whole future about six times per spawn (into the task cell,
    /// the owned-task list, each stage change): 1,600 of the 7,100 instructions of a pass1
    /// execution under callgrind.
    #[inline]
    fn spawn<D: Done>(&'static self, done: D) {
        tokio::spawn(Box::pin(async move { done.done(self.run().await) }));
    }
}

/// String out: the output serialized as a server answers it, into this thread's buffer (reused,
/// as a server's response buffer is), and its length read so that the work is not optimised out.
fn emit_text(output: Option<&Value>) {
    thread_local! {
        static OUT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    OUT.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        if let Some(v) = output {
            aslx::value::write_json(v, &mut b);
        }
        std::hint::black_box(b.len());
    });
}

/// The [`Engine`] in this process, on the generator's runtime.
pub struct EngineTarget {
    engine: Engine,
    machine: String,
    input_text: String,
    mode: Mode,
    /// Async mode: starts wait while this many executions are in flight.
    limit: usize,
    io: Io,
    /// `--data-dir`: starts are answered once the engine's intake recorded them.
    pub durable: bool,
}

impl EngineTarget {
    /// `engine` has `machine` created; `input_text` is valid JSON (checked by the caller).
    pub fn new(
        engine: Engine,
        machine: String,
        input_text: String,
        mode: Mode,
        limit: usize,
        io: Io,
    ) -> EngineTarget {
        EngineTarget {
            engine,
            machine,
            input_text,
            mode,
            limit,
            io,
            durable: false,
        }
    }
}

impl Target for EngineTarget {
    type Client = EngineClient;

    async fn client(&'static self) -> Result<EngineClient, String> {
        Ok(EngineClient(self))
    }
}

/// A lane of the engine target: `start_sync` to the end, or `start` once there is room.
pub struct EngineClient(&'static EngineTarget);

impl Client for EngineClient {
    async fn call(&mut self) -> Result<bool, String> {
        let t = self.0;
        let req = || match t.io {
            Io::Value => StartRequest::new(&t.machine).input(input(&t.input_text)),
            Io::Text => StartRequest::new(&t.machine).input_json(&t.input_text),
        };
        match t.mode {
            Mode::Sync => match t.engine.start_sync(req()).await {
                Ok(done) => {
                    if t.io == Io::Text {
                        emit_text(done.outcome.output.as_ref());
                    }
                    Ok(done.outcome.status == Status::Succeeded)
                }
                Err(e) => Err(e.to_string()),
            },
            Mode::Async => {
                // Closed loop over the engine's own count: wait for room, as a caller that
                // keeps C executions in flight would.
                while t.engine.in_flight() >= t.limit {
                    tokio::task::yield_now().await;
                }
                if t.durable {
                    return t
                        .engine
                        .start_async(req())
                        .await
                        .map(|_| true)
                        .map_err(|e| e.to_string());
                }
                t.engine
                    .start(req())
                    .map(|_| true)
                    .map_err(|e| e.to_string())
            }
        }
    }
}
