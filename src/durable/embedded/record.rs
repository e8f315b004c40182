//! The bytes of an accepted start in the store: a format byte, then each field as a
//! little-endian `u32` length and its UTF-8 text (numbers as 8 or 4 bytes). Written and read
//! only here; a record that does not read back is reported as corrupt, never guessed at.

use crate::durable::{AcceptedStart, DurableError};

/// The record format this aslx writes.
const FORMAT: u8 = 1;

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// `start` as stored.
pub(crate) fn encode(start: &AcceptedStart) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        32 + start.execution_arn.len()
            + start.target_arn.len()
            + start.name.len()
            + start.input.len(),
    );
    out.push(FORMAT);
    out.extend_from_slice(&start.start_ms.to_le_bytes());
    out.extend_from_slice(&start.attempt.to_le_bytes());
    put_str(&mut out, &start.execution_arn);
    put_str(&mut out, &start.target_arn);
    put_str(&mut out, &start.name);
    put_str(&mut out, &start.input);
    match &start.trace_header {
        Some(t) => {
            out.push(1);
            put_str(&mut out, t);
        }
        None => out.push(0),
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }

    fn str(&mut self) -> Option<String> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// The start stored as `bytes` under `key`.
///
/// # Errors
///
/// [`DurableError::Corrupt`] for bytes this version of aslx did not write.
pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<AcceptedStart, DurableError> {
    let corrupt = || {
        DurableError::Corrupt(format!(
            "the accepted start {} cannot be read (format byte {:?}; this aslx writes {FORMAT})",
            String::from_utf8_lossy(key),
            bytes.first()
        ))
    };
    let mut r = Reader(bytes);
    if r.take(1) != Some(&[FORMAT]) {
        return Err(corrupt());
    }
    let read = |r: &mut Reader<'_>| -> Option<AcceptedStart> {
        let start_ms = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
        let attempt = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let execution_arn = r.str()?;
        let target_arn = r.str()?;
        let name = r.str()?;
        let input = r.str()?;
        let trace_header = match r.take(1)? {
            [1] => Some(r.str()?),
            _ => None,
        };
        Some(AcceptedStart {
            execution_arn,
            target_arn,
            name,
            input,
            trace_header,
            start_ms,
            attempt,
        })
    };
    read(&mut r).filter(|_| r.0.is_empty()).ok_or_else(corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_reads_back_as_written_and_a_cut_record_is_corrupt() {
        let s = AcceptedStart {
            execution_arn: "arn:aws:states:us-east-1:1:express:m:n:u".into(),
            target_arn: "arn:aws:states:us-east-1:1:stateMachine:m:prod".into(),
            name: "n".into(),
            input: r#"{"a":"é"}"#.into(),
            trace_header: Some("Root=1".into()),
            start_ms: 1_700_000_000_123,
            attempt: 2,
        };
        let b = encode(&s);
        assert_eq!(decode(b"k", &b).unwrap(), s);
        let none = AcceptedStart {
            trace_header: None,
            ..s
        };
        assert_eq!(decode(b"k", &encode(&none)).unwrap(), none);
        assert!(decode(b"k", &b[..b.len() - 1]).is_err());
        assert!(decode(b"k", &[9, 9]).is_err());
    }
}
