"""Brute force against a real gunicorn (4 workers, production password hashing).

1. A burst of wrong logins for the admin from one client, spread over every worker: how many
   passwords were actually checked before the throttle stopped them (401s), and how many
   were refused unchecked (429s).
2. The lock holds on every worker: further tries, the right password among them, get 429.
3. Timing: 300 logins for an unknown user and 300 with a wrong password for the admin, each
   from its own client address (so none is throttled), interleaved: the two medians must be
   within 10% of each other.
Prints every figure; exits 1 if the lock leaks or the medians differ by more than 10%.
"""
import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import harness
import requests

BURST, THREADS = 40, 8


def attempt(url, username, password, client):
    started = time.perf_counter()
    response = requests.post(f"{url}/api/v1/auth/login", json={"username": username, "password": password},
                             headers={"X-Forwarded-For": client}, timeout=30)
    return response.status_code, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=300, help="timed tries of each kind")
    args = parser.parse_args()
    env = harness.server_env(harness.database_url(), PROXY_COUNT=1)
    harness.init_db(env)
    server = harness.server(env, workers=4).start()
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            burst = list(pool.map(lambda _: attempt(server.url, "admin", "guess", "198.51.100.1")[0], range(BURST)))
        checked, refused = burst.count(401), burst.count(429)
        print(f"burst: {BURST} wrong logins from one client over 4 workers: "
              f"{checked} password checks ran, {refused} refused unchecked (429)")
        after = [attempt(server.url, "admin", password, "198.51.100.1")[0]
                 for password in ["guess"] * 10 + [harness.ADMIN[1]] * 10]
        print(f"lock: {after.count(429)} of {len(after)} later tries refused on every worker "
              f"(right password included); other statuses: {sorted(set(after) - {429})}")
        elsewhere = attempt(server.url, "admin", harness.ADMIN[1], "203.0.113.50")[0]
        print(f"the admin from another address: {elsewhere}")

        unknown, wrong = [], []
        for n in range(args.tries):
            client = f"10.{n // 250}.{n % 250}.1"
            unknown.append(attempt(server.url, f"nobody{n}", "whatever", client + "0"))
            wrong.append(attempt(server.url, "admin", f"wrong{n}", client + "1"))
        assert {status for status, _ in unknown + wrong} == {401}, "timed tries must all be checked"
        unknown_median = statistics.median(t for _, t in unknown) * 1000
        wrong_median = statistics.median(t for _, t in wrong) * 1000
        gap = abs(unknown_median - wrong_median) / max(unknown_median, wrong_median)
        print(f"timing over {args.tries} tries each: unknown user median {unknown_median:.1f} ms, "
              f"wrong password median {wrong_median:.1f} ms, difference {gap:.1%}")
    finally:
        server.stop()
    failed = after.count(429) != len(after) or elsewhere != 200 or checked > 1 + 5 + THREADS or gap > 0.10
    print("RESULT:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
