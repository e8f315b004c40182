//! AWS Signature Version 4: the signature of calls aslx makes to service endpoints, and the
//! primitives `aslx serve --auth` checks incoming signatures with (one implementation of the
//! canonical request and key derivation for both directions).
//!
//! Written here rather than taken from `aws-sigv4`: that crate brings the smithy runtime (a
//! dozen crates) for what is a hundred lines over `hmac` and `sha2`, which aslx already has;
//! AWS's published example is the test (`aws_documented_example_signs`).

use super::endpoints::AwsCredentials;
use super::url::uri_encode;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The hex SHA-256 of a payload.
pub(crate) fn payload_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// The canonical request: method, path and query as they are to be signed (already encoded),
/// the `signed` header names (lower case, `;`-separated, sorted) with their values from
/// `header` (runs of spaces folded), and the payload's hash.
pub(crate) fn canonical_request<'h>(
    method: &str,
    path: &str,
    query: &str,
    signed: &str,
    header: impl Fn(&str) -> &'h str,
    payload_hash: &str,
) -> String {
    let mut c = format!("{method}\n{path}\n{query}\n");
    for name in signed.split(';') {
        let mut first = true;
        c.push_str(name);
        c.push(':');
        for word in header(name).split_whitespace() {
            if !first {
                c.push(' ');
            }
            c.push_str(word);
            first = false;
        }
        c.push('\n');
    }
    c.push('\n');
    c.push_str(signed);
    c.push('\n');
    c.push_str(payload_hash);
    c
}

/// The signature (hex) of a canonical request under the scope `date/region/service/term`.
pub(crate) fn signature(secret: &str, amz_date: &str, scope: [&str; 4], canonical: &str) -> String {
    hex(&signature_mac(secret, amz_date, scope, canonical)
        .finalize()
        .into_bytes())
}

/// The HMAC whose output is the signature, not yet finalized, so that a server checks a
/// signature it received with [`Mac::verify_slice`] (a constant-time comparison).
pub(crate) fn signature_mac(
    secret: &str,
    amz_date: &str,
    scope: [&str; 4],
    canonical: &str,
) -> Hmac<Sha256> {
    let [date, region, service, term] = scope;
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/{term}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    let k = hmac(&k, term.as_bytes());
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&k).expect("HMAC takes any key length");
    m.update(to_sign.as_bytes());
    m
}

/// `YYYYMMDD'T'HHMMSS'Z'` of a Unix time.
pub(crate) fn amz_date(unix_secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(time::macros::format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap_or_default()
}

/// What a request to sign consists of.
pub(crate) struct ToSign<'a> {
    pub method: &'a str,
    /// The path as sent (each segment percent-encoded once).
    pub path: &'a str,
    /// `(name, value)` pairs, not encoded.
    pub query: &'a [(String, String)],
    pub body: &'a [u8],
    /// The SigV4 service name (`dynamodb`, `lambda`, `s3`, ...).
    pub service: &'a str,
}

/// The query string of `pairs`, encoded and sorted as SigV4 signs it (and as it is sent).
pub(crate) fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    enc.sort();
    let parts: Vec<String> = enc.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

/// Signs a request: adds `x-amz-date`, `x-amz-content-sha256` (S3), `x-amz-security-token`
/// (session credentials) and `authorization` to `headers`, which must already hold `host`.
/// Every header present is signed.
pub(crate) fn sign(req: &ToSign<'_>, headers: &mut HeaderMap, creds: &AwsCredentials, now: i64) {
    let amz = amz_date(now);
    let hash = payload_hash(req.body);
    let set = |h: &mut HeaderMap, k: &'static str, v: &str| {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(headers, "x-amz-date", &amz);
    if req.service == "s3" {
        set(headers, "x-amz-content-sha256", &hash);
    }
    if let Some(t) = &creds.session_token {
        set(headers, "x-amz-security-token", t);
    }
    let mut names: Vec<&str> = headers.keys().map(http::HeaderName::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let signed = names.join(";");
    // S3 signs the path as sent; every other service encodes it once more.
    let path = if req.service == "s3" {
        req.path.to_string()
    } else {
        uri_encode(req.path, true)
    };
    let canonical = canonical_request(
        req.method,
        &path,
        &canonical_query(req.query),
        &signed,
        |n| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or(""),
        &hash,
    );
    // `amz_date` is `YYYYMMDDTHHMMSSZ`; the scope's date is its first eight characters.
    let scope = [
        amz.get(..8).unwrap_or_default(),
        creds.region.as_str(),
        req.service,
        "aws4_request",
    ];
    let sig = signature(&creds.secret_key, &amz, scope, &canonical);
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={signed}, Signature={sig}",
        creds.access_key, scope[0], scope[1], scope[2]
    );
    set(headers, "authorization", &auth);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iam_example() -> (HeaderMap, AwsCredentials) {
        let mut h = HeaderMap::new();
        h.insert("host", "iam.amazonaws.com".parse().unwrap());
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        let c = AwsCredentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "us-east-1",
        );
        (h, c)
    }

    /// AWS's published SigV4 example (IAM ListUsers, 2015-08-30T12:36:00Z).
    #[test]
    fn aws_documented_example_signs() {
        let (mut h, c) = iam_example();
        let query = [
            ("Action".to_string(), "ListUsers".to_string()),
            ("Version".to_string(), "2010-05-08".to_string()),
        ];
        let req = ToSign {
            method: "GET",
            path: "/",
            query: &query,
            body: b"",
            service: "iam",
        };
        sign(&req, &mut h, &c, 1_440_938_160);
        assert_eq!(h["x-amz-date"], "20150830T123600Z");
        assert_eq!(
            h["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn session_tokens_and_s3_payload_hashes_are_signed() {
        let (mut h, c) = iam_example();
        let c = c.with_session_token("TOKEN");
        let req = ToSign {
            method: "PUT",
            path: "/bucket/a%20b.json",
            query: &[],
            body: b"{}",
            service: "s3",
        };
        sign(&req, &mut h, &c, 1_440_938_160);
        let auth = h["authorization"].to_str().unwrap();
        assert!(
            auth.contains(
                "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
            ),
            "{auth}"
        );
        assert_eq!(h["x-amz-content-sha256"], payload_hash(b"{}"));
        assert_eq!(h["x-amz-security-token"], "TOKEN");
    }

    #[test]
    fn query_strings_are_encoded_and_sorted() {
        let q = [
            ("prefix".to_string(), "a b/c".to_string()),
            ("list-type".to_string(), "2".to_string()),
        ];
        assert_eq!(canonical_query(&q), "list-type=2&prefix=a%20b%2Fc");
    }
}
