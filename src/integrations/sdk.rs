//! `arn:aws:states:::aws-sdk:<service>:<action>` at endpoints, for DynamoDB, SQS, SNS,
//! EventBridge, Lambda and Step Functions: the Task's parameters are the API request with
//! PascalCase members, the result is the raw API response (no `SdkHttpMetadata`), errors are
//! `<ServiceId>.<Exception>` (`DynamoDb.ConditionalCheckFailedException`,
//! `Sqs.QueueDoesNotExistException`, `Sfn.StateMachineDoesNotExistException`, ...) with the
//! Java SDK v2's cause text; `.waitForTaskToken` works as for any Task, `.sync` is refused
//! when the machine is created (`compile::resource`).
//!
//! - JSON-protocol services (DynamoDB, SQS, EventBridge, Step Functions) take any action, by
//!   name: `aws-sdk:dynamodb:query` → `X-Amz-Target: DynamoDB_20120810.Query`. Step Functions'
//!   API names its members in camelCase: the request's member names are sent with a lower-case
//!   first letter and the answer's come back with an upper-case one, at every depth. SQS's
//!   `MD5Of…` members come back as `Md5Of…`, the SDK v2's spelling.
//! - SNS (query protocol) takes any action too; the conversion's limits are in `query.rs`
//!   (every scalar of the answer is a string; maps are known by name).
//! - Lambda is REST: `invoke`, `getFunction` and `listFunctions` are served; `invoke`'s
//!   `Payload` comes back as the function's output text, `FunctionError` set on a function
//!   error (the Task does not fail: the raw response is the result).

use super::aws::{json_body, json_error, sdk_task_error, unmarshall_error, JsonCall};
use super::client::Reply;
use super::lambda::{invocations_path, invoke_headers, lambda_send};
use super::optimized::json_text;
use super::query::{query_error, result_json};
use super::url::uri_encode;
use super::Integrations;
use crate::runtime::{Handler, HandlerResult};
use crate::value::{Map, Value};
use crate::vm::TaskError;
use bytes::Bytes;
use std::sync::Arc;

/// How a service is called.
#[derive(Debug)]
enum Protocol {
    /// `awsJson1_0` / `awsJson1_1` with the target prefix.
    Json {
        target: &'static str,
        version: &'static str,
    },
    /// The query protocol with the API version.
    Query,
    /// Lambda's REST-JSON API, action by action.
    LambdaRest,
}

/// A service the aws-sdk integration reaches.
#[derive(Debug)]
struct Service {
    /// The name in `aws-sdk:<name>:...`.
    name: &'static str,
    /// Its `--endpoint` name.
    endpoint: &'static str,
    /// The SDK's service id, the prefix of its error names.
    id: &'static str,
    protocol: Protocol,
}

const SERVICES: &[Service] = &[
    Service {
        name: "dynamodb",
        endpoint: "dynamodb",
        id: "DynamoDb",
        protocol: Protocol::Json {
            target: "DynamoDB_20120810",
            version: "1.0",
        },
    },
    Service {
        name: "sqs",
        endpoint: "sqs",
        id: "Sqs",
        protocol: Protocol::Json {
            target: "AmazonSQS",
            version: "1.0",
        },
    },
    Service {
        name: "eventbridge",
        endpoint: "events",
        id: "EventBridge",
        protocol: Protocol::Json {
            target: "AWSEvents",
            version: "1.1",
        },
    },
    Service {
        name: "sfn",
        endpoint: "states",
        id: "Sfn",
        protocol: Protocol::Json {
            target: "AWSStepFunctions",
            version: "1.0",
        },
    },
    Service {
        name: "sns",
        endpoint: "sns",
        id: "Sns",
        protocol: Protocol::Query,
    },
    Service {
        name: "lambda",
        endpoint: "lambda",
        id: "Lambda",
        protocol: Protocol::LambdaRest,
    },
];

/// The Lambda actions served.
const LAMBDA_ACTIONS: &[&str] = &["invoke", "getFunction", "listFunctions"];

/// The handler of `aws-sdk:<service>:<action>`, when aslx calls that action and the
/// service's endpoint is set.
pub(crate) fn handler(
    i: &Arc<Integrations>,
    service: &str,
    action: &str,
) -> Option<Arc<dyn Handler>> {
    let svc = SERVICES.iter().find(|s| s.name == service)?;
    i.endpoints().get(svc.endpoint)?;
    if matches!(svc.protocol, Protocol::LambdaRest) && !LAMBDA_ACTIONS.contains(&action) {
        return None;
    }
    Some(Arc::new(SdkCall {
        integrations: Arc::clone(i),
        service: svc,
        action: action.to_string(),
    }))
}

/// What to tell a user whose `aws-sdk:<service>:<action>` no endpoint can serve: the flag
/// when an endpoint would, else that it needs a handler of their own.
pub(crate) fn hint(service: &str, action: &str) -> Option<String> {
    let svc = SERVICES.iter().find(|s| s.name == service)?;
    if matches!(svc.protocol, Protocol::LambdaRest) && !LAMBDA_ACTIONS.contains(&action) {
        return Some(format!(
            "a handler of your own (aslx calls aws-sdk:lambda's {} at an endpoint)",
            LAMBDA_ACTIONS.join(", ")
        ));
    }
    Some(super::endpoints::how_to_bind(svc.endpoint))
}

/// `putItem` → `PutItem`.
fn pascal(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Renames every object key at every depth with `f`.
fn rename_keys(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::Object(m) => Value::object(
            m.iter()
                .map(|(k, v)| (f(k).into(), rename_keys(v, f)))
                .collect(),
        ),
        Value::Array(a) => Value::array(a.iter().map(|v| rename_keys(v, f)).collect()),
        other => other.clone(),
    }
}

fn first_lower(k: &str) -> String {
    let mut c = k.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

struct SdkCall {
    integrations: Arc<Integrations>,
    service: &'static Service,
    action: String,
}

impl Handler for SdkCall {
    fn call(&self, input: Value) -> HandlerResult {
        let i = Arc::clone(&self.integrations);
        let (svc, action) = (self.service, self.action.clone());
        HandlerResult::Pending(Box::pin(async move {
            match svc.protocol {
                Protocol::Json { target, version } => {
                    json_action(&i, svc, target, version, &action, input).await
                }
                Protocol::Query => {
                    let api = pascal(&action);
                    let reply = i.sns_send(&api, &input, svc.id).await?;
                    if !(200..300).contains(&reply.status) {
                        return Err(sdk_task_error(&query_error(&reply), svc.id));
                    }
                    result_json(&reply, &api)
                        .map(Value::object)
                        .map_err(|why| unmarshall_error(svc.id, &reply, &why))
                }
                Protocol::LambdaRest => lambda_action(&i, &action, &input).await,
            }
        }))
    }
}

async fn json_action(
    i: &Integrations,
    svc: &Service,
    target: &str,
    version: &'static str,
    action: &str,
    input: Value,
) -> Result<Value, TaskError> {
    let body = match (svc.name, &input) {
        ("sfn", v) => rename_keys(v, &first_lower),
        (_, Value::Object(_)) => input,
        _ => Value::empty_object(),
    };
    let call = JsonCall {
        service: svc.endpoint,
        target: format!("{target}.{}", pascal(action)),
        version,
        prefix: svc.id,
    };
    let error = |r: &_| sdk_task_error(&json_error(r), svc.id);
    let (answer, _) = i.json_call(call, &body, error).await?;
    let answer = Value::object(answer);
    Ok(match svc.name {
        "sfn" => rename_keys(&answer, &pascal),
        "sqs" => rename_keys(&answer, &|k: &str| match k.strip_prefix("MD5Of") {
            Some(rest) => format!("Md5Of{rest}"),
            None => k.to_string(),
        }),
        _ => answer,
    })
}

/// One of Lambda's REST actions.
async fn lambda_action(i: &Integrations, action: &str, input: &Value) -> Result<Value, TaskError> {
    let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
    let name = || {
        text("FunctionName").ok_or_else(|| {
            TaskError::new(
                "Lambda.SdkClientException",
                "Parameter 'FunctionName' must not be null",
            )
        })
    };
    let query = |keys: &[&str]| -> Vec<(String, String)> {
        keys.iter()
            .filter_map(|k| {
                let v = input.get(k)?;
                let v = v.as_str().map_or_else(|| v.to_json(), str::to_string);
                Some((k.to_string(), v))
            })
            .collect()
    };
    let (method, path, query, headers, body) = match action {
        "invoke" => {
            let headers = invoke_headers(text);
            let payload = input.get("Payload").map(json_text);
            let body = payload
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let path = invocations_path(&name()?);
            ("POST", path, query(&["Qualifier"]), headers, body)
        }
        "getFunction" => {
            let path = format!("/2015-03-31/functions/{}", uri_encode(&name()?, false));
            ("GET", path, query(&["Qualifier"]), vec![], String::new())
        }
        _ => {
            let q = query(&["MasterRegion", "FunctionVersion", "Marker", "MaxItems"]);
            (
                "GET",
                "/2015-03-31/functions/".to_string(),
                q,
                vec![],
                String::new(),
            )
        }
    };
    let reply = lambda_send(i, method, &path, query, headers, Bytes::from(body)).await?;
    if !(200..300).contains(&reply.status) {
        return Err(sdk_task_error(&json_error(&reply), "Lambda"));
    }
    if action == "invoke" {
        return Ok(invoke_result(&reply));
    }
    Ok(Value::object(json_body(&reply, "Lambda")?))
}

/// `Invoke`'s response as the SDK has it: the headers' members and the payload's text.
fn invoke_result(reply: &Reply) -> Value {
    let mut out = Map::with_capacity(5);
    for (member, header) in [
        ("ExecutedVersion", "x-amz-executed-version"),
        ("FunctionError", "x-amz-function-error"),
        ("LogResult", "x-amz-log-result"),
    ] {
        if let Some(v) = reply.header(header) {
            out.insert(member.into(), Value::from(v));
        }
    }
    out.insert(
        "Payload".into(),
        Value::from(String::from_utf8_lossy(&reply.body).as_ref()),
    );
    out.insert("StatusCode".into(), Value::Int(i64::from(reply.status)));
    Value::object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;

    #[test]
    fn step_functions_members_change_case_both_ways() {
        let v = parse_json(r#"{"StateMachineArn":"a","Tags":[{"Key":"k"}],"Input":"{\"X\":1}"}"#)
            .unwrap();
        assert_eq!(
            rename_keys(&v, &first_lower).to_json(),
            r#"{"stateMachineArn":"a","tags":[{"key":"k"}],"input":"{\"X\":1}"}"#
        );
        assert_eq!(pascal("startExecution"), "StartExecution");
        assert_eq!(
            rename_keys(&parse_json(r#"{"executionArn":"e"}"#).unwrap(), &pascal).to_json(),
            r#"{"ExecutionArn":"e"}"#
        );
    }

    #[test]
    fn unsupported_lambda_actions_say_what_to_do() {
        assert!(hint("lambda", "createFunction")
            .unwrap()
            .contains("handler of your own"));
        assert!(hint("dynamodb", "query")
            .unwrap()
            .starts_with("--endpoint dynamodb=URL"));
        assert_eq!(hint("s3", "getObject"), None);
    }
}
