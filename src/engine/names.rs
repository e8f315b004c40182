//! What AWS checks before it accepts a request: names (ID-1, QUO-4), ARNs (ID-2) and execution
//! input (QUO-2). Each refusal is the [`EngineError`] AWS returns.

use super::error::EngineError;
use crate::value::{parse_json, serialized_len_at_most, Value};
use crate::vm::MAX_PAYLOAD_BYTES;

/// Longest name of a state machine, execution or activity.
pub const MAX_NAME_CHARS: usize = 80;

/// Checks a state machine, execution or activity name (ID-1).
///
/// # Errors
///
/// `InvalidName`: `Invalid Name: '<name>'`.
pub fn check_name(name: &str) -> Result<(), EngineError> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(forbidden) {
        return Err(EngineError::invalid_name(name));
    }
    Ok(())
}

fn forbidden(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '<' | '>'
                | '{'
                | '}'
                | '['
                | ']'
                | '?'
                | '*'
                | '"'
                | '#'
                | '%'
                | '\\'
                | '^'
                | '|'
                | '~'
                | '`'
                | '$'
                | '&'
                | ','
                | ';'
                | ':'
                | '/'
                | '\u{0}'..='\u{1f}'
                | '\u{7f}'..='\u{9f}'
                | '\u{fffe}'
                | '\u{ffff}'
        )
}

/// An execution's input: JSON text as a client sends it, or a value already parsed.
#[derive(Clone, Debug)]
pub enum Input<'a> {
    /// JSON text (StartExecution's `input`); checked and parsed by the engine.
    Json(&'a str),
    /// A parsed value; checked for size.
    Value(Value),
}

impl Default for Input<'_> {
    /// `{}`, AWS's default input.
    fn default() -> Self {
        Input::Value(Value::empty_object())
    }
}

impl From<Value> for Input<'_> {
    fn from(v: Value) -> Self {
        Input::Value(v)
    }
}

impl<'a> From<&'a str> for Input<'a> {
    fn from(s: &'a str) -> Self {
        Input::Json(s)
    }
}

/// Checks and parses an execution input (QUO-2: at most 256 KiB of UTF-8).
///
/// # Errors
///
/// `ValidationException` over the size limit; `InvalidExecutionInput` for text that is not
/// JSON.
pub(crate) fn parse_input(input: Input<'_>) -> Result<Value, EngineError> {
    match input {
        Input::Json(text) => {
            if text.len() > MAX_PAYLOAD_BYTES {
                return Err(EngineError::too_long("input", MAX_PAYLOAD_BYTES));
            }
            if text.trim().is_empty() {
                return Err(EngineError::invalid_input("Invalid execution input."));
            }
            parse_json(text).map_err(|e| EngineError::invalid_input(&e.to_string()))
        }
        Input::Value(v) => match serialized_len_at_most(&v, MAX_PAYLOAD_BYTES) {
            Some(_) => Ok(v),
            None => Err(EngineError::too_long("input", MAX_PAYLOAD_BYTES)),
        },
    }
}

/// The parts of an ARN: `arn:<partition>:states:<region>:<account>:<type>:<rest>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub kind: &'a str,
    pub rest: &'a str,
}

/// Splits a Step Functions ARN (ID-2).
///
/// # Errors
///
/// `InvalidArn` when it is not one: `Invalid ARN prefix: <arn>` when it does not start as a
/// Step Functions ARN does, `Invalid ARN: <arn>` when a part is empty (AWS's words).
pub(crate) fn parse_arn(arn: &str) -> Result<Arn<'_>, EngineError> {
    let mut parts = arn.splitn(7, ':');
    let mut f = [""; 7];
    let mut n = 0;
    for (slot, p) in f.iter_mut().zip(parts.by_ref()) {
        *slot = p;
        n += 1;
    }
    if n < 7 || f[0] != "arn" || f[2] != "states" {
        return Err(EngineError::invalid_arn(&format!(
            "Invalid ARN prefix: {arn}"
        )));
    }
    if f[1].is_empty() || f[3].is_empty() || f[4].is_empty() || f[5].is_empty() || f[6].is_empty() {
        return Err(EngineError::invalid_arn(&format!("Invalid ARN: {arn}")));
    }
    Ok(Arn {
        region: f[3],
        account: f[4],
        kind: f[5],
        rest: f[6],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_1_names() {
        for ok in ["a", "order-1_2", "ünïcødé", &"x".repeat(80)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "a#b",
            "a:b",
            "a/b",
            "tab\t",
            "\u{7f}",
            "\u{85}",
            "a`b",
            &"x".repeat(81),
        ] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e.to_string(), format!("Invalid Name: '{bad}'"));
        }
    }

    #[test]
    fn quo_2_inputs() {
        assert!(parse_input(Input::Json(r#"{"a":1}"#)).is_ok());
        let e = parse_input(Input::Json("")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid State Machine Execution Input: 'Invalid execution input.'"
        );
        let e = parse_input(Input::Json("{")).unwrap_err();
        assert_eq!(e.code(), "InvalidExecutionInput");
        let big = format!("\"{}\"", "x".repeat(MAX_PAYLOAD_BYTES));
        assert_eq!(
            parse_input(Input::Json(&big)).unwrap_err().code(),
            "ValidationException"
        );
        let big = Value::from("x".repeat(MAX_PAYLOAD_BYTES));
        assert_eq!(
            parse_input(Input::Value(big)).unwrap_err().code(),
            "ValidationException"
        );
    }

    #[test]
    fn id_2_arns() {
        let a = parse_arn("arn:aws:states:us-east-1:1:stateMachine:m:3").unwrap();
        assert_eq!(
            (a.region, a.account, a.kind, a.rest),
            ("us-east-1", "1", "stateMachine", "m:3")
        );
        let e = parse_arn("arn:aws:lambda:us-east-1:1:function:f").unwrap_err();
        assert_eq!(
            e.message(),
            "Invalid Arn: 'Invalid ARN prefix: arn:aws:lambda:us-east-1:1:function:f'"
        );
        assert!(parse_arn("nope").is_err());
        let e = parse_arn("arn:aws:states::1:stateMachine:m").unwrap_err();
        assert_eq!(
            e.message(),
            "Invalid Arn: 'Invalid ARN: arn:aws:states::1:stateMachine:m'"
        );
    }
}
