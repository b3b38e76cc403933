"""What the sitemap lists: public posts read by ranges of id (the primary key), never by scanning."""
from peewee import fn

from .models import Post


def highest_public_id(now):
    """The highest id of a post public at `now` (0 when there is none): other posts' ids are
    nobody's business, not even as the sitemap's shape."""
    return Post.public(now).select(fn.MAX(Post.id)).scalar() or 0


def _public_in(now, first_id, last_id):
    return Post.public(now).select(Post.slug, Post.updated, Post.publication_time).where(
        Post.id.between(first_id, last_id))


def public_in_range(now, first_id, last_id):
    """(slug, updated, publication_time) of the posts public at `now` with ids in [first_id, last_id], by id."""
    return list(_public_in(now, first_id, last_id).order_by(Post.id).tuples())


def any_public_in_range(now, first_id, last_id):
    return _public_in(now, first_id, last_id).exists()
