#!/usr/bin/env python3
"""A Lambda Invoke endpoint on loopback, for aslx's tests: the wire protocol of the Lambda
service (and of `sam local start-lambda`), with functions whose behaviour the test sets.

    POST /2015-03-31/functions/{name}/invocations[?Qualifier=Q]   the Invoke API
    PUT  /_test/functions   {"name": "behaviour", ...}   replaces the function table
    GET  /_test/calls       the invocations so far: [{function, qualifier, headers, body}]

Behaviours (those of the conformance corpus' README, plus two for aslx's own tests):
identity, return:JSON, raise:TYPE:MESSAGE, sleep_then_identity:SECONDS,
oversized_raw_payload:N, python_str_with_prefix:P, echo_request (the request as the
function saw it), hang (never answers).

Like the Python runtime, a function's result is serialised with json.dumps' default spacing.
Requests must carry a SigV4 Authorization header for service `lambda` (checked for shape: the
secret is not known here). Standard library only. Prints "listening on http://HOST:PORT".
"""
import argparse
import base64
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

FUNCTIONS = {}
CALLS = []
LOCK = threading.Lock()
ARGS = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        # No `Server` header: the Lambda service sends none, and the recordings list every
        # header it sent.
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        # (Setting the header also sets http.server's own decision: keep a client's close.)
        if not self.close_connection:
            self.send_header("Connection", "keep-alive")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.reply(status, json.dumps({"Type": "User", "message": message}),
                   [("x-amzn-ErrorType", code)])

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/_test/calls":
            with LOCK:
                self.reply(200, json.dumps(CALLS))
        else:
            self.error(404, "UnknownOperationException", "no such path")

    def do_PUT(self):
        if self.path == "/_test/functions":
            table = json.loads(self.body() or b"{}")
            with LOCK:
                FUNCTIONS.clear()
                FUNCTIONS.update(table)
                CALLS.clear()
            self.reply(200, "{}")
        else:
            self.error(404, "UnknownOperationException", "no such path")

    def do_POST(self):
        url = urlsplit(self.path)
        parts = url.path.split("/")
        body = self.body()
        if len(parts) != 5 or parts[1] != "2015-03-31" or parts[2] != "functions" \
                or parts[4] != "invocations":
            return self.error(404, "UnknownOperationException", "no such path")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 Credential=") or "/lambda/aws4_request" not in auth:
            return self.error(403, "MissingAuthenticationTokenException",
                              "Missing Authentication Token")
        name = unquote(parts[3])
        qualifier = parse_qs(url.query).get("Qualifier", [None])[0]
        with LOCK:
            behaviour = FUNCTIONS.get(name)
            CALLS.append({
                "function": name,
                "qualifier": qualifier,
                "headers": {k.lower(): v for k, v in self.headers.items()
                            if k.lower().startswith("x-amz-")},
                "body": body.decode("utf-8", "replace"),
            })
        if behaviour is None:
            arn = f"arn:aws:lambda:{ARGS.region}:{ARGS.account}:function:{name}"
            return self.error(404, "ResourceNotFoundException",
                              f"Function not found: {arn}:{qualifier or '$LATEST'}")
        version = qualifier if qualifier and qualifier.isdigit() else "$LATEST"
        headers = [("X-Amz-Executed-Version", version),
                   ("x-amzn-Remapped-Content-Length", "0"),
                   ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")]
        invocation = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if self.headers.get("X-Amz-Log-Type") == "Tail":
            log = f"START RequestId: x Version: {version}\nEND RequestId: x\n"
            headers.append(("X-Amz-Log-Result", base64.b64encode(log.encode()).decode()))
        try:
            event = json.loads(body) if body else {}
        except ValueError:
            return self.error(400, "InvalidRequestContentException",
                              "Could not parse request body into json")
        if invocation == "Event":
            return self.reply(202, b"", headers[1:])
        if invocation == "DryRun":
            return self.reply(204, b"", headers[1:])
        status, out, failed = run(behaviour, event, self)
        if failed:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        self.reply(status, out, headers)


def run(behaviour, event, req):
    """A function's answer: (status, body, function error?)."""
    if behaviour == "identity":
        return 200, json.dumps(event), False
    if behaviour.startswith("return:"):
        return 200, json.dumps(json.loads(behaviour[len("return:"):])), False
    if behaviour.startswith("raise:"):
        ty, _, msg = behaviour[len("raise:"):].partition(":")
        return 200, json.dumps({
            "errorMessage": msg, "errorType": ty, "requestId": "<request-id>",
            "stackTrace": [f"  File \"/var/task/handler.py\", line 2, in handler\n"
                           f"    raise {ty}(\"{msg}\")\n"],
        }), True
    if behaviour.startswith("sleep_then_identity:"):
        time.sleep(float(behaviour.split(":", 1)[1]))
        return 200, json.dumps(event), False
    if behaviour.startswith("oversized_raw_payload:"):
        return 200, json.dumps("a" * int(behaviour.split(":", 1)[1])), False
    if behaviour.startswith("python_str_with_prefix:"):
        prefix = behaviour.split(":", 1)[1]
        return 200, json.dumps(prefix + json.dumps(event, separators=(",", ":"))), False
    if behaviour == "echo_request":
        return 200, json.dumps({
            "event": event,
            "headers": {k.lower(): v for k, v in req.headers.items()},
        }), False
    if behaviour == "hang":
        time.sleep(3600)
    return 500, json.dumps({"message": f"unknown behaviour {behaviour}"}), False


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--account", default="111111111111")
    ARGS = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
