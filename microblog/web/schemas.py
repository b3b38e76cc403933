"""Marshmallow schemas: strict inputs (unknown fields refused) and the public and admin outputs."""
import re
from operator import attrgetter

from flask import current_app
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, post_load, validate
from webargs.flaskparser import abort as abort_with_messages

from ..data.models import MAX_ID, MAX_USERNAME_LENGTH
from ..service.auth import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from ..service.fields import NON_BLANK_PATTERN, TagName, Text, UTCDateTime, check_content_length, utc_text
from ..service.post_fields import ADMIN_FIELDS, READER_FIELDS, REVISIONED_FIELDS, input_fields, output_fields
from .pagination import decode_cursor, decode_id_cursor

DIGITS_RE = re.compile(r"[0-9]{1,19}")
MAX_QUERY_INTEGER = 2**63 - 1
# base64url without padding, as encode_cursor writes it: never 1 character more than a multiple of 4
CURSOR_PATTERN = "^(?:[A-Za-z0-9_-]{4})*[A-Za-z0-9_-]{2,4}$"


class QueryBoolean(fields.Boolean):
    """A query parameter spelled true or false."""

    def __init__(self, **kwargs):
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)


class QueryInteger(fields.Integer):
    """A query parameter of ASCII digits only (no sign, underscore or other scripts' digits)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DIGITS_RE.fullmatch(value):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def configured_length(setting):
    """A validator of a text's length against a setting of the app (read per request: each app
    may set its own)."""
    return lambda text: check_content_length(text, current_app.config[setting])


class PostInput(Schema.from_dict(input_fields(length_check=configured_length), name="PostInputFields")):
    """A post as the admin sends it: content is required (POST and PUT)."""


class PostPatch(Schema.from_dict(input_fields(partial=True, length_check=configured_length), name="PostPatchFields")):
    """A partial change: every field optional, content never empty."""


class DirectPostDump:
    """What Schema.dump gives for posts, built directly: posts are dumped on every read, and
    field by field marshmallow took longer than the database (tests compare the two)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        names = tuple(self.dump_fields)
        self._names, self._values = names, attrgetter(*names)
        self._times = [name for name, field in self.dump_fields.items() if isinstance(field, UTCDateTime)]

    def dump(self, obj, *, many=None):
        if self.only or self.exclude:
            return super().dump(obj, many=many)
        if self.many if many is None else many:
            return [self._dump_post(post) for post in obj]
        return self._dump_post(obj)

    def _dump_post(self, post):
        dumped = dict(zip(self._names, self._values(post), strict=True))
        for name in self._times:
            dumped[name] = utc_text(dumped[name])
        dumped["tags"] = list(dumped["tags"])
        return dumped


class Post(DirectPostDump, Schema.from_dict(output_fields(READER_FIELDS), name="PostFields")):
    """A post as readers see it."""


class AdminPost(DirectPostDump, Schema.from_dict(output_fields(ADMIN_FIELDS), name="AdminPostFields")):
    """A post as the admin sees it."""


class PostPage(Schema):
    items = fields.List(fields.Nested(Post))
    next_cursor = fields.String(allow_none=True)

    def dump(self, obj, *, many=None):
        """What Schema.dump gives, built around the items' direct dump: marshmallow's list and
        nesting cost a list page as much as its 20 posts' own dumps (tests compare the two)."""
        if self.only or self.exclude or many or self.many:
            return super().dump(obj, many=many)
        cursor = obj["next_cursor"]
        return {"items": self.fields["items"].inner.schema.dump(obj["items"], many=True),
                "next_cursor": None if cursor is None else str(cursor)}


class AdminPostPage(PostPage):
    items = fields.List(fields.Nested(AdminPost))


Revision = Schema.from_dict({"rev": fields.Integer(), **output_fields(REVISIONED_FIELDS), "created": UTCDateTime()},
                            name="Revision")


class RevisionList(Schema):
    items = fields.List(fields.Nested(Revision))


class ChangeQuery(Schema):
    since = QueryInteger(load_default=0, validate=validate.Range(min=0, max=MAX_QUERY_INTEGER),
                         metadata={"description": "The last seq already seen."})
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))


class Change(Schema):
    seq = fields.Integer()
    post_id = fields.Integer()
    action = fields.String(metadata={"enum": ["create", "update", "hide", "show", "delete",
                                              "restore", "purge", "mention"],
                                     "description": "`mention`: what readers see of the post's Webmentions changed."})
    at = UTCDateTime()
    post = fields.Nested(AdminPost, allow_none=True,
                         metadata={"description": "The post as it is now; null once purged."})


class ChangePage(Schema):
    items = fields.List(fields.Nested(Change))
    next_since = fields.Integer(metadata={"description": "Pass as `since` to get what follows."})


class IdempotencyHeaders(Schema):
    key = fields.String(
        data_key="Idempotency-Key",
        validate=[validate.Length(min=1, max=255), validate.Regexp(r"^[\x21-\x7e]+$")],
        metadata={"description": "Retries with the same key and body return the first response."},
    )


class NoQuery(Schema):
    """An endpoint without query parameters: any given is refused."""


class ListQuery(Schema):
    limit = QueryInteger(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Opaque: `next_cursor` of the previous page (a search's with "
                                 "`q`, a list's without).", "pattern": CURSOR_PATTERN},
    )
    tag = TagName()
    q = Text(validate=validate.Length(min=1, max=200), metadata={"description": (
        "Search text: posts holding every word of it. Posts with every word in the title come "
        "first; then newest first by the minute of publication, then by id.")})
    since = UTCDateTime(metadata={"description": "Publication time, inclusive."})
    until = UTCDateTime(metadata={"description": "Publication time, exclusive."})

    @post_load
    def cursor_to_key(self, data, **_kwargs):
        """The cursor as the sort key it holds (`after`), of a search's shape when `q` is given."""
        if "cursor" in data:
            try:
                data["after"] = decode_cursor(data.pop("cursor"), searching="q" in data)
            except ValueError:
                raise ValidationError({"cursor": ["Not a valid cursor for this query."]}) from None
        return data


class AdminListQuery(ListQuery):
    visible = QueryBoolean()
    deleted = fields.String(
        load_default="exclude", validate=validate.OneOf(["exclude", "include", "only"])
    )


class FeedQuery(Schema):
    tag = TagName(metadata={"description": "Only posts with this tag."})


class DeleteQuery(Schema):
    purge = QueryBoolean(
        load_default=False, metadata={"description": "Remove a soft-deleted post for good."}
    )


class TagCount(Schema):
    name = fields.String()
    count = fields.Integer()


class TagCounts(Schema):
    items = fields.List(fields.Nested(TagCount))


class ImportOutcome(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class ImportCounts(Schema):
    """What an import did, per kind of record."""

    admin = fields.Nested(ImportOutcome)
    revoked_token = fields.Nested(ImportOutcome)
    media = fields.Nested(ImportOutcome)
    post = fields.Nested(ImportOutcome)
    revision = fields.Nested(ImportOutcome)
    mention = fields.Nested(ImportOutcome)
    mention_block = fields.Nested(ImportOutcome)


class MediaUpload(Schema):
    file = Upload(required=True, metadata={
        "description": "A JPEG, PNG, GIF or WebP image (recognised from its content), at most "
                       "MAX_MEDIA_BYTES (10 MiB) and MEDIA_MAX_PIXELS pixels."})


class MediaItem(Schema):
    """An uploaded image as the admin sees it."""

    key = fields.String(metadata={"description": "Random and unguessable; names the image in its URL."})
    url = fields.String(metadata={"description": "Where it is served: absolute, on PUBLIC_BASE_URL."})
    type = fields.String(attribute="media_type", metadata={
        "enum": ["image/jpeg", "image/png", "image/gif", "image/webp"]})
    width = fields.Integer(metadata={"description": "Pixels, as shown (EXIF orientation applied)."})
    height = fields.Integer()
    size = fields.Integer(metadata={"description": "Bytes, as stored and served."})
    created = UTCDateTime()


class MediaPage(Schema):
    items = fields.List(fields.Nested(MediaItem))
    next_cursor = fields.String(allow_none=True)


class MediaListQuery(Schema):
    limit = QueryInteger(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Opaque: `next_cursor` of the previous page.", "pattern": CURSOR_PATTERN})

    @post_load
    def cursor_to_key(self, data, **_kwargs):
        if "cursor" in data:
            try:
                data["after"] = decode_id_cursor(data.pop("cursor"))
            except ValueError:
                raise ValidationError({"cursor": ["Not a valid cursor for this query."]}) from None
        return data


class Login(Schema):
    username = Text(required=True, metadata={"pattern": NON_BLANK_PATTERN}, validate=[
        validate.Length(min=1, error="Must not be blank."), validate.Length(max=MAX_USERNAME_LENGTH)])
    password = Text(strip=False, required=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))


class PasswordChange(Schema):
    current_password = Text(
        strip=False, required=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH)
    )
    new_password = Text(
        strip=False,
        required=True,
        validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH),
    )


class Tokens(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires."})


class AccessToken(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class User(Schema):
    id = fields.Integer()
    username = fields.String()
    created = UTCDateTime()


DELIVERY_STATES = ["pending", "done", "failed", "cancelled"]


class DeliveryQuery(Schema):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500))
    before = QueryInteger(validate=validate.Range(min=1, max=MAX_ID),
                          metadata={"description": "`next_before` of the previous page: deliveries with lower ids."})
    state = fields.String(validate=validate.OneOf(DELIVERY_STATES))
    kind = Text(validate=validate.Length(min=1, max=20), metadata={"description": "e.g. `websub`"})
    destination = Text(validate=validate.Length(min=1, max=255),
                       metadata={"description": "The host and port deliveries go to, e.g. `hub.example:443`."})


class Delivery(Schema):
    id = fields.Integer()
    uid = fields.String(metadata={"description": "Sent with every try (the `Microblog-Delivery-Id` "
                                                 "header): a receiver can tell a repeat."})
    kind = fields.String(metadata={"description": "Which sender: `websub` (a hub ping), `webmention` (a "
                                                  "Webmention sent), `webmention-check` (a received one's source "
                                                  "fetched), or an ActivityPub activity: `ap-create`, `ap-update`, "
                                                  "`ap-delete`, `ap-accept`, `ap-reject`."})
    destination = fields.String(metadata={"description": "host:port the request goes to."})
    url = fields.String(metadata={"description": "Where the request goes (WebSub: the hub; Webmention: the page "
                                                 "linked to; its check: the source; ActivityPub: the inbox)."})
    subject = fields.String(metadata={"description": "What it is about (WebSub: the feed's URL; Webmention: the "
                                                     "post's URL; its check: the target; ActivityPub: the "
                                                     "activity's id)."})
    post_id = fields.Integer(allow_none=True, metadata={"description": "The post whose change caused it."})
    state = fields.String(metadata={"enum": DELIVERY_STATES})
    due = UTCDateTime(metadata={"description": "When it first came due; its age counts from here."})
    next_try = UTCDateTime()
    attempts = fields.Integer()
    in_flight = fields.Method("_in_flight", metadata={"type": "boolean",
                                                      "description": "A worker holds it and is sending it."})
    last_error = fields.String(allow_none=True)
    created = UTCDateTime()
    finished = UTCDateTime(allow_none=True)

    def _in_flight(self, delivery):
        return delivery.lease is not None


class DeliveryPage(Schema):
    items = fields.List(fields.Nested(Delivery))
    next_before = fields.Integer(allow_none=True, metadata={"description": "Pass as `before` for the next page."})


class DeliveryCounts(Schema):
    kind = fields.String()
    destination = fields.String()
    pending = fields.Integer()
    done = fields.Integer()
    failed = fields.Integer()
    cancelled = fields.Integer()


class DeliverySummary(Schema):
    items = fields.List(fields.Nested(DeliveryCounts))
    oldest_pending_age = fields.Float(metadata={"description": "Seconds since the oldest pending delivery came "
                                                               "due; 0 when none waits."})


MENTION_STATUSES = ["shown", "pending", "hidden"]
MENTION_KINDS = ["reply", "like", "repost", "bookmark", "mention"]
MENTION_VIAS = ["webmention", "activitypub"]


class MentionQuery(Schema):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500))
    before = QueryInteger(validate=validate.Range(min=1, max=MAX_ID),
                          metadata={"description": "`next_before` of the previous page: mentions with lower ids."})
    post_id = QueryInteger(validate=validate.Range(min=1, max=MAX_ID))
    status = fields.String(validate=validate.OneOf(MENTION_STATUSES))
    kind = fields.String(validate=validate.OneOf(MENTION_KINDS))
    via = fields.String(validate=validate.OneOf(MENTION_VIAS))


class Mention(Schema):
    id = fields.Integer()
    post_id = fields.Integer()
    source = fields.String(metadata={"description": "The page that links to the post."})
    target = fields.String(metadata={"description": "The post's URL, as the sender named it."})
    domain = fields.String(metadata={"description": "The source's host."})
    via = fields.String(metadata={"enum": MENTION_VIAS, "description":
                                  "`webmention`, or `activitypub`: a reply, like or boost from the fediverse, whose "
                                  "`source` is its id and `author_url` its actor."})
    status = fields.String(metadata={"enum": MENTION_STATUSES, "description":
                                     "`shown` to readers, `pending` approval (MENTIONS_NEED_APPROVAL) or `hidden`."})
    kind = fields.String(metadata={"enum": MENTION_KINDS})
    url = fields.String(metadata={"description": "The response's own URL (its h-entry's), else the source."})
    author_name = fields.String(allow_none=True)
    author_url = fields.String(allow_none=True)
    author_photo = fields.String(allow_none=True, metadata={"description": "Kept; never fetched nor shown."})
    content_html = fields.String(metadata={"description": "Sanitized as posts are."})
    published = UTCDateTime(allow_none=True)
    received = UTCDateTime()
    verified = UTCDateTime(metadata={"description": "The last time its source was fetched and linked here."})


class MentionPage(Schema):
    items = fields.List(fields.Nested(Mention))
    next_before = fields.Integer(allow_none=True, metadata={"description": "Pass as `before` for the next page."})


class MentionStatusInput(Schema):
    status = fields.String(required=True, validate=validate.OneOf(MENTION_STATUSES),
                           metadata={"description": "`shown` approves or shows it again; `hidden` hides it."})


class MentionBlock(Schema):
    domain = fields.String()
    created = UTCDateTime()


class MentionBlockList(Schema):
    items = fields.List(fields.Nested(MentionBlock))


class Health(Schema):
    status = fields.String()
    database = fields.String()
    oldest_pending_delivery_age = fields.Float(metadata={
        "description": "Seconds since the oldest delivery still waiting to be sent came due (0: none waits)."})
    redis = fields.String(metadata={"description": "Only when request limits count in Redis: `ok`, or "
                                                   "`unavailable` (requests are then limited by each "
                                                   "worker on its own; the service stays healthy)."})


class ProblemDetail(Schema):
    pointer = fields.String(metadata={"description": "JSON Pointer into the request body."})
    line = fields.Integer(metadata={"description": "The line of an NDJSON import at fault."})
    parameter = fields.String(metadata={"description": "The query parameter at fault."})
    detail = fields.String()


class Problem(Schema):
    """RFC 9457 problem details, the one error shape."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Nested(ProblemDetail))


APP_SCOPE = "(?:create|update|delete|media|post)"
APP_SCOPES_PATTERN = f"^ *{APP_SCOPE}(?: +{APP_SCOPE})* *$"


class AppTokenInput(Schema):
    client_id = Text(required=True, metadata={"description": "The app the token is for: its URL, or a name.",
                                              "pattern": NON_BLANK_PATTERN},
                     validate=[validate.Length(min=1, error="Must not be blank."), validate.Length(max=2000)])
    scope = Text(required=True, metadata={"description": "Space-separated: create, update, delete, media "
                                                         "(post counts as create).", "pattern": APP_SCOPES_PATTERN},
                 validate=[validate.Length(max=1000), validate.Regexp(APP_SCOPES_PATTERN, error="Space-separated "
                           "scopes: create, update, delete, media, post.")])


class AppToken(Schema):
    """An IndieAuth access token as the admin sees it: never its secret."""

    id = fields.Integer()
    client_id = fields.String()
    scope = fields.String()
    created = UTCDateTime()
    last_used = UTCDateTime(allow_none=True, metadata={"description": "To the minute; null until first used."})
    expires = UTCDateTime()


class NewAppToken(AppToken):
    access_token = fields.String(metadata={"description": "The secret, shown this once."})
    token_type = fields.String()
    expires_in = fields.Integer()


class AppTokenList(Schema):
    items = fields.List(fields.Nested(AppToken))


class FollowerQuery(Schema):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500))
    after = QueryInteger(validate=validate.Range(min=1, max=MAX_ID),
                         metadata={"description": "`next_after` of the previous page."})


class Follower(Schema):
    id = fields.Integer()
    actor = fields.String(metadata={"description": "The follower's ActivityPub actor."})
    inbox = fields.String()
    shared_inbox = fields.String(metadata={"description": "Where its deliveries go (its server's shared inbox)."})
    host = fields.String()
    created = UTCDateTime()


class FollowerPage(Schema):
    items = fields.List(fields.Nested(Follower))
    next_after = fields.Integer(allow_none=True, metadata={"description": "Pass as `after` for the next page."})


class BlockedDomain(Schema):
    domain = fields.String()
    created = UTCDateTime()


class BlockedDomainList(Schema):
    items = fields.List(fields.Nested(BlockedDomain))


class PostDeliveryCounts(Schema):
    pending = fields.Integer()
    done = fields.Integer()
    failed = fields.Integer()
    cancelled = fields.Integer()


class PostDeliveries(Schema):
    counts = fields.Nested(PostDeliveryCounts)
    items = fields.List(fields.Nested(Delivery))


class Resent(Schema):
    deliveries = fields.Integer(metadata={"description": "Deliveries planned (one per shared inbox)."})


DOMAIN_RE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def checked_domain(domain):
    """A domain name as the blocklist keeps it (lower case); 422 when it is not one."""
    if len(domain) > 253 or not DOMAIN_RE.fullmatch(domain.lower()):
        abort_with_messages(422, messages={"path": {"domain": ["Not a domain name."]}})
    return domain.lower()
