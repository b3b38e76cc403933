"""Resident memory of each worker of `microblog serve` after wrk drives it with misses and writes,
as `make bench` reads it (servers.Server.worker_rss_mb), without the whole bench: a quick look at
what a change does to the workers' memory.

    .venv/bin/python bench/worker_memory.py /tmp/blog.sqlite3 --workers 5

On a copy of the blog: wrk (2 threads, 16 connections) rotates over single posts, post pages,
tag lists and feeds, each a URL not asked before, in rounds of `--seconds`, then admin creates
and admin patches; after each, every worker's RSS in MB. Run it on two versions of the code
(PYTHONPATH=<other worktree>) to compare them."""
import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

from rows import login
from servers import BIN, ROOT, Server, service_env

ROTATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk", "rotate.lua")
PUBLIC = "visible AND deleted IS NULL AND publication_time <= datetime('now')"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--workers", default="5")
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of reads")
    args = parser.parse_args()
    work = tempfile.mkdtemp()
    database = os.path.join(work, "blog.sqlite3")
    with sqlite3.connect(args.database) as source, sqlite3.connect(database) as copy:
        source.backup(copy)
    posts = sqlite3.connect(database).execute(f"SELECT id, slug FROM post WHERE {PUBLIC}").fetchall()
    tags = [name for (name,) in sqlite3.connect(database).execute("SELECT name FROM tag")]
    random.Random(28).shuffle(posts)
    reads = [(f"/api/v1/posts/{post_id}", f"/posts/{slug}", f"/api/v1/posts?limit={20 + n % 7}&tag={tags[n % len(tags)]}",
              f"/feed.atom?tag={tags[n % len(tags)]}&n={n}")[n % 4] for n, (post_id, slug) in enumerate(posts)]
    files = {name: os.path.join(work, name) for name in ("reads", "creates", "patches")}
    for name, paths in (("reads", reads), ("creates", ["/api/v1/admin/posts"]),
                        ("patches", [f"/api/v1/admin/posts/{post_id}" for post_id, _ in posts[:5000]])):
        with open(files[name], "w") as listing:
            listing.write("\n".join(paths) + "\n")
    server = Server("microblog", "granian", [f"{BIN}/microblog", "serve", "--workers", args.workers,
                                             "--host", "127.0.0.1", "--port", "{port}"],
                    {**service_env(database), "PYTHONPATH": os.environ.get("PYTHONPATH", ROOT)}, ROOT, "/healthz")
    try:
        with server:
            print(f"started: {server.worker_rss_mb()}", flush=True)
            admin = ["-H", f"Authorization: Bearer {login(server.url)}"]
            runs = [(f"reads {n + 1}", [], "reads", n * 30_000, "GET") for n in range(args.rounds)]
            runs += [("admin creates", admin, "creates", 0, "POST"), ("admin patches", admin, "patches", 0, "PATCH")]
            for name, headers, listing, start, method in runs:
                output = subprocess.run(["wrk", "-t2", "-c16", f"-d{args.seconds}s", *headers, "-s", ROTATE,
                                         server.url + "/", "--", files[listing], str(start), "2", method],
                                        capture_output=True, text=True, check=True).stdout
                rate = re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)
                errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
                print(f"after {name} ({rate}/s{', errors ' + errors.group(1) if errors else ''}): "
                      f"{server.worker_rss_mb()}", flush=True)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
