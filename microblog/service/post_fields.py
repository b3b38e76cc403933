"""The one registry of a post's fields: each declared once with its type, whether the admin sends
it (and its value when a replace omits it), whether readers see it, whether a change of it makes
a revision and whether the export carries it. The API's schemas, the reader and admin
projections, the writes of service/posts.py, the revisions and the export format all derive
their field lists from it, in its order (the order of the OpenAPI document's properties)."""
from dataclasses import dataclass
from typing import Any, Callable

from marshmallow import fields, validate

from ..data.models import MAX_ID
from .content import CONTENT_FORMATS
from .fields import (
    NON_BLANK_PATTERN,
    OptionalTitle,
    Photos,
    Slug,
    StrictBoolean,
    TagName,
    Text,
    UniqueTags,
    UTCDateTime,
)

UNCHANGED = object()  # on_replace: a replace that omits the field leaves it as it is
REQUIRED = object()  # import_default: a record of an import must have the field


def _id(**options):
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **options)


def _tags(**options):
    return UniqueTags(TagName(), **options)


def _content_format(**options):
    return fields.String(validate=validate.OneOf(CONTENT_FORMATS), **options)


def _properties(**options):
    return fields.Dict(keys=fields.String(), **options)


@dataclass(frozen=True)
class PostField:
    """A post's attribute. `kind` makes its marshmallow field from marshmallow's options."""

    name: str
    kind: Callable[..., fields.Field]
    nullable: bool = False
    readers: bool = False  # readers see it (and so does the admin)
    admin: bool = False  # the admin sees it, readers do not
    exported: bool = True  # the export's post record carries it
    column: bool = True  # a column of the post table (tags are rows of post_tag)
    sent: dict | None = None  # the admin sends it, with these options (None: never sent)
    sent_kind: Callable[..., fields.Field] | None = None  # its type as sent, when stricter than `kind`
    on_replace: Any = UNCHANGED  # its value when a new post or a replace (PUT) omits it
    revisioned: bool = False  # a change of it marks the post edited and makes a revision
    import_default: Any = REQUIRED  # its value when an import's record lacks it
    length_setting: str | None = None  # the configuration setting that bounds its length
    written: bool = False  # a column a post is written with though the admin never sends it (Micropub's)

    def output_field(self):
        """The field as the API writes it (every one present, null where nullable)."""
        return self.kind(required=True, allow_none=self.nullable or None)

    def record_field(self):
        """The field in the export's post record."""
        presence = {"required": True} if self.import_default is REQUIRED else {"load_default": self.import_default}
        return self.kind(allow_none=self.nullable or None, **presence)

    def input_field(self, partial=False, **options):
        """The field as the admin sends it: required (where declared so) unless `partial`."""
        sent = {name: value for name, value in self.sent.items() if not (partial and name == "required")}
        return (self.sent_kind or self.kind)(allow_none=self.nullable or None, **sent, **options)


POST_FIELDS = (
    PostField("id", _id, readers=True),
    PostField("content", Text, readers=True, revisioned=True, length_setting="MAX_POST_LENGTH", sent={
        "required": True,
        "metadata": {"description": "Markdown source, 1..MAX_POST_LENGTH characters, trimmed.",
                     "pattern": NON_BLANK_PATTERN, "minLength": 1}}),
    PostField("content_format", _content_format, readers=True, revisioned=True, on_replace="markdown",
              import_default="markdown", sent={"metadata": {"description": (
                  "markdown (the default): content is Markdown source; html: content is HTML, kept "
                  "sanitized, as Micropub clients send it.")}}),
    PostField("content_html", fields.String, readers=True, import_default=None),  # rendered again on import
    PostField("title", OptionalTitle, nullable=True, readers=True, revisioned=True, sent={}, on_replace=None),
    PostField("slug", Slug, readers=True, sent={}),  # a replace keeps it
    PostField("tags", _tags, readers=True, column=False, revisioned=True, on_replace=[], sent={
        "metadata": {"description": "Up to 10 tags, normalised to lowercase [a-z0-9-]{1,50}."}}),
    PostField("photos", Photos, readers=True, revisioned=True, on_replace=[], sent={}, import_default=[]),
    PostField("visible", fields.Boolean, readers=True, sent={}, sent_kind=StrictBoolean, on_replace=True),
    PostField("publish_at", UTCDateTime, nullable=True, readers=True, sent={}, on_replace=None),
    PostField("created", UTCDateTime, readers=True),
    PostField("edited", UTCDateTime, nullable=True, readers=True),
    PostField("deleted", UTCDateTime, nullable=True, admin=True),
    PostField("updated", UTCDateTime),
    PostField("public_when_deleted", fields.Boolean),
    PostField("version", _id, import_default=1),
    PostField("extra_properties", _properties, admin=True, written=True, import_default={}),  # Micropub's, as sent
)

READER_FIELDS = tuple(post_field.name for post_field in POST_FIELDS if post_field.readers)
ADMIN_FIELDS = tuple(post_field.name for post_field in POST_FIELDS if post_field.readers or post_field.admin)
EXPORTED_FIELDS = tuple(post_field.name for post_field in POST_FIELDS if post_field.exported)
SENT_FIELDS = tuple(post_field for post_field in POST_FIELDS if post_field.sent is not None)
SENT_COLUMNS = frozenset(post_field.name for post_field in SENT_FIELDS if post_field.column)
WRITTEN_COLUMNS = SENT_COLUMNS | {post_field.name for post_field in POST_FIELDS if post_field.written}
REVISIONED_FIELDS = tuple(post_field.name for post_field in POST_FIELDS if post_field.revisioned)
DEFAULTS_ON_REPLACE = {post_field.name: post_field.on_replace for post_field in SENT_FIELDS
                       if post_field.on_replace is not UNCHANGED}


def output_fields(names):
    """Marshmallow fields of the API's output for these names, in the registry's order."""
    return {post_field.name: post_field.output_field() for post_field in POST_FIELDS if post_field.name in names}


def record_fields(names=EXPORTED_FIELDS):
    """Marshmallow fields of the export's post record (or of these fields of it)."""
    return {post_field.name: post_field.record_field() for post_field in POST_FIELDS if post_field.name in names}


def input_fields(partial=False, length_check=None):
    """Marshmallow fields of a post as the admin sends it; `length_check(setting)` makes the
    validator of a field bounded by a configuration setting (the web reads it per request)."""
    return {post_field.name: post_field.input_field(partial, **(
        {"validate": length_check(post_field.length_setting)} if post_field.length_setting and length_check else {}))
        for post_field in SENT_FIELDS}


def revisioned(post):
    """The revisioned fields' values of a post (or of a revision)."""
    return {name: getattr(post, name) for name in REVISIONED_FIELDS}
