"""Atom, RSS and JSON Feed of public posts: parsed by a real feed parser, validated, cached."""
from datetime import datetime, timezone

import feedparser
import jsonschema
import pytest

from tests.helpers import assert_problem

JSON_FEED_1_1 = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": {"type": "string", "format": "uri"},
        "feed_url": {"type": "string", "format": "uri"},
        "description": {"type": "string"},
        "language": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string"},
                    "url": {"type": "string", "format": "uri"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


@pytest.fixture
def site(client, auth):
    """Two public posts (one without a title, one tagged), and hidden, scheduled, deleted ones."""
    first = auth.create_post(content="First post with **bold** & <script>x</script>", tags=["python"],
                             publish_at="2026-03-01T10:00:00.250000Z")
    second = auth.create_post(content="Second", title="The second", publish_at="2026-03-02T10:00:00Z")
    auth.create_post(content="Hidden draft", visible=False, tags=["python"])
    auth.create_post(content="Scheduled", publish_at="2099-01-01T00:00:00Z", tags=["python"])
    gone = auth.create_post(content="Deleted", tags=["python"])
    client.delete(f"/api/v1/admin/posts/{gone['id']}", headers=auth.headers)
    return first, second


@pytest.mark.parametrize("path, media_type", [("/feed.atom", "application/atom+xml"),
                                              ("/feed.rss", "application/rss+xml")])
def test_xml_feeds_parse_with_public_entries_dates_and_absolute_links(client, site, path, media_type):
    first, second = site
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == f"{media_type}; charset=utf-8"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == ("atom10" if path.endswith("atom") else "rss20")
    assert feed.feed.title == "microblog"
    assert [entry.title for entry in feed.entries] == [
        "The second", "First post with bold & <script>x</script>"]
    newest, oldest = feed.entries
    assert newest.link == f"http://localhost/posts/{second['slug']}"  # the post's page, by default
    assert client.get(newest.link).mimetype == "text/html"
    assert newest.id == f"http://localhost/api/v1/posts/{second['id']}"
    assert datetime(*newest.published_parsed[:6], tzinfo=timezone.utc) == datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
    assert datetime(*oldest.published_parsed[:6], tzinfo=timezone.utc) == datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
    html = oldest.content[0].value if path.endswith("atom") else oldest.description
    assert "<strong>bold</strong>" in html and "<script>" not in html
    assert [tag.term for tag in oldest.tags] == ["python"]
    for text in ("Hidden draft", "Scheduled", "Deleted"):
        assert text not in response.get_data(as_text=True)


def test_json_feed_is_valid_json_feed_1_1_with_rfc3339_dates(client, site):
    first, second = site
    response = client.get("/feed.json")
    assert response.status_code == 200 and response.content_type == "application/feed+json"
    document = response.get_json(force=True)
    jsonschema.validate(document, JSON_FEED_1_1, format_checker=jsonschema.FormatChecker())
    assert document["feed_url"] == "http://localhost/feed.json"
    assert [item["id"] for item in document["items"]] == [
        f"http://localhost/api/v1/posts/{second['id']}", f"http://localhost/api/v1/posts/{first['id']}"]
    assert document["items"][1]["date_published"] == "2026-03-01T10:00:00.250000Z"
    assert document["items"][1]["content_html"] == first["content_html"]
    assert document["items"][0]["tags"] == []


@pytest.mark.parametrize("path", ["/feed.atom", "/feed.rss", "/feed.json"])
def test_feeds_filter_by_tag_and_ignore_unknown_parameters(client, site, path):
    first, _second = site
    body = client.get(f"{path}?tag=PYTHON&utm_source=x").get_data(as_text=True)
    assert f"/api/v1/posts/{first['id']}" in body and "The second" not in body
    assert "utm_source" not in body
    assert "tag=python" in body, "the self link names the tag"
    assert_problem(client.get(f"{path}?tag=not%20a%20tag"), 422)


@pytest.mark.parametrize("path", ["/feed.atom", "/feed.rss", "/feed.json"])
def test_feeds_revalidate_and_change_when_a_post_changes(client, auth, site, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(path).data == first.data, "an unchanged feed is byte-for-byte the same"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    client.patch(f"/api/v1/admin/posts/{site[1]['id']}", json={"visible": False}, headers=auth.headers)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "The second" not in changed.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/feed.atom", "/feed.rss"])
def test_an_entry_built_once_is_built_again_for_every_change_it_shows(make_app, app, client, auth, path):
    """Entries are kept as built (service/feeds.py): every change of what one shows, on any
    host, is in the next feed, and an app without any cache builds the same feed."""
    post = auth.create_post(content="apple pie", title="Pie", tags=["fruit"])
    edits = [{"content": "pear tart"}, {"title": "Tart"}, {"tags": ["baking"]}, {"slug": "tart"},
             {"photos": [{"url": "https://img.example/tart.jpg", "alt": "a tart"}]},
             {"publish_at": "2020-01-02T03:04:05Z"}]
    feedparser.parse(client.get(path).data)  # its entry is built and kept
    for changes in edits:
        response = client.patch(f"/api/v1/admin/posts/{post['id']}", json=changes, headers=auth.headers)
        assert response.status_code == 200, response.get_json()
        entry = feedparser.parse(client.get(path).data).entries[0]
        shown = {"content": entry.summary, "title": entry.title, "tags": [tag.term for tag in entry.tags],
                 "slug": entry.link, "photos": str(entry.get("enclosures")), "publish_at": entry.published}
        for name, value in changes.items():
            wanted = {"photos": lambda v: v[0]["url"], "publish_at": lambda v: "2020"}.get(name, lambda v: v)(value)
            assert str(wanted) in str(shown[name]), (name, shown)
    for host in ("one.example", "two.example"):
        assert f"http://{host}/posts/tart" in client.get(path, headers={"Host": host}).get_data(as_text=True)


def test_a_json_feed_item_kept_is_made_again_for_every_change_it_shows(client, auth):
    post = auth.create_post(content="apple pie", title="Pie", tags=["fruit"])
    edits = [({"content": "pear tart"}, "content_html", "<p>pear tart</p>\n"), ({"title": "Tart"}, "title", "Tart"),
             ({"tags": ["baking"]}, "tags", ["baking"]), ({"slug": "tart"}, "url", "http://localhost/posts/tart"),
             ({"photos": [{"url": "https://img.example/tart.jpg", "alt": ""}]}, "image", "https://img.example/tart.jpg"),
             ({"publish_at": "2020-01-02T03:04:05Z"}, "date_published", "2020-01-02T03:04:05.000000Z")]
    client.get("/feed.json")  # its item is made and kept
    for changes, name, shown in edits:
        response = client.patch(f"/api/v1/admin/posts/{post['id']}", json=changes, headers=auth.headers)
        assert response.status_code == 200, response.get_json()
        item = client.get("/feed.json").get_json(force=True)["items"][0]
        assert item[name] == shown, (name, item)


def test_an_empty_site_has_valid_empty_feeds(client):
    assert feedparser.parse(client.get("/feed.atom").data).bozo == 0
    assert client.get("/feed.json").get_json(force=True)["items"] == []


def test_feed_links_follow_the_configured_site(make_app, app, client, site):
    configured = make_app(PUBLIC_BASE_URL="https://blog.example", SITE_TITLE="My blog",
                          POST_LINK_TEMPLATE="https://blog.example/p/{slug}").test_client()
    document = configured.get("/feed.json", headers={"Host": "evil.example"}).get_json(force=True)
    assert document["title"] == "My blog" and document["feed_url"] == "https://blog.example/feed.json"
    assert document["items"][0]["url"] == f"https://blog.example/p/{site[1]['slug']}"
    assert "evil.example" not in str(document)


def test_feeds_carry_at_most_fifty_posts(client, auth):
    for n in range(52):
        auth.create_post(content=f"Post {n}")
    assert len(client.get("/feed.json").get_json(force=True)["items"]) == 50


def test_long_untitled_posts_get_a_title_cut_at_a_word(client, auth):
    auth.create_post(content="*word* " * 30)
    title = client.get("/feed.json").get_json(force=True)["items"][0]["title"]
    assert title.startswith("word word") and title.endswith("word…") and len(title) <= 81


@pytest.mark.parametrize("content", ["![](https://example.com/a.png)", "---", "```\n```",
                                     "[](https://x.example)"])
def test_posts_without_text_still_make_valid_feeds(client, auth, content):
    post = auth.create_post(content=content)
    for path in ("/feed.atom", "/feed.rss"):
        response = client.get(path)
        assert response.status_code == 200
        assert feedparser.parse(response.data).entries[0].title == post["slug"]


@pytest.mark.parametrize("text", ["a\uffff", "a\ufffe"])
def test_characters_xml_cannot_carry_are_refused(client, auth, text):
    for fields in ({"content": text}, {"content": "x", "title": text}):
        assert_problem(client.post("/api/v1/admin/posts", json=fields, headers=auth.headers), 422)
