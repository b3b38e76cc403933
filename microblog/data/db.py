"""The database: a proxy bound to the app's database (web/database.py binds it), pooled connections,
write transactions."""
import contextlib
import os
import threading
import time
import weakref

from peewee import DatabaseProxy, OperationalError, PeeweeException, SqliteDatabase
from playhouse.db_url import connect, parse

database = DatabaseProxy()

SQLITE_BUSY_TIMEOUT_MS = 5000
WRITERS_LOCK = 7_236_002  # PostgreSQL advisory lock every write transaction takes first
WRITERS_LOCK_TIMEOUT_MS = SQLITE_BUSY_TIMEOUT_MS  # the longest wait for it, then an error
CONNECTION_MAX_AGE_SECONDS = 3600  # a pooled connection older than this is closed, not reused
# Each SQLite connection's own page cache (SQLite's default is 2,000 KiB). A worker keeps a
# connection per thread it serves from, and the file's pages are in the OS's cache anyway, shared
# by every process: a smaller cache made no read or write slower (bench/app_time.py) and keeps a
# worker's memory down. Negative: KiB, as PRAGMA cache_size takes it.
SQLITE_CACHE_KIB = 256
# PostgreSQL's driver waits for good on a server that never answers; a URL may set its own.
CONNECT_TIMEOUT_SECONDS = 5


def open_database(url, sqlite_synchronous="NORMAL", pool_size=None, pool_timeout=None):
    """Build (without connecting) the database named by a URL, with a pool of connections.

    Opening a connection costs more than most reads (SQLite: five pragmas; PostgreSQL: a TCP
    handshake and authentication), so each process keeps its connections: one per thread
    that uses the database, handed back at the end of each app context and reused by the next.
    A connection handed back inside a transaction is rolled back; a broken one is dropped.
    With `pool_size`, a thread waits up to `pool_timeout` seconds for one of that many
    connections, then gets playhouse.pool.MaxConnectionsExceeded.
    """
    scheme, rest = url.split(":", 1)
    if not scheme.endswith("+pool"):
        url = f"{scheme}+pool:{rest}"
    pool = {"max_connections": pool_size, "timeout": pool_timeout,
            "stale_timeout": CONNECTION_MAX_AGE_SECONDS}
    if url.startswith("sqlite"):
        _create_private_file(parse(url)["database"])
        return connect(
            url,
            **pool,
            pragmas={
                "journal_mode": "wal",
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                "foreign_keys": 1,
                "synchronous": sqlite_synchronous,
                "cache_size": -SQLITE_CACHE_KIB,
            },
            lock_type="IMMEDIATE",
            check_same_thread=False,  # the pool hands a connection to one thread at a time
        )
    if "connect_timeout" not in parse(url):
        pool["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return connect(url, **pool)


def _create_private_file(path):
    """Create a missing SQLite file readable by its owner only (it holds the admin's password
    hash); SQLite gives its -wal and -shm files the database file's mode."""
    if path and path != ":memory:" and not path.startswith("file:"):
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def check_connection(db):
    """Open one connection and close it for good (none is kept, so none is shared across a
    fork); the driver's error, as a peewee error, if the database cannot be reached."""
    db.connect()
    db.manual_close()


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


@contextlib.contextmanager
def write_transaction():
    """A transaction that takes the one writers' lock at its start: BEGIN IMMEDIATE on SQLite,
    an advisory lock held to commit on PostgreSQL. Writers thus run one at a time in commit
    order (change-feed seqs follow it), and no two of them can wait on each other's rows. A
    writer waits for the lock 5 s at most (while an import writes, say), then fails."""
    try:
        with database.atomic() as transaction:
            if not is_sqlite():
                # a writer that cannot have the lock soon gets an error (a 503), as on SQLite
                database.execute_sql(f"SET LOCAL lock_timeout = {WRITERS_LOCK_TIMEOUT_MS}")
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITERS_LOCK,))
            yield transaction
    except OperationalError as error:
        ended_by = _error_that_ended_the_transaction(error)
        if ended_by is None:
            raise
        raise ended_by from None


NO_TRANSACTION = "no transaction is active"  # SQLite's words for a COMMIT or ROLLBACK without one


def _error_that_ended_the_transaction(error):
    """The database error behind a failed ROLLBACK, if that is what `error` is: SQLite ends a
    transaction itself on some errors (a full disk, an I/O error), so the ROLLBACK that follows
    finds no transaction, and its error would hide the one that says what happened."""
    if NO_TRANSACTION not in str(error):
        return None
    earlier = error.__context__
    while earlier is not None and not isinstance(earlier, PeeweeException):
        earlier = earlier.__context__
    return earlier


def locked(query):
    """The query with its rows locked until the transaction ends (SELECT … FOR UPDATE).

    SQLite needs none: its BEGIN IMMEDIATE transactions already exclude other writers.
    """
    return query if is_sqlite() else query.for_update()


def read_snapshot():
    """A transaction that reads one consistent state without taking SQLite's write lock."""
    return database.atomic("DEFERRED" if is_sqlite() else "REPEATABLE READ")


def reset_id_sequence(model):
    """After rows were inserted with explicit ids: new ids continue above them (PostgreSQL)."""
    if not is_sqlite():
        table = model._meta.table_name
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
        )


class IdleConnectionCloser:
    """Closes a pool's idle connections every `interval` seconds, from a daemon thread of the
    process that uses the pool (started after any fork); the thread ends with the pool."""

    def __init__(self, pool, interval):
        self.pool, self.interval = weakref.ref(pool), interval
        self.pid, self.lock = None, threading.Lock()

    def ensure_running(self):
        with self.lock:
            if self.pid != os.getpid():
                self.pid = os.getpid()
                threading.Thread(target=self._run, name="idle-connection-closer", daemon=True).start()

    def _run(self):
        while True:
            time.sleep(self.interval)
            pool = self.pool()
            if pool is None:
                return
            pool.close_idle()
            del pool
