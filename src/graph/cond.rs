//! A Choice rule's condition in a few words, for its edge's label (`$.kind == "a"`).

use crate::asl::model::{Comparison, Condition, Operand};

/// Longest label, in characters; longer ones end in `…`.
const MAX_CHARS: usize = 48;

/// `condition` in short, at most [`MAX_CHARS`] characters.
pub(super) fn short(condition: &Condition) -> String {
    let full = render(condition);
    if full.chars().count() <= MAX_CHARS {
        return full;
    }
    let mut s: String = full.chars().take(MAX_CHARS - 1).collect();
    s.push('…');
    s
}

fn render(c: &Condition) -> String {
    match c {
        Condition::And(cs) => join(cs, " and "),
        Condition::Or(cs) => join(cs, " or "),
        Condition::Not(c) => format!("not {}", grouped(c)),
        Condition::Test {
            variable,
            op,
            operand,
        } => {
            let rhs = match operand {
                Operand::Value(v) => v.to_json(),
                Operand::Path(p) => p.clone(),
            };
            match symbol(*op) {
                Symbol::Infix(s) => format!("{variable} {s} {rhs}"),
                Symbol::Is(what) if rhs == "true" => format!("{variable} is {what}"),
                Symbol::Is(what) => format!("{variable} is not {what}"),
            }
        }
        Condition::Jsonata(v) => match v.as_str() {
            Some(s) => s.to_string(),
            None => v.to_json(),
        },
    }
}

fn join(cs: &[Condition], sep: &str) -> String {
    cs.iter().map(grouped).collect::<Vec<_>>().join(sep)
}

fn grouped(c: &Condition) -> String {
    match c {
        Condition::And(_) | Condition::Or(_) => format!("({})", render(c)),
        _ => render(c),
    }
}

enum Symbol {
    Infix(&'static str),
    Is(&'static str),
}

fn symbol(op: Comparison) -> Symbol {
    use Comparison::*;
    match op {
        StringEquals | NumericEquals | BooleanEquals | TimestampEquals => Symbol::Infix("=="),
        StringLessThan | NumericLessThan | TimestampLessThan => Symbol::Infix("<"),
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => Symbol::Infix(">"),
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => {
            Symbol::Infix("<=")
        }
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => {
            Symbol::Infix(">=")
        }
        StringMatches => Symbol::Infix("matches"),
        IsNull => Symbol::Is("null"),
        IsPresent => Symbol::Is("present"),
        IsNumeric => Symbol::Is("numeric"),
        IsString => Symbol::Is("string"),
        IsBoolean => Symbol::Is("boolean"),
        IsTimestamp => Symbol::Is("timestamp"),
    }
}
