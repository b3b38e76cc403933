"""Import batches written in bulk: a few statements a batch of posts or revisions, not a record.

Each writer reads what is stored for its whole batch at once, decides every record's outcome
in file order against that (and against the batch's own earlier records), then writes the
batch's creations and changes together. A record whose key came earlier in the same batch
starts a new one, so each key is decided against what the earlier record wrote.
"""
from collections import Counter

from ..data.bulk import insert_rows
from ..data.models import Media, Post, Revision, RevokedToken, shown_to_readers
from . import errors, history
from .post_fields import REVISIONED_FIELDS
from .posts import add_to_tag_counts, set_tags_of_posts

NOT_COMPARED = {"version", "search_title", "search_body"}  # a version only grows; words follow the text
REVISION_FIELDS = ("rev", *REVISIONED_FIELDS, "created")


def write_revoked_tokens(batch):
    inserted = RevokedToken.insert_many(batch).on_conflict_ignore().as_rowcount().execute()
    return Counter(created=inserted, unchanged=len(batch) - inserted)  # rows inserted, counted by the database


def write_media(batch):
    """Insert images by key. A key names one image's bytes for good (they are served as
    immutable), so a stored key with other bytes is a conflict, never an update."""
    known = {key: bytes(data) for key, data in
             Media.select(Media.key, Media.data).where(Media.key.in_([f["key"] for f in batch])).tuples()}
    created, outcomes = [], Counter()
    for fields in batch:
        existing = known.get(fields["key"])
        if existing is None:
            created.append(fields)
            known[fields["key"]] = fields["data"]
        elif existing == fields["data"]:
            outcomes["unchanged"] += 1
        else:
            raise errors.Conflict(f"Image {fields['key']} is stored with other bytes; a key names one image for good.")
    insert_rows(Media, created)
    outcomes["created"] += len(created)
    return outcomes


def write_posts(batch, now):
    """Upsert posts by id; every post created or changed is an `update` in the change feed and
    its version never goes back. Returns (outcomes, ids created or changed)."""
    outcomes, changed = Counter(), []
    for run in _runs_of_distinct(batch, lambda fields: fields["id"]):
        run_outcomes, run_changed = _write_post_run(run, now)
        outcomes += run_outcomes
        changed += run_changed
    return outcomes, changed


def write_revisions(batch):
    """Upsert revisions by (post, rev); every post must be stored by now."""
    outcomes = Counter()
    for run in _runs_of_distinct(batch, lambda fields: (fields["post_id"], fields["rev"])):
        outcomes += _write_revision_run(run)
    return outcomes


def _write_post_run(run, now):
    stored = {post.id: post for post in Post.select_with_tags().where(Post.id.in_([f["id"] for f in run]))}
    owners = dict(Post.select(Post.slug, Post.id).where(Post.slug.in_({f["slug"] for f in run})).tuples())
    outcomes, created, updated, tag_deltas = Counter(), [], [], Counter()
    for fields in run:
        owner = owners.get(fields["slug"], fields["id"])
        if owner != fields["id"]:
            raise errors.Conflict(
                f"Post {fields['id']} has slug '{fields['slug']}', which post {owner} already has."
            )
        existing = stored.get(fields["id"])
        if existing is None:
            created.append(fields)
        elif _unchanged(existing, fields):
            outcomes["unchanged"] += 1
            continue
        else:
            fields = {**fields, "version": max(fields["version"], existing.version + 1)}
            updated.append(fields)
            owners.pop(existing.slug, None)  # held by this post, so free for a later record
            _tally(tag_deltas, existing.tags, existing.visible, existing.deleted, -1)
        owners[fields["slug"]] = fields["id"]
        _tally(tag_deltas, fields["tags"], fields["visible"], fields["deleted"], +1)
    # changes first: a slug one of them gives up may be one a new post takes
    for fields in updated:
        Post.update(**_columns(fields)).where(Post.id == fields["id"]).execute()
    insert_rows(Post, [_columns(fields) for fields in created])
    written = {fields["id"] for fields in created + updated}
    changed = [fields for fields in run if fields["id"] in written]
    set_tags_of_posts([(f["id"], f["tags"], f["publication_time"]) for f in changed])
    add_to_tag_counts(tag_deltas)
    history.record_changes([(fields["id"], stored.get(fields["id"]), fields) for fields in changed], "update", now)
    outcomes.update(created=len(created), updated=len(updated))
    return outcomes, [fields["id"] for fields in changed]


def _write_revision_run(run):
    post_ids = {fields["post_id"] for fields in run}
    known = {post_id for (post_id,) in Post.select(Post.id).where(Post.id.in_(post_ids)).tuples()}
    for fields in run:
        if fields["post_id"] not in known:
            raise errors.Conflict(f"Revision {fields['rev']} belongs to post {fields['post_id']}, "
                                  "which is neither in the file before it nor stored.")
    candidates = Revision.select().where(Revision.post.in_(post_ids),
                                         Revision.rev.in_({fields["rev"] for fields in run}))
    stored = {(revision.post_id, revision.rev): revision for revision in candidates}
    outcomes, created = Counter(), []
    for fields in run:
        values = {name: fields[name] for name in REVISION_FIELDS}
        existing = stored.get((fields["post_id"], fields["rev"]))
        if existing is None:
            created.append({"post": fields["post_id"], **values})
        elif all(getattr(existing, name) == value for name, value in values.items()):
            outcomes["unchanged"] += 1
        else:
            Revision.update(**values).where(Revision.id == existing.id).execute()
            outcomes["updated"] += 1
    insert_rows(Revision, created)
    outcomes["created"] += len(created)
    return outcomes


def _runs_of_distinct(batch, key):
    """The batch cut before every record whose key an earlier record of its run has."""
    run, seen = [], set()
    for fields in batch:
        if key(fields) in seen:
            yield run
            run, seen = [], set()
        run.append(fields)
        seen.add(key(fields))
    if run:
        yield run


def _unchanged(existing, fields):
    return all(getattr(existing, name) == value for name, value in fields.items()
               if name not in NOT_COMPARED)


def _columns(fields):
    """A post's stored columns: all but its tags, kept in post_tag."""
    return {name: value for name, value in fields.items() if name != "tags"}


def _tally(deltas, tags, visible, deleted, delta):
    """A post's tags count its visible, undeleted posts (Tag.post_count)."""
    if shown_to_readers(visible, deleted):
        for name in tags:
            deltas[name] += delta

