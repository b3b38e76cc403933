"""Receiving Webmentions as a sender sees it: the endpoint each post page advertises, the checks
made at once (400s, limits), and the worker's verification of a source page served by a peer
site on loopback (tests/peers/webmention_site.py); what readers then see on the post's page."""
import json
import time

import pytest
from lxml import html as lxml_html

from tests.conftest import AuthActions
from tests.transfer_helpers import export, import_

BASE = "http://blog.test/"


@pytest.fixture
def make_blog(make_ready_app):
    def make(**settings):
        return make_ready_app(**{"PUBLIC_BASE_URL": BASE, "DELIVERY_POLL_INTERVAL": 0.05, "DELIVERY_RETRY_BASE": 0.2,
                                 "OUTBOUND_ALLOW_LOOPBACK": True, **settings})
    return make


@pytest.fixture
def blog(make_blog):
    return make_blog()


@pytest.fixture
def admin(blog):
    return AuthActions(blog.test_client())


@pytest.fixture
def post(admin):
    return admin.create_post(content="A post to reply to", slug="hello")


TARGET = f"{BASE}posts/hello"


def reply_page(target=TARGET, text="Great post!", name="Bob", kind="in-reply-to", extra=""):
    return f"""<!doctype html><html><body>
<article class="h-entry">
  <a class="u-{kind}" href="{target}">the post</a>
  <span class="p-author h-card"><img class="u-photo" src="/avatar.png" alt="">
    <a class="p-name u-url" href="https://bob.example/">{name}</a></span>
  <div class="e-content">{text}</div>
  <time class="dt-published" datetime="2026-12-01T10:00:00+01:00">1 December</time>
  {extra}
</article></body></html>"""


def send(client, source, target=TARGET):
    return client.post("/webmention", data={"source": source, "target": target})


def wait_status(client, location, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(location).get_json()
        if status["status"] != "queued":
            return status
        time.sleep(0.05)
    raise AssertionError("the Webmention was never checked")


def page_of(client, slug="hello"):
    response = client.get(f"/posts/{slug}")
    assert response.status_code == 200
    return lxml_html.fromstring(response.data)


def test_every_post_page_advertises_the_endpoint(client, auth):
    auth.create_post(content="x", slug="hello")
    response = client.get("/posts/hello")
    assert '<http://localhost/webmention>; rel="webmention"' in response.headers["Link"]
    document = lxml_html.fromstring(response.data)
    assert document.xpath('//link[@rel="webmention"]/@href') == ["http://localhost/webmention"]
    assert "webmention" not in client.get("/").headers.get("Link", "")


@pytest.mark.parametrize("form, why", [
    ({"source": "ftp://x.example/a", "target": TARGET}, "source must be an http"),
    ({"source": "https://x.example/a", "target": "mailto:me@blog.test"}, "target must be an http"),
    ({"source": "https://x.example/a"}, "Give one target"),
    ({"target": TARGET}, "Give one source"),
    ({"source": TARGET + "#c", "target": TARGET}, "the same URL"),
    ({"source": "https://x.example/a", "target": f"{BASE}posts/nope"}, "not a public post"),
    ({"source": "https://x.example/a", "target": f"{BASE}posts/draft"}, "not a public post"),
    ({"source": "https://x.example/a", "target": f"{BASE}posts/gone"}, "not a public post"),
    ({"source": "https://x.example/a", "target": f"{BASE}posts/later"}, "not a public post"),
    ({"source": "https://x.example/a", "target": "https://elsewhere.example/posts/hello"}, "not a public post"),
    ({"source": "https://x.example/a", "target": f"{BASE}"}, "not a public post"),
    ({"source": "https://x.example/a", "target": f"{BASE}posts/hello?x=1"}, "not a public post"),
])
def test_a_request_that_cannot_be_a_webmention_is_a_400(blog, admin, post, form, why):
    admin.create_post(content="x", slug="draft", visible=False)
    gone = admin.create_post(content="x", slug="gone")
    admin.client.delete(f"/api/v1/admin/posts/{gone['id']}", headers=admin.headers)
    admin.create_post(content="x", slug="later", publish_at="2099-01-01T00:00:00Z")
    response = blog.test_client().post("/webmention", data=form)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json" and why in response.get_json()["detail"]
    assert admin.client.get("/api/v1/admin/deliveries?kind=webmention-check", headers=admin.headers
                            ).get_json()["items"] == []


def test_purging_a_post_forgets_the_checks_of_its_mentions(blog, admin, post):
    """Nothing is left to verify of a post gone for good (and a visitor's instance keeps no row of it)."""
    assert send(blog.test_client(), "https://x.example/a").status_code == 202
    checks = "/api/v1/admin/deliveries?kind=webmention-check"
    assert len(admin.client.get(checks, headers=admin.headers).get_json()["items"]) == 1
    assert admin.client.delete(f"/api/v1/admin/posts/{post['id']}", headers=admin.headers).status_code == 204
    assert admin.client.get(checks, headers=admin.headers).get_json()["items"] != []  # a restore may come
    assert admin.client.delete(f"/api/v1/admin/posts/{post['id']}?purge=true",
                               headers=admin.headers).status_code == 204
    assert admin.client.get(checks, headers=admin.headers).get_json()["items"] == []


def test_a_body_larger_than_the_limit_is_refused(blog, post):
    response = blog.test_client().post("/webmention", data={"source": "https://x.example/" + "a" * 20_000,
                                                            "target": TARGET})
    assert response.status_code == 413


def test_a_reply_is_verified_and_shown_sanitized_without_fetching_its_avatar(blog, post, site, run_worker):
    source = site.page("/reply", reply_page(text='Great <strong>post</strong>!<script>alert(1)</script>'
                                                 '<img src="x" onerror="alert(2)">'))
    client = blog.test_client()
    response = send(client, source, TARGET + "#comments")
    assert response.status_code == 202
    location = response.headers["Location"]
    assert location.startswith("/webmention/") and client.get(location).get_json()["status"] == "queued"
    assert page_of(client).xpath("//section[@class='responses']") == []
    run_worker(blog)
    assert wait_status(client, location) == {**client.get(location).get_json(), "status": "accepted"}
    document = page_of(client)
    mention = document.xpath('//section[@class="responses"]//li')[0]
    assert "Bob" in mention.text_content() and "replied" in mention.text_content()
    assert mention.xpath('.//a[text()="Bob"]/@href') == ["https://bob.example/"]
    content = lxml_html.tostring(mention.xpath('.//div[@class="content"]')[0], encoding="unicode")
    assert "<strong>post</strong>" in content and "script" not in content and "onerror" not in content
    assert not any("avatar" in src for src in document.xpath("//img/@src"))
    assert site.fetched("/avatar.png") == 0 and site.fetched("/reply") == 1


def test_likes_and_reposts_are_counted(blog, post, site, run_worker):
    client = blog.test_client()
    run_worker(blog)
    for number, kind in enumerate(["like-of", "like-of", "repost-of"]):
        source = site.page(f"/r{number}", reply_page(kind=kind, name=f"P{number}"))
        wait_status(client, send(client, source).headers["Location"])
    counts = page_of(client).xpath('//p[@class="counts"]')[0].text_content()
    assert "2 likes" in counts and "1 repost" in counts
    assert page_of(client).xpath('//ol[@class="mentions"]') == []


def test_a_repeat_updates_and_a_source_gone_or_no_longer_linking_removes(blog, admin, post, site, run_worker):
    client = blog.test_client()
    run_worker(blog)
    source = site.page("/reply", reply_page(text="First words"))
    wait_status(client, send(client, source).headers["Location"])
    site.page("/reply", reply_page(text="Second words"))
    assert wait_status(client, send(client, source).headers["Location"])["status"] == "accepted"
    items = admin.client.get("/api/v1/admin/mentions", headers=admin.headers).get_json()["items"]
    assert len(items) == 1 and "Second words" in items[0]["content_html"]
    assert "Second words" in client.get("/posts/hello").get_data(as_text=True)
    site.page("/reply", "<p>nothing here now</p>")
    status = wait_status(client, send(client, source).headers["Location"])
    assert status["status"] == "rejected" and "does not link" in status["detail"]
    assert "Second words" not in client.get("/posts/hello").get_data(as_text=True)
    site.page("/reply", reply_page(text="Back again"))
    wait_status(client, send(client, source).headers["Location"])
    assert "Back again" in client.get("/posts/hello").get_data(as_text=True)
    site.page("/reply", "gone", status=410)
    assert "410" in wait_status(client, send(client, source).headers["Location"])["detail"]
    assert "Back again" not in client.get("/posts/hello").get_data(as_text=True)
    assert admin.client.get("/api/v1/admin/mentions", headers=admin.headers).get_json()["items"] == []


def test_a_source_that_does_not_link_exactly_is_rejected(blog, post, site, run_worker):
    client = blog.test_client()
    run_worker(blog)
    for path, body in [("/other", reply_page(target=f"{BASE}posts/hello-world")),
                       ("/text", f"<p>{TARGET} in words only</p>")]:
        status = wait_status(client, send(client, site.page(path, body)).headers["Location"])
        assert status["status"] == "rejected", path
    assert "responses" not in client.get("/posts/hello").get_data(as_text=True)


def test_mentions_wait_for_approval_when_asked(make_blog, site, run_worker):
    blog = make_blog(MENTIONS_NEED_APPROVAL=True)
    admin = AuthActions(blog.test_client())
    admin.create_post(content="x", slug="hello")
    client = blog.test_client()
    run_worker(blog)
    wait_status(client, send(client, site.page("/reply", reply_page(text="Held back"))).headers["Location"])
    assert "Held back" not in client.get("/posts/hello").get_data(as_text=True)
    pending = admin.client.get("/api/v1/admin/mentions?status=pending", headers=admin.headers).get_json()["items"]
    assert len(pending) == 1
    response = admin.client.patch(f"/api/v1/admin/mentions/{pending[0]['id']}", json={"status": "shown"},
                                  headers=admin.headers)
    assert response.status_code == 200 and response.get_json()["status"] == "shown"
    assert "Held back" in client.get("/posts/hello").get_data(as_text=True)


def test_the_admin_hides_deletes_and_blocks(blog, admin, post, site, run_worker):
    client = blog.test_client()
    run_worker(blog)
    wait_status(client, send(client, site.page("/reply", reply_page(text="Visible words"))).headers["Location"])
    assert "Visible words" in client.get("/posts/hello").get_data(as_text=True)  # cached now
    mention = admin.client.get("/api/v1/admin/mentions", headers=admin.headers).get_json()["items"][0]
    url = f"/api/v1/admin/mentions/{mention['id']}"
    assert admin.client.patch(url, json={"status": "hidden"}, headers=admin.headers).status_code == 200
    assert "Visible words" not in client.get("/posts/hello").get_data(as_text=True)
    assert admin.client.patch(url, json={"status": "shown"}, headers=admin.headers).status_code == 200
    assert "Visible words" in client.get("/posts/hello").get_data(as_text=True)
    assert admin.client.delete(url, headers=admin.headers).status_code == 204
    assert "Visible words" not in client.get("/posts/hello").get_data(as_text=True)
    assert admin.client.get(url, headers=admin.headers).status_code == 404
    wait_status(client, send(client, site.page("/reply", reply_page(text="Again"))).headers["Location"])
    assert "Again" in client.get("/posts/hello").get_data(as_text=True)
    response = admin.client.put("/api/v1/admin/mentions/blocks/127.0.0.3", headers=admin.headers)
    assert response.status_code == 200 and response.get_json()["domain"] == "127.0.0.3"
    assert "Again" not in client.get("/posts/hello").get_data(as_text=True)
    refused = send(client, site.url + "/reply")
    assert refused.status_code == 400 and "domain" in refused.get_json()["detail"]
    assert admin.client.get("/api/v1/admin/mentions/blocks", headers=admin.headers).get_json()["items"][0][
        "domain"] == "127.0.0.3"
    assert admin.client.delete("/api/v1/admin/mentions/blocks/127.0.0.3", headers=admin.headers).status_code == 204
    assert send(client, site.url + "/reply").status_code == 202
    assert admin.client.put("/api/v1/admin/mentions/blocks/not a domain", headers=admin.headers).status_code == 422


def test_per_source_and_per_target_limits(make_blog):
    blog = make_blog(WEBMENTION_SOURCE_LIMIT=2, WEBMENTION_TARGET_LIMIT=3)
    AuthActions(blog.test_client()).create_post(content="x", slug="hello")
    client = blog.test_client()
    # a repeat still waiting joins the check already queued: only new checks count
    first = send(client, "https://a.example/1")
    assert send(client, "https://a.example/1").headers["Location"] == first.headers["Location"]
    assert send(client, "https://b.example/1").status_code == 202
    assert send(client, "https://c.example/1").status_code == 202
    limited = send(client, "https://d.example/1")
    assert limited.status_code == 429 and "post" in limited.get_json()["detail"] and limited.headers["Retry-After"]


def test_a_source_beyond_the_limit_of_its_own_is_refused(make_blog):
    blog = make_blog(WEBMENTION_SOURCE_LIMIT=1)
    admin = AuthActions(blog.test_client())
    admin.create_post(content="x", slug="hello")
    admin.create_post(content="y", slug="other")
    client = blog.test_client()
    assert send(client, "https://a.example/1").status_code == 202
    limited = send(client, "https://a.example/1", f"{BASE}posts/other")
    assert limited.status_code == 429 and "source" in limited.get_json()["detail"]


def test_the_fetcher_refuses_a_source_redirecting_to_a_private_address(blog, post, site, run_worker):
    client = blog.test_client()
    run_worker(blog)
    source = site.page("/moved", status=302, headers=[("Location", "http://10.0.0.1/reply")], content_type=None)
    status = wait_status(client, send(client, source).headers["Location"])
    assert status["status"] == "failed" and "10.0.0.1" in status["detail"]


def test_the_fetcher_refuses_a_source_whose_name_resolves_to_a_private_address(make_blog, site, run_worker):
    blog = make_blog(OUTBOUND_ALLOW_LOOPBACK=False)
    AuthActions(blog.test_client()).create_post(content="x", slug="hello")
    client = blog.test_client()
    run_worker(blog)
    status = wait_status(client, send(client, "http://localhost/reply").headers["Location"])
    assert status["status"] == "failed" and "resolves to 127.0.0.1" in status["detail"]


def test_export_and_import_carry_mentions_and_blocks_and_sanitize_them_again(blog, admin, post, site, run_worker):
    client = blog.test_client()
    run_worker(blog)
    wait_status(client, send(client, site.page("/reply", reply_page(text="Carried over"))).headers["Location"])
    admin.client.put("/api/v1/admin/mentions/blocks/spam.example", headers=admin.headers)
    exported = export(admin.client, admin).decode()
    lines = [json.loads(line) for line in exported.splitlines()]
    assert [line["domain"] for line in lines if line["type"] == "mention_block"] == ["spam.example"]
    mention = next(line for line in lines if line["type"] == "mention")
    assert mention["post_id"] == post["id"] and mention["source"] == site.url + "/reply"
    listed = admin.client.get("/api/v1/admin/mentions", headers=admin.headers).get_json()["items"]
    admin.client.delete(f"/api/v1/admin/mentions/{listed[0]['id']}", headers=admin.headers)
    admin.client.delete("/api/v1/admin/mentions/blocks/spam.example", headers=admin.headers)
    assert "Carried over" not in client.get("/posts/hello").get_data(as_text=True)
    tampered = exported.replace("Carried over", "Carried over<script>alert(1)</script>")
    response = import_(admin.client, admin, tampered)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["mention"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert response.get_json()["mention_block"] == {"created": 1, "updated": 0, "unchanged": 0}
    page = client.get("/posts/hello").get_data(as_text=True)
    assert "Carried over" in page and "<script>alert" not in page
    assert import_(admin.client, admin, tampered).get_json()["mention"] == {"created": 0, "updated": 0,
                                                                             "unchanged": 1}
    orphan = exported.replace(f'"post_id":{post["id"]}', '"post_id":999')
    assert import_(admin.client, admin, orphan).status_code == 409


def test_a_source_nested_too_deeply_for_microformats_is_still_a_plain_mention(blog, post, site, run_worker):
    client = blog.test_client()
    run_worker(blog)
    nested = '<div class="h-entry">' * 3000 + f'<a class="u-in-reply-to" href="{TARGET}">re</a>' + "</div>" * 3000
    status = wait_status(client, send(client, site.page("/deep", nested)).headers["Location"])
    assert status["status"] == "accepted"
    assert "mentioned this" in page_of(client).xpath('//section[@class="responses"]')[0].text_content()
