"""The reader cache (web/reader_cache.py) answers exactly as a server without it would: after
every kind of change readers could see, every public URL (its body, its ETag, a 304 or not)
equals a fresh build's, in this process, in every worker of a server, and on another host."""
import contextlib
import os
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import flask
import pytest
import requests

from microblog.data import freshness
from microblog.data.models import Mention, Post
from microblog.web import reader_cache
from scripts import harness
from tests.helpers import mint_token
from tests.transfer_helpers import NDJSON, export

ADMIN = "/api/v1/admin/posts"
LIST = "/api/v1/posts"
READER_URLS = ["/api/v1/posts", "/api/v1/posts?tag=news", "/api/v1/posts?q=apple", "/api/v1/tags",
               "/feed.atom", "/feed.rss", "/feed.json", "/feed.json?tag=news",
               # feeds ignore other parameters, and the cache keeps their answers by the tag alone
               "/feed.atom?utm_source=x", "/feed.rss?ref=1&tag=news", "/feed.json?tag=news&tag=other",
               "/feed.atom?t%61g=news", "/feed.rss?tag=NEWS", "/feed.json?tag=&x=1", "/feed.atom?tag=%ff"]


def post_urls(post):
    return [f"/api/v1/posts/{post['id']}", f"/api/v1/posts/by-slug/{post['slug']}"]


def soon(seconds):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def answers(client, urls):
    """(status, ETag, body) of each URL."""
    return {url: (r.status_code, r.headers.get("ETag"), r.get_data()) for url in urls
            for r in [client.get(url)]}


def assert_same_as_uncached(cached, uncached, urls, etags_before):
    expected = answers(uncached, urls)
    assert answers(cached, urls) == expected
    for url in urls:  # a validator from before the change gets 304 only if nothing changed
        status, etag, _ = expected[url]
        old = etags_before.get(url)
        if old and status == 200:
            revalidated = cached.get(url, headers={"If-None-Match": old})
            assert revalidated.status_code == (304 if old == etag else 200), url


CHANGES = {
    "create": lambda c, h, post: c.post(ADMIN, json={"content": "apple new", "tags": ["news"]}, headers=h),
    "edit": lambda c, h, post: c.patch(f"{ADMIN}/{post['id']}", json={"content": "apple edited"}, headers=h),
    "retitle": lambda c, h, post: c.patch(f"{ADMIN}/{post['id']}", json={"title": "New"}, headers=h),
    "retag": lambda c, h, post: c.patch(f"{ADMIN}/{post['id']}", json={"tags": ["other"]}, headers=h),
    "hide": lambda c, h, post: c.patch(f"{ADMIN}/{post['id']}", json={"visible": False}, headers=h),
    "reschedule": lambda c, h, post: c.patch(f"{ADMIN}/{post['id']}", json={"publish_at": "2099-01-01T00:00:00Z"},
                                             headers=h),
    "delete": lambda c, h, post: c.delete(f"{ADMIN}/{post['id']}", headers=h),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_change_readers_could_see_is_seen_at_once(make_app, app, client, auth, change):
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    post = auth.create_post(content="apple pie", title="Pie", tags=["news"])
    auth.create_post(content="apple tart", tags=["news"])
    urls = READER_URLS + post_urls(post)
    before = answers(client, urls)
    assert answers(client, urls) == before  # now answered from the cache
    response = CHANGES[change](client, auth.headers, post)
    assert response.status_code in (200, 201, 204), response.get_json()
    assert_same_as_uncached(client, uncached, urls, {url: etag for url, (_, etag, _) in before.items()})


def test_show_restore_purge_and_import_are_seen_at_once(make_app, app, client, auth):
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    post = auth.create_post(content="apple pie", tags=["news"], visible=False)
    urls = READER_URLS + post_urls(post)
    backup = export(client, auth)
    steps = [
        lambda: client.patch(f"{ADMIN}/{post['id']}", json={"visible": True}, headers=auth.headers),
        lambda: client.delete(f"{ADMIN}/{post['id']}", headers=auth.headers),
        lambda: client.post(f"{ADMIN}/{post['id']}/restore", headers=auth.headers),
        lambda: client.delete(f"{ADMIN}/{post['id']}", headers=auth.headers),
        lambda: client.delete(f"{ADMIN}/{post['id']}?purge=true", headers=auth.headers),
        lambda: client.post("/api/v1/admin/import", data=backup, content_type=NDJSON, headers=auth.headers),
    ]
    for step in steps:
        before = answers(client, urls)
        assert step().status_code in (200, 201, 204)
        assert_same_as_uncached(client, uncached, urls, {url: etag for url, (_, etag, _) in before.items()})


def test_micropub_creates_updates_and_deletes_are_seen_at_once(make_app, app, client, auth):
    """Changes made through Micropub (another path to the same posts) reach cached readers too."""
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    bearer = {"Authorization": f"Bearer {mint_token(client, auth, 'create update delete')}"}
    post = auth.create_post(content="apple pie", tags=["news"])
    urls = READER_URLS + post_urls(post)
    made = {}

    def create():
        response = client.post("/micropub", json={"type": ["h-entry"], "properties": {
            "content": ["apple from an app"], "category": ["news"]}}, headers=bearer)
        made["url"] = response.headers.get("Location")
        return response

    steps = [create,
             lambda: client.post("/micropub", json={"action": "update", "url": made["url"],
                                                    "replace": {"content": ["apple edited by an app"]}}, headers=bearer),
             lambda: client.post("/micropub", json={"action": "delete", "url": made["url"]}, headers=bearer)]
    for step in steps:
        before = answers(client, urls)
        assert step().status_code in (200, 201, 204)
        assert_same_as_uncached(client, uncached, urls, {url: etag for url, (_, etag, _) in before.items()})
    assert "an app" not in client.get("/feed.json").get_data(as_text=True)


def test_a_scheduled_post_appears_when_due_though_nothing_was_written(make_app, app, client, auth):
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    auth.create_post(content="apple now", tags=["news"])
    due = auth.create_post(content="apple later", tags=["news"], publish_at=soon(1.5))
    urls = READER_URLS + post_urls(due)
    assert "apple later" not in client.get("/feed.json").get_data(as_text=True)
    answers(client, urls)
    time.sleep(1.6)
    assert "apple later" in client.get("/feed.json").get_data(as_text=True)
    assert_same_as_uncached(client, uncached, urls, {})


def test_a_database_edited_behind_its_back_is_seen_within_the_max_age(make_app, app, auth):
    client = make_app(CACHE_MAX_AGE=1).test_client()
    post = auth.create_post(content="apple pie")
    assert client.get(f"/api/v1/posts/{post['id']}").status_code == 200
    with app.app_context():
        Post.update(visible=False).where(Post.id == post["id"]).execute()  # no change-feed entry
    time.sleep(1.1)
    assert client.get(f"/api/v1/posts/{post['id']}").status_code == 404


def test_the_cache_keeps_to_its_budget(make_app, auth):
    app = make_app(READER_CACHE_BYTES=64 * 1024)
    client = app.test_client()
    for n in range(40):
        auth.create_post(content=f"apple {n} " + "x" * 1000)
    for limit in range(1, 60):
        assert client.get(f"/api/v1/posts?limit={limit}").status_code == 200
    cache = app.extensions["reader_cache"]
    assert 0 < cache.size <= 64 * 1024


def test_every_worker_of_every_host_sees_a_change_at_once(live_server):
    """Two servers (hosts) of four workers over one database: each worker has cached the pages
    before a change made through the first; then every answer of the second is the new one."""
    first = live_server("granian", workers=4)
    second = live_server("granian", workers=4)
    with requests.Session() as session:
        headers = harness.login(session, first.url)
        post = session.post(first.url + ADMIN, json={"content": "apple pie", "tags": ["news"]},
                            headers=headers).json()
        urls = ["/api/v1/posts", f"/api/v1/posts/{post['id']}", "/feed.atom", "/api/v1/tags"]
        for server in (first, second):
            for _ in range(40):  # new connections, spread over the workers
                for url in urls:
                    assert requests.get(server.url + url, timeout=10).status_code == 200
        etag = requests.get(second.url + urls[1], timeout=10).headers["ETag"]
        assert session.patch(f"{first.url}{ADMIN}/{post['id']}", json={"visible": False},
                             headers=headers).status_code == 200
        for _ in range(40):
            assert requests.get(second.url + urls[1], headers={"If-None-Match": etag}, timeout=10).status_code == 404
            assert "apple pie" not in requests.get(second.url + "/feed.atom", timeout=10).text
            assert requests.get(second.url + "/api/v1/tags", timeout=10).json() == {"items": []}


def test_a_failed_if_match_is_not_publicly_cacheable(client, auth):
    """werkzeug answers a GET whose If-Match fails with 412: no shared cache may keep that."""
    auth.create_post(content="apple pie")
    for path in ("/feed.atom", "/api/v1/posts", "/"):
        response = client.get(path, headers={"If-Match": '"other"', "If-None-Match": '"x"'})
        assert response.status_code == 412 and response.headers["Cache-Control"] == "no-cache", path
    stylesheet = client.get("/").get_data(as_text=True).split('href="/assets/site.')[1].split('"')[0]
    response = client.get(f"/assets/site.{stylesheet}", headers={"If-Match": '"other"'})
    assert response.status_code == 412 and response.headers["Cache-Control"] == "no-cache"


def test_an_answer_from_the_cache_says_its_age(client, auth):
    post = auth.create_post(content="apple pie")
    assert "Age" not in client.get(f"/api/v1/posts/{post['id']}").headers
    time.sleep(1.05)
    assert int(client.get(f"/api/v1/posts/{post['id']}").headers["Age"]) >= 1


def test_a_revalidation_answered_from_the_cache_is_a_proper_304(make_app, client, auth):
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    post = auth.create_post(content="apple pie")
    url = f"/api/v1/posts/{post['id']}"
    etag = client.get(url).headers["ETag"]
    client.get(url)  # now cached
    for validator in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached, fresh = (c.get(url, headers={"If-None-Match": validator}) for c in (client, uncached))
        assert cached.status_code == fresh.status_code == 304, validator
        assert cached.data == b"" and cached.headers["ETag"] == etag
        assert cached.headers["Cache-Control"] == fresh.headers["Cache-Control"]
        assert cached.headers.get("Last-Modified") == fresh.headers.get("Last-Modified"), (cached.headers, fresh.headers)
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_revalidation_builds_no_body_even_of_an_answer_too_large_to_keep(make_app, auth):
    """Issue 23: an answer over the cache's share (here the feed, with a budget of 16 KiB) or
    pushed out by others keeps its validators: a revalidation is a 304 from the cache (it says
    its Age), and a change still makes it a 200."""
    app = make_app(READER_CACHE_BYTES=16 * 1024)
    client = app.test_client()
    posts = [auth.create_post(content=f"apple {n} " + "x" * 500) for n in range(10)]
    first = client.get("/feed.atom")
    assert len(first.data) > 16 * 1024 // 8
    for limit in range(1, 40):  # other answers, more than the budget holds
        client.get(f"/api/v1/posts?limit={limit}")
    revalidated = client.get("/feed.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and "Age" in revalidated.headers
    assert revalidated.headers["ETag"] == first.headers["ETag"]
    assert "Age" not in client.get("/feed.atom").headers  # its body was not kept: built again
    auth.client.patch(f"/api/v1/admin/posts/{posts[0]['id']}", json={"content": "changed"}, headers=auth.headers)
    assert client.get("/feed.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_an_answer_from_the_cache_has_every_header_of_a_fresh_build(make_app, client, auth):
    """Hits answered before Flask carry the headers the app's hooks gave the answer (security,
    caching, discovery links, Vary), on a GET, a HEAD and a 304, as a server without the cache
    sends them, and nothing more but Age."""
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    post = auth.create_post(content="apple pie", title="Pie", tags=["news"])
    for url, headers in [(f"/api/v1/posts/{post['id']}", {}), ("/", {}), (f"/posts/{post['slug']}", {}),
                         ("/feed.atom", {}), ("/feed.atom?utm_source=x", {}), ("/feed.rss?tag=news", {}),
                         ("/feed.rss?ref=1&tag=news", {}), ("/api/v1/posts?tag=news", {"Accept": "text/html"})]:
        client.get(url, headers=headers)  # now cached
        for method in ("GET", "HEAD"):
            cached, fresh = (c.open(url, method=method, headers=headers) for c in (client, uncached))
            assert "Age" in cached.headers, url
            assert sorted(cached.headers.items()) == sorted([*fresh.headers.items(), ("Age", cached.headers["Age"])]), url
            assert cached.data == fresh.data, url
        etag = {"If-None-Match": cached.headers["ETag"]}
        cached, fresh = (c.get(url, headers={**headers, **etag}) for c in (client, uncached))
        assert cached.status_code == fresh.status_code == 304, url
        assert sorted(cached.headers.items()) == sorted([*fresh.headers.items(), ("Age", cached.headers["Age"])]), url


def test_a_revalidation_asked_first_fills_the_cache(make_app, client, auth):
    """An answer first built for a request that gets a 304 is kept (its body is the view's 200)."""
    post = auth.create_post(content="apple pie")
    url = f"/api/v1/posts/{post['id']}"
    etag = make_app(READER_CACHE_BYTES=0).test_client().get(url).headers["ETag"]
    first = client.get(url, headers={"If-None-Match": etag})
    assert first.status_code == 304 and "Age" not in first.headers
    again = client.get(url)
    assert again.status_code == 200 and "Age" in again.headers and again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": etag}).headers["Cache-Control"] == "public, max-age=60"


def test_a_feed_asked_with_other_parameters_is_answered_by_the_feeds_entry(make_app, client, auth):
    """The feeds read the tag alone (query_arguments): the cache keeps their answers by it, so a URL
    with other parameters is the feed's own answer, kept, on its first request; another tag, or
    the tag's name spelled with %-escapes as Flask decodes it, is its own."""
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    auth.create_post(content="apple pie", tags=["news"])
    auth.create_post(content="pear tart", tags=["other"])
    for path in ("/feed.atom", "/feed.rss", "/feed.json"):
        kept = client.get(path + "?tag=news")
        for url in (f"{path}?tag=news&bench=1", f"{path}?utm_source=x&tag=news", f"{path}?t%61g=news&x="):
            again = client.get(url)
            assert "Age" in again.headers, url
            assert (again.data, again.headers["ETag"]) == (kept.data, kept.headers["ETag"]), url
        for url in (f"{path}?tag=other&bench=1", f"{path}?bench=1"):
            first = client.get(url)
            assert "Age" not in first.headers and first.data == uncached.get(url).data, url


def built_by_flask(app):
    """The requests Flask's request handling started for `app` (a miss built before Flask starts none)."""
    started = []
    flask.request_started.connect(lambda sender, **_extra: started.append(flask.request.path), app, weak=False)
    return started


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                    reason="built before Flask on SQLite only: PostgreSQL's freshness is a query, read in Flask")
def test_a_single_post_missed_is_built_before_flask_exactly_as_flask_builds_it(make_app, client, auth):
    """After Flask has built one 200 of a single post, a miss of any other is built before Flask:
    its status, every header and its body equal a server's without the cache; one that is not
    public (hidden, scheduled, deleted, purged, never made) is left to Flask, as are a HEAD, a
    query string and a validator."""
    app, uncached = client.application, make_app(READER_CACHE_BYTES=0).test_client()
    shown = [auth.create_post(content=text, title=title, tags=tags) for text, title, tags in [
        ("apple *pie*", "Pie", ["news", "other"]), ("üñíçødé — “quoted” <b>x</b> & \\u2028", None, []),
        ("long " * 500, "A title", ["news"])]]
    hidden = auth.create_post(content="hidden", visible=False)
    scheduled = auth.create_post(content="later", publish_at=soon(3600))
    deleted, purged = auth.create_post(content="deleted"), auth.create_post(content="purged")
    first = auth.create_post(content="the first asked")
    for url in (f"{ADMIN}/{deleted['id']}", f"{ADMIN}/{purged['id']}", f"{ADMIN}/{purged['id']}?purge=true"):
        assert client.delete(url, headers=auth.headers).status_code == 204
    for url in post_urls(first):
        assert client.get(url).status_code == 200  # built by Flask: the answer the others follow
    started = built_by_flask(app)
    for post in shown:
        for url in post_urls(post):
            built, fresh = client.get(url), uncached.get(url)
            assert built.status_code == 200 and "Age" not in built.headers, url
            assert sorted(built.headers.items()) == sorted(fresh.headers.items()), url
            assert built.data == fresh.data, url
            assert "Age" in client.get(url).headers  # kept, as Flask's answer would be
    assert started == []
    left_to_flask = [url for post in (hidden, scheduled, deleted, purged) for url in post_urls(post)]
    left_to_flask += ["/api/v1/posts/999999", "/api/v1/posts/by-slug/no-such-post", "/api/v1/posts/0",
                      f"/api/v1/posts/{shown[0]['id']}/", f"/api/v1/posts/by-slug/{shown[0]['slug']}/", "/api/v1/posts/"]
    for url in left_to_flask:
        built, fresh = client.get(url), uncached.get(url)
        assert (built.status_code, built.data) == (fresh.status_code, fresh.data) and built.status_code in (404, 410), url
    asked_otherwise = [("HEAD", f"/api/v1/posts/{shown[0]['id']}", {}), ("GET", f"/api/v1/posts/{shown[1]['id']}?x=1", {}),
                       ("GET", f"/api/v1/posts/{shown[2]['id']}", {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})]
    edit = client.patch(f"{ADMIN}/{shown[2]['id']}", json={"content": "edited"}, headers=auth.headers)
    assert edit.status_code == 200
    for method, url, headers in asked_otherwise:
        built, fresh = client.open(url, method=method, headers=headers), uncached.open(url, method=method, headers=headers)
        assert (built.status_code, built.data) == (fresh.status_code, fresh.data), url
    reads = [path for path in started if not path.startswith(ADMIN)]
    assert reads == left_to_flask + [url.split("?")[0] for _, url, _ in asked_otherwise]


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                    reason="built before Flask on SQLite only: PostgreSQL's freshness is a query, read in Flask")
def test_lists_and_post_pages_missed_are_built_before_flask_exactly_as_flask_builds_them(make_app, auth):
    """As single posts: once Flask has built a 200 of a list (with a next page, and without one)
    and of a post's page (the page, and its ActivityPub object), a miss of any other list, tag,
    search or page is built before Flask, equal to a server's without the cache header for
    header and byte for byte; a refused or repeated parameter, a page asked with a query
    string, a post readers cannot see, a HEAD and a validator are left to Flask."""
    app = make_app(PUBLIC_BASE_URL="https://blog.example")  # with it, a page's ActivityPub object
    client, uncached = app.test_client(), make_app(PUBLIC_BASE_URL="https://blog.example", READER_CACHE_BYTES=0).test_client()
    shown = [auth.create_post(content=text, title=title, tags=tags) for text, title, tags in [
        ("apple *pie*", "Pie", ["news", "other"]), ("üñíçødé — “quoted” <b>x</b> & \\u2028 apple", None, ["news"]),
        ("long apple " * 300, "A title", ["news"]), ("```python\nprint('apple')\n```", None, []),
        ("apple with a [link](https://example.com/x)", "Linked", ["other"])]]
    hidden = auth.create_post(content="hidden apple", visible=False, tags=["news"])
    auth.create_post(content="later apple", publish_at=soon(3600), tags=["news"])
    activity = {"Accept": "application/activity+json"}
    for url, headers in [(f"{LIST}?limit=1", {}), (f"{LIST}?limit=100", {}), (f"/posts/{shown[0]['slug']}", {}),
                         (f"/posts/{shown[0]['slug']}", activity)]:
        assert client.get(url, headers=headers).status_code == 200  # built by Flask: the answers the others follow
    started = built_by_flask(app)
    second_page = uncached.get(f"{LIST}?limit=2").get_json()["next_cursor"]
    second_found = uncached.get(f"{LIST}?q=apple&limit=2").get_json()["next_cursor"]
    built = [(url, {}) for url in [
        f"{LIST}?limit=2", f"{LIST}?cursor={second_page}&limit=2", f"{LIST}?tag=news", f"{LIST}?limit=1&tag=news",
        f"{LIST}?q=apple&limit=2", f"{LIST}?q=apple&limit=2&cursor={second_found}", f"{LIST}?limit=02&tag=other",
        f"{LIST}?since=2000-01-01T00:00:00Z&limit=3", LIST]]
    built += [(f"/posts/{post['slug']}", headers) for post in shown[1:] for headers in ({}, activity)]
    for url, headers in built:
        answer, fresh = client.get(url, headers=headers), uncached.get(url, headers=headers)
        assert answer.status_code == 200 and "Age" not in answer.headers, url
        assert sorted(answer.headers.items()) == sorted(fresh.headers.items()), url
        assert answer.data == fresh.data, url
        assert "Age" in client.get(url, headers=headers).headers  # kept, as Flask's answer would be
    assert started == []
    left_to_flask = [("GET", url, {}) for url in [
        f"{LIST}?tag=news&tag=other", f"{LIST}?cursor=nope", f"{LIST}?limit=0", f"{LIST}?x=1", f"{LIST}?q=",
        f"/posts/{shown[1]['slug']}?x=1", f"/posts/{hidden['slug']}", "/posts/no-such-post"]]
    left_to_flask += [("HEAD", f"{LIST}?tag=other", {}), ("GET", f"{LIST}?limit=3", {"If-None-Match": '"x"'}),
                      ("GET", f"/posts/{shown[2]['slug']}", {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})]
    for number, (method, url, headers) in enumerate(left_to_flask, start=1):
        answer, fresh = client.open(url, method=method, headers=headers), uncached.open(url, method=method, headers=headers)
        assert (answer.status_code, answer.data) == (fresh.status_code, fresh.data), url
        assert len(started) == number, url


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                    reason="built before Flask on SQLite only: PostgreSQL's freshness is a query, read in Flask")
@pytest.mark.parametrize("public_base_url", [None, "https://blog.example"])
def test_a_host_outside_trusted_hosts_gets_a_400_not_a_page_built_before_flask(app, auth, public_base_url):
    """A miss built before Flask binds its URL adapter only when it builds a URL; a Host outside
    TRUSTED_HOSTS is still refused, and what it asked leaves nothing for the real host's pages."""
    posts = [auth.create_post(content=f"post {n}") for n in range(4)]
    app.config.update(TRUSTED_HOSTS=["blog.example"], PUBLIC_BASE_URL=public_base_url)
    client, started = app.test_client(), built_by_flask(app)
    assert client.get(f"/posts/{posts[0]['slug']}", base_url="http://blog.example").status_code == 200
    built = client.get(f"/posts/{posts[1]['slug']}", base_url="http://blog.example")
    assert built.status_code == 200 and len(started) == 1  # built before Flask
    for host in ("evil.example", "blog.example.evil", "evil.example:8080"):
        for post in posts[2:]:
            assert client.get(f"/posts/{post['slug']}", headers={"Host": host}).status_code == 400, host
    page = client.get(f"/posts/{posts[2]['slug']}", base_url="http://blog.example")
    assert page.status_code == 200 and b"evil" not in page.data


def test_a_miss_built_before_flask_counts_against_the_read_limit(make_app, auth):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_READS="4 per minute", RATELIMIT_WRITES="100 per minute").test_client()
    posts = [auth.create_post(content=f"apple {n}") for n in range(4)]
    statuses = [client.get(f"/api/v1/posts/{post['id']}").status_code for post in posts]
    statuses.append(client.get(f"/api/v1/posts/by-slug/{posts[0]['slug']}").status_code)
    assert statuses == [200, 200, 200, 200, 429]


def test_the_headers_learnt_for_misses_built_before_flask_are_bounded(make_app, auth):
    """A client names the Host: answers for a thousand hosts keep at most MOST_FINAL_HEADERS sets."""
    app = make_app()
    client = app.test_client()
    post = auth.create_post(content="apple")
    for n in range(3 * reader_cache.MOST_FINAL_HEADERS):
        assert client.get(f"/api/v1/posts/{post['id']}", headers={"Host": f"h{n}.example"}).status_code == 200
    assert len(app.extensions["reader_cache"].final_headers) == reader_cache.MOST_FINAL_HEADERS


def test_a_post_pages_responses_are_seen_at_once(make_app, app, client, auth):
    """A post page reads whether readers see any response in the post's own row: showing,
    hiding and deleting a mention changes the page at once, as a fresh build shows it."""
    uncached = make_app(READER_CACHE_BYTES=0).test_client()
    post = auth.create_post(content="apple pie", tags=["news"])
    other = auth.create_post(content="apple tart")
    urls = [f"/posts/{post['slug']}", f"/posts/{other['slug']}"] + post_urls(post)
    with app.app_context():
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        mention = Mention.create(post=post["id"], source="https://elsewhere.example/1", target=post["slug"],
                                 domain="elsewhere.example", status="pending", kind="reply",
                                 url="https://elsewhere.example/1", author_name="Someone",
                                 content_html="<p>Responded words</p>", received=now, verified=now)
    url = f"/api/v1/admin/mentions/{mention.id}"
    for change in ({"status": "shown"}, {"status": "hidden"}, {"status": "shown"}, None):
        before = answers(client, urls)
        assert answers(client, urls) == before  # now answered from the cache
        response = (auth.client.patch(url, json=change, headers=auth.headers) if change
                    else auth.client.delete(url, headers=auth.headers))
        assert response.status_code in (200, 204), response.get_json()
        assert_same_as_uncached(client, uncached, urls, {url: etag for url, (_, etag, _) in before.items()})
        shown = "Responded words" in client.get(urls[0]).get_data(as_text=True)
        assert shown == (change == {"status": "shown"})
        assert "Responded words" not in client.get(urls[1]).get_data(as_text=True)


@pytest.mark.once  # a SQLite file of its own, whatever the suite's database
def test_a_database_file_replaced_behind_the_apps_back_starts_a_new_count_within_a_second(tmp_path):
    """SQLite's commit counter is read on every public read; whether its path still names the
    same file is looked at once every FILE_CHECK_SECONDS. A file replaced under the app (an
    edit behind its back, as CACHE_MAX_AGE bounds) is counted anew that soon, by a number the
    old file's values never had, while commits to the file itself are seen at once."""
    path = str(tmp_path / "blog.sqlite3")
    with contextlib.closing(sqlite3.connect(path)) as blog:
        blog.execute("CREATE TABLE note (words TEXT)")
    counter = freshness.CommitCounter(path)
    first = counter.version()
    with contextlib.closing(sqlite3.connect(path)) as blog, blog:
        blog.execute("INSERT INTO note VALUES ('a commit by another connection')")
    committed = counter.version()
    assert committed[0] == first[0] and committed != first
    with contextlib.closing(sqlite3.connect(tmp_path / "other.sqlite3")) as other:
        other.execute("CREATE TABLE note (words TEXT)")
    os.replace(tmp_path / "other.sqlite3", path)
    deadline = time.monotonic() + freshness.FILE_CHECK_SECONDS + 1
    while counter.version()[0] == first[0]:
        assert time.monotonic() < deadline, "the replaced file is still counted as the old one"
        time.sleep(0.05)
