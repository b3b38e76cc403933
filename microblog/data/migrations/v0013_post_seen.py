"""Version 13: `post.seen`, a digest of what readers last saw of a post, kept while changes are
made to it out of their sight (service/posts.py: they move no reader-visible time unless they
change what readers see once it is public again). NULL: nothing changed since they saw it."""


def upgrade(database):
    database.execute_sql("ALTER TABLE post ADD COLUMN seen VARCHAR(64)")
