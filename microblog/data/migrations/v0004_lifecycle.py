"""Version 4: post versions (ETags), revisions, the change feed and idempotency keys.

Existing posts get version 1, their current text as revision 1, and a `create` change (and a
`delete` change when soft-deleted), so a mirror replaying the feed from 0 sees every post.
"""
import json

from peewee import (
    AutoField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

BATCH = 500


def upgrade(database):
    class Frozen(Model):
        class Meta:
            legacy_table_names = False

    class Post(Frozen):
        id = AutoField()
        title = CharField(null=True)
        content = TextField()
        created = DateTimeField()
        edited = DateTimeField(null=True)
        deleted = DateTimeField(null=True)

    class Tag(Frozen):
        id = AutoField()
        name = CharField()

    class PostTag(Frozen):
        post = ForeignKeyField(Post)
        tag = ForeignKeyField(Tag)
        position = IntegerField()

        class Meta:
            primary_key = CompositeKey("post", "tag")

    class Revision(Frozen):
        id = AutoField()
        post = ForeignKeyField(Post, on_delete="CASCADE")
        rev = IntegerField()
        title = CharField(max_length=200, null=True)
        content = TextField()
        tags = TextField()  # a JSON array of tag names
        created = DateTimeField()

        class Meta:
            indexes = ((("post", "rev"), True),)

    class Change(Frozen):
        seq = AutoField()
        post_id = IntegerField(index=True)
        action = CharField(max_length=10)
        at = DateTimeField()

    class IdempotencyKey(Frozen):
        key = CharField(max_length=255, primary_key=True)
        request_hash = CharField(max_length=64)
        created = DateTimeField(index=True)
        post_id = IntegerField(null=True)
        response = TextField(null=True)

    models = [Post, Tag, PostTag, Revision, Change, IdempotencyKey]
    with database.bind_ctx(models):
        database.execute_sql("ALTER TABLE post ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
        database.create_tables([Revision, Change, IdempotencyKey])
        last_id = 0
        while True:
            batch = list(Post.select().where(Post.id > last_id).order_by(Post.id).limit(BATCH))
            if not batch:
                break
            tags = {}
            for post_id, name in (PostTag.select(PostTag.post, Tag.name).join(Tag)
                                  .where(PostTag.post.in_([p.id for p in batch]))
                                  .order_by(PostTag.post, PostTag.position).tuples()):
                tags.setdefault(post_id, []).append(name)
            for post in batch:
                Revision.insert(post=post.id, rev=1, title=post.title, content=post.content,
                                tags=json.dumps(tags.get(post.id, [])),
                                created=post.edited or post.created).execute()
                Change.insert(post_id=post.id, action="create", at=post.created).execute()
                if post.deleted is not None:
                    Change.insert(post_id=post.id, action="delete", at=post.deleted).execute()
            last_id = batch[-1].id
