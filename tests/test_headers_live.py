"""Response headers as real servers send them: one Date, from the server."""
import http.client
from urllib.parse import urlsplit

import pytest

from scripts import harness


def raw_headers(url, path):
    """Every header line as sent (http.client keeps repeated fields apart)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheaders()


PATHS = ["/api/v1/posts", "/api/v1/tags", "/feed.atom", "/healthz", "/api/v1/posts/999"]


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_every_response_has_one_date(live_server, kind):
    server = live_server(kind, workers=1)
    for path in PATHS:
        _status, headers = raw_headers(server.url, path)
        assert [name.lower() for name, _ in headers].count("date") == 1, (path, headers)


def test_the_development_server_sends_one_date(database_url, tmp_path):
    """`make run`'s server, werkzeug's: it always writes a Date of its own."""
    env = harness.server_env(database_url, MICROBLOG_ENV="development")
    harness.init_db(env)
    port = harness.free_port()
    process = harness.start_process([f"{harness.BIN}/flask", "--app", "microblog", "run", "--port", str(port)],
                                    env, harness.ROOT, f"http://127.0.0.1:{port}/healthz", "flask run")
    try:
        for path in PATHS:
            _status, headers = raw_headers(f"http://127.0.0.1:{port}", path)
            assert [name.lower() for name, _ in headers].count("date") == 1, (path, headers)
    finally:
        process.terminate()
        process.wait(timeout=30)
