"""Version 2: `post.updated`, the time of a post's last change (for Last-Modified and export)."""
from peewee import SqliteDatabase


def upgrade(database):
    sqlite = isinstance(database, SqliteDatabase)
    column_type, greatest = ("DATETIME", "MAX") if sqlite else ("TIMESTAMP", "GREATEST")
    database.execute_sql(
        f"ALTER TABLE post ADD COLUMN updated {column_type} NOT NULL DEFAULT '1970-01-01 00:00:00'"
    )
    database.execute_sql(
        f"UPDATE post SET updated = {greatest}(created, COALESCE(edited, created), "
        "COALESCE(deleted, created))"
    )
    if not sqlite:
        database.execute_sql("ALTER TABLE post ALTER COLUMN updated DROP DEFAULT")
