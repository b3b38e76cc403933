"""Export every record, and import (upsert) them back: the site's data, backend-neutral."""
from collections import Counter

from ..data.db import read_snapshot, reset_id_sequence, write_transaction
from ..data.models import Media, Post, Revision, RevokedToken, User, utcnow
from . import errors, federation, history, importer, mentions
from .auth import check_importable_hash
from .post_fields import EXPORTED_FIELDS
from .spool import RecordSpool

EXPORT_BATCH = 500
MEDIA_EXPORT_BATCH = 8  # images of up to MAX_MEDIA_BYTES each held at once
OUTCOMES = ("created", "updated", "unchanged")
ADMIN_FIELDS = ("username", "password_hash", "token_generation", "created")


def export_records():
    """Every record as (kind, fields), read from one consistent snapshot."""
    with read_snapshot():
        for user in User.select().order_by(User.id):
            yield "admin", {name: getattr(user, name) for name in ADMIN_FIELDS}
        for token in RevokedToken.select().order_by(RevokedToken.session_id):
            yield "revoked_token", {"session_id": token.session_id, "expires": token.expires}
        yield from _media_records()
        last_id = 0
        while True:
            batch = list(Post.select_with_tags().where(Post.id > last_id).order_by(Post.id).limit(EXPORT_BATCH))
            if not batch:
                break
            for post in batch:
                yield "post", {name: getattr(post, name) for name in EXPORTED_FIELDS}
            last_id = batch[-1].id
        for revision in Revision.select().order_by(Revision.post, Revision.rev).iterator():
            yield "revision", {"post_id": revision.post_id,
                               **{name: getattr(revision, name) for name in importer.REVISION_FIELDS}}
        yield from mentions.export_records()
        yield from federation.export_records()


def _media_records():
    last_id = 0
    while True:
        batch = list(Media.select(Media.id, Media.key, Media.media_type, Media.created, Media.data)
                     .where(Media.id > last_id).order_by(Media.id).limit(MEDIA_EXPORT_BATCH))
        if not batch:
            return
        for image in batch:
            yield "media", {"key": image.key, "media_type": image.media_type, "created": image.created,
                            "data": bytes(image.data)}
        last_id = batch[-1].id


def upsert_records(records, hash_method):
    """Upsert (kind, fields) records in one transaction: all of them or, on any error, none.

    Posts keep their ids; a record equal to what is stored changes nothing, so importing the
    same export twice is a no-op. content_html is rendered again, never taken from the file.
    Every post created or changed is an `update` in the change feed; its version never goes
    back (an ETag read before the import cannot match a different post after it).
    The records are read, checked and prepared into a spool on disk first; only then does the
    write transaction (and with it the writers' lock) begin, writing a batch at a time.
    An admin's password hash must be `hash_method` or dearer (auth.check_importable_hash).
    Returns {kind: {"created": n, "updated": n, "unchanged": n}}.
    """
    counts = {kind: Counter() for kind in ("admin", "revoked_token", "media", "post", "revision", "mention",
                                           "mention_block", "actor_key", "follower")}
    touched = set()
    with RecordSpool() as spool:
        spool.fill(records)
        now = utcnow()
        with write_transaction():
            for kind, batch in spool.batches():
                if kind == "post":
                    outcomes, changed = importer.write_posts(batch, now)
                    touched.update(changed)
                elif kind == "revision":
                    outcomes = importer.write_revisions(batch)
                elif kind == "revoked_token":
                    outcomes = importer.write_revoked_tokens(batch)
                elif kind == "media":
                    outcomes = importer.write_media(batch)
                elif kind == "mention":
                    outcomes = mentions.write_imported(batch, now)
                elif kind == "mention_block":
                    outcomes = mentions.write_imported_blocks(batch)
                elif kind in federation.IMPORTED:
                    outcomes = Counter(federation.IMPORTED[kind](fields) for fields in batch)
                else:
                    outcomes = Counter(_import_admin(fields, hash_method) for fields in batch)
                counts[kind] += outcomes
            history.revise(touched, now)
            reset_id_sequence(Post)
    return {kind: {outcome: found[outcome] for outcome in OUTCOMES} for kind, found in counts.items()}


def _import_admin(fields, hash_method):
    check_importable_hash(fields["password_hash"], hash_method)
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
