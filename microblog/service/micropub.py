"""Micropub: a post as microformats2 properties, and properties back into a post (no HTTP).

The web layer turns a request's syntax (form fields, `name[]`, JSON, iA Writer's plain
strings) into `{name: [values]}`; here those values become the fields of the one post model,
through the same service calls the admin API makes, and a post becomes properties again for
`q=source`. Properties the post has no field for are kept as sent, with the categories as
sent when they are not already valid tags.
"""
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from marshmallow import ValidationError

from ..data.models import MAX_TAG_LENGTH, Post
from . import errors, media, posts
from .content import sanitize_html
from .fields import MAX_PHOTOS, MAX_TAGS, TAG_RE, OptionalTitle, Photo, Text, UTCDateTime, check_content_length, utc_text

ENTRY = "entry"
RESERVED = frozenset({"access_token", "h", "action", "url"})
COMMAND_PREFIX = "mp-"
MAPPED = ("content", "name", "category", "published", "post-status", "photo")
STATUSES = {"published": True, "draft": False}
MAX_PROPERTIES = 100  # of one post's extra properties
MAX_VALUES = 100  # of one property (categories have their own limit: MAX_TAGS)
MAX_DEPTH = 8  # of nested objects in a kept property, the value's own list counted
UPDATE_ATTEMPTS = 5
MAX_EXTRA_CHARACTERS = 64 * 1024  # of every kept property together, as JSON
_NOT_TAG = re.compile(r"[^a-z0-9]+")
_text, _title, _time, _photo_schema = Text(), OptionalTitle(), UTCDateTime(), Photo()


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request, as a property's value."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MediaStore:
    """Where uploaded photos go: media storage's settings, and the public URL of a stored image."""

    settings: media.MediaSettings
    url_of: Callable[[media.MediaItem], str]


def create(kind, properties, commands, max_length, uploads=None, now=None, claim=None):
    """A new post from an h-entry's properties and the `mp-` commands (`mp-slug`). Files among
    the photos go to media storage (`uploads`, a MediaStore) once every property has passed its
    checks, and are removed again if the post is not made."""
    if kind != ENTRY:
        raise errors.Invalid(f"Only h-entry posts can be created here, not h-{kind}.")
    fields = post_fields(properties, max_length)
    if "content" not in fields:
        raise errors.Invalid("A post needs content: send the `content` property.")
    slug_hint = _one_text(commands, "mp-slug")
    if slug_hint:
        fields["slug_hint"] = slug_hint
    stored = []
    try:
        if "photos" in fields:
            fields["photos"] = [_stored(photo, uploads, stored) for photo in fields["photos"]]
        return posts.create_post(fields, now=now, claim=claim)
    except Exception:
        for item in stored:
            media.delete(item.key)
        raise


def _stored(photo, uploads, stored):
    """A photo whose URL is an Upload, once the file is in media storage (noted in `stored`)."""
    if not isinstance(photo["url"], Upload):
        return photo
    if uploads is None:
        raise errors.Invalid("Files cannot be uploaded here.")
    item = media.store(photo["url"].data, uploads.settings)
    stored.append(item)
    return {**photo, "url": uploads.url_of(item)}


def post_fields(properties, max_length, existing_extra=None):
    """The post's fields for these properties: mapped ones become fields, the rest are kept
    in `extra_properties` (on top of `existing_extra` for an update)."""
    properties = {name: values for name, values in properties.items() if not is_reserved(name)}
    _check_names(properties)
    fields = {}
    extra = dict(existing_extra or {})
    for name, values in properties.items():
        if name in MAPPED:
            continue
        if values:
            extra[name] = _kept(name, values)
        else:
            extra.pop(name, None)
    if "content" in properties:
        fields.update(_content(properties["content"], max_length))
    if "name" in properties:
        fields["title"] = _title_of(properties["name"])
    if "category" in properties:
        tags, sent = _tags(properties["category"])
        fields["tags"] = tags
        if sent != tags:
            extra["category"] = sent
        else:
            extra.pop("category", None)
    if "published" in properties:
        fields["publish_at"] = _published(properties["published"])
    if "post-status" in properties:
        fields["visible"] = _visible(properties["post-status"])
    if "photo" in properties:
        if len(properties["photo"]) > MAX_PHOTOS:
            raise errors.Invalid(f"A post has at most {MAX_PHOTOS} photos.")
        fields["photos"] = [_photo(value) for value in properties["photo"]]
    if len(extra) > MAX_PROPERTIES:
        raise errors.Invalid(f"A post keeps at most {MAX_PROPERTIES} other properties.")
    if len(json.dumps(extra)) > MAX_EXTRA_CHARACTERS:
        raise errors.Invalid(f"The other properties take more than {MAX_EXTRA_CHARACTERS} characters as JSON.")
    fields["extra_properties"] = extra
    return fields


def update(post_id, replace, add, delete, max_length, now=None):
    """Micropub's update: replace, add and delete properties (delete by name, or by value),
    as one change of the post through posts.update_post (a revision, the change feed). The
    properties are read, changed and written back on the version read; when another change
    came between, they are read again (UPDATE_ATTEMPTS times at most), so none is lost."""
    for attempt in range(UPDATE_ATTEMPTS):
        post = posts.get_admin(post_id)
        changed = _changed_properties(properties_of(post), replace, add, delete)
        if "content" in changed and not changed["content"]:
            raise errors.Invalid("A post needs content: it can be replaced, not deleted.")
        fields = post_fields(changed, max_length, existing_extra=post.extra_properties)
        try:
            return posts.update_post(post.id, fields, precondition=_still(post), now=now)
        except errors.PreconditionFailed:
            if attempt == UPDATE_ATTEMPTS - 1:
                raise


def _changed_properties(current, replace, add, delete):
    """The properties an update touches, with their values after it."""
    changed = {name: list(values) for name, values in replace.items()}
    for name, values in add.items():
        changed[name] = changed.get(name, current.get(name, [])) + list(values)
    if isinstance(delete, list):
        changed.update({name: [] for name in delete})
    else:
        for name, values in delete.items():
            changed[name] = _without(changed.get(name, current.get(name, [])), values)
    return changed


def _still(read):
    """The post is still the version read."""
    return lambda post: post.version == read.version


def is_reserved(name):
    """access_token, h, action, url and `mp-` commands: never properties of a post."""
    return name in RESERVED or name.startswith(COMMAND_PREFIX)


def _without(values, removed):
    """`values` less those in `removed`; a photo matches by its URL as well as whole."""
    return [value for value in values
            if value not in removed and not (isinstance(value, dict) and value.get("value") in removed)]


def properties_of(post):
    """The post as Micropub properties (every value a list), the post's own fields first."""
    properties = {"content": [{"html": post.content} if post.content_format == "html" else post.content]}
    if post.title:
        properties["name"] = [post.title]
    categories = _sent_categories(post)
    if categories:
        properties["category"] = categories
    properties["published"] = [_rfc3339(post.publish_at or post.created)]
    if post.edited:
        properties["updated"] = [_rfc3339(post.edited)]
    properties["post-status"] = ["published" if post.visible else "draft"]
    if post.photos:
        properties["photo"] = [{"value": photo["url"], "alt": photo["alt"]} if photo.get("alt") else photo["url"]
                               for photo in post.photos]
    for name, values in post.extra_properties.items():
        if name != "category":
            properties.setdefault(name, values)
    return properties


def source(post, names, url):
    """q=source: the type and every property, or only the properties named."""
    properties = {"url": [url], **properties_of(post)}
    if names:
        return {"properties": {name: properties[name] for name in names if name in properties}}
    return {"type": ["h-entry"], "properties": properties}


def post_by_slug(slug):
    """The post with this slug, deleted ones included: Micropub names posts by their URL."""
    post = Post.view_by_slug(slug)
    if post is None:
        raise errors.NotFound("No post has this URL.")
    return post


def _sent_categories(post):
    """The categories as the client sent them while they still name the post's tags, else the
    tags (the admin API changed them since)."""
    sent = post.extra_properties.get("category")
    if sent is not None and _tags(sent)[0] == list(post.tags):
        return sent
    return list(post.tags)


def _check_names(properties):
    for name in properties:
        if not isinstance(name, str) or not name or len(name) > 100 or _text_error(name):
            raise errors.Invalid("A property name is 1 to 100 characters of text.")


def _kept(name, values):
    """An unknown property's values, kept as sent once they are checked to be storable."""
    values = _values(name, values)
    _check_depth(name, values, 1)
    return values


def _check_depth(name, value, depth):
    if depth > MAX_DEPTH:
        raise errors.Invalid(f"The property `{name}` nests deeper than {MAX_DEPTH} levels.")
    if isinstance(value, dict):
        for key, inner in value.items():
            if _text_error(key):
                raise errors.Invalid(f"The property `{name}` holds a name that is not text.")
            _check_depth(name, inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            _check_depth(name, inner, depth + 1)
    elif isinstance(value, str) and _text_error(value):
        raise errors.Invalid(f"The property `{name}`: {_text_error(value)}")


def _values(name, values):
    if len(values) > MAX_VALUES:
        raise errors.Invalid(f"The property `{name}` has more than {MAX_VALUES} values.")
    return list(values)


def _one(name, values):
    if len(values) != 1:
        raise errors.Invalid(f"The property `{name}` takes one value.")
    return values[0]


def _one_text(properties, name):
    """A property that is one string, or None when it is absent."""
    value = _single_text(name, properties.get(name, []))
    return None if value is None else _checked(name, _text, value)


def _single_text(name, values):
    """The one string of a property, or None when it has no value."""
    if not values:
        return None
    value = _one(name, values)
    if not isinstance(value, str):
        raise errors.Invalid(f"The property `{name}` is text.")
    return value


def _checked(name, field, value):
    try:
        return field.deserialize(value)
    except ValidationError as error:
        raise errors.Invalid(f"The property `{name}`: {' '.join(error.messages)}") from None


def _text_error(value):
    """Why a string cannot be stored (control characters), or None."""
    try:
        _text.deserialize(value)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def _content(values, max_length):
    """Plain text is the post's Markdown source; {"html": …} is HTML, sanitized when stored."""
    value = _one("content", values)
    if isinstance(value, dict) and isinstance(value.get("html"), str):
        content, content_format = sanitize_html(_checked("content", _text, value["html"])).strip(), "html"
    elif isinstance(value, dict) and isinstance(value.get("value"), str):
        content, content_format = _checked("content", _text, value["value"]), "markdown"
    elif isinstance(value, str):
        content, content_format = _checked("content", _text, value), "markdown"
    else:
        raise errors.Invalid('The property `content` is text, or {"html": text}.')
    try:
        check_content_length(content, max_length)
    except ValidationError as error:
        raise errors.Invalid(f"The property `content`: {' '.join(error.messages)}") from None
    return {"content": content, "content_format": content_format}


def _title_of(values):
    value = _single_text("name", values)
    return None if value is None else _checked("name", _title, value)


def _tags(values):
    """(tags, categories as sent): each category normalised into a tag where it can be (one
    that cannot is kept as sent, not tagged); only more categories than MAX_TAGS is refused."""
    if len(values) > MAX_TAGS:
        raise errors.Invalid(f"A post takes at most {MAX_TAGS} categories.")
    sent = list(values)
    tags = [tag for tag in map(normalised_tag, sent) if tag]
    return list(dict.fromkeys(tags)), sent


def _category_text(value):
    """The text of a category: itself, a number's digits, or a nested h-card's (a person
    tagged) name or URL; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        inner = value.get("properties") if isinstance(value.get("properties"), dict) else value
        for name in ("name", "url"):
            found = inner.get(name)
            found = found[0] if isinstance(found, list) and found else found
            if isinstance(found, str):
                return found
    return None


def normalised_tag(category):
    """A category as a tag: ASCII lowercase words joined by hyphens, at most MAX_TAG_LENGTH
    characters; None when nothing of it can be a tag."""
    text = _category_text(category)
    if text is None:
        return None
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    tag = _NOT_TAG.sub("-", ascii_text.lower()).strip("-")[:MAX_TAG_LENGTH].strip("-")
    return tag if TAG_RE.fullmatch(tag) else None


def _published(values):
    value = _single_text("published", values)
    if value is None:
        return None
    try:
        return _time.deserialize(value)
    except ValidationError:
        pass
    try:  # a client's looser ISO 8601 (no seconds, a space, no offset: taken as UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise errors.Invalid("The property `published` is an ISO 8601 date and time, "
                             "e.g. 2026-11-23T08:00:00Z.") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _visible(values):
    if not values:
        return True
    status = _one("post-status", values)
    if status not in STATUSES:
        raise errors.Invalid("The property `post-status` is `published` or `draft`.")
    return STATUSES[status]


def _photo(value):
    """One photo, {url, alt}: from a URL, {value, alt}, or an uploaded file (its Upload in place
    of the URL until it is stored); held to the admin API's rules for photos."""
    if isinstance(value, Upload):
        return {"url": value, "alt": ""}
    photo = {"url": value.get("value"), "alt": value.get("alt") or ""} if isinstance(value, dict) else {"url": value}
    try:
        return _photo_schema.load(photo)
    except ValidationError as error:
        raise errors.Invalid(f"The property `photo`: a URL, or {{\"value\": URL, \"alt\": text}}: {error.messages}") from None


def _rfc3339(moment):
    return utc_text(moment.replace(microsecond=0)).replace(".000000Z", "Z")

