#!/usr/bin/env python3
"""Accepted async starts per second through `aslx serve --queue` (issue 13, BENCHMARKS.md
"Through NATS JetStream"): one and then two serve processes on one nats-server, each fed by an
aslx-load of its own over HTTP (async StartExecution of pass1, 64 connections in all), with the
server's default `sync_interval` and with `sync_interval: always`. Afterwards it reports how
many accepted executions were still in the stream and the rate at which the processes ran them
(for at most 60 s).

    cargo build --release --bin aslx --bin aslx-load
    python3 load/nats_bench.py [SECONDS]        # nats-server from target/pyvenv (tests/python/venv.sh)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NATS = os.environ.get("NATS_SERVER", os.path.join(ROOT, "target/pyvenv/bin/nats-server"))
MACHINES = os.environ.get("ASLX_BENCH_MACHINES", os.path.join(ROOT, "../shared/bench/machines"))
ASLX = os.path.join(ROOT, "target/release/aslx")
LOAD = os.path.join(ROOT, "target/release/aslx-load")
SECONDS = sys.argv[1] if len(sys.argv) > 1 else "10"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, secs=10):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def pending(monitor):
    with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/jsz?streams=true") as r:
        js = json.load(r)
    # The starts stream only (the buckets hold a completion marker per execution).
    return sum(s["state"]["messages"] for a in js.get("account_details", [])
               for s in a.get("stream_detail", []) if s["name"].endswith("_STARTS"))


def run(sync, procs, tmp):
    port, monitor = free_port(), free_port()
    store = os.path.join(tmp, f"{sync}-{procs}")
    conf = os.path.join(tmp, f"{sync}-{procs}.conf")
    extra = "\n  sync_interval: always\n" if sync == "always" else ""
    with open(conf, "w") as f:
        f.write(f'listen: 127.0.0.1:{port}\nhttp: 127.0.0.1:{monitor}\n'
                f'jetstream {{ store_dir: "{store}" {extra} }}\n')
    log = open(os.path.join(tmp, f"{sync}-{procs}.log"), "w")
    nats = subprocess.Popen([NATS, "-c", conf], stdout=log, stderr=log)
    serves = []
    try:
        try:
            wait_port(port, 30)
        except SystemExit:
            log.flush()
            sys.stdout.write(open(log.name).read()[-2000:])
            raise
        for _ in range(procs):
            p = subprocess.Popen([ASLX, "serve", "--bind", "127.0.0.1:0", "--threads", "2",
                                  "--queue", f"nats://127.0.0.1:{port}"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = p.stdout.readline()
            serves.append((p, int(line.split("127.0.0.1:")[1].split(" ")[0].split("/")[0])))
        loads = [subprocess.Popen([LOAD, "--machine", f"{MACHINES}/pass1.asl.json",
                                   "--input", f"{MACHINES}/pass1.input.json",
                                   "--target", f"http://127.0.0.1:{sp}", "--mode", "async",
                                   "--concurrency", str(64 // procs), "--duration", SECONDS,
                                   "--warmup", "1", "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for _, sp in serves]
        results = [json.loads(l.communicate()[0].strip().splitlines()[-1]) for l in loads]
        accepted = sum(r["exec_per_s"] for r in results)
        # Then the executions still in the stream are run: the rate at which they leave it.
        t, before = time.time(), pending(monitor)
        while pending(monitor) > 0 and time.time() - t < 60:
            time.sleep(0.2)
        left, spent = pending(monitor), time.time() - t
        ran = (before - left) / spent if spent > 0.5 else float("nan")
        print(f"| {sync} | {procs} | {accepted:,.0f} | {before:,} | {ran:,.0f} |", flush=True)
    finally:
        for p, _ in serves:
            p.kill()
            p.wait()
        nats.kill()
        nats.wait()


def main():
    print(f"pass1 async over HTTP, {SECONDS} s after 1 s of warm-up; load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    print("| sync_interval | aslx serve processes | accepted starts/s | left in the stream at the end | run from the stream after, per s |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for sync in ["default", "always"]:
            for procs in [1, 2]:
                run(sync, procs, tmp)


if __name__ == "__main__":
    main()
