"""Every non-public route of the URL map refuses every kind of bad token with a 401 problem."""
import re
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token, create_refresh_token

from microblog import create_app
from tests.conftest import TEST_SECRET
from tests.helpers import assert_problem

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

PUBLIC = {"/api/v1/posts", "/api/v1/posts/<int:post_id>", "/api/v1/posts/by-slug/<slug>",
          "/api/v1/tags", "/api/v1/auth/login", "/feed.atom", "/feed.rss", "/feed.json",
          "/healthz", "/openapi.json", "/docs", "/docs/assets/<path:filename>",
          "/static/<path:filename>", "/favicon.ico", "/favicon.svg",
          # the reading site (microblog/web/site)
          "/", "/posts/<slug>", "/tags", "/tags/<tag>", "/search", "/assets/<name>", "/sitemap.xml",
          "/sitemap-<int:number>.xml", "/robots.txt",
          # IndieAuth: no admin token, their own credentials (a password, codes, access tokens): test_indieauth.py
          "/.well-known/oauth-authorization-server", "/indieauth/auth", "/indieauth/token", "/indieauth/revoke",
          # Micropub: IndieAuth access tokens, answered in Micropub's error format: test_micropub.py
          "/micropub", "/micropub/media",
          # uploaded images, public files
          "/media/<name>",
          # ActivityPub: public documents, and inboxes that take HTTP signatures: test_activitypub_*.py
          "/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/2.1", "/actor", "/actor/outbox",
          "/actor/followers", "/actor/following", "/ap/posts/<int:post_id>/<int:generation>", "/inbox",
          "/actor/inbox",
          # Webmention: any site may send one and read its status (test_webmention_receive.py)
          "/webmention", "/webmention/<uid>"}
WRITER_PAGES = "/write"  # a browser's session and form tokens, never a bearer token: test_write.py
BAD_TOKENS = ["none", "expired", "tampered", "alg-none", "other-algorithm", "other-secret",
              "wrong-type", "revoked", "stale-generation", "garbage"]


def private_routes():
    app = create_app({"MICROBLOG_ENV": "testing", "SECRET_KEY": TEST_SECRET,
                      "DATABASE_URL": "sqlite:///:memory:"})
    return sorted((rule.rule, method) for rule in app.url_map.iter_rules()
                  if rule.rule not in PUBLIC and not rule.rule.startswith(WRITER_PAGES)
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def test_the_matrix_covers_every_private_route():
    routes = {path for path, _ in private_routes()}
    assert {"/api/v1/admin/posts", "/api/v1/admin/changes", "/api/v1/admin/export",
            "/api/v1/admin/import", "/api/v1/auth/refresh", "/api/v1/auth/password",
            "/api/v1/admin/posts/<int:post_id>/revisions/<int:rev>/restore",
            "/api/v1/admin/deliveries", "/api/v1/admin/deliveries/<int:delivery_id>/retry",
            "/api/v1/admin/fediverse/followers", "/api/v1/admin/fediverse/posts/<int:post_id>/resend",
            "/api/v1/admin/mentions", "/api/v1/admin/mentions/blocks/<domain>"} <= routes
    assert len(private_routes()) == 42  # + the app tokens' three, introspection, the admin's media three,
    #   the deliveries' five, the mentions' seven, the fediverse's 7


def bad_token(kind, app, client, auth, needs_refresh):
    tokens = auth.tokens
    good = tokens["refresh_token" if needs_refresh else "access_token"]
    claims = pyjwt.decode(good, TEST_SECRET, algorithms=["HS256"])
    extra = {name: claims[name] for name in ("sid", "gen", "adm")}
    make = create_refresh_token if needs_refresh else create_access_token
    if kind == "none":
        return None
    if kind == "expired":
        with app.app_context():
            return make(identity=claims["sub"], expires_delta=timedelta(seconds=-5), additional_claims=extra)
    if kind == "tampered":
        header, payload, signature = good.split(".")
        forged = pyjwt.utils.base64url_encode(pyjwt.utils.base64url_decode(payload).replace(b'"sub":"1"', b'"sub":"2"'))
        return f"{header}.{forged.decode()}.{signature}"
    if kind == "alg-none":
        return pyjwt.encode(claims, None, algorithm="none")
    if kind == "other-algorithm":
        return pyjwt.encode(claims, TEST_SECRET, algorithm="HS512")
    if kind == "other-secret":
        return pyjwt.encode(claims, "another secret that is long enough for HS256!", algorithm="HS256")
    if kind == "wrong-type":
        return tokens["access_token" if needs_refresh else "refresh_token"]
    if kind == "revoked":
        other = auth.login().get_json()
        logout = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {other['access_token']}"})
        assert logout.status_code == 204
        return other["refresh_token" if needs_refresh else "access_token"]
    if kind == "stale-generation":
        with app.app_context():
            return make(identity=claims["sub"], additional_claims={**extra, "gen": claims["gen"] - 1})
    return "garbage.token.here"


@pytest.mark.parametrize("path, method", private_routes())
@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_private_routes_refuse_bad_tokens(app, client, auth, path, method, kind):
    token = bad_token(kind, app, client, auth, needs_refresh=path == "/api/v1/auth/refresh")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = re.sub(r"<int:\w+>", "1", path).replace("<domain>", "example.com")
    response = client.open(url, method=method, headers=headers, json={"content": "x"})
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "msg" not in body
