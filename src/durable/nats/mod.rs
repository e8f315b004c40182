//! NATS JetStream: the durability of `aslx serve --queue nats://HOST:PORT`, where several aslx
//! processes share one work queue and one catalog.
//!
//! - [`NatsIntake`] ([`Intake`](super::Intake)): an accepted async start is a message on a
//!   work-queue stream; every process consumes it through one shared durable pull consumer.
//! - [`NatsCatalog`] ([`Catalog`](super::Catalog)): machines and activities are entries of a
//!   key-value bucket, watched by every process.
//!
//! # The protocol of a start
//!
//! 1. `accept` publishes the start to `<prefix>.starts` with the execution ARN as its message id
//!    (`Nats-Msg-Id`) and waits for JetStream's ack: the start is answered only once the server
//!    has stored it. A publish retried within the stream's duplicate window (default ten
//!    minutes) is recognised as a duplicate and stored once. When the server is unreachable or
//!    does not ack in time, `accept` fails with [`DurableError::Unavailable`]: the start is
//!    refused, never accepted and then lost. (A publish that was buffered by the client while
//!    it reconnected may still be stored after the refusal: the refused start may then run,
//!    which at-least-once allows.)
//! 2. Every process pulls from the durable consumer `<prefix>_RUNNERS` (explicit acks, ack wait
//!    30 s by default) and hands each start to the engine with `attempt` = the server's
//!    delivery count, at most `max_running` at once per process.
//! 3. While a start runs, its process sends an in-progress ack (`+WPI`) every third of the ack
//!    wait, so a long execution is not redelivered. When the process dies (kill -9, OOM, power)
//!    those stop, and the server redelivers the start to another process after the ack wait.
//! 4. When the execution ends (`finished`), a completion marker is written to the key-value
//!    bucket `<prefix>_DONE` (keyed by the ARN, kept a day), then the message is acked and
//!    leaves the stream. Every delivery is checked against the markers before it runs (in a
//!    task of its own, so the round trip does not hold up the next delivery), and one this
//!    process holds already (running, or finishing) is merged into it: a start that finished
//!    is not run twice because its ack was lost (the process died between marker and ack,
//!    or the server went away). Every delivery, not only redeliveries: a `nats-server`
//!    killed with SIGKILL was seen to forget what its consumer had delivered, even with
//!    `sync_interval: always`, and to deliver it again as a first delivery.
//! 5. A start delivered more than `max_attempts` times (default 3, the engine's
//!    `async_attempts`) is poison: it is handed to the engine with `attempt > max_attempts`,
//!    which records it FAILED in the execution log without running it, and then acked through
//!    `finished` like any other.
//! 6. When the server goes away, the client reconnects on its own; starts are refused
//!    meanwhile (rule 1), and consumption resumes once the server is back (the stream and the
//!    consumer are in the server's file store). Starts it had delivered and not seen acked
//!    come again, from delivery count 1 if it crashed (rule 4: merged or skipped where they
//!    run or finished).
//!
//! # Durability of the server's store
//!
//! The stream and the buckets use file storage. When a file-stored message reaches the disk
//! is the server's choice, not the stream's: `nats-server` fsyncs its file store every
//! `sync_interval` (default two minutes), so by default an OS crash or power loss can lose
//! acked messages of the last two minutes (a process crash of `nats-server` alone loses
//! nothing: the data is in the kernel's page cache). The strictest setting is
//!
//! ```text
//! jetstream { store_dir: /var/lib/nats, sync_interval: always }
//! ```
//!
//! in the server's configuration file, which fsyncs every write before it is acked (at a cost
//! in throughput); a cluster with replicas (`num_replicas` 3) is the other answer. The tests run
//! the server with `sync_interval: always`.

mod catalog;
mod codec;
mod intake;

pub use catalog::NatsCatalog;
pub use intake::NatsIntake;

use super::DurableError;
use std::time::Duration;

/// Settings of [`NatsIntake`] and [`NatsCatalog`]; every process of one deployment must use
/// the same `prefix` (the stream, consumer and bucket names derive from it) and should use
/// the same others.
#[derive(Clone, Debug)]
pub struct NatsOptions {
    /// `nats://HOST:PORT` (several, comma-separated, for a cluster).
    pub url: String,
    /// Prefix of the names on the server: stream `<prefix>_STARTS` on subject
    /// `<prefix>.starts`, consumer `<prefix>_RUNNERS`, buckets `<prefix>_DONE` and
    /// `<prefix>_CATALOG`. Letters, digits, `-` and `_`. Default `ASLX`.
    pub prefix: String,
    /// How long the server waits for an ack (or an in-progress ack) before it redelivers a
    /// start to another process: how soon the work of a dead process is taken up. Default
    /// 30 s. Applies when the consumer is created.
    pub ack_wait: Duration,
    /// Deliveries of a start that may run; one delivered more often is poison (recorded
    /// FAILED, not run). Default 3.
    pub max_attempts: u32,
    /// Window within which a publish with the same execution ARN is a duplicate. Default
    /// ten minutes. Applies when the stream is created.
    pub duplicate_window: Duration,
    /// How long completion markers are kept. Default one day.
    pub done_ttl: Duration,
    /// Starts from the queue running at once in this process. Default 10,000.
    pub max_running: usize,
    /// How long a request to the server (a publish's ack, a marker write) may take before
    /// the server counts as unavailable. Default 5 s.
    pub request_timeout: Duration,
}

impl NatsOptions {
    /// The defaults, for the server at `url`.
    pub fn new(url: &str) -> Self {
        NatsOptions {
            url: url.to_string(),
            prefix: "ASLX".into(),
            ack_wait: Duration::from_secs(30),
            max_attempts: 3,
            duplicate_window: Duration::from_secs(600),
            done_ttl: Duration::from_secs(24 * 3600),
            max_running: 10_000,
            request_timeout: Duration::from_secs(5),
        }
    }

    fn check(&self) -> Result<(), DurableError> {
        let ok = !self.prefix.is_empty()
            && self
                .prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(DurableError::Unavailable(format!(
                "NATS prefix {:?}: expected letters, digits, '-' and '_'",
                self.prefix
            )));
        }
        if !self.url.starts_with("nats://") && !self.url.starts_with("tls://") {
            return Err(DurableError::Unavailable(format!(
                "NATS URL {:?}: expected nats://HOST:PORT",
                self.url
            )));
        }
        Ok(())
    }
}

/// Connects to the server of `opts` and checks that it runs JetStream.
///
/// A server that is down fails at once with a message naming the URL: a process started
/// with `--queue` does not start without its queue.
async fn connect(
    opts: &NatsOptions,
) -> Result<(async_nats::Client, async_nats::jetstream::Context), DurableError> {
    opts.check()?;
    let url = &opts.url;
    let client = async_nats::ConnectOptions::new()
        .name("aslx")
        .connection_timeout(opts.request_timeout)
        .connect(url.as_str())
        .await
        .map_err(|e| unavailable(format!("cannot connect to NATS at {url}"), e))?;
    let js = async_nats::jetstream::ContextBuilder::new()
        .timeout(opts.request_timeout)
        .build(client.clone());
    js.query_account().await.map_err(|e| {
        unavailable(
            format!("NATS at {url} does not answer JetStream requests (is the server started with -js?)"),
            e,
        )
    })?;
    Ok((client, js))
}

/// `what: cause` as [`DurableError::Unavailable`].
fn unavailable(what: impl std::fmt::Display, cause: impl std::fmt::Display) -> DurableError {
    DurableError::Unavailable(format!("{what}: {cause}"))
}

/// A process-wide switch that ends `deliver` and `watch` loops.
#[derive(Debug)]
struct Closer(tokio::sync::watch::Sender<bool>);

impl Closer {
    fn new() -> Self {
        Closer(tokio::sync::watch::channel(false).0)
    }

    fn close(&self) {
        self.0.send_replace(true);
    }

    fn is_closed(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once [`Closer::close`] was called.
    async fn closed(&self) {
        let mut rx = self.0.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = rx.wait_for(|c| *c).await;
    }
}
