"""Version 11: images. Uploaded ones, their bytes kept in the database so that every host serves
them and export and import carry them; and a post's photos (URLs with alt text, in order), kept
with the post and with each revision of it as a JSON array."""
from peewee import AutoField, BlobField, CharField, DateTimeField, IntegerField, Model


def upgrade(database):
    class Media(Model):
        id = AutoField()
        key = CharField(max_length=64, unique=True)
        media_type = CharField(max_length=20)
        width = IntegerField()
        height = IntegerField()
        size = IntegerField()
        created = DateTimeField()
        data = BlobField()

        class Meta:
            legacy_table_names = False

    with database.bind_ctx([Media]):
        database.create_tables([Media])
    for table in ("post", "revision"):
        database.execute_sql(f"ALTER TABLE {table} ADD COLUMN photos TEXT NOT NULL DEFAULT '[]'")
