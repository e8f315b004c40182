//! Who may use the console, and which requests may change things.
//!
//! A browser cannot sign requests with SigV4, so under `aslx serve --auth` the console has its
//! own door, as rules:
//!
//! 1. **Login.** A session starts with either the login token printed at start-up (also
//!    accepted as `GET /?token=…`, the link the server prints) or the `--auth` key pair typed
//!    into the login form. Secrets are compared in constant time.
//! 2. **Sessions are cookies.** A login sets `aslx_console=<random 256 bits>` with `HttpOnly`
//!    and `SameSite=Strict`; sessions last [`SESSION_TTL`] and at most [`MAX_SESSIONS`] are
//!    kept (the oldest goes first). Logout forgets the session.
//! 3. **CSRF.** Every `POST /console/api` carries `X-Aslx-Csrf`, the token the page was served
//!    with (one per session; one per process without `--auth`). A custom header cannot be
//!    sent cross-site without a CORS preflight, which this server never grants, and its value
//!    cannot be read cross-site. An `Origin` header, when sent, must name the `Host`.
//! 4. **DNS rebinding.** Without `--auth`, the console answers only when `Host` is an IP
//!    literal or `localhost`: a hostile page whose name was re-pointed at 127.0.0.1 gets a
//!    refusal, not the page and its CSRF token.

use crate::runtime::sync::{lock, Mutex};
use crate::serve::sigv4::Credentials;
use base64::Engine as _;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a console session lasts.
pub(crate) const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most.
pub(crate) const MAX_SESSIONS: usize = 1024;
/// The session cookie's name.
pub(crate) const COOKIE: &str = "aslx_console";

/// 256 random bits as URL-safe base64 (rand's thread RNG is a CSPRNG seeded by the OS).
pub(crate) fn random_token() -> String {
    let raw: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Equal, without an early exit.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (x, y) in a.iter().zip(b) {
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

struct Session {
    csrf: String,
    born: Instant,
}

/// The console's door: the login secrets and the open sessions.
pub(crate) struct Gate {
    /// The `--auth` key pair; `None`: no login.
    creds: Option<Credentials>,
    /// The start-up token (with `--auth`).
    login_token: Option<String>,
    /// The CSRF token of every page without `--auth`.
    open_csrf: String,
    sessions: Mutex<HashMap<String, Session>>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("auth", &self.creds.is_some())
            .finish_non_exhaustive()
    }
}

/// Who is asking, once checked.
pub(crate) enum Caller {
    /// May use the console; the page's CSRF token.
    Allowed { csrf: String },
    /// Must log in first.
    LoginNeeded,
}

impl Gate {
    pub(crate) fn new(creds: Option<&Credentials>) -> Gate {
        Gate {
            login_token: creds.map(|_| random_token()),
            creds: creds.cloned(),
            open_csrf: random_token(),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The token printed at start-up, when `--auth` is set.
    pub(crate) fn login_token(&self) -> Option<&str> {
        self.login_token.as_deref()
    }

    pub(crate) fn requires_login(&self) -> bool {
        self.creds.is_some()
    }

    /// The caller of a request with these headers.
    pub(crate) fn caller(&self, headers: &http::HeaderMap) -> Caller {
        if self.creds.is_none() {
            return Caller::Allowed {
                csrf: self.open_csrf.clone(),
            };
        }
        let Some(id) = session_cookie(headers) else {
            return Caller::LoginNeeded;
        };
        let mut sessions = lock(&self.sessions);
        match sessions.get(id) {
            Some(s) if s.born.elapsed() < SESSION_TTL => Caller::Allowed {
                csrf: s.csrf.clone(),
            },
            Some(_) => {
                sessions.remove(id);
                Caller::LoginNeeded
            }
            None => Caller::LoginNeeded,
        }
    }

    /// Checks a login: the start-up token, or the key pair. On success, the new session's id
    /// (for the cookie).
    pub(crate) fn login(
        &self,
        token: Option<&str>,
        key_pair: Option<(&str, &str)>,
    ) -> Option<String> {
        let creds = self.creds.as_ref()?;
        let by_token = matches!((token, &self.login_token), (Some(t), Some(want)) if same(t, want));
        let by_keys = key_pair.is_some_and(|(id, secret)| {
            // Both compared, so timing does not tell which one was wrong.
            same(id, &creds.access_key) & same(secret, &creds.secret_key)
        });
        if !(by_token || by_keys) {
            return None;
        }
        let id = random_token();
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| s.born.elapsed() < SESSION_TTL);
        if sessions.len() >= MAX_SESSIONS {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.born)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                sessions.remove(&k);
            }
        }
        sessions.insert(
            id.clone(),
            Session {
                csrf: random_token(),
                born: Instant::now(),
            },
        );
        Some(id)
    }

    pub(crate) fn logout(&self, headers: &http::HeaderMap) {
        if let Some(id) = session_cookie(headers) {
            lock(&self.sessions).remove(id);
        }
    }
}

/// The session id in the `Cookie` header.
fn session_cookie(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value of a new session.
pub(crate) fn session_set_cookie(id: &str) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_TTL.as_secs()
    )
}

/// The `Set-Cookie` value that ends a session.
pub(crate) fn session_clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Why a state-changing request is refused, or `None` when its CSRF header matches and its
/// `Origin`, if any, is the server's own.
pub(crate) fn csrf_refusal(headers: &http::HeaderMap, csrf: &str) -> Option<&'static str> {
    let sent = headers.get("x-aslx-csrf").and_then(|v| v.to_str().ok());
    match sent {
        None => return Some("the X-Aslx-Csrf header is missing: reload the console page"),
        Some(s) if !same(s, csrf) => {
            return Some(
                "the X-Aslx-Csrf header does not match this session: reload the console page",
            )
        }
        Some(_) => {}
    }
    if let Some(origin) = headers.get(http::header::ORIGIN) {
        let host = headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin = origin.to_str().unwrap_or("");
        let own = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        if own != Some(host) {
            return Some("the request's Origin is not this server");
        }
    }
    None
}

/// Whether `host` (the `Host` header, with or without a port) names this machine by an IP
/// literal or `localhost`: what the console accepts without `--auth` (rule 4).
pub(crate) fn host_is_literal(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [::1]:8083
        return rest
            .split_once(']')
            .is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok());
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn hosts_by_literal_pass_and_names_do_not() {
        for ok in [
            "127.0.0.1:8083",
            "localhost",
            "LOCALHOST:1",
            "[::1]:80",
            "a.localhost:9",
            "10.0.0.2",
        ] {
            assert!(host_is_literal(ok), "{ok}");
        }
        for bad in ["evil.example:8083", "example.com", "[nothost]:1", ""] {
            assert!(!host_is_literal(bad), "{bad}");
        }
    }

    #[test]
    fn csrf_needs_the_header_and_a_matching_origin() {
        assert!(csrf_refusal(&headers(&[]), "t").is_some());
        assert!(csrf_refusal(&headers(&[("x-aslx-csrf", "u")]), "t").is_some());
        assert!(csrf_refusal(&headers(&[("x-aslx-csrf", "t")]), "t").is_none());
        let cross = headers(&[
            ("x-aslx-csrf", "t"),
            ("host", "127.0.0.1:1"),
            ("origin", "http://evil"),
        ]);
        assert!(csrf_refusal(&cross, "t").is_some());
        let own = headers(&[
            ("x-aslx-csrf", "t"),
            ("host", "127.0.0.1:1"),
            ("origin", "http://127.0.0.1:1"),
        ]);
        assert!(csrf_refusal(&own, "t").is_none());
    }

    #[test]
    fn a_login_by_token_or_key_pair_opens_a_session_and_logout_ends_it() {
        let creds = Credentials {
            access_key: "AK".into(),
            secret_key: "SK".into(),
        };
        let g = Gate::new(Some(&creds));
        assert!(g.login(Some("wrong"), None).is_none());
        assert!(g.login(None, Some(("AK", "nope"))).is_none());
        let token = g.login_token().unwrap().to_string();
        let id = g.login(Some(&token), None).unwrap();
        let h = headers(&[("cookie", &format!("x=1; {COOKIE}={id}"))]);
        assert!(matches!(g.caller(&h), Caller::Allowed { .. }));
        assert!(g.login(None, Some(("AK", "SK"))).is_some());
        g.logout(&h);
        assert!(matches!(g.caller(&h), Caller::LoginNeeded));
        assert!(matches!(g.caller(&headers(&[])), Caller::LoginNeeded));
    }
}
