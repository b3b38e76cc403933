"""Versioned schema migrations: `vNNNN_*.py` steps applied in order, each in its own transaction.

A step defines `upgrade(database)` against its own frozen view of the schema, never the live
models, so old steps keep meaning what they meant. A step that fails rolls back whole and the
database stays at the version before it.
"""
import importlib
import pkgutil

from peewee import PostgresqlDatabase

MIGRATION_LOCK_KEY = 7_236_001  # PostgreSQL advisory lock: one migrator at a time


def steps():
    """(version, module) for every migration step, in order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("v"))
    return [(int(name[1:5]), importlib.import_module(f"{__name__}.{name}")) for name in names]


LATEST_VERSION = steps()[-1][0]


def current_version(database):
    """The schema version of the database: 0 when it is empty."""
    if "schema_version" not in database.get_tables():
        return 0
    return database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0


def upgrade(database, target=LATEST_VERSION):
    """Apply every step above the database's version up to `target`; returns those applied."""
    applied = []
    for version, step in steps():
        if version > target:
            break
        with database.atomic():
            _lock(database)
            database.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            if current_version(database) >= version:
                continue
            step.upgrade(database)
            database.execute_sql("INSERT INTO schema_version (version) VALUES (%d)" % version)
        applied.append(version)
    return applied


def _lock(database):
    """Serialize migrators (SQLite's BEGIN IMMEDIATE already does)."""
    if isinstance(database, PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
