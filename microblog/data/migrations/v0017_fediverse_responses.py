"""Version 17: replies, likes and boosts from the fediverse kept as mentions (`mention.via`
tells them from Webmentions), and a remote actor's name beside its key, shown with them."""


def upgrade(database):
    database.execute_sql("ALTER TABLE mention ADD COLUMN via VARCHAR(12) NOT NULL DEFAULT 'webmention'")
    database.execute_sql("ALTER TABLE remote_key ADD COLUMN name TEXT")
