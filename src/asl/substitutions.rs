//! `DefinitionSubstitutions`, as SAM and CloudFormation apply them: every `${Name}` in the
//! definition's text whose `Name` has a value is replaced by that value, as text, before the
//! definition is parsed. Placeholders without a value are left as written (CloudFormation
//! does the same); [`placeholders`] finds them afterwards so that a caller can say which
//! ones were missed.

use super::error::{DefinitionError, Diagnostic, DiagnosticCode};
use super::MAX_DEFINITION_CHARS;
use crate::value::Value;
use std::collections::BTreeMap;

/// The error AWS gives a definition over the size limit (DOC-2).
pub(crate) fn too_long() -> DefinitionError {
    DefinitionError::new(vec![Diagnostic::new(
        DiagnosticCode::SchemaValidationFailed,
        format!("Definition is longer than {MAX_DEFINITION_CHARS} characters"),
        None,
    )])
}

/// Replaces each `${Name}` in `text` whose name is a key of `subs` by its value.
///
/// # Errors
///
/// The definition-size error once the result would pass [`MAX_DEFINITION_CHARS`]
/// characters: the result is never built past that, however large the values.
///
/// ```
/// use std::collections::BTreeMap;
/// let subs = BTreeMap::from([("Fn".to_string(), "arn:aws:lambda:us-east-1:1:function:f".to_string())]);
/// let out = aslx::asl::substitute(r#"{"Resource": "${Fn}", "Other": "${Missing}"}"#, &subs).unwrap();
/// assert_eq!(out, r#"{"Resource": "arn:aws:lambda:us-east-1:1:function:f", "Other": "${Missing}"}"#);
/// ```
pub fn substitute(text: &str, subs: &BTreeMap<String, String>) -> Result<String, DefinitionError> {
    let mut out = String::with_capacity(text.len());
    let mut chars = 0usize;
    let mut push = |out: &mut String, piece: &str| {
        chars += piece.chars().count();
        if chars > MAX_DEFINITION_CHARS {
            return Err(too_long());
        }
        out.push_str(piece);
        Ok(())
    };
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let replaced = after
            .find('}')
            .and_then(|end| subs.get(&after[..end]).map(|v| (end, v)));
        match replaced {
            Some((end, value)) => {
                push(&mut out, &rest[..start])?;
                push(&mut out, value)?;
                rest = &after[end + 1..];
            }
            None => {
                push(&mut out, &rest[..start + 2])?;
                rest = after;
            }
        }
    }
    push(&mut out, rest)?;
    Ok(out)
}

/// A `${Name}` left in a string of a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// The name between `${` and `}`.
    pub name: String,
    /// Where, as the validator writes locations: `/States/A/Resource`.
    pub location: String,
    /// Whether it is in a `Resource` field, where it cannot be valid.
    pub in_resource: bool,
}

/// Every `${Name}` left in the strings of `definition`, in document order.
pub fn placeholders(definition: &Value) -> Vec<Placeholder> {
    let mut out = Vec::new();
    // Explicit stack: definitions nest as deep as the JSON parser allows.
    let mut stack: Vec<(&Value, String, bool)> = vec![(definition, String::new(), false)];
    while let Some((v, loc, in_resource)) = stack.pop() {
        match v {
            Value::String(s) => {
                let mut rest: &str = s;
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let name = &after[..end];
                    if !name.is_empty() && !name.contains(char::is_whitespace) {
                        out.push(Placeholder {
                            name: name.to_string(),
                            location: if loc.is_empty() {
                                "/".into()
                            } else {
                                loc.clone()
                            },
                            in_resource,
                        });
                    }
                    rest = &after[end + 1..];
                }
            }
            Value::Array(a) => {
                for (i, item) in a.iter().enumerate().rev() {
                    stack.push((item, format!("{loc}[{i}]"), false));
                }
            }
            Value::Object(o) => {
                let fields: Vec<_> = o.iter().collect();
                for (k, item) in fields.into_iter().rev() {
                    stack.push((item, format!("{loc}/{k}"), &**k == "Resource"));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn named_placeholders_are_replaced_others_kept() {
        let s = subs(&[("A", "1"), ("B", "${A}")]);
        assert_eq!(
            substitute("x${A}y${B}z${C}${", &s).unwrap(),
            // Values are not substituted again, as CloudFormation does not.
            "x1y${A}z${C}${"
        );
        assert_eq!(substitute("", &s).unwrap(), "");
        assert_eq!(substitute("${}", &subs(&[("", "e")])).unwrap(), "e");
    }

    #[test]
    fn substitutions_expanding_past_the_limit_are_refused_with_the_size_error() {
        let big = "x".repeat(1_000_000);
        let s = subs(&[("Big", &big)]);
        assert_eq!(substitute("${Big}", &s).unwrap().len(), 1_000_000);
        // A hundred copies would be 100 MB; the result stops growing at the limit.
        let text = "${Big}".repeat(100);
        let e = substitute(&text, &s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Definition is longer than 1048576 characters at null'"
        );
    }

    #[test]
    fn placeholders_left_are_found_with_their_location() {
        let v = crate::parse_json(
            r#"{"States": {"A": {"Resource": "arn:${Region}:x", "Parameters": {"F": ["${Fn}"]}}, "B": {"Comment": "${ no}"}}}"#,
        )
        .unwrap();
        assert_eq!(
            placeholders(&v),
            vec![
                Placeholder {
                    name: "Region".into(),
                    location: "/States/A/Resource".into(),
                    in_resource: true
                },
                Placeholder {
                    name: "Fn".into(),
                    location: "/States/A/Parameters/F[0]".into(),
                    in_resource: false
                },
            ]
        );
    }
}
