//! The console's embedded files and the few pages built on the server (the console shell, the
//! login page, messages, the standalone graph page). Everything shown from a user's data is
//! escaped here or set as text by the scripts.

const INDEX: &str = include_str!("assets/index.html");
const LOGIN: &str = include_str!("assets/login.html");
const MESSAGE: &str = include_str!("assets/message.html");
const GRAPH_PAGE: &str = include_str!("assets/graph.html");
const APP_JS: &str = include_str!("assets/app.js");
const GRAPH_JS: &str = include_str!("assets/graph.js");
const DAGRE_JS: &str = include_str!("assets/dagre.min.js");
const DAGRE_LICENSE: &str = include_str!("assets/dagre.LICENSE.txt");
const CSS: &str = include_str!("assets/console.css");

/// An embedded file by name: its bytes and content type.
pub(super) fn asset(name: &str) -> Option<(&'static [u8], &'static str)> {
    let (text, content_type) = match name {
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "graph.js" => (GRAPH_JS, "text/javascript; charset=utf-8"),
        "dagre.min.js" => (DAGRE_JS, "text/javascript; charset=utf-8"),
        "dagre.LICENSE.txt" => (DAGRE_LICENSE, "text/plain; charset=utf-8"),
        "console.css" => (CSS, "text/css; charset=utf-8"),
        _ => return None,
    };
    Some((text.as_bytes(), content_type))
}

/// `s` safe inside HTML text and double-quoted attributes.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` as a JSON string literal safe inside a `<script>` element: `<`, `>`, `&` and the
/// line separators JavaScript once treated as newlines are written as `\u` escapes.
pub(crate) fn script_string(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The console shell, carrying the page's CSRF token.
pub(super) fn index_page(csrf: &str, auth: bool) -> String {
    INDEX
        .replace("{{CSRF}}", &escape_html(csrf))
        .replace("{{AUTH}}", if auth { "on" } else { "off" })
}

/// The login page, with an error when a login failed.
pub(super) fn login_page(error: Option<&str>) -> String {
    let e = error.map_or(String::new(), |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape_html(e))
    });
    LOGIN.replace("{{ERROR}}", &e)
}

/// A page that says one thing.
pub(super) fn message_page(title: &str, text: &str) -> String {
    MESSAGE
        .replace("{{TITLE}}", &escape_html(title))
        .replace("{{TEXT}}", &escape_html(text))
}

/// A standalone, self-contained HTML page that draws one definition with the console's
/// renderer inlined (layout, zoom, fit, vertical/horizontal, SVG and PNG export): what
/// `aslx graph --format html` writes. `definition_json` is the definition's text; text that
/// is not JSON gives a page that says so. Nothing is fetched when the page is opened.
///
/// ```
/// let page = aslx::console::graph_page(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#, "demo");
/// assert!(page.starts_with("<!doctype html>"));
/// assert!(!page.contains("<script src"));
/// ```
pub fn graph_page(definition_json: &str, title: &str) -> String {
    // The scripts go in with `</script` broken up, so no text can end their element early.
    let inline = |js: &str| js.replace("</script", "<\\/script");
    // One pass of placeholders, so text substituted earlier is never read as a placeholder.
    let mut out = String::with_capacity(GRAPH_PAGE.len() + DAGRE_JS.len() + GRAPH_JS.len());
    let mut rest = GRAPH_PAGE;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find("}}") else {
            break;
        };
        let key = &rest[i + 2..i + j];
        match key {
            "TITLE" => out.push_str(&escape_html(title)),
            "TITLE_JSON" => out.push_str(&script_string(title)),
            "DEFINITION" => out.push_str(&script_string(definition_json)),
            "DAGRE" => out.push_str(&inline(DAGRE_JS)),
            "GRAPH" => out.push_str(&inline(GRAPH_JS)),
            other => {
                out.push_str("{{");
                out.push_str(other);
                out.push_str("}}");
            }
        }
        rest = &rest[i + j + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_users_cannot_close_a_script_or_open_a_tag() {
        let page = graph_page(
            r#"{"StartAt":"</script><script>alert(1)</script>","States":{}}"#,
            "<b>t</b>",
        );
        assert!(!page.contains("</script><script>alert(1)"));
        assert!(page.contains("<title>&lt;b&gt;t&lt;/b&gt;</title>"));
        assert_eq!(page.matches("</script>").count(), 4);
        assert!(!page.contains("{{"), "every placeholder filled");
    }

    #[test]
    fn the_assets_are_all_there() {
        for name in [
            "app.js",
            "graph.js",
            "dagre.min.js",
            "dagre.LICENSE.txt",
            "console.css",
        ] {
            assert!(asset(name).is_some_and(|(b, _)| !b.is_empty()), "{name}");
        }
        assert!(asset("../mod.rs").is_none());
    }
}
