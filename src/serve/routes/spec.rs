//! Route specs: `METHOD /path/{param}=MACHINE:MODE[+OPTION...]`, as given to `--route` or one a
//! line in `--routes-file`. Everything is checked here, at start-up; only the machine is
//! resolved later, per request (machines are created through the API after the server starts).
//!
//! ```text
//! POST /orders=OrderFlow:sync
//! GET  /orders/{id}=OrderLookup:sync+headers(x-tenant)+requestContext(httpMethod,sourceIp)
//! ANY  /hooks/{proxy+}=Hook:async-querystring
//! PUT  /raw=Echo:sync:raw
//! ```
//!
//! - METHOD: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS`, or `ANY` (every method
//!   the path has no route of its own for), as API Gateway's methods.
//! - PATH: `/`-separated segments; a `{name}` segment takes one segment of the request path, a
//!   final `{name+}` segment the rest (one segment or more).
//! - MACHINE: a state machine name (this server's region and account) or ARN, with an alias or
//!   version qualifier when an ARN.
//! - MODE: `sync` (StartSyncExecution), `async` (StartExecution), each with `:raw` for the
//!   pass-through mapping (the body is the input).
//! - OPTIONs (not with `:raw`), CDK's `StepFunctionsExecutionIntegrationOptions`: `+headers`
//!   (or `+headers(a,b)`, those only), `+authorizer`, `+requestContext` (every field) or
//!   `+requestContext(field,...)`, `-querystring`, `-path`.

use super::input::CONTEXT_FIELDS;
use http::Method;

/// How a route starts its machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// StartSyncExecution: the answer is the execution's output.
    Sync,
    /// StartExecution: the answer is the execution ARN and start date.
    Async,
}

/// Which request headers go into the input's `header` member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Headers {
    /// Every header (CDK's `headers: true`).
    All,
    /// These only, lower-case (CDK's `headerNames`).
    Named(Vec<String>),
}

/// What the execution input holds besides `body` (CDK's options; its defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Includes {
    /// `querystring` (default on).
    pub querystring: bool,
    /// `path`: the path parameters (default on).
    pub path: bool,
    /// `header` (default off).
    pub headers: Option<Headers>,
    /// `authorizer` (default off).
    pub authorizer: bool,
    /// `requestContext`: a bit per field of [`CONTEXT_FIELDS`] (none by default).
    pub request_context: u32,
}

impl Default for Includes {
    fn default() -> Includes {
        Includes {
            querystring: true,
            path: true,
            headers: None,
            authorizer: false,
            request_context: 0,
        }
    }
}

/// How the request becomes the input, and the output the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// The body is the input; a sync execution's output is the answer's body.
    Raw,
    /// `{"body", "querystring", "path", ...}`, as CDK's request template builds it.
    Mapped(Includes),
}

/// One segment of a path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Matches itself.
    Literal(String),
    /// `{name}`: any one segment.
    Param(String),
    /// `{name+}`: the rest of the path, one segment or more (last only).
    Greedy(String),
}

/// A route's path, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathTemplate {
    /// As written (`/orders/{id}`): the `resourcePath` of the request context.
    pub text: String,
    /// The segments, in order; none for `/`.
    pub segments: Vec<Segment>,
}

impl PathTemplate {
    /// Parses `/a/{b}/{c+}`.
    ///
    /// # Errors
    ///
    /// A path that does not start with `/`, has an empty segment, a parameter that is not a
    /// whole segment, a bad or repeated parameter name, or a greedy parameter before the end.
    pub fn parse(text: &str) -> Result<PathTemplate, String> {
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| format!("path {text:?} must start with '/'"))?;
        let mut segments = Vec::new();
        let mut names: Vec<String> = Vec::new();
        if !rest.is_empty() {
            let parts: Vec<&str> = rest.split('/').collect();
            for (i, part) in parts.iter().enumerate() {
                let seg = segment(text, part)?;
                if let Segment::Param(n) | Segment::Greedy(n) = &seg {
                    if names.contains(n) {
                        return Err(format!("path {text:?}: parameter {{{n}}} appears twice"));
                    }
                    names.push(n.clone());
                }
                if matches!(seg, Segment::Greedy(_)) && i + 1 != parts.len() {
                    return Err(format!(
                        "path {text:?}: a greedy parameter ({part}) must be the last segment"
                    ));
                }
                segments.push(seg);
            }
        }
        Ok(PathTemplate {
            text: text.to_string(),
            segments,
        })
    }

    /// The template with parameter names left out (`/orders/{}`): two routes with the same
    /// shape are the same resource.
    pub(crate) fn shape(&self) -> String {
        let mut s = String::new();
        for seg in &self.segments {
            s.push('/');
            match seg {
                Segment::Literal(l) => s.push_str(l),
                Segment::Param(_) => s.push_str("{}"),
                Segment::Greedy(_) => s.push_str("{+}"),
            }
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }
}

fn segment(text: &str, part: &str) -> Result<Segment, String> {
    if part.is_empty() {
        return Err(format!("path {text:?} has an empty segment"));
    }
    if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !ok {
            return Err(format!(
                "path {text:?}: {part} is not a parameter (letters, digits, '_', '-', '.')"
            ));
        }
        return Ok(if greedy {
            Segment::Greedy(name.to_string())
        } else {
            Segment::Param(name.to_string())
        });
    }
    if let Some(c) = part
        .chars()
        .find(|c| matches!(c, '{' | '}' | '?' | '#' | '+') || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "path {text:?}: segment {part:?} has {c:?} (a parameter is a whole segment: {{name}})"
        ));
    }
    Ok(Segment::Literal(part.to_string()))
}

/// One route, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// The method; `None` is `ANY`.
    pub method: Option<Method>,
    /// The path.
    pub path: PathTemplate,
    /// The machine: a name or an ARN.
    pub machine: String,
    /// Sync or async.
    pub start: Start,
    /// The input mapping.
    pub mapping: Mapping,
}

/// API Gateway's methods.
const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

impl RouteSpec {
    /// Parses one spec (see the module docs).
    ///
    /// # Errors
    ///
    /// What is wrong, quoting the spec.
    pub fn parse(spec: &str) -> Result<RouteSpec, String> {
        let err = |what: String| format!("route {spec:?}: {what}");
        let s = spec.trim();
        let (method, rest) = s
            .split_once(char::is_whitespace)
            .ok_or_else(|| err("expected 'METHOD /path=MACHINE:sync' (or :async)".into()))?;
        let (path, target) = rest
            .trim_start()
            .split_once('=')
            .ok_or_else(|| err("expected '=MACHINE:sync' (or :async) after the path".into()))?;
        let method = match method.to_ascii_uppercase().as_str() {
            "ANY" => None,
            m if METHODS.contains(&m) => {
                Some(Method::from_bytes(m.as_bytes()).map_err(|e| err(e.to_string()))?)
            }
            _ => {
                return Err(err(format!(
                    "method {method:?} is not one of {}",
                    METHODS.join(", ")
                )))
            }
        };
        let path = PathTemplate::parse(path.trim_end()).map_err(err)?;
        let (machine, start, mapping) = target_part(target.trim()).map_err(err)?;
        Ok(RouteSpec {
            method,
            path,
            machine,
            start,
            mapping,
        })
    }

    /// Parses a routes file: one spec a line; blank lines and `#` comments are skipped.
    ///
    /// # Errors
    ///
    /// The first bad line, with its number.
    pub fn parse_file(text: &str) -> Result<Vec<RouteSpec>, String> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push(RouteSpec::parse(line).map_err(|e| format!("line {}: {e}", i + 1))?);
        }
        Ok(out)
    }

    /// `POST /orders` (`ANY /orders`).
    pub fn key(&self) -> String {
        format!(
            "{} {}",
            self.method.as_ref().map_or("ANY", |m| m.as_str()),
            self.path.text
        )
    }
}

/// `MACHINE:MODE[:raw][OPTIONS]`. The mode is found from the right, so the machine may be an
/// ARN (which has colons of its own; names have none).
fn target_part(target: &str) -> Result<(String, Start, Mapping), String> {
    let mut segs: Vec<&str> = target.split(':').collect();
    let last = segs.pop().unwrap_or_default();
    let (word, options) = split_word(last);
    let (mode, raw, options) = if word == "raw" {
        let mode = segs.pop().unwrap_or_default();
        (mode, true, options)
    } else {
        (word, false, options)
    };
    let start = match mode {
        "sync" => Start::Sync,
        "async" => Start::Async,
        _ => {
            return Err(format!(
                "{target:?} must end with :sync, :async, :sync:raw or :async:raw (then +options)"
            ))
        }
    };
    let machine = segs.join(":");
    if machine.is_empty() {
        return Err("names no state machine (MACHINE:sync)".into());
    }
    if machine.chars().any(char::is_whitespace) {
        return Err(format!("state machine {machine:?} has whitespace"));
    }
    let mapping = if raw {
        if !options.is_empty() {
            return Err(format!(
                "options {options:?} do not apply to :raw (the body is the input)"
            ));
        }
        Mapping::Raw
    } else {
        Mapping::Mapped(parse_options(options)?)
    };
    Ok((machine, start, mapping))
}

/// `sync+headers` → (`sync`, `+headers`).
fn split_word(s: &str) -> (&str, &str) {
    let at = s.find(['+', '-']).unwrap_or(s.len());
    s.split_at(at)
}

fn parse_options(mut s: &str) -> Result<Includes, String> {
    let mut inc = Includes::default();
    while !s.is_empty() {
        let add = s.starts_with('+');
        let body = &s[1..];
        // An option runs to the next +/- outside parentheses.
        let end = match body.find('(') {
            Some(open) if body[..open].find(['+', '-']).is_none() => {
                let close = body[open..]
                    .find(')')
                    .ok_or_else(|| format!("option {s:?}: '(' is never closed"))?;
                open + close + 1
            }
            _ => body.find(['+', '-']).unwrap_or(body.len()),
        };
        let (opt, rest) = body.split_at(end);
        let (name, list) = match opt.split_once('(') {
            Some((n, l)) => (n, Some(l.strip_suffix(')').unwrap_or(l))),
            None => (opt, None),
        };
        let names = || -> Result<Vec<&str>, String> {
            let l = list.unwrap_or_default();
            let v: Vec<&str> = l.split(',').map(str::trim).collect();
            if v.iter().any(|n| n.is_empty()) {
                return Err(format!("option {opt:?}: an empty name in ({l})"));
            }
            Ok(v)
        };
        match (add, name, list.is_some()) {
            (true, "headers", false) => inc.headers = Some(Headers::All),
            (true, "headers", true) => {
                let v = names()?.into_iter().map(str::to_ascii_lowercase).collect();
                inc.headers = Some(Headers::Named(v));
            }
            (true, "authorizer", false) => inc.authorizer = true,
            (true, "requestContext", false) => {
                inc.request_context = (1u32 << CONTEXT_FIELDS.len()) - 1;
            }
            (true, "requestContext", true) => {
                for f in names()? {
                    let i = CONTEXT_FIELDS.iter().position(|c| *c == f).ok_or_else(|| {
                        format!(
                            "requestContext field {f:?} is not one of {}",
                            CONTEXT_FIELDS.join(", ")
                        )
                    })?;
                    inc.request_context |= 1 << i;
                }
            }
            (false, "querystring", false) => inc.querystring = false,
            (false, "path", false) => inc.path = false,
            _ => {
                let sign = if add { '+' } else { '-' };
                return Err(format!(
                    "unknown option {sign}{opt} (options: +headers, +headers(a,b), +authorizer, +requestContext, +requestContext(field,...), -querystring, -path)"
                ));
            }
        }
        s = rest;
    }
    Ok(inc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_sync_route_has_cdks_defaults() {
        let r = RouteSpec::parse("POST /orders=OrderFlow:sync").unwrap();
        assert_eq!(r.method, Some(Method::POST));
        assert_eq!(r.path.segments, vec![Segment::Literal("orders".into())]);
        assert_eq!(r.machine, "OrderFlow");
        assert_eq!(r.start, Start::Sync);
        assert_eq!(r.mapping, Mapping::Mapped(Includes::default()));
        assert_eq!(r.key(), "POST /orders");
    }

    #[test]
    fn options_modes_and_arns() {
        let r = RouteSpec::parse(
            "get /o/{id}/{rest+}=arn:aws:states:us-east-1:1:stateMachine:M:prod:async+headers(X-A, b)+requestContext(httpMethod,sourceIp)-querystring-path+authorizer",
        )
        .unwrap();
        assert_eq!(r.method, Some(Method::GET));
        assert_eq!(r.machine, "arn:aws:states:us-east-1:1:stateMachine:M:prod");
        assert_eq!(r.start, Start::Async);
        let Mapping::Mapped(inc) = r.mapping else {
            panic!("mapped")
        };
        assert_eq!(
            inc.headers,
            Some(Headers::Named(vec!["x-a".into(), "b".into()]))
        );
        assert!(!inc.querystring && !inc.path && inc.authorizer);
        let http = CONTEXT_FIELDS
            .iter()
            .position(|f| *f == "httpMethod")
            .unwrap();
        let ip = CONTEXT_FIELDS
            .iter()
            .position(|f| *f == "sourceIp")
            .unwrap();
        assert_eq!(inc.request_context, (1 << http) | (1 << ip));
        assert_eq!(
            r.path.segments[2],
            Segment::Greedy("rest".into()),
            "{:?}",
            r.path
        );
        assert_eq!(r.path.shape(), "/o/{}/{+}");

        let raw = RouteSpec::parse("ANY /=Echo-1:sync:raw").unwrap();
        assert_eq!(raw.method, None);
        assert_eq!(raw.machine, "Echo-1");
        assert_eq!(raw.mapping, Mapping::Raw);
        assert!(raw.path.segments.is_empty());
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, says) in [
            ("POST /orders", "expected '=MACHINE:sync'"),
            ("/orders=M:sync", "expected 'METHOD /path=MACHINE:sync'"),
            ("FETCH /o=M:sync", "method \"FETCH\" is not one of"),
            ("POST orders=M:sync", "must start with '/'"),
            ("POST /a//b=M:sync", "empty segment"),
            ("POST /a/x{id}=M:sync", "a parameter is a whole segment"),
            ("POST /a/{}=M:sync", "is not a parameter"),
            ("POST /{p+}/b=M:sync", "must be the last segment"),
            ("POST /{a}/{a}=M:sync", "appears twice"),
            ("POST /o=M", "must end with :sync, :async"),
            ("POST /o=M:fast", "must end with :sync, :async"),
            ("POST /o=:sync", "names no state machine"),
            ("POST /o=M:sync:raw+headers", "do not apply to :raw"),
            ("POST /o=M:sync+cookies", "unknown option +cookies"),
            ("POST /o=M:sync-headers", "unknown option -headers"),
            ("POST /o=M:sync+headers(a,)", "an empty name"),
            ("POST /o=M:sync+headers(a", "never closed"),
            (
                "POST /o=M:sync+requestContext(nope)",
                "field \"nope\" is not one of",
            ),
        ] {
            let e = RouteSpec::parse(spec).unwrap_err();
            assert!(e.contains(says), "{spec}: {e}");
            assert!(e.starts_with(&format!("route {spec:?}")), "{e}");
        }
    }

    #[test]
    fn a_routes_file_skips_comments_and_numbers_its_errors() {
        let ok = RouteSpec::parse_file(
            "# orders\n\nPOST /o=M:sync\n  GET /o/{id}=M:sync # not a comment here\n",
        );
        assert!(ok.is_err(), "a trailing comment is part of the spec");
        let v = RouteSpec::parse_file("# orders\n\nPOST /o=M:sync\nGET /o/{id}=N:async\n").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].machine, "N");
        let e = RouteSpec::parse_file("POST /o=M:sync\nPOST /p\n").unwrap_err();
        assert!(e.starts_with("line 2: route"), "{e}");
    }
}
