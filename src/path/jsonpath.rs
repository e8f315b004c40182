//! The compiled JSONPath: segments, what kind of result they give, and their errors.
//!
//! A [`Path`] is parsed once (`parse.rs`) into a flat list of `Segment`s. Most paths in
//! state machines are *reference* paths (`$.a.b[0]`): only names and single indexes. Those
//! are walked in a loop that borrows from the document and allocates nothing unless it fails
//! (`eval.rs`). Everything else (wildcards, slices, unions, filters, deep scan) collects its
//! matches into an array.

use super::{eval, filter::Filter, parse, Env};
use crate::value::{Str, Value};
use std::borrow::Cow;
use std::fmt;

/// A compiled JSONPath (ASL PATH-1..4).
///
/// # Example
///
/// ```
/// use aslx::path::{Env, Path};
/// let input = aslx::json!({"a": [{"b": 1}, {"b": 2}]});
/// let ctx = aslx::json!({});
/// let env = Env::new(&input, &ctx);
/// assert_eq!(Path::parse("$.a[1].b").unwrap().eval(&env).unwrap(), aslx::json!(2));
/// assert_eq!(Path::parse("$.a[*].b").unwrap().eval(&env).unwrap(), aslx::json!([1, 2]));
/// ```
#[derive(Clone)]
pub struct Path {
    text: Box<str>,
    root: PathRoot,
    segments: Box<[Segment]>,
    shape: Shape,
}

/// The document a path starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathRoot {
    /// `$`: the input of the field being evaluated.
    Input,
    /// `$$`: the Context Object.
    Context,
    /// `$name`: a workflow variable.
    Variable(Str),
}

/// One step of a path.
#[derive(Clone, Debug)]
pub(crate) enum Segment {
    /// `.name`, `['name']`
    Key(Str),
    /// `[n]`, negative counts from the end.
    Index(i32),
    /// `['a','b']`: an object of those members; Jayway allows it only as the last step.
    Keys(Box<[Str]>),
    /// `[0,2]`
    Indexes(Box<[i32]>),
    /// `[a:b]`, `[a:]`, `[:b]`
    Slice(Slice),
    /// `.*`, `[*]`
    Wildcard,
    /// `..`: the next segment applies at every depth.
    Scan,
    /// `[?(...)]`
    Filter(Box<Filter>),
    /// `.name()`: a JsonPath function, which AWS does not support.
    Function(Str),
}

/// Bounds of a slice. Jayway reads no step: `[1:5:2]` is `[1:5]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slice {
    pub(crate) from: Option<i32>,
    pub(crate) to: Option<i32>,
}

/// What a list of segments can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Only `Key` and `Index`: one node or an error.
    Reference,
    /// Names and indexes, then one `Keys`: one object built from the named members.
    MultiLeaf,
    /// Anything else: an array of every match.
    Indefinite,
}

impl Shape {
    pub(crate) fn of(segments: &[Segment]) -> Shape {
        let simple = |s: &Segment| matches!(s, Segment::Key(_) | Segment::Index(_));
        match segments.split_last() {
            None => Shape::Reference,
            Some((Segment::Keys(_), rest)) if rest.iter().all(simple) => Shape::MultiLeaf,
            _ if segments.iter().all(simple) => Shape::Reference,
            _ => Shape::Indefinite,
        }
    }
}

impl Path {
    /// Parses a path: `$` (input), `$$` (Context Object) or `$name` (variable), followed by
    /// Jayway JsonPath segments. Surrounding blanks are ignored, as Jayway does.
    ///
    /// # Errors
    ///
    /// A lower-case description of the first syntax error.
    pub fn parse(text: &str) -> Result<Path, String> {
        let (root, segments) = parse::parse_path(text)?;
        let shape = Shape::of(&segments);
        Ok(Path {
            text: text.into(),
            root,
            segments: segments.into_boxed_slice(),
            shape,
        })
    }

    /// The text the path was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The document the path starts from.
    pub fn root(&self) -> PathRoot {
        self.root.clone()
    }

    /// The variable name for `$name...` paths.
    pub fn variable_name(&self) -> Option<&str> {
        match &self.root {
            PathRoot::Variable(name) => Some(name),
            _ => None,
        }
    }

    /// `true` when the path selects at most one node, so that it yields that node rather
    /// than an array: no wildcard, slice, union of indexes, filter, deep scan or function.
    /// A trailing `['a','b']` is definite (it yields one object), as in Jayway.
    pub fn is_definite(&self) -> bool {
        self.shape != Shape::Indefinite
    }

    /// `true` when what the path selects, written as JSON, is never longer than the document
    /// it selects from (plus the 2 bytes of the array an indefinite path makes): each node is
    /// selected at most once and none inside another. Not so for a deep scan (`$..a` selects
    /// nodes inside nodes it also selects, and `$..*` every node at every depth: issue 18, a
    /// 2.4 KB input grew to 64 MB through a few states), a union of indexes (`[0,0,-1]` can
    /// select one element many times) or a function.
    pub fn within_document(&self) -> bool {
        self.segments.iter().enumerate().all(|(i, s)| match s {
            Segment::Key(_)
            | Segment::Index(_)
            | Segment::Slice(_)
            | Segment::Wildcard
            | Segment::Filter(_) => true,
            // An object of distinct members, as the last step.
            Segment::Keys(_) => i + 1 == self.segments.len(),
            Segment::Indexes(_) | Segment::Scan | Segment::Function(_) => false,
        })
    }

    /// `true` for a Reference Path (ASL PATH-4): only names and single indexes.
    pub fn is_reference(&self) -> bool {
        self.shape == Shape::Reference
    }

    /// `true` for the bare root (`$`, `$$`, `$name`).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    fn document<'a>(&self, env: &Env<'a>) -> Result<&'a Value, PathError> {
        match &self.root {
            PathRoot::Input => Ok(env.input),
            PathRoot::Context => Ok(env.context),
            PathRoot::Variable(name) => env
                .vars
                .var(name)
                .ok_or_else(|| PathError::UndefinedVariable(name.clone())),
        }
    }

    /// Evaluates the path. A definite path gives its node (a cheap clone), an indefinite one
    /// an array of every match in document order, `[]` when nothing matches.
    ///
    /// # Errors
    ///
    /// A definite path that finds nothing fails the way Jayway does (ASL PATH-5), see
    /// [`PathError`]; a variable without a value is [`PathError::UndefinedVariable`].
    pub fn eval(&self, env: &Env) -> Result<Value, PathError> {
        self.eval_ref(env).map(Cow::into_owned)
    }

    /// As [`Path::eval`], borrowing the node from the environment when the path is definite.
    ///
    /// # Errors
    ///
    /// As [`Path::eval`].
    pub fn eval_ref<'a>(&self, env: &Env<'a>) -> Result<Cow<'a, Value>, PathError> {
        let doc = self.document(env)?;
        eval::evaluate(&self.segments, self.shape, doc, doc)
    }

    /// Writes `value` where this path points in `target`, for ResultPath (ASL IO-6).
    ///
    /// `$` replaces the whole target; missing objects on the way are created; an existing
    /// member keeps its position; an existing array element may be replaced. On error the
    /// target is left as it was.
    ///
    /// # Errors
    ///
    /// [`super::PathSetError`] when the target cannot hold the path (an intermediate is not an
    /// object, an index is out of range) or the path is not a `$`-rooted reference path; the
    /// engine raises `States.ResultPathMatchFailure`.
    pub fn set(&self, target: &mut Value, value: Value) -> Result<(), super::PathSetError> {
        super::result_path::set(self, target, value)
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Path").field(&self.text).finish()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a path could not be evaluated.
///
/// `Display` gives Jayway's message; for `InputPath`/`OutputPath`/`*Path` fields AWS reports
/// `Invalid path '<path>' : <message>` ([`PathError::invalid_path_cause`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// A definite path selected nothing: its last name is missing, or an index is past the
    /// end. `at` is the Jayway spelling of the path (`$['a']['b']`, `$['a'][3]`): up to the
    /// missing name, or the whole path for an index (Jayway reports the path it was given).
    NotFound {
        /// The path as Jayway prints it.
        at: String,
    },
    /// A name before the last step is missing (`$.a.b` with no `a`): "Missing property in
    /// path $['a']".
    MissingProperty {
        /// The path up to and including the missing name.
        at: String,
    },
    /// A step met the wrong kind of node (`$.a.b` where `a` is a string, `$.a[0]` where `a`
    /// is an object or null); the message is Jayway's.
    WrongType {
        /// Jayway's message.
        message: String,
    },
    /// The path cannot be evaluated at all: a JsonPath function, a multi-name step that is
    /// not the last, a filter applied to a scalar.
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// `$name` names a variable that has no value (ASL VAR-9).
    UndefinedVariable(Str),
}

impl PathError {
    /// `true` when the data lacks what the path names (as opposed to an unusable path):
    /// what Choice `IsPresent` treats as "not present".
    pub fn is_missing(&self) -> bool {
        matches!(
            self,
            PathError::NotFound { .. }
                | PathError::MissingProperty { .. }
                | PathError::WrongType { .. }
        )
    }

    /// AWS's cause for a failing `InputPath`, `OutputPath` or `*Path` field (ASL PATH-5),
    /// without the "An error occurred while executing the state ..." prefix.
    pub fn invalid_path_cause(&self, path_text: &str) -> String {
        format!("Invalid path '{path_text}' : {self}")
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::NotFound { at } => write!(f, "No results for path: {at}"),
            PathError::MissingProperty { at } => write!(f, "Missing property in path {at}"),
            PathError::WrongType { message } | PathError::Invalid { message } => {
                f.write_str(message)
            }
            PathError::UndefinedVariable(name) => {
                write!(f, "The variable '${name}' is not defined")
            }
        }
    }
}

impl std::error::Error for PathError {}
