//! `InputTransformer` templates: placeholders found once, filled per event.
//!
//! The rules (quoting, unescaped strings, objects losing their quotes inside strings, paths
//! that match nothing) are set out, with their sources, in the parent module's docs.

use super::{invalid_path, ApplyError, EventPath, InputError, InputTransformer, RuleContext};
use crate::value::{parse_json, write_json, Map, Value};

/// Marks placeholders while a template is checked; a private-use character, so a template
/// that uses it itself could at worst see a false "object key" refusal.
const MARK: char = '\u{E000}';

/// A compiled `InputTransformer`.
#[derive(Clone, Debug)]
pub(super) struct Transformer {
    /// The variables the template uses, each resolved once per event.
    vars: Box<[Var]>,
    segments: Box<[Segment]>,
    /// `true` when the filled template is JSON; `false` for plain text.
    json: bool,
    /// Template length: a start for the output's capacity.
    size_hint: usize,
}

#[derive(Clone, Debug)]
struct Var {
    name: Box<str>,
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    Path(EventPath),
    RuleArn,
    RuleName,
    IngestionTime,
    /// `aws.events.event`: the event without `detail`.
    Event,
    /// `aws.events.event.json`: the whole event.
    EventJson,
}

#[derive(Clone, Debug)]
enum Segment {
    /// Template text, copied as it is.
    Text(Box<str>),
    /// A placeholder; `quoted` when it sits inside a JSON string of the template.
    Var { var: usize, quoted: bool },
}

impl Transformer {
    pub(super) fn compile(
        target_id: &str,
        t: &InputTransformer,
    ) -> Result<Transformer, InputError> {
        let mut paths = Vec::with_capacity(t.input_paths_map.len());
        for (name, path) in &t.input_paths_map {
            let compiled = EventPath::parse(path).ok_or_else(|| invalid_path(target_id))?;
            paths.push((name.as_str(), compiled));
        }
        let template = t.input_template.as_str();
        let mut vars: Vec<Var> = Vec::new();
        let mut segments = Vec::new();
        for piece in scan(template) {
            let (name, quoted) = match piece {
                Piece::Text(text) => {
                    segments.push(Segment::Text(text.into()));
                    continue;
                }
                Piece::Placeholder { name, quoted } => (name, quoted),
            };
            let var = match vars.iter().position(|v| &*v.name == name) {
                Some(i) => i,
                None => {
                    let source = reserved(name)
                        .or_else(|| {
                            let (_, p) = paths.iter().find(|(n, _)| *n == name)?;
                            Some(Source::Path(p.clone()))
                        })
                        .ok_or_else(|| {
                            InputError::new(format!(
                                "InputTemplate for target {target_id} contains invalid \
                                 placeholder {name}."
                            ))
                        })?;
                    vars.push(Var {
                        name: name.into(),
                        source,
                    });
                    vars.len() - 1
                }
            };
            segments.push(Segment::Var { var, quoted });
        }
        let trimmed = template.trim_start();
        let uses_event_json = vars.iter().any(|v| matches!(v.source, Source::EventJson));
        if uses_event_json && !trimmed.starts_with('{') {
            return Err(InputError::new(format!(
                "InputTemplate for target {target_id} contains placeholder aws.events.event.json \
                 valid only for JSON template."
            )));
        }
        let json = match parse_json(&probe(&segments)) {
            Ok(probed) => {
                if let Some(var) = marked_key(&probed) {
                    return Err(InputError::new(format!(
                        "InputTemplate for target {target_id} uses placeholder <{}> as an \
                         object key; a placeholder can only be a value",
                        vars[var].name
                    )));
                }
                true
            }
            Err(e) if trimmed.starts_with(['{', '[']) => {
                return Err(InputError::new(format!(
                    "InputTemplate for target {target_id} is not valid JSON: {}",
                    e.message()
                )))
            }
            Err(_) => false,
        };
        Ok(Transformer {
            vars: vars.into_boxed_slice(),
            segments: segments.into_boxed_slice(),
            json,
            size_hint: template.len(),
        })
    }

    pub(super) fn apply(&self, event: &Value, rule: &RuleContext<'_>) -> Result<Value, ApplyError> {
        let values: Vec<Option<Got<'_>>> = self
            .vars
            .iter()
            .map(|v| v.source.resolve(event, rule))
            .collect();
        let mut out = String::with_capacity(self.size_hint + 64);
        for segment in self.segments.iter() {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Var { var, quoted } => {
                    if let Some(got) = &values[*var] {
                        render(got, self.json, *quoted, &mut out);
                    }
                }
            }
        }
        if !self.json {
            return Ok(Value::from(out));
        }
        parse_json(&out).map_err(|e| {
            let missing: Vec<String> = self
                .vars
                .iter()
                .zip(&values)
                .filter(|(_, got)| got.is_none())
                .map(|(v, _)| format!("<{}>", v.name))
                .collect();
            let why = if missing.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} matched nothing in the event and, as AWS does, were left out",
                    missing.join(", ")
                )
            };
            let shown: String = out.chars().take(200).collect();
            ApplyError::new(format!(
                "the InputTemplate gave text that is not JSON ({e}){why}: {shown}"
            ))
        })
    }
}

/// A variable's value for one event: reserved strings are borrowed, the rest are values.
enum Got<'a> {
    Str(&'a str),
    Json(Value),
}

impl Source {
    fn resolve<'a>(&self, event: &Value, rule: &RuleContext<'a>) -> Option<Got<'a>> {
        Some(match self {
            Source::Path(p) => Got::Json(p.eval(event)?),
            Source::RuleArn => Got::Str(rule.rule_arn),
            Source::RuleName => Got::Str(rule.rule_name),
            Source::IngestionTime => Got::Str(rule.ingestion_time),
            Source::EventJson => Got::Json(event.clone()),
            Source::Event => match event.as_object() {
                Some(o) if o.contains_key("detail") => {
                    let mut m = Map::with_capacity(o.len());
                    for (k, v) in o.iter().filter(|(k, _)| &***k != "detail") {
                        m.insert(k.clone(), v.clone());
                    }
                    Got::Json(Value::object(m))
                }
                _ => Got::Json(event.clone()),
            },
        })
    }
}

fn reserved(name: &str) -> Option<Source> {
    Some(match name {
        "aws.events.rule-arn" => Source::RuleArn,
        "aws.events.rule-name" => Source::RuleName,
        "aws.events.event.ingestion-time" => Source::IngestionTime,
        "aws.events.event" => Source::Event,
        "aws.events.event.json" => Source::EventJson,
        _ => return None,
    })
}

/// Writes one variable into the output: see the module docs for the rules.
fn render(got: &Got<'_>, json: bool, quoted: bool, out: &mut String) {
    let add_quotes = json && !quoted;
    match got {
        Got::Str(s) => push_string(s, add_quotes, out),
        Got::Json(Value::String(s)) => push_string(s, add_quotes, out),
        Got::Json(v @ (Value::Object(_) | Value::Array(_))) if json && quoted => {
            let mut text = String::new();
            write_json(v, &mut text);
            out.extend(text.chars().filter(|c| *c != '"'));
        }
        Got::Json(v) => write_json(v, out),
    }
}

/// A string goes in unescaped, as AWS puts it in; outside quotes in JSON it gains quotes.
fn push_string(s: &str, add_quotes: bool, out: &mut String) {
    if add_quotes {
        out.push('"');
    }
    out.push_str(s);
    if add_quotes {
        out.push('"');
    }
}

/// One piece of a template: text, or a `<name>` placeholder.
enum Piece<'a> {
    Text(&'a str),
    Placeholder { name: &'a str, quoted: bool },
}

/// Splits a template into text and placeholders, tracking whether each placeholder sits
/// inside a JSON string (`"`, with `\` escapes). A `<` that does not open a `<name>` with
/// name characters `[A-Za-z0-9_.-]` is text.
fn scan(template: &str) -> Vec<Piece<'_>> {
    let bytes = template.as_bytes();
    let mut pieces = Vec::new();
    let (mut i, mut text_start, mut in_string) = (0, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let name_len = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                    .count();
                if name_len > 0 && bytes.get(i + 1 + name_len) == Some(&b'>') {
                    if text_start < i {
                        pieces.push(Piece::Text(&template[text_start..i]));
                    }
                    pieces.push(Piece::Placeholder {
                        name: &template[i + 1..i + 1 + name_len],
                        quoted: in_string,
                    });
                    i += name_len + 2;
                    text_start = i;
                    continue;
                }
            }
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            _ => {}
        }
        i += 1;
    }
    if text_start < bytes.len() {
        pieces.push(Piece::Text(&template[text_start..]));
    }
    pieces
}

/// The template with each placeholder replaced by a marked stand-in, to check it as JSON:
/// outside quotes a JSON string, inside quotes bare text.
fn probe(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Var { var, quoted: false } => out.push_str(&format!("\"{MARK}{var}{MARK}\"")),
            Segment::Var { var, quoted: true } => out.push_str(&format!("{MARK}{var}{MARK}")),
        }
    }
    out
}

/// The variable whose stand-in appears in an object key of the probed template, if any.
fn marked_key(v: &Value) -> Option<usize> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(o) => {
                for (k, child) in o.iter() {
                    if let Some((_, rest)) = k.split_once(MARK) {
                        return rest.split(MARK).next()?.parse().ok();
                    }
                    stack.push(child);
                }
            }
            _ => {}
        }
    }
    None
}
