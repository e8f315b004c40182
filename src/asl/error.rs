//! Definition errors: the findings of parsing and validation, with AWS's diagnostic codes.
//!
//! AWS reports a rejected definition as `InvalidDefinition` with the message
//! `Invalid State Machine Definition: 'CODE: message at location, ...'` (VAL-3), and
//! `ValidateStateMachineDefinition` returns the same findings as a list (VAL-4). A
//! [`DefinitionError`] holds every finding, in discovery order; rendering lives in its
//! `Display` impl and [`Diagnostic::to_json`], apart from the data.

use std::fmt;

/// AWS's diagnostic codes (VAL-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosticCode {
    /// The definition does not follow the language's schema.
    SchemaValidationFailed,
    /// The text is not JSON.
    InvalidJsonDescription,
    /// A `Next`, `Default`, `StartAt` or catcher names no state in its scope, or a state is
    /// unreachable.
    MissingTransitionTarget,
    /// A scope has no terminal state.
    MissingEndState,
    /// Two states share a name.
    DuplicateStateName,
    /// A JSONata expression does not compile (JA-10).
    InvalidJsonataExpression,
}

impl DiagnosticCode {
    /// The code as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::SchemaValidationFailed => "SCHEMA_VALIDATION_FAILED",
            DiagnosticCode::InvalidJsonDescription => "INVALID_JSON_DESCRIPTION",
            DiagnosticCode::MissingTransitionTarget => "MISSING_TRANSITION_TARGET",
            DiagnosticCode::MissingEndState => "MISSING_END_STATE",
            DiagnosticCode::DuplicateStateName => "DUPLICATE_STATE_NAME",
            DiagnosticCode::InvalidJsonataExpression => "INVALID_JSONATA_EXPRESSION",
        }
    }
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    code: DiagnosticCode,
    message: String,
    location: Option<String>,
    /// Why, in more words than AWS gives (never part of AWS's message or structured form).
    why: Option<String>,
    /// A finding that others likely follow from (a field misplaced among the states).
    leads: bool,
}

impl Diagnostic {
    pub(crate) fn new(code: DiagnosticCode, message: String, location: Option<String>) -> Self {
        Diagnostic {
            code,
            message,
            location,
            why: None,
            leads: false,
        }
    }

    /// Adds the reason behind AWS's words (shown by `aslx validate` as a `why:` line).
    pub(crate) fn with_why(mut self, why: impl Into<String>) -> Self {
        self.why = Some(why.into());
        self
    }

    /// Marks a finding that others likely follow from.
    pub(crate) fn leading(mut self) -> Self {
        self.leads = true;
        self
    }

    pub(crate) fn schema(message: impl Into<String>, location: &str) -> Self {
        Diagnostic::new(
            DiagnosticCode::SchemaValidationFailed,
            message.into(),
            Some(location_or_root(location)),
        )
    }

    /// The diagnostic code.
    pub fn code(&self) -> DiagnosticCode {
        self.code
    }

    /// What is wrong, in AWS's words where they are known.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where: `/`, `/StartAt`, `/States/<name>/<field>`, with array indexes as `[i]`; `None`
    /// for findings about the whole machine (`MISSING_END_STATE`, an empty definition).
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Why, in more words than AWS's message: the reason a path or intrinsic was refused
    /// (`unknown intrinsic function States.Default`), what a misplaced field should be.
    /// Not part of [`Display`](fmt::Display) or [`Diagnostic::to_json`], which keep AWS's
    /// exact text.
    pub fn why(&self) -> Option<&str> {
        self.why.as_deref()
    }

    /// Whether other findings likely follow from this one (a machine or state field placed
    /// inside `States`, read as a state): a reader should fix it first.
    pub fn leads(&self) -> bool {
        self.leads
    }

    /// The structured form of `ValidateStateMachineDefinition` (VAL-4).
    pub fn to_json(&self) -> serde_json::Value {
        let mut o = serde_json::json!({
            "severity": "ERROR",
            "code": self.code.as_str(),
            "message": self.message,
        });
        if let Some(l) = &self.location {
            o["location"] = serde_json::Value::String(l.clone());
        }
        o
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{}: {} at {}", self.code, self.message, l),
            None => write!(f, "{}: {} at null", self.code, self.message),
        }
    }
}

pub(crate) fn location_or_root(l: &str) -> String {
    if l.is_empty() {
        "/".to_string()
    } else {
        l.to_string()
    }
}

/// A definition that AWS would reject, with every finding.
///
/// `Display` renders AWS's `InvalidDefinition` message:
/// `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ... at /States/A'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefinitionError {
    diagnostics: Vec<Diagnostic>,
}

impl DefinitionError {
    pub(crate) fn new(diagnostics: Vec<Diagnostic>) -> Self {
        debug_assert!(!diagnostics.is_empty());
        DefinitionError { diagnostics }
    }

    /// Every finding, in discovery order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The distinct codes, in order of first appearance.
    pub fn codes(&self) -> Vec<DiagnosticCode> {
        let mut out = Vec::new();
        for d in &self.diagnostics {
            if !out.contains(&d.code) {
                out.push(d.code);
            }
        }
        out
    }
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invalid State Machine Definition: '")?;
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("'")
    }
}

impl std::error::Error for DefinitionError {}
