//! Choice rules compiled to predicate trees over compiled paths (CH-4..CH-8).

use crate::asl::model::{Comparison, Condition, Operand};
use crate::asl::timestamp::parse_timestamp;
use crate::path::{Env, Path, PathError};
use crate::value::Value;
use std::cmp::Ordering;

/// A compiled Boolean expression.
#[derive(Debug)]
pub enum Predicate {
    /// All must hold; stops at the first false (CH-5).
    And(Box<[Predicate]>),
    /// One must hold; stops at the first true (CH-5).
    Or(Box<[Predicate]>),
    /// Negation.
    Not(Box<Predicate>),
    /// A data test.
    Test(Box<Test>),
}

/// `Variable` + operator + operand.
#[derive(Debug)]
pub struct Test {
    variable: Path,
    op: Comparison,
    operand: CompiledOperand,
}

#[derive(Debug)]
enum CompiledOperand {
    Value(Value),
    /// Parsed once: the literal timestamp of a Timestamp operator.
    Instant(i128),
    Path(Path),
}

/// A path of a rule found nothing (CH-8): the engine fails with `States.Runtime`.
#[derive(Debug)]
pub struct ChoiceError {
    /// The path as written.
    pub path: String,
    /// What the path evaluation said.
    pub error: PathError,
}

impl Predicate {
    /// Compiles a validated condition.
    pub fn compile(c: &Condition) -> Result<Predicate, String> {
        Ok(match c {
            Condition::And(v) => {
                Predicate::And(v.iter().map(Predicate::compile).collect::<Result<_, _>>()?)
            }
            Condition::Or(v) => {
                Predicate::Or(v.iter().map(Predicate::compile).collect::<Result<_, _>>()?)
            }
            Condition::Not(c) => Predicate::Not(Box::new(Predicate::compile(c)?)),
            Condition::Test {
                variable,
                op,
                operand,
            } => {
                let variable = Path::parse(variable)?;
                let operand = match operand {
                    Operand::Path(p) => CompiledOperand::Path(Path::parse(p)?),
                    Operand::Value(v) if is_timestamp_op(*op) => {
                        let s = v.as_str().unwrap_or_default();
                        CompiledOperand::Instant(parse_timestamp(s).ok_or("bad timestamp")?)
                    }
                    Operand::Value(v) => CompiledOperand::Value(v.clone()),
                };
                Predicate::Test(Box::new(Test {
                    variable,
                    op: *op,
                    operand,
                }))
            }
            Condition::Jsonata(_) => return Err("JSONata conditions are compiled elsewhere".into()),
        })
    }

    /// `true` when some path of the rule reads the Context object.
    pub fn uses_context(&self) -> bool {
        match self {
            Predicate::And(v) | Predicate::Or(v) => v.iter().any(Predicate::uses_context),
            Predicate::Not(p) => p.uses_context(),
            Predicate::Test(t) => {
                t.variable.text().starts_with("$$")
                    || matches!(&t.operand, CompiledOperand::Path(p) if p.text().starts_with("$$"))
            }
        }
    }

    /// Evaluates the rule.
    ///
    /// # Errors
    ///
    /// A `Variable` or operand path that finds nothing (except under `IsPresent`).
    pub fn eval(&self, env: &Env<'_>) -> Result<bool, ChoiceError> {
        match self {
            Predicate::And(v) => {
                for p in v.iter() {
                    if !p.eval(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Predicate::Or(v) => {
                for p in v.iter() {
                    if p.eval(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Predicate::Not(p) => Ok(!p.eval(env)?),
            Predicate::Test(t) => t.eval(env),
        }
    }
}

impl std::fmt::Display for Predicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |f: &mut std::fmt::Formatter<'_>, name: &str, v: &[Predicate]| {
            write!(f, "{name}(")?;
            for (i, p) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{p}")?;
            }
            f.write_str(")")
        };
        match self {
            Predicate::And(v) => list(f, "and", v),
            Predicate::Or(v) => list(f, "or", v),
            Predicate::Not(p) => write!(f, "not({p})"),
            Predicate::Test(t) => {
                write!(f, "{} {:?} ", t.variable.text(), t.op)?;
                match &t.operand {
                    CompiledOperand::Value(v) => write!(f, "{}", v.to_json()),
                    CompiledOperand::Instant(ns) => write!(f, "@{ns}ns"),
                    CompiledOperand::Path(p) => write!(f, "path {}", p.text()),
                }
            }
        }
    }
}

fn is_timestamp_op(op: Comparison) -> bool {
    use Comparison::*;
    matches!(
        op,
        TimestampEquals
            | TimestampLessThan
            | TimestampGreaterThan
            | TimestampLessThanEquals
            | TimestampGreaterThanEquals
    )
}

impl Test {
    fn eval(&self, env: &Env<'_>) -> Result<bool, ChoiceError> {
        use Comparison::*;
        let value = match self.variable.eval(env) {
            Ok(v) => Some(v),
            Err(error) => {
                if self.op == IsPresent {
                    None
                } else {
                    return Err(ChoiceError {
                        path: self.variable.text().to_string(),
                        error,
                    });
                }
            }
        };
        if self.op == IsPresent {
            let expect = matches!(&self.operand, CompiledOperand::Value(Value::Bool(true)));
            return Ok(value.is_some() == expect);
        }
        let Some(value) = value else { return Ok(false) };
        let operand_value;
        let operand: &CompiledOperand = match &self.operand {
            CompiledOperand::Path(p) => {
                let v = p.eval(env).map_err(|error| ChoiceError {
                    path: p.text().to_string(),
                    error,
                })?;
                operand_value = if is_timestamp_op(self.op) {
                    match v.as_str().and_then(parse_timestamp) {
                        Some(t) => CompiledOperand::Instant(t),
                        None => return Ok(false),
                    }
                } else {
                    CompiledOperand::Value(v)
                };
                &operand_value
            }
            other => other,
        };
        Ok(compare(self.op, &value, operand))
    }
}

fn compare(op: Comparison, v: &Value, operand: &CompiledOperand) -> bool {
    use Comparison::*;
    let lit = match operand {
        CompiledOperand::Value(l) => Some(l),
        _ => None,
    };
    let test_flag = || lit.and_then(Value::as_bool).unwrap_or(false);
    match op {
        IsNull => v.is_null() == test_flag(),
        IsNumeric => v.is_number() == test_flag(),
        IsString => matches!(v, Value::String(_)) == test_flag(),
        IsBoolean => matches!(v, Value::Bool(_)) == test_flag(),
        IsTimestamp => v.as_str().and_then(parse_timestamp).is_some() == test_flag(),
        IsPresent => true,
        StringMatches => match (v.as_str(), lit.and_then(Value::as_str)) {
            (Some(s), Some(p)) => string_matches(s, p),
            _ => false,
        },
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals => {
            match (v.as_str(), lit.and_then(Value::as_str)) {
                // Java compares UTF-16 code units; so do we, for identical ordering.
                (Some(a), Some(b)) => ordered(op, a.encode_utf16().cmp(b.encode_utf16())),
                _ => false,
            }
        }
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => {
            let ord = match (v, lit) {
                (Value::Int(a), Some(Value::Int(b))) => Some(a.cmp(b)),
                (a, Some(b)) => match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => None,
                },
                _ => None,
            };
            ord.is_some_and(|o| ordered(op, o))
        }
        BooleanEquals => match (v.as_bool(), lit.and_then(Value::as_bool)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => {
            let CompiledOperand::Instant(b) = operand else {
                return false;
            };
            match v.as_str().and_then(parse_timestamp) {
                Some(a) => ordered(op, a.cmp(b)),
                None => false,
            }
        }
    }
}

fn ordered(op: Comparison, o: Ordering) -> bool {
    use Comparison::*;
    match op {
        StringEquals | NumericEquals | TimestampEquals => o == Ordering::Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => o == Ordering::Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => o == Ordering::Greater,
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => {
            o != Ordering::Greater
        }
        _ => o != Ordering::Less,
    }
}

/// `StringMatches`: `*` is any run of characters; `\*` and `\\` are literal (CH-6).
///
/// Linear in the lengths of `s` and `pattern` (issue 18: the greedy match that backtracks to
/// the last star is O(n·m), 9 s for a 50 KB pattern against 250 KB): the pattern is split at
/// its stars into literal segments; the first must begin `s`, the last must end it, and each
/// one between is found at its leftmost place after the previous one (leftmost is always as
/// good as any later place, since a star absorbs what is skipped), with the standard library's
/// two-way substring search, linear in the worst case.
pub fn string_matches(s: &str, pattern: &str) -> bool {
    let segments = glob_segments(pattern);
    let Some((first, rest)) = segments.split_first() else {
        return s.is_empty();
    };
    let Some((last, middle)) = rest.split_last() else {
        return s == first; // no star
    };
    if s.len() < first.len() + last.len() || !s.starts_with(&**first) || !s.ends_with(&**last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for seg in middle {
        match rest.find(&**seg) {
            Some(at) => rest = &rest[at + seg.len()..],
            None => return false,
        }
    }
    true
}

/// The literal segments of a `StringMatches` pattern between its stars, escapes resolved: one
/// more than there are stars (`"a*b*"` → `["a", "b", ""]`). A trailing lone backslash is
/// literal.
fn glob_segments(pattern: &str) -> Vec<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let mut segments = Vec::new();
    let mut start = 0;
    let mut owned: Option<String> = None;
    let mut chars = pattern.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let buf = owned.get_or_insert_with(|| pattern[start..i].to_string());
                match chars.next() {
                    Some((_, e)) => buf.push(e),
                    None => buf.push('\\'),
                }
            }
            '*' => {
                segments.push(match owned.take() {
                    Some(b) => Cow::Owned(b),
                    None => Cow::Borrowed(&pattern[start..i]),
                });
                start = i + 1;
            }
            c => {
                if let Some(b) = &mut owned {
                    b.push(c);
                }
            }
        }
    }
    segments.push(match owned {
        Some(b) => Cow::Owned(b),
        None => Cow::Borrowed(&pattern[start..]),
    });
    segments
}

#[cfg(test)]
mod tests {
    use super::string_matches;

    #[test]
    fn ch_6_string_matches() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abc", "a*b*c"));
        assert!(!string_matches("abd", "a*c"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("a\\b", "a\\\\b"));
        assert!(string_matches("aaa", "*a"));
        assert!(string_matches("abc", "abc"));
        assert!(!string_matches("abcd", "abc"));
        assert!(string_matches("", ""));
        assert!(!string_matches("a", ""));
        assert!(string_matches("a", "a*"));
        assert!(string_matches("a", "*a*"));
        assert!(
            !string_matches("ab", "a*ab"),
            "prefix and suffix may not overlap"
        );
        assert!(string_matches("aab", "a*ab"));
        assert!(string_matches("xyz*", "*\\*"));
        assert!(
            string_matches("a\\", "a\\"),
            "a trailing lone backslash is literal"
        );
        assert!(string_matches("αβγδ", "α*γ*"));
        assert!(!string_matches("αβ", "*γ*"));
    }

    /// The greedy matcher this replaced, as a reference for the property below.
    fn backtracking(s: &str, pattern: &str) -> bool {
        let mut toks: Vec<Option<char>> = Vec::new();
        let mut it = pattern.chars();
        while let Some(c) = it.next() {
            match c {
                '\\' => toks.push(Some(it.next().unwrap_or('\\'))),
                '*' => toks.push(None),
                c => toks.push(Some(c)),
            }
        }
        let text: Vec<char> = s.chars().collect();
        let (mut ti, mut pi, mut star) = (0, 0, None);
        while ti < text.len() {
            match toks.get(pi) {
                Some(Some(c)) if *c == text[ti] => (ti, pi) = (ti + 1, pi + 1),
                Some(None) => (star, pi) = (Some((pi, ti)), pi + 1),
                _ => match star {
                    Some((sp, st)) => (pi, ti, star) = (sp + 1, st + 1, Some((sp, st + 1))),
                    None => return false,
                },
            }
        }
        toks[pi..].iter().all(Option::is_none)
    }

    proptest::proptest! {
        #[test]
        fn the_linear_match_agrees_with_backtracking(
            s in "[ab*\\\\]{0,12}",
            p in "[ab*\\\\]{0,8}",
        ) {
            proptest::prop_assert_eq!(string_matches(&s, &p), backtracking(&s, &p));
        }
    }
}
