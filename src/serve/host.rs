//! The DNS-rebinding defence of a server without `--auth`.
//!
//! A web page the user visits can make the browser send requests to `127.0.0.1:8083` by
//! pointing a name it controls (`evil.example`) at that address once the page has loaded.
//! The browser then sends `Host: evil.example:8083`. A server that answers only requests
//! naming it as the user would (an IP address, `localhost`, a `*.localhost` name, or a name
//! given with `--allow-host`) refuses those. Without `--auth` every request is checked; with
//! it, the signature is the defence (a browser page cannot sign).
//!
//! Any IP address is accepted as a Host: a rebound request always carries the attacker's
//! name, never an address, and a server bound to `0.0.0.0` is reached by any of the
//! machine's addresses.

use super::protocol::ApiError;

/// The names a server answers to besides IP addresses and `localhost`.
#[derive(Clone, Debug, Default)]
pub struct AllowedHosts {
    names: Vec<String>,
}

impl AllowedHosts {
    /// IP addresses, `localhost`, `*.localhost`, and `names` (a leading `*.` allows a name's
    /// subdomains; case is ignored; a port is ignored).
    pub fn new(names: impl IntoIterator<Item = String>) -> AllowedHosts {
        AllowedHosts {
            names: names
                .into_iter()
                .map(|n| host_name(&n).to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a request with this `Host` (or HTTP/2 authority) is answered.
    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        if name.parse::<std::net::IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
        {
            return true;
        }
        self.names.iter().any(|a| match a.strip_prefix("*.") {
            Some(parent) => name.len() > parent.len() + 1 && name.ends_with(&format!(".{parent}")),
            None => a == name,
        })
    }

    /// `Ok` for an allowed host or none (a request without one is not a browser's);
    /// `AccessDeniedException` (403) otherwise.
    ///
    /// # Errors
    ///
    /// As above.
    pub(crate) fn check(&self, host: Option<&str>) -> Result<(), ApiError> {
        match host {
            Some(h) if !self.allows(h) => {
                let shown: String = h.chars().take(256).collect();
                Err(ApiError {
                    status: 403,
                    ..ApiError::new(
                        "AccessDeniedException",
                        format!(
                            "Host '{shown}' is not one this server answers to: without --auth, aslx serve answers requests for IP addresses and localhost names only, against DNS rebinding (allow more with --allow-host NAME)"
                        ),
                    )
                })
            }
            _ => Ok(()),
        }
    }
}

/// The name part of `host[:port]`, `[v6]:port` or a bare IPv6 address.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        // More than one colon and no brackets: a bare IPv6 address.
        Some((name, _)) if !name.contains(':') => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_localhost_names_pass_and_other_names_do_not() {
        let a = AllowedHosts::new(["aslx.internal".to_string(), "*.corp.example".to_string()]);
        for ok in [
            "127.0.0.1:8083",
            "127.0.0.1",
            "[::1]:8083",
            "::1",
            "10.1.2.3:80",
            "localhost:8083",
            "LOCALHOST",
            "app.localhost:1",
            "localhost.",
            "aslx.internal:8083",
            "ASLX.Internal",
            "db.corp.example",
        ] {
            assert!(a.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8083",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "corp.example",
            "xcorp.example",
            "",
        ] {
            assert!(!a.allows(bad), "{bad}");
        }
        assert_eq!(
            a.check(Some("evil.example")).unwrap_err().code,
            "AccessDeniedException"
        );
        assert!(a.check(None).is_ok());
    }
}
