"""Property: every public surface shows exactly the public posts, whatever the mix.

Hypothesis builds random sites of visible, hidden, scheduled (past or future) and deleted posts
with random tags, words and photos; lists (every page), single posts, slugs, tags and counts, search,
tag filters and feeds must then show exactly the public ones, and no trace (id, slug or marker
word) of any other. The reading site's pages (home, post, tag, tags, search, every page of
each) and its sitemap are held to the same, and so is Micropub's q=source for a caller with no
token or a token without a post scope, and so are the WebSub hub's pings in the outbox: for the
feeds of posts readers saw, and a future post's when it comes due, never for others.
Every post has a Webmention received (from when it was public): a public post's page shows
it, and nothing shows any other's; the Webmention endpoint accepts the public posts alone as targets.
So are the ActivityPub answers (the outbox's pages, each post's object by its page and by its
id) and the activities planned for a follower: a Create only for a post readers saw or will
see when it comes due, a Delete only for one they saw.
"""
import re
from collections import Counter

import feedparser
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microblog.data.models import Change, Delivery, FederatedPost, Follower, Mention, Post, PostTag, RevokedToken, Tag, utcnow
from tests.helpers import mint_token

TAGS = ["red", "green", "blue"]
WORDS = ["apple", "river", "stone"]
PAST, FUTURE = "2020-06-01T00:00:00Z", "2099-06-01T00:00:00Z"
BASE = "http://localhost/"  # the test client's own host, so that links read as they would without it
FEEDS = ("feed.atom", "feed.rss", "feed.json")


@pytest.fixture
def app(make_ready_app):
    """With a WebSub hub (no worker runs: the pings wait in the outbox, where they are checked)."""
    return make_ready_app(WEBSUB_HUB="http://hub.test/", PUBLIC_BASE_URL=BASE)

post_specs = st.lists(
    st.fixed_dictionaries({
        "visible": st.booleans(),
        "schedule": st.sampled_from([None, "past", "future"]),
        "deleted": st.booleans(),
        "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
        "words": st.lists(st.sampled_from(WORDS), min_size=1, max_size=2),
        "titled": st.booleans(),
    }),
    max_size=8,
)


def is_public(spec):
    return spec["visible"] and not spec["deleted"] and spec["schedule"] != "future"


def build(client, auth, specs):
    with client.application.app_context():
        for model in (Mention, PostTag, Tag, Post, RevokedToken, Change, Delivery, FederatedPost, Follower):
            model.delete().execute()  # a new site, its change feed, outbox and followers
        Follower.create(actor="https://social.test/users/f", inbox="https://social.test/users/f/inbox",
                        shared_inbox="https://social.test/inbox", follow_id="https://social.test/follows/1",
                        host="social.test")
    posts = []
    for number, spec in enumerate(specs):
        marker = f"marker{number}x"
        fields = {"content": " ".join(spec["words"] + [marker]), "tags": spec["tags"],
                  "visible": spec["visible"], "photos": [{"url": f"https://photos.example/{marker}.jpg",
                                                          "alt": f"Alt text {marker}"}]}
        if spec["titled"]:
            fields["title"] = f"{spec['words'][0]} title {marker}"
        if spec["schedule"]:
            fields["publish_at"] = PAST if spec["schedule"] == "past" else FUTURE
        post = auth.create_post(**fields)
        _mentioned(client, post, number)
        if spec["deleted"]:
            assert client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).status_code == 204
        posts.append((spec, post, marker))
    return posts


def _mentioned(client, post, number):
    """A Webmention from another site, as the worker stores one it verified."""
    with client.application.app_context():
        now = utcnow()
        Mention.create(post=post["id"], source=f"https://elsewhere.example/{number}", target=post["slug"],
                       domain="elsewhere.example", status="shown", kind="reply", url=f"https://elsewhere.example/{number}",
                       author_name=f"author{number}y", content_html=f"<p>mentioned{number}y</p>", received=now,
                       verified=now)


def every_page(client, url):
    seen, cursor = [], None
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=post_specs)
def test_public_surfaces_show_exactly_the_public_posts(client, auth, specs):
    posts = build(client, auth, specs)
    public = [post for spec, post, _ in posts if is_public(spec)]
    public_ids = {post["id"] for post in public}
    hidden_traces = [(post, marker) for spec, post, marker in posts if not is_public(spec)]
    texts = []

    listed = every_page(client, "/api/v1/posts?limit=3")
    assert [p["id"] for p in listed] == [p["id"] for p in sorted(
        public, key=lambda p: (p["publish_at"] or p["created"], p["id"]), reverse=True)]
    texts.append(str(listed))

    for spec, post, _ in posts:
        for url in (f"/api/v1/posts/{post['id']}", f"/api/v1/posts/by-slug/{post['slug']}"):
            response = client.get(url)
            expected = 200 if is_public(spec) else (410 if spec["deleted"] and spec["visible"]
                                                     and spec["schedule"] != "future" else 404)
            assert response.status_code == expected, (url, spec)
            if expected != 200:
                texts.append(response.get_data(as_text=True))

    counts = Counter(tag for post in public for tag in post["tags"])
    tags = client.get("/api/v1/tags").get_json()["items"]
    assert {item["name"]: item["count"] for item in tags} == dict(counts)
    texts.append(str(tags))

    for word in WORDS:
        found = every_page(client, f"/api/v1/posts?limit=2&q={word}")
        assert {p["id"] for p in found} == {p["id"] for p in public if word in p["content"]}
        texts.append(str(found))
    for tag in TAGS:
        tagged = every_page(client, f"/api/v1/posts?limit=2&tag={tag}")
        assert {p["id"] for p in tagged} == {p["id"] for p in public if tag in p["tags"]}

    json_feed = client.get("/feed.json").get_json(force=True)
    assert {item["id"].rsplit("/", 1)[1] for item in json_feed["items"]} == {str(i) for i in public_ids}
    atom = client.get("/feed.atom")
    assert {e.id.rsplit("/", 1)[1] for e in feedparser.parse(atom.data).entries} == {str(i) for i in public_ids}
    texts += [str(json_feed), atom.get_data(as_text=True), client.get("/feed.rss").get_data(as_text=True)]
    for tag in TAGS:  # each tag's feeds, asked with parameters they ignore (the reader cache keys them by the tag)
        tag_feed = client.get(f"/feed.json?tag={tag}&utm_source=x").get_json(force=True)
        assert {item["id"].rsplit("/", 1)[1] for item in tag_feed["items"]} == {
            str(p["id"]) for p in public if tag in p["tags"]}
        texts += [str(tag_feed), client.get(f"/feed.rss?ref=1&tag={tag}").get_data(as_text=True)]

    texts += site_pages(client, posts, public, counts)
    texts += micropub_sources(client, auth, posts)
    hub_pings(client, posts)
    texts += activitypub_answers(client, posts, public_ids)

    for spec, post, _ in posts:
        received = client.post("/webmention", data={"source": "https://elsewhere.example/new",
                                                     "target": f"http://localhost/posts/{post['slug']}"})
        assert received.status_code == (202 if is_public(spec) else 400), spec
        texts.append(received.get_data(as_text=True))

    everything = "\n".join(texts)
    for number, (spec, post, _) in enumerate(posts):
        if is_public(spec):
            assert f"mentioned{number}y" in client.get(f"/posts/{post['slug']}").get_data(as_text=True)
        else:
            assert f"mentioned{number}y" not in everything and f"author{number}y" not in everything
    for spec, _post, marker in posts:  # the surfaces do carry photos: a hidden post's missing means something
        assert (f"https://photos.example/{marker}.jpg" in everything) == is_public(spec)
    for post, marker in hidden_traces:
        assert marker not in everything and f"/by-slug/{post['slug']}" not in everything
        assert f"/posts/{post['slug']}\"" not in everything and f"/posts/{post['slug']}<" not in everything
        assert f"/api/v1/posts/{post['id']}<" not in everything and f"'id': {post['id']}," not in everything


def hub_pings(client, posts):
    """The hub is told now of the feeds of posts readers saw (deleted later or not), and at its
    time of the feeds of a visible, undeleted future post; of nothing else."""
    with client.application.app_context():
        planned = list(Delivery.select(Delivery.subject, Delivery.due, Delivery.post_id)
                       .where(Delivery.kind == "websub"))
    seen = [spec for spec, _, _ in posts if spec["visible"] and spec["schedule"] != "future"]
    told_now = {f"{BASE}{feed}" + (f"?tag={tag}" if tag else "") for feed in FEEDS
                for tag in [None, *{tag for spec in seen for tag in spec["tags"]}]} if seen else set()
    assert {d.subject for d in planned if d.due.year < 2099} == told_now
    assert {d.post_id for d in planned if d.due.year == 2099} == {
        post["id"] for spec, post, _ in posts if spec["visible"] and spec["schedule"] == "future" and not spec["deleted"]}


def activitypub_answers(client, posts, public_ids):
    """What a fediverse server can read or is sent shows the public posts alone; the texts."""
    activity = {"Accept": "application/activity+json"}
    texts, seen, url = [], [], "/actor/outbox?page=true"
    while url:
        page = client.get(url, headers=activity).get_json()
        seen += [item["object"]["id"] for item in page["orderedItems"]]
        texts.append(str(page))
        url = page.get("next", "").removeprefix(BASE.rstrip("/"))
    assert sorted(seen) == sorted(f"{BASE}ap/posts/{post_id}/1" for post_id in public_ids)
    for spec, post, _ in posts:
        for url in (f"/posts/{post['slug']}", f"/ap/posts/{post['id']}/1", f"/ap/posts/{post['id']}/2"):
            response = client.get(url, headers=activity)
            assert response.status_code == (200 if is_public(spec) and url[-2:] != "/2" else 404) or (
                not is_public(spec) and response.status_code == 410), (url, spec)
            texts.append(response.get_data(as_text=True))
    with client.application.app_context():
        sent = list(Delivery.select().where(Delivery.kind.startswith("ap-")))
    ever_seen = {post["id"] for spec, post, _ in posts if spec["visible"] and spec["schedule"] != "future"}
    coming = {post["id"] for spec, post, _ in posts
              if spec["visible"] and spec["schedule"] == "future" and not spec["deleted"]}
    assert {d.post_id for d in sent if d.kind == "ap-create" and d.due.year < 2099} == ever_seen
    assert {d.post_id for d in sent if d.kind == "ap-create" and d.due.year == 2099} == coming
    assert {d.post_id for d in sent if d.kind == "ap-delete"} == {
        post["id"] for spec, post, _ in posts if post["id"] in ever_seen and spec["deleted"]}
    return texts + [d.body for d in sent if d.post_id in public_ids or d.kind == "ap-delete"]


def every_site_page(client, url):
    """The HTML of `url` and of every page after it ("Older posts"), and the slugs they list."""
    texts, slugs = [], []
    while url:
        text = client.get(url).get_data(as_text=True)
        document = lxml.html.fromstring(text)
        texts.append(text)
        slugs += [a.get("href").rsplit("/", 1)[1] for a in document.cssselect("article .meta a")]
        older = document.cssselect('a[rel="next"]')
        url = older[0].get("href") if older else None
    return texts, slugs


def site_pages(client, posts, public, counts):
    """The site's pages show, link and count exactly the public posts; their HTML is returned."""
    public_slugs = [p["slug"] for p in sorted(public, key=lambda p: (p["publish_at"] or p["created"], p["id"]),
                                              reverse=True)]
    texts, slugs = every_site_page(client, "/")
    assert slugs == public_slugs
    for spec, post, _ in posts:
        response = client.get(f"/posts/{post['slug']}", headers={"Accept": "text/html"})
        assert response.status_code == (200 if is_public(spec) else 410 if spec["deleted"] and spec["visible"]
                                        and spec["schedule"] != "future" else 404)
        texts.append(response.get_data(as_text=True))
    for tag in TAGS:
        tag_texts, tagged = every_site_page(client, f"/tags/{tag}")
        assert set(tagged) == {p["slug"] for p in public if tag in p["tags"]}
        texts += tag_texts
    for word in WORDS:
        found_texts, found = every_site_page(client, f"/search?q={word}")
        assert set(found) == {p["slug"] for p in public if word in p["content"]}
        texts += found_texts
    tags_page = client.get("/tags").get_data(as_text=True)
    shown = {name: int(count) for name, count in re.findall(r"#([a-z]+)</a> <span class=\"count\">(\d+)", tags_page)}
    assert shown == dict(counts)
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert sorted(re.findall(r"/posts/([a-z0-9-]+)</loc>", sitemap)) == sorted(public_slugs)
    return texts + [tags_page, sitemap]


def micropub_sources(client, auth, posts):
    """Micropub's q=source answers a caller with no token, or with a media-only one, by an error
    that names no post, whatever the post; the answers are returned."""
    callers = {"unauthorized": {}, "insufficient_scope": {
        "Authorization": f"Bearer {mint_token(client, auth, 'media')}"}}
    texts = []
    for _spec, post, _ in posts:
        for error, headers in callers.items():
            response = client.get(f"/micropub?q=source&url=http://localhost/posts/{post['slug']}", headers=headers)
            assert response.status_code == 401 and response.get_json()["error"] == error
            texts.append(response.get_data(as_text=True))
    return texts
