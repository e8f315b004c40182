//! `arn:aws:states:::dynamodb:getItem` / `putItem` / `updateItem` / `deleteItem` at a DynamoDB
//! endpoint (`--endpoint dynamodb=URL`, `DYNAMODB_ENDPOINT`): the JSON 1.0 protocol
//! (`X-Amz-Target: DynamoDB_20120810.<Action>`), as DynamoDB Local, moto and LocalStack serve it.
//!
//! The request is the Task's parameters in DynamoDB JSON (`{"S": "..."}`), cut to the members
//! AWS's integration accepts; the result is the API's answer (`Item`, `Attributes`,
//! `ConsumedCapacity`, ...) with `SdkHttpMetadata` and `SdkResponseMetadata`. Errors are
//! `DynamoDB.<Exception>` (`DynamoDB.ConditionalCheckFailedException`,
//! `DynamoDB.ResourceNotFoundException`), and `DynamoDB.AmazonDynamoDBException` for codes
//! the SDK has no class for (`ValidationException`), with the SDK's cause text
//! (`... (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ...; Request ID: ...; Proxy: null)`).
//! DynamoDB has no `.waitForTaskToken` integration (refused when the machine is created).

use super::aws::{json_error, Naming};
use super::optimized::JsonAction;
use super::Integrations;
use crate::runtime::Handler;
use std::sync::Arc;

/// How the integration names errors.
pub(crate) const NAMING: Naming = Naming {
    prefix: "DynamoDB",
    label: "AmazonDynamoDBv2",
    modeled: &[
        "ConditionalCheckFailedException",
        "ProvisionedThroughputExceededException",
        "ResourceNotFoundException",
        "ItemCollectionSizeLimitExceededException",
        "TransactionConflictException",
        "RequestLimitExceededException",
        "InternalServerErrorException",
        "ReplicatedWriteConflictException",
    ],
    fallback: "AmazonDynamoDBException",
};

/// The members common to the write actions.
const WRITE: &[&str] = &[
    "TableName",
    "ConditionalOperator",
    "ConditionExpression",
    "Expected",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnConsumedCapacity",
    "ReturnItemCollectionMetrics",
    "ReturnValues",
    "ReturnValuesOnConditionCheckFailure",
];

/// An action's API name and the members AWS's integration passes on (the developer guide's
/// "Supported Amazon DynamoDB APIs").
fn action(name: &str) -> Option<(&'static str, Vec<&'static str>)> {
    let with = |extra: &[&'static str]| WRITE.iter().chain(extra).copied().collect();
    Some(match name {
        "getItem" => (
            "GetItem",
            vec![
                "Key",
                "TableName",
                "AttributesToGet",
                "ConsistentRead",
                "ExpressionAttributeNames",
                "ProjectionExpression",
                "ReturnConsumedCapacity",
            ],
        ),
        "putItem" => ("PutItem", with(&["Item"])),
        "deleteItem" => ("DeleteItem", with(&["Key"])),
        "updateItem" => (
            "UpdateItem",
            with(&["Key", "AttributeUpdates", "UpdateExpression"]),
        ),
        _ => return None,
    })
}

/// The handler of `dynamodb:<action>`, when a DynamoDB endpoint is set.
pub(crate) fn handler(i: &Arc<Integrations>, name: &str) -> Option<Arc<dyn Handler>> {
    i.endpoints().get("dynamodb")?;
    let (api, members) = action(name)?;
    Some(Arc::new(JsonAction {
        integrations: Arc::clone(i),
        service: "dynamodb",
        target: format!("DynamoDB_20120810.{api}"),
        version: "1.0",
        members,
        text_member: None,
        prefix: NAMING.prefix,
        error: |r| NAMING.task_error(&json_error(r)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::aws::AwsError;

    #[test]
    fn codes_without_a_class_are_amazon_dynamodb_exceptions() {
        let err = |code: &str| AwsError {
            status: 400,
            code: code.into(),
            message: "m".into(),
            request_id: "R".into(),
        };
        let e = NAMING.task_error(&err("ConditionalCheckFailedException"));
        assert_eq!(e.error(), "DynamoDB.ConditionalCheckFailedException");
        let e = NAMING.task_error(&err("ValidationException"));
        assert_eq!(e.error(), "DynamoDB.AmazonDynamoDBException");
        assert_eq!(
            e.cause(),
            Some("m (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: R; Proxy: null)")
        );
        assert_eq!(
            NAMING.task_error(&err("RequestLimitExceeded")).error(),
            "DynamoDB.RequestLimitExceededException"
        );
    }

    #[test]
    fn each_action_passes_on_its_own_members() {
        let (api, m) = action("getItem").unwrap();
        assert_eq!(api, "GetItem");
        assert!(m.contains(&"ProjectionExpression") && !m.contains(&"Item"));
        let (_, m) = action("updateItem").unwrap();
        assert!(m.contains(&"UpdateExpression") && m.contains(&"ConditionExpression"));
        assert!(action("query").is_none());
    }
}
