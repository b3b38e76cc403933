"""Peewee models and the query helpers that define who sees what."""
from datetime import datetime, timezone

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

from .db import database


def utcnow():
    """The current time as naive UTC, the form every datetime is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    """The admin account (microblog has exactly one)."""

    id = AutoField()
    username = CharField(max_length=50, unique=True)
    password_hash = CharField(max_length=255)
    token_generation = IntegerField(default=0)
    created = DateTimeField(default=utcnow)


class RevokedToken(BaseModel):
    """A login session (the access and refresh tokens it issued) that no longer works."""

    session_id = CharField(max_length=64, primary_key=True)
    expires = DateTimeField(index=True)


class Tag(BaseModel):
    id = AutoField()
    name = CharField(max_length=50, unique=True)


class Post(BaseModel):
    id = AutoField()
    content = TextField()
    content_html = TextField()
    title = CharField(max_length=200, null=True)
    slug = CharField(max_length=200, unique=True)
    visible = BooleanField(default=True)
    publish_at = DateTimeField(null=True)
    publication_time = DateTimeField()  # publish_at when set, else created: the reading order
    created = DateTimeField(default=utcnow)
    edited = DateTimeField(null=True)
    deleted = DateTimeField(null=True)
    public_when_deleted = BooleanField(default=False)

    class Meta:
        indexes = ((("publication_time", "id"), False),)

    @classmethod
    def public(cls, now):
        """Posts an anonymous reader may see at `now`."""
        return cls.select().where(
            cls.visible == True,  # noqa: E712 (peewee expression)
            cls.deleted.is_null(),
            cls.publication_time <= now,
        )

    @classmethod
    def admin_view(cls, deleted="exclude"):
        """Every post, with soft-deleted ones excluded, included or alone."""
        query = cls.select()
        if deleted == "exclude":
            return query.where(cls.deleted.is_null())
        if deleted == "only":
            return query.where(cls.deleted.is_null(False))
        return query

    def is_public(self, now):
        return (
            self.visible
            and self.deleted is None
            and self.publication_time <= now
        )


class PostTag(BaseModel):
    post = ForeignKeyField(Post, backref="post_tags", on_delete="CASCADE")
    tag = ForeignKeyField(Tag, backref="post_tags", on_delete="CASCADE")
    position = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("post", "tag")
        indexes = ((("tag", "post"), False),)


MODELS = [User, RevokedToken, Tag, Post, PostTag]


def create_tables():
    """Create every missing table and index (idempotent)."""
    with database.atomic():
        database.create_tables(MODELS, safe=True)
