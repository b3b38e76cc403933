"""Version 10: IndieAuth authorization codes and access tokens, and browser sign-in sessions."""
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def upgrade(database):
    class Frozen(Model):
        class Meta:
            legacy_table_names = False

    class User(Frozen):
        id = AutoField()

    class AuthorizationCode(Frozen):
        code_hash = CharField(max_length=64, primary_key=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        generation = IntegerField()
        client_id = TextField()
        redirect_uri = TextField()
        scope = TextField()
        code_challenge = CharField(max_length=128, null=True)
        expires = DateTimeField(index=True)

    class AccessToken(Frozen):
        id = AutoField()
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        generation = IntegerField()
        client_id = TextField()
        scope = TextField()
        created = DateTimeField()
        last_used = DateTimeField(null=True)
        expires = DateTimeField()

    class BrowserSession(Frozen):
        session_hash = CharField(max_length=64, primary_key=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        generation = IntegerField()
        created = DateTimeField()
        expires = DateTimeField(index=True)

    tables = [AuthorizationCode, AccessToken, BrowserSession]
    with database.bind_ctx([User, *tables]):
        database.create_tables(tables)
