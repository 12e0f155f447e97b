#!/usr/bin/env bash
# Starts fakeredis's TCP server (PyPI fakeredis, installed by scripts/install-servers.sh into
# .servers/venv) on 127.0.0.1:PORT, in the foreground: stop it by the PID you started.
#
#   bash scripts/fakeredis-server.sh PORT
#
# fakeredis ships a TCP server class (TcpFakeServer) but no command line that takes a port,
# hence this launcher. It emulates Redis 8.2, the version hashcheck's cases are checked on.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${1:?usage: fakeredis-server.sh PORT}
exec "$root/.servers/venv/bin/python" -c '
import sys
from fakeredis import TcpFakeServer

server = TcpFakeServer(("127.0.0.1", int(sys.argv[1])), server_type="redis", server_version=(8, 2))
print(f"fakeredis listening on 127.0.0.1:{sys.argv[1]}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
' "$port"
