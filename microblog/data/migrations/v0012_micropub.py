"""Version 12: what Micropub needs of a post: the format of its content (Markdown source, or
sanitized HTML a client sent), kept in its revisions too, and the properties it has no field
for, as a JSON object."""


def upgrade(database):
    database.execute_sql("ALTER TABLE post ADD COLUMN content_format VARCHAR(10) NOT NULL DEFAULT 'markdown'")
    database.execute_sql("ALTER TABLE post ADD COLUMN extra_properties TEXT NOT NULL DEFAULT '{}'")
    database.execute_sql("ALTER TABLE revision ADD COLUMN content_format VARCHAR(10) NOT NULL DEFAULT 'markdown'")
