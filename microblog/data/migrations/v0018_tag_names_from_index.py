"""Version 18: a post's tags in order read from the index alone.

Every read of a post names its tags, from post_tag in position order. The index (post_id,
position) gave that order, but each of its entries then sent SQLite to the table for the
tag's id; (post_id, position, tag_id) holds the id too, so a page of 20 posts reads no
post_tag row at all (a post's tags: 12–18 µs → 10 µs at 100,000 posts; docs/benchmarks.md).
"""
DROPPED = "DROP INDEX post_tag_post_id_position"
INDEX = "CREATE INDEX post_tag_post_id_position_tag_id ON post_tag (post_id, position, tag_id)"


def upgrade(database):
    database.execute_sql(DROPPED)
    database.execute_sql(INDEX)
