"""CPU time of one kind of request inside microblog (the WSGI app called with a built environ:
no server, no network, no test client), on a seeded blog: what a change to the code saves,
measured apart from a shared machine's noise that wrk's rates carry.

    .venv/bin/python bench/seed.py /tmp/blog.sqlite3 10000
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 '/api/v1/posts/5000'            # a cache hit
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 '/api/v1/posts/{id}'            # a miss: a new post each time
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 '/feed.atom?bench={n}'          # a miss of the feed
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 '/api/v1/posts?cursor={cursor}' # a list's miss
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 '/api/v1/posts?q={word}'        # a search's miss
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 '/api/v1/admin/posts' --method POST   # admin creates (on a copy)
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 '/api/v1/admin/posts/{id}' --method PATCH
    .venv/bin/python bench/app_time.py /tmp/blog.sqlite3 /feed.atom --after-change   # the first read after a change

`{id}`, `{slug}` and `{cursor}` (the page after it) take a different public post's each request,
`{word}` a different seeded word that fills a page (as the bench's search miss), `{n}` a counter; --header
'If-None-Match: "…"' asks for a 304. Writes run
on a copy of the blog, as the admin, with a new body each request. The app is made as
`microblog serve`'s workers make it (create_served_app). Prints the median and the least of
`--rounds` rounds' CPU time a request, and the garbage collector's part of it. Compare two
versions of the code by running each (PYTHONPATH=<other worktree> picks another's; code older
than create_served_app with its own app_time.py)."""
import argparse
import gc
import io
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rows import page_filling_words  # noqa: E402
from seed import ADMIN_PASSWORD, ADMIN_USERNAME  # noqa: E402
from servers import service_env  # noqa: E402

PUBLIC = "visible AND deleted IS NULL AND publication_time <= datetime('now')"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("path")
    parser.add_argument("--method", default="GET", choices=["GET", "POST", "PATCH"])
    parser.add_argument("--header", action="append", default=[], help="NAME: VALUE, sent with every request")
    parser.add_argument("--requests", type=int, default=200, help="a round's requests")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--after-change", action="store_true",
                        help="before each request, untimed, the admin creates a post (on a copy of the blog)")
    parser.add_argument("--in-id-order", action="store_true",
                        help="take the posts in id order, not at random: the same requests on every run (instructions.py)")
    args = parser.parse_args()
    database = os.path.abspath(args.database)
    writes = args.method != "GET" or args.after_change
    if writes:
        database = os.path.join(tempfile.mkdtemp(), "blog.sqlite3")
        with sqlite3.connect(os.path.abspath(args.database)) as source, sqlite3.connect(database) as copy:
            source.backup(copy)
    os.environ.update(service_env(database))
    from werkzeug.test import EnvironBuilder

    from microblog import create_served_app
    from microblog.web.pagination import encode_cursor

    app = create_served_app()  # as `microblog serve`'s workers make it
    posts = sqlite3.connect(database).execute(
        f"SELECT id, slug, publication_time FROM post WHERE {PUBLIC} ORDER BY {'id' if args.in_id_order else 'random()'} LIMIT ?",
        ((args.rounds + 1) * args.requests + 1,)).fetchall()
    words = page_filling_words(sqlite3.connect(database)) if "{word}" in args.path else [None]
    headers = {"Host": "localhost", **dict(header.split(": ", 1) for header in args.header)}
    if writes:
        token = app.test_client().post("/api/v1/auth/login", json={
            "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).get_json()["access_token"]
        headers["Authorization"] = f"Bearer {token}"
    statuses = set()

    def start_response(status, _headers, _exc_info=None):
        statuses.add(status.split()[0])

    def environ(n):
        """The request's WSGI environ and body, built before the timing starts."""
        post_id, slug, time_text = posts[n % len(posts)]
        body = b"" if args.method == "GET" else json.dumps(
            {"content": f"Measured write {n}, with a few words of text.", "tags": ["bench"]}).encode()
        cursor = encode_cursor((datetime.fromisoformat(time_text), post_id))
        path = args.path.format(id=post_id, slug=slug, n=n, cursor=cursor, word=words[n % len(words)])
        return EnvironBuilder(path=path, method=args.method,
                              headers=headers, data=body or None,
                              content_type="application/json" if body else None).get_environ(), body

    def request(built):
        environ, body = built
        environ["wsgi.input"] = io.BytesIO(body)
        answer = app(environ, start_response)
        for _ in answer:
            pass
        getattr(answer, "close", lambda: None)()

    def timed(built):
        """CPU seconds the requests took (each after a change of its own, untimed, if asked)."""
        if not args.after_change:
            started = time.process_time()
            for one in built:
                request(one)
            return time.process_time() - started
        spent = 0
        for one in built:
            made = app.test_client().post("/api/v1/admin/posts", headers=headers, json={"content": "A change."})
            assert made.status_code == 201, made.get_json()
            started = time.process_time()
            request(one)
            spent += time.process_time() - started
        return spent

    collections = Collections()
    request(environ(0))  # the first request builds what every later one reuses (a hit's entry, prepared SQL)
    rounds = []
    collections.start()
    for first in range(1, args.rounds * args.requests, args.requests):
        built = [environ(n) for n in range(first, first + args.requests)]
        rounds.append(timed(built) / args.requests * 1000)
    print(f"{args.method} {args.path}: statuses {sorted(statuses)}; CPU a request: median "
          f"{statistics.median(rounds):.3f} ms, least {min(rounds):.3f} ms ({args.rounds} rounds of {args.requests})")
    print(f"garbage collection, within those: {collections.seconds / (args.rounds * args.requests) * 1000:.3f} ms "
          f"a request (collections of each generation: {', '.join(map(str, collections.counts))})")
    if writes:
        shutil.rmtree(os.path.dirname(database))


class Collections:
    """The garbage collector's runs from start() on: how many of each generation, and their
    wall time (the requests' own CPU time includes it: one thread, nothing else running)."""

    def __init__(self):
        self.counts, self.seconds, self._began = [0, 0, 0], 0.0, 0.0

    def start(self):
        gc.callbacks.append(self._observe)  # between collections: each "start" comes before its "stop"

    def _observe(self, phase, info):
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.counts[info["generation"]] += 1
            self.seconds += time.perf_counter() - self._began


if __name__ == "__main__":
    main()
