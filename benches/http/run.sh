#!/usr/bin/env bash
# Measures StartSyncExecution over loopback keep-alive HTTP/1.1 with wrk:
# starts a release `aslx serve`, creates pass1 and pipeline5 (EXPRESS), runs wrk on each.
# Usage: benches/http/run.sh [CONNECTIONS] [DURATION]   (defaults 64, 10s)
# ASLX_BIN=path measures that binary instead of building one (e.g. to compare two builds).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
machines="${ASLX_MACHINES_DIR:-$root/../shared/bench/machines}"
conns="${1:-64}"
duration="${2:-10s}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if [ -z "${ASLX_BIN:-}" ]; then
  (cd "$root" && cargo build --release --quiet --bin aslx)
  ASLX_BIN="$target/release/aslx"
fi
log="$(mktemp)"
"$ASLX_BIN" serve --bind 127.0.0.1:0 --threads "${ASLX_THREADS:-2}" >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q 'listening on' "$log" && break; sleep 0.05; done
url="$(grep -o 'http://[0-9.]*:[0-9]*' "$log" | head -1)"
for m in pass1 pipeline5; do
  def="$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$machines/$m.asl.json")"
  curl -sf -o /dev/null "$url/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: AWSStepFunctions.CreateStateMachine' \
    -d "{\"name\":\"$m\",\"definition\":$def,\"roleArn\":\"arn:aws:iam::111111111111:role/bench\",\"type\":\"EXPRESS\"}"
  input="$(tr -d '\n' < "$machines/$m.input.json")"
  echo "== StartSyncExecution $m, $conns connections, $duration"
  ASLX_MACHINE="$m" ASLX_INPUT="$input" wrk -t1 -c"$conns" -d"$duration" --latency -s "$here/start_sync.lua" "$url/"
done
