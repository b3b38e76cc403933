"""Abuse limits: login throttling in the database, and general request limits."""
import logging
from datetime import timedelta

import pytest
from limits import parse

from microblog.data.models import LoginFailure, utcnow
from microblog.service import login_throttle
from microblog.service.errors import Throttled
from microblog.web import request_limits
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.helpers import assert_problem
from tests.test_auth import HashChecks

LOGIN = "/api/v1/auth/login"


def login(client, password="wrong", username=ADMIN_USERNAME, address="10.0.0.1"):
    return client.post(LOGIN, json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_after_five_free_failures_a_client_waits_and_no_password_is_checked(app, client, monkeypatch):
    for _ in range(login_throttle.FREE_FAILURES + 1):
        assert login(client).status_code == 401
    checks = HashChecks(monkeypatch)
    for password in ("wrong", ADMIN_PASSWORD):
        response = login(client, password)
        body = assert_problem(response, 429)
        assert 1 <= int(response.headers["Retry-After"]) <= 2 and "try again" in body["detail"]
    assert checks.methods == [], "no password is checked while locked"


def test_the_lock_is_per_client_so_the_admin_elsewhere_still_logs_in(client):
    for _ in range(login_throttle.FREE_FAILURES + 2):
        login(client, address="203.0.113.9")
    assert login(client, address="203.0.113.9").status_code == 429
    assert login(client, ADMIN_PASSWORD, address="198.51.100.7").status_code == 200


def test_the_lock_holds_on_every_worker(make_app, client):
    for _ in range(login_throttle.FREE_FAILURES + 2):
        login(client)
    assert login(make_app().test_client(), ADMIN_PASSWORD).status_code == 429


def failures_until_locked_for_good(app, count):
    """`count` failed attempts of one pair, each checked at once and made once the previous
    lock has passed; the lock (in seconds) after each."""
    now = utcnow() - timedelta(hours=20)
    waits = []
    with app.app_context():
        for _ in range(count):
            login_throttle.failed("admin", "c", login_throttle.reserve("admin", "c", now), now)
            row = LoginFailure.get(LoginFailure.key == login_throttle.pair_key("admin", "c"))
            waits.append(int((row.locked_until - now).total_seconds()) if row.locked_until else 0)
            now += timedelta(seconds=max(waits[-1], 1))
    return waits


def test_a_wait_runs_from_the_end_of_the_check_that_earned_it(app):
    """However slowly a busy server checks a password, no attempt is checked in the meantime."""
    now = utcnow()
    later = lambda seconds: now + timedelta(seconds=seconds)  # noqa: E731
    with app.app_context():
        for _ in range(login_throttle.FREE_FAILURES):
            login_throttle.failed("admin", "c", login_throttle.reserve("admin", "c", now), now)
        sixth = login_throttle.reserve("admin", "c", now)  # earns a 1 s wait, once checked
        with pytest.raises(Throttled):
            login_throttle.reserve("admin", "c", later(3))  # its check is still going on
        login_throttle.failed("admin", "c", sixth, later(4))
        with pytest.raises(Throttled):
            login_throttle.reserve("admin", "c", later(4.5))
        assert login_throttle.reserve("admin", "c", later(5.1)) == login_throttle.FREE_FAILURES + 2


def test_a_one_second_wait_says_one_second(app):
    now = utcnow()
    with app.app_context():
        for _ in range(login_throttle.FREE_FAILURES + 1):
            login_throttle.failed("admin", "c", login_throttle.reserve("admin", "c", now), now)
        with pytest.raises(Throttled) as refused:
            login_throttle.reserve("admin", "c", now + timedelta(seconds=0.5))
    assert refused.value.detail == "Too many failed attempts; try again in 1 second."


def test_waits_double_up_to_fifteen_minutes(app):
    waits = failures_until_locked_for_good(app, login_throttle.FREE_FAILURES + 14)
    assert waits[:login_throttle.FREE_FAILURES] == [0] * login_throttle.FREE_FAILURES
    assert waits[login_throttle.FREE_FAILURES:login_throttle.FREE_FAILURES + 5] == [1, 2, 4, 8, 16]
    assert max(waits) == 15 * 60 and waits[-1] == 15 * 60


def test_the_wait_stays_at_fifteen_minutes_after_thousands_of_failures():
    assert [login_throttle.wait_after(n) for n in (1, 5, 6, 7, 16, 53, 1_000, 10_000)] == [
        None, None, timedelta(seconds=1), timedelta(seconds=2), timedelta(minutes=15),
        timedelta(minutes=15), timedelta(minutes=15), timedelta(minutes=15)]


def test_a_pair_driven_far_past_the_cap_is_still_counted_and_locked(app, client):
    """53 failures once overflowed the wait (500s, never counted again): unlimited guessing."""
    with app.app_context():
        key = login_throttle.pair_key(ADMIN_USERNAME, "10.0.0.1")
        LoginFailure.create(key=key, failures=9_999, first_at=utcnow(), last_at=utcnow())
    response = login(client)
    assert response.status_code == 401, response.get_json()
    body = assert_problem(login(client), 429)
    assert "try again" in body["detail"]
    with app.app_context():
        row = LoginFailure.get(LoginFailure.key == key)
    assert row.failures == 10_000
    assert 14 * 60 < (row.locked_until - utcnow()).total_seconds() <= 15 * 60


def test_a_success_clears_the_failures(client):
    for _ in range(login_throttle.FREE_FAILURES):
        login(client)
    assert login(client, ADMIN_PASSWORD).status_code == 200
    for _ in range(login_throttle.FREE_FAILURES):
        assert login(client).status_code == 401


def test_a_client_gets_a_hundred_failures_an_hour_whatever_the_names(app, client):
    now = utcnow()
    with app.app_context():
        for n in range(login_throttle.CLIENT_FAILURES_PER_HOUR):
            login_throttle.reserve(f"user{n}", "10.0.0.1", now)
    response = login(client, ADMIN_PASSWORD, username=ADMIN_USERNAME)
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) > 55 * 60
    assert login(client, ADMIN_PASSWORD, address="10.0.0.2").status_code == 200
    with app.app_context():
        LoginFailure.update(first_at=now - timedelta(hours=2), locked_until=now - timedelta(hours=1)).execute()
    assert login(client, ADMIN_PASSWORD).status_code == 200


def test_unlock_admin_clears_the_locks(app, client):
    for _ in range(login_throttle.FREE_FAILURES + 2):
        login(client)
    result = app.test_cli_runner().invoke(args=["unlock-admin", "--username", ADMIN_USERNAME])
    assert result.exit_code == 0 and "Cleared 1 login lock." in result.output
    assert login(client, ADMIN_PASSWORD).status_code == 200
    assert "Cleared" in app.test_cli_runner().invoke(args=["unlock-admin"]).output


def limited_client(make_app, reads="3 per minute", writes="2 per minute"):
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_READS=reads, RATELIMIT_WRITES=writes).test_client()


def test_reads_are_limited_per_client_across_the_api(make_app, app):
    client = limited_client(make_app)
    assert [client.get(path).status_code for path in ("/api/v1/tags", "/api/v1/posts", "/feed.json")] == [200] * 3
    response = client.get("/api/v1/tags")
    body = assert_problem(response, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 60 and "3 per 1 minute" in body["detail"]
    assert client.get("/healthz").status_code == 200, "health checks are never limited"
    other = client.get("/api/v1/tags", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200 and "Retry-After" not in other.headers


def test_writes_are_limited_per_endpoint_and_client(make_app, app):
    client = limited_client(make_app)
    statuses = [client.post(LOGIN, json={"username": "x", "password": "y"}).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_the_client_address_comes_from_trusted_proxies_only(make_app, app):
    direct = limited_client(make_app, reads="1 per minute")
    forged = {"X-Forwarded-For": "1.2.3.4"}
    assert direct.get("/api/v1/tags", headers=forged).status_code == 200
    assert direct.get("/api/v1/tags", headers={"X-Forwarded-For": "5.6.7.8"}).status_code == 429
    proxied = make_app(RATELIMIT_ENABLED=True, RATELIMIT_READS="1 per minute", PROXY_COUNT=1).test_client()
    assert proxied.get("/api/v1/tags", headers=forged).status_code == 200
    assert proxied.get("/api/v1/tags", headers={"X-Forwarded-For": "5.6.7.8"}).status_code == 200


def test_forwarded_requests_without_a_trusted_proxy_are_warned_about_once(make_app, app, caplog):
    client = make_app().test_client()
    client.get("/api/v1/tags")
    assert "PROXY_COUNT" not in caplog.text, "no proxy, no warning"
    for _ in range(3):
        client.get("/api/v1/tags", headers={"X-Forwarded-For": "203.0.113.4"})
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "PROXY_COUNT is 0" in r.getMessage()]
    assert len(warnings) == 1
    caplog.clear()
    make_app(PROXY_COUNT=1).test_client().get("/api/v1/tags", headers={"X-Forwarded-For": "203.0.113.4"})
    assert "PROXY_COUNT" not in caplog.text, "a trusted proxy is no cause for warning"


def test_no_cross_origin_access_by_default(client):
    response = client.get("/api/v1/posts", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cross_origin_access_for_the_allowed_origins_only(make_app, app, auth):
    client = make_app(CORS_ORIGINS="https://blog.example, https://admin.example").test_client()
    allowed = client.get("/api/v1/posts", headers={"Origin": "https://blog.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://blog.example"
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in client.get(
        "/api/v1/posts", headers={"Origin": "https://evil.example"}).headers
    preflight = client.options("/api/v1/admin/posts", headers={
        "Origin": "https://admin.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://admin.example"
    assert "idempotency-key" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_process_windows_restart_after_their_window_and_forget_old_clients(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(request_limits.time, "monotonic", lambda: clock[0])
    windows, limit = request_limits.ProcessWindows(), parse("2 per minute")
    assert [windows.hit(limit, "a")[0] for _ in range(3)] == [True, True, False]
    assert windows.hit(limit, "a") == (False, 60.0)
    clock[0] += 45
    assert windows.hit(limit, "a") == (False, 15.0)
    clock[0] += 15
    assert windows.hit(limit, "a") == (True, 60.0), "a new window"
    monkeypatch.setattr(windows, "hits_before_sweep", 2)
    windows.hit(limit, "b")
    clock[0] += 61
    windows.hit(limit, "c")
    assert set(windows.windows) == {"c"}, "expired windows are swept"


def test_shared_windows_count_in_the_store_and_say_when_to_retry():
    windows, limit = request_limits.SharedWindows("memory://", logging.getLogger()), parse("2 per minute")
    assert [windows.hit(limit, "a")[0] for _ in range(3)] == [True, True, False]
    allowed, seconds_left = windows.hit(limit, "a")
    assert not allowed and 59 < seconds_left <= 60
    assert windows.hit(limit, "b") == (True, 0)


def test_every_limit_of_a_list_applies(make_app, app):
    client = limited_client(make_app, reads="100 per minute; 2 per hour")
    assert [client.get("/api/v1/tags").status_code for _ in range(2)] == [200, 200]
    body = assert_problem(client.get("/api/v1/tags"), 429)
    assert "2 per 1 hour" in body["detail"]
