"""Export and import: NDJSON of everything, idempotent upserts, over HTTP and the CLI."""
import json
import logging

import pytest

from microblog.data.models import Tag
from microblog.service import export_format
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, AuthActions
from tests.helpers import assert_problem
from tests.transfer_helpers import NDJSON, admin_view, export, import_, populate, populated_site


@pytest.fixture
def populated(client, auth):
    return populated_site(client, auth)


def test_export_holds_a_header_the_admin_tokens_and_every_post(client, auth, populated):
    lines = [json.loads(line) for line in export(client, auth).splitlines()]
    assert lines[0]["format"] == "microblog-export" and lines[0]["version"] == 1
    kinds = [line["type"] for line in lines[1:]]
    assert kinds.count("admin") == 1 and kinds.count("revoked_token") == 1
    posts = [line for line in lines if line["type"] == "post"]
    assert len(posts) == 4
    admin = next(line for line in lines if line["type"] == "admin")
    assert admin["username"] == ADMIN_USERNAME and admin["password_hash"].startswith("pbkdf2:")
    first = posts[0]
    assert set(first) == {"type", "id", "title", "slug", "content", "content_format", "content_html", "tags",
                          "visible", "photos", "publish_at", "created", "edited", "updated", "deleted",
                          "public_when_deleted", "version", "extra_properties"}
    assert first["tags"] == ["a", "b"] and first["edited"] and first["updated"] == first["edited"]
    assert posts[3]["deleted"] and posts[3]["public_when_deleted"] is True
    revisions = [line for line in lines if line["type"] == "revision"]
    assert [(r["post_id"], r["rev"]) for r in revisions] == [
        (posts[0]["id"], 1), (posts[0]["id"], 2)] + [(p["id"], 1) for p in posts[1:]]
    assert revisions[0]["content"] == "First *post*" and revisions[1]["content"] == "Edited"
    assert {r["content_format"] for r in revisions} == {"markdown"}


def test_importing_the_same_export_changes_nothing(client, auth, populated):
    body = export(client, auth)
    response = import_(client, auth, body)
    assert response.status_code == 200
    assert response.get_json() == {
        "admin": {"created": 0, "updated": 0, "unchanged": 1},
        "revoked_token": {"created": 0, "updated": 0, "unchanged": 1},
        "media": {"created": 0, "updated": 0, "unchanged": 0},
        "post": {"created": 0, "updated": 0, "unchanged": 4},
        "revision": {"created": 0, "updated": 0, "unchanged": 5},
        "mention": {"created": 0, "updated": 0, "unchanged": 0},
        "mention_block": {"created": 0, "updated": 0, "unchanged": 0},
    }
    assert admin_view(client, auth) == populated


def test_import_restores_changed_and_purged_posts(client, auth, populated):
    body = export(client, auth)
    first = populated[-1]
    client.patch(f"/api/v1/admin/posts/{first['id']}", json={"tags": ["z"]}, headers=auth.headers)
    gone = next(p for p in populated if p["deleted"])
    client.delete(f"/api/v1/admin/posts/{gone['id']}?purge=true", headers=auth.headers)
    counts = import_(client, auth, body).get_json()["post"]
    assert counts == {"created": 1, "updated": 1, "unchanged": 2}
    assert admin_view(client, auth) == populated
    assert client.get(f"/api/v1/posts/{gone['id']}").status_code == 410


def test_a_sqlite_site_moves_to_the_test_database_identically(make_app, tmp_path):
    """With TEST_DATABASE_URL naming PostgreSQL, this is the SQLite to PostgreSQL move."""
    source = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/source.sqlite3",
                      ADMIN_USERNAME=ADMIN_USERNAME, ADMIN_PASSWORD=ADMIN_PASSWORD)
    source.test_cli_runner().invoke(args=["init-db"])
    source_client = source.test_client()
    source_auth = AuthActions(source_client)
    populate(source_client, source_auth.headers)
    before = admin_view(source_client, source_auth)
    dump = tmp_path / "site.ndjson"
    source.test_cli_runner().invoke(args=["export", "--output", str(dump)])

    target = make_app()
    runner = target.test_cli_runner()
    runner.invoke(args=["init-db"])
    result = runner.invoke(args=["import", str(dump)])
    assert result.exit_code == 0, result.output
    assert "post: 4 created" in result.output and "admin: 1 created" in result.output

    target_client = target.test_client()
    target_auth = AuthActions(target_client)
    assert admin_view(target_client, target_auth) == before
    again = tmp_path / "again.ndjson"
    runner.invoke(args=["export", "--output", str(again)])
    assert again.read_text().splitlines()[1:] == dump.read_text().splitlines()[1:]
    created = target_auth.create_post(content="Written after the move")
    assert created["id"] == max(post["id"] for post in before) + 1


@pytest.mark.parametrize("body, line, pointer", [
    (b"", 1, ""),
    (b'{"format": "something-else", "version": 1, "schema": 2, "exported": "2026-01-01T00:00:00Z"}\n', 1, "/format"),
    (b"HEADER\n", 1, ""),
    (None, 2, "/type"),
    (None, 2, "/content"),
    (None, 2, "/created"),
])
def test_invalid_imports_are_422_and_import_nothing(client, auth, body, line, pointer, populated):
    header = export(client, auth).splitlines()[0]
    post = {"type": "post", "id": 999, "title": None, "slug": "new-one", "content": "x", "tags": [],
            "visible": True, "publish_at": None, "created": "2026-01-01T00:00:00Z", "edited": None,
            "updated": "2026-01-01T00:00:00Z", "deleted": None, "public_when_deleted": False}
    if body is None:
        broken = {"/type": {**post, "type": "user"}, "/content": {**post, "content": "a\u0000"},
                  "/created": {**post, "created": "2026-01-01T00:00:00"}}[pointer]
        good = json.dumps({**post, "id": 998, "slug": "fine"}).encode()
        body = header + b"\n" + json.dumps(broken).encode() + b"\n" + good + b"\n"
    body_problem = assert_problem(import_(client, auth, body), 422)
    assert body_problem["errors"][0]["line"] == line
    assert body_problem["errors"][0]["pointer"] == pointer
    assert admin_view(client, auth) == populated


def test_a_line_nested_too_deeply_is_422_naming_it_and_imports_nothing(client, auth, populated):
    header = export(client, auth).splitlines()[0]
    body = header + b"\n" + b"[" * 100_000 + b"\n"
    problem = assert_problem(import_(client, auth, body), 422)
    assert problem["errors"][0]["line"] == 2
    assert problem["errors"][0]["detail"] == "not a JSON document (nested too deeply)"
    assert admin_view(client, auth) == populated


@pytest.mark.parametrize("value", [b"9" * 4301, b"NaN", b"-Infinity"])
def test_numbers_json_cannot_hold_are_422_naming_the_line(client, auth, populated, value):
    """An integer of over 4300 digits made Python's parser raise a plain ValueError (a 500)."""
    header = export(client, auth).splitlines()[0]
    problem = assert_problem(import_(client, auth, header + b'\n{"type":"post","id":' + value + b"}\n"), 422)
    assert problem["errors"][0]["line"] == 2 and problem["errors"][0]["detail"].startswith("not a JSON document")
    assert admin_view(client, auth) == populated


def test_imported_content_is_held_to_the_sites_max_post_length(make_app, app, tmp_path):
    small = make_app(MAX_POST_LENGTH=10)
    client = small.test_client()
    auth = AuthActions(client)
    header = export(client, auth).splitlines()[0]
    post = {"type": "post", "id": 999, "title": None, "slug": "long-one", "content": "x" * 11, "tags": [],
            "visible": True, "publish_at": None, "created": "2026-01-01T00:00:00Z", "edited": None,
            "updated": "2026-01-01T00:00:00Z", "deleted": None, "public_when_deleted": False}
    body = header + b"\n" + json.dumps(post).encode() + b"\n"
    problem = assert_problem(import_(client, auth, body), 422)
    assert problem["errors"][0] == {"line": 2, "pointer": "/content",
                                    "detail": "Length must be between 1 and 10 characters (after trimming)."}
    path = tmp_path / "long.ndjson"
    path.write_bytes(body)
    result = small.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "line 2: /content: Length must be between 1 and 10" in result.output
    assert import_(client, auth, body.replace(b"x" * 11, b"x" * 10)).status_code == 200


def test_each_import_holds_content_to_its_own_limit(client, auth):
    """One site's smaller MAX_POST_LENGTH must not stick to the record schemas of later imports."""
    header = export(client, auth).splitlines()[0]
    post = {"type": "post", "id": 999, "title": None, "slug": "some-one", "content": "x" * 11, "tags": [],
            "visible": True, "publish_at": None, "created": "2026-01-01T00:00:00Z", "edited": None,
            "updated": "2026-01-01T00:00:00Z", "deleted": None, "public_when_deleted": False}
    lines = [header, json.dumps(post).encode()]
    with pytest.raises(export_format.ImportFormatError):
        list(export_format.read_records(lines, max_post_length=10))
    assert [kind for kind, _ in export_format.read_records(lines, max_post_length=5000)] == ["post"]


def test_import_with_a_clashing_slug_is_409_and_imports_nothing(client, auth, populated):
    lines = export(client, auth).splitlines()
    header, posts = lines[0], [json.loads(line) for line in lines if b'"type":"post"' in line]
    stranger = {**posts[0], "id": 5000, "slug": posts[1]["slug"]}
    fine = {**posts[0], "id": 5001, "slug": "fine"}
    body = b"\n".join([header, json.dumps(fine).encode(), json.dumps(stranger).encode()])
    assert_problem(import_(client, auth, body), 409)
    assert admin_view(client, auth) == populated


def test_import_needs_ndjson_and_a_token(client, auth):
    assert_problem(client.post("/api/v1/admin/import", json={}, headers=auth.headers), 415)
    assert_problem(client.post("/api/v1/admin/import", data=b"x", content_type=NDJSON), 401)
    assert_problem(client.get("/api/v1/admin/export"), 401)


def test_import_has_its_own_size_limit(make_app, app):
    small = make_app(IMPORT_MAX_CONTENT_LENGTH=100)
    client = small.test_client()
    token = client.post("/api/v1/auth/login", json={
        "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).get_json()["access_token"]
    response = client.post("/api/v1/admin/import", data=b"x" * 200, content_type=NDJSON,
                           headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 413)


def test_cli_export_then_import_round_trips(app, client, auth, populated, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "site.ndjson"
    assert runner.invoke(args=["export", "--output", str(path)]).exit_code == 0
    assert path.read_bytes().count(b"\n") == 12  # header, admin, token, 4 posts, 5 revisions
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "post: 0 created, 0 updated, 4 unchanged" in result.output
    bad = tmp_path / "bad.ndjson"
    bad.write_text("nonsense\n")
    failed = runner.invoke(args=["import", str(bad)])
    assert failed.exit_code != 0 and "Nothing imported: line 1" in failed.output


def test_a_post_changed_since_the_export_is_restored_once_and_its_version_never_goes_back(client, auth, populated):
    post = populated[0]
    url = f"/api/v1/admin/posts/{post['id']}"
    body = export(client, auth)
    client.patch(url, json={"visible": False}, headers=auth.headers)
    changed_etag = client.get(url, headers=auth.headers).headers["ETag"]
    since = client.get("/api/v1/admin/changes?limit=1000", headers=auth.headers).get_json()["next_since"]
    assert import_(client, auth, body).get_json()["post"]["updated"] == 1
    restored = client.get(url, headers=auth.headers)
    assert restored.get_json()["visible"] is True and restored.headers["ETag"] != changed_etag
    feed = client.get(f"/api/v1/admin/changes?since={since}", headers=auth.headers).get_json()["items"]
    assert [(item["post_id"], item["action"]) for item in feed] == [(post["id"], "update")]
    assert import_(client, auth, body).get_json()["post"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert client.get(url, headers=auth.headers).headers["ETag"] == restored.headers["ETag"]


def test_an_export_without_versions_or_revisions_imports_with_a_history(client, auth, populated):
    lines = [json.loads(line) for line in export(client, auth).splitlines()]
    posts = [line for line in lines if line["type"] == "post"]
    client.delete(f"/api/v1/admin/posts/{posts[1]['id']}", headers=auth.headers)
    client.delete(f"/api/v1/admin/posts/{posts[1]['id']}?purge=true", headers=auth.headers)
    old_style = [lines[0]] + [{k: v for k, v in p.items() if k != "version"} for p in posts]
    response = import_(client, auth, "\n".join(json.dumps(line) for line in old_style).encode())
    assert response.status_code == 200 and response.get_json()["post"]["created"] == 1
    revisions = client.get(f"/api/v1/admin/posts/{posts[1]['id']}/revisions", headers=auth.headers).get_json()
    assert [(r["rev"], r["content"]) for r in revisions["items"]] == [(1, posts[1]["content"])]


@pytest.mark.parametrize("field, value", [("version", 10**20), ("id", 10**20), ("version", 0)])
def test_out_of_range_numbers_in_imports_are_422(client, auth, populated, field, value):
    lines = export(client, auth).splitlines()
    post = json.loads(next(line for line in lines if b'"type":"post"' in line))
    assert_problem(import_(client, auth, lines[0] + b"\n" + json.dumps({**post, field: value}).encode()), 422)


def post_record(post_id, **fields):
    return {"type": "post", "id": post_id, "title": None, "slug": f"post-{post_id}", "content": f"Post {post_id}",
            "tags": [], "visible": True, "publish_at": None, "created": "2026-01-01T00:00:00Z", "edited": None,
            "updated": "2026-01-01T00:00:00Z", "deleted": None, "public_when_deleted": False, **fields}


def ndjson(client, auth, records):
    header = export(client, auth).splitlines()[0]
    return header + b"\n" + b"\n".join(json.dumps(record).encode() for record in records) + b"\n"


def test_a_large_import_keeps_tag_counts_search_history_and_the_feed(client, auth):
    """More posts than one batch: every post's tags, counts, search words, revision and feed entry."""
    count = 1203
    records = [post_record(n, content=f"Body {n} common{'' if n % 3 else ' third'}", tags=[f"t{n % 4}", "all"],
                           visible=n % 5 != 0, title="Even" if n % 2 == 0 else None) for n in range(1, count + 1)]
    since = client.get("/api/v1/admin/changes", headers=auth.headers).get_json()["next_since"]
    response = import_(client, auth, ndjson(client, auth, records))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["post"] == {"created": count, "updated": 0, "unchanged": 0}
    visible = [record for record in records if record["visible"]]
    tags = {tag["name"]: tag["count"] for tag in client.get("/api/v1/tags").get_json()["items"]}
    assert tags == {"all": len(visible), **{f"t{k}": sum(1 for r in visible if r["id"] % 4 == k) for k in range(4)}}
    third = client.get("/api/v1/posts?q=third&limit=100").get_json()["items"]
    assert len(third) == 100 and all(post["id"] % 3 == 0 and post["id"] % 5 for post in third)
    titled = client.get("/api/v1/posts?q=even&limit=5").get_json()["items"]
    assert titled and all(post["title"] == "Even" for post in titled)
    tagged = client.get("/api/v1/posts?tag=t1&limit=100").get_json()["items"]
    assert {post["id"] % 4 for post in tagged} == {1}
    revisions = client.get(f"/api/v1/admin/posts/{count}/revisions", headers=auth.headers).get_json()["items"]
    assert [(r["rev"], r["content"], r["tags"]) for r in revisions] == [(1, records[-1]["content"], records[-1]["tags"])]
    feed, next_since = [], since
    while True:
        page = client.get(f"/api/v1/admin/changes?since={next_since}&limit=1000", headers=auth.headers).get_json()
        if not page["items"]:
            break
        feed += [(item["post_id"], item["action"]) for item in page["items"]]
        next_since = page["next_since"]
    assert feed == [(n, "update") for n in range(1, count + 1)]
    again = import_(client, auth, ndjson(client, auth, records)).get_json()["post"]
    assert again == {"created": 0, "updated": 0, "unchanged": count}
    assert {tag["name"]: tag["count"] for tag in client.get("/api/v1/tags").get_json()["items"]} == tags


def test_an_import_writes_in_batches_not_post_by_post(client, auth, caplog):
    """A few statements for each batch of posts or revisions (peewee logs each one it runs)."""
    records = [post_record(n, tags=["a", f"t{n}"]) for n in range(1, 1001)]
    records += [{"type": "revision", "post_id": n, "rev": 1, "title": None, "content": f"Post {n}",
                 "tags": ["a", f"t{n}"], "created": "2026-01-01T00:00:00Z"} for n in range(1, 1001)]
    body = ndjson(client, auth, records)
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        response = import_(client, auth, body)
    assert response.status_code == 200 and response.get_json()["post"]["created"] == 1000
    statements = [record for record in caplog.records if record.name == "peewee"]
    assert 10 < len(statements) < 100, len(statements)


def test_a_post_twice_in_a_file_ends_as_its_last_record(client, auth):
    records = [post_record(7, tags=["x"]), post_record(8), post_record(7, tags=["y"], content="Second")]
    response = import_(client, auth, ndjson(client, auth, records))
    assert response.get_json()["post"] == {"created": 2, "updated": 1, "unchanged": 0}
    post = client.get("/api/v1/admin/posts/7", headers=auth.headers).get_json()
    assert (post["content"], post["tags"]) == ("Second", ["y"])
    revisions = client.get("/api/v1/admin/posts/7/revisions", headers=auth.headers).get_json()["items"]
    assert [(r["rev"], r["content"]) for r in revisions] == [(1, "Second")]
    assert {tag["name"]: tag["count"] for tag in client.get("/api/v1/tags").get_json()["items"]} == {"y": 1}


def test_an_import_gives_a_stored_posts_old_slug_to_a_new_post(client, auth):
    stored = auth.create_post(content="Stored", slug="wanted", tags=["kept"])
    records = [post_record(stored["id"], slug="moved", tags=["kept"]), post_record(stored["id"] + 1, slug="wanted")]
    response = import_(client, auth, ndjson(client, auth, records))
    assert response.get_json()["post"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert client.get("/api/v1/posts/by-slug/wanted").get_json()["id"] == stored["id"] + 1
    assert client.get("/api/v1/posts/by-slug/moved").get_json()["id"] == stored["id"]
    clash = [post_record(stored["id"] + 2, slug="moved")]
    assert "already has" in assert_problem(import_(client, auth, ndjson(client, auth, clash)), 409)["detail"]


def test_an_import_that_retags_a_post_leaves_no_tag_without_posts(app, client, auth):
    auth.create_post(content="Retagged by the import", tags=["before"])
    lines = [json.loads(line) for line in export(client, auth).splitlines()]
    for line in lines:
        if line.get("type") == "post":
            line["tags"] = ["after"]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    assert import_(client, auth, body).status_code == 200
    with app.app_context():
        assert [name for (name,) in Tag.select(Tag.name).tuples()] == ["after"]
