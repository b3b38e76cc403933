"""gunicorn settings for microblog: `gunicorn -c gunicorn.conf.py wsgi:app`.

Production runs on granian (README, "Running in production"), which served the same app
faster in `make bench` and passed the same contract and hardening tests; this configuration
is the alternative, tested by `make contract-test`, and the one the benchmark's bare-Flask
ceiling runs under.

Every value can be overridden on the command line or through the environment variables named
here. The server sends `Server: gunicorn` without a version.
"""
import multiprocessing
import os
import sys

from microblog.web import head_limits

# Where to listen: a loopback port behind a TLS-terminating reverse proxy (nginx, Caddy).
bind = os.environ.get("MICROBLOG_BIND", "127.0.0.1:8000")

# Sync workers: 2 per core + 1. Each worker is one process with its own database connection
# per request; SQLite in WAL mode and PostgreSQL both take several.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "microblog.web.gunicorn_worker.ProblemSyncWorker"

# A request taking longer than this is killed (its worker restarts); shutdowns wait this long.
timeout = int(os.environ.get("MICROBLOG_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then, so that no slow leak can grow without bound.
max_requests = 10000
max_requests_jitter = 1000

# Request limits before the app sees the request, the numbers the app holds granian to
# (microblog/web/head_limits.py); the app limits bodies (MAX_CONTENT_LENGTH) and the header block.
# gunicorn's own answers (these limits, malformed requests) are problem+json like the app's.
limit_request_line = head_limits.MAX_REQUEST_LINE
limit_request_fields = head_limits.MAX_HEADER_FIELDS
limit_request_field_size = head_limits.MAX_HEADER_FIELD

# Trust no X-Forwarded-* here: the app's PROXY_COUNT is the one rule, on gunicorn as on granian,
# for the scheme of its links (X-Forwarded-Proto) as for client addresses (request limits, login
# throttling). gunicorn would otherwise take X-Forwarded-Proto/-Ssl from any local process and
# switch every link to https while PROXY_COUNT is 0.
forwarded_allow_ips = ""

accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Check the configuration once, in the master, before any worker boots: an error is one
    line and gunicorn stops (several workers failing to boot at once can make gunicorn's own
    main loop log a traceback)."""
    from microblog import create_app
    from microblog.config import ConfigurationError

    try:
        create_app()
    except ConfigurationError as exc:
        print(f"microblog: configuration error: {exc.message}", file=sys.stderr)
        sys.exit(1)
