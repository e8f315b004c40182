//! What the corpus runners (`conformance`, `jsonata_suite`) share: finding the case files and
//! the known-failures discipline. A checked-in list names the cases expected to fail; the run
//! fails when a case outside it fails, or when a listed case passes (so the list only
//! shrinks). An environment variable rewrites the list from the failures seen.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every `*.json` file below `dir`, sorted.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display()));
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The results of one corpus run, checked against its known-failures list.
pub struct Tally {
    name: &'static str,
    file: PathBuf,
    write_env: &'static str,
    header: &'static str,
    known: BTreeSet<String>,
    passed: usize,
    failed_known: usize,
    unexpected: Vec<String>,
    fixed: Vec<String>,
    failing_now: Vec<String>,
}

impl Tally {
    /// A run named `name` (the summary line's first word), whose list is `file` (lines `id  #
    /// reason`), rewritten with `header` when `write_env` is set.
    pub fn new(
        name: &'static str,
        file: PathBuf,
        write_env: &'static str,
        header: &'static str,
    ) -> Tally {
        let known = std::fs::read_to_string(&file)
            .unwrap_or_default()
            .lines()
            .map(|l| l.split("  #").next().unwrap_or("").trim().to_string())
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        Tally {
            name,
            file,
            write_env,
            header,
            known,
            passed: 0,
            failed_known: 0,
            unexpected: Vec::new(),
            fixed: Vec::new(),
            failing_now: Vec::new(),
        }
    }

    /// Records the result of case `id`.
    pub fn record(&mut self, id: String, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                if self.known.contains(&id) {
                    self.fixed.push(id);
                }
            }
            Err(diff) => {
                self.failing_now
                    .push(format!("{id}  # {}", diff.replace('\n', " ")));
                if self.known.contains(&id) {
                    self.failed_known += 1;
                } else {
                    self.unexpected.push(format!("FAIL {id}: {diff}"));
                }
            }
        }
    }

    /// Prints the summary (`<name>: N passed, M failed, K skipped`, where `also_skipped` are
    /// cases that could not run at all, explained by `note`), rewrites the list when asked,
    /// and fails the test on an unexpected failure or a listed case that passes.
    pub fn finish(self, also_skipped: usize, note: &str) {
        if std::env::var_os(self.write_env).is_some() {
            let mut text = String::from(self.header);
            for l in &self.failing_now {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::write(&self.file, text).unwrap();
        }
        let list = self.file.display();
        for u in &self.unexpected {
            println!("{u}");
        }
        for f in &self.fixed {
            println!("FIXED {f}: passes now; remove it from {list}");
        }
        println!(
            "{}: {} passed, {} failed, {} skipped",
            self.name,
            self.passed,
            self.unexpected.len(),
            self.failed_known + also_skipped
        );
        println!(
            "  (skipped = {} known failures listed in {list}, each ran and failed as listed{note})",
            self.failed_known
        );
        assert!(
            self.unexpected.is_empty() && self.fixed.is_empty(),
            "{} unexpected failures, {} known failures now pass",
            self.unexpected.len(),
            self.fixed.len()
        );
    }
}
