"""AWS's Step Functions Local sample suite for mocked service integrations
(aws-samples/serverless-test-samples, python-test-samples/step-functions-local-mock), run
against `aslx serve` instead of the amazon/aws-stepfunctions-local container.

The state machine, MockConfigFile.json and the three tests are the sample's; only the
fixture differs: it starts `aslx serve` in a directory holding MockConfigFile.json (which it
picks up as Step Functions Local does when SFN_MOCK_CONFIG is unset) instead of the container.
The sample's retrier waits 2 + 4 + 8 s; `--wait-time-scale 0.1` (Step Functions Local's
WAIT_TIME_SCALE) shortens that.
"""

import os
import shutil
import subprocess
import tempfile
import time

import boto3
import pytest

HERE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "sfn_local_sample")


@pytest.fixture(scope="module")
def sfn_client():
    binary = os.environ.get("ASLX_BIN")
    if not binary:
        pytest.skip("ASLX_BIN not set")
    cwd = tempfile.mkdtemp()
    shutil.copy(os.path.join(HERE, "MockConfigFile.json"), cwd)
    env = {k: v for k, v in os.environ.items() if k != "SFN_MOCK_CONFIG"}
    proc = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0", "--in-memory", "--wait-time-scale", "0.1"],
                            stdout=subprocess.PIPE, text=True, cwd=cwd, env=env)
    endpoint = proc.stdout.readline().split("listening on ")[1].split(" ")[0]
    client = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    with open(os.path.join(HERE, "local_testing.asl.json")) as f:
        definition = f.read()
    client.create_state_machine(name="LambdaSQSIntegration", definition=definition,
                                roleArn="arn:aws:iam::123456789012:role/DummyRole")
    yield client
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(cwd, ignore_errors=True)


STATE_MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:LambdaSQSIntegration"


def wait_for_history(sfn_client, execution_arn):
    """The sample's loop: poll the history until the execution succeeded."""
    for _ in range(300):
        history = sfn_client.get_execution_history(executionArn=execution_arn)
        if any(e["type"] == "ExecutionSucceeded" for e in history["events"]):
            return history
        time.sleep(0.1)
    raise AssertionError(f"no ExecutionSucceeded in {history['events']}")


def test_happy_path(sfn_client):
    execution_arn = sfn_client.start_execution(stateMachineArn=STATE_MACHINE + "#HappyPath",
                                               name="happyPathExecution",
                                               input='{"data": "test input"}')["executionArn"]
    history = wait_for_history(sfn_client, execution_arn)
    exited = [e for e in history["events"] if e["type"] == "TaskStateExited"]
    assert [e["stateExitedEventDetails"]["name"] for e in exited] == ["LambdaState", "SQSState"]
    assert len([e for e in history["events"] if e["type"] == "TaskSucceeded"]) == 2


def test_retry_path(sfn_client):
    execution_arn = sfn_client.start_execution(stateMachineArn=STATE_MACHINE + "#RetryPath",
                                               name="retryPathExecution",
                                               input='{"data": "test input"}')["executionArn"]
    history = wait_for_history(sfn_client, execution_arn)
    exited = [e for e in history["events"] if e["type"] == "TaskStateExited"]
    assert [e["stateExitedEventDetails"]["name"] for e in exited] == ["LambdaState", "SQSState"]
    failed = [e["taskFailedEventDetails"]["error"] for e in history["events"] if e["type"] == "TaskFailed"]
    assert len(failed) == 3
    assert failed.count("Lambda.ResourceNotReadyException") == 1
    assert failed.count("Lambda.TimeoutException") == 2


def test_hybrid_path(sfn_client):
    execution_arn = sfn_client.start_execution(stateMachineArn=STATE_MACHINE + "#HybridPath",
                                               name="hybridPathExecution",
                                               input='{"data": "test input"}')["executionArn"]
    history = wait_for_history(sfn_client, execution_arn)
    assert any(e["type"] == "ExecutionSucceeded" for e in history["events"])
    exited = [e["stateExitedEventDetails"]["name"] for e in history["events"] if e["type"] == "TaskStateExited"]
    assert exited == ["LambdaState", "SQSState"]
