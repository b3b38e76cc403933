"""The hand-built post dumps give exactly what marshmallow would, for every field."""
import dataclasses
import json
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup
from marshmallow import Schema
from werkzeug.datastructures import MultiDict

from microblog.service import posts
from microblog.service.posts import PostFilter
from microblog.web import schemas
from microblog.web.json_text import json_bytes


def test_post_dumps_match_marshmallow_for_every_kind_of_post(app, auth, client):
    auth.create_post(content="plain")
    auth.create_post(content="**all of it**", title="Título", tags=["b", "a"], slug="every-field")
    auth.create_post(content="later", publish_at="2999-01-01T00:00:00.5+02:00", visible=False)
    edited = auth.create_post(content="to edit", tags=["x"])
    client.patch(f"/api/v1/admin/posts/{edited['id']}", json={"content": "edited"}, headers=auth.headers)
    deleted = auth.create_post(content="to delete")
    client.delete(f"/api/v1/admin/posts/{deleted['id']}", headers=auth.headers)
    with app.app_context():
        stored = posts.list_admin(PostFilter(limit=10, deleted="include")).items
        assert [post.content for post in stored] == ["later", "to delete", "edited", "**all of it**", "plain"]
        assert stored[3].tags == ["b", "a"] and stored[3].title == "Título"
        for schema in (schemas.Post(), schemas.AdminPost()):
            for post in stored:
                assert schema.dump(post) == Schema.dump(schema, post)
                assert set(schema.dump(post)) == set(schema.fields)
            assert schema.dump(stored, many=True) == Schema.dump(schema, stored, many=True)
            assert schemas.PostPage().dump({"items": stored, "next_cursor": None})["items"] == \
                Schema.dump(schemas.Post(), stored, many=True)


def test_post_dumps_match_marshmallow_on_unsaved_values():
    moment = datetime(2026, 1, 2, 3, 4, 5)

    class Loose:
        id, content, content_format, content_html, title, slug = 7, "c", "markdown", "<p>c</p>", None, "c"
        extra_properties = {"syndication": ["https://elsewhere.example/1"]}
        tags, visible, publish_at, created = ("t",), True, None, moment
        photos = [{"url": "https://photos.example/a.jpg", "alt": "A"}]
        edited, deleted = moment + timedelta(microseconds=1), moment

    for schema in (schemas.Post(), schemas.AdminPost(), schemas.Post(only=["id"])):
        assert schema.dump(Loose()) == Schema.dump(schema, Loose())


def test_every_json_answer_has_one_format_and_ends_with_a_newline(client, auth):
    """Admin writes, public reads and problems alike: compact, keys sorted, UTF-8 (no \\u
    escapes), a final newline."""
    created = client.post("/api/v1/admin/posts", json={"content": "One format — “ü” 𝄞 \u2028", "tags": ["t"]},
                          headers=auth.headers)
    answers = {
        "admin write": created,
        "admin read": client.get(f"/api/v1/admin/posts/{created.get_json()['id']}", headers=auth.headers),
        "public read": client.get(f"/api/v1/posts/{created.get_json()['id']}"),
        "public list": client.get("/api/v1/posts"),
        "problem": client.get("/api/v1/posts/999999"),
        "JSON Feed": client.get("/feed.json"),
    }
    for name, response in answers.items():
        text = response.get_data(as_text=True)
        data = json.loads(text)
        keys_sorted = name != "JSON Feed"  # the spec's order: version first
        assert text == json.dumps(data, sort_keys=keys_sorted, separators=(",", ":"), ensure_ascii=False) + "\n", name
        if name != "problem":
            assert "One format — “ü” 𝄞" in text, name  # as it is, not escaped
    for feed in ("/feed.atom", "/feed.rss"):
        assert client.get(feed).get_data().endswith(b">\n")


def test_page_dumps_match_marshmallow(app, auth):
    for number in range(3):
        auth.create_post(content=f"post {number}", tags=["t"] if number else [])
    with app.app_context():
        public, admin = posts.list_public(PostFilter(limit=10)).items, posts.list_admin(PostFilter(limit=10)).items
        for schema, items in ((schemas.PostPage(), public), (schemas.AdminPostPage(), admin)):
            for page in ({"items": items, "next_cursor": "abc"}, {"items": items, "next_cursor": None},
                         {"items": [], "next_cursor": None}):
                assert schema.dump(page) == Schema.dump(schema, page)


def test_every_post_in_a_public_list_is_its_own_read(client, auth):
    """A list reads only what readers are shown of a post: each of its items is byte for byte
    the post's own answer, whatever the post holds; hidden, scheduled and deleted posts are in neither."""
    photo = {"url": "https://photos.example/%C3%BC.jpg", "alt": "Ä \"quoted\" <alt>"}
    made = [
        auth.create_post(content="plain"),
        auth.create_post(content="**Ünïcödé** — ✓ 𝄞 <script>x</script>", title="Título “quoted”", tags=["b", "a"]),
        auth.create_post(content="with a photo", photos=[photo], tags=["x-1"]),
        auth.create_post(content="<p>HTML <em>kept</em></p>", content_format="html", slug="from-html"),
        auth.create_post(content="scheduled", publish_at="2999-01-01T00:00:00Z"),
        auth.create_post(content="hidden", visible=False),
        auth.create_post(content="published before", publish_at="2020-02-03T04:05:06.5+02:00", tags=["t"]),
    ]
    edited = auth.create_post(content="to edit", tags=["e"])
    client.patch(f"/api/v1/admin/posts/{edited['id']}", json={"content": "edited", "title": "Now titled"},
                 headers=auth.headers)
    deleted = auth.create_post(content="to delete")
    client.delete(f"/api/v1/admin/posts/{deleted['id']}", headers=auth.headers)
    token = client.post("/api/v1/admin/tokens", json={"client_id": "https://app.example/", "scope": "create"},
                        headers=auth.headers).get_json()["access_token"]
    micropub = client.post("/micropub", json={"type": ["h-entry"], "properties": {  # kept properties too
        "content": ["from Micropub"], "category": ["m"], "syndication": ["https://elsewhere.example/1"]}},
        headers={"Authorization": f"Bearer {token}"})
    assert micropub.status_code == 201, micropub.get_data(as_text=True)
    shown = set()
    for query in ("limit=3", "tag=t", "tag=a", "q=edited", "q=photo", "limit=100"):
        listed = client.get(f"/api/v1/posts?{query}")
        assert listed.status_code == 200
        cursor, pages = listed.get_json()["next_cursor"], [listed.get_json()]
        while cursor:
            pages.append(client.get(f"/api/v1/posts?{query}&cursor={cursor}").get_json())
            cursor = pages[-1]["next_cursor"]
        for item in (item for page in pages for item in page["items"]):
            own = client.get(f"/api/v1/posts/{item['id']}")
            assert json_bytes(item) == own.get_data()
            shown.add(item["id"])
    public = {post["id"] for post in made if post["content"] not in ("scheduled", "hidden")} | {edited["id"]}
    assert public <= shown and not shown & {made[4]["id"], made[5]["id"], deleted["id"]}


def test_what_orjson_refuses_is_written_by_the_standard_library():
    """A lone surrogate or an integer beyond 64 bits still makes JSON, escaped as json.dumps escapes it."""
    for data in ({"b": "lone \ud800", "a": 1}, {"n": 2 ** 70}, ["ü", "\udfff"]):
        assert json_bytes(data) == (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()
    assert json_bytes({"b": "ü", "a": 1}) == '{"a":1,"b":"ü"}\n'.encode()


def test_the_json_answers_write_every_type_flasks_provider_knows_as_it_did(app):
    """Datetimes, dates, Decimals, UUIDs, dataclasses, Markup and a MultiDict come out as Flask's
    own provider writes them (ASCII values here: the one difference is UTF-8)."""
    @dataclasses.dataclass
    class Point:
        x: int
        label: str

    flasks = DefaultJSONProvider(app)
    values = {"when": datetime(2026, 1, 2, 3, 4, 5), "day": date(2026, 1, 2), "amount": Decimal("1.10"),
              "uuid": uuid.UUID(int=7), "point": Point(1, "a"), "markup": Markup("<b>x</b>"),
              "multidict": MultiDict([("a", "1"), ("a", "2")]), "many": (1, "two", None, True, 2.5)}
    with app.app_context():
        for name, value in values.items():
            assert app.json.response(value).get_data() == flasks.response(value).get_data(), name
        assert app.json.response(values).get_data() == flasks.response(values).get_data()
