//! Definition text → typed, validated [`StateMachine`] model (the first stage of the pipeline).
//!
//! [`parse_definition`] parses the JSON, checks the schema of every state (ASL sections 1–8,
//! 10–16, 18–20 and the VAL-5 checklist) and then the whole machine's graph, and returns either
//! the model or a [`DefinitionError`] carrying every finding with AWS's diagnostic code and
//! location.

mod choice_rules;
pub mod error;
mod fields;
mod jsonata_fields;
mod map_fields;
pub mod model;
mod parse;
mod substitutions;
pub mod timestamp;
mod validate;

pub use choice_rules::valid_pattern;
pub use error::{DefinitionError, Diagnostic, DiagnosticCode};
pub use model::{MachineType, QueryLanguage, StateMachine};
pub use parse::{is_jsonata_expr, is_variable_name, MAX_SECONDS};
pub use substitutions::{placeholders, substitute, Placeholder};

use crate::value::{parse_json_reporting_duplicates, Value};

/// Longest definition AWS accepts, in characters (DOC-2).
pub const MAX_DEFINITION_CHARS: usize = 1_048_576;

/// Parses and validates a definition for a machine of type `machine_type`.
///
/// # Errors
///
/// A [`DefinitionError`] listing every finding, as AWS would report them.
///
/// ```
/// use aslx::asl::{parse_definition, MachineType};
/// let err = parse_definition(r#"{"States": {}}"#, MachineType::Express).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /, SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States'"
/// );
/// ```
pub fn parse_definition(
    text: &str,
    machine_type: MachineType,
) -> Result<StateMachine, DefinitionError> {
    let not_object = || {
        DefinitionError::new(vec![Diagnostic::new(
            DiagnosticCode::SchemaValidationFailed,
            "Definition must be a valid JSON object".to_string(),
            None,
        )])
    };
    if text.chars().count() > MAX_DEFINITION_CHARS {
        return Err(substitutions::too_long());
    }
    if text.trim().is_empty() {
        return Err(not_object());
    }
    let (value, duplicates) = match parse_json_reporting_duplicates(text) {
        Ok(v) => v,
        Err(e) => {
            let snippet: String = text.chars().take(500).collect();
            return Err(DefinitionError::new(vec![Diagnostic::new(
                DiagnosticCode::InvalidJsonDescription,
                format!(
                    "{} at [Source: (String)\"{snippet}\"; line: {}, column: {}]",
                    e.message(),
                    e.line(),
                    e.column()
                ),
                None,
            )]));
        }
    };
    let Value::Object(top) = &value else {
        return Err(not_object());
    };
    let mut p = parse::Parser::new(machine_type);
    for d in duplicates {
        // DOC-5: a repeated key would silently replace the first; a repeated state name in
        // one States object is the same mistake as ST-2's duplicate across scopes.
        let (parent, key) = d.rsplit_once('/').unwrap_or(("", &d));
        if parent.ends_with("/States") || parent == "/States" {
            p.diag(
                DiagnosticCode::DuplicateStateName,
                format!("Duplicate State name: {key}"),
                Some(d.clone()),
            );
        } else {
            p.diag(
                DiagnosticCode::SchemaValidationFailed,
                format!("Duplicate field '{key}'"),
                Some(error::location_or_root(parent)),
            );
        }
    }
    let machine = p.machine(top);
    if let Some(m) = &machine {
        validate::validate(&mut p, m);
    }
    match machine {
        Some(m) if p.diags.is_empty() => Ok(m),
        _ => {
            if p.diags.is_empty() {
                p.diags
                    .push(Diagnostic::schema("Invalid state machine definition", "/"));
            }
            Err(DefinitionError::new(p.diags))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_5_duplicate_state_key_is_a_duplicate_state_name() {
        let def = r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Pass", "End": true}}}"#;
        let e = parse_definition(def, MachineType::Express).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid State Machine Definition: 'DUPLICATE_STATE_NAME: Duplicate State name: A at /States/A'"
        );
    }

    #[test]
    fn doc_5_duplicate_field_is_reported_where_it_is() {
        let def = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "Result": 2, "End": true}}}"#;
        let e = parse_definition(def, MachineType::Express).unwrap_err();
        assert_eq!(e.diagnostics()[0].message(), "Duplicate field 'Result'");
        assert_eq!(e.diagnostics()[0].location(), Some("/States/A"));
    }
}
