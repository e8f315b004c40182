#!/usr/bin/env bash
# Regenerates the aslx columns of BENCHMARKS.md: runs the release `aslx-load` on each shared
# bench machine (in-process by default) and prints a markdown table.
#
#   load/bench.sh                 # all seven machines
#   load/bench.sh pass1 task3     # some of them
#
# Per machine:
#   1. async closed loop at each concurrency of $CONCURRENCIES; the peak exec/s is reported,
#      with the concurrency that gave it;
#   2. sync closed loop at $SYNC_CONCURRENCY: peak sync exec/s;
#   3. sync open loop at half that rate: p50 / p99 latency (the DESIGN.md latency target is
#      pipeline5's p99 at half of its peak).
# A machine that cannot be created (e.g. Map or Parallel before they are supported) gets a row
# saying why, and the script goes on. Every JSON line is kept in $RESULTS.
#
# Environment: TARGET (inproc, engine or http://HOST:PORT; default inproc),
# DURATION (s, default 5), WARMUP (s, default 1), THREADS (default: nproc),
# CONCURRENCIES (default "16 64 256 1024"), SYNC_CONCURRENCY (default 2 x THREADS),
# RESULTS (default target/bench-results.jsonl), ASLX_BENCH_MACHINES, CARGO_TARGET_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."

dir=${ASLX_BENCH_MACHINES:-../shared/bench/machines}
bin=${CARGO_TARGET_DIR:-target}/release/aslx-load
target=${TARGET:-inproc}
duration=${DURATION:-5}
warmup=${WARMUP:-1}
threads=${THREADS:-$(nproc)}
concurrencies=${CONCURRENCIES:-16 64 256 1024}
sync_c=${SYNC_CONCURRENCY:-$((2 * threads))}
results=${RESULTS:-${CARGO_TARGET_DIR:-target}/bench-results.jsonl}

if [ ! -x "$bin" ]; then
  echo "building $bin ..." >&2
  cargo build --release --bin aslx-load >&2 || exit 2
fi
machines=("$@")
[ ${#machines[@]} -gt 0 ] || machines=(pass1 pipeline5 task3 choice_loop map10 parallel3 catch_fail)
: >"$results"

# The best figures of other ASL engines on the same machines, as quoted in issue 6 (Rust `asl`
# crate for pass1/pipeline5/task3; aws-local-stepfunctions on two workers for the rest).
declare -A other=(
  [pass1]="2.6 M/s (Rust \`asl\` crate)"
  [pipeline5]="36 k/s (Rust \`asl\` crate)"
  [task3]="251 k/s (Rust \`asl\` crate)"
  [choice_loop]="7.7 k/s (aws-local-stepfunctions)"
  [map10]="2.4 k/s (aws-local-stepfunctions)"
  [parallel3]="11.7 k/s (aws-local-stepfunctions)"
  [catch_fail]="58 k/s (aws-local-stepfunctions)"
)

field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
# 1234567.0 -> 1,234,567
commas() { printf "%.0f" "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# run NAME ARGS...: one aslx-load run; prints its JSON line, or fails with its error on stderr.
run() {
  local name=$1
  shift
  local out err
  err=$(mktemp)
  out=$("$bin" --machine "$dir/$name.asl.json" --input "$dir/$name.input.json" \
    --target "$target" --duration "$duration" --warmup "$warmup" --threads "$threads" \
    --json -q "$@" 2>"$err")
  local rc=$?
  if [ $rc -ne 0 ] || [ -z "$out" ]; then
    sed 's/^aslx-load: //' "$err" >&2
    rm -f "$err"
    return 1
  fi
  rm -f "$err"
  echo "$out" >>"$results"
  echo "$out"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
echo "| machine | async exec/s (peak) | at concurrency | sync exec/s (C=$sync_c) | sync p50 / p99 µs at half the sync peak | best other engine (issue 6) |"
echo "|---|---:|---:|---:|---:|---|"
for m in "${machines[@]}"; do
  echo "== $m" >&2
  best=0
  best_c=-
  failed_runs=0
  error=""
  for c in $concurrencies; do
    if line=$(run "$m" --mode async --concurrency "$c" 2>/tmp/aslx-bench-err); then
      eps=$(echo "$line" | field exec_per_s)
      fails=$(echo "$line" | field failed)
      [ "$fails" = "0" ] || failed_runs=$((failed_runs + 1))
      echo "   async c=$c: $(commas "$eps") exec/s, $fails failed" >&2
      if awk "BEGIN{exit !($eps > $best)}"; then best=$eps; best_c=$c; fi
    else
      error=$(head -c 300 /tmp/aslx-bench-err | tr '\n|' '  ')
      break
    fi
  done
  if [ -n "$error" ]; then
    echo "   not runnable: $error" >&2
    echo "| $m | not runnable: $error | | | | ${other[$m]:-} |"
    continue
  fi
  sync_line=$(run "$m" --mode sync --concurrency "$sync_c") || sync_line=""
  sync_eps=$(echo "$sync_line" | field exec_per_s)
  echo "   sync c=$sync_c: $(commas "${sync_eps:-0}") exec/s" >&2
  half=$(awk "BEGIN{printf \"%.0f\", ${sync_eps:-0} / 2}")
  lat="-"
  if [ "$half" -gt 0 ] && open_line=$(run "$m" --mode sync --rate "$half" --concurrency "$sync_c"); then
    lat="$(echo "$open_line" | field p50_us) / $(echo "$open_line" | field p99_us)"
    echo "   sync open loop at $(commas "$half")/s: p50 / p99 = $lat µs" >&2
  fi
  note=""
  [ $failed_runs -eq 0 ] || note=" (failures in $failed_runs runs, see $results)"
  echo "| $m | $(commas "$best")$note | $best_c | $(commas "${sync_eps:-0}") | $lat | ${other[$m]:-} |"
done
rm -f /tmp/aslx-bench-err
echo
echo "Measured $started, target $target, $threads threads, ${duration} s per run after ${warmup} s of warm-up;" \
  "load average $load_before before and $(cut -d' ' -f1-3 /proc/loadavg) after (other processes share the machine)."
