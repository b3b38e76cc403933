"""Version 14: the outbox (deliveries to the outside world) and the hosts backed off."""
from peewee import AutoField, CharField, DateTimeField, IntegerField, Model, TextField


def upgrade(database):
    class Delivery(Model):
        id = AutoField()
        uid = CharField(max_length=32, unique=True)
        kind = CharField(max_length=20)
        destination = CharField(max_length=255)
        url = TextField()
        subject = TextField()
        post_id = IntegerField(null=True)
        state = CharField(max_length=10, default="pending")
        due = DateTimeField()
        next_try = DateTimeField()
        attempts = IntegerField(default=0)
        lease = CharField(max_length=32, null=True)
        leased_until = DateTimeField(null=True)
        last_error = TextField(null=True)
        created = DateTimeField()
        finished = DateTimeField(null=True)

        class Meta:
            legacy_table_names = False
            indexes = ((("state", "next_try"), False), (("state", "due"), False), (("post_id", "state"), False),
                       (("kind", "subject", "state"), False))

    class DeliveryHost(Model):
        host = CharField(max_length=255, primary_key=True)
        failures = IntegerField()
        blocked_until = DateTimeField(null=True)

        class Meta:
            legacy_table_names = False

    with database.bind_ctx([Delivery, DeliveryHost]):
        database.create_tables([Delivery, DeliveryHost])
