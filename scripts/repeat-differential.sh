#!/usr/bin/env bash
# Runs the differential tests against Redis 8.2.3 N times in a row (default 20), each
# time with new seeds, and counts failures: the check that no verdict depends on timing
# (docs/benchmarks.md, "Not benchmarks, but measurements").
#   bash scripts/repeat-differential.sh [N]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${1:-20}
. scripts/servers-env.sh >&2
cargo test -q -p harness --test it --no-run 2>/dev/null
failed=0
for i in $(seq 1 "$n"); do
  if HASHCHECK_SEED=$((1000 + i)) cargo test -q -p harness --test it -- differential:: --skip proptest_ --test-threads 1 \
      >"/tmp/hashcheck-repeat-$i.log" 2>&1; then
    echo "run $i (seed $((1000 + i))): passed"
  else
    failed=$((failed + 1))
    echo "run $i (seed $((1000 + i))): FAILED, see /tmp/hashcheck-repeat-$i.log"
  fi
done
echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
