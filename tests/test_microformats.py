"""Microformats2 on the reading site, as mf2py (the parser webmention receivers, Bridgy and
IndieWeb readers use) reads it: a post page is an h-entry with its author's h-card, a list is an
h-feed of h-entries, and every page names the author in a top-level h-card."""
import mf2py
import pytest

from tests.helpers import admin_client

HOME = "http://localhost/"


def parsed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return mf2py.parse(doc=response.get_data(as_text=True), url=HOME.rstrip("/") + path)


def items_of(document, kind):
    return [item for item in document["items"] if kind in item["type"]]


@pytest.fixture
def site(make_app):
    """A site with a named author, and the admin's login."""
    return admin_client(make_app(SITE_TITLE="River notes", SITE_AUTHOR="Ada Writer"))


def test_a_titled_post_is_an_h_entry_with_every_property(site):
    client, auth = site
    post = auth.create_post(title="On rivers", content="Water *moves*.", tags=["river", "water"],
                            publish_at="2026-01-01T10:00:00Z")
    auth.client.patch(f"/api/v1/admin/posts/{post['id']}", json={"content": "Water *flows*."}, headers=auth.headers)
    document = parsed(client, "/posts/on-rivers")
    [entry] = items_of(document, "h-entry")
    properties = entry["properties"]
    assert properties["name"] == ["On rivers"]
    assert properties["content"][0]["html"].strip() == "<p>Water <em>flows</em>.</p>"
    assert properties["content"][0]["value"].strip() == "Water flows."
    assert properties["url"] == [HOME + "posts/on-rivers"]
    assert properties["category"] == ["river", "water"]
    published, updated = properties["published"][0], properties["updated"][0]
    assert published == "2026-01-01T10:00:00Z" and updated > published
    [author] = properties["author"]
    assert author["type"] == ["h-card"]
    assert author["properties"]["name"] == ["Ada Writer"] and author["properties"]["url"] == [HOME]


def test_an_untitled_post_has_no_name(site):
    client, auth = site
    auth.create_post(content="Just a thought, no title.", slug="thought")
    [entry] = items_of(parsed(client, "/posts/thought"), "h-entry")
    assert "name" not in entry["properties"]
    assert entry["properties"]["content"][0]["value"].strip() == "Just a thought, no title."
    assert "category" not in entry["properties"]


def test_the_home_page_is_an_h_feed_and_names_its_author_in_an_h_card(site):
    client, auth = site
    for n in range(3):
        auth.create_post(content=f"Post {n}", title="Titled" if n == 1 else None, tags=["t"])
    document = parsed(client, "/")
    [feed] = items_of(document, "h-feed")
    assert feed["properties"]["name"] == ["River notes"]
    entries = feed["children"]
    assert [entry["properties"]["content"][0]["value"].strip() for entry in entries] == ["Post 2", "Post 1", "Post 0"]
    assert ["name" in entry["properties"] for entry in entries] == [False, True, False]
    assert all(entry["properties"]["url"][0].startswith(HOME + "posts/") for entry in entries)
    assert all(entry["properties"]["category"] == ["t"] for entry in entries)
    [card] = items_of(document, "h-card")  # top-level: the site's author
    assert card["properties"] == {"name": ["Ada Writer"], "url": [HOME], "uid": [HOME]}
    assert document["rels"]["author"] == [HOME]


def test_tag_and_search_pages_are_h_feeds_too(site):
    client, auth = site
    auth.create_post(content="About rivers", tags=["river"])
    for path, name in (("/tags/river", "Posts tagged river — River notes"),
                       ("/search?q=rivers", "Search: rivers — River notes")):
        [feed] = items_of(parsed(client, path), "h-feed")
        assert feed["properties"]["name"] == [name]
        assert len(feed["children"]) == 1
