"""RSS of `aslx serve --auth` under 30 stalled unauthenticated 8 MiB uploads.
usage: rss.py BINARY MODE   (MODE: none = no Authorization header, forged = right key id and
scope, current date, wrong signature)"""
import hashlib, hmac, socket, subprocess, sys, time, datetime

binary, mode = sys.argv[1], sys.argv[2]
p = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0", "--in-memory", "--threads", "2", "--auth", "AKIDX:secret"],
                     stdout=subprocess.PIPE, text=True)
port = int(p.stdout.readline().split("127.0.0.1:")[1].split(" ")[0])

def rss():
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024

def auth_headers():
    if mode == "none":
        return ""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return (f"X-Amz-Date: {now}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDX/{now[:8]}/us-east-1/states/aws4_request, "
            f"SignedHeaders=host;x-amz-date;x-amz-target, Signature={'0'*64}\r\n")

time.sleep(0.5)
base = rss()
body = b" " * ((8 << 20) - 2)
socks = []
t0 = time.time()
for i in range(30):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(3)
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
            f"Content-Length: {len(body) + 1}\r\n{auth_headers()}\r\n").encode()
    s.sendall(head)
    sent = 0
    try:
        while sent < len(body):
            sent += s.send(body[sent:sent + (1 << 20)])
    except (socket.timeout, BlockingIOError, BrokenPipeError, ConnectionResetError):
        pass
    socks.append((s, sent))
time.sleep(2)
peak = rss()
# Is the server still answering?
h = socket.create_connection(("127.0.0.1", port)); h.settimeout(5)
h.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 2\r\n\r\n{}")
try:
    answer = h.recv(100).split(b"\r\n")[0].decode()
except Exception as e:
    answer = repr(e)
print(f"{mode}: baseline {base} MiB, with 30 stalled uploads {peak} MiB (bytes accepted per upload: "
      f"min {min(x for _, x in socks) >> 10} KiB, max {max(x for _, x in socks) >> 10} KiB); unsigned probe: {answer}")
p.kill()
