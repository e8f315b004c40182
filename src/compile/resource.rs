//! Task `Resource` strings: what kind of integration each names (RES-1..RES-9).
//!
//! Classification is pure string work done once per machine: the validator uses it to refuse
//! what AWS refuses (unrecognised ARNs, `.sync` / `.waitForTaskToken` / activities on EXPRESS
//! machines), and the linker uses it to find the handler a Task calls.

/// How a service integration waits (RES-3..RES-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// No suffix: the state completes when the call returns.
    RequestResponse,
    /// `.sync` / `.sync:2`: wait for the job.
    Sync,
    /// `.waitForTaskToken`: wait for SendTaskSuccess/Failure.
    WaitForTaskToken,
}

/// What a `Resource` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    /// `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
    LambdaFunction {
        /// The function name.
        name: String,
    },
    /// `arn:aws:states:[<region>:<account>]:<service>:<action>[.suffix]` (including
    /// `aws-sdk:<service>:<action>`).
    Service {
        /// `lambda`, `sqs`, `aws-sdk:s3`, ...
        service: String,
        /// `invoke`, `sendMessage`, ...
        action: String,
        /// The integration pattern.
        pattern: Pattern,
    },
    /// `arn:aws:states:<region>:<account>:activity:<name>`.
    Activity,
    /// Anything else: AWS refuses it (RES-8).
    Unrecognized,
}

/// Optimised integrations and the actions AWS accepts for them (RES-2).
const OPTIMIZED: &[(&str, &[&str])] = &[
    ("lambda", &["invoke"]),
    ("sqs", &["sendMessage"]),
    ("sns", &["publish"]),
    (
        "dynamodb",
        &["getItem", "putItem", "updateItem", "deleteItem"],
    ),
    ("events", &["putEvents"]),
    ("states", &["startExecution"]),
    ("apigateway", &["invoke"]),
    ("http", &["invoke"]),
    ("ecs", &["runTask"]),
    ("batch", &["submitJob"]),
    ("glue", &["startJobRun"]),
    (
        "athena",
        &[
            "startQueryExecution",
            "stopQueryExecution",
            "getQueryExecution",
            "getQueryResults",
        ],
    ),
    (
        "codebuild",
        &[
            "startBuild",
            "stopBuild",
            "batchDeleteBuilds",
            "batchGetReports",
        ],
    ),
    (
        "eks",
        &[
            "runJob",
            "call",
            "createCluster",
            "deleteCluster",
            "createNodegroup",
            "deleteNodegroup",
        ],
    ),
    (
        "elasticmapreduce",
        &[
            "createCluster",
            "terminateCluster",
            "addStep",
            "cancelStep",
            "setClusterTerminationProtection",
            "modifyInstanceFleetByName",
            "modifyInstanceGroupByName",
        ],
    ),
    (
        "sagemaker",
        &[
            "createTrainingJob",
            "createTransformJob",
            "createModel",
            "createEndpoint",
            "createEndpointConfig",
            "updateEndpoint",
            "createHyperParameterTuningJob",
            "createLabelingJob",
            "createProcessingJob",
        ],
    ),
    ("glue:databrew", &["startJobRun"]),
    ("bedrock", &["invokeModel", "createModelCustomizationJob"]),
    (
        "emr-serverless",
        &[
            "createApplication",
            "startApplication",
            "stopApplication",
            "deleteApplication",
            "startJobRun",
            "cancelJobRun",
        ],
    ),
    (
        "emr-containers",
        &[
            "startJobRun",
            "createVirtualCluster",
            "deleteVirtualCluster",
        ],
    ),
    ("mediaconvert", &["createJob"]),
];

/// Classifies a `Resource` string.
///
/// ```
/// use aslx::compile::resource::{classify, ResourceKind};
/// assert_eq!(
///     classify("arn:aws:lambda:us-east-1:123456789012:function:add"),
///     ResourceKind::LambdaFunction { name: "add".into() }
/// );
/// assert_eq!(classify("arn:aws:states:::dynamodb:query"), ResourceKind::Unrecognized);
/// ```
pub fn classify(resource: &str) -> ResourceKind {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[1].is_empty() {
        return ResourceKind::Unrecognized;
    }
    let (service, region, account, rest) = (parts[2], parts[3], parts[4], parts[5]);
    match service {
        "lambda" => match rest.strip_prefix("function:") {
            Some(name) if !region.is_empty() && !account.is_empty() && !name.is_empty() => {
                let name = name.split(':').next().unwrap_or(name);
                ResourceKind::LambdaFunction {
                    name: name.to_string(),
                }
            }
            _ => ResourceKind::Unrecognized,
        },
        "states" if region.is_empty() && account.is_empty() => service_integration(rest),
        "states" if region.is_empty() || account.is_empty() => ResourceKind::Unrecognized,
        "states" => match rest.strip_prefix("activity:") {
            Some(name) if !name.is_empty() => ResourceKind::Activity,
            Some(_) => ResourceKind::Unrecognized,
            // `arn:aws:states:<region>:<account>:<service>:<action>`: the form CloudFormation,
            // SAM and the console's export write. AWS documents no check of this region and
            // account against the machine's own, and no cross-Region routing by them: a call to
            // another Region is "not officially supported even with AWS SDK integration tasks"
            // (aws/aws-cdk#30061, which adds a Lambda relay for it). So both are accepted and
            // ignored: the integration is the one the `arn:aws:states:::` form names.
            None => service_integration(rest),
        },
        _ => ResourceKind::Unrecognized,
    }
}

fn service_integration(rest: &str) -> ResourceKind {
    let (body, pattern) = if let Some(b) = rest.strip_suffix(".waitForTaskToken") {
        (b, Pattern::WaitForTaskToken)
    } else if let Some(b) = rest
        .strip_suffix(".sync:2")
        .or_else(|| rest.strip_suffix(".sync"))
    {
        (b, Pattern::Sync)
    } else {
        (rest, Pattern::RequestResponse)
    };
    if let Some(sdk) = body.strip_prefix("aws-sdk:") {
        return match sdk.split_once(':') {
            // AWS SDK integrations support request-response and `.waitForTaskToken`, never
            // `.sync` (the developer guide's "Supported AWS SDK integrations" table).
            Some(_) if pattern == Pattern::Sync => ResourceKind::Unrecognized,
            Some((svc, action)) if !svc.is_empty() && !action.is_empty() => ResourceKind::Service {
                service: format!("aws-sdk:{svc}"),
                action: action.to_string(),
                pattern,
            },
            _ => ResourceKind::Unrecognized,
        };
    }
    let Some((service, action)) = body.rsplit_once(':') else {
        return ResourceKind::Unrecognized;
    };
    let known = OPTIMIZED
        .iter()
        .any(|(s, actions)| *s == service && actions.contains(&action))
        && pattern_supported(service, pattern);
    if known {
        ResourceKind::Service {
            service: service.to_string(),
            action: action.to_string(),
            pattern,
        }
    } else {
        ResourceKind::Unrecognized
    }
}

/// The integration patterns an optimised integration supports beyond request-response, for
/// the services whose table rows the developer guide states ("Supported Optimized
/// integrations"): DynamoDB has neither `.sync` nor `.waitForTaskToken`; SQS, SNS and
/// EventBridge have `.waitForTaskToken` only. Other services keep what the resource says.
fn pattern_supported(service: &str, pattern: Pattern) -> bool {
    match (service, pattern) {
        (_, Pattern::RequestResponse) => true,
        ("dynamodb", _) => false,
        ("sqs" | "sns" | "events", Pattern::Sync) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn res_4_5_6_patterns() {
        assert!(matches!(
            classify("arn:aws:states:::states:startExecution.sync"),
            ResourceKind::Service {
                pattern: Pattern::Sync,
                ..
            }
        ));
        assert!(matches!(
            classify("arn:aws:states:::states:startExecution.sync:2"),
            ResourceKind::Service {
                pattern: Pattern::Sync,
                ..
            }
        ));
        assert!(matches!(
            classify("arn:aws:states:::sns:publish.waitForTaskToken"),
            ResourceKind::Service {
                pattern: Pattern::WaitForTaskToken,
                ..
            }
        ));
        assert_eq!(
            classify("arn:aws:states:us-east-1:111111111111:activity:work"),
            ResourceKind::Activity
        );
    }

    #[test]
    fn res_2_integrations_with_region_and_account_classify_like_the_bare_form() {
        for (with, bare) in [
            (
                "arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject",
                "arn:aws:states:::aws-sdk:s3:getObject",
            ),
            (
                "arn:aws:states:eu-west-1:123456789012:sns:publish",
                "arn:aws:states:::sns:publish",
            ),
            (
                "arn:aws:states:us-east-1:123456789012:athena:startQueryExecution.sync",
                "arn:aws:states:::athena:startQueryExecution.sync",
            ),
            (
                "arn:aws:states:us-east-1:123456789012:lambda:invoke",
                "arn:aws:states:::lambda:invoke",
            ),
            (
                "arn:aws:states:ap-south-1:123456789012:lambda:invoke.waitForTaskToken",
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
            ),
        ] {
            assert_eq!(classify(with), classify(bare), "{with}");
            assert!(matches!(classify(with), ResourceKind::Service { .. }));
        }
        // Still refused: an unknown action, half a region/account, a state machine ARN.
        for bad in [
            "arn:aws:states:us-east-1:123456789012:dynamodb:query",
            "arn:aws:states:us-east-1::sns:publish",
            "arn:aws:states::123456789012:sns:publish",
            "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "arn:aws:states:us-east-1:123456789012:activity:",
        ] {
            assert_eq!(classify(bad), ResourceKind::Unrecognized, "{bad}");
        }
    }

    #[test]
    fn res_4_5_patterns_the_service_does_not_support_are_not_recognized() {
        for bad in [
            "arn:aws:states:::aws-sdk:dynamodb:getItem.sync",
            "arn:aws:states:::aws-sdk:s3:listBuckets.sync:2",
            "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
            "arn:aws:states:::dynamodb:getItem.sync",
            "arn:aws:states:::sqs:sendMessage.sync",
            "arn:aws:states:::sns:publish.sync",
            "arn:aws:states:::events:putEvents.sync",
        ] {
            assert_eq!(classify(bad), ResourceKind::Unrecognized, "{bad}");
        }
        for good in [
            "arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken",
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "arn:aws:states:::sns:publish.waitForTaskToken",
            "arn:aws:states:::events:putEvents.waitForTaskToken",
            "arn:aws:states:::dynamodb:updateItem",
        ] {
            assert!(
                matches!(classify(good), ResourceKind::Service { .. }),
                "{good}"
            );
        }
    }

    #[test]
    fn res_1_lambda_qualifiers_and_sdk() {
        assert_eq!(
            classify("arn:aws:lambda:us-east-1:1:function:f:PROD"),
            ResourceKind::LambdaFunction { name: "f".into() }
        );
        assert!(matches!(
            classify("arn:aws:states:::aws-sdk:s3:listBuckets"),
            ResourceKind::Service { .. }
        ));
        assert_eq!(classify("not-an-arn"), ResourceKind::Unrecognized);
        assert_eq!(
            classify("arn:aws:lambda:us-east-1:1:function:"),
            ResourceKind::Unrecognized
        );
    }
}
