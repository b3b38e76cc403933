"""The database: one proxy chosen from DATABASE_URL, per-request connections, write transactions."""
from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect

database = DatabaseProxy()

SQLITE_BUSY_TIMEOUT_MS = 5000


def open_database(url, sqlite_synchronous="NORMAL"):
    """Build (without connecting) the database named by a URL."""
    if url.startswith("sqlite"):
        return connect(
            url,
            pragmas={
                "journal_mode": "wal",
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                "foreign_keys": 1,
                "synchronous": sqlite_synchronous,
            },
            lock_type="IMMEDIATE",
        )
    return connect(url)


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


def write_transaction():
    """A transaction that takes the write lock at its start (BEGIN IMMEDIATE on SQLite)."""
    return database.atomic()


def close_connection(_exc=None):
    if not database.is_closed():
        database.close()


def init_app(app):
    """Point the proxy at the configured database and close the connection after each request."""
    database.initialize(open_database(app.config["DATABASE_URL"], app.config["SQLITE_SYNCHRONOUS"]))
    app.teardown_appcontext(close_connection)
