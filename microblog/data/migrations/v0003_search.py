"""Version 3: full-text search over title and content.

SQLite: an FTS5 index (external content, kept in step by triggers). PostgreSQL: a GIN index on
the same tsvector expression that searches use. Both tokenize words without stemming and keep
diacritics, so a query finds the same posts on either backend.
"""
from peewee import SqliteDatabase

SQLITE = [
    "CREATE VIRTUAL TABLE post_search USING fts5(title, content, content='post', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER post_search_insert AFTER INSERT ON post BEGIN "
    "INSERT INTO post_search(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    "CREATE TRIGGER post_search_delete AFTER DELETE ON post BEGIN "
    "INSERT INTO post_search(post_search, rowid, title, content) "
    "VALUES ('delete', old.id, old.title, old.content); END",
    "CREATE TRIGGER post_search_update AFTER UPDATE OF title, content ON post BEGIN "
    "INSERT INTO post_search(post_search, rowid, title, content) "
    "VALUES ('delete', old.id, old.title, old.content); "
    "INSERT INTO post_search(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    "INSERT INTO post_search(post_search) VALUES ('rebuild')",
]

POSTGRESQL_DOCUMENT = (
    "(setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', content), 'B'))"
)
POSTGRESQL = [f"CREATE INDEX post_search ON post USING GIN ({POSTGRESQL_DOCUMENT})"]


def upgrade(database):
    for statement in SQLITE if isinstance(database, SqliteDatabase) else POSTGRESQL:
        database.execute_sql(statement)
