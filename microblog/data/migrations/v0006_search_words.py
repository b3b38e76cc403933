"""Version 6: search over the words Python finds in a post, the same on both backends.

`post.search_title` and `post.search_body` hold the lowercased words (runs of letters and
digits) of the title and the content, joined by spaces. SQLite's FTS5 index moves onto them;
PostgreSQL indexes them as arrays (GIN), so neither backend's own tokenizer decides what a
word is (PostgreSQL's kept e-mails, URLs and decimals whole and dropped some characters).
"""
import re

from peewee import AutoField, CharField, Model, SqliteDatabase, TextField

WORD = re.compile(r"[^\W_]+")  # frozen copy of microblog.data.search.WORD
BATCH = 500

SQLITE = [
    "DROP TRIGGER post_search_insert",
    "DROP TRIGGER post_search_delete",
    "DROP TRIGGER post_search_update",
    "DROP TABLE post_search",
    "CREATE VIRTUAL TABLE post_search USING fts5(search_title, search_body, content='post', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER post_search_insert AFTER INSERT ON post BEGIN "
    "INSERT INTO post_search(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "CREATE TRIGGER post_search_delete AFTER DELETE ON post BEGIN "
    "INSERT INTO post_search(post_search, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); END",
    "CREATE TRIGGER post_search_update AFTER UPDATE OF search_title, search_body ON post BEGIN "
    "INSERT INTO post_search(post_search, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); "
    "INSERT INTO post_search(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "INSERT INTO post_search(post_search) VALUES ('rebuild')",
]
POSTGRESQL = [
    "DROP INDEX post_search",
    "CREATE INDEX post_search ON post USING GIN "
    "((string_to_array(search_title || ' ' || search_body, ' ')))",
]


def upgrade(database):
    class Post(Model):
        id = AutoField()
        title = CharField(null=True)
        content = TextField()
        search_title = TextField()
        search_body = TextField()

        class Meta:
            legacy_table_names = False

    for column in ("search_title", "search_body"):
        database.execute_sql(f"ALTER TABLE post ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    with database.bind_ctx([Post]):
        last_id = 0
        while True:
            batch = list(Post.select(Post.id, Post.title, Post.content).where(Post.id > last_id)
                         .order_by(Post.id).limit(BATCH))
            if not batch:
                break
            for post in batch:
                Post.update(search_title=_words(post.title or ""), search_body=_words(post.content)
                            ).where(Post.id == post.id).execute()
            last_id = batch[-1].id
    for statement in SQLITE if isinstance(database, SqliteDatabase) else POSTGRESQL:
        database.execute_sql(statement)


def _words(text):
    return " ".join(WORD.findall(text.lower()))
