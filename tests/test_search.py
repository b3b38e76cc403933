"""Public search (`q`): whole words, tiers (title matches first), order, paging, and changes."""
from datetime import datetime

import pytest

from tests.helpers import assert_problem
from tests.test_public import ids


def test_search_finds_every_word_case_insensitively_title_matches_first(client, auth):
    in_title = auth.create_post(content="Body text", title="All about PEEWEE models")
    in_content = auth.create_post(content="Peewee is a small ORM with models")
    auth.create_post(content="Peewee alone")
    auth.create_post(content="Unrelated")
    auth.create_post(content="Hidden peewee models", visible=False)
    newer_in_content = auth.create_post(content="More on models and peewee")
    assert ids(client.get("/api/v1/posts?q=peewee%20MODELS")) == [
        in_title["id"], newer_in_content["id"], in_content["id"]]


def test_search_matches_whole_words_and_ignores_punctuation(client, auth):
    post = auth.create_post(content="Tested: 100% sure, with e-mail and café")
    auth.create_post(content="100 percent")
    assert ids(client.get("/api/v1/posts?q=sure%20100%25")) == [post["id"]]
    assert ids(client.get("/api/v1/posts?q=mail")) == [post["id"]]
    assert ids(client.get("/api/v1/posts?q=caf%C3%A9")) == [post["id"]]
    assert ids(client.get("/api/v1/posts?q=sur")) == []
    for query in ("%25", "_", "%22", "*", "NEAR", "title%3A", "AND%20OR"):
        response = client.get(f"/api/v1/posts?q={query}")
        assert response.status_code == 200 and ids(response) == [], query


def test_search_combines_with_tag_dates_and_pages(client, auth):
    matching = [auth.create_post(content=f"needle {n}", tags=["t"] if n % 2 else [],
                                 publish_at=f"2026-0{n}-01T00:00:00Z")["id"] for n in range(1, 8)]
    auth.create_post(content="needle", title="needle in title", tags=["t"])
    response = client.get("/api/v1/posts?q=needle&tag=t&since=2026-02-01T00:00:00Z&limit=2")
    seen, body = ids(response), response.get_json()
    while body["next_cursor"]:
        body = client.get(f"/api/v1/posts?q=needle&tag=t&since=2026-02-01T00:00:00Z&limit=2"
                          f"&cursor={body['next_cursor']}").get_json()
        seen += [post["id"] for post in body["items"]]
    title_post = seen[0]
    assert seen[1:] == [matching[6], matching[4], matching[2]]
    assert title_post not in matching


def test_search_follows_edits_hides_and_deletes(client, auth):
    post = auth.create_post(content="original words")
    url = f"/api/v1/admin/posts/{post['id']}"
    assert ids(client.get("/api/v1/posts?q=original")) == [post["id"]]
    client.patch(url, json={"content": "replacement words", "title": "Brand new"}, headers=auth.headers)
    assert ids(client.get("/api/v1/posts?q=original")) == []
    assert ids(client.get("/api/v1/posts?q=replacement")) == [post["id"]]
    assert ids(client.get("/api/v1/posts?q=brand")) == [post["id"]]
    client.patch(url, json={"visible": False}, headers=auth.headers)
    assert ids(client.get("/api/v1/posts?q=replacement")) == []
    client.patch(url, json={"visible": True}, headers=auth.headers)
    client.delete(url, headers=auth.headers)
    assert ids(client.get("/api/v1/posts?q=replacement")) == []
    admin = client.get("/api/v1/admin/posts?q=replacement&deleted=only", headers=auth.headers)
    assert [p["id"] for p in admin.get_json()["items"]] == [post["id"]]
    client.delete(f"{url}?purge=true", headers=auth.headers)
    assert client.get("/api/v1/admin/posts?q=replacement&deleted=include",
                      headers=auth.headers).get_json()["items"] == []


def test_search_orders_each_tier_by_minute_of_publication_then_id(client, auth):
    later = auth.create_post(content="orbit", publish_at="2026-01-01T10:00:59Z")
    same_minute_created_later = auth.create_post(content="orbit", publish_at="2026-01-01T10:00:01Z")
    titled = auth.create_post(content="x", title="Orbit", publish_at="2020-01-01T00:00:00Z")
    older_with_the_highest_id = auth.create_post(content="orbit", publish_at="2026-01-01T09:59:59Z")
    assert ids(client.get("/api/v1/posts?q=orbit")) == [
        titled["id"], same_minute_created_later["id"], later["id"], older_with_the_highest_id["id"]]
    since = ids(client.get("/api/v1/posts?q=orbit&since=2026-01-01T10:00:30Z&until=2026-01-01T10:00:59Z"))
    assert since == [] and ids(client.get("/api/v1/posts?q=orbit&since=2026-01-01T10:00:01Z"
                                          "&until=2026-01-01T10:00:59.000001Z")) == [
        same_minute_created_later["id"], later["id"]]


def test_search_follows_a_change_of_publication_time_listing_the_post_once(app, client, auth):
    first = auth.create_post(content="comet", publish_at="2026-01-01T00:00:00Z")
    second = auth.create_post(content="comet", publish_at="2026-02-01T00:00:00Z")
    response = client.patch(f"/api/v1/admin/posts/{first['id']}", json={"publish_at": "2026-03-01T00:00:00Z"},
                            headers=auth.headers)
    assert response.status_code == 200
    assert ids(client.get("/api/v1/posts?q=comet")) == [first["id"], second["id"]]
    client.patch(f"/api/v1/admin/posts/{first['id']}", json={"publish_at": None, "content": "comet tail"},
                 headers=auth.headers)
    assert ids(client.get("/api/v1/posts?q=comet")) == [first["id"], second["id"]]
    assert ids(client.get("/api/v1/posts?q=tail")) == [first["id"]]
    client.delete(f"/api/v1/admin/posts/{first['id']}", headers=auth.headers)
    client.delete(f"/api/v1/admin/posts/{first['id']}?purge=true", headers=auth.headers)
    assert ids(client.get("/api/v1/posts?q=comet")) == [second["id"]]
    assert client.get("/api/v1/admin/posts?q=comet&deleted=include",
                      headers=auth.headers).get_json()["items"][0]["id"] == second["id"]
    with app.app_context():
        from microblog.data.db import is_sqlite
        if is_sqlite():  # the purged post left no row behind in the index itself
            from microblog.data.models import PostSearch
            from microblog.data.search import search_key
            indexed = [row.rowid for row in PostSearch.select(PostSearch.rowid)]
            assert indexed == [search_key(datetime(2026, 2, 1), second["id"])]


def test_search_pages_cross_from_title_matches_to_the_others(client, auth):
    titled = [auth.create_post(content="x", title=f"Nebula {n}")["id"] for n in range(3)]
    others = [auth.create_post(content=f"nebula {n}")["id"] for n in range(3)]
    seen, url = [], "/api/v1/posts?q=nebula&limit=2"
    while url:
        response = client.get(url)
        seen += ids(response)
        cursor = response.get_json()["next_cursor"]
        url = f"/api/v1/posts?q=nebula&limit=2&cursor={cursor}" if cursor else None
    assert seen == titled[::-1] + others[::-1]


def test_search_reaches_posts_dated_at_either_end_of_the_calendar(client, auth):
    recent = auth.create_post(content="epoch", publish_at="1969-12-31T23:59:30Z")
    ancient = auth.create_post(content="epoch", publish_at="0001-01-01T00:00:00Z")
    distant = auth.create_post(content="epoch", publish_at="9999-12-31T23:59:59Z")
    assert ids(client.get("/api/v1/posts?q=epoch")) == [recent["id"], ancient["id"]]
    admin = client.get("/api/v1/admin/posts?q=epoch&limit=1", headers=auth.headers).get_json()
    assert [p["id"] for p in admin["items"]] == [distant["id"]]
    rest = client.get(f"/api/v1/admin/posts?q=epoch&cursor={admin['next_cursor']}", headers=auth.headers)
    assert [p["id"] for p in rest.get_json()["items"]] == [recent["id"], ancient["id"]]


def test_a_plain_cursor_is_refused_for_a_search_and_the_reverse(client, auth):
    for n in range(3):
        auth.create_post(content=f"word {n}")
    plain = client.get("/api/v1/posts?limit=1").get_json()["next_cursor"]
    searched = client.get("/api/v1/posts?limit=1&q=word").get_json()["next_cursor"]
    assert_problem(client.get(f"/api/v1/posts?limit=1&q=word&cursor={plain}"), 422)
    assert_problem(client.get(f"/api/v1/posts?limit=1&cursor={searched}"), 422)


TRICKY_TEXTS = ["Mail me at user@example.com", "Version 1.2.3 fixes 3.14", "Paths like /usr/bin/python",
                "Élan, école, ÉCOLE", "x² and ½ and ①", "“hello” in curly quotes", "İstanbul trip",
                "ångström units", "snake_case and kebab-case", "<b>bold</b> tags"]
TRICKY_QUERIES = ["user", "example", "com", "user@example.com", "1", "3", "14", "3.14", "1.2.3",
                  "usr", "bin", "python", "élan", "école", "ÉCOLE", "x²", "x", "½", "①", "hello",
                  "istanbul", "i", "stanbul", "ångström", "snake", "case", "kebab", "b", "bold"]


@pytest.mark.parametrize("query", TRICKY_QUERIES)
def test_search_finds_exactly_the_posts_holding_every_word_on_either_backend(client, auth, query):
    from urllib.parse import quote

    from microblog.data.search import words

    posts = [auth.create_post(content=text) for text in TRICKY_TEXTS]
    expected = {p["id"] for p in posts if set(words(query)) <= set(words(p["content"]))}
    assert set(ids(client.get(f"/api/v1/posts?q={quote(query)}"))) == expected


def test_searches_of_one_shape_build_their_sql_once(client, auth, monkeypatch):
    """Search SQL is built once per shape of query (prepared.py), as a list's is: another
    search of the same shape, other words and cursor included, builds none."""
    from microblog.data import pages, prepared

    monkeypatch.setattr(pages, "_prepared", {})  # as a new process starts
    for n in range(3):
        auth.create_post(content=f"apple pear {n}", title="apple pear" if n else None)
    built = []
    original = prepared.PreparedQuery._prepare
    monkeypatch.setattr(prepared.PreparedQuery, "_prepare",
                        lambda self, backend: built.append(backend) or original(self, backend))
    first = client.get("/api/v1/posts?q=apple&limit=1").get_json()
    client.get(f"/api/v1/posts?q=apple&limit=1&cursor={first['next_cursor']}")
    assert built, "the first searches of their shapes build their SQL"
    built.clear()
    again = client.get("/api/v1/posts?q=pear&limit=1").get_json()
    page = client.get(f"/api/v1/posts?q=pear&limit=1&cursor={again['next_cursor']}").get_json()
    assert built == []
    assert [post["content"] for post in again["items"] + page["items"]] == ["apple pear 2", "apple pear 1"]
