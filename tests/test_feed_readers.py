"""What feed readers need beyond a valid feed: absolute URLs in posts, the site's language, a
sign of an edit in RSS, JSON Feed's `version` first, and an icon at /favicon.ico."""
import struct
from datetime import datetime
from xml.etree import ElementTree

import feedparser
import pytest

from microblog.config import ConfigurationError

BASE = "https://blog.example/"
CONTENT = ("See [about](/about), [the list](list?page=2), [a note](#note), [elsewhere](https://x.example/a) "
           "and [mail](mailto:a@x.example).\n\n![photo](img/cat.png)")
RESOLVED = {
    "/about": "https://blog.example/about",
    "list?page=2": "https://blog.example/list?page=2",
    "img/cat.png": "https://blog.example/img/cat.png",
}


def _html_of_every_feed(client):
    """The post's HTML as each of the three feeds carries it, read as a reader would."""
    atom = feedparser.parse(client.get("/feed.atom").data).entries[0].content[0].value
    rss = feedparser.parse(client.get("/feed.rss").data).entries[0].description
    json_feed = client.get("/feed.json").get_json(force=True)["items"][0]["content_html"]
    return {"atom": atom, "rss": rss, "json": json_feed}


def test_relative_links_and_images_are_absolute_in_every_feed(make_app, app, client, auth):
    post = auth.create_post(content=CONTENT, title="Links")
    configured = make_app(PUBLIC_BASE_URL=BASE.rstrip("/")).test_client()
    for kind, html in _html_of_every_feed(configured).items():
        for relative, absolute in RESOLVED.items():
            assert f'"{absolute}"' in html, (kind, relative, html)
        # a fragment belongs to the post's own page; absolute URLs are left as they are
        assert f'"https://blog.example/posts/{post["slug"]}#note"' in html, kind
        assert '"https://x.example/a"' in html and '"mailto:a@x.example"' in html, kind
        assert 'href="/' not in html and 'src="img' not in html, kind
    # the API keeps the author's HTML as written
    assert 'href="/about"' in client.get(f"/api/v1/posts/{post['id']}").get_json()["content_html"]


def test_without_a_public_base_url_links_resolve_against_the_request_host(client, auth):
    auth.create_post(content=CONTENT)
    for kind, html in _html_of_every_feed(client).items():
        assert '"http://localhost/about"' in html and '"http://localhost/img/cat.png"' in html, kind


@pytest.mark.parametrize("content", ["[x](https://x.example/a) ![](https://x.example/i.png)",
                                     'Text that says `href="x"` and [m](mailto:a@x.example)'])
def test_posts_without_relative_urls_are_carried_as_they_are(client, auth, content):
    post = auth.create_post(content=content)
    assert client.get("/feed.json").get_json(force=True)["items"][0]["content_html"] == post["content_html"]


@pytest.mark.parametrize("language", ["en", "pt-BR"])
def test_feeds_carry_the_site_language(make_app, app, auth, language):
    client = make_app(SITE_LANGUAGE=language).test_client()
    auth.create_post(content="Olá")
    rss = ElementTree.fromstring(client.get("/feed.rss").data)
    assert rss.find("channel/language").text == language
    atom = ElementTree.fromstring(client.get("/feed.atom").data)
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == language
    assert feedparser.parse(client.get("/feed.atom").data).feed.language == language
    assert client.get("/feed.json").get_json(force=True)["language"] == language


def _rss_item_updated(client):
    item = ElementTree.fromstring(client.get("/feed.rss").data).find("channel/item")
    return item.find("{http://www.w3.org/2005/Atom}updated").text


def test_an_edit_shows_in_rss_as_atom_updated_with_guid_and_pubdate_kept(client, auth):
    post = auth.create_post(content="First words", publish_at="2026-03-01T10:00:00Z")
    before = feedparser.parse(client.get("/feed.rss").data).entries[0]
    updated_before = _rss_item_updated(client)
    auth.client.patch(f"/api/v1/admin/posts/{post['id']}", json={"content": "Better words"},
                      headers=auth.headers)
    edited = auth.client.get(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).get_json()
    after = feedparser.parse(client.get("/feed.rss").data).entries[0]
    assert after.id == before.id and after.published_parsed == before.published_parsed
    assert "Better words" in after.description
    assert _rss_item_updated(client) == edited["edited"] != updated_before
    # feedparser hands it to readers as the entry's `updated`
    assert after.updated_parsed[:6] == datetime.fromisoformat(edited["edited"]).utctimetuple()[:6]


def test_json_feed_keeps_the_spec_order_version_first(client, auth):
    auth.create_post(content="x")
    body = client.get("/feed.json").get_data(as_text=True)
    assert body.startswith('{"version":"https://jsonfeed.org/version/1.1","title":')  # the API's one JSON format
    assert list(client.get("/feed.json").get_json(force=True)) == [
        "version", "title", "home_page_url", "feed_url", "description", "authors", "language", "items"]


def test_favicon_ico_is_a_real_icon_cached_with_an_etag(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    reserved, kind, count = struct.unpack("<HHH", response.data[:6])
    assert (reserved, kind) == (0, 1) and count >= 1
    for index in range(count):
        width, height, *_rest, length, offset = struct.unpack(
            "<BBBBHHII", response.data[6 + 16 * index:22 + 16 * index])
        assert width == height and response.data[offset:offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(response.data)
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert client.get("/favicon.ico", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_favicon_svg_is_svg(client):
    response = client.get("/favicon.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert ElementTree.fromstring(response.data).tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize("language", ["", "english!", "e", "en_US"])
def test_a_site_language_that_is_no_language_tag_is_refused_at_start(make_app, language):
    with pytest.raises(ConfigurationError, match="SITE_LANGUAGE"):
        make_app(SITE_LANGUAGE=language)
