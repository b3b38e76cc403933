"""Public reading API: order, paging, filters, single posts, tags, caching, and no leaks."""
import random
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from microblog.data.models import Post, PostTag, Tag, utcnow
from tests.helpers import assert_problem


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


FUTURE = "2099-01-01T00:00:00Z"


@pytest.fixture
def mixed_posts(auth):
    """One post of every kind a reader must or must not see."""
    posts = {
        "public": auth.create_post(content="Public *one*", title="Public one", tags=["news"]),
        "hidden": auth.create_post(content="Hidden draft", tags=["news", "secret"], visible=False),
        "scheduled": auth.create_post(content="Scheduled", tags=["secret"], publish_at=FUTURE),
        "deleted": auth.create_post(content="Deleted later", tags=["secret"]),
    }
    auth.client.delete(f"/api/v1/admin/posts/{posts['deleted']['id']}", headers=auth.headers)
    return posts


def ids(response):
    return [post["id"] for post in response.get_json()["items"]]


def test_list_shows_only_public_posts_without_admin_fields(client, mixed_posts):
    response = client.get("/api/v1/posts")
    assert response.status_code == 200
    assert ids(response) == [mixed_posts["public"]["id"]]
    post = response.get_json()["items"][0]
    assert "deleted" not in post
    assert post["content_html"] == "<p>Public <em>one</em></p>\n"
    assert response.get_json()["next_cursor"] is None
    assert "Link" not in response.headers


@pytest.mark.parametrize("kind", ["hidden", "scheduled"])
def test_hidden_and_scheduled_posts_are_not_found(client, mixed_posts, kind):
    post = mixed_posts[kind]
    body = assert_problem(client.get(f"/api/v1/posts/{post['id']}"), 404)
    assert post["content"] not in str(body)
    assert_problem(client.get(f"/api/v1/posts/by-slug/{post['slug']}"), 404)


def test_post_deleted_while_public_is_gone_but_never_public_is_not_found(client, auth):
    public = auth.create_post(content="Was public")
    hidden = auth.create_post(content="Never public", visible=False)
    for post in (public, hidden):
        client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers)
    assert_problem(client.get(f"/api/v1/posts/{public['id']}"), 410)
    assert_problem(client.get(f"/api/v1/posts/by-slug/{public['slug']}"), 410)
    assert_problem(client.get(f"/api/v1/posts/{hidden['id']}"), 404)


def test_deleting_a_scheduled_or_hidden_post_reveals_nothing(client, auth):
    scheduled = auth.create_post(content="Not yet", publish_at="2099-01-01T00:00:00Z")
    client.delete(f"/api/v1/admin/posts/{scheduled['id']}", headers=auth.headers)
    assert_problem(client.get(f"/api/v1/posts/{scheduled['id']}"), 404)
    assert_problem(client.get(f"/api/v1/posts/by-slug/{scheduled['slug']}"), 404)


def test_purged_post_is_not_found(client, auth):
    post = auth.create_post(content="Soon gone")
    client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers)
    client.delete(f"/api/v1/admin/posts/{post['id']}?purge=true", headers=auth.headers)
    assert_problem(client.get(f"/api/v1/posts/{post['id']}"), 404)


def test_tags_count_only_public_posts(client, auth, mixed_posts):
    auth.create_post(content="Second public", tags=["news", "misc"])
    response = client.get("/api/v1/tags")
    assert response.status_code == 200
    assert response.get_json() == {
        "items": [{"name": "news", "count": 2}, {"name": "misc", "count": 1}]
    }


def test_single_post_by_id_and_slug(client, mixed_posts):
    post = mixed_posts["public"]
    by_id = client.get(f"/api/v1/posts/{post['id']}")
    by_slug = client.get(f"/api/v1/posts/by-slug/{post['slug']}")
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.get_json() == by_slug.get_json()
    assert by_id.get_json()["slug"] == "public-one"
    assert by_id.get_json()["tags"] == ["news"]


def test_unknown_id_and_slug_are_problems(client):
    assert_problem(client.get("/api/v1/posts/999999"), 404)
    assert_problem(client.get("/api/v1/posts/by-slug/nothing-here"), 404)


def test_newest_first_by_publication_time_then_id(client, auth):
    old = auth.create_post(content="Backdated", publish_at="2020-01-01T00:00:00Z")
    first = auth.create_post(content="First")
    second = auth.create_post(content="Second")
    assert ids(client.get("/api/v1/posts")) == [second["id"], first["id"], old["id"]]


def test_scheduled_post_appears_once_its_time_has_come(client, auth):
    soon = auth.create_post(content="Soon", publish_at=iso(datetime.now(timezone.utc) + timedelta(hours=1)))
    assert soon["id"] not in ids(client.get("/api/v1/posts"))
    moved = auth.client.patch(
        f"/api/v1/admin/posts/{soon['id']}",
        json={"publish_at": iso(datetime.now(timezone.utc) - timedelta(minutes=1))},
        headers=auth.headers,
    )
    assert moved.status_code == 200
    assert soon["id"] in ids(client.get("/api/v1/posts"))
    assert client.get(f"/api/v1/posts/{soon['id']}").status_code == 200


def test_keyset_pages_cover_every_post_once_with_link_headers(client, auth):
    created = [auth.create_post(content=f"Post {n}")["id"] for n in range(7)]
    seen, url, pages = [], "/api/v1/posts?limit=3", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages += 1
        seen += ids(response)
        cursor = response.get_json()["next_cursor"]
        if cursor:
            link = response.headers["Link"]
            assert link.endswith('>; rel="next"') and f"cursor={cursor}" in link
            assert "limit=3" in link
            url = f"/api/v1/posts?limit=3&cursor={cursor}"
        else:
            assert "Link" not in response.headers
            url = None
    assert pages == 3
    assert seen == list(reversed(created))


def test_pages_stay_correct_while_posts_are_added(client, auth):
    created = [auth.create_post(content=f"Post {n}")["id"] for n in range(4)]
    first = client.get("/api/v1/posts?limit=2").get_json()
    auth.create_post(content="Newer")
    second = client.get(f"/api/v1/posts?limit=2&cursor={first['next_cursor']}").get_json()
    assert [p["id"] for p in second["items"]] == [created[1], created[0]]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=abc", "cursor=not-a-cursor", "cursor=WzEsMl0", "bogus=1",
     "since=2026-01-01T00:00:00", "tag=Not%20A%20Tag"],
)
def test_bad_list_parameters_are_422(client, query):
    body = assert_problem(client.get(f"/api/v1/posts?{query}"), 422)
    assert body["errors"] and all("parameter" in error for error in body["errors"])


def test_unknown_query_parameters_are_refused_everywhere(client, mixed_posts):
    post = mixed_posts["public"]
    for url in (f"/api/v1/posts/{post['id']}", f"/api/v1/posts/by-slug/{post['slug']}",
                "/api/v1/tags"):
        body = assert_problem(client.get(f"{url}?x=1"), 422)
        assert body["errors"] == [{"parameter": "x", "detail": "Unknown field."}]


def test_filter_by_tag(client, auth):
    python = auth.create_post(content="About Python", tags=["python"])
    auth.create_post(content="About cats", tags=["cats"])
    assert ids(client.get("/api/v1/posts?tag=python")) == [python["id"]]
    assert ids(client.get("/api/v1/posts?tag=PYTHON")) == [python["id"]]
    assert ids(client.get("/api/v1/posts?tag=nothing")) == []


def test_a_tag_page_follows_reading_order_through_reschedules_and_imports(app, client, auth):
    first = auth.create_post(content="first", tags=["t", "u"])
    second = auth.create_post(content="second", tags=["t"])
    third = auth.create_post(content="third", tags=["t"], publish_at="2001-01-01T00:00:00Z")
    assert ids(client.get("/api/v1/posts?tag=t")) == [second["id"], first["id"], third["id"]]
    client.patch(f"/api/v1/admin/posts/{second['id']}", json={"publish_at": "2000-01-01T00:00:00Z"},
                 headers=auth.headers)
    client.patch(f"/api/v1/admin/posts/{third['id']}", json={"publish_at": None}, headers=auth.headers)
    expected = [third["id"], first["id"], second["id"]]
    assert ids(client.get("/api/v1/posts?tag=t")) == expected
    page = client.get("/api/v1/posts?tag=t&limit=1").get_json()
    assert ids(client.get(f"/api/v1/posts?tag=t&limit=2&cursor={page['next_cursor']}")) == expected[1:]
    assert ids(client.get("/api/v1/posts?tag=t&since=2000-06-01T00:00:00Z")) == expected[:2]
    exported = client.get("/api/v1/admin/export", headers=auth.headers).get_data()
    edited = exported.replace(b'"publish_at":null', b'"publish_at":"1999-01-01T00:00:00.000000Z"', 1)
    assert edited != exported
    response = client.post("/api/v1/admin/import", data=edited, headers={
        **auth.headers, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        from microblog.data.models import Post, PostTag
        pairs = PostTag.select(PostTag.publication_time, Post.publication_time).join(Post).tuples()
        assert len(pairs) == 4 and all(copy == original for copy, original in pairs)


def test_since_is_inclusive_and_until_exclusive(client, auth):
    jan = auth.create_post(content="January", publish_at="2026-01-01T00:00:00Z")
    feb = auth.create_post(content="February", publish_at="2026-02-01T00:00:00Z")
    mar = auth.create_post(content="March", publish_at="2026-03-01T00:00:00Z")
    response = client.get(
        "/api/v1/posts?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00%2B00:00"
    )
    assert ids(response) == [feb["id"], jan["id"]]
    assert ids(client.get("/api/v1/posts?since=2026-02-01T01:00:00%2B01:00")) == [mar["id"], feb["id"]]


def test_public_reads_are_cacheable_and_revalidate(client, auth, mixed_posts):
    url = f"/api/v1/posts/{mixed_posts['public']['id']}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    auth.client.patch(url.replace("/api/v1/", "/api/v1/admin/"), json={"content": "Changed"},
                       headers=auth.headers)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_list_etag_changes_when_a_post_is_hidden(client, auth, mixed_posts):
    etag = client.get("/api/v1/posts").headers["ETag"]
    auth.client.patch(f"/api/v1/admin/posts/{mixed_posts['public']['id']}",
                       json={"visible": False}, headers=auth.headers)
    response = client.get("/api/v1/posts", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_not_found_is_not_cached_for_long(client):
    response = client.get("/api/v1/posts/12345")
    assert response.headers["Cache-Control"] == "no-cache"


def test_cache_max_age_is_configurable(make_app, app):
    app = make_app(CACHE_MAX_AGE=5)
    assert app.test_client().get("/api/v1/tags").headers["Cache-Control"] == "public, max-age=5"


def test_no_public_surface_reveals_non_public_posts(client, auth, mixed_posts):
    """Every public read, with every filter, shows no trace of hidden, scheduled or deleted posts."""
    secret_posts = [mixed_posts[kind] for kind in ("hidden", "scheduled", "deleted")]
    urls = ["/api/v1/posts", "/api/v1/posts?limit=1", "/api/v1/tags", "/api/v1/posts?tag=secret",
            "/api/v1/posts?tag=news", "/api/v1/posts?q=Hidden", "/api/v1/posts?q=Scheduled",
            "/api/v1/posts?q=Deleted", "/api/v1/posts?q=later", "/api/v1/posts?q=draft", "/api/v1/posts?since=2000-01-01T00:00:00Z",
            "/api/v1/posts?until=2100-01-01T00:00:00Z"]
    for post in secret_posts:
        urls += [f"/api/v1/posts/{post['id']}", f"/api/v1/posts/by-slug/{post['slug']}"]
    for url in urls:
        text = client.get(url).get_data(as_text=True)
        for post in secret_posts:
            assert post["content"] not in text and post["slug"] not in text, url
            assert f'"id": {post["id"]}' not in text and f'"id":{post["id"]}' not in text, url
        assert "secret" not in text.replace("?tag=secret", ""), url


@pytest.mark.parametrize("slug", ["a%00b", "UPPER", "x" * 300, "sp%20ace", "%E2%9C%93"])
def test_impossible_slugs_are_404(client, slug):
    assert_problem(client.get(f"/api/v1/posts/by-slug/{slug}"), 404)


def test_single_posts_carry_last_modified_and_honour_if_modified_since(client, auth):
    post = auth.create_post(content="Dated")
    url = f"/api/v1/posts/{post['id']}"
    first = client.get(url)
    last_modified = first.headers["Last-Modified"]
    assert last_modified.endswith(" GMT")
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(f"/api/v1/posts/by-slug/{post['slug']}",
                      headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"}).status_code == 200


def test_last_modified_moves_only_with_what_readers_see(app, client, auth):
    """Hiding and showing again, or deleting and restoring, must not tell when it happened."""
    post = auth.create_post(content="Dated", title="Dated")
    with app.app_context():
        an_hour_ago = utcnow() - timedelta(hours=1)
        Post.update(created=an_hour_ago, updated=an_hour_ago, publication_time=an_hour_ago).where(
            Post.id == post["id"]).execute()
    url, admin_url = f"/api/v1/posts/{post['id']}", f"/api/v1/admin/posts/{post['id']}"
    before = client.get(url)
    for change in ({"visible": False}, {"visible": True}):
        assert client.patch(admin_url, json=change, headers=auth.headers).status_code == 200
    assert client.delete(admin_url, headers=auth.headers).status_code == 204
    assert client.post(f"{admin_url}/restore", headers=auth.headers).status_code == 200
    after = client.get(url)
    assert (after.get_data(), after.headers["ETag"]) == (before.get_data(), before.headers["ETag"])
    assert after.headers["Last-Modified"] == before.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": before.headers["Last-Modified"]}).status_code == 304
    assert client.patch(admin_url, json={"title": "Retitled"}, headers=auth.headers).status_code == 200
    edited = client.get(url)
    assert parsedate_to_datetime(edited.headers["Last-Modified"]) > parsedate_to_datetime(before.headers["Last-Modified"])


def test_tag_counts_follow_every_kind_of_change(app, client, auth):
    """tag.post_count, kept by each write, always equals a count of the posts themselves, and
    the tag list equals the public posts' tags counted one by one."""
    from microblog.data.models import Post, PostTag, Tag

    def check():
        with app.app_context():
            for tag in Tag.select():
                actual = (PostTag.select().join(Post).where(PostTag.tag == tag.id, Post.visible == True,  # noqa: E712
                                                             Post.deleted.is_null()).count())
                assert tag.post_count == actual, tag.name
        public = client.get("/api/v1/posts?limit=100").get_json()["items"]
        expected = {}
        for post in public:
            for name in post["tags"]:
                expected[name] = expected.get(name, 0) + 1
        listed = client.get("/api/v1/tags").get_json()["items"]
        assert {item["name"]: item["count"] for item in listed} == expected
        assert listed == sorted(listed, key=lambda item: (-item["count"], item["name"]))

    def patch(post, **fields):
        response = client.patch(f"/api/v1/admin/posts/{post['id']}", json=fields, headers=auth.headers)
        assert response.status_code == 200, response.get_json()

    a = auth.create_post(content="a", tags=["x", "y"])
    b = auth.create_post(content="b", tags=["x"], visible=False)
    c = auth.create_post(content="c", tags=["y", "z"], publish_at="2999-01-01T00:00:00Z")
    d = auth.create_post(content="d", tags=["z"])
    check()
    patch(a, tags=["y", "w"])
    patch(b, visible=True)
    patch(d, visible=False, tags=["x"])
    patch(c, publish_at=None)
    check()
    for post in (a, d):
        assert client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).status_code == 204
    check()
    exported = client.get("/api/v1/admin/export", headers=auth.headers).get_data()
    assert client.post(f"/api/v1/admin/posts/{a['id']}/restore", headers=auth.headers).status_code == 200
    assert client.delete(f"/api/v1/admin/posts/{d['id']}?purge=true", headers=auth.headers).status_code == 204
    patch(b, tags=["v"])
    check()
    response = client.post("/api/v1/admin/import", data=exported, headers={
        **auth.headers, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 200, response.get_json()
    check()


def test_tag_counts_hold_through_random_changes_of_tags_visibility_and_deletion(app, client, auth):
    """A seeded run of creates and changes that move a post's tags (added, removed, reordered,
    shared with others) together with its visibility, deletion and restoring: after each, every
    tag's post_count equals its visible, undeleted posts, and no tag is left that no post carries."""
    rng = random.Random(28)
    names = ["a", "b", "c", "d", "e"]
    posts = [auth.create_post(content=f"post {n}", tags=rng.sample(names, rng.randint(0, 3)),
                              visible=rng.random() < 0.7) for n in range(6)]
    for step in range(60):
        post = rng.choice(posts)
        url = f"/api/v1/admin/posts/{post['id']}"
        action = rng.choice(["tags", "tags", "visible", "both", "reorder", "delete", "restore"])
        current = client.get(url, headers=auth.headers).get_json()
        if action == "delete":
            assert client.delete(url, headers=auth.headers).status_code == 204
        elif action == "restore":
            assert client.post(f"{url}/restore", headers=auth.headers).status_code == 200
        elif current["deleted"] is None:
            change = {"reorder": {"tags": current["tags"][::-1]},
                      "visible": {"visible": not current["visible"]},
                      "tags": {"tags": rng.sample(names, rng.randint(0, 3))},
                      "both": {"tags": rng.sample(names, rng.randint(0, 3)), "visible": rng.random() < 0.5}}[action]
            response = client.patch(url, json=change, headers=auth.headers)
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["tags"] == change.get("tags", current["tags"])
        with app.app_context():
            for tag in Tag.select():
                carriers = PostTag.select().join(Post).where(PostTag.tag == tag.id)
                shown = carriers.where(Post.visible == True, Post.deleted.is_null())  # noqa: E712
                assert (tag.post_count, carriers.count() > 0) == (shown.count(), True), (step, action, tag.name)
