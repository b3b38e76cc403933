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


def update_rows(model, values, **match):
    """UPDATE the model's rows whose fields equal `match` (field name to value) with `values`
    (field name to Python value), its SQL written out rather than built by Peewee; the number
    of rows changed."""
    quote = database.quote
    fields = [model._meta.fields[name] for name in values]
    keys = [model._meta.fields[name] for name in match]
    assigned = ", ".join(f"{quote[0]}{field.column_name}{quote[1]} = {database.param}" for field in fields)
    matched = " AND ".join(f"{quote[0]}{field.column_name}{quote[1]} = {database.param}" for field in keys)
    table = f"{quote[0]}{model._meta.table_name}{quote[1]}"
    parameters = [field.db_value(values[field.name]) for field in fields] + \
        [field.db_value(match[field.name]) for field in keys]
    return database.execute_sql(f"UPDATE {table} SET {assigned} WHERE {matched}", parameters).rowcount
