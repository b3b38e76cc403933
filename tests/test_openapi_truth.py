"""The OpenAPI document tells the truth about responses: every response of a walk through the
whole API (each operation, its successes, 304, 412, 429 and 503) has a documented status and
media type, carries each header documented as required, and sends no ETag, Last-Modified,
Link, Location, Retry-After, Content-Disposition or Idempotent-Replayed that is undocumented."""
import io
import json
import re

import pytest

from microblog.data.models import Follower
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

WATCHED_HEADERS = {"ETag", "Last-Modified", "Link", "Location", "Retry-After",
                   "Content-Disposition", "Idempotent-Replayed"}
TINY_GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
# statuses a client must find under their own number, not only under `default`
EXPLICIT = {200, 201, 204, 304, 412, 429, 503}


class CheckedClient:
    """A test client whose every response is checked against the app's OpenAPI document."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()
        self.spec = self.client.get("/openapi.json").get_json()
        self.seen = set()  # (operationId, status)

    def __getattr__(self, method):
        def call(path, **kwargs):
            response = getattr(self.client, method)(path, **kwargs)
            self.check(method.upper(), path.split("?")[0], response)
            return response
        return call

    def operation(self, method, path):
        rule, _args = self.app.url_map.bind("localhost").match(path, method, return_rule=True)
        return self.spec["paths"][re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)][method.lower()]

    def check(self, method, path, response):
        operation = self.operation(method, path)
        status = response.status_code
        where = f"{method} {path} {status}"
        documented = operation["responses"].get(str(status))
        assert documented or status not in EXPLICIT, f"{where}: status not documented"
        documented = self.resolve(documented or operation["responses"]["default"])
        content = documented.get("content", {})
        if response.data:
            assert response.mimetype in content, f"{where}: {response.mimetype} not in {list(content)}"
        else:
            assert status in (204, 304) and not content, f"{where}: no body, but {list(content)}"
        headers = documented.get("headers", {})
        for name, header in headers.items():
            assert not header.get("required") or name in response.headers, f"{where}: no {name}"
        for name in WATCHED_HEADERS & set(response.headers.keys()):
            assert name in headers, f"{where}: {name} sent but not documented"
        self.seen.add((operation["operationId"], status))

    def resolve(self, response):
        if "$ref" in response:
            return self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return response


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_walk_through_the_whole_api_matches_the_document(make_ready_app):
    # a hub, so that changes leave deliveries for the outbox's operations to show
    api = CheckedClient(make_ready_app(WEBSUB_HUB="http://127.0.0.1:9/hub", PUBLIC_BASE_URL="http://blog.test/"))
    credentials = {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    tokens = api.post("/api/v1/auth/login", json=credentials).get_json()
    admin = _bearer(tokens["access_token"])
    api.get("/api/v1/auth/me", headers=admin)
    api.post("/api/v1/auth/refresh", headers=_bearer(tokens["refresh_token"]))

    posts = [api.post("/api/v1/admin/posts", json={"content": f"Post {n}", "tags": ["t"]}, headers=admin)
             for n in range(3)]
    replayed = [api.post("/api/v1/admin/posts", json={"content": "Once"},
                         headers={**admin, "Idempotency-Key": "k1"}) for _ in range(2)]
    assert replayed[1].headers["Idempotent-Replayed"] == "true"
    post_id, etag = posts[0].get_json()["id"], posts[0].headers["ETag"]
    url = f"/api/v1/admin/posts/{post_id}"
    api.get(url, headers=admin)
    assert "Link" in api.get("/api/v1/admin/posts?limit=1", headers=admin).headers

    def current():
        return api.get(url, headers=admin).headers["ETag"]

    stale = {**admin, "If-Match": etag}
    assert api.patch(url, json={"title": "x"}, headers=stale).status_code == 200
    assert api.patch(url, json={"title": "y"}, headers=stale).status_code == 412
    assert api.put(url, json={"content": "z"}, headers=stale).status_code == 412
    assert api.put(url, json={"content": "z"}, headers={**admin, "If-Match": current()}).status_code == 200
    api.get(f"{url}/revisions", headers=admin)
    assert api.post(f"{url}/revisions/1/restore", headers=stale).status_code == 412
    assert api.post(f"{url}/revisions/1/restore", headers={**admin, "If-Match": current()}).status_code == 200
    assert api.delete(url, headers=stale).status_code == 412
    assert api.delete(url, headers={**admin, "If-Match": current()}).status_code == 204
    assert api.post(f"{url}/restore", headers=stale).status_code == 412
    assert api.post(f"{url}/restore", headers={**admin, "If-Match": current()}).status_code == 200
    api.get("/api/v1/admin/changes", headers=admin)
    api.get("/api/v1/admin/deliveries/summary", headers=admin)
    delivery = api.get("/api/v1/admin/deliveries?state=pending&limit=1", headers=admin).get_json()["items"][0]
    api.get(f"/api/v1/admin/deliveries/{delivery['id']}", headers=admin)
    assert api.post(f"/api/v1/admin/deliveries/{delivery['id']}/retry", headers=admin).status_code == 409
    assert api.post(f"/api/v1/admin/deliveries/{delivery['id']}/cancel", headers=admin).status_code == 200
    assert api.post(f"/api/v1/admin/deliveries/{delivery['id']}/retry", headers=admin).status_code == 200
    assert api.get("/api/v1/admin/deliveries/999999", headers=admin).status_code == 404
    images = [api.post("/api/v1/admin/media", headers=admin, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(TINY_GIF), "pixel.gif")}).get_json() for _ in range(2)]
    assert "Link" in api.get("/api/v1/admin/media?limit=1", headers=admin).headers
    assert api.delete(f"/api/v1/admin/media/{images[0]['key']}", headers=admin).status_code == 204
    minted = api.post("/api/v1/admin/tokens", json={"client_id": "https://app.example/", "scope": "create"},
                      headers=admin)
    api.get("/api/v1/admin/tokens", headers=admin)
    assert api.delete(f"/api/v1/admin/tokens/{minted.get_json()['id']}", headers=admin).status_code == 204

    with api.app.app_context():
        Follower.create(actor="https://social.test/users/a", inbox="https://social.test/users/a/inbox",
                        shared_inbox="https://social.test/inbox", follow_id="https://social.test/f/1", host="social.test")
    fediverse = "/api/v1/admin/fediverse"
    public_id, slug = posts[1].get_json()["id"], posts[1].get_json()["slug"]
    assert api.post(f"{fediverse}/posts/{public_id}/resend", headers=admin).get_json() == {"deliveries": 1}
    api.get(f"{fediverse}/posts/{public_id}/deliveries", headers=admin)
    follower = api.get(f"{fediverse}/followers", headers=admin).get_json()["items"][0]
    assert api.delete(f"{fediverse}/followers/{follower['id']}", headers=admin).status_code == 204
    assert api.put(f"{fediverse}/blocked-domains/spam.test", headers=admin).status_code == 204
    api.get(f"{fediverse}/blocked-domains", headers=admin)
    assert api.delete(f"{fediverse}/blocked-domains/spam.test", headers=admin).status_code == 204
    for path in ("/api/v1/posts?limit=1", f"/api/v1/posts/{public_id}", f"/api/v1/posts/by-slug/{slug}",
                 "/api/v1/tags", "/feed.atom", "/feed.rss", "/feed.json"):
        first = api.get(path)
        assert first.status_code == 200
        assert api.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert api.get("/api/v1/posts/999999").status_code == 404

    export = api.get("/api/v1/admin/export", headers=admin)
    mention = {"type": "mention", "post_id": public_id, "source": "https://other.example/reply",
               "target": f"http://blog.test/posts/{slug}", "status": "shown", "kind": "reply",
               "url": "https://other.example/reply", "author_name": "Bob", "author_url": None, "author_photo": None,
               "content_html": "<p>Hi</p>", "published": None, "received": "2026-12-01T00:00:00Z",
               "verified": "2026-12-01T00:00:00Z"}
    api.post("/api/v1/admin/import", data=export.data + json.dumps(mention).encode() + b"\n",
             headers={**admin, "Content-Type": "application/x-ndjson"})
    mention_id = api.get("/api/v1/admin/mentions?limit=1", headers=admin).get_json()["items"][0]["id"]
    api.get(f"/api/v1/admin/mentions/{mention_id}", headers=admin)
    assert api.patch(f"/api/v1/admin/mentions/{mention_id}", json={"status": "hidden"}, headers=admin).status_code == 200
    assert api.delete(f"/api/v1/admin/mentions/{mention_id}", headers=admin).status_code == 204
    assert api.get(f"/api/v1/admin/mentions/{mention_id}", headers=admin).status_code == 404
    assert api.put("/api/v1/admin/mentions/blocks/spam.example", headers=admin).status_code == 200
    api.get("/api/v1/admin/mentions/blocks", headers=admin)
    assert api.delete("/api/v1/admin/mentions/blocks/spam.example", headers=admin).status_code == 204
    assert api.delete("/api/v1/admin/mentions/blocks/spam.example", headers=admin).status_code == 404
    api.get("/healthz")
    other = api.post("/api/v1/auth/login", json=credentials).get_json()
    assert api.post("/api/v1/auth/logout", headers=_bearer(other["access_token"])).status_code == 204
    change = {"current_password": ADMIN_PASSWORD, "new_password": "another long passphrase"}
    assert api.put("/api/v1/auth/password", json=change, headers=admin).status_code == 204

    every_operation = {op["operationId"] for item in api.spec["paths"].values() for op in item.values()
                       if isinstance(op, dict) and "operationId" in op}
    assert every_operation == {operation for operation, status in api.seen if status < 300}


@pytest.mark.parametrize("path, method", [("/api/v1/tags", "get"), ("/api/v1/auth/login", "post")])
def test_request_limits_answer_429_as_documented(make_app, app, path, method):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_READS="1 per minute",
                       RATELIMIT_WRITES="1 per minute")
    api = CheckedClient(limited)
    statuses = [getattr(api, method)(path, json={"username": "nobody", "password": "x"}
                                     if method == "post" else None).status_code for _ in range(2)]
    assert statuses[-1] == 429


def test_a_missing_database_answers_503_as_documented(make_app, tmp_path):
    """An empty database (no tables): reads fail with 503 and Retry-After; /healthz says why."""
    api = CheckedClient(make_app(DATABASE_URL=f"sqlite:///{tmp_path}/empty.sqlite3"))
    assert api.get("/api/v1/posts").status_code == 503
    assert api.get("/feed.atom").status_code == 503
    assert api.get("/healthz").status_code == 503


def _pattern(spec, schema, name):
    return re.compile(spec["components"]["schemas"][schema]["properties"][name]["pattern"])


def test_a_blank_username_is_refused_as_blank_and_the_spec_says_so(client):
    spec = client.get("/openapi.json").get_json()
    assert not _pattern(spec, "Login", "username").search("  \t")
    assert _pattern(spec, "Login", "username").search(" admin ")
    response = client.post("/api/v1/auth/login", json={"username": "  ", "password": "x"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == [{"pointer": "/username", "detail": "Must not be blank."}]


def test_the_cursor_pattern_holds_every_cursor_the_service_issues_and_not_0(client, auth):
    spec = client.get("/openapi.json").get_json()
    parameter = next(p for p in spec["paths"]["/api/v1/posts"]["get"]["parameters"] if p["name"] == "cursor")
    pattern = re.compile(parameter["schema"]["pattern"])
    for n in range(3):
        auth.create_post(content=f"word {n}", title="word")
    cursors = [client.get(f"/api/v1/posts?limit={limit}{query}").get_json()["next_cursor"]
               for limit in (1, 2) for query in ("", "&q=word")]
    assert all(cursors) and all(pattern.search(cursor) for cursor in cursors), cursors
    for garbage in ("0", "abcde", "a=", "a b", "x" * 201):
        assert not (pattern.search(garbage) and len(garbage) <= parameter["schema"]["maxLength"])
        response = client.get(f"/api/v1/posts?cursor={garbage}")
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
