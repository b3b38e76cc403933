"""Version 7: a tag's posts in reading order straight from an index, and counted.

`post_tag.publication_time` copies its post's publication_time, and the index (tag_id,
publication_time, post_id) lists a tag's posts newest first, so a tag page reads its 20 rows
however many posts carry the tag (before, every post with the tag was read and sorted).
`tag.post_count` counts the tag's visible, undeleted posts, so the tag list reads no post
but the scheduled ones (before, it counted every public post on every request). The index
(post_id, position) gives a post's tags in order without a sort.
"""
from peewee import SqliteDatabase

INDEX = ("CREATE INDEX post_tag_tag_id_publication_time_post_id "
         "ON post_tag (tag_id, publication_time, post_id)")
POSITION_INDEX = "CREATE INDEX post_tag_post_id_position ON post_tag (post_id, position)"
COUNT = ("UPDATE tag SET post_count = (SELECT COUNT(*) FROM post_tag JOIN post ON post.id = post_tag.post_id "
         "WHERE post_tag.tag_id = tag.id AND post.visible AND post.deleted IS NULL)")


def upgrade(database):
    column_type = "DATETIME" if isinstance(database, SqliteDatabase) else "TIMESTAMP"
    database.execute_sql(f"ALTER TABLE post_tag ADD COLUMN publication_time {column_type}")
    database.execute_sql("UPDATE post_tag SET publication_time = "
                         "(SELECT publication_time FROM post WHERE post.id = post_tag.post_id)")
    if not isinstance(database, SqliteDatabase):
        database.execute_sql("ALTER TABLE post_tag ALTER COLUMN publication_time SET NOT NULL")
    database.execute_sql(INDEX)
    database.execute_sql(POSITION_INDEX)
    database.execute_sql("ALTER TABLE tag ADD COLUMN post_count INTEGER NOT NULL DEFAULT 0")
    database.execute_sql(COUNT)
