"""boto3's `events` client and the AWS CLI against `aslx serve`'s EventBridge API (issue 15):
rules and targets wire events to state machines, PutEvents starts them with the input each
target asks for, and every answer has the shape AWS's API reference gives it.

Run with tests/python/run.sh, which starts the server and sets ASLX_ENDPOINT. The server is
shared with the other files, so every test uses its own event source and rule names.
"""

import json
import os
import re
import subprocess
import time
import uuid

import boto3
import botocore.exceptions
import pytest

ENDPOINT = os.environ.get("ASLX_ENDPOINT", "http://127.0.0.1:8083")
ROLE = "arn:aws:iam::111111111111:role/aslx"
CREDS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
ACCOUNT = "111111111111"
# The executions a PutEvents starts are registered before it answers; this bounds the wait
# anyway, so a slow machine does not make the tests flaky.
WAIT_SECONDS = 10


@pytest.fixture(scope="module")
def events():
    return boto3.client("events", endpoint_url=ENDPOINT, **CREDS)


@pytest.fixture(scope="module")
def sfn():
    return boto3.client("stepfunctions", endpoint_url=ENDPOINT, **CREDS)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def fields(response):
    """The members of an answer, without botocore's ResponseMetadata."""
    return set(response) - {"ResponseMetadata"}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo):
    return excinfo.value.response["Error"]["Message"]


def echo_machine(sfn):
    """A STANDARD machine whose executions can be listed and whose input DescribeExecution shows."""
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    return sfn.create_state_machine(name=unique("eb"), definition=definition, roleArn=ROLE, type="STANDARD")[
        "stateMachineArn"
    ]


def inputs(sfn, machine, count):
    """The inputs of `machine`'s executions once there are `count` of them, in no set order."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        listed = sfn.list_executions(stateMachineArn=machine)["executions"]
        if len(listed) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(listed) == count, f"expected {count} executions, found {len(listed)}"
    return [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in listed]


def unordered(values):
    """`values` as a sorted list of JSON texts, to compare inputs whatever their order."""
    return sorted(json.dumps(v, sort_keys=True) for v in values)


def rule_to(events, machine, source, bus=None, **target):
    """A rule for `source`'s events (on `bus`) with one target: `machine` with `target`'s settings."""
    name = unique("rule")
    on_bus = {"EventBusName": bus} if bus else {}
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}), **on_bus)
    out = events.put_targets(Rule=name, Targets=[{"Id": "sm", "Arn": machine, **target}], **on_bus)
    assert (out["FailedEntryCount"], out["FailedEntries"]) == (0, [])
    return name


def put(events, source, detail, **entry):
    """One event; its EventId."""
    out = events.put_events(Entries=[{"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail), **entry}])
    assert fields(out) == {"FailedEntryCount", "Entries"}
    assert out["FailedEntryCount"] == 0, out
    (e,) = out["Entries"]
    assert set(e) == {"EventId"}
    return e["EventId"]


def test_a_target_without_input_settings_is_started_with_the_whole_event(events, sfn):
    machine, source = echo_machine(sfn), unique("shop")
    rule_to(events, machine, source)
    event_id = put(events, source, {"order": 7, "items": ["a", "b"]}, Resources=["arn:aws:x:::r"], Time=1_700_000_000)
    (got,) = inputs(sfn, machine, 1)
    assert got == {
        "version": "0",
        "id": event_id,
        "detail-type": "Order Placed",
        "source": source,
        "account": ACCOUNT,
        "time": "2023-11-14T22:13:20Z",
        "region": "us-east-1",
        "resources": ["arn:aws:x:::r"],
        "detail": {"order": 7, "items": ["a", "b"]},
    }
    # Without Time, the event's time is now.
    second_id = put(events, source, {"order": 8})
    (second,) = [i for i in inputs(sfn, machine, 2) if i["id"] == second_id]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", second["time"])
    assert abs(time.mktime(time.strptime(second["time"], "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(time.gmtime())) < 120


def test_input_path_starts_the_target_with_the_part_it_selects(events, sfn):
    machine, source = echo_machine(sfn), unique("shop")
    rule_to(events, machine, source, InputPath="$.detail.order")
    put(events, source, {"order": {"id": 7, "total": 120.5}})
    assert inputs(sfn, machine, 1) == [{"id": 7, "total": 120.5}]


def test_input_transformer_fills_strings_inside_and_outside_quotes(events, sfn):
    machine, source = echo_machine(sfn), unique("shop")
    template = (
        '{"greeting": "hello <name>, order <n>", "name": <name>, "n": <n>, "items": <items>,'
        ' "vip": <vip>, "rule": <aws.events.rule-name>, "arn": <aws.events.rule-arn>,'
        ' "at": <aws.events.event.ingestion-time>, "event": <aws.events.event.json>}'
    )
    rule = rule_to(
        events,
        machine,
        source,
        InputTransformer={
            "InputPathsMap": {"name": "$.detail.customer.name", "n": "$.detail.order", "items": "$.detail.items",
                              "vip": "$.detail.vip"},
            "InputTemplate": template,
        },
    )
    detail = {"customer": {"name": "Ann"}, "order": 7, "items": [1, 2], "vip": False}
    event_id = put(events, source, detail)
    (got,) = inputs(sfn, machine, 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", got.pop("at"))
    event = got.pop("event")
    assert (event["id"], event["source"], event["detail"]) == (event_id, source, detail)
    assert got == {"greeting": "hello Ann, order 7", "name": "Ann", "n": 7, "items": [1, 2], "vip": False,
                   "rule": rule, "arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{rule}"}
    (target,) = events.list_targets_by_rule(Rule=rule)["Targets"]
    assert target["InputTransformer"]["InputTemplate"] == template


def test_input_transformer_text_template_and_constant_input(events, sfn):
    text_machine, const_machine, source = echo_machine(sfn), echo_machine(sfn), unique("shop")
    rule = rule_to(
        events,
        text_machine,
        source,
        InputTransformer={"InputPathsMap": {"name": "$.detail.name"}, "InputTemplate": "<name> placed an order"},
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "const", "Arn": const_machine, "Input": '{"fixed": [1, 2]}'}])
    put(events, source, {"name": "Ann"})
    # Text that is not JSON once filled is the input as a JSON string.
    assert inputs(sfn, text_machine, 1) == ["Ann placed an order"]
    assert inputs(sfn, const_machine, 1) == [{"fixed": [1, 2]}]


def test_an_event_that_matches_no_rule_starts_nothing(events, sfn):
    machine, source = echo_machine(sfn), unique("shop")
    name = unique("rule")
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source], "detail": {"total": [{"numeric": [">", 100]}]}}))
    events.put_targets(Rule=name, Targets=[{"Id": "sm", "Arn": machine}])
    put(events, source, {"total": 50})
    put(events, unique("other"), {"total": 500})
    put(events, source, {"total": 500})
    # Each PutEvents starts its targets before it answers: only the last event is there.
    assert [i["detail"] for i in inputs(sfn, machine, 1)] == [{"total": 500}]


def test_disable_rule_stops_starts_and_enable_rule_resumes_them(events, sfn):
    machine, source = echo_machine(sfn), unique("shop")
    rule = rule_to(events, machine, source)
    assert events.disable_rule(Name=rule)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert events.describe_rule(Name=rule)["State"] == "DISABLED"
    put(events, source, {"n": 1})
    assert events.enable_rule(Name=rule)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert events.describe_rule(Name=rule)["State"] == "ENABLED"
    put(events, source, {"n": 2})
    assert [i["detail"] for i in inputs(sfn, machine, 1)] == [{"n": 2}]
    # A rule put DISABLED matches nothing either; putting it again keeps its targets.
    pattern = events.describe_rule(Name=rule)["EventPattern"]
    events.put_rule(Name=rule, EventPattern=pattern, State="DISABLED")
    put(events, source, {"n": 3})
    events.put_rule(Name=rule, EventPattern=pattern)
    put(events, source, {"n": 4})
    assert unordered(i["detail"] for i in inputs(sfn, machine, 2)) == unordered([{"n": 2}, {"n": 4}])
    with pytest.raises(events.exceptions.ResourceNotFoundException) as e:
        events.enable_rule(Name=unique("missing"))
    assert re.fullmatch(r"Rule missing-\w+ does not exist on EventBus default\.", error_message(e))


def test_rules_and_targets_are_described_listed_and_removed_with_aws_shapes(events, sfn):
    machine = echo_machine(sfn)
    prefix = unique("crud")
    pattern = json.dumps({"source": [prefix]})
    put_rule = events.put_rule(Name=f"{prefix}-a", EventPattern=pattern, Description="first")
    assert fields(put_rule) == {"RuleArn"}
    assert put_rule["RuleArn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{prefix}-a"
    events.put_rule(Name=f"{prefix}-b", EventPattern=pattern, RoleArn=ROLE)
    events.put_rule(Name=f"{prefix}-c", ScheduleExpression="rate(5 minutes)", State="DISABLED")

    d = events.describe_rule(Name=f"{prefix}-a")
    assert fields(d) == {"Name", "Arn", "EventPattern", "State", "Description", "EventBusName", "CreatedBy"}
    assert (d["Name"], d["Arn"], d["EventPattern"], d["State"], d["Description"], d["EventBusName"], d["CreatedBy"]) == (
        f"{prefix}-a", put_rule["RuleArn"], pattern, "ENABLED", "first", "default", ACCOUNT)
    d = events.describe_rule(Name=f"{prefix}-c")
    assert fields(d) == {"Name", "Arn", "ScheduleExpression", "State", "EventBusName", "CreatedBy"}
    assert (d["ScheduleExpression"], d["State"]) == ("rate(5 minutes)", "DISABLED")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name=f"{prefix}-z")

    listed = events.list_rules(NamePrefix=prefix)
    assert fields(listed) == {"Rules"}
    assert [r["Name"] for r in listed["Rules"]] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert set(listed["Rules"][1]) == {"Name", "Arn", "EventPattern", "State", "RoleArn", "EventBusName"}
    page = events.list_rules(NamePrefix=prefix, Limit=2)
    assert [r["Name"] for r in page["Rules"]] == [f"{prefix}-a", f"{prefix}-b"]
    rest = events.list_rules(NamePrefix=prefix, Limit=2, NextToken=page["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == [f"{prefix}-c"] and "NextToken" not in rest

    targets = [
        {"Id": "plain", "Arn": machine},
        {"Id": "path", "Arn": machine, "InputPath": "$.detail"},
        {"Id": "retry", "Arn": machine, "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}},
    ]
    out = events.put_targets(Rule=f"{prefix}-a", Targets=targets)
    assert fields(out) == {"FailedEntryCount", "FailedEntries"}
    assert (out["FailedEntryCount"], out["FailedEntries"]) == (0, [])
    listed = events.list_targets_by_rule(Rule=f"{prefix}-a")
    assert fields(listed) == {"Targets"}
    # Each target with the members it was put with, nothing more; by Id, in pages.
    assert listed["Targets"] == sorted(targets, key=lambda t: t["Id"])
    page = events.list_targets_by_rule(Rule=f"{prefix}-a", Limit=2)
    assert [t["Id"] for t in page["Targets"]] == ["path", "plain"]
    rest = events.list_targets_by_rule(Rule=f"{prefix}-a", Limit=2, NextToken=page["NextToken"])
    assert [t["Id"] for t in rest["Targets"]] == ["retry"] and "NextToken" not in rest

    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.delete_rule(Name=f"{prefix}-a")
    assert (error_code(e), error_message(e)) == ("ValidationException", "Rule can't be deleted since it has targets.")
    removed = events.remove_targets(Rule=f"{prefix}-a", Ids=["path", "retry"])
    assert fields(removed) == {"FailedEntryCount", "FailedEntries"}
    assert (removed["FailedEntryCount"], removed["FailedEntries"]) == (0, [])
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=f"{prefix}-a")["Targets"]] == ["plain"]
    with pytest.raises(botocore.exceptions.ClientError):
        events.delete_rule(Name=f"{prefix}-a")
    assert fields(events.delete_rule(Name=f"{prefix}-a", Force=True)) == set()
    assert fields(events.delete_rule(Name=f"{prefix}-b")) == set()
    # Deleting a rule that is not there succeeds, as on AWS.
    events.delete_rule(Name=f"{prefix}-b")
    assert [r["Name"] for r in events.list_rules(NamePrefix=prefix)["Rules"]] == [f"{prefix}-c"]
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.list_targets_by_rule(Rule=f"{prefix}-a")


def test_put_targets_refusals(events, sfn):
    machine = echo_machine(sfn)
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [rule]}))
    with pytest.raises(events.exceptions.ResourceNotFoundException) as e:
        events.put_targets(Rule=unique("missing"), Targets=[{"Id": "a", "Arn": machine}])
    # A bad input setting refuses the whole request (AWS: HTTP 400), naming the target.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_targets(Rule=rule, Targets=[
            {"Id": "good", "Arn": machine},
            {"Id": "bad", "Arn": machine, "InputTransformer": {"InputPathsMap": {"a": "$.a"}, "InputTemplate": "<b>"}},
        ])
    assert (error_code(e), error_message(e)) == (
        "ValidationException", "InputTemplate for target bad contains invalid placeholder b.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_targets(Rule=rule, Targets=[{"Id": "bad", "Arn": machine, "InputPath": "detail"}])
    assert (error_code(e), error_message(e)) == ("ValidationException", "InputPath for target bad is invalid.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_targets(Rule=rule, Targets=[{"Id": "bad", "Arn": machine, "Input": "{not json"}])
    assert error_code(e) == "ValidationException"
    assert error_message(e).startswith("JSON syntax error in input for target bad")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_targets(Rule=rule, Targets=[{"Id": "bad", "Arn": machine, "Input": "{}", "InputPath": "$"}])
    assert error_code(e) == "ValidationException"
    # Nothing of a refused request was put.
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []
    # A target that is not a state machine of this server fails alone.
    out = events.put_targets(Rule=rule, Targets=[
        {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:111111111111:function:f"}, {"Id": "sm", "Arn": machine}])
    assert out["FailedEntryCount"] == 1
    (failed,) = out["FailedEntries"]
    assert set(failed) == {"TargetId", "ErrorCode", "ErrorMessage"} and failed["TargetId"] == "fn"
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=rule)["Targets"]] == ["sm"]
    with pytest.raises(events.exceptions.LimitExceededException):
        events.put_targets(Rule=rule, Targets=[{"Id": f"t{i}", "Arn": machine} for i in range(5)])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_targets(Rule=rule, Targets=[{"Id": "bad id", "Arn": machine}])
    assert error_code(e) == "ValidationException"


def test_put_rule_refusals(events):
    with pytest.raises(events.exceptions.InvalidEventPatternException) as e:
        events.put_rule(Name=unique("rule"), EventPattern='{"source": "not-a-list"}')
    assert error_message(e) == 'Event pattern is not valid. Reason: "source" must be an object or an array'
    with pytest.raises(events.exceptions.InvalidEventPatternException):
        events.put_rule(Name=unique("rule"), EventPattern="{not json")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_rule(Name=unique("rule"))
    assert (error_code(e), error_message(e)) == (
        "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_rule(Name="bad name", EventPattern='{"source": ["x"]}')
    assert error_code(e) == "ValidationException"
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.put_rule(Name=unique("rule"), EventPattern='{"source": ["x"]}', EventBusName=unique("nobus"))


def test_schedule_expressions_accepted_and_refused(events):
    name = unique("cron")
    assert events.put_rule(Name=name, ScheduleExpression="cron(0 12 * * ? *)", State="DISABLED")["RuleArn"].endswith(name)
    assert events.describe_rule(Name=name)["ScheduleExpression"] == "cron(0 12 * * ? *)"
    events.delete_rule(Name=name)
    for never in ["cron(0 0 30 2 ? *)", "rate(1 minutes)", "rate(0 minutes)", "cron(0 12 * * *)", "every(5 minutes)"]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            events.put_rule(Name=unique("cron"), ScheduleExpression=never)
        assert (error_code(e), error_message(e)) == ("ValidationException", "Parameter ScheduleExpression is not valid."), never
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_rule(Name=unique("cron"), ScheduleExpression="rate(5 minutes)", EventBusName=bus)
    assert error_code(e) == "ValidationException"
    events.delete_event_bus(Name=bus)


def test_test_event_pattern_true_false_and_invalid(events):
    event = json.dumps({"id": "1", "account": ACCOUNT, "source": "shop", "time": "2024-01-01T00:00:00Z",
                        "region": "us-east-1", "resources": [], "detail-type": "Order Placed",
                        "detail": {"total": 150, "state": "WA"}})
    yes = events.test_event_pattern(EventPattern=json.dumps({"detail": {"total": [{"numeric": [">", 100]}]}}), Event=event)
    assert fields(yes) == {"Result"} and yes["Result"] is True
    no = events.test_event_pattern(EventPattern=json.dumps({"detail": {"state": [{"prefix": "O"}]}}), Event=event)
    assert no["Result"] is False
    with pytest.raises(events.exceptions.InvalidEventPatternException) as e:
        events.test_event_pattern(EventPattern=json.dumps({"detail": {"total": [{"numeric": [">"]}]}}), Event=event)
    assert error_message(e).startswith("Event pattern is not valid. Reason: ")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.test_event_pattern(EventPattern='{"source": ["shop"]}', Event="[1]")
    assert error_code(e) == "ValidationException"


def test_a_custom_bus_has_its_own_rules(events, sfn):
    machine, source, bus = echo_machine(sfn), unique("shop"), unique("bus")
    created = events.create_event_bus(Name=bus)
    assert fields(created) == {"EventBusArn"}
    bus_arn = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{bus}"
    assert created["EventBusArn"] == bus_arn
    with pytest.raises(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=bus)
    d = events.describe_event_bus(Name=bus)
    assert (d["Name"], d["Arn"]) == (bus, bus_arn)
    assert {"Name": bus, "Arn": bus_arn}.items() <= next(
        b for b in events.list_event_buses(NamePrefix=bus)["EventBuses"] if b["Name"] == bus).items()

    rule = rule_to(events, machine, source, bus=bus)
    assert events.describe_rule(Name=rule, EventBusName=bus)["Arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{bus}/{rule}"
    assert events.describe_rule(Name=rule, EventBusName=bus_arn)["EventBusName"] == bus
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name=rule)  # not on the default bus
    put(events, source, {"on": "default"})
    put(events, source, {"on": "name"}, EventBusName=bus)
    put(events, source, {"on": "arn"}, EventBusName=bus_arn)
    assert unordered(i["detail"] for i in inputs(sfn, machine, 2)) == unordered([{"on": "name"}, {"on": "arn"}])
    assert [r["Name"] for r in events.list_rules(EventBusName=bus)["Rules"]] == [rule]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.delete_event_bus(Name=bus)
    assert error_code(e) == "ValidationException"
    events.delete_rule(Name=rule, EventBusName=bus, Force=True)
    events.delete_event_bus(Name=bus)
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_event_bus(Name=bus)


def test_put_events_entry_errors_are_reported_per_entry(events, sfn):
    machine, source = echo_machine(sfn), unique("shop")
    rule_to(events, machine, source)
    out = events.put_events(Entries=[
        {"Source": source, "DetailType": "t"},
        {"Source": source, "DetailType": "t", "Detail": "[1, 2]"},
        {"Source": source, "DetailType": "t", "Detail": json.dumps({"ok": True})},
        {"Source": source, "DetailType": "t", "Detail": "{not json"},
        {"DetailType": "t", "Detail": "{}"},
        {"Source": source, "Detail": "{}"},
    ])
    assert fields(out) == {"FailedEntryCount", "Entries"}
    assert out["FailedEntryCount"] == 5
    e = out["Entries"]
    assert len(e) == 6
    assert e[0] == {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument."}
    assert e[1] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert set(e[2]) == {"EventId"}
    assert e[3] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert e[4] == {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."}
    assert e[5] == {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required argument."}
    assert [i["detail"] for i in inputs(sfn, machine, 1)] == [{"ok": True}]
    # More than 10 entries, or a member of the wrong type, refuses the whole request.
    with pytest.raises(botocore.exceptions.ClientError) as x:
        events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": "{}"}] * 11)
    assert error_code(x) == "ValidationException"


def test_put_events_on_a_bus_that_does_not_exist_is_accepted_as_aws_accepts_it(events):
    out = events.put_events(Entries=[{"Source": "x", "DetailType": "t", "Detail": "{}", "EventBusName": unique("nobus")}])
    assert out["FailedEntryCount"] == 0 and set(out["Entries"][0]) == {"EventId"}


def aws_cli(cli, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="")
    r = subprocess.run([cli, "--endpoint-url", ENDPOINT, "--output", "json", *args],
                       capture_output=True, text=True, env=env, timeout=60)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


def cli_v1():
    cli = os.path.join(os.path.dirname(os.path.realpath(os.sys.executable)), "aws")
    return cli if os.path.exists(cli) else "aws"


@pytest.mark.parametrize("cli", ["v1", "v2"])
def test_aws_cli_put_events_starts_the_machine(sfn, cli):
    cli = cli_v1() if cli == "v1" else os.environ.get("ASLX_AWS_CLI_V2", "/usr/bin/aws")
    machine, source, rule = echo_machine(sfn), unique("cli"), unique("rule")
    code, out, err = aws_cli(cli, "events", "put-rule", "--name", rule,
                             "--event-pattern", json.dumps({"source": [source]}))
    assert code == 0, err
    assert out == {"RuleArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{rule}"}
    code, out, err = aws_cli(cli, "events", "put-targets", "--rule", rule,
                             "--targets", json.dumps([{"Id": "sm", "Arn": machine, "InputPath": "$.detail"}]))
    assert code == 0 and out == {"FailedEntryCount": 0, "FailedEntries": []}, err
    entries = [{"Source": source, "DetailType": "Order Placed", "Detail": json.dumps({"via": "cli"})}]
    code, out, err = aws_cli(cli, "events", "put-events", "--entries", json.dumps(entries))
    assert code == 0, err
    assert out["FailedEntryCount"] == 0 and set(out["Entries"][0]) == {"EventId"}
    assert inputs(sfn, machine, 1) == [{"via": "cli"}]
    code, out, err = aws_cli(cli, "events", "list-targets-by-rule", "--rule", rule)
    assert code == 0 and out == {"Targets": [{"Id": "sm", "Arn": machine, "InputPath": "$.detail"}]}, err
    code, out, err = aws_cli(cli, "events", "describe-rule", "--name", unique("missing"))
    assert code != 0 and "ResourceNotFoundException" in err
