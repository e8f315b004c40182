//! Text the Java side of AWS would print: Jayway's spelling of paths in error messages, and
//! Java's `toString` of JSON data, which `States.Format` uses for objects, arrays and floats
//! (AWS printed `{Arg1=1, Arg2=[]}` for the object `{"Arg1": 1, "Arg2": []}`).

use super::jsonpath::Segment;
use crate::value::Value;
use std::fmt::Write as _;

/// Jayway's `toString` of a list of segments, after the root: `$['a'][0][*]`.
pub(crate) fn path(segments: &[Segment]) -> String {
    let mut out = String::from("$");
    fragments(segments, &mut out);
    out
}

/// The fragments of `segments` without the root.
pub(crate) fn fragments(segments: &[Segment], out: &mut String) {
    for s in segments {
        match s {
            Segment::Key(k) => {
                let _ = write!(out, "['{k}']");
            }
            Segment::Keys(ks) => {
                out.push('[');
                for (i, k) in ks.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "'{k}'");
                }
                out.push(']');
            }
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Segment::Indexes(list) => {
                out.push('[');
                for (n, i) in list.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{i}");
                }
                out.push(']');
            }
            Segment::Slice(s) => {
                out.push('[');
                if let Some(f) = s.from {
                    let _ = write!(out, "{f}");
                }
                out.push(':');
                if let Some(t) = s.to {
                    let _ = write!(out, "{t}");
                }
                out.push(']');
            }
            Segment::Wildcard => out.push_str("[*]"),
            Segment::Scan => out.push_str(".."),
            Segment::Filter(_) => out.push_str("[?]"),
            Segment::Function(name) => {
                let _ = write!(out, ".{name}()");
            }
        }
    }
}

/// The Java class Jayway names when a step meets the wrong kind of node.
pub(crate) fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Int(i) if i32::try_from(*i).is_ok() => "java.lang.Integer",
        Value::Int(_) => "java.lang.Long",
        Value::Float(_) => "java.lang.Double",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.LinkedHashMap",
    }
}

/// Java's `String.valueOf` of the value as a Java collection: strings unquoted, objects as
/// `{k=v, k2=v2}`, arrays as `[a, b]`, floats as `Double.toString`.
pub(crate) fn java_string(v: &Value, out: &mut String) {
    enum Work<'a> {
        Val(&'a Value),
        Text(&'static str),
        Key(&'a str),
    }
    // An explicit stack: values may nest deeper than the thread stack allows recursion.
    let mut stack = vec![Work::Val(v)];
    while let Some(w) = stack.pop() {
        match w {
            Work::Text(t) => out.push_str(t),
            Work::Key(k) => out.push_str(k),
            Work::Val(v) => match v {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Int(i) => {
                    let _ = write!(out, "{i}");
                }
                Value::Float(f) => java_double(*f, out),
                Value::String(s) => out.push_str(s),
                Value::Array(a) => {
                    stack.push(Work::Text("]"));
                    for (i, item) in a.iter().enumerate().rev() {
                        stack.push(Work::Val(item));
                        if i > 0 {
                            stack.push(Work::Text(", "));
                        }
                    }
                    stack.push(Work::Text("["));
                }
                Value::Object(o) => {
                    stack.push(Work::Text("}"));
                    let entries: Vec<_> = o.iter().collect();
                    for (i, (k, item)) in entries.into_iter().enumerate().rev() {
                        stack.push(Work::Val(item));
                        stack.push(Work::Text("="));
                        stack.push(Work::Key(k));
                        if i > 0 {
                            stack.push(Work::Text(", "));
                        }
                    }
                    stack.push(Work::Text("{"));
                }
            },
        }
    }
}

/// Java's `Double.toString`: plain decimals in [1e-3, 1e7) with at least one fractional
/// digit (`1.0`, `0.001`), otherwise `d.dddE<exp>` (`1.0E7`, `1.5E-5`), with the shortest
/// digits that read back as the same double.
pub(crate) fn java_double(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    let abs = f.abs();
    if abs == 0.0 {
        out.push_str("0.0");
        return;
    }
    // `{:e}` gives the shortest round-trip digits: "1.2345e7", "5e-4".
    let sci = format!("{abs:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (1e-3..1e7).contains(&abs) {
        let point = exp + 1;
        if point <= 0 {
            out.push_str("0.");
            for _ in 0..-point {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = point as usize;
            if point >= digits.len() {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        let _ = write!(out, "E{exp}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn jd(f: f64) -> String {
        let mut s = String::new();
        java_double(f, &mut s);
        s
    }

    #[test]
    fn doubles_print_as_java_does() {
        assert_eq!(jd(1.1), "1.1");
        assert_eq!(jd(1.0), "1.0");
        assert_eq!(jd(-2.5), "-2.5");
        assert_eq!(jd(0.001), "0.001");
        assert_eq!(jd(0.0001), "1.0E-4");
        assert_eq!(jd(1234567.0), "1234567.0");
        assert_eq!(jd(12345678.9), "1.23456789E7");
        assert_eq!(jd(1e20), "1.0E20");
        assert_eq!(jd(0.0), "0.0");
        assert_eq!(jd(-0.0), "-0.0");
        assert_eq!(jd(100.0), "100.0");
    }

    #[test]
    fn collections_print_as_java_maps_and_lists() {
        // generic.format_2#exec_hist_resp_7
        let mut s = String::new();
        java_string(&json!({"Arg1": 1, "Arg2": []}), &mut s);
        assert_eq!(s, "{Arg1=1, Arg2=[]}");
        let mut s = String::new();
        java_string(
            &json!({"a": [1, "x", null, true, {"b": 2.5}], "c": {}}),
            &mut s,
        );
        assert_eq!(s, "{a=[1, x, null, true, {b=2.5}], c={}}");
    }
}
