"""Brute force against a real server (2 x cores + 1 workers, production password hashing).

1. A burst of 60 wrong logins for the admin at once from one client, spread over every worker:
   how many passwords were actually checked before the throttle stopped them (401s, at most
   FREE_FAILURES + 1 = 6 allowed), how many were refused unchecked (429s), and server errors.
2. The lock holds on every worker: of 20 further wrong logins one after another, only one per
   doubled wait (1 s, 2 s …) is checked, the others get 429.
3. Timing: 300 logins for an unknown user and 300 with a wrong password for the admin, each
   from its own client address (so none is throttled), interleaved: the two medians must be
   within 10% of each other.
Prints every figure; exits 1 if the burst checks more than 6 passwords or meets a server error,
the lock leaks, or the medians differ by more than 10%.
"""
import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import harness
import requests

BURST = 60
WORKERS = 2 * os.cpu_count() + 1
MAX_CHECKED = 6  # FREE_FAILURES + 1: one by one or all at once
LATER, MAX_LATER_CHECKED = 20, 3  # 20 tries take a second or two: the 1 s and 2 s waits end in it


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
    server = harness.server(env, workers=WORKERS).start()
    try:
        with ThreadPoolExecutor(BURST) as pool:
            burst = list(pool.map(lambda n: attempt(server.url, "admin", f"guess{n}", "198.51.100.1")[0], range(BURST)))
        checked, refused = burst.count(401), burst.count(429)
        errors = sum(status >= 500 for status in burst)
        print(f"burst: {BURST} wrong logins at once from one client over {WORKERS} workers: "
              f"{checked} password checks ran, {refused} refused unchecked (429), {errors} server errors")
        started = time.perf_counter()
        after = [attempt(server.url, "admin", f"later{n}", "198.51.100.1")[0] for n in range(LATER)]
        later_checked = after.count(401)
        print(f"lock: {LATER} more wrong logins one after another ({time.perf_counter() - started:.1f} s): "
              f"{after.count(429)} refused unchecked, {later_checked} checked (one each time the doubled "
              f"wait ran out); other statuses: {sorted(set(after) - {401, 429})}")
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
    failed = (later_checked > MAX_LATER_CHECKED or set(after) - {401, 429} or elsewhere != 200
              or checked > MAX_CHECKED or errors
              or gap > 0.10)
    print("RESULT:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
