"""A post's history: its revisions, and the change feed that mirrors follow."""
from peewee import fn

from ..data import post_writes
from ..data.bulk import insert_rows
from ..data.models import MAX_ID, Change, Post, Revision, utcnow
from . import errors, outbox
from .post_fields import revisioned

ACTIONS = ("create", "update", "hide", "show", "delete", "restore", "purge")


def record_change(post_id, action, now, before, after):
    """Append to the change feed, in the caller's write transaction (whose lock makes seqs
    follow commit order), with what the change owes the outside world (the outbox): `before`
    and `after` are the post as it was and is (None: none)."""
    insert_rows(Change, [{"post_id": post_id, "action": action, "at": now}])
    outbox.posts_changed([(post_id, before, after)], now)


def record_changes(changes, action, now):
    """record_change for many (post_id, before, after) an import wrote, the feed's in one INSERT
    and in this order."""
    insert_rows(Change, [{"post_id": post_id, "action": action, "at": now} for post_id, _, _ in changes])
    outbox.posts_changed(changes, now, imported=True)


def revise(post_ids, now, chunk=500):
    """Posts whose revisioned fields (title, content, tags) are not as in their latest revision
    get them as their next one (add_revision for many posts, `chunk` at a time)."""
    ids = sorted(post_ids)
    for start in range(0, len(ids), chunk):
        some = ids[start:start + chunk]
        newest = (Revision.select(Revision.post, fn.MAX(Revision.rev).alias("rev"))
                  .where(Revision.post.in_(some)).group_by(Revision.post))
        latest = {revision.post_id: revision for revision in Revision.select().join(
            newest, on=(Revision.post == newest.c.post_id) & (Revision.rev == newest.c.rev))}
        added = []
        for post in Post.select_with_tags().where(Post.id.in_(some)):
            last = latest.get(post.id)
            if last is None or revisioned(last) != revisioned(post):
                added.append({"post": post.id, "rev": last.rev + 1 if last else 1, **revisioned(post), "created": now})
        insert_rows(Revision, added)


def add_revision(post, now=None):
    """Keep the post's revisioned fields as its next revision."""
    post_writes.add_revision(post.id, {**revisioned(post), "created": now or utcnow()})


def revisions(post_id):
    """Every revision of a post, oldest first."""
    if Post.find(post_id) is None:
        raise errors.NotFound("No post has this id.")
    return list(Revision.select().where(Revision.post == post_id).order_by(Revision.rev))


def revision(post_id, rev):
    found = None
    if 1 <= post_id <= MAX_ID and 1 <= rev <= MAX_ID:
        found = Revision.get_or_none((Revision.post == post_id) & (Revision.rev == rev))
    if found is None:
        raise errors.NotFound("The post has no such revision.")
    return found


def changes(since, limit):
    """Changes after seq `since`, in commit order, each with its post as it is now (None once
    purged); and the seq to ask from next time."""
    found = list(Change.select().where(Change.seq > since).order_by(Change.seq).limit(limit))
    posts = {post.id: post for post in Post.select_with_tags().where(
        Post.id.in_({change.post_id for change in found}))} if found else {}
    for change in found:
        change.post = None if change.action == "purge" else posts.get(change.post_id)
    return found, (found[-1].seq if found else since)
