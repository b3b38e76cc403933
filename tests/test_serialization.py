"""The hand-built post dumps give exactly what marshmallow would, for every field."""
import json
from datetime import datetime, timedelta

from marshmallow import Schema

from microblog.service import posts
from microblog.service.posts import PostFilter
from microblog.web import schemas


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
    """Admin writes, public reads and problems alike: compact, keys sorted, a final newline."""
    created = client.post("/api/v1/admin/posts", json={"content": "One format", "tags": ["t"]}, headers=auth.headers)
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
        assert text == json.dumps(data, sort_keys=keys_sorted, separators=(",", ":")) + "\n", name
    for feed in ("/feed.atom", "/feed.rss"):
        assert client.get(feed).get_data().endswith(b">\n")
