//! Optional check of SigV4 `Authorization` headers against one configured key pair
//! (`aslx serve --auth ACCESS:SECRET`), for servers shared on a network.
//!
//! The signature is recomputed over the request as received (any Host, any region in the
//! credential scope, service `states`); requests signed with another key, unsigned, or with a
//! wrong signature are refused with AWS's error names.

use super::protocol::ApiError;
use crate::integrations::sign;
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
    /// Parses `ACCESS:SECRET`.
    ///
    /// # Errors
    ///
    /// When there is no `:` or a part is empty.
    pub fn parse(s: &str) -> Result<Credentials, String> {
        match s.split_once(':') {
            Some((a, k)) if !a.is_empty() && !k.is_empty() => Ok(Credentials {
                access_key: a.to_string(),
                secret_key: k.to_string(),
            }),
            _ => Err("--auth: expected ACCESS_KEY_ID:SECRET_ACCESS_KEY".to_string()),
        }
    }
}

fn unrecognized() -> ApiError {
    ApiError::new(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
}

fn bad_signature() -> ApiError {
    ApiError::new(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
}

/// Checks a request's signature. `host` stands in for a missing `Host` header (HTTP/2's
/// `:authority`).
///
/// # Errors
///
/// `MissingAuthenticationTokenException` (unsigned), `IncompleteSignatureException`
/// (malformed header), `UnrecognizedClientException` (other key), `InvalidSignatureException`.
pub fn verify(
    creds: &Credentials,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    host: Option<&str>,
    body: &[u8],
) -> Result<(), ApiError> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )
        })?;
    let incomplete = || {
        ApiError::new(
            "IncompleteSignatureException",
            format!("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters: '{auth}'"),
        )
    };
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(incomplete)?;
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
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete());
    };
    let mut scope_parts = credential.splitn(5, '/');
    let (Some(key), Some(date), Some(region), Some(service), Some(term)) = (
        scope_parts.next(),
        scope_parts.next(),
        scope_parts.next(),
        scope_parts.next(),
        scope_parts.next(),
    ) else {
        return Err(incomplete());
    };
    if key != creds.access_key {
        return Err(unrecognized());
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(incomplete)?;
    let canonical = sign::canonical_request(
        method,
        path,
        query,
        signed,
        |name| match headers.get(name).and_then(|v| v.to_str().ok()) {
            Some(v) => v,
            None if name == "host" => host.unwrap_or(""),
            None => "",
        },
        &sign::payload_hash(body),
    );
    let expected = sign::signature(
        &creds.secret_key,
        amz_date,
        [date, region, service, term],
        &canonical,
    );
    // Compare without an early exit.
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(bad_signature())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published SigV4 example (IAM ListUsers, `AKIDEXAMPLE`).
    #[test]
    fn aws_documented_example_verifies() {
        let creds =
            Credentials::parse("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        let mut h = HeaderMap::new();
        h.insert("host", "iam.amazonaws.com".parse().unwrap());
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        h.insert("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7".parse().unwrap());
        verify(
            &creds,
            "GET",
            "/",
            "Action=ListUsers&Version=2010-05-08",
            &h,
            None,
            b"",
        )
        .unwrap();
        let wrong = Credentials::parse("AKIDEXAMPLE:other").unwrap();
        assert_eq!(
            verify(
                &wrong,
                "GET",
                "/",
                "Action=ListUsers&Version=2010-05-08",
                &h,
                None,
                b""
            )
            .unwrap_err()
            .code,
            "InvalidSignatureException"
        );
        let other_key = Credentials::parse("AKIDOTHER:x").unwrap();
        assert_eq!(
            verify(&other_key, "GET", "/", "", &h, None, b"")
                .unwrap_err()
                .code,
            "UnrecognizedClientException"
        );
        h.remove("authorization");
        assert_eq!(
            verify(&creds, "GET", "/", "", &h, None, b"")
                .unwrap_err()
                .code,
            "MissingAuthenticationTokenException"
        );
    }
}
