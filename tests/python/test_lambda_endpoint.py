"""Lambda functions at an endpoint through `aslx serve --lambda-endpoint` (run.sh starts
tests/servers/lambda_server.py, a Lambda Invoke endpoint on loopback, and passes its URL):
the AWS SDK user's path of Step Functions Local's LAMBDA_ENDPOINT."""

import json
import os
import urllib.request

import pytest

from test_serve import client, create, unique, wait_done

LAMBDA = os.environ.get("ASLX_LAMBDA_ENDPOINT")
ARN = "arn:aws:lambda:us-east-1:111111111111:function"


@pytest.fixture(scope="module")
def sfn():
    return client(inject_host_prefix=False)


@pytest.fixture(scope="module", autouse=True)
def functions():
    assert LAMBDA, "run.sh sets ASLX_LAMBDA_ENDPOINT"
    table = {"shout": 'return:{"loud": true}', "boom": "raise:BoomError:kaboom", "greet": "identity"}
    req = urllib.request.Request(f"{LAMBDA}/_test/functions", data=json.dumps(table).encode(), method="PUT")
    urllib.request.urlopen(req).read()


def calls():
    return json.loads(urllib.request.urlopen(f"{LAMBDA}/_test/calls").read())


def test_lambda_invoke_reaches_the_endpoint_and_returns_its_invoke_response(sfn):
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "shout", "Payload.$": "$"},
                "End": True,
            }
        },
    }
    arn = create(sfn, json.dumps(definition))
    out = sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"word": "hi"}))
    assert out["status"] == "SUCCEEDED", out
    result = json.loads(out["output"])
    assert result["Payload"] == {"loud": True}
    assert result["StatusCode"] == 200
    assert result["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert any(c["function"] == "shout" and json.loads(c["body"]) == {"word": "hi"} for c in calls())


def test_a_function_error_fails_the_task_with_its_error_type_in_the_history(sfn):
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": f"{ARN}:boom", "End": True}}}
    arn = create(sfn, json.dumps(definition), kind="STANDARD")
    started = sfn.start_execution(stateMachineArn=arn, name=unique("boom"), input="{}")
    done = wait_done(sfn, started["executionArn"])
    assert done["status"] == "FAILED"
    assert done["error"] == "BoomError"
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    failed = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert failed and failed[0]["lambdaFunctionFailedEventDetails"]["error"] == "BoomError"
    assert json.loads(failed[0]["lambdaFunctionFailedEventDetails"]["cause"])["errorMessage"] == "kaboom"


def test_a_handler_given_to_the_server_wins_over_the_endpoint(sfn):
    # run.sh binds `greet` with --handler 'greet=return:{"greeting":"hello"}'.
    before = len([c for c in calls() if c["function"] == "greet"])
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": f"{ARN}:greet", "End": True}}}
    arn = create(sfn, json.dumps(definition))
    out = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert json.loads(out["output"]) == {"greeting": "hello"}
    assert len([c for c in calls() if c["function"] == "greet"]) == before
