"""The app's database: every app context (request or CLI) binds the proxy of data/db.py to it."""
import os
from urllib.parse import urlsplit

from flask import current_app
from peewee import PeeweeException

from ..config import ConfigurationError
from ..data.db import IdleConnectionCloser, check_connection, database, open_database


def release_connection(_exc=None):
    """Hand this thread's connection back to the pool (the end of every app context)."""
    if not database.is_closed():
        database.close()
        current_app.extensions["idle_connection_closer"].ensure_running()


def _bind(app):
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
    app.bind_in_every_context(_bind)
    app.teardown_appcontext(release_connection)


# The driver's words for a server that is not there, and what the operator can do about it.
UNREACHABLE = ("Connection refused", "timeout expired", "could not translate host name", "No route to host",
               "Network is unreachable", "could not connect")


def check_reachable(app):
    """Connect once: a database that cannot be opened stops the server or command at its start
    with one line naming DATABASE_URL, not at the first request with a traceback."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        _check_sqlite_folder(urlsplit(url).path[1:])
    try:
        check_connection(app.extensions["database"])
    except PeeweeException as error:
        raise ConfigurationError(_advice(url, error)) from None


def _check_sqlite_folder(path):
    folder = os.path.dirname(os.path.abspath(path))
    if path != ":memory:" and not os.path.isdir(folder):
        raise ConfigurationError(f"DATABASE_URL: the folder {folder} of the SQLite database does not exist: "
                                 f"create it (mkdir -p {folder}) or point DATABASE_URL elsewhere.")


def _advice(url, error):
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if url.startswith("sqlite"):
        return (f"DATABASE_URL: cannot open the SQLite database {urlsplit(url).path[1:]} ({reason}): "
                "check that this user may write to it and to its folder.")
    if "password authentication failed" in reason or "no password supplied" in reason:
        return f"DATABASE_URL: PostgreSQL refused the login ({reason}): correct the user and password in DATABASE_URL."
    if any(words in reason for words in UNREACHABLE):
        return (f"DATABASE_URL: no PostgreSQL server answers ({reason}): start it, "
                "or correct the host and port in DATABASE_URL.")
    return f"DATABASE_URL: cannot connect to PostgreSQL ({reason}): correct DATABASE_URL."
