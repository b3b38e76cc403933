"""Issue 23, item 1: anonymous clients looping on the sitemap and its parts must not starve
other readers of database connections. A real server (`microblog serve`: granian, 2 workers)
on a blog of 20,000 and of 100,000 posts (bench/seed.py); 16 clients fetch the sitemap, then
its parts, half of them revalidating with the ETag they got; meanwhile another reader's
requests for one post must keep a median under 50 ms, and no answer may be a 5xx.

SQLite only (bench/seed.py writes SQLite files): on the PostgreSQL pass it is skipped, so
that `make test` runs it once."""
import http.client
import os
import re
import statistics
import threading
import time

import pytest

from bench.seed import seed
from scripts import harness

CLIENTS = 16
SECONDS = 8  # of load per blog size: each client loops this long
READER_PATH = "/api/v1/posts/1000"
MEDIAN_LIMIT = 0.050
PART = re.compile(rb"<loc>https?://[^/<]+(/sitemap-\d+\.xml)</loc>")

pytestmark = [pytest.mark.alone,  # 16 clients load the machine, and a reader's median is timed
              pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                 reason="runs once, on the SQLite pass (the blog is seeded as a SQLite file)")]


class Tally:
    """Statuses seen, by every thread."""

    def __init__(self):
        self.lock, self.statuses = threading.Lock(), {}

    def add(self, status):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


def fetch(connection, path, etag=None):
    connection.request("GET", path, headers={"If-None-Match": etag} if etag else {})
    response = connection.getresponse()
    return response.status, response.getheader("ETag"), response.read()


def looping_client(port, number, revalidates, deadline, tally):
    """The sitemap, then its parts from the `number`th on, round and round until `deadline`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    etags = {}
    paths = ["/sitemap.xml"]
    index = 0
    while time.monotonic() < deadline:
        path = paths[(number + index) % len(paths)]
        index += 1
        status, etag, body = fetch(connection, path, etags.get(path) if revalidates else None)
        tally.add(status)
        if status == 200:
            etags[path] = etag
            if path == "/sitemap.xml":
                paths = ["/sitemap.xml"] + [found.decode() for found in PART.findall(body)]
    connection.close()


def reader(port, deadline, tally, latencies):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, _etag, _body = fetch(connection, READER_PATH)
        latencies.append(time.perf_counter() - started)
        tally.add(status)
        time.sleep(0.02)
    connection.close()


@pytest.mark.parametrize("posts", [20_000, 100_000])
def test_sitemap_loops_leave_other_readers_fast(tmp_path, posts):
    path = tmp_path / "blog.sqlite3"
    seed(str(path), posts)
    server = harness.server(harness.server_env(f"sqlite:///{path}"), 2, "granian").start()
    try:
        tally, latencies = Tally(), []
        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=looping_client, args=(server.port, n, n % 2 == 1, deadline, tally))
                   for n in range(CLIENTS)]
        threads.append(threading.Thread(target=reader, args=(server.port, deadline, tally, latencies)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 60)
    finally:
        server.stop()
    median = statistics.median(latencies)
    print(f"{posts} posts: reader p50 {median * 1000:.1f} ms over {len(latencies)} requests; statuses {tally.statuses}")
    assert not [status for status in tally.statuses if status >= 500], tally.statuses
    assert median < MEDIAN_LIMIT, (median, tally.statuses)
    assert tally.statuses.get(200, 0) > CLIENTS  # the loops did run
