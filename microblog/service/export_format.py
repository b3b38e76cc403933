"""The NDJSON export format: records to lines and validated lines back to records.

Line 1 is a header; every other line is one record with a "type" member ("admin",
"revoked_token", "media", "post", "revision", "mention", "mention_block", "actor_key" or
"follower"; posts before their revisions and mentions) and that record's fields. Used by the CLI
and the admin API alike.
"""
import base64
import binascii
import json
import sys
from functools import partial

from marshmallow import Schema, ValidationError, fields, post_load, validate

from ..data import migrations
from ..data.mentions import STATUSES as MENTION_STATUSES
from ..data.mentions import VIAS as MENTION_VIAS
from ..data.mentions import WEBMENTION
from ..data.models import MAX_ID, utcnow
from . import errors, media
from .fields import Text, UTCDateTime, check_content_length
from .mention_source import KIND_NAMES as MENTION_KINDS
from .mention_source import MAX_CONTENT_HTML, MAX_NAME, MAX_URL
from .post_fields import REVISIONED_FIELDS, record_fields

FORMAT_NAME = "microblog-export"
FORMAT_VERSION = 1
MEDIA_TYPE = "application/x-ndjson"


class ImportFormatError(Exception):
    """A line of an import is not a valid record; nothing was imported."""

    def __init__(self, line, detail, pointer=""):
        super().__init__(f"line {line}: {pointer or '/'}: {detail}")
        self.line, self.detail, self.pointer = line, detail, pointer


class Header(Schema):
    type = fields.Constant("header")
    format = fields.String(required=True, validate=validate.Equal(FORMAT_NAME))
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=FORMAT_VERSION))
    schema = fields.Integer(required=True)
    exported = UTCDateTime(required=True)


class AdminRecord(Schema):
    type = fields.Constant("admin")
    username = Text(required=True, validate=validate.Length(min=1, max=50))
    password_hash = Text(strip=False, required=True, validate=[
        validate.Length(min=1, max=255),
        validate.Regexp(r"^(pbkdf2:sha\d+(:\d+)?|scrypt(:\d+){0,3})\$[^$]+\$[0-9a-f]+$",
                        error="Not a password hash this service can check."),
    ])
    token_generation = fields.Integer(required=True, strict=True,
                                      validate=validate.Range(min=0, max=MAX_ID))
    created = UTCDateTime(required=True)


class RevokedTokenRecord(Schema):
    type = fields.Constant("revoked_token")
    session_id = Text(required=True, validate=validate.Length(min=1, max=64))
    expires = UTCDateTime(required=True)


class Base64Bytes(fields.String):
    """Bytes, written as standard base64."""

    def _serialize(self, value, attr, obj, **kwargs):
        return base64.b64encode(value).decode("ascii")

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return base64.b64decode(super()._deserialize(value, attr, data, **kwargs), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("Not base64.") from None


class MediaRecord(Schema):
    """An uploaded image: its key, type and time, and its bytes as stored (the metadata already
    stripped, or kept, as the exporting site did). Width, height and size are read from the
    bytes again on import, never taken from the file."""

    type = fields.Constant("media")
    key = Text(required=True, validate=validate.Regexp(f"^{media.KEY_PATTERN}$"))
    media_type = fields.String(required=True, validate=validate.OneOf(sorted(media.EXTENSIONS)))
    created = UTCDateTime(required=True)
    data = Base64Bytes(required=True)

    @post_load
    def read_the_image(self, record, **_kwargs):
        try:
            picture = media.read_picture(record["data"], max_pixels=sys.maxsize)
        except (errors.TooLarge, errors.UnsupportedMedia) as error:
            raise ValidationError(error.detail, "data") from None
        if picture.media_type != record["media_type"]:
            raise ValidationError(f"The bytes are {picture.media_type}.", "media_type")
        return {**record, "width": picture.width, "height": picture.height, "size": len(record["data"])}


class WithContent(Schema):
    """A record with content, held to the site's MAX_POST_LENGTH when one is given (loading)."""

    def __init__(self, max_post_length=None, **kwargs):
        super().__init__(**kwargs)
        if max_post_length is not None:
            content = self.fields["content"]  # a shallow copy of the class's field: a new list, not append
            content.validators = [*content.validators, partial(check_content_length, limit=max_post_length)]


PostRecord = WithContent.from_dict({"type": fields.Constant("post"), **record_fields()}, name="PostRecord")
RevisionRecord = WithContent.from_dict({
    "type": fields.Constant("revision"),
    "post_id": fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID)),
    "rev": fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID)),
    **record_fields(REVISIONED_FIELDS),
    "created": UTCDateTime(required=True),
}, name="RevisionRecord")


def _http_url(required=True, **options):
    return Text(required=required, validate=[validate.Length(min=1, max=MAX_URL), validate.URL(schemes={"http", "https"})],
                **options)


class MentionRecord(Schema):
    """A Webmention received, or a reply, like or boost from the fediverse (`via`, absent from
    older files); its HTML is sanitized again on import, never taken as it is."""

    type = fields.Constant("mention")
    post_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    source = _http_url()
    target = _http_url()
    via = fields.String(load_default=WEBMENTION, validate=validate.OneOf(MENTION_VIAS))
    status = fields.String(required=True, validate=validate.OneOf(MENTION_STATUSES))
    kind = fields.String(required=True, validate=validate.OneOf(MENTION_KINDS))
    url = _http_url()
    author_name = Text(required=True, allow_none=True, validate=validate.Length(max=MAX_NAME))
    author_url = _http_url(allow_none=True)
    author_photo = _http_url(allow_none=True)
    content_html = Text(strip=False, required=True, validate=validate.Length(max=MAX_CONTENT_HTML))
    published = UTCDateTime(required=True, allow_none=True)
    received = UTCDateTime(required=True)
    verified = UTCDateTime(required=True)


class MentionBlockRecord(Schema):
    type = fields.Constant("mention_block")
    domain = Text(required=True, validate=validate.Length(min=1, max=253))
    created = UTCDateTime(required=True)


class ActorKeyRecord(Schema):
    """The ActivityPub actor's key: followers' servers know the site by it."""

    type = fields.Constant("actor_key")
    private_pem = Text(strip=False, required=True, validate=[
        validate.Length(min=1, max=20_000), validate.Regexp(r"^-----BEGIN PRIVATE KEY-----", error="Not a PEM key.")])
    public_pem = Text(strip=False, required=True, validate=[
        validate.Length(min=1, max=20_000), validate.Regexp(r"^-----BEGIN PUBLIC KEY-----", error="Not a PEM key.")])
    created = UTCDateTime(required=True)


class FollowerRecord(Schema):
    type = fields.Constant("follower")
    actor = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    inbox = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    shared_inbox = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    follow_id = Text(required=True, validate=validate.Length(min=1, max=2048))
    host = Text(required=True, validate=validate.Length(min=1, max=255))
    created = UTCDateTime(required=True)


RECORDS = {"admin": AdminRecord(), "revoked_token": RevokedTokenRecord(), "media": MediaRecord(),
           "post": PostRecord(), "revision": RevisionRecord(), "mention": MentionRecord(),
           "mention_block": MentionBlockRecord(), "actor_key": ActorKeyRecord(), "follower": FollowerRecord()}
HEADER = Header()


def export_lines(records):
    """NDJSON lines (with their newline) for a header and then every (kind, fields) record."""
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
              "schema": migrations.LATEST_VERSION, "exported": utcnow()}
    yield _line(HEADER.dump(header))
    for kind, record in records:
        yield _line(RECORDS[kind].dump(record))


def read_records(lines, max_post_length):
    """Validated (kind, fields) records from NDJSON lines (bytes or str); ImportFormatError if not."""
    loaders = {**RECORDS, "post": PostRecord(max_post_length), "revision": RevisionRecord(max_post_length)}
    header_seen = False
    number = 0
    for number, raw in enumerate(lines, start=1):
        data = _parse(number, raw)
        if data is None:
            continue
        if not header_seen:
            _load(number, HEADER, data)
            header_seen = True
            continue
        kind = data.get("type") if isinstance(data, dict) else None
        if kind not in loaders:
            raise ImportFormatError(number, f"type must be one of {sorted(loaders)}", "/type")
        record = _load(number, loaders[kind], data)
        record.pop("type", None)
        yield kind, record
    if not header_seen:
        raise ImportFormatError(number or 1, "The file is empty; it must start with a header line.")


def _line(document):
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def _parse(number, raw):
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_constant=_refuse_constant) if text.strip() else None
    except ValueError as exc:  # not UTF-8, malformed, NaN or Infinity, an integer of over 4300 digits
        raise ImportFormatError(number, f"not a JSON document ({exc.__class__.__name__})") from None
    except RecursionError:
        raise ImportFormatError(number, "not a JSON document (nested too deeply)") from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _load(number, schema, data):
    try:
        return schema.load(data)
    except ValidationError as exc:
        pointer, detail = _first_error(exc.messages)
        raise ImportFormatError(number, detail, pointer) from None


def _first_error(messages, path=""):
    """The first (JSON pointer, message) in marshmallow's nested messages."""
    if isinstance(messages, dict):
        name, inner = next(iter(messages.items()))
        return _first_error(inner, path if name == "_schema" else f"{path}/{name}")
    if isinstance(messages, list):
        return _first_error(messages[0], path)
    return path, str(messages)
