"""Version 12: what Micropub needs of a post: the format of its content (Markdown source, or
sanitized HTML a client sent) and the properties it has no field for, as JSON."""


def upgrade(database):
    database.execute_sql("ALTER TABLE post ADD COLUMN content_format VARCHAR(10) NOT NULL DEFAULT 'markdown'")
    database.execute_sql("ALTER TABLE post ADD COLUMN extra_properties TEXT NOT NULL DEFAULT '{}'")
