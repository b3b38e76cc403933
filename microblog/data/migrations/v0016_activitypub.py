"""Version 16: ActivityPub: the actor's key, followers, remote actors' keys, each post's object
generation, blocked domains; and a delivery's body (an activity sent as it was planned)."""
from peewee import AutoField, CharField, DateTimeField, IntegerField, Model, TextField


def upgrade(database):
    class ActorKey(Model):
        id = AutoField()
        private_pem = TextField()
        public_pem = TextField()
        created = DateTimeField()

        class Meta:
            legacy_table_names = False

    class Follower(Model):
        id = AutoField()
        actor = CharField(max_length=2048, unique=True)
        inbox = TextField()
        shared_inbox = TextField()
        follow_id = TextField()
        host = CharField(max_length=255, index=True)
        created = DateTimeField()

        class Meta:
            legacy_table_names = False

    class RemoteKey(Model):
        key_id = CharField(max_length=2048, primary_key=True)
        owner = TextField()
        public_pem = TextField()
        inbox = TextField(null=True)
        shared_inbox = TextField(null=True)
        fetched = DateTimeField()

        class Meta:
            legacy_table_names = False

    class FederatedPost(Model):
        post_id = IntegerField(primary_key=True)
        generation = IntegerField()

        class Meta:
            legacy_table_names = False

    class BlockedDomain(Model):
        domain = CharField(max_length=255, primary_key=True)
        created = DateTimeField()

        class Meta:
            legacy_table_names = False

    with database.bind_ctx([ActorKey, Follower, RemoteKey, FederatedPost, BlockedDomain]):
        database.create_tables([ActorKey, Follower, RemoteKey, FederatedPost, BlockedDomain])
    database.execute_sql("ALTER TABLE delivery ADD COLUMN body TEXT")
