"""A post's photos ({url, alt}, in order): sent through the admin API, shown by the public API,
the post's page (with the size of this site's own images), the feeds, revisions, export and
import; outside URLs are stored as sent and never fetched."""
import http.server
import io
import json
import threading

import feedparser
import jsonschema
import lxml.etree
import lxml.html
import mf2py
import pytest
from PIL import Image

from tests.helpers import assert_problem
from tests.transfer_helpers import export, import_

OUTSIDE = "https://photos.example/walk.jpg"


def upload_png(client, auth, size=(120, 80)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "PNG")
    response = client.post("/api/v1/admin/media", headers=auth.headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(buffer.getvalue()), "walk.png")})
    assert response.status_code == 201
    return response.get_json()["url"]


@pytest.fixture
def own(client, auth):
    """The URL of an image uploaded here, 120 × 80."""
    return upload_png(client, auth)


def test_photos_are_kept_in_order_and_shown_to_the_admin_and_readers(client, auth, own):
    photos = [{"url": own, "alt": "A blue field"}, {"url": OUTSIDE}]
    post = auth.create_post(content="A walk", photos=photos)
    expected = [{"url": own, "alt": "A blue field"}, {"url": OUTSIDE, "alt": ""}]
    assert post["photos"] == expected
    assert client.get(f"/api/v1/posts/{post['id']}").get_json()["photos"] == expected
    assert client.get("/api/v1/posts").get_json()["items"][0]["photos"] == expected
    assert auth.create_post(content="No photo")["photos"] == []


def test_patch_changes_photos_and_put_without_them_empties_them(client, auth, own):
    post = auth.create_post(content="A walk", photos=[{"url": own, "alt": "one"}])
    url = f"/api/v1/admin/posts/{post['id']}"
    changed = client.patch(url, json={"photos": [{"url": OUTSIDE, "alt": "two"}, {"url": own, "alt": "one"}]},
                           headers=auth.headers).get_json()
    assert [photo["alt"] for photo in changed["photos"]] == ["two", "one"] and changed["edited"]
    kept = client.patch(url, json={"title": "Titled"}, headers=auth.headers).get_json()
    assert kept["photos"] == changed["photos"]
    replaced = client.put(url, json={"content": "A walk"}, headers=auth.headers).get_json()
    assert replaced["photos"] == []


@pytest.mark.parametrize("photos, pointer", [
    ([{"url": OUTSIDE}] * 21, "/photos"),
    ([{"url": "/media/abc.jpg"}], "/photos/0/url"),
    ([{"url": "javascript:alert(1)"}], "/photos/0/url"),
    ([{"url": "ftp://photos.example/a.jpg"}], "/photos/0/url"),
    ([{"url": "https://photos.example/a b.jpg"}], "/photos/0/url"),
    ([{"url": "https://" + "a" * 2000 + ".example/"}], "/photos/0/url"),
    ([{"url": OUTSIDE, "alt": "x" * 1501}], "/photos/0/alt"),
    ([{"url": OUTSIDE, "alt": "bad \u0000 alt"}], "/photos/0/alt"),
    ([{"url": OUTSIDE, "caption": "no"}], "/photos/0/caption"),
    ([{"alt": "no url"}], "/photos/0/url"),
    ([OUTSIDE], "/photos/0"),
    ({"url": OUTSIDE}, "/photos"),
], ids=["21-photos", "relative", "javascript", "ftp", "space", "too-long", "alt-too-long", "alt-nul",
        "unknown-member", "no-url", "bare-string", "not-a-list"])
def test_bad_photos_are_refused_and_nothing_is_stored(client, auth, photos, pointer):
    response = client.post("/api/v1/admin/posts", json={"content": "x", "photos": photos}, headers=auth.headers)
    body = assert_problem(response, 422)
    assert pointer in [error["pointer"] for error in body["errors"]]
    assert client.get("/api/v1/admin/posts", headers=auth.headers).get_json()["items"] == []


def test_the_post_page_shows_each_photo_with_alt_and_our_images_with_their_size(client, auth, own):
    post = auth.create_post(content="A walk", photos=[{"url": own, "alt": "A blue field"},
                                                      {"url": OUTSIDE, "alt": "Elsewhere"}])
    html = client.get(f"/posts/{post['slug']}").get_data(as_text=True)
    images = lxml.html.fromstring(html).cssselect("article .photos img")
    assert [(img.get("src"), img.get("alt"), img.get("width"), img.get("height")) for img in images] == [
        (own, "A blue field", "120", "80"), (OUTSIDE, "Elsewhere", None, None)]
    entry = mf2py.parse(doc=html, url=f"http://localhost/posts/{post['slug']}")["items"][0]
    assert entry["properties"]["photo"] == [{"value": own, "alt": "A blue field"}, {"value": OUTSIDE, "alt": "Elsewhere"}]
    document = lxml.html.fromstring(html)
    assert document.cssselect('meta[property="og:image"]')[0].get("content") == own
    assert json.loads(document.cssselect('script[type="application/ld+json"]')[0].text)["image"] == [own, OUTSIDE]
    listed = lxml.html.fromstring(client.get("/").get_data(as_text=True)).cssselect("article .photos img")
    assert [(img.get("src"), img.get("width"), img.get("loading")) for img in listed] == [
        (own, "120", "lazy"), (OUTSIDE, None, "lazy")]


def test_the_feeds_carry_the_photos(client, auth, own):
    auth.create_post(content="A walk", photos=[{"url": OUTSIDE, "alt": "Elsewhere"}, {"url": own, "alt": "Blue"},
                                               {"url": "https://photos.example/no-extension", "alt": "?"}])
    atom = lxml.etree.fromstring(client.get("/feed.atom").data)
    links = atom.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link")
    assert [(link.get("rel"), link.get("href"), link.get("type"), link.get("title")) for link in links] == [
        (None, "http://localhost/posts/a-walk", None, None),  # alternate, the default
        ("enclosure", OUTSIDE, "image/jpeg", "Elsewhere"), ("enclosure", own, "image/png", "Blue"),
        ("enclosure", "https://photos.example/no-extension", None, "?")]
    entry = feedparser.parse(client.get("/feed.atom").data).entries[0]
    assert [link["href"] for link in entry.links if link["rel"] == "alternate"] == ["http://localhost/posts/a-walk"]
    rss = feedparser.parse(client.get("/feed.rss").data).entries[0]
    assert [(e["href"], e["type"], e["length"]) for e in rss.enclosures] == [(OUTSIDE, "image/jpeg", "0")]
    document = client.get("/feed.json").get_json(force=True)
    spec = client.get("/openapi.json").get_json()
    documented = spec["paths"]["/feed.json"]["get"]["responses"]["200"]["content"]["application/feed+json"]["schema"]
    jsonschema.validate(document, {**documented, "components": spec["components"]})  # as the OpenAPI document says
    item = document["items"][0]
    assert item["image"] == OUTSIDE
    assert item["attachments"] == [{"url": OUTSIDE, "mime_type": "image/jpeg", "title": "Elsewhere"},
                                   {"url": own, "mime_type": "image/png", "title": "Blue"}]


def test_revisions_keep_photos_and_restoring_one_brings_them_back(client, auth, own):
    post = auth.create_post(content="A walk", photos=[{"url": own, "alt": "first"}])
    url = f"/api/v1/admin/posts/{post['id']}"
    client.patch(url, json={"photos": []}, headers=auth.headers)
    revisions = client.get(f"{url}/revisions", headers=auth.headers).get_json()["items"]
    assert [revision["photos"] for revision in revisions] == [[{"url": own, "alt": "first"}], []]
    restored = client.post(f"{url}/revisions/1/restore", headers=auth.headers).get_json()
    assert restored["photos"] == [{"url": own, "alt": "first"}]


def test_export_and_import_carry_photos_and_an_older_export_without_them_imports(client, auth, own):
    post = auth.create_post(content="A walk", photos=[{"url": own, "alt": "kept"}])
    dump = export(client, auth)
    url = f"/api/v1/admin/posts/{post['id']}"
    client.patch(url, json={"photos": []}, headers=auth.headers)
    assert import_(client, auth, dump).status_code == 200
    assert client.get(url, headers=auth.headers).get_json()["photos"] == [{"url": own, "alt": "kept"}]

    older = []
    for line in dump.decode().splitlines():
        record = json.loads(line)
        if record.get("type") in ("post", "revision"):
            record.pop("photos")
            record["id" if record["type"] == "post" else "post_id"] = 99
            record["slug"] = "older" if record["type"] == "post" else record.get("slug")
            record = {name: value for name, value in record.items() if value is not None or name != "slug"}
        older.append(json.dumps(record))
    response = import_(client, auth, "\n".join(older).encode())
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/v1/admin/posts/99", headers=auth.headers).get_json()["photos"] == []


class Counting(http.server.BaseHTTPRequestHandler):
    """A peer on loopback that counts every request made to it."""

    requests = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        Counting.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def test_photo_urls_sent_by_clients_are_stored_never_fetched(client, auth):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Counting.requests = []
        photo = f"http://127.0.0.1:{server.server_port}/photo.png"
        post = auth.create_post(content="A walk", photos=[{"url": photo, "alt": "here"}])
        for path in (f"/posts/{post['slug']}", "/", "/feed.atom", "/feed.rss", "/feed.json",
                     f"/api/v1/posts/{post['id']}", "/tags", "/sitemap.xml"):
            assert client.get(path).status_code == 200
        client.put(f"/api/v1/admin/posts/{post['id']}", json={"content": "A walk", "photos": [{"url": photo}]},
                   headers=auth.headers)
        assert Counting.requests == []
    finally:
        server.shutdown()
        server.server_close()
