"""Schema migrations: a new database lands at the newest version, an old one upgrades intact."""
from datetime import datetime

import pytest
from peewee import CompositeKey, SqliteDatabase

from microblog.data import migrations
from microblog.data.models import MODELS
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

SEARCH_INDEXES = {"post_search", "post_search_title", "post_search_order"}  # PostgreSQL's, over expressions


@pytest.fixture
def empty_db(make_app):
    """The test database with no table at all, and an app over it."""
    app = make_app()
    with app.app_context():
        yield app, app.extensions["database"]


def test_a_new_database_lands_at_the_newest_version_matching_the_models(empty_db):
    _app, db = empty_db
    assert migrations.current_version(db) == 0
    assert migrations.upgrade(db) == [version for version, _step in migrations.steps()]
    assert migrations.current_version(db) == migrations.LATEST_VERSION >= 2
    for model in MODELS:
        table = model._meta.table_name
        columns = {column.name for column in db.get_columns(table)}
        assert columns == {field.column_name for field in model._meta.sorted_fields}, table
        indexed = {tuple(index.columns) for index in db.get_indexes(table) if index.name not in SEARCH_INDEXES}
        declared = {tuple(field.column_name for field in index._expressions)
                    for index in model._meta.fields_to_index()}
        assert indexed - {_key_columns(model)} == declared - {_key_columns(model)}, table
    assert migrations.upgrade(db) == []


def _key_columns(model):
    key = model._meta.primary_key
    names = key.field_names if isinstance(key, CompositeKey) else [key.name]
    return tuple(model._meta.fields[name].column_name for name in names)


def _insert_version_1_data(db):
    rows = [
        # id, content, title, slug, visible, publish_at, publication_time, created, edited, deleted, public_when_deleted
        (1, "plain", None, "plain", True, None, "2026-01-01 10:00:00.000001",
         "2026-01-01 10:00:00.000001", None, None, False),
        (2, "edited *once*", "Edited", "edited", True, None, "2026-01-02 10:00:00",
         "2026-01-02 10:00:00", "2026-01-05 10:00:00.5", None, False),
        (3, "gone", None, "gone", True, "2026-01-03 00:00:00", "2026-01-03 00:00:00",
         "2026-01-02 12:00:00", None, "2026-01-09 00:00:00", True),
        (4, "draft", None, "draft", False, None, "2026-01-04 00:00:00",
         "2026-01-04 00:00:00", None, None, False),
    ]
    for row in rows:
        db.execute_sql(
            "INSERT INTO post (id, content, content_html, title, slug, visible, publish_at, "
            "publication_time, created, edited, deleted, public_when_deleted) VALUES "
            + ("(?, ?, '<p>x</p>\n', ?, ?, ?, ?, ?, ?, ?, ?, ?)" if isinstance(db, SqliteDatabase)
               else "(%s, %s, '<p>x</p>\n', %s, %s, %s, %s, %s, %s, %s, %s, %s)"),
            row,
        )
    db.execute_sql("INSERT INTO tag (id, name) VALUES (1, 'one'), (2, 'two')")
    db.execute_sql("INSERT INTO post_tag (post_id, tag_id, position) VALUES (2, 2, 0), (2, 1, 1)")
    if not isinstance(db, SqliteDatabase):
        db.execute_sql("SELECT setval(pg_get_serial_sequence('post', 'id'), 4)")


def _moment(value):
    """A stored timestamp as a datetime, whichever way the backend returns it."""
    if value is None or isinstance(value, datetime):
        return value
    whole, _, fraction = value.partition(".")
    return datetime.fromisoformat(whole + (f".{fraction.ljust(6, '0')}" if fraction else ""))


def test_a_version_1_database_upgrades_in_place_with_all_data(empty_db):
    app, db = empty_db
    migrations.upgrade(db, target=1)
    _insert_version_1_data(db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert f"Schema upgraded from version 1 to {migrations.LATEST_VERSION}." in result.output
    rows = db.execute_sql("SELECT id, created, edited, deleted, updated FROM post ORDER BY id").fetchall()
    moments = [[int(row[0])] + [_moment(value) for value in row[1:]] for row in rows]
    assert moments == [
        [1, _moment("2026-01-01 10:00:00.000001"), None, None, _moment("2026-01-01 10:00:00.000001")],
        [2, _moment("2026-01-02 10:00:00"), _moment("2026-01-05 10:00:00.5"), None,
         _moment("2026-01-05 10:00:00.5")],
        [3, _moment("2026-01-02 12:00:00"), None, _moment("2026-01-09 00:00:00"),
         _moment("2026-01-09 00:00:00")],
        [4, _moment("2026-01-04 00:00:00"), None, None, _moment("2026-01-04 00:00:00")],
    ]

    runner.invoke(args=["create-admin", "--username", ADMIN_USERNAME], input=ADMIN_PASSWORD + "\n")
    client = app.test_client()
    public = client.get("/api/v1/posts").get_json()["items"]
    assert [(p["id"], p["tags"]) for p in public] == [(2, ["two", "one"]), (1, [])]
    assert public[0]["edited"] == "2026-01-05T10:00:00.500000Z"
    assert public[1]["created"] == "2026-01-01T10:00:00.000001Z"
    assert client.get("/api/v1/posts/3").status_code == 410
    assert [p["id"] for p in client.get("/api/v1/posts?q=edited").get_json()["items"]] == [2]
    token = client.post("/api/v1/auth/login", json={
        "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).get_json()["access_token"]
    created = client.post("/api/v1/admin/posts", json={"content": "after upgrade"},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201 and created.get_json()["id"] == 5


def test_a_failing_step_leaves_the_database_as_it_was(empty_db, monkeypatch):
    _app, db = empty_db
    migrations.upgrade(db)
    db.execute_sql("INSERT INTO tag (name) VALUES ('kept')")

    class Broken:
        @staticmethod
        def upgrade(database):
            database.execute_sql("ALTER TABLE tag ADD COLUMN colour VARCHAR(10)")
            database.execute_sql("UPDATE tag SET name = 'changed'")
            raise RuntimeError("step failed half way")

    real_steps = migrations.steps()
    monkeypatch.setattr(migrations, "steps", lambda: real_steps + [(99, Broken)])
    with pytest.raises(RuntimeError, match="half way"):
        migrations.upgrade(db, target=99)
    assert migrations.current_version(db) == migrations.LATEST_VERSION
    assert "colour" not in {column.name for column in db.get_columns("tag")}
    assert db.execute_sql("SELECT name FROM tag").fetchall() == [("kept",)]
