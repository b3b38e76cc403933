#!/usr/bin/env bash
# make container-test: build the image from Containerfile (on a Debian 12 base made here with
# debootstrap: no registry is reachable), start compose.yaml with podman-compose (postgres and
# redis swapped for Debian-built stand-ins by containers/test/compose.yaml), run the Postman
# collection against the published port, restart the app and check the data, take the stack
# down and up again and check it once more; then remove everything it made, whatever happened.
# Needs root, podman, runc and debootstrap (.ci/run installs them). Everything podman stores
# lives in a temporary folder (its own containers.conf and storage.conf); only the project's
# network is host-wide, and it is removed too.
set -euo pipefail
cd "$(dirname "$0")/../.."
COMPOSE_BIN=${COMPOSE_BIN:-.venv-containers/bin}
MIRROR=${DEBIAN_MIRROR:-$( (grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources; grep -hsE '^deb ' /etc/apt/sources.list) \
  | awk '!/security/ {print $2; exit}' || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
T0=$SECONDS

((EUID == 0)) || { echo "container-test needs root (debootstrap, rootful podman)" >&2; exit 2; }
for tool in podman runc debootstrap curl; do
  command -v "$tool" >/dev/null || { echo "container-test needs $tool" >&2; exit 2; }
done

WORK=$(mktemp -d /var/tmp/microblog-ctest.XXXXXX)
PROJECT=mbctest$$
step() { printf '\n=== [%3ss] %s\n' "$((SECONDS - T0))" "$*"; }

cat >"$WORK/containers.conf" <<CONF
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$WORK/events.log"
tmp_dir = "$WORK/tmp"
CONF
cat >"$WORK/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$WORK/storage"
runroot = "$WORK/run"
CONF
export CONTAINERS_CONF=$WORK/containers.conf CONTAINERS_STORAGE_CONF=$WORK/storage.conf

# podman 4.3 schedules health checks with systemd timers, and says so on every start where
# there is no systemd; the checks still run when asked (wait_healthy).
quiet() { "$@" 2> >(grep -vE 'systemd connection|connect to syslog' >&2); }
compose() {
  quiet "$COMPOSE_BIN/podman-compose" --project-name "$PROJECT" --env-file "$WORK/env" \
    -f compose.yaml -f containers/test/compose.yaml "$@"
}
container() {
  podman ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1
}

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  if ((status)); then
    for name in $(podman ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}' 2>/dev/null); do
      echo "--- last logs of $name ---"; podman logs --tail 40 "$name" 2>&1
    done
  fi
  step "cleaning up"
  timeout 120 "$COMPOSE_BIN/podman-compose" --project-name "$PROJECT" --env-file "$WORK/env" \
    -f compose.yaml -f containers/test/compose.yaml down -v -t 10 >/dev/null 2>&1
  # Everything in this storage is the test's own.
  podman rm -af -t 5 >/dev/null 2>&1
  podman volume rm -af >/dev/null 2>&1
  podman network rm -f "${PROJECT}_default" >/dev/null 2>&1
  podman rmi -af >/dev/null 2>&1
  grep -F " $WORK/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$WORK"
  if podman network exists "${PROJECT}_default" 2>/dev/null; then
    echo "network ${PROJECT}_default is left over" >&2; status=1
  fi
  echo "container-test: $([[ $status == 0 ]] && echo passed || echo FAILED) in $((SECONDS - T0)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

wait_healthy() {  # service, seconds: runs the service's health check until it passes
  local name deadline=$((SECONDS + $2))
  name=$(container "$1")
  until podman healthcheck run "$name" >/dev/null 2>&1; do
    if ((SECONDS > deadline)) || [[ $(podman inspect --format '{{.State.Status}}' "$name") != running ]]; then
      echo "$1 is not healthy after $2 s" >&2; return 1
    fi
    sleep 1
  done
  echo "$1 is healthy"
}

start_stack() {  # compose.yaml's order: db and redis healthy, migrate done, app healthy
  compose up -d --no-build db redis
  wait_healthy db 90
  wait_healthy redis 60
  compose up -d --no-build --no-deps migrate
  local migrate status
  migrate=$(container migrate)
  status=$(timeout 120 podman wait "$migrate")
  podman logs "$migrate"
  [[ $status == 0 ]] || { echo "migrate exited with $status" >&2; return 1; }
  compose up -d --no-build --no-deps app
  wait_healthy app 60
}

step "Debian 12 base (debootstrap from $MIRROR)"
debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log"; exit 1; }
rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
tar -C "$WORK/rootfs" -c . | podman import -q - localhost/microblog-test-debian:bookworm >/dev/null
rm -rf "$WORK/rootfs"

step "stand-in images: python (for the official python:3.11-slim), postgres, redis"
build() { podman build -q --network host --build-arg DEBIAN_IMAGE=localhost/microblog-test-debian:bookworm "$@" . >/dev/null; }
build -t localhost/microblog-test-python:bookworm -f containers/test/python.Containerfile
build -t localhost/microblog-test-postgres:bookworm -f containers/test/postgres.Containerfile
build -t localhost/microblog-test-redis:bookworm -f containers/test/redis.Containerfile

step "microblog's image from Containerfile (BASE_IMAGE=the python stand-in)"
ca_args=()
for bundle in "${PIP_CERT:-}" /etc/ssl/certs/ca-certificates.crt; do  # PyPI through this machine's proxy
  if [[ -n $bundle && -f $bundle ]]; then ca_args=(-v "$bundle:/run/build-ca.crt:ro" --build-arg PIP_CERT=/run/build-ca.crt); break; fi
done
build_started=$SECONDS
podman build -q --format docker --network host "${ca_args[@]}" \
  --build-arg BASE_IMAGE=localhost/microblog-test-python:bookworm -t localhost/microblog:latest -f Containerfile . >/dev/null
image_size=$(podman image inspect --format '{{.Size}}' localhost/microblog:latest)
base_size=$(podman image inspect --format '{{.Size}}' localhost/microblog-test-python:bookworm)
echo "built in $((SECONDS - build_started)) s: $((image_size / 1000000)) MB, of which microblog's layers" \
  "$(((image_size - base_size) / 1000000)) MB over the base's $((base_size / 1000000)) MB"

step "what the image holds: a non-root user, no secrets, no test tools, no compiler"
podman image inspect --format '{{json .Config.Env}} {{.Config.User}}' localhost/microblog:latest
podman image inspect --format '{{json .Config.Env}}' localhost/microblog:latest | grep -qiE 'secret|password' \
  && { echo "the image's environment holds a secret" >&2; exit 1; }
quiet podman run --rm --network none --entrypoint sh localhost/microblog:latest -euc '
  [ "$(id -u)" != 0 ]
  for tool in gcc cc c++ make pytest ruff newman node npm; do
    if command -v "$tool" >/dev/null; then echo "the image has $tool"; exit 1; fi
  done
  for module in pytest hypothesis schemathesis ruff; do
    if python3 -c "import $module" 2>/dev/null; then echo "the image has $module"; exit 1; fi
  done
  [ -z "$(ls -A /app/instance)" ] || { echo "the instance folder is not empty"; exit 1; }
  echo "runs as $(id -un) ($(id -u)); no compiler or test tools; empty instance folder"'

step "compose.yaml up (podman-compose $("$COMPOSE_BIN/podman-compose" version 2>/dev/null | head -1 | awk '{print $NF}'))"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }
umask 077
cat >"$WORK/env" <<ENV
SECRET_KEY=$(secret)
POSTGRES_PASSWORD=$(secret)
ADMIN_USERNAME=admin
ADMIN_PASSWORD=$(secret)
PUBLISHED_PORT=$PORT
MICROBLOG_WORKERS=2
ENV
umask 022
ADMIN_PASSWORD=$(sed -n 's/^ADMIN_PASSWORD=//p' "$WORK/env")
BASE=http://127.0.0.1:$PORT
start_stack
[[ $(podman exec "$(container app)" id -u) != 0 ]] || { echo "the app runs as root" >&2; exit 1; }
curl -fsS "$BASE/healthz"; echo

step "the Postman collection against $BASE"
npx --no-install newman run postman_collection.json --reporters cli --reporter-cli-no-success-assertions \
  --env-var "baseUrl=$BASE" --env-var adminUsername=admin --env-var "adminPassword=$ADMIN_PASSWORD"

step "restart the app container: the data stays"
python3 containers/test/check_data.py "$BASE" write "$WORK/post-id" admin "$ADMIN_PASSWORD"
quiet podman restart -t 20 "$(container app)" >/dev/null
wait_healthy app 60
python3 containers/test/check_data.py "$BASE" read "$WORK/post-id" admin "$ADMIN_PASSWORD"

step "down (volumes kept) and up again: the data stays, init-db changes nothing"
compose down -t 20
podman volume ls --format '{{.Name}}' | grep -c "^${PROJECT}_" | grep -qx 3 || { echo "the 3 named volumes are not all kept" >&2; exit 1; }
start_stack
python3 containers/test/check_data.py "$BASE" read "$WORK/post-id" admin "$ADMIN_PASSWORD"

step "a new admin password through the one-off service (README: compose run --rm -T migrate create-admin)"
NEW_PASSWORD=$(secret)
printf '%s\n' "$NEW_PASSWORD" | compose run --rm -T --no-deps migrate create-admin --username admin
python3 containers/test/check_data.py "$BASE" read "$WORK/post-id" admin "$NEW_PASSWORD"

step "the README's backup: compose exec -T app flask --app microblog export"
compose exec -T app flask --app microblog export >"$WORK/site.ndjson"
grep -q '"Still here after a restart"' "$WORK/site.ndjson" || { echo "the export lacks the post" >&2; exit 1; }
echo "exported $(wc -l <"$WORK/site.ndjson") lines"

step "passed"
