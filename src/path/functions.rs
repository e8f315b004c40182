//! The eighteen `States.*` functions (ASL §19.1), with what AWS was recorded doing:
//!
//! - `States.Format` prints objects and arrays as Java collections (`{Arg1=1, Arg2=[]}`) and
//!   floats as Java doubles (`generic.format_*`, `generic.context_json_path`);
//! - `States.StringToJson` of a blank string is `null`, of `"-0"` is `0`
//!   (`json_manipulation.string_to_json*`);
//! - `States.MathAdd` rounds each operand half up, towards +∞, before adding: `1.49 + 1.5`
//!   is `3`, `-2.5 + 0` is `-2` (`math_operations.math_add*`); results are integers;
//! - `States.MathRandom` accepted the non-integer bounds `12.5, 44.51`
//!   (`math_operations.math_random`): they are rounded the same way; the end is exclusive,
//!   as AWS documents;
//! - `States.StringSplit` splits on every character of its second argument and drops empty
//!   pieces, like Java's `StringTokenizer` (`string_operations.string_split*`);
//! - `States.ArrayRange(0, 10, 3)` stops at the last value not past the end: `[0,3,6,9]`.
//!
//! Failures carry the cause of `States.IntrinsicFailure`. No recording shows AWS's wording,
//! so each says which function failed and why.

use super::intrinsic::{Arg, Call, Func, IntrinsicError, Piece};
use super::render::java_string;
use super::Env;
use crate::value::{parse_json, Map, Value};
use base64::Engine as _;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Longest input, in UTF-16 code units, of `States.Hash` and the Base64 functions (QUO-6).
const MAX_TEXT: usize = 10_000;
/// Most elements `States.ArrayRange` may produce.
const MAX_RANGE: i128 = 1000;

pub(crate) fn call(call: &Call, env: &Env) -> Result<Value, IntrinsicError> {
    let mut args: SmallVec<[Value; 4]> = SmallVec::with_capacity(call.args.len());
    for a in call.args.iter() {
        args.push(match a {
            Arg::Literal(v) => v.clone(),
            Arg::Path(p) => p.eval(env).map_err(|error| IntrinsicError::Path {
                path: p.text().into(),
                error,
            })?,
            Arg::Call(c) => self::call(c, env)?,
        });
    }
    let f = call.func;
    match f {
        Func::Format => format(f, call.template.as_deref(), &args),
        Func::StringToJson => string_to_json(f, &args[0]),
        Func::JsonToString => Ok(Value::from(args[0].to_json())),
        Func::Array => Ok(Value::array(args.into_vec())),
        Func::ArrayPartition => array_partition(f, &args[0], &args[1]),
        Func::ArrayContains => Ok(Value::Bool(array(f, &args[0])?.contains(&args[1]))),
        Func::ArrayRange => array_range(f, &args[0], &args[1], &args[2]),
        Func::ArrayGetItem => array_get_item(f, &args[0], &args[1]),
        Func::ArrayLength => Ok(Value::Int(array(f, &args[0])?.len() as i64)),
        Func::ArrayUnique => Ok(Value::array(unique(array(f, &args[0])?))),
        Func::Base64Encode => {
            let s = limited_text(f, &args[0])?;
            Ok(Value::from(base64_engine().encode(s.as_bytes())))
        }
        Func::Base64Decode => base64_decode(f, &args[0]),
        Func::Hash => hash(f, &args[0], &args[1]),
        Func::JsonMerge => json_merge(f, &args[0], &args[1], &args[2]),
        Func::MathRandom => math_random(f, &args),
        Func::MathAdd => {
            let sum = round_half_up(f, &args[0])?.checked_add(round_half_up(f, &args[1])?);
            sum.map(Value::Int)
                .ok_or_else(|| failure(f, "the sum is out of range".into()))
        }
        Func::StringSplit => string_split(f, &args[0], &args[1]),
        Func::Uuid => Ok(Value::from(uuid::Uuid::new_v4().to_string())),
    }
}

#[cold]
fn failure(f: Func, detail: String) -> IntrinsicError {
    IntrinsicError::Failure(format!("Invalid arguments in {}: {detail}", f.name()))
}

fn expected(f: Func, what: &str, found: &Value) -> IntrinsicError {
    failure(f, format!("expected {what}, found {}", describe(found)))
}

/// A short, bounded description of an argument for failure messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Array(_) | Value::Object(_) => v.type_name().to_string(),
        _ => {
            let text = v.to_json();
            if text.chars().count() > 100 {
                v.type_name().to_string()
            } else {
                format!("{} {text}", v.type_name())
            }
        }
    }
}

fn string(f: Func, v: &Value) -> Result<&str, IntrinsicError> {
    v.as_str().ok_or_else(|| expected(f, "a string", v))
}

fn array(f: Func, v: &Value) -> Result<&[Value], IntrinsicError> {
    v.as_array().ok_or_else(|| expected(f, "an array", v))
}

/// An integer argument: `3` or `3.0`.
fn integer(f: Func, v: &Value) -> Result<i64, IntrinsicError> {
    v.as_i64().ok_or_else(|| expected(f, "an integer", v))
}

/// A number rounded half up, towards +∞ (recorded for `States.MathAdd`: 1.5 → 2,
/// -1.5 → -1, -0.5 → 0).
fn round_half_up(f: Func, v: &Value) -> Result<i64, IntrinsicError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(x) => {
            let floor = x.floor();
            // `x - floor` is exact, unlike `x + 0.5`, which rounds 0.49999999999999994 up.
            let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
            if r.is_finite() && r.abs() < 9.2e18 {
                Ok(r as i64)
            } else {
                Err(expected(f, "a number within the 64-bit integer range", v))
            }
        }
        _ => Err(expected(f, "a number", v)),
    }
}

/// A string argument of at most [`MAX_TEXT`] characters.
fn limited_text(f: Func, v: &Value) -> Result<&str, IntrinsicError> {
    let s = string(f, v)?;
    check_length(f, s)?;
    Ok(s)
}

fn check_length(f: Func, s: &str) -> Result<(), IntrinsicError> {
    // Java counts UTF-16 code units; a string of fewer bytes cannot exceed the limit.
    if s.len() > MAX_TEXT && s.encode_utf16().count() > MAX_TEXT {
        return Err(failure(
            f,
            format!("the input must be at most {MAX_TEXT} characters long"),
        ));
    }
    Ok(())
}

fn format(f: Func, literal: Option<&[Piece]>, args: &[Value]) -> Result<Value, IntrinsicError> {
    let pieces: Cow<'_, [Piece]> = match literal {
        Some(p) => Cow::Borrowed(p),
        // A template read through a path has no escapes: every "{}" is a placeholder.
        None => {
            let text = string(f, &args[0])?;
            let mut pieces = Vec::new();
            for (i, part) in text.split("{}").enumerate() {
                if i > 0 {
                    pieces.push(Piece::Hole);
                }
                if !part.is_empty() {
                    pieces.push(Piece::Text(part.into()));
                }
            }
            Cow::Owned(pieces)
        }
    };
    let holes = pieces.iter().filter(|p| **p == Piece::Hole).count();
    let values = &args[1..];
    if holes != values.len() {
        return Err(failure(
            f,
            format!(
                "the template has {holes} placeholder(s) but {} value(s) were given",
                values.len()
            ),
        ));
    }
    let mut out = String::new();
    let mut next = values.iter();
    for p in pieces.iter() {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Hole => {
                if let Some(v) = next.next() {
                    java_string(v, &mut out);
                }
            }
        }
    }
    Ok(Value::from(out))
}

fn string_to_json(f: Func, v: &Value) -> Result<Value, IntrinsicError> {
    // Java's `String.trim`: blank text is `null` (recorded for "" and " ").
    let s = string(f, v)?.trim_matches(|c: char| c <= ' ');
    if s.is_empty() {
        return Ok(Value::Null);
    }
    parse_json(s).map_err(|e| failure(f, format!("the string is not valid JSON: {e}")))
}

fn array_partition(f: Func, arr: &Value, size: &Value) -> Result<Value, IntrinsicError> {
    let items = array(f, arr)?;
    let size = integer(f, size)?;
    if size <= 0 {
        return Err(failure(
            f,
            format!("the chunk size must be a positive integer, found {size}"),
        ));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::array(
        items
            .chunks(size)
            .map(|c| Value::array(c.to_vec()))
            .collect(),
    ))
}

fn array_range(
    f: Func,
    first: &Value,
    last: &Value,
    step: &Value,
) -> Result<Value, IntrinsicError> {
    let (first, last, step) = (integer(f, first)?, integer(f, last)?, integer(f, step)?);
    if step == 0 {
        return Err(failure(f, "the step must not be 0".into()));
    }
    let (a, b, s) = (i128::from(first), i128::from(last), i128::from(step));
    let count = if (s > 0 && a <= b) || (s < 0 && a >= b) {
        (b - a) / s + 1
    } else {
        0
    };
    if count > MAX_RANGE {
        return Err(failure(
            f,
            format!("the range would hold {count} elements, more than {MAX_RANGE}"),
        ));
    }
    Ok(Value::array(
        (0..count).map(|i| Value::Int((a + i * s) as i64)).collect(),
    ))
}

fn array_get_item(f: Func, arr: &Value, index: &Value) -> Result<Value, IntrinsicError> {
    let items = array(f, arr)?;
    let i = integer(f, index)?;
    usize::try_from(i)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .ok_or_else(|| {
            failure(
                f,
                format!(
                    "index {i} is out of bounds for an array of length {}",
                    items.len()
                ),
            )
        })
}

/// Hashes a value so that equal values (numbers by value, objects in any order) collide.
fn hash_value(v: &Value, depth: usize, h: &mut impl Hasher) {
    // Past some depth, equal subtrees still hash equal; `==` settles the rest.
    if depth > 32 {
        return;
    }
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => b.hash(h),
        Value::Int(_) | Value::Float(_) => {
            let x = v.as_f64().unwrap_or(0.0);
            (if x == 0.0 { 0.0f64 } else { x }).to_bits().hash(h);
        }
        Value::String(s) => s.hash(h),
        Value::Array(a) => {
            a.len().hash(h);
            for item in a.iter() {
                hash_value(item, depth + 1, h);
            }
        }
        Value::Object(o) => {
            let mut sum = 0u64;
            for (k, item) in o.iter() {
                let mut eh = std::collections::hash_map::DefaultHasher::new();
                k.hash(&mut eh);
                hash_value(item, depth + 1, &mut eh);
                sum = sum.wrapping_add(eh.finish());
            }
            sum.hash(h);
        }
    }
}

/// Removes repeated elements, keeping first occurrences in order, in about linear time.
fn unique(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen: HashMap<u64, SmallVec<[usize; 1]>> = HashMap::new();
    for item in items {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        hash_value(item, 0, &mut h);
        let bucket = seen.entry(h.finish()).or_default();
        if !bucket.iter().any(|&i| out[i] == *item) {
            bucket.push(out.len());
            out.push(item.clone());
        }
    }
    out
}

fn base64_engine() -> base64::engine::GeneralPurpose {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    // Java's basic decoder accepts missing padding.
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

fn base64_decode(f: Func, v: &Value) -> Result<Value, IntrinsicError> {
    let s = limited_text(f, v)?;
    let bytes = base64_engine()
        .decode(s.as_bytes())
        .map_err(|e| failure(f, format!("the string is not valid Base64: {e}")))?;
    Ok(Value::from(String::from_utf8_lossy(&bytes).into_owned()))
}

fn hash(f: Func, data: &Value, algorithm: &Value) -> Result<Value, IntrinsicError> {
    let text: Cow<'_, str> = match data.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(data.to_json()),
    };
    check_length(f, &text)?;
    let algorithm = string(f, algorithm)?;
    match digest_hex(algorithm, text.as_bytes()) {
        Some(hex) => Ok(Value::from(hex)),
        None => Err(failure(
            f,
            format!(
                "the hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, \
                 found '{algorithm}'"
            ),
        )),
    }
}

/// The lowercase hex digest of `bytes` with `algorithm` (`MD5`, `SHA-1`, `SHA-256`, `SHA-384`,
/// `SHA-512`, as `States.Hash` and JSONata's `$hash` name them); `None` for another name.
pub(crate) fn digest_hex(algorithm: &str, bytes: &[u8]) -> Option<String> {
    use sha2::Digest;
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        _ => return None,
    };
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    Some(hex)
}

fn json_merge(f: Func, a: &Value, b: &Value, deep: &Value) -> Result<Value, IntrinsicError> {
    let a = a.as_object().ok_or_else(|| expected(f, "an object", a))?;
    let b = b.as_object().ok_or_else(|| expected(f, "an object", b))?;
    match deep {
        Value::Bool(false) => {}
        // AWS documents only shallow merging: "you must specify the boolean value as false".
        Value::Bool(true) => return Err(failure(f, "deep merging is not supported".into())),
        other => return Err(expected(f, "a boolean", other)),
    }
    let mut merged: Map = a.clone();
    merged.extend_from(b);
    Ok(Value::object(merged))
}

fn math_random(f: Func, args: &[Value]) -> Result<Value, IntrinsicError> {
    use rand::{Rng, SeedableRng};
    let start = round_half_up(f, &args[0])?;
    let end = round_half_up(f, &args[1])?;
    if start >= end {
        return Err(failure(
            f,
            format!("the start ({start}) must be less than the end ({end})"),
        ));
    }
    let n = match args.get(2) {
        Some(seed) => {
            let seed = round_half_up(f, seed)?;
            rand::rngs::SmallRng::seed_from_u64(seed as u64).random_range(start..end)
        }
        None => rand::rng().random_range(start..end),
    };
    Ok(Value::Int(n))
}

fn string_split(f: Func, s: &Value, delimiters: &Value) -> Result<Value, IntrinsicError> {
    let s = string(f, s)?;
    let delimiters = string(f, delimiters)?;
    let parts = s
        .split(|c: char| delimiters.contains(c))
        .filter(|p| !p.is_empty())
        .map(Value::from)
        .collect();
    Ok(Value::array(parts))
}
