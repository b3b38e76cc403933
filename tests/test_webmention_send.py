"""Sending Webmentions as a peer sees them: a site on loopback (tests/peers/webmention_site.py)
serves the pages a post links to, each advertising its endpoint one of the ways the W3C
Recommendation allows (webmention.rocks' discovery tests 1–23), and receives the Webmentions."""
import time
from datetime import timedelta

import pytest

from microblog.data.models import utcnow
from tests.conftest import AuthActions

BASE = "http://blog.test/"


@pytest.fixture
def blog(make_ready_app):
    return make_ready_app(PUBLIC_BASE_URL=BASE, DELIVERY_POLL_INTERVAL=0.05, DELIVERY_RETRY_BASE=0.2,
                          OUTBOUND_ALLOW_LOOPBACK=True)


@pytest.fixture
def admin(blog):
    return AuthActions(blog.test_client())


def discovery_cases(site):
    """(case, the target's path, the endpoint's path the Webmention must reach), the pages served."""
    url = site.url
    cases = []

    def case(number, endpoint, body="", headers=(), path=None, content_type="text/html; charset=utf-8"):
        path = path or f"/test/{number}"
        site.page(path, body, headers=headers, content_type=content_type)
        site.endpoint(endpoint)
        cases.append((number, path, endpoint))

    case(1, "/e/1", headers=[("Link", "</e/1>; rel=webmention")])
    case(2, "/e/2", headers=[("Link", f"<{url}/e/2>; rel=webmention")])
    case(3, "/e/3", '<html><head><link rel="webmention" href="/e/3"></head></html>')
    case(4, "/e/4", f'<html><head><link rel="webmention" href="{url}/e/4"></head></html>')
    case(5, "/e/5", '<p><a rel="webmention" href="/e/5">endpoint</a></p>')
    case(6, "/e/6", f'<p><a rel="webmention" href="{url}/e/6">endpoint</a></p>')
    case(7, "/e/7", headers=[("LinK", f"<{url}/e/7>; rel=webmention")])
    case(8, "/e/8", headers=[("Link", f'<{url}/e/8>; rel="webmention"')])
    case(9, "/e/9", '<link rel="webmention somethingelse" href="/e/9">')
    case(10, "/e/10", headers=[("Link", f'<{url}/e/10>; rel="webmention somethingelse"')])
    case(11, "/e/11", '<link rel="webmention" href="/wrong/11"><a rel="webmention" href="/wrong/11b">x</a>',
         headers=[("Link", "</e/11>; rel=webmention")])
    case(12, "/e/12", '<link rel="not-webmention" href="/wrong/12"><link rel="webmention" href="/e/12">')
    case(13, "/e/13", '<!-- <link rel="webmention" href="/wrong/13"> --><link rel="webmention" href="/e/13">')
    case(14, "/e/14", '<code>&lt;a href="/wrong/14" rel="webmention"&gt;&lt;/a&gt;</code>'
         '<a rel="webmention" href="/e/14">x</a>')
    case(15, "/test/15", '<link rel="webmention" href="">')  # the page itself is the endpoint
    case(16, "/e/16", '<a rel="webmention" href="/e/16">x</a><link rel="webmention" href="/wrong/16">')
    case(17, "/e/17", '<link rel="webmention" href="/e/17"><a rel="webmention" href="/wrong/17">x</a>')
    case(18, "/e/18", headers=[("Link", "</wrong/18>; rel=other"), ("Link", "</e/18>; rel=webmention")])
    case(19, "/e/19", headers=[("Link", '</wrong/19>; rel="other", </e/19>; rel="webmention"')])
    case(20, "/e/20", '<link rel="webmention"><a rel="webmention" href="/e/20">x</a>')
    case(21, "/e/21?query=yes", '<link rel="webmention" href="/e/21?query=yes">')
    case(22, "/test/22/webmention", '<link rel="webmention" href="22/webmention">')  # relative to /test/
    # 23: the target redirects; the endpoint is relative to the page the redirect ends at
    site.page("/test/23", status=302, headers=[("Location", "/test/23/page/final")], content_type=None)
    site.page("/test/23/page/final", '<link rel="webmention" href="webmention-endpoint">')
    site.endpoint("/test/23/page/webmention-endpoint")
    cases.append((23, "/test/23", "/test/23/page/webmention-endpoint"))
    return cases


def test_every_discovery_case_of_the_recommendation_reaches_its_endpoint(blog, admin, site, run_worker):
    cases = discovery_cases(site)
    links = " ".join(f"[case {number}]({site.url}{path})" for number, path, _ in cases)
    post = admin.create_post(content=f"Discovery: {links}", slug="discovery")
    run_worker(blog)
    received = site.wait_for(len(cases), timeout=20)
    source = f"{BASE}posts/{post['slug']}"
    by_target = {mention.target: mention for mention in received}
    for number, path, endpoint in cases:
        mention = by_target.get(site.url + path)
        assert mention is not None, f"case {number}: no Webmention reached {endpoint}"
        assert (mention.endpoint, mention.source) == (endpoint, source), f"case {number}"
        assert "query" not in mention.body, f"case {number}: the endpoint's query went into the body"
    assert len(received) == len(cases) and site.refused == []
    assert not any(path.startswith("/wrong") for _method, path in site.requests)


def target(site, path):
    site.endpoint(f"/endpoint{path}")
    return site.page(path, f'<link rel="webmention" href="/endpoint{path}">')


def received_targets(site, count, timeout=10):
    return sorted(mention.target for mention in site.wait_for(count, timeout))


def test_an_edit_re_sends_to_every_link_and_to_those_it_removed(blog, admin, site, run_worker):
    one, two, three = target(site, "/one"), target(site, "/two"), target(site, "/three")
    post = admin.create_post(content=f"[a]({one}) [b]({two})", slug="edited")
    run_worker(blog)
    assert received_targets(site, 2) == sorted([one, two])
    admin.client.patch(f"/api/v1/admin/posts/{post['id']}", json={"content": f"[b]({two}) [c]({three})"},
                       headers=admin.headers)
    assert received_targets(site, 5) == sorted([one, two, one, two, three])
    assert {mention.source for mention in site.wait_for(5)} == {f"{BASE}posts/edited"}


def test_a_delete_re_sends_while_the_page_answers_410_and_a_restore_sends_again(blog, admin, site, run_worker):
    one = target(site, "/one")
    post = admin.create_post(content=f"[a]({one})", slug="deleted")
    run_worker(blog)
    site.wait_for(1)
    admin.client.delete(f"/api/v1/admin/posts/{post['id']}", headers=admin.headers)
    assert len(site.wait_for(2)) == 2
    assert blog.test_client().get("/posts/deleted").status_code == 410
    admin.client.post(f"/api/v1/admin/posts/{post['id']}/restore", headers=admin.headers)
    assert received_targets(site, 3) == [one] * 3


def test_nothing_is_sent_for_a_post_readers_cannot_see(blog, admin, site, run_worker):
    one = target(site, "/one")
    hidden = admin.create_post(content=f"[a]({one})", slug="hidden", visible=False)
    admin.client.patch(f"/api/v1/admin/posts/{hidden['id']}", json={"content": f"[a]({one}) edited"},
                       headers=admin.headers)
    admin.create_post(content=f"[a]({one})", slug="later", publish_at="2099-01-01T00:00:00Z")
    run_worker(blog)
    time.sleep(1.5)
    assert site.wait_for(1, timeout=0.1) == [] and site.fetched("/one") == 0


def test_a_scheduled_post_sends_when_it_comes_due_and_not_before(blog, admin, site, run_worker):
    one = target(site, "/one")
    publish_at = utcnow() + timedelta(seconds=2)
    admin.create_post(content=f"[a]({one})", slug="soon", publish_at=publish_at.isoformat() + "Z")
    run_worker(blog)
    time.sleep(1.0)
    assert site.received == []
    mentions = site.wait_for(1, timeout=10)
    assert [mention.target for mention in mentions] == [one]
    assert utcnow() >= publish_at


def test_links_to_the_site_itself_and_to_other_schemes_are_not_sent(blog, admin, site, run_worker):
    one = target(site, "/one")
    admin.create_post(content=f"[me]({BASE}posts/other) [mail](mailto:a@b.example) [rel](/posts/x) [a]({one})",
                      slug="links")
    run_worker(blog)
    assert received_targets(site, 1) == [one]
    time.sleep(0.5)
    deliveries = admin.client.get("/api/v1/admin/deliveries?kind=webmention", headers=admin.headers).get_json()
    assert [delivery["url"] for delivery in deliveries["items"]] == [one]


def test_a_target_without_an_endpoint_is_done_with(blog, admin, site, run_worker):
    plain = site.page("/plain", "<p>no endpoint here</p>")
    admin.create_post(content=f"[a]({plain})", slug="plain")
    run_worker(blog)
    delivery = settled_delivery(admin)
    assert delivery["state"] == "done" and "no Webmention endpoint" in delivery["last_error"]


@pytest.mark.parametrize("where", ["endpoint", "target"])
def test_the_fetcher_refuses_an_endpoint_or_target_redirecting_to_a_private_address(blog, admin, site, run_worker,
                                                                                      where):
    if where == "endpoint":
        link = site.page("/t", '<link rel="webmention" href="http://192.168.1.1/webmention">')
    else:
        link = site.page("/t", status=301, headers=[("Location", "http://10.0.0.1/page")], content_type=None)
    admin.create_post(content=f"[a]({link})", slug="private")
    run_worker(blog)
    delivery = settled_delivery(admin)
    assert delivery["state"] == "failed" and "not fetched" in delivery["last_error"]


def settled_delivery(admin, timeout=10.0):
    """The newest Webmention sent, once it is no longer pending (or after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        items = admin.client.get("/api/v1/admin/deliveries?kind=webmention", headers=admin.headers).get_json()["items"]
        if (items and items[0]["state"] != "pending") or time.monotonic() > deadline:
            return items[0] if items else None
        time.sleep(0.05)
