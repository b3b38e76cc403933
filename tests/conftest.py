"""Fixtures: app (fresh database per test), client, auth. TEST_DATABASE_URL picks the backend."""
import os
import shutil
from urllib.parse import urlsplit

import psycopg2
import pytest

from microblog import create_app
from microblog.data import migrations
from microblog.data.db import open_database
from microblog.data.models import MODELS
from microblog.service import auth as auth_service
from scripts import harness

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "correct horse battery staple"
TEST_SECRET = "test-secret-" + "x" * 60
CHEAP_HASH = "pbkdf2:sha256:1000"


def pytest_configure(config):
    """Each pytest-xdist worker (make test runs two) has a PostgreSQL database of its own."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_DATABASE_URL")
    if worker and url:
        os.environ["TEST_DATABASE_URL"] = new_database(url, f"microblog_{worker}")


def new_database(url, name):
    """An empty database `name` on `url`'s server (dropped first if a run left it); its URL."""
    server = psycopg2.connect(url)
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def pytest_report_header():
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {url}" if url else "database: SQLite, a new file for each test"


@pytest.fixture
def database_url(tmp_path):
    """SQLite in a temporary folder, or the server named by TEST_DATABASE_URL (emptied after)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path}/test.sqlite3"
        return
    yield url
    server = open_database(url)
    with server.bind_ctx(MODELS), server.connection_context():
        server.drop_tables(MODELS, safe=True, cascade=True)
        server.execute_sql("DROP TABLE IF EXISTS schema_version")
    server.close_all()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database; keyword arguments override the config. The apps'
    pooled connections are closed after the test (before its database is dropped)."""
    made = []

    def make(**overrides):
        config = {
            "TESTING": True,
            "MICROBLOG_ENV": "testing",
            "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": database_url,
            "PASSWORD_HASH_METHOD": CHEAP_HASH,
            "RATELIMIT_ENABLED": False,
            **overrides,
        }
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:
        app.extensions["database"].close_all()


@pytest.fixture
def make_ready_app(make_app):
    """make_app, with the database created and the admin set."""

    def make(**overrides):
        app = make_app(**overrides)
        with app.app_context():
            migrations.upgrade(app.extensions["database"])
            auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)
        return app

    return make


@pytest.fixture
def app(make_ready_app):
    return make_ready_app()


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Log in as the admin and call the admin API with its token."""

    def __init__(self, client):
        self.client = client
        self._tokens = None

    def login(self, username=ADMIN_USERNAME, password=ADMIN_PASSWORD):
        return self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )

    @property
    def tokens(self):
        if self._tokens is None:
            response = self.login()
            assert response.status_code == 200, response.get_json()
            self._tokens = response.get_json()
        return self._tokens

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def create_post(self, **fields):
        """Create a post through the API and return its admin JSON."""
        fields.setdefault("content", "Some content")
        response = self.client.post("/api/v1/admin/posts", json=fields, headers=self.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def live_server(database_url):
    """Start a real server of microblog (`kind` granian or gunicorn) with production settings on
    the test database, initialised, its admin harness.ADMIN; every server is stopped after the test."""
    started = []

    def start(kind="granian", workers=2, **settings):
        env = harness.server_env(database_url, **settings)
        harness.init_db(env)
        started.append(harness.server(env, workers, kind).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def browser():
    """Debian's chromium (never a downloaded one) under Playwright, for the browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def hub():
    """A WebSub hub on loopback (tests/peers/websub_hub.py), stopped after the test."""
    from tests.peers.websub_hub import Hub

    started = Hub().start()
    yield started
    started.stop()


@pytest.fixture
def remote():
    """A fediverse server on loopback (tests/peers/fediverse.py), stopped after the test."""
    from tests.peers.fediverse import Fediverse

    started = Fediverse().start()
    yield started
    started.stop()


@pytest.fixture
def site():
    """Another website on loopback (tests/peers/webmention_site.py): pages, and Webmention endpoints."""
    from tests.peers.webmention_site import Site

    started = Site().start()
    yield started
    started.stop()


@pytest.fixture
def run_worker():
    """Run microblog's delivery worker for an app on a thread; every one is stopped after the test."""
    import threading

    from microblog.worker import Worker

    started = []

    def run(app):
        worker = Worker(app)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    yield run
    for worker, thread in started:
        worker.stop()
        thread.join(timeout=30)
