//! The operators of a field's conditions (`{"prefix": ..}`, `{"numeric": [..]}`, ...): their
//! operands checked and compiled, with AWS's reason texts for each fault.
//!
//! AWS's rule compiler reads an operator object token by token, so the operand is judged
//! before any extra key: `{"numeric": [5], "x": 1}` fails on the operand. Extra keys are then
//! "Only one key allowed in match expression", except after `numeric` and `anything-but`, where
//! AWS's words are "Too many elements in numeric expression".

use super::pattern::{AnythingBut, Cond, IpRange, NumRange, PatternError, NUMBER_LIMIT};
use super::pattern_wildcard::Wildcard;
use crate::value::{Map, Value};
use std::net::IpAddr;

type Result<T> = std::result::Result<T, PatternError>;

fn err<T>(reason: impl std::fmt::Display) -> Result<T> {
    Err(PatternError::new(reason))
}

/// What one condition object compiles to.
pub(crate) enum Operator {
    /// A condition on the value.
    Cond(Cond),
    /// `{"exists": true|false}`.
    Exists(bool),
}

const ONE_KEY: &str = "Only one key allowed in match expression";
const TOO_MANY_NUMERIC: &str = "Too many elements in numeric expression";

/// `{"<operator>": operand}`.
pub(crate) fn parse_operator(map: &Map) -> Result<Operator> {
    let Some((name, operand)) = map.iter().next() else {
        return err("Match expression name not found");
    };
    let single = map.len() == 1;
    let string_operand = |what: &str| -> Result<&str> {
        match operand {
            Value::String(s) => Ok(s),
            _ => err(format_args!("{what} match pattern must be a string")),
        }
    };
    let cond = match &**name {
        "prefix" | "suffix" => {
            let is_prefix = &**name == "prefix";
            if let Value::Object(inner) = operand {
                let text =
                    no_case_operand(inner, if is_prefix { "Prefix" } else { "Suffix" }, name)?;
                if !single {
                    return err(ONE_KEY);
                }
                let lower = text.to_lowercase().into();
                return Ok(Operator::Cond(if is_prefix {
                    Cond::PrefixNoCase(lower)
                } else {
                    Cond::SuffixNoCase(lower)
                }));
            }
            let text = string_operand(name)?;
            if is_prefix {
                Cond::Prefix(text.into())
            } else {
                Cond::Suffix(text.into())
            }
        }
        "equals-ignore-case" => Cond::EqualsNoCase(string_operand(name)?.to_lowercase().into()),
        "wildcard" => Cond::Wildcard(Wildcard::parse(string_operand(name)?)?),
        "cidr" => Cond::Ip(parse_cidr(string_operand("prefix")?)?),
        "exists" => {
            let Value::Bool(b) = operand else {
                return err("exists match pattern must be either true or false.");
            };
            if !single {
                return err(ONE_KEY);
            }
            return Ok(Operator::Exists(*b));
        }
        "numeric" => {
            let Value::Array(items) = operand else {
                return err("Value of numeric must be an array.");
            };
            let range = parse_numeric(items)?;
            if !single {
                return err(TOO_MANY_NUMERIC);
            }
            return Ok(Operator::Cond(Cond::Numeric(range)));
        }
        "anything-but" => return parse_anything_but(operand, single).map(Operator::Cond),
        _ => return err(format_args!("Unrecognized match type {name}")),
    };
    if !single {
        return err(ONE_KEY);
    }
    Ok(Operator::Cond(cond))
}

/// The operand of `{"prefix": {"equals-ignore-case": "..."}}` (and suffix).
fn no_case_operand<'a>(inner: &'a Map, what: &str, name: &str) -> Result<&'a str> {
    let Some((op, value)) = inner.iter().next() else {
        return err(format_args!("{what} expression name not found"));
    };
    if &**op != "equals-ignore-case" {
        return err(format_args!("Unsupported {name} pattern: {op}"));
    }
    let Value::String(s) = value else {
        return err("equals-ignore-case match pattern must be a string");
    };
    if inner.len() > 1 {
        return err(ONE_KEY);
    }
    Ok(s)
}

/// The text AWS's parser shows for a token: the scalar itself, or the bracket that opens it.
fn token_text(v: Option<&Value>) -> String {
    match v {
        None => "]".to_string(),
        Some(Value::String(s)) => s.to_string(),
        Some(Value::Array(_)) => "[".to_string(),
        Some(Value::Object(_)) => "{".to_string(),
        Some(other) => other.to_json(),
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

/// A bound AWS can compare: inside ±5e9.
fn comparable(n: f64) -> Result<f64> {
    if (-NUMBER_LIMIT..=NUMBER_LIMIT).contains(&n) {
        Ok(n)
    } else {
        err("Value must be between -5.0E9 and 5.0E9, inclusive")
    }
}

/// `[op, n]` or `[">"/">=", n, "<"/"<=", m]`.
fn parse_numeric(items: &[Value]) -> Result<NumRange> {
    let Some(Value::String(op)) = items.first() else {
        return err(format_args!(
            "Invalid member in numeric match: {}",
            token_text(items.first())
        ));
    };
    let spelled = if &**op == "=" { "equals" } else { op };
    let Some(n) = number(items.get(1)) else {
        return match &**op {
            "=" | "<" | "<=" | ">" | ">=" => {
                err(format_args!("Value of {spelled} must be numeric"))
            }
            _ => err(format_args!("Unrecognized numeric range operator: {op}")),
        };
    };
    let full = |lo, lo_open, hi, hi_open| NumRange {
        lo,
        lo_open,
        hi,
        hi_open,
    };
    match &**op {
        "=" | "<" | "<=" => {
            if items.len() > 2 {
                return err(TOO_MANY_NUMERIC);
            }
            let n = comparable(n)?;
            Ok(match &**op {
                "=" => full(n, false, n, false),
                "<" => full(-NUMBER_LIMIT, false, n, true),
                _ => full(-NUMBER_LIMIT, false, n, false),
            })
        }
        ">" | ">=" => {
            let lo_open = &**op == ">";
            if items.len() == 2 {
                return Ok(full(comparable(n)?, lo_open, NUMBER_LIMIT, false));
            }
            let Some(Value::String(op2)) = items.get(2) else {
                return err(format_args!(
                    "Bad value in numeric range: {}",
                    token_text(items.get(2))
                ));
            };
            let hi_open = match &**op2 {
                "<" => true,
                "<=" => false,
                _ => return err(format_args!("Bad numeric range operator: {op2}")),
            };
            let Some(m) = number(items.get(3)) else {
                return err(format_args!("Value of {op2} must be numeric"));
            };
            if items.len() > 4 {
                return err("Too many terms in numeric range expression");
            }
            let (lo, hi) = (comparable(n)?, comparable(m)?);
            if lo >= hi {
                return err("Bottom must be less than top");
            }
            Ok(full(lo, lo_open, hi, hi_open))
        }
        _ => err(format_args!("Unrecognized numeric range operator: {op}")),
    }
}

/// `anything-but`: a value, a list, or `{prefix|suffix|wildcard|equals-ignore-case: ..}`.
fn parse_anything_but(operand: &Value, single: bool) -> Result<Cond> {
    let (kind, operand, inner_single) = match operand {
        Value::Object(inner) => {
            let Some((op, value)) = inner.iter().next() else {
                return err("Anything-But expression name not found");
            };
            match &**op {
                "prefix" | "suffix" | "wildcard" | "equals-ignore-case" => {}
                _ => return err(format_args!("Unsupported anything-but pattern: {op}")),
            }
            (Some(&**op), value, inner.len() == 1)
        }
        other => (None, other, true),
    };
    if !matches!(
        operand,
        Value::Array(_) | Value::String(_) | Value::Int(_) | Value::Float(_)
    ) {
        return err("Value of anything-but must be an array or single string/number value.");
    }
    let cond = match kind {
        None => plain_anything_but(operand)?,
        Some(kind) => set_anything_but(kind, operand)?,
    };
    if !inner_single || !single {
        return err(TOO_MANY_NUMERIC);
    }
    Ok(Cond::AnythingBut(cond))
}

fn plain_anything_but(operand: &Value) -> Result<AnythingBut> {
    let items: &[Value] = match operand {
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    };
    let (mut strs, mut nums) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            Value::String(s) => strs.push((**s).into()),
            Value::Int(_) | Value::Float(_) => nums.push(comparable(item.as_f64().unwrap_or(0.0))?),
            _ => return err("Inside anything but list, start|null|boolean is not supported."),
        }
    }
    match (strs.is_empty(), nums.is_empty()) {
        (false, true) => Ok(AnythingBut::Strs(strs.into())),
        (true, false) => Ok(AnythingBut::Nums(nums.into())),
        _ => err("Inside anything but list, either all values are number or string, mixed type is not supported"),
    }
}

fn set_anything_but(kind: &str, operand: &Value) -> Result<AnythingBut> {
    let items: &[Value] = match operand {
        Value::Array(items) => items,
        single => std::slice::from_ref(single),
    };
    let mut texts: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(s) = item else {
            return err(match kind {
                "equals-ignore-case" => {
                    "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
                }
                "wildcard" => "wildcard match pattern must be a string",
                _ => "prefix/suffix match pattern must be a string",
            });
        };
        if s.is_empty() && (kind == "prefix" || kind == "suffix") {
            return err("Null prefix/suffix not allowed");
        }
        texts.push(s);
    }
    let boxed = |t: &&str| -> Box<str> { (*t).into() };
    Ok(match kind {
        "prefix" => AnythingBut::Prefixes(texts.iter().map(boxed).collect()),
        "suffix" => AnythingBut::Suffixes(texts.iter().map(boxed).collect()),
        "equals-ignore-case" => {
            AnythingBut::NoCase(texts.iter().map(|t| t.to_lowercase().into()).collect())
        }
        _ => AnythingBut::Wildcards(
            texts
                .iter()
                .map(|t| Wildcard::parse(t))
                .collect::<Result<_>>()?,
        ),
    })
}

/// The range a single address covers.
pub(crate) fn single_address(ip: IpAddr) -> IpRange {
    let (v6, n) = match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    };
    IpRange { v6, lo: n, hi: n }
}

/// `address/bits`. As at AWS, the range runs from the address as written (host bits are not
/// cleared) to the top of its block, and a mask of 32 (128 for IPv6) is refused.
fn parse_cidr(text: &str) -> Result<IpRange> {
    // AWS splits on '/' dropping trailing empty parts ("10.0.0.0/" has one part).
    let parts: Vec<&str> = {
        let mut p: Vec<&str> = text.split('/').collect();
        while p.len() > 1 && p.last() == Some(&"") {
            p.pop();
        }
        p
    };
    if parts.len() != 2 {
        return err("Malformed CIDR, one '/' required");
    }
    let Ok(bits) = parts[1].parse::<i32>() else {
        return err("Malformed CIDR, mask bits must be an integer");
    };
    if bits < 0 {
        return err("Malformed CIDR, mask bits must not be negative");
    }
    let addr = parts[0];
    let v4ish = addr.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && addr.split('.').count() == 4
        && addr.split('.').all(|p| !p.is_empty());
    let v6ish = addr.contains(':') && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    if !v4ish && !v6ish {
        return err(format_args!("Nonstandard IP address: {addr}"));
    }
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return err(format_args!("Invalid IP address: {addr}"));
    };
    let bits = bits as u32;
    let base = single_address(ip);
    let width = if base.v6 { 128 } else { 32 };
    if bits >= width {
        return err(if base.v6 {
            "IPv6 mask bits must be < 128"
        } else {
            "IPv4 mask bits must be < 32"
        });
    }
    let host = if width - bits >= 128 {
        u128::MAX
    } else {
        (1u128 << (width - bits)) - 1
    };
    Ok(IpRange {
        v6: base.v6,
        lo: base.lo,
        hi: base.lo | host,
    })
}
