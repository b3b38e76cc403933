"""Sending Webmentions as a peer sees them: a site on loopback (tests/peers/webmention_site.py)
serves the pages a post links to, each advertising its endpoint one of the ways the W3C
Recommendation allows (webmention.rocks' discovery tests 1–23), and receives the Webmentions."""
import pytest

from tests.conftest import AuthActions

BASE = "http://blog.test/"


@pytest.fixture
def site():
    from tests.peers.webmention_site import Site

    started = Site().start()
    yield started
    started.stop()


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
