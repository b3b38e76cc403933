"""CLI: init-db, create-admin (stdin or prompt), seed."""
import pytest

from microblog.data.db import database
from microblog.data.models import Post, User


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
