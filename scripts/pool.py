"""PostgreSQL connections under load (run under with-postgres.sh): wrk -c200 for 30 s against a
list page of `microblog serve`, then how many connections the server still holds a minute later;
once with each worker's pool as large as it used to be (unbounded, connections kept an hour) and
once with the default bound. Traffic goes to 127.0.0.1 only; every server is stopped."""
import multiprocessing
import os
import re
import subprocess
import threading
import time

import harness
import psycopg2

WORKERS = 2 * multiprocessing.cpu_count() + 1
LOAD = ["wrk", "-t2", "-c200", "-d30s"]
SETTLE_SECONDS = 60
SERVER_BACKENDS = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
POOLS = [("unbounded, kept 1 h (as before)", {"DB_POOL_SIZE": 100_000, "DB_POOL_IDLE_TIMEOUT": 3600}),
         ("DB_POOL_SIZE=4 (default)", {})]


def backends(observer):
    with observer.cursor() as cursor:
        cursor.execute(SERVER_BACKENDS)
        return cursor.fetchone()[0]


def sample_peak(observer, peak, stop):
    while not stop.is_set():
        peak[0] = max(peak[0], backends(observer))
        time.sleep(0.5)


def run(name, settings, observer):
    env = harness.server_env(os.environ["TEST_DATABASE_URL"], **settings)
    harness.init_db(env)
    subprocess.run([f"{harness.BIN}/flask", "--app", "microblog", "seed", "--count", "40"],
                   env=env, cwd=harness.ROOT, check=True, stdout=subprocess.DEVNULL)
    server = harness.Granian(env, WORKERS).start()
    peak, stop = [0], threading.Event()
    sampler = threading.Thread(target=sample_peak, args=(observer, peak, stop))
    sampler.start()
    try:
        output = subprocess.run([*LOAD, f"{server.url}/api/v1/posts?limit=20"], check=True,
                                capture_output=True, text=True).stdout
    finally:
        stop.set()
        sampler.join()
    try:
        time.sleep(SETTLE_SECONDS)
        left = backends(observer)
    finally:
        server.stop()
        with psycopg2.connect(os.environ["TEST_DATABASE_URL"]) as cleanup, cleanup.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    total = int(re.search(r"(\d+) requests in", output).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failed = int(failed.group(1)) if failed else 0
    print(f"{name:32} {total:>8} {failed:>7} ({100 * failed / total:5.1f} %) {peak[0]:>5} "
          f"{left:>5} ({left / WORKERS:.1f} per worker)", flush=True)


def main():
    observer = psycopg2.connect(os.environ["TEST_DATABASE_URL"])
    observer.autocommit = True
    with observer.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = cursor.fetchone()[0]
    print(f"{WORKERS} workers of microblog serve, PostgreSQL max_connections={limit}; "
          f"{' '.join(LOAD)} on a list page, then {SETTLE_SECONDS} s idle")
    print(f"{'pool':32} {'requests':>8} {'non-2xx':>7} {'':9} {'peak':>5} {'left':>5}")
    try:
        for name, settings in POOLS:
            run(name, settings, observer)
    finally:
        observer.close()


if __name__ == "__main__":
    main()
