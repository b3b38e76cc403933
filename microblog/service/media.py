"""Media: images uploaded by the admin (or a Micropub client), checked, cleaned of location and
camera metadata, kept in the database, and read back by their unguessable key.

An upload is recognised from its content by Pillow, never from its name or claimed type; its
pixel count is checked from the header before any pixel is decoded (decompression bombs), then
every frame is decoded once, so a damaged file is refused rather than stored. Pillow (about 1.3 MB
of each worker) is imported at the first upload, not by every worker at its start.
"""
import io
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from ..data.db import write_transaction
from ..data.models import Media, utcnow
from . import errors, image_metadata
from .posts import Page

TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
         "WEBP": "image/webp"}  # Pillow's format → the type served; MPO is a JPEG with more pictures in it
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
OPENED_AS = ("JPEG", "PNG", "GIF", "WEBP")  # the only decoders Pillow may try
KEY_BYTES = 24  # 192 random bits: 32 URL-safe characters
KEY_PATTERN = r"[A-Za-z0-9_-]{16,64}"
KEY_RE = re.compile(KEY_PATTERN)
SERVED_AT = re.compile(rf"/media/({KEY_PATTERN})\.([a-z]+)")  # the end of an image's URL path
ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height on screen
# What Pillow raises for a file it recognised but could not read (truncated, damaged); OSError
# covers its UnidentifiedImageError, a file it did not recognise.
UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, struct.error)


@dataclass(frozen=True)
class MediaSettings:
    """The limits and policy an upload is held to (MAX_MEDIA_BYTES, MEDIA_MAX_PIXELS,
    MEDIA_KEEP_METADATA)."""

    max_bytes: int
    max_pixels: int
    keep_metadata: bool = False

    @classmethod
    def from_config(cls, config):
        return cls(config["MAX_MEDIA_BYTES"], config["MEDIA_MAX_PIXELS"], config["MEDIA_KEEP_METADATA"])


@dataclass(frozen=True)
class MediaItem:
    """A stored image as described, without its bytes."""

    key: str
    media_type: str
    width: int
    height: int
    size: int
    created: datetime

    @property
    def filename(self):
        """The last part of its URL: the key and the extension of its type."""
        return f"{self.key}.{EXTENSIONS[self.media_type]}"


@dataclass(frozen=True)
class Picture:
    """What an image file is, as read from it: its type and its size as shown."""

    image_format: str
    media_type: str
    width: int
    height: int
    orientation: int


def store(upload, settings, now=None):
    """Check an upload (bytes), strip its metadata unless the settings keep it, and store it.
    Returns its MediaItem. Raises TooLarge or UnsupportedMedia; nothing is stored then."""
    if len(upload) > settings.max_bytes:
        raise errors.TooLarge(f"The file is larger than {settings.max_bytes} bytes (MAX_MEDIA_BYTES).")
    picture = read_picture(upload, settings.max_pixels, decode=True)
    data = upload if settings.keep_metadata else _without_metadata(upload, picture, settings.max_pixels)
    fields = {"key": secrets.token_urlsafe(KEY_BYTES), "media_type": picture.media_type,
              "width": picture.width, "height": picture.height, "size": len(data),
              "created": now or utcnow()}
    with write_transaction():
        Media.insert(**fields, data=data).execute()
    return MediaItem(**fields)


def read_picture(data, max_pixels, decode=False):
    """The Picture in an image file (bytes); with `decode`, every frame's pixels are decoded
    too (within `max_pixels` in all), to be sure the file is whole. Raises TooLarge or
    UnsupportedMedia."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=OPENED_AS) as image:
            width, height = image.size
            _check_pixels(width * height, max_pixels)
            if decode:
                _decode_every_frame(image, max_pixels)
            orientation = _orientation(image)
            if orientation in ROTATED:
                width, height = height, width
            return Picture(image.format, TYPES[image.format], width, height, orientation)
    except Image.DecompressionBombError:
        raise errors.TooLarge(f"The image has more than {max_pixels} pixels (MEDIA_MAX_PIXELS).") from None
    except UNREADABLE:
        raise errors.UnsupportedMedia("The file is not a JPEG, PNG, GIF or WebP image that can be read.") from None


def _check_pixels(pixels, max_pixels):
    if pixels > max_pixels:
        raise errors.TooLarge(f"The image has more than {max_pixels} pixels (MEDIA_MAX_PIXELS); "
                              "an animation counts every frame.")


def _decode_every_frame(image, max_pixels):
    """Each frame counted against the pixel budget before it is decoded."""
    from PIL import ImageSequence

    decoded = 0
    for frame in ImageSequence.Iterator(image):
        decoded += frame.size[0] * frame.size[1]
        _check_pixels(decoded, max_pixels)
        frame.load()


def _orientation(image):
    orientation = image.getexif().get(image_metadata.ORIENTATION_TAG, image_metadata.UPRIGHT)
    return orientation if orientation in range(1, 9) else image_metadata.UPRIGHT


def _without_metadata(upload, picture, max_pixels):
    """The file with its metadata cut out, read again to be sure it is the same picture."""
    try:
        data = image_metadata.strip(upload, picture.image_format, picture.orientation)
    except image_metadata.MalformedImage:
        raise errors.UnsupportedMedia("The image's file structure is damaged.") from None
    again = read_picture(data, max_pixels)
    if (again.media_type, again.width, again.height) != (picture.media_type, picture.width, picture.height):
        raise errors.UnsupportedMedia("The image's file structure is damaged.")
    return data


def get(key):
    """(MediaItem, bytes) of the image with this key; NotFound if there is none."""
    row = Media.select(*_described(), Media.data).where(Media.key == key).first() if _is_key(key) else None
    if row is None:
        raise errors.NotFound("No image has this key.")
    return _item(row), bytes(row.data)  # PostgreSQL's bytea comes back as a memoryview


def list_media(limit, after=None):
    """A page of images, newest first; `after` is the next_key of the page before."""
    query = Media.select(Media.id, *_described()).order_by(Media.id.desc()).limit(limit + 1)
    if after is not None:
        query = query.where(Media.id < after[0])
    rows = list(query)
    items = [_item(row) for row in rows[:limit]]
    return Page(items=items, next_key=(rows[limit - 1].id,) if len(rows) > limit else None)


def delete(key):
    """Remove an image for good; NotFound if there is none. Posts that show it keep its URL."""
    with write_transaction():
        if not _is_key(key) or not Media.delete().where(Media.key == key).execute():
            raise errors.NotFound("No image has this key.")


def described_by_url(urls):
    """{url: MediaItem} for those of these URLs that name an image stored here (by the path's
    end, so on any host name the site answers to), read in one query: what a page or a feed
    shows of its photos (width, height, type, size)."""
    named = {}
    for url in urls:
        found = SERVED_AT.search(urlsplit(url).path)
        if found is not None and found.end() == len(urlsplit(url).path):
            named.setdefault(found[1], []).append((url, f"{found[1]}.{found[2]}"))
    if not named:
        return {}
    rows = Media.select(*_described()).where(Media.key.in_(list(named)))
    return {url: item for item in map(_item, rows) for url, filename in named[item.key] if item.filename == filename}


def _is_key(text):
    return KEY_RE.fullmatch(text) is not None


def _described():
    return [getattr(Media, name) for name in Media.DESCRIBED_BY]


def _item(row):
    return MediaItem(**{name: getattr(row, name) for name in Media.DESCRIBED_BY})
