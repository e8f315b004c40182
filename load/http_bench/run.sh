#!/usr/bin/env bash
# Executions/s and latency of a one-Task EXPRESS machine whose Task calls a loopback HTTP
# server (node load/http_bench/echo_server.js, keep-alive): through the `http:` handler spec
# and through the HTTP Task, with the in-process `identity` handler as the baseline.
#
#   load/http_bench/run.sh            # each machine: sync closed loop, then open loop at half
#
# Environment: DURATION (s, default 5), WARMUP (s, default 1), THREADS (default 1: the
# server takes a core of its own), CONCURRENCY (default 32), PORT (default 9000),
# CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${CARGO_TARGET_DIR:-target}/release/aslx-load
dir=load/http_bench
port=${PORT:-9000}
duration=${DURATION:-5}
warmup=${WARMUP:-1}
threads=${THREADS:-1}
conc=${CONCURRENCY:-32}
[ -x "$bin" ] || { echo "build it first: cargo build --release --bin aslx-load" >&2; exit 2; }

node "$dir/echo_server.js" "$port" >/dev/null &
server=$!
trap 'kill $server' EXIT
sleep 0.5
input=$(mktemp)
sed "s/9000/$port/" "$dir/http.input.json" >"$input"

run() { # name machine extra-args...
  local name=$1 machine=$2
  shift 2
  local peak rate
  peak=$("$bin" --machine "$dir/$machine" --input "$input" --mode sync --concurrency "$conc" \
    --threads "$threads" --duration "$duration" --warmup "$warmup" --json -q "$@")
  rate=$(echo "$peak" | sed -E 's/.*"exec_per_s":([0-9.]+).*/\1/')
  half=$(awk "BEGIN { print int($rate / 2) }")
  open=$("$bin" --machine "$dir/$machine" --input "$input" --mode sync --rate "$half" \
    --concurrency "$conc" --threads "$threads" --duration "$duration" --warmup "$warmup" \
    --json -q "$@")
  echo "$name closed: $peak"
  echo "$name open at $half/s: $open"
}
run identity identity1.asl.json
run http-handler http_handler1.asl.json --handler "remote=http:http://127.0.0.1:$port/echo"
run http-task http_task1.asl.json --integrations
