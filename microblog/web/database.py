"""The app's database: every app context (request or CLI) binds the proxy of data/db.py to it."""
from flask import appcontext_pushed, current_app

from ..data.db import IdleConnectionCloser, database, open_database


def release_connection(_exc=None):
    """Hand this thread's connection back to the pool (the end of every app context)."""
    if not database.is_closed():
        database.close()
        current_app.extensions["idle_connection_closer"].ensure_running()


def _bind(app, **_extra):
    database.initialize(app.extensions["database"])


def init_app(app):
    """Give the app its database; every app context (request or CLI) binds the proxy to it.

    Connections open lazily on first use, in the process and thread that use them (never
    before a fork: create_app connects to nothing), and go back to the pool when the app
    context ends.
    """
    app.extensions["database"] = open_database(
        app.config["DATABASE_URL"], app.config["SQLITE_SYNCHRONOUS"],
        app.config["DB_POOL_SIZE"], app.config["DB_POOL_TIMEOUT"],
    )
    app.extensions["idle_connection_closer"] = IdleConnectionCloser(
        app.extensions["database"], app.config["DB_POOL_IDLE_TIMEOUT"]
    )
    appcontext_pushed.connect(_bind, app, weak=False)
    app.teardown_appcontext(release_connection)
