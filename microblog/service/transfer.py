"""Export every record, and import (upsert) them back: the site's data, backend-neutral."""
from ..content import render_markdown
from ..db import read_snapshot, reset_id_sequence, write_transaction
from ..models import Post, Revision, RevokedToken, User
from ..search import index_fields
from . import errors, history
from .auth import check_importable_hash
from .posts import set_tags, tally_tags

EXPORT_BATCH = 500
POST_FIELDS = (
    "id", "title", "slug", "content", "content_html", "tags", "visible", "publish_at", "created",
    "edited", "updated", "deleted", "public_when_deleted", "version",
)
REVISION_FIELDS = ("rev", "title", "content", "tags", "created")
NOT_COMPARED = {"version", "search_title", "search_body"}  # a version only grows; words follow the text
ADMIN_FIELDS = ("username", "password_hash", "token_generation", "created")


def export_records():
    """Every record as (kind, fields), read from one consistent snapshot."""
    with read_snapshot():
        for user in User.select().order_by(User.id):
            yield "admin", {name: getattr(user, name) for name in ADMIN_FIELDS}
        for token in RevokedToken.select().order_by(RevokedToken.session_id):
            yield "revoked_token", {"session_id": token.session_id, "expires": token.expires}
        last_id = 0
        while True:
            batch = list(Post.select_with_tags().where(Post.id > last_id).order_by(Post.id).limit(EXPORT_BATCH))
            if not batch:
                break
            for post in batch:
                yield "post", {name: getattr(post, name) for name in POST_FIELDS}
            last_id = batch[-1].id
        for revision in Revision.select().order_by(Revision.post, Revision.rev).iterator():
            yield "revision", {"post_id": revision.post_id,
                               **{name: getattr(revision, name) for name in REVISION_FIELDS}}


def import_records(records, hash_method):
    """Upsert (kind, fields) records in one transaction: all of them or, on any error, none.

    Posts keep their ids; a record equal to what is stored changes nothing, so importing the
    same export twice is a no-op. content_html is rendered again, never taken from the file.
    Every post created or changed is an `update` in the change feed; its version never goes
    back (an ETag read before the import cannot match a different post after it).
    An admin's password hash must be `hash_method` or dearer (auth.check_importable_hash).
    Returns {kind: {"created": n, "updated": n, "unchanged": n}}.
    """
    importers = {"admin": _import_admin, "revoked_token": _import_revoked_token,
                 "post": _import_post, "revision": _import_revision}
    counts = {kind: {"created": 0, "updated": 0, "unchanged": 0} for kind in importers}
    touched = set()
    with write_transaction():
        for kind, fields in records:
            if kind == "admin":
                check_importable_hash(fields["password_hash"], hash_method)
            outcome = importers[kind](fields)
            counts[kind][outcome] += 1
            if kind == "post" and outcome != "unchanged":
                touched.add(fields["id"])
        _revise(touched)
        reset_id_sequence(Post)
    return counts


def _revise(post_ids):
    """Posts whose imported text is not their latest revision (an older file, or one without
    revisions) get it as their next revision, so history always ends at the current text."""
    posts = list(Post.select_with_tags().where(Post.id.in_(post_ids))) if post_ids else []
    for post in posts:
        latest = history.latest_revision(post.id)
        if latest is None or (latest.title, latest.content, latest.tags) != (post.title, post.content, post.tags):
            history.add_revision(post, latest=latest)


def _import_admin(fields):
    existing = User.select().first()
    if existing is None:
        User.insert(**fields).execute()
        return "created"
    if existing.username != fields["username"]:
        raise errors.Conflict(
            f"This site's admin is '{existing.username}', the file's is '{fields['username']}'; "
            "microblog has exactly one admin."
        )
    if all(getattr(existing, name) == value for name, value in fields.items()):
        return "unchanged"
    generation = max(existing.token_generation, fields["token_generation"])
    if fields["password_hash"] != existing.password_hash:
        generation += 1  # tokens issued before the password changed must not come back
    User.update(**{**fields, "token_generation": generation}).where(User.id == existing.id).execute()
    return "updated"


def _import_revoked_token(fields):
    inserted = RevokedToken.insert(**fields).on_conflict_ignore().as_rowcount().execute()
    return "created" if inserted else "unchanged"  # rows inserted (a last row id can be stale)


def _import_post(fields):
    fields = dict(fields)
    tags = fields.pop("tags")
    fields["content_html"] = render_markdown(fields["content"])  # never the file's HTML
    fields.update(index_fields(fields["title"], fields["content"]))
    fields["publication_time"] = fields["publish_at"] or fields["created"]
    clash = Post.select(Post.id).where(Post.slug == fields["slug"], Post.id != fields["id"]).first()
    if clash is not None:
        raise errors.Conflict(
            f"Post {fields['id']} has slug '{fields['slug']}', which post {clash.id} already has."
        )
    existing = Post.find(fields["id"])
    if existing is None:
        Post.insert(**fields).execute()
        set_tags(fields["id"], tags, fields["publication_time"])
        tally_tags(fields["id"], +1)
        history.record_change(fields["id"], "update")
        return "created"
    if existing.tags == tags and all(getattr(existing, k) == v for k, v in fields.items()
                                     if k not in NOT_COMPARED):
        return "unchanged"
    fields["version"] = max(fields["version"], existing.version + 1)
    tally_tags(existing.id, -1)
    Post.update(**fields).where(Post.id == fields["id"]).execute()
    set_tags(existing.id, tags, fields["publication_time"])
    tally_tags(existing.id, +1)
    history.record_change(fields["id"], "update")
    return "updated"


def _import_revision(fields):
    if Post.find(fields["post_id"]) is None:
        raise errors.Conflict(f"Revision {fields['rev']} belongs to post {fields['post_id']}, "
                              "which is neither in the file before it nor stored.")
    key = (Revision.post == fields["post_id"]) & (Revision.rev == fields["rev"])
    existing = Revision.get_or_none(key)
    values = {name: fields[name] for name in REVISION_FIELDS}
    if existing is None:
        Revision.insert(post=fields["post_id"], **values).execute()
        return "created"
    if all(getattr(existing, name) == value for name, value in values.items()):
        return "unchanged"
    Revision.update(**values).where(key).execute()
    return "updated"
