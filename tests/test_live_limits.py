"""Limits on what a request may send, through real granian and gunicorn servers: bodies over
their limit however they are framed, JSON nested too deeply, request lines and header fields
over the limits (problem+json on both servers, but where granian answers alone)."""
import json
import socket

import pytest
import requests

from microblog.web import head_limits
from microblog.web.security_headers import SECURITY_HEADERS
from scripts import harness

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

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
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


@pytest.mark.parametrize("kind", SERVERS)
def test_a_body_over_the_limit_is_413_however_it_is_framed_and_stores_nothing(live_server, kind):
    server = live_server(kind, workers=1, MAX_CONTENT_LENGTH=64 * 1024)
    headers = {**harness.login(requests.Session(), server.url), "Content-Type": "application/json"}
    over = padded_post(64 * 1024 + 1)
    # A connection each (no Session): granian closes a connection whose body went unread
    # after its 413, without saying so, and a client reusing it finds it gone.
    for body in (over, chunked(over), chunked(padded_post(2 * 1024 * 1024))):
        assert_problem(requests.post(server.url + POSTS, data=body, headers=headers), 413)
    assert requests.get(server.url + POSTS, headers=headers).json()["items"] == []
    at_the_limit = requests.post(server.url + POSTS, data=chunked(padded_post(64 * 1024)), headers=headers)
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
    assert_problem(requests.post(server.url + IMPORT, data=chunked(over), headers=ndjson), 413)


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


def feed_url(server, line_length):
    """The feed's URL with a query that makes the request line `line_length` bytes long."""
    start = "/feed.json?x="
    return server.url + start + "a" * (line_length - len("GET  HTTP/1.1") - len(start))


def header_fields(count, field_length):
    """`count` header fields of `field_length` bytes each (as a field line with its CRLF)."""
    return {f"X-{number:03d}": "a" * (field_length - len("X-000: \r\n")) for number in range(count)}


@pytest.mark.parametrize("kind", SERVERS)
def test_request_lines_and_header_fields_over_the_limits_are_414_and_431_problems(live_server, kind):
    server = live_server(kind, workers=1)
    get = requests.Session().get
    assert get(feed_url(server, head_limits.MAX_REQUEST_LINE)).status_code == 200
    for length in (head_limits.MAX_REQUEST_LINE + 1, 60_000):
        assert_problem(get(feed_url(server, length)), 414)
    assert get(server.url + "/healthz", headers=header_fields(3, head_limits.MAX_HEADER_FIELD)).status_code == 200
    assert_problem(get(server.url + "/healthz", headers=header_fields(1, head_limits.MAX_HEADER_FIELD + 1)), 431)
    block = header_fields(head_limits.MAX_HEADER_BYTES // 4000 + 1, 4000)
    assert_problem(get(server.url + "/healthz", headers=block), 431)


def test_gunicorn_answers_every_head_over_its_limits_with_a_problem(live_server):
    server = live_server("gunicorn", workers=1)
    too_many = header_fields(head_limits.MAX_HEADER_FIELDS + 1, 20)
    assert_problem(requests.get(server.url + "/healthz", headers=too_many), 431)
    assert_problem(requests.get(feed_url(server, 100_000)), 414)
    assert_problem(requests.get(server.url + "/healthz", headers=header_fields(1, 600_000)), 431)


def test_granian_alone_answers_three_heads_without_a_body(live_server):
    """The cases docs/hardening.md names, which granian answers before the app sees the request: a request
    target over 65,534 bytes, more than 100 header fields, a head over its HTTP/1 buffer."""
    server = live_server("granian", workers=1)
    line_with_longest_target = 65_534 + len("GET  HTTP/1.1")
    assert_problem(requests.get(feed_url(server, line_with_longest_target)), 414)  # the app's answer
    answers = [
        (414, requests.get(feed_url(server, line_with_longest_target + 1))),
        (431, requests.get(server.url + "/healthz", headers=header_fields(head_limits.MAX_HEADER_FIELDS + 1, 20))),
        (431, requests.get(server.url + "/healthz", headers=header_fields(1, 600_000))),
    ]
    for status, response in answers:
        assert (response.status_code, response.content) == (status, b"")


MALFORMED_CHUNKS = {
    "chunk size zz": b"zz\r\nabc\r\n0\r\n\r\n",
    "no CRLF after the data": b"3\r\nabcXY0\r\n\r\n",
    "bare LF lines": b"3\nabc\n0\n\n",
}


@pytest.mark.parametrize("kind", SERVERS)
def test_a_malformed_chunked_body_is_a_400_problem_or_a_closed_connection(live_server, kind):
    """gunicorn hands the app a body it cannot read: a 400 problem, never a 500. granian parses
    the framing itself and closes the connection, or hands the app what it could read (for
    `zz`, nothing: a 422 "A JSON body is required"). Nothing is stored either way."""
    server = live_server(kind, workers=1)
    headers = harness.login(requests.Session(), server.url)
    head = (f"POST {POSTS} HTTP/1.1\r\nHost: {server.url.split('//')[1]}\r\nContent-Type: application/json\r\n"
            f"Authorization: {headers['Authorization']}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    for name, body in MALFORMED_CHUNKS.items():
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head.encode() + body)
            sock.shutdown(socket.SHUT_WR)  # all sent: a server waiting for the rest of a line learns there is none
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        if answer or kind == "gunicorn":
            status_line, _, rest = answer.partition(b"\r\n")
            allowed = {b"400"} if kind == "gunicorn" else {b"400", b"422"}
            assert status_line.split()[1] in allowed, (name, answer[:500])
            assert b"content-type: application/problem+json" in rest.lower(), (name, answer[:500])
    assert requests.get(server.url + POSTS, headers=headers).json()["items"] == []
