"""What the sitemap lists: public posts read by ranges of id (the primary key), never by scanning."""
from datetime import datetime

from peewee import fn

from .db import database
from .models import Post
from .prepared import PreparedQuery


def highest_public_id(now):
    """The highest id of a post public at `now` (0 when there is none): other posts' ids are
    nobody's business, not even as the sitemap's shape."""
    return Post.public(now).select(fn.MAX(Post.id)).scalar() or 0


def _public_in(now, first_id, last_id):
    return Post.public(now).select(Post.slug, Post.updated, Post.publication_time).where(
        Post.id.between(first_id, last_id))


def public_in_range(now, first_id, last_id):
    """(slug, updated, publication_time) of the posts public at `now` with ids in [first_id, last_id],
    by id. Read from the cursor: Peewee's conversion of SQLite's stored times (strptime, format
    after format) cost more than the rest of a sitemap file."""
    cursor = database.execute_sql(*_public_in(now, first_id, last_id).order_by(Post.id).sql())
    return [(slug, _time(updated), _time(published)) for slug, updated, published in cursor]


def _time(value):
    """A stored time as naive UTC: PostgreSQL's driver gives a datetime, SQLite the ISO text stored."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


_any_public_in = PreparedQuery(lambda now, first_id, last_id: _public_in(now, first_id, last_id).limit(1),
                               now=Post.publication_time, first_id=Post.id, last_id=Post.id)


def any_public_in_range(now, first_id, last_id):
    """Whether a post public at `now` has an id in [first_id, last_id] (one probe of the key: an
    index of the sitemap asks it of every part)."""
    return _any_public_in.first_raw_row(now=now, first_id=first_id, last_id=last_id) is not None
