#!/usr/bin/env bash
# Regenerates the console screenshots in docs/console/ (shown in the README): runs the browser
# tests of tests/console.rs, which save a PNG at each main view when ASLX_CONSOLE_SCREENSHOTS
# names a directory. Needs Debian's chromium (tests/browser/chromium.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/docs/console"
rm -rf "$out"
mkdir -p "$out"
cd "$root"
ASLX_CONSOLE_SCREENSHOTS="$out" cargo test --test console -- --test-threads=1
ls -1 "$out"
