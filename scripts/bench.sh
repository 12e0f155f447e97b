#!/usr/bin/env bash
# The engine next to the real server: throughput (in-process HSET/HGET mix vs
# `redis-benchmark -P 64`, goal >= 5x) and memory (engine VmRSS vs Redis `used_memory` for the
# same data, goal <= 2x), printed as a table; then hashcheck fuzz's compared commands per
# second next to `redis-benchmark -P 64` HSET (goal >= 0.5x); then `hashcheck serve` under
# a pipelined HRANDFIELD burst (another client's PING latency, goal < 100 ms; RSS back within
# 2x), with 1,000 idle clients (goal < 50 MB) and under redis-benchmark HSET; then how long a
# case file takes to load, and its peak memory, as it grows (goal: 50 MB in < 5 s and
# < 500 MB). Not a test: nothing fails on slow figures.
#
# It installs the servers first (nothing installed by hand survives to the next machine),
# then runs the four benchmarks (engine, fuzz, serve, load). The engine and fuzz benchmarks
# start their own Redis 8.2.3 on a free loopback port (the engine one: or
# HASHCHECK_BENCH_PORT) and stop it by PID. What each prints, and figures with the commit
# they were measured at: docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

. scripts/servers-env.sh

echo "== cargo bench -p harness --bench engine"
cargo bench -p harness --bench engine --locked "$@"

echo "== cargo bench -p harness --bench fuzz"
cargo bench -p harness --bench fuzz --locked "$@"

echo "== cargo bench -p harness --bench serve"
cargo bench -p harness --bench serve --locked "$@"

echo "== cargo bench -p harness --bench versus"
cargo bench -p harness --bench versus --locked "$@"

echo "== cargo bench -p harness --bench load"
cargo bench -p harness --bench load --locked "$@"
