"""`microblog serve` (granian with production settings) under crashes, idle clients and stops."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from scripts import harness

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

RESPAWN_DEADLINE_SECONDS = 10


def is_running(pid):
    """Neither gone nor a zombie waiting for its parent."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def migrates_queued_connections():
    with open("/proc/sys/net/ipv4/tcp_migrate_req") as setting:
        return setting.read().strip() == "1"


@pytest.mark.skipif(not migrates_queued_connections(), reason="net.ipv4.tcp_migrate_req is 0, so the kernel resets "
                    "connections queued on the killed worker (docs/deploying.md: set it to 1; .ci/run does)")
def test_a_killed_worker_is_replaced_while_the_others_keep_answering(live_server):
    server = live_server("granian", workers=2)
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + RESPAWN_DEADLINE_SECONDS
    while is_running(victim):  # a connection the dying worker accepted would be reset
        assert time.monotonic() < deadline
        time.sleep(0.01)
    statuses = []
    while time.monotonic() < deadline:
        statuses.append(requests.get(f"{server.url}/api/v1/posts", timeout=5).status_code)
        workers = server.worker_pids()
        if len(workers) == 2 and victim not in workers:
            break
        time.sleep(0.1)
    assert server.process.poll() is None
    assert victim not in workers and len(workers) == 2, workers
    assert set(statuses) == {200}
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_a_client_that_sends_no_request_is_disconnected(live_server):
    server = live_server("granian", workers=1)
    with socket.create_connection(("127.0.0.1", server.port)) as idle:
        idle.settimeout(20)
        idle.sendall(b"GET /api/v1/posts HTTP/1.1\r\n")
        started = time.monotonic()
        answer = idle.recv(1024)
        waited = time.monotonic() - started
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
    assert waited < 15


def test_the_server_stops_while_a_request_body_never_arrives(live_server):
    server = live_server("granian", workers=1)
    with socket.create_connection(("127.0.0.1", server.port)) as stalled:
        stalled.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        time.sleep(0.5)  # the request is in the app, waiting for the rest of its body
        server.process.terminate()
        server.process.wait(timeout=20)


def serve_on(port, env, *options):
    return subprocess.run([f"{harness.BIN}/microblog", "serve", "--host", "127.0.0.1", "--port", str(port), *options],
                          env={**env, "RUST_BACKTRACE": "1"}, cwd=harness.ROOT, capture_output=True, text=True,
                          timeout=60)


def test_a_second_serve_refuses_the_port_its_first_serves_while_workers_share_it(live_server, tmp_path):
    first = live_server("granian", workers=2)
    other_blog = harness.server_env(f"sqlite:///{tmp_path}/other.sqlite3")
    harness.init_db(other_blog)
    second = serve_on(first.port, other_blog, "--workers", "1")
    assert second.returncode == 1
    assert second.stderr.splitlines() == [f"Error: Cannot listen on 127.0.0.1 port {first.port}: already in use."]
    assert len(first.worker_pids()) == 2  # both of its workers answer on the one port
    assert requests.get(f"{first.url}/healthz", timeout=5).status_code == 200


def test_a_port_another_program_holds_is_one_line(tmp_path):
    env = harness.server_env(f"sqlite:///{tmp_path}/blog.sqlite3")
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = serve_on(port, env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"Error: Cannot listen on 127.0.0.1 port {port}: already in use."]


WORKER_APPS = """
import gc, importlib, json
from microblog.web.serve import build_server

serve = build_server("127.0.0.1", 0, 1)
for target, factory in ((serve.target, serve.factory), ("wsgi:app", False)):  # as granian, then gunicorn, load them
    gc.unfreeze()
    gc.collect()
    module, name = target.split(":")
    found = getattr(importlib.import_module(module), name)
    if factory:
        found()
    print(json.dumps({"target": target, "frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}))
"""


def test_a_workers_app_is_out_of_the_garbage_collectors_sight_under_serve_and_wsgi_py(tmp_path):
    """Each full collection of a worker walked every object of the code and the app (about
    100,000, none ever garbage); serve's factory and wsgi.py freeze them once the app is made."""
    env = harness.server_env(f"sqlite:///{tmp_path}/blog.sqlite3")
    done = subprocess.run([f"{harness.BIN}/python", "-c", WORKER_APPS], env=env, cwd=harness.ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    apps = [json.loads(line) for line in done.stdout.splitlines()]
    assert [app["target"] for app in apps] == ["microblog:create_served_app", "wsgi:app"]
    for app in apps:
        assert app["frozen"] > 50_000, app
        assert app["tracked"] < app["frozen"] / 10, app
