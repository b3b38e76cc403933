"""Logins and password changes under bursts of parallel requests, against a real server."""
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from microblog.service import login_throttle
from scripts import harness

BURST = 60


def attempt(url, password, client):
    return requests.post(f"{url}/api/v1/auth/login", json={"username": harness.ADMIN[0], "password": password},
                         headers={"X-Forwarded-For": client}, timeout=60)


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_a_burst_of_wrong_logins_checks_no_more_passwords_than_one_by_one(live_server, kind):
    """Every attempt is counted before its password is checked, so 60 at once from one
    address get the same FREE_FAILURES + 1 checks as 60 in a row (production hashing)."""
    server = live_server(kind, workers=5, PROXY_COUNT=1)
    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(lambda n: attempt(server.url, f"guess{n}", "198.51.100.1"), range(BURST)))
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] <= login_throttle.FREE_FAILURES + 1, statuses
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in answers if answer.status_code == 429)
    assert attempt(server.url, harness.ADMIN[1], "203.0.113.50").status_code == 200


def test_a_burst_of_wrong_current_passwords_checks_no_more_than_logins_do(live_server):
    """A stolen fresh token, 60 password changes at once: the same budget as logins."""
    server = live_server("granian", workers=5, PROXY_COUNT=1)
    token = attempt(server.url, harness.ADMIN[1], "198.51.100.2").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.2"}

    def change(n):
        return requests.put(f"{server.url}/api/v1/auth/password", headers=headers, timeout=60,
                            json={"current_password": f"guess{n}", "new_password": "a new passphrase"})

    with ThreadPoolExecutor(BURST) as pool:
        statuses = Counter(answer.status_code for answer in pool.map(change, range(BURST)))
    assert set(statuses) <= {403, 429}, statuses
    assert statuses[403] <= login_throttle.FREE_FAILURES + 1, statuses


def test_of_concurrent_password_changes_exactly_one_is_told_it_succeeded(live_server):
    """The others' token was revoked by the winner: they must not report a password that
    does not work."""
    server = live_server("granian", workers=5, PROXY_COUNT=1)
    token = attempt(server.url, harness.ADMIN[1], "198.51.100.3").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.3"}

    def change(n):
        return requests.put(f"{server.url}/api/v1/auth/password", headers=headers, timeout=60,
                            json={"current_password": harness.ADMIN[1], "new_password": f"new passphrase {n}"})

    with ThreadPoolExecutor(10) as pool:
        statuses = [answer.status_code for answer in pool.map(change, range(10))]
    assert statuses.count(204) == 1 and set(statuses) <= {204, 401, 429}, statuses
    winner = statuses.index(204)
    logins = [attempt(server.url, f"new passphrase {n}", f"203.0.113.{n}").status_code for n in range(10)]
    assert logins == [200 if n == winner else 401 for n in range(10)]
