//! `dynamodb:putItem` / `getItem` / `updateItem` / `deleteItem` against moto.

use super::*;

fn get_raw(m: &Moto, table: &str, id: &str) -> Value {
    api(
        m,
        "dynamodb",
        "DynamoDB_20120810.GetItem",
        json!({"TableName": table, "Key": {"id": {"S": id}}}),
    )
}

#[tokio::test]
async fn put_item_writes_the_item_and_get_item_reads_it_with_aws_result_shapes() {
    let Some(m) = moto() else { return };
    let table = unique("t");
    create_table(m, &table);
    let put = run_task(
        &m.url,
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
               "Parameters": {"TableName": table, "Item": {"id": {"S": "1"}, "n.$": "$.n"},
                              "NotAnApiMember": "dropped as AWS drops it"},
               "End": true}),
        json!({"n": {"N": "42"}}),
    )
    .await;
    let put = output(&put);
    // putItem: only the metadata (no ReturnValues).
    assert_eq!(keys(put), ["SdkHttpMetadata", "SdkResponseMetadata"]);
    assert_sdk_metadata(put);
    assert_eq!(
        get_raw(m, &table, "1").get("Item").unwrap().to_json(),
        r#"{"id":{"S":"1"},"n":{"N":"42"}}"#,
        "the item is in the table"
    );

    let got = run_task(
        &m.url,
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
               "Parameters": {"TableName": table, "Key": {"id": {"S": "1"}}},
               "ResultSelector": {"n.$": "$.Item.n.N", "all.$": "$"},
               "End": true}),
        json!({}),
    )
    .await;
    let got = output(&got);
    assert_eq!(got.get("n"), Some(&Value::from("42")));
    let all = got.get("all").unwrap();
    assert_eq!(
        keys(all),
        ["Item", "SdkHttpMetadata", "SdkResponseMetadata"]
    );
    assert_sdk_metadata(all);
}

#[tokio::test]
async fn update_item_returns_attributes_and_delete_item_removes_the_item() {
    let Some(m) = moto() else { return };
    let table = unique("t");
    create_table(m, &table);
    api(
        m,
        "dynamodb",
        "DynamoDB_20120810.PutItem",
        json!({"TableName": table, "Item": {"id": {"S": "k"}, "count": {"N": "1"}}}),
    );
    let def = json!({"StartAt": "Update", "States": {
        "Update": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {"TableName": table, "Key": {"id": {"S": "k"}},
                "UpdateExpression": "SET #c = #c + :one",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
                "ReturnValues": "ALL_NEW"},
            "ResultPath": "$.updated", "Next": "Delete"},
        "Delete": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:deleteItem",
            "Parameters": {"TableName": table, "Key": {"id": {"S": "k"}}, "ReturnValues": "ALL_OLD"},
            "ResultPath": "$.deleted", "End": true}}});
    let machine = Machine::new(
        "m",
        &def.to_json(),
        MachineType::Standard,
        &handlers_at(&m.url),
    )
    .unwrap();
    let o = machine.run(json!({})).await;
    let out = output(&o);
    let updated = out.get("updated").unwrap();
    assert_eq!(
        updated
            .get("Attributes")
            .unwrap()
            .get("count")
            .unwrap()
            .to_json(),
        r#"{"N":"2"}"#
    );
    assert_sdk_metadata(updated);
    assert_eq!(
        out.get("deleted")
            .unwrap()
            .get("Attributes")
            .unwrap()
            .get("count")
            .unwrap()
            .to_json(),
        r#"{"N":"2"}"#
    );
    assert!(
        get_raw(m, &table, "k").get("Item").is_none(),
        "the item is gone"
    );
}

#[tokio::test]
async fn a_missing_table_is_dynamodb_resource_not_found_caught_by_catch() {
    let Some(m) = moto() else { return };
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::dynamodb:getItem",
        json!({"TableName": unique("missing"), "Key": {"id": {"S": "1"}}}),
    )
    .await;
    assert_eq!(error, "DynamoDB.ResourceNotFoundException");
    assert!(
        cause.starts_with("Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: "),
        "{cause}"
    );
    assert!(cause.ends_with("; Proxy: null)"), "{cause}");
}

#[tokio::test]
async fn a_failed_condition_is_dynamodb_conditional_check_failed() {
    let Some(m) = moto() else { return };
    let table = unique("t");
    create_table(m, &table);
    let params = json!({"TableName": table, "Item": {"id": {"S": "once"}},
                        "ConditionExpression": "attribute_not_exists(id)"});
    let first = run_task(
        &m.url,
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
               "Parameters": params, "End": true}),
        json!({}),
    )
    .await;
    assert_eq!(first.status, Status::Succeeded);
    let (error, cause) = caught_error(&m.url, "arn:aws:states:::dynamodb:putItem", params).await;
    assert_eq!(error, "DynamoDB.ConditionalCheckFailedException");
    assert!(
        cause.contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException;"),
        "{cause}"
    );
}

#[tokio::test]
async fn a_code_the_sdk_has_no_class_for_is_amazon_dynamodb_exception() {
    let Some(m) = moto() else { return };
    let table = unique("t");
    create_table(m, &table);
    // The key names an attribute that is not the table's key: ValidationException.
    let (error, cause) = caught_error(
        &m.url,
        "arn:aws:states:::dynamodb:getItem",
        json!({"TableName": table, "Key": {"nope": {"S": "1"}}}),
    )
    .await;
    assert_eq!(error, "DynamoDB.AmazonDynamoDBException");
    assert!(
        cause.contains("Error Code: ValidationException;"),
        "{cause}"
    );
}

/// An engine with its own runtime built it without the IO driver, so a Task calling an
/// endpoint panicked there instead of reaching the service.
#[test]
fn an_engine_on_its_own_runtime_reaches_the_endpoint() {
    let Some(m) = moto() else { return };
    let table = unique("t");
    create_table(m, &table);
    let engine = Engine::builder()
        .handlers(handlers_at(&m.url))
        .worker_threads(1)
        .build()
        .unwrap();
    let def = json!({"StartAt": "Put", "States": {"Put": {"Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": table, "Item": {"id": {"S.$": "$.id"}}}, "End": true}}});
    engine
        .create_machine("put", &def.to_json(), MachineType::Express)
        .unwrap();
    let run = engine
        .start_sync_blocking(StartRequest::new("put").input(json!({"id": "e1"})))
        .unwrap();
    assert_sdk_metadata(output(&run.outcome));
    assert!(
        get_raw(m, &table, "e1").get("Item").is_some(),
        "the item is in the table"
    );
}
