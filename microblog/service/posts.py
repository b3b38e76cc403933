"""Posts: reading (public and admin views), writing, soft delete, restore and purge."""
import contextlib
import hashlib
import itertools
from dataclasses import dataclass

from peewee import fn

from ..data import post_writes
from ..data.bulk import insert_rows, update_rows
from ..data.db import write_transaction
from ..data.models import MAX_ID, Post, PostTag, Tag, utcnow
from ..data.pages import PostFilter, read_feed, read_page, read_search_page  # noqa: F401 (the filter callers pass)
from ..data.search import index_fields, search_terms
from ..data.search import sort_key as search_order
from . import errors, history, idempotency
from .content import plain_text, render, sanitize_html, searched_text
from .post_fields import DEFAULTS_ON_REPLACE, READER_FIELDS, REVISIONED_FIELDS, WRITTEN_COLUMNS, revisioned
from .slugs import first_free, slugify

SLUG_PROBE = 20  # derived-slug candidates looked up at once
EDIT_FIELDS = frozenset(REVISIONED_FIELDS)  # a change of these marks a post edited
# What readers see of a public post: its public projection but the id, `visible` and what the rest makes
SEEN_FIELDS = tuple(name for name in READER_FIELDS if name not in {"id", "visible", "content_html"})


@dataclass(frozen=True)
class Page:
    """A page of posts, and the key of its last (the next page's `after`), if more follow."""

    items: list
    next_key: tuple | None


def _page_of(rows, limit, key):
    """The first `limit` rows (one more was read, to tell whether more follow)."""
    items = rows[:limit]
    return Page(items=items, next_key=key(items[-1]) if len(rows) > limit else None)


def _list_key(post):
    """A post's keyset position in a plain list: newest first by publication, then by id."""
    return post.publication_time, post.id


def list_public(post_filter, now=None):
    return _page(post_filter, now or utcnow())


def latest_public(limit, tag=None, now=None):
    """The latest `limit` public posts (of `tag`), with only what a feed shows of them."""
    return read_feed(tag, limit, now or utcnow())


def list_admin(post_filter):
    return _page(post_filter)


def get_public(post_id, now=None):
    return _public_or_raise(Post.view(post_id), now or utcnow())


def is_public(post_id, now=None):
    post = Post.view(post_id)
    return post is not None and post.is_public(now or utcnow())


def public_id_by_slug(slug, now=None):
    """The id of the public post with this slug, or None."""
    post = Post.view_by_slug(slug)
    return post.id if post is not None and post.is_public(now or utcnow()) else None


def get_public_by_slug(slug, now=None, read=Post.view_by_slug):
    """The public post with this slug, as `read(slug)` finds it (a read may bring more along)."""
    return _public_or_raise(read(slug), now or utcnow())


def get_admin(post_id):
    """Any post, deleted included."""
    post = Post.view(post_id)
    if post is None:
        raise errors.NotFound("No post has this id.")
    return post


def public_tags(now=None):
    """Tags of public posts with the number of public posts carrying each, most used first.

    A tag keeps the count of its visible, undeleted posts (tag.post_count); those of them
    still scheduled are counted through the tag's reading-order index, so the cost follows
    the number of tags and scheduled posts, not of posts.
    """
    scheduled = (PostTag.select(fn.COUNT(PostTag.post)).join(Post)
                 .where(PostTag.tag == Tag.id, PostTag.publication_time > (now or utcnow()), Post.shown()))
    counts = Tag.select(Tag.name, Tag.post_count - scheduled).where(Tag.post_count > 0).tuples()
    found = [{"name": name, "count": count} for name, count in counts if count > 0]
    return sorted(found, key=lambda tag: (-tag["count"], tag["name"]))


def create_post(data, now=None, claim=None):
    """Create a post from validated input (content required; the rest optional, as on a
    replace); with an idempotency claim, its key is marked done in the same transaction."""
    now = now or utcnow()
    data = {**DEFAULTS_ON_REPLACE, **data}
    data["content"] = _kept_content(data["content"], data["content_format"])
    content_html = render(data["content"], data["content_format"])
    # everything but what depends on the stored posts is worked out before the writers' lock
    slug_base = None if data.get("slug") else slugify(
        data.get("slug_hint") or data["title"] or plain_text(content_html))
    publish_at = data["publish_at"]
    row = {
        **{name: value for name, value in data.items() if name in WRITTEN_COLUMNS},
        "content_html": content_html,
        "publication_time": publish_at or now,
        "created": now,
        "updated": now,
        **index_fields(data["title"], searched_text(data["content"], data["content_format"])),
    }
    with write_transaction():
        if slug_base is None:
            _ensure_slug_free(data["slug"])
        else:
            row["slug"] = _derived_slug(slug_base)
        post = post_writes.insert_post(row, list(dict.fromkeys(data["tags"])))
        if post.id > MAX_ID:  # SQLite goes on past an imported MAX_ID; ids, keys and cursors stop there
            raise errors.Conflict(f"New posts take ids after the highest stored, and post {MAX_ID} exists: "
                                  "purge it, or import it under a lower id.")
        _change_tags(post.id, [], post.tags, False, post.visible, post.publication_time)
        history.add_revision(post, now)
        history.record_change(post.id, "create", now, None, post)
        if claim is not None:
            idempotency.complete(claim, post.id)
    return post


def update_post(post_id, changes, replace=False, precondition=None, now=None):
    """Apply a partial (PATCH) or full (PUT) change; a change of text marks the post edited
    and keeps the new text as a revision. `precondition(post)` false → PreconditionFailed."""
    now = now or utcnow()
    if replace:
        changes = {**DEFAULTS_ON_REPLACE, **changes}
    text = _Text(changes)
    with write_transaction():
        post = before = _get_for_change(post_id, precondition)
        if post.deleted is not None:
            raise errors.Conflict("The post is deleted; restore it before editing.")
        content_format = changes.get("content_format", post.content_format)
        if content_format == "html" and changes.keys() & {"content", "content_format"}:
            changes = {**changes, "content": text.kept(changes.get("content", post.content), content_format)}
        changed = {name for name, value in changes.items() if getattr(post, name) != value}
        if not changed:
            return post
        if "slug" in changed:
            _ensure_slug_free(changes["slug"])
        fields = {name: changes[name] for name in changed & WRITTEN_COLUMNS}
        content = changes.get("content", post.content)
        if changed & {"content", "content_format"}:
            fields["content_html"] = text.html(content, content_format)
        if changed & {"title", "content", "content_format"}:
            fields.update(index_fields(changes.get("title", post.title), searched_text(content, content_format)))
        if "publish_at" in changed:
            fields["publication_time"] = changes["publish_at"] or post.created
        if changed & EDIT_FIELDS:
            fields["edited"] = now
        post = _save(post, fields, now, tags=changes["tags"] if "tags" in changed else None)
        if changed & {"tags", "visible"}:
            _change_tags(post.id, before.tags, post.tags, before.visible, post.visible, post.publication_time)
        if changed & EDIT_FIELDS:
            history.add_revision(post, now)
        if changed - {"visible"}:
            history.record_change(post.id, "update", now, before, post)
        if "visible" in changed:
            history.record_change(post.id, "show" if post.visible else "hide", now, before, post)
    return post


def restore_revision(post_id, rev, precondition=None, now=None):
    """Make an old revision's fields (title, content, tags) current (itself a new revision)."""
    return update_post(post_id, revisioned(history.revision(post_id, rev)), precondition=precondition, now=now)


def delete_post(post_id, precondition=None, now=None):
    """Soft delete (idempotent), remembering whether readers could see the post."""
    now = now or utcnow()
    with write_transaction():
        post = _get_for_change(post_id, precondition)
        if post.deleted is None:
            if post.visible:
                post_writes.count_tags(post.tags, -1)
            deleted = _save(post, {"public_when_deleted": post.is_public(now), "deleted": now}, now)
            history.record_change(post.id, "delete", now, post, deleted)


def restore_post(post_id, precondition=None, now=None):
    """Undo a soft delete (idempotent)."""
    now = now or utcnow()
    with write_transaction():
        post = before = _get_for_change(post_id, precondition)
        if post.deleted is not None:
            post = _save(post, {"deleted": None, "public_when_deleted": False}, now)
            if post.visible:
                post_writes.count_tags(post.tags, +1)
            history.record_change(post.id, "restore", now, before, post)
    return post


def purge_post(post_id, precondition=None, now=None):
    """Remove a soft-deleted post for good (its revisions too); the feed keeps a tombstone."""
    now = now or utcnow()
    with write_transaction():
        post = _get_for_change(post_id, precondition)
        if post.deleted is None:
            raise errors.Conflict("Only a deleted post can be purged; delete it first.")
        Post.delete().where(Post.id == post.id).execute()
        post_writes.drop_unused_tags(post.tags)
        history.record_change(post.id, "purge", now, post, None)


def _get_for_change(post_id, precondition):
    """The post, locked for this transaction, if the caller's precondition holds."""
    post = Post.find_locked(post_id)
    if post is None:
        raise errors.NotFound("No post has this id.")
    if precondition is not None and not precondition(post):
        raise errors.PreconditionFailed("The post has changed since you read it; read it again.")
    return post


def _save(post, fields, now, tags=None):
    """Write changed fields and the next version in one conditional UPDATE, and return the post
    as it now is, with `tags` when they change (the caller stores them: _change_tags)."""
    after = post.but(**fields, tags=post.tags if tags is None else tags)
    fields = {**fields, "version": post.version + 1, **_reader_time(post, after, now)}
    saved = update_rows(Post, fields, id=post.id, version=post.version)
    if saved != 1:
        raise errors.PreconditionFailed("The post changed while this change was made; try again.")
    if "publication_time" in fields and tags is None:  # new tags' rows are written with the new time
        post_writes.move_tags(post.id, fields["publication_time"])
    return after.but(**fields)


def _reader_time(before, after, now):
    """`updated` (the post's Last-Modified, its sitemap, page and feed dates) moves only when
    readers see something change: when the post is public after the change and differs from
    what they last saw. Out of their sight (hidden, scheduled, deleted) nothing moves; `seen`
    keeps what they last saw, so that showing the post again moves `updated` to that moment
    only if it then differs (an edit undone while hidden, a plain hide and show: no move), and
    no reader learns when the post was changed while they could not see it."""
    last_seen = before.seen if before.seen is not None and not before.is_public(now) else _seen_digest(before)
    if not after.is_public(now):
        return {"seen": last_seen}
    return {"seen": None, **({"updated": now} if _seen_digest(after) != last_seen else {})}


def _seen_digest(post):
    return hashlib.sha256(repr([getattr(post, name) for name in SEEN_FIELDS]).encode()).hexdigest()


def _public_or_raise(post, now):
    """The post if public; 410 only for a post deleted while public, else 404 (reveal nothing)."""
    if post is not None and post.is_public(now):
        return post
    if post is not None and post.deleted is not None and post.public_when_deleted:
        raise errors.Gone("This post has been deleted.")
    raise errors.NotFound("No public post matches.")


def _page(post_filter, now=None):
    """One page: the public posts at `now`, or (no `now`) the admin's view."""
    if post_filter.q is not None:
        return _search_page(post_filter, now)
    if now is not None and post_filter.after is not None:
        # the same rows (the cursor's are older still), but now the public rule's bound on
        # publication_time starts the index range at the cursor, not at the newest post
        now = min(now, post_filter.after[0])
    rows = read_page(post_filter, post_filter.limit + 1, now)
    return _page_of(rows, post_filter.limit, _list_key)


def _search_page(post_filter, now):
    terms = search_terms(post_filter.q)
    if not terms:
        return Page(items=[], next_key=None)
    rows = read_search_page(terms, post_filter, post_filter.limit + 1, now)
    return _page_of(rows, post_filter.limit, search_order)


def _change_tags(post_id, old, new, counted_before, counted_after, publication_time):
    """A post's tags from `old` to `new` (names, in order), and their post_count from whether the
    post counted (visible, not deleted) before to whether it counts after: a tag kept moves by the
    difference, one added is made or counted up, one removed is counted down, and dropped if no
    post carries it any more."""
    if new == old:
        if counted_after != counted_before:
            post_writes.count_tags(new, counted_after - counted_before)
        return
    if old:
        post_writes.detach_tags(post_id)
    removed = [name for name in old if name not in new]
    tags = post_writes.upsert_tags({name: counted_after * (name in new) - counted_before * (name in old)
                                    for name in new + removed})
    post_writes.attach_tags(post_id, [tags[name][0] for name in new], publication_time)
    # a tag still counting posts is in use; one counting none may be carried by hidden or deleted ones
    post_writes.drop_unused_tags([name for name in removed if tags[name][1] == 0])


def set_tags_of_posts(posts):
    """Many posts' tags, (post_id, names, publication_time) each: in order, with the post's
    publication time (the tag index's reading order)."""
    if not posts:
        return
    post_ids = [post_id for post_id, _, _ in posts]
    earlier_tag_ids = _tag_ids_of(post_ids)
    PostTag.delete().where(PostTag.post.in_(post_ids)).execute()
    names = {name for _, tags, _ in posts for name in tags}
    if names:
        Tag.insert_many([{"name": name} for name in sorted(names)]).on_conflict_ignore().execute()
        tag_ids = dict(Tag.select(Tag.name, Tag.id).where(Tag.name.in_(names)).tuples())
        insert_rows(PostTag, [{"post": post_id, "tag": tag_ids[name], "position": i,
                               "publication_time": publication_time}
                              for post_id, tags, publication_time in posts for i, name in enumerate(tags)])
    drop_unused_tags(earlier_tag_ids)


def _tag_ids_of(post_ids):
    return [tag_id for (tag_id,) in PostTag.select(PostTag.tag).where(PostTag.post.in_(post_ids)).distinct().tuples()]


def drop_unused_tags(tag_ids):
    """Remove those of these tags that no post (of any state) carries any more, so that the tag
    table holds only tags in use, however many tags posts have had."""
    if tag_ids:
        in_use = PostTag.select(PostTag.tag).where(PostTag.tag.in_(tag_ids))
        Tag.delete().where(Tag.id.in_(tag_ids), Tag.id.not_in(in_use)).execute()


def add_to_tag_counts(deltas):
    """Add {tag name: delta} to the tags' post_count: one UPDATE for each distinct delta."""
    names_by_delta = {}
    for name, delta in deltas.items():
        if delta:
            names_by_delta.setdefault(delta, []).append(name)
    for delta, names in names_by_delta.items():
        Tag.update(post_count=Tag.post_count + delta).where(Tag.name.in_(names)).execute()


def _kept_content(content, content_format):
    """Content as stored: HTML sanitized (Invalid when nothing of it is left), Markdown as sent."""
    if content_format != "html":
        return content
    kept = sanitize_html(content).strip()
    if not kept:
        raise errors.Invalid("The HTML content is empty once sanitized.", field="content")
    return kept


class _Text:
    """A change's content as kept and its HTML, worked out before the writers' lock for the
    format the change names, else Markdown; worked out under the lock only when the post's own
    format or content (read there) turns out to be another."""

    def __init__(self, changes):
        self.done = {}
        if "content" in changes:
            content_format = changes.get("content_format", "markdown")
            with contextlib.suppress(errors.Invalid):  # raised again under the lock, after its checks
                self.html(self.kept(changes["content"], content_format), content_format)

    def kept(self, content, content_format):
        return self._once(_kept_content, content, content_format)

    def html(self, content, content_format):
        return self._once(render, content, content_format)

    def _once(self, make, *key):
        if (make, *key) not in self.done:
            self.done[(make, *key)] = make(*key)
        return self.done[(make, *key)]


def _ensure_slug_free(slug):
    if post_writes.taken_slugs([slug]):
        raise errors.Conflict("Another post already has this slug.", field="slug")


def _derived_slug(base):
    """The first free one of base, base-2, base-3 …, looked up SLUG_PROBE at a time by exact
    match on the slug index (a prefix range or LIKE would depend on the collation or scan)."""
    taken = set()
    for start in itertools.count(1, SLUG_PROBE):
        taken |= post_writes.taken_slugs([base if n == 1 else f"{base}-{n}" for n in range(start, start + SLUG_PROBE)])
        if len(taken) < start + SLUG_PROBE - 1:
            return first_free(base, taken)
