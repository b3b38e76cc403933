"""A configuration error stops every entry point with one clear line on stderr, never a traceback:
the flask and microblog command lines, `microblog serve`, gunicorn and granian on wsgi:app."""
import glob
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest

from scripts import harness

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

BIN = os.path.dirname(sys.executable)
MESSAGE = "SECRET_KEY must be set to at least 32 bytes (MICROBLOG_ENV=production"


@pytest.fixture
def production_without_secret(tmp_path):
    env = {name: value for name, value in os.environ.items()
           if name not in ("SECRET_KEY", "JWT_SECRET_KEY", "FLASK_DEBUG")}
    env.update(MICROBLOG_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    return env


def run(command, env):
    return subprocess.run(command, env=env, cwd=harness.ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [
    ["flask", "--app", "microblog", "init-db"],
    ["flask", "--app", "microblog", "create-admin", "--username", "admin"],
    ["flask", "--app", "microblog", "run", "--port", "0"],
    ["microblog", "serve", "--port", "0"],
])
def test_a_command_line_says_a_configuration_error_in_one_line(production_without_secret, command):
    result = run([f"{BIN}/{command[0]}", *command[1:]], production_without_secret)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {MESSAGE}"), result.stderr
    assert "MICROBLOG_ENV=development generates one" in lines[0]


def test_a_bad_number_is_one_line_too(production_without_secret):
    result = run([f"{BIN}/flask", "--app", "microblog", "init-db"],
                 {**production_without_secret, "SECRET_KEY": "s" * 40, "DB_POOL_SIZE": "many"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["Error: DB_POOL_SIZE: invalid literal for int() with base 10: 'many'"]


@pytest.mark.parametrize("server", [
    ["gunicorn", "--config", "gunicorn.conf.py", "--workers", "2", "--bind", "127.0.0.1:0",
     "--no-control-socket", "wsgi:app"],
    ["granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", "0", "wsgi:app"],
])
def test_a_server_on_wsgi_app_stops_with_one_line_per_worker(production_without_secret, server):
    result = run([f"{BIN}/{server[0]}", *server[1:]], production_without_secret)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "configuration error" in line]
    assert errors and all(line == f"microblog: configuration error: {MESSAGE}; MICROBLOG_ENV=development "
                          "generates one). Generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
                          for line in errors), result.stderr


BAD_DATABASE_URLS = {
    "a folder that does not exist": "sqlite:////no/such/folder/microblog.sqlite3",
    "a bare path": "instance/microblog.sqlite3",
    "two slashes": "sqlite://relative.sqlite3",
    "an unsupported scheme": "mysql://user:password@127.0.0.1/blog",
    "a server that does not answer": "postgresql://postgres@127.0.0.1:{closed_port}/postgres",
}
ENTRY_POINTS = {
    "init-db": ["flask", "--app", "microblog", "init-db"],
    "flask run": ["flask", "--app", "microblog", "run", "--port", "0"],
    "serve": ["microblog", "serve", "--port", "0"],
    "gunicorn": ["gunicorn", "--config", "gunicorn.conf.py", "--workers", "1", "--bind", "127.0.0.1:0",
                 "--no-control-socket", "wsgi:app"],
    "granian": ["granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", "0", "wsgi:app"],
}


@pytest.fixture
def production(production_without_secret):
    return {**production_without_secret, "SECRET_KEY": "s" * 40}


def the_one_error_line(command, env):
    """The one line an entry point says about its configuration before it stops."""
    result = run([f"{BIN}/{command[0]}", *command[1:]], env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "DATABASE_URL" in line]
    assert errors and len(set(errors)) == 1, result.stderr
    if command[0] in ("flask", "microblog"):
        assert result.stderr.strip() == errors[0]
    return errors[0]


@pytest.mark.parametrize("case", BAD_DATABASE_URLS)
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_bad_database_url_is_one_line_from_every_entry_point(production, case, entry):
    url = BAD_DATABASE_URLS[case].format(closed_port=harness.free_port())
    line = the_one_error_line(ENTRY_POINTS[entry], {**production, "DATABASE_URL": url})
    assert "DATABASE_URL" in line and ("create it" in line or "use sqlite:///" in line or "start it" in line), line


@pytest.fixture(scope="module")
def postgres_with_password():
    """A throwaway PostgreSQL server that checks passwords (scram-sha-256), role `writer`."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        pytest.skip("no PostgreSQL server binaries")
    folder = pathlib.Path(tempfile.mkdtemp())  # pytest's folders are closed to the postgres user
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_owner:
        shutil.chown(folder, "postgres", "postgres")
    (folder / "pw").write_text("right-password\n")
    port = harness.free_port()
    subprocess.run([*as_owner, f"{bins[-1]}/initdb", "-D", f"{folder}/data", "-U", "writer", "-A", "scram-sha-256",
                    f"--pwfile={folder}/pw", "--no-sync"], check=True, capture_output=True)
    subprocess.run([*as_owner, f"{bins[-1]}/pg_ctl", "-D", f"{folder}/data", "-l", f"{folder}/log", "-w", "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    yield f"127.0.0.1:{port}"
    subprocess.run([*as_owner, f"{bins[-1]}/pg_ctl", "-D", f"{folder}/data", "-m", "immediate", "-w", "stop"],
                   capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_wrong_database_password_is_one_line(production, postgres_with_password, entry):
    url = f"postgresql://writer:wrong@{postgres_with_password}/postgres"
    line = the_one_error_line(ENTRY_POINTS[entry], {**production, "DATABASE_URL": url})
    assert "password authentication failed" in line and "correct the user and password in DATABASE_URL" in line
    assert "wrong" not in line.replace("wrong password", "")


def test_the_right_database_password_works(production, postgres_with_password):
    url = f"postgresql://writer:right-password@{postgres_with_password}/postgres"
    result = run([f"{BIN}/flask", "--app", "microblog", "init-db"], {**production, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", [
    ["microblog", "serve", "--help"],
    ["flask", "--app", "microblog", "serve", "--help"],
    ["flask", "--app", "microblog", "init-db", "--help"],
    ["flask", "--app", "microblog", "--help"],
    ["microblog", "--help"],
])
def test_help_needs_no_configuration(production_without_secret, command):
    env = {**production_without_secret, "DATABASE_URL": "mysql://nowhere"}
    result = run([f"{BIN}/{command[0]}", *command[1:]], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage:") and result.stderr == ""
