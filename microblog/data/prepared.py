"""Read queries whose SQL is built once per process and backend, then run with new values.

Peewee builds a query's SQL anew on every execution; for the short reads that readers send
most, building costs more than the database takes to answer. A prepared query is written as
an ordinary Peewee query by a function of its values. It is built once with a marker in place
of each value; the markers' positions among the SQL parameters are then filled with the
caller's values, converted by the same field that converts them in Peewee. Rows come back
through the built query's own row conversion, except rows made by a plain constructor
(`.objects(PostRow)`): those are built straight from the cursor, converting only the columns
whose database value is not already the Python one (see `_row_layout`).
"""
from datetime import datetime

from peewee import AutoField, CharField, DateTimeField, IntegerField, ModelObjectCursorWrapper, TextField

from .db import database

MARKER_BASE = 1_900_000_000  # markers for integers: far above any page size, within a 32-bit id
MARKER_STEP = 1000  # between two integer markers, so that no marker ± a little is another
PLAIN_FIELDS = (AutoField, IntegerField, CharField, TextField)  # exact types: subclasses may convert


class PreparedQuery:
    """`build(**values)` → a Peewee select; `slots` map each value's name to its field
    (None for a value Peewee passes as is, such as a LIMIT)."""

    def __init__(self, build, **slots):
        self.build, self.slots = build, slots
        self._built = {}  # database class → (query, sql, parameters, {slot: positions})
        self._layouts = {}  # database class → the row layout and constructor of a constructor's rows

    def __call__(self, **values):
        """Run with these values; an iterable of the query's rows."""
        backend = type(database.obj)
        query, cursor = self._execute(backend, values)
        layout = self._layouts.get(backend)
        if layout is None:  # Peewee's cursor wrapper, once, tells whether rows are a constructor's
            rows = query._get_cursor_wrapper(cursor)
            if not isinstance(rows, ModelObjectCursorWrapper) or rows.is_model:
                return rows
            layout = self._layouts[backend] = (*_row_layout(rows), rows.constructor)
        names, converted, constructor = layout
        made = []
        for row in cursor:
            columns = dict(zip(names, row, strict=True))
            for name, convert in converted:
                columns[name] = convert(columns[name])
            made.append(constructor(**columns))
        return made

    def run(self, **values):
        """Run a prepared write (an UPDATE or DELETE) with these values; the driver's cursor."""
        return self._execute(type(database.obj), values)[1]

    def first_raw_row(self, **values):
        """Run with these values; the first row as the driver gives it (no conversion), or None."""
        return self._execute(type(database.obj), values)[1].fetchone()

    def _execute(self, backend, values):
        query, sql, parameters, positions = self._built.get(backend) or self._prepare(backend)
        parameters = list(parameters)
        for name, slot_positions in positions.items():
            field = self.slots[name]
            value = values[name] if field is None else field.db_value(values[name])
            for position in slot_positions:
                parameters[position] = value
        return query, database.execute_sql(sql, parameters)

    def _prepare(self, backend):
        markers = {name: _marker(index, field) for index, (name, field) in enumerate(self.slots.items())}
        query = self.build(**markers)
        sql, parameters = query.sql()
        positions = {}
        for name, field in self.slots.items():
            converted = markers[name] if field is None else field.db_value(markers[name])
            positions[name] = [i for i, parameter in enumerate(parameters)
                               if type(parameter) is type(converted) and parameter == converted]
            if not positions[name]:
                raise LookupError(f"value {name!r} is not a parameter of the prepared query")
        self._built[backend] = query, sql, parameters, positions
        return self._built[backend]


def _marker(index, field):
    """A value of the field's type that no query holds by itself."""
    if isinstance(field, DateTimeField):
        return datetime(1901, 2, 3, 4, 5, 6, 1000 + index)
    if isinstance(field, (CharField, TextField)):
        return f"\x00marker-{index}"
    if field is None or isinstance(field, IntegerField):
        return MARKER_BASE + MARKER_STEP * index
    raise TypeError(f"no marker for {field!r}")


def _row_layout(rows):
    """(column names, [(name, converter)]) of a constructor's rows: Peewee's own, less the
    converters of plain integer and text fields, whose values both drivers return as int and
    str already."""
    rows.initialize()
    converted = [(rows.unique_columns[i], _moment if type(rows.fields[i]) is DateTimeField else rows.converters[i])
                 for i in rows.convert if type(rows.fields[i]) not in PLAIN_FIELDS]
    return rows.unique_columns, converted


def _moment(value):
    """A DateTimeField's value: SQLite's text as Peewee writes it ("2026-12-06 15:38:01.123456"),
    read by the datetime parser alone (Peewee's tries its formats in Python first); PostgreSQL's
    datetimes and NULLs as they come."""
    return datetime.fromisoformat(value) if type(value) is str else value
