"""Auth API: login, refresh, logout, me, password change, and every way a token is refused."""
import re
import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from microblog.data import migrations
from microblog.data.models import Post
from microblog.service import auth as auth_service
from microblog.service import login_throttle
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, CHEAP_HASH, TEST_SECRET
from tests.helpers import assert_problem

ME = "/api/v1/auth/me"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_bearer_tokens(auth):
    response = auth.login()
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_user_and_wrong_password_get_the_same_401(auth):
    wrong_password = auth.login(password="not the password")
    unknown_user = auth.login(username="nobody")
    for response in (wrong_password, unknown_user):
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong_password.get_json() == unknown_user.get_json()


@pytest.mark.parametrize("body", [{}, {"username": "admin"}, {"password": "x"},
                                  {"username": "admin", "password": "x", "remember": True},
                                  {"username": "", "password": "x"},
                                  {"username": "admin", "password": "p" * 1025}])
def test_login_validates_its_body(client, body):
    assert_problem(client.post("/api/v1/auth/login", json=body), 422)


def test_me_returns_the_profile_without_the_hash(client, auth):
    response = client.get(ME, headers=auth.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"id", "username", "created"} and body["username"] == ADMIN_USERNAME


def test_refresh_gives_a_working_access_token_that_is_not_fresh(client, auth):
    response = client.post("/api/v1/auth/refresh", headers=bearer(auth.tokens["refresh_token"]))
    assert response.status_code == 200
    access = response.get_json()["access_token"]
    assert client.get(ME, headers=bearer(access)).status_code == 200
    change = client.put("/api/v1/auth/password", headers=bearer(access),
                        json={"current_password": ADMIN_PASSWORD, "new_password": "another one!"})
    assert_problem(change, 401)


def test_tokens_of_the_wrong_type_are_401(client, auth):
    assert_problem(client.get(ME, headers=bearer(auth.tokens["refresh_token"])), 401)
    assert_problem(client.post("/api/v1/auth/refresh", headers=bearer(auth.tokens["access_token"])), 401)


def test_logout_revokes_access_and_refresh_tokens_in_every_process(make_app, client, auth):
    tokens = auth.tokens
    assert client.post("/api/v1/auth/logout", headers=auth.headers).status_code == 204
    other_worker = make_app().test_client()
    for worker in (client, other_worker):
        body = assert_problem(worker.get(ME, headers=bearer(tokens["access_token"])), 401)
        assert "revoked" in body["detail"]
        assert_problem(worker.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])), 401)


def test_logout_leaves_other_logins_working(client, auth):
    other = auth.login().get_json()["access_token"]
    client.post("/api/v1/auth/logout", headers=auth.headers)
    assert client.get(ME, headers=bearer(other)).status_code == 200


def test_password_change_revokes_every_older_token(client, auth):
    old = auth.tokens
    other_login = auth.login().get_json()
    response = client.put("/api/v1/auth/password", headers=auth.headers,
                          json={"current_password": ADMIN_PASSWORD, "new_password": "a new passphrase"})
    assert response.status_code == 204
    for token in (old["access_token"], other_login["access_token"]):
        assert_problem(client.get(ME, headers=bearer(token)), 401)
    assert_problem(client.post("/api/v1/auth/refresh", headers=bearer(old["refresh_token"])), 401)
    assert_problem(auth.login(), 401)
    fresh = auth.login(password="a new passphrase")
    assert fresh.status_code == 200
    assert client.get(ME, headers=bearer(fresh.get_json()["access_token"])).status_code == 200


def test_password_change_with_wrong_current_password_is_403_and_changes_nothing(client, auth):
    response = client.put("/api/v1/auth/password", headers=auth.headers,
                          json={"current_password": "wrong", "new_password": "a new passphrase"})
    body = assert_problem(response, 403)
    assert body["errors"][0]["pointer"] == "/current_password"
    assert client.get(ME, headers=auth.headers).status_code == 200
    assert auth.login().status_code == 200


def test_wrong_current_passwords_are_throttled_as_logins_are(client, auth):
    """A stolen access token must not become an unthrottled oracle for the password."""
    def change(current):
        return client.put("/api/v1/auth/password", headers=auth.headers,
                          json={"current_password": current, "new_password": "a new passphrase"})

    statuses = [change(f"guess {n}").status_code for n in range(12)]
    assert statuses == [403] * (login_throttle.FREE_FAILURES + 1) + [429] * (11 - login_throttle.FREE_FAILURES)
    refused = change(ADMIN_PASSWORD)
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert auth.login().status_code == 429, "the same budget as a login from this address"
    other = client.post("/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
                        environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 200


def test_password_change_validates_the_new_password(client, auth):
    response = client.put("/api/v1/auth/password", headers=auth.headers,
                          json={"current_password": ADMIN_PASSWORD, "new_password": "short"})
    assert_problem(response, 422)


def test_login_rehashes_a_password_stored_with_another_method(make_app, app, auth):
    from microblog.data.models import User

    stronger = "pbkdf2:sha256:2000"
    client = make_app(PASSWORD_HASH_METHOD=stronger).test_client()
    assert client.post("/api/v1/auth/login", json={
        "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).status_code == 200
    with app.app_context():
        assert User.get().password_hash.startswith(stronger + "$")
    assert client.post("/api/v1/auth/login", json={
        "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).status_code == 200


def _claims(auth):
    return pyjwt.decode(auth.tokens["access_token"], TEST_SECRET, algorithms=["HS256"])


def session_claims(claims):
    """The claims that tie a token to its login and its admin."""
    return {name: claims[name] for name in ("sid", "gen", "adm")}


def test_a_new_database_with_the_same_secret_honours_no_token_of_the_old_one(make_app, auth, tmp_path):
    """A deleted database, init-db and create-admin again: the new admin has the old one's id
    and token generation, so only the admin's identity can tell its tokens apart."""
    old = auth.tokens
    auth.client.post("/api/v1/auth/logout", headers=bearer(old["access_token"]))
    new_site = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/new.sqlite3")
    with new_site.app_context():
        migrations.upgrade(new_site.extensions["database"])
        auth_service.set_admin(ADMIN_USERNAME, "another passphrase", CHEAP_HASH)
    client = new_site.test_client()
    assert_problem(client.get(ME, headers=bearer(old["access_token"])), 401)
    assert_problem(client.post("/api/v1/auth/refresh", headers=bearer(old["refresh_token"])), 401)
    assert_problem(client.post("/api/v1/admin/posts", json={"content": "x"}, headers=bearer(old["access_token"])), 401)
    with new_site.app_context():
        assert Post.select().count() == 0


def test_expired_tampered_unsigned_and_foreign_tokens_are_401(app, client, auth):
    claims = _claims(auth)
    with app.app_context():
        expired = create_access_token(identity=claims["sub"], expires_delta=timedelta(seconds=-1),
                                      additional_claims=session_claims(claims))
    header, payload, signature = auth.tokens["access_token"].split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}AA"
    unsigned = pyjwt.encode(claims, None, algorithm="none")
    foreign = pyjwt.encode(claims, "another-secret-of-at-least-32-bytes!!", algorithm="HS256")
    other_algorithm = pyjwt.encode(claims, TEST_SECRET, algorithm="HS512")
    no_session = pyjwt.encode({k: v for k, v in claims.items() if k != "sid"}, TEST_SECRET,
                              algorithm="HS256")
    for token in (expired, tampered, unsigned, foreign, other_algorithm, no_session, "garbage"):
        response = client.get(ME, headers=bearer(token))
        body = assert_problem(response, 401)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"], body


def test_a_token_accepted_before_is_refused_once_it_expires(app, client, auth):
    """The app keeps the claims of tokens it verified (web/tokens.py): a token it accepted is
    still refused from the second its exp passes, as one never seen before is."""
    claims = _claims(auth)
    with app.app_context():
        brief = create_access_token(identity=claims["sub"], expires_delta=timedelta(seconds=2),
                                    additional_claims=session_claims(claims))
    assert client.get(ME, headers=bearer(brief)).status_code == 200
    time.sleep(max(0.0, pyjwt.decode(brief, TEST_SECRET, algorithms=["HS256"])["exp"] - time.time()) + 0.05)
    body = assert_problem(client.get(ME, headers=bearer(brief)), 401)
    assert body["detail"] == "The token has expired."


def test_a_token_one_app_accepted_is_refused_by_an_app_with_another_secret(make_app, client, auth):
    """What an app keeps of the tokens it verified is its own: another secret, another app."""
    token = auth.tokens["access_token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    other = make_app(SECRET_KEY="another-secret-of-at-least-32-bytes!!").test_client()
    body = assert_problem(other.get(ME, headers=bearer(token)), 401)
    assert body["detail"].startswith("The token is not valid: Signature verification failed")
    assert client.get(ME, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Basic YWRtaW46eA=="])
def test_malformed_authorization_headers_are_401(client, header):
    assert_problem(client.get(ME, headers={"Authorization": header}), 401)


def test_missing_token_is_401_with_a_challenge(client):
    response = client.get(ME)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="microblog"'


def test_every_admin_route_needs_a_token(app, client):
    routes = [(rule.rule, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}
              if rule.rule.startswith("/api/v1/admin") or rule.rule.startswith("/api/v1/auth/")
              and not rule.rule.endswith("/login")]
    assert len(routes) >= 11
    for path, method in routes:
        path = re.sub(r"<int:\w+>", "1", path)
        response = client.open(path, method=method, json={})
        assert_problem(response, 401)


def test_passwords_are_hashed_with_the_configured_method(app):
    from microblog.data.models import User

    with app.app_context():
        stored = User.get().password_hash
    assert stored.startswith(CHEAP_HASH + "$") and ADMIN_PASSWORD not in stored


def test_a_login_is_fresh_for_fifteen_minutes_only(app, client, auth):
    claims = _claims(auth)
    with app.app_context():
        sixteen_minutes_ago = create_access_token(
            identity=claims["sub"], fresh=timedelta(minutes=-1),
            additional_claims=session_claims(claims))
    change = {"current_password": ADMIN_PASSWORD, "new_password": "another passphrase"}
    assert_problem(client.put("/api/v1/auth/password", json=change, headers=bearer(sixteen_minutes_ago)), 401)
    assert abs(claims["fresh"] - claims["iat"] - 15 * 60) < 2


class HashChecks:
    """Records the method of every hash a password is checked against."""

    def __init__(self, monkeypatch):
        from microblog.service import auth as auth_service

        self.methods = []
        real = auth_service.check_password_hash

        def check(stored, password):
            self.methods.append(stored.split("$", 1)[0])
            return real(stored, password)

        monkeypatch.setattr(auth_service, "check_password_hash", check)


def test_every_failed_login_checks_a_hash_of_the_configured_cost(make_app, app, monkeypatch):
    from microblog.data.models import User

    checks = HashChecks(monkeypatch)
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    client.post("/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": "wrong"})
    assert checks.methods == [CHEAP_HASH, CHEAP_HASH]

    stronger = "pbkdf2:sha256:3000"
    checks.methods.clear()
    client = make_app(PASSWORD_HASH_METHOD=stronger).test_client()
    client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    client.post("/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": "wrong"})
    assert checks.methods == [stronger, CHEAP_HASH, stronger]
    with app.app_context():
        assert User.get().password_hash.startswith(CHEAP_HASH + "$"), "a failure upgrades nothing"


def test_two_apps_on_two_databases_stay_apart(make_app, app, tmp_path):
    from microblog.data import migrations

    other = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite3")
    with other.app_context():
        migrations.upgrade(other.extensions["database"])
    assert other.test_client().post("/api/v1/auth/login", json={
        "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).status_code == 401
    assert app.test_client().post("/api/v1/auth/login", json={
        "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).status_code == 200
