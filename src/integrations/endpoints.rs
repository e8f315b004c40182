//! Where each service's calls go: `--endpoint SERVICE=URL`, Step Functions Local's variables
//! (`LAMBDA_ENDPOINT`, `DYNAMODB_ENDPOINT`, ...), and the AWS SDKs' `AWS_ENDPOINT_URL_<SERVICE>`
//! and `AWS_ENDPOINT_URL`; and the credentials and region requests are signed with.
//!
//! Precedence, first wins: an explicit [`Endpoints::set`] (the `--endpoint` flag), Step Functions
//! Local's variable, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`. Nothing is read from the
//! environment unless asked ([`Endpoints::from_env`]): a library user's process environment is
//! not configuration they agreed to.

use std::collections::HashMap;

/// The services aslx calls at endpoints, by the name `--endpoint` takes, with Step Functions
/// Local's variable and the SDKs' service id (`AWS_ENDPOINT_URL_<ID>`), and the SigV4 signing
/// name.
const SERVICES: &[Service] = &[
    Service::new("lambda", &["LAMBDA_ENDPOINT"], "LAMBDA", "lambda"),
    Service::new("dynamodb", &["DYNAMODB_ENDPOINT"], "DYNAMODB", "dynamodb"),
    Service::new("sqs", &["SQS_ENDPOINT"], "SQS", "sqs"),
    Service::new("sns", &["SNS_ENDPOINT"], "SNS", "sns"),
    Service::new(
        "events",
        &["EVENTBRIDGE_ENDPOINT", "EVENTS_ENDPOINT"],
        "EVENTBRIDGE",
        "events",
    ),
    Service::new("states", &["STEP_FUNCTIONS_ENDPOINT"], "SFN", "states"),
    Service::new("s3", &["S3_ENDPOINT"], "S3", "s3"),
];

/// One service's names.
#[derive(Debug)]
struct Service {
    /// `--endpoint NAME=URL`, and the service part of `arn:aws:states:::NAME:action`.
    name: &'static str,
    /// Step Functions Local's variables.
    local_vars: &'static [&'static str],
    /// `AWS_ENDPOINT_URL_<ID>`.
    sdk_id: &'static str,
    /// The SigV4 credential scope's service.
    signing: &'static str,
}

impl Service {
    const fn new(
        name: &'static str,
        local_vars: &'static [&'static str],
        sdk_id: &'static str,
        signing: &'static str,
    ) -> Service {
        Service {
            name,
            local_vars,
            sdk_id,
            signing,
        }
    }
}

/// The canonical `--endpoint` name of a service, accepting the other names users know it by
/// (`eventbridge`, `sfn`, `stepfunctions`, the aws-sdk ids).
pub(crate) fn canonical_service(name: &str) -> Option<&'static str> {
    // Every call asks (`Endpoints::get`): compared in place, not lower-cased into a String.
    const ALIASES: &[(&str, &str)] = &[
        ("eventbridge", "events"),
        ("sfn", "states"),
        ("stepfunctions", "states"),
        ("step-functions", "states"),
    ];
    let name = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map_or(name, |(_, canonical)| canonical);
    SERVICES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .map(|s| s.name)
}

/// The SigV4 signing name of a service.
pub(crate) fn signing_name(service: &str) -> &str {
    SERVICES
        .iter()
        .find(|s| s.name == service)
        .map_or(service, |s| s.signing)
}

/// The flag and variable that bind a service, for error messages.
pub(crate) fn how_to_bind(service: &str) -> String {
    match SERVICES.iter().find(|s| s.name == service) {
        Some(s) => format!(
            "--endpoint {}=URL (or {} / AWS_ENDPOINT_URL_{})",
            s.name,
            s.local_vars.first().copied().unwrap_or("AWS_ENDPOINT_URL"),
            s.sdk_id
        ),
        None => format!("--endpoint {service}=URL"),
    }
}

/// An endpoint: scheme, authority and an optional base path, without a trailing `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
}

impl Endpoint {
    /// Checks `url`: `http://` or `https://`, a host, no query, no `user:password@`.
    ///
    /// # Errors
    ///
    /// What is wrong with it.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let uri = super::url::parse_url(url)?;
        if uri.query().is_some() {
            return Err(format!(
                "{}: an endpoint URL takes no query",
                super::url::shown_url(&uri)
            ));
        }
        Ok(Endpoint {
            url: url.trim_end_matches('/').to_string(),
        })
    }

    /// The URL, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `host[:port]`, as the `Host` header carries it.
    pub(crate) fn authority(&self) -> &str {
        let rest = self.url.split_once("://").map_or(&*self.url, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

/// Where each service's calls go.
///
/// ```
/// use aslx::integrations::Endpoints;
/// let mut e = Endpoints::new();
/// e.set("dynamodb", "http://127.0.0.1:8000").unwrap();
/// e.parse_flag("lambda=http://127.0.0.1:3001").unwrap();
/// assert_eq!(e.get("lambda").unwrap().url(), "http://127.0.0.1:3001");
/// assert!(e.get("sqs").is_none());
/// assert!(e.set("kinesis", "http://x").is_err());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    by_service: HashMap<&'static str, Endpoint>,
    /// `AWS_ENDPOINT_URL`: every service not named otherwise.
    fallback: Option<Endpoint>,
}

impl Endpoints {
    /// No endpoints.
    pub fn new() -> Endpoints {
        Endpoints::default()
    }

    /// The endpoints the environment names: Step Functions Local's variables first, then
    /// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL` for every other service.
    ///
    /// # Errors
    ///
    /// A variable whose value is not an endpoint URL, named.
    pub fn from_env() -> Result<Endpoints, String> {
        Endpoints::from_vars(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// [`Endpoints::from_env`] over any variable source (tests).
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Endpoints, String> {
        let mut e = Endpoints::new();
        for s in SERVICES {
            let names = s
                .local_vars
                .iter()
                .map(|v| v.to_string())
                .chain(std::iter::once(format!("AWS_ENDPOINT_URL_{}", s.sdk_id)));
            for name in names {
                if let Some(url) = var(&name) {
                    let ep = Endpoint::parse(&url).map_err(|m| format!("{name}: {m}"))?;
                    e.by_service.insert(s.name, ep);
                    break;
                }
            }
        }
        if let Some(url) = var("AWS_ENDPOINT_URL") {
            e.fallback = Some(Endpoint::parse(&url).map_err(|m| format!("AWS_ENDPOINT_URL: {m}"))?);
        }
        Ok(e)
    }

    /// Sends `service`'s calls to `url`.
    ///
    /// # Errors
    ///
    /// An unknown service (the message lists the known ones) or a bad URL.
    pub fn set(&mut self, service: &str, url: &str) -> Result<&mut Self, String> {
        let name = canonical_service(service).ok_or_else(|| {
            let known: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
            format!(
                "unknown service {service:?}: aslx calls {} at endpoints",
                known.join(", ")
            )
        })?;
        let ep = Endpoint::parse(url).map_err(|m| format!("{name}: {m}"))?;
        self.by_service.insert(name, ep);
        Ok(self)
    }

    /// Parses one `--endpoint SERVICE=URL` flag.
    ///
    /// # Errors
    ///
    /// As [`Endpoints::set`], or a flag without `=`.
    pub fn parse_flag(&mut self, flag: &str) -> Result<&mut Self, String> {
        let (service, url) = flag
            .split_once('=')
            .ok_or_else(|| format!("--endpoint {flag:?}: expected SERVICE=URL"))?;
        self.set(service.trim(), url.trim())
    }

    /// The endpoint of `service` (its `--endpoint` name), if any.
    pub fn get(&self, service: &str) -> Option<&Endpoint> {
        let name = canonical_service(service)?;
        self.by_service.get(name).or(self.fallback.as_ref())
    }

    /// Whether no endpoint is set at all.
    pub fn is_empty(&self) -> bool {
        self.by_service.is_empty() && self.fallback.is_none()
    }
}

/// The key pair and region requests are signed with: `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`.
///
/// Local servers (moto, DynamoDB Local, `sam local start-lambda`) accept any key, so when the
/// environment names none, requests are signed with a placeholder pair (`aslx` / `aslx`), as
/// the AWS CLI users of such servers do by hand. The secret never appears in `Debug` output,
/// logs or errors.
#[derive(Clone)]
pub struct AwsCredentials {
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
    pub(crate) session_token: Option<String>,
    pub(crate) region: String,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("region", &self.region)
            .finish()
    }
}

impl Default for AwsCredentials {
    fn default() -> AwsCredentials {
        AwsCredentials::new("aslx", "aslx", "us-east-1")
    }
}

impl AwsCredentials {
    /// A key pair and region.
    pub fn new(access_key: &str, secret_key: &str, region: &str) -> AwsCredentials {
        AwsCredentials {
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            session_token: None,
            region: region.to_string(),
        }
    }

    /// With a session token (`X-Amz-Security-Token`).
    pub fn with_session_token(mut self, token: &str) -> AwsCredentials {
        self.session_token = Some(token.to_string());
        self
    }

    /// The credentials of the environment, `default_region` when it names no region.
    pub fn from_env(default_region: &str) -> AwsCredentials {
        AwsCredentials::from_vars(default_region, |k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        })
    }

    pub(crate) fn from_vars(
        default_region: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> AwsCredentials {
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| default_region.to_string());
        match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(a), Some(s)) => AwsCredentials {
                access_key: a,
                secret_key: s,
                session_token: var("AWS_SESSION_TOKEN"),
                region,
            },
            _ => AwsCredentials::new("aslx", "aslx", &region),
        }
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn step_functions_local_variables_win_over_the_sdk_ones() {
        let e = Endpoints::from_vars(vars(&[
            ("LAMBDA_ENDPOINT", "http://127.0.0.1:3001"),
            ("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9"),
            ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ]))
        .unwrap();
        assert_eq!(e.get("lambda").unwrap().url(), "http://127.0.0.1:3001");
        assert_eq!(e.get("sqs").unwrap().url(), "http://127.0.0.1:4566");
        assert_eq!(e.get("dynamodb").unwrap().url(), "http://127.0.0.1:5000");
        assert_eq!(e.get("eventbridge").unwrap().url(), "http://127.0.0.1:5000");
        assert!(e.get("kinesis").is_none());
    }

    #[test]
    fn a_bad_endpoint_variable_is_named() {
        let err = Endpoints::from_vars(vars(&[("SQS_ENDPOINT", "localhost:4566")])).unwrap_err();
        assert!(err.starts_with("SQS_ENDPOINT: "), "{err}");
        assert!(err.contains("http://"), "{err}");
    }

    #[test]
    fn flags_are_checked() {
        let mut e = Endpoints::new();
        assert!(e
            .parse_flag("dynamodb")
            .unwrap_err()
            .contains("SERVICE=URL"));
        assert!(e
            .parse_flag("kinesis=http://x")
            .unwrap_err()
            .contains("unknown service"));
        assert!(e.parse_flag("sqs=ftp://x").is_err());
        assert!(e.parse_flag("sqs=http://x?a=b").is_err());
        let err = e
            .parse_flag("sqs=http://key:secret@x")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
        e.parse_flag("sfn=https://states.local:8083/base/").unwrap();
        let ep = e.get("states").unwrap();
        assert_eq!(ep.url(), "https://states.local:8083/base");
        assert_eq!(ep.authority(), "states.local:8083");
    }

    #[test]
    fn credentials_come_from_the_environment_and_never_print_the_secret() {
        let c = AwsCredentials::from_vars(
            "us-east-1",
            vars(&[
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "very-secret"),
                ("AWS_SESSION_TOKEN", "tok"),
                ("AWS_DEFAULT_REGION", "eu-west-1"),
            ]),
        );
        assert_eq!(c.access_key, "AKIDEXAMPLE");
        assert_eq!(c.region(), "eu-west-1");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("tok\""),
            "{shown}"
        );
        let none = AwsCredentials::from_vars("ap-south-1", vars(&[]));
        assert_eq!(
            (none.access_key.as_str(), none.region()),
            ("aslx", "ap-south-1")
        );
    }
}
