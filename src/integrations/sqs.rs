//! `arn:aws:states:::sqs:sendMessage` (and `.waitForTaskToken`) at an SQS endpoint
//! (`--endpoint sqs=URL`, `SQS_ENDPOINT`): SQS's JSON protocol (`AmazonSQS.SendMessage`,
//! `application/x-amz-json-1.0`), which AWS and moto 5 speak.
//!
//! `MessageBody` that is not a string is sent as its JSON text (a callback's body is usually
//! an object holding `$$.Task.Token`). The result is `{MD5OfMessageBody, MessageId,
//! SdkHttpMetadata, SdkResponseMetadata}` (with `MD5OfMessageAttributes`, `SequenceNumber`
//! when the answer has them): `MD5` in capitals, as the optimised integration prints it.
//! Errors are `SQS.<Exception>` (`SQS.QueueDoesNotExistException`), `SQS.AmazonSQSException`
//! for codes with no class of their own; the cause's `Error Code` is the query protocol's code
//! (`AWS.SimpleQueueService.NonExistentQueue`), which the JSON protocol still sends in
//! `x-amzn-query-error` for compatibility and the SDK shows.

use super::aws::{json_error, AwsError, Naming};
use super::client::Reply;
use super::optimized::JsonAction;
use super::Integrations;
use crate::runtime::Handler;
use crate::vm::TaskError;
use std::sync::Arc;

const NAMING: Naming = Naming {
    prefix: "SQS",
    label: "AmazonSQS",
    modeled: &[
        "QueueDoesNotExistException",
        "InvalidMessageContentsException",
        "UnsupportedOperationException",
        "RequestThrottledException",
        "InvalidSecurityException",
        "InvalidAddressException",
        "KmsAccessDeniedException",
        "KmsDisabledException",
        "KmsInvalidKeyUsageException",
        "KmsInvalidStateException",
        "KmsNotFoundException",
        "KmsOptInRequiredException",
        "KmsThrottledException",
    ],
    fallback: "AmazonSQSException",
};

/// What `sqs:sendMessage` passes on.
const MEMBERS: &[&str] = &[
    "QueueUrl",
    "MessageBody",
    "DelaySeconds",
    "MessageAttributes",
    "MessageSystemAttributes",
    "MessageDeduplicationId",
    "MessageGroupId",
];

/// The handler of `sqs:sendMessage`, when an SQS endpoint is set.
pub(crate) fn handler(i: &Arc<Integrations>, action: &str) -> Option<Arc<dyn Handler>> {
    i.endpoints().get("sqs")?;
    (action == "sendMessage").then(|| {
        Arc::new(JsonAction {
            integrations: Arc::clone(i),
            service: "sqs",
            target: "AmazonSQS.SendMessage".to_string(),
            version: "1.0",
            members: MEMBERS.to_vec(),
            text_member: Some("MessageBody"),
            prefix: NAMING.prefix,
            error: task_error,
        }) as Arc<dyn Handler>
    })
}

/// A JSON-protocol SQS error whose cause shows the query protocol's code (the class comes
/// from `__type`): `err` with the code of `x-amzn-query-error`
/// (`AWS.SimpleQueueService.NonExistentQueue;Sender`), when the answer has one.
fn with_query_code(mut err: AwsError, reply: &Reply) -> AwsError {
    if let Some(q) = reply.header("x-amzn-query-error") {
        let code = q.split(';').next().unwrap_or(q);
        if !code.is_empty() {
            err.code = code.to_string();
        }
    }
    err
}

/// The Task error of an SQS error answer: named by its `__type` class
/// (`SQS.QueueDoesNotExistException`), its cause showing the query code
/// (`AWS.SimpleQueueService.NonExistentQueue`) as the SDK does. The body is parsed once.
fn task_error(reply: &Reply) -> TaskError {
    let typed = json_error(reply);
    let named = NAMING.task_error(&typed);
    let shown = with_query_code(typed, reply);
    TaskError::new(named.error().to_string(), shown.cause(NAMING.label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn a_missing_queue_is_named_by_class_with_the_query_code_in_the_cause() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "x-amzn-query-error",
            "AWS.SimpleQueueService.NonExistentQueue;Sender"
                .parse()
                .unwrap(),
        );
        h.insert("x-amzn-requestid", "R9".parse().unwrap());
        let reply = Reply {
            status: 400,
            headers: h,
            body: Bytes::from_static(
                br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#,
            ),
        };
        let e = task_error(&reply);
        assert_eq!(e.error(), "SQS.QueueDoesNotExistException");
        assert_eq!(e.cause(), Some("The specified queue does not exist. (Service: AmazonSQS; Status Code: 400; Error Code: AWS.SimpleQueueService.NonExistentQueue; Request ID: R9; Proxy: null)"));
    }
}
