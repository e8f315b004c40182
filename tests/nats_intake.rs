//! The NATS JetStream intake and catalog against a real `nats-server` (one per test, on a
//! free loopback port; see tests/support/nats.rs): publish dedup, consume and ack,
//! redelivery after a consumer dies, in-progress acks, the poison limit, completion markers,
//! a server restart mid-run, and catalog changes across clients.

#[path = "support/nats.rs"]
mod nats;

use aslx::durable::nats::{NatsCatalog, NatsIntake, NatsOptions};
use aslx::durable::{AcceptedStart, Catalog, CatalogKind, DurableError, Intake};
use aslx::engine::ExecutionStatus;
use aslx::Status;
use nats::NatsServer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout, Instant};

fn start(name: &str) -> AcceptedStart {
    AcceptedStart {
        execution_arn: format!("arn:aws:states:us-east-1:111111111111:express:M:{name}:x"),
        target_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:M".into(),
        name: name.into(),
        input: format!(r#"{{"n":"{name}"}}"#),
        trace_header: None,
        start_ms: 1_700_000_000_000,
        attempt: 1,
    }
}

fn opts(server: &NatsServer, ack_wait_ms: u64) -> NatsOptions {
    let mut o = NatsOptions::new(&server.url);
    o.ack_wait = Duration::from_millis(ack_wait_ms);
    o.request_timeout = Duration::from_secs(2);
    o
}

/// An intake whose deliveries arrive on the returned channel, consuming in the background.
async fn consuming(
    o: &NatsOptions,
) -> (
    Arc<NatsIntake>,
    mpsc::UnboundedReceiver<AcceptedStart>,
    tokio::task::JoinHandle<()>,
) {
    let intake = Arc::new(NatsIntake::connect(o.clone()).await.expect("connect"));
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(Arc::clone(&intake).deliver(Arc::new(move |s| {
        let _ = tx.send(s);
    })));
    (intake, rx, task)
}

/// Stops an intake as a dead process would: no more in-progress acks, no acks.
async fn kill(intake: Arc<NatsIntake>, task: tokio::task::JoinHandle<()>) {
    intake.close();
    let _ = task.await;
    drop(intake);
}

/// Messages still in the work queue (not acked).
async fn pending(server: &NatsServer) -> u64 {
    let client = async_nats::connect(&server.url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream("ASLX_STARTS").await.unwrap();
    stream.info().await.unwrap().state.messages
}

/// Waits (up to 20 s) until the work queue holds `n` messages.
async fn until_pending(server: &NatsServer, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = pending(server).await;
        if now == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{now} messages pending, expected {n}"
        );
        sleep(Duration::from_millis(50)).await;
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<AcceptedStart>, secs: u64) -> AcceptedStart {
    timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("a delivery in time")
        .expect("the intake is running")
}

const DONE: ExecutionStatus = ExecutionStatus::Ended(Status::Succeeded);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_published_twice_is_stored_once_delivered_once_and_acked_on_finish() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 30_000);
    let intake = NatsIntake::connect(o.clone()).await.unwrap();
    assert!(!intake.runs_on_accept());
    let s = start("twice");
    intake.accept(&s).await.unwrap();
    intake.accept(&s).await.unwrap();
    assert_eq!(
        pending(&server).await,
        1,
        "the retried publish is a duplicate"
    );

    let (consumer, mut rx, task) = consuming(&o).await;
    let got = next(&mut rx, 10).await;
    assert_eq!(got, s, "delivered as accepted, attempt 1");
    assert_eq!(consumer.running(), 1);
    consumer.finished(&got.execution_arn, DONE);
    until_pending(&server, 0).await;
    assert_eq!(consumer.running(), 0);
    assert!(rx.try_recv().is_err(), "delivered once");
    kill(consumer, task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_start_is_delivered_and_acked() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 30_000);
    let (intake, mut rx, task) = consuming(&o).await;
    let mut names: Vec<String> = (0..200).map(|i| format!("e{i}")).collect();
    for n in &names {
        intake.accept(&start(n)).await.unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < names.len() {
        let s = next(&mut rx, 10).await;
        assert_eq!(s.attempt, 1);
        intake.finished(&s.execution_arn, DONE);
        seen.push(s.name);
    }
    until_pending(&server, 0).await;
    seen.sort();
    names.sort();
    assert_eq!(seen, names);
    kill(intake, task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_starts_of_a_consumer_that_dies_are_redelivered_to_another() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 1_000);
    let (a, mut rx_a, task_a) = consuming(&o).await;
    a.accept(&start("orphan")).await.unwrap();
    let first = next(&mut rx_a, 10).await;
    assert_eq!(first.attempt, 1);
    kill(a, task_a).await;

    let (b, mut rx_b, task_b) = consuming(&o).await;
    let again = next(&mut rx_b, 15).await;
    assert_eq!(again.execution_arn, first.execution_arn);
    assert_eq!(again.attempt, 2, "the delivery count is the attempt");
    assert_eq!(again.input, first.input);
    b.finished(&again.execution_arn, DONE);
    until_pending(&server, 0).await;
    kill(b, task_b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_progress_acks_keep_a_long_start_from_being_redelivered() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 1_000);
    let (a, mut rx_a, task_a) = consuming(&o).await;
    let (b, mut rx_b, task_b) = consuming(&o).await;
    a.accept(&start("long")).await.unwrap();
    // Whichever got it holds it for four ack waits; nobody gets it again meanwhile.
    let (holder, rx_other) = tokio::select! {
        s = rx_a.recv() => ((Arc::clone(&a), s.unwrap()), &mut rx_b),
        s = rx_b.recv() => ((Arc::clone(&b), s.unwrap()), &mut rx_a),
    };
    sleep(Duration::from_secs(4)).await;
    assert!(rx_other.try_recv().is_err(), "redelivered while running");
    assert_eq!(pending(&server).await, 1);
    holder.0.finished(&holder.1.execution_arn, DONE);
    until_pending(&server, 0).await;
    drop(holder);
    kill(a, task_a).await;
    kill(b, task_b).await;
    assert!(rx_a.try_recv().is_err() && rx_b.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_delivered_more_than_max_attempts_is_handed_over_as_poison_then_acked() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let mut o = opts(&server, 500);
    o.max_attempts = 2;
    NatsIntake::connect(o.clone())
        .await
        .unwrap()
        .accept(&start("poison"))
        .await
        .unwrap();
    // Two processes die running it...
    for attempt in 1..=2 {
        let (i, mut rx, task) = consuming(&o).await;
        assert_eq!(next(&mut rx, 15).await.attempt, attempt);
        kill(i, task).await;
    }
    // ...the third gets it marked as poison: attempt 3 > max_attempts 2.
    let (i, mut rx, task) = consuming(&o).await;
    let poison = next(&mut rx, 15).await;
    assert_eq!(poison.attempt, 3);
    i.finished(
        &poison.execution_arn,
        ExecutionStatus::Ended(Status::Failed),
    );
    until_pending(&server, 0).await;
    kill(i, task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_start_that_already_finished_is_acked_without_running() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 1_000);
    let (a, mut rx_a, task_a) = consuming(&o).await;
    let s = start("finished-but-unacked");
    a.accept(&s).await.unwrap();
    next(&mut rx_a, 10).await;
    kill(a, task_a).await;
    // The process had recorded the completion, then died before its ack: the marker is
    // there, the message too.
    let js = async_nats::jetstream::new(async_nats::connect(&server.url).await.unwrap());
    let done = js.get_key_value("ASLX_DONE").await.unwrap();
    use base64::Engine as _;
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&s.execution_arn);
    done.put(key, "SUCCEEDED".into()).await.unwrap();
    assert_eq!(pending(&server).await, 1);

    let (b, mut rx_b, task_b) = consuming(&o).await;
    until_pending(&server, 0).await;
    assert!(rx_b.try_recv().is_err(), "a finished execution ran again");
    kill(b, task_b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_are_refused_while_the_server_is_away_and_consumption_resumes_after() {
    let Some(mut server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 2_000);
    let (intake, mut rx, task) = consuming(&o).await;
    intake.accept(&start("before")).await.unwrap();
    let running = next(&mut rx, 10).await;

    server.kill();
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        match intake.accept(&start("while-away")).await {
            Err(e) => break e,
            Ok(()) => {
                assert!(Instant::now() < deadline, "accepted with the server gone");
                sleep(Duration::from_millis(20)).await;
            }
        }
    };
    assert!(
        matches!(refused, DurableError::Unavailable(_)),
        "{refused:?}"
    );
    assert!(refused.to_string().contains(&server.url), "{refused}");

    server.start_again();
    // The execution that ran through the outage finishes and is acked.
    intake.finished(&running.execution_arn, DONE);
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = intake.accept(&start("after")).await {
        assert!(
            Instant::now() < deadline,
            "still refused after the restart: {e}"
        );
        sleep(Duration::from_millis(100)).await;
    }
    let mut got = next(&mut rx, 30).await;
    // A start refused while away may have been stored on reconnect (at-least-once allows
    // it); "before" must not come again: it finished.
    while got.name == "while-away" {
        intake.finished(&got.execution_arn, DONE);
        got = next(&mut rx, 30).await;
    }
    assert_eq!(got.name, "after", "{got:?}");
    intake.finished(&got.execution_arn, DONE);
    until_pending(&server, 0).await;
    kill(intake, task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_at_start_up_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    let e = NatsIntake::connect(NatsOptions::new(&url))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("cannot connect to NATS at {url}")),
        "{e}"
    );
    let e = NatsCatalog::connect(NatsOptions::new(&url))
        .await
        .unwrap_err();
    assert!(e.to_string().contains(&url), "{e}");
    let e = NatsIntake::connect(NatsOptions::new("http://x:1"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("expected nats://HOST:PORT"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_change_on_one_client_reaches_another_within_a_second() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 30_000);
    let a = Arc::new(NatsCatalog::connect(o.clone()).await.unwrap());
    let b = Arc::new(NatsCatalog::connect(o.clone()).await.unwrap());
    let arn = "arn:aws:states:us-east-1:111111111111:stateMachine:Shared";
    a.put(CatalogKind::Activity, "arn:act", b"before".to_vec())
        .await
        .unwrap();
    assert_eq!(
        b.load().await.unwrap(),
        vec![(
            CatalogKind::Activity,
            "arn:act".to_string(),
            Some(b"before".to_vec())
        )]
    );
    assert_eq!(a.load().await.unwrap().len(), 1);
    let watch = |c: &Arc<NatsCatalog>| {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(Arc::clone(c).watch(Arc::new(move |ch| {
            let _ = tx.send(ch);
        })));
        rx
    };
    let mut seen_a = watch(&a);
    let mut seen_b = watch(&b);
    sleep(Duration::from_millis(200)).await;

    a.put(CatalogKind::Machine, arn, b"v1".to_vec())
        .await
        .unwrap();
    let within = Duration::from_secs(1);
    let got = timeout(within, seen_b.recv())
        .await
        .expect("within a second");
    assert_eq!(
        got,
        Some((CatalogKind::Machine, arn.to_string(), Some(b"v1".to_vec())))
    );
    a.delete(CatalogKind::Machine, arn).await.unwrap();
    let got = timeout(within, seen_b.recv())
        .await
        .expect("within a second");
    assert_eq!(got, Some((CatalogKind::Machine, arn.to_string(), None)));
    b.put(CatalogKind::Machine, arn, b"v2".to_vec())
        .await
        .unwrap();
    let got = timeout(within, seen_a.recv())
        .await
        .expect("within a second");
    assert_eq!(
        got,
        Some((CatalogKind::Machine, arn.to_string(), Some(b"v2".to_vec())))
    );
    sleep(Duration::from_millis(300)).await;
    assert!(
        seen_a.try_recv().is_err(),
        "a's own changes came back to it"
    );
    assert!(seen_b.try_recv().is_err(), "b's own change came back to it");

    let c = NatsCatalog::connect(o).await.unwrap();
    let mut all = c.load().await.unwrap();
    all.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        all,
        vec![
            (
                CatalogKind::Activity,
                "arn:act".to_string(),
                Some(b"before".to_vec())
            ),
            (CatalogKind::Machine, arn.to_string(), Some(b"v2".to_vec())),
        ]
    );
    a.close();
    b.close();
}

/// What broke: a process that loaded an empty bucket started its watch "from now", so a
/// machine created on another process between that load and the watch never reached it
/// (nats_cluster failed in CI: "process 2 does not know the machine a second after its
/// create").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_between_loading_an_empty_bucket_and_watching_it_is_not_missed() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let o = opts(&server, 30_000);
    let a = Arc::new(NatsCatalog::connect(o.clone()).await.unwrap());
    let b = Arc::new(NatsCatalog::connect(o.clone()).await.unwrap());
    assert!(b.load().await.unwrap().is_empty());
    let arn = "arn:aws:states:us-east-1:111111111111:stateMachine:Early";
    a.put(CatalogKind::Machine, arn, b"v1".to_vec())
        .await
        .unwrap();
    let (tx, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(Arc::clone(&b).watch(Arc::new(move |ch| {
        let _ = tx.send(ch);
    })));
    let got = timeout(Duration::from_secs(1), seen.recv())
        .await
        .expect("within a second");
    assert_eq!(
        got,
        Some((CatalogKind::Machine, arn.to_string(), Some(b"v1".to_vec())))
    );
}
