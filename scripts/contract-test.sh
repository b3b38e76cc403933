#!/usr/bin/env bash
# Start microblog under `microblog serve` (granian, 2 workers, production settings; MICROBLOG_SERVER=gunicorn for
# gunicorn with gunicorn.conf.py) on a fresh SQLite file (or the empty database named by
# TEST_DATABASE_URL) holding a few demo posts, run postman_collection.json against it twice with
# newman (postman_environment.json, its variables set), check that the public list and the tag
# list are then exactly as before (the collection purges what it made), and stop it again.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
WORKDIR=$(mktemp -d)
PORT=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

export MICROBLOG_ENV=production
export DATABASE_URL=${TEST_DATABASE_URL:-sqlite:///$WORKDIR/microblog.sqlite3}
export SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(32))')
export ADMIN_USERNAME=admin
export ADMIN_PASSWORD=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(18))')

cleanup() {
  [[ -n ${SERVER_PID:-} ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

"$BIN/flask" --app microblog init-db
"$BIN/flask" --app microblog seed --count 5 >/dev/null   # what the collection must leave as it found it
if [[ ${MICROBLOG_SERVER:-granian} == granian ]]; then
  "$BIN/flask" --app microblog serve --workers 2 --host 127.0.0.1 --port "$PORT" 2>"$WORKDIR/error.log" &
else
  "$BIN/gunicorn" --config gunicorn.conf.py --workers 2 --bind "127.0.0.1:$PORT" --no-control-socket \
    --access-logfile "$WORKDIR/access.log" --error-logfile "$WORKDIR/error.log" wsgi:app &
fi
SERVER_PID=$!
"$BIN/python" - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the server did not become healthy")
PY

# The public list (every page) and the tag list, as an anonymous reader sees them.
snapshot() {
  "$BIN/python" - "http://127.0.0.1:$PORT" <<'PY'
import json, sys, urllib.request
base, pages, url = sys.argv[1], [], "/api/v1/posts?limit=100"
while url:
    page = json.load(urllib.request.urlopen(base + url))
    pages.append(page["items"])
    url = page["next_cursor"] and f"/api/v1/posts?limit=100&cursor={page['next_cursor']}"
tags = json.load(urllib.request.urlopen(base + "/api/v1/tags"))
print(json.dumps({"posts": pages, "tags": tags}, indent=1, sort_keys=True))
PY
}
snapshot >"$WORKDIR/before.json"

status=0
for run in 1 2; do
  echo "--- newman, run $run of 2 ---"
  npx --no-install newman run postman_collection.json -e postman_environment.json \
    --env-var "baseUrl=http://127.0.0.1:$PORT" \
    --env-var "adminUsername=$ADMIN_USERNAME" \
    --env-var "adminPassword=$ADMIN_PASSWORD" \
    --env-var changePassword=true || status=$?
done
snapshot >"$WORKDIR/after.json"
if ! diff -u "$WORKDIR/before.json" "$WORKDIR/after.json"; then
  echo "The collection left the public list or the tag list changed (diff above)."
  status=1
else
  echo "After two runs the public list and the tag list are as they were."
fi
if ((status)); then
  echo "--- server error log ---"; cat "$WORKDIR/error.log"
fi
exit "$status"
