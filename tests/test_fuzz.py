"""Contract fuzzing: schemathesis drives every operation of the app's own OpenAPI document with
valid and invalid inputs, anonymously and as the admin. Any server error, response outside the
documented schema, status or content type, invalid input accepted, or admin route answering
without a token fails the test. Fixed seed; FUZZ_EXAMPLES cases per operation and identity.

The schema is loaded from an app built here, not from a fixture: schemathesis' lazy fixture
loader does not run on pytest 9.
"""
import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from microblog import create_app
from microblog.data import migrations
from microblog.service import auth as auth_service
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, CHEAP_HASH, TEST_SECRET

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CASES = {"count": 0}

APP = create_app({
    "TESTING": True,
    "MICROBLOG_ENV": "testing",
    "SECRET_KEY": TEST_SECRET,
    "DATABASE_URL": os.environ.get("TEST_DATABASE_URL")
    or f"sqlite:///{tempfile.mkdtemp()}/fuzz.sqlite3",
    "PASSWORD_HASH_METHOD": CHEAP_HASH,
    "RATELIMIT_ENABLED": False,
})
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@schemathesis.serializer("application/x-ndjson")
def ndjson(_context, value):
    """Import bodies are documented as strings of NDJSON: send the generated string as it is."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else str(value).encode()


def checks_skipped(case):
    """Cases that are rightly refused although their schema holds, for state no schema can
    describe: a random string is no cursor of ours, nor an NDJSON export, a random file no
    image (a JSON schema cannot say which bytes are a JPEG), nor the ETag of a
    post's current version (If-Match), and a random Idempotency-Key may already have been used
    with another body. For those (and only those)
    the check that valid-looking data is accepted is skipped; every other check runs."""
    state_bound = (
        "cursor" in (case.query or {})
        or "Idempotency-Key" in (case.headers or {})
        or "If-Match" in (case.headers or {})
        or case.operation.path == "/api/v1/admin/import"
        or (case.operation.path, case.operation.method) == ("/api/v1/admin/media", "post")
    )
    return [positive_data_acceptance] if state_bound else []

FUZZ_SETTINGS = settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None,
                         suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def admin_headers():
    with APP.app_context():
        migrations.upgrade(APP.extensions["database"])
        if not auth_service.admin_exists():
            auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)
    response = APP.test_client().post(
        "/api/v1/auth/login", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture(autouse=True)
def tables(admin_headers):
    """Other tests drop every table of a shared server after each test: bring them back."""
    with APP.app_context():
        migrations.upgrade(APP.extensions["database"])
        if not auth_service.admin_exists():
            auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, CHEAP_HASH)


@schema.parametrize()
@FUZZ_SETTINGS
def test_as_the_admin(case, admin_headers):
    CASES["count"] += 1
    case.call_and_validate(headers=admin_headers, excluded_checks=checks_skipped(case))


@schema.parametrize()
@FUZZ_SETTINGS
def test_anonymously(case):
    CASES["count"] += 1
    case.call_and_validate(excluded_checks=checks_skipped(case))


def test_zz_report_the_case_count(capsys):
    with capsys.disabled():
        print(f"\nschemathesis: {CASES['count']} cases against "
              f"{len(list(schema.get_all_operations()))} operations")
    assert CASES["count"] >= 1000 or FUZZ_EXAMPLES < 25
