"""Version 9: drop four indexes that others cover.

post_tag (post_id) is the head of its primary key (post_id, tag_id); post_tag (tag_id) and
(tag_id, post_id) are covered by (tag_id, publication_time, post_id), which tag pages read
since version 7; revision (post_id) is the head of the unique (post_id, rev). Every write of a
post's tags or revisions kept them up to date for no reader.
"""
REDUNDANT = ("post_tag_post_id", "post_tag_tag_id", "post_tag_tag_id_post_id", "revision_post_id")


def upgrade(database):
    for name in REDUNDANT:
        database.execute_sql(f'DROP INDEX "{name}"')
