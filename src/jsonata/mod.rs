//! JSONata, as AWS Step Functions runs it (`QueryLanguage: "JSONata"`, ASL §10, QL-*, JA-*).
//!
//! An [`Expression`] is compiled once, when the machine is created, and evaluated against the
//! crate's own [`Value`]s: an optional input document, `$states` and the machine's variables,
//! which a [`Bindings`] implementation hands over by name, only when the expression reads them.
//!
//! ```
//! use aslx::jsonata::{parse_template_string, Expression, StatesBindings};
//! use aslx::json;
//!
//! let field = "{% $sum($states.input.items.price) * (1 + $tax) %}";
//! let expr = Expression::compile(parse_template_string(field).unwrap()).unwrap();
//! let input = json!({"items": [{"price": 10}, {"price": 5}]});
//! let vars = aslx::Map::from_iter([("tax".into(), json!(0.2))]);
//! let bindings = StatesBindings { input: Some(&input), variables: Some(&vars), ..Default::default() };
//! assert_eq!(expr.evaluate(None, &bindings).unwrap(), Some(json!(18)));
//! ```
//!
//! ## Semantics
//!
//! JSONata 2.0.6 (the release AWS runs), with what AWS changed (JA-2, JA-3):
//! - `$eval` is not available: an expression that calls it is rejected at compile time (`T1006`).
//! - The operators added after 2.0.6, `??` and `?:`, are rejected at compile time with the error
//!   2.0.6 gives (`S0211`, "The symbol ? cannot be used as a unary operator").
//! - AWS's functions `$partition`, `$range`, `$hash`, `$random`, `$uuid` and `$parse` are
//!   provided (see the `aws` module source for what AWS recorded about each).
//!
//! A field value with expressions inside it (`Arguments`, `Output`, `Assign`) compiles to a
//! [`Template`], whose errors name the failing expression's location (`Output/result`).
//!
//! Errors carry JSONata's code and message ([`JsonataError`]); [`JsonataError::aws_cause`] and
//! the other `*_cause` functions write the text AWS puts in a `States.QueryEvaluationError`
//! cause after the "An error occurred while executing the state ..." prefix.
//!
//! ## Limits
//!
//! Every evaluation runs under [`Limits`]: a depth limit (non-tail recursion, `D1011`), a step
//! budget (`U1006`) and a wall-clock timeout (`D1012`), so an expression that loops or recurses
//! without end fails instead of hanging. The engine grows its stack on demand (`stacker`), and
//! the conversions here do too, so deeply nested input (1,000 levels) cannot overflow a thread's
//! stack.
//!
//! ### Hostile expressions (issue 18)
//!
//! The limits hold inside built-in functions too: the engine is `jlens-core` with the patches
//! of `vendor/jlens-core/PATCHES.md`, which charge a built-in's work to the step budget (an
//! item or field of its arguments per step, a comparison of `$distinct` per step, n·log n for
//! `$sort`, a step per 64 bytes concatenated) and make `$distinct` and `$keys` linear where
//! they were quadratic. An evaluation runs first on its caller's thread with a budget of a
//! few thousand steps; one that needs more runs again off the async worker
//! (`tokio::task::block_in_place`, at most one per core at a time), where its execution's
//! deadline and StopExecution end it within milliseconds ([`Interrupt`],
//! [`ErrorKind::Interrupted`]): the execution then ends `TIMED_OUT` or `ABORTED`, not with a
//! `States.QueryEvaluationError`. Past the step budget or the timeout, the evaluation fails
//! with `States.QueryEvaluationError` and the engine's code (`U1006`, `D1012`) in the cause:
//! AWS's JSONata (jsonata-js) documents no limit of its own, so no AWS wording exists to copy.
//!
//! ### Regular expressions
//!
//! JSONata's regexes (`/.../`, in `$match`, `$replace`, `$split`, `$contains`) are JavaScript
//! regexes, run by `jlens-regress`, a backtracking engine with JavaScript's semantics:
//! backreferences, lookahead and lookbehind, lazy quantifiers and UTF-16 positions behave as in
//! jsonata-js. A backtracking engine can take exponential time (`/(a+)+b/` against
//! `aaaa…c`); here its backtracker polls the step budget, the timeout and the interrupt every
//! 1,024 steps, so such a match is stopped like any other long evaluation (and off the async
//! worker). Moving to a linear-time engine (the `regex` crate) was considered and not done:
//! it has no backreferences or lookaround (`regex` rejects them), matches Unicode scalar values
//! where JavaScript matches UTF-16 units (so `start`/`end` offsets and `.` over astral
//! characters differ), and spells some classes differently (`\d` is Unicode digits in `regex`,
//! ASCII in JavaScript), so expressions that run on AWS would be rejected or answer
//! differently.
//!
//! ## Why an engine crate, and which
//!
//! The engine is the `jlens-core` crate (MIT), pinned exactly. The choice was measured on the
//! JSONata 2.0.6 reference suite (`../shared/jsonata`, 1,613 cases, 2 of them not applicable in
//! Rust: lone UTF-16 surrogates), release build, this machine (2 shared cores):
//!
//! | engine | suite passed | suite time | eval `$sum(Account.Order.Product.(Price * Quantity))` | compile it |
//! |---|---:|---:|---:|---:|
//! | `jlens-core` 0.26.0 | 1,609 / 1,611 | 2.9 s | 3.4 µs (JSON input read lazily) | 3.2 µs |
//! | `jsonata-core` 2.2.13 | 1,609 / 1,611 | 3.7 s | 3.0 µs, 9.8 µs with the conversion to its `JValue` | 3.5 µs |
//!
//! Both miss one case each besides the `limits` case below (`jlens-core`: `$string(1/0)` gives
//! `D1001` where 2.0.6 gives `D3001`; `jsonata-core`: an unterminated comment). Both accept the
//! post-2.0.6 operators and keep `$eval`, so both need the checks above. `jlens-core` was chosen
//! for what it offers around the evaluator, which decides the cost of crossing from our `Value`:
//! - an input read lazily from any representation (`input::Source`): our `Value` is read in
//!   place, one level at a time, only where the expression goes; and a result written straight
//!   into our `Value` (`output::Builder`): no intermediate `serde_json` tree for either;
//! - a static analysis of what an expression can read of each variable (`reads`): only those
//!   parts of `$states` and of the variables are converted, per evaluation;
//! - a compiled expression that is `Send + Sync` behind an `Arc`, errors with JSONata's codes as
//!   data, host functions with JSONata signatures, and depth, step and time limits.
//!
//! `jsonata-core`'s values are `Rc`-based and its bindings are converted whole for every
//! evaluation (the 6.8 µs above for a 0.9 kB document). Writing a JSONata 2.0.6 engine in the
//! project (parser, evaluator, ~70 functions with XPath picture formatting) would be several
//! thousand lines for the same pass count.
//!
//! With `jlens-core` behind this module the suite runs 1,610 of the 1,611 applicable cases
//! (`tests/jsonata_suite.rs`; the one left is `$string(1/0)`, see its known-failures list).
//!
//! ## Cost of crossing to the engine
//!
//! `cargo bench --bench jsonata` (criterion, bench profile, 2 shared cores under load, so ±30%):
//!
//! | `jsonata/...` | what | time |
//! |---|---|---:|
//! | `compile/account` | compile the `$sum` expression above | 4.7 µs |
//! | `eval_input/account` | evaluate it, the Account document as input (read in place) | 3.1 µs |
//! | `eval_states/account` | the same over `$states.input` (cut, converted to JSON) | 4.6 µs |
//! | `states_field/1000` | `$states.input.meta.id`, 1,000-item input | 0.04 µs |
//! | `states_whole/10`, `/1000` | `$states.input`, 10 / 1,000 items | 0.5 µs / 71 µs |
//! | `input_whole/10`, `/1000` | `$`, 10 / 1,000 items, through the engine | 8.8 µs / 1.4 ms |
//!
//! A plain path over a binding (`$states.input`, `$states.input.meta.id`, `$var.a`), the most
//! common field expression, does not go through the engine: its value is the binding's own,
//! shared, after a scan that normalises numbers as the engine would (`1.0` → `1`). Through the
//! engine, `$states.input` of 1,000 items cost 0.64 ms (our `Value` → JSON → engine → our
//! `Value`); `input_whole` shows what a whole document costs there.

mod aws;
mod convert;
mod offload;
mod template;

pub use template::{Template, TemplateError, TemplateFailure};

use crate::value::{Map, Value};
use jlens_core::ast::{Node, NodeKind};
use jlens_core::reads::Read;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::{Duration, Instant};

/// Where an expression finds `$states` and the machine's variables.
///
/// Looked up by name, and only for the names the expression can read: a machine's other
/// variables are never touched.
pub trait Bindings {
    /// A member of `$states`: `"input"`, `"result"`, `"errorOutput"` or `"context"`.
    fn state(&self, field: &str) -> Option<&Value>;
    /// The variable `$name` (`name` without the `$`).
    fn variable(&self, name: &str) -> Option<&Value>;
    /// What can stop the evaluation from outside (its execution's deadline and stop request);
    /// `None`, the default: nothing but its own [`Limits`]. Asked only of an evaluation that
    /// outgrows its first few thousand steps.
    fn interrupt(&self) -> Option<Arc<dyn Interrupt>> {
        None
    }
}

/// What stops a long evaluation before its own [`Limits`] do: the deadline and the stop
/// request of the execution it belongs to. The evaluation then fails with an error of kind
/// [`ErrorKind::Interrupted`] (code `D1012` past the deadline, `U1003` once stopped) within
/// a few milliseconds.
pub trait Interrupt: Send + Sync {
    /// When the evaluation must end, if ever.
    fn deadline(&self) -> Option<Instant>;
    /// Whether the evaluation must end now; read often, so it must be cheap (an atomic load).
    fn stopped(&self) -> bool;
}

/// No `$states` and no variables.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBindings;

impl Bindings for NoBindings {
    fn state(&self, _: &str) -> Option<&Value> {
        None
    }
    fn variable(&self, _: &str) -> Option<&Value> {
        None
    }
}

/// A [`Bindings`] from borrowed parts: the members of `$states` and a map of variables.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatesBindings<'a> {
    /// `$states.input`
    pub input: Option<&'a Value>,
    /// `$states.result`
    pub result: Option<&'a Value>,
    /// `$states.errorOutput`
    pub error_output: Option<&'a Value>,
    /// `$states.context`
    pub context: Option<&'a Value>,
    /// The variables, by name without `$`.
    pub variables: Option<&'a Map>,
}

impl Bindings for StatesBindings<'_> {
    fn state(&self, field: &str) -> Option<&Value> {
        match field {
            "input" => self.input,
            "result" => self.result,
            "errorOutput" => self.error_output,
            "context" => self.context,
            _ => None,
        }
    }
    fn variable(&self, name: &str) -> Option<&Value> {
        self.variables.and_then(|m| m.get(name))
    }
}

/// The members of `$states`, in the order the object lists them.
const STATES_FIELDS: [&str; 4] = ["input", "result", "errorOutput", "context"];

/// Guards on one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum evaluation depth, in the engine's units (about three per level of non-tail
    /// recursion, the unit of jsonata-js); `D1011` past it.
    pub max_depth: usize,
    /// Maximum number of evaluation steps (nodes evaluated, functions called); `U1006` past it.
    pub max_steps: Option<u64>,
    /// Maximum wall-clock time; `D1012` past it.
    pub timeout: Option<Duration>,
}

impl Default for Limits {
    /// Depth 10,000 (about 3,000 nested calls), 50 million steps, 10 seconds.
    fn default() -> Limits {
        Limits {
            max_depth: 10_000,
            max_steps: Some(50_000_000),
            timeout: Some(Duration::from_secs(10)),
        }
    }
}

/// What kind of failure a [`JsonataError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The expression does not compile (codes `S0xxx`, and the AWS restrictions).
    Syntax,
    /// The evaluation failed (type errors, `$error()`, a limit, ...).
    Evaluation,
    /// The evaluation produced a function, which is not JSON (JA-11).
    UnsupportedResult,
    /// The evaluation was stopped from outside ([`Interrupt`]): its execution's deadline
    /// passed (code `D1012`) or the execution was stopped (`U1003`). Not the expression's
    /// failure: the execution ends as its deadline or its stop says.
    Interrupted,
}

/// A JSONata error: its code (`T2001`, `D3030`, ...), message and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError(Box<ErrorInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorInner {
    kind: ErrorKind,
    code: String,
    message: String,
    position: Option<usize>,
}

impl JsonataError {
    fn new(kind: ErrorKind, code: &str, message: String, position: Option<usize>) -> JsonataError {
        JsonataError(Box::new(ErrorInner {
            kind,
            code: code.to_string(),
            message,
            position,
        }))
    }

    fn from_engine(kind: ErrorKind, e: &jlens_core::Error) -> JsonataError {
        JsonataError::new(kind, e.code(), e.message(), e.position())
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// JSONata's error code, such as `T2001` (empty for [`ErrorKind::UnsupportedResult`]).
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// JSONata's message for the code, such as "Attempted to invoke a non-function".
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Where in the expression the error was found, in UTF-16 code units as jsonata-js counts
    /// (usually just after the offending token).
    pub fn position(&self) -> Option<usize> {
        self.0.position
    }

    /// What AWS writes in a `States.QueryEvaluationError` cause for this error of the expression
    /// `expr` (the text between `{%` and `%}`, trimmed) in the field `location` (`Output/result`,
    /// `Arguments`, `Items`, ...), after the "An error occurred while executing the state ..."
    /// prefix:
    ///
    /// ```
    /// # use aslx::jsonata::{Expression, NoBindings};
    /// let e = Expression::compile("$f(1)").unwrap().evaluate(None, &NoBindings).unwrap_err();
    /// assert_eq!(
    ///     e.aws_cause("$f(1)", "Output/x"),
    ///     "The JSONata expression '$f(1)' specified for the field 'Output/x' threw an error \
    ///      during evaluation. T1006: Attempted to invoke a non-function"
    /// );
    /// ```
    pub fn aws_cause(&self, expr: &str, location: &str) -> String {
        match self.0.kind {
            ErrorKind::UnsupportedResult => unsupported_cause(expr, location),
            _ => format!(
                "The JSONata expression '{expr}' specified for the field '{location}' threw an \
                 error during evaluation. {}: {}",
                self.0.code, self.0.message
            ),
        }
    }
}

impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.kind {
            ErrorKind::UnsupportedResult => f.write_str(&self.0.message)?,
            _ => write!(f, "{}: {}", self.0.code, self.0.message)?,
        }
        if let (ErrorKind::Syntax, Some(p)) = (self.0.kind, self.0.position) {
            write!(f, " (at position {p})")?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonataError {}

/// AWS's cause (after the state prefix) when `expr` in `location` evaluated to nothing.
pub fn undefined_cause(expr: &str, location: &str) -> String {
    format!(
        "The JSONata expression '{expr}' specified for the field '{location}' returned nothing \
         (undefined)."
    )
}

/// AWS's cause (after the state prefix) when `expr` in `location` gave a function (JA-11).
pub fn unsupported_cause(expr: &str, location: &str) -> String {
    format!(
        "The JSONata expression '{expr}' specified for the field '{location}' returned an \
         unsupported result type."
    )
}

/// AWS's cause (after the state prefix) when `expr` in `location` gave `value`, which is not of
/// the `expected` JSON type (`"array"`, `"string"`, ... as [`Value::type_name`] spells them).
pub fn unexpected_type_cause(expr: &str, location: &str, expected: &str, value: &Value) -> String {
    format!(
        "The JSONata expression '{expr}' specified for the field '{location}' returned an \
         unexpected result type. Expected '{expected}', but was '{}' for value: {}",
        value.type_name(),
        value.to_json()
    )
}

/// The expression of a field value written `{% expression %}` (JA-1), trimmed, or `None` when
/// the string is a literal.
///
/// The string must begin with `{%` and end with `%}` exactly: AWS takes `" {% x %} "` (with
/// whitespace outside the delimiters) as a literal string. Whitespace inside is free. The
/// expression may be empty or invalid: compiling it says so.
///
/// ```
/// use aslx::jsonata::parse_template_string;
/// assert_eq!(parse_template_string("{% $states.input %}"), Some("$states.input"));
/// assert_eq!(parse_template_string("{%1%}"), Some("1"));
/// assert_eq!(parse_template_string(" {% $x %} "), None);
/// assert_eq!(parse_template_string("{%}"), None);
/// ```
pub fn parse_template_string(s: &str) -> Option<&str> {
    if s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}") {
        Some(s[2..s.len() - 2].trim())
    } else {
        None
    }
}

/// The AWS functions, shared by every evaluation (host functions live behind an `Arc`).
static AWS_FUNCTIONS: LazyLock<jlens_core::Bindings> = LazyLock::new(|| {
    aws::functions()
        .into_iter()
        .fold(jlens_core::Bindings::new(), |b, (name, f)| {
            b.function(name, f)
        })
});

/// A compiled JSONata expression: compile once, evaluate many times, from any thread.
///
/// Cloning is a reference-count bump.
#[derive(Clone)]
pub struct Expression {
    inner: Arc<Compiled>,
}

struct Compiled {
    source: String,
    engine: jlens_core::Expression,
    /// `$name.field.field...` with plain steps: read straight from the bindings when every step
    /// lands on an object (see [`Compiled::direct`]).
    direct: Option<(String, Vec<String>)>,
    /// Variables to hand over, each with what the expression can read of it (`None`: whole).
    reads: Vec<(String, Option<Read>)>,
    /// `$type((source))`, compiled on first need: tells a function result from undefined.
    probe: OnceLock<Option<Box<Compiled>>>,
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expression")
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

impl Expression {
    /// Compiles `source`, an expression without its `{% %}` delimiters.
    ///
    /// Fails with JSONata's syntax errors (`S0xxx`, with a position), and for what AWS does not
    /// run: the operators `??` and `?:` (`S0211`, as JSONata 2.0.6) and calls to `$eval`
    /// (`T1006`).
    pub fn compile(source: &str) -> Result<Expression, JsonataError> {
        Ok(Expression {
            inner: Arc::new(Compiled::new(source)?),
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// Whether an evaluation can read the member `field` of `$states` (`"input"`, `"context"`,
    /// ...): callers build costly bindings, such as the Context object, only when this says so.
    /// Conservative: an expression that reads `$states` whole reads every member.
    pub fn reads_state(&self, field: &str) -> bool {
        self.inner.reads.iter().any(|(name, read)| {
            name == "states"
                && read
                    .as_ref()
                    .and_then(Read::fields)
                    .is_none_or(|fields| fields.contains_key(field))
        })
    }

    /// Evaluates against `input` (`None`: no input document, JSONata's *undefined*; Step
    /// Functions gives none, JA-4) and `bindings`, under the default [`Limits`].
    ///
    /// `Ok(None)` is JSONata's *undefined*. A function result is an error of kind
    /// [`ErrorKind::UnsupportedResult`].
    pub fn evaluate(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
    ) -> Result<Option<Value>, JsonataError> {
        self.evaluate_with(input, bindings, &Limits::default())
    }

    /// [`evaluate`](Expression::evaluate) under explicit `limits`.
    pub fn evaluate_with(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
        limits: &Limits,
    ) -> Result<Option<Value>, JsonataError> {
        if let Some(v) = self.inner.direct(bindings) {
            return Ok(Some(v));
        }
        let result = self.inner.run(input, bindings, limits)?;
        if result.is_some() {
            return Ok(result);
        }
        // Undefined or a function (the engine writes both as nothing): ask `$type`. This costs a
        // second evaluation, only on a path that is an error for every Step Functions field.
        let probe = self.inner.probe.get_or_init(|| {
            Compiled::new(&format!("$type((\n{}\n))", self.inner.source))
                .ok()
                .map(Box::new)
        });
        if let Some(probe) = probe {
            if let Ok(Some(Value::String(t))) = probe.run(input, bindings, limits) {
                if &*t == "function" {
                    return Err(JsonataError::new(
                        ErrorKind::UnsupportedResult,
                        "",
                        "The expression returned a function, which is not JSON".into(),
                        None,
                    ));
                }
            }
        }
        Ok(None)
    }
}

impl Compiled {
    fn new(source: &str) -> Result<Compiled, JsonataError> {
        let engine = jlens_core::Expression::compile(source)
            .map_err(|e| JsonataError::from_engine(ErrorKind::Syntax, &e))?;
        check_aws_restrictions(source, &engine.ast().root)?;
        let analysis = engine.reads_with(&AWS_FUNCTIONS);
        let mut reads: Vec<(String, Option<Read>)> = analysis
            .bindings()
            .iter()
            .map(|(name, read)| {
                let read = (!read.is_whole()).then(|| read.clone());
                (name.clone(), read)
            })
            .collect();
        // The analysis takes a name that is a built-in function's (`$count`, `$random`) as the
        // built-in, but a variable of that name hides the built-in: hand such names over whole.
        let mut free = BTreeSet::new();
        engine.ast().root.walk(&mut |n| {
            if let NodeKind::Variable { name } = &n.kind {
                free.insert(name.clone());
            }
        });
        for name in free {
            if !name.is_empty() && !reads.iter().any(|(n, _)| *n == name) {
                reads.push((name, None));
            }
        }
        Ok(Compiled {
            source: source.to_string(),
            direct: direct_path(&engine.ast().root),
            engine,
            reads,
            probe: OnceLock::new(),
        })
    }

    /// The same expression handing every variable it names over whole (tests compare it with
    /// the cut bindings).
    #[cfg(test)]
    fn uncut(source: &str) -> Compiled {
        let mut c = Compiled::new(source).expect(source);
        for (_, read) in &mut c.reads {
            *read = None;
        }
        c
    }

    /// PERF: the value of a plain path (`$states.input`, `$var.a.b`), the most common field
    /// expression, without the engine: the bindings' own value (a reference-count bump) instead
    /// of converting it there and back, which costs 0.6 ms for a 1,000-item input. `None` (use
    /// the engine) when the path is not plain, a binding is missing, or a step does not land on
    /// an object (the engine maps over arrays). The result is what the engine gives: numbers
    /// are normalised as its `f64`s would be ([`normalized`]); `direct_path_equals_engine`
    /// tests it.
    fn direct(&self, bindings: &dyn Bindings) -> Option<Value> {
        let (var, fields) = self.direct.as_ref()?;
        let mut fields = fields.iter();
        let mut value = if var == "states" {
            bindings.state(fields.next()?)?
        } else {
            bindings.variable(var)?
        };
        for f in fields {
            value = value.as_object()?.get(f)?;
        }
        Some(normalized(value))
    }

    /// Evaluates under `limits`: first on this thread with a small step budget, then, when the
    /// expression needs more, again off the async worker under the whole of `limits` and the
    /// bindings' [`Interrupt`] (see the `offload` module).
    fn run(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
        limits: &Limits,
    ) -> Result<Option<Value>, JsonataError> {
        let Some(probe) = offload::probe_limits(limits) else {
            return self.run_once(input, bindings, limits, bindings.interrupt());
        };
        match self.run_once(input, bindings, &probe, None) {
            Err(e) if e.code() == "U1006" => {}
            done => return done,
        }
        let interrupt = bindings.interrupt();
        if !offload::can_offload() {
            return self.run_once(input, bindings, limits, interrupt);
        }
        let deadline = interrupt.as_ref().and_then(|i| i.deadline());
        let stopped = || interrupt.as_ref().is_some_and(|i| i.stopped());
        offload::run_heavy(deadline, &stopped, || {
            self.run_once(input, bindings, limits, interrupt.clone())
        })
        .unwrap_or_else(|| Err(interrupted(stopped())))
    }

    fn run_once(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
        limits: &Limits,
        interrupt: Option<Arc<dyn Interrupt>>,
    ) -> Result<Option<Value>, JsonataError> {
        let mut vars = AWS_FUNCTIONS.clone();
        for (name, read) in &self.reads {
            if let Some(json) = binding_json(bindings, name, read.as_ref()) {
                vars = vars.var(name.clone(), json);
            }
        }
        let mut options = jlens_core::Options::new().max_depth(limits.max_depth);
        if let Some(steps) = limits.max_steps {
            options = options.max_steps(steps);
        }
        let mut timeout = limits.timeout;
        let mut by_deadline = false;
        if let Some(i) = interrupt {
            if let Some(d) = i.deadline() {
                let left = d.saturating_duration_since(Instant::now());
                if timeout.is_none_or(|t| left < t) {
                    (timeout, by_deadline) = (Some(left), true);
                }
            }
            options = options.cancel_token(jlens_core::CancelToken::watching(move || i.stopped()));
        }
        if let Some(t) = timeout {
            options = options.timeout(t);
        }
        self.engine
            .evaluate_source_to(&convert::Root(input), &vars, &options, |out| {
                out.write(&mut convert::ValueBuilder)
            })
            .map_err(|e| match e.code() {
                "U1003" => interrupted(true),
                "D1012" if by_deadline => interrupted(false),
                _ => JsonataError::from_engine(ErrorKind::Evaluation, &e),
            })
    }
}

/// The error of an evaluation its [`Interrupt`] stopped: `stopped`, or past the deadline.
#[cold]
fn interrupted(stopped: bool) -> JsonataError {
    let (code, message) = if stopped {
        (
            "U1003",
            "The evaluation was cancelled: its execution was stopped",
        )
    } else {
        (
            "D1012",
            "The evaluation was stopped: its execution's deadline passed",
        )
    };
    JsonataError::new(ErrorKind::Interrupted, code, message.into(), None)
}

/// The binding `$name` as the engine takes it, cut to what `read` says is read.
fn binding_json(
    bindings: &dyn Bindings,
    name: &str,
    read: Option<&Read>,
) -> Option<serde_json::Value> {
    if name == "states" {
        let fields = read.and_then(Read::fields);
        let mut object = serde_json::Map::new();
        for field in STATES_FIELDS {
            let sub = match fields {
                None => None,
                Some(f) => match f.get(field) {
                    Some(r) => Some(r),
                    None => continue,
                },
            };
            if let Some(v) = bindings.state(field) {
                object.insert(field.to_string(), convert::to_json_cut(v, sub));
            }
        }
        if !object.is_empty() {
            return Some(serde_json::Value::Object(object));
        }
    }
    bindings
        .variable(name)
        .map(|v| convert::to_json_cut(v, read))
}

/// `Some((variable, fields))` for `$variable.field...` where no step has a predicate, a
/// binding, a group or any other decoration.
fn direct_path(root: &Node) -> Option<(String, Vec<String>)> {
    let plain = |n: &Node| {
        let a = &n.attrs;
        !a.keep_array
            && !a.cons_array
            && !a.tuple
            && a.focus.is_none()
            && a.index.is_none()
            && a.stages.is_empty()
            && a.predicate.is_empty()
            && a.group.is_none()
            && a.ancestor.is_none()
            && a.ancestor_label.is_none()
            && a.seeking_parent.is_empty()
    };
    let variable = |n: &Node| match &n.kind {
        NodeKind::Variable { name }
            if plain(n) && name.chars().all(|c| c.is_alphanumeric() || c == '_') =>
        {
            Some(name.clone()).filter(|n| !n.is_empty())
        }
        _ => None,
    };
    match &root.kind {
        NodeKind::Variable { .. } => Some((variable(root)?, Vec::new())),
        NodeKind::Path {
            steps,
            keep_singleton_array: false,
        } if plain(root) => {
            let (first, rest) = steps.split_first()?;
            let var = variable(first)?;
            let fields = rest
                .iter()
                .map(|n| match &n.kind {
                    NodeKind::Name { name } if plain(n) => Some(name.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>()?;
            Some((var, fields))
        }
        _ => None,
    }
}

/// `v` as the engine would give it back: its numbers are `f64`s there, so integral floats
/// become integers (`1.0` → `1`), integers past 2^53 are rounded, and the containers on the way
/// to such a number are copied; everything else is shared.
fn normalized(v: &Value) -> Value {
    normalized_at(v, 0)
}

fn normalized_at(v: &Value, depth: usize) -> Value {
    renormalized(v, depth).unwrap_or_else(|| v.clone())
}

/// `Some` when [`normalized`] changes `v`, found at recursion depth `depth`.
fn renormalized(v: &Value, depth: usize) -> Option<Value> {
    convert::nested(depth, || match v {
        Value::Float(f) if !f.is_finite() => Some(Value::Null),
        Value::Float(f) => Some(convert::number(*f)).filter(|n| matches!(n, Value::Int(_))),
        Value::Int(i) if i.unsigned_abs() > 1 << 53 => {
            Some(convert::number(*i as f64)).filter(|n| !matches!(n, Value::Int(j) if j == i))
        }
        Value::Array(a) => {
            let (at, first) = a
                .iter()
                .enumerate()
                .find_map(|(i, x)| renormalized(x, depth + 1).map(|n| (i, n)))?;
            let mut out = Vec::with_capacity(a.len());
            out.extend_from_slice(&a[..at]);
            out.push(first);
            out.extend(a[at + 1..].iter().map(|x| normalized_at(x, depth + 1)));
            Some(Value::array(out))
        }
        Value::Object(o) => {
            let (at, first) = o
                .values()
                .enumerate()
                .find_map(|(i, x)| renormalized(x, depth + 1).map(|n| (i, n)))?;
            let mut out = Map::with_capacity(o.len());
            for (i, (k, x)) in o.iter().enumerate() {
                let x = match i.cmp(&at) {
                    std::cmp::Ordering::Less => x.clone(),
                    std::cmp::Ordering::Equal => first.clone(),
                    std::cmp::Ordering::Greater => normalized_at(x, depth + 1),
                };
                out.push_unique(k.clone(), x);
            }
            Some(Value::object(out))
        }
        _ => None,
    })
}

/// Rejects what JSONata 2.0.6 as AWS runs it does not have: `??`, `?:` and `$eval`.
fn check_aws_restrictions(source: &str, root: &Node) -> Result<(), JsonataError> {
    let mut locals: BTreeSet<&str> = BTreeSet::new();
    root.walk(&mut |n| match &n.kind {
        NodeKind::Bind { lhs, .. } => {
            if let NodeKind::Variable { name } = &lhs.kind {
                locals.insert(name);
            }
        }
        NodeKind::Lambda(def) => locals.extend(def.params.iter().map(String::as_str)),
        _ => {}
    });
    let mut found: Option<JsonataError> = None;
    root.walk(&mut |n| {
        if found.is_some() {
            return;
        }
        match &n.kind {
            NodeKind::Fallback { op, .. } => {
                // 2.0.6 reads `??` as two `?` and `?:` as `?` then `:`, and stops at the second
                // token, which has no prefix form.
                let token = if op.symbol() == "??" { "?" } else { ":" };
                found = Some(JsonataError::new(
                    ErrorKind::Syntax,
                    "S0211",
                    format!("The symbol {token} cannot be used as a unary operator"),
                    Some(source.get(..n.pos).map_or(n.position, utf16_len)),
                ));
            }
            NodeKind::Variable { name } if name == "eval" && !locals.contains("eval") => {
                found = Some(JsonataError::new(
                    ErrorKind::Syntax,
                    "T1006",
                    "Attempted to invoke a non-function: $eval is not available in AWS Step \
                     Functions"
                        .into(),
                    Some(n.position),
                ));
            }
            _ => {}
        }
    });
    found.map_or(Ok(()), Err)
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests;
