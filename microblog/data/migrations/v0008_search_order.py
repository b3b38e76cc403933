"""Version 8: search results read in order from an index, a page at a time.

Search ranks by tier, then newest first by the minute of publication, then by id. Before, a
search read and sorted every match (1.5 s for a common word among a million posts).

SQLite: the FTS5 index keeps no content of its own (content='') and its rowid is the post's
search key, minutes since 1970 × 2**31 + id (microblog.data.search.search_key), so FTS5 yields
matches newest first and a page stops after its rows. Triggers keep it in step with the words
and the publication time. PostgreSQL: a B-tree on (the minute of publication, id), walked in
order, and a GIN index on the title's words beside the one on all words (version 6), for the
title tier and for rare words, whose few matches its planner collects and sorts instead.
"""
from peewee import SqliteDatabase

KEY = ("CAST(strftime('%s', substr({row}.publication_time, 1, 16)) AS INTEGER) / 60 * 2147483648 "
       "+ {row}.id")  # substr: 'YYYY-MM-DD HH:MM', a whole minute, so the division is exact
INSERT = ("INSERT INTO post_search(rowid, search_title, search_body) "
          f"VALUES ({KEY.format(row='new')}, new.search_title, new.search_body);")
DELETE = ("INSERT INTO post_search(post_search, rowid, search_title, search_body) "
          f"VALUES ('delete', {KEY.format(row='old')}, old.search_title, old.search_body);")
FILL = ("INSERT INTO post_search(rowid, search_title, search_body) "
        f"SELECT {KEY.format(row='post')}, search_title, search_body FROM post ORDER BY 1")
SQLITE = [
    "DROP TRIGGER post_search_insert",
    "DROP TRIGGER post_search_delete",
    "DROP TRIGGER post_search_update",
    "DROP TABLE post_search",
    "CREATE VIRTUAL TABLE post_search USING fts5(search_title, search_body, content='', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER post_search_insert AFTER INSERT ON post BEGIN {INSERT} END",
    f"CREATE TRIGGER post_search_delete AFTER DELETE ON post BEGIN {DELETE} END",
    "CREATE TRIGGER post_search_update AFTER UPDATE OF search_title, search_body, publication_time "
    f"ON post BEGIN {DELETE} {INSERT} END",
    FILL,
]
POSTGRESQL = [
    "CREATE INDEX post_search_order ON post (date_trunc('minute', publication_time), id)",
    "CREATE INDEX post_search_title ON post USING GIN ((string_to_array(search_title, ' ')))",
]


def upgrade(database):
    for statement in SQLITE if isinstance(database, SqliteDatabase) else POSTGRESQL:
        database.execute_sql(statement)
