//! `arn:aws:states:::sns:publish` (and `.waitForTaskToken`) at an SNS endpoint
//! (`--endpoint sns=URL`, `SNS_ENDPOINT`): SNS's query protocol (a form-encoded
//! `Action=Publish` POST, an XML answer; `query.rs`).
//!
//! `Message` that is not a string is sent as its JSON text. The result is `{MessageId,
//! SequenceNumber (FIFO topics), SdkHttpMetadata, SdkResponseMetadata}`. Errors are
//! `SNS.<Code>Exception` (`SNS.NotFoundException`, `SNS.InvalidParameterException`), with
//! `SNS.AmazonSNSException` for codes the SDK has no class for, and the SDK's cause text
//! (`... (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: ...; Proxy: null)`).

use super::aws::{unmarshall_error, AwsError, AwsRequest, Naming};
use super::optimized::{accepted, stringify_member, with_metadata};
use super::query::{form_body, query_error, result_json};
use super::Integrations;
use crate::runtime::{Handler, HandlerResult};
use crate::value::Value;
use crate::vm::TaskError;
use bytes::Bytes;
use std::sync::Arc;

const NAMING: Naming = Naming {
    prefix: "SNS",
    label: "AmazonSNS",
    modeled: &[
        "InvalidParameterException",
        "InvalidParameterValueException",
        "InternalErrorException",
        "NotFoundException",
        "EndpointDisabledException",
        "PlatformApplicationDisabledException",
        "AuthorizationErrorException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
        "KMSOptInRequiredException",
        "KMSThrottlingException",
        "KMSAccessDeniedException",
        "InvalidSecurityException",
        "ValidationException",
        "ThrottledException",
    ],
    fallback: "AmazonSNSException",
};

/// What `sns:publish` passes on.
const MEMBERS: &[&str] = &[
    "Message",
    "MessageAttributes",
    "MessageDeduplicationId",
    "MessageGroupId",
    "MessageStructure",
    "PhoneNumber",
    "Subject",
    "TargetArn",
    "TopicArn",
];

/// SNS's API version, sent with every query-protocol call.
pub(crate) const VERSION: &str = "2010-03-31";

/// The handler of `sns:publish`, when an SNS endpoint is set.
pub(crate) fn handler(i: &Arc<Integrations>, action: &str) -> Option<Arc<dyn Handler>> {
    i.endpoints().get("sns")?;
    (action == "publish").then(|| {
        Arc::new(Publish {
            integrations: Arc::clone(i),
        }) as Arc<dyn Handler>
    })
}

/// `ParameterValueInvalid` is the one SNS code whose class is not `<Code>Exception`.
fn task_error(err: &AwsError) -> TaskError {
    if err.code == "ParameterValueInvalid" {
        return TaskError::new(
            "SNS.InvalidParameterValueException",
            err.cause(NAMING.label),
        );
    }
    NAMING.task_error(err)
}

impl Integrations {
    /// Sends a query-protocol call to the SNS endpoint; the answer as is.
    pub(crate) async fn sns_send(
        &self,
        action: &str,
        params: &Value,
        prefix: &str,
    ) -> Result<super::client::Reply, TaskError> {
        self.aws_send(AwsRequest {
            service: "sns",
            method: "POST",
            path: "/",
            query: Vec::new(),
            headers: vec![(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            )],
            body: Bytes::from(form_body(action, VERSION, params)),
            prefix,
        })
        .await
    }
}

struct Publish {
    integrations: Arc<Integrations>,
}

impl Handler for Publish {
    fn call(&self, input: Value) -> HandlerResult {
        let i = Arc::clone(&self.integrations);
        let mut params = accepted(&input, MEMBERS);
        stringify_member(&mut params, "Message");
        let params = Value::object(params);
        HandlerResult::Pending(Box::pin(async move {
            let reply = i.sns_send("Publish", &params, NAMING.prefix).await?;
            if !(200..300).contains(&reply.status) {
                return Err(task_error(&query_error(&reply)));
            }
            let answer = result_json(&reply, "Publish")
                .map_err(|why| unmarshall_error(NAMING.prefix, &reply, &why))?;
            Ok(with_metadata(answer, &reply))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_codes_are_named_by_their_exception_class() {
        let err = |code: &str| AwsError {
            status: 400,
            code: code.into(),
            message: "m".into(),
            request_id: "R".into(),
        };
        assert_eq!(
            task_error(&err("NotFound")).error(),
            "SNS.NotFoundException"
        );
        assert_eq!(
            task_error(&err("ParameterValueInvalid")).error(),
            "SNS.InvalidParameterValueException"
        );
        assert_eq!(
            task_error(&err("Http502")).error(),
            "SNS.AmazonSNSException"
        );
        assert_eq!(
            task_error(&err("NotFound")).cause(),
            Some("m (Service: AmazonSNS; Status Code: 400; Error Code: NotFound; Request ID: R; Proxy: null)")
        );
    }
}
