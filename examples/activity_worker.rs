//! A worker that polls an activity: the machine's Task waits until a worker takes its work
//! (GetActivityTask), heartbeats while it runs, and answers (SendTaskSuccess / Failure).
//! Workers can be many; each poll hands one task to one worker.
//!
//! ```text
//! cargo run --example activity_worker
//! ```

use aslx::engine::{Engine, StartRequest};
use aslx::{CheckedDefinition, Status};
use serde::{Deserialize, Serialize};
use std::time::Duration;

const WORKER: CheckedDefinition =
    aslx_macros::definition!("examples/machines/worker.asl.json", STANDARD);

#[derive(Deserialize)]
struct Resize {
    image: String,
    width: u32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Resized {
    image: String,
    thumbnail: String,
}

/// Polls `activity` until `stop` and works every task it gets.
async fn worker(
    engine: Engine,
    activity: String,
    name: String,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let task = match engine
            .get_activity_task(&activity, Some(&name), Duration::from_secs(1))
            .await
        {
            Ok(Some(task)) => task,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("{name}: poll failed: {e}");
                return;
            }
        };
        let answer = match aslx::from_value::<Resize>(task.input.clone()) {
            Ok(job) => {
                // Long work heartbeats, within the Task's HeartbeatSeconds.
                let _ = engine.send_task_heartbeat(&task.task_token);
                let done = Resized {
                    thumbnail: format!("{}@{}w", job.image, job.width),
                    image: job.image,
                };
                let out = aslx::to_value(&done).unwrap_or_default();
                engine.send_task_success_value(&task.task_token, out)
            }
            Err(e) => engine.send_task_failure(
                &task.task_token,
                Some("Resize.BadInput"),
                Some(&e.to_string()),
            ),
        };
        if let Err(e) = answer {
            eprintln!("{name}: could not answer: {e}");
        }
    }
}

/// Starts `inputs` as executions, runs two workers, and returns each execution's outcome.
async fn run(inputs: Vec<serde_json::Value>) -> Vec<aslx::vm::Outcome> {
    let engine = Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .build()
        .expect("the engine starts");
    let activity = engine
        .create_activity("resize")
        .expect("a new activity")
        .arn
        .to_string();
    engine
        .create_checked_machine("thumbnails", &WORKER)
        .expect("activities need no handler");
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (1..=2)
        .map(|n| {
            tokio::spawn(worker(
                engine.clone(),
                activity.clone(),
                format!("worker-{n}"),
                stop.clone(),
            ))
        })
        .collect();
    let mut handles = Vec::new();
    for input in inputs {
        let input = aslx::to_value(&input).unwrap_or_default();
        handles.push(
            engine
                .start_with_handle(StartRequest::new("thumbnails").input(input))
                .expect("started"),
        );
    }
    let mut outcomes = Vec::new();
    for h in handles {
        outcomes.push(h.wait().await);
    }
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    outcomes
}

#[tokio::main]
async fn main() {
    let outcomes = run(vec![
        serde_json::json!({"image": "cat.png", "width": 128}),
        serde_json::json!({"image": "dog.png"}),
    ])
    .await;
    for o in outcomes {
        match o.status {
            Status::Succeeded => println!("done: {}", o.output.unwrap_or_default()),
            _ => println!("failed: {:?}: {:?}", o.error, o.cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn workers_take_the_tasks_and_answer_them() {
        let mut inputs: Vec<serde_json::Value> = (0..6)
            .map(|i| serde_json::json!({"image": format!("{i}.png"), "width": 64}))
            .collect();
        inputs.push(serde_json::json!({"image": "no-width.png"}));
        let outcomes = run(inputs).await;
        for (i, o) in outcomes.iter().take(6).enumerate() {
            assert_eq!(o.status, Status::Succeeded, "{o:?}");
            let out: Resized = aslx::from_value(o.output.clone().unwrap()).unwrap();
            assert_eq!(out.thumbnail, format!("{i}.png@64w"));
        }
        let bad = &outcomes[6];
        assert_eq!(bad.status, Status::Failed);
        assert_eq!(bad.error.as_deref(), Some("Resize.BadInput"));
        assert_eq!(bad.cause.as_deref(), Some("missing field `width`"));
    }
}
