"""A `command:` program for tests/handlers_command.rs: what it does is the input's "mode"."""
import json
import os
import subprocess
import sys
import time

event = json.load(sys.stdin)
mode = event.get("mode")
if mode == "ok":
    print(json.dumps({"doubled": event["n"] * 2, "resource": os.environ.get("ASLX_RESOURCE")}))
elif mode == "lambda_error":
    print(json.dumps({"errorType": "ValueError", "errorMessage": "n must be positive"}))
    sys.exit(1)
elif mode == "not_json":
    print("hello, this is not JSON")
elif mode == "exit":
    sys.stderr.write("noise " * 600 + "\nTraceback: the end of stderr\n")
    sys.exit(3)
elif mode == "big":
    # 1 MiB of JSON, then hang: only a kill ends this process.
    sys.stdout.write("[" + ",".join(['"' + "x" * 1022 + '"'] * 1024) + "]")
    sys.stdout.flush()
    time.sleep(60)
elif mode == "hang":
    # A grandchild in the same process group, and both pids for the test to watch.
    child = subprocess.Popen(["sleep", "60"])
    with open(event["pidfile"], "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    time.sleep(60)
