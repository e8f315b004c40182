//! A stable, readable text form of a [`Program`] (`aslx compile --dump`), for golden tests and
//! for seeing what the compiler made of a definition.

use super::choice::Predicate;
use super::program::*;
use std::fmt::Write as _;

/// Renders `p`. The format is stable: one state a block, fields in a fixed order, ids as `#n`.
pub fn dump(p: &Program) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "program states={} start=#{} timeout={} tasks={}",
        p.states.len(),
        p.start.0,
        p.timeout_seconds
            .map_or("none".to_string(), |t| format!("{t}s")),
        p.tasks.len()
    );
    for (i, s) in p.states.iter().enumerate() {
        let kind = s.op.type_name();
        let next = match s.next {
            Next::State(id) => format!("next=#{}", id.0),
            Next::End => "end".to_string(),
            Next::None => String::new(),
        };
        let _ = writeln!(out, "#{i} {kind} {:?} {next}  @{}", &*s.name, s.location);
        let io = &s.io;
        select(&mut out, "input_path", &io.input_path);
        if let Some(t) = &io.parameters {
            let _ = writeln!(
                out,
                "    parameters {}{}",
                t.source().to_json(),
                if t.is_const() { " (const)" } else { "" }
            );
        }
        match &s.op {
            Op::Pass {
                result: Some(r), ..
            } => {
                let _ = writeln!(out, "    result {}", r.to_json());
            }
            Op::Task(t) => {
                let _ = writeln!(
                    out,
                    "    call t{} {:?} {}",
                    t.site.0,
                    t.integration,
                    p.tasks[t.site.index()].resource
                );
                num(&mut out, "timeout", &t.timeout);
                num(&mut out, "heartbeat", &t.heartbeat);
            }
            Op::Choice(_) | Op::Wait(_) | Op::Fail(_) if io.jsonata.is_some() => {}
            Op::Choice(c) => {
                for rule in c.rules.iter() {
                    let mut r = String::new();
                    pred(&mut r, &rule.predicate);
                    let _ = writeln!(out, "    when {r} -> #{}", rule.next.0);
                    if let Some(a) = &rule.assign {
                        let _ = writeln!(out, "      assign {}", a.source().to_json());
                    }
                }
                if let Some(d) = c.default {
                    let _ = writeln!(out, "    default -> #{}", d.0);
                }
            }
            Op::Wait(w) => {
                let _ = match &**w {
                    Wait::Seconds(s) => writeln!(out, "    wait seconds {s}"),
                    Wait::SecondsPath(p) => writeln!(out, "    wait seconds_path {}", p.text()),
                    Wait::Timestamp(t) => writeln!(out, "    wait until_ms {t}"),
                    Wait::TimestampPath(p) => writeln!(out, "    wait timestamp_path {}", p.text()),
                };
            }
            Op::Fail(f) => {
                for (name, field) in [("error", &f.error), ("cause", &f.cause)] {
                    match field {
                        Some(FailField::Const(s)) => {
                            let _ = writeln!(out, "    {name} {s:?}");
                        }
                        Some(FailField::Expr(_, field)) => {
                            let _ = writeln!(out, "    {name} from {field}");
                        }
                        None => {}
                    }
                }
            }
            Op::Parallel(par) => {
                for b in par.branches.iter() {
                    let _ = writeln!(
                        out,
                        "    branch scope{} start=#{}",
                        b.0,
                        p.scopes[b.index()].start.0
                    );
                }
            }
            Op::Map(m) => {
                let _ = writeln!(
                    out,
                    "    map scope{} start=#{}{}",
                    m.processor.0,
                    p.scopes[m.processor.index()].start.0,
                    if m.distributed { " distributed" } else { "" }
                );
                if let Some(ip) = &m.items_path {
                    let _ = writeln!(out, "    items_path {}", ip.text());
                }
                if let Some(t) = &m.item_selector {
                    let _ = writeln!(out, "    item_selector {}", t.source().to_json());
                }
                num(&mut out, "max_concurrency", &m.max_concurrency);
                for (name, t) in [
                    ("tolerated_count", &m.tolerated_count),
                    ("tolerated_percentage", &m.tolerated_percentage),
                ] {
                    let _ = match t {
                        None => Ok(()),
                        Some(Tolerance::Const(c)) => writeln!(out, "    {name} {c}"),
                        Some(Tolerance::Path(p)) => writeln!(out, "    {name} from {}", p.text()),
                    };
                }
                if let Some(b) = &m.batcher {
                    num(&mut out, "batch_max_items", &b.max_items);
                    num(&mut out, "batch_max_bytes", &b.max_bytes);
                    if let Some(t) = &b.batch_input {
                        let _ = writeln!(out, "    batch_input {}", t.source().to_json());
                    }
                }
            }
            _ => {}
        }
        if let Some(j) = &io.jsonata {
            jsonata(&mut out, j, &s.op);
        }
        if let Some(t) = &io.result_selector {
            let _ = writeln!(out, "    result_selector {}", t.source().to_json());
        }
        match &io.result_path {
            Merge::Replace => {}
            Merge::Discard => out.push_str("    result_path null\n"),
            Merge::Path(p) => {
                let _ = writeln!(out, "    result_path {}", p.text());
            }
        }
        select(&mut out, "output_path", &io.output_path);
        if let Some(a) = &io.assign {
            let _ = writeln!(out, "    assign {}", a.source().to_json());
        }
        for r in io.retry.iter() {
            let _ = writeln!(
                out,
                "    retry {} interval={}ms max_attempts={} backoff={} max_delay={} jitter={}",
                errors(&r.errors),
                r.interval_ms,
                r.max_attempts,
                r.backoff_rate,
                r.max_delay_ms
                    .map_or("none".to_string(), |d| format!("{d}ms")),
                if r.full_jitter { "FULL" } else { "NONE" }
            );
        }
        for c in io.catch.iter() {
            let rp = match &c.result_path {
                Merge::Replace => "$".to_string(),
                Merge::Discard => "null".to_string(),
                Merge::Path(p) => p.text().to_string(),
            };
            let _ = writeln!(
                out,
                "    catch {} result_path={rp} -> #{}",
                errors(&c.errors),
                c.next.0
            );
            if let Some(a) = &c.assign {
                let _ = writeln!(out, "      assign {}", a.source().to_json());
            }
        }
        if io.uses_context {
            out.push_str("    uses_context\n");
        }
    }
    for (i, t) in p.tasks.iter().enumerate() {
        let _ = writeln!(
            out,
            "task t{i} {:?} {} in {:?}",
            t.integration, t.resource, &*t.state
        );
    }
    out
}

/// The JSONata fields of a JSONata state, expressions as `{% ... %}`.
fn jsonata(out: &mut String, j: &JsonataIo, op: &Op) {
    out.push_str("    jsonata\n");
    let template = |out: &mut String, name: &str, t: &Option<crate::jsonata::Template>| {
        if let Some(t) = t {
            let _ = writeln!(out, "    {name} {}", t.source().to_json());
        }
    };
    template(out, "arguments", &j.arguments);
    match &j.op {
        JsonataOp::Plain => {}
        JsonataOp::Task { timeout, heartbeat } => {
            typed(out, "timeout", timeout);
            typed(out, "heartbeat", heartbeat);
        }
        JsonataOp::Choice { rules } => {
            for r in rules.iter() {
                let cond = match &r.condition {
                    Typed::Const(b) => b.to_string(),
                    Typed::Expr(e) => format!("{{% {} %}}", e.source()),
                };
                let _ = writeln!(out, "    when {cond} -> #{}", r.next.0);
                template(out, "  output", &r.output);
                template(out, "  assign", &r.assign);
            }
            if let Op::Choice(c) = op {
                if let Some(d) = c.default {
                    let _ = writeln!(out, "    default -> #{}", d.0);
                }
            }
        }
        JsonataOp::Wait(JsonataWait::Seconds(t)) => typed(out, "wait seconds", &Some(t)),
        JsonataOp::Wait(JsonataWait::Timestamp(t)) => typed(out, "wait until_ms", &Some(t)),
        JsonataOp::Fail { error, cause } => {
            typed(out, "error", error);
            typed(out, "cause", cause);
        }
        JsonataOp::Map(m) => {
            template(out, "items", &m.items);
            template(out, "item_selector", &m.item_selector);
            typed(out, "max_concurrency", &m.max_concurrency);
            typed(out, "tolerated_count", &m.tolerated_count);
            typed(out, "tolerated_percentage", &m.tolerated_percentage);
        }
    }
    template(out, "output", &j.output);
    template(out, "assign", &j.assign);
    for (i, c) in j.catchers.iter().enumerate() {
        template(out, &format!("catch[{i}] output"), &c.output);
        template(out, &format!("catch[{i}] assign"), &c.assign);
    }
}

fn typed<T: std::fmt::Debug>(
    out: &mut String,
    name: &str,
    t: &Option<impl std::borrow::Borrow<Typed<T>>>,
) {
    let _ = match t.as_ref().map(|t| t.borrow()) {
        None => Ok(()),
        Some(Typed::Const(c)) => writeln!(out, "    {name} {c:?}"),
        Some(Typed::Expr(e)) => writeln!(out, "    {name} {{% {} %}}", e.source()),
    };
}

fn select(out: &mut String, name: &str, s: &Select) {
    let _ = match s {
        Select::All => Ok(()),
        Select::Empty => writeln!(out, "    {name} null"),
        Select::Path(p) => writeln!(out, "    {name} {}", p.text()),
    };
}

fn num(out: &mut String, name: &str, n: &Option<Num>) {
    let _ = match n {
        None => Ok(()),
        Some(Num::Const(c)) => writeln!(out, "    {name} {c}s"),
        Some(Num::Path(p)) => writeln!(out, "    {name} from {}", p.text()),
    };
}

fn errors(e: &ErrorSet) -> String {
    let names: Vec<&str> = e.names.iter().map(|n| &**n).collect();
    format!("[{}]", names.join(","))
}

fn pred(out: &mut String, p: &Predicate) {
    let _ = write!(out, "{p}");
}
