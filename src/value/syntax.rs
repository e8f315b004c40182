//! The first syntax error of a JSON text, found again in words.
//!
//! simd-json parses in two passes over structural indexes, so when it fails its error kind
//! (`InternalError`, `Syntax`, `ExpectedObjectContent`, ...) and index often describe its own
//! machinery rather than the author's mistake. Only then (the cold path) is the text walked
//! again here, byte by byte with an explicit stack, to name the first fault as a reader would:
//! what was expected, what was found, and at which byte.

use super::parse::MAX_DEPTH;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Array,
    Object,
}

/// What the walker expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A value (the document, an array element or an object member's value).
    Value,
    /// An array's first element or its `]`.
    ElementOrEnd,
    /// An object's first key or its `}`.
    KeyOrEnd,
    /// A key after a `,` in an object.
    Key,
    /// The `:` after a key.
    Colon,
    /// `,` or the closing bracket after a member or element.
    CommaOrEnd,
    /// Nothing but whitespace: the document's value is complete.
    End,
}

/// The byte offset and description of the first syntax error in `text`, or `None` when the
/// text is well-formed JSON (to this walker: number ranges are not checked here).
pub(crate) fn first_error(text: &[u8]) -> Option<(usize, String)> {
    let mut stack: Vec<Open> = Vec::new();
    let mut want = Want::Value;
    let mut i = 0;
    loop {
        while i < text.len() && matches!(text[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        let Some(&c) = text.get(i) else {
            return match want {
                Want::End => None,
                _ if stack.is_empty() => {
                    Some((i, "unexpected end of input: expected a value".into()))
                }
                _ => Some((i, format!("unexpected end of input: {}", unclosed(&stack)))),
            };
        };
        match want {
            Want::End => {
                return Some((
                    i,
                    format!("unexpected {} after the JSON value", found(text, i)),
                ))
            }
            Want::Colon => {
                if c != b':' {
                    return Some((
                        i,
                        format!("expected ':' after an object key, found {}", found(text, i)),
                    ));
                }
                i += 1;
                want = Want::Value;
            }
            Want::CommaOrEnd => {
                let top = *stack.last()?; // CommaOrEnd only inside a container
                match (c, top) {
                    (b',', Open::Array) => {
                        i += 1;
                        want = Want::Value;
                    }
                    (b',', Open::Object) => {
                        i += 1;
                        want = Want::Key;
                    }
                    (b']', Open::Array) | (b'}', Open::Object) => {
                        i += 1;
                        stack.pop();
                        want = after_value(&stack);
                    }
                    (_, Open::Array) => {
                        return Some((
                            i,
                            format!(
                                "expected ',' or ']' after an array element, found {}",
                                found(text, i)
                            ),
                        ))
                    }
                    (_, Open::Object) => {
                        return Some((
                            i,
                            format!(
                                "expected ',' or '}}' after an object member, found {}",
                                found(text, i)
                            ),
                        ))
                    }
                }
            }
            Want::Key | Want::KeyOrEnd => {
                if c == b'}' && want == Want::KeyOrEnd {
                    i += 1;
                    stack.pop();
                    want = after_value(&stack);
                } else if c == b'"' {
                    i = match string_end(text, i) {
                        Ok(j) => j,
                        Err(e) => return Some(e),
                    };
                    want = Want::Colon;
                } else if c == b'}' {
                    return Some((
                        i,
                        "expected an object key after ',', found '}' (trailing comma)".into(),
                    ));
                } else {
                    let what = if want == Want::KeyOrEnd {
                        "a key in double quotes or '}'"
                    } else {
                        "a key in double quotes"
                    };
                    return Some((i, format!("expected {what}, found {}", found(text, i))));
                }
            }
            Want::Value | Want::ElementOrEnd => {
                if c == b']' && want == Want::ElementOrEnd {
                    i += 1;
                    stack.pop();
                    want = after_value(&stack);
                    continue;
                }
                match c {
                    b'{' | b'[' => {
                        if stack.len() >= MAX_DEPTH {
                            return Some((
                                i,
                                format!("document nested deeper than {MAX_DEPTH} levels"),
                            ));
                        }
                        i += 1;
                        if c == b'{' {
                            stack.push(Open::Object);
                            want = Want::KeyOrEnd;
                        } else {
                            stack.push(Open::Array);
                            want = Want::ElementOrEnd;
                        }
                        continue;
                    }
                    b'"' | b'-' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => {
                        let step = match c {
                            b'"' => string_end(text, i),
                            b'a'..=b'z' | b'A'..=b'Z' => literal_end(text, i),
                            _ => number_end(text, i),
                        };
                        i = match step {
                            Ok(j) => j,
                            Err(e) => return Some(e),
                        };
                    }
                    b']' if stack.last() == Some(&Open::Array) => {
                        return Some((
                            i,
                            "expected a value after ',', found ']' (trailing comma)".into(),
                        ))
                    }
                    _ => return Some((i, format!("expected a value, found {}", found(text, i)))),
                }
                want = after_value(&stack);
            }
        }
    }
}

fn after_value(stack: &[Open]) -> Want {
    if stack.is_empty() {
        Want::End
    } else {
        Want::CommaOrEnd
    }
}

fn unclosed(stack: &[Open]) -> String {
    match stack.last() {
        Some(Open::Object) => "an object is not closed (expected '}')".into(),
        _ => "an array is not closed (expected ']')".into(),
    }
}

/// The character at `i`, quoted, for "found ..." (a whole UTF-8 character, never a byte).
fn found(text: &[u8], i: usize) -> String {
    let rest = String::from_utf8_lossy(&text[i..text.len().min(i + 4)]);
    match rest.chars().next() {
        None => "the end of input".into(),
        Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
        Some(c) => format!("'{c}'"),
    }
}

type Step = Result<usize, (usize, String)>;

/// Skips a string starting at the `"` at `start`; returns the index after its closing quote.
fn string_end(text: &[u8], start: usize) -> Step {
    let mut i = start + 1;
    loop {
        match text.get(i) {
            None => return Err((start, "unterminated string (no closing '\"')".into())),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match text.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    let hex = text.get(i + 2..i + 6);
                    if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return Err((
                            i,
                            "invalid \\u escape in string (expected four hex digits)".into(),
                        ));
                    }
                    i += 6;
                }
                None => return Err((start, "unterminated string (no closing '\"')".into())),
                Some(_) => {
                    return Err((
                        i,
                        format!(
                            "invalid escape sequence \\{} in string",
                            found(text, i + 1).trim_matches('\'')
                        ),
                    ))
                }
            },
            Some(&b) if b < 0x20 => {
                return Err((
                    i,
                    format!("{} in a string (must be escaped)", found(text, i)),
                ))
            }
            Some(_) => i += 1,
        }
    }
}

/// Skips a number (JSON's grammar, RFC 8259 section 6).
fn number_end(text: &[u8], start: usize) -> Step {
    let bad = |at: usize| Err((at, format!("malformed number, found {}", found(text, at))));
    let digits = |mut i: usize| {
        while text.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = start;
    if text[i] == b'-' {
        i += 1;
    }
    match text.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        Some(_) => return bad(i),
        None => return Err((i, "unexpected end of input in a number".into())),
    }
    if text.get(i) == Some(&b'.') {
        let j = digits(i + 1);
        if j == i + 1 {
            return bad(j);
        }
        i = j;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = digits(i);
        if j == i {
            return bad(i);
        }
        i = j;
    }
    if text
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
    {
        return bad(i);
    }
    Ok(i)
}

/// Skips `true`, `false` or `null`; names any other bare word.
fn literal_end(text: &[u8], start: usize) -> Step {
    let end = start
        + text[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
    match &text[start..end] {
        b"true" | b"false" | b"null" => Ok(end),
        word => Err((
            start,
            format!(
                "unrecognised word '{}': expected a value (a string is written in double quotes; literals are true, false and null)",
                String::from_utf8_lossy(word)
            ),
        )),
    }
}
