//! A distributed Map's `ItemReader` (MAP-10) and `ResultWriter` (MAP-12), compiled.
//!
//! Both reach Amazon S3, so the VM cannot serve them itself: it evaluates their `Parameters`
//! (or JSONata `Arguments`) into a request and hands it to the driver
//! ([`Step::MapIo`](crate::vm::Step::MapIo)), which answers through the configured S3 backend
//! (`src/integrations/s3`). What can be checked before the first execution is checked here:
//! the resource, the input type, the CSV header and delimiter settings, the literal limits.

use super::program::{Num, Typed};
use super::CompileError;
use crate::path::Path;
use crate::value::{Map, Str, Value};

/// Most items an `ItemReader` may be asked for (`ReaderConfig.MaxItems`): AWS's limit.
pub(crate) const MAX_ITEMS_LIMIT: u64 = 100_000_000;

/// `ItemReader`: where a distributed Map's items come from.
#[derive(Debug)]
pub(crate) struct ItemReader {
    pub source: ReadSource,
    /// JSONPath `Parameters`: `Bucket`, `Key` / `Prefix`, ...
    pub parameters: Option<super::template::Template>,
    /// JSONata `Arguments`.
    pub arguments: Option<crate::jsonata::Template>,
    /// `ReaderConfig.MaxItems` / `MaxItemsPath` (JSONPath).
    pub max_items: Option<Num>,
    /// `ReaderConfig.MaxItems` as a JSONata expression.
    pub max_items_jsonata: Option<Typed<u64>>,
}

/// Which S3 call reads the items, and how its answer becomes items.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ReadSource {
    /// `s3:getObject` of one object in this format.
    Object(Format),
    /// `s3:listObjectsV2`: the listing's objects are the items, or with
    /// `Transformation: LOAD_AND_FLATTEN`, the items inside each listed object.
    Listing(Option<Format>),
}

/// `ReaderConfig.InputType`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Format {
    /// A JSON array.
    Json,
    /// JSON Lines: one value per line.
    JsonLines,
    /// Delimited text; every value a string.
    Csv(Csv),
    /// An S3 inventory `manifest.json` naming CSV data files (gzip-compressed or not).
    Manifest,
}

/// `CSVHeaderLocation`, `CSVHeaders`, `CSVDelimiter`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Csv {
    /// `GIVEN` headers; `None` for `FIRST_ROW`.
    pub headers: Option<Box<[Str]>>,
    pub delimiter: u8,
}

/// `ResultWriter`: how the child results are shaped and where they are written.
#[derive(Debug)]
pub(crate) struct ResultWriter {
    /// `Resource: arn:aws:states:::s3:putObject`: the results go to S3 and the state's result
    /// is `{MapRunArn, ResultWriterDetails}`. Without it (`WriterConfig` alone) the
    /// transformed results are the state's result.
    pub export: bool,
    pub parameters: Option<super::template::Template>,
    pub arguments: Option<crate::jsonata::Template>,
    pub transformation: Transformation,
    /// `WriterConfig.OutputType: JSONL`.
    pub json_lines: bool,
}

/// `WriterConfig.Transformation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transformation {
    /// Each child's whole record (ARN, input, output as text, status, dates).
    None,
    /// Each child's output.
    Compact,
    /// Each child's output, arrays flattened one level.
    Flatten,
}

/// Compiles `ItemReader` at `loc` (`/States/M/ItemReader`).
pub(crate) fn item_reader(v: &Value, loc: &str, jsonata: bool) -> Result<ItemReader, CompileError> {
    let o = object(v, loc)?;
    check_fields(
        o,
        loc,
        &["Resource", "Parameters", "Arguments", "ReaderConfig"],
    )?;
    let action = s3_action(o, loc)?;
    let empty = Map::new();
    let cloc = format!("{loc}/ReaderConfig");
    let config = match o.get("ReaderConfig") {
        None => &empty,
        Some(c) => object(c, &cloc)?,
    };
    check_fields(
        config,
        &cloc,
        &[
            "InputType",
            "CSVHeaderLocation",
            "CSVHeaders",
            "CSVDelimiter",
            "MaxItems",
            "MaxItemsPath",
            "Transformation",
            "ManifestType",
        ],
    )?;
    let format = format(config, &cloc)?;
    let source = match action {
        "getObject" => match format {
            Some(f) => ReadSource::Object(f),
            None => {
                return Err(CompileError::new(
                    &cloc,
                    "s3:getObject needs ReaderConfig.InputType (CSV, JSON, JSONL or MANIFEST)",
                ))
            }
        },
        "listObjectsV2" => match config.get("Transformation").map(Value::as_str) {
            None | Some(Some("NONE")) => ReadSource::Listing(None),
            Some(Some("LOAD_AND_FLATTEN")) => match format {
                Some(f @ (Format::Json | Format::JsonLines | Format::Csv(_))) => {
                    ReadSource::Listing(Some(f))
                }
                _ => {
                    return Err(CompileError::new(
                        &cloc,
                        "Transformation LOAD_AND_FLATTEN needs InputType CSV, JSON or JSONL",
                    ))
                }
            },
            Some(_) => {
                return Err(CompileError::new(
                    &format!("{cloc}/Transformation"),
                    "must be NONE or LOAD_AND_FLATTEN",
                ))
            }
        },
        other => {
            return Err(CompileError::new(
                &format!("{loc}/Resource"),
                format!(
                    "an ItemReader reads with s3:getObject or s3:listObjectsV2, not s3:{other}"
                ),
            ))
        }
    };
    let (parameters, arguments) = payload(o, loc, jsonata)?;
    let (max_items, max_items_jsonata) = max_items(config, &cloc, jsonata)?;
    Ok(ItemReader {
        source,
        parameters,
        arguments,
        max_items,
        max_items_jsonata,
    })
}

/// Compiles `ResultWriter` at `loc`.
pub(crate) fn result_writer(
    v: &Value,
    loc: &str,
    jsonata: bool,
) -> Result<ResultWriter, CompileError> {
    let o = object(v, loc)?;
    check_fields(
        o,
        loc,
        &["Resource", "Parameters", "Arguments", "WriterConfig"],
    )?;
    let export = o.contains_key("Resource");
    if export {
        let action = s3_action(o, loc)?;
        if action != "putObject" {
            return Err(CompileError::new(
                &format!("{loc}/Resource"),
                format!("a ResultWriter writes with s3:putObject, not s3:{action}"),
            ));
        }
    } else if !o.contains_key("WriterConfig") {
        return Err(CompileError::new(
            loc,
            "a ResultWriter needs Resource and Parameters, WriterConfig, or all three",
        ));
    }
    let (parameters, arguments) = payload(o, loc, jsonata)?;
    if export && parameters.is_none() && arguments.is_none() {
        let field = if jsonata { "Arguments" } else { "Parameters" };
        return Err(CompileError::new(
            loc,
            format!("a ResultWriter with a Resource needs {field} with the Bucket"),
        ));
    }
    let wloc = format!("{loc}/WriterConfig");
    let (mut transformation, mut json_lines) = (None, false);
    if let Some(w) = o.get("WriterConfig") {
        let w = object(w, &wloc)?;
        check_fields(w, &wloc, &["Transformation", "OutputType"])?;
        transformation = match w.get("Transformation").map(Value::as_str) {
            None => None,
            Some(Some("NONE")) => Some(Transformation::None),
            Some(Some("COMPACT")) => Some(Transformation::Compact),
            Some(Some("FLATTEN")) => Some(Transformation::Flatten),
            Some(_) => {
                return Err(CompileError::new(
                    &format!("{wloc}/Transformation"),
                    "must be NONE, COMPACT or FLATTEN",
                ))
            }
        };
        json_lines = match w.get("OutputType").map(Value::as_str) {
            None | Some(Some("JSON")) => false,
            Some(Some("JSONL")) => true,
            Some(_) => {
                return Err(CompileError::new(
                    &format!("{wloc}/OutputType"),
                    "must be JSON or JSONL",
                ))
            }
        };
    }
    // AWS's defaults: NONE when exporting, COMPACT otherwise (its ResultWriter page).
    let transformation = transformation.unwrap_or(if export {
        Transformation::None
    } else {
        Transformation::Compact
    });
    Ok(ResultWriter {
        export,
        parameters,
        arguments,
        transformation,
        json_lines,
    })
}

fn object<'a>(v: &'a Value, loc: &str) -> Result<&'a Map, CompileError> {
    v.as_object()
        .ok_or_else(|| CompileError::new(loc, "must be a JSON object"))
}

fn check_fields(o: &Map, loc: &str, known: &[&str]) -> Result<(), CompileError> {
    match o.keys().find(|k| !known.contains(&&***k)) {
        Some(k) => Err(CompileError::new(
            &format!("{loc}/{k}"),
            format!(
                "field '{k}' is not supported here; aslx knows {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The S3 action of `Resource`: `arn:<partition>:states:::s3:<action>`.
fn s3_action<'a>(o: &'a Map, loc: &str) -> Result<&'a str, CompileError> {
    let rloc = format!("{loc}/Resource");
    let r = match o.get("Resource").map(Value::as_str) {
        Some(Some(r)) => r,
        Some(None) => return Err(CompileError::new(&rloc, "must be a string")),
        None => {
            return Err(CompileError::new(
                loc,
                "these fields are required: [Resource]",
            ))
        }
    };
    let action = r
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(':'))
        .and_then(|(_, rest)| rest.strip_prefix("states:::s3:"));
    action.ok_or_else(|| {
        CompileError::new(
            &rloc,
            format!("'{r}' is not an Amazon S3 integration (arn:aws:states:::s3:<action>)"),
        )
    })
}

/// `Parameters` (JSONPath) or `Arguments` (JSONata), whichever the query language takes.
#[allow(clippy::type_complexity)]
fn payload(
    o: &Map,
    loc: &str,
    jsonata: bool,
) -> Result<
    (
        Option<super::template::Template>,
        Option<crate::jsonata::Template>,
    ),
    CompileError,
> {
    let (want, other) = if jsonata {
        ("Arguments", "Parameters")
    } else {
        ("Parameters", "Arguments")
    };
    if o.contains_key(other) {
        return Err(CompileError::new(
            &format!("{loc}/{other}"),
            format!("a {} state gives {want}, not {other}", lang(jsonata)),
        ));
    }
    let Some(v) = o.get(want) else {
        return Ok((None, None));
    };
    let ploc = format!("{loc}/{want}");
    object(v, &ploc)?;
    if jsonata {
        let t = crate::jsonata::Template::compile(want, v)
            .map_err(|e| CompileError::new(&ploc, e.to_string()))?;
        Ok((None, Some(t)))
    } else {
        let t = super::template::Template::compile(v)
            .map_err(|k| CompileError::new(&ploc, format!("cannot compile field '{k}'")))?;
        Ok((Some(t), None))
    }
}

fn lang(jsonata: bool) -> &'static str {
    if jsonata {
        "JSONata"
    } else {
        "JSONPath"
    }
}

/// `InputType` with its CSV settings; `None` when absent.
fn format(c: &Map, loc: &str) -> Result<Option<Format>, CompileError> {
    let input_type = match c.get("InputType").map(Value::as_str) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => {
            return Err(CompileError::new(
                &format!("{loc}/InputType"),
                "must be a string",
            ))
        }
    };
    // `ManifestType: S3_INVENTORY` is the newer spelling of `InputType: MANIFEST`.
    let input_type = match (c.get("ManifestType").map(Value::as_str), input_type) {
        (None, t) => t,
        (Some(Some("S3_INVENTORY")), None) => Some("MANIFEST"),
        (Some(Some("S3_INVENTORY")), Some(_)) => {
            return Err(CompileError::new(
                loc,
                "ManifestType S3_INVENTORY takes no InputType (the inventory is CSV)",
            ))
        }
        (Some(_), _) => {
            return Err(CompileError::new(
                &format!("{loc}/ManifestType"),
                "aslx reads S3_INVENTORY manifests only (ATHENA_DATA is not supported)",
            ))
        }
    };
    let is_csv = matches!(input_type, Some("CSV" | "MANIFEST"));
    for f in ["CSVHeaderLocation", "CSVHeaders", "CSVDelimiter"] {
        if !is_csv && c.contains_key(f) {
            return Err(CompileError::new(
                &format!("{loc}/{f}"),
                "is allowed only with InputType CSV or MANIFEST",
            ));
        }
    }
    Ok(match input_type {
        None => None,
        Some("JSON") => Some(Format::Json),
        Some("JSONL") => Some(Format::JsonLines),
        Some("CSV") => Some(Format::Csv(csv(c, loc)?)),
        Some("MANIFEST") => {
            // The inventory's columns come from its manifest's `fileSchema`.
            if c.contains_key("CSVHeaderLocation") || c.contains_key("CSVHeaders") {
                return Err(CompileError::new(
                    loc,
                    "an S3 inventory manifest names its own columns (fileSchema): \
                     CSVHeaderLocation and CSVHeaders do not apply",
                ));
            }
            Some(Format::Manifest)
        }
        Some("PARQUET") => {
            return Err(CompileError::new(
                &format!("{loc}/InputType"),
                "aslx does not read PARQUET files; use CSV, JSON, JSONL or MANIFEST",
            ))
        }
        Some(_) => {
            return Err(CompileError::new(
                &format!("{loc}/InputType"),
                "must be one of CSV, JSON, JSONL, MANIFEST",
            ))
        }
    })
}

fn csv(c: &Map, loc: &str) -> Result<Csv, CompileError> {
    let delimiter = match c.get("CSVDelimiter").map(Value::as_str) {
        None | Some(Some("COMMA")) => b',',
        Some(Some("PIPE")) => b'|',
        Some(Some("SEMICOLON")) => b';',
        Some(Some("SPACE")) => b' ',
        Some(Some("TAB")) => b'\t',
        Some(_) => {
            return Err(CompileError::new(
                &format!("{loc}/CSVDelimiter"),
                "must be one of COMMA, PIPE, SEMICOLON, SPACE, TAB",
            ))
        }
    };
    let given = match c.get("CSVHeaderLocation").map(Value::as_str) {
        None => {
            return Err(CompileError::new(
                loc,
                "InputType CSV needs CSVHeaderLocation (FIRST_ROW or GIVEN)",
            ))
        }
        Some(Some("FIRST_ROW")) => false,
        Some(Some("GIVEN")) => true,
        Some(_) => {
            return Err(CompileError::new(
                &format!("{loc}/CSVHeaderLocation"),
                "must be FIRST_ROW or GIVEN",
            ))
        }
    };
    let headers = match (given, c.get("CSVHeaders")) {
        (false, None) => None,
        (false, Some(_)) => {
            return Err(CompileError::new(
                &format!("{loc}/CSVHeaders"),
                "is allowed only with CSVHeaderLocation GIVEN",
            ))
        }
        (true, None) => {
            return Err(CompileError::new(
                loc,
                "CSVHeaderLocation GIVEN needs CSVHeaders",
            ))
        }
        (true, Some(h)) => Some(given_headers(h, &format!("{loc}/CSVHeaders"))?),
    };
    Ok(Csv { headers, delimiter })
}

fn given_headers(h: &Value, loc: &str) -> Result<Box<[Str]>, CompileError> {
    let items = h
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| CompileError::new(loc, "must be a non-empty array of strings"))?;
    let mut out: Vec<Str> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let Some(s) = v.as_shared_str() else {
            return Err(CompileError::new(&format!("{loc}/{i}"), "must be a string"));
        };
        if out.contains(s) {
            // AWS's words (MAP-10).
            return Err(CompileError::new(
                &format!("{loc}/{i}"),
                "CSV headers cannot contain duplicates.",
            ));
        }
        out.push(s.clone());
    }
    Ok(out.into_boxed_slice())
}

#[allow(clippy::type_complexity)]
fn max_items(
    c: &Map,
    loc: &str,
    jsonata: bool,
) -> Result<(Option<Num>, Option<Typed<u64>>), CompileError> {
    let literal = |v: &Value, at: &str| -> Result<u64, CompileError> {
        match v {
            Value::Int(i) if *i >= 1 && (*i as u64) <= MAX_ITEMS_LIMIT => Ok(*i as u64),
            _ => Err(CompileError::new(
                at,
                format!("must be a positive integer of at most {MAX_ITEMS_LIMIT}"),
            )),
        }
    };
    match (c.get("MaxItems"), c.get("MaxItemsPath")) {
        (Some(_), Some(_)) => Err(CompileError::new(
            loc,
            "MaxItems and MaxItemsPath are mutually exclusive",
        )),
        (None, None) => Ok((None, None)),
        (Some(Value::String(s)), None) if jsonata && crate::asl::is_jsonata_expr(s) => {
            let text = crate::jsonata::parse_template_string(s).unwrap_or(s);
            let e = crate::jsonata::Expression::compile(text).map_err(|e| {
                CompileError::new(
                    &format!("{loc}/MaxItems"),
                    format!("the JSONata expression '{text}' does not compile: {e}"),
                )
            })?;
            Ok((None, Some(Typed::Expr(e))))
        }
        (Some(v), None) => {
            let n = literal(v, &format!("{loc}/MaxItems"))?;
            Ok((Some(Num::Const(n)), None))
        }
        (None, Some(_)) if jsonata => Err(CompileError::new(
            &format!("{loc}/MaxItemsPath"),
            "a JSONata state gives MaxItems as an expression, not MaxItemsPath",
        )),
        (None, Some(p)) => {
            let ploc = format!("{loc}/MaxItemsPath");
            let text = p
                .as_str()
                .ok_or_else(|| CompileError::new(&ploc, "must be a reference path string"))?;
            let path = Path::parse(text).map_err(|e| CompileError::new(&ploc, e))?;
            Ok((Some(Num::Path(path)), None))
        }
    }
}
