//! Compiled event patterns: the types, the error, and matching one pattern.
//!
//! [`Pattern::new`] checks a pattern as EventBridge does (`pattern_parse.rs`,
//! `pattern_operators.rs`, `pattern_wildcard.rs`) and compiles it into alternatives of fields
//! of conditions; [`Pattern::matches`] flattens the event once into a reusable, thread-local
//! buffer and checks each alternative against it (`pattern_flat.rs`). The language itself is
//! described in the [`events`](super) module docs.

use super::pattern_flat::{self, Scalar};
use super::pattern_wildcard::Wildcard;
use crate::value::Value;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// A compiled event pattern. Cloning is cheap (the compiled form is shared).
///
/// The language it accepts, and how it matches, are described in the [module
/// docs](crate::events).
///
/// # Example
///
/// ```
/// use aslx::events::Pattern;
/// use aslx::parse_json;
///
/// let pattern = Pattern::new(r#"{
///     "source": ["com.example.orders"],
///     "detail": {"total": [{"numeric": [">", 100]}], "state": [{"anything-but": "test"}]}
/// }"#).unwrap();
/// let big = parse_json(r#"{"source": "com.example.orders",
///                          "detail": {"total": 250, "state": "placed"}}"#).unwrap();
/// let small = parse_json(r#"{"source": "com.example.orders",
///                            "detail": {"total": 20, "state": "placed"}}"#).unwrap();
/// assert!(pattern.matches(&big));
/// assert!(!pattern.matches(&small));
///
/// let err = Pattern::new(r#"{"source": "com.example.orders"}"#).unwrap_err();
/// assert_eq!(err.code(), "InvalidEventPatternException");
/// assert_eq!(err.message(),
///     r#"Event pattern is not valid. Reason: "source" must be an object or an array"#);
/// ```
#[derive(Clone)]
pub struct Pattern {
    compiled: Arc<Compiled>,
}

/// The compiled form: the pattern's alternatives, any of which may match.
pub(crate) struct Compiled {
    pub(crate) alternatives: Box<[Alternative]>,
    /// The pattern as written, for `Debug` and for callers that echo it back.
    pub(crate) source: Box<str>,
    /// The paths the pattern reads (and their prefixes): all of an event that is flattened.
    pub(crate) paths: pattern_flat::PathSet,
}

/// One way to match: every field must be satisfied (by array-consistent values).
pub(crate) struct Alternative {
    pub(crate) fields: Box<[Arc<Field>]>,
}

/// The conditions on one dotted path; any one of them satisfies the field.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) path: Arc<str>,
    /// [`pattern_flat::path_hash`] of `path`.
    pub(crate) hash: u64,
    /// Conditions that test a value (everything except `exists`).
    pub(crate) conds: Box<[Cond]>,
    /// `{"exists": true}` is among the conditions: any value will do.
    pub(crate) any_value: bool,
    /// `{"exists": false}` is among the conditions: having no value at all will do.
    pub(crate) absent_ok: bool,
}

impl Field {
    /// `true` if the value `v` found at this field's path satisfies the field.
    #[inline]
    pub(crate) fn accepts(&self, v: Scalar<'_>) -> bool {
        self.any_value || self.conds.iter().any(|c| c.matches(v))
    }
}

/// One condition on a value.
#[derive(Debug)]
pub(crate) enum Cond {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
    Null,
    /// An address range (`cidr`, or an exact string that reads as an IP address).
    Ip(IpRange),
    Prefix(Box<str>),
    /// Lower-cased prefix.
    PrefixNoCase(Box<str>),
    Suffix(Box<str>),
    /// Lower-cased suffix.
    SuffixNoCase(Box<str>),
    /// Lower-cased value.
    EqualsNoCase(Box<str>),
    Wildcard(Wildcard),
    Numeric(NumRange),
    /// Matches every value that the inner test rejects.
    AnythingBut(AnythingBut),
}

/// See [`Cond::index_key`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum IndexKey<'a> {
    Exact(Scalar<'a>),
    FirstByte(u8),
}

/// What an `anything-but` excludes.
#[derive(Debug)]
pub(crate) enum AnythingBut {
    Strs(Box<[Box<str>]>),
    Nums(Box<[f64]>),
    Prefixes(Box<[Box<str>]>),
    Suffixes(Box<[Box<str>]>),
    /// Lower-cased values.
    NoCase(Box<[Box<str>]>),
    Wildcards(Box<[Wildcard]>),
}

/// A numeric interval; a missing bound is the end of the comparable range (±5e9).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NumRange {
    pub(crate) lo: f64,
    pub(crate) lo_open: bool,
    pub(crate) hi: f64,
    pub(crate) hi_open: bool,
}

/// Addresses `lo..=hi`, both of one family (IPv4 addresses as `u32` widened to `u128`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IpRange {
    pub(crate) v6: bool,
    pub(crate) lo: u128,
    pub(crate) hi: u128,
}

/// Numbers are compared only inside this range, as AWS's comparable form allows.
pub(crate) const NUMBER_LIMIT: f64 = 5.0e9;

impl Cond {
    /// `true` if `v` satisfies this condition.
    pub(crate) fn matches(&self, v: Scalar<'_>) -> bool {
        match (self, v) {
            (Cond::Str(s), Scalar::Str(t)) => **s == *t,
            (Cond::Num(n), Scalar::Num(m)) => *n == m,
            (Cond::Bool(b), Scalar::Bool(c)) => *b == c,
            (Cond::Null, Scalar::Null) => true,
            (Cond::Ip(r), Scalar::Str(t)) => r.contains(t),
            (Cond::Prefix(p), Scalar::Str(t)) => t.starts_with(&**p),
            (Cond::PrefixNoCase(p), Scalar::Str(t)) => starts_with_no_case(t, p),
            (Cond::Suffix(p), Scalar::Str(t)) => t.ends_with(&**p),
            (Cond::SuffixNoCase(p), Scalar::Str(t)) => ends_with_no_case(t, p),
            (Cond::EqualsNoCase(p), Scalar::Str(t)) => equals_no_case(t, p),
            (Cond::Wildcard(w), Scalar::Str(t)) => w.matches(t),
            (Cond::Numeric(r), Scalar::Num(n)) => r.contains(n),
            (Cond::AnythingBut(a), v) => !a.excludes(v),
            _ => false,
        }
    }

    /// What the index can file this condition under: every value it accepts is this exact
    /// value, or is a string starting with this byte (`None` for every other operator).
    pub(crate) fn index_key(&self) -> Option<IndexKey<'_>> {
        match self {
            Cond::Str(s) => Some(IndexKey::Exact(Scalar::Str(s))),
            Cond::Num(n) => Some(IndexKey::Exact(Scalar::Num(*n))),
            Cond::Bool(b) => Some(IndexKey::Exact(Scalar::Bool(*b))),
            Cond::Null => Some(IndexKey::Exact(Scalar::Null)),
            Cond::Prefix(p) => p.as_bytes().first().map(|&b| IndexKey::FirstByte(b)),
            _ => None,
        }
    }
}

impl AnythingBut {
    fn excludes(&self, v: Scalar<'_>) -> bool {
        match (self, v) {
            (AnythingBut::Strs(list), Scalar::Str(t)) => list.iter().any(|s| **s == *t),
            (AnythingBut::Nums(list), Scalar::Num(n)) => list.contains(&n),
            (AnythingBut::Prefixes(list), Scalar::Str(t)) => {
                list.iter().any(|p| t.starts_with(&**p))
            }
            (AnythingBut::Suffixes(list), Scalar::Str(t)) => list.iter().any(|p| t.ends_with(&**p)),
            (AnythingBut::NoCase(list), Scalar::Str(t)) => {
                list.iter().any(|p| equals_no_case(t, p))
            }
            (AnythingBut::Wildcards(list), Scalar::Str(t)) => list.iter().any(|w| w.matches(t)),
            _ => false,
        }
    }
}

impl NumRange {
    fn contains(&self, n: f64) -> bool {
        // Event numbers outside the comparable range have no numeric form at AWS.
        if !(-NUMBER_LIMIT..=NUMBER_LIMIT).contains(&n) {
            return false;
        }
        let above = if self.lo_open {
            n > self.lo
        } else {
            n >= self.lo
        };
        let below = if self.hi_open {
            n < self.hi
        } else {
            n <= self.hi
        };
        above && below
    }
}

impl IpRange {
    fn contains(&self, text: &str) -> bool {
        match parse_ip(text) {
            Some(IpAddr::V4(a)) if !self.v6 => {
                (self.lo..=self.hi).contains(&u128::from(u32::from(a)))
            }
            Some(IpAddr::V6(a)) if self.v6 => (self.lo..=self.hi).contains(&u128::from(a)),
            _ => false,
        }
    }
}

/// An IP address literal, if `text` is one. Only digits-and-dots or hex-and-colons texts are
/// tried, as AWS does (so host names are never resolved and never read as addresses).
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let v4ish = text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let v6ish = text.contains(':') && text.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    if v4ish || v6ish {
        text.parse().ok()
    } else {
        None
    }
}

/// `text` lower-cased starts with `lower` (already lower-cased).
fn starts_with_no_case(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() {
        return text.len() >= lower.len()
            && text.as_bytes()[..lower.len()].eq_ignore_ascii_case(lower.as_bytes());
    }
    let mut folded = text.chars().flat_map(char::to_lowercase);
    lower.chars().all(|c| folded.next() == Some(c))
}

/// `text` lower-cased ends with `lower` (already lower-cased).
fn ends_with_no_case(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() {
        return text.len() >= lower.len()
            && text.as_bytes()[text.len() - lower.len()..].eq_ignore_ascii_case(lower.as_bytes());
    }
    let mut folded = text.chars().rev().flat_map(|c| c.to_lowercase().rev());
    lower.chars().rev().all(|c| folded.next() == Some(c))
}

/// `text` lower-cased equals `lower` (already lower-cased).
fn equals_no_case(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() {
        return text.eq_ignore_ascii_case(lower);
    }
    text.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

impl Pattern {
    /// Checks and compiles an event pattern given as JSON text.
    ///
    /// # Errors
    ///
    /// A [`PatternError`] (`InvalidEventPatternException`) with AWS's reason: text that is not
    /// JSON, a pattern that is not an object, a field that is neither an object nor an array,
    /// an empty array or object, an unknown operator or one with the wrong operand, an
    /// invalid CIDR, wildcard or numeric range, a malformed `$or`, a wildcard set too complex
    /// to match quickly.
    pub fn new(text: &str) -> Result<Pattern, PatternError> {
        let value = crate::value::parse_json(text)
            .map_err(|e| PatternError::new(e.message().to_string()))?;
        super::pattern_parse::compile(&value, text.into())
    }

    /// Checks and compiles an event pattern already parsed into a [`Value`].
    ///
    /// # Errors
    ///
    /// As [`Pattern::new`], and a document nested deeper than
    /// [`MAX_DEPTH`](crate::value::MAX_DEPTH).
    pub fn from_value(value: &Value) -> Result<Pattern, PatternError> {
        super::pattern_parse::compile(value, value.to_json().into())
    }

    /// `true` if `event` matches the pattern.
    ///
    /// An event that is not a JSON object has no fields and matches only patterns whose every
    /// field may be absent (`{"exists": false}`).
    pub fn matches(&self, event: &Value) -> bool {
        pattern_flat::with_flat(event, &self.compiled.paths, |flat| self.matches_flat(flat))
    }

    /// The pattern as it was given (JSON text).
    pub fn as_str(&self) -> &str {
        &self.compiled.source
    }

    pub(crate) fn from_compiled(compiled: Compiled) -> Pattern {
        Pattern {
            compiled: Arc::new(compiled),
        }
    }

    pub(crate) fn alternatives(&self) -> &[Alternative] {
        &self.compiled.alternatives
    }

    pub(crate) fn matches_flat(&self, flat: &mut pattern_flat::Flat) -> bool {
        self.alternatives()
            .iter()
            .any(|alt| flat.matches_alternative(alt))
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pattern")
            .field("source", &self.compiled.source)
            .field("alternatives", &self.compiled.alternatives.len())
            .finish()
    }
}

/// An event pattern that EventBridge would refuse (`InvalidEventPatternException`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// `Event pattern is not valid. Reason: <reason>`.
    message: Box<str>,
}

const MESSAGE_PREFIX: &str = "Event pattern is not valid. Reason: ";

impl PatternError {
    #[cold]
    pub(crate) fn new(reason: impl fmt::Display) -> PatternError {
        PatternError {
            message: format!("{MESSAGE_PREFIX}{reason}").into(),
        }
    }

    /// The AWS error code: `InvalidEventPatternException`.
    pub fn code(&self) -> &'static str {
        "InvalidEventPatternException"
    }

    /// AWS's message: `Event pattern is not valid. Reason: ...`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The reason alone, as AWS words it (`"Empty arrays are not allowed"`).
    pub fn reason(&self) -> &str {
        &self.message[MESSAGE_PREFIX.len()..]
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}
