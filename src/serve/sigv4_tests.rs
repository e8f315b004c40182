use super::*;

/// 2015-08-30T12:36:00Z, the time of AWS's published example.
const EXAMPLE_NOW: i64 = 1_440_938_160;
const IAM: Scope<'static> = Scope {
    region: "us-east-1",
    service: "iam",
};
const SIG: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

fn creds() -> Credentials {
    Credentials::parse("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n").unwrap()
}

/// AWS's published SigV4 example (IAM ListUsers, `AKIDEXAMPLE`), with `auth` as its
/// Authorization header.
fn example(auth: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", "iam.amazonaws.com".parse().unwrap());
    h.insert(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8"
            .parse()
            .unwrap(),
    );
    h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
    h.insert("authorization", auth.parse().unwrap());
    h
}

fn auth(credential: &str, signed: &str, sig: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={sig}")
}

fn good() -> String {
    auth(
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
        "content-type;host;x-amz-date",
        SIG,
    )
}

fn run(c: &Credentials, h: &HeaderMap, scope: Scope<'_>, now: i64) -> Result<(), ApiError> {
    let req = Request {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: h,
        host: None,
    };
    verify(c, scope, now, &req, b"")
}

fn refusal(h: &HeaderMap, scope: Scope<'_>, now: i64) -> (&'static str, String) {
    let e = run(&creds(), h, scope, now).unwrap_err();
    (e.code, e.message)
}

#[test]
fn aws_documented_example_verifies() {
    run(&creds(), &example(&good()), IAM, EXAMPLE_NOW).unwrap();
    // Within 15 minutes either way.
    run(&creds(), &example(&good()), IAM, EXAMPLE_NOW + 900).unwrap();
    run(&creds(), &example(&good()), IAM, EXAMPLE_NOW - 900).unwrap();
}

#[test]
fn wrong_secret_other_key_and_no_signature_are_refused() {
    let h = example(&good());
    let wrong = Credentials::parse("AKIDEXAMPLE:other").unwrap();
    assert_eq!(
        run(&wrong, &h, IAM, EXAMPLE_NOW).unwrap_err().code,
        "InvalidSignatureException"
    );
    let other_key = Credentials::parse("AKIDOTHER:x").unwrap();
    assert_eq!(
        run(&other_key, &h, IAM, EXAMPLE_NOW).unwrap_err().code,
        "UnrecognizedClientException"
    );
    let mut h = h;
    h.remove("authorization");
    let e = run(&creds(), &h, IAM, EXAMPLE_NOW).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (403, "MissingAuthenticationTokenException")
    );
}

#[test]
fn a_signature_too_old_or_too_new_is_refused_with_aws_messages() {
    let h = example(&good());
    assert_eq!(
        refusal(&h, IAM, EXAMPLE_NOW + 901),
        (
            "InvalidSignatureException",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)".into()
        )
    );
    assert_eq!(
        refusal(&h, IAM, EXAMPLE_NOW - 901),
        (
            "InvalidSignatureException",
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)".into()
        )
    );
}

#[test]
fn a_credential_scoped_elsewhere_is_refused_even_with_a_right_signature() {
    let h = example(&good());
    let (code, msg) = refusal(
        &h,
        Scope {
            region: "eu-west-1",
            service: "states",
        },
        EXAMPLE_NOW,
    );
    assert_eq!(code, "InvalidSignatureException");
    assert_eq!(
        msg,
        "Credential should be scoped to a valid region, not 'us-east-1'. Credential should be scoped to correct service: 'states'."
    );
    let h = example(&auth(
        "AKIDEXAMPLE/20150829/us-east-1/iam/aws5_request",
        "content-type;host;x-amz-date",
        SIG,
    ));
    let (_, msg) = refusal(&h, IAM, EXAMPLE_NOW);
    assert_eq!(
        msg,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150829' != '20150830', from '20150830T123600Z'."
    );
}

#[test]
fn host_and_every_x_amz_header_must_be_signed() {
    let h = example(&auth(
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
        "content-type;x-amz-date",
        SIG,
    ));
    assert_eq!(
        refusal(&h, IAM, EXAMPLE_NOW).1,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    // A captured request replayed with another target.
    let mut h = example(&good());
    h.insert(
        "x-amz-target",
        "AWSStepFunctions.DeleteStateMachine".parse().unwrap(),
    );
    assert_eq!(
        refusal(&h, IAM, EXAMPLE_NOW),
        (
            "InvalidSignatureException",
            "There were headers present in the request which were not signed: x-amz-target".into()
        )
    );
}

#[test]
fn malformed_headers_are_incomplete_signatures() {
    let (code, msg) = refusal(&example("AWS4-HMAC-SHA256 Credential=a"), IAM, EXAMPLE_NOW);
    assert_eq!(code, "IncompleteSignatureException");
    assert_eq!(
        msg,
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=a"
    );
    let mut h = example(&good());
    h.insert("x-amz-date", "2015-08-30".parse().unwrap());
    assert_eq!(
        refusal(&h, IAM, EXAMPLE_NOW).1,
        "Date must be in ISO-8601 'basic format'. Got '2015-08-30'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
    let h = example(&auth("AKIDEXAMPLE/20150830/iam", "host;x-amz-date", SIG));
    assert_eq!(
        refusal(&h, IAM, EXAMPLE_NOW).1,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/iam'"
    );
    let h = example(&good().replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"));
    assert_eq!(
        refusal(&h, IAM, EXAMPLE_NOW),
        (
            "IncompleteSignatureException",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "
                .into()
        )
    );
    // A signature that is not 64 hex digits never matches.
    let h = example(&good().replace(SIG, "zz"));
    assert_eq!(refusal(&h, IAM, EXAMPLE_NOW).0, "InvalidSignatureException");
    // A long header is echoed cut short.
    let long = format!("AWS4-HMAC-SHA256 Credential={}", "a".repeat(10_000));
    assert!(refusal(&example(&long), IAM, EXAMPLE_NOW).1.len() < 1_000);
}

#[test]
fn the_signature_covers_the_body() {
    let h = example(&good());
    let req = Request {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &h,
        host: None,
    };
    let pending = check_headers(&creds(), IAM, &h, EXAMPLE_NOW).unwrap();
    pending.verify(&creds(), &req, b"").unwrap();
    assert_eq!(
        pending.verify(&creds(), &req, b"{}").unwrap_err().code,
        "InvalidSignatureException"
    );
}
