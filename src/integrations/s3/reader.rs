//! `ItemReader`: S3 objects → items (MAP-10), the way AWS's "ItemReader (Map)" page describes
//! it. A JSON object holds an array; a JSON Lines object one value per line; a CSV object one
//! item per row, every value a string, keyed by its header; an S3 inventory manifest names
//! CSV data files (gzip-compressed, as real inventories are) whose columns its `fileSchema`
//! gives; a `listObjectsV2` listing gives one item per object. Objects whose key ends in
//! `.gz`, or whose bytes start with gzip's magic number, are decompressed first.
//!
//! Every error is the cause of a `States.ItemReaderFailed`, and names the object
//! (`s3://bucket/key`) and, for a parse error, the line and column.

use super::{ObjectInfo, ObjectStore};
use crate::compile::map_io::{Csv, Format, ReadSource};
use crate::value::{parse_json_bytes, Map, Str, Value};
use crate::vm::map_io::ItemRead;
use std::io::Read;

/// The most bytes one item may take: "Step Functions supports reading an item of up to
/// 8 MB from a text delimited file, JSON, or JSON Lines file".
pub(crate) const MAX_ITEM_BYTES: usize = 8 * 1024 * 1024;

/// The items `read` asks for, as a JSON array; the error is the failure's cause.
pub(crate) async fn read_items(store: &dyn ObjectStore, read: &ItemRead) -> Result<Value, String> {
    let max = read.max_items.map_or(usize::MAX, |n| n as usize);
    let mut items = Vec::new();
    match &read.source {
        ReadSource::Object(format) => {
            read_object(store, &read.bucket, &read.key, format, max, &mut items).await?
        }
        ReadSource::Listing(load) => {
            let mut token: Option<String> = None;
            'pages: loop {
                let page = store
                    .list_objects_v2(&read.bucket, &read.key, token.as_deref())
                    .await
                    .map_err(|e| e.cause("ListObjectsV2", &read.bucket, &read.key))?;
                for object in page.objects {
                    if items.len() >= max {
                        break 'pages;
                    }
                    match load {
                        None => items.push(listed(&object)),
                        // LOAD_AND_FLATTEN: the items inside each object; "folders" hold none.
                        Some(_) if object.key.ends_with('/') => {}
                        Some(f) => {
                            let left = max - items.len();
                            read_object(store, &read.bucket, &object.key, f, left, &mut items)
                                .await?
                        }
                    }
                }
                match page.next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
    }
    items.truncate(max);
    Ok(Value::array(items))
}

/// One object of a listing, spelled as AWS's example child input spells it (`Etag`, and
/// `LastModified` in epoch seconds).
fn listed(o: &ObjectInfo) -> Value {
    let mut m = Map::with_capacity(5);
    m.insert("Etag".into(), Value::from(o.etag.as_str()));
    m.insert("Key".into(), Value::from(o.key.as_str()));
    m.insert("LastModified".into(), Value::Int(o.last_modified));
    m.insert("Size".into(), Value::Int(o.size as i64));
    m.insert("StorageClass".into(), Value::from(o.storage_class.as_str()));
    Value::object(m)
}

/// Appends the items of object `key`, at most `max` of them.
async fn read_object(
    store: &dyn ObjectStore,
    bucket: &str,
    key: &str,
    format: &Format,
    max: usize,
    items: &mut Vec<Value>,
) -> Result<(), String> {
    let body = get(store, bucket, key).await?;
    let at = || format!("s3://{bucket}/{key}");
    match format {
        Format::Json => {
            let v =
                parse_json_bytes(&body).map_err(|e| format!("{} is not valid JSON: {e}", at()))?;
            match v {
                Value::Array(a) => items.extend(a.iter().take(max).cloned()),
                // AWS's words (MAP-10).
                _ => {
                    return Err(format!(
                        "Attempting to map over non-iterable node. ({} holds no JSON array)",
                        at()
                    ))
                }
            }
        }
        Format::JsonLines => json_lines(&body, max, items).map_err(|e| format!("{}: {e}", at()))?,
        Format::Csv(csv) => {
            let text = utf8(&body, &at())?;
            csv_items(text, csv, None, max, items).map_err(|e| format!("{}: {e}", at()))?
        }
        Format::Manifest => manifest(store, bucket, key, &body, max, items).await?,
    }
    Ok(())
}

/// The bytes of an object, gunzipped when compressed.
async fn get(store: &dyn ObjectStore, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    let body = store
        .get_object(bucket, key)
        .await
        .map_err(|e| e.cause("GetObject", bucket, key))?;
    if key.ends_with(".gz") || body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .map_err(|e| format!("s3://{bucket}/{key} is not valid gzip: {e}"))?;
        return Ok(out);
    }
    Ok(body)
}

fn utf8<'a>(body: &'a [u8], at: &str) -> Result<&'a str, String> {
    std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        format!("{at} is not UTF-8 text (line {line})")
    })
}

fn json_lines(body: &[u8], max: usize, items: &mut Vec<Value>) -> Result<(), String> {
    let mut taken = 0;
    for (n, line) in body.split(|b| *b == b'\n').enumerate() {
        if taken >= max {
            break;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.len() > MAX_ITEM_BYTES {
            return Err(format!(
                "line {} is larger than 8 MB, the most one item may take",
                n + 1
            ));
        }
        let v = parse_json_bytes(line).map_err(|e| {
            // The parser counts within the line; the line is the file's.
            format!("line {} is not valid JSON: {}", n + 1, e.message())
                + &format!(" (column {})", e.column())
        })?;
        items.push(v);
        taken += 1;
    }
    Ok(())
}

/// The rows of delimited text as objects. `columns` overrides the header (an inventory's
/// `fileSchema`); else the reader's `GIVEN` headers, else the first row.
pub(crate) fn csv_items(
    text: &str,
    csv: &Csv,
    columns: Option<&[Str]>,
    max: usize,
    items: &mut Vec<Value>,
) -> Result<(), String> {
    let mut rows = Records::new(text, csv.delimiter);
    let header: Vec<Str> = match columns.or(csv.headers.as_deref()) {
        Some(h) => h.to_vec(),
        None => {
            let Some(first) = rows.next() else {
                return Ok(());
            };
            let first = first?;
            let mut h: Vec<Str> = Vec::with_capacity(first.len());
            for name in first {
                let name = Str::from(name.as_str());
                if h.contains(&name) {
                    // AWS's words (MAP-10).
                    return Err("CSV headers cannot contain duplicates.".to_string());
                }
                h.push(name);
            }
            h
        }
    };
    let mut taken = 0;
    while taken < max {
        let Some(row) = rows.next() else { break };
        let mut row = row?.into_iter();
        let mut m = Map::with_capacity(header.len());
        // Missing fields are empty strings; extra fields are skipped.
        for name in &header {
            let v = row.next().unwrap_or_default();
            m.insert(name.clone(), Value::from(v.as_str()));
        }
        items.push(Value::object(m));
        taken += 1;
    }
    Ok(())
}

/// Delimited records, as AWS parses them: double quotes enclose delimiters and newlines
/// (`""` is a quote), a backslash escapes a backslash, a quote or the delimiter and is
/// dropped before anything else, empty lines are skipped.
struct Records<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    delimiter: char,
    line: usize,
    column: usize,
}

impl<'a> Records<'a> {
    fn new(text: &'a str, delimiter: u8) -> Records<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Records {
            chars: text.chars().peekable(),
            delimiter: delimiter as char,
            line: 1,
            column: 0,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn record(&mut self) -> Result<Option<Vec<String>>, String> {
        loop {
            match self.chars.peek() {
                None => return Ok(None),
                // An empty line holds no record.
                Some('\n') => {
                    self.bump();
                }
                Some('\r') => {
                    self.bump();
                }
                Some(_) => break,
            }
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut bytes = 0usize;
        let mut quoted: Option<(usize, usize)> = None;
        while let Some(c) = self.bump() {
            bytes += c.len_utf8();
            if bytes > MAX_ITEM_BYTES {
                return Err(format!(
                    "the row at line {start_line} is larger than 8 MB, the most one item may take"
                ));
            }
            match c {
                '\\' => {
                    if let Some(n) = self.bump() {
                        field.push(n);
                    }
                }
                '"' if quoted.is_some() => {
                    if self.chars.peek() == Some(&'"') {
                        self.bump();
                        field.push('"');
                    } else {
                        quoted = None;
                    }
                }
                '"' => quoted = Some((self.line, self.column)),
                c if quoted.is_some() => field.push(c),
                c if c == self.delimiter => fields.push(std::mem::take(&mut field)),
                '\n' => break,
                '\r' if self.chars.peek() == Some(&'\n') => {}
                c => field.push(c),
            }
        }
        if let Some((line, column)) = quoted {
            return Err(format!(
                "line {line}, column {column}: a quoted field is not closed before the end of the file"
            ));
        }
        fields.push(field);
        Ok(Some(fields))
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Vec<String>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        self.record().transpose()
    }
}

/// An S3 inventory: its `manifest.json` names CSV data files in its destination bucket, and
/// `fileSchema` their columns. Each row is an item, every value a string.
async fn manifest(
    store: &dyn ObjectStore,
    bucket: &str,
    key: &str,
    body: &[u8],
    max: usize,
    items: &mut Vec<Value>,
) -> Result<(), String> {
    let at = format!("s3://{bucket}/{key}");
    let m = parse_json_bytes(body)
        .map_err(|e| format!("{at} is not a valid S3 inventory manifest: {e}"))?;
    let field = |name: &str| m.get(name).and_then(Value::as_str);
    match field("fileFormat") {
        Some("CSV") => {}
        Some(other) => {
            return Err(format!(
                "{at}: the inventory's fileFormat is {other}; Step Functions reads CSV inventories only"
            ))
        }
        None => return Err(format!("{at} is not an S3 inventory manifest: it has no fileFormat")),
    }
    let schema = field("fileSchema")
        .ok_or_else(|| format!("{at} is not an S3 inventory manifest: it has no fileSchema"))?;
    let columns: Vec<Str> = schema.split(',').map(|c| Str::from(c.trim())).collect();
    // The data files live in the destination bucket (an ARN), else beside the manifest.
    let data_bucket = field("destinationBucket")
        .map(|b| b.strip_prefix("arn:aws:s3:::").unwrap_or(b))
        .unwrap_or(bucket)
        .to_string();
    let files = m
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{at} is not an S3 inventory manifest: it has no files"))?;
    let csv = Csv {
        headers: None,
        delimiter: b',',
    };
    for (i, f) in files.iter().enumerate() {
        if items.len() >= max {
            break;
        }
        let Some(file_key) = f.get("key").and_then(Value::as_str) else {
            return Err(format!("{at}: files[{i}] has no key"));
        };
        let data = get(store, &data_bucket, file_key).await?;
        let file_at = format!("s3://{data_bucket}/{file_key}");
        let text = utf8(&data, &file_at)?;
        let left = max - items.len();
        csv_items(text, &csv, Some(&columns), left, items)
            .map_err(|e| format!("{file_at}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, delimiter: u8) -> Result<Vec<Vec<String>>, String> {
        Records::new(text, delimiter).collect()
    }

    #[test]
    fn quotes_enclose_delimiters_and_newlines_and_double_to_escape() {
        let r = rows("a,\"b,c\",\"d\ne\",\"say \"\"hi\"\"\"\n", b',').unwrap();
        assert_eq!(r, vec![vec!["a", "b,c", "d\ne", "say \"hi\""]]);
    }

    #[test]
    fn backslashes_escape_and_are_dropped_before_other_characters() {
        let r = rows("C:\\\\Program Files,a\\,b,\\x\r\n", b',').unwrap();
        assert_eq!(r, vec![vec!["C:\\Program Files", "a,b", "x"]]);
    }

    #[test]
    fn empty_lines_hold_no_record_and_other_delimiters_split() {
        let r = rows("a|b\n\n\r\nc|d", b'|').unwrap();
        assert_eq!(r, vec![vec!["a", "b"], vec!["c", "d"]]);
    }

    #[test]
    fn an_unclosed_quote_names_its_line_and_column() {
        let e = rows("a,b\nc,\"d\n", b',').unwrap_err();
        assert!(e.starts_with("line 2, column 3:"), "{e}");
    }
}
