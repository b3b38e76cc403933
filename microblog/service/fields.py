"""The domain's values as marshmallow fields: text free of control characters, titles, tag
names, slugs, tag lists and UTC times. The API's schemas and the export format share them;
post_fields.py types a post's fields with them."""
import re
from datetime import timezone
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

from ..data.models import MAX_SLUG_LENGTH, MAX_TAG_LENGTH, MAX_TITLE_LENGTH, SLUG_PATTERN, SLUG_RE

REFUSED_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
TAG_RE = re.compile(f"[a-z0-9-]{{1,{MAX_TAG_LENGTH}}}")
RFC3339_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")
MAX_TAGS = 10


ALLOWED_CHARACTER = "[^\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]"
NON_BLANK_CHARACTER = "[^\u0000-\u0020]"
NON_BLANK_PATTERN = f"^{ALLOWED_CHARACTER}*{NON_BLANK_CHARACTER}{ALLOWED_CHARACTER}*$"
TRIMMED = " \t\r\n"


class Text(fields.String):
    """A string refusing C0 control characters (but tab, LF, CR) and lone surrogates; spaces,
    tabs and line breaks around it are trimmed unless strip=False."""

    ALLOWED_PATTERN = f"^{ALLOWED_CHARACTER}*$"

    def __init__(self, *, strip=True, **kwargs):
        kwargs["metadata"] = {"pattern": self.ALLOWED_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.strip = strip

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if REFUSED_CHARACTERS.search(text):
            raise ValidationError(
                "Control characters (other than tab, LF and CR), lone surrogates and U+FFFE/U+FFFF "
                "(not allowed in XML feeds) are not allowed."
            )
        return text.strip(TRIMMED) if self.strip else text


class OptionalTitle(Text):
    """A title of at most MAX_TITLE_LENGTH characters; blank means no title."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"maxLength": MAX_TITLE_LENGTH, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        title = super()._deserialize(value, attr, data, **kwargs)
        if len(title) > MAX_TITLE_LENGTH:
            raise ValidationError(f"Longer than maximum length {MAX_TITLE_LENGTH}.")
        return title or None


class StrictBoolean(fields.Boolean):
    """JSON true or false, nothing else (no 1, "yes" or "on")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class TagName(Text):
    """A tag, normalised to lowercase and trimmed before it is checked."""

    ALLOWED_PATTERN = rf"^[ \t\r\n]*[A-Za-z0-9-]{{1,{MAX_TAG_LENGTH}}}[ \t\r\n]*$"

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs).lower()
        if not TAG_RE.fullmatch(name):
            raise ValidationError(f"A tag is 1 to {MAX_TAG_LENGTH} characters of a-z, 0-9 and '-'.")
        return name


class Slug(fields.String):
    """A slug: lowercase ASCII words joined by single hyphens."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": SLUG_PATTERN, "maxLength": MAX_SLUG_LENGTH}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        slug = super()._deserialize(value, attr, data, **kwargs)
        if len(slug) > MAX_SLUG_LENGTH or not SLUG_RE.fullmatch(slug):
            raise ValidationError("A slug is lowercase a-z and 0-9 words joined by single hyphens.")
        return slug


class UniqueTags(fields.List):
    """At most MAX_TAGS tags as sent (duplicates count), kept once each in the order first given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate=validate.Length(max=MAX_TAGS), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and len(value) > MAX_TAGS:
            raise ValidationError(f"At most {MAX_TAGS} tags.")
        return list(dict.fromkeys(super()._deserialize(value, attr, data, **kwargs)))


class UTCDateTime(fields.DateTime):
    """RFC 3339 with an explicit offset on input; stored naive UTC; written with `Z`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._aware = fields.AwareDateTime(format="iso")

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not RFC3339_RE.fullmatch(value):
            raise ValidationError(
                "Not an RFC 3339 date-time with a time zone, e.g. 2026-11-23T08:00:00Z."
            )
        moment = self._aware._deserialize(value.upper(), attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise ValidationError("The time is out of range once converted to UTC.") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return utc_text(value)


def utc_text(moment):
    """A naive UTC datetime as RFC 3339 text with microseconds and Z (None stays None)."""
    return None if moment is None else moment.isoformat(timespec="microseconds") + "Z"


def check_content_length(content, limit):
    """Post content is 1 to `limit` (MAX_POST_LENGTH) characters once trimmed."""
    if not 1 <= len(content) <= limit:
        raise ValidationError(f"Length must be between 1 and {limit} characters (after trimming).")


MAX_PHOTOS = 20
MAX_PHOTO_URL_LENGTH = 2000
MAX_ALT_LENGTH = 1500  # as Mastodon's image descriptions


# a host (no user or password), a port (0-65535), then what RFC 3986 allows in a path, query and fragment
PHOTO_URL_PATTERN = (r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9\-._~!$&'()*+,;=]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
                     r"([/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*)?$")
PHOTO_URL_RE = re.compile(PHOTO_URL_PATTERN)


class PhotoURL(Text):
    """An absolute http(s) URL, a host name without credentials (no IP v6 literal), any path:
    a photo's, stored as given and never fetched. The pattern is the whole rule, so the OpenAPI
    document states exactly what is accepted."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"maxLength": MAX_PHOTO_URL_LENGTH,
                                   "pattern": PHOTO_URL_PATTERN}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        url = super()._deserialize(value, attr, data, **kwargs)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (a port that is not a number raises here)
        except ValueError:
            parts = None
        if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
                or len(url) > MAX_PHOTO_URL_LENGTH or not PHOTO_URL_RE.fullmatch(url)):
            raise ValidationError(f"An absolute http or https URI (RFC 3986: other characters %-escaped) "
                                  f"of at most {MAX_PHOTO_URL_LENGTH} characters.")
        return url


class Photo(Schema):
    url = PhotoURL(required=True)
    alt = Text(load_default="", validate=validate.Length(max=MAX_ALT_LENGTH), metadata={
        "description": f"The photo described for people who cannot see it; up to {MAX_ALT_LENGTH} characters."})


class Photos(fields.List):
    """A post's photos in order, at most MAX_PHOTOS, each {url, alt}."""

    def __init__(self, **kwargs):
        metadata = {"description": f"Up to {MAX_PHOTOS} photos, in order: an absolute http(s) URL (one of "
                                   "this site's /media/ URLs, or any other: it is never fetched) and its alt text.",
                    **kwargs.pop("metadata", {})}
        super().__init__(fields.Nested(Photo), validate=validate.Length(max=MAX_PHOTOS), metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and len(value) > MAX_PHOTOS:  # refused before each is checked
            raise ValidationError(f"At most {MAX_PHOTOS} photos.")
        return super()._deserialize(value, attr, data, **kwargs)
