"""WebSub publishing: the feeds name the hub and themselves, and every change readers can see
pings the hub for each feed it changed (tests/peers/websub_hub.py is the hub)."""
import time
from datetime import timedelta

import feedparser
import pytest
from lxml import etree

from microblog.data.models import utcnow
from tests.conftest import AuthActions

BASE = "http://blog.test/"
SITE_FEEDS = [f"{BASE}feed.atom", f"{BASE}feed.json", f"{BASE}feed.rss"]
ATOM = "{http://www.w3.org/2005/Atom}"


def tag_feeds(tag):
    return [f"{BASE}feed.atom?tag={tag}", f"{BASE}feed.json?tag={tag}", f"{BASE}feed.rss?tag={tag}"]


@pytest.fixture
def blog(make_ready_app, hub):
    """An app whose feeds name the hub, fast retries."""
    return make_ready_app(WEBSUB_HUB=hub.url, PUBLIC_BASE_URL=BASE, DELIVERY_POLL_INTERVAL=0.05,
                          DELIVERY_RETRY_BASE=0.2, OUTBOUND_ALLOW_LOOPBACK=True)


@pytest.fixture
def admin(blog):
    return AuthActions(blog.test_client())


def test_every_feed_names_the_hub_and_itself(blog, hub):
    client = blog.test_client()
    for path in ("/feed.atom", "/feed.rss", "/feed.json", "/feed.atom?tag=x", "/feed.json?tag=x&other=1"):
        response = client.get(path)
        self_url = BASE + path.lstrip("/").split("&")[0]
        assert response.headers["Link"] == f'<{hub.url}>; rel="hub", <{self_url}>; rel="self"', path
    atom = etree.fromstring(client.get("/feed.atom").data)
    assert [(link.get("rel"), link.get("href")) for link in atom.findall(f"{ATOM}link")][:2] == [
        ("self", f"{BASE}feed.atom"), ("hub", hub.url)]
    channel = etree.fromstring(client.get("/feed.rss").data).find("channel")
    assert {(link.get("rel"), link.get("href")) for link in channel.findall(f"{ATOM}link")} == {
        ("self", f"{BASE}feed.rss"), ("hub", hub.url)}
    assert client.get("/feed.json").get_json()["hubs"] == [{"type": "WebSub", "url": hub.url}]
    parsed = feedparser.parse(client.get("/feed.rss").data)
    assert {link["rel"]: link["href"] for link in parsed.feed.links}["hub"] == hub.url


def test_without_a_hub_the_feeds_name_only_themselves(app):
    client = app.test_client()
    response = client.get("/feed.atom?tag=x")
    assert response.headers["Link"] == '<http://localhost/feed.atom?tag=x>; rel="self"'
    assert b'rel="hub"' not in response.data and b'rel="hub"' not in client.get("/feed.rss").data
    assert "hubs" not in client.get("/feed.json").get_json()


def test_a_published_post_pings_the_hub_for_each_feed_it_changed_within_seconds(blog, admin, hub, run_worker):
    run_worker(blog)
    started = time.monotonic()
    admin.create_post(content="Hello", tags=["python", "notes"])
    pings = hub.wait_for(9)
    assert sorted(ping.topic for ping in pings) == sorted(SITE_FEEDS + tag_feeds("python") + tag_feeds("notes"))
    assert max(ping.at for ping in pings) - started < 5
    assert len({ping.delivery_id for ping in pings}) == 9
    assert all(ping.user_agent == f"microblog/1.0.0 (+{BASE})" for ping in pings)
    # the topics pinged are the URLs the feeds call themselves
    client = blog.test_client()
    assert f'<{BASE}feed.rss?tag=python>; rel="self"' in client.get("/feed.rss?tag=python").headers["Link"]


def test_edits_deletes_restores_and_tag_changes_ping_the_feeds_they_change(blog, admin, hub, run_worker):
    post = admin.create_post(content="Hello", tags=["old"])
    run_worker(blog)
    hub.wait_for(6)
    url = f"/api/v1/admin/posts/{post['id']}"
    expectations = [
        (lambda: admin.client.patch(url, json={"tags": ["new"]}, headers=admin.headers),
         SITE_FEEDS + tag_feeds("old") + tag_feeds("new")),  # the tag it left changed too
        (lambda: admin.client.delete(url, headers=admin.headers), SITE_FEEDS + tag_feeds("new")),
        (lambda: admin.client.post(f"{url}/restore", headers=admin.headers), SITE_FEEDS + tag_feeds("new")),
        (lambda: admin.client.patch(url, json={"visible": False}, headers=admin.headers),
         SITE_FEEDS + tag_feeds("new")),
    ]
    seen = len(hub.pings)
    for change, topics in expectations:
        assert change().status_code in (200, 204)
        pings = hub.wait_for(seen + len(topics))
        assert sorted(ping.topic for ping in pings[seen:]) == sorted(topics)
        seen = len(pings)


def test_changes_to_posts_readers_cannot_see_ping_nothing(blog, admin, hub, run_worker):
    run_worker(blog)
    hidden = admin.create_post(content="Secret", tags=["secret"], visible=False)
    later = admin.create_post(content="Later", tags=["later"], publish_at=(utcnow() + timedelta(days=1)).isoformat() + "Z")
    for post in (hidden, later):
        url = f"/api/v1/admin/posts/{post['id']}"
        assert admin.client.patch(url, json={"content": "Edited", "tags": ["x"]}, headers=admin.headers).status_code == 200
        assert admin.client.patch(url, json={"visible": False}, headers=admin.headers).status_code == 200
        assert admin.client.delete(url, headers=admin.headers).status_code == 204
        assert admin.client.delete(f"{url}?purge=true", headers=admin.headers).status_code == 204
    summary = admin.client.get("/api/v1/admin/deliveries/summary", headers=admin.headers).get_json()
    assert summary["items"] == []
    admin.create_post(content="Public")  # the pipeline works: this one is heard at once
    assert sorted(ping.topic for ping in hub.wait_for(3)) == SITE_FEEDS
    time.sleep(0.3)
    assert len(hub.pings) == 3


def test_a_scheduled_post_pings_when_it_comes_due_and_not_before(blog, admin, hub, run_worker):
    run_worker(blog)
    due = utcnow() + timedelta(seconds=2)
    admin.create_post(content="Soon", tags=["soon"], publish_at=due.isoformat() + "Z")
    created = time.monotonic()
    pings = hub.wait_for(6, timeout=8)
    assert sorted(ping.topic for ping in pings) == sorted(SITE_FEEDS + tag_feeds("soon"))
    assert min(ping.at for ping in pings) - created >= 1.5  # not before it was due
    assert blog.test_client().get("/feed.atom?tag=soon").data.count(b"<entry>") == 1


def test_a_scheduled_post_hidden_or_moved_before_it_is_due_pings_only_when_it_is_due_again(blog, admin, hub, run_worker):
    run_worker(blog)
    soon = (utcnow() + timedelta(seconds=1)).isoformat() + "Z"
    hidden = admin.create_post(content="Never", tags=["never"], publish_at=soon)
    moved = admin.create_post(content="Moved", tags=["moved"], publish_at=soon)
    assert admin.client.patch(f"/api/v1/admin/posts/{hidden['id']}", json={"visible": False},
                              headers=admin.headers).status_code == 200
    later = utcnow() + timedelta(seconds=2.5)
    assert admin.client.patch(f"/api/v1/admin/posts/{moved['id']}", json={"publish_at": later.isoformat() + "Z"},
                              headers=admin.headers).status_code == 200
    time.sleep(2)
    assert hub.pings == []  # nothing at the first time: neither post is public then
    assert sorted(ping.topic for ping in hub.wait_for(6, timeout=5)) == sorted(SITE_FEEDS + tag_feeds("moved"))


def test_two_posts_due_at_once_keep_their_pings_when_one_of_them_is_hidden(blog, admin, hub, run_worker):
    due = (utcnow() + timedelta(seconds=1.5)).isoformat() + "Z"
    first = admin.create_post(content="First", publish_at=due)
    admin.create_post(content="Second", publish_at=due)
    assert admin.client.patch(f"/api/v1/admin/posts/{first['id']}", json={"visible": False},
                              headers=admin.headers).status_code == 200
    run_worker(blog)
    assert sorted(ping.topic for ping in hub.wait_for(3, timeout=6)) == SITE_FEEDS  # the second post's, when due
