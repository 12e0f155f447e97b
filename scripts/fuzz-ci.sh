#!/usr/bin/env bash
# CI's fuzzing step (.ci/run calls it after the tests): builds the three cargo-fuzz targets
# with ClusterFuzzLite's build script (.clusterfuzzlite/build.sh), outside any container, into
# a scratch $OUT, and runs each target from there for a while, from the seed corpus and
# dictionary the script packed: it fails if the script does not build every target, or a
# target does not run, or crashes. So this is also the test of build.sh, at no extra build
# time. The differential target runs against a Redis 8.2.3 started here on a free loopback
# port and stopped by its PID.
#
#   FUZZ_SECONDS  seconds per target (default 60)
#
# The targets are built without a sanitizer: what they run is safe Rust (the engine's one
# unsafe call goes into C that AddressSanitizer would not instrument anyway), and
# without ASan a target runs about 3.5 times as many inputs in the same minute. Debug
# assertions and overflow checks stay on (cargo fuzz's default). A crash leaves its input
# in fuzz/artifacts/<target>/; `hashcheck replay` turns it into a YAML case (docs/fuzzing.md,
# "A crash").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-60}
started=$(date +%s)

echo "== fuzz: toolchain"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "the nightly toolchain is missing (cargo fuzz needs it): rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
cargo fuzz --version

redis_pid=
workdir=$(mktemp -d)
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT

echo "== fuzz: build (engine, codec, differential) with .clusterfuzzlite/build.sh"
# ClusterFuzzLite's layout: the checkout at $SRC/hashcheck, the targets into $OUT.
mkdir -p "$workdir/src" "$workdir/out" "$workdir/work"
ln -s "$root" "$workdir/src/hashcheck"
out="$workdir/out"
SRC="$workdir/src" OUT="$out" WORK="$workdir/work" SANITIZER=none RUSTUP_TOOLCHAIN=nightly \
  HASHCHECK_WITH_DIFFERENTIAL=1 bash .clusterfuzzlite/build.sh
for target in engine codec differential; do
  for file in "$target" "$target.dict" "${target}_seed_corpus.zip"; do
    if [ ! -s "$out/$file" ]; then
      echo ".clusterfuzzlite/build.sh did not put $file into \$OUT" >&2
      exit 1
    fi
  done
done

# Each target runs from $OUT as ClusterFuzzLite would run it: its seed corpus unpacked into a
# scratch directory (libFuzzer adds to the corpus it is given; the checkout stays clean),
# its dictionary, crashes into fuzz/artifacts/<target>/.
run_target() { # target
  local target=$1
  local corpus="$workdir/corpus-$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  unzip -q "$out/${target}_seed_corpus.zip" -d "$corpus"
  echo "== fuzz: $target for ${seconds}s"
  local log="$workdir/$target.log"
  local status=0
  "$out/$target" "$corpus" -max_total_time="$seconds" -dict="$out/$target.dict" \
      -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1 \
      -close_fd_mask=1 >"$log" 2>&1 || status=$?
  grep -E '^#[0-9]+ +DONE|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  if [ "$status" -eq 0 ] && ! grep -qE '^stat::number_of_executed_units: *[1-9]' "$log"; then
    echo "fuzz target $target exited without running any input; its output ends:" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $target FAILED (exit $status); its output ends:" >&2
    tail -n 60 "$log" >&2
    ls fuzz/artifacts/"$target"/ 2>/dev/null | sed 's|^|   artifact: fuzz/artifacts/'"$target"'/|' >&2 || true
    echo "   reproduce: cargo +nightly fuzz run $target fuzz/artifacts/$target/<file>" >&2
    echo "   as a case: cargo run -p harness -- replay fuzz/artifacts/$target/<file>" >&2
    return 1
  fi
}

redis_binary=${HASHCHECK_REDIS_8_2:-}
if [ -z "$redis_binary" ]; then
  redis_binary=$(bash scripts/install-servers.sh | sed -n 's/^REDIS_8_2=//p')
fi
if [ ! -x "$redis_binary" ]; then
  echo "Redis 8.2.3 is not installed (scripts/install-servers.sh); the differential target needs it" >&2
  exit 1
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$redis_binary" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$workdir" \
  --daemonize no >"$workdir/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
  if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then break; fi
  sleep 0.1
done
redis-cli -p "$port" ping | grep -q PONG || { cat "$workdir/redis.log" >&2; exit 1; }

failed=0
run_target engine || failed=1
run_target codec || failed=1
REDIS_URL="redis://127.0.0.1:$port" run_target differential || failed=1

echo "== fuzz: done in $(( $(date +%s) - started ))s"
exit "$failed"
