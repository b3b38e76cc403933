"""Readers' queries read an index range in order: no full scan, no sort of every match, no
OFFSET and no COUNT over the posts, so their cost does not grow with the blog (SQLite plans)."""
import logging
import os
import re

import pytest

from microblog.data.models import MAX_ID

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite's planner")

GROWING = {"post", "post_tag", "revision", "change"}  # tables that grow with the posts (not tag)
READS = ["/api/v1/posts", "/api/v1/posts?cursor={cursor}", "/api/v1/posts?tag=t",
         "/api/v1/posts?tag=t&cursor={tag_cursor}", "/api/v1/posts/{id}", "/api/v1/posts/by-slug/{slug}",
         "/api/v1/posts?since=2020-01-01T00:00:00Z&until=2030-01-01T00:00:00Z", "/api/v1/tags", "/feed.json",
         "/api/v1/posts?q=post", "/api/v1/posts?q=post&cursor={search_cursor}", "/api/v1/posts?q=post%20title",
         "/api/v1/posts?q=post&tag=t&since=2020-01-01T00:00:00Z&until=2030-01-01T00:00:00Z"]


def test_reader_queries_use_index_ranges(app, client, auth, caplog):
    for n in range(30):
        post = auth.create_post(content=f"post {n}", tags=["t"] if n % 2 else [],
                                title="post title" if n % 3 else None)
    cursor = client.get("/api/v1/posts?limit=5").get_json()["next_cursor"]
    search_cursor = client.get("/api/v1/posts?q=post&limit=25").get_json()["next_cursor"]
    tag_cursor = client.get("/api/v1/posts?tag=t&limit=5").get_json()["next_cursor"]
    with app.app_context():
        app.extensions["database"].execute_sql("ANALYZE")
    for path in READS:
        url = path.format(cursor=cursor, tag_cursor=tag_cursor, search_cursor=search_cursor, id=post["id"],
                          slug=post["slug"])
        selects = _planned_selects(app, client, caplog, url)
        assert selects, url
        for sql, tables, plan in selects:
            assert " OFFSET " not in sql and "COUNT(*)" not in sql.upper(), (url, sql)
            scans = [step for step in plan if "TEMP B-TREE" in step or (
                step.startswith("SCAN") and tables.get(step.split()[1]) in GROWING)]
            assert not scans, (url, sql, plan)
    assert MAX_ID > post["id"]


def _planned_selects(app, client, caplog, url):
    """The SELECTs a GET of `url` ran (it must answer 200): each one's SQL, its tables by alias
    and SQLite's plan of it (the detail of each step)."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        assert client.get(url).status_code == 200, url
    selects = [record.msg for record in caplog.records
               if isinstance(record.msg, tuple) and record.msg[0].lstrip().startswith("SELECT")]
    with app.app_context():
        return [(sql, dict((alias, table) for table, alias in re.findall(r'"(\w+)" AS "(t\d+)"', sql)),
                 [row[-1] for row in app.extensions["database"].execute_sql(f"EXPLAIN QUERY PLAN {sql}", params)])
                for sql, params in selects]


def test_a_deep_page_costs_about_what_the_first_page_costs(app, client):
    """SQLite VM steps (not seconds) for a page in the middle of 3,000 posts, plain, by tag and
    searched (every post matches): a plan that read from the newest row down to the cursor, or
    every match, would take far more."""
    from datetime import datetime, timedelta

    from microblog.data.models import Post, PostTag, Tag

    start = datetime(2020, 1, 1)
    with app.app_context():
        Tag.insert(id=1, name="t", post_count=3000).execute()
        Post.insert_many([{"content": f"p{n}", "content_html": f"<p>p{n}</p>", "slug": f"p{n}",
                           "search_body": f"needle p{n}", "publication_time": start + timedelta(hours=n),
                           "created": start + timedelta(hours=n)}
                          for n in range(3000)]).execute()
        PostTag.insert_many([{"post": n + 1, "tag": 1, "publication_time": start + timedelta(hours=n)}
                             for n in range(3000)]).execute()
        connection = app.extensions["database"].connection()
        steps = [0]

        def count():
            steps[0] += 1

        connection.set_progress_handler(count, 100)

    def cost(url):
        steps[0] = 0
        response = client.get(url)
        assert response.status_code == 200 and len(response.get_json()["items"]) == 20, url
        return steps[0], response.get_json()["next_cursor"]

    firsts = {}
    for base in ("/api/v1/posts", "/api/v1/posts?tag=t", "/api/v1/posts?q=needle"):
        separator = "&" if "?" in base else "?"
        firsts[base], cursor = cost(base)
        for _ in range(70):  # to the middle: 1,400 posts down
            cursor = client.get(f"{base}{separator}cursor={cursor}").get_json()["next_cursor"]
        deep, _ = cost(f"{base}{separator}cursor={cursor}")
        assert deep < 3 * firsts[base] + 20, (base, firsts[base], deep)
    assert firsts["/api/v1/posts?q=needle"] < 3 * firsts["/api/v1/posts"], firsts


def test_a_posts_tags_are_read_from_an_index_alone(app, client, auth, caplog):
    """Every read that names posts' tags finds them, in order, in an index of post_tag that
    holds the tag's id: no post_tag row is visited (a page of 20 posts read 20 rows or more)."""
    for n in range(6):
        post = auth.create_post(content=f"post {n}", tags=["t", f"u{n}"], title="post title")
    with app.app_context():
        app.extensions["database"].execute_sql("ANALYZE")
    for url in ("/api/v1/posts", "/api/v1/posts?tag=t", f"/api/v1/posts/{post['id']}", "/api/v1/posts?q=post",
                f"/posts/{post['slug']}", "/feed.json"):
        steps = [step for _sql, tables, plan in _planned_selects(app, client, caplog, url) for step in plan
                 if step.startswith("SEARCH") and tables.get(step.split()[1]) == "post_tag"]
        assert steps and all("COVERING INDEX" in step for step in steps), (url, steps)
