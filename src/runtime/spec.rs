//! Task behaviours named on a command line or in a config file:
//! `RESOURCE=identity`, `RESOURCE=return:JSON`, `RESOURCE=raise:ERROR:CAUSE`,
//! `RESOURCE=command:PROGRAM ARGS...`, `RESOURCE=worker:PROGRAM ARGS...` and `RESOURCE=http:URL`
//! (POSTs the input to URL: `integrations/http_handler.rs`).
//!
//! `aslx run --handler` and `aslx serve --handler` / `--handlers-file` share this parser.
//! A spec that could never serve a Task (a `lambda:invoke` resource, an ARN AWS refuses, a
//! program that is not there) is refused here, with what to write instead.

use super::handler::Handlers;
use crate::compile::resource::{classify, ResourceKind};
use crate::integrations::command::{resolve_program, CommandHandler};
use crate::integrations::worker::WorkerHandler;
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
    /// Runs `program` once per call: the input as JSON on stdin, the result as JSON on
    /// stdout (see [`Handlers::command`]).
    Command {
        /// The program: a path, or a name looked up on `PATH`.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// Sends every call to one long-lived `program` in JSON lines (see [`Handlers::worker`]).
    Worker {
        /// The program: a path, or a name looked up on `PATH`.
        program: String,
        /// Its arguments.
        args: Vec<String>,
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
    /// Parses `RESOURCE=identity | RESOURCE=return:JSON | RESOURCE=raise:ERROR[:CAUSE] |
    /// RESOURCE=command:PROGRAM ARGS... | RESOURCE=worker:PROGRAM ARGS... | RESOURCE=http:URL`.
    ///
    /// The resource is everything before the first `=`, so resources containing `:` (ARNs) work.
    /// `ARGS` are split as a shell splits simple words (see [`split_args`]); no shell runs.
    ///
    /// # Errors
    ///
    /// A message naming the spec and what is wrong with it: an unknown behaviour, bad JSON, a
    /// program that is not found or not executable, or a resource no handler can serve (a
    /// `lambda:invoke` resource, whose Tasks are bound by function name; an ARN AWS refuses
    /// as a Task resource).
    ///
    /// ```
    /// use aslx::runtime::HandlerSpec;
    /// let e = HandlerSpec::parse("arn:aws:states:::lambda:invoke=identity").unwrap_err();
    /// assert!(e.contains("by function name"), "{e}");
    /// let e = HandlerSpec::parse("f=command:aslx-no-such-program --flag").unwrap_err();
    /// assert!(e.contains("not found on PATH"), "{e}");
    /// ```
    pub fn parse(spec: &str) -> Result<HandlerSpec, String> {
        let (resource, behaviour) = spec
            .split_once('=')
            .ok_or_else(|| format!("handler {spec:?}: expected RESOURCE=BEHAVIOUR"))?;
        if resource.is_empty() {
            return Err(format!("handler {spec:?}: the resource is empty"));
        }
        check_resource(resource)?;
        let program = |kind: &str, rest: &str| -> Result<(String, Vec<String>), String> {
            let mut words = split_args(rest)
                .map_err(|e| format!("handler {resource}: {kind}:{rest}: {e}"))?
                .into_iter();
            let program = words.next().ok_or_else(|| {
                format!("handler {resource}: {kind}: expected {kind}:PROGRAM ARGS...")
            })?;
            resolve_program(&program)
                .map_err(|e| format!("handler {resource}: {kind}:{rest}: {e}"))?;
            Ok((program, words.collect()))
        };
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
        } else if let Some(rest) = behaviour.strip_prefix("command:") {
            let (program, args) = program("command", rest)?;
            Behaviour::Command { program, args }
        } else if let Some(rest) = behaviour.strip_prefix("worker:") {
            let (program, args) = program("worker", rest)?;
            Behaviour::Worker { program, args }
        } else if let Some(url) = behaviour.strip_prefix("http:") {
            crate::integrations::http_handler::HttpHandler::new(url).map_err(|e| {
                format!("handler {resource}: http:URL: {e} (write http:http://HOST:PORT/PATH)")
            })?;
            Behaviour::Http(url.to_string())
        } else {
            return Err(format!(
                "handler {resource}: unknown behaviour {behaviour:?}; expected identity, return:JSON, raise:ERROR:CAUSE, command:PROGRAM ARGS..., worker:PROGRAM ARGS... or http:URL"
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

    /// Refuses what this spec cannot do inside an [`Engine`](crate::Engine) (`aslx serve`):
    /// activity Tasks there are worked by `GetActivityTask` pollers, never by a handler.
    ///
    /// # Errors
    ///
    /// The message to show, saying what to do instead.
    pub fn check_for_engine(&self) -> Result<(), String> {
        match classify(&self.resource) {
            ResourceKind::Activity => Err(format!(
                "handler {}: activity Tasks are worked by GetActivityTask/SendTaskSuccess pollers here, so this handler would never be called; run a worker that polls the activity instead",
                self.resource
            )),
            _ => Ok(()),
        }
    }

    /// Registers the behaviour under the exact resource string and as a Lambda function of
    /// that name, so `--handler fn=...` serves both `arn:...:function:fn` and
    /// `lambda:invoke` Tasks naming `fn`. A `worker:` is one process for both.
    pub fn register(&self, h: &mut Handlers) {
        let f: Arc<dyn Fn(Value) -> Result<Value, TaskError> + Send + Sync> = match &self.behaviour
        {
            Behaviour::Http(url) => {
                // `parse` checked the URL; a spec built by hand with a bad one binds nothing,
                // and the machine that needs it is refused when linked.
                let _ = h.http(&self.resource, url);
                return;
            }
            Behaviour::Command { program, args } => {
                let c = CommandHandler::new(&self.resource, program, args.clone());
                h.bind(&self.resource, Arc::new(c));
                return;
            }
            Behaviour::Worker { program, args } => {
                let w = WorkerHandler::new(&self.resource, program, args.clone());
                h.bind(&self.resource, Arc::new(w));
                return;
            }
            Behaviour::Identity => Arc::new(Ok),
            Behaviour::Return(v) => {
                let v = v.clone();
                Arc::new(move |_| Ok(v.clone()))
            }
            Behaviour::Raise { error, cause } => {
                let e = TaskError::new(error.as_str(), cause.as_str());
                Arc::new(move |_| Err(e.clone()))
            }
        };
        let g = Arc::clone(&f);
        h.resource(&self.resource, move |v| f(v));
        h.function(&self.resource, move |v| g(v));
    }
}

/// Why no Task could ever call a handler bound to `resource`, and what to write instead.
fn check_resource(resource: &str) -> Result<(), String> {
    if resource.trim() != resource {
        return Err(format!(
            "handler {resource:?}: the resource has spaces around it; write RESOURCE=BEHAVIOUR with none"
        ));
    }
    match classify(resource) {
        ResourceKind::Service {
            service, action, ..
        } if service == "lambda" && action == "invoke" => Err(format!(
            "handler {resource}: a lambda:invoke Task calls the function its Parameters.FunctionName names, so its handler is bound by function name: write --handler 'FUNCTION_NAME=...' (the name, or the ARN, FunctionName gives)"
        )),
        ResourceKind::Unrecognized if resource.starts_with("arn:") => Err(format!(
            "handler {resource}: no Task can have this resource (AWS refuses it: \"The resource provided {resource} is not recognized\"); bind a Lambda function by name or by arn:aws:lambda:REGION:ACCOUNT:function:NAME, or an integration by arn:aws:states:::SERVICE:ACTION"
        )),
        _ if !resource.starts_with("arn:")
            && matches!(
                classify(&format!("arn:aws:states:::{resource}")),
                ResourceKind::Service { .. }
            ) =>
        {
            Err(format!(
                "handler {resource}: a Task resource names an integration in full: write 'arn:aws:states:::{resource}=...'"
            ))
        }
        _ => Ok(()),
    }
}

/// Splits `ARGS` into words as a POSIX shell splits simple words, with no expansion at all
/// (no variables, globs or `~`): words are separated by unquoted whitespace; `'...'` keeps
/// everything literally; inside `"..."` a backslash escapes only `"`, `\\`, `$` and `` ` ``;
/// elsewhere a backslash makes the next character literal.
///
/// # Errors
///
/// An unterminated quote or a trailing backslash.
///
/// ```
/// use aslx::runtime::split_args;
/// assert_eq!(
///     split_args(r#"python3 -c 'print("hi")' "a b" c\ d"#).unwrap(),
///     ["python3", "-c", r#"print("hi")"#, "a b", "c d"]
/// );
/// ```
pub fn split_args(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("a ' quote is not closed".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("a \" quote is not closed".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("a \" quote is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("a trailing \\ escapes nothing".into()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
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
            HandlerSpec::parse("f=command:sh -c 'echo {}'")
                .unwrap()
                .behaviour,
            Behaviour::Command {
                program: "sh".into(),
                args: vec!["-c".into(), "echo {}".into()]
            }
        );
        assert_eq!(
            HandlerSpec::parse("f=http:http://127.0.0.1:9/x")
                .unwrap()
                .behaviour,
            Behaviour::Http("http://127.0.0.1:9/x".into())
        );
        let e = HandlerSpec::parse("f=http://127.0.0.1:9/x").unwrap_err();
        assert!(e.contains("write http:http://HOST:PORT/PATH"), "{e}");
        assert_eq!(
            HandlerSpec::parse("f=worker:/bin/sh").unwrap().behaviour,
            Behaviour::Worker {
                program: "/bin/sh".into(),
                args: vec![]
            }
        );
    }

    #[test]
    fn refuses_specs_that_cannot_apply_saying_what_to_write() {
        for r in [
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "arn:aws:states:us-east-1:123456789012:lambda:invoke",
        ] {
            let e = HandlerSpec::parse(&format!("{r}=identity")).unwrap_err();
            assert!(e.contains("--handler 'FUNCTION_NAME=...'"), "{e}");
        }
        let e = HandlerSpec::parse("arn:aws:lambda:us-east-1:1:function:=identity").unwrap_err();
        assert!(e.contains("no Task can have this resource"), "{e}");
        let e = HandlerSpec::parse("arn:aws:states:::nosuch:thing=identity").unwrap_err();
        assert!(e.contains("no Task can have this resource"), "{e}");
        let e = HandlerSpec::parse("sqs:sendMessage=identity").unwrap_err();
        assert!(e.contains("'arn:aws:states:::sqs:sendMessage=...'"), "{e}");
        let e = HandlerSpec::parse(" f=identity").unwrap_err();
        assert!(e.contains("spaces around it"), "{e}");
        // Forms that do bind stay accepted: a callback resource binds as written.
        for ok in [
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken=identity",
            "arn:aws:states:us-east-1:1:sns:publish=identity",
            "arn:aws:lambda:us-east-1:1:function:f:PROD=identity",
            "arn:aws:states:us-east-1:1:activity:a=identity",
            "f:PROD=identity",
        ] {
            assert!(HandlerSpec::parse(ok).is_ok(), "{ok}");
        }
        let act = HandlerSpec::parse("arn:aws:states:us-east-1:1:activity:a=identity").unwrap();
        assert!(act
            .check_for_engine()
            .unwrap_err()
            .contains("GetActivityTask"));
    }

    #[test]
    fn refuses_missing_and_unusable_programs() {
        let e = HandlerSpec::parse("f=command:aslx-no-such-program").unwrap_err();
        assert!(e.starts_with("handler f: command:"), "{e}");
        assert!(
            e.contains("\"aslx-no-such-program\" was not found on PATH"),
            "{e}"
        );
        let e = HandlerSpec::parse("f=worker:./Cargo.toml").unwrap_err();
        assert!(e.contains("is not executable"), "{e}");
        let e = HandlerSpec::parse("f=command:").unwrap_err();
        assert!(e.contains("expected command:PROGRAM ARGS..."), "{e}");
        let e = HandlerSpec::parse("f=command:sh -c 'echo").unwrap_err();
        assert!(e.contains("quote is not closed"), "{e}");
    }

    #[test]
    fn splits_args_like_a_shell_without_expanding() {
        let s = |x: &str| split_args(x).unwrap();
        assert_eq!(s("  a   b\tc  "), ["a", "b", "c"]);
        assert_eq!(s("''"), [""]);
        assert_eq!(s("a'b c'd"), ["ab cd"]);
        assert_eq!(s(r#""a \"q\" \\ \$x \n""#), [r#"a "q" \ $x \n"#]);
        assert_eq!(s(r"a\ b \'c"), ["a b", "'c"]);
        assert_eq!(s("$HOME ~ *"), ["$HOME", "~", "*"]);
        assert!(s("").is_empty());
        assert!(split_args("'open").is_err());
        assert!(split_args("\"open").is_err());
        assert!(split_args("end\\").is_err());
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
