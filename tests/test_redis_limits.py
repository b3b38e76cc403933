"""Request limits counted in a real Redis server: shared by apps (hosts), and when Redis stops,
served with each process's own counts (never a 500), shared again once it is back."""
import logging
import shutil
import socket
import subprocess
import time

import pytest
import redis

from microblog.web import request_limits

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server is not installed (apt-get install redis-server)")

READS = "/api/v1/posts"


class RedisServer:
    """redis-server on a free loopback port, nothing saved; stop() and start() keep the port."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.uri = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--daemonize", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def limited(make_app, redis_server):
    """Two apps (two hosts) counting 5 reads a minute per client in the same Redis."""
    def make():
        return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.uri,
                        RATELIMIT_READS="5 per minute").test_client()
    return make(), make()


def statuses(clients, count, address):
    return [clients[i % len(clients)].get(READS, environ_base={"REMOTE_ADDR": address}).status_code
            for i in range(count)]


def test_two_hosts_share_one_budget(app, limited):
    assert statuses(limited, 8, "192.0.2.1") == [200] * 5 + [429] * 3


def test_without_redis_each_process_counts_alone_and_health_says_so(app, limited, redis_server, caplog):
    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        first, second = statuses(limited[:1], 7, "192.0.2.2"), statuses(limited[1:], 7, "192.0.2.2")
    assert time.monotonic() - started < 5, "a request waited on the Redis that is down"
    assert first == second == [200] * 5 + [429] * 2, "each app applies the limit on its own"
    warnings = [r.getMessage() for r in caplog.records if "is not answering" in r.getMessage()]
    assert len(warnings) == 2, "one warning per app (process), not one per request"
    health = limited[0].get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "database": "ok", "oldest_pending_delivery_age": 0,
                                 "redis": "unavailable"}


def test_shared_limits_return_with_redis(app, limited, redis_server):
    redis_server.stop()
    statuses(limited, 2, "192.0.2.3")  # both apps find Redis down
    redis_server.start()
    time.sleep(request_limits.SharedWindows.RETRY_SECONDS + 0.1)
    assert statuses(limited, 8, "192.0.2.4") == [200] * 5 + [429] * 3
    assert limited[1].get("/healthz").get_json()["redis"] == "ok"


def test_health_has_no_redis_without_it(client):
    assert "redis" not in client.get("/healthz").get_json()


@pytest.mark.parametrize(("uri", "workers", "env", "warns"), [
    ("memory://", 4, "production", True),
    ("memory://", 1, "production", False),
    ("memory://", 4, "development", False),
    ("redis://127.0.0.1:6379", 4, "production", False),
])
def test_start_up_warns_of_per_process_counts(uri, workers, env, warns):
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": uri, "MICROBLOG_ENV": env}
    warning = request_limits.per_process_warning(config, workers)
    assert bool(warning) == warns
    if warns:
        assert f"{workers} times" in warning
