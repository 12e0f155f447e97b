#!/usr/bin/env bash
# A local 3-primary Redis 8.2.3 cluster for measuring hashcheck against (docs/cluster.md),
# set up as harness/tests/it/support/cluster.rs does it, for runs by hand.
#
#   scripts/cluster.sh start DIR        three nodes on free loopback ports; prints the node
#                                       list (127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3)
#   scripts/cluster.sh migrate DIR SECS TAG...
#                                       moves the slot of each hash tag (`{j0}`, `{0}`) to the
#                                       next node, round after round, one MIGRATE per key with
#                                       a pause between, so commands meet ASK and TRYAGAIN; for
#                                       SECS seconds, or with 0 until TERM (which ends it
#                                       between two migrations); prints the migrations and
#                                       the keys they moved
#   scripts/cluster.sh during DIR TAG... -- COMMAND...
#                                       runs COMMAND while migrating the tags' slots; its exit
#                                       status, and the migrations on stderr
#   scripts/cluster.sh stop DIR         stops the nodes by the PIDs in DIR/pids
#
# The nodes listen on 127.0.0.1 only. DIR holds their config files, logs, PIDs and ports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${HASHCHECK_REDIS_CLI:-redis-cli}
# Pause between two keys' MIGRATEs, and after marking a slot (seconds).
pause=${CLUSTER_PAUSE:-0.005}

usage() { sed -n '4,18p' "$0" >&2; exit 2; }

r() { # port words...
  local port=$1
  shift
  "$cli" -h 127.0.0.1 -p "$port" "$@"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ports() { cat "$1/ports"; }

start() {
  local dir=$1
  mkdir -p "$dir"
  if [ -s "$dir/pids" ]; then
    echo "$dir/pids exists: stop that cluster first" >&2
    exit 1
  fi
  if [ -z "${HASHCHECK_REDIS_8_2:-}" ]; then
    . "$root/scripts/servers-env.sh" >&2
  fi
  : >"$dir/ports"
  local i port bus
  for i in 0 1 2; do
    port=$(free_port)
    bus=$(free_port)
    "$HASHCHECK_REDIS_8_2" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
      --dir "$dir" --cluster-enabled yes --cluster-config-file "nodes-$i.conf" \
      --cluster-port "$bus" --cluster-node-timeout 5000 --logfile "$dir/node-$i.log" \
      --enable-debug-command local \
      </dev/null >/dev/null 2>&1 &
    echo $! >>"$dir/pids"
    echo "$port $bus" >>"$dir/ports"
  done
  while read -r port bus; do
    for _ in $(seq 100); do r "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
  done <"$dir/ports"
  # What `redis-cli --cluster create --cluster-replicas 0` does: epochs, a third of the
  # slots each, then MEET.
  local ranges=("0 5460" "5461 10922" "10923 16383") first=""
  i=0
  while read -r port bus; do
    r "$port" CLUSTER SET-CONFIG-EPOCH $((i + 1)) >/dev/null
    # shellcheck disable=SC2086
    r "$port" CLUSTER ADDSLOTSRANGE ${ranges[$i]} >/dev/null
    if [ -z "$first" ]; then first=$port; else r "$first" CLUSTER MEET 127.0.0.1 "$port" "$bus" >/dev/null; fi
    i=$((i + 1))
  done <"$dir/ports"
  local up
  for _ in $(seq 300); do
    up=0
    while read -r port bus; do
      if r "$port" CLUSTER INFO | grep -q 'cluster_state:ok' &&
        r "$port" CLUSTER INFO | grep -q 'cluster_known_nodes:3'; then
        up=$((up + 1))
      fi
    done <"$dir/ports"
    [ "$up" = 3 ] && break
    sleep 0.1
  done
  if [ "$up" != 3 ]; then
    echo "the cluster did not come up; see $dir/node-*.log" >&2
    exit 1
  fi
  awk '{ printf "%s127.0.0.1:%s", (NR > 1 ? "," : ""), $1 } END { print "" }' "$dir/ports"
}

# The migration loop, in Python with redis-py (installed by install-servers.sh into
# .servers/venv): a redis-cli process per command made one migration take 0.3 s, too slow
# to catch a case's keys, which live for a few milliseconds.
migrate() {
  local dir=$1 secs=$2
  shift 2
  [ $# -gt 0 ] || usage
  if [ -z "${HASHCHECK_PYTHON_REDIS:-}" ]; then
    . "$root/scripts/servers-env.sh" >&2
  fi
  # exec: the caller's $! is the loop itself, for `kill` (TERM ends it between migrations).
  exec "$HASHCHECK_PYTHON_REDIS" - "$dir" "$secs" "$pause" "$@" <<'PY'
import signal, sys, time
import redis

stop = False
def stop_soon(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, stop_soon)
signal.signal(signal.SIGINT, stop_soon)

dir, secs, pause, tags = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
ports = [int(line.split()[0]) for line in open(f"{dir}/ports")]
nodes = [redis.Redis(host="127.0.0.1", port=p, socket_timeout=10) for p in ports]
ids = [n.execute_command("CLUSTER", "MYID").decode() for n in nodes]
slots = [nodes[0].execute_command("CLUSTER", "KEYSLOT", t) for t in tags]

def owner(slot):
    for start, end, primary, *_ in nodes[0].execute_command("CLUSTER", "SLOTS"):
        if start <= slot <= end:
            return ports.index(int(primary[1]))
    sys.exit(f"no node owns slot {slot}")

def settled():
    """Whether every node knows every node's config epoch as that node has it, and sees the
    slots owned as their owners do. A migration bumps its new owner's epoch; a node that
    does not know yet takes an older claim to a slot, sent before its old owner let go,
    for the newer one, and the slot ends up owned by nobody (and its keys are dropped)."""
    own = {}
    for n, i in zip(nodes, ids):
        info = n.execute_command("CLUSTER", "INFO").decode()
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        own[i] = int(fields["cluster_my_epoch"])
    views = []
    for n in nodes:
        view = {}
        for line in n.execute_command("CLUSTER", "NODES").decode().splitlines():
            f = line.split()
            if int(f[6]) != own[f[0]]:
                return False
            view[f[0]] = sorted(x for x in f[8:] if not x.startswith("["))
            if any(x.startswith("[") for x in f[8:]):
                return False
        views.append(view)
    return all(v == views[0] for v in views)

def settle():
    deadline = time.monotonic() + 30
    while not settled():
        if time.monotonic() > deadline:
            sys.exit("the cluster's nodes did not agree on slots and epochs within 30 s")
        time.sleep(0.02)

def move(slot):
    """Moves slot to the next node, one MIGRATE per key with a pause between, as an
    operator does (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE on every node, the
    new owner first); returns how many keys moved."""
    src = owner(slot)
    dst = (src + 1) % len(nodes)
    nodes[dst].execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[src])
    nodes[src].execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[dst])
    time.sleep(pause)
    moved = 0
    while keys := nodes[src].execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1):
        reply = nodes[src].execute_command(
            "MIGRATE", "127.0.0.1", ports[dst], "", 0, 5000, "KEYS", keys[0])
        # NOKEY: the key expired or was deleted since it was listed.
        moved += reply in (b"OK", "OK", True)
        time.sleep(pause)
    for i in [dst] + [i for i in range(len(nodes)) if i != dst]:
        nodes[i].execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids[dst])
    settle()
    return moved

settle()
end = time.monotonic() + secs if secs > 0 else float("inf")
migrations = keys = 0
while not stop and time.monotonic() < end:
    for slot in slots:
        keys += move(slot)
        migrations += 1
        if stop or time.monotonic() >= end:
            break
print(f"migrations: {migrations}, keys moved: {keys} (slots {' '.join(map(str, slots))})")
PY
}

during() {
  local dir=$1 tags=() status=0 migrating
  shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do tags+=("$1"); shift; done
  [ $# -gt 1 ] && [ ${#tags[@]} -gt 0 ] || usage
  shift
  if [ -z "${HASHCHECK_PYTHON_REDIS:-}" ]; then
    . "$root/scripts/servers-env.sh" >&2
  fi
  "$0" migrate "$dir" 0 "${tags[@]}" >"$dir/migrations" &
  migrating=$!
  "$@" || status=$?
  kill -TERM "$migrating"
  if ! wait "$migrating"; then
    [ "$status" != 0 ] || status=1
  fi
  echo "during the run: $(cat "$dir/migrations")" >&2
  return "$status"
}

stop() {
  local dir=$1 pid
  [ -s "$dir/pids" ] || { echo "no $dir/pids" >&2; exit 1; }
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
  while read -r pid; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done <"$dir/pids"
  rm -f "$dir/pids"
}

case ${1:-} in
  start) [ $# -eq 2 ] || usage; start "$2" ;;
  migrate) [ $# -ge 4 ] || usage; migrate "$2" "$3" "${@:4}" ;;
  during) [ $# -ge 4 ] || usage; during "${@:2}" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) usage ;;
esac
