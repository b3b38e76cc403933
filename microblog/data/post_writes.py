"""The statements a post's write transaction runs besides its own row: the slug probe, its tags
and their counts, its next revision. Their SQL is written out once per backend and number of
values: Peewee would build it anew on every write, inside the writers' lock."""
from functools import cache

from .bulk import insert_row, insert_rows
from .db import database
from .models import Post, PostRow, PostTag, Revision

# A tag made by an upsert starts at its delta; one that exists moves by it. Both backends return
# the row either way (a plain ON CONFLICT DO NOTHING would return nothing for an existing tag).
_UPSERT = ("INSERT INTO tag (name, post_count) VALUES {rows} ON CONFLICT (name) "
           "DO UPDATE SET post_count = tag.post_count + excluded.post_count RETURNING id, name, post_count")
_COUNT = "UPDATE tag SET post_count = post_count + ? WHERE name IN ({names})"
_DROP_UNUSED = ("DELETE FROM tag WHERE name IN ({names}) "
                "AND NOT EXISTS (SELECT 1 FROM post_tag WHERE post_tag.tag_id = tag.id)")
_DETACH = "DELETE FROM post_tag WHERE post_id = ?"
_MOVE = "UPDATE post_tag SET publication_time = ? WHERE post_id = ?"
_TAKEN = "SELECT slug FROM post WHERE slug IN ({names})"
_REVISION = ("INSERT INTO revision (post_id, rev, {columns}) "
             "SELECT ?, COALESCE(MAX(rev), 0) + 1, {names} FROM revision WHERE post_id = ?")


@cache
def _sql(template, count, param, columns=()):
    """`template` with `count` markers where it says {names} or {rows} (and `columns` where it
    says {columns}), in the backend's style."""
    text = template.format(names=", ".join(["?"] * count), rows=", ".join(["(?, ?)"] * count),
                           columns=", ".join(columns))
    return text.replace("?", param)


def _run(template, parameters, count=0, columns=()):
    return database.execute_sql(_sql(template, count, database.param, columns), parameters)


def insert_post(values, tags):
    """Insert a post (field name to Python value; the model's defaults for those left out) and
    return it as a read of it would (a PostRow, with these tag names), without the read."""
    row = {**{field.name: default() if callable(default) else default
              for field, default in Post._meta.defaults.items()}, **values}
    post_id = insert_row(Post, row)
    return PostRow(**{**{field.name: row.get(field.name) for field in Post.READ_FIELDS}, "id": post_id, "tags": list(tags)})


def taken_slugs(candidates):
    """Those of these slugs that posts have."""
    return {slug for (slug,) in _run(_TAKEN, candidates, len(candidates)).fetchall()}


def upsert_tags(deltas):
    """Make the tags of {name: delta} that are missing, with `delta` posts counted; add `delta`
    to the count of those that exist; {name: (id, post_count)} as they now stand."""
    parameters = [value for name, delta in deltas.items() for value in (name, delta)]
    return {name: (tag_id, count) for tag_id, name, count in _run(_UPSERT, parameters, len(deltas)).fetchall()}


def count_tags(names, delta):
    """Add `delta` to the post_count of these tags."""
    if names:
        _run(_COUNT, [delta, *names], len(names))


def drop_unused_tags(names):
    """Remove those of these tags that no post (of any state) carries."""
    if names:
        _run(_DROP_UNUSED, list(names), len(names))


def attach_tags(post_id, tag_ids, publication_time):
    """The post's post_tag rows, in this order, with its publication time (a tag's reading order)."""
    insert_rows(PostTag, [{"post": post_id, "tag": tag_id, "position": i, "publication_time": publication_time}
                          for i, tag_id in enumerate(tag_ids)])


def detach_tags(post_id):
    _run(_DETACH, [post_id])


def move_tags(post_id, publication_time):
    """The post's post_tag rows follow its new publication time."""
    _run(_MOVE, [PostTag.publication_time.db_value(publication_time), post_id])


def add_revision(post_id, values):
    """The post's next revision (one after its newest, in the same statement) with these values
    (field name to Python value)."""
    fields = [Revision._meta.fields[name] for name in values]
    _run(_REVISION, [post_id, *(field.db_value(values[field.name]) for field in fields), post_id],
         len(fields), tuple(field.column_name for field in fields))
