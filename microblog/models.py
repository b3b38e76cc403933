"""Peewee models and the query helpers that define who sees what."""
import re
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
from .slugs import SLUG_PATTERN


MAX_ID = 2**31 - 1  # AutoField is a 32-bit integer on PostgreSQL
MAX_SLUG_LENGTH = 200
MAX_TITLE_LENGTH = 200
MAX_TAG_LENGTH = 50
MAX_USERNAME_LENGTH = 50
SLUG_RE = re.compile(SLUG_PATTERN)


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
    username = CharField(max_length=MAX_USERNAME_LENGTH, unique=True)
    password_hash = CharField(max_length=255)
    token_generation = IntegerField(default=0)
    created = DateTimeField(default=utcnow)


class RevokedToken(BaseModel):
    """A login session (the access and refresh tokens it issued) that no longer works."""

    session_id = CharField(max_length=64, primary_key=True)
    expires = DateTimeField(index=True)


class Tag(BaseModel):
    id = AutoField()
    name = CharField(max_length=MAX_TAG_LENGTH, unique=True)


class Post(BaseModel):
    id = AutoField()
    content = TextField()
    content_html = TextField()
    title = CharField(max_length=MAX_TITLE_LENGTH, null=True)
    slug = CharField(max_length=MAX_SLUG_LENGTH, unique=True)
    visible = BooleanField(default=True)
    publish_at = DateTimeField(null=True)
    publication_time = DateTimeField()  # publish_at when set, else created: the reading order
    created = DateTimeField(default=utcnow)
    edited = DateTimeField(null=True)
    deleted = DateTimeField(null=True)
    public_when_deleted = BooleanField(default=False)  # decides 410 (was public) or 404
    updated = DateTimeField(default=utcnow)  # the last change of any kind

    class Meta:
        indexes = ((("publication_time", "id"), False),)

    @classmethod
    def find(cls, post_id):
        """The post with this id, or None (an id beyond the column's range finds nothing)."""
        if not 1 <= post_id <= MAX_ID:
            return None
        return cls.get_or_none(cls.id == post_id)

    @classmethod
    def find_by_slug(cls, slug):
        """The post with this slug, or None (a string that cannot be a slug finds nothing)."""
        if len(slug) > MAX_SLUG_LENGTH or not SLUG_RE.fullmatch(slug):
            return None
        return cls.get_or_none(cls.slug == slug)

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
        """The same rule as Post.public(now), for one loaded post."""
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
