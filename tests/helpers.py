"""Assertions shared by the tests."""


def assert_problem(response, status):
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    assert "msg" not in body
    return body


def mint_token(client, auth, scope, client_id="https://app.example/"):
    """A new app token with this (space-separated) scope, minted through the admin API."""
    response = client.post("/api/v1/admin/tokens", json={"client_id": client_id, "scope": scope},
                           headers=auth.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["access_token"]


def admin_client(app):
    """A test client of an app made with its own settings, its database migrated and its admin
    set, and that admin's login (conftest.AuthActions)."""
    from microblog.data import migrations
    from microblog.service import auth as auth_service
    from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, CHEAP_HASH, AuthActions

    with app.app_context():
        migrations.upgrade(app.extensions["database"])
        auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)
    client = app.test_client()
    return client, AuthActions(client)
