//! Filter expressions: the `...` of `[?(...)]`.
//!
//! Grammar (precedence low to high): `a || b`, `a && b`, `!a`, `( a )`, then a comparison
//! `x op y` or an existence test `@.x`. Operands are paths from the current item (`@...`) or
//! the document (`$...`), literals (`1`, `-2.5`, `'s'`, `"s"`, `true`, `false`, `null`, JSON
//! arrays and objects, whose strings may use either quote; a bare word such as `Receipt` is
//! the string it spells, see [`keyword_or_word`]) and, for `=~`, a regular
//! expression `/.../` with optional `i`, `m`, `s`, `x` flags. Operators: `==`, `!=`, `<`,
//! `<=`, `>`, `>=`, `=~`, `in`, `nin`.
//!
//! Comparisons follow Jayway's evaluators: a missing member equals nothing (so `!=` holds),
//! a number equals a string holding the same number, `<` compares numbers numerically and
//! strings by UTF-16 code units (Java's `compareTo`), and `=~` must match the whole text.
//! One deliberate difference: Jayway ignores `!` before a parenthesised expression; here it
//! negates.

use super::eval;
use super::jsonpath::{PathError, Segment, Shape};
use super::parse::Parser;
use crate::value::{Map, Str, Value};
use regex::Regex;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A parsed filter expression.
#[derive(Clone, Debug)]
pub(crate) enum Filter {
    Or(Box<[Filter]>),
    And(Box<[Filter]>),
    Not(Box<Filter>),
    Exists(FilterPath),
    Compare(Box<(Operand, Op, Operand)>),
}

/// A path inside a filter: from the current item (`@`) or from the document (`$`).
#[derive(Clone, Debug)]
pub(crate) struct FilterPath {
    from_item: bool,
    segments: Box<[Segment]>,
    shape: Shape,
}

#[derive(Clone, Debug)]
pub(crate) enum Operand {
    Path(FilterPath),
    Literal(Value),
    Regex(Regex),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Matches,
    In,
    Nin,
}

/// An operand's value: a node, nothing (a path that found nothing), or a pattern.
enum Val<'a> {
    Missing,
    Node(Cow<'a, Value>),
    Pattern(&'a Regex),
}

/// Parses the expression between `[?(` and `)]`; the closing `)` is left to the caller.
pub(crate) fn parse_filter(p: &mut Parser) -> Result<Filter, String> {
    parse_or(p)
}

fn parse_or(p: &mut Parser) -> Result<Filter, String> {
    let mut items = vec![parse_and(p)?];
    loop {
        p.skip_ws();
        if !p.eat_str("||") {
            break;
        }
        items.push(parse_and(p)?);
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        Filter::Or(items.into_boxed_slice())
    })
}

fn parse_and(p: &mut Parser) -> Result<Filter, String> {
    let mut items = vec![parse_unary(p)?];
    loop {
        p.skip_ws();
        if !p.eat_str("&&") {
            break;
        }
        items.push(parse_unary(p)?);
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        Filter::And(items.into_boxed_slice())
    })
}

fn parse_unary(p: &mut Parser) -> Result<Filter, String> {
    p.skip_ws();
    p.nest()?;
    let f = if p.eat('!') {
        Filter::Not(Box::new(parse_unary(p)?))
    } else if p.eat('(') {
        let inner = parse_or(p)?;
        p.skip_ws();
        p.expect(')')?;
        inner
    } else {
        parse_comparison(p)?
    };
    p.depth -= 1;
    Ok(f)
}

fn parse_comparison(p: &mut Parser) -> Result<Filter, String> {
    let left = parse_operand(p)?;
    p.skip_ws();
    let rest = &p.src[p.pos..];
    if rest.is_empty() || rest.starts_with(')') || rest.starts_with("&&") || rest.starts_with("||")
    {
        return match left {
            Operand::Path(path) => Ok(Filter::Exists(path)),
            _ => p.fail("expected a comparison operator after a literal"),
        };
    }
    let op = parse_op(p)?;
    let right = parse_operand(p)?;
    let patterns = usize::from(matches!(left, Operand::Regex(_)))
        + usize::from(matches!(right, Operand::Regex(_)));
    if op == Op::Matches && patterns != 1 {
        return p.fail("'=~' needs exactly one /regular expression/");
    }
    if op != Op::Matches && patterns != 0 {
        return p.fail("a /regular expression/ can only be used with '=~'");
    }
    Ok(Filter::Compare(Box::new((left, op, right))))
}

fn parse_op(p: &mut Parser) -> Result<Op, String> {
    const SYMBOLS: [(&str, Op); 7] = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("=~", Op::Matches),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    for (text, op) in SYMBOLS {
        if p.eat_str(text) {
            return Ok(op);
        }
    }
    for (word, op) in [("nin", Op::Nin), ("in", Op::In)] {
        let rest = &p.src[p.pos..];
        if rest.starts_with(word)
            && !rest[word.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            p.pos += word.len();
            return Ok(op);
        }
    }
    p.fail("expected a comparison operator (==, !=, <, <=, >, >=, =~, in, nin)")
}

fn parse_operand(p: &mut Parser) -> Result<Operand, String> {
    p.skip_ws();
    match p.peek() {
        Some(c @ ('@' | '$')) => {
            p.pos += 1;
            if c == '$'
                && p.peek()
                    .is_some_and(|c| c == '$' || c.is_alphanumeric() || c == '_')
            {
                return p.fail("only '$' and '@' paths can be used in a filter");
            }
            p.nest()?;
            let segments = p.segments(true)?;
            p.depth -= 1;
            let shape = Shape::of(&segments);
            Ok(Operand::Path(FilterPath {
                from_item: c == '@',
                segments: segments.into_boxed_slice(),
                shape,
            }))
        }
        Some(q @ ('\'' | '"')) => {
            p.pos += 1;
            Ok(Operand::Literal(Value::String(quoted(p, q)?)))
        }
        Some('/') => parse_regex(p).map(Operand::Regex),
        Some('[' | '{') => json_literal(p, 0).map(Operand::Literal),
        Some(c) if c.is_ascii_digit() || c == '-' => number(p).map(Operand::Literal),
        Some(c) if c.is_alphabetic() || c == '_' => Ok(Operand::Literal(keyword_or_word(p))),
        Some(_) => keyword(p).map(Operand::Literal),
        None => p.fail("expected a value"),
    }
}

/// `true`, `false`, `null`, or else a bare word (`@.Name==Receipt`) read as the string it
/// spells.
///
/// Jayway's filter compiler (2.x `FilterCompiler.readLiteral`) reads an unquoted word as a
/// number literal and refuses it ("Failed to parse filter"), yet AWS accepts such paths at
/// creation: deployed samples write `$.Labels[?(@.Name==Receipt)]`,
/// `$[?(@.TargetLanguageCode==es)].TranslatedText` and
/// `$..QualityResults[?(@.constraint_status==Failure)]`. No AWS source records what they
/// select at run time; the samples' authors rely on the word comparing as the string, so it
/// does here (unconfirmed against a recording).
fn keyword_or_word(p: &mut Parser) -> Value {
    let start = p.pos;
    while p
        .peek()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        p.pos += p.peek().map_or(1, char::len_utf8);
    }
    match &p.src[start..p.pos] {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        word => Value::string(word),
    }
}

fn keyword(p: &mut Parser) -> Result<Value, String> {
    for (word, v) in [
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("null", Value::Null),
    ] {
        let rest = &p.src[p.pos..];
        if rest.starts_with(word)
            && !rest[word.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
        {
            p.pos += word.len();
            return Ok(v);
        }
    }
    p.fail("expected a path, a literal or a /regular expression/")
}

fn number(p: &mut Parser) -> Result<Value, String> {
    let start = p.pos;
    while p
        .peek()
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
    {
        p.pos += 1;
    }
    let text = &p.src[start..p.pos];
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Int(i));
        }
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Value::Float(f)),
        _ => Err(format!("'{text}' is not a number")),
    }
}

/// A quoted string after its opening quote, with Java escapes (`\'`, `\n`, `\u0041`, ...).
fn quoted(p: &mut Parser, quote: char) -> Result<Str, String> {
    let mut s = String::new();
    loop {
        match p.bump() {
            None => return p.fail(&format!("missing closing {quote}")),
            Some(c) if c == quote => return Ok(s.into()),
            Some('\\') => match p.bump() {
                Some('n') => s.push('\n'),
                Some('t') => s.push('\t'),
                Some('r') => s.push('\r'),
                Some('b') => s.push('\u{8}'),
                Some('f') => s.push('\u{c}'),
                Some('u') => {
                    let hex = p.src.get(p.pos..p.pos + 4).unwrap_or("");
                    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        Some(c) if hex.len() == 4 => {
                            s.push(c);
                            p.pos += 4;
                        }
                        _ => return p.fail("expected four hex digits after '\\u'"),
                    }
                }
                Some(c) => s.push(c),
                None => return p.fail(&format!("missing closing {quote}")),
            },
            Some(c) => s.push(c),
        }
    }
}

fn parse_regex(p: &mut Parser) -> Result<Regex, String> {
    p.pos += 1; // '/'
    let start = p.pos;
    loop {
        match p.bump() {
            None => return p.fail("missing closing '/'"),
            Some('\\') => {
                p.bump();
            }
            Some('/') => break,
            Some(_) => {}
        }
    }
    let pattern = &p.src[start..p.pos - 1];
    let mut flags = String::new();
    while let Some(c) = p.peek().filter(|c| matches!(c, 'i' | 'm' | 's' | 'x')) {
        flags.push(c);
        p.pos += 1;
    }
    // `\A` and `\z` rather than `^` and `$`, which the `m` flag would turn into line anchors.
    let full = if flags.is_empty() {
        format!("\\A(?:{pattern})\\z")
    } else {
        format!("(?{flags})\\A(?:{pattern})\\z")
    };
    regex::RegexBuilder::new(&full)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| format!("invalid regular expression /{pattern}/: {e}"))
}

/// A JSON array or object literal; strings may use single quotes (json-smart is lenient).
fn json_literal(p: &mut Parser, depth: usize) -> Result<Value, String> {
    if depth > super::parse::MAX_NESTING {
        return p.fail("literal nests too deeply");
    }
    p.skip_ws();
    match p.peek() {
        Some('[') => {
            p.pos += 1;
            let mut items = Vec::new();
            p.skip_ws();
            if !p.eat(']') {
                loop {
                    items.push(json_literal(p, depth + 1)?);
                    p.skip_ws();
                    if p.eat(']') {
                        break;
                    }
                    p.expect(',')?;
                }
            }
            Ok(Value::array(items))
        }
        Some('{') => {
            p.pos += 1;
            let mut map = Map::new();
            p.skip_ws();
            if !p.eat('}') {
                loop {
                    p.skip_ws();
                    let key = match p.bump() {
                        Some(q @ ('\'' | '"')) => quoted(p, q)?,
                        _ => return p.fail("expected a quoted member name"),
                    };
                    p.skip_ws();
                    p.expect(':')?;
                    map.insert(key, json_literal(p, depth + 1)?);
                    p.skip_ws();
                    if p.eat('}') {
                        break;
                    }
                    p.expect(',')?;
                }
            }
            Ok(Value::object(map))
        }
        Some(q @ ('\'' | '"')) => {
            p.pos += 1;
            Ok(Value::String(quoted(p, q)?))
        }
        Some(c) if c.is_ascii_digit() || c == '-' => number(p),
        _ => keyword(p),
    }
}

impl Filter {
    /// Whether `item` passes; `root` is the document `$` paths read.
    pub(crate) fn accepts(&self, item: &Value, root: &Value) -> Result<bool, PathError> {
        match self {
            Filter::Or(items) => {
                for f in items.iter() {
                    if f.accepts(item, root)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Filter::And(items) => {
                for f in items.iter() {
                    if !f.accepts(item, root)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Filter::Not(f) => Ok(!f.accepts(item, root)?),
            Filter::Exists(path) => Ok(match path.value(item, root)? {
                Val::Node(v) if path.shape == Shape::Indefinite => {
                    v.as_array().is_some_and(|a| !a.is_empty())
                }
                Val::Node(_) => true,
                _ => false,
            }),
            Filter::Compare(c) => {
                let (left, op, right) = &**c;
                let l = left.value(item, root)?;
                let r = right.value(item, root)?;
                Ok(compare(&l, *op, &r))
            }
        }
    }
}

impl FilterPath {
    fn value<'a>(&self, item: &'a Value, root: &'a Value) -> Result<Val<'a>, PathError> {
        let start = if self.from_item { item } else { root };
        match eval::evaluate(&self.segments, self.shape, start, root) {
            Ok(v) => Ok(Val::Node(v)),
            Err(e) if e.is_missing() => Ok(Val::Missing),
            Err(e) => Err(e),
        }
    }
}

impl Operand {
    fn value<'a>(&'a self, item: &'a Value, root: &'a Value) -> Result<Val<'a>, PathError> {
        match self {
            Operand::Path(p) => p.value(item, root),
            Operand::Literal(v) => Ok(Val::Node(Cow::Borrowed(v))),
            Operand::Regex(r) => Ok(Val::Pattern(r)),
        }
    }
}

fn compare(l: &Val, op: Op, r: &Val) -> bool {
    match op {
        Op::Eq => equals(l, r),
        Op::Ne => !equals(l, r),
        Op::Lt => order(l, r) == Some(Ordering::Less),
        Op::Le => matches!(order(l, r), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => order(l, r) == Some(Ordering::Greater),
        Op::Ge => matches!(order(l, r), Some(Ordering::Greater | Ordering::Equal)),
        Op::Matches => match (l, r) {
            (Val::Pattern(re), other) | (other, Val::Pattern(re)) => regex_matches(re, other),
            _ => false,
        },
        Op::In => contains(r, l),
        Op::Nin => !contains(r, l),
    }
}

fn node_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(s), n) | (n, Value::String(s)) if n.is_number() => {
            s.trim().parse::<f64>().ok().filter(|f| f.is_finite()) == n.as_f64()
        }
        _ => a == b,
    }
}

fn equals(l: &Val, r: &Val) -> bool {
    match (l, r) {
        (Val::Node(a), Val::Node(b)) => node_equals(a, b),
        _ => false,
    }
}

fn order(l: &Val, r: &Val) -> Option<Ordering> {
    let (Val::Node(a), Val::Node(b)) = (l, r) else {
        return None;
    };
    match (&**a, &**b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (x, y) if x.is_number() && y.is_number() => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (Value::String(x), n) if n.is_number() => {
            Some(x.encode_utf16().cmp(n.to_json().encode_utf16()))
        }
        (n, Value::String(y)) if n.is_number() => {
            Some(n.to_json().encode_utf16().cmp(y.encode_utf16()))
        }
        _ => None,
    }
}

/// Jayway's `getInput`: strings, numbers and booleans as text, anything else (even a missing
/// member) as the empty string; an array matches when any element does.
fn regex_matches(re: &Regex, v: &Val) -> bool {
    fn text(v: &Value) -> Cow<'_, str> {
        match v {
            Value::String(s) => Cow::Borrowed(s),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => Cow::Owned(v.to_json()),
            _ => Cow::Borrowed(""),
        }
    }
    match v {
        Val::Node(n) => match &**n {
            Value::Array(items) => items.iter().any(|i| re.is_match(&text(i))),
            other => re.is_match(&text(other)),
        },
        _ => re.is_match(""),
    }
}

fn contains(list: &Val, x: &Val) -> bool {
    let (Val::Node(list), Val::Node(x)) = (list, x) else {
        return false;
    };
    list.as_array()
        .is_some_and(|items| items.iter().any(|i| node_equals(i, x)))
}
