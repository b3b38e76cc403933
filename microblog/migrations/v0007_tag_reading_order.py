"""Version 7: a tag's posts in reading order straight from an index.

`post_tag.publication_time` copies its post's publication_time, and the index (tag_id,
publication_time, post_id) lists a tag's posts newest first, so a tag page reads its 20 rows
however many posts carry the tag (before, every post with the tag was read and sorted).
"""
from peewee import SqliteDatabase

INDEX = ("CREATE INDEX post_tag_tag_id_publication_time_post_id "
         "ON post_tag (tag_id, publication_time, post_id)")


def upgrade(database):
    column_type = "DATETIME" if isinstance(database, SqliteDatabase) else "TIMESTAMP"
    database.execute_sql(f"ALTER TABLE post_tag ADD COLUMN publication_time {column_type}")
    database.execute_sql("UPDATE post_tag SET publication_time = "
                         "(SELECT publication_time FROM post WHERE post.id = post_tag.post_id)")
    if not isinstance(database, SqliteDatabase):
        database.execute_sql("ALTER TABLE post_tag ALTER COLUMN publication_time SET NOT NULL")
    database.execute_sql(INDEX)
