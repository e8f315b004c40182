//! A [`Graph`] as a standalone SVG document, laid out by `layout.rs`.
//!
//! The markup is regular so that tools and tests can read it: every container is a
//! `<g class="container">` (nested ones translated into their Parallel or Map state), every
//! state a `<g class="state TYPE" data-id data-state>` with a `<title>` tooltip, every
//! transition a `<g class="edge KIND" data-from data-to>` holding its path and label.

use super::layout::{self, text_width, Item, Laid, LABEL_H};
use super::{Container, Direction, Edge, EdgeKind, Graph, Node};
use std::fmt::Write;

const STYLE: &str = "
.frame{fill:#fff;stroke:#879196;stroke-dasharray:4 3}
.frame-label{font-size:11px;fill:#545b64}
.state>rect{stroke:#545b64;stroke-width:1}
.state>.name{font-size:12px;fill:#16191f}
.state>.type{font-size:10px;fill:#687078}
.state.task>rect{fill:#dbe9f9}.state.choice>rect{fill:#fdf3d0}.state.wait>rect{fill:#ece4f7}
.state.succeed>rect{fill:#dff3df}.state.fail>rect{fill:#fbe0dd}.state.pass>rect{fill:#fff}
.state.parallel>rect,.state.map>rect{fill:#f4f4f4}
.marker rect{fill:#232f3e}.marker text{fill:#fff;font-size:10px}
.edge path{fill:none;stroke:#545b64;stroke-width:1.2}
.edge.catch path{stroke:#d13212;stroke-dasharray:5 3}
.edge-label rect{fill:#fff;opacity:.9}.edge-label text{font-size:10px;fill:#16191f}
.edge.catch .edge-label text{fill:#d13212}
";

pub(super) fn render(g: &Graph, dir: Direction) -> String {
    let laid = layout::layout(g, dir);
    let mut out = String::with_capacity(4096);
    let (w, h) = (laid.w.ceil(), laid.h.ceil());
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"Helvetica, Arial, sans-serif\" role=\"img\">\n<title>State machine graph</title>\n<defs>{}{}</defs>\n<style>{STYLE}</style>\n",
        arrow("arrow", "#545b64"),
        arrow("arrow-catch", "#d13212"),
    );
    container(&mut out, &g.root, &laid);
    out.push_str("</svg>\n");
    out
}

fn arrow(id: &str, colour: &str) -> String {
    format!(
        "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"{colour}\"/></marker>"
    )
}

fn container(out: &mut String, c: &Container, laid: &Laid) {
    let _ = writeln!(out, "<g class=\"container\" data-id=\"{}\">", c.id);
    if let Some(label) = &c.label {
        let _ = writeln!(
            out,
            "<rect class=\"frame\" rx=\"6\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\"/><text class=\"frame-label\" x=\"10\" y=\"17\">{}</text>",
            f(laid.w),
            f(laid.h),
            esc(label)
        );
    }
    for (e, route) in c.edges.iter().zip(&laid.routes) {
        edge(out, e, route);
    }
    let n = laid.items.len();
    marker(out, &c.start, "start", "Start", &laid.items[0]);
    for (node, item) in c.nodes.iter().zip(&laid.items[1..n - 1]) {
        state(out, node, item);
    }
    marker(out, &c.end, "end", "End", &laid.items[n - 1]);
    out.push_str("</g>\n");
}

fn marker(out: &mut String, id: &str, class: &str, text: &str, it: &Item) {
    let _ = writeln!(
        out,
        "<g class=\"marker {class}\" data-id=\"{id}\"><rect rx=\"13\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{text}</text></g>",
        f(it.x - it.w / 2.0),
        f(it.y - it.h / 2.0),
        f(it.w),
        f(it.h),
        f(it.x),
        f(it.y + 3.5)
    );
}

fn state(out: &mut String, node: &Node, it: &Item) {
    let class = node.state_type.to_ascii_lowercase();
    let (x0, y0) = (it.x - it.w / 2.0, it.y - it.h / 2.0);
    let tip = match &node.resource {
        Some(r) => format!("{} ({}): {}", node.name, node.state_type, r),
        None => format!("{} ({})", node.name, node.state_type),
    };
    let _ = write!(
        out,
        "<g class=\"state {class}{}\" data-id=\"{}\" data-state=\"{}\"><title>{}</title><rect rx=\"6\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
        if node.children.is_empty() { "" } else { " compound" },
        node.id,
        esc(&node.name),
        esc(&tip),
        f(x0),
        f(y0),
        f(it.w),
        f(it.h)
    );
    if node.children.is_empty() {
        let _ = writeln!(
            out,
            "<text class=\"name\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text class=\"type\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            f(it.x),
            f(it.y - 2.0),
            esc(&node.name),
            f(it.x),
            f(it.y + 13.0),
            node.state_type
        );
        return;
    }
    let name_w = text_width(&node.name, 12.0);
    let _ = writeln!(
        out,
        "<text class=\"name\" x=\"{}\" y=\"{}\">{}</text><text class=\"type\" x=\"{}\" y=\"{}\">{}</text>",
        f(x0 + 10.0),
        f(y0 + 17.0),
        esc(&node.name),
        f(x0 + 16.0 + name_w),
        f(y0 + 17.0),
        node.state_type
    );
    for (child, (cx, cy, laid)) in node.children.iter().zip(&it.children) {
        let _ = writeln!(
            out,
            "<g transform=\"translate({},{})\">",
            f(x0 + cx),
            f(y0 + cy)
        );
        container(out, child, laid);
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n");
}

fn edge(out: &mut String, e: &Edge, route: &layout::Route) {
    let kind = match e.kind {
        EdgeKind::Start => "start",
        EdgeKind::Next => "next",
        EdgeKind::End => "end",
        EdgeKind::Choice { .. } => "choice",
        EdgeKind::Default => "default",
        EdgeKind::Catch { .. } => "catch",
    };
    let mut d = String::new();
    for (i, (x, y)) in route.points.iter().enumerate() {
        let _ = write!(d, "{}{},{}", if i == 0 { "M" } else { "L" }, f(*x), f(*y));
    }
    let head = match e.kind {
        EdgeKind::Catch { .. } => "arrow-catch",
        _ => "arrow",
    };
    let _ = write!(
        out,
        "<g class=\"edge {kind}\" data-from=\"{}\" data-to=\"{}\"><path d=\"{d}\" marker-end=\"url(#{head})\"/>",
        e.from, e.to
    );
    let label = e.kind.label();
    if let (false, Some((x, y))) = (label.is_empty(), route.label_at) {
        let w = text_width(&label, 10.0) + 8.0;
        let _ = write!(
            out,
            "<g class=\"edge-label\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            f(x - w / 2.0),
            f(y - LABEL_H / 2.0),
            f(w),
            f(LABEL_H),
            f(x),
            f(y + 3.5),
            esc(&label)
        );
    }
    out.push_str("</g>\n");
}

/// A coordinate, to a tenth of a pixel.
fn f(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Text and attribute values, XML-escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
