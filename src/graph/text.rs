//! Graphviz DOT and Mermaid text of a [`Graph`]: containers as clusters (DOT) or subgraphs
//! (Mermaid), Catch edges dashed and labelled with their error names, Choice rules labelled
//! with their conditions. Output is stable (definition order), so it diffs well in a README.

use super::{Container, Direction, EdgeKind, Graph, Node};
use std::fmt::Write;

/// Per-type look, shared by both formats: (DOT fill colour, Mermaid class).
fn look(state_type: &str) -> &'static str {
    match state_type {
        "Task" => "#dbe9f9",
        "Choice" => "#fdf3d0",
        "Wait" => "#ece4f7",
        "Succeed" => "#dff3df",
        "Fail" => "#fbe0dd",
        "Parallel" | "Map" => "#f4f4f4",
        _ => "#ffffff",
    }
}

pub(super) fn dot(g: &Graph, direction: Direction) -> String {
    let mut out = String::new();
    let rankdir = match direction {
        Direction::TopBottom => "TB",
        Direction::LeftRight => "LR",
    };
    out.push_str("digraph StateMachine {\n");
    let _ = writeln!(out, "  rankdir={rankdir};");
    out.push_str("  compound=true;\n");
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    dot_container(&mut out, &g.root, 1);
    dot_edges(&mut out, &g.root);
    out.push_str("}\n");
    out
}

fn dot_container(out: &mut String, c: &Container, depth: usize) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{pad}{} [label=\"Start\", shape=circle, style=filled, fillcolor=\"#232f3e\", fontcolor=\"#ffffff\", fontsize=9];",
        c.start
    );
    for n in &c.nodes {
        if n.children.is_empty() {
            let shape = if n.state_type == "Choice" {
                ", shape=diamond, style=filled"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{pad}{} [label=\"{}\", tooltip=\"{}\", fillcolor=\"{}\"{shape}];",
                n.id,
                dot_escape(&n.name),
                n.state_type,
                look(n.state_type)
            );
            continue;
        }
        let _ = writeln!(out, "{pad}subgraph cluster_{} {{", n.id);
        let _ = writeln!(
            out,
            "{pad}  label=\"{} ({})\"; style=\"rounded,filled\"; fillcolor=\"{}\";",
            dot_escape(&n.name),
            n.state_type,
            look(n.state_type)
        );
        for child in &n.children {
            let _ = writeln!(out, "{pad}  subgraph cluster_{} {{", child.id);
            let label = child.label.as_deref().unwrap_or("");
            let _ = writeln!(
                out,
                "{pad}    label=\"{}\"; style=\"dashed,filled\"; fillcolor=\"#ffffff\";",
                dot_escape(label)
            );
            dot_container(out, child, depth + 2);
            let _ = writeln!(out, "{pad}  }}");
        }
        let _ = writeln!(out, "{pad}}}");
    }
    let _ = writeln!(
        out,
        "{pad}{} [label=\"End\", shape=doublecircle, style=filled, fillcolor=\"#232f3e\", fontcolor=\"#ffffff\", fontsize=9];",
        c.end
    );
}

fn dot_edges(out: &mut String, c: &Container) {
    for e in &c.edges {
        // An edge to or from a Parallel or Map state runs to its first container's start
        // marker, or from its end marker, clipped at the state's cluster.
        let (from, tail) = match compound(c, &e.from) {
            Some(n) => (n.children[0].end.as_str(), Some(&n.id)),
            None => (e.from.as_str(), None),
        };
        let (to, head) = match compound(c, &e.to) {
            Some(n) => (n.children[0].start.as_str(), Some(&n.id)),
            None => (e.to.as_str(), None),
        };
        let mut attrs = Vec::new();
        if let Some(t) = tail {
            attrs.push(format!("ltail=cluster_{t}"));
        }
        if let Some(h) = head {
            attrs.push(format!("lhead=cluster_{h}"));
        }
        let label = e.kind.label();
        if !label.is_empty() {
            attrs.push(format!("label=\"{}\"", dot_escape(&label)));
        }
        if let EdgeKind::Catch { .. } = e.kind {
            attrs.push("style=dashed, color=\"#d13212\", fontcolor=\"#d13212\"".into());
        }
        match attrs.is_empty() {
            true => {
                let _ = writeln!(out, "  {from} -> {to};");
            }
            false => {
                let _ = writeln!(out, "  {from} -> {to} [{}];", attrs.join(", "));
            }
        }
    }
    for n in &c.nodes {
        for child in &n.children {
            dot_edges(out, child);
        }
    }
}

/// The Parallel or Map state `id` names in `c`, if it is one.
fn compound<'a>(c: &'a Container, id: &str) -> Option<&'a Node> {
    c.nodes
        .iter()
        .find(|n| n.id == id)
        .filter(|n| !n.children.is_empty())
}

fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

pub(super) fn mermaid(g: &Graph, direction: Direction) -> String {
    let dir = match direction {
        Direction::TopBottom => "TB",
        Direction::LeftRight => "LR",
    };
    let mut out = format!("flowchart {dir}\n");
    let mut classes: Vec<(&'static str, Vec<String>)> = Vec::new();
    mermaid_container(&mut out, &g.root, 1, dir, &mut classes);
    mermaid_edges(&mut out, &g.root);
    out.push_str("  classDef marker fill:#232f3e,stroke:#232f3e,color:#ffffff\n");
    for t in ["Task", "Choice", "Wait", "Succeed", "Fail", "Pass"] {
        let _ = writeln!(
            out,
            "  classDef {} fill:{},stroke:#545b64",
            t.to_ascii_lowercase(),
            look(t)
        );
    }
    for (class, ids) in classes {
        let _ = writeln!(out, "  class {} {class}", ids.join(","));
    }
    out
}

fn mermaid_container(
    out: &mut String,
    c: &Container,
    depth: usize,
    dir: &str,
    classes: &mut Vec<(&'static str, Vec<String>)>,
) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}{}((\"Start\"))", c.start);
    add_class(classes, "marker", &c.start);
    for n in &c.nodes {
        if n.children.is_empty() {
            let name = mermaid_escape(&n.name);
            match n.state_type {
                "Choice" => writeln!(out, "{pad}{}{{\"{name}\"}}", n.id),
                _ => writeln!(out, "{pad}{}[\"{name}\"]", n.id),
            }
            .ok();
            add_class(classes, class_of(n.state_type), &n.id);
            continue;
        }
        let _ = writeln!(
            out,
            "{pad}subgraph {}[\"{} ({})\"]",
            n.id,
            mermaid_escape(&n.name),
            n.state_type
        );
        let _ = writeln!(out, "{pad}  direction {dir}");
        for child in &n.children {
            let label = child.label.as_deref().unwrap_or("");
            let _ = writeln!(
                out,
                "{pad}  subgraph {}[\"{}\"]",
                child.id,
                mermaid_escape(label)
            );
            let _ = writeln!(out, "{pad}    direction {dir}");
            mermaid_container(out, child, depth + 2, dir, classes);
            let _ = writeln!(out, "{pad}  end");
        }
        let _ = writeln!(out, "{pad}end");
    }
    let _ = writeln!(out, "{pad}{}(((\"End\")))", c.end);
    add_class(classes, "marker", &c.end);
}

fn class_of(state_type: &str) -> &'static str {
    match state_type {
        "Task" => "task",
        "Choice" => "choice",
        "Wait" => "wait",
        "Succeed" => "succeed",
        "Fail" => "fail",
        _ => "pass",
    }
}

fn add_class(classes: &mut Vec<(&'static str, Vec<String>)>, class: &'static str, id: &str) {
    match classes.iter_mut().find(|(c, _)| *c == class) {
        Some((_, ids)) => ids.push(id.to_string()),
        None => classes.push((class, vec![id.to_string()])),
    }
}

fn mermaid_edges(out: &mut String, c: &Container) {
    for e in &c.edges {
        let arrow = match e.kind {
            EdgeKind::Catch { .. } => "-.->",
            _ => "-->",
        };
        let label = e.kind.label();
        match label.is_empty() {
            true => writeln!(out, "  {} {arrow} {}", e.from, e.to),
            false => writeln!(
                out,
                "  {} {arrow}|\"{}\"| {}",
                e.from,
                mermaid_escape(&label),
                e.to
            ),
        }
        .ok();
    }
    for n in &c.nodes {
        for child in &n.children {
            mermaid_edges(out, child);
        }
    }
}

/// Text inside a quoted Mermaid label: Mermaid's entity codes for what would end the label or
/// be read as markup (`#` first, since the codes start with it).
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
