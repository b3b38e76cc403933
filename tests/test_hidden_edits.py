"""Issue 23, item 3: a change made while a post is not public moves no time readers see
(Last-Modified, the sitemap's lastmod, article:modified_time, JSON-LD dateModified, the feeds'
updated) unless, once public again, the post differs from what readers last saw."""
import json
from datetime import timedelta

import pytest
from lxml import etree, html

from microblog.data.models import Post, utcnow

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "a": "http://www.w3.org/2005/Atom"}


def reader_times(client, post_id):
    """Every time a reader is shown for the post, and its ETag."""
    api = client.get(f"/api/v1/posts/{post_id}")
    assert api.status_code == 200
    slug = api.get_json()["slug"]
    page = html.fromstring(client.get(f"/posts/{slug}").data)
    (ld,) = page.xpath('//script[@type="application/ld+json"]/text()')
    sitemap = etree.fromstring(client.get("/sitemap.xml").data)
    atom = etree.fromstring(client.get("/feed.atom").data)
    return {
        "etag": api.headers["ETag"],
        "last-modified": api.headers["Last-Modified"],
        "article:modified_time": page.xpath('//meta[@property="article:modified_time"]/@content'),
        "dateModified": json.loads(ld)["dateModified"],
        "lastmod": sitemap.xpath(f'//s:url[s:loc[contains(., "/posts/{slug}")]]/s:lastmod/text()', namespaces=NS),
        "atom updated": atom.xpath("//a:entry/a:updated/text()", namespaces=NS),
        "json feed": [item["date_modified"] for item in client.get("/feed.json").get_json()["items"]],
    }


@pytest.fixture
def dated_post(app, auth):
    """A public post whose every date is an hour old, so that a move of any is seen."""
    post = auth.create_post(content="Dated", title="Dated", publish_at=None)
    with app.app_context():
        an_hour_ago = utcnow() - timedelta(hours=1)
        Post.update(created=an_hour_ago, updated=an_hour_ago, publication_time=an_hour_ago).where(
            Post.id == post["id"]).execute()
    return post


NO_NET_CHANGE = {
    "publish_at set and cleared": [{"publish_at": "2030-01-01T00:00:00Z"}, {"publish_at": None}],
    "slug changed and back": [{"slug": "elsewhere"}, {"slug": "dated"}],
    "publish_at set, then another": [{"publish_at": "2030-01-01T00:00:00Z"}, {"publish_at": "2031-01-01T00:00:00Z"},
                                     {"publish_at": None}],
}  # an edit of the text or tags and its undoing is not among them: the post's `edited` shows it


@pytest.mark.parametrize("edits", NO_NET_CHANGE.values(), ids=NO_NET_CHANGE.keys())
def test_changes_undone_while_hidden_move_no_reader_time(client, auth, dated_post, edits):
    admin_url = f"/api/v1/admin/posts/{dated_post['id']}"
    before = reader_times(client, dated_post["id"])
    for change in [{"visible": False}, *edits, {"visible": True}]:
        assert client.patch(admin_url, json=change, headers=auth.headers).status_code == 200
    assert reader_times(client, dated_post["id"]) == before


def test_put_off_and_back_moves_no_reader_time(client, auth, dated_post):
    """Out of sight by its schedule rather than hidden, then back, with a restore between."""
    admin_url = f"/api/v1/admin/posts/{dated_post['id']}"
    before = reader_times(client, dated_post["id"])
    assert client.patch(admin_url, json={"publish_at": "2099-01-01T00:00:00Z"}, headers=auth.headers).status_code == 200
    assert client.delete(admin_url, headers=auth.headers).status_code == 204
    assert client.post(f"{admin_url}/restore", headers=auth.headers).status_code == 200
    assert client.patch(admin_url, json={"publish_at": None}, headers=auth.headers).status_code == 200
    assert reader_times(client, dated_post["id"]) == before


def test_a_change_readers_see_once_shown_moves_the_times_to_the_showing(client, auth, dated_post):
    admin_url = f"/api/v1/admin/posts/{dated_post['id']}"
    before = reader_times(client, dated_post["id"])
    client.patch(admin_url, json={"visible": False}, headers=auth.headers)
    client.patch(admin_url, json={"publish_at": "2026-01-01T00:00:00Z"}, headers=auth.headers)
    hidden_edit = utcnow().replace(microsecond=0)
    client.patch(admin_url, json={"visible": True}, headers=auth.headers)
    after = reader_times(client, dated_post["id"])
    assert after["etag"] != before["etag"]
    changed = [name for name in before if before[name] != after[name]]
    assert set(changed) == set(before), changed  # every reader time moved, to the showing
    assert after["dateModified"] >= hidden_edit.isoformat() + "Z"
