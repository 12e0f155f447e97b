#!/usr/bin/env bash
# How good is hashcheck at finding bugs, and does it leave legal servers alone? Serves every
# planted server (harness/examples/planted: the reference engine with one planted bug or
# one legal variant each, all in one build and one process, each on its own loopback port)
# and runs the real hashcheck against each with default flags:
#
#   bash scripts/planted-bugs.sh             # every plant
#   ONLY=hsetex bash scripts/planted-bugs.sh # the plants whose name starts with "hsetex"
#   PROFILE=dev bash scripts/planted-bugs.sh # debug builds (what cargo test has built)
#
# A bug must be found by `hashcheck run` and by `hashcheck fuzz` (up to PLANTED_SECS, 60 s,
# stopping at the first divergence); a legal variant must pass both, and fail
# `hashcheck run --details strict`. One line per plant, with the fuzzer's time to find.
# harness/tests/it/planted.rs checks the same in CI; the list of plants has one home, the
# example (`planted --list`). The server process is stopped by its PID.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs="${PLANTED_SECS:-60}"
profile="${PROFILE:-release}"

flag=--release
[ "$profile" = dev ] && flag=
cargo build $flag --locked -p harness --bin hashcheck --example planted >&2 || exit 2
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
dir="$target_dir/$([ "$profile" = dev ] && echo debug || echo release)"
hashcheck="$dir/hashcheck"
planted="$dir/examples/planted"

# PLANTED_OUT keeps each run's logs and written cases there (default: a temporary directory).
out="${PLANTED_OUT:-$(mktemp -d)}"
mkdir -p "$out"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -z "${PLANTED_OUT:-}" ] && rm -rf "$out"
}
trap cleanup EXIT

mapfile -t names < <("$planted" --list | awk -v only="${ONLY:-}" 'index($1, only) == 1 { print $1 }')
[ "${#names[@]}" -gt 0 ] || { echo "no plant starts with ${ONLY:-}" >&2; exit 2; }
declare -A kind
while read -r name k _; do kind[$name]=$k; done < <("$planted" --list)

coproc SERVER { exec "$planted" "${names[@]}"; }
server_pid=$SERVER_PID
declare -A addr
while read -r name address <&"${SERVER[0]}"; do
  [ "$name" = ready ] && break
  addr[$name]=$address
done

# Exit code and seconds of one hashcheck command; its output goes to $out/$1.log.
timed() {
  local log=$1; shift
  local start=$(date +%s.%N)
  "$hashcheck" "$@" >"$out/$log.log" 2>&1
  rc=$?
  took=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")
}

bugs=0; bugs_run=0; bugs_fuzz=0; legal=0; legal_ok=0
for name in "${names[@]}"; do
  a=${addr[$name]}
  timed "$name.run" run --target "$a"; run_rc=$rc
  timed "$name.fuzz" fuzz --target "$a" --seed 1 --duration "${secs}s" --max-cases 1 \
    --shrink-time 20s --out "$out/$name"
  fuzz_rc=$rc; fuzz_took=$took
  done_line=$(grep -m1 -o "done after.*" "$out/$name.fuzz.log")
  case ${kind[$name]} in
    bug)
      bugs=$((bugs + 1))
      [ "$run_rc" = 1 ] && bugs_run=$((bugs_run + 1))
      [ "$fuzz_rc" = 1 ] && bugs_fuzz=$((bugs_fuzz + 1))
      echo "$name: run $([ "$run_rc" = 1 ] && echo found || echo "NOT found (exit $run_rc)");" \
        "fuzz $([ "$fuzz_rc" = 1 ] && echo "found in ${fuzz_took} s" || echo "NOT found (exit $fuzz_rc)"); $done_line"
      ;;
    legal*)
      legal=$((legal + 1))
      timed "$name.strict" run --target "$a" --details strict; strict_rc=$rc
      want_strict=1
      [ "${kind[$name]}" = legal-strict-blind ] && want_strict=0
      [ "$run_rc" = 0 ] && [ "$fuzz_rc" = 0 ] && [ "$strict_rc" = "$want_strict" ] && legal_ok=$((legal_ok + 1))
      echo "$name (legal): run exit $run_rc, fuzz exit $fuzz_rc (${fuzz_took} s)," \
        "run --details strict exit $strict_rc (want 0, 0, $want_strict)"
      ;;
  esac
done
echo "planted bugs found: by run $bugs_run of $bugs, by fuzz $bugs_fuzz of $bugs" \
  "(fuzz --seed 1, up to ${secs} s each); legal variants as expected: $legal_ok of $legal"
