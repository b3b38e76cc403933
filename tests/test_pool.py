"""Each worker's PostgreSQL pool is bounded and closes its idle connections, on a real server."""
import contextlib
import os
import threading
import time

import psycopg2
import pytest
import requests

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="counts PostgreSQL's server connections")

LOCKER = "microblog-test-locker"
SERVER_BACKENDS = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
                   f"AND application_name <> '{LOCKER}'")
BACKENDS_WAITING_ON_A_LOCK = SERVER_BACKENDS + " AND wait_event_type = 'Lock'"


@pytest.fixture
def observer():
    """A connection of the test's own, outside the server's pools; each query its own
    transaction (pg_stat_activity keeps one snapshot per transaction)."""
    connection = psycopg2.connect(os.environ["TEST_DATABASE_URL"])
    connection.autocommit = True
    yield connection
    connection.close()


def count(observer, query):
    with observer.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0]


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@contextlib.contextmanager
def post_table_locked(observer, server):
    """The post table locked while a list request waits on it, holding one of the server's
    connections; yields that request's outcome (filled in when the request ends)."""
    outcome = {}
    locker = psycopg2.connect(os.environ["TEST_DATABASE_URL"], application_name=LOCKER)
    with locker.cursor() as cursor:
        cursor.execute("LOCK TABLE post IN ACCESS EXCLUSIVE MODE")
    reader = threading.Thread(target=lambda: outcome.update(
        response=requests.get(f"{server.url}/api/v1/posts", timeout=30)))
    reader.start()
    try:
        wait_for(lambda: count(observer, BACKENDS_WAITING_ON_A_LOCK) == 1)
        yield outcome
    finally:
        locker.close()
        reader.join(timeout=30)


def test_a_request_waits_a_bounded_time_for_a_busy_pool_then_gets_503(live_server, observer):
    server = live_server("granian", workers=1, DB_POOL_SIZE=1, DB_POOL_TIMEOUT=1)
    with post_table_locked(observer, server) as held:
        response = requests.get(f"{server.url}/healthz", timeout=10)
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 503
        assert response.headers["Retry-After"] == "1"
        assert count(observer, SERVER_BACKENDS) == 1
    assert held["response"].status_code == 200
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_idle_connections_are_closed(live_server, observer):
    server = live_server("granian", workers=1, DB_POOL_IDLE_TIMEOUT=1)
    with post_table_locked(observer, server):
        assert count(observer, SERVER_BACKENDS) == 1
    wait_for(lambda: count(observer, SERVER_BACKENDS) == 0)
    assert requests.get(f"{server.url}/api/v1/posts", timeout=10).status_code == 200
