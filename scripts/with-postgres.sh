#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: TEST_DATABASE_URL points at it.
# Installs Debian's postgresql package when no server is found (as root), starts a cluster in
# a temporary folder on a free loopback port (as the postgres user when run as root, since the
# server refuses root), runs the command, then stops the server and removes the folder.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PG_BIN=$(find_bin)
if [[ -z $PG_BIN ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "PostgreSQL server binaries not found; install them (Debian: apt-get install postgresql)" >&2
    exit 1
  fi
  echo "Installing PostgreSQL (Debian package)…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(find_bin)
fi

as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
DIR=$(mktemp -d)
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT

as_owner "$PG_BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null

export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $TEST_DATABASE_URL" >&2
"$@"
