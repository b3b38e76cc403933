"""Version 5: failed-login counters, shared by every worker and host."""
from peewee import CharField, DateTimeField, IntegerField, Model


def upgrade(database):
    class LoginFailure(Model):
        key = CharField(max_length=400, primary_key=True)
        failures = IntegerField()
        first_at = DateTimeField()
        last_at = DateTimeField(index=True)
        locked_until = DateTimeField(null=True)

        class Meta:
            legacy_table_names = False

    with database.bind_ctx([LoginFailure]):
        database.create_tables([LoginFailure])
