"""Export and import of the admin: one admin only, password hashes no cheaper than the
configured method, fresh logins for both, and no token revived."""
import json

import pytest

from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.helpers import assert_problem
from tests.transfer_helpers import NDJSON, admin_view, export, import_, populated_site


@pytest.fixture
def populated(client, auth):
    return populated_site(client, auth)


def test_import_refuses_another_admin(client, auth, populated):
    lines = export(client, auth).splitlines()
    admin = json.loads(next(line for line in lines if b'"type":"admin"' in line))
    body = lines[0] + b"\n" + json.dumps({**admin, "username": "someone-else"}).encode()
    assert "exactly one admin" in assert_problem(import_(client, auth, body), 409)["detail"]


def test_importing_an_older_admin_record_revives_no_token_and_no_password(client, auth, populated):
    body = export(client, auth)
    old_token = auth.login().get_json()["access_token"]
    client.put("/api/v1/auth/password", headers={"Authorization": f"Bearer {old_token}"},
               json={"current_password": ADMIN_PASSWORD, "new_password": "the newer passphrase"})
    fresh = client.post("/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": "the newer passphrase"})
    headers = {"Authorization": f"Bearer {fresh.get_json()['access_token']}"}
    assert client.post("/api/v1/admin/import", data=body, content_type=NDJSON, headers=headers).status_code == 200
    assert_problem(client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"}), 401)
    # importing another hash ends every session, the one that imported included
    assert_problem(client.get("/api/v1/auth/me", headers=headers), 401)


def with_admin(body, **change):
    """An export's header and admin record (changed), then a new post."""
    lines = body.splitlines()
    admin = json.loads(next(line for line in lines if b'"type":"admin"' in line))
    post = json.loads(next(line for line in lines if b'"type":"post"' in line))
    new_post = {**post, "id": 999, "slug": "smuggled"}
    return b"\n".join([lines[0], json.dumps({**admin, **change}).encode(), json.dumps(new_post).encode()])


@pytest.mark.parametrize("change", [
    {"password_hash": "bogus$salt$hash"},
    {"token_generation": 10**20},
    {"password_hash": "pbkdf2:sha256:1$a$00"},  # one iteration: any password is found at once
    {"password_hash": "pbkdf2:sha1:1000$a$00"},  # another digest than PASSWORD_HASH_METHOD's
    {"password_hash": "scrypt:32768:8:1$a$00"},  # another kind
    {"password_hash": "pbkdf2:sha256:100000000$a$00"},  # every login would take half a minute
])
def test_hostile_admin_records_are_422_and_import_nothing(client, auth, populated, change):
    assert_problem(import_(client, auth, with_admin(export(client, auth), **change)), 422)
    assert auth.login().status_code == 200
    assert admin_view(client, auth) == populated


def test_an_admin_record_of_the_configured_method_or_dearer_imports(client, auth, populated):
    dearer = "pbkdf2:sha256:2000$salt$" + "0" * 64
    assert import_(client, auth, with_admin(export(client, auth), password_hash=dearer)).status_code == 200
    assert auth.login().status_code == 401, "the imported hash is the admin's now"


def test_export_and_import_need_a_fresh_login(client, auth, populated):
    """A stolen refresh token must not read the password hash nor import a new one."""
    refreshed = client.post("/api/v1/auth/refresh",
                            headers={"Authorization": f"Bearer {auth.tokens['refresh_token']}"})
    stale = {"Authorization": f"Bearer {refreshed.get_json()['access_token']}"}
    assert "fresh" in assert_problem(client.get("/api/v1/admin/export", headers=stale), 401)["detail"]
    takeover = with_admin(export(client, auth), password_hash="pbkdf2:sha256:1000$salt$" + "0" * 64)
    response = client.post("/api/v1/admin/import", data=takeover, content_type=NDJSON, headers=stale)
    assert_problem(response, 401)
    assert auth.login().status_code == 200
    assert admin_view(client, auth) == populated


def test_cli_import_refuses_a_cheaper_admin_hash(app, client, auth, populated, tmp_path):
    path = tmp_path / "cheap.ndjson"
    path.write_bytes(with_admin(export(client, auth), password_hash="pbkdf2:sha256:1$a$00"))
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "Nothing imported" in result.output and "pbkdf2:sha256:1000" in result.output
    assert auth.login().status_code == 200
    assert admin_view(client, auth) == populated
