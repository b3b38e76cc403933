"""What `make bench` measures: one Row per line of the table, and the fixtures they ask for.

A row is a fixed request (the same URL every time: what a per-URL cache of public responses
answers from memory after the first), or a rotation over many paths (rows marked "miss":
every request a URL not asked before, so no per-URL cache can answer it; and the admin's
writes)."""
import json
import random
import sqlite3
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import NamedTuple

from seed import ADMIN_PASSWORD, ADMIN_USERNAME, SEED, vocabulary

from microblog.web.pagination import encode_cursor

ROTATION = 100_000  # paths a rotating row goes through before any repeats
SEARCH_LIMITS = (20, 19, 21, 18, 22, 17, 23, 16, 24, 15, 25)  # page sizes once every word is used
PUBLIC = "post.visible AND post.deleted IS NULL AND post.publication_time <= :now"


class Row(NamedTuple):
    name: str
    server: str  # "granian" (microblog serve) or "gunicorn"; the ceiling is bare Flask on the same
    path: str  # the request's path, or the first of `paths`
    expected: int = 200  # the status every request must get
    method: str = "GET"
    headers: dict = {}
    paths: tuple = ()  # rotate over these (rotate.lua); empty: `path` every time
    kind: str = "read"  # "read" (one URL), "miss" (a new URL each request) or "write"
    peer: bool = False  # the FastAPI peer serves it too
    body: str = "admin"  # a write's body: the admin API's JSON ("admin") or a Micropub JSON create ("micropub")

    @property
    def key(self):
        """The row's name in the results: its name, and the server unless it is granian."""
        return self.name if self.server == "granian" else f"{self.name} ({self.server})"


def request(url, method="GET", headers=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def rows(database, url):
    """Every row, in the order measured: reads, their cache misses, gunicorn's, then writes."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    now = {"now": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(" ")}
    rng = random.Random(18)
    count = connection.execute(f"SELECT COUNT(*) FROM post WHERE {PUBLIC}", now).fetchone()[0]
    post_id, slug = connection.execute(
        f"SELECT id, slug FROM post WHERE {PUBLIC} AND id >= :middle ORDER BY id LIMIT 1",
        {**now, "middle": count // 2}).fetchone()
    time_text, cursor_id = connection.execute(
        f"SELECT publication_time, id FROM post WHERE {PUBLIC} ORDER BY publication_time DESC, id DESC "
        "LIMIT 1 OFFSET :middle", {**now, "middle": count // 2}).fetchone()
    tag = connection.execute("SELECT name FROM tag ORDER BY id LIMIT 1 OFFSET 20").fetchone()[0]
    word = connection.execute("SELECT name FROM tag ORDER BY id LIMIT 1 OFFSET 100").fetchone()[0]
    _, headers, _ = request(f"{url}/api/v1/posts/{post_id}")
    admin = {"Authorization": f"Bearer {login(url)}"}
    micropub = {"Authorization": f"Bearer {app_token(url, admin)}"}
    posts = "/api/v1/posts"
    return [
        Row("single", "granian", f"{posts}/{post_id}", peer=True),
        Row("by slug", "granian", f"{posts}/by-slug/{slug}"),
        Row("304", "granian", f"{posts}/{post_id}", 304, headers={"If-None-Match": headers["ETag"]}),
        Row("list", "granian", posts, peer=True),
        Row("deep page", "granian", f"{posts}?cursor={cursor(time_text, cursor_id)}"),
        Row("tag", "granian", f"{posts}?tag={tag}"),
        Row("search", "granian", f"{posts}?q={word}"),
        Row("feed.atom", "granian", "/feed.atom"),
        Row("feed.rss", "granian", "/feed.rss"),
        Row("feed.json", "granian", "/feed.json"),
        Row("tags", "granian", "/api/v1/tags"),
        Row("home page", "granian", "/"),
        Row("post page", "granian", f"/posts/{slug}"),
        miss("single (miss)", [f"{posts}/{i}" for (i,) in sample(connection, "SELECT id FROM post", now)]),
        miss("post page (miss)", [f"/posts/{slug}" for (slug,) in sample(connection, "SELECT slug FROM post", now)]),
        miss("list (miss)", [f"{posts}?cursor={cursor(t, i)}" for t, i in sample(
            connection, "SELECT publication_time, id FROM post", now)]),
        miss("tag (miss)", [f"{posts}?tag={name}&cursor={cursor(t, i)}" for name, t, i in sample(
            connection, "SELECT tag.name, post.publication_time, post.id FROM post_tag "
            "JOIN post ON post.id = post_tag.post_id JOIN tag ON tag.id = post_tag.tag_id", now)]),
        miss("search (miss)", search_paths(connection, rng)),
        miss("feed.atom (miss)", [f"/feed.atom?bench={n}" for n in range(ROTATION)]),
        Row("single", "gunicorn", f"{posts}/{post_id}"),
        Row("list", "gunicorn", posts),
        Row("admin create", "granian", "/api/v1/admin/posts", 201, "POST", admin, ("/api/v1/admin/posts",),
            "write"),
        Row("micropub create", "granian", "/micropub", 201, "POST", micropub, ("/micropub",), "write",
            body="micropub"),
        Row("admin patch", "granian", "", 200, "PATCH", admin, tuple(
            f"/api/v1/admin/posts/{i}" for (i,) in connection.execute(
                "SELECT id FROM post WHERE deleted IS NULL ORDER BY random() LIMIT :n", {"n": ROTATION})), "write"),
    ]


def miss(name, paths):
    return Row(name, "granian", paths[0], paths=tuple(paths), kind="miss")


def sample(connection, select, now):
    """Up to ROTATION public rows of `select` (which reads `post`), in random order."""
    return connection.execute(f"{select} WHERE {PUBLIC} ORDER BY random() LIMIT :n", {**now, "n": ROTATION}).fetchall()


def cursor(time_text, post_id):
    return encode_cursor((datetime.fromisoformat(time_text), post_id))


def search_paths(connection, rng):
    """Searches for every seeded word that fills a page, each word once at 20 a page, then
    again at other page sizes (only the URL must differ)."""
    full = page_filling_words(connection)
    rng.shuffle(full)
    return [f"/api/v1/posts?q={word}&limit={limit}" for limit in SEARCH_LIMITS for word in full][:ROTATION]


def page_filling_words(connection):
    """The seeded words that a search finds at least 20 posts for, in the seed's order."""
    words, _ = vocabulary(random.Random(SEED))
    return [word for word in words if connection.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM post_search WHERE post_search MATCH :q LIMIT 20)",
        {"q": f'"{word}"'}).fetchone()[0] == 20]


def app_token(url, admin):
    """A token with the create scope, as an app that takes a pasted one gets (docs/micropub.md)."""
    status, _, body = request(f"{url}/api/v1/admin/tokens", "POST", admin,
                              body={"client_id": "https://bench.example/", "scope": "create"})
    assert status == 201, body
    return json.loads(body)["access_token"]


def write_body(row, text):
    """A write's JSON body in the row's shape."""
    if row.body == "micropub":
        return {"type": ["h-entry"], "properties": {"content": [text], "category": ["bench"]}}
    return {"content": text, "tags": ["bench"]}


def login(url):
    status, _, body = request(f"{url}/api/v1/auth/login", "POST",
                              body={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    assert status == 200, body
    return json.loads(body)["access_token"]
