"""Many rows in one INSERT whose SQL is written out here: Peewee builds a query node by node,
which for a few thousand values costs far more than the database takes to store them."""
from .db import database


def insert_rows(model, rows):
    """Insert `rows` (dicts of field name to Python value, all with the same names)."""
    if not rows:
        return
    fields = [model._meta.fields[name] for name in rows[0]]
    quote = database.quote
    columns = ", ".join(f"{quote[0]}{field.column_name}{quote[1]}" for field in fields)
    placeholders = f"({', '.join([database.param] * len(fields))})"
    table = f"{quote[0]}{model._meta.table_name}{quote[1]}"
    values = [field.db_value(values[field.name]) for values in rows for field in fields]
    database.execute_sql(f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(rows))}", values)
