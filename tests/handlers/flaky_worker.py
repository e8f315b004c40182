"""A `worker:` for tests/handlers_command.rs that dies when asked to, mid-call."""
import json
import os
import sys

sys.stderr.write(f"flaky worker {os.getpid()} ready\n")
sys.stderr.flush()
for line in sys.stdin:
    call = json.loads(line)
    if call["input"].get("crash"):
        sys.stderr.write("crashing as asked\n")
        sys.stderr.flush()
        os._exit(3)
    sys.stdout.write(json.dumps({"id": call["id"], "output": {"pid": os.getpid()}}) + "\n")
    sys.stdout.flush()
