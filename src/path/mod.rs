//! JSONPath paths, ResultPath writing and the `States.*` intrinsic functions.
//!
//! Every JSONPath-mode field that reads data goes through this module: `InputPath`,
//! `OutputPath`, the `.$` keys of payload templates, Choice `Variable`s, the `*Path` fields of
//! Wait, Map and Fail, and `ResultPath` on the way back. Paths and intrinsic calls are parsed
//! once, when the state machine is compiled ([`Expr::parse`]); executing one is a walk over the
//! compiled form with no parsing and, for the common definite path, no allocation.
//!
//! AWS evaluates paths with the Java library Jayway JsonPath (an old 2.x release), and the
//! module copies what that library does where AWS shows it: how `$.a.b` fails when `a` is
//! missing, the `$['a']['b']` spelling in error causes, multi-property leaves, slices that
//! quietly ignore a step, wildcards over a missing field giving `[]`. The intrinsic functions
//! copy the quirks recorded from the service (see `functions.rs`).
//!
//! Layout: [`jsonpath`] holds the compiled [`Path`] and its errors, `parse.rs` and `filter.rs`
//! its syntax, `eval.rs` the walk, `result_path.rs` the write used by ResultPath,
//! [`intrinsic`] the call syntax and `functions.rs` the eighteen functions.

mod eval;
mod filter;
mod functions;
pub mod intrinsic;
pub mod jsonpath;
mod parse;
mod render;
mod result_path;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_intrinsic;

pub(crate) use functions::digest_hex;
pub use intrinsic::{Intrinsic, IntrinsicError};
pub use jsonpath::{Path, PathError, PathRoot};
pub use result_path::{result_path_match_failure_cause, PathSetError};

use crate::value::Value;
use std::fmt;

/// Where paths read from.
///
/// `input` is what `$` means for the field being evaluated (the state input, the effective
/// result for ResultSelector, ...), `context` the Context Object (`$$`), `vars` the workflow
/// variables visible to the state (`$name`).
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The document `$` refers to.
    pub input: &'a Value,
    /// The Context Object, the document `$$` refers to.
    pub context: &'a Value,
    /// The variables `$name` refers to.
    pub vars: &'a dyn VarLookup,
}

impl<'a> Env<'a> {
    /// An environment with the given input and context and no variables.
    pub fn new(input: &'a Value, context: &'a Value) -> Env<'a> {
        Env {
            input,
            context,
            vars: &NoVars,
        }
    }
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("input", self.input)
            .field("context", self.context)
            .finish_non_exhaustive()
    }
}

/// Variable storage as paths see it.
pub trait VarLookup {
    /// The value of variable `name` (without the `$`), or `None` when it has none.
    fn var(&self, name: &str) -> Option<&Value>;
}

/// A [`VarLookup`] with no variables.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoVars;

impl VarLookup for NoVars {
    fn var(&self, _name: &str) -> Option<&Value> {
        None
    }
}

/// A `.$` value or `*Path` field, compiled once: a path or an intrinsic call.
#[derive(Clone, Debug)]
pub enum Expr {
    /// `$...`, `$$...` or `$name...`.
    Path(Path),
    /// `States.Name(...)`.
    Intrinsic(Intrinsic),
}

impl Expr {
    /// Compiles `text`: a string whose first non-blank character is `$` is a path, anything
    /// else must be an intrinsic call (ASL PT-2).
    ///
    /// # Errors
    ///
    /// The reason the text is neither a valid path nor a valid intrinsic call; the caller
    /// wraps it into AWS's "must be a valid JSONPath or a valid intrinsic function call".
    ///
    /// # Example
    ///
    /// ```
    /// use aslx::path::{Env, Expr};
    /// let input = aslx::json!({"name": "Arnav"});
    /// let ctx = aslx::json!({});
    /// let e = Expr::parse("States.Format('Hello, {}.', $.name)").unwrap();
    /// assert_eq!(e.eval(&Env::new(&input, &ctx)).unwrap(), aslx::json!("Hello, Arnav."));
    /// ```
    pub fn parse(text: &str) -> Result<Expr, String> {
        if text.trim_start().starts_with('$') {
            Path::parse(text).map(Expr::Path)
        } else {
            Intrinsic::parse(text).map(Expr::Intrinsic)
        }
    }

    /// Evaluates the path or the call.
    ///
    /// # Errors
    ///
    /// [`EvalError::Path`] when a path finds nothing (the engine raises `States.Runtime`),
    /// [`EvalError::Intrinsic`] when a call fails.
    pub fn eval(&self, env: &Env) -> Result<Value, EvalError> {
        match self {
            Expr::Path(p) => p.eval(env).map_err(EvalError::Path),
            Expr::Intrinsic(i) => i.eval(env).map_err(EvalError::Intrinsic),
        }
    }

    /// The source text.
    pub fn text(&self) -> &str {
        match self {
            Expr::Path(p) => p.text(),
            Expr::Intrinsic(i) => i.text(),
        }
    }
}

/// Why an [`Expr`] could not be evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// The path failed.
    Path(PathError),
    /// The intrinsic call failed.
    Intrinsic(IntrinsicError),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Path(e) => e.fmt(f),
            EvalError::Intrinsic(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EvalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EvalError::Path(e) => Some(e),
            EvalError::Intrinsic(e) => Some(e),
        }
    }
}
