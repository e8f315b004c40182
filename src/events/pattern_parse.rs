//! Pattern JSON to its compiled alternatives, refusing what AWS refuses in AWS's words.
//!
//! The walk follows AWS's rule compiler (`aws/event-ruler`'s `JsonRuleCompiler`, which reads
//! the pattern as a token stream): fields are checked in document order and the first fault
//! found is the one reported, with the reason text AWS gives for it. `$or` forks the
//! alternatives built so far, one copy per object in its array, as AWS does; a field written
//! twice for one path keeps the last value. The expansion is capped at
//! [`MAX_ALTERNATIVES`] so that a pattern of many `$or`s cannot multiply into millions.
//! The operators inside a field's array are `pattern_operators.rs`.

use super::pattern::{Alternative, Compiled, Cond, Field, Pattern, PatternError};
use super::pattern_flat::PathSet;
use super::pattern_operators::{parse_operator, single_address, Operator};
use super::pattern_wildcard::{self, Wildcard, MAX_COMPLEXITY};
use crate::value::{Map, Value, MAX_DEPTH};
use std::collections::HashMap;
use std::sync::Arc;

/// Most alternatives a pattern may expand into through `$or`.
pub(crate) const MAX_ALTERNATIVES: usize = 1024;

/// Most fields all alternatives together may hold (each `$or` copies the fields before it).
pub(crate) const MAX_FIELDS: usize = 1 << 20;

/// Field names `$or` objects may not use (AWS reserves them for operators).
const RESERVED_IN_OR: [&str; 24] = [
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

type Result<T> = std::result::Result<T, PatternError>;

/// One alternative under construction: its fields in the order written; a path written
/// twice is resolved (last one wins) when the branch is finished.
type Branch = Vec<Arc<Field>>;

fn err<T>(reason: impl std::fmt::Display) -> Result<T> {
    Err(PatternError::new(reason))
}

/// Compiles a parsed pattern.
pub(crate) fn compile(value: &Value, source: Box<str>) -> Result<Pattern> {
    let Value::Object(map) = value else {
        return err("Filter is not an object");
    };
    if value.depth() > MAX_DEPTH {
        return err(format_args!(
            "document nested deeper than {MAX_DEPTH} levels"
        ));
    }
    let mut walk = Walk::default();
    walk.object(map, false)?;
    let branches = walk.branches;
    check_wildcard_complexity(&branches)?;
    let alternatives: Box<[Alternative]> = branches
        .into_iter()
        .map(|fields| Alternative {
            fields: last_per_path(fields).into(),
        })
        .collect();
    let mut paths = PathSet::default();
    for field in alternatives.iter().flat_map(|a| a.fields.iter()) {
        paths.add(&field.path);
    }
    Ok(Pattern::from_compiled(Compiled {
        alternatives,
        source,
        paths,
    }))
}

/// The walk over the pattern document.
#[derive(Default)]
struct Walk {
    branches: Vec<Branch>,
    /// Dotted path of the object being read.
    path: String,
    /// Fields held by all branches together.
    total: usize,
}

impl Walk {
    fn object(&mut self, map: &Map, in_or: bool) -> Result<()> {
        if map.is_empty() {
            return err("Empty objects are not allowed");
        }
        for (key, value) in map.iter() {
            if &**key == "$or" {
                self.or(value)?;
                continue;
            }
            if in_or && RESERVED_IN_OR.contains(&&**key) {
                return err(format_args!(
                    "{key} is Ruler reserved fieldName which cannot be used inside $or."
                ));
            }
            match value {
                Value::Object(inner) => {
                    let len = self.path.len();
                    if !self.path.is_empty() {
                        self.path.push('.');
                    }
                    self.path.push_str(key);
                    self.object(inner, in_or)?;
                    self.path.truncate(len);
                }
                Value::Array(items) => {
                    let name: Arc<str> = if self.path.is_empty() {
                        (**key).into()
                    } else {
                        format!("{}.{key}", self.path).into()
                    };
                    let field = Arc::new(parse_values(name, items)?);
                    if self.branches.is_empty() {
                        self.branches.push(Vec::new());
                    }
                    for branch in self.branches.iter_mut() {
                        branch.push(field.clone());
                    }
                    self.total += self.branches.len();
                    self.check_size()?;
                }
                _ => return err(format_args!("\"{key}\" must be an object or an array")),
            }
        }
        Ok(())
    }

    /// `$or`: one copy of the branches so far per object of the array, each extended by it.
    fn or(&mut self, value: &Value) -> Result<()> {
        let current = std::mem::take(&mut self.branches);
        let Value::Array(items) = value else {
            return err("It must be an Array followed with $or.");
        };
        // `total` counts the fields of every branch: the forks done, plus the one being read.
        let per_fork = self.total;
        let mut done: Vec<Branch> = Vec::new();
        let mut done_total = 0;
        for item in items.iter() {
            let Value::Object(map) = item else {
                return err("Only JSON object is allowed in array of $or relationship.");
            };
            self.branches = if current.is_empty() {
                vec![Vec::new()]
            } else {
                current.clone()
            };
            self.total = done_total + per_fork;
            self.object(map, true)?;
            done_total = self.total;
            done.append(&mut self.branches);
            if done.len() > MAX_ALTERNATIVES {
                return self.too_big();
            }
        }
        if items.len() < 2 {
            return err("There must have at least 2 Objects in $or relationship.");
        }
        self.branches = done;
        self.total = done_total;
        Ok(())
    }

    fn check_size(&self) -> Result<()> {
        if self.branches.len() > MAX_ALTERNATIVES || self.total > MAX_FIELDS {
            return self.too_big();
        }
        Ok(())
    }

    #[cold]
    fn too_big(&self) -> Result<()> {
        err(format_args!(
            "$or expands the pattern into more than {MAX_ALTERNATIVES} alternatives"
        ))
    }
}

/// The branch's fields with only the last one written for each path (AWS overwrites).
fn last_per_path(branch: Branch) -> Vec<Arc<Field>> {
    let mut seen = std::collections::HashSet::with_capacity(branch.len());
    let mut kept: Vec<Arc<Field>> = branch
        .into_iter()
        .rev()
        .filter(|f| seen.insert(f.path.clone()))
        .collect();
    kept.reverse();
    kept
}

/// A field's array of conditions.
fn parse_values(path: Arc<str>, items: &[Value]) -> Result<Field> {
    let mut field = Field {
        hash: super::pattern_flat::path_hash(&path),
        path,
        conds: Box::new([]),
        any_value: false,
        absent_ok: false,
    };
    let mut conds = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Object(map) => match parse_operator(map)? {
                Operator::Cond(c) => conds.push(c),
                Operator::Exists(true) => field.any_value = true,
                Operator::Exists(false) => field.absent_ok = true,
            },
            Value::String(s) => conds.push(match super::pattern::parse_ip(s) {
                Some(ip) => Cond::Ip(single_address(ip)),
                None => Cond::Str((**s).into()),
            }),
            Value::Int(i) => conds.push(Cond::Num(*i as f64)),
            Value::Float(f) => conds.push(Cond::Num(*f)),
            Value::Bool(b) => conds.push(Cond::Bool(*b)),
            Value::Null => conds.push(Cond::Null),
            Value::Array(_) => {
                return err("Match value must be String, number, true, false, or null")
            }
        }
    }
    if items.is_empty() {
        return err("Empty arrays are not allowed");
    }
    field.conds = conds.into();
    Ok(field)
}

/// AWS refuses a rule whose wildcards, per field, could match too many prefixes at once.
fn check_wildcard_complexity(branches: &[Branch]) -> Result<()> {
    let mut by_path: HashMap<&str, Vec<&Wildcard>> = HashMap::new();
    for field in branches.iter().flatten() {
        for cond in field.conds.iter() {
            if let Cond::Wildcard(w) = cond {
                by_path.entry(&field.path).or_default().push(w);
            }
        }
    }
    for wildcards in by_path.values() {
        if pattern_wildcard::complexity(wildcards.iter().copied()) >= MAX_COMPLEXITY {
            return err("Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character");
        }
    }
    Ok(())
}
