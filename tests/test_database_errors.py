"""Database failures reach clients as clear problems, never as a 500 with driver text."""
import pytest

from microblog.service import posts
from tests.helpers import assert_problem

UNREACHABLE = ["sqlite:////nonexistent-folder/db.sqlite3",
               "postgresql://nobody@127.0.0.1:9/microblog?connect_timeout=2"]


@pytest.mark.parametrize("url", UNREACHABLE)
def test_a_database_that_is_down_gives_503(make_app, url):
    client = make_app(DATABASE_URL=url).test_client()
    for path in ("/api/v1/posts", "/api/v1/tags", "/healthz"):
        response = client.get(path)
        body = assert_problem(response, 503)
        assert response.headers["Retry-After"] == "5"
        assert "nonexistent" not in str(body) and "127.0.0.1" not in str(body)
    login = client.post("/api/v1/auth/login", json={"username": "a", "password": "b"})
    assert_problem(login, 503)


def test_a_unique_violation_that_slips_past_the_checks_is_409(client, auth, monkeypatch):
    auth.create_post(content="first", slug="taken")
    monkeypatch.setattr(posts, "_ensure_slug_free", lambda slug: None)
    response = client.post("/api/v1/admin/posts", json={"content": "second", "slug": "taken"},
                           headers=auth.headers)
    body = assert_problem(response, 409)
    assert "UNIQUE" not in str(body) and "duplicate" not in str(body)
    listed = client.get("/api/v1/admin/posts", headers=auth.headers).get_json()["items"]
    assert [post["content"] for post in listed] == ["first"]


def test_nul_characters_never_reach_the_database(client, auth):
    for fields in ({"content": "a\u0000b"}, {"content": "ok", "title": "\u0000"},
                   {"content": "ok", "tags": ["a\u0000"]}):
        assert_problem(client.post("/api/v1/admin/posts", json=fields, headers=auth.headers), 422)
    assert_problem(client.get("/api/v1/posts?q=%00"), 422)
    assert_problem(client.post("/api/v1/auth/login", json={"username": "\u0000", "password": "x"}), 422)


@pytest.mark.parametrize("error, status", [("DataError", 422), ("IntegrityError", 409),
                                           ("OperationalError", 503), ("InterfaceError", 503),
                                           ("ProgrammingError", 500)])
def test_each_kind_of_driver_error_has_its_status_and_no_driver_text(make_app, app, error, status):
    import peewee

    broken = make_app(PROPAGATE_EXCEPTIONS=False)

    @broken.get("/driver-error")
    def driver_error():
        raise getattr(peewee, error)('value too long for type character varying(200) in "post"')

    response = broken.test_client().get("/driver-error")
    body = assert_problem(response, status)
    assert "varying" not in str(body) and '"post"' not in str(body)
