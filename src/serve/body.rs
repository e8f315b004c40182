//! Reading a request body from a client that may be slow, careless or hostile.
//!
//! - **Size**: a body over the limit is refused with 413. Its bytes are read on and thrown
//!   away (up to [`BodyRules::discard_cap`], while they keep coming) before the answer, so
//!   that a client that writes its whole body before reading, as most do, reads the 413
//!   instead of a reset connection.
//!   A declared length past the cap, or `Expect: 100-continue`, is answered at once.
//! - **Time**: the body must arrive at a minimum rate after the headers: the deadline is
//!   `timeout + received / min_rate` from the first poll, so a stalled or trickling upload is
//!   answered with 408 and closed, like `--header-timeout` for headers.
//! - **Memory before authentication**: with `--auth`, bodies not yet authenticated draw their
//!   bytes from one shared budget; when it is spent, further reads wait (the client is held by
//!   TCP back-pressure) until the deadline, so unauthenticated uploads cannot hold more than
//!   the budget however many connections they open.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How a body is read.
#[derive(Clone, Debug)]
pub(crate) struct BodyRules {
    /// Largest body accepted.
    pub limit: usize,
    /// Time for the first bytes (and the slack of the rate).
    pub timeout: Duration,
    /// Bytes per second the body must keep up after that.
    pub min_rate: u64,
    /// Bytes of an over-limit body read and thrown away before the 413 at most.
    pub discard_cap: u64,
}

impl BodyRules {
    /// The deadline once `received` bytes are in.
    fn deadline(&self, start: Instant, received: u64) -> Instant {
        let rate = self.min_rate.max(1);
        let earned = Duration::from_secs(received / rate).saturating_add(Duration::from_nanos(
            (received % rate).saturating_mul(1_000_000_000) / rate,
        ));
        let wait = self.timeout.saturating_add(earned);
        // A year stands for "never" where the clock cannot add the wait.
        start
            .checked_add(wait)
            .unwrap_or_else(|| start + Duration::from_secs(365 * 86_400))
    }
}

/// Why a request body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over the limit (declared or sent): answer 413. `drained` tells whether the whole body
    /// was read (the connection can be reused) or not (close it).
    TooLarge { drained: bool },
    /// The body did not arrive in time: answer 408 and close.
    TimedOut,
    /// The connection failed or the body was malformed.
    Unreadable(String),
}

/// Bytes of unauthenticated bodies held, shared by every connection of a server.
pub(crate) type Budget = Arc<Semaphore>;

/// A budget of `bytes` (at least one whole body of `limit`).
pub(crate) fn budget(bytes: usize, limit: usize) -> Budget {
    let n = bytes.max(limit).min(Semaphore::MAX_PERMITS);
    Arc::new(Semaphore::new(n))
}

/// A body read whole, with the budget it holds until dropped.
#[derive(Debug)]
pub(crate) struct Body {
    /// The bytes.
    pub bytes: Bytes,
    _held: Option<OwnedSemaphorePermit>,
}

/// Reads a request body under `rules`, drawing from `budget` when given.
pub(crate) async fn read_body(
    headers: &http::HeaderMap,
    mut body: Incoming,
    rules: &BodyRules,
    budget: Option<&Budget>,
) -> Result<Body, BodyError> {
    let start = Instant::now();
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > rules.limit as u64) {
        let expects = headers
            .get(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if expects || n > rules.discard_cap {
            return Err(BodyError::TooLarge { drained: false });
        }
        return Err(drain(&mut body, rules, start, 0).await);
    }
    // The frames as they came (no growing buffer that doubles), joined once at the end.
    let mut frames: Vec<Bytes> = Vec::new();
    let mut len = 0usize;
    let mut held: Option<OwnedSemaphorePermit> = None;
    loop {
        let deadline = rules.deadline(start, len as u64);
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(BodyError::Unreadable(e.to_string())),
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if len + data.len() > rules.limit {
            let seen = (len + data.len()) as u64;
            drop(held);
            return Err(drain(&mut body, rules, start, seen).await);
        }
        if let Some(b) = budget {
            let n = u32::try_from(data.len()).unwrap_or(u32::MAX);
            let permit = tokio::time::timeout_at(deadline, Arc::clone(b).acquire_many_owned(n))
                .await
                .map_err(|_| BodyError::TimedOut)?
                .map_err(|_| BodyError::Unreadable("the server is stopping".into()))?;
            match &mut held {
                Some(h) => h.merge(permit),
                None => held = Some(permit),
            }
        }
        len += data.len();
        frames.push(data);
    }
    let bytes = match frames.len() {
        0 => Bytes::new(),
        1 => frames.pop().unwrap_or_default(),
        _ => {
            let mut buf = BytesMut::with_capacity(len);
            for f in frames {
                buf.extend_from_slice(&f);
            }
            buf.freeze()
        }
    };
    Ok(Body { bytes, _held: held })
}

/// Reads and throws away a refused request's body when it declares at most `cap` bytes, so
/// that the connection can serve the client's next request; true when the body is gone.
/// A larger or unannounced body is not waited for (the connection is to be closed).
pub(crate) async fn discard(
    headers: &http::HeaderMap,
    mut body: Incoming,
    rules: &BodyRules,
    cap: u64,
) -> bool {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n <= cap => {
            let rules = BodyRules {
                discard_cap: cap,
                ..rules.clone()
            };
            matches!(
                drain(&mut body, &rules, Instant::now(), 0).await,
                BodyError::TooLarge { drained: true }
            )
        }
        _ => false,
    }
}

/// How long draining waits for more of a refused body before answering.
const DRAIN_PAUSE: Duration = Duration::from_millis(500);

/// Reads and throws away the rest of an over-limit body (`seen` bytes so far) while the
/// deadline and the discard cap allow.
async fn drain(body: &mut Incoming, rules: &BodyRules, start: Instant, seen: u64) -> BodyError {
    let mut seen = seen;
    while seen <= rules.discard_cap {
        // A client that pauses is waiting for the answer rather than still writing.
        let deadline = rules
            .deadline(start, seen)
            .min(Instant::now() + DRAIN_PAUSE);
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(None) => return BodyError::TooLarge { drained: true },
            Ok(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    seen += d.len() as u64;
                }
            }
            Ok(Some(Err(_))) | Err(_) => break,
        }
    }
    BodyError::TooLarge { drained: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_grows_with_the_bytes_received() {
        let rules = BodyRules {
            limit: 1 << 20,
            timeout: Duration::from_secs(10),
            min_rate: 1000,
            discard_cap: 1 << 30,
        };
        let t = Instant::now();
        assert_eq!(rules.deadline(t, 0), t + Duration::from_secs(10));
        assert_eq!(rules.deadline(t, 2500), t + Duration::from_millis(12_500));
        // No overflow on absurd counts.
        let _ = rules.deadline(t, u64::MAX);
    }
}
