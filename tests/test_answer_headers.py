"""Issue 23, item 5: the headers of answers no view shapes alone: CORS without an Origin,
OPTIONS, unrouted errors and the double-slash redirect, repeated parameters on the site, and
which error shape a browser's Accept gets."""
import pytest

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

ORIGIN = "https://blog.example"
PATHS = ["/", "/api/v1/posts", "/feed.atom", "/sitemap.xml", "/api/v1/admin/posts", "/nope", "/healthz"]


@pytest.fixture
def cors_client(make_app, app):
    return make_app(CORS_ORIGINS=ORIGIN).test_client()


@pytest.mark.parametrize("path", PATHS)
def test_cors_headers_only_for_an_origin_and_every_answer_varies_by_it(cors_client, path):
    without = cors_client.get(path)
    assert not [name for name in without.headers.keys() if name.startswith("Access-Control-")], without.headers
    assert "Origin" in without.vary
    for origin in (ORIGIN, "https://evil.example"):
        answer = cors_client.get(path, headers={"Origin": origin})
        assert "Origin" in answer.vary, (origin, answer.headers)
        assert answer.headers.get("Access-Control-Allow-Origin") == (origin if origin == ORIGIN else None)


@pytest.mark.parametrize("path", ["/", "/api/v1/posts", "/feed.atom", "/tags", "/api/v1/admin/posts"])
def test_options_has_no_type_no_page_policy_and_is_not_public(cors_client, path):
    for headers in ({}, {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}):
        answer = cors_client.options(path, headers=headers)
        assert answer.status_code == 200 and answer.data == b""
        assert "Content-Type" not in answer.headers
        assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert "public" not in answer.headers["Cache-Control"] and "max-age" not in answer.headers["Cache-Control"]


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/nope", 404), ("GET", "/api/v1/nope", 404), ("POST", "/", 405), ("DELETE", "/api/v1/posts", 405),
    ("GET", "/api/v1//posts", 308), ("GET", "/tags//x", 308)])
def test_unrouted_answers_carry_cache_control(client, method, path, status):
    answer = client.open(path, method=method)
    assert answer.status_code == status
    assert answer.headers.get("Cache-Control") == "no-cache"
    if status == 308:
        assert answer.headers["Location"] == path.replace("//", "/")  # relative: no host repeated


@pytest.mark.parametrize("query", ["q=a&q=b", "q=a&cursor=x&cursor=y"])
def test_a_repeated_parameter_on_the_site_is_refused_as_the_api_refuses_it(client, query):
    api = client.get(f"/api/v1/posts?{query}")
    site = client.get(f"/search?{query}")
    assert site.status_code == api.status_code == 422
    assert site.get_json() == {**api.get_json(), "errors": site.get_json()["errors"]}
    assert {error["parameter"] for error in site.get_json()["errors"]} == (
        {error["parameter"] for error in api.get_json()["errors"]})
    page = client.get(f"/search?{query}", headers={"Accept": "text/html"})
    assert page.status_code == 422 and page.mimetype == "text/html" and b"Give this parameter once" in page.data


@pytest.mark.parametrize("accept, kind", [
    ("text/html, application/problem+json", "text/html"),
    ("text/html,application/json", "text/html"),
    ("application/problem+json, text/html", "application/problem+json"),
    ("text/html;q=0.5, application/json", "application/problem+json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "application/problem+json"),
    (None, "application/problem+json")])
def test_a_site_error_follows_the_clients_order_of_preference(client, accept, kind):
    answer = client.get("/posts/nothing-here", headers={"Accept": accept} if accept else {})
    assert answer.status_code == 404 and answer.mimetype == kind
