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
