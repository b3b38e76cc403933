"""Posts: reading (public and admin views), writing, soft delete, restore and purge."""
import hashlib
import itertools
from dataclasses import dataclass

from peewee import fn

from ..data.bulk import insert_row, insert_rows, update_rows
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


def get_public_by_slug(slug, now=None):
    return _public_or_raise(Post.view_by_slug(slug), now or utcnow())


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
    with write_transaction():
        if data.get("slug"):
            _ensure_slug_free(data["slug"])
        else:
            data["slug"] = _derived_slug(data.get("slug_hint") or data["title"] or plain_text(content_html))
        publish_at = data["publish_at"]
        post_id = insert_row(Post, {
            **{name: value for name, value in data.items() if name in WRITTEN_COLUMNS},
            "content_html": content_html,
            "publication_time": publish_at or now,
            "created": now,
            "updated": now,
            **index_fields(data["title"], searched_text(data["content"], data["content_format"])),
        })
        if post_id > MAX_ID:  # SQLite goes on past an imported MAX_ID; ids, keys and cursors stop there
            raise errors.Conflict(f"New posts take ids after the highest stored, and post {MAX_ID} exists: "
                                  "purge it, or import it under a lower id.")
        _tag_new_post(post_id, data["tags"], publish_at or now, counted=data["visible"])
        post = Post.view(post_id)
        history.add_revision(post, now, first=True)
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
    with write_transaction():
        post = before = _get_for_change(post_id, precondition)
        if post.deleted is not None:
            raise errors.Conflict("The post is deleted; restore it before editing.")
        if changes.get("content_format", post.content_format) == "html" and changes.keys() & {"content", "content_format"}:
            changes = {**changes, "content": _kept_content(changes.get("content", post.content), "html")}
        changed = {name for name, value in changes.items() if getattr(post, name) != value}
        if not changed:
            return post
        if "slug" in changed:
            _ensure_slug_free(changes["slug"])
        fields = {name: changes[name] for name in changed & WRITTEN_COLUMNS}
        if changed & {"content", "content_format"}:
            content, content_format = changes.get("content", post.content), changes.get("content_format", post.content_format)
            fields["content_html"] = render(content, content_format)
        if changed & {"title", "content", "content_format"}:
            fields.update(index_fields(changes.get("title", post.title), searched_text(
                changes.get("content", post.content), changes.get("content_format", post.content_format))))
        if "publish_at" in changed:
            fields["publication_time"] = changes["publish_at"] or post.created
        if changed & EDIT_FIELDS:
            fields["edited"] = now
        recount = bool(changed & {"tags", "visible"})
        if recount:
            tally_tags(post.id, -1)
        post = _save(post, fields, now, tags=changes["tags"] if "tags" in changed else None)
        if "tags" in changed:
            set_tags(post.id, changes["tags"], post.publication_time)
            post = post.but(tags=changes["tags"])
        if recount:
            tally_tags(post.id, +1)
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
            tally_tags(post.id, -1)
            deleted = _save(post, {"public_when_deleted": post.is_public(now), "deleted": now}, now)
            history.record_change(post.id, "delete", now, post, deleted)


def restore_post(post_id, precondition=None, now=None):
    """Undo a soft delete (idempotent)."""
    now = now or utcnow()
    with write_transaction():
        post = before = _get_for_change(post_id, precondition)
        if post.deleted is not None:
            post = _save(post, {"deleted": None, "public_when_deleted": False}, now)
            tally_tags(post.id, +1)
            history.record_change(post.id, "restore", now, before, post)
    return post


def purge_post(post_id, precondition=None, now=None):
    """Remove a soft-deleted post for good (its revisions too); the feed keeps a tombstone."""
    now = now or utcnow()
    with write_transaction():
        post = _get_for_change(post_id, precondition)
        if post.deleted is None:
            raise errors.Conflict("Only a deleted post can be purged; delete it first.")
        tag_ids = _tag_ids_of([post.id])
        Post.delete().where(Post.id == post.id).execute()
        drop_unused_tags(tag_ids)
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
    """Write changed fields (and `tags`, the caller's to store) and the next version in one
    conditional UPDATE, and return the post as it now is."""
    after = post.but(**fields, tags=post.tags if tags is None else tags)
    fields = {**fields, "version": post.version + 1, **_reader_time(post, after, now)}
    saved = update_rows(Post, fields, id=post.id, version=post.version)
    if saved != 1:
        raise errors.PreconditionFailed("The post changed while this change was made; try again.")
    if "publication_time" in fields:
        PostTag.update(publication_time=fields["publication_time"]).where(PostTag.post == post.id).execute()
    return post.but(**fields)


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


def tally_tags(post_id, delta):
    """Add `delta` to the post_count of the post's tags if the post counts (visible, not
    deleted). Every change of a post's tags, visibility or deletion is wrapped in a -1 before
    and a +1 after, so the counts follow whatever the change did."""
    counted = (PostTag.select(PostTag.tag).join(Post)
               .where(PostTag.post == post_id, Post.shown()))
    Tag.update(post_count=Tag.post_count + delta).where(Tag.id.in_(counted)).execute()


def _tag_new_post(post_id, names, publication_time, counted):
    """set_tags and tally_tags(+1) for a post just inserted (no tags yet) in three statements:
    its tags made or, when the post counts, counted up in one, their ids, its post_tag rows."""
    names = list(dict.fromkeys(names))
    if not names:
        return
    made = Tag.insert_many([{"name": name, "post_count": int(counted)} for name in names])
    if counted:
        made = made.on_conflict(conflict_target=[Tag.name], update={Tag.post_count: Tag.post_count + 1})
    else:
        made = made.on_conflict_ignore()
    made.execute()
    tag_ids = dict(Tag.select(Tag.name, Tag.id).where(Tag.name.in_(names)).tuples())
    insert_rows(PostTag, [{"post": post_id, "tag": tag_ids[name], "position": i, "publication_time": publication_time}
                          for i, name in enumerate(names)])


def set_tags(post_id, names, publication_time):
    """The post's tags, in order, with its publication time (the tag index's reading order)."""
    set_tags_of_posts([(post_id, names, publication_time)])


def set_tags_of_posts(posts):
    """set_tags for many (post_id, names, publication_time) at once, in three statements."""
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


def _ensure_slug_free(slug):
    if Post.select().where(Post.slug == slug).exists():
        raise errors.Conflict("Another post already has this slug.", field="slug")


def _derived_slug(text):
    """The first free one of base, base-2, base-3 …, looked up SLUG_PROBE at a time by exact
    match on the slug index (a prefix range or LIKE would depend on the collation or scan)."""
    base = slugify(text)
    taken = set()
    for start in itertools.count(1, SLUG_PROBE):
        candidates = [base if n == 1 else f"{base}-{n}" for n in range(start, start + SLUG_PROBE)]
        taken.update(slug for (slug,) in Post.select(Post.slug).where(Post.slug.in_(candidates)).tuples())
        if len(taken) < start + SLUG_PROBE - 1:
            return first_free(base, taken)
