"""Contention: 8 clients x 500 mixed writes (create, edit, hide, delete, restore) at once
through 4 gunicorn workers. On SQLite "database is locked" must never reach a client: every
response is 2xx (or a 4xx the client caused), none 5xx. Prints counts and throughput;
exits 1 on any server error.
"""
import argparse
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import harness
import requests


def client_load(url, headers, writes, seed):
    rng, session, statuses, mine = random.Random(seed), requests.Session(), Counter(), []
    for n in range(writes):
        action = rng.random()
        if action < 0.4 or not mine:
            response = session.post(f"{url}/api/v1/admin/posts", headers=headers,
                                    json={"content": f"load {seed}-{n}", "tags": [f"c{seed}"]})
            if response.status_code == 201:
                mine.append(response.json()["id"])
        else:
            post = f"{url}/api/v1/admin/posts/{rng.choice(mine)}"
            if action < 0.7:
                response = session.patch(post, headers=headers, json={"content": f"edit {seed}-{n}"})
            elif action < 0.8:
                response = session.patch(post, headers=headers, json={"visible": rng.random() < 0.5})
            elif action < 0.9:
                response = session.delete(post, headers=headers)
            else:
                response = session.post(f"{post}/restore", headers=headers)
        statuses[response.status_code] += 1
    return statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writes", type=int, default=500)
    args = parser.parse_args()
    env = harness.server_env(harness.database_url())
    harness.init_db(env)
    server = harness.server(env, workers=4).start()
    try:
        headers = harness.login(requests.Session(), server.url)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(lambda seed: client_load(server.url, headers, args.writes, seed),
                                    range(args.clients)))
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    total = sum(results, Counter())
    errors = sum(count for status, count in total.items() if status >= 500)
    print(f"database: {env['DATABASE_URL'].split(':')[0]}; {args.clients} clients x {args.writes} "
          f"writes through 4 workers in {elapsed:.1f} s ({sum(total.values()) / elapsed:.0f} writes/s)")
    print(f"statuses: {dict(sorted(total.items()))}; server errors: {errors}")
    print("RESULT:", "FAIL" if errors else "PASS")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
