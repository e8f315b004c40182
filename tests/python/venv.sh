#!/usr/bin/env bash
# Makes the Python venv the test suites use, under the cargo target dir ($CARGO_TARGET_DIR or
# target/), with the pinned packages of requirements.txt (boto3, the AWS CLI, pytest, and
# moto's server for tests/integrations_aws.rs); remade when requirements.txt changes.
# Prints the venv's path. Used by run.sh and by the Rust tests that need moto.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/pyvenv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/pytest" ] || ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi
echo "$venv"
