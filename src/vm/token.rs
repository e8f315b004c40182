//! Task tokens (`$$.Task.Token`): unguessable, self-checking, and cheap to look up.
//!
//! A token is 32 characters of URL-safe base64 over 24 bytes: a sequence number, unique in the
//! process, and a 16-byte tag, the first half of SHA-256 over a random per-process key and the
//! number. The VM mints one when a callback or activity Task starts (it must know the token
//! before it evaluates the Task's Parameters); the runtime registers it under its [`TokenId`]
//! and looks it up again by parsing what a worker sends back.
//!
//! Parsing separates the three answers AWS gives to a bad token: text that is not a token at
//! all (`InvalidToken`), a well-formed token this process never issued — the tag does not
//! match — (`TaskDoesNotExist`), and a genuine token whose task is closed (the runtime's
//! answer, `TaskTimedOut`). Nobody can forge a token without the key, which never leaves the
//! process.

use crate::value::Str;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The sequence number inside a task token: the key of the runtime's token table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(pub u64);

/// Why a text is not a usable token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token at all (`InvalidToken`).
    Malformed,
    /// Shaped like a token, but not one this process issued (`TaskDoesNotExist`).
    NotIssued,
}

/// Length of a token's text.
pub const TOKEN_LEN: usize = 32;

const TAG_LEN: usize = 16;

static NEXT: AtomicU64 = AtomicU64::new(1);

fn key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    // rand's thread RNG is a CSPRNG seeded from the operating system.
    KEY.get_or_init(rand::random)
}

fn tag(seq: u64) -> [u8; TAG_LEN] {
    let mut h = Sha256::new();
    h.update(key());
    h.update(seq.to_le_bytes());
    let d = h.finalize();
    let mut t = [0u8; TAG_LEN];
    t.copy_from_slice(&d[..TAG_LEN]);
    t
}

/// A new token, never issued before in this process.
pub(crate) fn mint() -> (TokenId, Str) {
    let seq = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut raw = [0u8; 8 + TAG_LEN];
    raw[..8].copy_from_slice(&seq.to_le_bytes());
    raw[8..].copy_from_slice(&tag(seq));
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    (TokenId(seq), Str::from(text))
}

/// The id inside a token text, if this process issued it.
///
/// # Errors
///
/// [`TokenError::Malformed`] for text that is not a token, [`TokenError::NotIssued`] for a
/// well-formed token with a tag this process did not make.
pub fn parse(text: &str) -> Result<TokenId, TokenError> {
    if text.len() != TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| TokenError::Malformed)?;
    let Some((seq, given)) = raw.split_first_chunk::<8>() else {
        return Err(TokenError::Malformed);
    };
    let seq = u64::from_le_bytes(*seq);
    let expected = tag(seq);
    // Compare without an early exit, so timing tells nothing about the tag.
    let diff = expected
        .iter()
        .zip(given)
        .fold(given.len() ^ TAG_LEN, |acc, (a, b)| {
            acc | usize::from(a ^ b)
        });
    if diff != 0 {
        return Err(TokenError::NotIssued);
    }
    Ok(TokenId(seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_distinct() {
        let (a, ta) = mint();
        let (b, tb) = mint();
        assert_ne!(a, b);
        assert_ne!(ta, tb);
        assert_eq!(ta.len(), TOKEN_LEN);
        assert_eq!(parse(&ta), Ok(a));
        assert_eq!(parse(&tb), Ok(b));
    }

    #[test]
    fn forged_and_garbled_tokens_are_told_apart() {
        let (_, t) = mint();
        assert_eq!(parse(""), Err(TokenError::Malformed));
        assert_eq!(parse("not a token"), Err(TokenError::Malformed));
        assert_eq!(parse(&"!".repeat(TOKEN_LEN)), Err(TokenError::Malformed));
        // Flip one character of the tag: still base64 of the right length.
        let mut forged: Vec<u8> = t.as_bytes().to_vec();
        let last = forged.len() - 2;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(parse(&forged), Err(TokenError::NotIssued));
    }
}
