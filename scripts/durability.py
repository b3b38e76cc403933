"""Durability: gunicorn (4 workers) under concurrent create/edit load is killed with SIGKILL
(master and workers at once) mid-load, ROUNDS times, and restarted. Afterwards every create
that was answered 201 must be present, intact (its content one that was sent for it) and
there once; the database must pass its integrity checks (SQLite: integrity_check and the
full-text index; PostgreSQL: amcheck on every index). Prints acknowledged / found / lost.

kill -9 tests process crashes only: the operating system still writes what was handed to it.
It says nothing about power loss (see SQLITE_SYNCHRONOUS in docs/configuration.md).
"""
import argparse
import os
import random
import sys
import threading
import time
import uuid

import harness
import requests
from peewee import SqliteDatabase

from microblog.data.db import open_database
from microblog.data.migrations.v0008_search_order import KEY as SEARCH_KEY


def load(url, headers, stop, acked, attempts, lock, seed):
    rng, session = random.Random(seed), requests.Session()
    while not stop.is_set():
        try:
            if acked and rng.random() < 0.4:
                with lock:
                    post_id = rng.choice(list(acked))
                content = f"edit {uuid.uuid4()}"
                with lock:
                    attempts[post_id].add(content)
                session.patch(f"{url}/api/v1/admin/posts/{post_id}", headers=headers,
                              json={"content": content}, timeout=10)
            else:
                content = f"create {uuid.uuid4()}"
                response = session.post(f"{url}/api/v1/admin/posts", headers=headers,
                                        json={"content": content, "tags": ["durable"]}, timeout=10)
                if response.status_code == 201:
                    with lock:
                        acked[response.json()["id"]] = content
                        attempts.setdefault(response.json()["id"], {content})
        except requests.RequestException:
            time.sleep(0.01)  # the server is dead: this request was not acknowledged


def integrity(url):
    database = open_database(url)
    with database.connection_context():
        if isinstance(database, SqliteDatabase):
            result = database.execute_sql("PRAGMA integrity_check").fetchone()[0]
            database.execute_sql("INSERT INTO post_search(post_search) VALUES ('integrity-check')")
            indexed, posts, stray = database.execute_sql(
                "SELECT (SELECT COUNT(*) FROM post_search_docsize), (SELECT COUNT(*) FROM post), "
                f"(SELECT COUNT(*) FROM post WHERE {SEARCH_KEY.format(row='post')} "
                "NOT IN (SELECT id FROM post_search_docsize))").fetchone()
            index_ok = indexed == posts and not stray  # FTS5's own check cannot see a contentless index's posts
            return (f"sqlite integrity_check: {result}; full-text index: {indexed} rows for {posts} posts, "
                    f"{stray} without their key", result == "ok" and index_ok)
        database.execute_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = [name for (name,) in database.execute_sql(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.amname = 'btree' AND n.nspname = 'public'").fetchall()]
        for name in indexes:
            database.execute_sql("SELECT bt_index_check(%s::regclass, true)", (name,))
        return f"postgresql amcheck: {len(indexes)} b-tree indexes ok", True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=6)
    args = parser.parse_args()
    url = harness.database_url()
    env = harness.server_env(url)
    harness.init_db(env)
    acked, attempts, lock = {}, {}, threading.Lock()
    for round_number in range(args.rounds):
        server = harness.server(env, workers=4).start()
        headers = harness.login(requests.Session(), server.url)
        stop = threading.Event()
        clients = [threading.Thread(target=load, args=(server.url, headers, stop, acked, attempts, lock,
                                                      round_number * 100 + n)) for n in range(args.clients)]
        for client in clients:
            client.start()
        time.sleep(random.uniform(0.8, 1.6))
        server.kill()
        stop.set()
        for client in clients:
            client.join()
    server = harness.server(env, workers=2).start()
    try:
        session, headers = requests.Session(), harness.login(requests.Session(), server.url)
        stored, cursor = {}, None
        while True:
            page = session.get(f"{server.url}/api/v1/admin/posts", headers=headers, params={
                "limit": 100, "deleted": "include", **({"cursor": cursor} if cursor else {})}).json()
            for post in page["items"]:
                stored.setdefault(post["id"], []).append(post["content"])
            cursor = page["next_cursor"]
            if not cursor:
                break
    finally:
        server.stop()
    lost = [post_id for post_id in acked if post_id not in stored]
    damaged = [post_id for post_id in acked if post_id in stored and stored[post_id][0] not in attempts[post_id]]
    duplicates = [post_id for post_id, contents in stored.items() if len(contents) > 1]
    report, intact = integrity(url)
    print(f"database: {url.split(':')[0]}; {args.rounds} SIGKILLs of {os.environ.get('MICROBLOG_SERVER', 'granian')} mid-load "
          f"({args.clients} clients, 4 workers)")
    print(f"acknowledged: {len(acked)}, found: {len(acked) - len(lost)}, lost: {len(lost)}, "
          f"damaged: {len(damaged)}, duplicates: {len(duplicates)}, stored in all: {len(stored)}")
    print(report)
    failed = lost or damaged or duplicates or not intact
    print("RESULT:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
