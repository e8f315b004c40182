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
