"""A configuration error stops every entry point with one clear line on stderr, never a traceback:
the flask and microblog command lines, `microblog serve`, gunicorn and granian on wsgi:app."""
import os
import subprocess
import sys

import pytest

from scripts import harness

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
