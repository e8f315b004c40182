//! `aws-sdk:<service>:<action>` against moto: PascalCase requests, raw responses (no SDK
//! metadata), `<ServiceId>.<Exception>` errors with the SDK v2 cause text.

use super::*;

/// Runs one aws-sdk Task and gives its result.
async fn sdk(url: &str, service_action: &str, params: Value) -> Value {
    let o = run_task(
        url,
        json!({"Type": "Task", "Resource": format!("arn:aws:states:::aws-sdk:{service_action}"),
               "Parameters": params, "End": true}),
        json!({}),
    )
    .await;
    output(&o).clone()
}

fn sdk_cause_ok(cause: &str, service_id: &str, status: u16) {
    assert!(
        cause.contains(&format!(
            " (Service: {service_id}, Status Code: {status}, Request ID: "
        )),
        "{cause}"
    );
}

#[tokio::test]
async fn dynamodb_any_action_raw_results_and_dynamodb_prefixed_errors() {
    let Some(m) = moto() else { return };
    let table = unique("t");
    create_table(m, &table);
    let item = json!({"TableName": table, "Item": {"id": {"S": "a"}, "v": {"N": "1"}},
                      "ConditionExpression": "attribute_not_exists(id)"});
    let put = sdk(&m.url, "dynamodb:putItem", item.clone()).await;
    assert!(
        put.get("SdkHttpMetadata").is_none(),
        "raw response: {}",
        put.to_json()
    );
    let q = sdk(
        &m.url,
        "dynamodb:query",
        json!({"TableName": table, "KeyConditionExpression": "id = :id",
               "ExpressionAttributeValues": {":id": {"S": "a"}}}),
    )
    .await;
    assert_eq!(q.get("Count"), Some(&Value::Int(1)));
    assert_eq!(
        q.get("Items").unwrap().to_json(),
        r#"[{"id":{"S":"a"},"v":{"N":"1"}}]"#
    );
    let (error, cause) =
        caught_error(&m.url, "arn:aws:states:::aws-sdk:dynamodb:putItem", item).await;
    assert_eq!(error, "DynamoDb.ConditionalCheckFailedException");
    sdk_cause_ok(&cause, "DynamoDb", 400);
    let (error, _) = caught_error(
        &m.url,
        "arn:aws:states:::aws-sdk:dynamodb:describeTable",
        json!({"TableName": unique("missing")}),
    )
    .await;
    assert_eq!(error, "DynamoDb.ResourceNotFoundException");
}

#[tokio::test]
async fn sqs_results_spell_md5_as_the_sdk_does_and_errors_are_sqs_prefixed() {
    let Some(m) = moto() else { return };
    let name = unique("q");
    let url = sdk(&m.url, "sqs:createQueue", json!({ "QueueName": name })).await;
    let queue = url.get("QueueUrl").unwrap().as_str().unwrap().to_string();
    let sent = sdk(
        &m.url,
        "sqs:sendMessage",
        json!({"QueueUrl": queue, "MessageBody": "plain"}),
    )
    .await;
    assert_eq!(keys(&sent), ["Md5OfMessageBody", "MessageId"]);
    assert_eq!(
        receive(m, &queue)[0].get("Body"),
        Some(&Value::from("plain"))
    );
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
        json!({"QueueName": unique("nope")}),
    )
    .await;
    assert_eq!(error, "Sqs.QueueDoesNotExistException");
    sdk_cause_ok(&cause, "Sqs", 400);
}

#[tokio::test]
async fn sns_actions_go_through_the_query_protocol_and_come_back_as_json() {
    let Some(m) = moto() else { return };
    let name = unique("topic");
    let created = sdk(
        &m.url,
        "sns:createTopic",
        json!({"Name": name, "Attributes": {"DisplayName": "Shown"}, "Tags": [{"Key": "team", "Value": "a"}]}),
    )
    .await;
    let arn = created
        .get("TopicArn")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(arn.ends_with(&name), "{arn}");
    let attrs = sdk(&m.url, "sns:getTopicAttributes", json!({ "TopicArn": arn })).await;
    let attrs = attrs.get("Attributes").unwrap();
    assert_eq!(
        attrs.get("DisplayName"),
        Some(&Value::from("Shown")),
        "the map went through"
    );
    let tags = sdk(
        &m.url,
        "sns:listTagsForResource",
        json!({ "ResourceArn": arn }),
    )
    .await;
    assert_eq!(
        tags.get("Tags").unwrap().to_json(),
        r#"[{"Key":"team","Value":"a"}]"#
    );
    let listed = sdk(&m.url, "sns:listTopics", json!({})).await;
    let topics = listed.get("Topics").unwrap().as_array().unwrap();
    assert!(topics
        .iter()
        .any(|t| t.get("TopicArn") == Some(&Value::from(arn.as_str()))));
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::aws-sdk:sns:getTopicAttributes",
        json!({"TopicArn": format!("{arn}-nope")}),
    )
    .await;
    assert_eq!(error, "Sns.NotFoundException");
    sdk_cause_ok(&cause, "Sns", 404);
}

#[tokio::test]
async fn eventbridge_actions_by_name() {
    let Some(m) = moto() else { return };
    let bus = unique("bus");
    let created = sdk(&m.url, "eventbridge:createEventBus", json!({ "Name": bus })).await;
    assert!(created
        .get("EventBusArn")
        .unwrap()
        .as_str()
        .unwrap()
        .ends_with(&bus));
    let described = sdk(
        &m.url,
        "eventbridge:describeEventBus",
        json!({ "Name": bus }),
    )
    .await;
    assert_eq!(described.get("Name"), Some(&Value::from(bus.as_str())));
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::aws-sdk:eventbridge:describeEventBus",
        json!({"Name": unique("nope")}),
    )
    .await;
    assert_eq!(error, "EventBridge.ResourceNotFoundException");
    sdk_cause_ok(&cause, "EventBridge", 400);
}

#[tokio::test]
async fn step_functions_members_are_pascal_case_both_ways() {
    let Some(m) = moto() else { return };
    let name = unique("sm");
    let created = sdk(
        &m.url,
        "sfn:createStateMachine",
        json!({"Name": name, "RoleArn": "arn:aws:iam::123456789012:role/sfn",
               "Definition": r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#}),
    )
    .await;
    let arn = created
        .get("StateMachineArn")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(arn.ends_with(&name), "{}", created.to_json());
    let described = sdk(
        &m.url,
        "sfn:describeStateMachine",
        json!({ "StateMachineArn": arn }),
    )
    .await;
    assert_eq!(described.get("Name"), Some(&Value::from(name.as_str())));
    assert_eq!(
        described.get("StateMachineArn"),
        Some(&Value::from(arn.as_str()))
    );
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
        json!({"StateMachineArn": format!("{arn}-nope")}),
    )
    .await;
    assert_eq!(error, "Sfn.StateMachineDoesNotExistException");
    sdk_cause_ok(&cause, "Sfn", 400);
}

#[tokio::test]
async fn lambda_rest_actions_list_and_get_functions() {
    let Some(m) = moto() else { return };
    let listed = sdk(&m.url, "lambda:listFunctions", json!({"MaxItems": 5})).await;
    assert!(
        listed.get("Functions").unwrap().as_array().is_some(),
        "{}",
        listed.to_json()
    );
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::aws-sdk:lambda:getFunction",
        json!({"FunctionName": unique("nope")}),
    )
    .await;
    assert_eq!(error, "Lambda.ResourceNotFoundException");
    sdk_cause_ok(&cause, "Lambda", 404);
}

/// `Invoke` needs a function runtime moto has only with Docker: a loopback endpoint answers
/// as Lambda does for a function that raised.
#[tokio::test]
async fn lambda_invoke_returns_the_raw_response_with_the_function_error() {
    let (url, count) = fake(Fake::Answer(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-amz-function-error: Unhandled\r\n\
         x-amz-executed-version: $LATEST\r\ncontent-length: 41\r\nconnection: close\r\n\r\n\
         {\"errorType\":\"Boom\",\"errorMessage\":\"bad\"}",
    ))
    .await;
    let out = sdk(
        &url,
        "lambda:invoke",
        json!({"FunctionName": "f", "Payload": {"x": 1}}),
    )
    .await;
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(
        keys(&out),
        ["ExecutedVersion", "FunctionError", "Payload", "StatusCode"]
    );
    assert_eq!(out.get("FunctionError"), Some(&Value::from("Unhandled")));
    assert_eq!(
        out.get("Payload"),
        Some(&Value::from(r#"{"errorType":"Boom","errorMessage":"bad"}"#))
    );
    assert_eq!(out.get("StatusCode"), Some(&Value::Int(200)));
}
