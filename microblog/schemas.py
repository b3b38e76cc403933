"""Marshmallow schemas: strict inputs (unknown fields refused) and the public and admin outputs."""
import re
from datetime import timezone

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

from .slugs import SLUG_PATTERN

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
TAG_PATTERN = re.compile(r"^[a-z0-9-]{1,50}$")
MAX_TAGS = 10
MAX_TITLE_LENGTH = 200
MAX_PASSWORD_LENGTH = 1024
MIN_PASSWORD_LENGTH = 8


class Text(fields.String):
    """A string refusing C0 control characters other than tab, LF and CR; stripped if asked."""

    def __init__(self, *, strip=True, **kwargs):
        super().__init__(**kwargs)
        self.strip = strip

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL_CHARACTERS.search(text):
            raise ValidationError("Control characters (other than tab, LF and CR) are not allowed.")
        return text.strip() if self.strip else text


class OptionalTitle(Text):
    """A title: blank means no title."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs) or None


class TagName(Text):
    """A tag, normalised to lowercase and trimmed before it is checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs).lower()
        if not TAG_PATTERN.match(name):
            raise ValidationError("A tag is 1 to 50 characters of a-z, 0-9 and '-'.")
        return name


class UniqueTags(fields.List):
    """Tags without duplicates, in the order first given."""

    def _deserialize(self, value, attr, data, **kwargs):
        return list(dict.fromkeys(super()._deserialize(value, attr, data, **kwargs)))


class UTCDateTime(fields.DateTime):
    """RFC 3339 with an explicit offset on input; stored naive UTC; written with `Z`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._aware = fields.AwareDateTime(format="iso")

    def _deserialize(self, value, attr, data, **kwargs):
        moment = self._aware._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise ValidationError("The time is out of range once converted to UTC.") from None

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.isoformat(timespec="microseconds") + "Z"


def post_length(content):
    """Content fits MAX_POST_LENGTH (configurable, so checked at request time)."""
    limit = current_app.config["MAX_POST_LENGTH"]
    if not 1 <= len(content) <= limit:
        raise ValidationError(f"Length must be between 1 and {limit} characters (after trimming).")


def _content_field(**kwargs):
    return Text(
        validate=post_length,
        metadata={"description": "Markdown source, 1..MAX_POST_LENGTH characters, trimmed."},
        **kwargs,
    )


class PostInput(Schema):
    """A post as the admin sends it: content is required (POST and PUT)."""

    content = _content_field(required=True)
    title = OptionalTitle(allow_none=True, validate=validate.Length(max=MAX_TITLE_LENGTH))
    slug = fields.String(
        validate=[validate.Length(max=200), validate.Regexp(SLUG_PATTERN)],
        metadata={"description": "Kept unless given; derived from title or content on create."},
    )
    tags = UniqueTags(
        TagName(metadata={"pattern": r"^\s*[A-Za-z0-9-]+\s*$"}),
        validate=validate.Length(max=MAX_TAGS),
        metadata={"description": "Up to 10 tags, normalised to lowercase [a-z0-9-]{1,50}."},
    )
    visible = fields.Boolean()
    publish_at = UTCDateTime(allow_none=True)


class PostPatch(PostInput):
    """A partial change: every field optional, content never empty."""

    content = _content_field()


class Post(Schema):
    """A post as readers see it."""

    id = fields.Integer()
    content = fields.String()
    content_html = fields.String()
    title = fields.String(allow_none=True)
    slug = fields.String()
    tags = fields.List(fields.String())
    visible = fields.Boolean()
    publish_at = UTCDateTime(allow_none=True)
    created = UTCDateTime()
    edited = UTCDateTime(allow_none=True)


class AdminPost(Post):
    """A post as the admin sees it."""

    deleted = UTCDateTime(allow_none=True)


class PostPage(Schema):
    items = fields.List(fields.Nested(Post))
    next_cursor = fields.String(allow_none=True)


class AdminPostPage(PostPage):
    items = fields.List(fields.Nested(AdminPost))


class NoQuery(Schema):
    """An endpoint without query parameters: any given is refused."""


class ListQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(metadata={"description": "Opaque; `next_cursor` of the previous page."})
    tag = TagName()
    q = Text(validate=validate.Length(min=1, max=200), metadata={"description": "Search text."})
    since = UTCDateTime(metadata={"description": "Publication time, inclusive."})
    until = UTCDateTime(metadata={"description": "Publication time, exclusive."})


class AdminListQuery(ListQuery):
    visible = fields.Boolean()
    deleted = fields.String(
        load_default="exclude", validate=validate.OneOf(["exclude", "include", "only"])
    )


class DeleteQuery(Schema):
    purge = fields.Boolean(
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
    post = fields.Nested(ImportOutcome)


class Login(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=50))
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


class Health(Schema):
    status = fields.String()
    database = fields.String()


class ProblemDetail(Schema):
    pointer = fields.String(metadata={"description": "JSON Pointer into the request body."})
    parameter = fields.String(metadata={"description": "The query parameter at fault."})
    detail = fields.String()


class Problem(Schema):
    """RFC 9457 problem details, the one error shape."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Nested(ProblemDetail))
