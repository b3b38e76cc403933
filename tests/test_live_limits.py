"""Limits on what a request may send, through real granian and gunicorn servers: bodies over
their limit however they are framed, JSON nested too deeply."""
import json

import pytest
import requests

from scripts import harness

SERVERS = ["granian", "gunicorn"]
POSTS = "/api/v1/admin/posts"
IMPORT = "/api/v1/admin/import"
PROBLEM = "application/problem+json"


def chunked(body, size=64 * 1024):
    """The body as a generator, which requests sends with Transfer-Encoding: chunked."""
    return (body[start:start + size] for start in range(0, len(body), size))


def padded_post(length):
    """A valid post body of exactly `length` bytes (JSON allows trailing whitespace)."""
    document = json.dumps({"content": "padded"}).encode()
    return document + b" " * (length - len(document))


def assert_problem(response, status):
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["status"] == status


@pytest.mark.parametrize("kind", SERVERS)
def test_a_body_over_the_limit_is_413_however_it_is_framed_and_stores_nothing(live_server, kind):
    server = live_server(kind, workers=1, MAX_CONTENT_LENGTH=64 * 1024)
    session = requests.Session()
    headers = {**harness.login(session, server.url), "Content-Type": "application/json"}
    over = padded_post(64 * 1024 + 1)
    for body in (over, chunked(over), chunked(padded_post(2 * 1024 * 1024))):
        assert_problem(session.post(server.url + POSTS, data=body, headers=headers), 413)
    assert session.get(server.url + POSTS, headers=headers).json()["items"] == []
    at_the_limit = session.post(server.url + POSTS, data=chunked(padded_post(64 * 1024)), headers=headers)
    assert at_the_limit.status_code == 201, at_the_limit.text


@pytest.mark.parametrize("kind", SERVERS)
def test_an_import_sent_chunked_has_its_own_larger_limit(live_server, kind):
    server = live_server(kind, workers=1, MAX_CONTENT_LENGTH=1024, IMPORT_MAX_CONTENT_LENGTH=64 * 1024)
    session = requests.Session()
    headers = harness.login(session, server.url)
    export = session.get(server.url + "/api/v1/admin/export", headers=headers).content
    ndjson = {**headers, "Content-Type": "application/x-ndjson"}
    within = export + b"\n" * (32 * 1024)  # blank lines are skipped: larger than MAX_CONTENT_LENGTH
    imported = session.post(server.url + IMPORT, data=chunked(within), headers=ndjson)
    assert imported.status_code == 200, imported.text
    assert imported.json()["admin"] == {"created": 0, "updated": 0, "unchanged": 1}
    over = export + b"\n" * (64 * 1024)
    assert_problem(session.post(server.url + IMPORT, data=chunked(over), headers=ndjson), 413)


@pytest.mark.parametrize("kind", SERVERS)
def test_json_nested_100000_deep_is_a_problem_not_a_server_error(live_server, kind):
    server = live_server(kind, workers=1)
    session = requests.Session()
    headers = harness.login(session, server.url)
    deep = b"[" * 100_000
    export = session.get(server.url + "/api/v1/admin/export", headers=headers).content
    ndjson = {**headers, "Content-Type": "application/x-ndjson"}
    imported = session.post(server.url + IMPORT, data=export + deep + b"\n", headers=ndjson)
    assert_problem(imported, 422)
    assert imported.json()["errors"][0]["line"] == export.count(b"\n") + 1
    login = session.post(server.url + "/api/v1/auth/login", data=deep,
                         headers={"Content-Type": "application/json"})
    assert_problem(login, 400)
