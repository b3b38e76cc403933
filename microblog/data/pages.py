"""Pages of posts, in reading order (newest first) or in search order, each shape of page
read through a query built to SQL once per process (prepared.py): the reads that readers send most."""
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from . import search
from .db import is_sqlite
from .models import Post, PostTag, Tag
from .prepared import PreparedQuery

SLOTS = {"rows": None, "now": Post.publication_time, "after_time": Post.publication_time,
         "after_id": Post.id, "since": Post.publication_time, "until": Post.publication_time,
         "tag": Tag.name, **search.TIER_SLOTS}  # the fields that convert each value
_prepared = {}  # a page's shape → its PreparedQuery


@dataclass(frozen=True)
class PostFilter:
    """What a list asks for; `after` is the sort_key of the last item seen: (publication_time,
    id), or (tier, minute of publication, id) with a search (`q`)."""

    limit: int
    after: tuple | None = None
    tag: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    visible: bool | None = None
    deleted: str = "exclude"


def seen_by(now, visible=None, deleted="exclude"):
    """The posts a reader sees at `now` (what a list shows of them), or (no `now`) the admin's,
    by visibility and deletion."""
    if now is not None:
        return Post.public(now, Post.LIST_FIELDS)
    query = Post.admin_view(deleted)
    if visible is not None:
        query = query.where(Post.visible == visible)
    return query


def read_page(post_filter, rows, now=None):
    """Up to `rows` posts (PostRow) of the filter seen by `seen_by`, newest first by publication
    time, then id: those after its key `after` (publication_time, id), of its `tag`, published
    in [since, until)."""
    after_time, after_id = post_filter.after or (None, None)
    values = {"rows": rows, "now": now, "after_time": after_time, "after_id": after_id,
              "since": post_filter.since, "until": post_filter.until, "tag": post_filter.tag}
    visible, deleted = post_filter.visible, post_filter.deleted

    def build(rows, now=None, after_time=None, after_id=None, since=None, until=None, tag=None):
        after = (after_time, after_id) if after_time is not None else None
        return _page_query(seen_by(now, visible, deleted), after, tag, since, until).limit(rows)

    return _run(("list", visible, deleted), build, values)


def read_feed(tag, rows, now):
    """Up to `rows` posts public at `now` (of `tag`, if not None), newest first, with only what
    a feed shows of them (Post.FEED_FIELDS and tags)."""

    def build(rows, now, tag=None):
        return _page_query(Post.public(now, Post.FEED_FIELDS), None, tag, None, None).limit(rows)

    return _run(("feed",), build, {"rows": rows, "now": now, "tag": tag})


def read_search_page(terms, post_filter, rows, now=None):
    """Up to `rows` posts (PostRow, with a `search_tier`) of the filter seen by `seen_by` holding
    every word of `terms` (search.search_terms), in search order (search.sort_key) after its
    key `after`: the best tier first, each read from the cursor on until the page is full."""
    after, tag, since, until = post_filter.after, post_filter.tag, post_filter.since, post_filter.until
    visible, deleted = post_filter.visible, post_filter.deleted
    # the index range: nothing scheduled after `now` is read only to be skipped
    newest = min((time for time in (now, until) if time is not None), default=None)
    found = []
    for tier in search.TIERS:
        if after is not None and tier > after[0]:
            continue  # the cursor is past this tier
        tier_after = after[1:] if after is not None and after[0] == tier else None
        values = {"rows": rows - len(found), "now": now, "tag": tag, "since": since, "until": until,
                  **search.tier_values(terms, tier, tier_after, newest, since)}

        def build(rows, now=None, tag=None, since=None, until=None, tier=tier, **tier_values):
            query = _filtered(seen_by(now, visible, deleted), tag, since, until)
            return search.tier_query(query, tier, **tier_values).limit(rows)

        found.extend(_run(("search", tier, visible, deleted), build, values))
        if len(found) == rows:
            break
    return found


def _run(kind, build, values):
    """Run the prepared query of this kind for the values given (those not None): one query
    per kind, backend and set of values present."""
    values = {name: value for name, value in values.items() if value is not None}
    shape = (*kind, is_sqlite(), *sorted(values))
    query = _prepared.get(shape)
    if query is None:
        query = _prepared[shape] = PreparedQuery(build, **{name: SLOTS[name] for name in values})
    return list(query(**values))


def _filtered(query, tag, since, until):
    """A search's posts of `tag`, published in [since, until)."""
    if tag is not None:
        query = query.where(fn.EXISTS(PostTag.select(PostTag.post).where(
            PostTag.post == Post.id, PostTag.tag == Tag.select(Tag.id).where(Tag.name == tag))))
    if since is not None:
        query = query.where(Post.publication_time >= since)
    if until is not None:
        query = query.where(Post.publication_time < until)
    return query


def _page_query(query, after, tag, since, until):
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
    return query.order_by(*[part.desc() for part in order])


def _after(order, key):
    """Rows strictly after `key` in the descending `order` (a keyset condition). Its first
    term, `first <= value`, is an index range bound of its own (the OR below is none)."""
    (first, *rest), (value, *rest_values) = order, key
    if not rest:
        return first < value
    return (first <= value) & ((first < value) | _after(rest, rest_values))
