"""Micropub through HTTP: micropub.rocks' server cases by number, then bad input, then the
post as every other surface shows it. Tokens are app tokens minted by the admin API."""
import io
import json
import os
import threading

import pytest
from PIL import Image
from werkzeug.datastructures import MultiDict

from microblog.service.micropub import UPDATE_ATTEMPTS
from tests.helpers import admin_client, mint_token

POST_SCOPES = "create update delete media"
PHOTO_URL = "https://photos.example.com/592829482876343254.jpg"


@pytest.fixture
def token(client, auth):
    """A token with every Micropub scope."""
    return mint_token(client, auth, POST_SCOPES)


@pytest.fixture
def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def image(kind, size=(4, 3), color="red"):
    """A small image of this Pillow format, as bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


def create_form(client, bearer, data, **kwargs):
    response = client.post("/micropub", data=data, headers=bearer, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.headers["Location"]


def create_json(client, bearer, properties, **extra):
    response = client.post("/micropub", json={"type": ["h-entry"], "properties": properties, **extra},
                           headers=bearer)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.headers["Location"]


def source(client, bearer, url, *names):
    query = "".join(f"&properties[]={name}" for name in names)
    response = client.get(f"/micropub?q=source&url={url}{query}", headers=bearer)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def admin_post(client, auth, location):
    """The post at this Location as the admin API shows it."""
    slug = location.rsplit("/", 1)[1]
    found = [post for post in client.get("/api/v1/admin/posts?deleted=include&limit=100", headers=auth.headers)
             .get_json()["items"] if post["slug"] == slug]
    assert len(found) == 1, slug
    return found[0]


def update(client, bearer, location, **operations):
    return client.post("/micropub", json={"action": "update", "url": location, **operations}, headers=bearer)


def post_count(client, auth):
    return len(client.get("/api/v1/admin/posts?deleted=include&limit=100", headers=auth.headers).get_json()["items"])


def assert_micropub_error(response, status, error):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == error, body
    assert body["error_description"]
    assert response.headers["Cache-Control"] == "no-store"
    return body


# 100–107: form-encoded creates


def test_100_form_create_answers_201_with_the_post_pages_absolute_url(client, auth, bearer):
    location = create_form(client, bearer, {"h": "entry", "content": "Hello World"})
    assert location.startswith("http://localhost/posts/")
    page = client.get(location)
    assert page.status_code == 200 and "Hello World" in page.get_data(as_text=True)
    post = admin_post(client, auth, location)
    assert post["content"] == "Hello World" and post["content_format"] == "markdown"


def test_create_without_h_is_an_entry(client, auth, bearer):
    location = create_form(client, bearer, {"content": "No type given"})
    assert admin_post(client, auth, location)["content"] == "No type given"


def test_101_form_categories_with_brackets_become_tags(client, auth, bearer):
    location = create_form(client, bearer, MultiDict([("h", "entry"), ("content", "Tagged"), ("category[]", "foo"),
                                                      ("category[]", "bar")]))
    assert admin_post(client, auth, location)["tags"] == ["foo", "bar"]


def test_104_form_photo_by_url_is_stored_not_fetched(client, auth, bearer):
    location = create_form(client, bearer, {"h": "entry", "content": "A photo", "photo": PHOTO_URL})
    assert admin_post(client, auth, location)["photos"] == [{"url": PHOTO_URL, "alt": ""}]
    assert source(client, bearer, location, "photo")["properties"]["photo"] == [PHOTO_URL]
    assert f'src="{PHOTO_URL}"' in client.get(location).get_data(as_text=True)


def test_107_a_single_category_without_brackets(client, auth, bearer):
    location = create_form(client, bearer, {"h": "entry", "content": "One tag", "category": "foo"})
    assert admin_post(client, auth, location)["tags"] == ["foo"]


# 200–206: JSON creates


def test_200_json_create(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["Hello World"]})
    assert admin_post(client, auth, location)["content"] == "Hello World"


def test_ia_writer_plain_string_values_are_taken_as_one_value(client, auth, bearer):
    location = create_json(client, bearer, {"content": "Plain string", "name": "A title", "category": "writing"})
    post = admin_post(client, auth, location)
    assert (post["content"], post["title"], post["tags"]) == ("Plain string", "A title", ["writing"])


def test_201_json_categories(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["Two tags"], "category": ["foo", "bar"]})
    assert admin_post(client, auth, location)["tags"] == ["foo", "bar"]


def test_202_html_content_is_kept_as_sanitized_html_and_shown_as_such(client, auth, bearer):
    html = '<p>This post has <b>bold</b> and <i>italic</i> text.</p><script>alert(1)</script>'
    location = create_json(client, bearer, {"content": [{"html": html}]})
    post = admin_post(client, auth, location)
    assert post["content_format"] == "html"
    assert post["content_html"] == "<p>This post has <b>bold</b> and <i>italic</i> text.</p>"
    assert "<b>bold</b> and <i>italic</i>" in client.get(location).get_data(as_text=True)
    assert source(client, bearer, location, "content")["properties"]["content"] == [
        {"html": "<p>This post has <b>bold</b> and <i>italic</i> text.</p>"}]


def test_203_json_photo_by_url(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["Photo"], "photo": [PHOTO_URL]})
    assert admin_post(client, auth, location)["photos"] == [{"url": PHOTO_URL, "alt": ""}]


def test_204_a_nested_h_card_is_kept_and_returned(client, auth, bearer):
    checkin = {"type": ["h-card"], "properties": {"name": ["Los Gorditos"], "latitude": [45.524330801154],
                                                  "url": ["https://foursquare.com/v/502c4bbde4b06e61e06d1ebf"]}}
    location = create_json(client, bearer, {"content": ["Lunch meeting"], "checkin": [checkin]})
    assert source(client, bearer, location)["properties"]["checkin"] == [checkin]


def test_205_photo_with_alt_text(client, auth, bearer):
    photo = {"value": "https://photos.example.com/globe.gif", "alt": "Spinning globe animation"}
    location = create_json(client, bearer, {"content": ["Globe"], "photo": [photo]})
    assert admin_post(client, auth, location)["photos"] == [{"url": photo["value"], "alt": photo["alt"]}]
    assert source(client, bearer, location, "photo")["properties"]["photo"] == [photo]
    assert 'alt="Spinning globe animation"' in client.get(location).get_data(as_text=True)


def test_206_two_photos(client, auth, bearer):
    photos = ["https://photos.example.com/1.jpg", "https://photos.example.com/2.jpg"]
    location = create_json(client, bearer, {"content": ["Two"], "photo": photos})
    assert [photo["url"] for photo in admin_post(client, auth, location)["photos"]] == photos


# 300–301: multipart with photos


def test_300_multipart_photo_goes_to_media_storage(client, auth, bearer):
    location = create_form(client, bearer, {"h": "entry", "content": "Nice image above!",
                                            "photo": (io.BytesIO(image("JPEG")), "photo.jpg", "image/jpeg")},
                           content_type="multipart/form-data")
    (photo,) = admin_post(client, auth, location)["photos"]
    served = client.get(photo["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_301_multipart_photos_with_brackets(client, auth, bearer):
    files = [(io.BytesIO(image("JPEG")), "one.jpg", "image/jpeg"), (io.BytesIO(image("PNG")), "two.png", "image/png")]
    location = create_form(client, bearer, {"h": "entry", "content": "Two images", "photo[]": files},
                           content_type="multipart/form-data")
    photos = admin_post(client, auth, location)["photos"]
    assert [client.get(photo["url"]).mimetype for photo in photos] == ["image/jpeg", "image/png"]


def test_a_text_file_as_a_photo_stores_nothing(client, auth, bearer):
    response = client.post("/micropub", data={"content": "Not an image",
                                              "photo": (io.BytesIO(b"just text"), "a.png", "image/png")},
                           headers=bearer, content_type="multipart/form-data")
    assert response.status_code in (400, 415)
    assert response.get_json()["error"] == "invalid_request"
    assert post_count(client, auth) == 0


# 400–405: updates


def test_400_replace_content_makes_a_revision_and_moves_updated(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["hello world"]})
    before = admin_post(client, auth, location)
    modified = client.get("/feed.json").get_json(force=True)["items"][0]["date_modified"]
    response = update(client, bearer, location, replace={"content": ["hello moon"]})
    assert response.status_code == 204, response.get_data(as_text=True)
    after = admin_post(client, auth, location)
    assert after["content"] == "hello moon" and after["edited"] is not None
    revisions = client.get(f"/api/v1/admin/posts/{after['id']}/revisions", headers=auth.headers).get_json()
    assert [revision["content"] for revision in revisions["items"]] == ["hello world", "hello moon"]
    changes = client.get("/api/v1/admin/changes", headers=auth.headers).get_json()["items"]
    assert [change["action"] for change in changes if change["post_id"] == before["id"]] == ["create", "update"]
    assert "hello moon" in client.get(location).get_data(as_text=True)
    assert client.get("/feed.json").get_json(force=True)["items"][0]["date_modified"] > modified


def test_401_add_a_category(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["x"], "category": ["foo", "bar"]})
    assert update(client, bearer, location, add={"category": ["micropub"]}).status_code == 204
    assert admin_post(client, auth, location)["tags"] == ["foo", "bar", "micropub"]


def test_402_add_a_property_the_post_lacked(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["x"]})
    assert update(client, bearer, location, add={"category": ["micropub"],
                                                 "syndication": ["https://archive.example/1"]}).status_code == 204
    assert admin_post(client, auth, location)["tags"] == ["micropub"]
    assert source(client, bearer, location, "syndication")["properties"] == {
        "syndication": ["https://archive.example/1"]}


def test_403_delete_a_value(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["x"], "category": ["foo", "bar"]})
    assert update(client, bearer, location, delete={"category": ["foo"]}).status_code == 204
    assert admin_post(client, auth, location)["tags"] == ["bar"]


def test_404_delete_a_property(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["x"], "category": ["foo", "bar"]})
    assert update(client, bearer, location, delete=["category"]).status_code == 204
    assert admin_post(client, auth, location)["tags"] == []
    assert "category" not in source(client, bearer, location)["properties"]


def test_concurrent_adds_all_land(app, client, auth, bearer):
    """Updates read the properties, change them and write them back: one that lost the race
    reads again, so no add is lost (and none fails)."""
    location = create_json(client, bearer, {"content": ["x"]})
    names = [f"tag{n}" for n in range(UPDATE_ATTEMPTS)]  # at most UPDATE_ATTEMPTS - 1 others win first
    barrier, answers = threading.Barrier(len(names)), []

    def add(name):
        own = app.test_client()
        barrier.wait()
        answers.append(update(own, bearer, location, add={"category": [name]}).status_code)

    threads = [threading.Thread(target=add, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [204] * len(names)
    assert sorted(admin_post(client, auth, location)["tags"]) == names


@pytest.mark.parametrize("operations", [
    {"replace": "content"}, {"replace": ["content"]}, {"replace": {"content": "hello moon"}},
    {"add": {"category": "foo"}}, {"delete": "category"}, {"delete": [["category"]]}, {},
])
def test_405_an_update_that_is_not_objects_of_arrays_is_refused(client, auth, bearer, operations):
    location = create_json(client, bearer, {"content": ["hello world"]})
    assert_micropub_error(update(client, bearer, location, **operations), 400, "invalid_request")
    assert admin_post(client, auth, location)["content"] == "hello world"


@pytest.mark.parametrize("url", ["http://localhost/posts/nothing-here", "https://elsewhere.example/posts/x",
                                 "http://localhost/tags/x", "not a url", ""])
def test_update_of_an_unknown_url_is_invalid_request(client, bearer, url):
    assert_micropub_error(update(client, bearer, url, replace={"content": ["x"]}), 400, "invalid_request")


def test_update_keeps_the_admin_apis_rules(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["x"]})
    assert_micropub_error(update(client, bearer, location, delete=["content"]), 400, "invalid_request")
    client.post("/micropub", data={"action": "delete", "url": location}, headers=bearer)
    assert_micropub_error(update(client, bearer, location, replace={"content": ["y"]}), 400, "invalid_request")
    assert admin_post(client, auth, location)["content"] == "x"


def test_an_update_is_an_admin_api_update(client, auth, bearer):
    """Title, draft, schedule and html content through Micropub, as the admin API then sees them."""
    location = create_json(client, bearer, {"content": ["x"]})
    response = update(client, bearer, location, replace={"name": ["Now titled"], "post-status": ["draft"],
                                                         "published": ["2099-01-01T00:00:00Z"],
                                                         "content": [{"html": "<em>em</em>"}]})
    assert response.status_code == 204, response.get_data(as_text=True)
    post = admin_post(client, auth, location)
    assert (post["title"], post["visible"], post["publish_at"]) == ("Now titled", False, "2099-01-01T00:00:00.000000Z")
    assert (post["content"], post["content_format"], post["content_html"]) == ("<em>em</em>", "html", "<em>em</em>")
    assert client.get(location).status_code == 404


# 500–503: delete and undelete


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_500_to_503_delete_then_undelete(client, auth, bearer, as_json):
    location = create_json(client, bearer, {"content": ["Soon gone"]})

    def act(action):
        body = {"action": action, "url": location}
        return client.post("/micropub", **({"json": body} if as_json else {"data": body}), headers=bearer)

    assert act("delete").status_code == 204
    assert client.get(location).status_code == 410
    assert admin_post(client, auth, location)["deleted"] is not None
    assert act("undelete").status_code == 204
    assert client.get(location).status_code == 200
    assert admin_post(client, auth, location)["deleted"] is None


# 600–603: queries


def test_600_config(client, bearer):
    response = client.get("/micropub?q=config", headers=bearer)
    assert response.status_code == 200
    config = response.get_json()
    assert config["media-endpoint"] == "http://localhost/micropub/media"
    assert config["syndicate-to"] == []
    assert set(config["q"]) == {"config", "syndicate-to", "source"}


def test_601_syndicate_to(client, bearer):
    response = client.get("/micropub?q=syndicate-to", headers=bearer)
    assert response.status_code == 200 and response.get_json() == {"syndicate-to": []}


def test_602_source_has_the_type_and_every_property(client, bearer):
    location = create_json(client, bearer, {"content": ["Hello"], "name": ["Title"], "category": ["foo"],
                                            "published": ["2020-01-02T03:04:05-08:00"]})
    found = source(client, bearer, location)
    assert found["type"] == ["h-entry"]
    properties = found["properties"]
    assert properties["content"] == ["Hello"] and properties["name"] == ["Title"]
    assert properties["category"] == ["foo"]
    assert properties["published"] == ["2020-01-02T11:04:05Z"]
    assert properties["url"] == [location]


def test_603_source_filtered_by_properties(client, bearer):
    location = create_json(client, bearer, {"content": ["Hello"], "category": ["foo", "bar"]})
    assert source(client, bearer, location, "category", "published")["properties"].keys() == {"category", "published"}
    single = client.get(f"/micropub?q=source&properties=content&url={location}", headers=bearer).get_json()
    assert single == {"properties": {"content": ["Hello"]}}


@pytest.mark.parametrize("query", ["", "?q=nothing", "?q=source", "?q=source&url=http://localhost/posts/none"])
def test_a_query_that_cannot_be_answered_is_invalid_request(client, bearer, query):
    assert_micropub_error(client.get(f"/micropub{query}", headers=bearer), 400, "invalid_request")


# 700–702: the media endpoint


@pytest.mark.parametrize(("kind", "mimetype"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif")])
def test_700_to_702_media_upload(client, bearer, kind, mimetype):
    endpoint = client.get("/micropub?q=config", headers=bearer).get_json()["media-endpoint"]
    response = client.post(endpoint, data={"file": (io.BytesIO(image(kind)), "upload.bin", "application/octet-stream")},
                           headers=bearer, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    served = client.get(response.headers["Location"])
    assert served.status_code == 200 and served.mimetype == mimetype


def test_a_create_token_may_upload_media_and_a_media_token_may_not_create(client, auth):
    files = {"file": (io.BytesIO(image("PNG")), "a.png", "image/png")}
    creator = {"Authorization": f"Bearer {mint_token(client, auth, 'create')}"}
    assert client.post("/micropub/media", data=files, headers=creator,
                       content_type="multipart/form-data").status_code == 201
    media_only = {"Authorization": f"Bearer {mint_token(client, auth, 'media')}"}
    assert_micropub_error(client.post("/micropub", data={"content": "x"}, headers=media_only),
                          401, "insufficient_scope")


# 800–805: authentication and scope


def test_800_token_in_the_header(client, auth, bearer):
    create_form(client, bearer, {"content": "header"})
    assert post_count(client, auth) == 1


def test_801_token_in_the_body(client, auth, token):
    response = client.post("/micropub", data={"content": "body token", "access_token": token})
    assert response.status_code == 201


def test_802_the_access_token_is_never_stored(client, auth, token, bearer):
    response = client.post("/micropub", data={"content": "body token", "access_token": token, "mp-slug": "kept-out"})
    location = response.headers["Location"]
    properties = source(client, bearer, location)["properties"]
    assert "access_token" not in properties and "mp-slug" not in properties
    assert token not in json.dumps(properties)
    export = client.get("/api/v1/admin/export", headers=auth.headers)
    assert token not in export.get_data(as_text=True)


def test_803_no_token_is_unauthorized(client, auth):
    assert_micropub_error(client.post("/micropub", data={"content": "x"}), 401, "unauthorized")
    assert_micropub_error(client.get("/micropub?q=config"), 401, "unauthorized")
    assert_micropub_error(client.post("/micropub", data={"content": "x"},
                                      headers={"Authorization": "Bearer not-a-token"}), 401, "unauthorized")
    assert post_count(client, auth) == 0


def test_804_a_token_without_the_scope_is_insufficient_scope(client, auth):
    reader = {"Authorization": f"Bearer {mint_token(client, auth, 'update')}"}
    assert_micropub_error(client.post("/micropub", data={"content": "x"}, headers=reader), 401, "insufficient_scope")
    assert post_count(client, auth) == 0


def test_805_a_token_in_both_places_is_invalid_request(client, auth, token, bearer):
    response = client.post("/micropub", data={"content": "x", "access_token": token}, headers=bearer)
    assert_micropub_error(response, 400, "invalid_request")
    assert post_count(client, auth) == 0


def test_the_admin_apis_jwt_does_not_work_at_micropub(client, auth):
    assert_micropub_error(client.post("/micropub", data={"content": "x"}, headers=auth.headers), 401, "unauthorized")


def test_a_revoked_token_stops_at_once(client, auth, token, bearer):
    (listed,) = client.get("/api/v1/admin/tokens", headers=auth.headers).get_json()["items"]
    assert client.delete(f"/api/v1/admin/tokens/{listed['id']}", headers=auth.headers).status_code == 204
    assert_micropub_error(client.post("/micropub", data={"content": "x"}, headers=bearer), 401, "unauthorized")


def test_the_old_post_scope_counts_as_create(client, auth):
    legacy = {"Authorization": f"Bearer {mint_token(client, auth, 'post')}"}
    assert client.post("/micropub", data={"content": "x"}, headers=legacy).status_code == 201


# The extensions and the mapping of properties


def test_future_published_schedules_and_draft_hides(client, auth, bearer):
    scheduled = create_json(client, bearer, {"content": ["later"], "published": ["2099-06-01T09:00:00+02:00"]})
    post = admin_post(client, auth, scheduled)
    assert post["publish_at"] == "2099-06-01T07:00:00.000000Z" and post["visible"]
    assert client.get(scheduled).status_code == 404
    draft = create_form(client, bearer, {"content": "hidden", "post-status": "draft"})
    assert admin_post(client, auth, draft)["visible"] is False
    assert client.get(draft).status_code == 404
    assert client.get("/api/v1/posts").get_json()["items"] == []


def test_mp_slug_is_a_hint_made_unique(client, bearer):
    first = create_form(client, bearer, {"content": "one", "mp-slug": "My Trip!"})
    second = create_json(client, bearer, {"content": ["two"], "mp-slug": ["my-trip"]})
    assert first.endswith("/posts/my-trip") and second.endswith("/posts/my-trip-2")


@pytest.mark.parametrize(("sent", "tags"), [
    (["Hello World", "ÜBER", "indieweb"], ["hello-world", "uber", "indieweb"]),
    (["日本語", "---", " "], []),
    (["x" * 80, "A_B"], ["x" * 50, "a-b"]),
    (["Same", "same", "SAME"], ["same"]),
    ([5, {"type": ["h-card"], "properties": {"name": ["Alice"], "url": ["https://alice.example/"]}}, ["x"], None, True],
     ["5", "alice"]),
])
def test_any_category_is_accepted_normalised_into_tags_and_returned_as_sent(client, auth, bearer, sent, tags):
    location = create_json(client, bearer, {"content": ["x"], "category": sent})
    assert admin_post(client, auth, location)["tags"] == tags
    assert source(client, bearer, location, "category")["properties"]["category"] == sent


def test_categories_follow_tags_the_admin_api_changed(client, auth, bearer):
    location = create_json(client, bearer, {"content": ["x"], "category": ["Hello World"]})
    post = admin_post(client, auth, location)
    client.patch(f"/api/v1/admin/posts/{post['id']}", json={"tags": ["other"]}, headers=auth.headers)
    assert source(client, bearer, location, "category")["properties"]["category"] == ["other"]


def test_more_categories_than_tags_allowed_is_the_one_400(client, auth, bearer):
    response = client.post("/micropub", json={"properties": {"content": ["x"], "category": [str(n) for n in range(11)]}},
                           headers=bearer)
    assert_micropub_error(response, 400, "invalid_request")
    assert post_count(client, auth) == 0


def test_idempotency_key_replays_the_first_create(client, auth, bearer):
    headers = {**bearer, "Idempotency-Key": "mp-1"}
    first = client.post("/micropub", data={"content": "once"}, headers=headers)
    again = client.post("/micropub", data={"content": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Location"] == first.headers["Location"] and again.headers["Idempotent-Replayed"] == "true"
    assert post_count(client, auth) == 1
    other = client.post("/micropub", data={"content": "another"}, headers=headers)
    assert_micropub_error(other, 400, "invalid_request")
    assert post_count(client, auth) == 1


# Bad input: a clear 4xx, nothing stored


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b'{"properties": {"content": ["x"]}', "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"properties": {"content": [NaN]}}', "application/json", 400),
    (b'{"properties": ["content"]}', "application/json", 400),
    (b'{"type": ["h-card"], "properties": {"content": ["x"]}}', "application/json", 400),
    (b'{"type": 7, "properties": {"content": ["x"]}}', "application/json", 400),
    (b'{"properties": {"content": [{"nothing": 1}]}}', "application/json", 400),
    (b'{"properties": {"content": ["a", "b"]}}', "application/json", 400),
    (b'{"properties": {"name": ["x"]}}', "application/json", 400),
    (b'{"properties": {"content": ["x"], "published": ["yesterday"]}}', "application/json", 400),
    (b'{"properties": {"content": ["x"], "post-status": ["secret"]}}', "application/json", 400),
    (b'{"properties": {"content": ["x"], "photo": ["javascript:alert(1)"]}}', "application/json", 400),
    ('{"properties": {"content": ["x"], "photo": ["https://󰴫"]}}'.encode(), "application/json", 400),
    (b'{"properties": {"content": ["x"], "photo": [{"value": "https://a.example/p.jpg", "alt": 5}]}}',
     "application/json", 400),
    (b'{"properties": {"content": ["\\u0000"]}}', "application/json", 400),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    (b"content=hello", "text/plain", 415),
    (b"content=hello", "", 415),
    (b"content=%FF%FE", "application/x-www-form-urlencoded", 400),
    (b"h=entry&h=card&content=x", "application/x-www-form-urlencoded", 400),
    (b"action=update&url=x", "application/x-www-form-urlencoded", 400),
    (b"action=explode&url=x", "application/x-www-form-urlencoded", 400),
])
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(client, auth, bearer, body, content_type, status):
    response = client.post("/micropub", data=body, headers={**bearer, "Content-Type": content_type})
    assert_micropub_error(response, status, "invalid_request")
    assert post_count(client, auth) == 0


def test_deep_nesting_in_a_kept_property_is_refused(client, auth, bearer):
    nested = "x"
    for _ in range(20):
        nested = {"properties": {"inner": [nested]}}
    response = client.post("/micropub", json={"properties": {"content": ["x"], "deep": [nested]}}, headers=bearer)
    assert_micropub_error(response, 400, "invalid_request")
    assert post_count(client, auth) == 0


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_ten_thousand_categories_are_refused(client, auth, bearer, as_json):
    categories = [f"tag{n}" for n in range(10_000)]
    if as_json:
        response = client.post("/micropub", json={"properties": {"content": ["x"], "category": categories}},
                               headers=bearer)
    else:
        response = client.post("/micropub", data=MultiDict([("content", "x")] + [("category[]", c) for c in categories]),
                               headers=bearer)
    assert response.status_code in (400, 413)
    assert response.get_json()["error"] == "invalid_request"
    assert post_count(client, auth) == 0


def test_an_oversized_body_is_413(client, auth, bearer):
    response = client.post("/micropub", json={"properties": {"content": ["x" * (2 * 1024 * 1024)]}}, headers=bearer)
    assert_micropub_error(response, 413, "invalid_request")
    assert post_count(client, auth) == 0


def test_content_longer_than_max_post_length_is_refused(client, auth, bearer):
    response = client.post("/micropub", data={"content": "x" * 5001}, headers=bearer)
    assert_micropub_error(response, 400, "invalid_request")
    assert post_count(client, auth) == 0


def test_html_that_sanitizes_to_nothing_is_refused(client, auth, bearer):
    response = client.post("/micropub", json={"properties": {"content": [{"html": "<script>x</script>"}]}},
                           headers=bearer)
    assert_micropub_error(response, 400, "invalid_request")
    assert post_count(client, auth) == 0


# One post, one service: every surface shows what Micropub made


def test_the_post_is_the_same_through_every_surface(client, auth, bearer):
    location = create_json(client, bearer, {"content": [{"html": "<p>Seen <strong>everywhere</strong></p>"}],
                                            "name": ["Everywhere"], "category": ["Same Post"],
                                            "photo": [{"value": PHOTO_URL, "alt": "A view"}]})
    post = admin_post(client, auth, location)
    public = client.get(f"/api/v1/posts/{post['id']}").get_json()
    assert {name: public[name] for name in ("title", "tags", "content_html", "photos")} == {
        "title": "Everywhere", "tags": ["same-post"], "content_html": "<p>Seen <strong>everywhere</strong></p>",
        "photos": [{"url": PHOTO_URL, "alt": "A view"}]}
    assert {name: post[name] for name in public} == public
    page = client.get(location).get_data(as_text=True)
    assert "<strong>everywhere</strong>" in page and 'alt="A view"' in page
    feed = client.get("/feed.json").get_json(force=True)
    (item,) = feed["items"]
    assert item["content_html"].startswith("<p>Seen <strong>everywhere</strong></p>") and item["title"] == "Everywhere"
    assert [p["id"] for p in client.get("/api/v1/posts?q=everywhere").get_json()["items"]] == [post["id"]]
    (change,) = client.get("/api/v1/admin/changes", headers=auth.headers).get_json()["items"]
    assert change["post"] == post
    export = [json.loads(line) for line in client.get("/api/v1/admin/export", headers=auth.headers)
              .get_data(as_text=True).splitlines()]
    (record,) = [line for line in export if line.get("type") == "post"]
    assert record["content_format"] == "html" and record["photos"] == post["photos"]
    assert record["extra_properties"] == {"category": ["Same Post"]}


def test_a_multipart_create_is_held_to_max_micropub_bytes(make_app):
    client, auth = admin_client(make_app(MAX_MICROPUB_BYTES=300_000, MAX_CONTENT_LENGTH=10_000))
    bearer = {"Authorization": f"Bearer {mint_token(client, auth, 'create')}"}
    buffer = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(buffer, "PNG")
    photo = buffer.getvalue()
    assert 10_000 < len(photo) < 300_000
    noise = b"\0" * 350_000

    def send(extra):
        return client.post("/micropub", data={"content": "sized", "photo": (io.BytesIO(photo), "p.png", "image/png"),
                                              **extra}, headers=bearer, content_type="multipart/form-data")

    assert send({}).status_code == 201  # larger than MAX_CONTENT_LENGTH: multipart has its own limit
    assert_micropub_error(send({"big": (io.BytesIO(noise), "n.bin", "application/octet-stream")}), 413,
                          "invalid_request")
    assert post_count(client, auth) == 1


def test_a_post_url_under_a_mount_point_and_on_https_is_found(make_app):
    """Clients echo the Location they were given: on PUBLIC_BASE_URL (https) under SCRIPT_NAME."""
    app = make_app(PUBLIC_BASE_URL="https://blog.example/")
    client, auth = admin_client(app)
    bearer = {"Authorization": f"Bearer {mint_token(client, auth, 'create update')}"}
    base = {"base_url": "http://localhost/blog/"}
    created = client.post("/micropub", data={"content": "mounted"}, headers=bearer, **base)
    location = created.headers["Location"]
    assert location == "https://blog.example/blog/posts/mounted"
    changed = client.post("/micropub", json={"action": "update", "url": location, "replace": {"content": ["moved"]}},
                          headers=bearer, **base)
    assert changed.status_code == 204, changed.get_data(as_text=True)
    for elsewhere in ("https://blog.example/posts/mounted", "https://other.example/blog/posts/mounted",
                      "ftp://blog.example/blog/posts/mounted"):
        refused = client.post("/micropub", json={"action": "update", "url": elsewhere, "replace": {"content": ["x"]}},
                              headers=bearer, **base)
        assert_micropub_error(refused, 400, "invalid_request")
    assert admin_post(client, auth, location)["content"] == "moved"


def test_a_database_that_is_down_is_a_micropub_503(make_app):
    client = make_app(DATABASE_URL="sqlite:////nonexistent-folder/db.sqlite3").test_client()
    response = client.post("/micropub", data={"content": "x"}, headers={"Authorization": "Bearer some-token"})
    body = assert_micropub_error(response, 503, "temporarily_unavailable")
    assert response.headers["Retry-After"] == "5" and "nonexistent" not in str(body)
