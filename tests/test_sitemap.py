"""/sitemap.xml: every public post with its lastmod, valid against the sitemap protocol's XML
schema, split into an index of files of at most SITEMAP_MAX_URLS; /robots.txt names it."""
import pathlib

import pytest
from lxml import etree
from werkzeug.http import parse_date

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The protocol's schema for <urlset>, as the npm package `sitemap` ships it (package.json).
URLSET_XSD = ROOT / "node_modules" / "sitemap" / "schema" / "sitemap.xsd"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# <sitemapindex>, written here from sitemaps.org's protocol page (no package ships siteindex.xsd):
# one or more <sitemap>, each a <loc> (an absolute URL, under 2,048 characters) and an optional <lastmod>.
INDEX_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" elementFormDefault="qualified">
  <xsd:element name="sitemapindex">
    <xsd:complexType><xsd:sequence>
      <xsd:element name="sitemap" maxOccurs="50000"><xsd:complexType><xsd:sequence>
        <xsd:element name="loc"><xsd:simpleType><xsd:restriction base="xsd:anyURI">
          <xsd:minLength value="12"/><xsd:maxLength value="2048"/></xsd:restriction></xsd:simpleType></xsd:element>
        <xsd:element name="lastmod" type="xsd:dateTime" minOccurs="0"/>
      </xsd:sequence></xsd:complexType></xsd:element>
    </xsd:sequence></xsd:complexType>
  </xsd:element>
</xsd:schema>"""


@pytest.fixture(scope="module")
def urlset_schema():
    if not URLSET_XSD.exists():
        pytest.fail(f"{URLSET_XSD} is missing: run `npm ci` (make does)")
    return etree.XMLSchema(etree.parse(str(URLSET_XSD)))


def parsed(response, schema):
    assert response.status_code == 200 and response.mimetype == "application/xml"
    document = etree.fromstring(response.data)
    schema.assertValid(document)
    return document


def urls(document):
    return [(url.findtext("s:loc", namespaces=NS), url.findtext("s:lastmod", namespaces=NS))
            for url in document.findall("s:url", NS)]


@pytest.fixture
def posts(client, auth):
    """Seven posts: 1, 2, 6 and 7 public (6 edited later), 3 hidden, 4 scheduled, 5 deleted."""
    made = [auth.create_post(content=f"post {n}", publish_at=f"2026-01-0{n}T10:00:00Z") for n in range(1, 8)]
    client.patch(f"/api/v1/admin/posts/{made[2]['id']}", json={"visible": False}, headers=auth.headers)
    client.patch(f"/api/v1/admin/posts/{made[3]['id']}", json={"publish_at": "2099-01-01T00:00:00Z"},
                 headers=auth.headers)
    client.delete(f"/api/v1/admin/posts/{made[4]['id']}", headers=auth.headers)
    edited = client.patch(f"/api/v1/admin/posts/{made[5]['id']}", json={"content": "post 6, edited"},
                          headers=auth.headers).get_json()
    return [made[0], made[1], edited, made[6]]


def test_one_file_lists_the_home_page_and_every_public_post_with_lastmod(client, posts, urlset_schema):
    document = parsed(client.get("/sitemap.xml"), urlset_schema)
    listed = urls(document)
    assert listed[0] == ("http://localhost/", None)
    assert [loc for loc, _ in listed[1:]] == [f"http://localhost/posts/{post['slug']}" for post in posts]
    # lastmod: the last change readers saw, the API's Last-Modified for the post
    assert [lastmod for _, lastmod in listed[1:]] == [
        parse_date(client.get(f"/api/v1/posts/{post['id']}").headers["Last-Modified"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        for post in posts]
    assert listed[3][1] >= listed[4][1]  # post 6's edit came after post 7 was made
    assert client.get("/sitemap-1.xml").status_code == 404  # one file has no parts


def test_past_the_limit_the_sitemap_is_an_index_of_valid_files(make_app, app, client, posts, urlset_schema):
    split = make_app(SITEMAP_MAX_URLS=3).test_client()
    index = etree.fromstring(split.get("/sitemap.xml").data)
    etree.XMLSchema(etree.fromstring(INDEX_XSD)).assertValid(index)
    files = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    # ids 0-2 (the home page, 1, 2), 3-5 (4 scheduled, 5 deleted: 3 hidden), 6-8 (6, 7)
    assert files == ["http://localhost/sitemap-1.xml", "http://localhost/sitemap-3.xml"]
    listed = []
    for url in files:
        document = parsed(split.get(url.removeprefix("http://localhost")), urlset_schema)
        assert 1 <= len(urls(document)) <= 3
        listed += [loc for loc, _ in urls(document)]
    assert listed == ["http://localhost/"] + [f"http://localhost/posts/{post['slug']}" for post in posts]
    assert split.get("/sitemap-2.xml").status_code == 404  # no public post among its ids
    assert split.get("/sitemap-4.xml").status_code == 404 and split.get("/sitemap-0.xml").status_code == 404


def test_an_empty_blog_has_a_valid_sitemap(client, urlset_schema):
    assert urls(parsed(client.get("/sitemap.xml"), urlset_schema)) == [("http://localhost/", None)]


def test_robots_txt_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).splitlines() == [
        "User-agent: *", "Disallow: /api/", "", "Sitemap: http://localhost/sitemap.xml"]


def test_the_sitemap_shows_nothing_of_posts_that_are_not_public(make_app, app, client, auth):
    """Its shape (one file or an index, which parts exist) and its 404s follow the public posts'
    ids only: a hidden post with a high id changes nothing a reader can see."""
    split = make_app(SITEMAP_MAX_URLS=3).test_client()
    public = [auth.create_post(content=f"post {n}") for n in range(2)]  # ids 1 and 2: one file
    before = {path: (r.status_code, r.get_data()) for path in ("/sitemap.xml", "/sitemap-2.xml", "/sitemap-3.xml")
              for r in [split.get(path)]}
    for _ in range(5):  # ids 3 to 7, none public
        auth.create_post(content="hidden", visible=False)
    after = {path: (r.status_code, r.get_data()) for path in before for r in [split.get(path)]}
    assert after == before
    assert max(p["id"] for p in public) < 3  # the file of ids 0-2 holds them, as the test assumes
