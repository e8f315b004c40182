"""Versions, aliases, tags and DELETING with boto3 against `aslx serve` (run by run.sh)."""

import json
import time

import botocore.exceptions
import pytest

from test_serve import ROLE, client, error_code, pass_def, unique


@pytest.fixture(scope="module")
def sfn():
    return client(inject_host_prefix=False)


def output(sfn, arn):
    r = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert r["status"] == "SUCCEEDED", r
    return json.loads(r["output"])


def test_versions_and_aliases_route_starts(sfn):
    name = unique("ver")
    created = sfn.create_state_machine(
        name=name, definition=pass_def("one"), roleArn=ROLE, type="EXPRESS", publish=True,
        versionDescription="first",
    )
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=pass_def("two"), publish=True)
    assert updated["stateMachineVersionArn"] == f"{arn}:2"
    assert updated["revisionId"]
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:2", f"{arn}:1"]
    v1 = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert v1["stateMachineArn"] == f"{arn}:1"
    assert json.loads(v1["definition"])["States"]["P"]["Result"] == "one"
    assert v1["description"] == "first"

    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    assert alias == f"{arn}:live"
    assert output(sfn, alias) == "one"
    assert output(sfn, f"{arn}:2") == "two"
    assert output(sfn, arn) == "two"
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 0},
            {"stateMachineVersionArn": f"{arn}:2", "weight": 100},
        ],
    )
    assert output(sfn, alias) == "two"
    d = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert [r["weight"] for r in d["routingConfiguration"]] == [0, 100]
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [alias]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    assert error_code(e) == "ConflictException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sfn.create_state_machine_alias(
            name="bad", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 60}]
        )
    assert error_code(e) == "ValidationException"
    assert e.value.response["Error"].get("Message")
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:1"]


def test_tags_and_settings_round_trip(sfn):
    name = unique("tags")
    group = f"arn:aws:logs:us-east-1:111111111111:log-group:/aws/vendedlogs/states/{name}:*"
    arn = sfn.create_state_machine(
        name=name, definition=pass_def(1), roleArn=ROLE, type="EXPRESS",
        tags=[{"key": "team", "value": "a"}],
        tracingConfiguration={"enabled": True},
        loggingConfiguration={
            "level": "ERROR", "includeExecutionData": True,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}],
        },
        encryptionConfiguration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/k",
                                 "kmsDataKeyReusePeriodSeconds": 300},
    )["stateMachineArn"]
    d = sfn.describe_state_machine(stateMachineArn=arn)
    assert d["tracingConfiguration"] == {"enabled": True}
    assert d["loggingConfiguration"]["level"] == "ERROR"
    assert d["loggingConfiguration"]["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"] == group
    assert d["encryptionConfiguration"]["kmsKeyId"] == "alias/k"
    assert "revisionId" not in d
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}, {"key": "team", "value": "b"}])
    tags = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == [{"key": "team", "value": "b"}, {"key": "env", "value": "dev"}]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sfn.list_tags_for_resource(resourceArn=f"{arn}:1")
    assert error_code(e) == "ResourceNotFound"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sfn.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    assert error_code(e) == "TooManyTags"


def test_delete_while_standard_executions_run(sfn):
    name = unique("del")
    wait = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})
    arn = sfn.create_state_machine(name=name, definition=wait, roleArn=ROLE, type="STANDARD")[
        "stateMachineArn"
    ]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert sfn.describe_state_machine(stateMachineArn=arn)["status"] == "DELETING"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sfn.start_execution(stateMachineArn=arn)
    assert error_code(e) == "StateMachineDeleting"
    sfn.stop_execution(executionArn=ex, error="E", cause="deleting")
    for _ in range(200):
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
        except botocore.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "StateMachineDoesNotExist"
            break
        time.sleep(0.02)
    else:
        pytest.fail("the machine was never removed after its last execution ended")
    assert sfn.describe_execution(executionArn=ex)["status"] == "ABORTED"
