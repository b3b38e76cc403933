"""Version 15: Webmentions received (one per source and post) and the domains they are refused from."""
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, Model, TextField


def upgrade(database):
    class Frozen(Model):
        class Meta:
            legacy_table_names = False

    class Post(Frozen):
        id = AutoField()

    class Mention(Frozen):
        id = AutoField()
        post = ForeignKeyField(Post, on_delete="CASCADE", index=False)
        source = TextField()
        target = TextField()
        domain = CharField(max_length=255, index=True)
        status = CharField(max_length=10)
        kind = CharField(max_length=10)
        url = TextField()
        author_name = TextField(null=True)
        author_url = TextField(null=True)
        author_photo = TextField(null=True)
        content_html = TextField()
        published = DateTimeField(null=True)
        received = DateTimeField()
        verified = DateTimeField()

        class Meta:
            indexes = ((("post", "source"), True),)

    class MentionBlock(Frozen):
        domain = CharField(max_length=255, primary_key=True)
        created = DateTimeField()

    with database.bind_ctx([Post, Mention, MentionBlock]):
        database.create_tables([Mention, MentionBlock])
