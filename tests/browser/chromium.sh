#!/usr/bin/env bash
# Prints the path of the Chromium the console's browser tests drive (tests/console.rs).
# Debian's `chromium` package; under CI=true it is installed when missing (as venv.sh
# installs the Python suite's packages). Exits 1, printing nothing, when there is none.
set -euo pipefail
find() { command -v chromium || command -v chromium-browser || true; }
path="$(find)"
if [ -z "$path" ] && [ "${CI:-}" = "true" ]; then
  sudo=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then sudo="sudo"; fi
  echo "tests/browser/chromium.sh: installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends chromium >&2
  path="$(find)"
fi
[ -n "$path" ] || exit 1
echo "$path"
