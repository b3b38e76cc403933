"""Build a benchmark database: `python bench/seed.py FILE POSTS` (SQLite).

The schema comes from microblog's own migrations and the admin from its own service; posts
then go in with bulk inserts (raw sqlite3, no journal while seeding). Every post is what
microblog itself would have stored for it: content_html is what render_markdown gives (checked
on a sample), search words are index_fields', each post has its revision 1 and its change-feed
entries, and the FTS index is what the schema's own triggers make of the posts (built in a copy
of the blog on a second core at the same time, then its tables copied in).

The blog: posts over ten years, newest last; 70 % have a title; 0 to 3 tags from 120, the
popular ones far more used; 4 % hidden, 1 % scheduled up to a month ahead, 2 % soft-deleted.
"""
import itertools
import json
import os
import random
import shutil
import sqlite3
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from microblog import create_app
from microblog.data import migrations
from microblog.data.migrations.v0007_tag_reading_order import COUNT as TAG_COUNTS
from microblog.data.migrations.v0008_search_order import FILL as FILL_SEARCH_INDEX
from microblog.data.migrations.v0008_search_order import KEY as SEARCH_KEY
from microblog.data.search import index_fields
from microblog.service import auth as auth_service
from microblog.service.content import render_markdown
from microblog.service.slugs import slugify

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "bench-password-not-secret"
EPOCH = datetime(1970, 1, 1)
POOL = 20_000
FIRST_POST = datetime(2016, 1, 1)
NOW = datetime.utcnow().replace(microsecond=0)
SAMPLE_CHECKED = 200
SEED = 7
SCRATCH_BYTES_PER_POST = 2000  # the index's scratch blog, with room to spare (1.2 GB for 1M posts)
SEARCH_TABLES = ("post_search_data", "post_search_idx", "post_search_docsize", "post_search_config")
VOCABULARY = 3000
TAGS = 120

SYLLABLES = "ka lo mi ne ru sa ti vo ba de fi go hu ja ke li mo nu pe ra se to ve zo".split()


def vocabulary(rng):
    """VOCABULARY distinct made-up words, and Zipf weights so some are common, most rare."""
    made = set()
    while len(made) < VOCABULARY:
        made.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    words = sorted(made)
    rng.shuffle(words)
    return words, list(itertools.accumulate(1 / rank for rank in range(1, VOCABULARY + 1)))


def sentence(rng, words, weights):
    chosen = rng.choices(words, cum_weights=weights, k=rng.randint(6, 16))
    return " ".join(chosen).capitalize() + "."


def pools(rng, words, weights):
    """Sentences and titles the posts are made of, each with its search words."""
    sentences = [sentence(rng, words, weights) for _ in range(POOL)]
    titles = [sentence(rng, words, weights)[:-1][:80] for _ in range(POOL)]
    return (
        [(i, text, index_fields(None, text)["search_body"]) for i, text in enumerate(sentences)],
        [(i, text, index_fields(text, "")["search_title"], slugify(text)) for i, text in enumerate(titles)],
    )


def pick(n, salt, modulus):
    """A pseudo-random number in [0, modulus) for post n, in SQL (the same n gives the same pick)."""
    return f"((({n} + {salt}) * 2654435761) % 4294967291 % {modulus})"


def insert_posts(connection, count, start, step, now):
    """Every post, in one INSERT … SELECT: 1 to 3 sentences, a title for 70 %, 1 % scheduled,
    2 % soft-deleted (while public), 4 % hidden; times every `step` seconds from `start`."""
    fate = pick("n", 1, 100)
    publication = f"(CASE WHEN {fate} = 0 THEN {now} + 3600 * (1 + {pick('n', 2, 720)}) ELSE {start} + n * {step} END)"
    connection.execute(f"""
        WITH RECURSIVE ids(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM ids WHERE n < {count}),
        parts AS (
            SELECT n, {fate} AS fate, {publication} AS published, {start} + n * {step} AS created,
                   s1.text || CASE {pick('n', 3, 3)} WHEN 0 THEN '' WHEN 1 THEN ' ' || s2.text
                                  ELSE ' ' || s2.text || ' ' || s3.text END AS content,
                   s1.words || CASE {pick('n', 3, 3)} WHEN 0 THEN '' WHEN 1 THEN ' ' || s2.words
                                  ELSE ' ' || s2.words || ' ' || s3.words END AS body_words,
                   CASE WHEN {pick('n', 4, 10)} < 7 THEN t.id END AS title_id
            FROM ids
            JOIN seed_sentence s1 ON s1.id = {pick('n', 5, POOL)}
            JOIN seed_sentence s2 ON s2.id = {pick('n', 6, POOL)}
            JOIN seed_sentence s3 ON s3.id = {pick('n', 7, POOL)}
            JOIN seed_title t ON t.id = {pick('n', 8, POOL)}
        )
        INSERT INTO post (id, content, content_html, title, slug, visible, publish_at,
                          publication_time, created, deleted, public_when_deleted, updated,
                          search_title, search_body, version)
        SELECT n, content, '<p>' || content || '</p>' || char(10), t.text,
               COALESCE(t.slug, s.slug) || '-' || n, fate NOT BETWEEN 3 AND 6,
               CASE WHEN fate = 0 THEN datetime(published, 'unixepoch') END,
               datetime(published, 'unixepoch'), datetime(created, 'unixepoch'),
               CASE WHEN fate IN (1, 2) THEN datetime(created + 86400, 'unixepoch') END,
               fate IN (1, 2),
               datetime(created + CASE WHEN fate IN (1, 2) THEN 86400 ELSE 0 END, 'unixepoch'),
               COALESCE(t.words, ''), body_words, CASE WHEN fate IN (1, 2) THEN 2 ELSE 1 END
        FROM parts
        LEFT JOIN seed_title t ON t.id = title_id
        JOIN seed_slug s ON s.id = {pick('n', 5, POOL)}
    """)


def insert_the_rest(connection):
    """Tags (0 to 3 a post, popular ones far more used, counted), revision 1 and change-feed entries."""
    for position in range(3):
        popular = f"MIN({pick('id', 10 + position, TAGS)}, {pick('id', 20 + position, TAGS)}, {pick('id', 30 + position, TAGS)})"
        connection.execute(f"""
            INSERT OR IGNORE INTO post_tag (post_id, tag_id, position, publication_time)
            SELECT id, 1 + {popular}, {position}, publication_time FROM post WHERE {pick('id', 9, 4)} > {position}
        """)
    connection.execute("""
        INSERT INTO revision (post_id, rev, title, content, tags, created)
        SELECT post.id, 1, title, content,
               (SELECT json_group_array(name) FROM (SELECT tag.name FROM post_tag JOIN tag ON tag.id = tag_id
                                                  WHERE post_id = post.id ORDER BY position)),
               created
        FROM post
    """)
    connection.execute("INSERT INTO change (post_id, action, at) SELECT id, 'create', created FROM post ORDER BY id")
    connection.execute("INSERT INTO change (post_id, action, at) SELECT id, 'delete', deleted FROM post "
                       "WHERE deleted IS NOT NULL ORDER BY id")


def create_schema(path):
    app = create_app({
        "MICROBLOG_ENV": "testing", "SECRET_KEY": "bench-" + "x" * 60,
        "DATABASE_URL": f"sqlite:///{path}", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:600000",
    })
    with app.app_context():
        migrations.upgrade(app.extensions["database"])
        auth_service.set_admin(ADMIN_USERNAME, ADMIN_PASSWORD, app.config["PASSWORD_HASH_METHOD"])
    app.extensions["database"].close_all()  # the bulk load below needs the file to itself


def check_rendering(connection, count, rng):
    """The stored HTML of a sample of posts is what microblog renders from their content."""
    for post_id in rng.sample(range(1, count + 1), min(SAMPLE_CHECKED, count)):
        content, stored = connection.execute(
            "SELECT content, content_html FROM post WHERE id = ?", (post_id,)).fetchone()
        if render_markdown(content) != stored:
            raise SystemExit(f"post {post_id}: stored HTML differs from render_markdown")


def seed(path, count):
    """The load on one core while the full-text index is built on the other (it is the
    slowest part), then copied in and checked against the posts."""
    moments = timeline(count)  # once: a child that imported this module anew would differ
    search_path = os.path.join(scratch_directory(path, count), f"microblog-seed-search-{os.getpid()}.sqlite3")
    create_schema(path)
    try:
        create_schema(search_path)
        with ProcessPoolExecutor(1) as pool:
            search_index = pool.submit(build_search_index, search_path, count, moments)
            connection = bulk_connection(path)
            connection.execute("BEGIN")
            fill_pools(connection)
            schema = connection.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND (type = 'index' AND tbl_name "
                "IN ('post', 'post_tag', 'revision', 'change') OR name = 'post_search_insert')").fetchall()
            for kind, name, _sql in schema:  # indexes are built once at the end: a sort instead of a million inserts
                connection.execute(f'DROP {kind.upper()} "{name}"')
            insert_posts(connection, count, *moments)
            insert_the_rest(connection)
            for _kind, _name, sql in schema:
                connection.execute(sql)
            connection.execute(TAG_COUNTS)
            connection.execute("COMMIT")
            search_index.result()
        connection.execute("ATTACH ? AS built", (search_path,))
        connection.execute("BEGIN")
        for table in SEARCH_TABLES:
            connection.execute(f"DELETE FROM {table}")
            connection.execute(f"INSERT INTO {table} SELECT * FROM built.{table}")
        connection.execute("COMMIT")
        connection.execute("DETACH built")
    finally:
        for leftover in (search_path, f"{search_path}-wal", f"{search_path}-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
    connection.execute("PRAGMA analysis_limit = 1000")
    connection.execute("ANALYZE")
    connection.execute("PRAGMA journal_mode = WAL")
    rng = random.Random(SEED)
    check_search_index(connection, count, rng)
    check_rendering(connection, count, rng)
    connection.close()


def scratch_directory(path, count):
    """Memory (/dev/shm) for the index's scratch blog if it has room, else beside the blog."""
    if os.path.isdir("/dev/shm") and shutil.disk_usage("/dev/shm").free > SCRATCH_BYTES_PER_POST * count:
        return "/dev/shm"
    return os.path.dirname(os.path.abspath(path))


def build_search_index(path, count, moments):
    """The same posts into a blog of their own, then its full-text index from them in one
    statement: the one migration v0008 filled it with (its trigger does the same a row at a
    time)."""
    connection = bulk_connection(path)
    connection.execute("BEGIN")
    fill_pools(connection)
    connection.execute("DROP TRIGGER post_search_insert")
    insert_posts(connection, count, *moments)
    connection.execute(FILL_SEARCH_INDEX)
    connection.execute("COMMIT")
    connection.close()


def check_search_index(connection, count, rng):
    """The copied index holds one row per post under the post's own search key (the one its
    triggers use), and a sample of posts is found by all of its words."""
    indexed, stray = connection.execute(
        f"SELECT (SELECT COUNT(*) FROM post_search_docsize), (SELECT COUNT(*) FROM post "
        f"WHERE {SEARCH_KEY.format(row='post')} NOT IN (SELECT id FROM post_search_docsize))").fetchone()
    if indexed != count or stray:
        raise SystemExit(f"full-text index: {indexed} rows for {count} posts, {stray} posts without their key")
    for post_id in rng.sample(range(1, count + 1), min(SAMPLE_CHECKED, count)):
        key, title, body = connection.execute(
            f"SELECT {SEARCH_KEY.format(row='post')}, search_title, search_body FROM post WHERE id = ?",
            (post_id,)).fetchone()
        phrase = " ".join(f'"{word}"' for word in dict.fromkeys(f"{title} {body}".split()))
        if not connection.execute("SELECT 1 FROM post_search WHERE post_search MATCH ? AND rowid = ?",
                                  (phrase, key)).fetchone():
            raise SystemExit(f"post {post_id}: not found by its own words in the full-text index")


def bulk_connection(path):
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -4000000")  # 4 GB: the whole load stays in memory until COMMIT
    connection.execute("PRAGMA temp_store = MEMORY")
    return connection


def fill_pools(connection):
    """The sentences, titles, slugs and tags posts are made of (the same every time)."""
    rng = random.Random(SEED)
    words, weights = vocabulary(rng)
    sentences, titles = pools(rng, words, weights)
    connection.execute("CREATE TEMP TABLE seed_sentence (id INTEGER PRIMARY KEY, text, words)")
    connection.execute("CREATE TEMP TABLE seed_title (id INTEGER PRIMARY KEY, text, words, slug)")
    connection.execute("CREATE TEMP TABLE seed_slug (id INTEGER PRIMARY KEY, slug)")
    connection.executemany("INSERT INTO seed_sentence VALUES (?, ?, ?)", sentences)
    connection.executemany("INSERT INTO seed_title VALUES (?, ?, ?, ?)", titles)
    connection.executemany("INSERT INTO seed_slug VALUES (?, ?)", [(i, slugify(text)) for i, text, _ in sentences])
    connection.executemany("INSERT INTO tag (id, name) VALUES (?, ?)", enumerate(words[:TAGS], 1))


def timeline(count):
    """(start, step, now) in seconds since 1970: posts every `step` seconds from FIRST_POST."""
    start = int((FIRST_POST - EPOCH).total_seconds())
    now = int((NOW - EPOCH).total_seconds())
    return start, max(1, (now - start) // max(count, 1)), now


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    started = time.perf_counter()
    seed(path, count)
    print(json.dumps({"posts": count, "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
