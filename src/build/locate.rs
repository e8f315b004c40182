//! JSON pointer → line and column in a definition's text, so that a diagnostic reported at
//! `/States/Charge/Next` can point into the file (`order.asl.json:12:9`).
//!
//! A small scanner of its own rather than the value parser: it only needs the offsets of
//! members on one path, and it must tolerate nothing less than what the parser accepts (it
//! runs only on text that parsed).

/// Line and column (1-based, columns in characters) of what `pointer` (RFC 6901) names in
/// the JSON `text`: the key of an object member, the first character of an array element,
/// (1, 1) for the root. `None` when the text has no such member.
///
/// ```
/// let text = "{\n  \"States\": {\n    \"A\": {\"Next\": \"B\"}\n  }\n}";
/// assert_eq!(aslx::build::locate(text, "/States/A/Next"), Some((3, 11)));
/// assert_eq!(aslx::build::locate(text, "/"), Some((1, 1)));
/// assert_eq!(aslx::build::locate(text, "/Nope"), None);
/// ```
pub fn locate(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .filter(|t| !t.is_empty())
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let b = text.as_bytes();
    let mut at = skip_ws(b, 0);
    let mut found = at;
    for token in &tokens {
        match b.get(at)? {
            b'{' => {
                let (key_at, value_at) = member(b, at, token)?;
                found = key_at;
                at = value_at;
            }
            b'[' => {
                let index: usize = token.parse().ok()?;
                at = element(b, at, index)?;
                found = at;
            }
            _ => return None,
        }
    }
    Some(line_col(text, found))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The offsets of member `key`'s key and value in the object at `i`.
fn member(b: &[u8], i: usize, key: &str) -> Option<(usize, usize)> {
    let mut i = skip_ws(b, i + 1);
    loop {
        match b.get(i)? {
            b'}' => return None,
            b'"' => {}
            _ => return None,
        }
        let key_at = i;
        let end = string_end(b, i)?;
        let name = unescape(&b[i + 1..end - 1]);
        i = skip_ws(b, end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_at = skip_ws(b, i + 1);
        if name == key {
            return Some((key_at, value_at));
        }
        i = skip_ws(b, value_end(b, value_at)?);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            _ => return None,
        }
    }
}

/// The offset of element `index` of the array at `i`.
fn element(b: &[u8], i: usize, index: usize) -> Option<usize> {
    let mut i = skip_ws(b, i + 1);
    for n in 0.. {
        if b.get(i)? == &b']' {
            return None;
        }
        if n == index {
            return Some(i);
        }
        i = skip_ws(b, value_end(b, i)?);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            _ => return None,
        }
    }
    None
}

/// The offset just past the string starting at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// The offset just past the value starting at `i` (iterative: any depth).
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    loop {
        match b.get(j)? {
            b'"' => j = string_end(b, j)?,
            b'{' | b'[' => {
                depth += 1;
                j += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                j += 1;
            }
            _ if depth == 0 => {
                // A scalar: up to the next delimiter.
                while j < b.len()
                    && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                {
                    j += 1;
                }
                return Some(j);
            }
            _ => j += 1,
        }
        if depth == 0 {
            return Some(j);
        }
    }
}

/// A key's text, its escapes resolved (enough for comparing with a pointer token).
fn unescape(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if !s.contains('\\') {
        return s.into_owned();
    }
    serde_json::from_str::<String>(&format!("\"{s}\"")).unwrap_or_else(|_| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn members_elements_and_escapes() {
        let t = r#"{"a": [1, {"b\/c": 2, "x": {"y": [true, "s,]"]}}], "z": null}"#;
        assert_eq!(locate(t, "/a/1/b~1c"), Some((1, 12)));
        assert_eq!(locate(t, "/a/1/x/y/1"), Some((1, 41)));
        assert_eq!(locate(t, "/z"), Some((1, 52)));
        assert_eq!(locate(t, "/a/2"), None);
        assert_eq!(locate(t, "/a/0/q"), None);
    }
}
