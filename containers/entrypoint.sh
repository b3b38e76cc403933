#!/bin/sh
# The image's entry point. `serve` (the default) runs granian with the production settings on
# MICROBLOG_HOST:MICROBLOG_PORT (0.0.0.0:8000), MICROBLOG_WORKERS workers if set (else
# `serve`'s default, 2 x cores + 1); any other arguments are a microblog command
# (`init-db`, `create-admin --username admin`, `export`...).
set -eu
if [ "${1:-serve}" = serve ]; then
  [ $# -gt 0 ] && shift
  set -- serve --host "${MICROBLOG_HOST:-0.0.0.0}" --port "${MICROBLOG_PORT:-8000}" \
    ${MICROBLOG_WORKERS:+--workers "$MICROBLOG_WORKERS"} "$@"
fi
exec flask --app microblog "$@"
