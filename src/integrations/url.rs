//! URLs and percent-encoding, one implementation for every integration: the SigV4 canonical
//! query and path, the query protocol's form bodies, the HTTP Task's query strings and
//! URL-encoded bodies, the OAuth token request; and the URL as errors may show it.

use http::Uri;

/// Percent-encodes `s` as SigV4 and the AWS SDKs' form bodies want it: everything but
/// `A-Za-z0-9-_.~` (and `/` when `keep_slash`), in upper-case hex (a space is `%20`).
pub(crate) fn uri_encode(s: &str, keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
    out
}

/// `k=v`, both percent-encoded.
pub(crate) fn pair(k: &str, v: &str) -> String {
    format!("{}={}", uri_encode(k, false), uri_encode(v, false))
}

/// Checks that `url` is `http://` or `https://` with a host and no `user:password@` (a URL's
/// credentials would reach error messages and `Debug` output; they belong in a connection
/// or the AWS environment variables).
///
/// # Errors
///
/// What is wrong with it; the message quotes the URL only when it holds no credentials.
pub(crate) fn parse_url(url: &str) -> Result<Uri, String> {
    let uri: Uri = url.parse().map_err(|e| {
        // Not parsed, it cannot be shown without what may be its credentials.
        match url.contains('@') {
            true => format!("the URL is not valid: {e}"),
            false => format!("{url:?} is not a URL: {e}"),
        }
    })?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(format!(
            "{}: a URL with user:password@ is refused (credentials would show in messages)",
            shown_url(&uri)
        ));
    }
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(format!(
            "{url:?}: the URL must start with http:// or https://"
        ));
    }
    if uri.authority().is_none_or(|a| a.host().is_empty()) {
        return Err(format!("{url:?}: the URL has no host"));
    }
    Ok(uri)
}

/// The URL as errors show it: scheme, host, port and path; no query (which may carry keys)
/// and no `user:password@`.
pub(crate) fn shown_url(uri: &http::Uri) -> String {
    let port = uri.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        uri.scheme_str().unwrap_or("http"),
        uri.host().unwrap_or(""),
        uri.path()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(uri_encode("/fn:1/x y", true), "/fn%3A1/x%20y");
        assert_eq!(uri_encode("a+b/é", false), "a%2Bb%2F%C3%A9");
        assert_eq!(pair("k y", "v&w"), "k%20y=v%26w");
    }

    #[test]
    fn credentials_in_a_url_are_refused_and_never_shown() {
        let e = parse_url("https://alice:hunter2@api.example.com:8443/x?key=k").unwrap_err();
        assert!(e.contains("user:password@"), "{e}");
        assert!(!e.contains("hunter2") && !e.contains("alice"), "{e}");
        let uri: Uri = "http://u:p@h:81/a?s=1".parse().unwrap();
        assert_eq!(shown_url(&uri), "http://h:81/a");
        assert!(parse_url("ftp://h/").is_err());
        assert!(parse_url("http:///x").is_err());
        assert_eq!(
            shown_url(&parse_url("https://h/p?q=1").unwrap()),
            "https://h/p"
        );
    }
}
