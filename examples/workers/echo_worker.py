#!/usr/bin/env python3
"""An aslx `worker:` in Python: answers every call with its input and this process's pid.

    aslx run machine.asl.json --handler 'echo=worker:python3 examples/workers/echo_worker.py'

aslx writes one line per call to stdin, {"id": N, "input": ...}; the worker answers with one
line on stdout, {"id": N, "output": ...} or {"id": N, "error": {"errorType", "errorMessage"}}.
It exits when stdin ends. Anything printed to stderr shows on aslx's stderr.
"""
import json
import os
import sys


def handle(event):
    """The function itself: what a Lambda handler would be."""
    if isinstance(event, dict) and "fail" in event:
        raise ValueError(event["fail"])
    return {"input": event, "pid": os.getpid()}


for line in sys.stdin:
    call = json.loads(line)
    try:
        answer = {"id": call["id"], "output": handle(call["input"])}
    except Exception as e:  # the Lambda convention: the exception's type and message
        answer = {"id": call["id"], "error": {"errorType": type(e).__name__, "errorMessage": str(e)}}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
