//! How starts and names are written on the NATS server: a start as one JSON object (with a
//! format version, so that a newer aslx refuses what it cannot read rather than misreading
//! it), ARNs as key-value keys.

use crate::durable::{AcceptedStart, CatalogKind, DurableError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// The format of a start message this version writes and reads.
const VERSION: u64 = 1;

/// A start as a message body. The attempt is not written: it is the delivery count.
pub(super) fn encode_start(start: &AcceptedStart) -> Vec<u8> {
    let v = json!({
        "v": VERSION,
        "arn": start.execution_arn,
        "target": start.target_arn,
        "name": start.name,
        "input": start.input,
        "trace": start.trace_header,
        "start_ms": start.start_ms,
    });
    v.to_string().into_bytes()
}

/// A message body as a start (attempt 1).
pub(super) fn decode_start(body: &[u8]) -> Result<AcceptedStart, DurableError> {
    let corrupt = |what: &str| DurableError::Corrupt(format!("start message: {what}"));
    let v: Map<String, Value> =
        serde_json::from_slice(body).map_err(|e| corrupt(&format!("not a JSON object: {e}")))?;
    match v.get("v").and_then(Value::as_u64) {
        Some(VERSION) => {}
        Some(n) => {
            return Err(corrupt(&format!(
                "format version {n}, this aslx reads version {VERSION} (written by a newer aslx?)"
            )))
        }
        None => return Err(corrupt("no format version \"v\"")),
    }
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| corrupt(&format!("\"{k}\" is not a string")))
    };
    Ok(AcceptedStart {
        execution_arn: text("arn")?,
        target_arn: text("target")?,
        name: text("name")?,
        input: text("input")?,
        trace_header: match v.get("trace") {
            None | Some(Value::Null) => None,
            Some(_) => Some(text("trace")?),
        },
        start_ms: v
            .get("start_ms")
            .and_then(Value::as_i64)
            .ok_or_else(|| corrupt("\"start_ms\" is not an integer"))?,
        attempt: 1,
    })
}

/// An ARN as a key-value key (keys allow only `[-/_=.a-zA-Z0-9]`; ARNs have `:` and names
/// may have any character).
pub(super) fn arn_key(arn: &str) -> String {
    URL_SAFE_NO_PAD.encode(arn)
}

/// The catalog key of a record: `m.<arn>` or `a.<arn>`.
pub(super) fn catalog_key(kind: CatalogKind, arn: &str) -> String {
    let p = match kind {
        CatalogKind::Machine => "m.",
        CatalogKind::Activity => "a.",
    };
    format!("{p}{}", arn_key(arn))
}

/// A catalog key back as its kind and ARN; `None` for a key aslx did not write.
pub(super) fn parse_catalog_key(key: &str) -> Option<(CatalogKind, String)> {
    let (kind, rest) = match key.split_at_checked(2)? {
        ("m.", rest) => (CatalogKind::Machine, rest),
        ("a.", rest) => (CatalogKind::Activity, rest),
        _ => return None,
    };
    let arn = URL_SAFE_NO_PAD.decode(rest).ok()?;
    Some((kind, String::from_utf8(arn).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> AcceptedStart {
        AcceptedStart {
            execution_arn: "arn:aws:states:us-east-1:1:execution:M:ünï code".into(),
            target_arn: "arn:aws:states:us-east-1:1:stateMachine:M".into(),
            name: "ünï code".into(),
            input: r#"{"a":[1,2.5,"x"]}"#.into(),
            trace_header: Some("Root=1-abc".into()),
            start_ms: 1_700_000_000_123,
            attempt: 4,
        }
    }

    #[test]
    fn a_start_reads_back_as_written_at_attempt_one() {
        let s = start();
        let back = decode_start(&encode_start(&s)).unwrap();
        assert_eq!(back, AcceptedStart { attempt: 1, ..s });
        let none = AcceptedStart {
            trace_header: None,
            ..start()
        };
        assert_eq!(
            decode_start(&encode_start(&none)).unwrap().trace_header,
            None
        );
    }

    #[test]
    fn an_unknown_version_or_a_broken_body_is_refused_with_what_is_wrong() {
        let e = decode_start(br#"{"v":2}"#).unwrap_err().to_string();
        assert!(e.contains("format version 2"), "{e}");
        let e = decode_start(b"{").unwrap_err().to_string();
        assert!(e.contains("not a JSON object"), "{e}");
        let e = decode_start(br#"{"v":1,"arn":5}"#).unwrap_err().to_string();
        assert!(e.contains("\"arn\" is not a string"), "{e}");
    }

    #[test]
    fn catalog_keys_are_valid_nats_keys_and_read_back() {
        let arn = "arn:aws:states:us-east-1:1:stateMachine:Ma-chine_1:prod";
        for kind in [CatalogKind::Machine, CatalogKind::Activity] {
            let k = catalog_key(kind, arn);
            assert!(k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-/_=.".contains(&b)));
            assert_eq!(parse_catalog_key(&k), Some((kind, arn.to_string())));
        }
        assert_eq!(parse_catalog_key("x.abc"), None);
        assert_eq!(parse_catalog_key("m.!!"), None);
        assert_eq!(parse_catalog_key(""), None);
    }
}
