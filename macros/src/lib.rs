//! `definition!`: an Amazon States Language definition read and validated when the crate
//! builds. Every finding AWS would report becomes a compile error naming the file, line and
//! column (`machines/order.asl.json:12:9: MISSING_TRANSITION_TARGET: ...`), so a broken
//! definition never reaches a running service.
//!
//! ```ignore
//! // Not run here (it needs the files and an engine): examples/checkout_service.rs runs it.
//! const ORDER: aslx::CheckedDefinition = aslx_macros::definition!("machines/order.asl.json");
//! const AUDIT: aslx::CheckedDefinition = aslx_macros::definition!("machines/audit.asl.json", STANDARD);
//! engine.create_checked_machine("order", &ORDER)?;
//! ```
//!
//! Paths are relative to the crate's root (`CARGO_MANIFEST_DIR`), as with sqlx's macros. The
//! file is embedded with `include_str!`, so editing it rebuilds the crate and checks it again.
//! The machine type is `EXPRESS` unless `STANDARD` is given.
//!
//! Why a crate of its own, used directly rather than re-exported by `aslx`: the check must run
//! aslx's validator, so this crate depends on aslx, and aslx depending back on it would be a
//! cycle. (Moving the validator into a small crate both could depend on is the other way; it
//! belongs with the crate's feature split.)

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use std::path::PathBuf;

/// Reads and validates a definition file at compile time; yields an
/// `aslx::CheckedDefinition`. See the [crate docs](crate).
#[proc_macro]
pub fn definition(input: TokenStream) -> TokenStream {
    let (path, machine_type, span) = match parse_args(input) {
        Ok(a) => a,
        Err((msg, span)) => return errors(&[msg], span),
    };
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    match expand(&PathBuf::from(root), &path, &machine_type) {
        Ok(code) => code.parse().unwrap_or_else(|e| {
            errors(
                &[format!("aslx_macros::definition!: internal error: {e}")],
                span,
            )
        }),
        Err(msgs) => errors(&msgs, span),
    }
}

/// The code for a definition file, or every finding.
fn expand(root: &std::path::Path, path: &str, machine_type: &str) -> Result<String, Vec<String>> {
    let t = match machine_type {
        "EXPRESS" => aslx::MachineType::Express,
        "STANDARD" => aslx::MachineType::Standard,
        other => {
            return Err(vec![format!(
                "aslx_macros::definition!: the machine type is EXPRESS or STANDARD, not {other}"
            )])
        }
    };
    let full = root.join(path);
    let text = std::fs::read_to_string(&full).map_err(|e| {
        vec![format!(
            "aslx_macros::definition!: cannot read {path} ({}): {e}",
            full.display()
        )]
    })?;
    aslx::build::check(path, &text, t)?;
    Ok(format!(
        "::aslx::CheckedDefinition::__checked(include_str!({:?}), ::aslx::MachineType::{t:?}, {path:?})",
        full.display().to_string()
    ))
}

/// `"path"` or `"path", STANDARD`: the path, the type and the span to report errors at.
fn parse_args(input: TokenStream) -> Result<(String, String, Span), (String, Span)> {
    let usage =
        "usage: definition!(\"path/to/machine.asl.json\") or definition!(\"...\", STANDARD)";
    let mut tokens = input.into_iter();
    let Some(TokenTree::Literal(lit)) = tokens.next() else {
        return Err((usage.to_string(), Span::call_site()));
    };
    let span = lit.span();
    let path = string_literal(&lit.to_string()).ok_or_else(|| (usage.to_string(), span))?;
    let machine_type = match (tokens.next(), tokens.next(), tokens.next()) {
        (None, _, _) => "EXPRESS".to_string(),
        (Some(TokenTree::Punct(p)), Some(TokenTree::Ident(t)), None) if p.as_char() == ',' => {
            t.to_string()
        }
        (Some(TokenTree::Punct(p)), None, _) if p.as_char() == ',' => "EXPRESS".to_string(),
        _ => return Err((usage.to_string(), span)),
    };
    Ok((path, machine_type, span))
}

/// The value of a string literal's source text (`"a\"b"`, `r#"x"#`), or `None`.
fn string_literal(src: &str) -> Option<String> {
    if let Some(raw) = src.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = raw.get(hashes + 1..raw.len().checked_sub(hashes + 1)?)?;
        return Some(inner.to_string());
    }
    let inner = src.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            _ => return None,
        });
    }
    Some(out)
}

/// `{ compile_error!("..."); ... ; a placeholder value }`, every error at `span`.
fn errors(msgs: &[String], span: Span) -> TokenStream {
    let mut body = Vec::new();
    for m in msgs {
        let mut lit = Literal::string(m);
        lit.set_span(span);
        let mut args = Group::new(Delimiter::Parenthesis, TokenTree::Literal(lit).into());
        args.set_span(span);
        let mut bang = Punct::new('!', Spacing::Alone);
        bang.set_span(span);
        let mut semi = Punct::new(';', Spacing::Alone);
        semi.set_span(span);
        body.extend([
            TokenTree::Ident(Ident::new("compile_error", span)),
            TokenTree::Punct(bang),
            TokenTree::Group(args),
            TokenTree::Punct(semi),
        ]);
    }
    let placeholder: TokenStream =
        "::aslx::CheckedDefinition::__checked(\"\", ::aslx::MachineType::Express, \"\")"
            .parse()
            .unwrap_or_default();
    body.extend(placeholder);
    TokenTree::Group(Group::new(Delimiter::Brace, body.into_iter().collect())).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("aslx-macros-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_valid_file_expands_to_a_checked_definition() {
        let d = dir();
        let good = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
        std::fs::write(d.join("good.asl.json"), good).unwrap();
        let code = expand(&d, "good.asl.json", "STANDARD").unwrap();
        assert!(code.contains("include_str!"), "{code}");
        assert!(code.contains("::aslx::MachineType::Standard"), "{code}");
    }

    #[test]
    fn findings_missing_files_and_bad_json_say_file_line_and_column() {
        let d = dir();
        let bad =
            "{\"StartAt\": \"A\",\n  \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}}}";
        std::fs::write(d.join("bad.asl.json"), bad).unwrap();
        assert_eq!(
            expand(&d, "bad.asl.json", "EXPRESS").unwrap_err(),
            [
                "bad.asl.json:2:36: MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next",
                "bad.asl.json:1:1: MISSING_END_STATE: Workflow has no terminal state at null",
            ]
        );
        std::fs::write(d.join("json.asl.json"), "{\n  \"StartAt\": }").unwrap();
        let e = expand(&d, "json.asl.json", "EXPRESS").unwrap_err();
        assert!(e[0].starts_with("json.asl.json:2:"), "{e:?}");
        let e = expand(&d, "nope.asl.json", "EXPRESS").unwrap_err();
        assert!(
            e[0].starts_with("aslx_macros::definition!: cannot read nope.asl.json"),
            "{e:?}"
        );
        let e = expand(&d, "bad.asl.json", "QUICK").unwrap_err();
        assert!(e[0].contains("EXPRESS or STANDARD, not QUICK"), "{e:?}");
    }

    #[test]
    fn string_literals() {
        assert_eq!(string_literal(r#""a/b.json""#).as_deref(), Some("a/b.json"));
        assert_eq!(string_literal(r#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(string_literal(r##"r#"x"y"#"##).as_deref(), Some("x\"y"));
        assert_eq!(string_literal("12"), None);
    }
}
