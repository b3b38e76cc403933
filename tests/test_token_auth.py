"""The access-token check that the Micropub and media endpoints use (web/token_auth.py), through
HTTP on a small endpoint of this test's own: Micropub's errors and statuses, scopes, both token
places, and the admin's JWTs refused."""
import time

import pytest
from flask import Blueprint, g, jsonify

from microblog.data import migrations
from microblog.service import auth as auth_service
from microblog.web import routes, token_auth
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, CHEAP_HASH


def probe_blueprint():
    bp = Blueprint("probe", __name__)
    routes.declare(bp, routes.API, routes.PRIVATE, paths=["/probe/"])
    token_auth.install(bp)

    @bp.route("/probe/create", methods=["GET", "POST"])
    @token_auth.token_required("create")
    def create():
        return jsonify(token_id=g.grant.token_id, client_id=g.grant.client_id, scopes=list(g.grant.scopes))

    @bp.route("/probe/media", methods=["POST"])
    @token_auth.token_required("media")
    def media():
        return jsonify(ok=True)

    @bp.route("/probe/action", methods=["POST"])
    def action():
        token_auth.require("delete")
        return jsonify(ok=True)

    return bp


def ready(app):
    app.register_blueprint(probe_blueprint())
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
        auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)
    return app.test_client()


@pytest.fixture
def client(make_app):
    return ready(make_app())


def mint(client, auth, scope):
    response = client.post("/api/v1/admin/tokens", json={"client_id": "https://app.example/", "scope": scope},
                           headers=auth.headers)
    assert response.status_code == 201
    return response.get_json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def error_of(response, status, error):
    assert response.status_code == status and response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == error and body["error_description"]
    return response


def test_a_live_token_with_the_scope_passes_in_the_header_or_the_form(client, auth):
    minted = mint(client, auth, "create")
    for answer in (client.get("/probe/create", headers=bearer(minted["access_token"])),
                   client.post("/probe/create", data={"access_token": minted["access_token"], "h": "entry"})):
        assert answer.status_code == 200
        assert answer.get_json() == {"token_id": minted["id"], "client_id": "https://app.example/", "scopes": ["create"]}
    [listed] = client.get("/api/v1/admin/tokens", headers=auth.headers).get_json()["items"]
    assert listed["last_used"] is not None


def test_no_token_is_unauthorized_without_an_error_code_in_the_challenge(client):
    answer = error_of(client.get("/probe/create"), 401, "unauthorized")
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="microblog"'


@pytest.mark.parametrize("headers", [bearer("made-up"), {"Authorization": "Basic YTpi"}, bearer("")])
def test_an_unknown_token_is_unauthorized(client, headers):
    answer = error_of(client.get("/probe/create", headers=headers), 401, "unauthorized")
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_the_admins_jwt_is_no_access_token(client, auth):
    error_of(client.get("/probe/create", headers=auth.headers), 401, "unauthorized")


def test_a_revoked_token_stops_at_once(client, auth):
    minted = mint(client, auth, "create")
    assert client.get("/probe/create", headers=bearer(minted["access_token"])).status_code == 200
    client.delete(f"/api/v1/admin/tokens/{minted['id']}", headers=auth.headers)
    error_of(client.get("/probe/create", headers=bearer(minted["access_token"])), 401, "unauthorized")


def test_an_expired_token_is_unauthorized(make_app, auth):
    client = ready(make_app(INDIEAUTH_TOKEN_LIFETIME=1))
    auth.client = client
    minted = mint(client, auth, "create")
    time.sleep(1.1)
    error_of(client.get("/probe/create", headers=bearer(minted["access_token"])), 401, "unauthorized")


def test_a_token_without_the_scope_is_insufficient(client, auth):
    minted = mint(client, auth, "update")
    answer = error_of(client.get("/probe/create", headers=bearer(minted["access_token"])), 401, "insufficient_scope")
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]
    error_of(client.post("/probe/action", headers=bearer(minted["access_token"])), 401, "insufficient_scope")


def test_post_counts_as_create_and_create_allows_media(client, auth):
    old = mint(client, auth, "post")["access_token"]
    assert client.get("/probe/create", headers=bearer(old)).status_code == 200
    assert client.post("/probe/media", headers=bearer(old)).status_code == 200
    media_only = mint(client, auth, "media")["access_token"]
    assert client.post("/probe/media", headers=bearer(media_only)).status_code == 200
    error_of(client.get("/probe/create", headers=bearer(media_only)), 401, "insufficient_scope")


def test_a_token_in_both_places_is_an_invalid_request(client, auth):
    token = mint(client, auth, "create")["access_token"]
    error_of(client.post("/probe/create", headers=bearer(token), data={"access_token": token}), 400, "invalid_request")
