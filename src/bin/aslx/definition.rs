//! Reading a definition file as a SAM user writes one: JSON or YAML (`*.asl.yaml`, `*.yml`),
//! with `DefinitionSubstitutions` given as `--sub NAME=VALUE` or `--subs-file FILE`.
//!
//! The order is SAM's: a YAML file becomes JSON first, then the substitutions replace
//! `${Name}` in that JSON text (CloudFormation substitutes into the definition string), then
//! the text is validated. Values go in as text, so a value holding a `"` breaks the JSON, as
//! it does on AWS.

use aslx::asl::{placeholders, substitute, DefinitionError, DiagnosticCode, MachineType};
use std::collections::BTreeMap;

/// The arguments every command that reads a definition takes.
#[derive(clap::Args)]
pub(crate) struct DefinitionArgs {
    /// STANDARD (the default, as AWS's CreateStateMachine and ValidateStateMachineDefinition)
    /// or EXPRESS.
    #[arg(long = "type", default_value = "STANDARD")]
    pub machine_type: MachineType,
    /// NAME=VALUE: replaces `${NAME}` in the definition, as SAM's DefinitionSubstitutions do.
    /// Repeatable; wins over --subs-file.
    #[arg(long = "sub", value_name = "NAME=VALUE")]
    pub subs: Vec<String>,
    /// A JSON object of substitutions, written as DefinitionSubstitutions is in a template:
    /// {"Name": "value", "Count": 3}. Strings, numbers and booleans.
    #[arg(long = "subs-file", value_name = "FILE")]
    pub subs_file: Option<String>,
    /// The definition file: JSON, or YAML when its name ends in .yaml or .yml.
    pub file: String,
}

/// Why a definition could not be read.
pub(crate) enum LoadError {
    /// The command was used wrongly, or a file could not be read (exit 2).
    Usage(String),
    /// The definition is invalid: one finding a line (`aslx validate` exits 1).
    Invalid(Vec<String>),
}

impl LoadError {
    /// One message, for the commands that stop at the first problem.
    pub(crate) fn into_message(self) -> String {
        match self {
            LoadError::Usage(m) => m,
            LoadError::Invalid(lines) => lines.join("\n"),
        }
    }
}

pub(crate) fn read_text(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{path}: invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        )
    })
}

/// The definition's JSON text, YAML converted and substitutions applied.
pub(crate) fn load(args: &DefinitionArgs) -> Result<String, LoadError> {
    let subs = substitutions(args).map_err(LoadError::Usage)?;
    let file = &args.file;
    let raw = read_text(file).map_err(LoadError::Usage)?;
    let json = if is_yaml(file) {
        let v = aslx::value::parse_yaml(&raw)
            .map_err(|e| LoadError::Invalid(vec![format!("{file}: YAML {e}")]))?;
        v.to_json()
    } else {
        raw
    };
    if subs.is_empty() && !json.contains("${") {
        return Ok(json);
    }
    let text = substitute(&json, &subs)
        .map_err(|e| LoadError::Invalid(e.diagnostics().iter().map(|d| d.to_string()).collect()))?;
    // A placeholder left in a Resource can never name a resource: say which one was missed,
    // before the validator reports the Resource as unrecognised. Elsewhere it may be meant
    // (a string that happens to hold `${...}`): a warning only.
    if let Ok(v) = aslx::parse_json(&text) {
        let mut missed = Vec::new();
        for p in placeholders(&v) {
            let hint = format!(
                "${{{}}} at {} was not substituted: pass --sub {}=VALUE (or --subs-file FILE)",
                p.name, p.location, p.name
            );
            if p.in_resource {
                missed.push(format!("{file}: {hint}"));
            } else {
                eprintln!("aslx: warning: {file}: {hint}");
            }
        }
        if !missed.is_empty() {
            return Err(LoadError::Invalid(missed));
        }
    }
    Ok(text)
}

fn is_yaml(file: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// What a JSON syntax error's line and column count in, when it is not the file as written.
fn json_origin(args: &DefinitionArgs) -> Option<&'static str> {
    if is_yaml(&args.file) {
        Some("in the JSON the YAML file becomes, after substitutions")
    } else if !args.subs.is_empty() || args.subs_file.is_some() {
        Some("in the text after substitutions")
    } else {
        None
    }
}

/// `--subs-file` first, then each `--sub` over it.
fn substitutions(args: &DefinitionArgs) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    if let Some(path) = &args.subs_file {
        let text = read_text(path).map_err(|e| format!("--subs-file {e}"))?;
        let v = aslx::parse_json(&text).map_err(|e| format!("--subs-file {path}: {e}"))?;
        let Some(o) = v.as_object() else {
            return Err(format!(
                "--subs-file {path}: expected a JSON object of substitutions ({{\"Name\": \"value\"}})"
            ));
        };
        for (k, v) in o.iter() {
            let value = match v {
                aslx::Value::String(s) => s.to_string(),
                aslx::Value::Int(_) | aslx::Value::Float(_) | aslx::Value::Bool(_) => v.to_json(),
                _ => {
                    return Err(format!(
                        "--subs-file {path}: the value of {k:?} must be a string, a number or a boolean"
                    ))
                }
            };
            out.insert(
                check_name(k).map_err(|e| format!("--subs-file {path}: {e}"))?,
                value,
            );
        }
    }
    for s in &args.subs {
        let Some((name, value)) = s.split_once('=') else {
            return Err(format!(
                "--sub {s:?}: expected NAME=VALUE (the value replaces ${{NAME}} in the definition)"
            ));
        };
        out.insert(
            check_name(name).map_err(|e| format!("--sub {s:?}: {e}"))?,
            value.to_string(),
        );
    }
    Ok(out)
}

/// Names as CloudFormation allows them in DefinitionSubstitutions: letters, digits and
/// `_`, `.`, `:`, `-`, never empty.
fn check_name(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("the substitution name is empty".to_string());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')))
    {
        return Err(format!(
            "the substitution name {name:?} has {c:?}: use letters, digits, '_', '.', ':' or '-'"
        ));
    }
    Ok(name.to_string())
}

/// The findings of an invalid definition, one a line, the leading ones first, each with its
/// `why:` line. A JSON syntax error is given as `line L, column C: what` (AWS's message
/// quotes the text, which says less).
/// When the text is not the file as written (YAML, substitutions), the position says so: a
/// substituted value holding a `"` breaks the JSON, as it does on AWS.
pub(crate) fn findings(args: &DefinitionArgs, text: &str, e: &DefinitionError) -> Vec<String> {
    if e.diagnostics().first().map(|d| d.code()) == Some(DiagnosticCode::InvalidJsonDescription) {
        if let Err(j) = aslx::parse_json(text) {
            return vec![match json_origin(args) {
                Some(origin) => format!("INVALID_JSON_DESCRIPTION: {j} ({origin})"),
                None => format!("INVALID_JSON_DESCRIPTION: {j}"),
            }];
        }
    }
    let (leading, rest): (Vec<_>, Vec<_>) = e.diagnostics().iter().partition(|d| d.leads());
    let mut out = Vec::new();
    for d in leading.into_iter().chain(rest) {
        out.push(d.to_string());
        if let Some(why) = d.why() {
            out.push(format!("  why: {why}"));
        }
    }
    out
}
