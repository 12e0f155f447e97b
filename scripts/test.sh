#!/usr/bin/env bash
# The one test command: README.md, section "Run the tests", documents it and .ci/run calls it.
#
# It installs what the tests need when it is missing (the real servers, xmllint, openssl), then
# runs the whole test suite. Tests that need a live server start their own on a free
# loopback port, from the paths exported below, and stop it by PID.
# With CI=true a missing server is a failure, never a silent skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

. scripts/servers-env.sh

# xmllint validates the JUnit report against its schema; openssl makes the TLS test's CA.
if ! command -v xmllint >/dev/null || ! command -v openssl >/dev/null; then
  echo "== installing libxml2-utils and openssl"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq libxml2-utils openssl >&2
fi

echo "== cargo test"
log=$(mktemp)
status=0
cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole suite: cargo's own last line is the doc tests' (often 0).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log" |
  tee "${HASHCHECK_SUMMARY:-/dev/null}"
rm -f "$log"
exit "$status"
