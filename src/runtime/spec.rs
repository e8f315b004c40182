//! Built-in task behaviours named on a command line or in a config file:
//! `RESOURCE=identity`, `RESOURCE=return:JSON`, `RESOURCE=raise:ERROR:CAUSE`,
//! `RESOURCE=http:URL` (POSTs the input to URL: `integrations/http_handler.rs`).
//!
//! `aslx run --handler` and `aslx serve --handler` / `--handlers-file` share this parser.

use super::handler::Handlers;
use crate::value::{parse_json, Value};
use crate::vm::TaskError;
use std::sync::Arc;

/// What a built-in handler does.
#[derive(Clone, Debug, PartialEq)]
pub enum Behaviour {
    /// Returns its input unchanged.
    Identity,
    /// Returns this value whatever the input.
    Return(Value),
    /// Fails with this error name and cause.
    Raise {
        /// The error name (`States.TaskFailed`, `MyError`, ...).
        error: String,
        /// The cause.
        cause: String,
    },
    /// POSTs the input as JSON to this `http://` or `https://` URL; the JSON answer is the
    /// result.
    Http(String),
}

/// One `RESOURCE=BEHAVIOUR` binding.
///
/// ```
/// use aslx::runtime::{Behaviour, HandlerSpec};
/// let s = HandlerSpec::parse("charge=raise:Payments.Declined:card declined").unwrap();
/// assert_eq!(s.resource, "charge");
/// assert_eq!(s.behaviour, Behaviour::Raise { error: "Payments.Declined".into(), cause: "card declined".into() });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HandlerSpec {
    /// A Task's `Resource` string or a Lambda function name.
    pub resource: String,
    /// What the handler does.
    pub behaviour: Behaviour,
}

impl HandlerSpec {
    /// Parses `RESOURCE=identity | RESOURCE=return:JSON | RESOURCE=raise:ERROR[:CAUSE]`.
    ///
    /// The resource is everything before the first `=`, so resources containing `:` (ARNs) work.
    ///
    /// # Errors
    ///
    /// A message naming the spec and what is wrong with it.
    pub fn parse(spec: &str) -> Result<HandlerSpec, String> {
        let (resource, behaviour) = spec
            .split_once('=')
            .ok_or_else(|| format!("handler {spec:?}: expected RESOURCE=BEHAVIOUR"))?;
        if resource.is_empty() {
            return Err(format!("handler {spec:?}: the resource is empty"));
        }
        let behaviour = if behaviour == "identity" {
            Behaviour::Identity
        } else if let Some(json) = behaviour.strip_prefix("return:") {
            Behaviour::Return(
                parse_json(json).map_err(|e| format!("handler {resource}: return:{json}: {e}"))?,
            )
        } else if let Some(rest) = behaviour.strip_prefix("raise:") {
            let (error, cause) = rest.split_once(':').unwrap_or((rest, ""));
            Behaviour::Raise {
                error: error.to_string(),
                cause: cause.to_string(),
            }
        } else if let Some(url) = behaviour.strip_prefix("http:") {
            crate::integrations::http_handler::HttpHandler::new(resource, url).map_err(|e| {
                format!("handler {resource}: http:URL: {e} (write http:http://HOST:PORT/PATH)")
            })?;
            Behaviour::Http(url.to_string())
        } else {
            return Err(format!(
                "handler {resource}: unknown behaviour {behaviour:?}; expected identity, return:JSON, raise:ERROR:CAUSE or http:URL"
            ));
        };
        Ok(HandlerSpec {
            resource: resource.to_string(),
            behaviour,
        })
    }

    /// Parses a handlers file: one spec a line; blank lines and lines starting with `#` are
    /// skipped.
    ///
    /// # Errors
    ///
    /// The first bad line, with its line number.
    pub fn parse_file(text: &str) -> Result<Vec<HandlerSpec>, String> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push(HandlerSpec::parse(line).map_err(|e| format!("line {}: {e}", i + 1))?);
        }
        Ok(out)
    }

    /// Registers the behaviour under the exact resource string and as a Lambda function of
    /// that name, so `--handler fn=...` serves both `arn:...:function:fn` and
    /// `lambda:invoke` Tasks naming `fn`.
    pub fn register(&self, h: &mut Handlers) {
        if let Behaviour::Http(url) = &self.behaviour {
            // `parse` checked the URL; a spec built by hand with a bad one binds nothing,
            // and the machine that needs it is refused when linked.
            let _ = h.http(&self.resource, url);
            return;
        }
        let f: Arc<dyn Fn(Value) -> Result<Value, TaskError> + Send + Sync> = match &self.behaviour
        {
            Behaviour::Identity => Arc::new(Ok),
            Behaviour::Return(v) => {
                let v = v.clone();
                Arc::new(move |_| Ok(v.clone()))
            }
            Behaviour::Raise { error, cause } => {
                let e = TaskError::new(error.as_str(), cause.as_str());
                Arc::new(move |_| Err(e.clone()))
            }
            Behaviour::Http(_) => return,
        };
        let g = Arc::clone(&f);
        h.resource(&self.resource, move |v| f(v));
        h.function(&self.resource, move |v| g(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_behaviour() {
        assert_eq!(
            HandlerSpec::parse("arn:aws:lambda:us-east-1:1:function:f=identity")
                .unwrap()
                .resource,
            "arn:aws:lambda:us-east-1:1:function:f"
        );
        assert_eq!(
            HandlerSpec::parse("f=return:{\"a\":1}").unwrap().behaviour,
            Behaviour::Return(crate::json!({"a": 1}))
        );
        assert_eq!(
            HandlerSpec::parse("f=raise:E").unwrap().behaviour,
            Behaviour::Raise {
                error: "E".into(),
                cause: String::new()
            }
        );
        assert!(HandlerSpec::parse("f").is_err());
        assert!(HandlerSpec::parse("=identity").is_err());
        assert!(HandlerSpec::parse("f=return:{").is_err());
        assert!(HandlerSpec::parse("f=shout").is_err());
        assert_eq!(
            HandlerSpec::parse("f=http:http://127.0.0.1:9/x")
                .unwrap()
                .behaviour,
            Behaviour::Http("http://127.0.0.1:9/x".into())
        );
        let e = HandlerSpec::parse("f=http://127.0.0.1:9/x").unwrap_err();
        assert!(e.contains("write http:http://HOST:PORT/PATH"), "{e}");
    }

    #[test]
    fn file_skips_comments_and_names_bad_lines() {
        let specs = HandlerSpec::parse_file("# c\n\na=identity\n b=raise:X:y \n").unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].resource, "b");
        let e = HandlerSpec::parse_file("a=identity\nbad\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
    }
}
