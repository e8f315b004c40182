//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, ...; ASL §6) compiled to
//! a tree whose constant parts are ready-made values.
//!
//! PERF: a constant subtree is stored as one [`Value`], so instantiating it is a reference-count
//! bump; only `.$` fields are evaluated per execution.

use crate::path::{Env, EvalError, Expr};
use crate::value::{Map, Str, Value};
use std::sync::Arc;

/// A compiled payload template.
#[derive(Debug)]
pub struct Template {
    root: Node,
    /// The template as written; cold, for dumps.
    source: Value,
    /// Bytes of everything but the `.$` values (keys, punctuation, constants).
    const_bytes: usize,
    /// Number of `.$` paths into the template's input.
    paths: usize,
    /// A `.$` field is an intrinsic or reads the Context object: no static bound.
    unbounded: bool,
}

#[derive(Debug)]
enum Node {
    Const(Value),
    Object(Box<[(Str, Node)]>),
    Array(Box<[Node]>),
    /// A `.$` field: the expression and the key as written (`name.$`), for error messages.
    Expr(Box<(Expr, Str)>),
}

/// A `.$` field that could not be evaluated.
#[derive(Debug)]
pub struct TemplateError {
    /// The key as written, `name.$`.
    pub key: Str,
    /// The expression text.
    pub text: Str,
    /// Why.
    pub error: EvalError,
}

impl Template {
    /// Compiles a template. The definition was validated, so every `.$` value parses; one that
    /// does not is reported as `Err(key)`.
    pub fn compile(v: &Value) -> Result<Template, String> {
        let root = node(v, 0)?;
        let (mut const_bytes, mut paths, mut unbounded) = (0, 0, false);
        measure(&root, &mut const_bytes, &mut paths, &mut unbounded);
        Ok(Template {
            root,
            source: v.clone(),
            const_bytes,
            paths,
            unbounded,
        })
    }

    /// An upper bound on the serialized size of the payload built from an input whose
    /// serialized size is at most `input_bytes`; `None` when the template has intrinsics or
    /// reads the Context object, whose results have no cheap bound.
    ///
    /// PERF: lets the VM skip walking whole documents for the 256 KiB check (vm/pipeline5).
    pub fn size_bound(&self, input_bytes: usize) -> Option<usize> {
        if self.unbounded {
            return None;
        }
        self.paths
            .checked_mul(input_bytes)
            .and_then(|b| b.checked_add(self.const_bytes))
    }

    /// The template as written.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// `true` when the template has no `.$` field at all.
    pub fn is_const(&self) -> bool {
        matches!(self.root, Node::Const(_))
    }

    /// `true` when some `.$` field reads the Context object.
    pub fn uses_context(&self) -> bool {
        fn walk(n: &Node) -> bool {
            match n {
                Node::Const(_) => false,
                Node::Object(f) => f.iter().any(|(_, n)| walk(n)),
                Node::Array(a) => a.iter().any(walk),
                Node::Expr(e) => e.0.text().contains("$$"),
            }
        }
        walk(&self.root)
    }

    /// Builds the payload.
    ///
    /// # Errors
    ///
    /// The first `.$` field whose path finds nothing or whose intrinsic fails.
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, TemplateError> {
        eval(&self.root, env)
    }
}

const MAX_TEMPLATE_DEPTH: usize = 1000;

fn measure(n: &Node, bytes: &mut usize, paths: &mut usize, unbounded: &mut bool) {
    match n {
        Node::Const(v) => {
            *bytes += crate::value::serialized_len_at_most(v, usize::MAX).unwrap_or(usize::MAX / 4)
        }
        Node::Object(fields) => {
            *bytes += 2;
            for (k, f) in fields.iter() {
                // "key": value, — escapes can at most double a key's bytes.
                *bytes += 2 * k.len() + 4;
                measure(f, bytes, paths, unbounded);
            }
        }
        Node::Array(items) => {
            *bytes += 2 + items.len();
            for i in items.iter() {
                measure(i, bytes, paths, unbounded);
            }
        }
        Node::Expr(e) => match &e.0 {
            // A variable can be larger than the input, and so can a deep scan's selection
            // (issue 18): no bound. Another path's selection is at most the input plus the
            // brackets of an array.
            Expr::Path(p)
                if p.variable_name().is_none()
                    && !p.text().starts_with("$$")
                    && p.within_document() =>
            {
                *paths += 1;
                *bytes += 2;
            }
            _ => *unbounded = true,
        },
    }
}

fn node(v: &Value, depth: usize) -> Result<Node, String> {
    if depth > MAX_TEMPLATE_DEPTH {
        return Err("template nested too deeply".into());
    }
    match v {
        Value::Object(o) => {
            let mut fields = Vec::with_capacity(o.len());
            let mut dynamic = false;
            for (k, item) in o.iter() {
                if let Some(base) = k.strip_suffix(".$") {
                    let text = item.as_str().ok_or_else(|| k.to_string())?;
                    let expr = Expr::parse(text).map_err(|_| k.to_string())?;
                    fields.push((Str::from(base), Node::Expr(Box::new((expr, k.clone())))));
                    dynamic = true;
                } else {
                    let n = node(item, depth + 1)?;
                    dynamic |= !matches!(n, Node::Const(_));
                    fields.push((k.clone(), n));
                }
            }
            if dynamic {
                Ok(Node::Object(fields.into_boxed_slice()))
            } else {
                Ok(Node::Const(v.clone()))
            }
        }
        Value::Array(a) => {
            let items: Vec<Node> = a
                .iter()
                .map(|x| node(x, depth + 1))
                .collect::<Result<_, _>>()?;
            if items.iter().all(|n| matches!(n, Node::Const(_))) {
                Ok(Node::Const(v.clone()))
            } else {
                Ok(Node::Array(items.into_boxed_slice()))
            }
        }
        _ => Ok(Node::Const(v.clone())),
    }
}

fn eval(n: &Node, env: &Env<'_>) -> Result<Value, TemplateError> {
    match n {
        Node::Const(v) => Ok(v.clone()),
        Node::Object(fields) => {
            let mut m = Map::with_capacity(fields.len());
            for (k, f) in fields.iter() {
                // Validation refused templates whose keys collide after renaming.
                m.push_unique(k.clone(), eval(f, env)?);
            }
            Ok(Value::Object(Arc::new(m)))
        }
        Node::Array(items) => Ok(Value::array(
            items
                .iter()
                .map(|i| eval(i, env))
                .collect::<Result<_, _>>()?,
        )),
        Node::Expr(e) => e.0.eval(env).map_err(|error| TemplateError {
            key: e.1.clone(),
            text: Str::from(e.0.text()),
            error,
        }),
    }
}
