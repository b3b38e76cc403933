"""`microblog serve`: granian with the production settings, sized so that slow or idle clients
cannot take every worker's capacity."""
import contextlib
import ctypes
import errno
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings

from ..worker import NO_BASE_URL
from .outbound import LOOPBACK_WARNING
from .request_limits import per_process_warning

# granian counts connections, not requests, against its backpressure: each open connection
# holds one place from accept to close. A worker takes up to this many; the kernel hands
# further ones to the other workers.
CONNECTIONS_PER_WORKER = 512
# File descriptors a worker needs besides its connections: database, logs, the listener.
SPARE_FILE_DESCRIPTORS = 64
FILE_LIMIT_WHEN_UNLIMITED = 65536
# A client must send its request line and headers within this time, also for a later request
# on a kept-alive connection; then granian closes the connection.
HEADER_READ_TIMEOUT_MS = 10_000
# A stopping worker finishes its requests for this long, then is killed; without it granian
# waits for good on a worker whose request never ends (a body that never arrives).
WORKERS_KILL_TIMEOUT_SECONDS = 10
# glibc gives each thread that allocates its own malloc arena, up to 8 a core; a worker's threads
# (granian's, one a connection) then keep memory in arenas that sit mostly idle. Only one of them
# runs Python at a time (the GIL); the others are in SQLite or granian's runtime. 4 arenas are
# enough for them; 2 made the threads wait for each other (docs/benchmarks.md, "Third pass" and
# "Fourth pass: worker memory").
MALLOC_ARENAS = 4
M_ARENA_MAX = -8  # glibc's mallopt() parameter number


def default_workers():
    return 2 * multiprocessing.cpu_count() + 1


def raise_file_limit():
    """Raise this process's open-file limit (workers inherit it) to the hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FILE_LIMIT_WHEN_UNLIMITED if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


def connections_per_worker(file_limit):
    return max(1, min(CONNECTIONS_PER_WORKER, file_limit - SPARE_FILE_DESCRIPTORS))


def check_port_free(host, port):
    """Refuse a port that any process already listens on, in one line.

    granian listens with SO_REUSEPORT so that its own workers share the port; the kernel would
    also let a second `serve` (another blog, an old version left running) share it, and split
    the requests between them. A socket bound without SO_REUSEPORT collides with any listener.
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closed connections don't count
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "already in use" if error.errno == errno.EADDRINUSE else error.strerror
            raise click.ClickException(f"Cannot listen on {host} port {port}: {reason}.") from None


def build_server(host, port, workers):
    """granian serving microblog's WSGI app. Each worker gets as many threads as connections,
    so requests whose bodies arrive slowly (granian cannot time a body out) hold only their
    own threads and never keep a reader waiting for one."""
    connections = connections_per_worker(raise_file_limit())
    return Granian(
        "microblog:create_served_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        http=HTTPModes.http1,
        websockets=False,
        workers=workers,
        backpressure=connections,
        blocking_threads=connections,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
        respawn_failed_workers=True,
        workers_kill_timeout=WORKERS_KILL_TIMEOUT_SECONDS,
    )


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1), default=default_workers,
              show_default="2 × cores + 1", help="Worker processes.")
def serve_command(host, port, workers):
    """Serve microblog in production: granian with bounded connections, header and shutdown
    timeouts, and failed workers respawned."""
    config = current_app.config
    check_port_free(host, port)  # first: a port in use is the one line said
    warning = per_process_warning(config, workers)
    if warning:
        current_app.logger.warning(warning)
    if config["OUTBOUND_ALLOW_LOOPBACK"]:
        current_app.logger.warning(LOOPBACK_WARNING)
    if not config["PUBLIC_BASE_URL"]:
        current_app.logger.warning(NO_BASE_URL)
    runs_worker = config["SERVE_RUNS_WORKER"] and config["PUBLIC_BASE_URL"]
    limit_malloc_arenas()  # before granian forks the workers: they keep the setting
    with delivery_worker() if runs_worker else contextlib.nullcontext():
        build_server(host, port, workers).serve()


def limit_malloc_arenas():
    """At most MALLOC_ARENAS malloc arenas in this process and the workers forked from it, unless
    the environment sets glibc's own MALLOC_ARENA_MAX (a C library without mallopt keeps its ways)."""
    if "MALLOC_ARENA_MAX" not in os.environ:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).mallopt(M_ARENA_MAX, MALLOC_ARENAS)


PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child: end with SIGTERM when the process that started it ends (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextlib.contextmanager
def delivery_worker():
    """`flask worker` in a process of its own beside the server (the server's workers are forked,
    and a thread of the parent would not be), stopped with it, ended too if serve is killed."""
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "microblog", "worker"],
                               preexec_fn=_die_with_parent)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=WORKERS_KILL_TIMEOUT_SECONDS + 20)
        except subprocess.TimeoutExpired:
            process.kill()
