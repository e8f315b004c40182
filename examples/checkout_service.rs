//! An axum service that orchestrates each request with a typed ASL machine: validate →
//! charge (retried while the processor is busy) → notify, a declined card caught and answered
//! with 402. The definition is checked when this example builds (`aslx_macros::definition!`).
//!
//! ```text
//! cargo run --example checkout_service              # listens on 127.0.0.1:3000
//! curl -s localhost:3000/checkout -H 'content-type: application/json' \
//!      -d '{"id": 7, "lines": [{"sku": "A-1", "qty": 2, "cents": 450}]}'
//! ```

use aslx::engine::{Engine, StartSyncErrorKind};
use aslx::{CheckedDefinition, Handlers, TaskError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

const CHECKOUT: CheckedDefinition = aslx_macros::definition!("examples/machines/checkout.asl.json");

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Order {
    id: u64,
    lines: Vec<Line>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Line {
    sku: String,
    qty: u32,
    cents: u64,
}

#[derive(Deserialize)]
struct Charge {
    order: u64,
    amount: u64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Payment {
    charge_id: String,
    amount: u64,
}

#[derive(Deserialize)]
struct Notice {
    order: u64,
    payment: Payment,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Receipt {
    order: u64,
    charge_id: String,
    amount: u64,
}

/// The handlers: plain Rust functions of serde types.
fn handlers(busy_first: u32) -> Handlers {
    let busy = Arc::new(AtomicU32::new(busy_first));
    let mut h = Handlers::new();
    h.typed("validate", |o: Order| {
        if o.lines.is_empty() {
            return Err(TaskError::new("Order.Empty", "an order needs a line"));
        }
        Ok(o.lines.iter().map(|l| l.qty as u64 * l.cents).sum::<u64>())
    });
    h.typed("charge", move |c: Charge| {
        let busy = Arc::clone(&busy);
        async move {
            // The processor is busy for the first calls: the machine's Retry handles it.
            if busy
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(TaskError::new("Payment.Busy", "try again"));
            }
            if c.amount > 100_000 {
                return Err(TaskError::new("Payment.Declined", "over the card's limit"));
            }
            Ok(Payment {
                charge_id: format!("ch_{}", c.order),
                amount: c.amount,
            })
        }
    });
    h.typed("notify", |n: Notice| {
        Ok::<_, TaskError>(Receipt {
            order: n.order,
            charge_id: n.payment.charge_id,
            amount: n.payment.amount,
        })
    });
    h
}

/// The engine, shared by every request (it is `Clone`: an `Arc` inside).
fn engine(busy_first: u32) -> Engine {
    let engine = Engine::builder()
        .handlers(handlers(busy_first))
        .runtime(tokio::runtime::Handle::current())
        .build()
        .expect("the engine starts");
    engine
        .create_checked_machine("checkout", &CHECKOUT)
        .expect("every Task has a handler");
    engine
}

#[derive(Serialize)]
struct Refusal {
    error: String,
    cause: String,
}

async fn checkout(
    State(engine): State<Engine>,
    Json(order): Json<Order>,
) -> Result<Json<Receipt>, (StatusCode, Json<Refusal>)> {
    match engine
        .start_sync_typed::<_, Receipt>("checkout", &order)
        .await
    {
        Ok(receipt) => Ok(Json(receipt)),
        Err(e) => {
            let status = match (e.kind(), e.error()) {
                (_, Some("Checkout.Declined")) => StatusCode::PAYMENT_REQUIRED,
                (_, Some("Order.Empty")) => StatusCode::BAD_REQUEST,
                (StartSyncErrorKind::Refused, _) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let refusal = Refusal {
                error: e.error().unwrap_or("Checkout.Failed").to_string(),
                cause: e.cause().map_or_else(|| e.to_string(), str::to_string),
            };
            Err((status, Json(refusal)))
        }
    }
}

fn app(engine: Engine) -> Router {
    Router::new()
        .route("/checkout", post(checkout))
        .with_state(engine)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("checkout service on http://{}", listener.local_addr()?);
    axum::serve(listener, app(engine(1))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// POSTs `body` to the service over loopback HTTP/1.1; the status and the body.
    async fn post(addr: std::net::SocketAddr, body: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "POST /checkout HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).await.unwrap();
        let status = resp[9..12].parse().unwrap();
        let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status, body)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_are_orchestrated_retried_and_refused_over_http() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app(engine(1))).await });

        // The first charge is busy: retried after a second, then the receipt.
        let (status, body) = post(
            addr,
            r#"{"id": 7, "lines": [{"sku": "A-1", "qty": 2, "cents": 450}]}"#,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, r#"{"order":7,"charge_id":"ch_7","amount":900}"#);

        let (status, body) = post(
            addr,
            r#"{"id": 8, "lines": [{"sku": "TV", "qty": 1, "cents": 250000}]}"#,
        )
        .await;
        assert_eq!(status, 402, "{body}");
        assert_eq!(
            body,
            r#"{"error":"Checkout.Declined","cause":"over the card's limit"}"#
        );

        let (status, body) = post(addr, r#"{"id": 9, "lines": []}"#).await;
        assert_eq!(status, 400, "{body}");

        // A body that does not fit `Order` never reaches the engine: axum refuses it.
        let (status, _) = post(addr, r#"{"id": "ten"}"#).await;
        assert_eq!(status, 422);
    }
}
