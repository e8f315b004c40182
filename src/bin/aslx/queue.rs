//! `aslx serve --queue nats://HOST:PORT`: async executions, machines and activities shared by
//! every aslx process attached to one NATS JetStream server (`aslx::durable::nats`).

use aslx::durable::nats::{NatsCatalog, NatsIntake, NatsOptions};
use aslx::engine::EngineBuilder;
use clap::Args;
use std::sync::Arc;
use std::time::Duration;

/// The queue options of `aslx serve`.
#[derive(Args, Debug)]
pub struct QueueArgs {
    /// Share the work with the other aslx processes on this NATS JetStream server: an async
    /// start is answered once JetStream has stored it (never accepted, then lost), runs on
    /// whichever process pulls it, and runs again elsewhere if that process dies (at least
    /// once); machines and activities are kept on the server, visible to every process. Run
    /// the server with `jetstream { sync_interval: always }` to survive power loss.
    #[arg(long, value_name = "nats://HOST:PORT")]
    queue: Option<String>,
    /// Prefix of the stream, consumer and buckets on the NATS server; processes that share
    /// work use the same.
    #[arg(long, default_value = "ASLX", requires = "queue")]
    queue_prefix: String,
    /// Seconds before the executions of a process that stopped answering are run by another.
    #[arg(long, default_value_t = 30.0, requires = "queue")]
    queue_ack_wait: f64,
    /// Deliveries of one execution that may run; one delivered more often (it killed every
    /// process that ran it) is recorded as failed instead.
    #[arg(long, default_value_t = 3, requires = "queue")]
    queue_max_attempts: u32,
}

/// The connected intake and catalog of `--queue`.
#[derive(Debug)]
pub struct Queue {
    pub intake: Arc<NatsIntake>,
    pub catalog: Arc<NatsCatalog>,
}

impl QueueArgs {
    /// `--queue-max-attempts`.
    pub fn max_attempts(&self) -> u32 {
        self.queue_max_attempts
    }

    /// Connects to the `--queue` server on `rt`; `None` without `--queue`.
    pub fn connect(&self, rt: &tokio::runtime::Runtime) -> Result<Option<Queue>, String> {
        let Some(url) = &self.queue else {
            return Ok(None);
        };
        let mut opts = NatsOptions::new(url);
        opts.prefix = self.queue_prefix.clone();
        opts.ack_wait = Duration::try_from_secs_f64(self.queue_ack_wait)
            .ok()
            .filter(|d| *d >= Duration::from_millis(100))
            .ok_or_else(|| {
                format!(
                    "--queue-ack-wait: {} is not a duration in seconds (0.1 or more)",
                    self.queue_ack_wait
                )
            })?;
        if self.queue_max_attempts == 0 {
            return Err("--queue-max-attempts: expected 1 or more".into());
        }
        opts.max_attempts = self.queue_max_attempts;
        rt.block_on(async {
            let intake = NatsIntake::connect(opts.clone()).await;
            let catalog = NatsCatalog::connect(opts).await;
            match (intake, catalog) {
                (Ok(i), Ok(c)) => Ok(Some(Queue {
                    intake: Arc::new(i),
                    catalog: Arc::new(c),
                })),
                (Err(e), _) | (_, Err(e)) => Err(format!("--queue: {e}")),
            }
        })
    }
}

/// Hands the queue to the engine being built: async starts are recorded in the stream and run
/// where they are delivered; machines and activities are kept in the bucket. A start
/// delivered more than `attempts` times is poison: the engine records it FAILED unrun.
pub fn attach(b: EngineBuilder, queue: Option<&Queue>, attempts: u32) -> EngineBuilder {
    let Some(q) = queue else {
        return b;
    };
    b.async_attempts(attempts)
        .intake(q.intake.clone())
        .catalog(q.catalog.clone())
}
