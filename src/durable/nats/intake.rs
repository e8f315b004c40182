//! [`NatsIntake`]: accepted async starts on a JetStream work-queue stream, run by whichever
//! process pulls them. The protocol is in the [module docs](super).

use super::codec::{arn_key, decode_start, encode_start};
use super::{connect, unavailable, Closer, NatsOptions};
use crate::durable::{AcceptedStart, BoxFuture, DurableError, Intake};
use crate::engine::ExecutionStatus;
use crate::runtime::sync::{lock, Mutex};
use async_nats::jetstream::consumer::pull::MessagesErrorKind;
use async_nats::jetstream::consumer::{pull, AckPolicy, PullConsumer};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{kv, stream, Context, Message};
use async_nats::{Client, Subject};
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The NATS JetStream intake. See the [module docs](super).
pub struct NatsIntake {
    opts: NatsOptions,
    client: Client,
    js: Context,
    subject: String,
    consumer: Mutex<PullConsumer>,
    done: kv::Store,
    /// The starts this process runs, by execution ARN: the reply subject of their latest
    /// delivery (the one to ack) and their slot.
    running: Arc<Mutex<HashMap<String, Running>>>,
    slots: Arc<Semaphore>,
    closer: Closer,
    handle: tokio::runtime::Handle,
}

struct Running {
    reply: Subject,
    _slot: OwnedSemaphorePermit,
}

impl std::fmt::Debug for NatsIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsIntake")
            .field("url", &self.opts.url)
            .field("subject", &self.subject)
            .field("running", &lock(&self.running).len())
            .finish_non_exhaustive()
    }
}

impl NatsIntake {
    /// Connects to the server of `opts` and creates (or binds to) the stream, the shared
    /// consumer and the completion bucket.
    ///
    /// # Errors
    ///
    /// [`DurableError::Unavailable`] naming the URL when the server is down, does not run
    /// JetStream, or refuses to create the stream.
    pub async fn connect(opts: NatsOptions) -> Result<Self, DurableError> {
        let (client, js) = connect(&opts).await?;
        let consumer = setup(&js, &opts).await?;
        let done = key_value(&js, &opts, "DONE", opts.done_ttl).await?;
        Ok(NatsIntake {
            subject: format!("{}.starts", opts.prefix),
            slots: Arc::new(Semaphore::new(opts.max_running.max(1))),
            opts,
            client,
            js,
            consumer: Mutex::new(consumer),
            done,
            running: Arc::new(Mutex::new(HashMap::new())),
            closer: Closer::new(),
            handle: tokio::runtime::Handle::current(),
        })
    }

    /// Ends [`Intake::deliver`]; the starts still running here are redelivered to other
    /// processes after the ack wait unless they finish first.
    pub fn close(&self) {
        self.closer.close();
    }

    /// Starts this process is running now.
    pub fn running(&self) -> usize {
        lock(&self.running).len()
    }

    /// Pulls starts and hands them to `run` until the intake is closed, reopening the pull
    /// after the server went away.
    async fn consume(self: &Arc<Self>, run: &Arc<dyn Fn(AcceptedStart) + Send + Sync>) {
        let mut outage: Option<String> = None;
        while !self.closer.is_closed() {
            let consumer = lock(&self.consumer).clone();
            let opened = consumer
                .stream()
                .max_messages_per_batch(self.opts.max_running.clamp(1, 256))
                .expires(Duration::from_secs(10))
                .heartbeat(Duration::from_secs(3))
                .messages()
                .await;
            let mut messages = match opened {
                Ok(m) => m,
                Err(e) => {
                    self.report_outage(&mut outage, &e);
                    self.rebind().await;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
            };
            loop {
                let Ok(slot) = Arc::clone(&self.slots).acquire_owned().await else {
                    return;
                };
                match messages.next().await {
                    None => break,
                    Some(Ok(msg)) => {
                        if let Some(what) = outage.take() {
                            eprintln!(
                                "aslx: NATS at {}: consuming again after {what}",
                                self.opts.url
                            );
                        }
                        self.take(msg, slot, run);
                    }
                    Some(Err(e)) => {
                        self.report_outage(&mut outage, &e);
                        if matches!(
                            e.kind(),
                            MessagesErrorKind::ConsumerDeleted | MessagesErrorKind::NoResponders
                        ) {
                            break;
                        }
                    }
                }
            }
            // The pull ended: the consumer may be gone with a server that lost its store.
            self.rebind().await;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Says once per outage that consumption stopped, and why.
    fn report_outage(&self, outage: &mut Option<String>, e: &dyn std::fmt::Display) {
        if outage.is_none() {
            let what = e.to_string();
            eprintln!(
                "aslx: NATS at {}: cannot consume starts ({what}); retrying",
                self.opts.url
            );
            *outage = Some(what);
        }
    }

    /// Binds the stream and consumer again (re-creating them if the server lost them).
    async fn rebind(&self) {
        if let Ok(c) = setup(&self.js, &self.opts).await {
            *lock(&self.consumer) = c;
        }
    }

    /// One delivery: dropped if unreadable, merged if this process has it already,
    /// otherwise checked against its completion marker (in a task of its own, so that the
    /// round trip does not hold up the next delivery) and handed to `run`.
    fn take(
        self: &Arc<Self>,
        msg: Message,
        slot: OwnedSemaphorePermit,
        run: &Arc<dyn Fn(AcceptedStart) + Send + Sync>,
    ) {
        let (delivered, seq) = match msg.info() {
            Ok(i) => (i.delivered, i.stream_sequence),
            Err(_) => (1, 0),
        };
        let delivered = u32::try_from(delivered.max(1)).unwrap_or(u32::MAX);
        let Some(reply) = msg.reply.clone() else {
            return;
        };
        let mut start = match decode_start(&msg.payload) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "aslx: NATS stream {}_STARTS: message {seq} is not a start this aslx can run, removed: {e}",
                    self.opts.prefix
                );
                self.ack(reply, "+TERM");
                return;
            }
        };
        {
            let mut running = lock(&self.running);
            if let Some(r) = running.get_mut(&start.execution_arn) {
                // Delivered again while this process has it (in-progress acks lost in an
                // outage, or a server that lost its consumer's state): the newest delivery
                // is the one the server waits an ack for.
                r.reply = reply;
                return;
            }
            running.insert(start.execution_arn.clone(), Running { reply, _slot: slot });
        }
        start.attempt = delivered;
        let (this, run) = (Arc::clone(self), Arc::clone(run));
        tokio::spawn(async move {
            // Every delivery is checked, not only those counted as redeliveries: a server
            // killed with SIGKILL forgets what its consumer delivered and delivers it again
            // as a first delivery.
            let key = arn_key(&start.execution_arn);
            let marker = tokio::time::timeout(this.opts.request_timeout, this.done.get(key)).await;
            match marker {
                Ok(Ok(None)) => {}
                Ok(Ok(Some(_))) => {
                    // Finished already: acked without running.
                    if let Some(r) = lock(&this.running).remove(&start.execution_arn) {
                        this.ack(r.reply, "+ACK");
                    }
                    return;
                }
                Ok(Err(_)) | Err(_) => {
                    // Cannot tell whether it finished: left to be redelivered after the ack
                    // wait.
                    lock(&this.running).remove(&start.execution_arn);
                    return;
                }
            }
            if delivered > this.opts.max_attempts {
                eprintln!(
                    "aslx: execution {} was delivered {delivered} times (at most {} may run): recorded as failed without running it",
                    start.execution_arn, this.opts.max_attempts
                );
            }
            run(start);
        });
    }

    /// Sends `ack` on a delivery's reply subject. A lost ack means a redelivery, which the
    /// completion marker answers.
    fn ack(&self, reply: Subject, ack: &'static str) {
        let client = self.client.clone();
        self.handle.spawn(async move {
            let _ = client.publish(reply, ack.into()).await;
        });
    }

    /// Sends an in-progress ack for every start running here, every third of the ack wait.
    async fn keep_in_progress(self: Arc<Self>) {
        let every = (self.opts.ack_wait / 3).max(Duration::from_millis(50));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let replies: Vec<Subject> = lock(&self.running)
                .values()
                .map(|r| r.reply.clone())
                .collect();
            for reply in replies {
                let _ = self.client.publish(reply, "+WPI".into()).await;
            }
        }
    }
}

impl Intake for NatsIntake {
    fn accept<'a>(&'a self, start: &'a AcceptedStart) -> BoxFuture<'a, Result<(), DurableError>> {
        Box::pin(async move {
            let url = &self.opts.url;
            if self.client.connection_state() != async_nats::connection::State::Connected {
                return Err(DurableError::Unavailable(format!(
                    "NATS at {url} is unreachable: the start was not accepted"
                )));
            }
            let publish = PublishMessage::build()
                .payload(encode_start(start).into())
                .message_id(&start.execution_arn);
            let what = || format!("NATS at {url} did not store the start");
            let ack = self
                .js
                .send_publish(self.subject.clone(), publish)
                .await
                .map_err(|e| unavailable(what(), e))?;
            // The context's request timeout bounds this wait.
            ack.await.map_err(|e| unavailable(what(), e))?;
            Ok(())
        })
    }

    fn runs_on_accept(&self) -> bool {
        false
    }

    fn finished(&self, execution_arn: &str, status: ExecutionStatus) {
        if !lock(&self.running).contains_key(execution_arn) {
            return;
        }
        let done = self.done.clone();
        let client = self.client.clone();
        let arn = execution_arn.to_string();
        let deadline = tokio::time::Instant::now() + self.opts.ack_wait;
        let timeout = self.opts.request_timeout;
        let running = Arc::clone(&self.running);
        self.handle.spawn(async move {
            // The marker first, then the ack: a delivery after a lost ack finds the marker.
            // The start stays in `running` meanwhile, so that a delivery of it in between is
            // merged rather than run. Without a marker (the server away past the ack wait)
            // the start may run again, which at-least-once allows.
            let key = arn_key(&arn);
            let mut pause = Duration::from_millis(50);
            while tokio::time::Instant::now() < deadline {
                let put = done.put(&key, status.as_str().into());
                if let Ok(Ok(_)) = tokio::time::timeout(timeout, put).await {
                    break;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            let Some(r) = lock(&running).remove(&arn) else {
                return;
            };
            let _ = client.publish(r.reply, "+ACK".into()).await;
        });
    }

    fn deliver(
        self: Arc<Self>,
        run: Arc<dyn Fn(AcceptedStart) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let progress = tokio::spawn(Arc::clone(&self).keep_in_progress());
            tokio::select! {
                _ = self.closer.closed() => {}
                _ = self.consume(&run) => {}
            }
            progress.abort();
        })
    }
}

/// Creates or binds the work-queue stream and the shared consumer.
async fn setup(js: &Context, opts: &NatsOptions) -> Result<PullConsumer, DurableError> {
    let name = format!("{}_STARTS", opts.prefix);
    let what = || format!("NATS at {}: stream {name}", opts.url);
    let stream = js
        .get_or_create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![format!("{}.starts", opts.prefix)],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            duplicate_window: opts.duplicate_window,
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable(what(), e))?;
    let durable = format!("{}_RUNNERS", opts.prefix);
    stream
        .get_or_create_consumer(
            &durable,
            pull::Config {
                durable_name: Some(durable.clone()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: opts.ack_wait,
                // Poison is decided here (attempt > max_attempts), so that it is recorded.
                max_deliver: -1,
                max_ack_pending: 1_000_000,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| unavailable(format!("{}, consumer {durable}", what()), e))
}

/// Creates or binds the bucket `<prefix>_<name>` (file storage, latest value only).
pub(super) async fn key_value(
    js: &Context,
    opts: &NatsOptions,
    name: &str,
    max_age: Duration,
) -> Result<kv::Store, DurableError> {
    let bucket = format!("{}_{name}", opts.prefix);
    if let Ok(kv) = js.get_key_value(&bucket).await {
        return Ok(kv);
    }
    js.create_key_value(kv::Config {
        bucket: bucket.clone(),
        history: 1,
        max_age,
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| unavailable(format!("NATS at {}: bucket {bucket}", opts.url), e))
}
