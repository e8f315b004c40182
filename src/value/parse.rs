//! JSON text to [`Value`], through simd-json's tape.
//!
//! The tape is turned into values with an explicit stack rather than recursion, so nesting
//! depth costs heap, not thread stack; simd-json itself refuses documents nested deeper than
//! [`MAX_DEPTH`] (Jackson's default limit, which is what AWS parses with).

use super::{Map, Str, Value};
use simd_json::{Node, StaticNode};
use std::fmt;
use std::sync::Arc;

/// Deepest nesting of arrays and objects accepted in any JSON text.
pub const MAX_DEPTH: usize = 1000;

/// A JSON text that could not be parsed: what went wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    message: String,
    line: usize,
    column: usize,
    offset: usize,
}

impl JsonError {
    /// What went wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// 1-based line of the fault.
    pub fn line(&self) -> usize {
        self.line
    }
    /// 1-based column (in characters) of the fault.
    pub fn column(&self) -> usize {
        self.column
    }
    /// 0-based byte offset of the fault.
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn at(text: &[u8], offset: usize, message: String) -> JsonError {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        JsonError {
            message,
            line,
            column,
            offset,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for JsonError {}

/// Parses JSON text into a [`Value`].
///
/// # Errors
///
/// A [`JsonError`] naming the fault and its line and column: malformed JSON, trailing data,
/// nesting deeper than [`MAX_DEPTH`], a number out of range.
///
/// ```
/// let v = aslx::parse_json(r#"{"a": [1, 2.0]}"#).unwrap();
/// assert_eq!(v.to_json(), r#"{"a":[1,2.0]}"#);
/// assert!(aslx::parse_json("{").is_err());
/// ```
pub fn parse_json(text: &str) -> Result<Value, JsonError> {
    parse_json_bytes(text.as_bytes())
}

/// Parses JSON bytes into a [`Value`]; invalid UTF-8 is an error, not a panic.
///
/// # Errors
///
/// As [`parse_json`], plus invalid UTF-8.
pub fn parse_json_bytes(text: &[u8]) -> Result<Value, JsonError> {
    parse_with(text, &mut None)
}

/// Parses JSON text and also lists every key that appears twice in one object, as JSON
/// pointers (`/States/A`); the value keeps the last occurrence, as Jackson does. Definitions
/// use this to refuse what would otherwise silently vanish (ASL DOC-5).
///
/// # Errors
///
/// As [`parse_json`].
pub fn parse_json_reporting_duplicates(text: &str) -> Result<(Value, Vec<String>), JsonError> {
    let mut dups = Some(Vec::new());
    let v = parse_with(text.as_bytes(), &mut dups)?;
    Ok((v, dups.unwrap_or_default()))
}

fn parse_with(text: &[u8], dups: &mut Option<Vec<String>>) -> Result<Value, JsonError> {
    if let Err(e) = std::str::from_utf8(text) {
        return Err(JsonError::at(
            text,
            e.valid_up_to(),
            "invalid UTF-8 in JSON text".to_string(),
        ));
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(JsonError::at(
            text,
            text.len(),
            "no content to parse (end of input)".to_string(),
        ));
    }
    let mut buf = text.to_vec();
    let mut buffers = simd_json::Buffers::with_max_depth(buf.len(), MAX_DEPTH);
    let tape = match simd_json::to_tape_with_buffers(&mut buf, &mut buffers) {
        Ok(t) => t,
        Err(e) => {
            // simd-json's kinds and indexes describe its own passes; name the fault again,
            // as a reader would, from the text itself (cold path).
            let (at, message) = super::syntax::first_error(text)
                .unwrap_or_else(|| (e.index(), describe(e.error())));
            return Err(JsonError::at(text, at, message));
        }
    };
    from_tape(&tape.0, dups).map_err(|m| JsonError::at(text, 0, m))
}

/// simd-json's error kinds in words, for the faults the syntax walker does not see (numbers
/// out of range, depth, sizes). Never its internal names.
fn describe(e: &simd_json::ErrorType) -> String {
    use simd_json::ErrorType as E;
    match e {
        E::DepthLimitExceeded => format!("document nested deeper than {MAX_DEPTH} levels"),
        E::InvalidNumber | E::InvalidExponent | E::Overflow => {
            "number is malformed or out of range".to_string()
        }
        E::InvalidUtf8 => "invalid UTF-8 in JSON text".to_string(),
        E::InvalidEscape | E::InvalidUnicodeEscape | E::InvalidUnicodeCodepoint => {
            "invalid escape sequence in string".to_string()
        }
        E::TrailingData => "unexpected characters after the JSON value".to_string(),
        E::Eof => "unexpected end of input".to_string(),
        E::UnterminatedString => "unterminated string".to_string(),
        E::ExpectedObjectColon => "expected ':' after an object key".to_string(),
        E::ExpectedMapComma => "expected ',' or '}' after an object member".to_string(),
        E::ExpectedArrayComma => "expected ',' or ']' after an array element".to_string(),
        E::ExpectedObjectKey | E::KeyMustBeAString | E::BadKeyType => {
            "expected an object key in double quotes".to_string()
        }
        E::InputTooLarge => "JSON text too large".to_string(),
        E::ExpectedNull | E::ExpectedTrue | E::ExpectedFalse | E::ExpectedBoolean => {
            "unrecognised word: expected true, false or null".to_string()
        }
        E::ExpectedMapEnd | E::ExpectedObjectContent => "an object is not closed".to_string(),
        E::ExpectedArrayContent => "an array is not closed".to_string(),
        // Every other kind (internal, serde or I/O ones) says nothing a reader can act on.
        _ => "malformed JSON".to_string(),
    }
}

enum Frame {
    Array(Vec<Value>, usize),
    Object(Map, usize, Option<Str>),
}

/// Builds a value from a tape without recursion.
fn from_tape(nodes: &[Node<'_>], dups: &mut Option<Vec<String>>) -> Result<Value, String> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    loop {
        // Read one value (or open a container) at nodes[i].
        let mut value = match nodes.get(i) {
            None => return Err("unexpected end of tape".to_string()),
            Some(Node::Static(s)) => {
                i += 1;
                static_value(s)
            }
            Some(Node::String(s)) => {
                i += 1;
                Value::String(Arc::from(*s))
            }
            Some(Node::Array { len, .. }) => {
                i += 1;
                if *len == 0 {
                    Value::array(Vec::new())
                } else {
                    stack.push(Frame::Array(Vec::with_capacity(*len), *len));
                    continue;
                }
            }
            Some(Node::Object { len, .. }) => {
                i += 1;
                if *len == 0 {
                    Value::empty_object()
                } else {
                    let key = read_key(nodes, &mut i)?;
                    stack.push(Frame::Object(Map::with_capacity(*len), *len, Some(key)));
                    continue;
                }
            }
        };
        // Hand the value to the enclosing containers, closing those that are complete.
        loop {
            if let (Some(d), Some(Frame::Object(map, _, Some(k)))) = (dups.as_mut(), stack.last()) {
                if map.contains_key(k) {
                    d.push(pointer_of(&stack));
                }
            }
            match stack.last_mut() {
                None => return Ok(value),
                Some(Frame::Array(items, remaining)) => {
                    items.push(value);
                    *remaining -= 1;
                    if *remaining > 0 {
                        break;
                    }
                    let Some(Frame::Array(items, _)) = stack.pop() else {
                        unreachable!()
                    };
                    value = Value::array(items);
                }
                Some(Frame::Object(map, remaining, key)) => {
                    let k = key.take().ok_or("object key missing")?;
                    // Duplicate keys: the last one wins, as Jackson's tree model does.
                    map.insert(k, value);
                    *remaining -= 1;
                    if *remaining > 0 {
                        *key = Some(read_key(nodes, &mut i)?);
                        break;
                    }
                    let Some(Frame::Object(map, _, _)) = stack.pop() else {
                        unreachable!()
                    };
                    value = Value::object(map);
                }
            }
        }
    }
}

/// The JSON pointer of key `k` of the innermost open object (cold: duplicates only).
#[cold]
fn pointer_of(stack: &[Frame]) -> String {
    let mut p = String::new();
    for f in stack {
        match f {
            Frame::Array(items, _) => p.push_str(&format!("[{}]", items.len())),
            Frame::Object(_, _, key) => {
                p.push('/');
                p.push_str(key.as_deref().unwrap_or(""));
            }
        }
    }
    p
}

fn read_key(nodes: &[Node<'_>], i: &mut usize) -> Result<Str, String> {
    match nodes.get(*i) {
        Some(Node::String(s)) => {
            *i += 1;
            Ok(Arc::from(*s))
        }
        _ => Err("expected a string object key".to_string()),
    }
}

fn static_value(s: &StaticNode) -> Value {
    match *s {
        StaticNode::I64(i) => Value::Int(i),
        StaticNode::U64(u) => i64::try_from(u).map_or(Value::Float(u as f64), Value::Int),
        StaticNode::F64(f) => Value::Float(f),
        StaticNode::Bool(b) => Value::Bool(b),
        StaticNode::Null => Value::Null,
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_documents() {
        let v = parse_json(r#"{"a":{"b":[1,{"c":null}],"d":"x"},"e":-1.5e3}"#).unwrap();
        assert_eq!(
            v.to_json(),
            r#"{"a":{"b":[1,{"c":null}],"d":"x"},"e":-1500.0}"#
        );
    }

    #[test]
    fn reports_line_and_column() {
        let e = parse_json("{\n  \"a\": ,\n}").unwrap_err();
        assert_eq!(e.line(), 2, "{e}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = parse_json(&text).unwrap_err();
        assert!(e.message().contains("deeper"), "{e}");
        let ok = "[".repeat(900) + &"]".repeat(900);
        assert_eq!(parse_json(&ok).unwrap().depth(), 900);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let e = parse_json_bytes(b"{\"a\": \"\xff\"}").unwrap_err();
        assert!(e.message().contains("UTF-8"), "{e}");
    }

    #[test]
    fn huge_integers_become_floats() {
        let v = parse_json("123456789012345678901234567890").unwrap();
        assert!(matches!(v, Value::Float(_)));
        assert_eq!(
            parse_json("9223372036854775807").unwrap(),
            Value::Int(i64::MAX)
        );
    }

    #[test]
    fn doc_5_duplicate_keys_are_listed_with_pointers() {
        let (v, d) = parse_json_reporting_duplicates(
            r#"{"States": {"A": {"x": 1}, "B": [{"k": 1, "k": 2}], "A": {"y": 2}}}"#,
        )
        .unwrap();
        assert_eq!(
            d,
            vec!["/States/B[0]/k".to_string(), "/States/A".to_string()]
        );
        assert_eq!(v.to_json(), r#"{"States":{"A":{"y":2},"B":[{"k":2}]}}"#);
    }

    #[test]
    fn empty_and_blank_text_is_an_error() {
        assert!(parse_json("").is_err());
        assert!(parse_json("  \n").is_err());
        assert!(parse_json("1 2").is_err());
    }
}

#[cfg(test)]
mod worded_errors {
    use super::*;

    /// Every malformed document gets words and the position of the mistake, never one of
    /// simd-json's internal kind names.
    #[test]
    fn json_syntax_errors_are_worded_not_named() {
        let cases: &[(&str, usize, usize, &str)] = &[
            (
                "{\n  \"a\": 1\n  \"b\": 2\n}",
                3,
                3,
                "expected ',' or '}' after an object member, found '\"'",
            ),
            (
                "[1 2]",
                1,
                4,
                "expected ',' or ']' after an array element, found '2'",
            ),
            (
                "{\"a\" 1}",
                1,
                6,
                "expected ':' after an object key, found '1'",
            ),
            ("{\"a\": }", 1, 7, "expected a value, found '}'"),
            (
                "{a: 1}",
                1,
                2,
                "expected a key in double quotes or '}', found 'a'",
            ),
            (
                "{\"a\": 1,}",
                1,
                9,
                "expected an object key after ',', found '}' (trailing comma)",
            ),
            (
                "[1,]",
                1,
                4,
                "expected a value after ',', found ']' (trailing comma)",
            ),
            ("{\"a\": nul}", 1, 7, "unrecognised word 'nul'"),
            ("{\"a\": True}", 1, 7, "unrecognised word 'True'"),
            ("{\"a\": 'x'}", 1, 7, "expected a value, found '''"),
            ("{\"a\": 01}", 1, 8, "malformed number, found '1'"),
            ("{\"a\": 1.}", 1, 9, "malformed number, found '}'"),
            ("{\"a\": -}", 1, 8, "malformed number, found '}'"),
            (
                "{\"a\": \"x\\q\"}",
                1,
                9,
                "invalid escape sequence \\q in string",
            ),
            ("{\"a\": \"\\u12G4\"}", 1, 8, "invalid \\u escape"),
            (
                "{\"a\": \"x\ny\"}",
                1,
                9,
                "control character U+000A in a string",
            ),
            ("{\"a\": \"x", 1, 7, "unterminated string"),
            (
                "{\"a\": [1, 2",
                1,
                12,
                "unexpected end of input: an array is not closed (expected ']')",
            ),
            (
                "{\"StartAt\": ",
                1,
                13,
                "unexpected end of input: an object is not closed (expected '}')",
            ),
            ("{} x", 1, 4, "unexpected 'x' after the JSON value"),
            ("{}\n{}", 2, 1, "unexpected '{' after the JSON value"),
            ("{\"é\": ü}", 1, 7, "expected a value, found 'ü'"),
            ("\u{feff}{}", 1, 1, "expected a value"),
        ];
        let internal = [
            "InternalError",
            "ExpectedNull",
            "Syntax",
            "ExpectedObjectContent",
            "ExpectedArrayContent",
            "ExpectedMapComma",
            "ExpectedObjectKey",
            "Eof",
            "Unexpected(",
            "NoStructure",
            "Parser",
        ];
        for (text, line, column, words) in cases {
            let e = parse_json(text).expect_err(text);
            for name in internal {
                assert!(!e.message().contains(name), "{text:?}: {e}");
            }
            assert!(e.message().starts_with(words), "{text:?}: {e}");
            assert_eq!((e.line(), e.column()), (*line, *column), "{text:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("line {line}, column {column}: ")),
                "{e}"
            );
        }
    }

    /// The walker agrees with simd-json on what is valid: every valid document still parses.
    #[test]
    fn the_syntax_walker_accepts_what_simd_json_accepts() {
        for text in [
            "{}",
            "[]",
            "0",
            "-0.5e+3",
            "\"\\u00e9\\n\"",
            "{\"a\":[true,false,null,{\"b\":1E2}]}",
            " \n\t[ 1 , 2 ]\r\n",
        ] {
            assert!(parse_json(text).is_ok(), "{text}");
            assert_eq!(
                super::super::syntax::first_error(text.as_bytes()),
                None,
                "{text}"
            );
        }
    }
}
