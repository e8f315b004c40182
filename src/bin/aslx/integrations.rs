//! The options that bind Tasks to real work, shared by `aslx run` and `aslx serve`.

use aslx::integrations::{AwsCredentials, Connections, Integrations};
use clap::Args;

/// Where Tasks' calls go.
#[derive(Args, Debug, Default)]
pub struct IntegrationArgs {
    /// Calls of a service go to this endpoint: SERVICE=URL, SERVICE one of lambda, dynamodb,
    /// sqs, sns, events, states, s3. Repeatable. Also read from Step Functions Local's
    /// variables (LAMBDA_ENDPOINT, DYNAMODB_ENDPOINT, SQS_ENDPOINT, SNS_ENDPOINT,
    /// STEP_FUNCTIONS_ENDPOINT, ...) and the AWS SDKs' AWS_ENDPOINT_URL_<SERVICE> and
    /// AWS_ENDPOINT_URL; the flag wins. Requests are SigV4-signed with AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (a placeholder pair when unset).
    #[arg(long = "endpoint", value_name = "SERVICE=URL")]
    endpoints: Vec<String>,
    /// Lambda functions with no --handler of their own are invoked at this endpoint (the
    /// Lambda Invoke API, as `sam local start-lambda` serves it); same as --endpoint lambda=URL.
    #[arg(long = "lambda-endpoint", value_name = "URL")]
    lambda_endpoint: Option<String>,
    /// Distributed Maps read items and write results (ItemReader, ResultWriter) in this
    /// directory instead of S3: bucket = subdirectory, key = path below it.
    #[arg(long = "s3-dir", value_name = "DIR")]
    s3_dir: Option<String>,
    /// EventBridge connections for HTTP Tasks (`arn:aws:states:::http:invoke`), as JSON: an
    /// object keyed by connection ARN or name, each value the connection as EventBridge's
    /// CreateConnection takes it: {"AuthorizationType": "API_KEY" | "BASIC" |
    /// "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName",
    /// "ApiKeyValue"} | "BasicAuthParameters": {"Username", "Password"} | "OAuthParameters":
    /// {"AuthorizationEndpoint", "HttpMethod", "ClientParameters": {"ClientID",
    /// "ClientSecret"}, "OAuthHttpParameters"}, "InvocationHttpParameters":
    /// {"HeaderParameters", "QueryStringParameters", "BodyParameters": [{"Key", "Value"}]}}}.
    #[arg(long = "connections", value_name = "FILE")]
    connections: Option<String>,
}

impl IntegrationArgs {
    /// The directory of `--s3-dir`; it must exist (its subdirectories are the buckets).
    pub fn s3_dir(&self) -> Result<Option<std::path::PathBuf>, String> {
        let Some(dir) = &self.s3_dir else {
            return Ok(None);
        };
        let path = std::path::PathBuf::from(dir);
        if path.is_dir() {
            Ok(Some(path))
        } else {
            Err(format!(
                "--s3-dir {dir}: not a directory (its subdirectories are the S3 buckets)"
            ))
        }
    }

    /// The integrations the flags and the environment name; `region` when the environment
    /// names none.
    pub fn build(&self, region: &str) -> Result<Integrations, String> {
        let mut endpoints = aslx::integrations::Endpoints::from_env()?;
        if let Some(url) = &self.lambda_endpoint {
            endpoints
                .set("lambda", url)
                .map_err(|e| format!("--lambda-endpoint: {e}"))?;
        }
        for flag in &self.endpoints {
            endpoints
                .parse_flag(flag)
                .map_err(|e| format!("--endpoint: {e}"))?;
        }
        let connections = match &self.connections {
            Some(path) => {
                Connections::from_file(path).map_err(|e| format!("--connections: {e}"))?
            }
            None => Connections::new(),
        };
        Ok(
            Integrations::new(endpoints, AwsCredentials::from_env(region))
                .with_connections(connections),
        )
    }
}
