//! Intrinsic function calls: `States.Name(arg, ...)` (ASL INT-0.*).
//!
//! A call is parsed once into a tree; arguments are literals, paths or nested calls.
//! Definition-time checks are the ones AWS makes when a state machine is created: the name
//! must be one of the eighteen functions, the argument count must fit, string literals may
//! escape only `'`, `{`, `}` and `\`, and calls nest at most ten deep. Argument types and
//! values are checked when the call runs (`functions.rs`), since paths supply most of them.
//!
//! String literals keep `\{` and `\}` apart from placeholder braces: `States.Format` reads
//! its template from the parsed pieces, so `'\{}'` is the text `{}`, not a placeholder.

use super::functions;
use super::jsonpath::{Path, PathError};
use super::Env;
use crate::value::{Str, Value};
use std::fmt;

/// Calls may nest this deep, the outermost call counting as one (AWS quota QUO-6).
pub const MAX_NESTING: usize = 10;

/// A compiled intrinsic function call.
///
/// # Example
///
/// ```
/// use aslx::path::{Env, Intrinsic};
/// let input = aslx::json!({"csv": "a,b,c"});
/// let ctx = aslx::json!({});
/// let call = Intrinsic::parse("States.ArrayLength(States.StringSplit($.csv, ','))").unwrap();
/// assert_eq!(call.name(), "States.ArrayLength");
/// assert_eq!(call.eval(&Env::new(&input, &ctx)).unwrap(), aslx::json!(3));
/// ```
#[derive(Clone)]
pub struct Intrinsic {
    text: Box<str>,
    call: Call,
}

/// One call in the tree.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) func: Func,
    pub(crate) args: Box<[Arg]>,
    /// For `States.Format` with a literal template: the template's pieces.
    pub(crate) template: Option<Template>,
}

#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Literal(Value),
    Path(Path),
    Call(Box<Call>),
}

/// A string literal's pieces, kept for `States.Format` templates.
type Template = Box<[Piece]>;

/// Part of a `States.Format` template.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Text(Str),
    Hole,
}

macro_rules! funcs {
    ($($variant:ident $name:literal $min:literal $max:expr;)*) => {
        /// The eighteen intrinsic functions.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Func { $($variant),* }

        const FUNCS: &[(Func, &str, usize, usize)] = &[$((Func::$variant, $name, $min, $max)),*];
    };
}

funcs! {
    Format "States.Format" 1 usize::MAX;
    StringToJson "States.StringToJson" 1 1;
    JsonToString "States.JsonToString" 1 1;
    Array "States.Array" 0 usize::MAX;
    ArrayPartition "States.ArrayPartition" 2 2;
    ArrayContains "States.ArrayContains" 2 2;
    ArrayRange "States.ArrayRange" 3 3;
    ArrayGetItem "States.ArrayGetItem" 2 2;
    ArrayLength "States.ArrayLength" 1 1;
    ArrayUnique "States.ArrayUnique" 1 1;
    Base64Encode "States.Base64Encode" 1 1;
    Base64Decode "States.Base64Decode" 1 1;
    Hash "States.Hash" 2 2;
    JsonMerge "States.JsonMerge" 3 3;
    MathRandom "States.MathRandom" 2 3;
    MathAdd "States.MathAdd" 2 2;
    StringSplit "States.StringSplit" 2 2;
    Uuid "States.UUID" 0 0;
}

impl Func {
    /// The function's name as written in definitions.
    pub(crate) fn name(self) -> &'static str {
        FUNCS
            .iter()
            .find(|(f, ..)| *f == self)
            .map_or("States.?", |(_, name, ..)| name)
    }
}

impl Intrinsic {
    /// Parses an intrinsic call. Blanks may surround the call and its arguments.
    ///
    /// # Errors
    ///
    /// A lower-case description of the first problem: malformed syntax, an unknown function,
    /// a wrong argument count, an invalid escape, nesting deeper than [`MAX_NESTING`].
    pub fn parse(text: &str) -> Result<Intrinsic, String> {
        let mut p = Lexer { src: text, pos: 0 };
        p.skip_ws();
        let call = p.call(1)?;
        p.skip_ws();
        if p.pos != text.len() {
            return p.fail("unexpected text after the call");
        }
        Ok(Intrinsic {
            text: text.into(),
            call,
        })
    }

    /// Runs the call.
    ///
    /// # Errors
    ///
    /// [`IntrinsicError::Path`] when a path argument finds nothing (the engine raises
    /// `States.Runtime`), [`IntrinsicError::Failure`] when an argument has the wrong type or
    /// value (`States.IntrinsicFailure`).
    pub fn eval(&self, env: &Env) -> Result<Value, IntrinsicError> {
        functions::call(&self.call, env)
    }

    /// The name of the outermost function, e.g. `States.Format`.
    pub fn name(&self) -> &'static str {
        self.call.func.name()
    }

    /// The text the call was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Intrinsic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Intrinsic").field(&self.text).finish()
    }
}

/// Why an intrinsic call failed at run time.
#[derive(Clone, Debug, PartialEq)]
pub enum IntrinsicError {
    /// The path argument `path` could not be evaluated; the engine raises `States.Runtime`.
    Path {
        /// The argument as written (`$.x`).
        path: Box<str>,
        /// Why it found nothing.
        error: PathError,
    },
    /// An argument had the wrong type or value; the engine raises `States.IntrinsicFailure`
    /// with this cause.
    Failure(String),
}

impl fmt::Display for IntrinsicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntrinsicError::Path { error, .. } => error.fmt(f),
            IntrinsicError::Failure(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for IntrinsicError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IntrinsicError::Path { error, .. } => Some(error),
            IntrinsicError::Failure(_) => None,
        }
    }
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Lexer<'s> {
    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        match self.peek() {
            Some(c) => Err(format!("{what}, found '{c}' at offset {}", self.pos)),
            None => Err(format!("{what}, found the end of the text")),
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, String> {
        if depth > MAX_NESTING {
            return Err(format!(
                "intrinsic functions nest deeper than {MAX_NESTING} levels"
            ));
        }
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(self.rest().len());
        let name = &self.rest()[..len];
        let Some(&(func, _, min, max)) = FUNCS.iter().find(|(_, n, ..)| *n == name) else {
            return if name.is_empty() {
                self.fail("expected an intrinsic function call")
            } else {
                Err(format!("unknown intrinsic function {name}"))
            };
        };
        self.pos += len;
        self.skip_ws();
        if self.peek() != Some('(') {
            return self.fail(&format!("expected '(' after {name}"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        let mut template = None;
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let (arg, pieces) = self.arg(depth)?;
                if args.is_empty() && func == Func::Format {
                    template = pieces;
                }
                args.push(arg);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return self.fail("expected ',' or ')'"),
                }
            }
        }
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(format!(
                "{name} takes {expected} argument(s), found {}",
                args.len()
            ));
        }
        Ok(Call {
            func,
            args: args.into_boxed_slice(),
            template,
        })
    }

    /// One argument; string literals also return their template pieces.
    fn arg(&mut self, depth: usize) -> Result<(Arg, Option<Template>), String> {
        match self.peek() {
            Some('\'') => {
                let pieces = self.string()?;
                let mut text = String::new();
                for p in pieces.iter() {
                    match p {
                        Piece::Text(t) => text.push_str(t),
                        Piece::Hole => text.push_str("{}"),
                    }
                }
                Ok((Arg::Literal(Value::from(text)), Some(pieces)))
            }
            Some('$') => {
                let len = path_extent(self.rest());
                let path = Path::parse(&self.rest()[..len])?;
                self.pos += len;
                Ok((Arg::Path(path), None))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => Ok((Arg::Literal(self.number()?), None)),
            Some('S') => Ok((Arg::Call(Box::new(self.call(depth + 1)?)), None)),
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.rest().starts_with(word)
                        && !self.rest()[word.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_')
                    {
                        self.pos += word.len();
                        return Ok((Arg::Literal(v), None));
                    }
                }
                self.fail("expected a string, a number, true, false, null, a path or a call")
            }
        }
    }

    /// A `'...'` literal: `\'`, `\{`, `\}` and `\\` are the only escapes (ASL INT-0.3).
    fn string(&mut self) -> Result<Template, String> {
        self.pos += 1; // opening quote
        let mut pieces = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.fail("missing closing '");
            };
            self.pos += c.len_utf8();
            match c {
                '\'' => break,
                '\\' => match self.peek() {
                    Some(e @ ('\'' | '{' | '}' | '\\')) => {
                        text.push(e);
                        self.pos += 1;
                    }
                    _ => {
                        return self.fail(
                            "a backslash may only escape ', {, } or \\ in an intrinsic string",
                        )
                    }
                },
                '{' if self.peek() == Some('}') => {
                    self.pos += 1;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text).into()));
                    }
                    pieces.push(Piece::Hole);
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.into()));
        }
        Ok(pieces.into_boxed_slice())
    }

    fn number(&mut self) -> Result<Value, String> {
        let rest = self.rest();
        let b = rest.as_bytes();
        let mut i = usize::from(b.first() == Some(&b'-'));
        let digits = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > start
        };
        if !digits(&mut i) {
            return self.fail("expected a number");
        }
        let mut integral = true;
        if b.get(i) == Some(&b'.') {
            i += 1;
            integral = false;
            if !digits(&mut i) {
                return self.fail("expected digits after '.'");
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            integral = false;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return self.fail("expected digits in the exponent");
            }
        }
        let text = &rest[..i];
        let value = match text.parse::<i64>() {
            Ok(n) if integral => Value::Int(n),
            _ => match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Value::Float(f),
                _ => return self.fail("number out of range"),
            },
        };
        self.pos += i;
        Ok(value)
    }
}

/// Length of the path at the start of `s`: up to a `,`, `)` or blank outside brackets and
/// parentheses (a filter or index list may hold any of them), honouring quotes inside
/// brackets and backslash escapes.
fn path_extent(s: &str) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            q if quote == Some(q) => quote = None,
            _ if quote.is_some() => {}
            '\'' | '"' if depth > 0 => quote = Some(c),
            '[' | '(' => depth += 1,
            ']' | ')' if depth > 0 => depth -= 1,
            ',' | ')' if depth == 0 => return i,
            c if c.is_whitespace() && depth == 0 => return i,
            _ => {}
        }
    }
    s.len()
}
