//! The check of SigV4 `Authorization` headers against one configured key pair
//! (`aslx serve --auth`), made as AWS makes it, for servers shared on a network.
//!
//! The check is in two steps, so that a request that cannot be genuine costs no more than its
//! headers:
//!
//! 1. [`check_headers`], before the body is read: the header's shape, the request time
//!    (within 15 minutes of the server's clock), `host` and every `x-amz-*` header signed, the
//!    credential scope (the request's date, this server's region, the API's service: `states`,
//!    `logs` or `events`, `aws4_request`), and the access key. The order and the messages are
//!    AWS's: `IncompleteSignatureException`, `InvalidSignatureException` ("Signature
//!    expired: …", "Credential should be scoped to …"), `UnrecognizedClientException`.
//! 2. [`Pending::verify`], once the body is in: the signature over the canonical request,
//!    compared in constant time (`hmac`'s `verify_slice`).
//!
//! A request signed for another region or service, outside the 15 minutes, or with an
//! unsigned `x-amz-*` header (a captured signature replayed with another `X-Amz-Target`)
//! is refused even when its signature is right.

use super::protocol::ApiError;
use crate::integrations::sign;
use hmac::Mac;
use http::HeaderMap;

/// The key pair requests must be signed with.
#[derive(Clone)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Parses `ACCESS:SECRET` (surrounding whitespace, such as a file's last newline, is
    /// ignored).
    ///
    /// # Errors
    ///
    /// When there is no `:` or a part is empty.
    pub fn parse(s: &str) -> Result<Credentials, String> {
        match s.trim().split_once(':') {
            Some((a, k)) if !a.is_empty() && !k.is_empty() => Ok(Credentials {
                access_key: a.to_string(),
                secret_key: k.to_string(),
            }),
            _ => Err("expected ACCESS_KEY_ID:SECRET_ACCESS_KEY".to_string()),
        }
    }
}

/// What a request must be signed for: the server's region and the API's SigV4 service name
/// (`states`, `logs`, `events`).
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// The server's region (`--region`).
    pub region: &'a str,
    /// The service the request's API is signed as.
    pub service: &'a str,
}

/// How far the request time may be from the server's clock (AWS: 15 minutes).
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// Longest part of a client's header echoed in an error message.
const ECHO_MAX: usize = 512;

/// A request whose headers passed every check; the signature, which covers the body, is left.
#[derive(Debug)]
pub struct Pending {
    amz_date: String,
    /// date, region, service, terminator.
    scope: [String; 4],
    signed: String,
    /// The signature sent, decoded (`None`: not 64 hex digits, so it cannot match).
    signature: Option<[u8; 32]>,
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new("IncompleteSignatureException", message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidSignatureException", message)
}

fn missing_token() -> ApiError {
    ApiError {
        status: 403,
        ..ApiError::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    }
}

fn bad_signature() -> ApiError {
    invalid(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
}

/// At most [`ECHO_MAX`] bytes of `s`, cut at a character boundary.
fn clip(s: &str) -> &str {
    if s.len() <= ECHO_MAX {
        return s;
    }
    let mut end = ECHO_MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `YYYYMMDDTHHMMSSZ` as Unix seconds.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let t = time::PrimitiveDateTime::parse(
        s,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .ok()?;
    Some(t.assume_utc().unix_timestamp())
}

/// The `Authorization` header's three parameters.
struct Params<'a> {
    algorithm: &'a str,
    credential: &'a str,
    signed: &'a str,
    signature: &'a str,
}

fn parse_params<'a>(auth: &'a str, has_date: bool) -> Result<Params<'a>, ApiError> {
    let (algorithm, rest) = auth.split_once(' ').unwrap_or((auth, ""));
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut msg = String::new();
    for (name, v) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if v.is_none_or(str::is_empty) {
            msg.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_date {
        msg.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    match (credential, signed, signature) {
        (Some(credential), Some(signed), Some(signature)) if msg.is_empty() => Ok(Params {
            algorithm,
            credential,
            signed,
            signature,
        }),
        _ => Err(incomplete(format!("{msg}Authorization={}", clip(auth)))),
    }
}

fn decode_signature(hex: &str) -> Option<[u8; 32]> {
    let b = hex.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// The request time's distance from `now`, as AWS words a refusal.
fn check_skew(amz_date: &str, t: i64, now: i64) -> Result<(), ApiError> {
    if t < now - MAX_SKEW_SECS {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            sign::amz_date(now - MAX_SKEW_SECS),
            sign::amz_date(now)
        )));
    }
    if t > now + MAX_SKEW_SECS {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            sign::amz_date(now + MAX_SKEW_SECS),
            sign::amz_date(now)
        )));
    }
    Ok(())
}

/// Checks everything about a request's signature that its headers alone decide, in AWS's
/// order. `now` is the server's clock in Unix seconds.
///
/// # Errors
///
/// `MissingAuthenticationTokenException` (403: unsigned), `IncompleteSignatureException`
/// (malformed header, date or credential), `InvalidSignatureException` (expired or future
/// request time, `host` or an `x-amz-*` header not signed, credential scoped to another
/// date, region, service or terminator), `UnrecognizedClientException` (another key).
pub fn check_headers(
    creds: &Credentials,
    scope: Scope<'_>,
    headers: &HeaderMap,
    now: i64,
) -> Result<Pending, ApiError> {
    let Some(auth) = headers.get("authorization") else {
        return Err(missing_token());
    };
    let auth = auth
        .to_str()
        .map_err(|_| incomplete("The Authorization header is not ASCII text"))?;
    if !auth.starts_with("AWS4-") {
        return Err(missing_token());
    }
    let date_header = headers
        .get("x-amz-date")
        .or_else(|| headers.get("date"))
        .map(|v| v.to_str().unwrap_or("?"));
    let p = parse_params(auth, date_header.is_some())?;
    let amz_date = date_header.unwrap_or_default();
    let Some(t) = parse_amz_date(amz_date) else {
        return Err(incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            clip(amz_date)
        )));
    };
    check_skew(amz_date, t, now)?;
    let signed: Vec<&str> = p.signed.split(';').collect();
    if !signed.iter().any(|h| h.eq_ignore_ascii_case("host")) {
        return Err(invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let mut unsigned: Vec<&str> = headers
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| n.starts_with("x-amz-") && !signed.iter().any(|s| s.eq_ignore_ascii_case(n)))
        .collect();
    if !unsigned.is_empty() {
        unsigned.dedup();
        return Err(invalid(format!(
            "There were headers present in the request which were not signed: {}",
            unsigned.join(", ")
        )));
    }
    if p.algorithm != "AWS4-HMAC-SHA256" {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{}' (only AWS4-HMAC-SHA256 for now). ",
            clip(p.algorithm)
        )));
    }
    let parts: Vec<&str> = p.credential.trim_end_matches('/').split('/').collect();
    let [key, date, region, service, term] = parts[..] else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            clip(p.credential)
        )));
    };
    check_scope([date, region, service, term], scope, amz_date)?;
    if key != creds.access_key {
        return Err(ApiError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    Ok(Pending {
        amz_date: amz_date.to_string(),
        scope: [date, region, service, term].map(str::to_string),
        signed: p.signed.to_string(),
        signature: decode_signature(p.signature),
    })
}

/// The credential scope against the request and the server, every mismatch in one message
/// as AWS words it.
fn check_scope(got: [&str; 4], want: Scope<'_>, amz_date: &str) -> Result<(), ApiError> {
    let [date, region, service, term] = got;
    let mut problems = Vec::new();
    if region != want.region {
        problems.push(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            clip(region)
        ));
    }
    if service != want.service {
        problems.push(format!(
            "Credential should be scoped to correct service: '{}'.",
            want.service
        ));
    }
    if term != "aws4_request" {
        problems.push(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            clip(term)
        ));
    }
    let day = amz_date.get(..8).unwrap_or(amz_date);
    if date != day {
        problems.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
            clip(date)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(invalid(problems.join(" ")))
    }
}

impl Pending {
    /// Checks the signature over the request and its body. `host` stands in for a missing
    /// `Host` header (HTTP/2's `:authority`).
    ///
    /// # Errors
    ///
    /// `InvalidSignatureException` when the signature is not the one the key makes.
    pub fn verify(
        &self,
        creds: &Credentials,
        request: &Request<'_>,
        body: &[u8],
    ) -> Result<(), ApiError> {
        // A header named twice is signed as its values joined by commas.
        let values: Vec<(&str, String)> = self
            .signed
            .split(';')
            .map(|name| {
                let all: Vec<&str> = request
                    .headers
                    .get_all(name)
                    .iter()
                    .map(|v| v.to_str().unwrap_or(""))
                    .collect();
                let v = match (all.is_empty(), name) {
                    (true, "host") => request.host.unwrap_or("").to_string(),
                    _ => all.join(","),
                };
                (name, v)
            })
            .collect();
        let canonical = sign::canonical_request(
            request.method,
            request.path,
            request.query,
            &self.signed,
            |name| {
                values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or("", |(_, v)| v.as_str())
            },
            &sign::payload_hash(body),
        );
        let [a, b, c, d] = &self.scope;
        let mac = sign::signature_mac(
            &creds.secret_key,
            &self.amz_date,
            [a.as_str(), b.as_str(), c.as_str(), d.as_str()],
            &canonical,
        );
        match &self.signature {
            Some(sig) if mac.verify_slice(sig).is_ok() => Ok(()),
            _ => Err(bad_signature()),
        }
    }
}

/// The parts of a request its signature covers, besides the body.
#[derive(Debug)]
pub struct Request<'a> {
    /// `POST`.
    pub method: &'a str,
    /// The path as received.
    pub path: &'a str,
    /// The query string as received (empty when none).
    pub query: &'a str,
    /// The request's headers.
    pub headers: &'a HeaderMap,
    /// The authority when there is no `Host` header (HTTP/2).
    pub host: Option<&'a str>,
}

/// Both steps at once: [`check_headers`] then [`Pending::verify`].
///
/// # Errors
///
/// As those two.
pub fn verify(
    creds: &Credentials,
    scope: Scope<'_>,
    now: i64,
    request: &Request<'_>,
    body: &[u8],
) -> Result<(), ApiError> {
    check_headers(creds, scope, request.headers, now)?.verify(creds, request, body)
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
