"""Import figures: an export of N posts (or of about M MiB) is generated, then imported into an
empty blog through the CLI (`flask --app microblog import FILE`) and over the API (a real
granian, 2 workers). Prints the time and the peak RSS of the importing process (the CLI's; the
busiest granian worker's), and what admin writes sent during the API import got: a 201 while
the body is read and prepared, a 503 with Retry-After while the import writes, never a hang.
Exits 1 if an import fails, a write hangs or gets anything else. The posts those writes create
take ids the export has too, so the import updates them (it upserts by id).

    python import_figures.py --posts 100000
    python import_figures.py --mib 256 --skip-cli
"""
import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import harness
import requests

from microblog.data import migrations
from microblog.data.db import open_database
from microblog.data.models import MODELS

WORDS = ["".join(p) for p in itertools.product("kalomineru", "sativoba", "defigohu")]  # 640 words
TAGS = [f"tag{n}" for n in range(120)]
START = datetime(2016, 1, 1)
WRITE_TIMEOUT = 30  # seconds an admin write may take before it counts as a hang
WRITE_EVERY = 1.0


def post(post_id, sentences):
    """Post `post_id`, the same every time: `sentences` (low, high) sentences of 12 words."""
    rng = random.Random(post_id)
    content = " ".join(" ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(rng.randint(*sentences)))
    title = " ".join(rng.choices(WORDS, k=4)).capitalize() if rng.random() < 0.7 else None
    created = (START + timedelta(minutes=7 * post_id)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    deleted = created if post_id % 50 == 0 else None
    return {"type": "post", "id": post_id, "title": title, "slug": f"post-{post_id}", "content": content,
            "content_html": "", "tags": rng.sample(TAGS, rng.randint(0, 3)), "visible": post_id % 25 != 0,
            "publish_at": None, "created": created, "edited": None, "updated": created, "deleted": deleted,
            "public_when_deleted": deleted is not None, "version": 1}


def records(posts, sentences):
    """A header, every post, then each post's revision 1 (its current text). No admin record:
    the blog's own stays, so the writes sent meanwhile keep their token."""
    yield {"type": "header", "format": "microblog-export", "version": 1, "schema": migrations.LATEST_VERSION,
           "exported": "2026-01-01T00:00:00.000000Z"}
    for post_id in range(1, posts + 1):
        yield post(post_id, sentences)
    for post_id in range(1, posts + 1):
        text = post(post_id, sentences)
        yield {"type": "revision", "post_id": post_id, "rev": 1, "title": text["title"],
               "content": text["content"], "tags": text["tags"], "created": text["created"]}


def write_export(path, posts, sentences):
    with open(path, "w", encoding="utf-8") as out:
        for record in records(posts, sentences):
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    return os.path.getsize(path)


def posts_for(mib):
    """Posts (of 20 to 24 sentences, about 2,600 bytes with their revision) filling about `mib` MiB."""
    return int(mib * 1024 * 1024 * 0.98 / 2_600)


def empty_blog():
    """Settings on a new SQLite file, or on TEST_DATABASE_URL's server emptied first (the CLI's
    import and the API's each go into an empty blog)."""
    url = harness.database_url()
    if url.startswith("postgres"):
        server = open_database(url)
        with server.bind_ctx(MODELS), server.connection_context():
            server.drop_tables(MODELS, safe=True, cascade=True)
            server.execute_sql("DROP TABLE IF EXISTS schema_version")
        server.close_all()
    env = harness.server_env(url)
    harness.init_db(env)
    return env


def cli_import(path):
    env = empty_blog()
    started = time.perf_counter()
    process = subprocess.Popen([f"{harness.BIN}/flask", "--app", "microblog", "import", path], env=env,
                               cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        sys.exit(f"the CLI import failed:\n{output}")
    return elapsed, usage.ru_maxrss / 1024, output.strip().replace("\n", "; ")


def worker_peaks(group):
    """Peak RSS (MiB) of each process in the server's process group but its master."""
    peaks = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                pgrp = int(stat.read().rsplit(")", 1)[1].split()[2])
            if pgrp != group or int(pid) == group:
                continue
            with open(f"/proc/{pid}/status") as status:
                peaks += [int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:")]
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return peaks


def probe_writes(url, headers, done, seen):
    """An admin write every WRITE_EVERY s until `done`: (seconds since start, status, Retry-After, seconds)."""
    session, started = requests.Session(), time.perf_counter()
    for n in itertools.count():
        if done.wait(WRITE_EVERY) or n > 3600:
            return
        sent = time.perf_counter()
        try:
            response = session.post(f"{url}/api/v1/admin/posts", headers=headers, timeout=WRITE_TIMEOUT,
                                    json={"content": f"written during the import {n}", "slug": f"during-{n}"})
            seen.append((sent - started, response.status_code, response.headers.get("Retry-After"),
                         time.perf_counter() - sent))
        except requests.RequestException:
            seen.append((sent - started, "hang", None, time.perf_counter() - sent))


def api_import(path):
    env = empty_blog()
    server = harness.server(env, workers=2, kind="granian").start()
    try:
        headers = harness.login(requests.Session(), server.url)
        done, seen = threading.Event(), []
        prober = threading.Thread(target=probe_writes, args=(server.url, headers, done, seen))
        prober.start()
        started = time.perf_counter()
        try:
            with open(path, "rb") as body:
                response = requests.post(f"{server.url}/api/v1/admin/import", data=body, timeout=1800,
                                         headers={**headers, "Content-Type": "application/x-ndjson"})
        finally:
            done.set()
            prober.join()
        elapsed = time.perf_counter() - started
        peaks = worker_peaks(server.process.pid)
    finally:
        server.stop()
    if response.status_code != 200:
        sys.exit(f"the API import failed: {response.status_code} {response.text[:500]}")
    return elapsed, max(peaks), response.json()["post"], seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--mib", type=float, help="an export of about this size instead (longer posts)")
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()
    if args.mib:
        posts, sentences = posts_for(args.mib), (20, 24)
    else:
        posts, sentences = args.posts, (1, 4)
    backend = harness.database_url().split(":")[0]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "export.ndjson")
        size = write_export(path, posts, sentences)
        print(f"{backend}: an export of {posts:,} posts, {size / 2**20:.1f} MiB")
        if not args.skip_cli:
            elapsed, peak, output = cli_import(path)
            print(f"  CLI import: {elapsed:.1f} s ({posts / elapsed:,.0f} posts/s), peak RSS {peak:.0f} MB ({output})")
        elapsed, peak, counts, seen = api_import(path)
    print(f"  API import: {elapsed:.1f} s ({posts / elapsed:,.0f} posts/s), busiest worker's peak RSS "
          f"{peak:.0f} MB ({counts})")
    outcomes = Counter((status, retry) for _, status, retry, _ in seen)
    slowest = max((took for *_, took in seen), default=0)
    print(f"  admin writes meanwhile (one every {WRITE_EVERY:.0f} s): "
          + (", ".join(f"{n} × {status}" + (f" (Retry-After {retry})" if retry else "")
                      for (status, retry), n in sorted(outcomes.items(), key=str)) or "none")
          + f"; slowest answer {slowest:.1f} s")
    if any(status not in (201, 503) or (status == 503 and retry is None) for (status, retry) in outcomes):
        sys.exit("an admin write hung or got something other than 201 or 503 with Retry-After")


if __name__ == "__main__":
    main()
