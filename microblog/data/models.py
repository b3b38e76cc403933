"""Peewee models and the query helpers that define who sees what."""
import json
import re
from datetime import datetime, timezone
from types import SimpleNamespace

from peewee import (
    SQL,
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    Select,
    TextField,
    fn,
)
from playhouse.sqlite_ext import RowIDField

from .db import database, is_sqlite, locked
from .prepared import PreparedQuery

MAX_ID = 2**31 - 1  # AutoField is a 32-bit integer on PostgreSQL
MAX_SLUG_LENGTH = 200
MAX_TITLE_LENGTH = 200
MAX_TAG_LENGTH = 50
MAX_USERNAME_LENGTH = 50
MAX_MEDIA_KEY_LENGTH = 64
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # lowercase a-z and 0-9 words joined by single hyphens
SLUG_RE = re.compile(SLUG_PATTERN)


def utcnow():
    """The current time as naive UTC, the form every datetime is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def shown_to_readers(visible, deleted):
    """The one rule of what readers may see, once its publication time has come: a visible
    post, not deleted. Its tags count it (Tag.post_count); Post.shown() says it in SQL."""
    return visible and deleted is None


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class JSONList(TextField):
    """A list (a revision's tag names, a post's photos), stored as a JSON array."""

    def db_value(self, value):
        return json.dumps(value)

    def python_value(self, value):
        if value == "[]":  # most posts have no photos: a new empty list, without the parser
            return []
        return json.loads(value) if value is not None else None


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
    post_count = IntegerField(default=0)  # its visible, undeleted posts (service.posts._change_tags)


class JSONObject(TextField):
    """A JSON object, stored as text (the same on both backends)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value):
        if value == "{}":  # what most posts hold: a new empty dict, without the parser
            return {}
        return json.loads(value) if value is not None else None


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
    updated = DateTimeField(default=utcnow)  # the last change readers can see (posts._save)
    seen = CharField(max_length=64, null=True)  # while changed out of readers' sight: what they last saw
    version = IntegerField(default=1)  # +1 on every change; the admin ETag
    content_format = CharField(max_length=10, default="markdown")  # markdown, or html (from Micropub)
    extra_properties = JSONObject(default=dict)  # Micropub properties the post has no field for
    search_title = TextField(default="")  # the title's words, as microblog.data.search indexes them
    search_body = TextField(default="")  # the content's words
    photos = JSONList(default=list)  # [{"url", "alt"}], in order

    class Meta:
        indexes = ((("publication_time", "id"), False),)

    @classmethod
    def select_with_tags(cls, fields=None):
        """`fields` (by default every column but the search words: index material, never read
        back), and `tags`: the post's tag names in order, read in the same row; as PostRow objects."""
        return cls.select(*(fields or cls.READ_FIELDS), _tag_names().alias("tags")).objects(PostRow)

    @classmethod
    def find(cls, post_id, query=None):
        """The post with this id, or None (an id beyond the column's range finds nothing);
        `query` (e.g. one that locks) replaces the plain SELECT."""
        if not 1 <= post_id <= MAX_ID:
            return None
        if query is None:  # not `query or …`: a query's truth value runs it (every row, locked)
            query = cls.select_with_tags()
        return query.where(cls.id == post_id).first()

    @classmethod
    def find_locked(cls, post_id):
        """Post.find(post_id, locked(Post.select_with_tags())), its SQL built once: every edit reads so."""
        return next(iter(_locked_by_id(post_id=post_id)), None) if 1 <= post_id <= MAX_ID else None

    @classmethod
    def view(cls, post_id):
        """The post with this id, or None."""
        return next(iter(_view_by_id(post_id=post_id)), None) if 1 <= post_id <= MAX_ID else None

    @classmethod
    def view_by_slug(cls, slug, read=None):
        """The post with this slug, or None; `read`, a prepared query by slug, replaces the
        plain one (to bring more along in the same row)."""
        if len(slug) > MAX_SLUG_LENGTH or not SLUG_RE.fullmatch(slug):
            return None
        return next(iter((read or _view_by_slug)(slug=slug)), None)

    @classmethod
    def shown(cls):
        """The rule of shown_to_readers in SQL: visible and not deleted."""
        return (cls.visible == True) & cls.deleted.is_null()  # noqa: E712 (peewee expression)

    @classmethod
    def public(cls, now, fields=None):
        """Posts an anonymous reader may see at `now`, with their tags (and `fields`, by default all)."""
        return cls.select_with_tags(fields).where(cls.shown(), cls.publication_time <= now)

    @classmethod
    def admin_view(cls, deleted="exclude"):
        """Every post, with soft-deleted ones excluded, included or alone, with their tags."""
        query = cls.select_with_tags()
        if deleted == "exclude":
            return query.where(cls.deleted.is_null())
        if deleted == "only":
            return query.where(cls.deleted.is_null(False))
        return query


class PostRow(SimpleNamespace):
    """A post as read, the one type every read and write of posts returns: its columns and
    tags as read-only attributes. Cheaper to build than a Post instance, whose field machinery
    costs more per row than the database does."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"a PostRow is read-only: make a changed copy with but({name}=…)")

    __delattr__ = __setattr__

    def but(self, **changes):
        """A copy of this row with these attributes changed."""
        return PostRow(**{**vars(self), **changes})

    def is_public(self, now):
        """The same rule as Post.public(now), for one post."""
        return shown_to_readers(self.visible, self.deleted) and self.publication_time <= now


class PostTag(BaseModel):
    # no index of their own: the primary key starts with post, the reading-order index with tag
    post = ForeignKeyField(Post, backref="post_tags", on_delete="CASCADE", index=False)
    tag = ForeignKeyField(Tag, backref="post_tags", on_delete="CASCADE", index=False)
    position = IntegerField(default=0)
    publication_time = DateTimeField()  # the post's, copied: a tag's posts in reading order

    class Meta:
        primary_key = CompositeKey("post", "tag")
        indexes = ((("tag", "publication_time", "post"), False), (("post", "position", "tag"), False))


def _tag_names():
    """A column of the post's tag names in position order, as a list. Tag names hold no
    space, so the database joins them with spaces (SQLite's group_concat keeps the order of
    its ordered subquery; PostgreSQL's ARRAY(subquery) is ordered by definition)."""
    name = Tag.select(Tag.name).where(Tag.id == PostTag.tag)  # from the post's own rows, by key
    names = PostTag.select(name.alias("name")).where(PostTag.post == Post.id).order_by(PostTag.position)
    if is_sqlite():
        joined = Select([names], [fn.group_concat(SQL("name"), " ")])
    else:
        joined = fn.array_to_string(fn.ARRAY(names), " ")
    return fn.COALESCE(joined, "").python_value(str.split)


Post.READ_FIELDS = tuple(field for field in Post._meta.sorted_fields
                         if field.name not in ("search_title", "search_body"))
# what a feed shows of a post (and its tags); not the Markdown source, the longest column
Post.FEED_FIELDS = (Post.id, Post.slug, Post.title, Post.content_html, Post.publication_time, Post.updated,
                    Post.photos)
# what a reader's list shows of a post (the API's reader fields, and publication_time, the
# reading order's key): not the admin's dates and version nor Micropub's kept properties
Post.LIST_FIELDS = (Post.id, Post.content, Post.content_format, Post.content_html, Post.title, Post.slug,
                    Post.visible, Post.publish_at, Post.publication_time, Post.created, Post.edited, Post.photos)
_view_by_id = PreparedQuery(lambda post_id: Post.select_with_tags().where(Post.id == post_id), post_id=Post.id)
_locked_by_id = PreparedQuery(lambda post_id: locked(Post.select_with_tags()).where(Post.id == post_id),
                              post_id=Post.id)
_view_by_slug = PreparedQuery(lambda slug: Post.select_with_tags().where(Post.slug == slug), slug=Post.slug)


class PostSearch(BaseModel):
    """SQLite's full-text index of the posts' words (FTS5, no content of its own: migration
    v0008). Its rowid is the post's `microblog.data.search.search_key`, so that matches come out in
    reading order. PostgreSQL has no such table; not in MODELS."""

    rowid = RowIDField()
    search_title = TextField()
    search_body = TextField()

    class Meta:
        table_name = "post_search"


class Revision(BaseModel):
    """One version of a post's text: revision 1 at creation, one more for every change."""

    id = AutoField()
    post = ForeignKeyField(Post, backref="revisions", on_delete="CASCADE", index=False)  # see (post, rev)
    rev = IntegerField()
    title = CharField(max_length=MAX_TITLE_LENGTH, null=True)
    content = TextField()
    content_format = CharField(max_length=10, default="markdown")
    tags = JSONList()
    photos = JSONList(default=list)
    created = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("post", "rev"), True),)


class Change(BaseModel):
    """One entry of the change feed; seq follows commit order (writers append under a lock)."""

    seq = AutoField()
    post_id = IntegerField(index=True)  # no foreign key: a purge leaves its tombstone
    action = CharField(max_length=10)
    at = DateTimeField(default=utcnow)


class IdempotencyKey(BaseModel):
    """A create request's Idempotency-Key: running while post_id is null, then its response."""

    key = CharField(max_length=255, primary_key=True)
    request_hash = CharField(max_length=64)
    created = DateTimeField(index=True)
    post_id = IntegerField(null=True)
    response = TextField(null=True)


class LoginFailure(BaseModel):
    """Failed logins of one key: a (username, client address) pair, or a client address."""

    key = CharField(max_length=400, primary_key=True)
    failures = IntegerField()
    first_at = DateTimeField()
    last_at = DateTimeField(index=True)
    locked_until = DateTimeField(null=True)


class Delivery(BaseModel):
    """One message to the outside world, written in the transaction of the change that causes
    it, then sent by a worker (service/outbox.py says what is due, outbound/ sends it)."""

    id = AutoField()
    uid = CharField(max_length=32, unique=True)  # sent with every try: a receiver can tell a repeat
    kind = CharField(max_length=20)  # which sender: "websub", …
    destination = CharField(max_length=255)  # the host:port the request goes to (per-host limits)
    url = TextField()  # where the request goes
    subject = TextField()  # what it is about, in the kind's terms (WebSub: the feed's URL; ActivityPub: the activity's id)
    body = TextField(null=True)  # what is sent, when the kind fixes it at planning (ActivityPub: the activity)
    post_id = IntegerField(null=True)  # the post whose change caused it; no foreign key (purges)
    state = CharField(max_length=10, default="pending")  # pending, done, failed, cancelled
    due = DateTimeField()  # its first due time; its age counts from here
    next_try = DateTimeField()
    attempts = IntegerField(default=0)
    lease = CharField(max_length=32, null=True)  # the claim of the worker sending it now
    leased_until = DateTimeField(null=True)
    last_error = TextField(null=True)
    created = DateTimeField(default=utcnow)
    finished = DateTimeField(null=True)

    class Meta:
        indexes = ((("state", "next_try"), False), (("state", "due"), False), (("post_id", "state"), False),
                   (("kind", "subject", "state"), False))


class DeliveryHost(BaseModel):
    """A destination that failed its last deliveries: past a threshold, nothing is sent to it
    before `blocked_until`."""

    host = CharField(max_length=255, primary_key=True)
    failures = IntegerField()
    blocked_until = DateTimeField(null=True)


class Mention(BaseModel):
    """A Webmention received and verified: `source` links to the post. Its author, text and kind
    come from the source page, sanitized; readers see it when its status is "shown". A reply,
    like or boost from the fediverse is one too (`via` "activitypub"): its source is its id."""

    id = AutoField()
    post = ForeignKeyField(Post, backref="mentions", on_delete="CASCADE", index=False)  # see (post, source)
    source = TextField()
    target = TextField()  # the URL the sender named (no fragment)
    domain = CharField(max_length=255, index=True)  # the source's host: what a block names
    via = CharField(max_length=12, default="webmention")  # or "activitypub": a reply, like or boost from the fediverse
    status = CharField(max_length=10)  # shown, pending (awaiting approval) or hidden
    kind = CharField(max_length=10)  # reply, like, repost, bookmark or mention
    url = TextField()  # the response's own URL (its h-entry's u-url), else the source
    author_name = TextField(null=True)
    author_url = TextField(null=True)
    author_photo = TextField(null=True)  # kept, never fetched nor shown
    content_html = TextField()  # sanitized as posts are
    published = DateTimeField(null=True)
    received = DateTimeField()
    verified = DateTimeField()

    class Meta:
        indexes = ((("post", "source"), True),)


class MentionBlock(BaseModel):
    """A domain (and its subdomains) whose Webmentions are refused."""

    domain = CharField(max_length=255, primary_key=True)
    created = DateTimeField(default=utcnow)


class ActorKey(BaseModel):
    """The site's ActivityPub actor's RSA key pair (PEM), made once; the oldest row is the key."""

    id = AutoField()
    private_pem = TextField()
    public_pem = TextField()
    created = DateTimeField(default=utcnow)


class Follower(BaseModel):
    """A fediverse actor following the site, and where its deliveries go."""

    id = AutoField()
    actor = CharField(max_length=2048, unique=True)
    inbox = TextField()
    shared_inbox = TextField()  # its server's shared inbox, else its own inbox
    follow_id = TextField()  # the id of the Follow accepted (a Reject names it)
    host = CharField(max_length=255, index=True)  # the actor's host, for the domain blocklist
    created = DateTimeField(default=utcnow)


class RemoteKey(BaseModel):
    """A remote actor's public key, fetched from its keyId and kept."""

    key_id = CharField(max_length=2048, primary_key=True)
    owner = TextField()
    public_pem = TextField()
    inbox = TextField(null=True)  # the owner's, as its document gave them (a Follow needs them)
    shared_inbox = TextField(null=True)
    name = TextField(null=True)  # the owner's name (else @user@host), shown with its replies
    fetched = DateTimeField()


class FederatedPost(BaseModel):
    """A post's ActivityPub object generation: +1 each time a Delete is sent for it, so that a
    restored post is a new object (remote servers never bring a deleted one back)."""

    post_id = IntegerField(primary_key=True)
    generation = IntegerField()


class BlockedDomain(BaseModel):
    """A domain (and its subdomains) whose servers' activities are refused and never delivered to."""

    domain = CharField(max_length=255, primary_key=True)
    created = DateTimeField(default=utcnow)


class AuthorizationCode(BaseModel):
    """An IndieAuth authorization code not yet redeemed (kept as a hash), bound to its request."""

    code_hash = CharField(max_length=64, primary_key=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    generation = IntegerField()  # the user's token_generation when approved
    client_id = TextField()
    redirect_uri = TextField()
    scope = TextField()  # space-separated, as approved
    code_challenge = CharField(max_length=128, null=True)  # None only where PKCE is not required
    expires = DateTimeField(index=True)


class AccessToken(BaseModel):
    """An IndieAuth access token (kept as a hash): for the Micropub and media endpoints only."""

    id = AutoField()
    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    generation = IntegerField()  # it works while the user's token_generation is still this
    client_id = TextField()
    scope = TextField()  # space-separated
    created = DateTimeField(default=utcnow)
    last_used = DateTimeField(null=True)
    expires = DateTimeField()


class BrowserSession(BaseModel):
    """A sign-in carried by a browser's cookie (the consent page, the writer's pages), kept as a hash."""

    session_hash = CharField(max_length=64, primary_key=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    generation = IntegerField()  # it holds while the user's token_generation is still this
    created = DateTimeField(default=utcnow)
    expires = DateTimeField(index=True)


class Media(BaseModel):
    """An uploaded image: its bytes as served, and what was read from them. The id orders the
    admin's list; the key, random and unguessable, names it in its URL."""

    id = AutoField()
    key = CharField(max_length=MAX_MEDIA_KEY_LENGTH, unique=True)
    media_type = CharField(max_length=20)  # image/jpeg, image/png, image/gif or image/webp
    width = IntegerField()
    height = IntegerField()
    size = IntegerField()  # bytes
    created = DateTimeField(default=utcnow)
    data = BlobField()

    DESCRIBED_BY = ("key", "media_type", "width", "height", "size", "created")  # every column but the bytes


MODELS = [User, RevokedToken, Tag, Post, PostTag, Revision, Change, IdempotencyKey, LoginFailure,
          AuthorizationCode, AccessToken, BrowserSession, Media, Delivery, DeliveryHost, Mention, MentionBlock,
          ActorKey, Follower, RemoteKey, FederatedPost, BlockedDomain]
