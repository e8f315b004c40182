//! Workflow variables (`Assign`, ASL §9): one scope per `States` object (VAR-8).
//!
//! An execution's own variables are a short list searched by name; the variables of the
//! scopes around it (the states that started a Parallel branch or a Map iteration) are frozen
//! in [`Frame`]s shared by every child of one fork. A child reads outer variables as they were
//! when the fork started and can never write them.

use super::error::{ErrorClass, ExecError};
use crate::path::VarLookup;
use crate::value::{serialized_len_at_most, Map, Str, Value};
use smallvec::SmallVec;
use std::sync::Arc;

/// Largest value of one variable, and of all values of one `Assign` (VAR-10): 256 KiB.
pub const MAX_ASSIGN_BYTES: usize = 262_144;

/// Largest total of the variables an execution stores at once (VAR-10): 10 MiB.
pub const MAX_VARIABLE_BYTES: usize = 10 * 1024 * 1024;

/// Variables computed by one `Assign`, stored only after the state's other fields ran (VAR-4).
pub(crate) type Assigned = SmallVec<[(Str, Value, usize); 2]>;

/// The variables frozen when a Parallel or Map started: what its children may read.
#[derive(Debug)]
pub(crate) struct Frame {
    vars: Vec<(Str, Value, usize)>,
    outer: Option<Arc<Frame>>,
}

/// The variables an execution (or a branch / iteration) sees.
///
/// PERF: one pointer, null until the first `Assign` or an outer scope: most executions have
/// no variables, and every parked execution carries this field (engine memory test).
#[derive(Clone, Debug, Default)]
pub(crate) struct Vars(Option<Box<Scope>>);

#[derive(Clone, Debug, Default)]
struct Scope {
    /// This scope's variables with their serialized sizes.
    own: Vec<(Str, Value, usize)>,
    outer: Option<Arc<Frame>>,
    /// Serialized bytes of `own`.
    bytes: usize,
}

impl VarLookup for Vars {
    fn var(&self, name: &str) -> Option<&Value> {
        let s = self.0.as_deref()?;
        if let Some((_, v, _)) = s.own.iter().find(|(n, _, _)| &**n == name) {
            return Some(v);
        }
        let mut frame = s.outer.as_deref();
        while let Some(f) = frame {
            if let Some((_, v, _)) = f.vars.iter().find(|(n, _, _)| &**n == name) {
                return Some(v);
            }
            frame = f.outer.as_deref();
        }
        None
    }
}

impl Vars {
    /// The variables of a branch or iteration started under `frame`.
    pub(crate) fn child(frame: Option<Arc<Frame>>) -> Vars {
        Vars(frame.map(|outer| {
            Box::new(Scope {
                own: Vec::new(),
                outer: Some(outer),
                bytes: 0,
            })
        }))
    }

    /// Freezes what a child scope may read: this scope's variables and the outer ones.
    /// `None` when there are none at all.
    pub(crate) fn frame(&self) -> Option<Arc<Frame>> {
        let s = self.0.as_deref()?;
        if s.own.is_empty() {
            return s.outer.clone();
        }
        Some(Arc::new(Frame {
            vars: s.own.clone(),
            outer: s.outer.clone(),
        }))
    }

    /// `true` when no variable is readable here.
    pub(crate) fn is_empty(&self) -> bool {
        self.0
            .as_deref()
            .is_none_or(|s| s.own.is_empty() && s.outer.as_deref().is_none_or(Frame::is_empty))
    }

    /// Every variable readable here as one object, an inner scope's value winning over an
    /// outer one of the same name (what TestState's `inspectionData.variables` shows).
    pub(crate) fn snapshot(&self) -> Value {
        let mut m = Map::new();
        if let Some(s) = self.0.as_deref() {
            let mut frames = Vec::new();
            let mut frame = s.outer.as_deref();
            while let Some(f) = frame {
                frames.push(f);
                frame = f.outer.as_deref();
            }
            for f in frames.iter().rev() {
                for (n, v, _) in &f.vars {
                    m.insert(n.clone(), v.clone());
                }
            }
            for (n, v, _) in &s.own {
                m.insert(n.clone(), v.clone());
            }
        }
        Value::object(m)
    }

    /// Stores the members of `vars` as variables of this scope, as an `Assign` would but
    /// without its size checks: pre-set by the caller (TestState's `variables`), who bounds
    /// them.
    pub(crate) fn preset(&mut self, vars: &Map) {
        let s = self.0.get_or_insert_with(Box::default);
        for (name, value) in vars.iter() {
            let size = serialized_len_at_most(value, usize::MAX).unwrap_or(usize::MAX);
            if let Some(slot) = s.own.iter_mut().find(|(n, _, _)| n == name) {
                s.bytes = s.bytes.saturating_sub(slot.2).saturating_add(size);
                slot.1 = value.clone();
                slot.2 = size;
            } else {
                s.bytes = s.bytes.saturating_add(size);
                s.own.push((name.clone(), value.clone(), size));
            }
        }
    }

    /// Checks the values of one `Assign` object against the size limits (VAR-10) and returns
    /// them ready to [`commit`](Vars::commit).
    pub(crate) fn prepare(&self, assigned: Value, state: &str) -> Result<Assigned, ExecError> {
        let mut out = Assigned::new();
        let Value::Object(m) = assigned else {
            return Ok(out);
        };
        let mut total = 0usize;
        for (k, v) in m.iter() {
            let Some(size) = serialized_len_at_most(v, MAX_ASSIGN_BYTES) else {
                return Err(too_large(format!(
                    "The variable '{k}' assigned by the state '{state}' exceeds the maximum size of {MAX_ASSIGN_BYTES} bytes."
                )));
            };
            total += size;
            if total > MAX_ASSIGN_BYTES {
                return Err(too_large(format!(
                    "The variables assigned by the state '{state}' exceed the maximum total size of {MAX_ASSIGN_BYTES} bytes."
                )));
            }
            out.push((k.clone(), v.clone(), size));
        }
        Ok(out)
    }

    /// Stores prepared values (the second phase of VAR-4).
    pub(crate) fn commit(&mut self, assigned: Assigned, state: &str) -> Result<(), ExecError> {
        let s = self.0.get_or_insert_with(Box::default);
        for (name, value, size) in assigned {
            if let Some(slot) = s.own.iter_mut().find(|(n, _, _)| *n == name) {
                s.bytes = s.bytes - slot.2 + size;
                slot.1 = value;
                slot.2 = size;
            } else {
                s.bytes += size;
                s.own.push((name, value, size));
            }
        }
        if s.bytes > MAX_VARIABLE_BYTES {
            return Err(too_large(format!(
                "The variables stored by the execution exceed the maximum total size of {MAX_VARIABLE_BYTES} bytes after the state '{state}'."
            )));
        }
        Ok(())
    }
}

impl Frame {
    fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.outer.as_deref().is_none_or(Frame::is_empty)
    }
}

#[cold]
fn too_large(cause: String) -> ExecError {
    ExecError::new("States.DataLimitExceeded", Some(cause), ErrorClass::Fatal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn inner_scope_reads_outer_values_as_of_the_fork() {
        let mut outer = Vars::default();
        let a = outer.prepare(json!({"x": 1, "y": 2}), "S").unwrap();
        outer.commit(a, "S").unwrap();
        let frame = outer.frame();
        let a = outer.prepare(json!({"x": 10}), "S").unwrap();
        outer.commit(a, "S").unwrap();
        let mut inner = Vars::child(frame);
        assert_eq!(inner.var("x"), Some(&json!(1)));
        let a = inner.prepare(json!({"z": 3}), "T").unwrap();
        inner.commit(a, "T").unwrap();
        assert_eq!(inner.var("z"), Some(&json!(3)));
        assert_eq!(outer.var("z"), None);
        assert_eq!(outer.var("x"), Some(&json!(10)));
    }

    #[test]
    fn reassigning_replaces_and_keeps_the_byte_count() {
        let mut v = Vars::default();
        for i in 0..100 {
            let a = v.prepare(json!({"n": i}), "S").unwrap();
            v.commit(a, "S").unwrap();
        }
        let s = v.0.as_deref().unwrap();
        assert_eq!(s.own.len(), 1);
        assert_eq!(s.bytes, 2);
    }

    #[test]
    fn oversized_variable_is_data_limit_exceeded() {
        let big = Value::from("x".repeat(MAX_ASSIGN_BYTES));
        let mut m = crate::value::Map::new();
        m.insert("big".into(), big);
        let e = Vars::default().prepare(Value::object(m), "S").unwrap_err();
        assert_eq!(e.error(), "States.DataLimitExceeded");
    }
}
