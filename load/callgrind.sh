#!/usr/bin/env bash
# Instructions per execution of a shared bench machine, in-process, under valgrind's callgrind:
# immune to the noise of a shared machine, so it can back an optimisation's before/after.
#
#   load/callgrind.sh MACHINE [sync|async] [EXTRA aslx-load ARGS...]
#
# Runs the release `aslx-load` twice (1 s and 3 s, one worker thread) and divides the
# difference in instructions by the difference in executions, so start-up cost cancels out.
# Leaves the 3 s profile in $OUT (default /tmp/aslx-callgrind) as MACHINE.MODE.out; read it with
#   callgrind_annotate --inclusive=yes $OUT/MACHINE.MODE.out | less
# Needs valgrind and a release build: cargo build --release --bin aslx-load
set -euo pipefail
cd "$(dirname "$0")/.."
machine=${1:?usage: load/callgrind.sh MACHINE [sync|async] [ARGS...]}
mode=${2:-async}
shift $(($# < 2 ? $# : 2))
dir=${ASLX_BENCH_MACHINES:-../shared/bench/machines}
bin=${CARGO_TARGET_DIR:-target}/release/aslx-load
out=${OUT:-/tmp/aslx-callgrind}
mkdir -p "$out"
[ -x "$bin" ] || { echo "no $bin: cargo build --release --bin aslx-load" >&2; exit 2; }

declare -A ir execs
for d in 1 3; do
  f="$out/$machine.$mode.$d"
  valgrind --tool=callgrind --callgrind-out-file="$f.out" "$bin" \
    --machine "$dir/$machine.asl.json" --input "$dir/$machine.input.json" \
    --mode "$mode" --duration "$d" --warmup 0 --drain 1 --threads 1 --json -q "$@" \
    >"$f.json" 2>"$f.err" || { cat "$f.err" >&2; exit 1; }
  ir[$d]=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$f.err")
  execs[$d]=$(sed -n 's/.*"executions":\([0-9]*\).*/\1/p' "$f.json")
done
mv "$out/$machine.$mode.3.out" "$out/$machine.$mode.out"
echo "$machine $mode: $(( (ir[3] - ir[1]) / (execs[3] - execs[1]) )) instructions per execution" \
  "($(( execs[3] - execs[1] )) executions measured; profile: $out/$machine.$mode.out)"
