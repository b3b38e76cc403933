"""Many rows in one INSERT whose SQL is written out here: Peewee builds a query node by node,
which for a few thousand values costs far more than the database takes to store them."""
from functools import lru_cache

from .db import database, is_sqlite


def insert_rows(model, rows):
    """Insert `rows` (dicts of field name to Python value, all with the same names)."""
    if rows:
        database.execute_sql(*_insert(model, rows))


def insert_row(model, values):
    """Insert one row (field name to Python value; for the fields left out, the model's
    defaults, as Peewee's insert gives them); its primary key."""
    row = {field.name: default() if callable(default) else default
           for field, default in model._meta.defaults.items() if field.name not in values}
    sql, parameters = _insert(model, [{**row, **values}])
    if is_sqlite():
        return database.execute_sql(sql, parameters).lastrowid
    quote, key = database.quote, model._meta.primary_key.column_name
    return database.execute_sql(f"{sql} RETURNING {quote[0]}{key}{quote[1]}", parameters).fetchone()[0]


def _insert(model, rows):
    fields, head, placeholders = _insert_parts(model, tuple(rows[0]), type(database.obj))
    values = [field.db_value(values[field.name]) for values in rows for field in fields]
    return f"{head}{', '.join([placeholders] * len(rows))}", values


@lru_cache(maxsize=256)  # writes use a few sets of columns; bounded all the same
def _insert_parts(model, names, _backend):
    """The fields of these names, the INSERT's text up to VALUES and a row's placeholders, in
    the backend's style: written once, as a write inside the writers' lock would anew."""
    fields = [model._meta.fields[name] for name in names]
    quote = database.quote
    columns = ", ".join(f"{quote[0]}{field.column_name}{quote[1]}" for field in fields)
    table = f"{quote[0]}{model._meta.table_name}{quote[1]}"
    return fields, f"INSERT INTO {table} ({columns}) VALUES ", f"({', '.join([database.param] * len(fields))})"


def update_rows(model, values, **match):
    """UPDATE the model's rows whose fields equal `match` (field name to value) with `values`
    (field name to Python value), its SQL written out rather than built by Peewee; the number
    of rows changed."""
    fields, keys, sql = _update_parts(model, tuple(values), tuple(match), type(database.obj))
    parameters = [field.db_value(values[field.name]) for field in fields] + \
        [field.db_value(match[field.name]) for field in keys]
    return database.execute_sql(sql, parameters).rowcount


@lru_cache(maxsize=256)  # writes use a few sets of columns; bounded all the same
def _update_parts(model, names, matched_names, _backend):
    """The fields set, the fields matched and the UPDATE's text, in the backend's style."""
    quote = database.quote
    fields = [model._meta.fields[name] for name in names]
    keys = [model._meta.fields[name] for name in matched_names]
    assigned = ", ".join(f"{quote[0]}{field.column_name}{quote[1]} = {database.param}" for field in fields)
    matched = " AND ".join(f"{quote[0]}{field.column_name}{quote[1]} = {database.param}" for field in keys)
    table = f"{quote[0]}{model._meta.table_name}{quote[1]}"
    return fields, keys, f"UPDATE {table} SET {assigned} WHERE {matched}"
