"""The Atom and RSS feeds are byte-for-byte what feedgen writes for the whole document: each
entry is written once per version and spliced into feedgen's document of no entries
(service/feeds.py), and nothing of that may show in the bytes served."""
import pytest

from microblog.service import feeds
from microblog.web.api import feeds as feed_views

WRITERS = {"atom": lambda generator: generator.atom_str(pretty=False),
           "rss": lambda generator: generator.rss_str(pretty=False)}


def feedgen_whole(app, kind, tag, host):
    """feedgen's own document of the feed as the app reads it now: the same shell and entries,
    written by feedgen in one piece."""
    query = f"?tag={tag}" if tag else ""
    with app.test_request_context(f"/feed.{kind}{query}", headers={"Host": host}):
        site, shown = feed_views._site(), feed_views._latest({"tag": tag} if tag else {})
        self_url = feed_views.urls.feed(kind, tag)
        generator = feeds._shell(site, shown, self_url)
        for post in shown:
            generator.add_entry(feeds._new_entry(site, post, site.content_html(post)), order="append")
        return WRITERS[kind](generator) + b"\n"


@pytest.fixture
def varied(client, auth):
    """Posts with and without titles, text XML must escape, characters beyond ASCII, relative
    links, photos of known and unknown type with and without alt text, tags, and edits."""
    auth.create_post(content="Plain & <simple> \"quoted\" 'text'", publish_at="2026-01-01T00:00:00Z")
    auth.create_post(content="Café, naïve, 日本語 and 🎉 [a link](/posts/x) ![pic](/media/p.png) [up](#top)",
                     title="Ünïcode — title", tags=["cafe", "python"])
    auth.create_post(content="With photos", tags=["python"], photos=[
        {"url": "https://img.example/a.jpg", "alt": "an \"apple\" & <pear>"},
        {"url": "https://img.example/b", "alt": ""},
        {"url": "https://img.example/c.webp", "alt": "third"}])
    edited = auth.create_post(content="Before the edit", title="To edit", tags=["python", "news"])
    auth.create_post(content="Only ![an image](https://img.example/only.gif)")
    response = client.patch(f"/api/v1/admin/posts/{edited['id']}", json={
        "content": "After the edit, with `code` and\n\n> a quote", "tags": ["news"]}, headers=auth.headers)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("kind", ["atom", "rss"])
@pytest.mark.parametrize("hub", [None, "https://hub.example/?a=1&b=2"])
@pytest.mark.parametrize("tag", [None, "python", "news", "absent"])
def test_feeds_are_what_feedgen_writes_for_the_whole_document(make_app, varied, kind, hub, tag):
    app = make_app(WEBSUB_HUB=hub)  # on the database the posts were written to
    client = app.test_client()
    for host in ("localhost", "other.example:8080"):
        for _ in range(2):  # its entries built, then kept
            served = client.get(f"/feed.{kind}" + (f"?tag={tag}" if tag else ""), headers={"Host": host})
            assert served.status_code == 200
            assert served.data == feedgen_whole(app, kind, tag, host)
