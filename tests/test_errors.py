"""One error shape everywhere: 400, 404, 405, 413, 415, 422, 500, and JWT errors."""
import pytest

from tests.helpers import assert_problem

POSTS = "/api/v1/admin/posts"


def test_unknown_route_is_a_404_problem(client):
    assert_problem(client.get("/no/such/page"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/posts")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_malformed_json_is_400_and_stores_nothing(client, auth):
    response = client.post(POSTS, data='{"content": ', content_type="application/json",
                           headers=auth.headers)
    body = assert_problem(response, 400)
    assert body["detail"] == "The request body is not valid JSON."
    assert client.get(POSTS, headers=auth.headers).get_json()["items"] == []


def test_malformed_json_says_at_which_line_and_column(client, auth):
    response = client.post(POSTS, data='{\n  "content": "x",\n  "tags": [,]\n}', content_type="application/json",
                           headers=auth.headers)
    body = assert_problem(response, 400)
    assert body["errors"] == [{"pointer": "", "detail": "Invalid JSON body: Expecting value at line 3, column 12."}]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_non_json_bodies_are_415(client, auth, content_type):
    response = client.post(POSTS, data="content=x", content_type=content_type, headers=auth.headers)
    assert_problem(response, 415)


def test_login_refuses_form_bodies_with_415(client):
    response = client.post("/api/v1/auth/login", data={"username": "admin", "password": "x"})
    assert_problem(response, 415)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          "application/merge-patch+json"])
def test_json_media_types_are_accepted(client, auth, content_type):
    response = client.post(POSTS, data='{"content": "x"}', content_type=content_type,
                           headers=auth.headers)
    assert response.status_code == 201


def test_body_over_the_limit_is_413(make_app, app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    response = client.post("/api/v1/auth/login", data='{"username": "' + "a" * 2000 + '"}',
                           content_type="application/json")
    assert_problem(response, 413)


def test_default_body_limit_is_one_mebibyte(client, auth):
    big = '{"content": "' + "x" * (1024 * 1024) + '"}'
    assert_problem(client.post(POSTS, data=big, content_type="application/json",
                               headers=auth.headers), 413)


def test_server_errors_are_problems_without_internals(make_app, app):
    broken = make_app(PROPAGATE_EXCEPTIONS=False)

    @broken.get("/boom")
    def boom():
        raise RuntimeError("secret internals: SELECT * FROM user")

    response = broken.test_client().get("/boom")
    body = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    assert "secret" not in text and "Traceback" not in text and "SELECT" not in text
    assert body["detail"] == "The server failed to handle this request. It has been logged."


def test_every_response_says_nosniff_and_deny_framing(client):
    for response in (client.get("/api/v1/posts"), client.get("/nope"), client.get("/healthz")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_validation_problems_list_every_error_with_pointers(client, auth):
    response = client.post(POSTS, json={"content": "", "tags": ["ok", "no way"], "x/y": 1},
                           headers=auth.headers)
    body = assert_problem(response, 422)
    pointers = sorted(error["pointer"] for error in body["errors"])
    assert pointers == ["/content", "/tags/1", "/x~1y"]


@pytest.mark.parametrize("path", ["/api/v1/posts/9223372036854775808", "/api/v1/posts/2147483648",
                                  "/api/v1/posts/0", "/api/v1/posts/-1"])
def test_ids_out_of_range_are_404_not_500(client, path):
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_admin_ids_out_of_range_are_404(client, auth, method):
    response = getattr(client, method)(f"{POSTS}/99999999999999999999", json={"content": "x"},
                                       headers=auth.headers)
    assert_problem(response, 404)
    assert_problem(client.post(f"{POSTS}/99999999999999999999/restore", headers=auth.headers), 404)


def test_times_out_of_range_in_utc_are_422(client, auth):
    body = assert_problem(client.post(POSTS, json={"content": "x", "publish_at": "0001-01-01T00:00:00+01:00"},
                                      headers=auth.headers), 422)
    assert body["errors"][0]["pointer"] == "/publish_at"
    for query in ("since=0001-01-01T00:00:00%2B01:00", "until=9999-12-31T23:59:59-01:00"):
        assert assert_problem(client.get(f"/api/v1/posts?{query}"), 422)["errors"][0]["parameter"] in query


def test_cursor_with_an_impossible_id_is_422(client):
    import base64
    import json

    for key in (["2026-01-01T00:00:00.000000", 10**23], ["2026-01-01T00:00:00+00:00", 1],
                ["2026-01-01T00:00:00", True], "not a list"):
        cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
        assert_problem(client.get(f"/api/v1/posts?cursor={cursor}"), 422)


def test_posts_at_the_edges_of_time_page_correctly(client, auth):
    early = auth.create_post(content="Early", publish_at="0001-01-01T00:00:00Z")
    auth.create_post(content="Now")
    first = client.get("/api/v1/posts?limit=1").get_json()
    second = client.get(f"/api/v1/posts?limit=1&cursor={first['next_cursor']}").get_json()
    assert [p["id"] for p in second["items"]] == [early["id"]]
    assert second["items"][0]["publish_at"] == "0001-01-01T00:00:00.000000Z"


def test_no_content_responses_have_no_content_type(client, auth):
    post = auth.create_post(content="x")
    response = client.delete(f"{POSTS}/{post['id']}", headers=auth.headers)
    assert response.status_code == 204 and "Content-Type" not in response.headers


def test_routing_errors_on_private_paths_are_not_cached(client):
    for response in (client.patch(POSTS), client.get("/api/v1/admin/nothing")):
        assert response.headers["Cache-Control"] == "no-store"
        assert "Authorization" in response.headers["Vary"]


@pytest.mark.parametrize("method, path", [
    ("delete", "/api/v1/admin/tokens/{}"), ("get", "/api/v1/admin/deliveries/{}"),
    ("post", "/api/v1/admin/deliveries/{}/retry"), ("post", "/api/v1/admin/deliveries/{}/cancel"),
    ("get", "/api/v1/admin/mentions/{}"), ("patch", "/api/v1/admin/mentions/{}"),
    ("delete", "/api/v1/admin/mentions/{}"), ("delete", "/api/v1/admin/fediverse/followers/{}"),
    ("get", "/api/v1/admin/fediverse/posts/{}/deliveries"), ("post", "/api/v1/admin/fediverse/posts/{}/resend"),
    ("get", "/api/v1/admin/fediverse/posts/{}/reactions")])
@pytest.mark.parametrize("number", ["9223372036854775808", "2147483648"])
def test_every_admin_id_too_large_for_the_database_is_404(client, auth, method, path, number):
    """Every `<int:…>` route, not only the posts': a 64-bit overflow was a 500 on SQLite."""
    response = getattr(client, method)(path.format(number), json={"status": "hidden"}, headers=auth.headers)
    assert_problem(response, 404)
