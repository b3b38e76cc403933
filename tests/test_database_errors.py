"""Database failures reach clients as clear problems, never as a 500 with driver text."""
import os
import threading

import pytest
from peewee import SqliteDatabase

from microblog.data.db import WRITERS_LOCK, database, open_database
from microblog.service import posts
from tests.helpers import assert_problem

HOLD_SECONDS = 15
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


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite's own page limit")
def test_a_full_disk_is_logged_as_such_and_is_503(app, client, auth, caplog):
    """SQLite ends the transaction itself when the disk fills; the log must say so, not that
    peewee's ROLLBACK then found no transaction (max_page_count stands in for a full disk)."""
    kept = auth.create_post(content="written before the disk filled")
    with app.app_context():
        pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
        database.execute_sql(f"PRAGMA max_page_count = {pages}")  # on the pooled connection
    statuses = []
    for n in range(20):
        response = client.post("/api/v1/admin/posts", headers=auth.headers,
                               json={"content": " ".join(f"word{n}x{i}" for i in range(400))})
        statuses.append(response.status_code)
        if response.status_code != 201:
            break
    assert statuses[-1] == 503, statuses
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "5"
    logged = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert any("database or disk is full" in message for message in logged), logged
    assert not any("no transaction is active" in message for message in logged), logged
    with app.app_context():
        database.execute_sql("PRAGMA max_page_count = 1073741823")
    assert client.get(f"/api/v1/admin/posts/{kept['id']}", headers=auth.headers).status_code == 200


def test_a_write_while_another_holds_the_writers_lock_is_503_not_a_hang(client, auth, database_url):
    """As while an import writes: the write waits for the lock at most SQLITE_BUSY_TIMEOUT_MS
    (SQLite) or WRITERS_LOCK_TIMEOUT_MS (PostgreSQL), then gets a 503 with Retry-After. The
    holder lets go after HOLD_SECONDS whatever happens, so a write that waited for it gets 201."""
    headers = auth.headers  # logged in before the lock is taken
    holder, locked, release = open_database(database_url), threading.Event(), threading.Event()

    def hold():
        with holder.connection_context(), holder.atomic():
            if not isinstance(holder, SqliteDatabase):
                holder.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITERS_LOCK,))
            locked.set()
            release.wait(HOLD_SECONDS)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10)
        response = client.post("/api/v1/admin/posts", json={"content": "meanwhile"}, headers=headers)
    finally:
        release.set()
        thread.join()
        holder.close_all()
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "5"
