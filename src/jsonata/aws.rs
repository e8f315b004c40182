//! The functions AWS Step Functions adds to JSONata (ASL JA-3): `$partition`, `$range`,
//! `$hash`, `$random`, `$uuid` and `$parse`.
//!
//! What AWS recorded (`../shared/conformance`, `intrinsic_functions/*_jsonata*`):
//! - `$partition([0,1,2], 2)` is `[[0,1],[2]]`, and a single chunk stays nested:
//!   `$partition([0], 2)` is `[[0]]`.
//! - `$range(0, 9, 3)` is `[0,3,6,9]` (the end is included), and a range of one number is that
//!   number, not an array: `$range(1, 9, 9)` is `1`, as a JSONata sequence of one item is.
//! - `$parse('{"Arg1": 1}')` is the parsed value, for any JSON text (number, string, ...).
//! - `$randomSeeded` does not exist (`T1006: Attempted to invoke a non-function`).
//!
//! AWS's errors for misuse (a chunk size of 0, an unknown hash algorithm, text that is not
//! JSON) are not recorded; these functions fail with code `D3137`, the code of JSONata's
//! `$error()`, and a message that says what was wrong. Wrong argument types fail the functions'
//! signatures with JSONata's own `T0410`/`T0412`, as a built-in does.

use super::convert::{from_json, to_json_cut};
use crate::value::Value;
use jlens_core::{Error, HostFunction};
use serde_json::Value as Json;

/// The most items `$range` builds (a guard against `$range(0, 1e12, 1)` exhausting memory).
pub(super) const MAX_RANGE_ITEMS: usize = 1_000_000;

fn fail(message: String) -> Error {
    Error::new("D3137").with("message", message)
}

fn num(arg: &Option<Json>) -> Option<f64> {
    arg.as_ref().and_then(Json::as_f64)
}

/// A function's arguments (`None`: undefined) to its result.
type Implementation = fn(&[Option<Json>]) -> Result<Option<Json>, Error>;

fn host(signature: &str, f: Implementation) -> HostFunction {
    HostFunction::with_signature(signature, move |args, _| f(args))
        .unwrap_or_else(|e| panic!("signature {signature}: {e}"))
        .without_input()
}

/// The six functions, under their names without `$`.
pub(super) fn functions() -> Vec<(&'static str, HostFunction)> {
    vec![
        ("partition", host("<an:a>", partition)),
        ("range", host("<nnn:x>", range)),
        ("hash", host("<xs:s>", hash)),
        ("random", host("<n?:n>", random)),
        ("uuid", host("<:s>", uuid)),
        ("parse", host("<s:x>", parse)),
    ]
}

fn partition(args: &[Option<Json>]) -> Result<Option<Json>, Error> {
    let Some(Json::Array(items)) = &args[0] else {
        // An undefined array gives an undefined result, as for JSONata's built-ins.
        return Ok(None);
    };
    let size = num(&args[1]).unwrap_or(f64::NAN);
    if !(size >= 1.0 && size.fract() == 0.0) {
        return Err(fail(format!(
            "The chunk size of $partition must be a positive integer, but was {}",
            args[1].as_ref().map_or("undefined".into(), Json::to_string)
        )));
    }
    let size = if size > items.len() as f64 {
        items.len().max(1)
    } else {
        size as usize
    };
    Ok(Some(Json::Array(
        items
            .chunks(size)
            .map(|c| Json::Array(c.to_vec()))
            .collect(),
    )))
}

fn range(args: &[Option<Json>]) -> Result<Option<Json>, Error> {
    let (Some(start), Some(end), Some(step)) = (num(&args[0]), num(&args[1]), num(&args[2])) else {
        return Ok(None);
    };
    if step == 0.0 {
        return Err(fail("The step of $range must not be 0".into()));
    }
    let count = ((end - start) / step).floor();
    if count < 0.0 {
        return Ok(Some(Json::Array(Vec::new())));
    }
    if count >= MAX_RANGE_ITEMS as f64 {
        return Err(fail(format!(
            "$range would create more than {MAX_RANGE_ITEMS} numbers"
        )));
    }
    let items: Vec<Json> = (0..=count as usize)
        .map(|i| super::convert::number(start + i as f64 * step))
        .map(|v| to_json_cut(&v, None))
        .collect();
    // A sequence of one number is that number (AWS: `$range(1, 9, 9)` is `1`).
    Ok(Some(if items.len() == 1 {
        items.into_iter().next().unwrap_or(Json::Null)
    } else {
        Json::Array(items)
    }))
}

fn hash(args: &[Option<Json>]) -> Result<Option<Json>, Error> {
    let Some(value) = &args[0] else {
        return Ok(None);
    };
    let text = match value {
        Json::String(s) => s.clone(),
        other => from_json(other).to_json(),
    };
    let algorithm = args[1].as_ref().and_then(Json::as_str).unwrap_or_default();
    match crate::path::digest_hex(algorithm, text.as_bytes()) {
        Some(hex) => Ok(Some(Json::String(hex))),
        None => Err(fail(format!(
            "The hash algorithm of $hash must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, \
             but was '{algorithm}'"
        ))),
    }
}

fn random(args: &[Option<Json>]) -> Result<Option<Json>, Error> {
    use rand::{Rng, SeedableRng};
    let x: f64 = match num(&args[0]) {
        Some(seed) => {
            // The same seed gives the same number; `1` and `1.0` are the same seed.
            let bits = if seed.fract() == 0.0 && seed.abs() < 9.2e18 {
                seed as i64 as u64
            } else {
                seed.to_bits()
            };
            rand::rngs::SmallRng::seed_from_u64(bits).random()
        }
        None => rand::rng().random(),
    };
    Ok(Some(to_json_cut(&Value::Float(x), None)))
}

fn uuid(_: &[Option<Json>]) -> Result<Option<Json>, Error> {
    Ok(Some(Json::String(uuid::Uuid::new_v4().to_string())))
}

fn parse(args: &[Option<Json>]) -> Result<Option<Json>, Error> {
    let Some(text) = args[0].as_ref().and_then(Json::as_str) else {
        return Ok(None);
    };
    match crate::value::parse_json(text) {
        Ok(v) => Ok(Some(to_json_cut(&v, None))),
        Err(e) => Err(fail(format!("$parse: the text is not valid JSON: {e}"))),
    }
}
