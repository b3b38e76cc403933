"""Pages of posts in reading order, newest first, each shape of list read through a query
built to SQL once per process (prepared.py): the reads that readers send most."""
from .models import Post, PostTag, PostView, Tag
from .prepared import PreparedQuery

SLOTS = {"rows": None, "now": Post.publication_time, "after_time": Post.publication_time,
         "after_id": Post.id, "since": Post.publication_time, "until": Post.publication_time,
         "tag": Tag.name}
_prepared = {}  # a list's shape → its PreparedQuery


def seen_by(now, visible=None, deleted="exclude"):
    """The posts a reader sees at `now`, or (no `now`) the admin's, by visibility and deletion."""
    if now is not None:
        return Post.public(now)
    query = Post.admin_view(deleted)
    if visible is not None:
        query = query.where(Post.visible == visible)
    return query


def read_page(rows, now=None, after=None, tag=None, since=None, until=None, visible=None, deleted="exclude"):
    """Up to `rows` posts (PostView) seen by `seen_by`, newest first by publication time, then
    id: those after the key `after` (publication_time, id), of `tag`, published in [since, until)."""
    after_time, after_id = after or (None, None)
    values = {"rows": rows, "now": now, "after_time": after_time, "after_id": after_id,
              "since": since, "until": until, "tag": tag}
    values = {name: value for name, value in values.items() if value is not None}
    shape = (visible, deleted, *sorted(values))
    query = _prepared.get(shape) or _prepare(shape, visible, deleted, values)
    return list(query(**values))


def _prepare(shape, visible, deleted, names):
    """The prepared query for lists of this shape: the filters given (their values aside)."""

    def build(rows, now=None, after_time=None, after_id=None, since=None, until=None, tag=None):
        after = (after_time, after_id) if after_time is not None else None
        return _page_query(now, after, tag, since, until, visible, deleted).limit(rows)

    _prepared[shape] = PreparedQuery(build, **{name: SLOTS[name] for name in names})
    return _prepared[shape]


def _page_query(now, after, tag, since, until, visible, deleted):
    query = seen_by(now, visible, deleted)
    order = [Post.publication_time, Post.id]
    if tag is not None:
        # the tag's index in reading order: its rows carry a copy of publication_time
        query = query.join(PostTag, on=(PostTag.post == Post.id)).where(
            PostTag.tag == Tag.select(Tag.id).where(Tag.name == tag))
        order = [PostTag.publication_time, PostTag.post]
    time = order[0]
    if after is not None:
        query = query.where(_after(order, after))
    if since is not None:
        query = query.where(time >= since)
    if until is not None:
        query = query.where(time < until)
    return query.order_by(*[part.desc() for part in order]).objects(PostView)


def _after(order, key):
    """Rows strictly after `key` in the descending `order` (a keyset condition). Its first
    term, `first <= value`, is an index range bound of its own (the OR below is none)."""
    (first, *rest), (value, *rest_values) = order, key
    if not rest:
        return first < value
    return (first <= value) & ((first < value) | _after(rest, rest_values))
