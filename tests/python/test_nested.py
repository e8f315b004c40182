"""Nested executions (`arn:aws:states:::states:startExecution`) with boto3 against `aslx serve`
(run by run.sh): a STANDARD parent starts a child machine of the same server."""

import json
import time

import pytest

from test_serve import client, create, unique, wait_done


@pytest.fixture(scope="module")
def sfn():
    return client(inject_host_prefix=False)


DOUBLE = json.dumps(
    {
        "StartAt": "D",
        "States": {"D": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": True}},
    }
)


def parent(child_arn, resource, name):
    return json.dumps(
        {
            "StartAt": "Nest",
            "States": {
                "Nest": {
                    "Type": "Task",
                    "Resource": resource,
                    "Parameters": {
                        "StateMachineArn": child_arn,
                        "Name": name,
                        "Input": {"n.$": "$.n", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
                    },
                    "End": True,
                }
            },
        }
    )


def test_sync_2_runs_the_child_and_returns_its_parsed_output(sfn):
    child = create(sfn, DOUBLE, kind="STANDARD")
    kid = unique("kid")
    arn = create(sfn, parent(child, "arn:aws:states:::states:startExecution.sync:2", kid), kind="STANDARD")
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": 21}))
    done = wait_done(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    out = json.loads(done["output"])
    assert out["Output"] == {"n": 42}
    assert out["Status"] == "SUCCEEDED"
    assert out["Name"] == kid
    assert isinstance(out["StartDate"], int) and isinstance(out["StopDate"], int)
    # The child is an ordinary execution, linked to its parent through its input.
    listed = sfn.list_executions(stateMachineArn=child)["executions"]
    assert [e["name"] for e in listed] == [kid]
    child_input = json.loads(sfn.describe_execution(executionArn=out["ExecutionArn"])["input"])
    assert child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == started["executionArn"]
    types = [e["type"] for e in sfn.get_execution_history(executionArn=started["executionArn"])["events"]]
    assert ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"] == [
        t for t in types if t.startswith("Task") and not t.startswith("TaskState")
    ]


def test_stopping_the_parent_aborts_the_sync_child(sfn):
    nap = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})
    child = create(sfn, nap, kind="STANDARD")
    kid = unique("kid")
    arn = create(sfn, parent(child, "arn:aws:states:::states:startExecution.sync", kid), kind="STANDARD")
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": 1}))
    kid_arn = child.replace(":stateMachine:", ":execution:") + ":" + kid
    for _ in range(200):
        if sfn.list_executions(stateMachineArn=child)["executions"]:
            break
        time.sleep(0.01)
    sfn.stop_execution(executionArn=started["executionArn"], error="Halt", cause="by the test")
    assert wait_done(sfn, kid_arn)["status"] == "ABORTED"


def test_an_unknown_child_machine_fails_the_task_as_aws_names_it(sfn):
    missing = "arn:aws:states:us-east-1:111111111111:stateMachine:" + unique("nobody")
    arn = create(sfn, parent(missing, "arn:aws:states:::states:startExecution", "x"), kind="STANDARD")
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": 1}))
    done = wait_done(sfn, started["executionArn"])
    assert done["status"] == "FAILED"
    assert done["error"] == "StepFunctions.StateMachineDoesNotExistException"
    assert done["cause"].startswith(f"State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions;")
