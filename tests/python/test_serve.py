"""boto3 and the AWS CLI against `aslx serve`, unmodified except for the endpoint.

Run with tests/python/run.sh, which starts the server and sets ASLX_ENDPOINT (and ASLX_BIN).
"""

import json
import os
import socket
import subprocess
import threading
import time
import uuid

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

ENDPOINT = os.environ.get("ASLX_ENDPOINT", "http://127.0.0.1:8083")
ROLE = "arn:aws:iam::111111111111:role/aslx"
CREDS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}


def client(endpoint=ENDPOINT, **config):
    return boto3.client("stepfunctions", endpoint_url=endpoint, config=Config(**config), **CREDS)


@pytest.fixture(scope="module")
def sfn():
    # StartSyncExecution and TestState carry the `sync-` host prefix; turn its injection off.
    return client(inject_host_prefix=False)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def pass_def(result):
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


def create(sfn, definition, kind="EXPRESS", name=None):
    name = name or unique("m")
    return sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE, type=kind)[
        "stateMachineArn"
    ]


def wait_done(sfn, execution_arn):
    for _ in range(500):
        d = sfn.describe_execution(executionArn=execution_arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.02)
    return d


def own_server(*args):
    """A server of our own, started with `args`: (process, endpoint); skips without ASLX_BIN."""
    binary = os.environ.get("ASLX_BIN")
    if not binary:
        pytest.skip("ASLX_BIN not set")
    proc = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0", "--in-memory", *args], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().split("listening on ")[1].split(" ")[0]


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_create_describe_list_delete(sfn):
    name = unique("crud")
    definition = pass_def({"v": 1})
    arn = create(sfn, definition, name=name)
    assert arn == f"arn:aws:states:us-east-1:111111111111:stateMachine:{name}"
    d = sfn.describe_state_machine(stateMachineArn=arn)
    assert d["definition"] == definition
    assert d["type"] == "EXPRESS"
    assert d["status"] == "ACTIVE"
    assert d["creationDate"].year >= 2024  # a datetime: botocore parsed the timestamp
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert name in names
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_def({"v": 2}))
    out = sfn.start_sync_execution(stateMachineArn=arn)
    assert json.loads(out["output"]) == {"v": 2}
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn)


def test_validate_and_invalid_definition(sfn):
    v = sfn.validate_state_machine_definition(definition="{}")
    assert v["result"] == "FAIL"
    assert v["diagnostics"][0]["code"] == "SCHEMA_VALIDATION_FAILED"
    assert v["diagnostics"][0]["location"] == "/"
    bad = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})
    v = sfn.validate_state_machine_definition(definition=bad)
    assert v["result"] == "FAIL"
    assert v["diagnostics"][0]["code"] == "MISSING_TRANSITION_TARGET"
    assert sfn.validate_state_machine_definition(definition=pass_def(1))["result"] == "OK"
    with pytest.raises(sfn.exceptions.InvalidDefinition) as e:
        create(sfn, bad)
    assert "MISSING_TRANSITION_TARGET" in str(e.value)


def test_start_sync_succeeded_and_failed(sfn):
    arn = create(sfn, pass_def({"hello": "world"}))
    out = sfn.start_sync_execution(stateMachineArn=arn, name="run1", input='{"a": 1}')
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["output"]) == {"hello": "world"}
    assert out["input"] == '{"a": 1}'
    assert ":express:" in out["executionArn"]
    assert out["billingDetails"]["billedMemoryUsedInMB"] == 64
    fail = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}})
    out = sfn.start_sync_execution(stateMachineArn=create(sfn, fail))
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "E", "c")


def test_start_sync_with_the_sdk_defaults(monkeypatch):
    """With default settings botocore sends StartSyncExecution to `sync-<host>`."""
    arn = create(client(inject_host_prefix=False), pass_def(1))
    with pytest.raises(botocore.exceptions.EndpointConnectionError) as e:
        client().start_sync_execution(stateMachineArn=arn)
    assert "sync-127.0.0.1" in str(e.value)
    # The environment switch that boto3 and the AWS CLI both read.
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    assert client().start_sync_execution(stateMachineArn=arn)["status"] == "SUCCEEDED"
    monkeypatch.delenv("AWS_DISABLE_HOST_PREFIX_INJECTION")
    # Where `*.localhost` resolves (systemd-resolved, nss-myhostname), http://localhost works as is.
    try:
        socket.getaddrinfo("sync-localhost", 80)
    except socket.gaierror:
        return
    port = ENDPOINT.rsplit(":", 1)[1]
    assert client(f"http://localhost:{port}").start_sync_execution(stateMachineArn=arn)["status"] == "SUCCEEDED"


def test_task_handlers_bound_on_the_command_line(sfn):
    task = lambda fn: json.dumps(  # noqa: E731
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": f"arn:aws:lambda:us-east-1:111111111111:function:{fn}", "End": True}}}
    )
    out = sfn.start_sync_execution(stateMachineArn=create(sfn, task("greet")))
    assert json.loads(out["output"]) == {"greeting": "hello"}
    out = sfn.start_sync_execution(stateMachineArn=create(sfn, task("fail")))
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Greeting.Failed", "no greeting today")


def test_start_async_express_and_aws_errors(sfn):
    arn = create(sfn, pass_def(1))
    r = sfn.start_execution(stateMachineArn=arn, name="async1")
    assert ":express:" in r["executionArn"]
    with pytest.raises(sfn.exceptions.InvalidArn) as e:
        sfn.describe_execution(executionArn=r["executionArn"])
    assert "Resource type not valid in this context: express" in str(e.value)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.get_execution_history(executionArn=r["executionArn"])
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.stop_execution(executionArn=r["executionArn"])
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.list_executions(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=arn + "-missing")
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sfn.list_state_machines(maxResults=1001)
    assert error_code(e) == "ValidationException"
    assert "Member must have value less than or equal to 1000" in str(e.value)
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.create_state_machine(name="bad name", definition=pass_def(1), roleArn=ROLE)


def test_standard_execution_describe_list_history(sfn):
    arn = create(sfn, pass_def({"ok": True}), kind="STANDARD")
    ex = sfn.start_execution(stateMachineArn=arn, name="e1", input="{}")["executionArn"]
    d = wait_done(sfn, ex)
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"ok": True}
    assert sfn.list_executions(stateMachineArn=arn)["executions"][0]["executionArn"] == ex
    events = sfn.get_execution_history(executionArn=ex)["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=arn, name="e1", input='{"other": 1}')


def test_pagination(sfn):
    prefix = unique("page")
    for i in range(5):
        create(sfn, pass_def(i), name=f"{prefix}-{i}")
    pages = sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 2})
    seen = []
    count = 0
    for page in pages:
        count += 1
        seen += [m["name"] for m in page["stateMachines"] if m["name"].startswith(prefix)]
    assert seen == [f"{prefix}-{i}" for i in range(5)]
    assert count >= 3
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.list_state_machines(nextToken="not-a-token")


def test_activity_worker(sfn):
    act = sfn.create_activity(name=unique("act"))["activityArn"]
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "End": True}}})
    arn = create(sfn, definition, kind="STANDARD")
    worker_client = client(inject_host_prefix=False, read_timeout=70)

    task_tokens = []

    def worker():
        task = worker_client.get_activity_task(activityArn=act, workerName="w1")
        task_tokens.append(task["taskToken"])
        payload = json.loads(task["input"])
        worker_client.send_task_heartbeat(taskToken=task["taskToken"])
        worker_client.send_task_success(taskToken=task["taskToken"], output=json.dumps({"doubled": payload["n"] * 2}))

    t = threading.Thread(target=worker)
    t.start()
    ex = sfn.start_execution(stateMachineArn=arn, input='{"n": 21}')["executionArn"]
    t.join(timeout=30)
    d = wait_done(sfn, ex)
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"doubled": 42}
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_success(taskToken="bogus", output="{}")
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=task_tokens[0], output="{}")
    assert sfn.describe_activity(activityArn=act)["activityArn"] == act
    sfn.delete_activity(activityArn=act)
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.describe_activity(activityArn=act)


def test_task_tokens_in_express_machines(sfn):
    """An EXPRESS machine on an activity (aslx serve's local opt-in; AWS allows callbacks only
    in STANDARD machines): a boto3 worker reads the task token and answers with
    send_task_success / send_task_failure; StartSyncExecution returns the worker's answer."""
    act = sfn.create_activity(name=unique("tok"))["activityArn"]
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "End": True}}})
    arn = create(sfn, definition)
    worker_client = client(inject_host_prefix=False, read_timeout=70)
    tokens = []

    def worker(answer):
        task = worker_client.get_activity_task(activityArn=act, workerName="w")
        tokens.append(task["taskToken"])
        answer(task)

    def succeed(task):
        n = json.loads(task["input"])["n"]
        worker_client.send_task_success(taskToken=task["taskToken"], output=json.dumps({"doubled": n * 2}))

    def fail(task):
        worker_client.send_task_failure(taskToken=task["taskToken"], error="Worker.Refused", cause="not today")

    t = threading.Thread(target=worker, args=(succeed,))
    t.start()
    out = sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 21}')
    t.join(timeout=30)
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["output"]) == {"doubled": 42}

    t = threading.Thread(target=worker, args=(fail,))
    t.start()
    out = sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 1}')
    t.join(timeout=30)
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Worker.Refused", "not today")

    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=tokens[0], output="{}")
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_failure(taskToken="not-a-token")
    with pytest.raises(sfn.exceptions.TaskDoesNotExist):
        sfn.send_task_heartbeat(taskToken="A" * 32)


def test_wait_for_task_token_in_express_machines(sfn):
    """A `.waitForTaskToken` Task in an EXPRESS machine is accepted and waits for its token:
    nobody sends it here, so the Task times out."""
    definition = json.dumps({"StartAt": "Cb", "States": {"Cb": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "greet", "Payload": {"token.$": "$$.Task.Token"}},
        "TimeoutSeconds": 1, "End": True}}})
    arn = create(sfn, definition)
    out = sfn.start_sync_execution(stateMachineArn=arn)
    assert (out["status"], out["error"]) == ("FAILED", "States.Timeout")


def test_throttling_past_max_in_flight():
    """A server started with --max-in-flight 1 refuses a second execution while one runs."""
    proc, endpoint = own_server("--max-in-flight", "1")
    try:
        # No retries: botocore would otherwise retry ThrottlingException.
        c = client(endpoint, inject_host_prefix=False, retries={"total_max_attempts": 1})
        wait = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
        arn = create(c, wait)
        c.start_execution(stateMachineArn=arn)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.start_execution(stateMachineArn=arn)
        assert error_code(e) == "ThrottlingException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.start_sync_execution(stateMachineArn=create(c, pass_def(1)))
        assert error_code(e) == "ThrottlingException"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_mock_config_test_cases(sfn):
    definition = json.dumps(
        {
            "StartAt": "LambdaState",
            "States": {
                "LambdaState": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "HelloFunction", "Payload.$": "$"},
                    "ResultSelector": {"body.$": "$.Payload.body"},
                    "Next": "SQSState",
                },
                "SQSState": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q", "MessageBody.$": "$.body"},
                    "ResultPath": "$.sqs",
                    "End": True,
                },
            },
        }
    )
    try:
        arn = create(sfn, definition, name="LambdaSQSIntegration")
    except sfn.exceptions.StateMachineAlreadyExists:
        arn = "arn:aws:states:us-east-1:111111111111:stateMachine:LambdaSQSIntegration"
    out = sfn.start_sync_execution(stateMachineArn=arn + "#HappyPath")
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["output"]) == {"body": "Hello from Lambda!", "sqs": {"MD5OfMessageBody": "3bcb6e8e", "MessageId": "3bcb6e8e-8b51"}}
    out = sfn.start_sync_execution(stateMachineArn=arn + "#FailPath")
    assert (out["status"], out["error"]) == ("FAILED", "Lambda.ResourceNotReadyException")


def test_tags(sfn):
    arn = create(sfn, pass_def(1))
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "core"}])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "core"}]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == []


def aws_cli(*args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_DISABLE_HOST_PREFIX_INJECTION="true", AWS_PAGER="")
    cli = os.path.join(os.path.dirname(os.path.realpath(os.sys.executable)), "aws")
    if not os.path.exists(cli):
        cli = "aws"
    r = subprocess.run([cli, "--endpoint-url", ENDPOINT, "--output", "json", *args],
                       capture_output=True, text=True, env=env, timeout=60)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


def test_express_records_in_cloudwatch_logs_with_boto3_and_the_cli(sfn):
    """An async EXPRESS execution of a machine with loggingConfiguration: its records are read
    back with the CloudWatch Logs API (boto3's logs client, then the AWS CLI)."""
    name = unique("logged")
    group = f"/aws/vendedlogs/states/{name}-Logs"
    arn = sfn.create_state_machine(
        name=name, definition=pass_def({"logged": True}), roleArn=ROLE, type="EXPRESS",
        loggingConfiguration={"level": "ALL", "includeExecutionData": True, "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:us-east-1:111111111111:log-group:{group}:*"}}]},
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"a": 1}')["executionArn"]
    logs = boto3.client("logs", endpoint_url=ENDPOINT, **CREDS)
    records = []
    for _ in range(200):
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        records = [json.loads(e["message"]) for e in events]
        if any(r["type"] == "ExecutionSucceeded" for r in records):
            break
        time.sleep(0.02)
    assert [r["type"] for r in records] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                            "ExecutionSucceeded"]
    assert {r["execution_arn"] for r in records} == {execution}
    assert json.loads(records[-1]["details"]["output"]) == {"logged": True}
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group]
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    assert stream.startswith(f"states/{name}/")
    code, out, err = aws_cli("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream,
                             "--start-from-head")
    assert code == 0, err
    assert len(out["events"]) == 4
    code, out, err = aws_cli("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern",
                             "ExecutionSucceeded")
    assert code == 0, err
    assert len(out["events"]) == 1
    with pytest.raises(botocore.exceptions.ClientError) as e:
        logs.filter_log_events(logGroupName="/no/such/group")
    assert error_code(e) == "ResourceNotFoundException"


# AWS CLI v2 (`aws logs tail` is v2 only); run.sh installs Debian's package and exports this.
AWS_CLI_V2 = os.environ.get("ASLX_AWS_CLI_V2", "/usr/bin/aws")
CLI_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_PAGER": ""}


def logged_machine(sfn, group):
    """An EXPRESS Pass machine (output = input) logging ALL, with data, to `group`."""
    return sfn.create_state_machine(
        name=unique("tail"), roleArn=ROLE, type="EXPRESS",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        loggingConfiguration={"level": "ALL", "includeExecutionData": True, "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:us-east-1:111111111111:log-group:{group}:*"}}]},
    )["stateMachineArn"]


def lines_of(stream, into):
    """Reads `stream` line by line into the list `into` (a reader thread)."""
    for line in iter(stream.readline, ""):
        into.append(line)


def test_aws_logs_tail_follow_prints_express_executions_as_they_run(sfn):
    """`aws logs tail GROUP --follow` (AWS CLI v2), started before the machine's first execution,
    prints the records of async EXPRESS executions started while it follows: ExecutionStarted
    to ExecutionSucceeded of each, with each execution's own input."""
    group = "/aws/vendedlogs/states/TailMe"
    arn = logged_machine(sfn, group)
    # --debug: stderr shows the tail's FilterLogEvents answers, so the executions start only
    # once it has polled the (still empty) group; their records come from later polls.
    tail = subprocess.Popen(
        [AWS_CLI_V2, "logs", "tail", group, "--follow", "--format", "short", "--color", "off", "--debug",
         "--endpoint-url", ENDPOINT],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", **CLI_ENV))
    out, err = [], []
    readers = [threading.Thread(target=lines_of, args=(tail.stdout, out), daemon=True),
               threading.Thread(target=lines_of, args=(tail.stderr, err), daemon=True)]
    for r in readers:
        r.start()
    try:
        deadline = time.monotonic() + 30
        while not any("Response headers" in line for line in err):
            assert tail.poll() is None, "".join(err[-20:])
            assert time.monotonic() < deadline, "aws logs tail made no request in 30 s"
            time.sleep(0.05)
        assert out == [], "the group has no records yet"
        inputs = {}
        for i in range(3):
            data = {"tail": i, "token": uuid.uuid4().hex}
            execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(data))["executionArn"]
            inputs[execution] = data

        def records():
            # Short format: "<timestamp> <message>".
            return [json.loads(line.split(" ", 1)[1]) for line in list(out)]

        deadline = time.monotonic() + 30
        while sum(r["type"] == "ExecutionSucceeded" for r in records()) < len(inputs):
            assert tail.poll() is None, "".join(err[-20:])
            assert time.monotonic() < deadline, f"records printed in 30 s: {out}"
            time.sleep(0.1)
        assert tail.poll() is None, "--follow keeps following"
        for execution, data in inputs.items():
            mine = [r for r in records() if r["execution_arn"] == execution]
            assert [r["type"] for r in mine] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                                 "ExecutionSucceeded"]
            assert json.loads(mine[0]["details"]["input"]) == data
            assert json.loads(mine[-1]["details"]["output"]) == data
        assert {r["execution_arn"] for r in records()} == set(inputs)
    finally:
        tail.kill()
        tail.wait(timeout=30)


def test_aws_logs_tail_bad_groups_get_cloudwatch_logs_errors():
    """`aws logs tail` on a name that is not a log group name, or on a group nobody made: the
    CLI reports CloudWatch Logs' own errors."""
    def tail(group):
        r = subprocess.run([AWS_CLI_V2, "logs", "tail", group, "--endpoint-url", ENDPOINT], capture_output=True,
                           text=True, env=dict(os.environ, **CLI_ENV), timeout=60)
        return r.returncode, r.stderr

    code, err = tail("not a group")
    assert code != 0
    assert ("An error occurred (InvalidParameterException) when calling the FilterLogEvents operation: 1 validation "
            "error detected: Value 'not a group' at 'logGroupName' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: [\\.\\-_/#A-Za-z0-9]+") in err
    code, err = tail("/aws/vendedlogs/states/nobody-" + uuid.uuid4().hex)
    assert code != 0
    assert ("An error occurred (ResourceNotFoundException) when calling the FilterLogEvents operation: The specified "
            "log group does not exist.") in err


def aws(*args, input_json=None):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_DISABLE_HOST_PREFIX_INJECTION="true", AWS_PAGER="")
    cli = os.path.join(os.path.dirname(os.path.realpath(os.sys.executable)), "aws")
    if not os.path.exists(cli):
        cli = "aws"
    r = subprocess.run([cli, "--endpoint-url", ENDPOINT, "--output", "json", "stepfunctions", *args],
                       capture_output=True, text=True, env=env, timeout=60)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


def test_aws_cli_main_flow():
    name = unique("cli")
    code, out, err = aws("validate-state-machine-definition", "--definition", pass_def({"cli": True}))
    assert code == 0, err
    assert out["result"] == "OK"
    code, out, err = aws("create-state-machine", "--name", name, "--definition", pass_def({"cli": True}),
                         "--role-arn", ROLE, "--type", "EXPRESS")
    assert code == 0, err
    arn = out["stateMachineArn"]
    code, out, err = aws("describe-state-machine", "--state-machine-arn", arn)
    assert code == 0 and out["type"] == "EXPRESS", err
    code, out, err = aws("start-sync-execution", "--state-machine-arn", arn, "--input", '{"x": 1}')
    assert code == 0, err
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"cli": True}
    code, out, err = aws("start-execution", "--state-machine-arn", arn)
    assert code == 0 and ":express:" in out["executionArn"], err
    code, out, err = aws("list-state-machines")
    assert code == 0 and arn in [m["stateMachineArn"] for m in out["stateMachines"]], err
    code, _, err = aws("describe-state-machine", "--state-machine-arn", arn + "-missing")
    assert code != 0 and "StateMachineDoesNotExist" in err
    code, _, err = aws("delete-state-machine", "--state-machine-arn", arn)
    assert code == 0, err


def test_sigv4_signatures_from_botocore():
    """A server started with --auth accepts botocore's signatures for its key pair and region only."""
    proc, endpoint = own_server("--auth", "AKIDAUTH:s3cret", "--region", "eu-west-1")
    try:
        good = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="eu-west-1",
                            aws_access_key_id="AKIDAUTH", aws_secret_access_key="s3cret",
                            config=Config(inject_host_prefix=False))
        assert good.list_state_machines()["stateMachines"] == []
        arn = good.create_state_machine(name="signed", definition=pass_def(1), roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
        assert good.start_sync_execution(stateMachineArn=arn, input='{"k": "v"}')["status"] == "SUCCEEDED"
        bad = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="eu-west-1",
                           aws_access_key_id="AKIDAUTH", aws_secret_access_key="wrong")
        with pytest.raises(botocore.exceptions.ClientError) as e:
            bad.list_state_machines()
        assert error_code(e) == "InvalidSignatureException"
        elsewhere = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                                 aws_access_key_id="AKIDAUTH", aws_secret_access_key="s3cret")
        with pytest.raises(botocore.exceptions.ClientError) as e:
            elsewhere.list_state_machines()
        assert error_code(e) == "InvalidSignatureException"
        assert "Credential should be scoped to a valid region, not 'us-east-1'." in str(e.value)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
