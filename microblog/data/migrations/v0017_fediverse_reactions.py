"""Version 19: replies, likes and boosts of the site's posts received from the fediverse."""
from peewee import AutoField, CharField, DateTimeField, IntegerField, Model, TextField


def upgrade(database):
    class FediverseReaction(Model):
        id = AutoField()
        activity_id = CharField(max_length=2048, unique=True)
        kind = CharField(max_length=10)
        actor = TextField()
        post_id = IntegerField()
        url = TextField(null=True)
        content_html = TextField(null=True)
        received = DateTimeField()

        class Meta:
            legacy_table_names = False
            indexes = ((("post_id", "kind"), False),)

    with database.bind_ctx([FediverseReaction]):
        database.create_tables([FediverseReaction])
