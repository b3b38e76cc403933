"""Admin API: create, read, list, edit, replace, soft delete, restore, purge, validation."""
import os
from datetime import datetime

import pytest

from microblog.data.models import Tag
from tests.helpers import assert_problem

POSTS = "/api/v1/admin/posts"


def test_create_returns_201_location_and_every_field(client, auth):
    response = client.post(
        POSTS,
        json={"content": "  Hello **world**  ", "title": "Hello", "tags": ["Python", " web ", "python"],
              "publish_at": "2026-01-01T10:00:00.5+02:00"},
        headers=auth.headers,
    )
    assert response.status_code == 201
    post = response.get_json()
    assert response.headers["Location"] == f"{POSTS}/{post['id']}"
    assert post["content"] == "Hello **world**"
    assert post["content_html"] == "<p>Hello <strong>world</strong></p>\n"
    assert post["title"] == "Hello"
    assert post["slug"] == "hello"
    assert post["tags"] == ["python", "web"]
    assert post["visible"] is True
    assert post["publish_at"] == "2026-01-01T08:00:00.500000Z"
    assert post["created"].endswith("Z") and len(post["created"]) == 27
    assert post["edited"] is None and post["deleted"] is None


@pytest.mark.parametrize("fields", [
    {"content": "Plain"},
    {"content": "Dated", "title": "A title", "tags": ["b", "a", "b"], "publish_at": "2026-01-01T10:00:00Z"},
    {"content": "Later", "publish_at": "2999-05-06T07:08:09.000001Z", "visible": False, "tags": ["hidden"]},
    {"content": "<p>Sent <b>as</b> HTML</p><script>x()</script>", "content_format": "html", "slug": "sent-as-html"},
    {"content": "With a photo", "photos": [{"url": "https://photos.example/a.jpg", "alt": "Ä field"}]},
])
def test_a_create_answers_the_post_as_a_read_of_it_does(client, auth, fields):
    """The created post is answered from what was written (no read after the write): body and
    ETag as a read gets them."""
    created = client.post(POSTS, json=fields, headers=auth.headers)
    assert created.status_code == 201, created.get_json()
    read = client.get(created.headers["Location"], headers=auth.headers)
    assert (created.get_json(), created.headers["ETag"]) == (read.get_json(), read.headers["ETag"])


def test_create_defaults(auth):
    post = auth.create_post(content="Just content")
    assert post["title"] is None and post["tags"] == [] and post["visible"] is True
    assert post["publish_at"] is None
    assert post["slug"] == "just-content"


def test_slugs_are_derived_unique_and_explicit_ones_checked(client, auth):
    assert auth.create_post(content="x", title="Same title")["slug"] == "same-title"
    assert auth.create_post(content="y", title="Same title")["slug"] == "same-title-2"
    assert auth.create_post(content="z", title="Same  Title!")["slug"] == "same-title-3"
    assert auth.create_post(content="Ünïcödé — only")["slug"] == "unicode-only"
    assert auth.create_post(content="!!!")["slug"] == "post"
    assert auth.create_post(content="w", slug="my-own")["slug"] == "my-own"
    body = assert_problem(
        client.post(POSTS, json={"content": "v", "slug": "my-own"}, headers=auth.headers), 409
    )
    assert body["errors"] == [{"pointer": "/slug", "detail": "Another post already has this slug."}]


def test_derived_slugs_go_on_past_each_batch_of_candidates(auth, monkeypatch):
    from microblog.service import posts

    monkeypatch.setattr(posts, "SLUG_PROBE", 2)
    auth.create_post(content="x", slug="same-4")
    slugs = [auth.create_post(content=str(n), title="Same")["slug"] for n in range(5)]
    assert slugs == ["same", "same-2", "same-3", "same-5", "same-6"]


def test_long_titles_make_slugs_cut_at_a_word(auth):
    slug = auth.create_post(content="x", title="word " * 40)["slug"]
    assert len(slug) <= 60 and not slug.endswith("-") and slug.startswith("word-word")


@pytest.mark.parametrize(
    "fields, pointer",
    [
        ({}, "/content"),
        ({"content": "   "}, "/content"),
        ({"content": "x" * 5001}, "/content"),
        ({"content": 5}, "/content"),
        ({"content": "a\x00b"}, "/content"),
        ({"content": "a\x1bb"}, "/content"),
        ({"content": "ok", "title": "t" * 201}, "/title"),
        ({"content": "ok", "title": "bad\x07"}, "/title"),
        ({"content": "ok", "tags": ["fine", "not fine"]}, "/tags/1"),
        ({"content": "ok", "tags": ["x" * 51]}, "/tags/0"),
        ({"content": "ok", "tags": [""]}, "/tags/0"),
        ({"content": "ok", "tags": "python"}, "/tags"),
        ({"content": "ok", "tags": [f"t{n}" for n in range(11)]}, "/tags"),
        ({"content": "ok", "visible": "maybe"}, "/visible"),
        ({"content": "ok", "publish_at": "2026-01-01T10:00:00"}, "/publish_at"),
        ({"content": "ok", "publish_at": "yesterday"}, "/publish_at"),
        ({"content": "ok", "slug": "Not A Slug"}, "/slug"),
        ({"content": "ok", "id": 5}, "/id"),
        ({"content": "ok", "content_html": "<b>x</b>"}, "/content_html"),
        ({"content": "ok", "deleted": None}, "/deleted"),
    ],
)
def test_invalid_input_is_422_with_a_pointer_and_stores_nothing(client, auth, fields, pointer):
    body = assert_problem(client.post(POSTS, json=fields, headers=auth.headers), 422)
    assert pointer in [error["pointer"] for error in body["errors"]]
    assert client.get(POSTS, headers=auth.headers).get_json()["items"] == []


def test_tabs_and_newlines_are_allowed(auth):
    assert auth.create_post(content="a\tb\r\nc")["content"] == "a\tb\r\nc"


def test_max_post_length_is_configurable(make_app, app):
    small = make_app(MAX_POST_LENGTH=10)
    client = small.test_client()
    token = client.post("/api/v1/auth/login", json={
        "username": "admin", "password": "correct horse battery staple"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(POSTS, json={"content": "x" * 10}, headers=headers).status_code == 201
    assert_problem(client.post(POSTS, json={"content": "x" * 11}, headers=headers), 422)


def test_json_body_must_be_an_object(client, auth):
    assert_problem(client.post(POSTS, json=["content"], headers=auth.headers), 422)


def test_get_any_post_including_hidden_and_deleted(client, auth):
    post = auth.create_post(content="Hidden", visible=False)
    client.delete(f"{POSTS}/{post['id']}", headers=auth.headers)
    response = client.get(f"{POSTS}/{post['id']}", headers=auth.headers)
    assert response.status_code == 200
    assert response.get_json()["deleted"].endswith("Z")
    assert_problem(client.get(f"{POSTS}/999999", headers=auth.headers), 404)


def test_list_filters_by_visibility_and_deletion(client, auth):
    shown = auth.create_post(content="Shown")
    hidden = auth.create_post(content="Hidden", visible=False)
    gone = auth.create_post(content="Gone")
    client.delete(f"{POSTS}/{gone['id']}", headers=auth.headers)

    def listed(query=""):
        response = client.get(f"{POSTS}{query}", headers=auth.headers)
        assert response.status_code == 200
        return [post["id"] for post in response.get_json()["items"]]

    assert listed() == [hidden["id"], shown["id"]]
    assert listed("?visible=false") == [hidden["id"]]
    assert listed("?visible=true") == [shown["id"]]
    assert listed("?deleted=only") == [gone["id"]]
    assert listed("?deleted=include") == [gone["id"], hidden["id"], shown["id"]]
    assert_problem(client.get(f"{POSTS}?deleted=maybe", headers=auth.headers), 422)


def test_admin_list_pages_with_cursor(client, auth):
    created = [auth.create_post(content=f"P{n}", visible=n % 2 == 0)["id"] for n in range(5)]
    first = client.get(f"{POSTS}?limit=2", headers=auth.headers)
    assert first.headers["Link"].startswith(f"<{POSTS}?limit=2&cursor=")
    cursor = first.get_json()["next_cursor"]
    rest = client.get(f"{POSTS}?limit=10&cursor={cursor}", headers=auth.headers).get_json()
    seen = [p["id"] for p in first.get_json()["items"]] + [p["id"] for p in rest["items"]]
    assert seen == list(reversed(created)) and rest["next_cursor"] is None


def test_patch_changes_only_given_fields_and_marks_text_edits(client, auth):
    post = auth.create_post(content="Original", title="Title", tags=["a"])
    response = client.patch(f"{POSTS}/{post['id']}", json={"visible": False}, headers=auth.headers)
    assert response.status_code == 200
    hidden = response.get_json()
    assert hidden["visible"] is False and hidden["edited"] is None
    assert {k: hidden[k] for k in ("content", "title", "tags", "slug")} == {
        "content": "Original", "title": "Title", "tags": ["a"], "slug": "title"}

    edited = client.patch(f"{POSTS}/{post['id']}", json={"title": "New title", "content": "*New*"},
                          headers=auth.headers).get_json()
    assert edited["edited"] is not None and edited["edited"] >= edited["created"]
    assert edited["content_html"] == "<p><em>New</em></p>\n"
    assert edited["slug"] == "title", "the slug is stable after creation"
    assert edited["tags"] == ["a"]


def test_patch_with_same_values_is_not_an_edit(client, auth):
    post = auth.create_post(content="Same", tags=["a", "b"])
    same = client.patch(f"{POSTS}/{post['id']}", json={"content": "Same", "tags": ["A", "b"]},
                        headers=auth.headers).get_json()
    assert same["edited"] is None


def test_patch_tags_and_slug(client, auth):
    post = auth.create_post(content="Tagged", tags=["a", "b"])
    changed = client.patch(f"{POSTS}/{post['id']}", json={"tags": ["c", "a"], "slug": "fresh"},
                           headers=auth.headers).get_json()
    assert changed["tags"] == ["c", "a"] and changed["slug"] == "fresh"
    assert changed["edited"] is not None
    other = auth.create_post(content="Other")
    assert_problem(client.patch(f"{POSTS}/{other['id']}", json={"slug": "fresh"},
                                headers=auth.headers), 409)


def test_patch_refuses_empty_content_and_unknown_fields(client, auth):
    post = auth.create_post(content="Keep me")
    assert_problem(client.patch(f"{POSTS}/{post['id']}", json={"content": ""}, headers=auth.headers), 422)
    assert_problem(client.patch(f"{POSTS}/{post['id']}", json={"colour": "red"}, headers=auth.headers), 422)
    assert client.get(f"{POSTS}/{post['id']}", headers=auth.headers).get_json()["content"] == "Keep me"


def test_put_replaces_and_resets_omitted_fields_but_keeps_slug(client, auth):
    post = auth.create_post(content="Old", title="Old title", tags=["a"], visible=False,
                            publish_at="2099-01-01T00:00:00Z")
    response = client.put(f"{POSTS}/{post['id']}", json={"content": "New"}, headers=auth.headers)
    assert response.status_code == 200
    replaced = response.get_json()
    assert replaced["content"] == "New" and replaced["title"] is None and replaced["tags"] == []
    assert replaced["visible"] is True and replaced["publish_at"] is None
    assert replaced["slug"] == "old-title" and replaced["edited"] is not None
    assert_problem(client.put(f"{POSTS}/{post['id']}", json={"title": "no content"},
                              headers=auth.headers), 422)


def test_scheduling_moves_the_post_in_the_reading_order(client, auth):
    older = auth.create_post(content="Older")
    newer = auth.create_post(content="Newer")
    client.patch(f"{POSTS}/{older['id']}", json={"publish_at": "2099-01-01T00:00:00Z"},
                 headers=auth.headers)
    assert [p["id"] for p in client.get(POSTS, headers=auth.headers).get_json()["items"]] == [
        older["id"], newer["id"]]
    client.patch(f"{POSTS}/{older['id']}", json={"publish_at": None}, headers=auth.headers)
    assert [p["id"] for p in client.get(POSTS, headers=auth.headers).get_json()["items"]] == [
        newer["id"], older["id"]]


def test_delete_is_soft_idempotent_and_restorable(client, auth):
    post = auth.create_post(content="Trash me", tags=["t"])
    url = f"{POSTS}/{post['id']}"
    first = client.delete(url, headers=auth.headers)
    assert first.status_code == 204 and first.data == b""
    deleted_at = client.get(url, headers=auth.headers).get_json()["deleted"]
    assert client.delete(url, headers=auth.headers).status_code == 204
    assert client.get(url, headers=auth.headers).get_json()["deleted"] == deleted_at
    assert_problem(client.patch(url, json={"content": "edit"}, headers=auth.headers), 409)

    restored = client.post(f"{url}/restore", headers=auth.headers)
    assert restored.status_code == 200
    assert restored.get_json()["deleted"] is None and restored.get_json()["tags"] == ["t"]
    assert client.get(f"/api/v1/posts/{post['id']}").status_code == 200
    assert client.post(f"{url}/restore", headers=auth.headers).status_code == 200


def test_purge_needs_a_soft_delete_first_and_removes_for_good(client, auth):
    post = auth.create_post(content="Purge me", tags=["t"], slug="reusable")
    url = f"{POSTS}/{post['id']}"
    assert_problem(client.delete(f"{url}?purge=true", headers=auth.headers), 409)
    client.delete(url, headers=auth.headers)
    assert client.delete(f"{url}?purge=true", headers=auth.headers).status_code == 204
    assert_problem(client.get(url, headers=auth.headers), 404)
    assert_problem(client.delete(f"{url}?purge=true", headers=auth.headers), 404)
    assert auth.create_post(content="Again", slug="reusable")["slug"] == "reusable"


@pytest.mark.parametrize("method, path", [
    ("patch", "/999999"), ("put", "/999999"), ("delete", "/999999"), ("post", "/999999/restore")])
def test_missing_posts_are_404(client, auth, method, path):
    response = getattr(client, method)(f"{POSTS}{path}", json={"content": "x"}, headers=auth.headers)
    assert_problem(response, 404)


def test_admin_responses_are_never_cached(client, auth):
    post = auth.create_post(content="Private")
    for response in (client.get(POSTS, headers=auth.headers),
                     client.get(f"{POSTS}/{post['id']}", headers=auth.headers),
                     client.get(POSTS)):
        assert response.headers["Cache-Control"] == "no-store"
        assert "Authorization" in response.headers["Vary"]


def test_admin_post_responses_carry_a_strong_etag_that_every_change_renews(client, auth):
    created = client.post(POSTS, json={"content": "Tagged"}, headers=auth.headers)
    etag = created.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    post_id = created.get_json()["id"]
    assert client.get(f"{POSTS}/{post_id}", headers=auth.headers).headers["ETag"] == etag
    seen = {etag}
    for method, path, body in [("patch", "", {"title": "New"}), ("put", "", {"content": "Put"}),
                               ("delete", "", None), ("post", "/restore", None)]:
        getattr(client, method)(f"{POSTS}/{post_id}{path}", json=body, headers=auth.headers)
        current = client.get(f"{POSTS}/{post_id}", headers=auth.headers).headers["ETag"]
        assert current not in seen, method
        seen.add(current)
    unchanged = client.patch(f"{POSTS}/{post_id}", json={"content": "Put"}, headers=auth.headers)
    assert unchanged.headers["ETag"] == current, "a change that changes nothing keeps the version"


def test_a_change_reads_only_the_post_it_changes(client, auth, caplog):
    """Each SELECT on the posts during an edit is filtered (a query's truth value once ran
    one that read, and on PostgreSQL locked, every post)."""
    import logging

    for n in range(3):
        post = auth.create_post(content=f"post {n}")
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        response = client.patch(f"{POSTS}/{post['id']}", json={"content": "edited"}, headers=auth.headers)
    assert response.status_code == 200
    selects = [record.msg[0] for record in caplog.records
               if isinstance(record.msg, tuple) and record.msg[0].startswith("SELECT") and 'FROM "post"' in record.msg[0]]
    assert selects
    for sql in selects:
        assert "WHERE" in sql.rsplit('FROM "post"', 1)[1], sql


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="PostgreSQL's id sequence stops there itself")
def test_a_create_past_the_last_post_id_is_refused_and_stores_nothing(app, client, auth):
    from microblog.data.models import MAX_ID, Post

    with app.app_context():
        Post.insert(id=MAX_ID, content="last", content_html="<p>last</p>", slug="last",
                    publication_time=datetime(2026, 1, 1)).execute()
    response = client.post("/api/v1/admin/posts", json={"content": "one too many"}, headers=auth.headers)
    assert_problem(response, 409)
    with app.app_context():
        assert [post.id for post in Post.select(Post.id)] == [MAX_ID]



def stored_tag_names(app):
    """Every tag row, those no API shows included."""
    with app.app_context():
        return sorted(name for (name,) in Tag.select(Tag.name).tuples())


def test_a_tag_no_post_carries_any_more_is_removed(app, client, auth):
    kept = auth.create_post(content="Kept", tags=["kept", "shared"])
    retagged = auth.create_post(content="Retagged", tags=["old", "shared"])
    purged = auth.create_post(content="Purged", tags=["gone", "shared"])
    hidden = auth.create_post(content="Hidden", tags=["hidden-only"], visible=False)
    client.patch(f"{POSTS}/{retagged['id']}", json={"tags": ["new"]}, headers=auth.headers)
    client.delete(f"{POSTS}/{purged['id']}", headers=auth.headers)
    assert "gone" in stored_tag_names(app)  # a deleted post can be restored, with its tags
    assert client.delete(f"{POSTS}/{purged['id']}?purge=true", headers=auth.headers).status_code == 204
    assert stored_tag_names(app) == ["hidden-only", "kept", "new", "shared"]
    client.put(f"{POSTS}/{hidden['id']}", json={"content": "Hidden, untagged"}, headers=auth.headers)
    client.delete(f"{POSTS}/{kept['id']}", headers=auth.headers)
    client.delete(f"{POSTS}/{kept['id']}?purge=true", headers=auth.headers)
    assert stored_tag_names(app) == ["new"]
