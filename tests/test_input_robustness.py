"""Hostile or odd input: every request gets a clear 4xx problem, never a 500, and stores nothing."""
import base64

import pytest

from tests.helpers import assert_problem

POSTS = "/api/v1/admin/posts"
LOGIN = "/api/v1/auth/login"


def raw_json(client, url, text, headers=None):
    return client.post(url, data=text, content_type="application/json", headers=headers or {})


@pytest.mark.parametrize("text", [
    '{"username": "admin", "password": ' + "[" * 1100 + "]" * 1100 + "}",
    '{"username": ' + "1" * 5000 + ', "password": "x"}',
    '{"username": "admin", "password": NaN}',
    '{"username": "admin", "password": Infinity}',
    '{"username": "admin", "password": "x"} trailing',
    '\ufeff{"username": "admin"',
])
def test_bodies_that_are_not_strict_json_are_400(client, text):
    body = assert_problem(raw_json(client, LOGIN, text), 400)
    assert body["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize("field", ["username", "password"])
def test_lone_surrogates_are_422(client, field):
    other = "password" if field == "username" else "username"
    response = raw_json(client, LOGIN, '{"%s": "\\ud800", "%s": "x"}' % (field, other))
    assert assert_problem(response, 422)["errors"][0]["pointer"] == f"/{field}"


def test_lone_surrogates_in_posts_are_422_and_nothing_is_stored(client, auth):
    for text in ('{"content": "a\\udfffb"}', '{"content": "ok", "title": "\\ud83d"}',
                 '{"content": "ok", "tags": ["\\ud800"]}'):
        assert_problem(raw_json(client, POSTS, text, auth.headers), 422)
    assert client.get(POSTS, headers=auth.headers).get_json()["items"] == []


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_blank_titles_mean_no_title(client, auth, title):
    post = auth.create_post(content="x", title=title)
    assert post["title"] is None
    patched = client.patch(f"{POSTS}/{post['id']}", json={"title": title}, headers=auth.headers)
    assert patched.status_code == 200 and patched.get_json()["title"] is None
    put = client.put(f"{POSTS}/{post['id']}", json={"content": "y", "title": title}, headers=auth.headers)
    assert put.status_code == 200 and put.get_json()["title"] is None


@pytest.mark.parametrize("slug", ["nl\n", "a--b", "-a", "a-", "Ab", "a b", "ä", "a" * 201])
def test_slugs_must_match_whole(client, auth, slug):
    body = assert_problem(client.post(POSTS, json={"content": "x", "slug": slug}, headers=auth.headers), 422)
    assert body["errors"][0]["pointer"] == "/slug"


def test_slug_lookups_with_a_trailing_newline_find_nothing(client, auth):
    auth.create_post(content="x", slug="nl")
    assert_problem(client.get("/api/v1/posts/by-slug/nl%0A"), 404)


@pytest.mark.parametrize("value", [1, 0, "yes", "on", "true", None])
def test_visible_must_be_a_json_boolean(client, auth, value):
    response = client.post(POSTS, json={"content": "x", "visible": value}, headers=auth.headers)
    assert assert_problem(response, 422)["errors"][0]["pointer"] == "/visible"


@pytest.mark.parametrize("query", ["limit=%2B5", "limit=1_0", "limit=%EF%BC%91", "limit=-1",
                                   "limit=1.0", "limit=%201", "limit=99999999999999999999"])
def test_limits_must_be_plain_digits(client, query):
    assert_problem(client.get(f"/api/v1/posts?{query}"), 422)


@pytest.mark.parametrize("query", ["visible=on", "visible=1", "visible=True", "deleted=ONLY"])
def test_admin_query_flags_are_spelled_exactly(client, auth, query):
    assert_problem(client.get(f"{POSTS}?{query}", headers=auth.headers), 422)


@pytest.mark.parametrize("query", ["limit=1&limit=500", "tag=a&tag=b", "q=a&q=b"])
def test_repeated_parameters_are_422(client, query):
    body = assert_problem(client.get(f"/api/v1/posts?{query}"), 422)
    assert body["errors"][0]["detail"] == "Give this parameter once."


@pytest.mark.parametrize("path", ["0001", "01", "%D9%A1", "%EF%BC%91", "+1"])
def test_each_post_has_one_url(client, auth, path):
    auth.create_post(content="x")
    assert client.get("/api/v1/posts/1").status_code == 200
    assert_problem(client.get(f"/api/v1/posts/{path}"), 404)


@pytest.mark.parametrize("moment", ["20260101T000000Z", "2026-01-01T00:00Z", "2026-01-01",
                                    "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.1234567Z",
                                    "2026-01-01T00:00:00+0100", "2026-13-01T00:00:00Z", 1767225600])
def test_times_must_be_rfc3339_with_a_zone(client, auth, moment):
    response = client.post(POSTS, json={"content": "x", "publish_at": moment}, headers=auth.headers)
    assert assert_problem(response, 422)["errors"][0]["pointer"] == "/publish_at"


def test_rfc3339_variants_are_accepted(auth):
    assert auth.create_post(content="x", publish_at="2026-01-01t10:00:00.5z")["publish_at"] == \
        "2026-01-01T10:00:00.500000Z"


@pytest.mark.parametrize("cursor", [
    base64.urlsafe_b64encode(b"[" * 1000 + b"]" * 1000).decode(),
    "A" * 4000,  # long, yet within the 4094-byte request line
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_absurd_cursors_are_422(client, cursor):
    assert_problem(client.get(f"/api/v1/posts?cursor={cursor}"), 422)


def test_auth_checks_the_token_before_the_body(client):
    response = client.post("/api/v1/auth/logout", data="x", content_type="text/plain")
    assert_problem(response, 401)
    response = client.put("/api/v1/auth/password", data="x", content_type="text/plain")
    assert_problem(response, 401)


def test_non_json_bodies_are_415_where_a_body_is_expected(client, auth):
    assert_problem(client.post(LOGIN, data="x", content_type="text/plain"), 415)
    assert_problem(client.patch(f"{POSTS}/1", data="x", content_type="text/plain", headers=auth.headers), 415)


QUERIES = ["", "limit=5", "limit=0", "limit=101", "limit=%EF%BC%95", "limit=5&limit=6", "tag=Café", "tag=ok",
           "tag=", "q=word", "q=", "q=%00x", "q=" + "w" * 201, "cursor=abc", "cursor=" + "A" * 201,
           "q=x&cursor=WzEsIjIwMjAtMDEtMDFUMDA6MDA6MDAiLDFd", "cursor=WyIyMDIwLTAxLTAxVDAwOjAwOjAwIiwxXQ",
           "since=2020-01-01T00:00:00Z", "until=yesterday", "unknown=1", "visible=true", "tag=a&q=b&limit=7",
           "%FF=%FE", "limit"]


@pytest.mark.parametrize("schema_name", ["ListQuery", "AdminListQuery", "NoQuery", "ChangeQuery"])
def test_query_arguments_read_by_the_schema_alone_are_what_webargs_reads(app, schema_name):
    """The parser's short way (the schema's load of single values) gives what webargs' whole
    parse gives: the same arguments, or the same refusal."""
    from microblog.web import schemas

    for query in QUERIES:
        with app.test_request_context(f"/api/v1/posts?{query}"):
            assert_parsed_as_webargs_parses(getattr(schemas, schema_name)(), "query")


BODIES = [
    ("application/json", b'{"content": "Hello", "tags": ["a", "B", " c "], "title": "T", "visible": false}'),
    ("application/json", b'{"content": "x", "publish_at": "2026-01-01t10:00:00.5z", "slug": "a-b"}'),
    ("application/json", b'{"content": "x", "tags": ["a", "a"]}'),
    ("application/json", b'{"username": "admin", "password": "a password long enough"}'),
    ("application/json", b'{"current_password": "p", "new_password": "q"}'),
    ("application/json", b'{"client_id": "https://app.example/", "scope": "create"}'),
    ("application/json", b'{"state": "ok"}'),
    ("application/json", b'{"content": ""}'),
    ("application/json", b'{"content": "   "}'),
    ("application/json", b'{"content": "x\\u0000"}'),
    ("application/json", b'{"content": 5, "tags": "a"}'),
    ("application/json", b'{"content": "x", "tags": ["caf\xc3\xa9"]}'),
    ("application/json", b'{"content": "x", "unknown": 1}'),
    ("application/json", b'{"content": "x", "publish_at": "tomorrow"}'),
    ("application/json", b'{"title": "' + b"t" * 300 + b'"}'),
    ("application/json", b'{"slug": "Not A Slug"}'),
    ("application/json", b'{}'),
    ("application/json", b'[]'),
    ("application/json", b'"text"'),
    ("application/json", b'null'),
    ("application/json", b'{"content": NaN}'),
    ("application/json", b'{"content": "x",}'),
    ("application/json", b'[' * 5000 + b']' * 5000),
    ("application/json", b'{"n": 1' + b"0" * 5000 + b'}'),
    ("application/json", b'\xff\xfe'),
    ("application/json", b''),
    ("application/json", b'   '),
    ("application/merge-patch+json", b'{"content": "x"}'),
    ("text/plain", b'{"content": "x"}'),
    (None, b''),
]


@pytest.mark.parametrize("schema_name", ["PostInput", "PostPatch", "Login", "PasswordChange", "AppTokenInput",
                                         "MentionStatusInput"])
def test_json_bodies_read_by_the_schema_alone_are_what_webargs_reads(app, schema_name):
    """The parser's short way for bodies (the schema's load of the JSON read as webargs reads it)
    gives what webargs' whole parse gives: the same arguments, or the same refusal."""
    from microblog.web import schemas

    for content_type, body in BODIES:
        with app.test_request_context(POSTS, method="POST", data=body, content_type=content_type):
            assert_parsed_as_webargs_parses(getattr(schemas, schema_name)(), "json")


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "k-1"}, {"idempotency-key": "k-2"}, {"Idempotency-Key": ""},
                                     {"Idempotency-Key": "a b"}, {"Idempotency-Key": "k" * 256},
                                     {"Idempotency-Key": "é"}, {"Other": "x"}])
def test_headers_read_by_the_schema_alone_are_what_webargs_reads(app, headers):
    from microblog.web import schemas

    with app.test_request_context(POSTS, method="POST", headers=headers):
        assert_parsed_as_webargs_parses(schemas.IdempotencyHeaders(), "headers")


def assert_parsed_as_webargs_parses(schema, location):
    """The parser's short ways (the schema's load of what it accepts as it comes) give, for the
    request in context, what webargs' whole parse gives: the same arguments, or the same refusal."""
    from webargs.flaskparser import FlaskParser

    from microblog.web.api import Blueprint

    parser = Blueprint.ARGUMENTS_PARSER

    def outcome(parse):
        try:
            return parse(parser, schema, location=location)
        except Exception as refused:  # noqa: BLE001 (the refusal itself is what is compared)
            return type(refused), getattr(refused, "code", None), getattr(refused, "data", None)

    assert outcome(type(parser).parse) == outcome(FlaskParser.parse)
