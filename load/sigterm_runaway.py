"""Seconds from SIGTERM to exit of `aslx serve --drain-timeout 2` with a runaway JSONata
evaluation in flight. usage: sigterm.py BINARY"""
import json, signal, socket, subprocess, sys, time, threading
p = subprocess.Popen([sys.argv[1], "serve", "--bind", "127.0.0.1:0", "--in-memory", "--threads", "2", "--drain-timeout", "2"],
                     stdout=subprocess.PIPE, text=True)
port = int(p.stdout.readline().split("127.0.0.1:")[1].split(" ")[0])
def call(op, body):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(120)
    b = json.dumps(body).encode()
    s.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.{op}\r\nContent-Length: {len(b)}\r\n\r\n".encode() + b)
    try:
        return s.recv(200).split(b"\r\n")[0].decode()
    except Exception as e:
        return repr(e)
d = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $distinct([1..1000000]) %}", "End": True}}}
print(call("CreateStateMachine", {"name": "spin", "roleArn": "arn:aws:iam::111111111111:role/r", "type": "EXPRESS", "definition": json.dumps(d)}))
out = {}
t = threading.Thread(target=lambda: out.setdefault("r", call("StartSyncExecution", {"stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:spin"})))
t.start()
time.sleep(1.5)
t0 = time.time()
p.send_signal(signal.SIGTERM)
try:
    p.wait(timeout=30)
    print(f"exited {time.time() - t0:.2f} s after SIGTERM (code {p.returncode})")
except subprocess.TimeoutExpired:
    print("still running 30 s after SIGTERM; killed")
    p.kill()
print("stdout:", p.stdout.read())
t.join(5)
print("sync request answered:", out.get("r"))
