"""CLI: init-db, create-admin (stdin or prompt), seed, export's files; the modes of files with secrets."""
import os
import stat
import subprocess

import pytest

from microblog.config import apply_secret_policy
from microblog.data.db import database
from microblog.data.models import Post, User
from scripts import harness


@pytest.fixture
def cli_app(make_app):
    return make_app()


def run(app, *args, input=None, env=None):
    return app.test_cli_runner().invoke(args=list(args), input=input, env=env)


def test_init_db_creates_tables_and_is_idempotent(cli_app):
    first = run(cli_app, "init-db")
    assert first.exit_code == 0 and "Schema upgraded from version 0 to" in first.output
    again = run(cli_app, "init-db")
    assert again.exit_code == 0 and "upgraded" not in again.output
    assert "Database ready (schema version" in again.output
    with cli_app.app_context():
        assert {"post", "tag", "post_tag", "user", "revoked_token"} <= set(database.get_tables())


def test_init_db_creates_the_admin_from_the_environment_once(make_app):
    app = make_app(ADMIN_USERNAME="boss", ADMIN_PASSWORD="first password")
    assert "Admin 'boss' created." in run(app, "init-db").output
    app.config["ADMIN_PASSWORD"] = "second password"
    assert "created" not in run(app, "init-db").output
    client = app.test_client()
    login = {"username": "boss", "password": "first password"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


def test_create_admin_reads_the_password_from_stdin(cli_app):
    run(cli_app, "init-db")
    result = run(cli_app, "create-admin", "--username", "editor", input="a long password\n")
    assert result.exit_code == 0, result.output
    assert "Admin 'editor' created." in result.output
    login = {"username": "editor", "password": "a long password"}
    assert cli_app.test_client().post("/api/v1/auth/login", json=login).status_code == 200


def test_create_admin_again_sets_a_new_password(cli_app):
    run(cli_app, "init-db")
    run(cli_app, "create-admin", "--username", "editor", input="a long password\n")
    result = run(cli_app, "create-admin", "--username", "editor", input="another password\n")
    assert "password set" in result.output
    with cli_app.app_context():
        assert User.select().count() == 1 and User.get().token_generation == 1


def test_there_is_exactly_one_admin(cli_app):
    run(cli_app, "init-db")
    run(cli_app, "create-admin", "--username", "editor", input="a long password\n")
    result = run(cli_app, "create-admin", "--username", "intruder", input="a long password\n")
    assert result.exit_code != 0 and "exactly one" in result.output


def test_create_admin_refuses_a_short_password(cli_app):
    run(cli_app, "init-db")
    result = run(cli_app, "create-admin", "--username", "editor", input="short\n")
    assert result.exit_code != 0 and "8 to 1024 characters" in result.output


def test_seed_adds_public_hidden_and_scheduled_posts(cli_app):
    run(cli_app, "init-db")
    result = run(cli_app, "seed", "--count", "6")
    assert result.exit_code == 0, result.output
    client = cli_app.test_client()
    with cli_app.app_context():
        assert Post.select().count() == 6
    assert len(client.get("/api/v1/posts").get_json()["items"]) == 4


def test_check_password_says_whether_a_password_is_the_admins_current_one(cli_app):
    run(cli_app, "init-db")
    run(cli_app, "create-admin", "--username", "editor", input="a long password\n")
    good = run(cli_app, "check-password", "--username", "editor", input="a long password\n")
    assert good.exit_code == 0, good.output
    run(cli_app, "create-admin", "--username", "editor", input="another password\n")
    stale = run(cli_app, "check-password", "--username", "editor", input="a long password\n")
    assert stale.exit_code == 1 and "not the current password" in stale.output
    other = run(cli_app, "check-password", "--username", "someone", input="another password\n")
    assert other.exit_code == 1


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_export_writes_a_file_only_its_owner_reads_and_says_what_it_wrote(cli_app, tmp_path):
    run(cli_app, "init-db")
    run(cli_app, "create-admin", "--username", "editor", input="a long password\n")
    run(cli_app, "seed", "--count", "1")
    loose = tmp_path / "site.ndjson"
    loose.write_text("")
    loose.chmod(0o644)
    result = run(cli_app, "export", "--output", str(loose))
    assert result.exit_code == 0, result.output
    assert result.output == f"Exported 1 post, 1 revision, 1 admin to {loose}.\n"
    assert mode(loose) == 0o600 and loose.read_text().count("\n") == 4
    fresh = tmp_path / "fresh.ndjson"
    run(cli_app, "export", "-o", str(fresh))
    assert mode(fresh) == 0o600


def test_seed_counts_read_right(cli_app):
    run(cli_app, "init-db")
    assert run(cli_app, "seed", "--count", "1").output == "Added 1 demo post.\n"
    assert run(cli_app, "seed", "--count", "2").output == "Added 2 demo posts (the 2nd hidden).\n"


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite's files")
def test_the_sqlite_database_and_its_wal_and_shm_are_the_owners_only(cli_app, database_url):
    run(cli_app, "init-db")
    with cli_app.app_context():
        Post.select().count()  # a connection is open: the -wal and -shm files exist
        path = database_url.removeprefix("sqlite:///")
        assert {suffix: mode(path + suffix) for suffix in ("", "-wal", "-shm")} == {"": 0o600, "-wal": 0o600,
                                                                                  "-shm": 0o600}


def test_the_development_secret_is_the_owners_only(tmp_path):
    config = {"MICROBLOG_ENV": "development", "SECRET_KEY": None, "JWT_SECRET_KEY": None}
    apply_secret_policy(dict(config), str(tmp_path))
    assert mode(tmp_path / "secret_key") == 0o600
    (tmp_path / "secret_key").chmod(0o644)  # as an older version, or a copy, left it
    apply_secret_policy(dict(config), str(tmp_path))
    assert mode(tmp_path / "secret_key") == 0o600


def test_make_writes_the_admin_password_for_its_owner_only(tmp_path):
    subprocess.run(["make", "-f", f"{harness.ROOT}/Makefile", "-C", str(tmp_path), "instance/admin-password"],
                   check=True, capture_output=True, preexec_fn=lambda: os.umask(0o022))
    assert mode(tmp_path / "instance" / "admin-password") == 0o600


def test_token_prints_an_access_token_that_works(cli_app):
    run(cli_app, "init-db")
    none_yet = run(cli_app, "token")
    assert none_yet.exit_code == 1 and "There is no admin yet" in none_yet.output
    run(cli_app, "create-admin", "--username", "editor", input="a long password\n")
    result = run(cli_app, "token")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert result.output == token + "\n"
    client = cli_app.test_client()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["username"] == "editor"
    assert run(cli_app, "token", "--username", "someone").output == "Error: No admin is named 'someone'.\n"
    run(cli_app, "create-admin", "--username", "editor", input="another password\n")  # signs every login out
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
