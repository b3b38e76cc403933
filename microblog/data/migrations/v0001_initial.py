"""Version 1: users, revoked tokens, tags, posts and their tags."""
from peewee import (
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def upgrade(database):
    class Frozen(Model):
        class Meta:
            legacy_table_names = False

    class User(Frozen):
        id = AutoField()
        username = CharField(max_length=50, unique=True)
        password_hash = CharField(max_length=255)
        token_generation = IntegerField(default=0)
        created = DateTimeField()

    class RevokedToken(Frozen):
        session_id = CharField(max_length=64, primary_key=True)
        expires = DateTimeField(index=True)

    class Tag(Frozen):
        id = AutoField()
        name = CharField(max_length=50, unique=True)

    class Post(Frozen):
        id = AutoField()
        content = TextField()
        content_html = TextField()
        title = CharField(max_length=200, null=True)
        slug = CharField(max_length=200, unique=True)
        visible = BooleanField(default=True)
        publish_at = DateTimeField(null=True)
        publication_time = DateTimeField()
        created = DateTimeField()
        edited = DateTimeField(null=True)
        deleted = DateTimeField(null=True)
        public_when_deleted = BooleanField(default=False)

        class Meta:
            indexes = ((("publication_time", "id"), False),)

    class PostTag(Frozen):
        post = ForeignKeyField(Post, on_delete="CASCADE")
        tag = ForeignKeyField(Tag, on_delete="CASCADE")
        position = IntegerField(default=0)

        class Meta:
            primary_key = CompositeKey("post", "tag")
            indexes = ((("tag", "post"), False),)

    models = [User, RevokedToken, Tag, Post, PostTag]
    with database.bind_ctx(models):
        database.create_tables(models)
