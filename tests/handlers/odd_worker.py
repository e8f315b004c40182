"""A `worker:` for tests/handlers_command.rs that breaks the protocol around its answers."""
import json
import sys

for line in sys.stdin:
    call = json.loads(line)
    # Noise aslx must report and ignore: not JSON, an id no call has, no id at all.
    sys.stdout.write("this is not JSON\n")
    sys.stdout.write(json.dumps({"id": 10**9, "output": "for nobody"}) + "\n")
    sys.stdout.write(json.dumps({"output": "no id"}) + "\n")
    if call["input"].get("big"):
        output = "x" * 300_000
    else:
        output = {"ok": True}
    sys.stdout.write(json.dumps({"id": call["id"], "output": output}) + "\n")
    sys.stdout.flush()
