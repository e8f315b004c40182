//! Definitions checked when the crate builds, not when the service starts.
//!
//! Two ways in, one check ([`check`]: AWS's validation, each finding placed at its line and
//! column in the file):
//!
//! - the `aslx-macros` crate's `definition!("machines/order.asl.json")` reads a file at
//!   compile time; every finding is a compile error;
//! - a build script calls [`Definitions`] for definitions that live outside the crate (or
//!   many at once) and `include!`s the generated constants.
//!
//! Both yield a [`CheckedDefinition`], which [`Engine::create_checked_machine`] takes without
//! validating again.
//!
//! [`Engine::create_checked_machine`]: crate::Engine::create_checked_machine

mod locate;

pub use locate::locate;

use crate::asl::{parse_definition, MachineType};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A definition that passed AWS's validation when the crate was built.
///
/// Made by `aslx_macros::definition!` or by the constants [`Definitions`] generates; the
/// text is embedded in the binary (`include_str!`), so it cannot change after the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckedDefinition {
    text: &'static str,
    machine_type: MachineType,
    source: &'static str,
}

impl CheckedDefinition {
    /// For the code `definition!` and [`Definitions`] generate, after the check passed.
    #[doc(hidden)]
    pub const fn __checked(
        text: &'static str,
        machine_type: MachineType,
        source: &'static str,
    ) -> CheckedDefinition {
        CheckedDefinition {
            text,
            machine_type,
            source,
        }
    }

    /// The definition's text.
    pub fn text(&self) -> &'static str {
        self.text
    }

    /// The machine type it was validated for.
    pub fn machine_type(&self) -> MachineType {
        self.machine_type
    }

    /// The file it was read from, as given to the macro or the build script.
    pub fn source(&self) -> &'static str {
        self.source
    }
}

/// Validates `text` (read from `file`) for a machine of type `t`: every finding as
/// `file:line:column: CODE: message at /pointer`, in AWS's order.
///
/// # Errors
///
/// The findings, when AWS would refuse the definition.
///
/// ```
/// use aslx::MachineType;
/// let bad = "{\"StartAt\": \"A\",\n \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}}}";
/// let errors = aslx::build::check("order.asl.json", bad, MachineType::Express).unwrap_err();
/// assert_eq!(errors, [
///     "order.asl.json:2:35: MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next",
///     "order.asl.json:1:1: MISSING_END_STATE: Workflow has no terminal state at null",
/// ]);
/// ```
pub fn check(file: &str, text: &str, t: MachineType) -> Result<(), Vec<String>> {
    let Err(e) = parse_definition(text, t) else {
        return Ok(());
    };
    if let Err(json) = crate::value::parse_json(text) {
        return Err(vec![format!(
            "{file}:{}:{}: not valid JSON: {}",
            json.line(),
            json.column(),
            json.message()
        )]);
    }
    let errors = e
        .diagnostics()
        .iter()
        .map(|d| {
            let (line, col) = d.location().and_then(|p| locate(text, p)).unwrap_or((1, 1));
            let mut s = format!("{file}:{line}:{col}: {d}");
            if let Some(why) = d.why() {
                let _ = write!(s, " ({why})");
            }
            s
        })
        .collect();
    Err(errors)
}

/// A build script's check of definition files, and the constants for them.
///
/// In `build.rs` (with `aslx` as a build-dependency):
///
/// ```no_run
/// // build.rs
/// aslx::build::Definitions::new()
///     .dir("machines") // every *.asl.json in it, as EXPRESS
///     .generate()
///     .unwrap_or_else(|e| panic!("{e}"));
/// ```
///
/// and in the crate, `include!(concat!(env!("OUT_DIR"), "/aslx_definitions.rs"));` defines
/// a `pub const` [`CheckedDefinition`] per file, named after it (`order.asl.json` →
/// `ORDER`). A finding fails the build with every finding listed as `file:line:column`.
#[derive(Clone, Debug, Default)]
pub struct Definitions {
    files: Vec<(PathBuf, MachineType)>,
    dirs: Vec<(PathBuf, MachineType)>,
}

impl Definitions {
    /// No files yet.
    pub fn new() -> Definitions {
        Definitions::default()
    }

    /// Every `*.asl.json` file directly in `dir`, as EXPRESS machines.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push((dir.into(), MachineType::Express));
        self
    }

    /// One file, for a machine of type `t`.
    pub fn file(mut self, path: impl Into<PathBuf>, t: MachineType) -> Self {
        self.files.push((path.into(), t));
        self
    }

    /// Checks every file and writes the constants to `$OUT_DIR/aslx_definitions.rs`, telling
    /// cargo to build again when a file changes.
    ///
    /// # Errors
    ///
    /// Every finding of every file, a file or directory that cannot be read, or no
    /// `OUT_DIR` (not in a build script).
    pub fn generate(self) -> Result<PathBuf, String> {
        let out = std::env::var_os("OUT_DIR")
            .map(PathBuf::from)
            .ok_or("OUT_DIR is not set: call Definitions::generate from a build script")?;
        let path = out.join("aslx_definitions.rs");
        let code = self.check_all(&mut |p| println!("cargo:rerun-if-changed={}", p.display()))?;
        std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Checks every file; the generated code, or every finding.
    fn check_all(self, watch: &mut dyn FnMut(&Path)) -> Result<String, String> {
        let mut files = self.files;
        for (dir, t) in self.dirs {
            watch(&dir);
            let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
                .collect();
            found.sort();
            files.extend(found.into_iter().map(|p| (p, t)));
        }
        let mut code = String::from("// Generated by aslx::build::Definitions: do not edit.\n");
        let mut errors = Vec::new();
        for (path, t) in files {
            watch(&path);
            let shown = path.display().to_string();
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(format!("{shown}: {e}"));
                    continue;
                }
            };
            if let Err(mut e) = check(&shown, &text, t) {
                errors.append(&mut e);
                continue;
            }
            let abs = std::fs::canonicalize(&path).map_err(|e| format!("{shown}: {e}"))?;
            let _ = writeln!(
                code,
                "#[allow(dead_code)]\npub const {}: ::aslx::CheckedDefinition = \
                 ::aslx::CheckedDefinition::__checked(include_str!({:?}), \
                 ::aslx::MachineType::{:?}, {:?});",
                const_name(&path),
                abs.display().to_string(),
                t,
                shown
            );
        }
        match errors.is_empty() {
            true => Ok(code),
            false => Err(format!(
                "{} finding(s) in state machine definitions:\n{}",
                errors.len(),
                errors.join("\n")
            )),
        }
    }
}

/// `machines/order-flow.asl.json` → `ORDER_FLOW`.
fn const_name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy())
        .unwrap_or_default();
    let stem = file.strip_suffix(".asl.json").unwrap_or(&file);
    let mut name: String = stem
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_uppercase(),
            false => '_',
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_of_several_files_are_all_reported_and_good_files_become_constants() {
        let dir = std::env::temp_dir().join(format!("aslx-build-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
        std::fs::write(dir.join("order-flow.asl.json"), good).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a definition").unwrap();
        let mut watched = Vec::new();
        let code = Definitions::new()
            .dir(&dir)
            .check_all(&mut |p| watched.push(p.to_path_buf()))
            .unwrap();
        assert!(
            code.contains("pub const ORDER_FLOW: ::aslx::CheckedDefinition"),
            "{code}"
        );
        assert!(code.contains("::aslx::MachineType::Express"), "{code}");
        assert_eq!(watched.len(), 2, "the directory and the file: {watched:?}");

        std::fs::write(
            dir.join("broken.asl.json"),
            "{\"StartAt\": \"X\",\n\"States\": {}}",
        )
        .unwrap();
        std::fs::write(dir.join("not-json.asl.json"), "{\"StartAt\": ").unwrap();
        let err = Definitions::new()
            .dir(&dir)
            .file(dir.join("missing.asl.json"), MachineType::Standard)
            .check_all(&mut |_| {})
            .unwrap_err();
        assert!(err.starts_with("5 finding(s)"), "{err}");
        assert!(err.contains("broken.asl.json:1:2: MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt"), "{err}");
        assert!(
            err.contains(
                "broken.asl.json:2:1: SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States"
            ),
            "{err}"
        );
        assert!(
            err.contains("not-json.asl.json:1:13: not valid JSON"),
            "{err}"
        );
        assert!(err.contains("missing.asl.json: "), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn constant_names() {
        assert_eq!(const_name(Path::new("a/order-flow.asl.json")), "ORDER_FLOW");
        assert_eq!(const_name(Path::new("1st.asl.json")), "_1ST");
    }
}
