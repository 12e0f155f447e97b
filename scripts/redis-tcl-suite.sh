#!/usr/bin/env bash
# Runs Redis's own hash tests (tests/unit/type/hash.tcl and hash-field-expire.tcl) in
# external-server mode against `hashcheck serve` and against Redis 8.2.3, each started here on
# a free loopback port and stopped by its PID, then prints each server's pass and fail sets and
# the tests that pass on Redis but not on serve, and the counts per file. Exits 1 when some
# test passes on Redis but not on serve, 2 when the run itself failed, else 0
# (docs/redis-test-suite.md says how to read it).
#
# The suite is not ours (its licence differs), so it is never committed: this script copies the
# tests/ folder of a redis source tree into a temporary directory and edits that copy, lifting
# the files' top-level `external:skip` tags (nested servers keep theirs: they need a server of
# their own). Tests tagged needs:repl read the replication stream, which an external run cannot
# see; they are left out on both servers and listed.
#
#   scripts/redis-tcl-suite.sh --src DIR            a redis checkout (uses DIR/tests)
#   scripts/redis-tcl-suite.sh --git GITDIR [--rev REV]   a (bare) git dir, REV defaults to HEAD
# Options: --only serve|redis (one side), --out DIR (keep logs there; default a temp dir),
#          --units "unit/type/hash unit/type/hash-field-expire" (what to run),
#          --serve-bin PATH (a built hashcheck; default: cargo build --release, this checkout),
#          --lenient-framework (the framework's own `CONFIG GET *`, which saves the settings
#          to restore after each server block, may fail; for ranking what else fails while
#          a server lacks CONFIG GET; the tests' own commands are untouched).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

src= gitdir= rev=HEAD only= out= serve_bin= lenient=
units="unit/type/hash unit/type/hash-field-expire"
while [ $# -gt 0 ]; do
  case "$1" in
    --src) src=$2; shift 2 ;;
    --git) gitdir=$2; shift 2 ;;
    --rev) rev=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --units) units=$2; shift 2 ;;
    --serve-bin) serve_bin=$2; shift 2 ;;
    --lenient-framework) lenient=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "redis-tcl-suite.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$src" ] && [ -z "$gitdir" ]; then
  echo "redis-tcl-suite.sh: give --src DIR or --git GITDIR [--rev REV] (a redis source tree)" >&2
  exit 2
fi
tclsh=$(command -v tclsh8.6 || command -v tclsh || true)
if [ -z "$tclsh" ] && command -v apt-get >/dev/null; then
  # A fresh machine: the framework needs Tcl 8.6 (Debian's package `tcl`).
  echo "== installing tcl (apt-get install tcl)"
  apt-get update -qq && apt-get install -y -qq tcl >/dev/null
  tclsh=$(command -v tclsh8.6 || command -v tclsh || true)
fi
if [ -z "$tclsh" ]; then
  echo "redis-tcl-suite.sh: tclsh (8.6) is needed: apt-get install tcl" >&2
  exit 2
fi

work=$(mktemp -d)
out=${out:-$work/logs}
mkdir -p "$out"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work/suite"
}
trap cleanup EXIT

# 1. The suite, copied and edited.
mkdir -p "$work/suite"
if [ -n "$src" ]; then
  cp -r "$src/tests" "$work/suite/tests"
  version="$src ($(git -C "$src" describe --tags --always 2>/dev/null || echo 'no git'))"
else
  git --git-dir="$gitdir" archive "$rev" tests | tar -x -C "$work/suite"
  version="$gitdir at $(git --git-dir="$gitdir" rev-parse "$rev")"
fi
mkdir -p "$work/suite/tests/tmp"
if [ -n "$lenient" ]; then
  sed -i 's/\[r config get \*\]/[expr {[catch {r config get *} c] ? {} : $c}]/' \
    "$work/suite/tests/support/server.tcl"
  grep -q 'catch {r config get' "$work/suite/tests/support/server.tcl" \
    || { echo "redis-tcl-suite.sh: --lenient-framework: CONFIG GET * not found" >&2; exit 2; }
fi
for unit in $units; do
  file="$work/suite/tests/$unit.tcl"
  [ -f "$file" ] || { echo "redis-tcl-suite.sh: $unit.tcl not in the suite" >&2; exit 2; }
  # Only servers opened at column 0 (the file's own); the tags stay otherwise as they were.
  sed -i -E '/^start_server/ s/external:skip ?//' "$file"
done
echo "== suite: $version"
echo "   units: $units (top-level external:skip lifted; needs:repl left out)"

# A free loopback port, asked of the OS (the kernel does not hand it out again at once).
free_port() {
  "$tclsh" <<'EOF'
set s [socket -server {} -myaddr 127.0.0.1 0]
puts [lindex [fconfigure $s -sockname] 2]
close $s
EOF
}

# Waits until something answers PING on the port, or fails after ~10 s.
wait_ready() {
  local port=$1 i
  for i in $(seq 1 100); do
    if "$tclsh" <<EOF 2>/dev/null
set s [socket 127.0.0.1 $port]
fconfigure \$s -translation binary
puts -nonewline \$s "PING\r\n"
flush \$s
exit [expr {[string match +PONG* [gets \$s]] ? 0 : 1}]
EOF
    then return 0; fi
    sleep 0.1
  done
  echo "redis-tcl-suite.sh: nothing answers on 127.0.0.1:$port" >&2
  return 1
}

# Runs each unit against 127.0.0.1:$2, writing $out/$1.<unit>.log and $out/$1.results.
run_suite() {
  local name=$1 port=$2 unit base log
  : >"$out/$name.results"
  for unit in $units; do
    base=${unit##*/}
    log=$out/$name.$base.log
    echo "== $name: $unit on 127.0.0.1:$port (log $log)"
    # --durable: a test that raises (an unknown command, say) counts as failed and the file
    # goes on instead of aborting. One client: the tests share the one server.
    (cd "$work/suite" && "$tclsh" tests/test_helper.tcl --host 127.0.0.1 --port "$port" \
      --durable --clients 1 --tags -needs:repl --timeout 600 --single "$unit") >"$log" 2>&1 || true
    # Each outcome as "unit: test name"; a name run twice (once per encoding, say) is
    # numbered, so the sets compare occurrence by occurrence.
    sed 's/\x1b\[[0-9;]*m//g' "$log" | awk -v unit="$base" '
      # The line after [err] is the error less its first 10 bytes (the framework cuts
      # "assertion:"); the full text follows when the error was not an assertion.
      cause_of != "" && cause == "" { cause = $0; next }
      cause_of != "" { if (length($0) > length(cause) && substr($0, length($0) - length(cause) + 1) == cause) cause = $0
                       if (stopped) print "stopped\t" unit ": (a server block stopped)\t" cause
                       else print "err\t" cause_of "\t" cause
                       cause_of = ""; cause = ""; stopped = 0 }
      /^\[ok\]: / { l = $0; sub(/^\[ok\]: /, "", l); sub(/ \([0-9]+ ms\)$/, "", l)
                    print "ok\t" unit ": " l "\t"; next }
      # An [err] naming no file is a server block that raised outside any test: the
      # rest of that block never ran.
      /^\[err\]: / && !/ in tests\/unit\/[^ ]*$/ { stopped = 1 }
      /^\[err\]: / { l = $0; sub(/^\[err\]: /, "", l); sub(/ in tests\/unit\/[^ ]*$/, "", l)
                     cause_of = unit ": " l; next }
      /^\[ignore\]: / { l = $0; sub(/^\[ignore\]: /, "", l); print "ignore\t" unit ": " l "\t"; next }
      /^\[exception\]: / { l = $0; sub(/^\[exception\]: /, "", l)
                           print "exception\t" unit ": (the file stopped)\t" l }
    ' | awk -F'\t' -v OFS='\t' '{ n = ++seen[$2]; if (n > 1) $2 = $2 " #" n; print }' \
      >>"$out/$name.results"
    echo "   $base: passed $(grep -c "^ok.$base: " "$out/$name.results" || true)," \
         "failed $(grep -c "^err.$base: " "$out/$name.results" || true)," \
         "blocks stopped $(grep -cE "^(stopped|exception).$base: " "$out/$name.results" || true)," \
         "left out $(grep -c "^ignore.$base: " "$out/$name.results" || true)"
  done
}

start_serve() {
  local bin=$serve_bin
  if [ -z "$bin" ]; then
    echo "== building hashcheck (cargo build --release -p harness --bin hashcheck)"
    (cd "$root" && cargo build -q --release --locked -p harness --bin hashcheck)
    bin=$root/target/release/hashcheck
  fi
  "$bin" serve --port 0 >"$work/serve.out" 2>"$out/serve.stderr" &
  pids+=($!)
  local i
  for i in $(seq 1 100); do
    grep -q 'listening on' "$work/serve.out" 2>/dev/null && break
    sleep 0.1
  done
  serve_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.out")
  [ -n "$serve_port" ] || { echo "redis-tcl-suite.sh: hashcheck serve did not start" >&2; exit 2; }
  wait_ready "$serve_port"
  echo "== hashcheck serve: $bin (pid ${pids[-1]}, port $serve_port)"
}

start_redis() {
  local bin
  bin=$(cd "$root" && bash scripts/install-servers.sh | sed -n 's/^REDIS_8_2=//p')
  [ -x "$bin" ] || { echo "redis-tcl-suite.sh: Redis 8.2.3 not installed" >&2; exit 2; }
  redis_port=$(free_port)
  # Started as the suite's own servers are: no persistence, debug command enabled.
  "$bin" --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --enable-debug-command yes --dir "$work" --daemonize no >"$out/redis.stdout" 2>&1 &
  pids+=($!)
  wait_ready "$redis_port"
  echo "== redis-server 8.2.3: $bin (pid ${pids[-1]}, port $redis_port)"
}

if [ "$only" != serve ]; then start_redis; run_suite redis "$redis_port"; fi
if [ "$only" != redis ]; then start_serve; run_suite serve "$serve_port"; fi

# 2. The sets and their difference.
for name in redis serve; do
  [ -f "$out/$name.results" ] || continue
  echo "== $name: failed"
  grep '^err' "$out/$name.results" | cut -f2,3 | sed 's/\t/  <- /; s/^/   /' || true
  echo "== $name: server blocks stopped outside a test (their remaining tests never ran)"
  grep -E '^(stopped|exception)' "$out/$name.results" | cut -f2,3 | sed 's/\t/  <- /; s/^/   /' || true
done
if [ -f "$out/redis.results" ]; then
  echo "== left out (tags), on Redis"
  grep '^ignore' "$out/redis.results" | cut -f2 | sed 's/^/   /' || true
fi
if [ -f "$out/redis.results" ] && [ -f "$out/serve.results" ]; then
  # Only the units of this run: the other side's results (--only) may hold more.
  bases=$(for unit in $units; do printf '%s|' "${unit##*/}"; done)
  for name in redis serve; do
    grep -E "^ok.(${bases%|}): " "$out/$name.results" | cut -f2 | sort >"$work/$name.ok" || true
  done
  comm -23 "$work/redis.ok" "$work/serve.ok" >"$work/gap.names"
  # Each with serve's error, or "not reached" when serve never ran it (its file stopped).
  # A test serve never ran is put down to the first server block that stopped in its file.
  awk -F'\t' 'NR == FNR { if ($1 == "err") cause[$2] = $3
                          u = $2; sub(/: .*/, "", u)
                          if ($1 == "stopped" && !(u in stop)) stop[u] = $3
                          next }
               { u = $0; sub(/: .*/, "", u)
                 print $0 "\t" ($0 in cause ? cause[$0] : "not reached, after: " stop[u]) }' \
    "$out/serve.results" "$work/gap.names" >"$out/gap.txt"
  echo "== pass on Redis 8.2.3 but not on serve: $(wc -l <"$out/gap.txt")"
  sed 's/\t/  <- /; s/^/   /' "$out/gap.txt"
  echo "== the same, by serve's error, most tests first"
  cut -f2 "$out/gap.txt" | sort | uniq -c | sort -rn | sed 's/^/   /'
  comm -13 "$work/redis.ok" "$work/serve.ok" >"$out/serve-only.txt"
  echo "== pass on serve but not on Redis 8.2.3: $(wc -l <"$out/serve-only.txt")"
  sed 's/^/   /' "$out/serve-only.txt"
fi
# 3. The figures docs/redis-test-suite.md quotes, per file: tests passed on each server, the
# gap (passed on Redis, not on serve), and the tests left out by tag on Redis (the same
# tags are left out on serve).
echo "== per file: passed on Redis 8.2.3, passed on serve, gap, left out"
printf '   %-20s %6s %6s %4s %9s\n' file redis serve gap "left out"
for unit in $units; do
  base=${unit##*/}
  count() { if [ -f "$2" ]; then grep -c "^$1.$base: " "$2" || true; else echo -; fi; }
  gap=-
  [ -f "$out/gap.txt" ] && { gap=$(grep -c "^$base: " "$out/gap.txt" || true); }
  printf '   %-20s %6s %6s %4s %9s\n' "$base" "$(count ok "$out/redis.results")" \
    "$(count ok "$out/serve.results")" "$gap" "$(count ignore "$out/redis.results")"
done
echo "== logs and lists: $out"
# A test that passes on Redis 8.2.3 and not on serve is a gap in serve: exit 1 then.
if [ -s "$out/gap.txt" ]; then exit 1; fi
