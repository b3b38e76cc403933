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


def raw_answer(url, method, path, headers):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-For": "203.0.113.9"}


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_one_rule_for_forwarded_headers_and_plain_options_on_both_servers(live_server, kind):
    """PROXY_COUNT alone decides whether X-Forwarded-Proto/-Ssl switch links to https: gunicorn
    trusts no forwarded header of its own (it took them from any local process). OPTIONS has
    no type, no page policy and is not public."""
    for proxies, scheme in ((0, b"http"), (1, b"https")):
        server = live_server(kind, workers=1, PROXY_COUNT=proxies)
        _response, body = raw_answer(server.url, "GET", "/robots.txt", FORWARDED)
        assert b"Sitemap: " + scheme + b"://127.0.0.1:" in body, (proxies, body)
    response, body = raw_answer(server.url, "OPTIONS", "/", {})
    assert response.status == 200 and body == b""
    assert response.getheader("Content-Type") is None
    assert response.getheader("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'"
    assert "public" not in response.getheader("Cache-Control")
    response, _body = raw_answer(server.url, "GET", "/api/v1//posts", {})
    assert (response.status, response.getheader("Location"), response.getheader("Cache-Control")) == (
        308, "/api/v1/posts", "no-cache")
