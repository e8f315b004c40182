//! Path syntax: the root (`$`, `$$`, `$name`) and Jayway JsonPath segments.
//!
//! The grammar follows Jayway's `PathCompiler` as AWS runs it:
//!
//! - a dotted name runs up to `.`, `[` or `(` and may hold characters JSON names often carry
//!   (`$.a-b`, `$.日本`); a blank is an error (Jayway: "use bracket notation"); a backslash
//!   takes the next character literally (`$.foo\.bar` is the member `foo.bar`, ASL PATH-4);
//! - a bracketed name keeps its text as written: a backslash only stops the next character
//!   from closing the quote (AWS looked up `$['Test\""Name"']` as the member `Test\""Name"`);
//! - indexes and slices are 32-bit integers; a slice's third part is read and ignored, as in
//!   Jayway;
//! - `name()` is a JsonPath function, accepted here and refused when evaluated (ASL PATH-1).
//!
//! Filters (`[?(...)]`) are parsed in `filter.rs` with the same [`Parser`]; the paths inside
//! them end at a blank, an operator or a closing parenthesis.

use super::filter;
use super::jsonpath::{PathRoot, Segment, Slice};
use crate::value::Str;

/// How deeply filters and parentheses may nest, so hostile text cannot exhaust the stack.
pub(crate) const MAX_NESTING: usize = 32;

/// How many segments one path may hold, counting those of the paths inside its filters.
/// Evaluation recurses once per segment; no document nests deeper than 1,000 levels (the
/// JSON parser's limit), so a longer path could not match anything anyway.
pub(crate) const MAX_SEGMENTS: usize = 1000;

/// A cursor over path text.
pub(crate) struct Parser<'s> {
    pub(crate) src: &'s str,
    pub(crate) pos: usize,
    pub(crate) depth: usize,
    /// Segments read so far, across nested filter paths.
    count: usize,
}

/// Parses a whole path into its root and segments.
pub(crate) fn parse_path(text: &str) -> Result<(PathRoot, Vec<Segment>), String> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (root, rest) = if let Some(rest) = t.strip_prefix("$$") {
        (PathRoot::Context, rest)
    } else if let Some(rest) = t.strip_prefix('$') {
        match rest.find(['.', '[']) {
            Some(0) => (PathRoot::Input, rest),
            _ if rest.is_empty() => (PathRoot::Input, rest),
            end => {
                let end = end.unwrap_or(rest.len());
                let name = &rest[..end];
                if !is_identifier(name) {
                    return Err(format!("'${name}' is not a valid variable reference"));
                }
                (PathRoot::Variable(Str::from(name)), &rest[end..])
            }
        }
    } else {
        return Err("a path must start with '$'".to_string());
    };
    let mut p = Parser {
        src: rest,
        pos: 0,
        depth: 0,
        count: 0,
    };
    let segments = p.segments(false)?;
    if p.pos != p.src.len() {
        return p.fail("unexpected character");
    }
    Ok((root, segments))
}

/// A variable name: a letter or `_`, then letters, digits or `_` (ASL VAR-2).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Characters that end a path inside a filter expression.
fn ends_filter_path(c: char) -> bool {
    c.is_whitespace() || matches!(c, ')' | '<' | '>' | '=' | '!' | '~' | '&' | '|' | ',')
}

impl<'s> Parser<'s> {
    pub(crate) fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    pub(crate) fn peek_second(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(crate) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub(crate) fn eat_str(&mut self, s: &str) -> bool {
        if self.src[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    pub(crate) fn skip_ws(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    pub(crate) fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            self.fail(&format!("expected '{c}'"))
        }
    }

    pub(crate) fn fail<T>(&self, what: &str) -> Result<T, String> {
        match self.peek() {
            Some(c) => Err(format!("{what}, found '{c}' at offset {}", self.pos)),
            None => Err(format!("{what}, found the end of the path")),
        }
    }

    /// Enters one level of nesting; the caller leaves it with `self.depth -= 1`.
    pub(crate) fn nest(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!("filters nest deeper than {MAX_NESTING} levels"));
        }
        Ok(())
    }

    /// Segments up to the end of the text, or, inside a filter, up to the end of the path.
    pub(crate) fn segments(&mut self, in_filter: bool) -> Result<Vec<Segment>, String> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if in_filter && ends_filter_path(c) {
                break;
            }
            match c {
                '.' if self.peek_second() == Some('.') => {
                    self.pos += 2;
                    out.push(Segment::Scan);
                    self.after_dot(&mut out, in_filter)?;
                }
                '.' => {
                    self.pos += 1;
                    self.after_dot(&mut out, in_filter)?;
                }
                '[' => out.push(self.bracket()?),
                // Jayway reads a name straight after a bracket or a star: `$['a']b`.
                _ if !out.is_empty() => out.push(self.dotted_name(in_filter)?),
                _ => return self.fail("expected '.' or '['"),
            }
            self.count += 1;
            if self.count > MAX_SEGMENTS {
                return Err(format!("a path may hold at most {MAX_SEGMENTS} steps"));
            }
        }
        if matches!(out.last(), Some(Segment::Scan)) {
            return self.fail("a path must not end with '..'");
        }
        Ok(out)
    }

    fn after_dot(&mut self, out: &mut Vec<Segment>, in_filter: bool) -> Result<(), String> {
        match self.peek() {
            None => self.fail("a path must not end with '.'"),
            Some('.') => self.fail("unexpected '.'"),
            Some(c) if in_filter && ends_filter_path(c) => self.fail("expected a name"),
            Some('[') => {
                out.push(self.bracket()?);
                Ok(())
            }
            Some('*') => {
                self.pos += 1;
                out.push(Segment::Wildcard);
                Ok(())
            }
            Some(_) => {
                out.push(self.dotted_name(in_filter)?);
                Ok(())
            }
        }
    }

    fn dotted_name(&mut self, in_filter: bool) -> Result<Segment, String> {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            match c {
                '.' | '[' => break,
                '(' => return self.function(name),
                c if in_filter && ends_filter_path(c) => break,
                c if c.is_whitespace() => {
                    return self.fail("use bracket notation ['my prop'] for names with blanks")
                }
                '\\' => {
                    self.pos += 1;
                    match self.bump() {
                        Some(escaped) => name.push(escaped),
                        None => return self.fail("expected a character after '\\'"),
                    }
                }
                c => {
                    name.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        if name.is_empty() {
            return self.fail("expected a name");
        }
        Ok(Segment::Key(name.into()))
    }

    fn function(&mut self, name: String) -> Result<Segment, String> {
        self.pos += 1; // '('
        self.skip_ws();
        if !self.eat(')') {
            return self.fail("path function arguments are not supported");
        }
        if name.is_empty() {
            return self.fail("expected a function name");
        }
        Ok(Segment::Function(name.into()))
    }

    fn bracket(&mut self) -> Result<Segment, String> {
        self.pos += 1; // '['
        self.skip_ws();
        match self.peek() {
            Some(q @ ('\'' | '"')) => self.bracket_names(q),
            Some('*') => {
                self.pos += 1;
                self.skip_ws();
                self.expect(']')?;
                Ok(Segment::Wildcard)
            }
            Some('?') => {
                self.pos += 1;
                self.skip_ws();
                self.expect('(')?;
                self.nest()?;
                let f = filter::parse_filter(self)?;
                self.depth -= 1;
                self.skip_ws();
                self.expect(')')?;
                self.skip_ws();
                self.expect(']')?;
                Ok(Segment::Filter(Box::new(f)))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == ':' => self.bracket_numbers(),
            _ => self.fail("expected a quoted name, an index, '*' or '?' after '['"),
        }
    }

    fn bracket_names(&mut self, quote: char) -> Result<Segment, String> {
        let mut names: Vec<Str> = Vec::new();
        loop {
            self.skip_ws();
            if !self.eat(quote) {
                return self.fail(&format!("expected {quote}"));
            }
            let start = self.pos;
            loop {
                match self.bump() {
                    None => return self.fail(&format!("missing closing {quote}")),
                    Some('\\') => {
                        if self.bump().is_none() {
                            return self.fail(&format!("missing closing {quote}"));
                        }
                    }
                    Some(c) if c == quote => break,
                    Some(_) => {}
                }
            }
            names.push(Str::from(&self.src[start..self.pos - quote.len_utf8()]));
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some(']') => break,
                _ => return self.fail("expected ',' or ']' after a quoted name"),
            }
        }
        Ok(match names.len() {
            1 => Segment::Key(names.remove(0)),
            _ => Segment::Keys(names.into_boxed_slice()),
        })
    }

    fn bracket_numbers(&mut self) -> Result<Segment, String> {
        let rest = &self.src[self.pos..];
        let Some(len) = rest.find(']') else {
            return self.fail("missing ']'");
        };
        let body = rest[..len].trim();
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | ':' | ' '))
        {
            return self.fail("expected an index, a list of indexes or a slice");
        }
        let segment = if body.contains(':') {
            parse_slice(body).map(Segment::Slice)
        } else {
            parse_indexes(body)
        };
        let segment = match segment {
            Ok(s) => s,
            Err(e) => return self.fail(&e),
        };
        self.pos += len + 1;
        Ok(segment)
    }
}

fn parse_int(text: &str) -> Result<i32, String> {
    text.parse::<i32>()
        .map_err(|_| format!("'{text}' is not a 32-bit integer"))
}

fn parse_indexes(body: &str) -> Result<Segment, String> {
    let list = body
        .split(',')
        .map(|t| parse_int(t.trim()))
        .collect::<Result<Vec<i32>, String>>()?;
    Ok(match list.as_slice() {
        [one] => Segment::Index(*one),
        _ => Segment::Indexes(list.into_boxed_slice()),
    })
}

/// Jayway's `ArraySliceOperation.parse`: Java's `split(":")` drops trailing empty parts, the
/// first two parts are the bounds and any third is ignored.
fn parse_slice(body: &str) -> Result<Slice, String> {
    if body.contains(' ') {
        return Err(format!("'{body}' is not a valid slice"));
    }
    let parts: Vec<&str> = body.split(':').collect();
    let bound = |i: usize| match parts.get(i) {
        Some(t) if !t.is_empty() => parse_int(t).map(Some),
        _ => Ok(None),
    };
    let slice = Slice {
        from: bound(0)?,
        to: bound(1)?,
    };
    if slice.from.is_none() && slice.to.is_none() {
        return Err(format!("'{body}' is not a valid slice"));
    }
    Ok(slice)
}
