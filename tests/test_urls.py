"""Public URLs behind a mount point: with the app served under SCRIPT_NAME (here /blog), every
absolute URL the feeds, pages and sitemap give out, and the Link and Location headers, name it."""
import feedparser
import lxml.html
import pytest

MOUNT = "http://localhost/blog"


@pytest.fixture
def posts(auth):
    return [auth.create_post(content=f"Post {n}", tags=["river"]) for n in range(3)]


def test_the_feeds_urls_and_their_self_links_include_the_mount_point(client, posts):
    document = client.get("/feed.json?tag=river", base_url=MOUNT).get_json(force=True)
    assert document["feed_url"] == f"{MOUNT}/feed.json?tag=river"
    assert document["home_page_url"] == f"{MOUNT}/"
    newest = posts[-1]
    assert document["items"][0]["url"] == f"{MOUNT}/posts/{newest['slug']}"
    assert document["items"][0]["id"] == f"{MOUNT}/api/v1/posts/{newest['id']}"
    atom = feedparser.parse(client.get("/feed.atom", base_url=MOUNT).data)
    assert [link.href for link in atom.feed.links if link.rel == "self"] == [f"{MOUNT}/feed.atom"]
    rss = client.get("/feed.rss?tag=river", base_url=MOUNT).get_data(as_text=True)
    assert f'href="{MOUNT}/feed.rss?tag=river"' in rss


def test_the_feeds_follow_the_public_base_url_and_the_mount_point(make_app, posts):
    configured = make_app(PUBLIC_BASE_URL="https://blog.example/").test_client()
    document = configured.get("/feed.json", base_url=MOUNT).get_json(force=True)
    assert document["feed_url"] == "https://blog.example/blog/feed.json"
    assert document["items"][0]["url"] == f"https://blog.example/blog/posts/{posts[-1]['slug']}"


def test_the_next_page_link_includes_the_mount_point(client, auth, posts):
    public = client.get("/api/v1/posts?limit=1&tag=river", base_url=MOUNT)
    cursor = public.get_json()["next_cursor"]
    assert public.headers["Link"] == f'</blog/api/v1/posts?limit=1&tag=river&cursor={cursor}>; rel="next"'
    admin = client.get("/api/v1/admin/posts?limit=1", base_url=MOUNT, headers=auth.headers)
    cursor = admin.get_json()["next_cursor"]
    assert admin.headers["Link"] == f'</blog/api/v1/admin/posts?limit=1&cursor={cursor}>; rel="next"'


def test_location_pages_and_sitemap_include_the_mount_point(client, auth, posts):
    created = client.post("/api/v1/admin/posts", base_url=MOUNT, json={"content": "Mounted"}, headers=auth.headers)
    assert created.headers["Location"] == f"/blog/api/v1/admin/posts/{created.get_json()['id']}"
    page = lxml.html.fromstring(client.get(f"/posts/{posts[0]['slug']}", base_url=MOUNT).data)
    assert page.cssselect('link[rel="canonical"]')[0].get("href") == f"{MOUNT}/posts/{posts[0]['slug']}"
    assert {link.get("href") for link in page.cssselect('link[rel="alternate"]')} == {
        "/blog/feed.atom", "/blog/feed.rss", "/blog/feed.json"}
    sitemap = client.get("/sitemap.xml", base_url=MOUNT).get_data(as_text=True)
    assert f"<loc>{MOUNT}/</loc>" in sitemap and f"<loc>{MOUNT}/posts/{posts[0]['slug']}</loc>" in sitemap
    assert f"Sitemap: {MOUNT}/sitemap.xml" in client.get("/robots.txt", base_url=MOUNT).get_data(as_text=True)


def test_a_pages_links_name_the_host_and_mount_of_each_request_in_turn(client, posts):
    """The parts of a page built once per public origin and mount (its header, footer, head links
    and the path to its post) are kept apart for each: one app answers several in turn."""
    slug = posts[0]["slug"]
    for origin, mount in (("http://localhost", "/blog"), ("http://other.example", ""),
                          ("http://other.example", "/blog"), ("http://localhost", "/blog"), ("http://localhost", "")):
        base = origin + mount
        page = lxml.html.fromstring(client.get(f"/posts/{slug}", base_url=base).data)
        assert page.cssselect('link[rel="canonical"]')[0].get("href") == f"{base}/posts/{slug}"
        assert page.cssselect('link[rel="author"]')[0].get("href") == f"{base}/"
        assert page.cssselect("footer .h-card a")[0].get("href") == f"{base}/"
        assert page.cssselect("a.site-name")[0].get("href") == f"{mount}/"
        assert page.cssselect('link[rel="stylesheet"]')[0].get("href").startswith(f"{mount}/assets/site.")
        assert {link.get("href") for link in page.cssselect('link[rel="alternate"]')} == {
            f"{mount}/feed.atom", f"{mount}/feed.rss", f"{mount}/feed.json"}


def test_pages_asked_under_many_hosts_keep_a_bounded_few_of_their_parts(make_app, posts):
    """Without PUBLIC_BASE_URL the origin is whatever Host a client sends: each page still names
    its own, the parts kept for origins stay few however many hosts are asked, and the host
    asked all along keeps its own: its post page's skeleton, which holds the rest (the reader
    cache off, so that every page is built)."""
    app = make_app(READER_CACHE_BYTES=0)
    client, slug = app.test_client(), posts[0]["slug"]
    client.get(f"/posts/{slug}", base_url="http://blog.example")
    kept = app.extensions["origins_kept"]
    ours = ("skeleton of site/post.html", "http://blog.example", "")
    assert ours in kept
    for number in range(100):
        for base in ("http://blog.example", f"http://host-{number}.example"):
            page = lxml.html.fromstring(client.get(f"/posts/{slug}", base_url=base).data)
            assert page.cssselect('link[rel="author"]')[0].get("href") == f"{base}/"
        assert 0 < len(kept) <= 16 and ours in kept


def test_lists_and_post_pages_link_posts_and_tags_under_the_mount_point(client, posts):
    for path in ("/", "/tags/river", "/search?q=post", f"/posts/{posts[0]['slug']}"):
        page = lxml.html.fromstring(client.get(path, base_url=MOUNT).data)
        tags = [link.get("href") for link in page.cssselect('a[rel="tag"]')]
        assert tags and set(tags) == {"/blog/tags/river"}, path
        if not path.startswith("/posts/"):
            assert {link.get("href") for link in page.cssselect("article a.u-url")} == {
                f"/blog/posts/{post['slug']}" for post in posts}, path
