//! `aslx serve`: the AWS Step Functions HTTP API (AWS JSON 1.0), so the AWS CLI, boto3 and the
//! AWS SDKs work against aslx by changing only their endpoint.
//!
//! - [`http`]: HTTP/1.1 keep-alive and HTTP/2 (h2c) on one port, body/header/connection
//!   limits, graceful shutdown.
//! - [`ops`]: the operations over in-memory records (machines, activities, tags, STANDARD
//!   executions).
//! - [`backend`]: the seam to the execution [`Engine`](crate::engine::Engine): machines,
//!   sync and async starts, admission, activities and task tokens.
//! - [`mock`]: Step Functions Local's mock configuration file.
//! - [`protocol`]: errors, member checks, timestamps, ARNs, pagination tokens.
//! - [`routes`]: the user's HTTP routes that start machines (API Gateway's integrations), on
//!   a listener of their own.
//! - [`sigv4`]: the optional signature check.
//! - [`host`]: without it, the `Host` check against DNS rebinding.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use aslx::serve::{backend::Backend, http::{Limits, Server}, ops::{Identity, Service}};
//! let id = Identity { partition: "aws".into(), region: "us-east-1".into(), account: "111111111111".into() };
//! let backend = Backend::new(aslx::Handlers::new(), &id, 10_000, tokio::runtime::Handle::current())?;
//! let service = Service::new(id, backend, None);
//! let server = Server::bind("127.0.0.1:8083".parse().unwrap(), service, Limits::default(), None).await?;
//! println!("listening on http://{}", server.local_addr()?);
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await;
//! # Ok(()) }
//! ```

pub mod backend;
mod body;
pub mod host;
pub mod http;
mod metrics;
pub mod mock;
pub mod ops;
pub mod protocol;
pub mod routes;
pub mod sigv4;
