"""The reading site: pages rendered on the server from the public posts, as the API shows them,
with the API's caching, the site's metadata, its own policy and HTML errors for browsers."""
import hashlib
import json
import re
import traceback

import lxml.html
import pytest
from flask import render_template

from microblog.config import ConfigurationError
from microblog.service import mentions
from microblog.web.site import views
from microblog.web.site.assets import IMMUTABLE
from tests.conftest import AuthActions
from tests.helpers import assert_problem
from tests.test_docs_browser import directives

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a browser's


def page(response):
    assert response.mimetype == "text/html", response.get_data(as_text=True)[:300]
    return lxml.html.fromstring(response.get_data(as_text=True))


def slugs_on(document):
    """The posts listed on a page, by the slug in each article's permalink."""
    return [link.get("href").rsplit("/", 1)[1] for link in document.cssselect("article .meta a")]


def every_page(client, url):
    """Follow "Older posts" (rel=next) from `url` to the end: the slugs listed, page by page."""
    pages = []
    while url:
        document = page(client.get(url))
        pages.append(slugs_on(document))
        older = document.cssselect('nav.pages a[rel="next"]')
        url = older[0].get("href") if older else None
    return pages


def api_slugs(client, url):
    slugs, cursor = [], None
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else "")).get_json()
        slugs += [post["slug"] for post in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return slugs


@pytest.fixture
def blog(client, auth):
    """45 public posts (every third titled, every other tagged), and one hidden, one scheduled,
    one deleted while public."""
    public = [auth.create_post(content=f"Text number {n} about rivers", title=f"Title {n}" if n % 3 == 0 else None,
                               tags=["river"] if n % 2 else [], publish_at=f"2026-01-01T10:{n:02d}:00Z")
              for n in range(45)]
    hidden = auth.create_post(content="secret draft", visible=False, tags=["river"])
    scheduled = auth.create_post(content="future rivers", publish_at="2099-01-01T00:00:00Z", tags=["river"])
    deleted = auth.create_post(content="deleted rivers", tags=["river"])
    assert client.delete(f"/api/v1/admin/posts/{deleted['id']}", headers=auth.headers).status_code == 204
    return {"public": public, "hidden": hidden, "scheduled": scheduled, "deleted": deleted}


def test_home_lists_the_public_posts_as_the_api_does_a_page_at_a_time(client, blog):
    pages = every_page(client, "/")
    assert [len(slugs) for slugs in pages] == [20, 20, 5]
    assert sum(pages, []) == api_slugs(client, "/api/v1/posts?limit=20")


def test_a_listed_post_shows_its_title_date_tags_and_the_apis_html(client, blog):
    document = page(client.get("/"))
    newest = blog["public"][-1]  # n = 44: tagged? no (even); titled? no
    titled = blog["public"][42]  # titled, not tagged
    tagged = blog["public"][43]
    api = client.get(f"/api/v1/posts/{titled['id']}").get_json()
    article = document.cssselect("article")[2]
    assert article.cssselect("h2 a")[0].text_content() == "Title 42"
    assert article.cssselect("time")[0].get("datetime") == "2026-01-01T10:42:00Z"
    content = lxml.html.tostring(article.cssselect(".content")[0], encoding="unicode")
    assert api["content_html"].strip() in content
    assert [a.text_content() for a in document.cssselect("article")[1].cssselect(".tags a")] == ["#river"]
    assert document.cssselect("article")[0].cssselect("h2") == [] and newest["slug"] in slugs_on(document)
    assert tagged["slug"] == slugs_on(document)[1]


def test_a_post_page_is_its_canonical_url_with_cards_and_json_ld(client, auth):
    post = auth.create_post(content="Hello **world** & friends", title="A <b>bold</b> title", tags=["greeting"],
                            publish_at="2026-02-03T04:05:06Z")
    response = client.get(f"/posts/{post['slug']}")
    document = page(response)
    url = f"http://localhost/posts/{post['slug']}"
    assert document.get("lang") == "en"
    assert document.cssselect("h1")[0].text_content() == "A <b>bold</b> title"  # escaped: text, not markup
    assert "<b>bold</b> title" not in response.get_data(as_text=True)
    assert document.cssselect('link[rel="canonical"]')[0].get("href") == url
    meta = {tag.get("property") or tag.get("name"): tag.get("content") for tag in document.cssselect("meta[content]")}
    assert meta["og:type"] == "article" and meta["og:url"] == url and meta["og:title"] == "A <b>bold</b> title"
    assert meta["og:description"] == meta["description"] == "Hello world & friends"
    assert meta["twitter:card"] == "summary" and meta["article:published_time"] == "2026-02-03T04:05:06Z"
    (script,) = document.cssselect('script[type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["@type"] == "BlogPosting" and data["headline"] == "A <b>bold</b> title"
    assert data["url"] == url and data["datePublished"] == "2026-02-03T04:05:06Z" and data["keywords"] == ["greeting"]
    assert "<b>" not in script.text  # the JSON cannot close its script element
    feeds = {link.get("type"): link.get("href") for link in document.cssselect('link[rel="alternate"]')}
    assert feeds == {"application/atom+xml": "/feed.atom", "application/rss+xml": "/feed.rss",
                     "application/feed+json": "/feed.json"}
    assert "<strong>world</strong> &amp; friends" in response.get_data(as_text=True)


CODE_POST = "Before the code.\n\n```python\ndef walk(steps):\n    return steps + 1  # one more\n```\n\n```\nplain\n```\n"


def test_fenced_code_with_a_language_is_highlighted_on_the_page_and_plain_elsewhere(client, auth):
    post = auth.create_post(content=CODE_POST, tags=["code"])
    document = page(client.get(f"/posts/{post['slug']}"))
    (block, plain) = document.cssselect(".content pre")
    assert block.get("class") == "highlight" and block.cssselect("code")[0].get("class") == "language-python"
    assert [span.text for span in block.cssselect("span.k")] == ["def", "return"]
    assert block.cssselect("span.nf")[0].text == "walk" and block.cssselect("span.c1")[0].text == "# one more"
    assert block.text_content() == "def walk(steps):\n    return steps + 1  # one more\n"
    assert plain.get("class") is None and plain.text_content() == "plain\n"
    listed = page(client.get("/tags/code")).cssselect(".content pre.highlight span.k")
    assert [span.text for span in listed] == ["def", "return"]
    api = client.get(f"/api/v1/posts/{post['id']}").get_json()["content_html"]
    assert '<pre><code class="language-python">def walk(steps):' in api and "<span" not in api
    for feed in ("/feed.atom", "/feed.rss", "/feed.json"):
        text = client.get(feed).get_data(as_text=True)
        assert "language-python" in text and "span" not in text, feed


def test_the_stylesheet_colours_highlighted_code_in_light_and_dark(client):
    stylesheet = page(client.get("/")).cssselect('link[rel="stylesheet"]')[0].get("href")
    css = client.get(stylesheet).get_data(as_text=True)
    light, dark = css.split("@media (prefers-color-scheme: dark)", 1)
    for token in ("comment", "keyword", "string", "number", "function"):
        assert f"--code-{token}:" in light and f"--code-{token}:" in dark.split("}", 1)[0]
    assert re.search(r"\.highlight :is\([^)]*\.k,[^)]*\) \{ color: var\(--code-keyword\)", css)


def test_a_post_page_is_its_template_rendered_whole_for_every_kind_of_post_host_and_mount(app, client, auth):
    """Post pages are rendered into a skeleton kept for each origin and mount (site/skeleton.py):
    each page is byte for byte what Jinja renders of the whole template with its context."""
    shapes = [auth.create_post(content="Only **text**, no title"),
              auth.create_post(content="A titled one", title="Named <here>", tags=["one", "two"]),
              auth.create_post(content="With photos", photos=[{"url": "https://photos.example/a.jpg", "alt": "A"},
                                                              {"url": "https://photos.example/b.jpg"}]),
              auth.create_post(content="Later edited", publish_at="2026-01-01T00:00:00Z")]
    edit = client.patch(f"/api/v1/admin/posts/{shapes[-1]['id']}", json={"content": "Edited"}, headers=auth.headers)
    assert edit.status_code == 200
    for base_url in ("http://localhost", "http://blog.example", "https://blog.example/mounted"):
        for post in shapes:
            answer = client.get(f"/posts/{post['slug']}", base_url=base_url)
            assert answer.status_code == 200
            with app.test_request_context(f"/posts/{post['slug']}", base_url=base_url):
                found, responses = mentions.post_page(post["slug"])
                site, own = views.post_page_context(found, responses)
                whole = render_template("site/post.html", **site, **own)
            assert answer.get_data(as_text=True) == whole, (base_url, post["slug"])
            assert f'<link rel="canonical" href="{base_url}/posts/{post["slug"]}">' in whole


def test_a_post_without_a_title_is_headed_by_its_dates_not_its_text(client, auth):
    post = auth.create_post(content="Just a thought, no title", publish_at="2026-02-03T04:05:06Z")
    document = page(client.get(f"/posts/{post['slug']}"))
    (heading,) = document.cssselect("h1")
    assert heading.text_content() == "Published 2026-02-03" and "thought" not in heading.text_content()
    assert document.cssselect(".content")[0].text_content().strip() == "Just a thought, no title"
    assert document.cssselect("title")[0].text_content().startswith("Just a thought")


def test_a_post_deleted_while_public_is_a_410_page_and_anything_not_public_a_404_page(client, blog):
    assert client.get(f"/posts/{blog['deleted']['slug']}", headers=HTML).status_code == 410
    assert "deleted" in page(client.get(f"/posts/{blog['deleted']['slug']}", headers=HTML)).cssselect("h1")[0].text
    for kind in ("hidden", "scheduled"):
        response = client.get(f"/posts/{blog[kind]['slug']}", headers=HTML)
        assert response.status_code == 404 and page(response).cssselect("h1")[0].text == "Page not found"
    assert client.get("/posts/Not_A_Slug", headers=HTML).status_code == 404


def test_errors_are_pages_for_browsers_on_site_paths_and_problems_everywhere_else(client, blog):
    response = client.get("/no/such/page", headers=HTML)
    assert response.status_code == 404 and response.vary.as_set() == {"accept"}
    assert directives(response.headers["Content-Security-Policy"])["style-src"] == ["'self'"]
    assert_problem(client.get("/no/such/page"), 404)  # curl's */*: the one error shape
    assert_problem(client.get(f"/posts/{blog['deleted']['slug']}", headers={"Accept": "application/json"}), 410)
    assert_problem(client.get("/api/v1/posts/999999", headers=HTML), 404)  # the API keeps its shape
    assert_problem(client.get("/feed.atom?tag=Not%20a%20tag", headers=HTML), 422)
    assert "Vary" not in client.get("/api/v1/posts/999999").headers
    refused = client.post("/", headers=HTML)
    assert refused.status_code == 405 and set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert page(refused).cssselect("h1")[0].text == "Method Not Allowed"
    bad = client.get("/?cursor=not-a-cursor", headers=HTML)
    assert bad.status_code == 400 and "older posts is not valid" in bad.get_data(as_text=True)


def test_a_host_outside_trusted_hosts_is_a_400_problem_even_for_a_browser(make_app, app):
    """With Flask's TRUSTED_HOSTS set (docs/api.md advises it), another Host is refused; a page
    would name the site by that Host, so a browser gets the problem too, never a 500."""
    client = make_app(TRUSTED_HOSTS=["localhost"]).test_client()
    for path in ("/", "/posts/anything", "/no/such/page", "/api/v1/posts/1"):
        for headers in (HTML, {}):
            assert_problem(client.get(path, headers={**headers, "Host": "evil.example"}), 400)
    assert client.get("/", headers=HTML).status_code == 200


def test_a_browser_over_the_read_limit_gets_a_429_page_with_retry_after(make_app, app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_READS="2 per minute").test_client()
    statuses = [client.get("/tags", headers=HTML) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0 and page(statuses[-1]).cssselect("h1")[0].text == "Too Many Requests"


@pytest.mark.parametrize("override, status", [({"DATABASE_URL": "sqlite:////nonexistent-folder/db.sqlite3"}, 503)])
def test_a_database_that_is_down_is_a_503_page(make_app, override, status):
    response = make_app(**override).test_client().get("/", headers=HTML)
    assert response.status_code == status and response.headers["Retry-After"] == "5"
    assert "nonexistent" not in response.get_data(as_text=True)


def test_a_failure_in_a_page_is_a_500_page_without_a_traceback(make_app, app, monkeypatch):
    def fail(*_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr("microblog.service.posts.public_tags", fail)
    broken = make_app(PROPAGATE_EXCEPTIONS=False)
    response = broken.test_client().get("/tags", headers=HTML)
    assert response.status_code == 500 and "Traceback" not in response.get_data(as_text=True)
    assert_problem(broken.test_client().get("/tags"), 500)


def test_a_failure_in_a_post_pages_block_is_logged_at_the_templates_line(make_app, app, monkeypatch, caplog):
    """Post pages render their blocks into a skeleton (site/skeleton.py) as Jinja renders a
    template: a failure's traceback names the template's own line, not its compiled code's."""
    class Unprintable:
        def __html__(self):
            raise RuntimeError("a bug in the JSON-LD")

    post = AuthActions(app.test_client()).create_post(content="Fails to show")
    monkeypatch.setattr("microblog.web.site.meta.blog_posting", lambda *_args: Unprintable())
    broken = make_app(PROPAGATE_EXCEPTIONS=False)
    assert broken.test_client().get(f"/posts/{post['slug']}", headers=HTML).status_code == 500
    template = broken.jinja_env.get_template("site/post.html").filename
    with open(template) as lines:
        line = next(number for number, text in enumerate(lines, 1) if "{% block head %}" in text)
    logged = "".join(text for record in caplog.records if record.exc_info
                     for text in traceback.format_exception(*record.exc_info))
    assert f'File "{template}", line {line}, in block \'head\'' in logged


def test_tag_pages_list_a_tags_public_posts_with_its_own_feeds(client, blog):
    pages = every_page(client, "/tags/river")
    assert [len(slugs) for slugs in pages] == [20, 2]
    assert sum(pages, []) == api_slugs(client, "/api/v1/posts?limit=20&tag=river")
    document = page(client.get("/tags/river"))
    assert {link.get("href") for link in document.cssselect('link[rel="alternate"]')} == {
        "/feed.atom?tag=river", "/feed.rss?tag=river", "/feed.json?tag=river"}
    moved = client.get("/tags/RIVER?cursor=abc")
    assert moved.status_code == 301 and moved.headers["Location"] == "/tags/river?cursor=abc"
    assert client.get("/tags/River?tag=x&utm_source=y").headers["Location"] == "/tags/river"
    assert client.get("/tags/not_a_tag", headers=HTML).status_code == 404
    assert slugs_on(page(client.get("/tags/nothing-here"))) == []


def test_the_tags_page_counts_public_posts_only(client, blog):
    document = page(client.get("/tags"))
    items = [re.sub(r"\s+", " ", item.text_content()) for item in document.cssselect(".tag-counts li")]
    assert items == ["#river 22 posts"]


def test_search_shows_the_apis_results_in_the_apis_order(client, blog):
    pages = every_page(client, "/search?q=rivers")
    assert sum(pages, []) == api_slugs(client, "/api/v1/posts?limit=20&q=rivers") and len(sum(pages, [])) == 45
    form = page(client.get("/search"))
    assert form.cssselect("form.search input#q") and slugs_on(form) == []
    assert page(client.get("/search?q=rivers")).cssselect("input#q")[0].get("value") == "rivers"
    assert page(client.get("/search?q=%20")).cssselect("h1")[0].text == "Search"
    assert client.get("/search?q=" + "a" * 201, headers=HTML).status_code == 400
    assert client.get("/search?q=a%00b", headers=HTML).status_code == 400
    plain_cursor = page(client.get("/")).cssselect('a[rel="next"]')[0].get("href").split("cursor=")[1]
    assert client.get(f"/search?q=rivers&cursor={plain_cursor}", headers=HTML).status_code == 400


def test_pages_are_cached_like_the_api(client, blog):
    for url in ("/", "/tags", "/tags/river", f"/posts/{blog['public'][0]['slug']}", "/search?q=rivers",
                "/sitemap.xml", "/robots.txt"):
        response = client.get(url)
        etag = response.headers["ETag"]
        assert response.status_code == 200 and not etag.startswith("W/"), url
        assert response.headers["Cache-Control"] == "public, max-age=60", url
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", url


def test_every_page_has_the_sites_policy_and_only_its_own_assets(client, blog):
    for url in ("/", "/tags", "/tags/river", f"/posts/{blog['public'][0]['slug']}", "/search?q=x", "/search"):
        response = client.get(url)
        policy = directives(response.headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"] and policy["style-src"] == ["'self'"] and "script-src" not in policy
        document = page(response)
        assert [s.get("type") for s in document.cssselect("script")] in ([], ["application/ld+json"])
        assert not document.cssselect("[style]") and not document.cssselect("style")
        for element in document.cssselect("link[href]"):
            assert element.get("href").startswith(("/", "http://localhost/")), element.get("href")


def test_the_stylesheet_is_served_under_its_content_hash_for_a_year(client):
    document = page(client.get("/"))
    href = document.cssselect('link[rel="stylesheet"]')[0].get("href")
    response = client.get(href)
    digest = hashlib.sha256(response.data).hexdigest()[:12]
    assert href == f"/assets/site.{digest}.css" and response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert client.get(href, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert b"prefers-color-scheme: dark" in response.data and b"@import" not in response.data
    assert b"url(" not in response.data  # no fonts or images from anywhere
    assert client.get("/assets/site.000000000000.css").status_code == 404
    icon = document.cssselect('link[rel="icon"]')[0].get("href")
    assert client.get(icon).mimetype == "image/svg+xml"


def test_site_settings_come_from_the_configuration(make_app, app):
    client = make_app(SITE_TITLE="My <blog>", SITE_DESCRIPTION="Notes", SITE_LANGUAGE="pt-BR",
                      PUBLIC_BASE_URL="https://blog.example/").test_client()
    document = page(client.get("/"))
    assert document.get("lang") == "pt-BR"
    assert document.cssselect(".site-name")[0].text == "My <blog>"
    assert document.cssselect('meta[name="description"]')[0].get("content") == "Notes"
    assert document.cssselect('link[rel="canonical"]')[0].get("href") == "https://blog.example/"
    assert "Sitemap: https://blog.example/sitemap.xml" in client.get("/robots.txt").get_data(as_text=True)
    with pytest.raises(ConfigurationError, match="SITE_LANGUAGE"):
        make_app(SITE_LANGUAGE='en"><script>')


def test_head_requests_get_the_headers_without_a_body(client, blog):
    response = client.head("/")
    assert response.status_code == 200 and response.data == b"" and response.headers["ETag"]


def test_a_page_shows_every_change_at_once_though_pages_are_kept(client, auth):
    post = auth.create_post(content="first words", title="First", slug="kept", tags=["one"])
    assert page(client.get("/posts/kept")).cssselect("h1")[0].text == "First"
    assert slugs_on(page(client.get("/"))) == ["kept"]
    client.patch(f"/api/v1/admin/posts/{post['id']}", json={"title": "Second", "tags": ["two"]}, headers=auth.headers)
    assert page(client.get("/posts/kept")).cssselect("h1")[0].text == "Second"
    assert [a.text_content() for a in page(client.get("/")).cssselect(".tags a")] == ["#two"]
    assert client.delete(f"/api/v1/admin/posts/{post['id']}", headers=auth.headers).status_code == 204
    assert client.delete(f"/api/v1/admin/posts/{post['id']}?purge=true", headers=auth.headers).status_code == 204
    again = auth.create_post(content="other words", title="Second", slug="kept", tags=["two"])
    assert again["id"] >= post["id"]  # SQLite gives the purged id back; the page must still be new
    document = page(client.get("/posts/kept"))
    assert "other words" in document.cssselect(".content")[0].text_content()
