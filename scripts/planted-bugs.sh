#!/usr/bin/env bash
# How good is hashcheck fuzz at finding bugs? Plants one bug at a time in a copy of the
# reference engine, serves that copy with `hashcheck serve`, and runs the real hashcheck
# fuzz against it with default flags (one divergence is enough) for up to 60 s each:
#
#   bash scripts/planted-bugs.sh            # every bug below
#   ONLY=httl bash scripts/planted-bugs.sh  # the bugs whose name starts with "httl"
#
# Not a test: it prints one line per bug, with how long the fuzzer took to find it. The copy
# is built from HEAD (git archive) under a temporary directory; the working tree is never
# modified. Each `hashcheck serve` listens on a free loopback port and is stopped by its PID.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs="${PLANTED_SECS:-60}"

cargo build --release --locked -p harness >&2 || exit 2
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
fuzzer="$target_dir/release/hashcheck"

work=$(mktemp -d)
# PLANTED_OUT keeps each run's log and written case there (default: a temporary directory).
out="${PLANTED_OUT:-$(mktemp -d)}"
mkdir -p "$out"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$work"
  [ -z "${PLANTED_OUT:-}" ] && rm -rf "$out"
}
trap cleanup EXIT
git archive HEAD | tar -x -C "$work"
# The copy's build output stays with it, apart from the project's own.
export CARGO_TARGET_DIR="${PLANTED_TARGET_DIR:-$root/target/planted}"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

C=reference-engine/src/command
# name # file # text to replace (first occurrence) # replacement ("\n" is a line break)
bugs=(
  "hsetnx-existing-returns-1#$C/hsetnx.rs#        return Ok(Reply::Integer(0));#        return Ok(Reply::Integer(1));"
  "hexpire-nx-ignored#$C/hexpire.rs#(Condition::Nx, old) => old.is_none(),#(Condition::Nx, _old) => true,"
  "hexpire-gt-passes-on-tie#$C/hexpire.rs#(Condition::Gt, Some(old)) => new > old,#(Condition::Gt, Some(old)) => new >= old,"
  "hstrlen-capped-at-64#$C/hstrlen.rs#f.value.len()) as i64#f.value.len().min(64)) as i64"
  "hgetdel-keeps-empty-key#$C/hgetdel.rs#        db.remove_if_empty(key);#"
  "hincrby-wraps-on-overflow#$C/hincrby.rs#        .checked_add(increment)#        .checked_add(increment).or(Some(current.wrapping_add(increment)))"
  "httl-rounds-down#$C/httl.rs#TimeUnit::Seconds => (ms + 999) / 1000,#TimeUnit::Seconds => ms / 1000,"
  "hgetex-persist-keeps-ttl#$C/hgetex.rs#                hash.set_expire(field, None);#"
  "hsetex-fnx-inverted#$C/hsetex.rs#if exists == (condition == FieldCondition::Fnx) {#if exists != (condition == FieldCondition::Fnx) {"
  "hsetex-keepttl-clears#$C/hsetex.rs#        Ttl::Keep | Ttl::At(_) => TtlOnWrite::Keep,#        Ttl::Keep => TtlOnWrite::Clear,\n        Ttl::At(_) => TtlOnWrite::Keep,"
  "hpersist-no-ttl-returns-1#$C/hpersist.rs#                Some(None) => NO_TTL,#                Some(None) => 1,"
)

found=0
tried=0
cd "$work"
for bug in "${bugs[@]}"; do
  IFS='#' read -r name file old new <<<"$bug"
  [[ "$name" == ${ONLY:-}* ]] || continue
  tried=$((tried + 1))
  cp "$file" "$file.orig"
  if ! python3 - "$file" "$old" "$new" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
if old not in text:
    sys.exit(f"{path}: the text to replace is gone; update scripts/planted-bugs.sh")
open(path, "w").write(text.replace(old, new.replace("\\n", "\n"), 1))
PY
  then
    echo "$name: not planted (the engine changed)"; mv "$file.orig" "$file"; continue
  fi
  if ! cargo build --release -q -p harness 2>"$out/$name.build"; then
    echo "$name: does not build (see the script)"; mv "$file.orig" "$file"; continue
  fi
  mv "$file.orig" "$file"
  port=$(free_port)
  "$CARGO_TARGET_DIR/release/hashcheck" serve --bind 127.0.0.1 --port "$port" >"$out/$name.serve" 2>&1 &
  serve_pid=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  "$fuzzer" fuzz --target "127.0.0.1:$port" --seed 1 --duration "${secs}s" --max-cases 1 \
    --shrink-time 20s --out "$out/$name" >"$out/$name.log" 2>&1
  rc=$?
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=""
  done_line=$(grep -m1 "fuzz: done after" "$out/$name.log" | sed 's/^fuzz: //')
  shrunk=$(grep -m1 -o "shrunk from [0-9]* to [0-9]* commands" "$out/$name.log")
  # The written case, run again on the engine and on the planted server.
  verdict=$(grep -m1 -o "RESP2: engine [a-z]*, target [a-z]*; RESP3: engine [a-z]*, target [a-z]*" \
    "$out/$name.log")
  if [ "$rc" = 1 ]; then
    found=$((found + 1))
    echo "$name: found; $done_line; $shrunk; case: ${verdict:-not written}"
  else
    echo "$name: NOT found (exit $rc); $done_line"
  fi
done
echo "planted bugs found: $found of $tried (within ${secs} s each, hashcheck fuzz --seed 1)"
