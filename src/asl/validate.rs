//! Whole-machine checks (ST-2, ST-5..ST-7, TOP-2): every transition names a state of its own
//! scope, every state is reachable, every scope can end, and names are unique across the whole
//! definition, branches and processors included.

use super::error::DiagnosticCode;
use super::model::{Scope, StateKind, StateMachine, Transition};
use super::parse::Parser;
use std::collections::{HashMap, HashSet};

pub(crate) fn validate(p: &mut Parser, m: &StateMachine) {
    let mut seen = HashSet::new();
    check_scope(p, &m.scope, &mut seen);
    check_variable_scopes(p, &m.scope, &[]);
}

/// VAR-8: a Parallel branch or Map iteration may read the variables of the scopes around it,
/// but must not assign one of their names.
fn check_variable_scopes(p: &mut Parser, scope: &Scope, outer: &[String]) {
    let assigned_here = |s: &super::model::State| -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut add = |v: &Option<crate::value::Value>, loc: String| {
            if let Some(o) = v.as_ref().and_then(|v| v.as_object()) {
                for k in o.keys() {
                    let name = k.strip_suffix(".$").unwrap_or(k);
                    out.push((name.to_string(), loc.clone()));
                }
            }
        };
        add(&s.io.assign, format!("{}/Assign", s.location));
        for c in &s.io.catch {
            add(&c.assign, format!("{}/Assign", c.location));
        }
        if let StateKind::Choice(c) = &s.kind {
            for r in &c.choices {
                add(&r.assign, format!("{}/Assign", r.location));
            }
        }
        out
    };
    let mut names: Vec<String> = outer.to_vec();
    let mut assigned_by: Vec<Vec<String>> = Vec::with_capacity(scope.states.len());
    for s in &scope.states {
        let here = assigned_here(s);
        assigned_by.push(here.iter().map(|(n, _)| n.clone()).collect());
        for (name, loc) in here {
            if outer.contains(&name) {
                p.diag(
                    DiagnosticCode::SchemaValidationFailed,
                    format!(
                        "The variable '{name}' is assigned in an outer scope: a Parallel branch or Map iteration can read it but cannot assign it"
                    ),
                    Some(loc),
                );
            } else if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    for (i, s) in scope.states.iter().enumerate() {
        // A Parallel or Map assigns its own variables (Assign, catchers) only once its
        // branches or iterations are over: those may use the names (AWS accepts a branch
        // assigning a name the Parallel's catcher assigns, recorded in
        // `states_variables/error_output.parallel_catch_error`).
        let others = || -> Vec<String> {
            let mut v = outer.to_vec();
            for (j, assigned) in assigned_by.iter().enumerate() {
                if j != i {
                    v.extend(
                        assigned
                            .iter()
                            .filter(|n| !v.contains(n))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                }
            }
            v
        };
        match &s.kind {
            StateKind::Parallel(par) => {
                let names = others();
                for b in &par.branches {
                    check_variable_scopes(p, b, &names);
                }
            }
            // A distributed Map's iterations see no outer variables at all.
            StateKind::Map(m) if m.distributed => check_variable_scopes(p, &m.processor, &[]),
            StateKind::Map(m) => check_variable_scopes(p, &m.processor, &others()),
            _ => {}
        }
    }
}

fn missing_target(p: &mut Parser, target: &str, loc: String) {
    p.diag(
        DiagnosticCode::MissingTransitionTarget,
        format!("Missing 'Next' target: {target}"),
        Some(loc),
    );
}

fn check_scope(p: &mut Parser, scope: &Scope, seen: &mut HashSet<String>) {
    let index: HashMap<&str, usize> = scope
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (&*s.name, i))
        .collect();
    for s in &scope.states {
        if !seen.insert(s.name.to_string()) {
            p.diag(
                DiagnosticCode::DuplicateStateName,
                format!("Duplicate State name: {}", s.name),
                Some(s.location.clone()),
            );
        }
    }
    let start = index.get(&*scope.start_at).copied();
    if start.is_none() {
        missing_target(p, &scope.start_at, format!("{}/StartAt", scope.location));
    }
    // Edges of every state, checked as they are collected.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); scope.states.len()];
    let mut has_terminal = false;
    for (i, s) in scope.states.iter().enumerate() {
        let mut link = |p: &mut Parser, target: &str, loc: String| match index.get(target) {
            Some(&j) => edges[i].push(j),
            None => missing_target(p, target, loc),
        };
        match &s.transition {
            Transition::Next(n) => link(p, n, format!("{}/Next", s.location)),
            Transition::End => has_terminal = true,
            Transition::None => {}
        }
        for c in &s.io.catch {
            link(p, &c.next, format!("{}/Next", c.location));
        }
        match &s.kind {
            StateKind::Succeed | StateKind::Fail(_) => has_terminal = true,
            StateKind::Choice(c) => {
                for r in &c.choices {
                    link(p, &r.next, format!("{}/Next", r.location));
                }
                if let Some(d) = &c.default {
                    link(p, d, format!("{}/Default", s.location));
                }
            }
            StateKind::Parallel(par) => {
                for b in &par.branches {
                    check_scope(p, b, seen);
                }
            }
            StateKind::Map(m) => check_scope(p, &m.processor, seen),
            _ => {}
        }
    }
    if !has_terminal {
        // ST-7: AWS reports this alone, without the unreachable states it implies.
        p.diag(
            DiagnosticCode::MissingEndState,
            "Workflow has no terminal state".to_string(),
            None,
        );
        return;
    }
    let Some(start) = start else { return };
    let mut reached = vec![false; scope.states.len()];
    let mut stack = vec![start];
    reached[start] = true;
    while let Some(i) = stack.pop() {
        for &j in &edges[i] {
            if !reached[j] {
                reached[j] = true;
                stack.push(j);
            }
        }
    }
    for (i, s) in scope.states.iter().enumerate() {
        if !reached[i] {
            p.diag(
                DiagnosticCode::MissingTransitionTarget,
                format!("State \"{}\" is not reachable.", s.name),
                Some(s.location.clone()),
            );
        }
    }
}
