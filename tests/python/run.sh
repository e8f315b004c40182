#!/usr/bin/env bash
# Runs tests/python/test_serve.py, test_versions.py, test_sfn_local_sample.py, test_events.py,
# test_nested.py and test_lambda_endpoint.py (boto3 and the AWS CLI against `aslx serve`):
# creates a venv under the cargo target dir with the pinned clients (venv.sh), installs the AWS CLI v2
# when missing, builds aslx, starts the server on a free port, runs pytest, stops the server.
# Exit code: pytest's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$(bash "$here/venv.sh")"

# `aws logs tail` is AWS CLI v2 only, and v2 is not on PyPI (the venv's `aws` is v1, which the
# other CLI tests use). Debian packages v2 (bookworm: awscli 2.9.19, /usr/bin/aws) and CI runs
# on Debian as root, so apt installs it there; AWS's own installer would be a download of a
# bundle outside any package manager. Elsewhere, point ASLX_AWS_CLI_V2 at a v2 `aws`.
aws2="${ASLX_AWS_CLI_V2:-/usr/bin/aws}"
if ! "$aws2" --version 2>/dev/null | grep -q '^aws-cli/2'; then
  if [ "$aws2" != /usr/bin/aws ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "AWS CLI v2 not found at $aws2: install Debian's awscli (apt-get install awscli)" \
      "or set ASLX_AWS_CLI_V2 to a v2 aws" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A clean machine may have no package lists yet: update once, then retry.
  apt-get install -y -qq --no-install-recommends awscli >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends awscli >/dev/null; }
  "$aws2" --version | grep -q '^aws-cli/2' || { echo "$aws2 is not AWS CLI v2" >&2; exit 1; }
fi
export ASLX_AWS_CLI_V2="$aws2"

if [ -z "${ASLX_BIN:-}" ]; then
  (cd "$root" && cargo build --quiet --bin aslx)
  ASLX_BIN="$target/debug/aslx"
fi
export ASLX_BIN

# A Lambda Invoke endpoint on loopback (the functions the tests set), for --lambda-endpoint.
lambda_log="$(mktemp)"
"$venv/bin/python" "$root/tests/servers/lambda_server.py" >"$lambda_log" 2>&1 &
lambda_server=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$lambda_log" && break
  sleep 0.05
done
lambda_endpoint="$(grep -o 'http://[0-9.]*:[0-9]*' "$lambda_log" | head -1)"
[ -n "$lambda_endpoint" ] || { echo "lambda_server.py did not start:" >&2; cat "$lambda_log" >&2; exit 1; }
export ASLX_LAMBDA_ENDPOINT="$lambda_endpoint"

log="$(mktemp)"
logdir="$(mktemp -d)"
"$ASLX_BIN" serve --bind 127.0.0.1:0 --in-memory --allow-callbacks-in-express --log-dir "$logdir" \
  --mock-config "$here/mock_config.json" --lambda-endpoint "$lambda_endpoint" \
  --handler 'greet=return:{"greeting":"hello"}' \
  --handler 'fail=raise:Greeting.Failed:no greeting today' \
  >"$log" 2>&1 &
server=$!
stop() {
  kill -TERM "$server" "$lambda_server" 2>/dev/null || true
  wait "$server" "$lambda_server" 2>/dev/null || true
  rm -rf "$log" "$logdir" "$lambda_log"
}
trap stop EXIT

for _ in $(seq 1 100); do
  grep -q 'listening on' "$log" && break
  sleep 0.05
done
endpoint="$(grep -o 'http://[0-9.]*:[0-9]*' "$log" | head -1)"
if [ -z "$endpoint" ]; then
  echo "aslx serve did not start:" >&2
  cat "$log" >&2
  exit 1
fi
export ASLX_ENDPOINT="$endpoint"
cd "$here"
"$venv/bin/pytest" -q -p no:cacheprovider test_serve.py test_versions.py test_sfn_local_sample.py test_events.py test_nested.py test_lambda_endpoint.py "$@"
